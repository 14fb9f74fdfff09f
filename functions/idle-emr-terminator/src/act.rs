//! The imperative shell: reads clusters from EMR, metric history from
//! CloudWatch and owning stacks from CloudFormation, and terminates
//! clusters or deletes stacks. Every AWS failure is returned, never
//! swallowed.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudformation::error::ProvideErrorMetadata as _;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_emr::error::DisplayErrorContext;
use aws_sdk_emr::types::ClusterState;

use watchkeeper_shared::publisher::PublishError;

use crate::config::{CLUSTER_DIMENSION, MetricMode};
use crate::decide::{ClusterFacts, OwningStack, Window};

/// CloudWatch takes at most this many queries in one GetMetricData call.
pub const METRIC_QUERIES_PER_CALL: usize = 500;
/// The CloudFormation resource type of an EMR cluster.
pub const EMR_CLUSTER_RESOURCE_TYPE: &str = "AWS::EMR::Cluster";

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Idempotency(#[from] watchkeeper_shared::idempotency::GuardError),
    #[error("EMR ListClusters (state WAITING) failed: {}", DisplayErrorContext(.source))]
    ListClusters { source: Box<aws_sdk_emr::Error> },
    #[error("CloudWatch GetMetricData for {cluster_count} clusters failed: {}", aws_sdk_cloudwatch::error::DisplayErrorContext(.source))]
    GetMetricData {
        cluster_count: usize,
        source: Box<aws_sdk_cloudwatch::Error>,
    },
    #[error("EMR DescribeCluster for {cluster_id} failed: {}", DisplayErrorContext(.source))]
    DescribeCluster {
        cluster_id: String,
        source: Box<aws_sdk_emr::Error>,
    },
    #[error("CloudFormation DescribeStackResources for physical id {cluster_id} failed: {}", aws_sdk_cloudformation::error::DisplayErrorContext(.source))]
    FindStack {
        cluster_id: String,
        source: Box<aws_sdk_cloudformation::Error>,
    },
    #[error("CloudFormation DescribeStacks for {stack_id} failed: {}", aws_sdk_cloudformation::error::DisplayErrorContext(.source))]
    DescribeStack {
        stack_id: String,
        source: Box<aws_sdk_cloudformation::Error>,
    },
    #[error("EMR TerminateJobFlows for {cluster_id} failed: {}", DisplayErrorContext(.source))]
    Terminate {
        cluster_id: String,
        source: Box<aws_sdk_emr::Error>,
    },
    #[error("CloudFormation DeleteStack for {stack_name} ({stack_id}) failed: {}", aws_sdk_cloudformation::error::DisplayErrorContext(.source))]
    DeleteStack {
        stack_name: String,
        stack_id: String,
        source: Box<aws_sdk_cloudformation::Error>,
    },
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("the notice kept in idempotency record {key} is unreadable: {problem}")]
    PendingNotice { key: String, problem: String },
}

/// A cluster ListClusters returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
}

/// Every WAITING cluster, across all pages.
pub async fn list_waiting_clusters(
    emr: &aws_sdk_emr::Client,
) -> Result<Vec<ClusterSummary>, ActError> {
    let mut clusters = Vec::new();
    let mut pages = emr
        .list_clusters()
        .cluster_states(ClusterState::Waiting)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListClusters {
            source: Box::new(error.into()),
        })?;
        clusters.extend(page.clusters().iter().filter_map(|cluster| {
            Some(ClusterSummary {
                id: cluster.id()?.to_owned(),
                name: cluster.name().unwrap_or_default().to_owned(),
            })
        }));
    }
    Ok(clusters)
}

