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
mod tests;
