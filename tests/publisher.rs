//! The shared publisher against SNS: what subscribers really receive.

use testbed::Moto;
use testbed::sns::SubscribedTopics;
use watchkeeper_shared::notification::{MAX_MESSAGE_BYTES, TRUNCATION_MARKER};
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::{Notification, Severity};

fn sample(severity: Severity) -> Notification {
    Notification::new(
        "ami-permission-notifier",
        severity,
        "AMI ami-0abc made PUBLIC by alice\nforged line",
    )
    .with_sms_text("AMI ami-0abc made PUBLIC by alice")
    .with_fact("Account", "prod (123456789012)")
    .with_section("What changed", "made PUBLIC")
}

#[tokio::test]
async fn one_publish_carries_email_sms_and_default_bodies_with_attributes() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = SubscribedTopics::create(&sdk).await;
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&sdk), topics.topics.clone());

    publisher
        .publish(&sample(Severity::Critical))
        .await
        .unwrap();

    let delivered = topics.critical_deliveries().await;
    assert_eq!(delivered.len(), 1, "one delivery to the critical topic");
    assert!(
        topics.warning_deliveries().await.is_empty(),
        "nothing on the warning topic"
    );
    let expected_default = "AMI ami-0abc made PUBLIC by alice forged line\n\nSeverity: CRITICAL\nAccount: prod (123456789012)\n\nWhat changed\n------------\nmade PUBLIC\n";
    assert_eq!(
        delivered[0].subject.as_deref(),
        Some("AMI ami-0abc made PUBLIC by alice forged line")
    );
    assert_eq!(delivered[0].message, expected_default);
    assert_eq!(
        delivered[0].attributes.get("severity").map(String::as_str),
        Some("critical")
    );
    assert_eq!(
        delivered[0].attributes.get("source").map(String::as_str),
        Some("ami-permission-notifier")
    );

    let published = moto.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].topic_arn, topics.topics.critical_topic_arn);
    assert_eq!(
        published[0].body("sms"),
        "CRITICAL: AMI ami-0abc made PUBLIC by alice"
    );
    assert_eq!(
        published[0].body("email"),
        format!("{expected_default}\n--\nSent by Watchkeeper (ami-permission-notifier)\n")
    );
    assert_eq!(
        published[0].attribute("severity").as_deref(),
        Some("critical")
    );
}

#[tokio::test]
async fn info_and_warning_go_to_the_warning_topic() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = SubscribedTopics::create(&sdk).await;
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&sdk), topics.topics.clone());

    publisher.publish(&sample(Severity::Info)).await.unwrap();
    publisher.publish(&sample(Severity::Warning)).await.unwrap();

    let severities: Vec<_> = topics
        .warning_deliveries()
        .await
        .into_iter()
        .map(|delivered| delivered.attributes["severity"].clone())
        .collect();
    assert_eq!(severities.len(), 2);
    assert!(severities.contains(&"info".to_owned()) && severities.contains(&"warning".to_owned()));
    assert!(topics.critical_deliveries().await.is_empty());
}

#[tokio::test]
async fn a_huge_event_is_truncated_and_still_accepted_by_sns() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = SubscribedTopics::create(&sdk).await;
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&sdk), topics.topics.clone());
    let entities: Vec<String> = (0..20_000)
        .map(|n| format!("arn:aws:ec2:eu-west-1:123456789012:instance/i-{n:017x}"))
        .collect();

    publisher
        .publish(
            &sample(Severity::Warning).with_full_event(serde_json::json!({ "entities": entities })),
        )
        .await
        .unwrap();

    let published = moto.published().await;
    assert!(published[0].message.len() <= MAX_MESSAGE_BYTES);
    assert!(published[0].body("email").contains(TRUNCATION_MARKER));
    assert_eq!(topics.warning_deliveries().await.len(), 1);
}

#[tokio::test]
async fn a_publish_to_a_missing_topic_is_an_error_naming_the_topic() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = watchkeeper_shared::publisher::Topics {
        warning_topic_arn: "arn:aws:sns:eu-west-1:123456789012:does-not-exist".into(),
        critical_topic_arn: "arn:aws:sns:eu-west-1:123456789012:does-not-exist".into(),
    };
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&sdk), topics);

    let error = publisher
        .publish(&sample(Severity::Warning))
        .await
        .unwrap_err()
        .to_string();

    assert!(
        error.starts_with("publishing \"AMI ami-0abc made PUBLIC by alice forged line\" to SNS topic arn:aws:sns:eu-west-1:123456789012:does-not-exist failed: "),
        "{error}"
    );
    assert!(error.contains("NotFound"), "{error}");
}

/// `make demo` and the tests find "the message just sent" in the emulator's
/// list; moto keeps each topic's messages apart, so the test bed must put
/// them back in the order SNS accepted them.
#[tokio::test]
async fn the_test_bed_lists_messages_in_publish_order_across_topics() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = SubscribedTopics::create(&sdk).await;
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&sdk), topics.topics.clone());
    let mut sent = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::Warning,
        Severity::Critical,
        Severity::Info,
        Severity::Critical,
    ] {
        sent.push(publisher.publish(&sample(severity)).await.unwrap());
    }

    let listed: Vec<String> = moto
        .published()
        .await
        .into_iter()
        .map(|message| message.message_id)
        .collect();

    assert_eq!(listed, sent);
}
