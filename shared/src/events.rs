//! The EventBridge envelope and the `detail` shapes Watchkeeper reads, parsed
//! leniently: real AWS events omit `version`, add keys, send numbers as
//! strings, shout enum values and carry stray whitespace. Errors name the
//! field that is missing or malformed.
//!
//! Where AWS's own event types (`aws_lambda_events`) read every real event,
//! they are used, and Watchkeeper's lenient post-processing (trimming,
//! lower-casing, blank as absent, validation) turns them into the domain
//! types the functions use: the envelope ([`parse_event`]), the EC2
//! state-change detail ([`ec2::InstanceStateChange`]), the CloudTrail
//! API-call detail ([`cloudtrail::ApiCall`]), the CloudWatch alarm
//! state-change detail ([`cloudwatch_alarm::AlarmStateChangeDetail`]) and
//! Lambda's SNS event ([`sns`]). Watchkeeper keeps its own types where the
//! crate's refuse real events, each with a test that feeds a real sample to
//! the crate's type and expects the refusal, so an upgrade of the crate
//! re-checks the choice: the Health detail ([`health`]), the alarm message
//! inside SNS ([`cloudwatch_alarm::SnsAlarmMessage`]) and an alarm's
//! `configuration` (metric-math alarms). CodeCommit's detail has no type in
//! the crate.

pub mod cloudtrail;
pub mod cloudwatch_alarm;
pub mod codecommit;
pub mod ec2;
pub mod health;
pub mod lenient;
pub mod sns;

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
///
/// Read through `aws_lambda_events`' own envelope
/// ([`aws_lambda_events::eventbridge::EventBridgeEvent`]), then made lenient:
/// strings trimmed, a missing `account`, `region` or `resources` empty.
/// `time` is kept as the text the event carries: the crate reads it as a
/// timestamp and would refuse the whole event for an odd one, while
/// Watchkeeper only uses it for logs and an event's age.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBridgeEvent<D> {
    pub version: Option<String>,
    pub id: String,
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub time: String,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: D,
}

/// A `detail` shape [`parse_event`] can read: any `Deserialize` type of
/// Watchkeeper's own, as it is, or a type read through one of
/// `aws_lambda_events`' shapes and then checked and normalised
/// ([`FromAwsShape`]).
pub trait Detail: Sized {
    /// Reads `detail`; errors name the field by its path from the event's
    /// root (`detail.state`).
    fn read(detail: &Value) -> Result<Self, EventError>;
}

impl<T: DeserializeOwned> Detail for T {
    fn read(detail: &Value) -> Result<Self, EventError> {
        deserialize_at(detail, "detail")
    }
}

/// A domain type built from a shape of `aws_lambda_events`: the crate reads
/// the JSON, Watchkeeper trims, lowercases and validates what it reads.
pub trait FromAwsShape: Sized {
    /// The crate's type for the JSON.
    type Shape: DeserializeOwned;
    /// The domain value, or the field (its path inside the shape, `.` for
    /// the whole) and what is wrong with it.
    fn from_shape(shape: Self::Shape) -> Result<Self, ShapeError>;
}

/// A field of a crate-read shape that Watchkeeper refuses, by its path
/// inside the shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub path: String,
    pub problem: String,
}

impl ShapeError {
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Reads `value` as the crate's shape of `T`, then converts it; every
/// error names its path below `prefix`.
pub fn read_shape<T: FromAwsShape>(value: &Value, prefix: &str) -> Result<T, EventError> {
    let shape: T::Shape = deserialize_at(value, prefix)?;
    T::from_shape(shape).map_err(|error| EventError::Field {
        path: capped(&join_path(prefix, &error.path)),
        problem: capped(&error.problem),
    })
}

/// `prefix.inner`, or `prefix` alone for the whole (`.`).
fn join_path(prefix: &str, inner: &str) -> String {
    match (prefix, inner) {
        (_, "." | "") => prefix.to_owned(),
        ("." | "", _) => inner.to_owned(),
        _ => format!("{prefix}.{inner}"),
    }
}

/// Deserializes `value` (of any JSON kind), naming a failing field by its
/// path below `prefix`.
fn deserialize_at<T: DeserializeOwned>(value: &Value, prefix: &str) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|error| EventError::Field {
        path: capped(&join_path(prefix, &error.path().to_string())),
        problem: capped(&error.inner().to_string()),
    })
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

