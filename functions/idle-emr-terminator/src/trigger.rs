//! Reading the trigger: an idle alarm (through SNS, several records at
//! once, or EventBridge), the scheduled sweep, or an event not this
//! function's.

use serde_json::Value;

use watchkeeper_shared::events::cloudwatch_alarm::{
    self, AlarmStateChange, AlarmStateChangeDetail, SnsAlarmMessage,
};
use watchkeeper_shared::events::sns::SnsEvent;
use watchkeeper_shared::events::{
    EventError, EventRouting, describe_payload, deserialize_value, parse_event,
};
use watchkeeper_shared::skip::Routing;

pub const SCHEDULE_SOURCE: &str = "aws.events";
pub const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

/// What triggered the invocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trigger {
    Alarms(Vec<Alarm>),
    /// The schedule's event, from the account and region in its envelope.
    Sweep(EventRouting),
    Irrelevant(Routing),
}

/// One alarm delivery: its idempotency key, the change, and the account and
/// region the alarm belongs to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alarm {
    pub(crate) delivery: String,
    pub(crate) change: AlarmStateChange,
    pub(crate) account: String,
    pub(crate) region: String,
}

/// The region in an ARN (`arn:<partition>:<service>:<region>:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|region| !region.is_empty())
}

/// Whether Lambda's `Records` wrapper carries SNS notifications: this
/// function's SNS subscription. Other services' records are refused.
fn is_sns_records(event: &Value) -> bool {
    event["Records"]
        .as_array()
        .and_then(|records| records.first())
        .is_some_and(|record| record.get("Sns").is_some())
}

