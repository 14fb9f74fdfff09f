//! CloudWatch alarm state changes: the alarm JSON inside an SNS notification, and EventBridge `CloudWatch Alarm State Change` events.
//!
//! Both shapes become one [`AlarmStateChange`], so a function handles an
//! alarm the same way whichever route it came by.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::{Detail, EventError, deserialize_at, lenient};

pub const SOURCE: &str = "aws.cloudwatch";
pub const STATE_CHANGE_DETAIL_TYPE: &str = "CloudWatch Alarm State Change";

/// An alarm's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
    Other(String),
}

impl AlarmState {
    pub fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_uppercase().as_str() {
            "OK" => Self::Ok,
            "ALARM" => Self::Alarm,
            "INSUFFICIENT_DATA" => Self::InsufficientData,
            _ => Self::Other(name.trim().to_owned()),
        }
    }
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("OK"),
            Self::Alarm => f.write_str("ALARM"),
            Self::InsufficientData => f.write_str("INSUFFICIENT_DATA"),
            Self::Other(name) => f.write_str(name),
        }
    }
}

fn alarm_state<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<AlarmState, D::Error> {
    Ok(AlarmState::from_name(&String::deserialize(deserializer)?))
}

fn optional_alarm_state<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<AlarmState>, D::Error> {
    Ok(lenient::optional_trimmed_string(deserializer)?.map(|name| AlarmState::from_name(&name)))
}

/// An alarm state change, whichever way it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmStateChange {
    pub alarm_name: String,
    pub new_state: AlarmState,
    pub old_state: Option<AlarmState>,
    pub reason: Option<String>,
    pub changed_at: Option<String>,
    /// Every metric dimension the alarm watches, as `(name, value)`: those
    /// of a single-metric alarm, or of every metric of a metric-math alarm.
    pub dimensions: Vec<(String, String)>,
    /// Seconds per datapoint, when the alarm says.
    pub period_seconds: Option<u64>,
    /// Datapoints the alarm evaluates, when the alarm says (SNS only).
    pub evaluation_periods: Option<u64>,
}

impl AlarmStateChange {
    /// The distinct values of one dimension, in the order they appear.
    pub fn dimension_values(&self, name: &str) -> Vec<&str> {
        let mut values: Vec<&str> = Vec::new();
        for (key, value) in &self.dimensions {
            if key == name && !values.contains(&value.as_str()) {
                values.push(value);
            }
        }
        values
    }
}

// ---- SNS: the JSON document in the notification's `Message` ----

/// The alarm JSON CloudWatch publishes to an SNS topic.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsAlarmMessage {
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub alarm_name: String,
    /// The account the alarm belongs to (`AWSAccountId`).
    #[serde(
        default,
        rename = "AWSAccountId",
        deserialize_with = "lenient::optional_trimmed_string"
    )]
    pub aws_account_id: Option<String>,
    /// `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`; absent from
    /// older messages.
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub alarm_arn: Option<String>,
    #[serde(deserialize_with = "alarm_state")]
    pub new_state_value: AlarmState,
    #[serde(default, deserialize_with = "optional_alarm_state")]
    pub old_state_value: Option<AlarmState>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub new_state_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub state_change_time: Option<String>,
    #[serde(default)]
    pub trigger: Option<SnsTrigger>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsTrigger {
    #[serde(default)]
    pub dimensions: Vec<SnsDimension>,
    /// Present instead of `dimensions` on metric-math alarms.
    #[serde(default)]
    pub metrics: Vec<SnsMetricQuery>,
    #[serde(default, deserialize_with = "lenient::optional_number_or_string")]
    pub period: Option<u64>,
    #[serde(default, deserialize_with = "lenient::optional_number_or_string")]
    pub evaluation_periods: Option<u64>,
}

