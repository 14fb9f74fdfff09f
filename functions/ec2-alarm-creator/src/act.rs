//! The imperative shell: reads the instance from EC2 and puts and deletes
//! alarms in CloudWatch. Every AWS failure is returned, never swallowed.

use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, DimensionFilter, Metric, MetricAlarm, MetricDataQuery,
    StandardUnit, Statistic, Tag,
};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::Filter;
use std::collections::{BTreeMap, BTreeSet};
use tracing::info;

use watchkeeper_shared::events::ec2::InstanceState;

use crate::config::{InstanceFilter, TagMatch};
use crate::decide::{
    AlarmShape, AlarmSpec, BAND_ID, BAND_METRIC_ID, InstanceFacts, Lookup, MetricKey, MetricShape,
    Plan, Series,
};
use crate::definitions::INSTANCE_ID_DIMENSION;

/// CloudWatch deletes at most this many alarms per call.
pub const DELETE_BATCH_SIZE: usize = 100;
/// The most instances one `DescribeInstances` page lists.
pub const INSTANCES_PER_PAGE: i32 = 1000;
/// The most values one EC2 filter takes.
pub const FILTER_VALUES: usize = 200;

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
    #[error("CloudWatch ListMetrics for {namespace}/{metric}{} failed: {}", .instance_id.as_deref().map(|id| format!(" of {id}")).unwrap_or_default(), DisplayErrorContext(.source))]
    ListMetrics {
        namespace: String,
        metric: String,
        instance_id: Option<String>,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
    #[error("CloudWatch {operation} on alarm {alarm_name} failed: {}", DisplayErrorContext(.source))]
    TagAlarm {
        operation: &'static str,
        alarm_name: String,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
    #[error("EC2 DescribeInstances ({what}) failed: {}", DisplayErrorContext(.source))]
    ListInstances {
        what: String,
        source: Box<aws_sdk_ec2::Error>,
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
    /// Ids of the alarms waiting for their series to be published (the
    /// next sweep makes them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<String>,
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
    Ok(Lookup::Listed(facts_of(instance, instance_id, tags)))
}

/// What the decisions read of an instance EC2 listed, with its `tags`.
fn facts_of(
    instance: &aws_sdk_ec2::types::Instance,
    instance_id: &str,
    tags: BTreeMap<String, String>,
) -> InstanceFacts {
    InstanceFacts {
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
    }
}

/// Every tag of the instance, through all of `DescribeTags`' pages. A page
/// without a tag list has no tags on it: that is how the protocol writes
/// an empty list, and this is the answer to "which tags", not a partial view.
async fn describe_tags(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
) -> Result<BTreeMap<String, String>, ActError> {
    let mut found = describe_tags_of(ec2, &[instance_id.to_owned()]).await?;
    Ok(found.remove(instance_id).unwrap_or_default())
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
/// deletes every other alarm under the instance's prefix. PutMetricAlarm
/// sets tags only when it creates an alarm, so with `propagate_tag_keys`
/// each alarm gets its tags again with TagResource, and those of the keys
/// the instance no longer has removed with UntagResource.
pub async fn apply_plan(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    plan: &Plan,
    prefix: &str,
    propagate_tag_keys: &[String],
) -> Result<Outcome, ActError> {
    let mut outcome = Outcome::default();
    for alarm in &plan.alarms {
        put_alarm(cloudwatch, alarm).await?;
        outcome.alarms_put.push(alarm.name.clone());
    }
    let existing = list_alarms(cloudwatch, prefix).await?;
    if !propagate_tag_keys.is_empty() {
        for alarm in &plan.alarms {
            if let Some(arn) = existing
                .iter()
                .find(|found| found.alarm_name() == Some(alarm.name.as_str()))
                .and_then(MetricAlarm::alarm_arn)
            {
                retag_alarm(cloudwatch, alarm, arn, propagate_tag_keys).await?;
            }
        }
    }
    let wanted: BTreeSet<&str> = plan
        .alarms
        .iter()
        .map(|alarm| alarm.name.as_str())
        .collect();
    let stale: Vec<String> = names_of(&existing, prefix)?
        .into_iter()
        .filter(|name| !wanted.contains(name.as_str()))
        .collect();
    outcome.alarms_deleted = delete_alarms(cloudwatch, &stale).await?;
    Ok(outcome)
}

/// Deletes `names` in batches of [`DELETE_BATCH_SIZE`], returning them.
pub async fn delete_alarms(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    names: &[String],
) -> Result<Vec<String>, ActError> {
    let mut deleted = Vec::new();
    for batch in names.chunks(DELETE_BATCH_SIZE) {
        cloudwatch
            .delete_alarms()
            .set_alarm_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|error| ActError::DeleteAlarms {
                alarm_names: batch.to_vec(),
                source: Box::new(error.into()),
            })?;
        deleted.extend_from_slice(batch);
    }
    Ok(deleted)
}

/// An existing alarm's tags made the plan's: TagResource with every tag,
/// UntagResource for the propagated keys the instance no longer has.
async fn retag_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    alarm: &AlarmSpec,
    arn: &str,
    propagate_tag_keys: &[String],
) -> Result<(), ActError> {
    let failed = |operation, source: aws_sdk_cloudwatch::Error| ActError::TagAlarm {
        operation,
        alarm_name: alarm.name.clone(),
        source: Box::new(source),
    };
    cloudwatch
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags_of(alarm)))
        .send()
        .await
        .map_err(|error| failed("TagResource", error.into()))?;
    let gone: Vec<String> = propagate_tag_keys
        .iter()
        .filter(|key| !alarm.tags.iter().any(|(have, _)| have == *key))
        .cloned()
        .collect();
    if !gone.is_empty() {
        cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .map_err(|error| failed("UntagResource", error.into()))?;
    }
    Ok(())
}

