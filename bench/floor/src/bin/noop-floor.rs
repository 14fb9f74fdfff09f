//! The floor every function is measured against: the Lambda runtime and
//! nothing else, built with the workspace release profile as the functions
//! are. It answers every event with an empty object.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<Value, Error>(Value::Object(Default::default()))
    }))
    .await
}
