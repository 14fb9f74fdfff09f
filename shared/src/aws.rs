//! AWS client set-up, done once per cold start.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the standard sources: `AWS_REGION`,
/// credentials from the Lambda environment (or a profile locally), and
/// `AWS_ENDPOINT_URL` when set, which is how the local emulator is reached.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}
