//! The pure core: from a Health event and the configuration, decide how
//! severe it is and whether operators hear about it.

use std::fmt;

use serde_json::Value;

use watchkeeper_shared::Severity;
use watchkeeper_shared::events::EventError;
use watchkeeper_shared::events::health::{EventCategory, HealthEvent};
use watchkeeper_shared::notification::Notification;
use watchkeeper_shared::skip::{ReasonCode, Routing};

use crate::config::{Config, Property};
use crate::message;

/// What to do with one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A filter setting drops it; `rule` says which.
    Drop {
        severity: Severity,
        rule: SkipReason,
    },
    Notify {
        severity: Severity,
        notification: Box<Notification>,
    },
}

/// Why the function leaves an event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an AWS Health event, or one of another account.
    Routing(Routing),
    /// An include or exclude list drops it; `rule` names the list and value.
    Filtered { property: Property, rule: String },
    /// Below `MINIMUM_SEVERITY`.
    BelowMinimumSeverity {
        severity: Severity,
        minimum: Severity,
    },
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::Filtered { property, .. } => match property {
                Property::Category => "category_filtered",
                Property::Service => "service_filtered",
                Property::EventTypeCode => "event_type_code_filtered",
                Property::Region => "region_filtered",
            },
            Self::BelowMinimumSeverity { .. } => "below_minimum_severity",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::Filtered { rule, .. } => f.write_str(rule),
            Self::BelowMinimumSeverity { severity, minimum } => {
                write!(f, "severity {severity} is below MINIMUM_SEVERITY {minimum}")
            }
        }
    }
}

watchkeeper_shared::serialize_reason!(SkipReason);

/// The event's severity and why: an override for its event type code, else
/// abuse reports and issues are critical, scheduled changes and
/// investigations warnings, account notifications information, and any
/// category AWS adds later a warning, so it is seen without paging anyone.
pub fn severity(event: &HealthEvent, config: &Config) -> (Severity, String) {
    let code = event.detail.event_type_code.to_ascii_uppercase();
    if let Some(severity) = config.severity_overrides.get(&code) {
        return (
            *severity,
            format!("SEVERITY_OVERRIDES sets {code} to {severity}"),
        );
    }
    if event.is_abuse() {
        return (Severity::Critical, "abuse report".to_owned());
    }
    let category = &event.detail.event_type_category;
    let severity = match category {
        EventCategory::Issue => Severity::Critical,
        EventCategory::ScheduledChange | EventCategory::Investigation => Severity::Warning,
        EventCategory::AccountNotification => Severity::Info,
        EventCategory::Other(_) => Severity::Warning,
    };
    (severity, format!("category {category}"))
}

/// The first filter rule that drops the event, if any.
pub fn dropping_rule(
    event: &HealthEvent,
    severity: Severity,
    config: &Config,
) -> Option<SkipReason> {
    let filters = &config.filters;
    let detail = &event.detail;
    let checks = [
        (
            &filters.categories,
            Some(detail.event_type_category.as_str()),
        ),
        (&filters.services, Some(detail.service.as_str())),
        (
            &filters.event_type_codes,
            Some(detail.event_type_code.as_str()),
        ),
        (&filters.regions, event.impacted_region()),
    ];
    checks
        .into_iter()
        .find_map(|(filter, value)| {
            filter.check(value).err().map(|rule| SkipReason::Filtered {
                property: filter.property,
                rule,
            })
        })
        .or_else(|| {
            (severity < config.minimum_severity).then_some(SkipReason::BelowMinimumSeverity {
                severity,
                minimum: config.minimum_severity,
            })
        })
}

pub fn decide(event: &HealthEvent, raw_event: &Value, config: &Config) -> Decision {
    let (severity, _) = severity(event, config);
    match dropping_rule(event, severity, config) {
        Some(rule) => Decision::Drop { severity, rule },
        None => Decision::Notify {
            severity,
            notification: Box::new(message::notification(event, raw_event, severity)),
        },
    }
}

/// The name of the detail field AWS Health sets on the copy of a public
/// event it sends to the backup region.
pub const BACKUP_EVENT_FIELD: &str = "backupEvent";

/// Where this copy of the event was delivered, when it is AWS Health's
/// backup copy: AWS Health sends public events both to the impacted region
/// and to a backup region (us-west-2, whose own backup is us-east-1), and
/// marks the backup copy `detail.backupEvent: true`. `None` for the
/// primary copy (`false`, or no field). The region is the envelope's
/// `region`, the one the copy was delivered to.
///
/// # Errors
/// [`EventError::Field`] naming `detail.backupEvent` when it is neither a
/// boolean nor the text `true`/`false`.
pub fn backup_region(event: &HealthEvent, raw_event: &Value) -> Result<Option<String>, EventError> {
    let backup = match raw_event
        .get("detail")
        .and_then(|detail| detail.get(BACKUP_EVENT_FIELD))
    {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => true,
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(EventError::Field {
                path: format!("detail.{BACKUP_EVENT_FIELD}"),
                problem: format!("expected true or false, got {other}"),
            });
        }
    };
    Ok(backup.then(|| {
        if event.region.is_empty() {
            "not stated".to_owned()
        } else {
            event.region.clone()
        }
    }))
}

