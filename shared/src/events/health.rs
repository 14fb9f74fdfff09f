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
    /// zone meaning UTC) or RFC 2822 (`Sat, 05 Jun 2021 00:00:00 GMT`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        parse_iso8601(text).or_else(|| parse_rfc2822(text))
    }

    pub fn from_utc(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Self {
        Self {
            unix_seconds: days_from_civil(year, month, day) * 86_400
                + i64::from(hour) * 3_600
                + i64::from(minute) * 60
                + i64::from(second),
        }
    }
}

/// `2026-11-22 10:00 UTC`.
impl fmt::Display for HealthTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_seconds.div_euclid(86_400);
        let seconds = self.unix_seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
            seconds / 3_600,
            seconds % 3_600 / 60
        )
    }
}

impl<'de> Deserialize<'de> for HealthTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "{} is not an ISO 8601 or RFC 2822 time",
                super::quoted(&text)
            ))
        })
    }
}

fn optional_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<HealthTime>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => HealthTime::parse(&text).map(Some).ok_or_else(|| {
            de::Error::custom(format!(
                "{} is not an ISO 8601 or RFC 2822 time",
                super::quoted(&text)
            ))
        }),
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

fn number(text: &str, digits: usize) -> Option<u32> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// `HH:MM` or `HH:MM:SS`, a leap second counting as :59.
fn parse_clock(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let hour = number(parts.next()?, 2)?;
    let minute = number(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(second) => number(second, 2)?,
        None => 0,
    };
    (parts.next().is_none() && hour < 24 && minute < 60 && second <= 60).then_some((
        hour,
        minute,
        second.min(59),
    ))
}

/// `Z`, `+HH:MM`, `+HHMM`, `+HH` or nothing (UTC), as seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    if text.is_empty() || text.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match text.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = text[1..].replace(':', "");
    let hours = number(digits.get(..2)?, 2)?;
    let minutes = match digits.get(2..) {
        Some("") | None => 0,
        Some(rest) => number(rest, 2)?,
    };
    (hours < 24 && minutes < 60)
        .then_some(sign * (i64::from(hours) * 3_600 + i64::from(minutes) * 60))
}

fn parse_iso8601(text: &str) -> Option<HealthTime> {
    let date = text.get(..10)?;
    let separator = text.get(10..11);
    let rest = match separator {
        None => "",
        Some("T" | "t" | " ") => &text[11..],
        Some(_) => return None,
    };
    let mut date_parts = date.split('-');
    let year = i64::from(number(date_parts.next()?, 4)?);
    let month = number(date_parts.next()?, 2)?;
    let day = number(date_parts.next()?, 2)?;
    if date_parts.next().is_some() || !valid_date(year, month, day) {
        return None;
    }
    let zone_start = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_start);
    let clock = clock.split('.').next()?;
    let (hour, minute, second) = if clock.is_empty() && zone.is_empty() {
        (0, 0, 0)
    } else {
        let fraction = rest[..zone_start].split_once('.').map(|(_, f)| f);
        if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        parse_clock(clock)?
    };
    let offset = parse_offset(zone)?;
    let local = HealthTime::from_utc(year, month, day, hour, minute, second);
    Some(HealthTime {
        unix_seconds: local.unix_seconds - offset,
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_rfc2822(text: &str) -> Option<HealthTime> {
    // The weekday is optional and, when present, not checked against the date.
    let text = match text.split_once(',') {
        Some((weekday, rest)) if weekday.trim().chars().all(|c| c.is_ascii_alphabetic()) => rest,
        Some(_) => return None,
        None => text,
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year, clock, zone) = match fields.as_slice() {
        [day, month, year, clock, zone] => (*day, *month, *year, *clock, *zone),
        [day, month, year, clock] => (*day, *month, *year, *clock, "GMT"),
        _ => return None,
    };
    let day = if day.len() == 1 {
        number(day, 1)?
    } else {
        number(day, 2)?
    };
    let month_lower = month.to_ascii_lowercase();
    let month = MONTHS.iter().position(|name| *name == month_lower)? as u32 + 1;
    let year = i64::from(number(year, 4)?);
    if !valid_date(year, month, day) {
        return None;
    }
    let (hour, minute, second) = parse_clock(clock)?;
    let offset = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UTC" | "UT" | "Z" => 0,
        _ => parse_offset(zone)?,
    };
    let local = HealthTime::from_utc(year, month, day, hour, minute, second);
    Some(HealthTime {
        unix_seconds: local.unix_seconds - offset,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn dates_round_trip_through_day_numbers() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 20_000, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
        }
        assert_eq!(HealthTime::from_utc(1970, 1, 1, 0, 0, 1).unix_seconds, 1);
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
