//! EMR clusters, their CloudFormation stacks and their activity metrics in
//! the emulated account.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_emr::types::{HadoopJarStepConfig, JobFlowInstancesConfig, StepConfig, Tag};

use crate::Moto;

/// How a test cluster is set up.
#[derive(Debug, Clone, Default)]
pub struct ClusterSpec<'a> {
    pub name: &'a str,
    pub tags: &'a [(&'a str, &'a str)],
    pub termination_protected: bool,
    /// A step keeps the cluster RUNNING instead of WAITING.
    pub running_step: bool,
    /// The EMR release; `None`: emr-7.1.0.
    pub release_label: Option<&'a str>,
}

/// Starts a long-running cluster (KeepJobFlowAliveWhenNoSteps) and returns its id.
pub async fn run_cluster(sdk: &SdkConfig, spec: &ClusterSpec<'_>) -> String {
    let request = aws_sdk_emr::Client::new(sdk)
        .run_job_flow()
        .name(spec.name)
        .release_label(spec.release_label.unwrap_or("emr-7.1.0"))
        .job_flow_role("EMR_EC2_DefaultRole")
        .service_role("EMR_DefaultRole")
        .instances(
            JobFlowInstancesConfig::builder()
                .master_instance_type("m5.xlarge")
                .slave_instance_type("m5.xlarge")
                .instance_count(3)
                .keep_job_flow_alive_when_no_steps(true)
                .termination_protected(spec.termination_protected)
                .build(),
        )
        .set_tags(Some(
            spec.tags
                .iter()
                .map(|(key, value)| Tag::builder().key(*key).value(*value).build())
                .collect(),
        ));
    let cluster_id = request
        .send()
        .await
        .expect("RunJobFlow")
        .job_flow_id()
        .expect("cluster id")
        .to_owned();
    if spec.running_step {
        // Added after start, as moto only shows RUNNING for steps added to a live cluster.
        add_steps(sdk, &cluster_id, &["nightly-etl"]).await;
    }
    cluster_id
}

/// Submits steps to a cluster (AddJobFlowSteps) and returns their ids.
/// moto marks the first RUNNING, the others PENDING, and the cluster RUNNING.
pub async fn add_steps(sdk: &SdkConfig, cluster_id: &str, names: &[&str]) -> Vec<String> {
    aws_sdk_emr::Client::new(sdk)
        .add_job_flow_steps()
        .job_flow_id(cluster_id)
        .set_steps(Some(
            names
                .iter()
                .map(|name| {
                    StepConfig::builder()
                        .name(*name)
                        .hadoop_jar_step(
                            HadoopJarStepConfig::builder()
                                .jar("command-runner.jar")
                                .args("spark-submit")
                                .build(),
                        )
                        .build()
                })
                .collect(),
        ))
        .send()
        .await
        .expect("AddJobFlowSteps")
        .step_ids()
        .to_vec()
}

/// Submits one step per `(name, state)` and holds each in that EMR step
/// state (`PENDING`, `CANCEL_PENDING`, `RUNNING`, `COMPLETED`, ...) with the
/// cluster still `WAITING`: the moment after a step is submitted and before
/// EMR starts it, or after a long-running cluster's steps finished. moto
/// shows neither by itself (the test bed's `/_testbed/emr/steps`). Returns
/// the step ids in the order given.
pub async fn hold_steps_waiting(
    moto: &Moto,
    sdk: &SdkConfig,
    cluster_id: &str,
    steps: &[(&str, &str)],
) -> Vec<String> {
    let names: Vec<&str> = steps.iter().map(|(name, _)| *name).collect();
    let ids = add_steps(sdk, cluster_id, &names).await;
    let states: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .zip(steps)
        .map(|(id, (_, state))| (id.clone(), serde_json::Value::from(*state)))
        .collect();
    let body = serde_json::json!({
        "cluster_id": cluster_id,
        "cluster_state": "WAITING",
        "steps": states,
    });
    crate::http_request(moto.port, "POST", "/_testbed/emr/steps", &body.to_string()).await;
    ids
}

/// The idle timeout of the cluster's auto-termination policy, in seconds,
/// or `None` when it has none.
pub async fn auto_termination_idle_timeout(sdk: &SdkConfig, cluster_id: &str) -> Option<i64> {
    aws_sdk_emr::Client::new(sdk)
        .get_auto_termination_policy()
        .cluster_id(cluster_id)
        .send()
        .await
        .expect("GetAutoTerminationPolicy")
        .auto_termination_policy()
        .and_then(|policy| policy.idle_timeout())
}

