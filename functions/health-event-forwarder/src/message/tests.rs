use super::*;
use crate::fixtures;
use serde_json::json;
use watchkeeper_shared::events::parse_event;
use watchkeeper_shared::notification::{MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS};

fn raw(detail_type: &str, detail: Value) -> Value {
    let base = json!({
        "eventArn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventTypeCategory": "issue",
        "statusCode": "open",
        "eventRegion": "us-east-1",
        "startTime": "2026-11-22T10:00:00Z"
    });
    fixtures::health_event(detail_type, base, detail)
}

fn parsed(raw: &Value) -> HealthEvent {
    parse_event(raw).unwrap()
}

#[test]
fn headlines_name_service_category_region_account_and_part() {
    let event = "AWS Health Event";
    let cases = [
        (
            event,
            json!({}),
            "EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"statusCode": "closed"}),
            "Resolved: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"eventTypeCategory": "scheduledChange", "eventRegion": "eu-west-1"}),
            "EC2 scheduled change in eu-west-1: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"eventRegion": "global", "service": "IAM"}),
            "IAM issue (global): AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"affectedAccount": "444455556666"}),
            "EC2 issue in us-east-1 for account 444455556666: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"affectedAccount": "123456789012"}),
            "EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"page": "2", "totalPages": "3"}),
            "EC2 issue in us-east-1, part 2 of 3: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            event,
            json!({"page": "1", "totalPages": "1"}),
            "EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        ),
        (
            "AWS Health Abuse Event",
            json!({"eventRegion": "global", "service": "ABUSE", "eventTypeCode": "AWS_ABUSE_DOS_REPORT"}),
            "Abuse report (global): AWS_ABUSE_DOS_REPORT",
        ),
        (
            event,
            json!({"eventRegion": null, "eventArn": "arn:aws:health:::event/X"}),
            "EC2 issue: AWS_EC2_OPERATIONAL_ISSUE",
        ),
    ];
    for (detail_type, detail, expected) in cases {
        assert_eq!(
            headline(&parsed(&raw(detail_type, detail.clone()))).text(),
            expected,
            "{detail}"
        );
    }
}

#[test]
fn end_times_say_ongoing_or_not_set() {
    let cases = [
        (json!({}), "ongoing"),
        (
            json!({"endTime": "Sat, 05 Jun 2021 00:00:00 GMT"}),
            "2021-06-05 00:00 UTC",
        ),
        (json!({"eventTypeCategory": "investigation"}), "ongoing"),
        (json!({"statusCode": "closed"}), "not set"),
        (
            json!({"eventTypeCategory": "scheduledChange", "statusCode": "upcoming"}),
            "not set",
        ),
        (
            json!({"eventTypeCategory": "accountNotification"}),
            "not set",
        ),
    ];
    for (detail, expected) in cases {
        assert_eq!(
            end_text(&parsed(&raw("AWS Health Event", detail.clone()))),
            expected,
            "{detail}"
        );
    }
}

#[test]
fn dashboard_links_encode_the_arn() {
    assert_eq!(
        dashboard_link("arn:aws:health:us-east-1::event/EC2/X_1 a+b"),
        "https://health.aws.amazon.com/health/home#/account/event-log?eventID=arn%3Aaws%3Ahealth%3Aus-east-1%3A%3Aevent%2FEC2%2FX_1%20a%2Bb&eventTab=details"
    );
}

#[test]
fn thousands_are_separated() {
    for (number, expected) in [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (1_950, "1,950"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(thousands(number), expected);
    }
}

#[test]
fn entity_lines_show_status_and_tags_when_present() {
    let raw = raw(
        "AWS Health Event",
        json!({"affectedEntities": [
            {"entityValue": "i-1", "status": "IMPAIRED", "tags": {"Name": "web-1", "Environment": "production"}},
            {"entityValue": "i-2"},
            {"entityValue": "i-3", "status": "RESOLVED"},
            {"entityValue": "i-4", "tags": {"Name": "x".repeat(600)}}
        ]}),
    );
    let (heading, body) = resources_section(&parsed(&raw));
    assert_eq!(heading, "Affected resources (4)");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "- i-1, status IMPAIRED, tags: Environment=production, Name=web-1"
    );
    assert_eq!(lines[1], "- i-2");
    assert_eq!(lines[2], "- i-3, status RESOLVED");
    assert_eq!(lines[3].chars().count(), MAX_ENTITY_LINE_CHARS);
    assert!(lines[3].ends_with("xxx..."));
    assert_eq!(lines.len(), 4);
}

#[test]
fn envelope_resources_stand_in_for_missing_entities() {
    let mut with_resources = raw("AWS Health Event", json!({}));
    with_resources["resources"] = json!(["arn:aws:ec2:us-east-1:123456789012:instance/i-1"]);
    assert_eq!(
        resources_section(&parsed(&with_resources)),
        (
            "Affected resources (1)".to_owned(),
            "- arn:aws:ec2:us-east-1:123456789012:instance/i-1\n".to_owned()
        )
    );
    assert_eq!(
        resources_section(&parsed(&raw("AWS Health Event", json!({})))),
        (
            "Affected resources (0)".to_owned(),
            "None listed in the event.\n".to_owned()
        )
    );
}

#[test]
fn many_or_huge_entities_are_cut_with_exact_counts_and_always_fit() {
    let many: Vec<Value> = (0..2_000)
        .map(|n| json!({"entityValue": format!("i-{n:017x}")}))
        .collect();
    let raw_many = raw("AWS Health Event", json!({"affectedEntities": many}));
    let (heading, body) = resources_section(&parsed(&raw_many));
    assert_eq!(heading, "Affected resources (2,000)");
    assert_eq!(body.lines().count(), MAX_LISTED_ENTITIES + 1);
    assert!(
        body.ends_with("- i-00000000000000031\n... and 1,950 more entities (2,000 in total)\n"),
        "{body}"
    );

    let tags: serde_json::Map<String, Value> = (0..50)
        .map(|n| (format!("tag-{n}"), json!("v".repeat(256))))
        .collect();
    let huge: Vec<Value> = (0..2_000)
        .map(|n| json!({"entityValue": format!("i-{n}"), "tags": tags}))
        .collect();
    let raw_huge = raw(
        "AWS Health Event",
        json!({"affectedEntities": huge, "eventDescription": [{"language": "en_US", "latestDescription": "d".repeat(100_000)}]}),
    );
    let (_, body) = resources_section(&parsed(&raw_huge));
    assert!(
        body.len() < ENTITY_LIST_BUDGET_BYTES + 100,
        "{}",
        body.len()
    );
    let shown = body.lines().count() - 1;
    assert!(body.ends_with(&format!(
        "... and {} more entities (2,000 in total)\n",
        thousands(2_000 - shown)
    )));

    let rendered = notification(&parsed(&raw_huge), &raw_huge, Severity::Warning).render();
    assert!(rendered.message_json().len() < MAX_MESSAGE_BYTES - 1024);
    assert!(
        rendered
            .email
            .contains("Full event\n----------\nNot attached: at ")
    );
    assert!(rendered.email.contains("more entities (2,000 in total)"));
}

/// Issue 13: a long event type code, service or account must not push
/// what happened (Resolved, the category, the part) out of the subject.
#[test]
fn long_codes_and_services_are_shortened_and_the_words_kept() {
    let code = format!(
        "AWS_{}_OPERATIONAL_ISSUE",
        "VERY_LONG_SERVICE_NAME_".repeat(6)
    );
    let service = format!("ELASTIC{}", "LOADBALANCING".repeat(8));
    let raw = raw(
        "AWS Health Event",
        json!({
            "service": service, "eventTypeCode": code, "statusCode": "closed",
            "eventTypeCategory": "scheduledChange", "eventRegion": "ap-southeast-4",
            "affectedAccount": "444455556666", "page": "2", "totalPages": "3"
        }),
    );
    let rendered = notification(&parsed(&raw), &raw, Severity::Warning).render();
    // Everything at once: every name is shortened, every word kept.
    for (text, start) in [
        (&rendered.subject, "[AWS Health] Resolved: EL"),
        (&rendered.sms, "WARNING: AWS Health: Resolved: EL"),
    ] {
        assert!(text.starts_with(start), "{text}");
        for words in [
            " scheduled change in ap",
            " for account 44",
            ", part 2 of 3: AW",
            "...",
        ] {
            assert!(text.contains(words), "{words:?} missing from {text}");
        }
    }
    assert!(rendered.subject.len() <= MAX_SUBJECT_CHARS);
    assert!(rendered.sms.len() <= 140);
    assert!(rendered.default.starts_with(&format!(
        "[AWS Health] Resolved: {service} scheduled change"
    )));
    assert!(rendered.default.contains(&format!("Event type: {code}\n")));

    // Only the code is long: it alone is shortened, in the middle.
    let raw = raw_with(json!({"eventTypeCode": code, "affectedAccount": "444455556666"}));
    let rendered = notification(&parsed(&raw), &raw, Severity::Warning).render();
    for (text, max) in [(&rendered.subject, MAX_SUBJECT_CHARS), (&rendered.sms, 140)] {
        assert!(
            text.contains("EC2 issue in us-east-1 for account 444455556666: AWS_VERY_LONG_"),
            "{text}"
        );
        assert!(text.ends_with("OPERATIONAL_ISSUE"), "{text}");
        assert!(text.contains("..."), "{text}");
        assert!(text.len() <= max);
    }
}

fn raw_with(detail: Value) -> Value {
    raw("AWS Health Event", detail)
}

#[test]
fn entity_lines_are_cut_between_grapheme_clusters() {
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
    let raw = raw(
        "AWS Health Event",
        json!({"affectedEntities": [{"entityValue": "i-1", "tags": {"Team": family.repeat(200)}}]}),
    );
    let (_, body) = resources_section(&parsed(&raw));
    let line = body.lines().next().unwrap();
    let cut = line.strip_suffix("...").expect("the line was cut");
    assert!(cut.ends_with(family), "{cut}");
    assert!(cut.chars().count() <= MAX_ENTITY_LINE_CHARS - 3);
    let rendered = notification(&parsed(&raw), &raw, Severity::Info).render();
    assert!(
        rendered
            .email
            .contains(&format!("Team={}", family.repeat(5)))
    );
}

#[test]
fn subjects_and_sms_stay_within_sns_limits() {
    let raw = raw(
        "AWS Health Event",
        json!({
            "eventTypeCode": "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED_WITH_A_VERY_LONG_SUFFIX",
            "affectedAccount": "444455556666", "page": "10", "totalPages": "12", "statusCode": "closed"
        }),
    );
    let rendered = notification(&parsed(&raw), &raw, Severity::Critical).render();
    assert_eq!(rendered.subject.len(), MAX_SUBJECT_CHARS);
    assert!(rendered.subject.starts_with(
        "[AWS Health] Resolved: EC2 issue in us-east-1 for account 444455556666, part 10 of 12: "
    ));
    assert!(rendered.sms.len() <= 140);
    assert!(
        rendered
            .sms
            .starts_with("CRITICAL: AWS Health: Resolved: EC2 issue")
    );
}

#[test]
fn a_backup_copy_says_it_came_via_the_backup_region_beside_the_region() {
    let raw = raw("AWS Health Event", json!({}));
    let plain = notification(&parsed(&raw), &raw, Severity::Critical);
    let via = via_backup_region(plain.clone(), "us-west-2");
    let keys: Vec<&str> = via.summary.iter().map(|(key, _)| key.as_str()).collect();
    let region = keys.iter().position(|key| *key == "Region").unwrap();
    assert_eq!(keys[region + 1], "Delivered");
    assert_eq!(via.summary[region + 1].1, "via the backup region us-west-2");
    assert_eq!(via.summary.len(), plain.summary.len() + 1);
    assert!(
        via.render()
            .email
            .contains("\nDelivered: via the backup region us-west-2\n")
    );
    // The title and SMS stay those of the event.
    assert_eq!(via.title, plain.title);
}
