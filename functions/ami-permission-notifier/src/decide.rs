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
mod tests {
    use super::*;
    use crate::config::OrganizationIds;
    use crate::input::{Caller, Resource, ResourceKind};
    use watchkeeper_shared::publisher::Topics;

    const OWN: &str = "111122223333";
    const ORG: &str = "arn:aws:organizations::111122223333:organization/o-abc1234567";
    const OU: &str = "arn:aws:organizations::111122223333:ou/o-abc1234567/ou-ab12-cdef3456";
    const OTHER_OU: &str = "arn:aws:organizations::999988887777:ou/o-zzzz999999/ou-zz99-11112222";

    fn config() -> Config {
        Config {
            topics: Topics {
                warning_topic_arn: "w".into(),
                critical_topic_arn: "c".into(),
            },
            trusted: Trusted {
                entries: vec![
                    TrustedEntry::Account("222233334444".into()),
                    TrustedEntry::Organization("o-abc1234567".into()),
                ],
            },
            report_denied_calls: true,
            report_other_attributes: false,
            report_aws_service_calls: true,
        }
    }

    fn add(grantee: Grantee) -> PermissionChange {
        PermissionChange {
            direction: Direction::Add,
            grantee,
        }
    }

    fn remove(grantee: Grantee) -> PermissionChange {
        PermissionChange {
            direction: Direction::Remove,
            grantee,
        }
    }

    fn account(id: &str) -> Grantee {
        Grantee::Account(id.into())
    }

    fn ou(arn: &str) -> Grantee {
        Grantee::OrganizationalUnit {
            arn: arn.into(),
            ids: OrganizationIds::from_arn(arn),
        }
    }

    fn org(arn: &str) -> Grantee {
        Grantee::Organization {
            arn: arn.into(),
            ids: OrganizationIds::from_arn(arn),
        }
    }

    fn image() -> Resource {
        Resource {
            kind: ResourceKind::Image,
            id: "ami-1".into(),
        }
    }

    fn event(request: Request) -> PermissionEvent {
        PermissionEvent {
            event_id: "e1".into(),
            event_name: "ModifyImageAttribute".into(),
            cloudtrail_event_id: None,
            event_time: None,
            region: Some("eu-west-1".into()),
            account_id: Some(OWN.into()),
            origin: Origin::Ip("203.0.113.10".into()),
            user_agent: None,
            error_code: None,
            error_message: None,
            caller: Caller::default(),
            request,
        }
    }

    fn permissions(changes: Vec<PermissionChange>) -> PermissionEvent {
        event(Request::Permissions {
            resource: image(),
            changes,
        })
    }

    /// The sentence of a skip, `None` for a notice.
    fn skip_text(decision: Decision) -> Option<String> {
        match decision {
            Decision::Skip { reason } => Some(reason.to_string()),
            Decision::Notify(_) => None,
        }
    }

    fn severity(decision: &Decision) -> Option<Severity> {
        match decision {
            Decision::Notify(alert) => Some(alert.severity),
            Decision::Skip { .. } => None,
        }
    }

    #[test]
    fn severity_follows_the_most_urgent_change() {
        let cases: Vec<(&str, Vec<PermissionChange>, Severity, &str)> = vec![
            (
                "made public",
                vec![add(Grantee::Public)],
                Severity::Critical,
                "made public",
            ),
            (
                "made private",
                vec![remove(Grantee::Public)],
                Severity::Info,
                "permissions removed only",
            ),
            (
                "shared with an untrusted account",
                vec![add(account("444455556666"))],
                Severity::Warning,
                "shared outside the trusted accounts",
            ),
            (
                "shared with a trusted account",
                vec![add(account("222233334444"))],
                Severity::Info,
                "shared with trusted accounts only",
            ),
            (
                "shared with its own account",
                vec![add(account(OWN))],
                Severity::Info,
                "shared with trusted accounts only",
            ),
            (
                "unshared from an untrusted account",
                vec![remove(account("444455556666"))],
                Severity::Info,
                "permissions removed only",
            ),
            (
                "shared with the trusted organization",
                vec![add(org(ORG))],
                Severity::Info,
                "shared with trusted accounts only",
            ),
            (
                "shared with an OU of the trusted organization",
                vec![add(ou(OU))],
                Severity::Info,
                "shared with trusted accounts only",
            ),
            (
                "shared with an OU of another organization",
                vec![add(ou(OTHER_OU))],
                Severity::Warning,
                "shared outside the trusted accounts",
            ),
            (
                "shared with an unreadable OU ARN",
                vec![add(ou("arn:aws:organizations::1:ou/bad"))],
                Severity::Warning,
                "shared outside the trusted accounts",
            ),
            (
                "shared with an unknown kind",
                vec![add(Grantee::Unrecognised("group friends".into()))],
                Severity::Warning,
                "shared with a grantee of unknown kind",
            ),
            (
                "public among many",
                vec![
                    add(account("222233334444")),
                    remove(ou(OU)),
                    add(Grantee::Public),
                ],
                Severity::Critical,
                "made public",
            ),
            (
                "untrusted and trusted",
                vec![add(account("222233334444")), add(account("444455556666"))],
                Severity::Warning,
                "shared outside the trusted accounts",
            ),
            (
                "no readable grantee",
                vec![],
                Severity::Warning,
                "permission change with no readable grantee",
            ),
        ];
        for (name, changes, expected, reason) in cases {
            let Decision::Notify(alert) = decide(&config(), &permissions(changes.clone())) else {
                panic!("{name}: skipped");
            };
            assert_eq!(alert.severity, expected, "{name}");
            assert_eq!(alert.reason, reason, "{name}");
            assert_eq!(alert.outcome, Outcome::Changed, "{name}");
            assert_eq!(
                alert
                    .changes
                    .iter()
                    .map(|c| c.change.clone())
                    .collect::<Vec<_>>(),
                changes,
                "{name}: every change is kept"
            );
        }
    }

