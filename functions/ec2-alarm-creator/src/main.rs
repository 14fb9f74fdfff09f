use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use ec2_alarm_creator::App;
use watchkeeper_shared::config::EnvReader;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::logging::init_json_logging();
    let sdk = watchkeeper_shared::aws::load_sdk_config().await;
    let app = App::from_env(&sdk, EnvReader::from_process_env())
        .await
        .inspect_err(|error| tracing::error!(%error, "initialisation failed"))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let app = &app;
        async move {
            ec2_alarm_creator::handle(app, &event.payload)
                .await
                .map_err(|error| Diagnostic {
                    error_type: error.kind().to_owned(),
                    error_message: error.to_string(),
                })
        }
    }))
    .await
}
