//! Log hygiene: what each function logs while handling a real event, with
//! attacker-controlled text that carries a phone number and an email
//! address. The rule is that logs carry ids, not free text, so none of
//! that text, no subscriber address and no credential may reach the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use testbed::Bed;
use testbed::codecommit::{CodeCommitServer, Signature};
use testbed::events::{load, push_event, with_detail};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use watchkeeper_shared::function::Function;

const PHONE: &str = "+15555550100";
const EMAIL: &str = "mallory@example.com";
/// Free text an attacker controls, smuggling contact details into an event.
const HOSTILE: &str = "Call +15555550100 or write to mallory@example.com";

/// Every log line written while the guard lives, as the production
/// subscriber would write them (JSON, flattened), at debug level with the
/// SDK's crates at warn, as `LOG_LEVEL=debug` gives in production.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl CapturedLogs {
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_env_filter(EnvFilter::new(
                "debug,aws_smithy_runtime=warn,aws_config=warn,hyper=warn",
            ))
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// Handles `event` with `app`, capturing every log line it writes.
async fn handle_logged<F: Function>(
    app: &F,
    event: &Value,
) -> (Result<F::Report, F::Error>, String) {
    let logs = CapturedLogs::default();
    let guard = logs.install();
    let report = app.handle(event).await;
    drop(guard);
    (report, logs.text())
}

/// Something shaped like an E.164 phone number: `+` and 8 to 15 digits.
fn phone_numbers(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (start, _) in text.match_indices('+') {
        let digits = bytes[start + 1..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if (8..=15).contains(&digits) {
            found.push(text[start..start + 1 + digits].to_owned());
        }
    }
    found
}

/// Something shaped like an email address: word characters around an `@`
/// with a dot in the domain.
fn email_addresses(text: &str) -> Vec<String> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let local: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| is_part(*c))
            .collect();
        let domain: String = text[at + 1..].chars().take_while(|c| is_part(*c)).collect();
        if !local.is_empty() && domain.contains('.') {
            found.push(format!(
                "{}@{domain}",
                local.chars().rev().collect::<String>()
            ));
        }
    }
    found
}

/// The checks every function's logs must pass.
fn assert_clean(function: &str, logs: &str) {
    assert!(
        logs.lines().count() > 0,
        "{function} logged nothing while handling an event"
    );
    for line in logs.lines() {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|error| {
            panic!("{function} wrote a non-JSON log line ({error}): {line}")
        });
        assert!(
            entry.get("level").is_some(),
            "{function}: no level in {line}"
        );
    }
    assert_eq!(
        phone_numbers(logs),
        Vec::<String>::new(),
        "{function} logged a phone number:\n{logs}"
    );
    assert_eq!(
        email_addresses(logs),
        Vec::<String>::new(),
        "{function} logged an email address:\n{logs}"
    );
    for secret in [
        "testing",
        "Credential=",
        "X-Amz-Security-Token",
        "Authorization",
    ] {
        assert!(
            !logs.contains(secret),
            "{function} logged {secret:?}:\n{logs}"
        );
    }
    assert!(!logs.contains(PHONE) && !logs.contains(EMAIL));
    assert!(
        !logs.contains("Call "),
        "{function} logged free text from the event:\n{logs}"
    );
}

#[test]
fn the_scanners_find_what_they_look_for() {
    assert_eq!(phone_numbers(HOSTILE), vec![PHONE.to_owned()]);
    assert_eq!(email_addresses(HOSTILE), vec![EMAIL.to_owned()]);
    assert!(phone_numbers("i-0abcd1234ef567890 +1234 2026-11-22T10:00:00+00:00").is_empty());
    assert!(email_addresses("a@b no-domain@localhost").is_empty());
}

