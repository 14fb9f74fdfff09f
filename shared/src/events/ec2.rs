//! `EC2 Instance State-change Notification` events.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt;

use super::{Detail, EventError, FromAwsShape, ShapeError, lenient, read_shape};

pub const SOURCE: &str = "aws.ec2";
pub const STATE_CHANGE_DETAIL_TYPE: &str = "EC2 Instance State-change Notification";

/// The `detail` of an EC2 instance state-change event, read through
/// [`aws_lambda_events::cloudwatch_events::ec2::InstanceStateChange`]: the
/// instance id trimmed, lower-cased and checked, the state trimmed and
/// lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceStateChange {
    pub instance_id: String,
    pub state: InstanceState,
}

impl FromAwsShape for InstanceStateChange {
    type Shape = aws_lambda_events::cloudwatch_events::ec2::InstanceStateChange;

    fn from_shape(shape: Self::Shape) -> Result<Self, ShapeError> {
        let instance_id = shape.instance_id.trim().to_lowercase();
        if !is_instance_id(&instance_id) {
            return Err(ShapeError::new(
                "instance-id",
                format!(
                    "{} is not an EC2 instance id (expected i- followed by 8 or 17 hex digits)",
                    super::quoted(&instance_id)
                ),
            ));
        }
        let state = shape.state.trim().to_lowercase();
        if state.is_empty() {
            return Err(ShapeError::new("state", "state is empty"));
        }
        Ok(Self {
            instance_id,
            state: InstanceState::from_name(&state),
        })
    }
}

impl Detail for InstanceStateChange {
    fn read(detail: &Value) -> Result<Self, EventError> {
        read_shape(detail, "detail")
    }
}

/// An instance lifecycle state; values EC2 may add later are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
    Other(String),
}

impl InstanceState {
    pub fn from_name(name: &str) -> Self {
        match name.trim().to_lowercase().as_str() {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "stopping" => Self::Stopping,
            "stopped" => Self::Stopped,
            "shutting-down" => Self::ShuttingDown,
            "terminated" => Self::Terminated,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for InstanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for InstanceState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = lenient::lowercase_string(deserializer)?;
        if name.is_empty() {
            return Err(serde::de::Error::custom("state is empty"));
        }
        Ok(Self::from_name(&name))
    }
}

/// Whether `id` has the shape of an EC2 instance id: `i-` and 8 or 17 hex digits.
pub fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventBridgeEvent, parse_event};
    use serde_json::json;

    fn event(detail: serde_json::Value) -> serde_json::Value {
        json!({
            "id": "ee376907-2647-4179-9203-343cfb3017a4",
            "detail-type": STATE_CHANGE_DETAIL_TYPE,
            "source": SOURCE,
            "account": "123456789012",
            "time": "2026-11-22T10:00:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:ec2:eu-west-1:123456789012:instance/i-0abcd1234ef567890"],
            "detail": detail
        })
    }

    #[test]
    fn reads_upper_case_states_and_padded_ids() {
        let parsed: EventBridgeEvent<InstanceStateChange> = parse_event(&event(
            json!({"instance-id": " i-0ABCD1234EF567890 ", "state": "RUNNING"}),
        ))
        .unwrap();
        assert_eq!(parsed.detail.instance_id, "i-0abcd1234ef567890");
        assert_eq!(parsed.detail.state, InstanceState::Running);
    }

    #[test]
    fn every_state_name_round_trips() {
        for name in [
            "pending",
            "running",
            "stopping",
            "stopped",
            "shutting-down",
            "terminated",
            "rebooting",
        ] {
            assert_eq!(InstanceState::from_name(name).name(), name);
        }
        assert_eq!(
            InstanceState::from_name("rebooting"),
            InstanceState::Other("rebooting".into())
        );
    }

    #[test]
    fn malformed_instance_ids_and_states_name_the_field() {
        let error = parse_event::<InstanceStateChange>(&event(
            json!({"instance-id": "i-*", "state": "running"}),
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "event field `detail.instance-id` is malformed: \"i-*\" is not an EC2 instance id (expected i- followed by 8 or 17 hex digits)"
        );
        let error =
            parse_event::<InstanceStateChange>(&event(json!({"instance-id": "i-12345678"})))
                .unwrap_err()
                .to_string();
        assert_eq!(
            error,
            "event field `detail` is malformed: missing field `state`"
        );
        let error = parse_event::<InstanceStateChange>(&event(
            json!({"instance-id": "i-12345678", "state": 3}),
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "event field `detail.state` is malformed: invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn instance_id_shapes() {
        assert!(is_instance_id("i-12345678"));
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(!is_instance_id("i-1234567"));
        assert!(!is_instance_id("ami-12345678"));
        assert!(!is_instance_id(""));
    }
}
