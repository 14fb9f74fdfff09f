//! Acting where an event happened: in the function's own account with its
//! own credentials, or, in hub mode, in a member account of the AWS
//! Organization through that account's spoke role.
//!
//! Hub mode is on when `ORGANIZATION_ID` is set (the template sets it from
//! its `OrganizationId` parameter). Then an event of a member account (one
//! the hub's event bus admitted, whose resource policy lets only the
//! organization's accounts put events; optionally also listed in
//! `MEMBER_ACCOUNTS`) is acted on in that account and region with
//! credentials from `sts:AssumeRole` on `arn:aws:iam::<account>:role/<SPOKE_ROLE_NAME>`,
//! which `spoke.yaml` creates in every member account. Single-account mode
//! (no `ORGANIZATION_ID`) behaves as [`Home`] always has: events of other
//! accounts and regions are skipped.
//!
//! Credentials are assumed lazily, once per member account per warm
//! function (every region of the account shares them), kept, and assumed
//! again shortly before they expire: a warm invocation makes no STS call.
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html>
//! and <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html>.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::identity::IdentityCache;
use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};

use crate::config::EnvReader;
use crate::home::{Elsewhere, Home, Scope};

/// Credentials are assumed again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// The session name in the member account's CloudTrail.
const SESSION_NAME: &str = "watchkeeper";

/// Where an event is acted on: an account and a region, and whether that is
/// the function's home account (own credentials) or a member account (the
/// spoke role).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    pub account_id: String,
    pub region: String,
    pub member: bool,
}

/// Hub mode's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// `o-…`, from `ORGANIZATION_ID`.
    pub organization_id: String,
    /// The role `spoke.yaml` creates in each member account.
    pub spoke_role_name: String,
    /// When set, only these member accounts are acted in.
    pub member_accounts: Option<BTreeSet<String>>,
}

/// Why acting in a member account failed.
#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    #[error(
        "assuming the spoke role {role_arn} in account {account_id} failed: {message}; check that spoke.yaml is deployed there and trusts this function's role"
    )]
    AssumeRole {
        account_id: String,
        role_arn: String,
        message: String,
    },
}

impl crate::runtime::InvocationError for ReachError {
    fn kind(&self) -> crate::runtime::ErrorKind {
        crate::runtime::ErrorKind::AwsError
    }
}

/// The SDK configuration for each place a function acts in.
#[derive(Debug, Clone)]
pub struct Reach {
    home: Home,
    base: SdkConfig,
    organization: Option<Organization>,
    /// One credentials provider per member account, shared by its regions.
    spokes: Arc<Mutex<HashMap<String, Arc<SpokeCredentials>>>>,
}

impl Reach {
    pub const ORGANIZATION_ID_VAR: &'static str = "ORGANIZATION_ID";
    pub const SPOKE_ROLE_NAME_VAR: &'static str = "SPOKE_ROLE_NAME";
    pub const MEMBER_ACCOUNTS_VAR: &'static str = "MEMBER_ACCOUNTS";

    /// Reads hub mode's settings: `ORGANIZATION_ID` (empty: single-account
    /// mode), then `SPOKE_ROLE_NAME` (required in hub mode) and
    /// `MEMBER_ACCOUNTS` (comma-separated 12-digit ids; empty: every account
    /// the hub's bus admits), recording a problem in `env` for each that is
    /// missing or malformed.
    pub fn from_env(env: &mut EnvReader, base: &SdkConfig, home: Home) -> Self {
        let organization_id = env.optional(Self::ORGANIZATION_ID_VAR).unwrap_or_default();
        let organization = if organization_id.is_empty() {
            None
        } else {
            if !is_organization_id(&organization_id) {
                env.problem(format!(
                    "{}={organization_id:?} is not valid: expected an organization id such as o-a1b2c3d4e5",
                    Self::ORGANIZATION_ID_VAR
                ));
            }
            let spoke_role_name = env.required(Self::SPOKE_ROLE_NAME_VAR);
            let accounts = env.list(Self::MEMBER_ACCOUNTS_VAR);
            for account in &accounts {
                if !is_account_id(account) {
                    env.problem(format!(
                        "{} lists {account:?}, which is not a 12-digit AWS account id",
                        Self::MEMBER_ACCOUNTS_VAR
                    ));
                }
            }
            Some(Organization {
                organization_id,
                spoke_role_name,
                member_accounts: (!accounts.is_empty()).then(|| accounts.into_iter().collect()),
            })
        };
        Self::new(base.clone(), home, organization)
    }

