//! The account and region a function runs in, and whether an event
//! happened there.
//!
//! An EventBridge event names the account and region it happened in
//! (`account`, `region` in the envelope). An organisation that forwards its
//! member accounts' events to a central bus delivers events of other
//! accounts and regions; until Watchkeeper acts across accounts, a function
//! that looked such an event up with its own credentials would find nothing
//! (or, worse, a resource of the same name in the wrong account) and act on
//! it. So each function compares the envelope with its [`Home`] first, and
//! skips an event from elsewhere with a reason naming both, before any AWS
//! call. See
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html>.

use std::fmt;

use serde::Serialize;

use crate::config::EnvReader;
use crate::events::{EventError, EventRouting};

/// Where a function runs: its AWS account id (12 digits) and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub account_id: String,
    pub region: String,
}

/// How much of an event's origin must match the function's [`Home`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The function reads or changes resources where the event happened:
    /// both the account and the region must be its own.
    AccountAndRegion,
    /// The function only reports about the event, and events of its own
    /// account legitimately arrive from another region (AWS Health sends
    /// events of global services in us-east-1): the account must match.
    Account,
}

/// An event from somewhere other than the function's [`Home`]: the reason
/// it is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "elsewhere", rename_all = "snake_case")]
pub enum Elsewhere {
    Account {
        event: String,
        home: String,
    },
    Region {
        event: String,
        home: String,
    },
    /// Hub mode: a member account not on `MEMBER_ACCOUNTS`
    /// ([`crate::reach::Reach::place`]).
    NotAMember {
        event: String,
        organization: String,
    },
}

impl fmt::Display for Elsewhere {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account { event, home } => write!(
                f,
                "event from account {event}, not this function's account {home}; events of other accounts are not handled"
            ),
            Self::Region { event, home } => write!(
                f,
                "event from region {event}, not this function's region {home}; events of other regions are not handled"
            ),
            Self::NotAMember {
                event,
                organization,
            } => write!(
                f,
                "event from account {event}, which MEMBER_ACCOUNTS of organization {organization} does not list; it is not acted in"
            ),
        }
    }
}

impl Home {
    /// The variable that holds the function's own account id; the template
    /// sets it to `AWS::AccountId`.
    pub const ACCOUNT_ID_VAR: &'static str = "HOME_ACCOUNT_ID";
    /// The function's region, which Lambda always sets.
    pub const REGION_VAR: &'static str = "AWS_REGION";

    /// Reads [`Self::ACCOUNT_ID_VAR`] (12 digits) and [`Self::REGION_VAR`],
    /// recording a problem in `env` for each that is missing or malformed.
    pub fn from_env(env: &mut EnvReader) -> Self {
        let account_id = env.required(Self::ACCOUNT_ID_VAR);
        if !account_id.is_empty() && !is_account_id(&account_id) {
            env.problem(format!(
                "{}={account_id:?} is not valid: expected a 12-digit AWS account id",
                Self::ACCOUNT_ID_VAR
            ));
        }
        let region = env.required(Self::REGION_VAR);
        Self { account_id, region }
    }

    /// `Ok(None)` when the event happened here as far as `scope` asks, else
    /// the reason to skip it.
    ///
    /// # Errors
    /// [`EventError::Field`] naming `account` (or `region`) when the
    /// envelope lacks it: EventBridge always sets both, so an event without
    /// them cannot be placed, and is refused rather than guessed at.
    pub fn check(
        &self,
        routing: &EventRouting,
        scope: Scope,
    ) -> Result<Option<Elsewhere>, EventError> {
        self.check_origin(&routing.account, &routing.region, scope)
    }

    /// [`Self::check`], logging a skip with the event's id and both
    /// origins: what every handler does first with an event's routing.
    pub fn admit(
        &self,
        routing: &EventRouting,
        scope: Scope,
    ) -> Result<Option<Elsewhere>, EventError> {
        let elsewhere = self.check(routing, scope)?;
        if let Some(elsewhere) = &elsewhere {
            tracing::info!(
                event_id = %routing.id,
                account = %routing.account,
                region = %routing.region,
                home_account = %self.account_id,
                home_region = %self.region,
                reason = %elsewhere,
                "skipped"
            );
        }
        Ok(elsewhere)
    }

