//! IAM state in the emulator.

use aws_config::SdkConfig;

/// Gives the emulator's account an alias, as `aws iam create-account-alias` does.
pub async fn create_account_alias(sdk: &SdkConfig, alias: &str) {
    aws_sdk_iam::Client::new(sdk)
        .create_account_alias()
        .account_alias(alias)
        .send()
        .await
        .expect("CreateAccountAlias");
}