/// Parses a whole event, naming the failing field by its path: the
/// envelope through `aws_lambda_events`' type, then `detail` as `D`.
pub fn parse_event<D: Detail>(event: &Value) -> Result<EventBridgeEvent<D>, EventError> {
    let Value::Object(object) = event else {
        return Err(EventError::NotAnObject {
            found: json_kind(event),
        });
    };
    // The crate's envelope, without `time` (read below as text) and with
    // `detail` only checked for presence here: it is read on its own as `D`.
    let envelope: aws_lambda_events::eventbridge::EventBridgeEvent<Present> =
        serde_path_to_error::deserialize(WithoutKey {
            object,
            key: "time",
        })
        .map_err(|error| EventError::Field {
            path: capped(&error.path().to_string()),
            problem: capped(&error.inner().to_string()),
        })?;
    let time: Option<String> = match object.get("time") {
        None => None,
        Some(time) => deserialize_at(time, "time")?,
    };
    let trimmed =
        |text: Option<String>| text.map(|text| text.trim().to_owned()).unwrap_or_default();
    let Some(id) = envelope.id else {
        return Err(EventError::Field {
            path: ".".to_owned(),
            problem: "missing field `id`".to_owned(),
        });
    };
    let detail = D::read(object.get("detail").unwrap_or(&Value::Null))?;
    Ok(EventBridgeEvent {
        version: envelope.version,
        id: id.trim().to_owned(),
        detail_type: envelope.detail_type.trim().to_owned(),
        source: envelope.source.trim().to_owned(),
        account: trimmed(envelope.account),
        time: trimmed(time),
        region: trimmed(envelope.region),
        resources: envelope.resources.unwrap_or_default(),
        detail,
    })
}

/// The crate envelope's `detail` while the envelope is read: it must be
/// there, and is read afterwards as the caller's type.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Self)
    }
}

/// An event object seen without one of its keys.
struct WithoutKey<'a> {
    object: &'a serde_json::Map<String, Value>,
    key: &'static str,
}

impl<'de> serde::Deserializer<'de> for WithoutKey<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let key = self.key;
        let entries = self
            .object
            .iter()
            .filter(move |(name, _)| name.as_str() != key)
            .map(|(name, value)| (name.as_str(), value));
        let mut map = serde::de::value::MapDeserializer::new(entries);
        let value = visitor.visit_map(&mut map)?;
        map.end()?;
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Deserializes any JSON value, naming the failing field by its path.
pub fn deserialize_value<T: DeserializeOwned>(value: &Value) -> Result<T, EventError> {
    if !value.is_object() {
        return Err(EventError::NotAnObject {
            found: json_kind(value),
        });
    }
    // The path holds map keys from the event, as long as the sender likes.
    deserialize_at(value, ".")
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
    fn an_odd_time_is_kept_as_text_where_the_crates_envelope_refuses_it() {
        let event = json!({
            "id": "1", "detail-type": "T", "source": "s",
            "time": " yesterday ", "detail": {"name": "x"}
        });
        // The crate reads `time` as a timestamp and refuses the event ...
        assert!(
            serde_json::from_value::<aws_lambda_events::eventbridge::EventBridgeEvent>(
                event.clone()
            )
            .is_err()
        );
        // ... Watchkeeper keeps it as text: it is only logged and aged.
        let parsed: EventBridgeEvent<Detail> = parse_event(&event).unwrap();
        assert_eq!(parsed.time, "yesterday");
        assert_eq!(
            parse_event::<Detail>(&json!({"id": "1", "detail-type": "T", "source": "s", "time": 5, "detail": {"name": "x"}}))
                .unwrap_err()
                .to_string(),
            "event field `time` is malformed: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn envelope_fields_are_read_through_the_crate_and_trimmed() {
        let event = json!({
            "version": "0", "id": " e-1 ", "detail-type": " T ", "source": " s ",
            "account": " 123456789012 ", "time": "2026-11-22T10:00:00Z",
            "region": " eu-west-1 ", "resources": null, "detail": {"name": "x"}
        });
        let parsed: EventBridgeEvent<Detail> = parse_event(&event).unwrap();
        assert_eq!(parsed.version.as_deref(), Some("0"));
        assert_eq!(
            (
                parsed.id.as_str(),
                parsed.detail_type.as_str(),
                parsed.source.as_str(),
                parsed.account.as_str(),
                parsed.region.as_str()
            ),
            ("e-1", "T", "s", "123456789012", "eu-west-1")
        );
        assert!(parsed.resources.is_empty());
        assert_eq!(
            parse_event::<Detail>(
                &json!({"detail-type": "T", "source": "s", "detail": {"name": "x"}})
            )
            .unwrap_err()
            .to_string(),
            "event field `.` is malformed: missing field `id`"
        );
        assert_eq!(
            parse_event::<Detail>(
                &json!({"id": "1", "detail-type": "T", "source": "s", "detail": null})
            )
            .unwrap_err()
            .to_string(),
            "event field `detail` is malformed: invalid type: null, expected struct Detail"
        );
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
