//! Structured JSON logs for CloudWatch Logs.

use tracing_subscriber::EnvFilter;

/// Installs a JSON log subscriber once per process. The level comes from
/// `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's logging config), then `RUST_LOG`,
/// then `info`.
pub fn init_json_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned())
        .to_lowercase();
    // The SDK's own crates log request details at debug; keep them at warn
    // unless asked for explicitly so a debug level stays readable.
    let filter = EnvFilter::try_new(format!(
        "{level},aws_smithy_runtime=warn,aws_config=warn,hyper=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