/// Each cluster's datapoints `(period start, value)` over the window, with
/// one GetMetricData call per 500 clusters (more only if CloudWatch pages).
pub async fn fetch_datapoints(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    metric: &MetricMode,
    window: &Window,
    cluster_ids: &[String],
) -> Result<HashMap<String, Vec<(i64, f64)>>, ActError> {
    let mut datapoints: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
    let period = i32::try_from(window.period).unwrap_or(i32::MAX);
    for batch in cluster_ids.chunks(METRIC_QUERIES_PER_CALL) {
        // Query ids must start with a lower-case letter; cluster ids do not.
        let queries: Vec<MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(index, cluster_id)| {
                MetricDataQuery::builder()
                    .id(format!("c{index}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace(metric.namespace())
                                    .metric_name(metric.metric_name())
                                    .dimensions(
                                        Dimension::builder()
                                            .name(CLUSTER_DIMENSION)
                                            .value(cluster_id)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .period(period)
                            .stat(metric.statistic())
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut next_token: Option<String> = None;
        loop {
            let output = cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_secs(window.start))
                .end_time(DateTime::from_secs(window.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|error| ActError::GetMetricData {
                    cluster_count: batch.len(),
                    source: Box::new(error.into()),
                })?;
            for result in output.metric_data_results() {
                let Some(cluster_id) = result
                    .id()
                    .and_then(|id| id.strip_prefix('c'))
                    .and_then(|index| index.parse::<usize>().ok())
                    .and_then(|index| batch.get(index))
                else {
                    continue;
                };
                let series = datapoints.entry(cluster_id.clone()).or_default();
                series.extend(
                    result
                        .timestamps()
                        .iter()
                        .map(DateTime::secs)
                        .zip(result.values().iter().copied()),
                );
            }
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
    }
    Ok(datapoints)
}

/// The cluster as EMR sees it now, or `None` when EMR does not know it.
pub async fn describe_cluster(
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
) -> Result<Option<ClusterFacts>, ActError> {
    let output = match emr.describe_cluster().cluster_id(cluster_id).send().await {
        Ok(output) => output,
        Err(error) if is_unknown_cluster(&error) => return Ok(None),
        Err(error) => {
            return Err(ActError::DescribeCluster {
                cluster_id: cluster_id.to_owned(),
                source: Box::new(error.into()),
            });
        }
    };
    let Some(cluster) = output.cluster() else {
        return Ok(None);
    };
    let status = cluster.status();
    Ok(Some(ClusterFacts {
        id: cluster.id().unwrap_or(cluster_id).to_owned(),
        name: cluster.name().unwrap_or_default().to_owned(),
        state: status
            .and_then(|status| status.state())
            .map(|state| state.as_str().to_owned())
            .unwrap_or_default(),
        termination_protected: cluster.termination_protected().unwrap_or(false),
        tags: cluster
            .tags()
            .iter()
            .filter_map(|tag| {
                Some((
                    tag.key()?.to_owned(),
                    tag.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect::<BTreeMap<_, _>>(),
        created_at: status
            .and_then(|status| status.timeline())
            .and_then(|timeline| timeline.creation_date_time())
            .map(|created| created.secs()),
        release_label: cluster.release_label().map(str::to_owned),
        normalized_instance_hours: cluster.normalized_instance_hours(),
    }))
}

/// EMR answers an unknown id with `InvalidRequestException` "Cluster id
/// '...' is not valid."; other invalid requests stay errors.
fn is_unknown_cluster(
    error: &aws_sdk_emr::error::SdkError<
        aws_sdk_emr::operation::describe_cluster::DescribeClusterError,
    >,
) -> bool {
    use aws_sdk_emr::error::ProvideErrorMetadata;
    error.code() == Some("InvalidRequestException")
        && error
            .message()
            .is_some_and(|message| message.contains("is not valid"))
}

/// The stack that owns the cluster: DescribeStackResources by physical id
/// finds it in one call, then DescribeStacks reads its status and role.
pub async fn find_owning_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    cluster_id: &str,
) -> Result<Option<OwningStack>, ActError> {
    let resources = match cloudformation
        .describe_stack_resources()
        .physical_resource_id(cluster_id)
        .send()
        .await
    {
        Ok(output) => output,
        // CloudFormation's answer when no stack owns the resource.
        Err(error)
            if error.code() == Some("ValidationError")
                && error
                    .message()
                    .is_some_and(|message| message.contains("does not exist")) =>
        {
            return Ok(None);
        }
        Err(error) => {
            return Err(ActError::FindStack {
                cluster_id: cluster_id.to_owned(),
                source: Box::new(error.into()),
            });
        }
    };
    // Only a stack whose EMR cluster resource is this very cluster owns it.
    let Some(stack_id) = resources
        .stack_resources()
        .iter()
        .find(|resource| {
            resource.physical_resource_id() == Some(cluster_id)
                && resource.resource_type() == Some(EMR_CLUSTER_RESOURCE_TYPE)
        })
        .and_then(|resource| resource.stack_id())
    else {
        return Ok(None);
    };
    let stacks = cloudformation
        .describe_stacks()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|error| ActError::DescribeStack {
            stack_id: stack_id.to_owned(),
            source: Box::new(error.into()),
        })?;
    Ok(stacks
        .stacks()
        .iter()
        .find(|stack| stack.stack_id() == Some(stack_id))
        .map(|stack| OwningStack {
            stack_id: stack_id.to_owned(),
            stack_name: stack.stack_name().unwrap_or_default().to_owned(),
            status: stack
                .stack_status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            service_role_arn: stack.role_arn().map(str::to_owned),
            termination_protected: stack.enable_termination_protection().unwrap_or(false),
            parent_id: stack.parent_id().map(str::to_owned),
        }))
}

pub async fn terminate_cluster(
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
) -> Result<(), ActError> {
    emr.terminate_job_flows()
        .job_flow_ids(cluster_id)
        .send()
        .await
        .map_err(|error| ActError::Terminate {
            cluster_id: cluster_id.to_owned(),
            source: Box::new(error.into()),
        })?;
    Ok(())
}

pub async fn delete_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    stack_id: &str,
    stack_name: &str,
) -> Result<(), ActError> {
    cloudformation
        .delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|error| ActError::DeleteStack {
            stack_name: stack_name.to_owned(),
            stack_id: stack_id.to_owned(),
            source: Box::new(error.into()),
        })?;
    Ok(())
}
