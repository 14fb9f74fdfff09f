//! What operators read: a Health event as a notification that reads well in
//! an inbox and on a phone. Pure; no AWS.

use serde_json::Value;

use watchkeeper_shared::events::health::{
    AffectedEntity, EventCategory, EventStatus, HealthEvent, HealthTime,
};
use watchkeeper_shared::notification::Notification;
use watchkeeper_shared::text::truncate_graphemes_to_chars;
use watchkeeper_shared::{Headline, Severity};

/// The `source` message attribute and the email footer.
pub const SOURCE: &str = "health-event-forwarder";
/// Entities listed one per line; the rest are counted.
pub const MAX_LISTED_ENTITIES: usize = 50;
/// Bytes the entity list may take, so that a few entities with many long
/// tags cannot crowd out the description.
pub const ENTITY_LIST_BUDGET_BYTES: usize = 8 * 1024;
/// One entity line is cut beyond this many characters.
const MAX_ENTITY_LINE_CHARS: usize = 500;
/// The raw event is attached to the email only up to this size (pretty
/// JSON); a larger one would be cut mid-way and help nobody.
pub const FULL_EVENT_MAX_BYTES: usize = 32 * 1024;
const DASHBOARD_URL: &str = "https://health.aws.amazon.com/health/home#/account/event-log";

pub fn notification(event: &HealthEvent, raw_event: &Value, severity: Severity) -> Notification {
    let detail = &event.detail;
    let title = Headline::new().fixed("[AWS Health] ").then(headline(event));
    let sms = Headline::new().fixed("AWS Health: ").then(headline(event));
    let mut notification = Notification::new(SOURCE, severity, title)
        .with_sms_text(sms)
        .with_fact("Status", status_text(detail.status_code.as_ref()))
        .with_fact("Service", &detail.service)
        .with_fact("Category", detail.event_type_category.as_str())
        .with_fact("Event type", &detail.event_type_code)
        .with_fact("Region", event.impacted_region().unwrap_or("not stated"));
    if let Some(scope) = &detail.event_scope_code {
        notification = notification.with_fact("Scope", scope);
    }
    notification = notification
        .with_fact("Account", account_text(event))
        .with_fact("Start", detail.start_time.to_string())
        .with_fact("End", end_text(event))
        .with_fact("Last updated", time_or_not_set(detail.last_updated_time));
    if let Some((page, total)) = part(event) {
        notification = notification.with_fact("Part", format!("{page} of {total}"));
    }
    notification = notification
        // Chat threads every update of one Health event together.
        .with_thread(format!("health:{}", detail.event_arn))
        .with_resource(&detail.event_arn)
        .with_fact("Event ARN", &detail.event_arn)
        .with_fact("Dashboard", dashboard_link(&detail.event_arn))
        .with_section(
            "Description",
            detail
                .description()
                .unwrap_or("The event carries no description."),
        );
    let (heading, body) = resources_section(event);
    notification = notification.with_section(heading, body);
    let pretty_size = serde_json::to_string_pretty(raw_event)
        .map(|text| text.len())
        .unwrap_or(usize::MAX);
    if pretty_size <= FULL_EVENT_MAX_BYTES {
        notification.with_full_event(raw_event.clone())
    } else {
        notification.with_section(
            "Full event",
            format!(
                "Not attached: at {} bytes it is too large for one message. Open the event in the AWS Health dashboard (link above).",
                thousands(pretty_size)
            ),
        )
    }
}

/// `Resolved: EC2 issue in us-east-1 for account 444455556666, part 1 of 3: AWS_EC2_OPERATIONAL_ISSUE`;
/// the service, region, account and event type code are the parts a
/// subject may shorten.
pub fn headline(event: &HealthEvent) -> Headline {
    let detail = &event.detail;
    let mut text = Headline::new();
    if detail.status_code == Some(EventStatus::Closed) {
        text = text.fixed("Resolved: ");
    }
    if event.is_abuse() {
        text = text.fixed("Abuse report");
    } else {
        text = text.var(&detail.service).fixed(" ");
        text = match &detail.event_type_category {
            EventCategory::Other(category) => text.var(category),
            category => text.fixed(category.phrase()),
        };
    }
    match event.impacted_region() {
        Some(region) if region.eq_ignore_ascii_case("global") => text = text.fixed(" (global)"),
        Some(region) => text = text.fixed(" in ").var(region),
        None => {}
    }
    if event.is_organisational_view() {
        text = text.fixed(" for account ").var(event.affected_account());
    }
    if let Some((page, total)) = part(event) {
        text = text.fixed(format!(", part {page} of {total}"));
    }
    text.fixed(": ").var(&detail.event_type_code)
}

/// `(page, total)` for an event split over several pages.
fn part(event: &HealthEvent) -> Option<(u32, u32)> {
    match (event.detail.page, event.detail.total_pages) {
        (page, Some(total)) if total > 1 => Some((page.unwrap_or(1), total)),
        _ => None,
    }
}

