//! Hostile and malformed input: for each function, a corpus of broken
//! events. Each one gives either a clear error naming the field or the
//! problem, or a logged skip when the event is simply not for the function;
//! never a panic, and never a notification.

use serde_json::{Value, json};
use testbed::Bed;
use testbed::events::load;
use watchkeeper_shared::function::{Function, InvocationReport};

/// What a function did with one event.
#[derive(Debug)]
enum Outcome {
    Skipped(String),
    Failed(String),
    Handled(String),
}

/// What a corpus entry must produce.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// An error whose message contains every one of these.
    Error(&'static [&'static str]),
    /// A skip: the event is not for this function.
    Skip,
    /// Handled without any notification: the odd value is free text the
    /// function only carries, or names nothing that exists.
    Handled,
    /// Notified: the value is odd but the event is real enough to alert on,
    /// and the alert must still fit a subject and an SMS.
    Notified,
}

const MEGABYTE: usize = 1024 * 1024;

fn huge_string() -> Value {
    Value::String("x".repeat(MEGABYTE))
}

/// `depth` arrays inside each other, built without recursion.
fn deeply_nested(depth: usize) -> Value {
    let mut value = json!(0);
    for _ in 0..depth {
        value = Value::Array(vec![value]);
    }
    value
}

/// `event` with the value at JSON pointer `pointer` replaced.
fn replaced(event: &Value, pointer: &str, value: Value) -> Value {
    let mut event = event.clone();
    *event
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the sample event has no {pointer}")) = value;
    event
}

/// `event` without the top-level key `key`.
fn without(event: &Value, key: &str) -> Value {
    let mut event = event.clone();
    event
        .as_object_mut()
        .expect("sample events are objects")
        .remove(key);
    event
}

/// `sample` from another region of this account, with an id of its own so
/// that it is not a duplicate of the sample.
fn another_region(sample: &Value, expect: Expect) -> (String, Value, Expect) {
    let moved = replaced(sample, "/region", json!("ap-southeast-2"));
    (
        "another region".into(),
        replaced(&moved, "/id", json!("another-region-0000")),
        expect,
    )
}

/// The cases every function shares, built from one of its valid events.
fn common_corpus(sample: &Value) -> Vec<(String, Value, Expect)> {
    vec![
        // No envelope at all: a mis-wired trigger, refused naming what arrived.
        (
            "empty object".into(),
            json!({}),
            Expect::Error(&["not an EventBridge event", "an empty object"]),
        ),
        (
            "CodeCommit trigger records".into(),
            load("codecommit-trigger-records.json"),
            Expect::Error(&["not an EventBridge event", "1 CodeCommit trigger record"]),
        ),
        (
            "a raw CloudTrail record".into(),
            load("cloudtrail-record-raw.json"),
            Expect::Error(&[
                "not an EventBridge event",
                "a raw CloudTrail record",
                "ModifyImageAttribute",
            ]),
        ),
        (
            "CloudTrail log records".into(),
            load("cloudtrail-log-records.json"),
            Expect::Error(&["not an EventBridge event", "1 CloudTrail log record"]),
        ),
        (
            "missing source".into(),
            without(sample, "source"),
            Expect::Error(&["not an EventBridge event", "without `source`"]),
        ),
        (
            "missing detail-type".into(),
            without(sample, "detail-type"),
            Expect::Error(&["not an EventBridge event", "without `detail-type`"]),
        ),
        // Addressed to another account: logged and skipped, with no AWS call
        // (`check` asserts that no event of the corpus publishes).
        (
            "another account".into(),
            replaced(sample, "/account", json!("111122223333")),
            Expect::Skip,
        ),
        (
            "missing account".into(),
            without(sample, "account"),
            Expect::Error(&["`account`", "missing"]),
        ),
        (
            "null".into(),
            Value::Null,
            Expect::Error(&["must be a JSON object", "null"]),
        ),
        (
            "a JSON string".into(),
            json!("{\"source\":\"aws.ec2\"}"),
            Expect::Error(&["must be a JSON object", "a string"]),
        ),
        (
            "a number".into(),
            json!(42),
            Expect::Error(&["must be a JSON object", "a number"]),
        ),
        (
            "an array".into(),
            json!([sample]),
            Expect::Error(&["must be a JSON object", "an array"]),
        ),
        (
            "a boolean".into(),
            json!(true),
            Expect::Error(&["must be a JSON object", "a boolean"]),
        ),
        (
            "source a number".into(),
            replaced(sample, "/source", json!(7)),
            Expect::Error(&["`source`"]),
        ),
        (
            "detail-type an object".into(),
            replaced(sample, "/detail-type", json!({})),
            Expect::Error(&["`detail-type`"]),
        ),
        (
            "wrong source".into(),
            replaced(sample, "/source", json!("aws.s3")),
            Expect::Skip,
        ),
        (
            "wrong detail-type".into(),
            replaced(sample, "/detail-type", json!("Object Created")),
            Expect::Skip,
        ),
        (
            "1 MB source".into(),
            replaced(sample, "/source", huge_string()),
            Expect::Skip,
        ),
        (
            "missing detail".into(),
            without(sample, "detail"),
            Expect::Error(&["`detail`"]),
        ),
        (
            "detail null".into(),
            replaced(sample, "/detail", Value::Null),
            Expect::Error(&["`detail`"]),
        ),
        (
            "detail a string".into(),
            replaced(sample, "/detail", json!("x")),
            Expect::Error(&["`detail`"]),
        ),
        (
            "detail 10,000 nested arrays".into(),
            replaced(sample, "/detail", deeply_nested(10_000)),
            Expect::Error(&["`detail"]),
        ),
        (
            "id a number".into(),
            replaced(sample, "/id", json!(1)),
            Expect::Error(&["`id`"]),
        ),
    ]
}

