//! The imperative shell: reads clusters from EMR, metric history from
//! CloudWatch and owning stacks from CloudFormation, and terminates
//! clusters or deletes stacks. Every AWS failure is returned, never
//! swallowed.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudformation::error::ProvideErrorMetadata as _;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_emr::types::{AutoTerminationPolicy, ClusterState, StepState as EmrStepState};

use watchkeeper_shared::publisher::PublishError;

use crate::config::{CLUSTER_DIMENSION, MetricMode};
use crate::decide::{ClusterFacts, ExistingPolicy, OwningStack, StepInfo, StepState, Window};
use crate::failure::AwsFailure;
use crate::words::count;

/// CloudWatch takes at most this many queries in one GetMetricData call.
pub const METRIC_QUERIES_PER_CALL: usize = 500;
/// The CloudFormation resource type of an EMR cluster.
pub const EMR_CLUSTER_RESOURCE_TYPE: &str = "AWS::EMR::Cluster";

/// Every failure names the operation and the resource, and quotes the
/// service's answer once ([`AwsFailure`]); the SDK error is its source.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Idempotency(#[from] watchkeeper_shared::idempotency::GuardError),
    /// Hub mode: the member account's spoke role could not be assumed.
    #[error(transparent)]
    Reach(#[from] watchkeeper_shared::reach::ReachError),
    #[error("EMR ListClusters ({}) failed: {failure}", states_text(.states))]
    ListClusters {
        states: Vec<String>,
        #[source]
        failure: AwsFailure,
    },
    #[error("EMR GetAutoTerminationPolicy for cluster {cluster_id} failed: {failure}")]
    GetAutoTerminationPolicy {
        cluster_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error(
        "EMR PutAutoTerminationPolicy (idle timeout {idle_timeout_seconds} s) for cluster {cluster_id} failed: {failure}"
    )]
    PutAutoTerminationPolicy {
        cluster_id: String,
        idle_timeout_seconds: u32,
        #[source]
        failure: AwsFailure,
    },
    #[error("CloudWatch GetMetricData for {} failed: {failure}", count(.cluster_count, "cluster", "clusters"))]
    GetMetricData {
        cluster_count: usize,
        #[source]
        failure: AwsFailure,
    },
    #[error("EMR DescribeCluster for cluster {cluster_id} failed: {failure}")]
    DescribeCluster {
        cluster_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error("EMR ListSteps for cluster {cluster_id} failed: {failure}")]
    ListSteps {
        cluster_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error(
        "CloudFormation DescribeStackResources for the stack owning cluster {cluster_id} failed: {failure}"
    )]
    FindStack {
        cluster_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error("CloudFormation DescribeStacks for stack {stack_id} failed: {failure}")]
    DescribeStack {
        stack_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error("EMR TerminateJobFlows for cluster {cluster_id} failed: {failure}")]
    Terminate {
        cluster_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error("CloudFormation DeleteStack for stack {stack_name} ({stack_id}) failed: {failure}")]
    DeleteStack {
        stack_name: String,
        stack_id: String,
        #[source]
        failure: AwsFailure,
    },
    #[error(transparent)]
    Publish(#[from] PublishError),
}

fn states_text(states: &[String]) -> String {
    match states {
        [state] => format!("state {state}"),
        states => format!("states {}", states.join(", ")),
    }
}

/// A cluster ListClusters returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSummary {
    pub id: String,
    pub name: String,
    /// EMR's state name, e.g. `WAITING`.
    pub state: String,
}

impl ClusterSummary {
    pub fn is_waiting(&self) -> bool {
        self.state.eq_ignore_ascii_case(crate::decide::WAITING)
    }
}

/// Every cluster in one of `states`, across all pages, with one paginated
/// ListClusters call whatever the number of states.
pub async fn list_clusters(
    emr: &aws_sdk_emr::Client,
    states: &[ClusterState],
) -> Result<Vec<ClusterSummary>, ActError> {
    let mut clusters = Vec::new();
    let mut pages = emr
        .list_clusters()
        .set_cluster_states(Some(states.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListClusters {
            states: states
                .iter()
                .map(|state| state.as_str().to_owned())
                .collect(),
            failure: AwsFailure::from_sdk(error),
        })?;
        clusters.extend(page.clusters().iter().filter_map(|cluster| {
            Some(ClusterSummary {
                id: cluster.id()?.to_owned(),
                name: cluster.name().unwrap_or_default().to_owned(),
                state: cluster
                    .status()
                    .and_then(|status| status.state())
                    .map(|state| state.as_str().to_owned())
                    .unwrap_or_default(),
            })
        }));
    }
    Ok(clusters)
}

/// The cluster's auto-termination policy, or `None` when it has none
/// (EMR then answers without one).
pub async fn get_auto_termination_policy(
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
) -> Result<Option<ExistingPolicy>, ActError> {
    let output = emr
        .get_auto_termination_policy()
        .cluster_id(cluster_id)
        .send()
        .await
        .map_err(|error| ActError::GetAutoTerminationPolicy {
            cluster_id: cluster_id.to_owned(),
            failure: AwsFailure::from_sdk(error),
        })?;
    Ok(output
        .auto_termination_policy()
        .map(|policy| ExistingPolicy {
            idle_timeout_seconds: policy.idle_timeout(),
        }))
}

