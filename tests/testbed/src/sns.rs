//! Topics with SQS subscribers, and what operators would receive.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use serde::Deserialize;
use serde_json::Value;

use watchkeeper_shared::publisher::Topics;

/// A publish as SNS received it (read from moto's state).
#[derive(Debug, Clone, Deserialize)]
pub struct PublishedMessage {
    pub topic_arn: String,
    pub message_id: String,
    pub message: String,
    pub subject: Option<String>,
    #[serde(default)]
    pub message_attributes: BTreeMap<String, Value>,
}

impl PublishedMessage {
    /// The body for one protocol (`email`, `sms`, `default`) of a
    /// `MessageStructure=json` publish.
    pub fn body(&self, protocol: &str) -> String {
        let bodies: Value =
            serde_json::from_str(&self.message).expect("a MessageStructure=json message");
        bodies[protocol]
            .as_str()
            .unwrap_or_else(|| panic!("no {protocol} body in {}", self.message))
            .to_owned()
    }

    pub fn attribute(&self, name: &str) -> Option<String> {
        self.message_attributes
            .get(name)
            .and_then(|attribute| attribute["Value"].as_str())
            .map(str::to_owned)
    }
}

/// A notification as an SQS subscriber to the topic received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub subject: Option<String>,
    pub message: String,
    pub attributes: BTreeMap<String, String>,
}

/// The app's two topics, each with an SQS queue subscribed.
pub struct SubscribedTopics {
    pub topics: Topics,
    pub warning_queue_url: String,
    pub critical_queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl SubscribedTopics {
    pub async fn create(sdk: &SdkConfig) -> Self {
        let sns = aws_sdk_sns::Client::new(sdk);
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let (warning_topic_arn, warning_queue_url) =
            topic_with_queue(&sns, &sqs, "watchkeeper-warning").await;
        let (critical_topic_arn, critical_queue_url) =
            topic_with_queue(&sns, &sqs, "watchkeeper-critical").await;
        Self {
            topics: Topics {
                warning_topic_arn,
                critical_topic_arn,
            },
            warning_queue_url,
            critical_queue_url,
            sqs,
        }
    }

    pub async fn warning_deliveries(&self) -> Vec<Delivered> {
        drain(&self.sqs, &self.warning_queue_url).await
    }

    pub async fn critical_deliveries(&self) -> Vec<Delivered> {
        drain(&self.sqs, &self.critical_queue_url).await
    }
}

async fn topic_with_queue(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    name: &str,
) -> (String, String) {
    let topic_arn = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("topic ARN");
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-subscriber"))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("queue URL");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .and_then(|attributes| {
            attributes
                .get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue ARN");
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("Subscribe");
    (topic_arn, queue_url)
}

/// Every message waiting in the queue, unwrapped from SNS's envelope.
async fn drain(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<Delivered> {
    let mut delivered = Vec::new();
    loop {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return delivered;
        }
        for message in messages {
            let envelope: Value =
                serde_json::from_str(message.body().unwrap_or_default()).expect("an SNS envelope");
            let attributes = envelope["MessageAttributes"]
                .as_object()
                .map(|attributes| {
                    attributes
                        .iter()
                        .map(|(name, attribute)| {
                            (
                                name.clone(),
                                attribute["Value"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            delivered.push(Delivered {
                subject: envelope["Subject"].as_str().map(str::to_owned),
                message: envelope["Message"].as_str().unwrap_or_default().to_owned(),
                attributes,
            });
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("DeleteMessage");
        }
    }
}
