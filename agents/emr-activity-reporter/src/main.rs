use std::process::ExitCode;

use emr_activity_reporter::Reporter;
use emr_activity_reporter::config::Config;
use watchkeeper_shared::config::EnvReader;

/// Runs once (cron starts it every 5 minutes). Exits non-zero only when no
/// datapoint could be published, saying why on stderr and in the JSON log.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    watchkeeper_shared::logging::init_json_logging();
    let config = match Config::from_env(EnvReader::from_process_env()) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid settings");
            eprintln!("emr-activity-reporter: {error}");
            return ExitCode::from(2);
        }
    };
    let sdk = watchkeeper_shared::aws::load_sdk_config().await;
    let reporter = Reporter::new(&sdk, config);
    match reporter.run().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "no datapoint published");
            eprintln!("emr-activity-reporter: no datapoint published: {error}");
            ExitCode::FAILURE
        }
    }
}
