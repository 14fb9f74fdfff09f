//! The EventBridge envelope and the `detail` shapes Watchkeeper reads, parsed
//! leniently: real AWS events omit `version`, add keys, send numbers as
//! strings, shout enum values and carry stray whitespace. Errors name the
//! field that is missing or malformed.

pub mod cloudtrail;
pub mod cloudwatch_alarm;
pub mod codecommit;
pub mod ec2;
pub mod health;
pub mod lenient;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why an event could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("event must be a JSON object, got {found}")]
    NotAnObject { found: &'static str },
    #[error("event field `{path}` is malformed: {problem}")]
    Field { path: String, problem: String },
}

/// An EventBridge event with its `detail` parsed as `D`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventBridgeEvent<D> {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub detail_type: String,
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub source: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub account: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub time: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub region: String,
    #[serde(default)]
    pub resources: Vec<String>,
    pub detail: D,
}

/// Just enough of an envelope to decide whether an event is meant for a
/// function before its `detail` is read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventRouting {
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub detail_type: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub source: String,
}

impl EventRouting {
    /// Reads the routing fields, capping each so that a skip reason built
    /// from them cannot carry a huge attacker-chosen string into the logs.
    pub fn read(event: &Value) -> Result<Self, EventError> {
        let routing: Self = deserialize_value(event)?;
        Ok(Self {
            id: capped(&routing.id),
            detail_type: capped(&routing.detail_type),
            source: capped(&routing.source),
        })
    }

    pub fn matches(&self, source: &str, detail_type: &str) -> bool {
        self.source == source && self.detail_type == detail_type
    }
}

/// Parses a whole event, naming the failing field by its path.
pub fn parse_event<D: DeserializeOwned>(event: &Value) -> Result<EventBridgeEvent<D>, EventError> {
    deserialize_value(event)
}

/// Deserializes any JSON value, naming the failing field by its path.
pub fn deserialize_value<T: DeserializeOwned>(value: &Value) -> Result<T, EventError> {
    if !value.is_object() {
        return Err(EventError::NotAnObject {
            found: json_kind(value),
        });
    }
    // The path holds map keys from the event, as long as the sender likes.
    serde_path_to_error::deserialize(value).map_err(|error| EventError::Field {
        path: capped(&error.path().to_string()),
        problem: capped(&error.inner().to_string()),
    })
}

/// Text from an event, as it may be quoted in an error or a log line.
pub const MAX_QUOTED_CHARS: usize = 256;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, saying how long it was.
pub fn capped(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}... ({} bytes in all)", &text[..end], text.len()),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Detail {
        name: String,
    }

    #[test]
    fn tolerates_missing_version_extra_keys_and_whitespace() {
        let event = json!({
            "id": " 7bf73129-1428-4cd3-a780-95db273d1602 ",
            "detail-type": "Test",
            "source": "aws.test",
            "region": "eu-west-1",
            "unexpected": {"nested": true},
            "detail": {"name": "x", "also-unexpected": 1}
        });
        let parsed: EventBridgeEvent<Detail> = parse_event(&event).unwrap();
        assert_eq!(parsed.id, "7bf73129-1428-4cd3-a780-95db273d1602");
        assert_eq!(parsed.version, None);
        assert_eq!(parsed.account, "");
        assert!(parsed.resources.is_empty());
        assert_eq!(parsed.detail.name, "x");
    }

    #[test]
    fn errors_name_the_missing_or_malformed_field() {
        let missing_detail = json!({"id": "1", "detail-type": "T", "source": "s"});
        assert_eq!(
            parse_event::<Detail>(&missing_detail)
                .unwrap_err()
                .to_string(),
            "event field `.` is malformed: missing field `detail`"
        );
        let wrong_type =
            json!({"id": "1", "detail-type": "T", "source": "s", "detail": {"name": 5}});
        assert_eq!(
            parse_event::<Detail>(&wrong_type).unwrap_err().to_string(),
            "event field `detail.name` is malformed: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn non_objects_are_rejected_with_their_kind() {
        for (value, kind) in [
            (json!(null), "null"),
            (json!("text"), "a string"),
            (json!([1]), "an array"),
            (json!(3), "a number"),
        ] {
            assert_eq!(
                parse_event::<Detail>(&value).unwrap_err(),
                EventError::NotAnObject { found: kind }
            );
        }
    }

    #[test]
    fn huge_values_are_quoted_only_in_part() {
        let huge = "x".repeat(1_000_000);
        let error = parse_event::<Detail>(&json!({"id": "1", "detail-type": "T", "source": "s", "detail": {"name": 5, "extra": huge}}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("`detail.name`"));
        let wrong = json!({"id": "1", "detail-type": "T", "source": "s", "detail": {"name": ["y".repeat(1_000_000)]}});
        assert!(parse_event::<Detail>(&wrong).unwrap_err().to_string().len() < 1_000);
        let routing = EventRouting::read(&json!({"source": huge, "detail-type": "T"})).unwrap();
        assert_eq!(
            routing.source,
            format!("{}... (1000000 bytes in all)", "x".repeat(MAX_QUOTED_CHARS))
        );
        assert_eq!(capped("short"), "short");
    }

    #[test]
    fn routing_reads_source_and_detail_type_only() {
        let routing =
            EventRouting::read(&json!({"source": " aws.ec2", "detail-type": "X", "detail": 5}))
                .unwrap();
        assert!(routing.matches("aws.ec2", "X"));
        assert!(!routing.matches("aws.health", "X"));
    }
}
