//! The imperative shell: reads the instance from EC2 and puts and deletes
//! alarms in CloudWatch. Every AWS failure is returned, never swallowed.

use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StandardUnit, Statistic, Tag};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::Filter;
use std::collections::{BTreeMap, BTreeSet};
use tracing::info;

use watchkeeper_shared::events::ec2::InstanceState;

use crate::decide::{AlarmSpec, InstanceFacts, Lookup, Plan};

/// CloudWatch deletes at most this many alarms per call.
pub const DELETE_BATCH_SIZE: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("EC2 DescribeInstances for {instance_id} failed: {}", DisplayErrorContext(.source))]
    DescribeInstance {
        instance_id: String,
        source: Box<aws_sdk_ec2::Error>,
    },
    #[error("EC2 DescribeTags for {instance_id} failed: {}", DisplayErrorContext(.source))]
    DescribeTags {
        instance_id: String,
        source: Box<aws_sdk_ec2::Error>,
    },
    /// An answer without a field that every item of its kind has; reading
    /// on would take the absent value as empty.
    #[error("{operation} answered for {resource} with {item} that has no {field}")]
    IncompleteAnswer {
        operation: &'static str,
        resource: String,
        item: &'static str,
        field: &'static str,
    },
    #[error("CloudWatch PutMetricAlarm for alarm {alarm_name} failed: {}", DisplayErrorContext(.source))]
    PutAlarm {
        alarm_name: String,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
    #[error("CloudWatch DescribeAlarms with prefix {prefix} failed: {}", DisplayErrorContext(.source))]
    ListAlarms {
        prefix: String,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
    #[error("CloudWatch DeleteAlarms for {} failed: {}", .alarm_names.join(", "), DisplayErrorContext(.source))]
    DeleteAlarms {
        alarm_names: Vec<String>,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
}

/// What applying a plan changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub alarms_put: Vec<String>,
    pub alarms_deleted: Vec<String>,
}

/// The instance as EC2 sees it now. Every field EC2's answer leaves out
/// stays unknown (`None`), except the tag set, which EC2 leaves out both
/// for an instance without tags and while a new instance's tags are not
/// yet visible: then the tags are read with `DescribeTags`, whose answer
/// is the instance's tags, none being none.
pub async fn describe_instance(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<Lookup, ActError> {
    let response = match ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(response) => response,
        Err(error) if error.code() == Some("InvalidInstanceID.NotFound") => {
            return Ok(Lookup::NotListed);
        }
        Err(error) => {
            return Err(ActError::DescribeInstance {
                instance_id: instance_id.to_owned(),
                source: Box::new(error.into()),
            });
        }
    };
    // An absent reservation or instance list lists nothing: not listed,
    // which the decision treats as unknown while the event is recent.
    let Some(instance) = response
        .reservations()
        .iter()
        .flat_map(|reservation| reservation.instances())
        .find(|instance| instance.instance_id() == Some(instance_id))
    else {
        return Ok(Lookup::NotListed);
    };
    let tags = match &instance.tags {
        Some(tags) => tags
            .iter()
            .map(|tag| tag_pair(tag.key(), tag.value(), "EC2 DescribeInstances", instance_id))
            .collect::<Result<_, _>>()?,
        None => {
            info!(
                %instance_id,
                "DescribeInstances left the tag set out; reading it with DescribeTags"
            );
            describe_tags(ec2, instance_id).await?
        }
    };
    Ok(Lookup::Listed(InstanceFacts {
        instance_id: instance_id.to_owned(),
        state: instance
            .state()
            .and_then(|state| state.name())
            .map(|name| InstanceState::from_name(name.as_str())),
        image_id: instance.image_id().map(str::to_owned),
        instance_type: instance
            .instance_type()
            .map(|kind| kind.as_str().to_owned()),
        tags,
    }))
}

/// Every tag of the instance, through all of `DescribeTags`' pages. A page
/// without a tag list has no tags on it: that is how the protocol writes
/// an empty list, and this is the answer to "which tags", not a partial view.
async fn describe_tags(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<BTreeMap<String, String>, ActError> {
    let mut tags = BTreeMap::new();
    let mut pages = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(instance_id)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::DescribeTags {
            instance_id: instance_id.to_owned(),
            source: Box::new(error.into()),
        })?;
        for tag in page.tags() {
            if tag.resource_id() == Some(instance_id) {
                let (key, value) =
                    tag_pair(tag.key(), tag.value(), "EC2 DescribeTags", instance_id)?;
                tags.insert(key, value);
            }
        }
    }
    Ok(tags)
}

