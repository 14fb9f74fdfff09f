use super::*;
use crate::headline::Headline;
use crate::notification::{RenderedMessage, Step};
use serde_json::{Value, json};

/// The schema kept in the repository, checked by a maintained validator.
fn schema() -> jsonschema::Validator {
    let text = include_str!("../../schemas/chat-custom-notification.schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema")
}

fn assert_valid(chat: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(chat)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{chat:#}");
}

fn rendered(notification: &Notification) -> Value {
    let chat: Value =
        serde_json::from_str(&render(notification)).expect("the chat message is JSON");
    assert_valid(&chat);
    chat
}

fn sample() -> Notification {
    Notification::new(
        "ami-permission-notifier",
        Severity::Critical,
        Headline::new()
            .fixed("AMI ")
            .var("ami-0abc")
            .fixed(" made PUBLIC by ")
            .var("alice"),
    )
    .with_sms_text("AMI ami-0abc made PUBLIC in prod by alice")
    .with_fact("Account", "prod (111122223333)")
    .with_fact("Region", "eu-west-1")
    .with_fact(
        "Console",
        "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc",
    )
    .with_section("Changes", "- made PUBLIC\n- shared with 222233334444")
    .with_next_steps(
        "If this was not intended",
        vec![Step::command(
            "Undo it with the AWS CLI:",
            "aws ec2 modify-image-attribute --image-id ami-0abc --launch-permission \"Remove=[{Group=all}]\"",
        )],
    )
    .with_thread("ami-permission:111122223333:eu-west-1:ami-0abc")
    .with_resource("ami-0abc")
}

#[test]
fn a_notification_renders_as_the_documented_custom_notification() {
    assert_eq!(
        rendered(&sample()),
        json!({
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": "🔴 CRITICAL: AMI ami-0abc made PUBLIC by alice",
                "description": "*Account:* prod (111122223333)\n*Region:* eu-west-1\n*Console:* [Open](https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc)\n\n*Changes*\n- made PUBLIC\n- shared with 222233334444",
                "nextSteps": [
                    "Undo it with the AWS CLI: `aws ec2 modify-image-attribute --image-id ami-0abc --launch-permission \"Remove=[{Group=all}]\"`"
                ],
                "keywords": ["critical", "ami-permission-notifier"]
            },
            "metadata": {
                "threadId": "ami-permission:111122223333:eu-west-1:ami-0abc",
                "summary": "AMI ami-0abc made PUBLIC in prod by alice",
                "eventType": "ami-permission-notifier",
                "relatedResources": ["ami-0abc"],
                "additionalContext": {
                    "severity": "critical",
                    "source": "ami-permission-notifier"
                }
            }
        })
    );
}

#[test]
fn the_email_shows_the_next_steps_last_with_the_command_on_its_own_line() {
    let email = sample().render().email;
    assert!(
        email.contains(
            "If this was not intended\n------------------------\nUndo it with the AWS CLI:\naws ec2 modify-image-attribute"
        ),
        "{email}"
    );
    assert!(email.find("Changes\n").unwrap() < email.find("If this was not intended").unwrap());
}

#[test]
fn every_severity_has_its_marker_and_no_thread_means_no_thread_id() {
    for (severity, start) in [
        (Severity::Critical, "🔴 CRITICAL: "),
        (Severity::Warning, "🟠 WARNING: "),
        (Severity::Info, "🔵 "),
    ] {
        let chat = rendered(&Notification::new(
            "health-event-forwarder",
            severity,
            "EC2 issue",
        ));
        assert_eq!(chat["content"]["title"], format!("{start}EC2 issue"));
        assert_eq!(chat["content"]["keywords"][0], severity.as_str());
        assert!(chat["metadata"].get("threadId").is_none());
        assert!(chat["content"].get("nextSteps").is_none());
    }
}

#[test]
fn markup_that_forges_mentions_or_links_is_defused() {
    let hostile = "<!channel> @here @everyone <@U123> [click](https://evil.example) <https://evil.example|AWS console> <at>Admin</at> mail bob@example.com";
    let notification = Notification::new("codecommit-change-publisher", Severity::Warning, hostile)
        .with_sms_text(hostile)
        .with_fact(hostile, hostile)
        .with_section(hostile, hostile)
        .with_next_steps(hostile, vec![Step::text(hostile)]);
    let chat = rendered(&notification);
    let text = chat.to_string();
    for forged in ["<!", "<@", "@here", "@everyone", "](", "<https", "<at>"] {
        assert!(!text.contains(forged), "{forged} survived in {text}");
    }
    assert!(
        text.contains("＠here") && text.contains("‹!channel›"),
        "{text}"
    );
    assert!(text.contains("[click] (https://evil.example)"), "{text}");
    assert!(
        text.contains("bob@example.com"),
        "an address is not a mention: {text}"
    );
}