    pub fn new(base: SdkConfig, home: Home, organization: Option<Organization>) -> Self {
        Self {
            home,
            base,
            organization,
            spokes: Arc::default(),
        }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn organization(&self) -> Option<&Organization> {
        self.organization.as_ref()
    }

    /// Where an event of `account` and `region` is acted on, or why it is
    /// skipped. In single-account mode, exactly [`Home::check_origin`]. In
    /// hub mode, the home account in any region, and member accounts (on
    /// `MEMBER_ACCOUNTS` when it is set) in any region.
    ///
    /// # Errors
    /// As [`Home::check_origin`]: an origin without an account (or, where
    /// the region matters, a region) cannot be placed.
    pub fn place(
        &self,
        account: &str,
        region: &str,
        scope: Scope,
    ) -> Result<Result<Place, Elsewhere>, crate::events::EventError> {
        let Some(organization) = &self.organization else {
            return Ok(match self.home.check_origin(account, region, scope)? {
                Some(elsewhere) => Err(elsewhere),
                None => Ok(Place {
                    account_id: account.to_owned(),
                    region: self.home.region.clone(),
                    member: false,
                }),
            });
        };
        // Hub mode acts where the event happened: both must be known,
        // whatever the scope.
        self.home.check_origin(account, region, Scope::Account)?;
        if region.is_empty() {
            return Err(crate::events::EventError::Field {
                path: "region".to_owned(),
                problem: "missing or empty; cannot tell which region the event is about".to_owned(),
            });
        }
        let member = account != self.home.account_id;
        if member
            && let Some(allowed) = &organization.member_accounts
            && !allowed.contains(account)
        {
            return Ok(Err(Elsewhere::NotAMember {
                event: account.to_owned(),
                organization: organization.organization_id.clone(),
            }));
        }
        Ok(Ok(Place {
            account_id: account.to_owned(),
            region: region.to_owned(),
            member,
        }))
    }

    /// The SDK configuration to act in `place`: the function's own for its
    /// home region; its own credentials in another region of its home
    /// account; the member account's spoke role otherwise, assumed now if
    /// this warm function has not assumed it yet.
    ///
    /// # Errors
    /// [`ReachError::AssumeRole`] naming the account and role ARN when STS
    /// refuses or fails.
    pub async fn sdk_config(&self, place: &Place) -> Result<SdkConfig, ReachError> {
        let regional = |builder: aws_types::sdk_config::Builder| {
            builder.region(Region::new(place.region.clone())).build()
        };
        if !place.member {
            if self.base.region().map(Region::as_ref) == Some(place.region.as_str()) {
                return Ok(self.base.clone());
            }
            return Ok(regional(self.base.to_builder()));
        }
        let spoke = self.spoke(&place.account_id).await;
        spoke.ensure().await?;
        Ok(regional(
            self.base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(SpokeProvider(spoke)))
                // The spoke keeps and refreshes its own credentials for
                // every region of the account.
                .identity_cache(IdentityCache::no_cache()),
        ))
    }

    async fn spoke(&self, account_id: &str) -> Arc<SpokeCredentials> {
        let existing = self
            .spokes
            .lock()
            .map(|spokes| spokes.get(account_id).cloned())
            .unwrap_or_default();
        if let Some(spoke) = existing {
            return spoke;
        }
        let role_arn = format!(
            "arn:aws:iam::{account_id}:role/{}",
            self.organization
                .as_ref()
                .map(|organization| organization.spoke_role_name.as_str())
                .unwrap_or_default()
        );
        let provider = aws_config::sts::AssumeRoleProvider::builder(&role_arn)
            .session_name(SESSION_NAME)
            .configure(&self.base)
            .build()
            .await;
        let spoke = Arc::new(SpokeCredentials {
            account_id: account_id.to_owned(),
            role_arn,
            provider,
            current: tokio::sync::Mutex::new(None),
        });
        if let Ok(mut spokes) = self.spokes.lock() {
            spokes
                .entry(account_id.to_owned())
                .or_insert_with(|| spoke.clone());
        }
        spoke
    }
}

/// A function's clients for each place other than its home, made on first
/// use and kept for the warm function's life.
#[derive(Debug)]
pub struct Clients<C> {
    made: Arc<Mutex<HashMap<Place, C>>>,
}

impl<C> Clone for Clients<C> {
    fn clone(&self) -> Self {
        Self {
            made: self.made.clone(),
        }
    }
}

impl<C> Default for Clients<C> {
    fn default() -> Self {
        Self {
            made: Arc::default(),
        }
    }
}

impl<C: Clone> Clients<C> {
    /// The clients for `place`, made by `make` from [`Reach::sdk_config`]
    /// the first time.
    ///
    /// # Errors
    /// As [`Reach::sdk_config`].
    pub async fn get(
        &self,
        reach: &Reach,
        place: &Place,
        make: impl FnOnce(&SdkConfig) -> C,
    ) -> Result<C, ReachError> {
        let known = self
            .made
            .lock()
            .map(|made| made.get(place).cloned())
            .unwrap_or_default();
        if let Some(clients) = known {
            return Ok(clients);
        }
        let clients = make(&reach.sdk_config(place).await?);
        if let Ok(mut made) = self.made.lock() {
            made.insert(place.clone(), clients.clone());
        }
        Ok(clients)
    }
}

/// A member account's spoke-role credentials, kept until shortly before
/// they expire.
#[derive(Debug)]
struct SpokeCredentials {
    account_id: String,
    role_arn: String,
    provider: aws_config::sts::AssumeRoleProvider,
    current: tokio::sync::Mutex<Option<Credentials>>,
}

impl SpokeCredentials {
    /// Credentials that are good for a while yet, assuming the role when
    /// there are none or they are about to expire.
    async fn ensure(&self) -> Result<Credentials, ReachError> {
        let mut current = self.current.lock().await;
        if let Some(credentials) = current.as_ref()
            && fresh(credentials, SystemTime::now())
        {
            return Ok(credentials.clone());
        }
        let credentials =
            self.provider
                .provide_credentials()
                .await
                .map_err(|error| ReachError::AssumeRole {
                    account_id: self.account_id.clone(),
                    role_arn: self.role_arn.clone(),
                    message: aws_sdk_sns::error::DisplayErrorContext(&error).to_string(),
                })?;
        tracing::info!(account = %self.account_id, role_arn = %self.role_arn, "assumed the spoke role");
        *current = Some(credentials.clone());
        Ok(credentials)
    }
}

fn fresh(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_none_or(|expiry| expiry > now + REFRESH_BEFORE_EXPIRY)
}

/// What a member account's SDK configuration asks for credentials.
#[derive(Debug)]
struct SpokeProvider(Arc<SpokeCredentials>);

impl ProvideCredentials for SpokeProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0
                .ensure()
                .await
                .map_err(|error| CredentialsError::provider_error(error.to_string()))
        })
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// `o-` and 10 to 32 lowercase letters or digits, as Organizations writes it.
fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests;
