//! The idempotency table, created as the template creates it.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    SseSpecification, TimeToLiveSpecification,
};
use watchkeeper_shared::idempotency::{EXPIRES_ATTRIBUTE, KEY_ATTRIBUTE};

use crate::refuse::Refuse;

pub const IDEMPOTENCY_TABLE: &str = "watchkeeper-idempotency";

/// Creates the idempotency table: on demand, encrypted, string partition
/// key, TTL on the expiry attribute. Returns its name.
pub async fn create_idempotency_table(sdk: &SdkConfig) -> String {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    client
        .create_table()
        .table_name(IDEMPOTENCY_TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY_ATTRIBUTE)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("complete attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY_ATTRIBUTE)
                .key_type(KeyType::Hash)
                .build()
                .expect("complete key schema"),
        )
        .sse_specification(SseSpecification::builder().enabled(true).build())
        .send()
        .await
        .expect("creating the idempotency table");
    client
        .update_time_to_live()
        .table_name(IDEMPOTENCY_TABLE)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_ATTRIBUTE)
                .build()
                .expect("complete TTL specification"),
        )
        .send()
        .await
        .expect("enabling TTL on the idempotency table");
    IDEMPOTENCY_TABLE.to_owned()
}

/// A DynamoDB client that refuses every call of `action` (e.g. `UpdateItem`,
/// the write that marks an event done) and sends the rest to moto.
pub fn client_refusing(sdk: &SdkConfig, refuse: &Refuse) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(refuse.clone())
            .build(),
    )
}