pub(crate) fn read_trigger(event: &Value) -> Result<Trigger, EventError> {
    if event.get("Records").is_some() {
        if !is_sns_records(event) {
            return Err(EventError::NotAnEvent {
                received: describe_payload(event),
            });
        }
        let sns: SnsEvent = deserialize_value(event)?;
        let mut alarms = Vec::new();
        for (index, record) in sns.records.iter().enumerate() {
            let field = |problem: String| EventError::Field {
                path: format!("Records[{index}].Sns.Message"),
                problem,
            };
            let message: Value = serde_json::from_str(&record.sns.message)
                .map_err(|error| field(format!("not CloudWatch alarm JSON: {error}")))?;
            let alarm: SnsAlarmMessage = deserialize_value(&message).map_err(|error| {
                field(match error {
                    EventError::Field { path, problem } => format!("`{path}`: {problem}"),
                    other => other.to_string(),
                })
            })?;
            if record.sns.message_id.trim().is_empty() {
                return Err(EventError::Field {
                    path: format!("Records[{index}].Sns.MessageId"),
                    problem: "missing or empty".to_owned(),
                });
            }
            // The alarm's account is in the message; its region in its ARN,
            // or else in the topic's: CloudWatch notifies only topics of the
            // alarm's own region.
            let account = alarm.aws_account_id.clone().ok_or_else(|| {
                field(
                    "`AWSAccountId` is missing: cannot tell which account the alarm is in"
                        .to_owned(),
                )
            })?;
            let region = alarm
                .alarm_arn
                .as_deref()
                .and_then(arn_region)
                .or_else(|| arn_region(&record.sns.topic_arn))
                .map(str::to_owned)
                .ok_or_else(|| {
                    field(
                        "neither `AlarmArn` nor the record's `TopicArn` names a region".to_owned(),
                    )
                })?;
            alarms.push(Alarm {
                delivery: format!("sns:{}", record.sns.message_id.trim()),
                change: AlarmStateChange::from(alarm),
                account,
                region,
            });
        }
        return Ok(Trigger::Alarms(alarms));
    }
    let routing = EventRouting::read(event)?;
    if routing.matches(
        cloudwatch_alarm::SOURCE,
        cloudwatch_alarm::STATE_CHANGE_DETAIL_TYPE,
    ) {
        let event = parse_event::<AlarmStateChangeDetail>(event)?;
        return Ok(Trigger::Alarms(vec![Alarm {
            delivery: format!("event:{}", event.id),
            change: event.detail.into(),
            account: routing.account,
            region: routing.region,
        }]));
    }
    if routing.matches(SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE) {
        return Ok(Trigger::Sweep(routing));
    }
    Ok(Trigger::Irrelevant(Routing::not_handled(
        "an idle alarm or a scheduled sweep",
        &routing,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use watchkeeper_shared::events::cloudwatch_alarm::AlarmState;

    /// The sample SNS delivery (`events/emr-idle-alarm-sns.json`) carrying
    /// `message`, with the given message id and topic.
    fn sns_delivery(message_id: &str, topic_arn: &str, message: Value) -> Value {
        let mut event = testbed::events::load("emr-idle-alarm-sns.json");
        let sns = &mut event["Records"][0]["Sns"];
        sns["MessageId"] = json!(message_id);
        sns["TopicArn"] = json!(topic_arn);
        sns["Message"] = message;
        event
    }

    #[test]
    fn triggers_are_recognised() {
        let scheduled = json!({"id": "1", "source": "aws.events", "detail-type": "Scheduled Event", "account": "123456789012", "region": "eu-west-1", "detail": {}});
        let Trigger::Sweep(routing) = read_trigger(&scheduled).unwrap() else {
            panic!("a sweep");
        };
        assert_eq!(
            (routing.account.as_str(), routing.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        let other = json!({"id": "1", "source": "aws.ec2", "detail-type": "X", "detail": {}});
        let Trigger::Irrelevant(reason) = read_trigger(&other).unwrap() else {
            panic!("irrelevant");
        };
        assert_eq!(
            reason.to_string(),
            "not an idle alarm or a scheduled sweep (source \"aws.ec2\", detail-type \"X\")"
        );
        let sns = sns_delivery(
            "m-1",
            "arn:aws:sns:eu-west-1:123456789012:t",
            json!(
                "{\"AlarmName\":\"a\",\"NewStateValue\":\"OK\",\"AWSAccountId\":\"123456789012\"}"
            ),
        );
        let Trigger::Alarms(alarms) = read_trigger(&sns).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(alarms[0].delivery, "sns:m-1");
        assert_eq!(alarms[0].change.new_state, AlarmState::Ok);
        // Without an AlarmArn, the region is the topic's.
        assert_eq!(
            (alarms[0].account.as_str(), alarms[0].region.as_str()),
            ("123456789012", "eu-west-1")
        );
    }

    #[test]
    fn an_alarm_is_placed_by_its_own_arn_and_account() {
        let sns = sns_delivery(
            "m-1",
            "arn:aws:sns:eu-west-1:123456789012:t",
            json!(
                "{\"AlarmName\":\"a\",\"NewStateValue\":\"ALARM\",\"AWSAccountId\":\"111122223333\",\"AlarmArn\":\"arn:aws:cloudwatch:us-east-1:111122223333:alarm:a\"}"
            ),
        );
        let Trigger::Alarms(alarms) = read_trigger(&sns).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(
            (alarms[0].account.as_str(), alarms[0].region.as_str()),
            ("111122223333", "us-east-1")
        );
        let unplaced = sns_delivery(
            "m-1",
            "arn:aws:sns:eu-west-1:123456789012:t",
            json!("{\"AlarmName\":\"a\",\"NewStateValue\":\"ALARM\"}"),
        );
        assert_eq!(
            read_trigger(&unplaced).unwrap_err().to_string(),
            "event field `Records[0].Sns.Message` is malformed: `AWSAccountId` is missing: cannot tell which account the alarm is in"
        );
    }

    #[test]
    fn an_alarm_message_without_its_arn_is_placed_by_the_topics_region() {
        // Older and China-region alarm messages carry no `AlarmArn`.
        let sns = testbed::events::load("emr-idle-alarm-sns-no-arn.json");
        let Trigger::Alarms(alarms) = read_trigger(&sns).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(
            (alarms[0].account.as_str(), alarms[0].region.as_str()),
            ("123456789012", "cn-north-1")
        );
        assert_eq!(alarms[0].change.new_state, AlarmState::Alarm);
        assert_eq!(
            alarms[0].change.dimension_values("JobFlowId"),
            vec!["j-2AXXXXXXGAPLF"]
        );
    }

    #[test]
    fn a_metric_math_alarm_through_eventbridge_names_its_cluster() {
        let event = testbed::events::load("emr-idle-alarm-eventbridge-metric-math.json");
        let Trigger::Alarms(alarms) = read_trigger(&event).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(
            alarms[0].delivery,
            "event:5d8a2c41-9b3e-7f10-2c6d-8e4f1a0b3c77"
        );
        assert_eq!(
            alarms[0].change.dimension_values("JobFlowId"),
            vec!["j-2AXXXXXXGAPLF"]
        );
    }

    #[test]
    fn records_of_another_service_are_refused_naming_them() {
        let codecommit = json!({"Records": [{"eventSource": "aws:codecommit", "eventName": "ReferenceChanges"}]});
        assert_eq!(
            read_trigger(&codecommit).unwrap_err().to_string(),
            "not an EventBridge event: received 1 CodeCommit trigger record"
        );
    }

    #[test]
    fn malformed_sns_messages_name_the_record() {
        for (message, expected) in [
            (
                json!("not json"),
                "event field `Records[0].Sns.Message` is malformed: not CloudWatch alarm JSON: expected ident at line 1 column 2",
            ),
            (
                json!("{\"AlarmName\":\"a\"}"),
                "event field `Records[0].Sns.Message` is malformed: `.`: missing field `NewStateValue`",
            ),
            (
                json!(5),
                "event field `Records[0].Sns.Message` is malformed: invalid type: integer `5`, expected a string",
            ),
        ] {
            let event = sns_delivery("m-1", "arn:aws:sns:eu-west-1:123456789012:t", message);
            assert_eq!(read_trigger(&event).unwrap_err().to_string(), expected);
        }
    }
}
