//! One run: read the cluster id, observe, decide, publish, log.

use std::path::Path;
use std::time::SystemTime;

use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::checks::{self, Observation};
use crate::config::{CLUSTER_DIMENSION, Config};
use crate::decide::{self, Decision};

/// Settings and clients, built once per run.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub config: Config,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub emr: aws_sdk_emr::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read the cluster id from {path} (key `jobFlowId`): {problem}")]
    ClusterId { path: String, problem: String },
    #[error(
        "CloudWatch PutMetricData of {namespace} {metric_name} for {cluster_id} failed: {problem}"
    )]
    Publish {
        namespace: String,
        metric_name: String,
        cluster_id: String,
        problem: String,
    },
}

/// What one run saw and published; also logged as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub cluster_id: String,
    pub value: f64,
    pub reasons: Vec<String>,
    pub observations: Vec<Observation>,
}

#[derive(Debug, Deserialize)]
struct JobFlowInfo {
    #[serde(rename = "jobFlowId")]
    job_flow_id: String,
}

/// The cluster id from EMR's job-flow info file.
pub async fn read_cluster_id(path: &Path) -> Result<String, ReportError> {
    let failed = |problem: String| ReportError::ClusterId {
        path: path.display().to_string(),
        problem,
    };
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let info: JobFlowInfo =
        serde_json::from_str(&text).map_err(|error| failed(error.to_string()))?;
    let cluster_id = info.job_flow_id.trim();
    if !is_cluster_id(cluster_id) {
        return Err(failed(format!(
            "{cluster_id:?} is not an EMR cluster id (j-...)"
        )));
    }
    Ok(cluster_id.to_owned())
}

/// `j-` followed by EMR's upper-case letters and digits.
fn is_cluster_id(text: &str) -> bool {
    text.strip_prefix("j-").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

impl Reporter {
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        Self {
            config,
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            emr: aws_sdk_emr::Client::new(sdk),
        }
    }

    pub async fn run(&self) -> Result<Report, ReportError> {
        self.run_at(SystemTime::now()).await
    }

    /// [`Reporter::run`] as if it were `now`: the datapoint carries that
    /// timestamp and every window ends there.
    pub async fn run_at(&self, now: SystemTime) -> Result<Report, ReportError> {
        let config = &self.config;
        let cluster_id = read_cluster_id(&config.job_flow_info_file).await?;
        let observations = checks::observe_all(config, &self.emr, &cluster_id, now).await;
        for observation in &observations {
            info!(
                %cluster_id,
                check = observation.check.name(),
                outcome = observation.outcome.kind(),
                why = observation.outcome.why(),
                "observed"
            );
        }
        let Decision { value, reasons } = decide::decide(&observations);
        info!(
            %cluster_id,
            value,
            in_use = value == decide::IN_USE,
            reasons = %reasons.join("; "),
            "decided"
        );
        self.publish(&cluster_id, value, now).await?;
        info!(
            %cluster_id,
            value,
            namespace = %config.metric_namespace,
            metric_name = %config.metric_name,
            "published"
        );
        Ok(Report {
            cluster_id,
            value,
            reasons,
            observations,
        })
    }

    async fn publish(
        &self,
        cluster_id: &str,
        value: f64,
        now: SystemTime,
    ) -> Result<(), ReportError> {
        let config = &self.config;
        let datum = MetricDatum::builder()
            .metric_name(&config.metric_name)
            .dimensions(
                Dimension::builder()
                    .name(CLUSTER_DIMENSION)
                    .value(cluster_id)
                    .build(),
            )
            .timestamp(DateTime::from(now))
            .value(value)
            .build();
        self.cloudwatch
            .put_metric_data()
            .namespace(&config.metric_namespace)
            .metric_data(datum)
            .send()
            .await
            .map_err(|error| ReportError::Publish {
                namespace: config.metric_namespace.clone(),
                metric_name: config.metric_name.clone(),
                cluster_id: cluster_id.to_owned(),
                problem: DisplayErrorContext(&error).to_string(),
            })?;
        Ok(())
    }
}
