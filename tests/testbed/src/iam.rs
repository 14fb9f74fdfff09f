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

/// The role `spoke.yaml` creates in a member account, for the hub's
/// functions to assume: its name.
pub const SPOKE_ROLE_NAME: &str = "watchkeeper-spoke";

/// An SDK configuration that acts in `account_id` of the same emulator and
/// in `region`: credentials from `sts:AssumeRole` on the spoke role there,
/// which moto ties to that account's own, separate state. The spoke role
/// is created in the account first, as `spoke.yaml` would.
pub async fn member_account(sdk: &SdkConfig, account_id: &str, region: &str) -> SdkConfig {
    let role_arn = format!("arn:aws:iam::{account_id}:role/{SPOKE_ROLE_NAME}");
    let provider = aws_config::sts::AssumeRoleProvider::builder(&role_arn)
        .session_name("testbed")
        .configure(sdk)
        .build()
        .await;
    let member = sdk
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .region(aws_config::Region::new(region.to_owned()))
        .build();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
        crate::ACCOUNT_ID
    );
    let created = aws_sdk_iam::Client::new(&member)
        .create_role()
        .role_name(SPOKE_ROLE_NAME)
        .assume_role_policy_document(trust)
        .send()
        .await;
    // One role per account: a second region of the same account finds it.
    if let Err(error) = created {
        let already = error
            .as_service_error()
            .is_some_and(|error| error.is_entity_already_exists_exception());
        assert!(
            already,
            "CreateRole of the spoke role in the member account: {error:?}"
        );
    }
    member
}
