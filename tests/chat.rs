//! Chat: what a Slack or Microsoft Teams channel subscribed through Amazon
//! Q Developer in chat applications receives. Each notifying function runs
//! on its sample events against moto; the `https` body of the publish SNS
//! accepted must be a custom notification that validates against the
//! schema in `shared/schemas/`, equal to its golden file in `tests/chat/`,
//! while the email, SMS and default bodies keep theirs.
//!
//! `UPDATE_GOLDEN=1 cargo test -p watchkeeper-tests --test chat` rewrites
//! the golden files after an intended change; review the diff.

use std::path::PathBuf;

use serde_json::Value;
use testbed::Bed;
use testbed::codecommit::{CodeCommitServer, Signature};
use testbed::emr::{ClusterSpec, put_history, run_cluster};
use testbed::events::{load, push_event};
use watchkeeper_shared::function::Function;

fn schema() -> jsonschema::Validator {
    let path =
        testbed::workspace_root().join("shared/schemas/chat-custom-notification.schema.json");
    let text = std::fs::read_to_string(&path).expect("the schema file");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("JSON")).expect("a valid schema")
}

/// Every `message_id` in a report, wherever it sits.
fn message_ids(report: &Value, found: &mut Vec<String>) {
    match report {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("message_id", Value::String(id)) => found.push(id.clone()),
                    _ => message_ids(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| message_ids(item, found)),
        _ => {}
    }
}