#[tokio::test]
async fn ec2_alarm_creator_logs_ids_only() {
    let bed = Bed::start().await;
    let app: ec2_alarm_creator::App = bed.app(&[]).await;
    let instance_id = testbed::ec2::run_instance(&bed.sdk, &[("Name", HOSTILE)]).await;
    let event = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        instance_id.as_str(),
    );

    let (report, text) = handle_logged(&app, &event).await;

    assert!(report.is_ok(), "{report:?}");
    assert!(
        text.contains(&instance_id),
        "the decision names the instance:\n{text}"
    );
    assert_clean("ec2-alarm-creator", &text);
}

#[tokio::test]
async fn ami_permission_notifier_logs_ids_only() {
    let bed = Bed::start().await;
    let app: ami_permission_notifier::App = bed.app(&[]).await;
    let mut event = load("ami-public.json");
    event["detail"]["userAgent"] = json!(HOSTILE);
    event["detail"]["userIdentity"]["arn"] =
        json!("arn:aws:sts::123456789012:assumed-role/Admin/mallory@example.com");

    let (report, text) = handle_logged(&app, &event).await;

    assert!(
        matches!(report, Ok(ami_permission_notifier::Report::Notified { .. })),
        "{report:?}"
    );
    assert!(
        text.contains("ami-0abc1234def567890"),
        "the decision names the image:\n{text}"
    );
    assert_clean("ami-permission-notifier", &text);
    let sent = bed.moto.published().await;
    assert!(
        sent[0].body("email").contains(HOSTILE),
        "the notification itself still shows the user agent"
    );
}

#[tokio::test]
async fn codecommit_change_publisher_logs_ids_only() {
    let bed = Bed::start().await;
    let server = CodeCommitServer::start().await;
    let mut repo = server.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    let first = repo.commit("Initial import");
    repo.write("README.md", "# Payments\n\nRetries.\n");
    let mallory = Signature::new("Mallory Example", EMAIL);
    let second = repo.commit_by(&format!("Add retries\n\n{HOSTILE}\n"), &mallory, &mallory);
    let app = codecommit_change_publisher::App::from_env_with_codecommit(
        &bed.sdk,
        &server.sdk_config().await,
        bed.env(&[]),
    )
    .expect("valid configuration");
    let event = push_event(&second, &first);

    let (report, text) = handle_logged(&app, &event).await;

    assert!(
        matches!(
            report,
            Ok(codecommit_change_publisher::Report::Published { commits: 1, .. })
        ),
        "{report:?}"
    );
    assert!(
        text.contains("payments-service"),
        "the decision names the repository:\n{text}"
    );
    assert_clean("codecommit-change-publisher", &text);
    let sent = bed.moto.published().await;
    assert!(
        sent[0].body("email").contains(HOSTILE),
        "the notification itself still shows the commit message"
    );
}

#[tokio::test]
async fn health_event_forwarder_logs_ids_only() {
    let bed = Bed::start().await;
    let app: health_event_forwarder::App = bed.app(&[]).await;
    let mut event = load("health-account-issue.json");
    event["detail"]["eventDescription"][1]["latestDescription"] = json!(HOSTILE);

    let (report, text) = handle_logged(&app, &event).await;

    assert!(
        matches!(report, Ok(health_event_forwarder::Report::Notified { .. })),
        "{report:?}"
    );
    assert!(
        text.contains("AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE"),
        "the decision names the event:\n{text}"
    );
    assert_clean("health-event-forwarder", &text);
}

#[tokio::test]
async fn idle_emr_terminator_logs_ids_only() {
    let bed = Bed::start().await;
    let app: idle_emr_terminator::App = bed
        .app(&[("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")])
        .await;
    let mut event = load("emr-idle-alarm-eventbridge.json");
    event["detail"]["configuration"]["description"] = json!(HOSTILE);
    event["detail"]["state"]["reason"] = json!(HOSTILE);

    let (report, text) = handle_logged(&app, &event).await;

    assert!(report.is_ok(), "{report:?}");
    assert!(
        text.contains("j-2AXXXXXXGAPLF"),
        "the decision names the cluster:\n{text}"
    );
    assert_clean("idle-emr-terminator", &text);
}
