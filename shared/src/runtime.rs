//! Serving a function's handler through the Lambda Runtime API.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::config::EnvReader;
use crate::function::Function;
use crate::metrics::{ReportMetrics, emf_lines};

/// What kind of failure ended an invocation: Lambda's `errorType`, the
/// same words in every function. A closed set, so alarms and runbooks can
/// match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The event is malformed, or is not an event this function can ever
    /// receive; the message names the field or what arrived. Retrying does
    /// not help: the event goes to the dead-letter queue for a person.
    BadEvent,
    /// SNS failed or refused a publish; Lambda retries, nothing was sent.
    PublishError,
    /// Another AWS call failed (EC2, CloudWatch, EMR, CloudFormation,
    /// CodeCommit, DynamoDB, IAM); the message names the call and resource.
    AwsError,
    /// Another attempt holds this event's idempotency lease; the retry
    /// finds it done or takes the lease when it expires.
    InProgressElsewhere,
    /// EC2's eventually consistent read has not caught up with the event.
    InstanceNotSettled,
    /// EC2 reports an instance state it does not document.
    UnknownInstanceState,
}

impl ErrorKind {
    pub const ALL: [Self; 6] = [
        Self::BadEvent,
        Self::PublishError,
        Self::AwsError,
        Self::InProgressElsewhere,
        Self::InstanceNotSettled,
        Self::UnknownInstanceState,
    ];

    /// The `errorType` Lambda reports, e.g. `PublishError`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadEvent => "BadEvent",
            Self::PublishError => "PublishError",
            Self::AwsError => "AwsError",
            Self::InProgressElsewhere => "InProgressElsewhere",
            Self::InstanceNotSettled => "InstanceNotSettled",
            Self::UnknownInstanceState => "UnknownInstanceState",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A handler's failure, as Lambda reports it: `errorType` is the kind,
/// `errorMessage` the display text, which names what failed.
pub trait InvocationError: std::fmt::Display {
    fn kind(&self) -> ErrorKind;
}

impl InvocationError for crate::events::EventError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::BadEvent
    }
}

impl InvocationError for crate::publisher::PublishError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::PublishError
    }
}

impl InvocationError for crate::idempotency::GuardError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::InProgressElsewhere { .. } => ErrorKind::InProgressElsewhere,
            _ => ErrorKind::AwsError,
        }
    }
}

/// The Lambda error response for `error`.
pub fn diagnostic(error: &impl InvocationError) -> Diagnostic {
    Diagnostic {
        error_type: error.kind().as_str().to_owned(),
        error_message: error.to_string(),
    }
}

/// A function's whole `main`: JSON logging, the SDK configuration and the
/// function's settings and clients once per cold start (a missing or
/// malformed setting fails here, named), then [`serve`].
///
/// # Errors
/// The initialisation error, logged and returned so Lambda reports it; or
/// the runtime's own failure.
pub async fn main<F: Function>() -> Result<(), lambda_runtime::Error> {
    crate::logging::init_json_logging();
    let sdk = crate::aws::load_sdk_config().await;
    let app = F::from_env(&sdk, EnvReader::from_process_env())
        .await
        .inspect_err(|error| tracing::error!(%error, "initialisation failed"))?;
    serve(&app).await
}

/// Runs `app` on every event until the runtime shuts the process down.
/// The event is taken as raw JSON so that the handler, not the runtime,
/// decides what is relevant and names a malformed field. After each
/// successful invocation the report's business metrics go to stdout as EMF
/// lines ([`crate::metrics`]).
pub async fn serve<F: Function>(app: &F) -> Result<(), lambda_runtime::Error> {
    // Boxed so that the compiler need not lay out the runtime's and the
    // handler's deeply nested futures inside `main`'s, which exceeds its
    // query depth limit for the larger handlers. One allocation per process.
    Box::pin(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Value>| async move {
            let deadline = event.context.deadline();
            invoke(app, &event.payload, deadline, &mut std::io::stdout()).await
        },
    )))
    .await
}

/// One invocation as [`serve`] runs it, with the metrics written to
/// `metrics_sink` (stdout in Lambda) when the handler succeeds.
///
/// # Errors
/// The handler's error, or the deadline passing, as Lambda's error
/// response ([`diagnostic`]).
pub async fn invoke<F: Function>(
    app: &F,
    event: &Value,
    deadline: SystemTime,
    metrics_sink: &mut impl Write,
) -> Result<F::Report, Diagnostic> {
    // Boxed for the same reason as the runtime's future in `serve`.
    let report = crate::idempotency::within_deadline(deadline, Box::pin(app.handle(event)))
        .await
        .map_err(|error| diagnostic(&error))?;
    write_metrics(
        F::NAME,
        &report,
        epoch_millis(SystemTime::now()),
        metrics_sink,
    );
    Ok(report)
}

