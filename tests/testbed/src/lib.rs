//! The local AWS test bed. Each test starts its own moto server on a free
//! loopback port and talks to it through the real AWS SDK for Rust, reached
//! through the SDK's endpoint override, exactly as `AWS_ENDPOINT_URL` does
//! in `make demo` and `make invoke`.
//!
//! moto is installed by `make setup` into the project's `.venv`. A test that
//! needs it and cannot start it fails with a message saying why; it is never
//! skipped.

pub mod codecommit;
pub mod dynamodb;
pub mod ec2;
pub mod emr;
pub mod events;
pub mod iam;
pub mod refuse;
pub mod sns;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::function::Function;
use watchkeeper_shared::home::Home;
use watchkeeper_shared::idempotency::{Guard, TABLE_VAR};
use watchkeeper_shared::publisher::Topics;

/// The region every test bed account lives in; not us-east-1, so code that
/// assumes it shows up.
pub const REGION: &str = "eu-west-1";
/// moto's default account.
pub const ACCOUNT_ID: &str = "123456789012";

/// Where every test bed function runs: moto's default account in [`REGION`].
pub fn home() -> Home {
    Home {
        account_id: ACCOUNT_ID.to_owned(),
        region: REGION.to_owned(),
    }
}

/// The workspace root, where `.venv` and `events/` are.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/testbed sits two levels inside the workspace")
        .to_path_buf()
}

/// The Python that has moto: `WATCHKEEPER_PYTHON`, else `.venv/bin/python`.
pub fn python() -> PathBuf {
    std::env::var_os("WATCHKEEPER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

/// One AWS API call moto received.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiCall {
    pub service: String,
    pub action: String,
}

/// A moto server owned by one test; it stops when dropped, and on its own
/// if the test process dies.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto, panicking with the reason if it cannot.
    pub async fn start() -> Self {
        let python = python();
        if !python.exists() {
            panic!(
                "moto is not installed: {} does not exist. Run `make setup` (or `make test`, which runs it) to create the project's .venv",
                python.display()
            );
        }
        let launcher = workspace_root().join("tests/testbed/moto_launcher.py");
        let mut child = Command::new(&python)
            .arg(&launcher)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("could not start moto with {}: {error}", python.display())
            });
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut first_line = String::new();
        let read = tokio::time::timeout(
            Duration::from_secs(60),
            BufReader::new(stdout).read_line(&mut first_line),
        )
        .await;
        let port: u16 = match read {
            Ok(Ok(_)) => first_line.trim().parse().unwrap_or_else(|_| {
                panic!("moto launcher did not print a port (got {first_line:?}); is moto[server] installed in .venv?")
            }),
            Ok(Err(error)) => panic!("reading moto's port failed: {error}"),
            Err(_) => panic!("moto did not start within 60 s"),
        };
        Self {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// SDK configuration for this server: test credentials, the test bed
    /// region and the endpoint override.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config_for(&self.endpoint).await
    }

    /// Every AWS API call moto has received so far, in order.
    pub async fn calls(&self) -> Vec<ApiCall> {
        serde_json::from_str(&self.get("/_testbed/calls").await).expect("testbed calls are JSON")
    }

    /// How many calls of `service`/`action` moto has received.
    pub async fn count_calls(&self, service: &str, action: &str) -> usize {
        self.calls()
            .await
            .iter()
            .filter(|call| call.service == service && call.action == action)
            .count()
    }

    /// Every message published to an SNS topic, as SNS received it.
    pub async fn published(&self) -> Vec<sns::PublishedMessage> {
        serde_json::from_str(&self.get("/_testbed/sns/published").await)
            .expect("testbed publishes are JSON")
    }

    /// Makes the next `fault.count` calls of `fault.service`/`fault.action`
    /// fail (or wait) as `fault.kind` says, before they reach moto.
    pub async fn inject_fault(&self, fault: Fault) {
        let (kind, delay_ms) = match fault.kind {
            FaultKind::Status500 => ("status_500", 0),
            FaultKind::Denied => ("denied", 0),
            FaultKind::Status503 => ("status_503", 0),
            FaultKind::Throttling => ("throttling", 0),
            FaultKind::Reset => ("reset", 0),
            FaultKind::Delay(delay) => ("delay", delay.as_millis()),
        };
        let body = serde_json::json!({
            "service": fault.service,
            "action": fault.action,
            "kind": kind,
            "count": fault.count,
            "delay_ms": delay_ms,
        });
        http_request(self.port, "POST", "/_testbed/faults", &body.to_string()).await;
    }

    /// Clears every injected fault not yet used up.
    pub async fn clear_faults(&self) {
        http_request(self.port, "DELETE", "/_testbed/faults", "").await;
    }

    async fn get(&self, path: &str) -> String {
        http_get(self.port, path).await
    }
}

