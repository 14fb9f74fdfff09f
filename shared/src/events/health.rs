//! `AWS Health Event` and `AWS Health Abuse Event` events, parsed leniently.
//!
//! Real Health events differ from the documented shape: `endTime`,
//! `lastUpdatedTime`, `affectedEntities`, `affectedAccount`, `statusCode`,
//! `communicationId`, `eventScopeCode`, `eventRegion` and entity
//! `tags`/`status` may be absent, `page` and
//! `totalPages` are strings, times come as ISO 8601 or (older events)
//! RFC 2822, and AWS adds categories and status codes over time. Unknown
//! values are carried through rather than rejected.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use super::EventBridgeEvent;
use super::lenient::{optional_number_or_string, optional_trimmed_string, trimmed_string};
use crate::time::TimeError;

pub const SOURCE: &str = "aws.health";
pub const EVENT_DETAIL_TYPE: &str = "AWS Health Event";
pub const ABUSE_EVENT_DETAIL_TYPE: &str = "AWS Health Abuse Event";
/// Abuse events also arrive as `AWS Health Event` with this code prefix.
const ABUSE_EVENT_TYPE_PREFIX: &str = "AWS_ABUSE_";

pub type HealthEvent = EventBridgeEvent<HealthEventDetail>;

/// The `detail` of a Health event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEventDetail {
    #[serde(deserialize_with = "trimmed_string")]
    pub event_arn: String,
    #[serde(deserialize_with = "trimmed_string")]
    pub service: String,
    #[serde(deserialize_with = "trimmed_string")]
    pub event_type_code: String,
    pub event_type_category: EventCategory,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub event_scope_code: Option<String>,
    /// AWS's id for one message about the event (one update, one page:
    /// it ends in `-<page>`); absent in older and abuse events.
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub communication_id: Option<String>,
    /// Absent in abuse events.
    #[serde(default)]
    pub status_code: Option<EventStatus>,
    /// The impacted region; `global` for global services and abuse reports.
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub event_region: Option<String>,
    pub start_time: HealthTime,
    #[serde(default, deserialize_with = "optional_time")]
    pub end_time: Option<HealthTime>,
    #[serde(default, deserialize_with = "optional_time")]
    pub last_updated_time: Option<HealthTime>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub event_description: Vec<EventDescription>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub affected_entities: Vec<AffectedEntity>,
    #[serde(default, deserialize_with = "optional_number_or_string")]
    pub page: Option<u32>,
    #[serde(default, deserialize_with = "optional_number_or_string")]
    pub total_pages: Option<u32>,
    /// Set in the organisational view: the member account the event is about.
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub affected_account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventDescription {
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub language: Option<String>,
    #[serde(default, rename = "latestDescription")]
    pub latest_description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedEntity {
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub entity_value: Option<String>,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub entity_arn: Option<String>,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "tag_map")]
    pub tags: BTreeMap<String, String>,
}

impl AffectedEntity {
    /// What identifies the entity to an operator: its value, else its ARN.
    pub fn name(&self) -> &str {
        self.entity_value
            .as_deref()
            .or(self.entity_arn.as_deref())
            .unwrap_or("(unnamed entity)")
    }
}

impl HealthEventDetail {
    /// The `en_US` description, else the first one.
    pub fn description(&self) -> Option<&str> {
        self.event_description
            .iter()
            .find(|entry| {
                entry.language.as_deref().is_some_and(|language| {
                    language.eq_ignore_ascii_case("en_US") || language.eq_ignore_ascii_case("en-US")
                })
            })
            .and_then(description_text)
            .or_else(|| self.event_description.first().and_then(description_text))
            .filter(|text| !text.trim().is_empty())
    }
}

fn description_text(entry: &EventDescription) -> Option<&str> {
    entry.latest_description.as_deref()
}

impl EventBridgeEvent<HealthEventDetail> {
    pub fn is_abuse(&self) -> bool {
        self.detail_type == ABUSE_EVENT_DETAIL_TYPE
            || self
                .detail
                .event_type_code
                .starts_with(ABUSE_EVENT_TYPE_PREFIX)
    }