    /// [`Self::check`] for an origin read from elsewhere than an envelope
    /// (a CloudWatch alarm message's `AWSAccountId` and alarm ARN).
    pub fn check_origin(
        &self,
        account: &str,
        region: &str,
        scope: Scope,
    ) -> Result<Option<Elsewhere>, EventError> {
        let missing = |path: &str| EventError::Field {
            path: path.to_owned(),
            problem: "missing or empty; cannot tell which account the event is about".to_owned(),
        };
        if account.is_empty() {
            return Err(missing("account"));
        }
        if account != self.account_id {
            return Ok(Some(Elsewhere::Account {
                event: account.to_owned(),
                home: self.account_id.clone(),
            }));
        }
        if scope == Scope::AccountAndRegion {
            if region.is_empty() {
                return Err(missing("region"));
            }
            if region != self.region {
                return Ok(Some(Elsewhere::Region {
                    event: region.to_owned(),
                    home: self.region.clone(),
                }));
            }
        }
        Ok(None)
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn home() -> Home {
        Home {
            account_id: "123456789012".into(),
            region: "eu-west-1".into(),
        }
    }

    fn routing(account: &str, region: &str) -> EventRouting {
        EventRouting::read(&json!({
            "source": "aws.ec2", "detail-type": "X", "account": account, "region": region
        }))
        .unwrap()
    }

    #[test]
    fn an_event_from_home_is_handled_in_either_scope() {
        for scope in [Scope::AccountAndRegion, Scope::Account] {
            assert_eq!(
                home().check(&routing("123456789012", "eu-west-1"), scope),
                Ok(None)
            );
        }
    }

    #[test]
    fn another_account_is_elsewhere_in_either_scope_naming_both() {
        for scope in [Scope::AccountAndRegion, Scope::Account] {
            let elsewhere = home()
                .check(&routing("111122223333", "eu-west-1"), scope)
                .unwrap()
                .unwrap();
            assert_eq!(
                elsewhere.to_string(),
                "event from account 111122223333, not this function's account 123456789012; events of other accounts are not handled"
            );
        }
    }

    #[test]
    fn another_region_is_elsewhere_only_when_the_region_matters() {
        let other_region = routing("123456789012", "us-east-1");
        assert_eq!(
            home()
                .check(&other_region, Scope::AccountAndRegion)
                .unwrap()
                .unwrap()
                .to_string(),
            "event from region us-east-1, not this function's region eu-west-1; events of other regions are not handled"
        );
        assert_eq!(home().check(&other_region, Scope::Account), Ok(None));
    }

    #[test]
    fn an_envelope_without_account_or_region_is_refused_naming_the_field() {
        let error = home()
            .check(&routing("", "eu-west-1"), Scope::Account)
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("event field `account` is malformed: missing")
        );
        let error = home()
            .check(&routing("123456789012", ""), Scope::AccountAndRegion)
            .unwrap_err();
        assert!(error.to_string().starts_with("event field `region`"));
        assert_eq!(
            home().check(&routing("123456789012", ""), Scope::Account),
            Ok(None)
        );
    }

    #[test]
    fn settings_are_required_and_checked() {
        let mut env = EnvReader::from_map(HashMap::new());
        Home::from_env(&mut env);
        assert_eq!(
            env.finish().unwrap_err().problems,
            vec![
                "HOME_ACCOUNT_ID is required but is not set",
                "AWS_REGION is required but is not set"
            ]
        );
        let mut env = EnvReader::from_map(HashMap::from([
            ("HOME_ACCOUNT_ID".to_owned(), "prod".to_owned()),
            ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
        ]));
        Home::from_env(&mut env);
        assert_eq!(
            env.finish().unwrap_err().problems,
            vec!["HOME_ACCOUNT_ID=\"prod\" is not valid: expected a 12-digit AWS account id"]
        );
        let mut env = EnvReader::from_map(HashMap::from([
            ("HOME_ACCOUNT_ID".to_owned(), " 123456789012 ".to_owned()),
            ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
        ]));
        assert_eq!(Home::from_env(&mut env), home());
        assert!(env.finish().is_ok());
    }
}
