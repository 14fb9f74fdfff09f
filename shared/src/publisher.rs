//! Sending rendered notifications through SNS, routed by severity.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::config::EnvReader;
use crate::notification::{Notification, RenderedMessage, Severity};

/// A publish that SNS did not accept. The invocation should fail so that
/// Lambda retries it and the dead-letter queue keeps the event.
#[derive(Debug, thiserror::Error)]
#[error("publishing {subject:?} to SNS topic {topic_arn} failed: {}", DisplayErrorContext(.source))]
pub struct PublishError {
    pub topic_arn: String,
    pub subject: String,
    #[source]
    pub source: aws_sdk_sns::Error,
}

/// The app's two topics: warnings go to email, critical alerts to SMS and email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub warning_topic_arn: String,
    pub critical_topic_arn: String,
}

impl Topics {
    pub const WARNING_VAR: &str = "WARNING_TOPIC_ARN";
    pub const CRITICAL_VAR: &str = "CRITICAL_TOPIC_ARN";

    pub fn from_env(env: &mut EnvReader) -> Self {
        Self {
            warning_topic_arn: env.required(Self::WARNING_VAR),
            critical_topic_arn: env.required(Self::CRITICAL_VAR),
        }
    }

    /// Info and warning share the email topic; critical pages.
    pub fn for_severity(&self, severity: Severity) -> &str {
        match severity {
            Severity::Info | Severity::Warning => &self.warning_topic_arn,
            Severity::Critical => &self.critical_topic_arn,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Publisher {
    sns: aws_sdk_sns::Client,
    topics: Topics,
}

impl Publisher {
    pub fn new(sns: aws_sdk_sns::Client, topics: Topics) -> Self {
        Self { sns, topics }
    }

    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// Publishes to the topic for the notification's severity and returns
    /// the SNS message id.
    pub async fn publish(&self, notification: &Notification) -> Result<String, PublishError> {
        let topic_arn = self.topics.for_severity(notification.severity);
        self.publish_rendered(topic_arn, &notification.render())
            .await
    }

    pub async fn publish_rendered(
        &self,
        topic_arn: &str,
        rendered: &RenderedMessage,
    ) -> Result<String, PublishError> {
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .expect("data_type is always set")
        };
        let output = self
            .sns
            .publish()
            .topic_arn(topic_arn)
            .subject(&rendered.subject)
            .message_structure("json")
            .message(rendered.message_json())
            .message_attributes("severity", attribute(rendered.severity.as_str()))
            .message_attributes("source", attribute(&rendered.source))
            .send()
            .await
            .map_err(|error| PublishError {
                topic_arn: topic_arn.to_owned(),
                subject: rendered.subject.clone(),
                source: error.into(),
            })?;
        Ok(output.message_id.unwrap_or_default())
    }
}
