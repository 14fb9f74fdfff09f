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
    /// A JSON object, but no EventBridge event (no `source` and
    /// `detail-type`): a trigger wired to the wrong source. `received` says
    /// what it looks like, e.g. "SNS records" or "a raw CloudTrail record".
    #[error("not an EventBridge event: received {received}")]
    NotAnEvent { received: String },
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
/// function before its `detail` is read: who sent it, what kind it is, and
/// the account and region it happened in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventRouting {
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub detail_type: String,
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub source: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub account: String,
    #[serde(default, deserialize_with = "lenient::trimmed_string")]
    pub region: String,
}

impl EventRouting {
    /// Reads the routing fields, capping each so that a skip reason built
    /// from them cannot carry a huge attacker-chosen string into the logs.
    ///
    /// # Errors
    /// [`EventError::NotAnObject`] for anything but a JSON object;
    /// [`EventError::NotAnEvent`] for an object without the envelope's
    /// `source` and `detail-type` (SNS or CodeCommit trigger records, a raw
    /// CloudTrail record, ...), naming what arrived; [`EventError::Field`]
    /// when one of the routing fields is not a string.
    pub fn read(event: &Value) -> Result<Self, EventError> {
        if let Value::Object(object) = event
            && !(object.contains_key("source") && object.contains_key("detail-type"))
        {
            return Err(EventError::NotAnEvent {
                received: describe_payload(event),
            });
        }
        let routing: Self = deserialize_value(event)?;
        Ok(Self {
            id: capped(&routing.id),
            detail_type: capped(&routing.detail_type),
            source: capped(&routing.source),
            account: capped(&routing.account),
            region: capped(&routing.region),
        })
    }

    pub fn matches(&self, source: &str, detail_type: &str) -> bool {
        self.source == source && self.detail_type == detail_type
    }
}

/// What a payload that is not an EventBridge event looks like, for an error
/// that tells an operator which trigger is mis-wired: Lambda's records
/// wrappers by their `eventSource` (`aws:sns`, `aws:sqs`, `aws:codecommit`,
/// `aws:s3`, ...) or, for CloudTrail's log records, their `eventSource`
/// host; a raw CloudTrail record; a CloudWatch alarm message outside SNS;
/// otherwise the object's first keys.
pub fn describe_payload(payload: &Value) -> String {
    let Value::Object(object) = payload else {
        return json_kind(payload).to_owned();
    };
    fn text(value: Option<&Value>) -> Option<&str> {
        value.and_then(Value::as_str)
    }
    if let Some(records) = object.get("Records") {
        let Some(first) = records.as_array().and_then(|records| records.first()) else {
            return "an object with an empty or malformed `Records` list".to_owned();
        };
        let count = records.as_array().map_or(0, Vec::len);
        let noun = if count == 1 { "record" } else { "records" };
        return match text(
            first
                .get("EventSource")
                .or_else(|| first.get("eventSource")),
        ) {
            Some(source) => match source {
                "aws:sns" => format!("{count} SNS {noun} (an SNS subscription)"),
                "aws:sqs" => format!("{count} SQS {noun} (an SQS event source mapping)"),
                "aws:codecommit" => format!("{count} CodeCommit trigger {noun}"),
                "aws:s3" => format!("{count} S3 event notification {noun}"),
                "aws:dynamodb" => format!("{count} DynamoDB stream {noun}"),
                "aws:kinesis" => format!("{count} Kinesis {noun}"),
                host if first.get("eventVersion").is_some() && first.get("eventName").is_some() => {
                    format!(
                        "{count} CloudTrail log {noun} (eventSource {})",
                        quoted(host)
                    )
                }
                other => format!("{count} {noun} with eventSource {}", quoted(other)),
            },
            None => format!("{count} {noun} without an eventSource"),
        };
    }
    if object.contains_key("eventVersion") && object.contains_key("eventName") {
        return format!(
            "a raw CloudTrail record without its EventBridge envelope (eventSource {}, eventName {})",
            quoted(text(object.get("eventSource")).unwrap_or_default()),
            quoted(text(object.get("eventName")).unwrap_or_default())
        );
    }
    if object.contains_key("AlarmName") && object.contains_key("NewStateValue") {
        return format!(
            "a CloudWatch alarm message outside SNS (AlarmName {})",
            quoted(text(object.get("AlarmName")).unwrap_or_default())
        );
    }
    if object.is_empty() {
        return "an empty object".to_owned();
    }
    const SHOWN_KEYS: usize = 5;
    let mut keys: Vec<String> = object
        .keys()
        .take(SHOWN_KEYS)
        .map(|key| quoted_to(key, 64))
        .collect();
    if object.len() > SHOWN_KEYS {
        keys.push(format!("and {} more", object.len() - SHOWN_KEYS));
    }
    let missing: Vec<&str> = ["source", "detail-type"]
        .into_iter()
        .filter(|key| !object.contains_key(*key))
        .collect();
    format!(
        "an object without `{}` (keys {})",
        missing.join("` or `"),
        keys.join(", ")
    )
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
    capped_to(text, MAX_QUOTED_CHARS)
}