/// Writes the report's EMF lines. The work is done by now, so a failed write
/// is logged rather than failing the invocation, whose retry would find a
/// duplicate and could not bring the metric back anyway.
pub fn write_metrics(
    function: &str,
    report: &impl ReportMetrics,
    timestamp_ms: u64,
    sink: &mut impl Write,
) {
    for line in emf_lines(function, &report.metrics(), timestamp_ms) {
        // One write per line, so a concurrent log line cannot split it.
        let written = sink
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| sink.flush());
        if let Err(error) = written {
            tracing::warn!(%error, "writing business metrics failed");
        }
    }
}

fn epoch_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use crate::metrics::Count;
    use serde_json::json;
    use std::time::Duration;

    /// A handler's report: what it says it sent.
    #[derive(Debug, PartialEq, serde::Serialize)]
    struct Sent(Vec<Severity>);

    impl ReportMetrics for Sent {
        fn metrics(&self) -> Vec<Count> {
            self.0
                .iter()
                .map(|s| Count::notification_sent(*s))
                .collect()
        }
    }

    impl crate::function::InvocationReport for Sent {
        fn is_skipped(&self) -> bool {
            false
        }
    }

    #[derive(Debug)]
    struct Refused;

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SNS refused the publish to topic alerts")
        }
    }

    impl InvocationError for Refused {
        fn kind(&self) -> ErrorKind {
            ErrorKind::PublishError
        }
    }

    /// Reads `severities` from the event, or fails when it says so.
    struct TestNotifier;

    impl Function for TestNotifier {
        const NAME: &'static str = "test-notifier";
        type Report = Sent;
        type Error = Refused;
        type InitError = crate::config::ConfigError;

        async fn from_env(
            _sdk: &aws_config::SdkConfig,
            _env: EnvReader,
        ) -> Result<Self, Self::InitError> {
            Ok(Self)
        }

        async fn handle(&self, event: &Value) -> Result<Sent, Refused> {
            if event["fail"] == json!(true) {
                return Err(Refused);
            }
            let severities = event["severities"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|value| Severity::parse(value.as_str()?))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Sent(severities))
        }
    }

    fn deadline() -> SystemTime {
        SystemTime::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn a_successful_invocation_writes_its_metrics_to_the_sink() {
        let mut sink = Vec::new();
        let event = json!({"severities": ["critical", "info", "critical"]});

        let report = invoke(&TestNotifier, &event, deadline(), &mut sink)
            .await
            .unwrap();

        assert_eq!(
            report,
            Sent(vec![Severity::Critical, Severity::Info, Severity::Critical])
        );
        let text = String::from_utf8(sink).unwrap();
        let documents: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(text.ends_with('\n'));
        assert_eq!(
            documents
                .iter()
                .map(|document| (
                    document["Function"].clone(),
                    document["Severity"].clone(),
                    document["NotificationsSent"].clone(),
                    document["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone(),
                ))
                .collect::<Vec<_>>(),
            vec![
                (
                    json!("test-notifier"),
                    json!("critical"),
                    json!(2),
                    json!([["Function", "Severity"]])
                ),
                (
                    json!("test-notifier"),
                    json!("info"),
                    json!(1),
                    json!([["Function", "Severity"]])
                ),
            ]
        );
        assert!(documents[0]["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }

    #[tokio::test]
    async fn a_failed_invocation_writes_no_metrics_and_reports_the_error() {
        let mut sink = Vec::new();
        let error = invoke(&TestNotifier, &json!({"fail": true}), deadline(), &mut sink)
            .await
            .unwrap_err();
        assert_eq!(error.error_type, "PublishError");
        assert_eq!(
            error.error_message,
            "SNS refused the publish to topic alerts"
        );
        assert!(sink.is_empty());
    }

    #[tokio::test]
    async fn a_report_with_nothing_to_count_writes_nothing() {
        let mut sink = Vec::new();
        invoke(&TestNotifier, &json!({}), deadline(), &mut sink)
            .await
            .unwrap();
        assert!(sink.is_empty());
    }

    /// A sink that refuses every write, like a closed stdout.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_metrics_write_does_not_fail_the_finished_invocation() {
        let event = json!({"severities": ["warning"]});
        let report = invoke(&TestNotifier, &event, deadline(), &mut Closed).await;
        assert_eq!(report.unwrap(), Sent(vec![Severity::Warning]));
    }

    #[test]
    fn write_metrics_renders_at_the_given_time() {
        let mut sink = Vec::new();
        write_metrics(
            "test-notifier",
            &Sent(vec![Severity::Info]),
            1_234,
            &mut sink,
        );
        let document: Value = serde_json::from_slice(&sink).unwrap();
        assert_eq!(document["_aws"]["Timestamp"], json!(1_234));
        assert_eq!(epoch_millis(UNIX_EPOCH + Duration::from_millis(42)), 42);
    }
}