fn tags_of(alarm: &AlarmSpec) -> Vec<Tag> {
    alarm
        .tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

pub async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    alarm: &AlarmSpec,
) -> Result<(), ActError> {
    let dimensions: Vec<Dimension> = alarm
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let request = cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .alarm_description(&alarm.description)
        .evaluation_periods(alarm.evaluation_periods)
        .datapoints_to_alarm(alarm.datapoints_to_alarm)
        .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
        .treat_missing_data(&alarm.treat_missing_data)
        .actions_enabled(true)
        .alarm_actions(&alarm.action_topic_arn)
        .ok_actions(&alarm.action_topic_arn)
        .set_tags(Some(tags_of(alarm)));
    let request = match alarm.band_expression() {
        // A static threshold on one metric.
        None => request
            .namespace(&alarm.namespace)
            .metric_name(&alarm.metric_name)
            .statistic(Statistic::from(alarm.statistic.as_str()))
            .set_unit(alarm.unit.as_deref().map(StandardUnit::from))
            .set_dimensions(Some(dimensions))
            .period(alarm.period)
            .threshold(alarm.threshold),
        // Metric math: the metric, and its anomaly band as the threshold.
        Some(expression) => request
            .metrics(
                MetricDataQuery::builder()
                    .id(BAND_METRIC_ID)
                    .metric_stat(
                        aws_sdk_cloudwatch::types::MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace(&alarm.namespace)
                                    .metric_name(&alarm.metric_name)
                                    .set_dimensions(Some(dimensions))
                                    .build(),
                            )
                            .period(alarm.period)
                            .stat(&alarm.statistic)
                            .build(),
                    )
                    .return_data(true)
                    .build(),
            )
            .metrics(
                MetricDataQuery::builder()
                    .id(BAND_ID)
                    .expression(expression)
                    .label(format!("{} (expected)", alarm.metric_name))
                    .return_data(true)
                    .build(),
            )
            .threshold_metric_id(BAND_ID),
    };
    request.send().await.map_err(|error| ActError::PutAlarm {
        alarm_name: alarm.name.clone(),
        source: Box::new(error.into()),
    })?;
    Ok(())
}

/// Every metric alarm whose name starts with `prefix`, across all pages.
pub async fn list_alarms(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    prefix: &str,
) -> Result<Vec<MetricAlarm>, ActError> {
    let mut alarms = Vec::new();
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
        alarms.extend(page.metric_alarms().iter().cloned());
    }
    Ok(alarms)
}

/// The names of `alarms` that start with `prefix`. CloudWatch filters by
/// the prefix already; this keeps a misbehaving answer from deleting
/// another instance's alarms. An alarm without a name fails.
fn names_of(alarms: &[MetricAlarm], prefix: &str) -> Result<Vec<String>, ActError> {
    let mut names = Vec::new();
    for alarm in alarms {
        let name = alarm_name_of(alarm, prefix)?;
        if name.starts_with(prefix) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

fn alarm_name_of<'a>(alarm: &'a MetricAlarm, prefix: &str) -> Result<&'a str, ActError> {
    alarm
        .alarm_name()
        .ok_or_else(|| ActError::IncompleteAnswer {
            operation: "CloudWatch DescribeAlarms",
            resource: format!("prefix {prefix}"),
            item: "an alarm",
            field: "name",
        })
}