/// `text` as a quoted string literal, as `{:?}` writes it (control and
/// other invisible characters escaped), holding at most
/// [`MAX_QUOTED_CHARS`] characters between the quotes and cut between
/// grapheme clusters, saying how long the text was when cut. Every error and
/// skip reason that quotes event text uses this, so escapes (six characters
/// for one `\u{7f}`) cannot make a message longer than the cap allows.
pub fn quoted(text: &str) -> String {
    quoted_to(text, MAX_QUOTED_CHARS)
}

fn quoted_to(text: &str, max_chars: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    let mut literal = String::from('"');
    let mut used = 0;
    for cluster in text.graphemes(true) {
        let escaped = cluster.escape_debug().to_string();
        used += escaped.chars().count();
        if used > max_chars {
            return format!("{literal}\"... ({} bytes in all)", text.len());
        }
        literal.push_str(&escaped);
    }
    literal.push('"');
    literal
}

fn capped_to(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some(_) => format!(
            "{}... ({} bytes in all)",
            crate::text::truncate_graphemes_to_chars(text, max_chars),
            text.len()
        ),
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
    fn escapes_cannot_make_a_quote_longer_than_the_cap() {
        assert_eq!(quoted("a\"b\n"), r#""a\"b\n""#);
        // One DEL is written as six characters, `\u{7f}`.
        let deletes = "\u{7f}".repeat(MAX_QUOTED_CHARS);
        let quote = quoted(&deletes);
        assert!(quote.chars().count() <= MAX_QUOTED_CHARS + 30, "{quote}");
        assert!(quote.ends_with(&format!("... ({MAX_QUOTED_CHARS} bytes in all)")));
        // Keys full of escapes, as the fuzzer once sent.
        let mut object = serde_json::Map::new();
        for index in 0..10 {
            object.insert(format!("{index}{}", "\u{7f}".repeat(64)), json!(1));
        }
        let described = describe_payload(&Value::Object(object));
        assert!(described.chars().count() < 600, "{described}");
        let routing =
            EventRouting::read(&json!({"source": deletes, "detail-type": deletes})).unwrap();
        let reason = crate::skip::Routing::not_handled("x", &routing).to_string();
        assert!(reason.chars().count() < 2 * MAX_QUOTED_CHARS + 100);
    }

    #[test]
    fn routing_reads_source_and_detail_type_only() {
        let routing =
            EventRouting::read(&json!({"source": " aws.ec2", "detail-type": "X", "detail": 5}))
                .unwrap();
        assert!(routing.matches("aws.ec2", "X"));
        assert!(!routing.matches("aws.health", "X"));
    }

    #[test]
    fn payloads_without_an_envelope_are_refused_naming_what_arrived() {
        let refused = |payload: Value| match EventRouting::read(&payload) {
            Err(EventError::NotAnEvent { received }) => received,
            other => panic!("expected NotAnEvent for {payload}, got {other:?}"),
        };
        assert_eq!(refused(json!({})), "an empty object");
        assert_eq!(
            refused(json!({"Records": [{"EventSource": "aws:sns", "Sns": {}}]})),
            "1 SNS record (an SNS subscription)"
        );
        assert_eq!(
            refused(
                json!({"Records": [{"eventSource": "aws:codecommit"}, {"eventSource": "aws:codecommit"}]})
            ),
            "2 CodeCommit trigger records"
        );
        assert_eq!(
            refused(
                json!({"Records": [{"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "ModifyImageAttribute"}]})
            ),
            "1 CloudTrail log record (eventSource \"ec2.amazonaws.com\")"
        );
        assert_eq!(
            refused(
                json!({"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "ModifyImageAttribute"})
            ),
            "a raw CloudTrail record without its EventBridge envelope (eventSource \"ec2.amazonaws.com\", eventName \"ModifyImageAttribute\")"
        );
        assert_eq!(
            refused(json!({"AlarmName": "idle", "NewStateValue": "ALARM"})),
            "a CloudWatch alarm message outside SNS (AlarmName \"idle\")"
        );
        assert_eq!(
            refused(json!({"Records": []})),
            "an object with an empty or malformed `Records` list"
        );
        assert_eq!(
            refused(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7})),
            "an object without `source` or `detail-type` (keys \"a\", \"b\", \"c\", \"d\", \"e\", and 2 more)"
        );
        let huge_key = "k".repeat(100_000);
        assert!(refused(json!({huge_key: 1})).len() < 200);
        assert_eq!(
            refused(json!({"source": "aws.ec2", "detail": {}})),
            "an object without `detail-type` (keys \"detail\", \"source\")"
        );
        assert_eq!(
            EventRouting::read(&json!({"source": "aws.ec2", "detail-type": 5}))
                .unwrap_err()
                .to_string(),
            "event field `detail-type` is malformed: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn routing_reads_the_origin_and_names_what_it_does_not_handle() {
        let routing = EventRouting::read(&json!({
            "source": "aws.s3", "detail-type": "Object Created",
            "account": " 123456789012", "region": "eu-west-1"
        }))
        .unwrap();
        assert_eq!(
            (routing.account.as_str(), routing.region.as_str()),
            ("123456789012", "eu-west-1")
        );
    }
}
