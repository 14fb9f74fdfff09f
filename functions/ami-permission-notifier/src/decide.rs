//! The pure core: from a permission event and the settings, decide whether
//! operators are told, and how urgently.

use std::fmt;

use watchkeeper_shared::Severity;
use watchkeeper_shared::events::cloudtrail::EC2_EVENT_SOURCE;
use watchkeeper_shared::events::quoted;
use watchkeeper_shared::skip::{ReasonCode, Routing};

use crate::config::{Config, Trusted, TrustedEntry};
use crate::input::{Direction, Grantee, Origin, PermissionChange, PermissionEvent, Request};

/// How far a grantee is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Every AWS account.
    Public,
    /// The account the resource lives in.
    OwnAccount,
    /// Listed in `TRUSTED_ACCOUNTS`, or inside a listed organization.
    Trusted,
    Untrusted,
    /// An item of a kind this function does not know.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessedChange {
    pub change: PermissionChange,
    pub trust: Trust,
}

/// Whether the call changed anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    /// The call failed (`errorCode`): an attempt, not a change.
    Denied {
        error_code: String,
        error_message: Option<String>,
    },
}

/// What operators are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub severity: Severity,
    pub outcome: Outcome,
    /// Every permission change, assessed; empty for other requests.
    pub changes: Vec<AssessedChange>,
    /// Why this severity, for the log.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Skip { reason: SkipReason },
    Notify(Alert),
}

/// Why the function leaves an event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an EC2 CloudTrail API call event, or one of another account.
    Routing(Routing),
    /// A CloudTrail record of another service than EC2.
    OtherEventSource { event_source: String },
    /// An EC2 API call that changes no AMI or snapshot permission.
    ApiCallNotWatched { event_name: String },
    /// Made by an AWS service, with `REPORT_AWS_SERVICE_CALLS=false`.
    AwsServiceCall { service: String },
    /// Another image attribute, with `REPORT_OTHER_ATTRIBUTES=false`.
    OtherAttribute { attribute: String },
    /// A denied or failed call, with `REPORT_DENIED_CALLS=false`.
    DeniedCall { error_code: String },
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::OtherEventSource { .. } => "irrelevant_event",
            Self::ApiCallNotWatched { .. } => "api_call_not_watched",
            Self::AwsServiceCall { .. } => "aws_service_call",
            Self::OtherAttribute { .. } => "other_attribute",
            Self::DeniedCall { .. } => "denied_call",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::{
            REPORT_AWS_SERVICE_CALLS_VAR, REPORT_DENIED_CALLS_VAR, REPORT_OTHER_ATTRIBUTES_VAR,
        };
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::OtherEventSource { event_source } => write!(
                f,
                "event source {} is not {EC2_EVENT_SOURCE}",
                quoted(event_source)
            ),
            Self::ApiCallNotWatched { event_name } => write!(
                f,
                "API call {} does not change AMI or snapshot permissions",
                quoted(event_name)
            ),
            Self::AwsServiceCall { service } => write!(
                f,
                "call made via AWS service {service} and {REPORT_AWS_SERVICE_CALLS_VAR} is false"
            ),
            Self::OtherAttribute { attribute } => write!(
                f,
                "attribute {} is not a launch or create-volume permission and {REPORT_OTHER_ATTRIBUTES_VAR} is false",
                quoted(attribute)
            ),
            Self::DeniedCall { error_code } => write!(
                f,
                "call failed with {error_code} and {REPORT_DENIED_CALLS_VAR} is false"
            ),
        }
    }
}

watchkeeper_shared::serialize_reason!(SkipReason);

