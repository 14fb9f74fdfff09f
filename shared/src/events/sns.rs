//! Lambda's SNS event: the `Records` wrapper an SNS subscription delivers,
//! read with `aws_lambda_events`' types. Each record's `Sns.Message` is the
//! published text; for CloudWatch alarms, read it as
//! [`super::cloudwatch_alarm::SnsAlarmMessage`].

pub use aws_lambda_events::sns::{SnsEvent, SnsMessage, SnsRecord};
