use ec2_alarm_creator::App;
use watchkeeper_shared::config::EnvReader;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    watchkeeper_shared::logging::init_json_logging();
    let sdk = watchkeeper_shared::aws::load_sdk_config().await;
    let app = App::from_env(&sdk, EnvReader::from_process_env())
        .await
        .inspect_err(|error| tracing::error!(%error, "initialisation failed"))?;
    watchkeeper_shared::runtime::serve(&app, ec2_alarm_creator::handle).await
}