/// Attaches (or replaces) the cluster's auto-termination policy.
pub async fn put_auto_termination_policy(
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
    idle_timeout_seconds: u32,
) -> Result<(), ActError> {
    emr.put_auto_termination_policy()
        .cluster_id(cluster_id)
        .auto_termination_policy(
            AutoTerminationPolicy::builder()
                .idle_timeout(i64::from(idle_timeout_seconds))
                .build(),
        )
        .send()
        .await
        .map_err(|error| ActError::PutAutoTerminationPolicy {
            cluster_id: cluster_id.to_owned(),
            idle_timeout_seconds,
            failure: AwsFailure::from_sdk(error),
        })?;
    Ok(())
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
                    failure: AwsFailure::from_sdk(error),
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
                failure: AwsFailure::from_sdk(error),
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
                failure: AwsFailure::from_sdk(error),
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
            failure: AwsFailure::from_sdk(error),
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

/// The step states that mean work is waiting for, or running on, a cluster.
pub const UNFINISHED_STEP_STATES: [EmrStepState; 3] = [
    EmrStepState::Pending,
    EmrStepState::CancelPending,
    EmrStepState::Running,
];

/// The cluster's steps that have not finished (PENDING, CANCEL_PENDING or
/// RUNNING), across all pages, newest first as EMR lists them. A failure is
/// an error, never "no steps".
pub async fn list_unfinished_steps(
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
) -> Result<Vec<StepInfo>, ActError> {
    let mut steps = Vec::new();
    let mut pages = emr
        .list_steps()
        .cluster_id(cluster_id)
        .set_step_states(Some(UNFINISHED_STEP_STATES.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ActError::ListSteps {
            cluster_id: cluster_id.to_owned(),
            failure: AwsFailure::from_sdk(error),
        })?;
        steps.extend(page.steps().iter().map(|step| {
            StepInfo {
                id: step.id().unwrap_or_default().to_owned(),
                name: step.name().unwrap_or_default().to_owned(),
                // A step without a state is taken as unfinished: doubt spares.
                state: step
                    .status()
                    .and_then(|status| status.state())
                    .map_or(StepState::Other(String::new()), |state| {
                        StepState::from_emr(state.as_str())
                    }),
            }
        }));
    }
    Ok(steps)
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
            failure: AwsFailure::from_sdk(error),
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
            failure: AwsFailure::from_sdk(error),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_emr::config::http::HttpResponse;
    use aws_sdk_emr::error::{ErrorMetadata, SdkError};
    use aws_sdk_emr::operation::terminate_job_flows::TerminateJobFlowsError;
    use aws_smithy_types::body::SdkBody;

    fn throttled() -> AwsFailure {
        let error: SdkError<TerminateJobFlowsError, HttpResponse> = SdkError::service_error(
            TerminateJobFlowsError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            ),
            HttpResponse::new(400.try_into().unwrap(), SdkBody::empty()),
        );
        AwsFailure::from_sdk(error)
    }

    /// Each error names the operation and the resource, and quotes the
    /// service's code and message once.
    #[test]
    fn errors_name_the_operation_and_resource_and_quote_the_service_once() {
        let cluster_id = || "j-123".to_owned();
        let cases = [
            (
                ActError::Terminate {
                    cluster_id: cluster_id(),
                    failure: throttled(),
                },
                "EMR TerminateJobFlows for cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::ListSteps {
                    cluster_id: cluster_id(),
                    failure: throttled(),
                },
                "EMR ListSteps for cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::DescribeCluster {
                    cluster_id: cluster_id(),
                    failure: throttled(),
                },
                "EMR DescribeCluster for cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::ListClusters {
                    states: vec!["WAITING".into()],
                    failure: throttled(),
                },
                "EMR ListClusters (state WAITING) failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::ListClusters {
                    states: vec!["WAITING".into(), "RUNNING".into()],
                    failure: throttled(),
                },
                "EMR ListClusters (states WAITING, RUNNING) failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::GetAutoTerminationPolicy {
                    cluster_id: cluster_id(),
                    failure: throttled(),
                },
                "EMR GetAutoTerminationPolicy for cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::PutAutoTerminationPolicy {
                    cluster_id: cluster_id(),
                    idle_timeout_seconds: 3600,
                    failure: throttled(),
                },
                "EMR PutAutoTerminationPolicy (idle timeout 3600 s) for cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::GetMetricData {
                    cluster_count: 1,
                    failure: throttled(),
                },
                "CloudWatch GetMetricData for 1 cluster failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::GetMetricData {
                    cluster_count: 500,
                    failure: throttled(),
                },
                "CloudWatch GetMetricData for 500 clusters failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::FindStack {
                    cluster_id: cluster_id(),
                    failure: throttled(),
                },
                "CloudFormation DescribeStackResources for the stack owning cluster j-123 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::DescribeStack {
                    stack_id: "arn:aws:cloudformation:eu-west-1:1:stack/emr/1".into(),
                    failure: throttled(),
                },
                "CloudFormation DescribeStacks for stack arn:aws:cloudformation:eu-west-1:1:stack/emr/1 failed: ThrottlingException: Rate exceeded",
            ),
            (
                ActError::DeleteStack {
                    stack_name: "emr".into(),
                    stack_id: "arn:aws:cloudformation:eu-west-1:1:stack/emr/1".into(),
                    failure: throttled(),
                },
                "CloudFormation DeleteStack for stack emr (arn:aws:cloudformation:eu-west-1:1:stack/emr/1) failed: ThrottlingException: Rate exceeded",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
            let source = std::error::Error::source(&error).expect("the failure is chained");
            assert_eq!(source.to_string(), "ThrottlingException: Rate exceeded");
        }
    }
}