/// SNS alarm messages spell dimension keys in lower case.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnsDimension {
    #[serde(alias = "Name", deserialize_with = "lenient::trimmed_string")]
    pub name: String,
    #[serde(alias = "Value", deserialize_with = "lenient::trimmed_string")]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMetricQuery {
    #[serde(default)]
    pub metric_stat: Option<SnsMetricStat>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMetricStat {
    pub metric: SnsMetric,
    #[serde(default, deserialize_with = "lenient::optional_number_or_string")]
    pub period: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMetric {
    #[serde(default)]
    pub dimensions: Vec<SnsDimension>,
}

impl From<SnsAlarmMessage> for AlarmStateChange {
    fn from(message: SnsAlarmMessage) -> Self {
        let trigger = message.trigger;
        let mut dimensions = Vec::new();
        let mut period_seconds = None;
        let mut evaluation_periods = None;
        if let Some(trigger) = trigger {
            period_seconds = trigger.period;
            evaluation_periods = trigger.evaluation_periods;
            dimensions.extend(trigger.dimensions.into_iter().map(|d| (d.name, d.value)));
            for stat in trigger.metrics.into_iter().filter_map(|m| m.metric_stat) {
                period_seconds = period_seconds.or(stat.period);
                dimensions.extend(
                    stat.metric
                        .dimensions
                        .into_iter()
                        .map(|d| (d.name, d.value)),
                );
            }
        }
        Self {
            alarm_name: message.alarm_name,
            new_state: message.new_state_value,
            old_state: message.old_state_value,
            reason: message.new_state_reason,
            changed_at: message.state_change_time,
            dimensions,
            period_seconds,
            evaluation_periods,
        }
    }
}

// ---- EventBridge: `CloudWatch Alarm State Change` detail ----

/// The `detail` of a `CloudWatch Alarm State Change` event.
///
/// The alarm's name and states are read through `aws_lambda_events`'
/// [`CloudWatchAlarmData`](aws_lambda_events::cloudwatch_alarms::CloudWatchAlarmData)
/// (state values `OK`, `ALARM`, `INSUFFICIENT_DATA`, a reason and an RFC 3339
/// timestamp, as CloudWatch sends them). Two fields are read here instead:
/// `configuration`, because the crate requires `metricStat` in every metric
/// and a metric-math alarm's expression has none (it would refuse a real
/// metric-math alarm), and each state's `value`, which the crate reads as
/// `OK` when it is missing; Watchkeeper refuses such a state, naming it.
/// The timestamp is kept as the text the event carries.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStateChangeDetail {
    pub alarm_name: String,
    pub state: DetailState,
    pub previous_state: Option<DetailState>,
    pub configuration: Option<DetailConfiguration>,
}

/// One of the alarm's states in the event.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailState {
    pub value: AlarmState,
    pub reason: Option<String>,
    pub timestamp: Option<String>,
}

// `configuration` as `Option<Value>`: read below, and optional as before.
type AlarmDataShape =
    aws_lambda_events::cloudwatch_alarms::CloudWatchAlarmData<Option<Value>, Value>;

impl Detail for AlarmStateChangeDetail {
    fn read(detail: &Value) -> Result<Self, EventError> {
        let shape: AlarmDataShape = deserialize_at(detail, "detail")?;
        let field = |path: &str, problem: &str| EventError::Field {
            path: path.to_owned(),
            problem: problem.to_owned(),
        };
        let state = |key: &str,
                     state: aws_lambda_events::cloudwatch_alarms::CloudWatchAlarmState<Value>|
         -> Result<DetailState, EventError> {
            let raw = &detail[key];
            if raw.get("value").is_none() {
                return Err(field(&format!("detail.{key}"), "missing field `value`"));
            }
            Ok(DetailState {
                value: alarm_state_value(&state.value),
                reason: Some(state.reason.trim().to_owned()).filter(|reason| !reason.is_empty()),
                timestamp: raw["timestamp"]
                    .as_str()
                    .map(|text| text.trim().to_owned())
                    .filter(|text| !text.is_empty()),
            })
        };
        let current = match shape.state {
            Some(current) => state("state", current)?,
            None if detail.get("state").is_none() => {
                return Err(field("detail", "missing field `state`"));
            }
            None => return Err(field("detail.state", "null, expected the alarm's state")),
        };
        let previous = shape
            .previous_state
            .map(|previous| state("previousState", previous))
            .transpose()?;
        let configuration = match detail.get("configuration") {
            None | Some(Value::Null) => None,
            Some(configuration) => Some(deserialize_at(configuration, "detail.configuration")?),
        };
        Ok(Self {
            alarm_name: shape.alarm_name.trim().to_owned(),
            state: current,
            previous_state: previous,
            configuration,
        })
    }
}