/// Attaches an auto-termination policy to the cluster, as an operator would.
pub async fn attach_auto_termination_policy(sdk: &SdkConfig, cluster_id: &str, idle_timeout: i64) {
    aws_sdk_emr::Client::new(sdk)
        .put_auto_termination_policy()
        .cluster_id(cluster_id)
        .auto_termination_policy(
            aws_sdk_emr::types::AutoTerminationPolicy::builder()
                .idle_timeout(idle_timeout)
                .build(),
        )
        .send()
        .await
        .expect("PutAutoTerminationPolicy");
}

/// The cluster's state name, e.g. `WAITING` or `TERMINATED`.
pub async fn cluster_state(sdk: &SdkConfig, cluster_id: &str) -> String {
    aws_sdk_emr::Client::new(sdk)
        .describe_cluster()
        .cluster_id(cluster_id)
        .send()
        .await
        .expect("DescribeCluster")
        .cluster()
        .and_then(|cluster| cluster.status())
        .and_then(|status| status.state())
        .map(|state| state.as_str().to_owned())
        .unwrap_or_default()
}

/// Creates a stack holding one long-running `AWS::EMR::Cluster`, with a
/// CloudFormation service role when given; returns (stack id, cluster id).
pub async fn create_cluster_stack(
    sdk: &SdkConfig,
    stack_name: &str,
    cluster_name: &str,
    service_role_arn: Option<&str>,
) -> (String, String) {
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Cluster": {
                "Type": "AWS::EMR::Cluster",
                "Properties": {
                    "Name": cluster_name,
                    "ReleaseLabel": "emr-7.1.0",
                    "JobFlowRole": "EMR_EC2_DefaultRole",
                    "ServiceRole": "EMR_DefaultRole",
                    "Instances": {
                        "MasterInstanceGroup": {"InstanceCount": 1, "InstanceType": "m5.xlarge"},
                        "KeepJobFlowAliveWhenNoSteps": true,
                        "TerminationProtected": false
                    },
                    "Tags": [{"Key": "team", "Value": "analytics"}]
                }
            }
        }
    });
    let cloudformation = aws_sdk_cloudformation::Client::new(sdk);
    let stack_id = cloudformation
        .create_stack()
        .stack_name(stack_name)
        .template_body(template.to_string())
        .set_role_arn(service_role_arn.map(str::to_owned))
        .send()
        .await
        .expect("CreateStack")
        .stack_id()
        .expect("stack id")
        .to_owned();
    let cluster_id = cloudformation
        .describe_stack_resources()
        .stack_name(stack_name)
        .send()
        .await
        .expect("DescribeStackResources")
        .stack_resources()
        .iter()
        .find(|resource| resource.resource_type() == Some("AWS::EMR::Cluster"))
        .and_then(|resource| resource.physical_resource_id())
        .expect("the stack's cluster")
        .to_owned();
    (stack_id, cluster_id)
}

/// Whether a stack of that name exists and is not deleted.
pub async fn stack_exists(sdk: &SdkConfig, stack_name: &str) -> bool {
    match aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name(stack_name)
        .send()
        .await
    {
        Ok(output) => output.stacks().iter().any(|stack| {
            stack
                .stack_status()
                .is_some_and(|status| status.as_str() != "DELETE_COMPLETE")
        }),
        Err(_) => false,
    }
}

/// Writes one datapoint per minute for the last `minutes` minutes of the
/// cluster's activity metric; `value(minutes_ago)` gives each value, or
/// `None` for a gap.
pub async fn put_history(
    sdk: &SdkConfig,
    namespace: &str,
    metric_name: &str,
    cluster_id: &str,
    minutes: u64,
    value: impl Fn(u64) -> Option<f64>,
) {
    let now = SystemTime::now();
    let data: Vec<MetricDatum> = (0..=minutes)
        .filter_map(|minutes_ago| {
            let value = value(minutes_ago)?;
            Some(
                MetricDatum::builder()
                    .metric_name(metric_name)
                    .dimensions(
                        Dimension::builder()
                            .name("JobFlowId")
                            .value(cluster_id)
                            .build(),
                    )
                    .timestamp(DateTime::from(now - Duration::from_secs(minutes_ago * 60)))
                    .value(value)
                    .build(),
            )
        })
        .collect();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    for batch in data.chunks(500) {
        cloudwatch
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(batch.to_vec()))
            .send()
            .await
            .expect("PutMetricData");
    }
}
