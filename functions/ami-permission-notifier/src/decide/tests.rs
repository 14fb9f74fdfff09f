use super::*;
use crate::fixtures::{ORG, OU, OWN, event, image, org, ou};
use crate::input::ResourceKind;
use watchkeeper_shared::publisher::Topics;

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
        remediate_public_sharing: false,
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
        &event(Request::BlockPublicAccess {
            action: crate::input::BlockPublicAccessAction::Disable,
            requested_state: None,
            kind: ResourceKind::Snapshot,
            new_state: Some(crate::input::BlockPublicAccessState::Unblocked),
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
        Request::BlockPublicAccess {
            action: crate::input::BlockPublicAccessAction::Disable,
            requested_state: None,
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
            Some(
                "call failed with Client.UnauthorizedOperation and REPORT_DENIED_CALLS is false"
                    .to_owned()
            )
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