fn alarm_state_value(
    value: &aws_lambda_events::cloudwatch_alarms::CloudWatchAlarmStateValue,
) -> AlarmState {
    use aws_lambda_events::cloudwatch_alarms::CloudWatchAlarmStateValue as Value;
    match value {
        Value::Ok => AlarmState::Ok,
        Value::Alarm => AlarmState::Alarm,
        Value::InsufficientData => AlarmState::InsufficientData,
        // Values a later version of the crate may add.
        other => AlarmState::Other(format!("{other:?}")),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DetailConfiguration {
    #[serde(default)]
    pub metrics: Vec<DetailMetricQuery>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailMetricQuery {
    #[serde(default)]
    pub metric_stat: Option<DetailMetricStat>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DetailMetricStat {
    pub metric: DetailMetric,
    #[serde(default, deserialize_with = "lenient::optional_number_or_string")]
    pub period: Option<u64>,
}

/// EventBridge gives dimensions as an object, `{"JobFlowId": "j-..."}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DetailMetric {
    #[serde(default)]
    pub dimensions: std::collections::BTreeMap<String, String>,
}

impl From<AlarmStateChangeDetail> for AlarmStateChange {
    fn from(detail: AlarmStateChangeDetail) -> Self {
        let mut dimensions = Vec::new();
        let mut period_seconds = None;
        let stats = detail
            .configuration
            .into_iter()
            .flat_map(|configuration| configuration.metrics)
            .filter_map(|query| query.metric_stat);
        for stat in stats {
            period_seconds = period_seconds.or(stat.period);
            dimensions.extend(
                stat.metric
                    .dimensions
                    .into_iter()
                    .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned())),
            );
        }
        Self {
            alarm_name: detail.alarm_name,
            new_state: detail.state.value,
            old_state: detail.previous_state.map(|state| state.value),
            reason: detail.state.reason,
            changed_at: detail.state.timestamp,
            dimensions,
            period_seconds,
            evaluation_periods: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{deserialize_value, parse_event};
    use serde_json::json;

    #[test]
    fn sns_alarm_reads_state_and_lower_case_dimensions() {
        let message: SnsAlarmMessage = deserialize_value(&json!({
            "AlarmName": " emr-idle-j-1 ",
            "NewStateValue": "ALARM",
            "OldStateValue": "OK",
            "NewStateReason": "Threshold Crossed",
            "StateChangeTime": "2026-11-22T10:00:00.000+0000",
            "Trigger": {
                "MetricName": "IsIdle",
                "Dimensions": [{"value": "j-1ABC", "name": "JobFlowId"}],
                "Period": 300,
                "EvaluationPeriods": "12"
            }
        }))
        .unwrap();
        let change = AlarmStateChange::from(message);
        assert_eq!(change.alarm_name, "emr-idle-j-1");
        assert_eq!(change.new_state, AlarmState::Alarm);
        assert_eq!(change.old_state, Some(AlarmState::Ok));
        assert_eq!(change.dimension_values("JobFlowId"), vec!["j-1ABC"]);
        assert_eq!(change.period_seconds, Some(300));
        assert_eq!(change.evaluation_periods, Some(12));
    }

    #[test]
    fn sns_metric_math_alarm_reads_dimensions_of_every_metric_once() {
        let message: SnsAlarmMessage = deserialize_value(&json!({
            "AlarmName": "math",
            "NewStateValue": "alarm",
            "Trigger": {
                "Period": 300,
                "Metrics": [
                    {"Id": "e1", "Expression": "m1 + m2"},
                    {"Id": "m1", "MetricStat": {"Metric": {"Dimensions": [{"name": "JobFlowId", "value": "j-2"}]}, "Period": 300}},
                    {"Id": "m2", "MetricStat": {"Metric": {"Dimensions": [{"name": "JobFlowId", "value": "j-2"}]}}}
                ]
            }
        }))
        .unwrap();
        let change = AlarmStateChange::from(message);
        assert_eq!(change.new_state, AlarmState::Alarm);
        assert_eq!(change.dimension_values("JobFlowId"), vec!["j-2"]);
        assert_eq!(change.dimensions.len(), 2);
    }

    #[test]
    fn eventbridge_detail_reads_object_dimensions() {
        let event = json!({
            "id": "e", "detail-type": STATE_CHANGE_DETAIL_TYPE, "source": SOURCE,
            "detail": {
                "alarmName": "a",
                "state": {"value": "INSUFFICIENT_DATA", "reason": " r ", "timestamp": "2026-11-22T10:00:41.640+0000"},
                "previousState": {"value": "ALARM", "reason": "", "timestamp": "2026-11-22T09:00:41.640+0000"},
                "configuration": {"metrics": [
                    {"id": "m", "metricStat": {"metric": {"namespace": "AWS/ElasticMapReduce", "name": "IsIdle", "dimensions": {"JobFlowId": " j-3 "}}, "period": 300, "stat": "Minimum"}}
                ]}
            }
        });
        let change = AlarmStateChange::from(
            parse_event::<AlarmStateChangeDetail>(&event)
                .unwrap()
                .detail,
        );
        assert_eq!(change.new_state, AlarmState::InsufficientData);
        assert_eq!(change.old_state, Some(AlarmState::Alarm));
        assert_eq!(change.dimension_values("JobFlowId"), vec!["j-3"]);
        assert_eq!(change.reason.as_deref(), Some("r"));
        // The timestamp as the event wrote it.
        assert_eq!(
            change.changed_at.as_deref(),
            Some("2026-11-22T10:00:41.640+0000")
        );
    }

    /// `aws_lambda_events`' alarm configuration
    /// (`CloudWatchMetricAlarmConfiguration`) requires `metricStat` in every
    /// metric, and a metric-math alarm's expression has none: it refuses a
    /// real metric-math alarm, so `configuration` is read by
    /// [`DetailConfiguration`]. When this test fails after an upgrade, the
    /// crate reads it.
    #[test]
    fn the_crates_alarm_configuration_rejects_metric_math_so_ours_reads_it() {
        use aws_lambda_events::cloudwatch_alarms::CloudWatchMetricAlarmConfiguration;
        let event: Value = serde_json::from_str(include_str!(
            "../../../events/emr-idle-alarm-eventbridge-metric-math.json"
        ))
        .unwrap();
        let error = serde_json::from_value::<CloudWatchMetricAlarmConfiguration>(
            event["detail"]["configuration"].clone(),
        )
        .expect_err("the crate now reads metric-math alarms: adopt its configuration");
        assert!(
            error.to_string().contains("missing field `metricStat`"),
            "{error}"
        );
        let change = AlarmStateChange::from(
            parse_event::<AlarmStateChangeDetail>(&event)
                .unwrap()
                .detail,
        );
        assert_eq!(change.new_state, AlarmState::Alarm);
        assert_eq!(change.old_state, Some(AlarmState::InsufficientData));
        assert_eq!(
            change.dimension_values("JobFlowId"),
            vec!["j-2AXXXXXXGAPLF"]
        );
        assert_eq!(change.period_seconds, Some(300));
    }

    #[test]
    fn eventbridge_states_are_read_as_cloudwatch_sends_them() {
        let event = |state: Value| {
            json!({
                "id": "e", "detail-type": STATE_CHANGE_DETAIL_TYPE, "source": SOURCE,
                "detail": {"alarmName": "a", "state": state}
            })
        };
        let error = |state: Value| {
            parse_event::<AlarmStateChangeDetail>(&event(state))
                .unwrap_err()
                .to_string()
        };
        // The crate would read a missing value as OK.
        assert_eq!(
            error(json!({"reason": "r", "timestamp": "2026-11-22T10:00:41.640+0000"})),
            "event field `detail.state` is malformed: missing field `value`"
        );
        assert_eq!(
            error(
                json!({"value": "Paused", "reason": "r", "timestamp": "2026-11-22T10:00:41.640+0000"})
            ),
            "event field `detail.state.value` is malformed: unknown variant `Paused`, expected one of `OK`, `ALARM`, `INSUFFICIENT_DATA`"
        );
        assert!(
            error(json!({"value": "ALARM", "reason": "r", "timestamp": "yesterday"}))
                .starts_with("event field `detail.state.timestamp` is malformed: ")
        );
        let missing = json!({"id": "e", "detail-type": STATE_CHANGE_DETAIL_TYPE, "source": SOURCE, "detail": {"alarmName": "a"}});
        assert_eq!(
            parse_event::<AlarmStateChangeDetail>(&missing)
                .unwrap_err()
                .to_string(),
            "event field `detail` is malformed: missing field `state`"
        );
    }

    #[test]
    fn missing_state_is_named() {
        let error = deserialize_value::<SnsAlarmMessage>(&json!({"AlarmName": "a"})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "event field `.` is malformed: missing field `NewStateValue`"
        );
    }

    /// `aws_lambda_events`' SNS alarm message (`sns::CloudWatchAlarmPayload`)
    /// requires `AlarmArn`, which older messages and China-region ones do
    /// not carry (the function then takes the region from the topic's ARN),
    /// and reads `NewStateValue` as it is sent. The crate's type refuses
    /// such a message, so [`SnsAlarmMessage`] stays. When this test fails
    /// after an upgrade, the crate reads them and the message can be read
    /// through it.
    #[test]
    fn the_crates_sns_alarm_message_rejects_real_samples_so_ours_stays() {
        use aws_lambda_events::sns::{CloudWatchAlarmPayload, SnsEvent};
        let event: SnsEvent = serde_json::from_str(include_str!(
            "../../../events/emr-idle-alarm-sns-no-arn.json"
        ))
        .unwrap();
        let message: serde_json::Value =
            serde_json::from_str(&event.records[0].sns.message).unwrap();
        let error = serde_json::from_value::<CloudWatchAlarmPayload>(message.clone())
            .expect_err("the crate now reads alarm messages without AlarmArn: adopt its type");
        assert!(
            error.to_string().contains("missing field `AlarmArn`"),
            "{error}"
        );
        // Ours reads it.
        let ours: SnsAlarmMessage = deserialize_value(&message).unwrap();
        assert_eq!(ours.alarm_arn, None);
        assert_eq!(ours.aws_account_id.as_deref(), Some("123456789012"));
    }

    #[test]
    fn unknown_states_are_kept() {
        assert_eq!(
            AlarmState::from_name("Paused"),
            AlarmState::Other("Paused".into())
        );
        assert_eq!(AlarmState::from_name(" ok ").to_string(), "OK");
    }
}
