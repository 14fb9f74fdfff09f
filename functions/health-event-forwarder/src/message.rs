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

/// The notice of an event whose backup copy arrived first says so, beside
/// the impacted region: the primary region's delivery had not arrived (and
/// a later one is suppressed as a duplicate).
pub fn via_backup_region(mut notification: Notification, region: &str) -> Notification {
    let fact = (
        "Delivered".to_owned(),
        format!("via the backup region {region}"),
    );
    let at = notification
        .summary
        .iter()
        .position(|(key, _)| key == "Region")
        .map_or(notification.summary.len(), |index| index + 1);
    notification.summary.insert(at, fact);
    notification
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
mod tests;
