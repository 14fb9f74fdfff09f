//! Looking aliases up: IAM, through the function's own credentials or a
//! member account's spoke role.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_iam::error::DisplayErrorContext;
use tokio::sync::OnceCell;
use tracing::warn;

use super::AccountLabel;
use crate::reach::{Clients, Place, Reach};

/// IAM is a global service reached over the internet; a slow answer must not
/// hold back an alert for long.
pub const ALIAS_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// `ListAccountAliases` failed (or timed out after [`ALIAS_LOOKUP_TIMEOUT`]).
#[derive(Debug, thiserror::Error)]
#[error("IAM ListAccountAliases failed: {}", DisplayErrorContext(.0))]
pub struct AliasError(#[source] Box<aws_sdk_iam::Error>);

/// One account's alias, looked up once. A failed lookup is not cached, so
/// the next invocation tries again.
#[derive(Debug)]
pub struct AccountAliases {
    iam: aws_sdk_iam::Client,
    alias: OnceCell<Option<String>>,
}

impl AccountAliases {
    /// An IAM client for the account `sdk`'s credentials act in, with an
    /// operation timeout of [`ALIAS_LOOKUP_TIMEOUT`].
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

    /// The alias, `None` when the account has none (an account has at most
    /// one).
    ///
    /// # Errors
    /// [`AliasError`] when IAM refuses or does not answer in time.
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
}

/// The aliases of every account a function acts in: its own, read with its
/// own credentials, and (hub mode) each member account's, read through that
/// account's spoke role. Each is looked up once per warm function.
#[derive(Debug, Clone)]
pub struct AccountNames {
    home: Arc<AccountAliases>,
    members: Clients<Arc<AccountAliases>>,
}

impl AccountNames {
    /// `iam_sdk` is the function's own SDK configuration (tests may give
    /// one whose IAM fails).
    pub fn new(iam_sdk: &aws_config::SdkConfig) -> Self {
        Self {
            home: Arc::new(AccountAliases::new(iam_sdk)),
            members: Clients::default(),
        }
    }

    /// The account `place` is in, by id and alias. Never fails: a lookup
    /// that fails (the spoke role's assumption included) is logged with
    /// `event_id` and the account named by its id.
    pub async fn label(&self, reach: &Reach, place: &Place, event_id: &str) -> AccountLabel {
        let id = Some(place.account_id.clone());
        let aliases = if place.member {
            // IAM is global: one lookup per member account, from the home
            // region, whichever region the event came from.
            let account = Place {
                region: reach.home().region.clone(),
                ..place.clone()
            };
            match self
                .members
                .get(reach, &account, |sdk| Arc::new(AccountAliases::new(sdk)))
                .await
            {
                Ok(aliases) => aliases,
                Err(error) => {
                    warn!(%event_id, account = %place.account_id, %error, "account alias lookup failed; naming the account by its id");
                    return AccountLabel { alias: None, id };
                }
            }
        } else {
            self.home.clone()
        };
        match aliases.alias().await {
            Ok(alias) => AccountLabel { alias, id },
            Err(error) => {
                warn!(%event_id, account = %place.account_id, %error, "account alias lookup failed; naming the account by its id");
                AccountLabel { alias: None, id }
            }
        }
    }

    /// How a notice names the account `place` is in, in hub mode (where
    /// one inbox hears from many accounts): `alias (id)` ([`Self::label`]).
    /// `None` in single-account mode, where no alias is looked up and the
    /// notices stay as they were.
    pub async fn in_hub_mode(
        &self,
        reach: &Reach,
        place: &Place,
        event_id: &str,
    ) -> Option<String> {
        reach.organization()?;
        Some(self.label(reach, place, event_id).await.long())
    }
}