fn status_text(status: Option<&EventStatus>) -> String {
    match status {
        Some(EventStatus::Closed) => "closed (resolved)".to_owned(),
        Some(status) => status.to_string(),
        None => "not stated".to_owned(),
    }
}

fn account_text(event: &HealthEvent) -> String {
    if event.is_organisational_view() {
        format!(
            "{} (reported to {} through the organisational view)",
            event.affected_account(),
            event.account
        )
    } else if event.affected_account().is_empty() {
        "not stated".to_owned()
    } else {
        event.affected_account().to_owned()
    }
}

/// An open issue without an end is still going on; anything else without
/// one simply has no end time set yet.
fn end_text(event: &HealthEvent) -> String {
    let detail = &event.detail;
    match detail.end_time {
        Some(time) => time.to_string(),
        None if detail.status_code == Some(EventStatus::Open)
            && (event.is_abuse()
                || matches!(
                    detail.event_type_category,
                    EventCategory::Issue | EventCategory::Investigation
                )) =>
        {
            "ongoing".to_owned()
        }
        None => "not set".to_owned(),
    }
}

fn time_or_not_set(time: Option<HealthTime>) -> String {
    time.map_or_else(|| "not set".to_owned(), |time| time.to_string())
}

/// The event's page in the AWS Health dashboard.
pub fn dashboard_link(event_arn: &str) -> String {
    format!(
        "{DASHBOARD_URL}?eventID={}&eventTab=details",
        percent_encode(event_arn)
    )
}

/// Everything but RFC 3986's unreserved characters is escaped.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The affected entities (else the envelope's resources), one per line,
/// cut with exact counts when there are many.
fn resources_section(event: &HealthEvent) -> (String, String) {
    let entities = &event.detail.affected_entities;
    let lines: Vec<String> = if entities.is_empty() {
        event
            .resources
            .iter()
            .map(|resource| format!("- {resource}"))
            .collect()
    } else {
        entities.iter().map(entity_line).collect()
    };
    let noun = if entities.is_empty() {
        "resources"
    } else {
        "entities"
    };
    let mut body = String::new();
    let mut listed = 0;
    for line in &lines {
        let fits = body.len() + line.len() < ENTITY_LIST_BUDGET_BYTES;
        if listed == MAX_LISTED_ENTITIES || (listed > 0 && !fits) {
            break;
        }
        body.push_str(line);
        body.push('\n');
        listed += 1;
    }
    let total = lines.len();
    if listed < total {
        body.push_str(&format!(
            "... and {} more {noun} ({} in total)\n",
            thousands(total - listed),
            thousands(total)
        ));
    }
    if total == 0 {
        body.push_str("None listed in the event.\n");
    }
    if let Some((page, total_pages)) = part(event) {
        body.push_str(&format!(
            "This is part {page} of {total_pages} of the event; the other parts list more.\n"
        ));
    }
    (format!("Affected resources ({})", thousands(total)), body)
}

/// `- i-0abc, status IMPAIRED, tags: Environment=production, Name=web-1`
fn entity_line(entity: &AffectedEntity) -> String {
    let mut line = format!("- {}", entity.name());
    if let Some(status) = &entity.status {
        line.push_str(&format!(", status {status}"));
    }
    if !entity.tags.is_empty() {
        let tags: Vec<String> = entity
            .tags
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        line.push_str(&format!(", tags: {}", tags.join(", ")));
    }
    if line.chars().count() > MAX_ENTITY_LINE_CHARS {
        // Whole grapheme clusters: an emoji in a tag is never split.
        let mut cut = truncate_graphemes_to_chars(&line, MAX_ENTITY_LINE_CHARS - 3).to_owned();
        cut.push_str("...");
        return cut;
    }
    line
}

/// `1950` → `1,950`.
pub fn thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use watchkeeper_shared::events::parse_event;
    use watchkeeper_shared::notification::{MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS};

    fn raw(detail_type: &str, detail: Value) -> Value {
        let mut full = json!({
            "eventArn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
            "service": "EC2",
            "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
            "eventTypeCategory": "issue",
            "statusCode": "open",
            "eventRegion": "us-east-1",
            "startTime": "2026-11-22T10:00:00Z"
        });
        for (key, value) in detail.as_object().unwrap() {
            full[key] = value.clone();
        }
        json!({
            "id": "e1", "detail-type": detail_type, "source": "aws.health",
            "account": "123456789012", "region": "us-east-1", "detail": full
        })
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
        assert!(rendered.subject.starts_with("[AWS Health] Resolved: EC2 issue in us-east-1 for account 444455556666, part 10 of 12: "));
        assert!(rendered.sms.len() <= 140);
        assert!(
            rendered
                .sms
                .starts_with("CRITICAL: AWS Health: Resolved: EC2 issue")
        );
    }
}