/// One alert: one update of a Health event about one account.
///
/// Two deliveries with the same key are the same alert, so the second is
/// suppressed:
/// - `eventArn` names the event, but is not unique to an account: in the
///   organisational view the same update reaches the management (or
///   delegated administrator) account once per affected member account,
///   with the same ARN, time and status. The affected account
///   (`affectedAccount`, else the envelope's `account`) keeps them apart.
/// - `lastUpdatedTime` and `statusCode` tell updates of the event apart,
///   so each update notifies once and a later one notifies again.
/// - `page` (multi-page events: each page arrives on its own and carries
///   other entities) and `communicationId` (AWS's id for one message about
///   the event, when sent) tell apart deliveries that differ in content
///   but not in the fields above.
///
/// The EventBridge event id is deliberately left out: a redelivery under
/// the same id has the same content, and AWS Health sending the same
/// update again under a new id is still the alert operators already have.
/// So are the envelope's `region`, `time` and `detail.backupEvent`: the
/// copy AWS Health sends to the backup region keeps the event ARN and
/// `communicationId` (AWS: "these remain consistent for AWS Health messages
/// sent to the backup Region"), so it has the primary copy's key and
/// whichever copy arrives second is suppressed as a duplicate.
pub fn idempotency_key(event: &HealthEvent) -> String {
    let detail = &event.detail;
    let or_dash = |text: &str| {
        if text.is_empty() {
            "-".to_owned()
        } else {
            text.to_owned()
        }
    };
    let updated = detail
        .last_updated_time
        .as_ref()
        .map_or_else(|| "-".to_owned(), |time| time.unix_seconds.to_string());
    let status = detail
        .status_code
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    let mut key = format!(
        "health|{}|account {}|{updated}|{status}",
        detail.event_arn,
        or_dash(event.affected_account())
    );
    if let Some(page) = detail.page {
        key.push_str(&format!("|page {page}"));
    }
    if let Some(communication) = &detail.communication_id {
        key.push_str(&format!("|communication {communication}"));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, config};
    use serde_json::json;
    use watchkeeper_shared::events::parse_event;

    fn event(detail_type: &str, detail: Value) -> HealthEvent {
        parse_event(&raw(detail_type, detail)).unwrap()
    }

    fn raw(detail_type: &str, detail: Value) -> Value {
        let base = json!({
            "eventArn": "arn:aws:health:us-east-1::event/EC2/X/X_1",
            "service": "EC2",
            "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
            "eventTypeCategory": "issue",
            "eventRegion": "us-east-1",
            "startTime": "2026-11-22T10:00:00Z"
        });
        fixtures::health_event(detail_type, base, detail)
    }

    /// Environment variables on top of the topics.
    type Settings<'a> = &'a [(&'a str, &'a str)];

    const EVENT: &str = "AWS Health Event";
    const ABUSE: &str = "AWS Health Abuse Event";

    #[test]
    fn severity_follows_category_abuse_and_overrides() {
        let overrides = config(&[(
            "SEVERITY_OVERRIDES",
            "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED=critical,AWS_VPN_REDUNDANCY_LOSS=info,AWS_ABUSE_DOS_REPORT=warning",
        )]);
        let plain = config(&[]);
        let cases = [
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "issue"}),
                Severity::Critical,
                "category issue",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "scheduledChange"}),
                Severity::Warning,
                "category scheduledChange",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "investigation"}),
                Severity::Warning,
                "category investigation",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "accountNotification"}),
                Severity::Info,
                "category accountNotification",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "somethingNew"}),
                Severity::Warning,
                "category somethingNew",
            ),
            (
                &plain,
                ABUSE,
                json!({"eventTypeCategory": "accountNotification", "eventTypeCode": "AWS_ABUSE_DOS_REPORT"}),
                Severity::Critical,
                "abuse report",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "issue", "eventTypeCode": "AWS_ABUSE_PII_CONTENT_REMOVAL_REPORT"}),
                Severity::Critical,
                "abuse report",
            ),
            (
                &plain,
                EVENT,
                json!({"eventTypeCategory": "issue", "statusCode": "closed"}),
                Severity::Critical,
                "category issue",
            ),
            (
                &overrides,
                EVENT,
                json!({"eventTypeCategory": "scheduledChange", "eventTypeCode": "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"}),
                Severity::Critical,
                "SEVERITY_OVERRIDES sets AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED to critical",
            ),
            (
                &overrides,
                EVENT,
                json!({"eventTypeCategory": "issue", "eventTypeCode": "aws_vpn_redundancy_loss"}),
                Severity::Info,
                "SEVERITY_OVERRIDES sets AWS_VPN_REDUNDANCY_LOSS to info",
            ),
            (
                &overrides,
                ABUSE,
                json!({"eventTypeCode": "AWS_ABUSE_DOS_REPORT"}),
                Severity::Warning,
                "SEVERITY_OVERRIDES sets AWS_ABUSE_DOS_REPORT to warning",
            ),
        ];
        for (config, detail_type, detail, expected, reason) in cases {
            let event = event(detail_type, detail.clone());
            assert_eq!(
                severity(&event, config),
                (expected, reason.to_owned()),
                "{detail}"
            );
        }
    }

    #[test]
    fn filters_drop_events_naming_the_rule() {
        let cases: [(Settings, Value, Option<&str>); 13] = [
            (&[], json!({}), None),
            (
                &[("INCLUDE_CATEGORIES", "scheduledChange")],
                json!({}),
                Some("category issue is not in INCLUDE_CATEGORIES (scheduledChange)"),
            ),
            (&[("INCLUDE_CATEGORIES", "Issue")], json!({}), None),
            (
                &[("EXCLUDE_CATEGORIES", "accountNotification")],
                json!({"eventTypeCategory": "accountNotification"}),
                Some(
                    "category accountNotification matches accountNotification in EXCLUDE_CATEGORIES",
                ),
            ),
            (
                &[("INCLUDE_SERVICES", "RDS,LAMBDA")],
                json!({}),
                Some("service EC2 is not in INCLUDE_SERVICES (RDS, LAMBDA)"),
            ),
            (
                &[("EXCLUDE_SERVICES", "ec2")],
                json!({}),
                Some("service EC2 matches ec2 in EXCLUDE_SERVICES"),
            ),
            (
                &[(
                    "EXCLUDE_EVENT_TYPE_CODES",
                    "AWS_VPN_SINGLE_TUNNEL_NOTIFICATION",
                )],
                json!({"eventTypeCode": "AWS_VPN_SINGLE_TUNNEL_NOTIFICATION"}),
                Some(
                    "event type code AWS_VPN_SINGLE_TUNNEL_NOTIFICATION matches AWS_VPN_SINGLE_TUNNEL_NOTIFICATION in EXCLUDE_EVENT_TYPE_CODES",
                ),
            ),
            (
                &[("INCLUDE_EVENT_TYPE_CODES", "AWS_RDS_*")],
                json!({}),
                Some(
                    "event type code AWS_EC2_OPERATIONAL_ISSUE is not in INCLUDE_EVENT_TYPE_CODES (AWS_RDS_*)",
                ),
            ),
            (
                &[("INCLUDE_REGIONS", "eu-west-1,global")],
                json!({}),
                Some("region us-east-1 is not in INCLUDE_REGIONS (eu-west-1, global)"),
            ),
            (
                &[("INCLUDE_REGIONS", "eu-west-1,global")],
                json!({"eventRegion": "global"}),
                None,
            ),
            (
                &[("EXCLUDE_REGIONS", "us-*")],
                json!({}),
                Some("region us-east-1 matches us-* in EXCLUDE_REGIONS"),
            ),
            (
                &[("MINIMUM_SEVERITY", "warning")],
                json!({"eventTypeCategory": "accountNotification"}),
                Some("severity info is below MINIMUM_SEVERITY warning"),
            ),
            (&[("MINIMUM_SEVERITY", "critical")], json!({}), None),
        ];
        for (settings, detail, expected) in cases {
            let config = config(settings);
            let raw = raw(EVENT, detail.clone());
            let decision = decide(&event(EVENT, detail.clone()), &raw, &config);
            match (expected, decision) {
                (None, Decision::Notify { .. }) => {}
                (Some(rule), Decision::Drop { rule: actual, .. }) => {
                    assert_eq!(actual.to_string(), rule, "{settings:?} {detail}")
                }
                (expected, decision) => {
                    panic!("{settings:?} {detail}: expected {expected:?}, got {decision:?}")
                }
            }
        }
    }

    #[test]
    fn notify_carries_the_severity_and_its_notification() {
        let Decision::Notify {
            severity,
            notification,
        } = decide(
            &event(EVENT, json!({"eventTypeCategory": "scheduledChange"})),
            &raw(EVENT, json!({"eventTypeCategory": "scheduledChange"})),
            &config(&[]),
        )
        else {
            panic!("expected a notification")
        };
        assert_eq!(severity, Severity::Warning);
        assert_eq!(notification.severity, Severity::Warning);
        assert_eq!(notification.source, "health-event-forwarder");
    }

    #[test]
    fn each_update_page_and_affected_account_has_its_own_key() {
        let original = event(
            "AWS Health Event",
            json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open"}),
        );
        let key = idempotency_key(&original);
        assert_eq!(
            key,
            "health|arn:aws:health:us-east-1::event/EC2/X/X_1|account 123456789012|1795341600|open"
        );
        for (change, differs) in [
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open"}),
                false,
            ),
            // The envelope's own account named as the affected one.
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open", "affectedAccount": "123456789012"}),
                false,
            ),
            (
                json!({"lastUpdatedTime": "2026-11-22T11:00:00Z", "statusCode": "open"}),
                true,
            ),
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "closed"}),
                true,
            ),
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open", "page": "2"}),
                true,
            ),
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open", "affectedAccount": "444455556666"}),
                true,
            ),
            (
                json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open", "communicationId": "abc-1"}),
                true,
            ),
            (json!({}), true),
        ] {
            let other = idempotency_key(&event("AWS Health Event", change.clone()));
            assert_eq!(other != key, differs, "{change}: {other}");
        }
        assert_eq!(
            idempotency_key(&event("AWS Health Event", json!({}))),
            "health|arn:aws:health:us-east-1::event/EC2/X/X_1|account 123456789012|-|-"
        );
        let organisational = event(
            "AWS Health Event",
            json!({"statusCode": "open", "page": "1", "communicationId": "abc-1", "affectedAccount": "444455556666"}),
        );
        assert_eq!(
            idempotency_key(&organisational),
            "health|arn:aws:health:us-east-1::event/EC2/X/X_1|account 444455556666|-|open|page 1|communication abc-1"
        );
        // The EventBridge id is not part of the key: a redelivery under a
        // new id is the same alert.
        let mut redelivered = raw(
            "AWS Health Event",
            json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open"}),
        );
        redelivered["id"] = json!("another-delivery");
        assert_eq!(idempotency_key(&parse_event(&redelivered).unwrap()), key);
    }

    /// AWS Health's copy of a public event for the backup region: the same
    /// update, delivered to another region, with `backupEvent: true`.
    fn backup_copy(primary: &Value) -> Value {
        let mut copy = primary.clone();
        copy["id"] = json!("backup-delivery");
        copy["region"] = json!("us-west-2");
        copy["time"] = json!("2026-11-22T10:05:02Z");
        copy["detail"]["backupEvent"] = json!(true);
        copy
    }

    #[test]
    fn the_backup_copy_of_an_update_has_the_primary_copys_key() {
        let detail = json!({"lastUpdatedTime": "2026-11-22T10:00:00Z", "statusCode": "open", "communicationId": "abc-1", "eventScopeCode": "PUBLIC"});
        let primary = raw(EVENT, detail.clone());
        let backup = backup_copy(&primary);
        let key = |raw: &Value| idempotency_key(&parse_event(raw).unwrap());
        assert_eq!(key(&backup), key(&primary));
        // Still apart: another update, another communication, another account.
        for change in [
            json!({"lastUpdatedTime": "2026-11-22T11:00:00Z"}),
            json!({"communicationId": "abc-2"}),
            json!({"statusCode": "closed"}),
            json!({"affectedAccount": "444455556666"}),
        ] {
            let mut other = backup.clone();
            for (field, value) in change.as_object().unwrap() {
                other["detail"][field] = value.clone();
            }
            assert_ne!(key(&other), key(&primary), "{change}");
        }
    }

    #[test]
    fn only_the_backup_copy_names_its_region() {
        let primary = raw(EVENT, json!({}));
        let region = |raw: &Value| backup_region(&parse_event(raw).unwrap(), raw);
        assert_eq!(region(&primary).unwrap(), None);
        let mut said_primary = primary.clone();
        said_primary["detail"]["backupEvent"] = json!(false);
        assert_eq!(region(&said_primary).unwrap(), None);
        assert_eq!(
            region(&backup_copy(&primary)).unwrap(),
            Some("us-west-2".to_owned())
        );
        let mut as_text = backup_copy(&primary);
        as_text["detail"]["backupEvent"] = json!("TRUE");
        assert_eq!(region(&as_text).unwrap(), Some("us-west-2".to_owned()));
        let mut bad = backup_copy(&primary);
        bad["detail"]["backupEvent"] = json!(1);
        assert_eq!(
            region(&bad).unwrap_err().to_string(),
            "event field `detail.backupEvent` is malformed: expected true or false, got 1"
        );
    }
}