pub fn decide(config: &Config, event: &PermissionEvent) -> Decision {
    match &event.origin {
        Origin::AwsService(service) if !config.report_aws_service_calls => {
            return Decision::Skip {
                reason: SkipReason::AwsServiceCall {
                    service: service.to_string(),
                },
            };
        }
        _ => {}
    }
    match &event.request {
        Request::OtherAttribute { attribute, .. } if !config.report_other_attributes => {
            return Decision::Skip {
                reason: SkipReason::OtherAttribute {
                    attribute: attribute.clone(),
                },
            };
        }
        _ => {}
    }
    let changes: Vec<AssessedChange> = match &event.request {
        Request::Permissions { changes, .. } => changes
            .iter()
            .map(|change| AssessedChange {
                trust: trust(
                    &config.trusted,
                    event.account_id.as_deref(),
                    &change.grantee,
                ),
                change: change.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Some(error_code) = &event.error_code {
        if !config.report_denied_calls {
            return Decision::Skip {
                reason: SkipReason::DeniedCall {
                    error_code: error_code.clone(),
                },
            };
        }
        return Decision::Notify(Alert {
            severity: Severity::Warning,
            outcome: Outcome::Denied {
                error_code: error_code.clone(),
                error_message: event.error_message.clone(),
            },
            changes,
            reason: format!("attempt failed with {error_code}"),
        });
    }
    let (severity, reason) = match &event.request {
        Request::DisableBlockPublicAccess { .. } => (
            Severity::Critical,
            "block public access disabled".to_owned(),
        ),
        Request::OtherAttribute { attribute, .. } => {
            (Severity::Info, format!("attribute {attribute} changed"))
        }
        Request::Permissions { .. } if changes.is_empty() => (
            Severity::Warning,
            "permission change with no readable grantee".to_owned(),
        ),
        Request::Permissions { .. } => permission_severity(&changes),
    };
    Decision::Notify(Alert {
        severity,
        outcome: Outcome::Changed,
        changes,
        reason,
    })
}

/// The most urgent change decides: public is critical, an untrusted share a
/// warning, anything else (removals, trusted shares) info.
fn permission_severity(changes: &[AssessedChange]) -> (Severity, String) {
    let added = || {
        changes
            .iter()
            .filter(|assessed| assessed.change.direction == Direction::Add)
    };
    if added().any(|assessed| assessed.trust == Trust::Public) {
        (Severity::Critical, "made public".to_owned())
    } else if added().any(|assessed| assessed.trust == Trust::Untrusted) {
        (
            Severity::Warning,
            "shared outside the trusted accounts".to_owned(),
        )
    } else if added().any(|assessed| assessed.trust == Trust::Unknown) {
        (
            Severity::Warning,
            "shared with a grantee of unknown kind".to_owned(),
        )
    } else if added().next().is_some() {
        (
            Severity::Info,
            "shared with trusted accounts only".to_owned(),
        )
    } else {
        (Severity::Info, "permissions removed only".to_owned())
    }
}

pub fn trust(trusted: &Trusted, own_account: Option<&str>, grantee: &Grantee) -> Trust {
    let listed = |wanted: &dyn Fn(&TrustedEntry) -> bool| trusted.entries.iter().any(wanted);
    let organization_listed = |organization_id: &str| {
        listed(&|entry| matches!(entry, TrustedEntry::Organization(id) if id == organization_id))
    };
    let is_trusted = match grantee {
        Grantee::Public => return Trust::Public,
        Grantee::Unrecognised(_) => return Trust::Unknown,
        Grantee::Account(account) if Some(account.as_str()) == own_account => {
            return Trust::OwnAccount;
        }
        Grantee::Account(account) => {
            listed(&|entry| matches!(entry, TrustedEntry::Account(id) if id == account))
        }
        Grantee::Organization { ids, .. } => ids
            .as_ref()
            .is_some_and(|ids| organization_listed(&ids.organization_id)),
        Grantee::OrganizationalUnit { ids, .. } => ids.as_ref().is_some_and(|ids| {
            organization_listed(&ids.organization_id) || ids.unit_id.as_ref().is_some_and(|unit| {
                listed(&|entry| matches!(entry, TrustedEntry::OrganizationalUnit(id) if id == unit))
            })
        }),
    };
    if is_trusted {
        Trust::Trusted
    } else {
        Trust::Untrusted
    }
}

#[cfg(test)]
mod tests;