/// A tag as a key and value. A tag without a key cannot exist, so an answer
/// with one is refused rather than the tag dropped (it might be the opt-out
/// tag). EC2 tag values may be empty, and an empty value may be left out.
fn tag_pair(
    key: Option<&str>,
    value: Option<&str>,
    operation: &'static str,
    instance_id: &str,
) -> Result<(String, String), ActError> {
    let key = key.ok_or_else(|| ActError::IncompleteAnswer {
        operation,
        resource: instance_id.to_owned(),
        item: "a tag",
        field: "key",
    })?;
    Ok((key.to_owned(), value.unwrap_or_default().to_owned()))
}

/// Makes the instance's alarms match the plan: puts every planned alarm
/// (PutMetricAlarm creates or overwrites, so a repeat is harmless), then
/// deletes every other alarm under the instance's prefix.
pub async fn apply_plan(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    plan: &Plan,
    prefix: &str,
) -> Result<Outcome, ActError> {
    let mut outcome = Outcome::default();
    for alarm in &plan.alarms {
        put_alarm(cloudwatch, alarm).await?;
        outcome.alarms_put.push(alarm.name.clone());
    }
    let wanted: BTreeSet<&str> = plan
        .alarms
        .iter()
        .map(|alarm| alarm.name.as_str())
        .collect();
    let stale: Vec<String> = list_alarm_names(cloudwatch, prefix)
        .await?
        .into_iter()
        .filter(|name| !wanted.contains(name.as_str()))
        .collect();
    for batch in stale.chunks(DELETE_BATCH_SIZE) {
        cloudwatch
            .delete_alarms()
            .set_alarm_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|error| ActError::DeleteAlarms {
                alarm_names: batch.to_vec(),
                source: Box::new(error.into()),
            })?;
        outcome.alarms_deleted.extend_from_slice(batch);
    }
    Ok(outcome)
}

async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    alarm: &AlarmSpec,
) -> Result<(), ActError> {
    let dimensions = alarm
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let tags = alarm
        .tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .alarm_description(&alarm.description)
        .namespace(&alarm.namespace)
        .metric_name(&alarm.metric_name)
        .statistic(Statistic::from(alarm.statistic.as_str()))
        .set_unit(alarm.unit.as_deref().map(StandardUnit::from))
        .set_dimensions(Some(dimensions))
        .period(alarm.period)
        .evaluation_periods(alarm.evaluation_periods)
        .datapoints_to_alarm(alarm.datapoints_to_alarm)
        .threshold(alarm.threshold)
        .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
        .treat_missing_data(&alarm.treat_missing_data)
        .actions_enabled(true)
        .alarm_actions(&alarm.action_topic_arn)
        .ok_actions(&alarm.action_topic_arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|error| ActError::PutAlarm {
            alarm_name: alarm.name.clone(),
            source: Box::new(error.into()),
        })?;
    Ok(())
}

/// Every metric alarm whose name starts with `prefix`, across all pages.
pub async fn list_alarm_names(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    prefix: &str,
) -> Result<Vec<String>, ActError> {
    let mut names = Vec::new();
    let mut pages = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListAlarms {
            prefix: prefix.to_owned(),
            source: Box::new(error.into()),
        })?;
        // A page without a MetricAlarms list has no alarms on it: that is
        // how the protocol writes an empty list.
        for alarm in page.metric_alarms() {
            let name = alarm
                .alarm_name()
                .ok_or_else(|| ActError::IncompleteAnswer {
                    operation: "CloudWatch DescribeAlarms",
                    resource: format!("prefix {prefix}"),
                    item: "an alarm",
                    field: "name",
                })?;
            // CloudWatch filters by the prefix already; this keeps a
            // misbehaving answer from deleting another instance's alarms.
            if name.starts_with(prefix) {
                names.push(name.to_owned());
            }
        }
    }
    Ok(names)
}