/// Every alarm under `prefix` as the sweep compares it with its plan.
pub async fn list_alarm_shapes(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    prefix: &str,
) -> Result<Vec<AlarmShape>, ActError> {
    let alarms = list_alarms(cloudwatch, prefix).await?;
    let mut shapes = Vec::new();
    for alarm in &alarms {
        let name = alarm_name_of(alarm, prefix)?;
        if name.starts_with(prefix) {
            shapes.push(shape_of(name, alarm));
        }
    }
    Ok(shapes)
}

fn sorted_dimensions(dimensions: &[Dimension]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = dimensions
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn shape_of(name: &str, alarm: &MetricAlarm) -> AlarmShape {
    let metric = match alarm.threshold_metric_id() {
        None => MetricShape::Static {
            namespace: alarm.namespace().map(str::to_owned),
            metric_name: alarm.metric_name().map(str::to_owned),
            statistic: alarm.statistic().map(|s| s.as_str().to_owned()),
            unit: alarm.unit().map(|u| u.as_str().to_owned()),
            dimensions: sorted_dimensions(alarm.dimensions()),
            period: alarm.period(),
            threshold: alarm.threshold(),
        },
        Some(threshold_metric_id) => {
            let watched = alarm
                .metrics()
                .iter()
                .find(|query| query.id() == Some(BAND_METRIC_ID))
                .and_then(|query| query.metric_stat());
            let metric = watched.and_then(|stat| stat.metric());
            MetricShape::Band {
                namespace: metric.and_then(Metric::namespace).map(str::to_owned),
                metric_name: metric.and_then(Metric::metric_name).map(str::to_owned),
                statistic: watched.and_then(|stat| stat.stat()).map(str::to_owned),
                dimensions: sorted_dimensions(metric.map(Metric::dimensions).unwrap_or_default()),
                period: watched.and_then(|stat| stat.period()),
                expression: alarm
                    .metrics()
                    .iter()
                    .find(|query| query.id() == Some(threshold_metric_id))
                    .and_then(MetricDataQuery::expression)
                    .map(str::to_owned),
                threshold_metric_id: Some(threshold_metric_id.to_owned()),
            }
        }
    };
    AlarmShape {
        name: name.to_owned(),
        description: alarm.alarm_description().map(str::to_owned),
        metric,
        evaluation_periods: alarm.evaluation_periods(),
        datapoints_to_alarm: alarm.datapoints_to_alarm(),
        comparison: alarm.comparison_operator().map(|c| c.as_str().to_owned()),
        treat_missing_data: alarm.treat_missing_data().map(str::to_owned),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
        actions_enabled: alarm.actions_enabled(),
    }
}

/// The series of `key` that CloudWatch lists (every page), of one instance
/// (`ListMetrics` filtered by `InstanceId`) or of every instance.
pub async fn list_series(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    key: &MetricKey,
    instance_id: Option<&str>,
) -> Result<Vec<Series>, ActError> {
    let mut request = cloudwatch
        .list_metrics()
        .namespace(&key.namespace)
        .metric_name(&key.metric);
    if let Some(id) = instance_id {
        request = request.dimensions(
            DimensionFilter::builder()
                .name(INSTANCE_ID_DIMENSION)
                .value(id)
                .build(),
        );
    }
    let mut pages = request.into_paginator().send();
    let mut series = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListMetrics {
            namespace: key.namespace.clone(),
            metric: key.metric.clone(),
            instance_id: instance_id.map(str::to_owned),
            source: Box::new(error.into()),
        })?;
        for metric in page.metrics() {
            let mut dimensions = Series::new();
            for dimension in metric.dimensions() {
                let (Some(name), Some(value)) = (dimension.name(), dimension.value()) else {
                    return Err(ActError::IncompleteAnswer {
                        operation: "CloudWatch ListMetrics",
                        resource: format!("{}/{}", key.namespace, key.metric),
                        item: "a dimension",
                        field: "name or value",
                    });
                };
                dimensions.insert(name.to_owned(), value.to_owned());
            }
            series.push(dimensions);
        }
    }
    Ok(series)
}

