//! The pure core: from a permission event and the settings, decide whether
//! operators are told, and how urgently.

use std::fmt;

use watchkeeper_shared::Severity;
use watchkeeper_shared::events::cloudtrail::EC2_EVENT_SOURCE;
use watchkeeper_shared::events::quoted;
use watchkeeper_shared::skip::{ReasonCode, Routing};

use serde::{Deserialize, Serialize};

use crate::config::{Config, Trusted, TrustedEntry};
use crate::input::{
    BlockPublicAccessAction, BlockPublicAccessState, Direction, Grantee, Origin, PermissionChange,
    PermissionEvent, Request, Resource, ResourceKind,
};

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
        Request::BlockPublicAccess {
            kind,
            action,
            requested_state,
            new_state,
        } => {
            let effect = block_public_access_effect(
                *kind,
                *action,
                new_state.as_ref().or(requested_state.as_ref()),
            );
            (effect.severity(), effect.reason().to_owned())
        }
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

/// What a block public access call did to the account's protection. The
/// event records the state after the call, never the state before it, so
/// a change whose effect depends on the previous state says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPublicAccessEffect {
    /// Switched off: AMIs or snapshots can be made public again.
    Disabled,
    /// Set to the strongest state there is for the kind (AMIs:
    /// block-new-sharing; snapshots: block-all-sharing): protection was
    /// strengthened or left as it was, never weakened.
    Strengthened,
    /// Snapshots set to block-new-sharing: from unblocked that strengthens
    /// protection, but from block-all-sharing it makes every snapshot
    /// shared publicly before public again; the event does not say which.
    MayWeaken,
    /// A state this function does not know, or none in the event.
    Unclear,
}

impl BlockPublicAccessEffect {
    pub fn severity(self) -> Severity {
        match self {
            Self::Disabled => Severity::Critical,
            Self::MayWeaken | Self::Unclear => Severity::Warning,
            Self::Strengthened => Severity::Info,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Self::Disabled => "block public access disabled",
            Self::Strengthened => "block public access enabled at its strongest state",
            Self::MayWeaken => {
                "snapshots set to block-new-sharing: weakens protection if it was block-all-sharing"
            }
            Self::Unclear => "block public access changed to a state not known to this function",
        }
    }
}

/// The effect of a block public access call that left the setting in `state`.
pub fn block_public_access_effect(
    kind: ResourceKind,
    action: BlockPublicAccessAction,
    state: Option<&BlockPublicAccessState>,
) -> BlockPublicAccessEffect {
    use BlockPublicAccessState as State;
    match (action, kind, state) {
        (BlockPublicAccessAction::Disable, _, _) | (_, _, Some(State::Unblocked)) => {
            BlockPublicAccessEffect::Disabled
        }
        (_, ResourceKind::Snapshot, Some(State::BlockAllSharing))
        | (_, ResourceKind::Image, Some(State::BlockNewSharing)) => {
            BlockPublicAccessEffect::Strengthened
        }
        (_, ResourceKind::Snapshot, Some(State::BlockNewSharing)) => {
            BlockPublicAccessEffect::MayWeaken
        }
        _ => BlockPublicAccessEffect::Unclear,
    }
}

/// The exemption tag: an image or snapshot tagged `watchkeeper:public-ok=true`
/// is meant to be public, so it is never made private (it is still alerted on).
pub const PUBLIC_OK_TAG: &str = "watchkeeper:public-ok";

/// Whether a tag value exempts the resource: `true`, in any case.
pub fn is_exempt(tag_value: Option<&str>) -> bool {
    tag_value.is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// What the function does about a resource made public, with
/// `RemediatePublicSharing` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemediationPlan {
    /// Re-read the resource's permissions and remove `group: all` if it is
    /// still public.
    Undo(Resource),
    /// Nothing is tried; the notice says why.
    Skip(RemediationOutcome),
}

/// What came of a remediation, as the notice and the report name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "remediation", rename_all = "snake_case")]
pub enum RemediationOutcome {
    /// `group: all` was removed; every account, organization and OU share
    /// was left as it was.
    MadePrivate,
    /// Re-read, it was no longer public: nothing to undo.
    AlreadyPrivate,
    /// Tagged `watchkeeper:public-ok=true`: left public on purpose.
    Exempt,
    /// Hub mode: a member account's resource; remediation acts in the hub's
    /// own account only.
    MemberAccount { account_id: String },
    /// The image or snapshot no longer exists.
    NotFound,
    /// EC2 refused one of the calls: retrying would not help.
    Denied {
        call: String,
        error_code: String,
        error_message: Option<String>,
    },
}

impl RemediationOutcome {
    pub fn code(&self) -> &'static str {
        match self {
            Self::MadePrivate => "made_private",
            Self::AlreadyPrivate => "already_private",
            Self::Exempt => "exempt",
            Self::MemberAccount { .. } => "member_account",
            Self::NotFound => "not_found",
            Self::Denied { .. } => "denied",
        }
    }
}

/// Whether, and how, a notified event is remediated: only a successful
/// call that made an image or snapshot public, with the setting on.
/// Account, organization and OU shares are never touched.
pub fn remediation_plan(
    config: &Config,
    event: &PermissionEvent,
    alert: &Alert,
    member_account: Option<&str>,
) -> Option<RemediationPlan> {
    if !config.remediate_public_sharing || alert.outcome != Outcome::Changed {
        return None;
    }
    let Request::Permissions { resource, .. } = &event.request else {
        return None;
    };
    let made_public = alert.changes.iter().any(|assessed| {
        assessed.change.direction == Direction::Add && assessed.change.grantee == Grantee::Public
    });
    if !made_public {
        return None;
    }
    Some(match member_account {
        Some(account_id) => RemediationPlan::Skip(RemediationOutcome::MemberAccount {
            account_id: account_id.to_owned(),
        }),
        None => RemediationPlan::Undo(resource.clone()),
    })
}

/// What the current state of a resource calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoStep {
    /// Still public and not exempt: remove `group: all`.
    RemovePublic,
    /// Nothing to do, for this reason.
    Stop(RemediationOutcome),
}

/// The exemption tag wins; then a resource no longer public needs nothing.
pub fn undo_step(exempt: bool, currently_public: bool) -> UndoStep {
    if exempt {
        UndoStep::Stop(RemediationOutcome::Exempt)
    } else if !currently_public {
        UndoStep::Stop(RemediationOutcome::AlreadyPrivate)
    } else {
        UndoStep::RemovePublic
    }
}

/// How an EC2 error code ends a remediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    /// Not allowed: report it, do not retry.
    Denied,
    /// The resource is gone: nothing to undo.
    NotFound,
    /// Anything else (throttling, a fault): the invocation fails and Lambda retries.
    Retry,
}

pub fn classify_failure(error_code: Option<&str>) -> CallFailure {
    match error_code.unwrap_or_default() {
        "UnauthorizedOperation"
        | "Client.UnauthorizedOperation"
        | "AccessDenied"
        | "AccessDeniedException"
        | "AuthFailure"
        | "OptInRequired" => CallFailure::Denied,
        "InvalidAMIID.NotFound"
        | "InvalidAMIID.Unavailable"
        | "InvalidAMIID.Malformed"
        | "InvalidSnapshot.NotFound"
        | "InvalidSnapshotID.Malformed" => CallFailure::NotFound,
        _ => CallFailure::Retry,
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