#[test]
fn a_link_built_from_event_text_cannot_end_early() {
    let notification = Notification::new("ami-permission-notifier", Severity::Info, "AMI")
        .with_fact(
            "Console",
            "https://console.aws.amazon.com/x?id=a) [evil](https://e|x <y>`",
        );
    let description = rendered(&notification)["content"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        description,
        "*Console:* [Open](https://console.aws.amazon.com/x?id=a%29%20%5Bevil%5D%28https://e%7Cx%20%3Cy%3E%60)"
    );
}

#[test]
fn hidden_characters_go_as_in_the_email_and_emoji_sequences_stay() {
    let notification = Notification::new(
        "codecommit-change-publisher",
        Severity::Info,
        "branch \u{202E}niam\u{202C} by 👩\u{200D}💻",
    )
    .with_section("Commits", "fix\u{200B}ed\u{0007}\nline two");
    let chat = rendered(&notification);
    assert_eq!(chat["content"]["title"], "🔵 branch niam by 👩\u{200D}💻");
    let description = chat["content"]["description"].as_str().unwrap();
    assert_eq!(description, "*Commits*\nfix ed\nline two");
    assert!(!description.contains('\u{200B}') && !description.contains('\u{7}'));
}

#[test]
fn huge_fields_are_cut_with_a_marker_and_stay_valid() {
    let huge = "x".repeat(1024 * 1024);
    let emoji = "👩\u{200D}💻".repeat(100_000);
    let notification =
        Notification::new("health-event-forwarder", Severity::Critical, huge.as_str())
            .with_sms_text(huge.as_str())
            .with_fact("Entity", huge.as_str())
            .with_section("Resources", emoji.as_str())
            .with_next_steps(
                "What you can do",
                (0..20)
                    .map(|n| Step::text(format!("step {n} {huge}")))
                    .collect(),
            )
            .with_thread(huge.as_str())
            .with_resource(huge.as_str());
    let chat = rendered(&notification);
    let title = chat["content"]["title"].as_str().unwrap();
    assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
    assert!(title.ends_with(CHAT_TRUNCATION_MARKER));
    let description = chat["content"]["description"].as_str().unwrap();
    assert!(description.chars().count() <= MAX_DESCRIPTION_CHARS);
    assert!(description.ends_with(CHAT_TRUNCATION_MARKER));
    let steps = chat["content"]["nextSteps"].as_array().unwrap();
    assert_eq!(steps.len(), MAX_NEXT_STEPS + 1);
    assert_eq!(steps[MAX_NEXT_STEPS], "15 more steps in the email");
    assert!(
        chat["metadata"]["summary"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            <= MAX_SUMMARY_CHARS
    );
    assert_eq!(
        chat["metadata"]["threadId"].as_str().unwrap().len(),
        MAX_THREAD_ID_CHARS - 1
    );
    // The whole publish still fits SNS.
    let rendered = notification.render();
    assert!(rendered.message_json().len() < crate::notification::MAX_MESSAGE_BYTES);
}

#[test]
fn a_cut_never_splits_an_emoji_sequence() {
    let notification = Notification::new(
        "codecommit-change-publisher",
        Severity::Info,
        "👩\u{200D}💻".repeat(200),
    );
    let title = rendered(&notification)["content"]["title"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = title
        .trim_start_matches("🔵 ")
        .trim_end_matches(CHAT_TRUNCATION_MARKER);
    assert!(kept.split("👩\u{200D}💻").all(str::is_empty), "{title:?}");
}

#[test]
fn long_thread_keys_keep_their_start_and_end() {
    let key = format!("health:{}:end-1", "a".repeat(400));
    let id = thread_id(&key);
    assert!(
        id.starts_with("health:aaa") && id.ends_with("a:end-1"),
        "{id}"
    );
    assert!(id.len() <= MAX_THREAD_ID_CHARS);
    assert_eq!(thread_id("emr:j-1 ü"), "emr:j-1__");
    let blank = Notification::new("idle-emr-terminator", Severity::Info, "x").with_thread(" \t");
    assert!(rendered(&blank)["metadata"].get("threadId").is_none());
}

#[test]
fn the_publish_carries_the_chat_message_as_its_https_body() {
    let rendered = sample().render();
    let message: Value = serde_json::from_str(&rendered.message_json()).unwrap();
    assert_eq!(message["https"], rendered.chat.as_str());
    assert_eq!(message["https"], render(&sample()).as_str());
    assert_eq!(message["email"], rendered.email.as_str());
    assert_eq!(message["default"], rendered.default.as_str());
}

#[test]
fn a_notice_kept_before_chat_existed_is_sent_without_an_https_body() {
    let kept = json!({
        "subject": "s", "email": "e", "sms": "m", "default": "d",
        "severity": "warning", "source": "idle-emr-terminator"
    });
    let notice: RenderedMessage = serde_json::from_value(kept).unwrap();
    assert_eq!(notice.chat, "");
    let message: Value = serde_json::from_str(&notice.message_json()).unwrap();
    assert!(message.get("https").is_none(), "{message}");
    assert_eq!(message["default"], "d");
}
