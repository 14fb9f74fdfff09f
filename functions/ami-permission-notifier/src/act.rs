//! The imperative shell: the account alias from IAM, cached for the life of
//! the execution environment. Publishing goes through the shared publisher.

use std::time::Duration;

use aws_sdk_iam::error::DisplayErrorContext;
use tokio::sync::OnceCell;
use tracing::warn;

use crate::message::AccountLabel;

/// IAM is a global service reached over the internet; a slow answer must not
/// hold back an alert for long.
pub const ALIAS_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("IAM ListAccountAliases failed: {}", DisplayErrorContext(.0))]
pub struct AliasError(#[source] Box<aws_sdk_iam::Error>);

/// The account's alias, looked up once. A failed lookup is not cached, so
/// the next invocation tries again.
#[derive(Debug)]
pub struct AccountAliases {
    iam: aws_sdk_iam::Client,
    alias: OnceCell<Option<String>>,
}

impl AccountAliases {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let config = aws_sdk_iam::config::Builder::from(sdk)
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(ALIAS_LOOKUP_TIMEOUT)
                    .build(),
            )
            .build();
        Self {
            iam: aws_sdk_iam::Client::from_conf(config),
            alias: OnceCell::new(),
        }
    }

    /// The alias, `None` when the account has none.
    pub async fn alias(&self) -> Result<Option<String>, AliasError> {
        self.alias
            .get_or_try_init(|| async {
                let output = self
                    .iam
                    .list_account_aliases()
                    .send()
                    .await
                    .map_err(|error| AliasError(Box::new(error.into())))?;
                Ok(output.account_aliases().first().cloned())
            })
            .await
            .cloned()
    }

    /// How the notification names the account: its alias, or its id when it
    /// has none or the lookup failed (logged; the alert is sent regardless).
    /// The alias is `home_account_id`'s, so an event naming another account
    /// is labelled by its id alone, without a lookup.
    pub async fn label(
        &self,
        event_id: &str,
        account_id: Option<&str>,
        home_account_id: &str,
    ) -> AccountLabel {
        let alias = match account_id {
            Some(account_id) if account_id != home_account_id => None,
            _ => match self.alias().await {
                Ok(alias) => alias,
                Err(error) => {
                    warn!(%event_id, %error, "account alias lookup failed; naming the account by its id");
                    None
                }
            },
        };
        AccountLabel {
            alias,
            id: account_id.map(str::to_owned),
        }
    }
}
