//! An experiment, not a function: what does pre-warming the AWS SDK during
//! init cost, and what does it save on the first invocation?
//!
//! Like the functions, it loads the SDK configuration and builds a client at
//! init, and publishes one SNS message per invocation to `WARNING_TOPIC_ARN`.
//! With `PREWARM=1` it also makes one cheap call (`GetTopicAttributes`) at
//! init, so that credentials are resolved, the native root certificates are
//! loaded, and the TLS connection is open before the first event arrives.

use aws_sdk_sns::error::DisplayErrorContext;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let topic_arn = std::env::var("WARNING_TOPIC_ARN")
        .map_err(|_| "WARNING_TOPIC_ARN is required but is not set")?;
    let prewarm = std::env::var("PREWARM").is_ok_and(|value| value == "1");
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    if prewarm {
        sns.get_topic_attributes()
            .topic_arn(&topic_arn)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "pre-warming GetTopicAttributes failed: {}",
                    DisplayErrorContext(error)
                )
            })?;
    }
    let (sns, topic_arn) = (&sns, topic_arn.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let published = sns
            .publish()
            .topic_arn(topic_arn)
            .message(event.payload.to_string())
            .send()
            .await
            .map_err(|error| format!("Publish failed: {}", DisplayErrorContext(error)))?;
        Ok::<Value, Error>(json!({ "message_id": published.message_id() }))
    }))
    .await
}