    /// `detail.eventRegion`, else the region in the event ARN
    /// (`arn:aws:health:<region>::event/...`); never the envelope's region,
    /// which is where the event was delivered, not what it is about.
    pub fn impacted_region(&self) -> Option<&str> {
        self.detail.event_region.as_deref().or_else(|| {
            self.detail
                .event_arn
                .split(':')
                .nth(3)
                .filter(|region| !region.is_empty())
        })
    }

    /// The account the event is about: `affectedAccount` in the
    /// organisational view, else the envelope's account.
    pub fn affected_account(&self) -> &str {
        self.detail
            .affected_account
            .as_deref()
            .unwrap_or(&self.account)
    }

    /// True when the event reached this account on behalf of another one.
    pub fn is_organisational_view(&self) -> bool {
        self.detail
            .affected_account
            .as_deref()
            .is_some_and(|affected| affected != self.account)
    }
}

/// `eventTypeCategory`; values AWS adds later are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventCategory {
    Issue,
    AccountNotification,
    ScheduledChange,
    Investigation,
    Other(String),
}

impl EventCategory {
    pub const KNOWN: [&str; 4] = [
        "issue",
        "accountNotification",
        "scheduledChange",
        "investigation",
    ];

    /// Case-insensitive for known values.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "issue" => Self::Issue,
            "accountnotification" => Self::AccountNotification,
            "scheduledchange" => Self::ScheduledChange,
            "investigation" => Self::Investigation,
            _ => Self::Other(text.to_owned()),
        }
    }

    /// The value as AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Issue => "issue",
            Self::AccountNotification => "accountNotification",
            Self::ScheduledChange => "scheduledChange",
            Self::Investigation => "investigation",
            Self::Other(text) => text,
        }
    }

    /// Words for a headline: "scheduled change".
    pub fn phrase(&self) -> &str {
        match self {
            Self::Issue => "issue",
            Self::AccountNotification => "account notification",
            Self::ScheduledChange => "scheduled change",
            Self::Investigation => "investigation",
            Self::Other(text) => text,
        }
    }
}

impl fmt::Display for EventCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventCategory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim().is_empty() {
            return Err(de::Error::custom("the category is empty"));
        }
        Ok(Self::parse(&text))
    }
}

/// `statusCode`; values AWS adds later are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventStatus {
    Open,
    Upcoming,
    Closed,
    Other(String),
}

impl EventStatus {
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "open" => Self::Open,
            "upcoming" => Self::Upcoming,
            "closed" => Self::Closed,
            _ => Self::Other(text.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Open => "open",
            Self::Upcoming => "upcoming",
            Self::Closed => "closed",
            Self::Other(text) => text,
        }
    }
}

impl fmt::Display for EventStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

/// An instant, in whole seconds since the Unix epoch, shown in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct HealthTime {
    pub unix_seconds: i64,
}

impl HealthTime {
    /// ISO 8601 (`2026-11-22T10:00:00Z`, fractions and offsets allowed, no
    /// zone meaning UTC) or RFC 2822 (`Sat, 05 Jun 2021 00:00:00 GMT`), as
    /// [`crate::time::parse`] reads them; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        Self::read(text).ok()
    }

    /// [`HealthTime::parse`] with the reason a text is not a time.
    ///
    /// # Errors
    ///
    /// [`TimeError::Unreadable`] naming the text and, where known, the
    /// part that was wrong.
    pub fn read(text: &str) -> Result<Self, TimeError> {
        crate::time::parse(text).map(|time| Self {
            unix_seconds: time.unix_timestamp(),
        })
    }
}

/// `2026-11-22 10:00 UTC`, the operators' format ([`crate::time::display`]).
impl fmt::Display for HealthTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::time::display_epoch(self.unix_seconds))
    }
}

impl<'de> Deserialize<'de> for HealthTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::read(&text).map_err(de::Error::custom)
    }
}

fn optional_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<HealthTime>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => HealthTime::read(&text).map(Some).map_err(de::Error::custom),
    }
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Tags as text; a value that is not a string is kept as its JSON.
fn tag_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let tags = Option::<BTreeMap<String, serde_json::Value>>::deserialize(deserializer)?;
    Ok(tags
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (key, value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
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
}