/// What `app` did with `event`.
async fn outcome<F: Function>(app: &F, event: &Value) -> Outcome {
    match app.handle(event).await {
        Ok(report) if report.is_skipped() => Outcome::Skipped(format!("{report:?}")),
        Ok(report) => Outcome::Handled(format!("{report:?}")),
        Err(error) => Outcome::Failed(error.to_string()),
    }
}

async fn check<F: Function>(app: &F, bed: &Bed, corpus: Vec<(String, Value, Expect)>) {
    let mut failures = Vec::new();
    let notified = corpus
        .iter()
        .filter(|(_, _, expect)| matches!(expect, Expect::Notified))
        .count();
    for (name, event, expect) in corpus {
        let outcome = outcome(app, &event).await;
        let good = match (&outcome, expect) {
            (Outcome::Skipped(_), Expect::Skip) => true,
            (Outcome::Handled(_), Expect::Handled | Expect::Notified) => true,
            (Outcome::Failed(message), Expect::Error(needles)) => {
                needles.iter().all(|needle| message.contains(needle))
            }
            _ => false,
        };
        let shown = match &outcome {
            Outcome::Skipped(report) => format!("skipped: {report}"),
            Outcome::Failed(message) => format!("error: {message}"),
            Outcome::Handled(report) => format!("handled: {report}"),
        };
        let shown: String = shown.chars().take(300).collect();
        println!("{name}: {shown}");
        if !good {
            failures.push(format!("{name}: expected {expect:?}, got {shown}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let published = bed.moto.published().await;
    assert_eq!(
        published.len(),
        notified,
        "only the events expected to notify may publish; got subjects {:?}",
        published
            .iter()
            .map(|message| &message.subject)
            .collect::<Vec<_>>()
    );
    for message in published {
        let subject = message.subject.clone().unwrap_or_default();
        assert!(subject.len() <= 100, "subject too long: {subject}");
        let sms = message.body("sms");
        assert!(sms.len() <= 140 && !sms.contains('\n'), "bad SMS: {sms}");
    }
}

#[tokio::test]
async fn ec2_alarm_creator_rejects_or_skips_every_malformed_event() {
    let bed = Bed::start().await;
    let app: ec2_alarm_creator::App = bed.app(&[]).await;
    let sample = load("ec2-instance-running.json");
    let mut corpus = common_corpus(&sample);
    corpus.extend([
        (
            "instance-id a number".into(),
            replaced(&sample, "/detail/instance-id", json!(5)),
            Expect::Error(&["`detail.instance-id`"]),
        ),
        (
            "state an object".into(),
            replaced(&sample, "/detail/state", json!({"name": "running"})),
            Expect::Error(&["`detail.state`"]),
        ),
        (
            "1 MB instance-id".into(),
            replaced(&sample, "/detail/instance-id", huge_string()),
            Expect::Error(&["instance-id"]),
        ),
    ]);
    // Reads or changes regional resources with its own clients: skips.
    corpus.push(another_region(&sample, Expect::Skip));
    check(&app, &bed, corpus).await;
}

#[tokio::test]
async fn ami_permission_notifier_rejects_or_skips_every_malformed_event() {
    let bed = Bed::start().await;
    let app: ami_permission_notifier::App = bed.app(&[]).await;
    let sample = load("ami-public.json");
    let mut corpus = common_corpus(&sample);
    corpus.extend([
        (
            "eventName a number".into(),
            replaced(&sample, "/detail/eventName", json!(5)),
            Expect::Error(&["`detail.eventName`"]),
        ),
        (
            "requestParameters a string".into(),
            replaced(&sample, "/detail/requestParameters", json!("x")),
            Expect::Error(&["`detail.requestParameters`"]),
        ),
        (
            "imageId an array".into(),
            replaced(&sample, "/detail/requestParameters/imageId", json!([])),
            Expect::Error(&["imageId"]),
        ),
        (
            "launchPermission a number".into(),
            replaced(
                &sample,
                "/detail/requestParameters/launchPermission",
                json!(1),
            ),
            Expect::Error(&["launchPermission"]),
        ),
        // Lenient on ids: an AMI made public is alerted on whatever its id looks like.
        (
            "1 MB imageId".into(),
            replaced(&sample, "/detail/requestParameters/imageId", huge_string()),
            Expect::Notified,
        ),
    ]);
    // Only reports: still notifies, naming the event's region.
    corpus.push(another_region(&sample, Expect::Notified));
    check(&app, &bed, corpus).await;
}

#[tokio::test]
async fn codecommit_change_publisher_rejects_or_skips_every_malformed_event() {
    let bed = Bed::start().await;
    let app: codecommit_change_publisher::App = bed.app(&[]).await;
    let sample = load("codecommit-branch-updated.json");
    let mut corpus = common_corpus(&sample);
    corpus.extend([
        (
            "repositoryName a number".into(),
            replaced(&sample, "/detail/repositoryName", json!(5)),
            Expect::Error(&["`detail.repositoryName`"]),
        ),
        (
            "event an array".into(),
            replaced(&sample, "/detail/event", json!([])),
            Expect::Error(&["`detail.event`"]),
        ),
        (
            "commitId an object".into(),
            replaced(&sample, "/detail/commitId", json!({})),
            Expect::Error(&["`detail.commitId`"]),
        ),
        (
            "referenceName null".into(),
            replaced(&sample, "/detail/referenceName", Value::Null),
            Expect::Error(&["`detail.referenceName`"]),
        ),
        (
            "1 MB commitId".into(),
            replaced(&sample, "/detail/commitId", huge_string()),
            Expect::Error(&["commitId"]),
        ),
    ]);
    // Reads or changes regional resources with its own clients: skips.
    corpus.push(another_region(&sample, Expect::Skip));
    check(&app, &bed, corpus).await;
}

#[tokio::test]
async fn health_event_forwarder_rejects_or_skips_every_malformed_event() {
    let bed = Bed::start().await;
    let app: health_event_forwarder::App = bed.app(&[]).await;
    let sample = load("health-account-issue.json");
    let mut corpus = common_corpus(&sample);
    corpus.extend([
        (
            "eventArn a number".into(),
            replaced(&sample, "/detail/eventArn", json!(5)),
            Expect::Error(&["`detail.eventArn`"]),
        ),
        (
            "eventTypeCategory an object".into(),
            replaced(&sample, "/detail/eventTypeCategory", json!({})),
            Expect::Error(&["`detail.eventTypeCategory`"]),
        ),
        (
            "affectedEntities a string".into(),
            replaced(&sample, "/detail/affectedEntities", json!("vol-1")),
            Expect::Error(&["`detail.affectedEntities`"]),
        ),
        (
            "eventDescription a number".into(),
            replaced(&sample, "/detail/eventDescription", json!(3)),
            Expect::Error(&["`detail.eventDescription`"]),
        ),
        // Too long for a DynamoDB key: the guard keys it by its digest, and
        // the alert quotes a capped excerpt.
        (
            "1 MB eventArn".into(),
            replaced(&sample, "/detail/eventArn", huge_string()),
            Expect::Notified,
        ),
    ]);
    // Only reports: still notifies, naming the event's region.
    corpus.push(another_region(&sample, Expect::Notified));
    check(&app, &bed, corpus).await;
}

#[tokio::test]
async fn idle_emr_terminator_rejects_or_skips_every_malformed_event() {
    let bed = Bed::start().await;
    let app: idle_emr_terminator::App = bed
        .app(&[("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")])
        .await;
    let sample = load("emr-idle-alarm-eventbridge.json");
    let sns = load("emr-idle-alarm-sns.json");
    let mut corpus = common_corpus(&sample);
    corpus.extend([
        (
            "alarmName a number".into(),
            replaced(&sample, "/detail/alarmName", json!(5)),
            Expect::Error(&["`detail.alarmName`"]),
        ),
        (
            "state a string".into(),
            replaced(&sample, "/detail/state", json!("ALARM")),
            Expect::Error(&["`detail.state`"]),
        ),
        // Without its metrics the alarm names no cluster: skipped, with that reason.
        (
            "configuration an array".into(),
            replaced(&sample, "/detail/configuration", json!([])),
            Expect::Skip,
        ),
        // The name is only carried; the cluster comes from the metric dimension.
        (
            "1 MB alarmName".into(),
            replaced(&sample, "/detail/alarmName", huge_string()),
            Expect::Handled,
        ),
        (
            "Records a string".into(),
            replaced(&sns, "/Records", json!("x")),
            Expect::Error(&["`Records`"]),
        ),
        (
            "Records[0].Sns.Message not JSON".into(),
            replaced(&sns, "/Records/0/Sns/Message", json!("{not json")),
            Expect::Error(&["`Records[0].Sns.Message`"]),
        ),
        (
            "Records[0].Sns.Message a number".into(),
            replaced(&sns, "/Records/0/Sns/Message", json!(5)),
            Expect::Error(&["Records[0].Sns.Message"]),
        ),
        (
            "Records[0].Sns.Message JSON of the wrong shape".into(),
            replaced(&sns, "/Records/0/Sns/Message", json!("[1,2]")),
            Expect::Error(&["Records[0].Sns.Message"]),
        ),
        (
            "Records[0].Sns.MessageId empty".into(),
            replaced(&sns, "/Records/0/Sns/MessageId", json!("")),
            Expect::Error(&["Records[0].Sns.MessageId"]),
        ),
        (
            "Records[0].Sns.Message 10,000 nested arrays".into(),
            replaced(
                &sns,
                "/Records/0/Sns/Message",
                Value::String(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
            ),
            Expect::Error(&["Records[0].Sns.Message", "recursion limit"]),
        ),
    ]);
    // Terminates clusters in its own region only: skips.
    corpus.push(another_region(&sample, Expect::Skip));
    check(&app, &bed, corpus).await;
}

/// Lambda's runtime parses the raw payload with serde_json, whose recursion
/// limit turns a hostile, deeply nested body into an error before any
/// handler runs.
#[test]
fn a_deeply_nested_raw_payload_is_refused_before_any_handler_runs() {
    let raw = format!(
        "{{\"source\":\"aws.ec2\",\"detail\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let error = serde_json::from_str::<Value>(&raw).expect_err("too deep to parse");
    assert!(
        error.to_string().contains("recursion limit exceeded"),
        "{error}"
    );
}
