use super::*;
use crate::events::parse_event;
use serde_json::json;

fn minimal_detail() -> serde_json::Value {
    json!({
        "eventArn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventTypeCategory": "issue",
        "startTime": "2026-11-22T10:00:00Z"
    })
}

fn event(detail: serde_json::Value) -> serde_json::Value {
    json!({
        "id": "e1", "detail-type": EVENT_DETAIL_TYPE, "source": SOURCE,
        "account": "123456789012", "region": "eu-west-1", "detail": detail
    })
}

#[test]
fn times_in_both_formats_read_as_utc() {
    let cases = [
        ("2026-11-22T10:00:00Z", Some("2026-11-22 10:00 UTC")),
        ("2026-11-22T10:00:59.123Z", Some("2026-11-22 10:00 UTC")),
        ("2026-11-22T10:00:00", Some("2026-11-22 10:00 UTC")),
        ("2026-11-22 10:00", Some("2026-11-22 10:00 UTC")),
        ("2026-11-22", Some("2026-11-22 00:00 UTC")),
        ("2026-11-22T11:30:00+01:30", Some("2026-11-22 10:00 UTC")),
        ("2026-11-22T05:00:00-0500", Some("2026-11-22 10:00 UTC")),
        ("2026-01-01T00:30:00+01:00", Some("2025-12-31 23:30 UTC")),
        ("2024-02-29T12:00:00Z", Some("2024-02-29 12:00 UTC")),
        ("2023-12-31T23:59:60Z", Some("2023-12-31 23:59 UTC")),
        ("1969-12-31T23:00:00Z", Some("1969-12-31 23:00 UTC")),
        (
            "Sat, 05 Jun 2021 00:00:00 GMT",
            Some("2021-06-05 00:00 UTC"),
        ),
        (
            "Fri, 27 Jan 2023 06:02:51 GMT",
            Some("2023-01-27 06:02 UTC"),
        ),
        ("5 Jun 2021 13:45 +0200", Some("2021-06-05 11:45 UTC")),
        (
            "Sat, 05 JUN 2021 00:00:00 UTC",
            Some("2021-06-05 00:00 UTC"),
        ),
        ("2023-02-29T00:00:00Z", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-11-22T25:00:00Z", None),
        ("2026-11-22T10:00:00.Z", None),
        ("2026-11-22X10:00", None),
        ("yesterday", None),
        ("Sat, 32 Jun 2021 00:00:00 GMT", None),
        ("Sat, 05 Juni 2021 00:00:00 GMT", None),
        ("Sat, 05 Jun 2021 00:00:00 CEST", None),
        ("", None),
    ];
    for (text, expected) in cases {
        assert_eq!(
            HealthTime::parse(text).map(|time| time.to_string()),
            expected.map(str::to_owned),
            "{text:?}"
        );
    }
}

#[test]
fn a_minimal_event_parses_with_every_optional_field_absent() {
    let parsed = parse_event::<HealthEventDetail>(&event(minimal_detail())).unwrap();
    let detail = &parsed.detail;
    assert_eq!(detail.event_type_category, EventCategory::Issue);
    assert_eq!(detail.status_code, None);
    assert_eq!(detail.communication_id, None);
    assert_eq!(detail.end_time, None);
    assert_eq!(detail.last_updated_time, None);
    assert!(detail.affected_entities.is_empty());
    assert_eq!((detail.page, detail.total_pages), (None, None));
    assert_eq!(detail.description(), None);
    assert_eq!(parsed.impacted_region(), Some("us-east-1"));
    assert_eq!(parsed.affected_account(), "123456789012");
    assert!(!parsed.is_organisational_view());
    assert!(!parsed.is_abuse());
}

#[test]
fn optional_fields_may_be_null_blank_or_strings() {
    let mut detail = minimal_detail();
    detail["endTime"] = json!("");
    detail["lastUpdatedTime"] = json!(null);
    detail["affectedEntities"] = json!(null);
    detail["eventDescription"] = json!(null);
    detail["page"] = json!("1");
    detail["totalPages"] = json!(" 3 ");
    detail["affectedAccount"] = json!("444455556666");
    detail["eventRegion"] = json!("global");
    detail["communicationId"] = json!(" 01b0993207d81a09-1 ");
    let parsed = parse_event::<HealthEventDetail>(&event(detail)).unwrap();
    assert_eq!(
        parsed.detail.communication_id.as_deref(),
        Some("01b0993207d81a09-1")
    );
    assert_eq!(parsed.detail.end_time, None);
    assert_eq!(
        (parsed.detail.page, parsed.detail.total_pages),
        (Some(1), Some(3))
    );
    assert_eq!(parsed.affected_account(), "444455556666");
    assert!(parsed.is_organisational_view());
    assert_eq!(parsed.impacted_region(), Some("global"));
}

#[test]
fn unknown_categories_and_statuses_are_carried_through() {
    let cases = [
        ("issue", "open", EventCategory::Issue, EventStatus::Open),
        (
            "ScheduledChange",
            "UPCOMING",
            EventCategory::ScheduledChange,
            EventStatus::Upcoming,
        ),
        (
            "accountNotification",
            "closed",
            EventCategory::AccountNotification,
            EventStatus::Closed,
        ),
        (
            "investigation",
            " open ",
            EventCategory::Investigation,
            EventStatus::Open,
        ),
        (
            "futureThing",
            "paused",
            EventCategory::Other("futureThing".into()),
            EventStatus::Other("paused".into()),
        ),
    ];
    for (category, status, expected_category, expected_status) in cases {
        let mut detail = minimal_detail();
        detail["eventTypeCategory"] = json!(category);
        detail["statusCode"] = json!(status);
        let parsed = parse_event::<HealthEventDetail>(&event(detail)).unwrap();
        assert_eq!(parsed.detail.event_type_category, expected_category);
        assert_eq!(parsed.detail.status_code, Some(expected_status));
    }
    assert_eq!(EventCategory::Other("x".into()).as_str(), "x");
    assert_eq!(EventCategory::ScheduledChange.phrase(), "scheduled change");
}

#[test]
fn descriptions_prefer_en_us_then_the_first() {
    let cases = [
        (
            json!([{"language": "de_DE", "latestDescription": "Hallo"}, {"language": "en_US", "latestDescription": "Hello"}]),
            Some("Hello"),
        ),
        (
            json!([{"language": "ja_JP", "latestDescription": "Konnichiwa"}, {"language": "de_DE", "latestDescription": "Hallo"}]),
            Some("Konnichiwa"),
        ),
        (
            json!([{"latestDescription": "No language"}]),
            Some("No language"),
        ),
        (
            json!([{"language": "en_US", "latestDescription": "  "}]),
            None,
        ),
        (json!([]), None),
    ];
    for (descriptions, expected) in cases {
        let mut detail = minimal_detail();
        detail["eventDescription"] = descriptions.clone();
        let parsed = parse_event::<HealthEventDetail>(&event(detail)).unwrap();
        assert_eq!(parsed.detail.description(), expected, "{descriptions}");
    }
}

#[test]
fn entities_may_lack_tags_status_and_value() {
    let mut detail = minimal_detail();
    detail["affectedEntities"] = json!([
        {"entityValue": "i-1", "status": "IMPAIRED", "tags": {"Name": "web", "count": 3, "empty": null}},
        {"entityValue": "i-2", "tags": null},
        {"entityArn": "arn:aws:ec2:us-east-1:1:instance/i-3"},
        {}
    ]);
    let parsed = parse_event::<HealthEventDetail>(&event(detail)).unwrap();
    let entities = &parsed.detail.affected_entities;
    assert_eq!(entities[0].status.as_deref(), Some("IMPAIRED"));
    assert_eq!(
        entities[0].tags,
        BTreeMap::from([
            ("Name".to_owned(), "web".to_owned()),
            ("count".to_owned(), "3".to_owned()),
            ("empty".to_owned(), String::new()),
        ])
    );
    assert!(entities[1].tags.is_empty());
    let names: Vec<&str> = entities.iter().map(AffectedEntity::name).collect();
    assert_eq!(
        names,
        vec![
            "i-1",
            "i-2",
            "arn:aws:ec2:us-east-1:1:instance/i-3",
            "(unnamed entity)"
        ]
    );
}

#[test]
fn abuse_events_are_recognised_by_detail_type_or_code() {
    let mut abuse = event(minimal_detail());
    abuse["detail-type"] = json!(ABUSE_EVENT_DETAIL_TYPE);
    assert!(parse_event::<HealthEventDetail>(&abuse).unwrap().is_abuse());
    let mut detail = minimal_detail();
    detail["eventTypeCode"] = json!("AWS_ABUSE_DOS_REPORT");
    assert!(
        parse_event::<HealthEventDetail>(&event(detail))
            .unwrap()
            .is_abuse()
    );
}

#[test]
fn malformed_fields_are_named() {
    let cases = [
        (
            "startTime",
            json!("soon"),
            "event field `detail.startTime` is malformed: \"soon\" is not an ISO 8601 or RFC 2822 time",
        ),
        (
            "endTime",
            json!("later"),
            "event field `detail.endTime` is malformed: \"later\" is not an ISO 8601 or RFC 2822 time",
        ),
        (
            "page",
            json!("first"),
            "event field `detail.page` is malformed: \"first\" is not a number: invalid digit found in string",
        ),
        (
            "eventTypeCategory",
            json!(" "),
            "event field `detail.eventTypeCategory` is malformed: the category is empty",
        ),
        (
            "affectedEntities",
            json!("i-1"),
            "event field `detail.affectedEntities` is malformed: invalid type: string \"i-1\", expected a sequence",
        ),
    ];
    for (field, value, expected) in cases {
        let mut detail = minimal_detail();
        detail[field] = value;
        assert_eq!(
            parse_event::<HealthEventDetail>(&event(detail))
                .unwrap_err()
                .to_string(),
            expected
        );
    }
    let mut detail = minimal_detail();
    detail.as_object_mut().unwrap().remove("eventArn");
    assert_eq!(
        parse_event::<HealthEventDetail>(&event(detail))
            .unwrap_err()
            .to_string(),
        "event field `detail` is malformed: missing field `eventArn`"
    );
}

/// `aws_lambda_events`' Health detail (`cloudwatch_events::health::Event`)
/// requires `endTime` and every affected entity's `tags`. Real events leave
/// `endTime` out while an issue is open or an event is scheduled, and
/// entities often carry no `tags`: the crate's type refuses them, so this
/// module keeps its own. When this test fails after an upgrade, the crate
/// reads real Health events and `HealthEventDetail` can be read through it.
#[test]
fn the_crates_health_event_rejects_real_samples_so_ours_stays() {
    use aws_lambda_events::cloudwatch_events::health::Event;
    let samples = [
        // An open issue: no `endTime`.
        (
            "health-account-issue.json",
            include_str!("../../../../events/health-account-issue.json"),
            "missing field `endTime`",
        ),
        (
            "health-public-issue.json",
            include_str!("../../../../events/health-public-issue.json"),
            "missing field `endTime`",
        ),
        // Scheduled (no `endTime` either), with an entity without `tags`,
        // which the crate meets first.
        (
            "health-scheduled-retirement.json",
            include_str!("../../../../events/health-scheduled-retirement.json"),
            "missing field `tags`",
        ),
        // Closed (it has `endTime`), but its entities have no `tags`.
        (
            "health-2000-entities.json",
            include_str!("../../../../events/health-2000-entities.json"),
            "missing field `tags`",
        ),
    ];
    for (name, text, why) in samples {
        let event: serde_json::Value = serde_json::from_str(text).unwrap();
        let error = serde_json::from_value::<Event>(event["detail"].clone())
            .expect_err(&format!("the crate now reads {name}: adopt its type"));
        assert!(error.to_string().contains(why), "{name}: {error}");
        // Ours reads it.
        parse_event::<HealthEventDetail>(&event).unwrap();
    }
}