    #[test]
    fn trust_of_each_grantee() {
        let trusted = Trusted {
            entries: vec![
                TrustedEntry::Account("222233334444".into()),
                TrustedEntry::OrganizationalUnit("ou-zz99-11112222".into()),
            ],
        };
        for (grantee, expected) in [
            (Grantee::Public, Trust::Public),
            (account(OWN), Trust::OwnAccount),
            (account("222233334444"), Trust::Trusted),
            (account("444455556666"), Trust::Untrusted),
            (org(ORG), Trust::Untrusted),
            (ou(OU), Trust::Untrusted),
            (ou(OTHER_OU), Trust::Trusted),
            (Grantee::Unrecognised("x".into()), Trust::Unknown),
        ] {
            assert_eq!(
                trust(&trusted, Some(OWN), &grantee),
                expected,
                "{grantee:?}"
            );
        }
        assert_eq!(
            trust(&trusted, None, &account(OWN)),
            Trust::Untrusted,
            "without the event's account, nothing is own"
        );
    }

    #[test]
    fn block_public_access_disabled_is_critical() {
        let decision = decide(
            &config(),
            &event(Request::DisableBlockPublicAccess {
                kind: ResourceKind::Snapshot,
                new_state: Some("unblocked".into()),
            }),
        );
        assert_eq!(severity(&decision), Some(Severity::Critical));
    }

    #[test]
    fn denied_calls_are_warning_attempts_unless_switched_off() {
        for request in [
            Request::Permissions {
                resource: image(),
                changes: vec![add(Grantee::Public)],
            },
            Request::DisableBlockPublicAccess {
                kind: ResourceKind::Image,
                new_state: None,
            },
        ] {
            let mut denied = event(request);
            denied.error_code = Some("Client.UnauthorizedOperation".into());
            denied.error_message = Some("You are not authorized".into());
            let Decision::Notify(alert) = decide(&config(), &denied) else {
                panic!("denied call skipped");
            };
            assert_eq!(alert.severity, Severity::Warning);
            assert_eq!(
                alert.outcome,
                Outcome::Denied {
                    error_code: "Client.UnauthorizedOperation".into(),
                    error_message: Some("You are not authorized".into())
                }
            );
            let quiet = Config {
                report_denied_calls: false,
                ..config()
            };
            assert_eq!(
                skip_text(decide(&quiet, &denied)),
                Some("call failed with Client.UnauthorizedOperation and REPORT_DENIED_CALLS is false".to_owned())
            );
        }
    }

    #[test]
    fn other_attributes_are_skipped_unless_reported() {
        let description = event(Request::OtherAttribute {
            resource: image(),
            attribute: "description".into(),
            new_value: Some("golden".into()),
        });
        assert_eq!(
            skip_text(decide(&config(), &description)),
            Some("attribute \"description\" is not a launch or create-volume permission and REPORT_OTHER_ATTRIBUTES is false".to_owned())
        );
        let reporting = Config {
            report_other_attributes: true,
            ..config()
        };
        assert_eq!(
            severity(&decide(&reporting, &description)),
            Some(Severity::Info)
        );
        let mut denied = description.clone();
        denied.error_code = Some("Client.UnauthorizedOperation".into());
        assert!(
            matches!(decide(&config(), &denied), Decision::Skip { .. }),
            "a denied change of another attribute is still another attribute"
        );
    }

    #[test]
    fn aws_service_calls_are_reported_unless_switched_off() {
        let mut via_service = permissions(vec![add(Grantee::Public)]);
        via_service.origin = Origin::AwsService("autoscaling.amazonaws.com".into());
        assert_eq!(
            severity(&decide(&config(), &via_service)),
            Some(Severity::Critical)
        );
        let quiet = Config {
            report_aws_service_calls: false,
            ..config()
        };
        assert_eq!(
            skip_text(decide(&quiet, &via_service)),
            Some("call made via AWS service autoscaling.amazonaws.com and REPORT_AWS_SERVICE_CALLS is false".to_owned())
        );
        let mut unknown_origin = via_service.clone();
        unknown_origin.origin = Origin::Unknown;
        assert!(matches!(
            decide(&quiet, &unknown_origin),
            Decision::Notify(_)
        ));
    }
}