/// Handles `event` with `app` and returns the chat message of each
/// notification it published, checked against the schema, after checking
/// that every other protocol kept its own body.
async fn chat_messages<F: Function>(bed: &Bed, app: &F, event: &Value) -> Vec<Value> {
    let report = app.handle(event).await.expect("the sample event succeeds");
    let mut ids = Vec::new();
    message_ids(&serde_json::to_value(&report).expect("JSON"), &mut ids);
    assert!(!ids.is_empty(), "{} sent nothing: {report:?}", F::NAME);
    let published = bed.moto.published().await;
    let validator = schema();
    ids.iter()
        .map(|id| {
            let message = published
                .iter()
                .find(|message| &message.message_id == id)
                .expect("SNS has the message the handler reports");
            let chat: Value = serde_json::from_str(&message.body("https")).expect("chat is JSON");
            let errors: Vec<String> = validator
                .iter_errors(&chat)
                .map(|error| format!("{}: {error}", error.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}\n{chat:#}");
            // The other protocols keep their own bodies.
            assert!(message.body("email").contains("Sent by Watchkeeper"));
            assert!(!message.body("default").starts_with('{'));
            assert!(message.body("sms").len() <= 140);
            chat
        })
        .collect()
}

/// Compares `chat` with `tests/chat/<name>.json`, after replacing the ids
/// the emulator makes up with stable names.
fn assert_golden(name: &str, chat: &Value, made_up: &[(&str, &str)]) {
    let mut text = serde_json::to_string_pretty(chat).expect("JSON");
    for (id, stable) in made_up {
        text = text.replace(id, stable);
    }
    text.push('\n');
    let path: PathBuf = testbed::workspace_root()
        .join("tests/chat")
        .join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("writing the golden file");
        return;
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(text, golden, "{name}: the chat message changed");
}

#[tokio::test]
async fn ami_permission_notifier_chat_messages() {
    let bed = Bed::start().await;
    testbed::iam::create_account_alias(&bed.sdk, "prod-acct").await;
    let app: ami_permission_notifier::App = bed.app(&[]).await;
    for sample in [
        "ami-public.json",
        "snapshot-share.json",
        "block-public-access-image-disabled.json",
    ] {
        let chats = chat_messages(&bed, &app, &load(sample)).await;
        assert_golden(sample.trim_end_matches(".json"), &chats[0], &[]);
    }
}

#[tokio::test]
async fn health_event_forwarder_chat_messages() {
    let bed = Bed::start().await;
    let app: health_event_forwarder::App = bed.app(&[]).await;
    for sample in [
        "health-account-issue.json",
        "health-organization-issue.json",
    ] {
        let chats = chat_messages(&bed, &app, &load(sample)).await;
        assert_golden(sample.trim_end_matches(".json"), &chats[0], &[]);
    }
}

#[tokio::test]
async fn one_health_event_threads_its_updates_and_two_events_do_not_merge() {
    let bed = Bed::start().await;
    let app: health_event_forwarder::App = bed.app(&[]).await;
    let open = load("health-account-issue.json");
    let mut update = open.clone();
    update["id"] = "update-0001".into();
    update["detail"]["lastUpdatedTime"] = "2026-11-22T11:00:00Z".into();
    let mut other = open.clone();
    other["id"] = "other-0001".into();
    other["detail"]["eventArn"] = "arn:aws:health:eu-west-1::event/EBS/OTHER/1".into();
    let thread = |chat: &Value| chat["metadata"]["threadId"].as_str().unwrap().to_owned();
    let first = thread(&chat_messages(&bed, &app, &open).await[0]);
    let second = thread(&chat_messages(&bed, &app, &update).await[0]);
    let third = thread(&chat_messages(&bed, &app, &other).await[0]);
    assert_eq!(first, second);
    assert_ne!(first, third);
}

#[tokio::test]
async fn codecommit_change_publisher_chat_message() {
    let bed = Bed::start().await;
    let server = CodeCommitServer::start().await;
    let mut repo = server.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    let first = repo.commit("Initial import");
    repo.write("src/retry.rs", "pub fn retry() {}\n");
    let alice = Signature::new("Alice Example", "alice@example.com");
    let second = repo.commit_by(
        "Add payment retries\n\nRetry declined cards once.\n",
        &alice,
        &alice,
    );
    let app = codecommit_change_publisher::App::from_env_with_codecommit(
        &bed.sdk,
        &server.sdk_config().await,
        bed.env(&[]),
    )
    .expect("valid configuration");
    let chats = chat_messages(&bed, &app, &push_event(&second, &first)).await;
    assert_golden(
        "codecommit-branch-updated",
        &chats[0],
        &[
            (&second, "NEW_COMMIT_ID"),
            (&second[..7], "NEWHEAD"),
            (&first, "OLD_COMMIT_ID"),
            (&first[..7], "OLDHEAD"),
        ],
    );
}

#[tokio::test]
async fn idle_emr_terminator_chat_messages() {
    let bed = Bed::start().await;
    let app: idle_emr_terminator::App = bed
        .app(&[("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")])
        .await;
    let idle = run_cluster(
        &bed.sdk,
        &ClusterSpec {
            name: "analytics-adhoc",
            tags: &[("team", "analytics")],
            ..Default::default()
        },
    )
    .await;
    put_history(
        &bed.sdk,
        "AWS/ElasticMapReduce",
        "IsIdle",
        &idle,
        75,
        |_| Some(1.0),
    )
    .await;
    let alarm: Value = serde_json::from_str(
        &load("emr-idle-alarm-eventbridge.json")
            .to_string()
            .replace("j-2AXXXXXXGAPLF", &idle),
    )
    .expect("JSON");
    let chats = chat_messages(&bed, &app, &alarm).await;
    assert_golden(
        "emr-idle-alarm-terminated",
        &chats[0],
        &[(&idle, "j-CLUSTER")],
    );
    assert_eq!(
        chats[0]["metadata"]["threadId"],
        format!("emr-cluster:{}:{idle}", testbed::REGION)
    );
}

/// The chat message as a channel shows it: title, description, next steps.
fn as_shown(chat: &Value) -> String {
    let content = &chat["content"];
    let mut lines = vec![
        content["title"].as_str().unwrap_or_default().to_owned(),
        String::new(),
    ];
    lines.extend(
        content["description"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .map(str::to_owned),
    );
    if let Some(steps) = content["nextSteps"].as_array() {
        lines.push(String::new());
        lines.push("Next steps:".to_owned());
        lines.extend(
            steps
                .iter()
                .map(|step| format!("• {}", step.as_str().unwrap_or_default())),
        );
    }
    lines.join("\n")
}

/// Each manual's "In chat" sample is its golden chat message as a channel
/// shows it, so the manuals cannot drift from what is sent.
#[test]
fn each_manual_shows_its_golden_chat_message() {
    let root = testbed::workspace_root();
    for (manual, golden) in [
        ("ami-permission-notifier", "ami-public"),
        ("codecommit-change-publisher", "codecommit-branch-updated"),
        ("health-event-forwarder", "health-account-issue"),
        ("idle-emr-terminator", "emr-idle-alarm-terminated"),
    ] {
        let text = std::fs::read_to_string(root.join("functions").join(manual).join("README.md"))
            .expect("the manual");
        let chat: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/chat").join(format!("{golden}.json")))
                .expect("the golden file"),
        )
        .expect("JSON");
        let shown = format!("```text\n{}\n```", as_shown(&chat));
        assert!(
            text.contains("## In chat") && text.contains(&shown),
            "functions/{manual}/README.md does not show tests/chat/{golden}.json as:\n{shown}"
        );
    }
}
