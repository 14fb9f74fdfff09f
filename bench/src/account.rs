//! The emulated account every bootstrap runs against, and the environment
//! Lambda gives each function in it.

use aws_config::SdkConfig;
use testbed::codecommit::CodeCommitServer;

use crate::moto::TlsMoto;
use crate::tls;

/// The memory size every function is measured at (the template's).
pub const MEMORY_MB: u32 = 128;

/// The emulated account: moto over TLS, its topics and idempotency table,
/// and the local CodeCommit.
pub struct Account {
    pub moto: TlsMoto,
    /// The harness's own SDK configuration, pointed at moto.
    pub sdk: SdkConfig,
    /// The ARNs of the warning and critical topics.
    pub warning_topic: String,
    pub critical_topic: String,
    /// The idempotency table's name.
    pub table: String,
    pub codecommit: CodeCommitServer,
}

impl Account {
    /// Starts moto over TLS with `certificates` and the local CodeCommit,
    /// and creates the two topics and the idempotency table.
    ///
    /// Errors: moto could not start, or `CreateTopic` failed, as a sentence.
    pub async fn start(certificates: &tls::Certificates) -> Result<Self, String> {
        let moto = TlsMoto::start(certificates).await?;
        let sdk = testbed::sdk_config_for(&moto.endpoint).await;
        let sns = aws_sdk_sns::Client::new(&sdk);
        let mut topics = Vec::new();
        for name in ["watchkeeper-warning", "watchkeeper-critical"] {
            let created = sns
                .create_topic()
                .name(name)
                .send()
                .await
                .map_err(|error| format!("CreateTopic over TLS failed: {error:?}"))?;
            topics.push(created.topic_arn().unwrap_or_default().to_owned());
        }
        let table = testbed::dynamodb::create_idempotency_table(&sdk).await;
        Ok(Self {
            moto,
            sdk,
            critical_topic: topics.pop().unwrap_or_default(),
            warning_topic: topics.pop().unwrap_or_default(),
            table,
            codecommit: CodeCommitServer::start().await,
        })
    }

    /// The environment Lambda gives a function, plus the template's
    /// `Globals` and the function's own variables at their defaults.
    ///
    /// `function` is the function's crate name; a name that is not a
    /// function (the floor, the probe) gets only Lambda's and the shared
    /// variables. Returns `(name, value)` pairs, in the order set.
    pub fn env(&self, function: &str, certificates: &tls::Certificates) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef".to_owned(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            ),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO".to_owned()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_REGION", testbed::REGION.to_owned()),
            ("AWS_DEFAULT_REGION", testbed::REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "ASIABENCHEXAMPLEKEY1".to_owned()),
            (
                "AWS_SECRET_ACCESS_KEY",
                "bench/secret/access/key/example".to_owned(),
            ),
            (
                "AWS_SESSION_TOKEN",
                "IQoJb3JpZ2luX2VjEBenchSessionTokenExample".to_owned(),
            ),
            ("_HANDLER", "bootstrap".to_owned()),
            ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
            ("TZ", ":UTC".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
            // The emulated AWS: moto over TLS, trusted through the bundle.
            ("AWS_ENDPOINT_URL", self.moto.endpoint.clone()),
            ("SSL_CERT_FILE", certificates.bundle.display().to_string()),
            // moto has no GetCommit/GetDifferences; the test bed's CodeCommit
            // serves them (plain HTTP on loopback).
            (
                "AWS_ENDPOINT_URL_CODECOMMIT",
                self.codecommit.endpoint.clone(),
            ),
            ("WARNING_TOPIC_ARN", self.warning_topic.clone()),
            ("CRITICAL_TOPIC_ARN", self.critical_topic.clone()),
            ("IDEMPOTENCY_TABLE", self.table.clone()),
            // The template's `AWS::AccountId`: moto's default account.
            ("HOME_ACCOUNT_ID", "123456789012".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let own: &[(&str, &str)] = match function {
            "ec2-alarm-creator" => &[
                ("ALARM_DEFINITIONS", "disk-space"),
                ("ALARM_DEFINITIONS_PARAMETER", ""),
                ("ALARM_NAME_PREFIX", "watchkeeper-"),
                ("TAG_FILTER_MODE", "all"),
                ("TAG_FILTER", ""),
                ("THRESHOLD_TAG_PREFIX", "watchkeeper:threshold:"),
            ],
            "ami-permission-notifier" => &[
                ("TRUSTED_ACCOUNTS", ""),
                ("REPORT_DENIED_CALLS", "true"),
                ("REPORT_OTHER_ATTRIBUTES", "false"),
                ("REPORT_AWS_SERVICE_CALLS", "true"),
            ],
            "codecommit-change-publisher" => &[
                ("REPOSITORY_NAMES", ""),
                ("BRANCH_FILTER", ""),
                ("REPORT_TAGS", "true"),
                ("MAX_COMMITS", "50"),
                ("MAX_FILES_PER_COMMIT", "100"),
            ],
            "health-event-forwarder" => &[
                ("INCLUDE_CATEGORIES", ""),
                ("EXCLUDE_CATEGORIES", ""),
                ("INCLUDE_SERVICES", ""),
                ("EXCLUDE_SERVICES", ""),
                ("INCLUDE_EVENT_TYPE_CODES", ""),
                ("EXCLUDE_EVENT_TYPE_CODES", ""),
                ("INCLUDE_REGIONS", ""),
                ("EXCLUDE_REGIONS", ""),
                ("MINIMUM_SEVERITY", "info"),
                ("SEVERITY_OVERRIDES", ""),
            ],
            "idle-emr-terminator" => &[
                ("DRY_RUN", "true"),
                ("METRIC_MODE", "emr-isidle"),
                ("CUSTOM_METRIC_NAMESPACE", "Watchkeeper/EMR"),
                ("CUSTOM_METRIC_NAME", "ClusterInUse"),
                ("IDLE_WINDOW_MINUTES", "60"),
                ("METRIC_PERIOD_SECONDS", "300"),
                ("OPT_OUT_TAG_KEY", "watchkeeper:keep"),
                // The emulator's clusters were created a moment ago (default 30).
                ("MINIMUM_AGE_MINUTES", "0"),
                ("STACK_MODE", "false"),
                ("STACK_NAME_PREFIX", ""),
            ],
            _ => &[],
        };
        env.extend(
            own.iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        env
    }
}