/// How an injected fault answers a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 500 with an AWS-shaped `InternalFailure` error.
    Status500,
    /// HTTP 503 with an AWS-shaped `ServiceUnavailable` error.
    Status503,
    /// HTTP 400 with the protocol's throttling error (`ThrottlingException`,
    /// `Throttling` or EC2's `RequestLimitExceeded`).
    Throttling,
    /// The connection is closed with a TCP reset and no response.
    Reset,
    /// HTTP 403 with the protocol's permission error (EC2's
    /// `UnauthorizedOperation`, else `AccessDenied`), as when IAM refuses.
    Denied,
    /// The call reaches moto after this delay.
    Delay(Duration),
}

/// A fault for the next `count` calls of one API action. `service` is the
/// signing name in the call's credential scope (`sns`, `dynamodb`, `iam`,
/// `ec2`, `monitoring`, `codecommit`, `elasticmapreduce`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub service: String,
    pub action: String,
    pub kind: FaultKind,
    pub count: u32,
}

impl Fault {
    pub fn new(service: &str, action: &str, kind: FaultKind, count: u32) -> Self {
        Self {
            service: service.to_owned(),
            action: action.to_owned(),
            kind,
            count,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// SDK configuration for any endpoint speaking AWS's protocols.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "testbed",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A plain HTTP/1.0 GET on loopback; enough for the test bed's own endpoints.
async fn http_get(port: u16, path: &str) -> String {
    http_request(port, "GET", path, "").await
}

/// A plain HTTP/1.0 request on loopback, panicking unless it answers 200.
async fn http_request(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| {
            panic!("connecting to the test bed on port {port} failed: {error}")
        });
    stream
        .write_all(
            format!(
                "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("writing to the test bed");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("reading from the test bed");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "test bed {method} {path} failed: {head}"
    );
    body.to_owned()
}

/// One emulated account for a test: its own moto server, SDK configuration
/// for it, the app's two topics, each with an SQS subscriber, and the
/// idempotency table.
pub struct Bed {
    pub moto: Moto,
    pub sdk: SdkConfig,
    pub topics: sns::SubscribedTopics,
    /// The table functions keep their idempotency records in.
    pub idempotency_table: String,
}

impl Bed {
    pub async fn start() -> Self {
        let moto = Moto::start().await;
        let sdk = moto.sdk_config().await;
        let topics = sns::SubscribedTopics::create(&sdk).await;
        let idempotency_table = dynamodb::create_idempotency_table(&sdk).await;
        Self {
            moto,
            sdk,
            topics,
            idempotency_table,
        }
    }

    /// An idempotency guard on the test bed's table, keyed for `scope`.
    pub fn guard(&self, scope: &str) -> Guard {
        Guard::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            &self.idempotency_table,
            scope,
        )
    }

    /// A function's environment: see [`function_env`].
    pub fn env(&self, settings: &[(&str, &str)]) -> EnvReader {
        function_env(&self.topics.topics, &self.idempotency_table, settings)
    }

    /// Function `F` as it starts on this bed: [`Self::env`] with
    /// `settings`. Panics naming the function and the setting when the
    /// configuration is refused.
    pub async fn app<F: Function>(&self, settings: &[(&str, &str)]) -> F {
        F::from_env(&self.sdk, self.env(settings))
            .await
            .unwrap_or_else(|error| panic!("{}: invalid configuration: {error}", F::NAME))
    }
}

/// Asserts that `report` says `event` was handled already, keyed by its
/// EventBridge id: `{"result": "duplicate", "idempotency_key":
/// "<function name>#<event id>"}` as Lambda returns it.
pub fn assert_duplicate<F: Function>(report: &F::Report, event: &serde_json::Value) {
    let json = serde_json::to_value(report).expect("reports serialize");
    assert_eq!(json["result"], "duplicate", "{report:?}");
    let id = event["id"].as_str().expect("the event has an id");
    assert_eq!(
        json["idempotency_key"],
        format!("{}#{id}", F::NAME),
        "{report:?}"
    );
}

/// [`function_env`] for tests that build a configuration without a test
/// bed: topic ARNs `arn:w` (warning) and `arn:c` (critical) and a table
/// named `idempotency`, then `settings`.
pub fn offline_env(settings: &[(&str, &str)]) -> EnvReader {
    let topics = Topics {
        warning_topic_arn: "arn:w".to_owned(),
        critical_topic_arn: "arn:c".to_owned(),
    };
    function_env(&topics, "idempotency", settings)
}

/// A function's environment as the template sets it: its home account and
/// region (moto's default account, [`REGION`]), both topics' ARNs and the
/// idempotency table, then `settings`, a later entry replacing an earlier
/// one of the same name.
pub fn function_env(
    topics: &Topics,
    idempotency_table: &str,
    settings: &[(&str, &str)],
) -> EnvReader {
    let mut vars = HashMap::from([
        (Home::ACCOUNT_ID_VAR.to_owned(), ACCOUNT_ID.to_owned()),
        (Home::REGION_VAR.to_owned(), REGION.to_owned()),
        (TABLE_VAR.to_owned(), idempotency_table.to_owned()),
        (
            Topics::WARNING_VAR.to_owned(),
            topics.warning_topic_arn.clone(),
        ),
        (
            Topics::CRITICAL_VAR.to_owned(),
            topics.critical_topic_arn.clone(),
        ),
    ]);
    vars.extend(
        settings
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    EnvReader::from_map(vars)
}