/// EC2's filters for the instances the sweep looks at: running ones, and
/// in opt-in mode only those with the tag (opt-out is decided per instance).
fn sweep_filters(filter: &InstanceFilter) -> Vec<Filter> {
    let mut filters = vec![
        Filter::builder()
            .name("instance-state-name")
            .values("running")
            .build(),
    ];
    if let InstanceFilter::OptIn(TagMatch { key, value }) = filter {
        filters.push(match value {
            Some(value) => Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build(),
            None => Filter::builder().name("tag-key").values(key).build(),
        });
    }
    filters
}

/// Every running instance (in opt-in mode, with the tag), through every
/// `DescribeInstances` page; the tags of those listed without a tag set
/// read with `DescribeTags`, one call per page of up to 200.
pub async fn list_running_instances(
    ec2: &aws_sdk_ec2::Client,
    filter: &InstanceFilter,
) -> Result<Vec<InstanceFacts>, ActError> {
    let mut pages = ec2
        .describe_instances()
        .set_filters(Some(sweep_filters(filter)))
        .max_results(INSTANCES_PER_PAGE)
        .into_paginator()
        .send();
    let mut instances = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListInstances {
            what: "running instances".to_owned(),
            source: Box::new(error.into()),
        })?;
        instances.extend(facts_of_page(ec2, &page).await?);
    }
    Ok(instances)
}

/// The instances among `ids` EC2 lists (filtered by `instance-id`, 200 at
/// a time, so an id EC2 no longer knows is simply absent), whatever their state.
pub async fn look_up_instances(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<Vec<InstanceFacts>, ActError> {
    let mut instances = Vec::new();
    for batch in ids.chunks(FILTER_VALUES) {
        let mut pages = ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("instance-id")
                    .set_values(Some(batch.to_vec()))
                    .build(),
            )
            .max_results(INSTANCES_PER_PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| ActError::ListInstances {
                what: format!("instances {}", batch.join(", ")),
                source: Box::new(error.into()),
            })?;
            instances.extend(facts_of_page(ec2, &page).await?);
        }
    }
    Ok(instances)
}

async fn facts_of_page(
    ec2: &aws_sdk_ec2::Client,
    page: &aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput,
) -> Result<Vec<InstanceFacts>, ActError> {
    let mut listed = Vec::new();
    let mut untagged = Vec::new();
    for instance in page
        .reservations()
        .iter()
        .flat_map(|reservation| reservation.instances())
    {
        let instance_id = instance
            .instance_id()
            .ok_or_else(|| ActError::IncompleteAnswer {
                operation: "EC2 DescribeInstances",
                resource: "the sweep's page".to_owned(),
                item: "an instance",
                field: "instance id",
            })?;
        let tags = match &instance.tags {
            Some(tags) => tags
                .iter()
                .map(|tag| tag_pair(tag.key(), tag.value(), "EC2 DescribeInstances", instance_id))
                .collect::<Result<_, _>>()?,
            None => {
                untagged.push(instance_id.to_owned());
                BTreeMap::new()
            }
        };
        listed.push(facts_of(instance, instance_id, tags));
    }
    if !untagged.is_empty() {
        let tags = describe_tags_of(ec2, &untagged).await?;
        for instance in &mut listed {
            if let Some(found) = tags.get(&instance.instance_id) {
                instance.tags = found.clone();
            }
        }
    }
    Ok(listed)
}

/// The tags of several instances with `DescribeTags`, 200 ids a call,
/// through all of its pages (an instance with no tags is absent).
async fn describe_tags_of(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ActError> {
    let mut found: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for batch in ids.chunks(FILTER_VALUES) {
        let mut pages = ec2
            .describe_tags()
            .filters(
                Filter::builder()
                    .name("resource-id")
                    .set_values(Some(batch.to_vec()))
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| ActError::DescribeTags {
                instance_id: batch.join(", "),
                source: Box::new(error.into()),
            })?;
            for tag in page.tags() {
                let Some(id) = tag.resource_id() else {
                    continue;
                };
                let (key, value) = tag_pair(tag.key(), tag.value(), "EC2 DescribeTags", id)?;
                found.entry(id.to_owned()).or_default().insert(key, value);
            }
        }
    }
    Ok(found)
}

/// The names of every metric alarm whose name starts with `prefix`.
pub async fn list_alarm_names(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    prefix: &str,
) -> Result<Vec<String>, ActError> {
    names_of(&list_alarms(cloudwatch, prefix).await?, prefix)
}
