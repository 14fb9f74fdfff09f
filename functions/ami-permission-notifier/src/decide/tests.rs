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

#[test]
fn block_public_access_effects_follow_the_state_left_behind() {
    use crate::input::{BlockPublicAccessAction as Action, BlockPublicAccessState as State};
    use BlockPublicAccessEffect as Effect;
    let other = State::Other("block-everything".into());
    let cases = [
        (
            ResourceKind::Image,
            Action::Disable,
            Some(State::Unblocked),
            Effect::Disabled,
            Severity::Critical,
        ),
        (
            ResourceKind::Snapshot,
            Action::Disable,
            None,
            Effect::Disabled,
            Severity::Critical,
        ),
        (
            ResourceKind::Snapshot,
            Action::Enable,
            Some(State::Unblocked),
            Effect::Disabled,
            Severity::Critical,
        ),
        (
            ResourceKind::Image,
            Action::Enable,
            Some(State::BlockNewSharing),
            Effect::Strengthened,
            Severity::Info,
        ),
        (
            ResourceKind::Snapshot,
            Action::Enable,
            Some(State::BlockAllSharing),
            Effect::Strengthened,
            Severity::Info,
        ),
        (
            ResourceKind::Snapshot,
            Action::Enable,
            Some(State::BlockNewSharing),
            Effect::MayWeaken,
            Severity::Warning,
        ),
        (
            ResourceKind::Image,
            Action::Enable,
            Some(State::BlockAllSharing),
            Effect::Unclear,
            Severity::Warning,
        ),
        (
            ResourceKind::Snapshot,
            Action::Enable,
            Some(other),
            Effect::Unclear,
            Severity::Warning,
        ),
        (
            ResourceKind::Snapshot,
            Action::Enable,
            None,
            Effect::Unclear,
            Severity::Warning,
        ),
    ];
    for (kind, action, state, effect, expected) in cases {
        let found = block_public_access_effect(kind, action, state.as_ref());
        assert_eq!(found, effect, "{kind:?} {action:?} {state:?}");
        assert_eq!(found.severity(), expected, "{effect:?}");
        let decision = decide(
            &config(),
            &event(Request::BlockPublicAccess {
                kind,
                action,
                requested_state: None,
                new_state: state.clone(),
            }),
        );
        assert_eq!(severity(&decision), Some(expected), "{effect:?}");
    }
}

#[test]
fn the_response_state_wins_over_the_requested_one() {
    use crate::input::{BlockPublicAccessAction as Action, BlockPublicAccessState as State};
    let decision = decide(
        &config(),
        &event(Request::BlockPublicAccess {
            kind: ResourceKind::Snapshot,
            action: Action::Enable,
            requested_state: Some(State::BlockNewSharing),
            new_state: Some(State::BlockAllSharing),
        }),
    );
    assert_eq!(severity(&decision), Some(Severity::Info));
    let requested_only = decide(
        &config(),
        &event(Request::BlockPublicAccess {
            kind: ResourceKind::Snapshot,
            action: Action::Enable,
            requested_state: Some(State::BlockNewSharing),
            new_state: None,
        }),
    );
    assert_eq!(severity(&requested_only), Some(Severity::Warning));
}

/// A name, the settings, the event, the member account if any, and the plan.
type PlanCase<'a> = (
    &'a str,
    Config,
    PermissionEvent,
    Option<&'a str>,
    Option<RemediationPlan>,
);

fn remediating() -> Config {
    Config {
        remediate_public_sharing: true,
        ..config()
    }
}

fn plan(config: &Config, event: &PermissionEvent, member: Option<&str>) -> Option<RemediationPlan> {
    let Decision::Notify(alert) = decide(config, event) else {
        panic!("skipped");
    };
    remediation_plan(config, event, &alert, member)
}

#[test]
fn only_a_resource_made_public_with_the_setting_on_is_remediated() {
    let snapshot_public = event(Request::Permissions {
        resource: crate::fixtures::snapshot(),
        changes: vec![add(Grantee::Public)],
    });
    let mut denied = permissions(vec![add(Grantee::Public)]);
    denied.error_code = Some("Client.UnauthorizedOperation".into());
    let cases: Vec<PlanCase> = vec![
        (
            "public AMI",
            remediating(),
            permissions(vec![add(Grantee::Public), add(account("444455556666"))]),
            None,
            Some(RemediationPlan::Undo(image())),
        ),
        (
            "public snapshot",
            remediating(),
            snapshot_public,
            None,
            Some(RemediationPlan::Undo(crate::fixtures::snapshot())),
        ),
        (
            "setting off",
            config(),
            permissions(vec![add(Grantee::Public)]),
            None,
            None,
        ),
        (
            "shared with an untrusted account only: never undone",
            remediating(),
            permissions(vec![add(account("444455556666"))]),
            None,
            None,
        ),
        (
            "shared with an organization and an OU only",
            remediating(),
            permissions(vec![add(org(ORG)), add(ou(OTHER_OU))]),
            None,
            None,
        ),
        (
            "made private",
            remediating(),
            permissions(vec![remove(Grantee::Public)]),
            None,
            None,
        ),
        (
            "a denied attempt changed nothing",
            remediating(),
            denied,
            None,
            None,
        ),
        (
            "a member account's AMI in hub mode: alert only",
            remediating(),
            permissions(vec![add(Grantee::Public)]),
            Some("222222222222"),
            Some(RemediationPlan::Skip(RemediationOutcome::MemberAccount {
                account_id: "222222222222".into(),
            })),
        ),
    ];
    for (name, config, event, member, expected) in cases {
        assert_eq!(plan(&config, &event, member), expected, "{name}");
    }
}

#[test]
fn the_exemption_tag_wins_then_an_already_private_resource_is_left() {
    assert_eq!(undo_step(false, true), UndoStep::RemovePublic);
    assert_eq!(
        undo_step(false, false),
        UndoStep::Stop(RemediationOutcome::AlreadyPrivate)
    );
    assert_eq!(
        undo_step(true, true),
        UndoStep::Stop(RemediationOutcome::Exempt)
    );
    assert_eq!(
        undo_step(true, false),
        UndoStep::Stop(RemediationOutcome::Exempt)
    );
    for (value, exempt) in [
        (Some("true"), true),
        (Some(" TRUE "), true),
        (Some("false"), false),
        (Some("yes"), false),
        (Some(""), false),
        (None, false),
    ] {
        assert_eq!(is_exempt(value), exempt, "{value:?}");
    }
}

#[test]
fn denied_and_missing_end_the_undo_and_anything_else_is_retried() {
    for (code, failure) in [
        (Some("UnauthorizedOperation"), CallFailure::Denied),
        (Some("Client.UnauthorizedOperation"), CallFailure::Denied),
        (Some("AccessDenied"), CallFailure::Denied),
        (Some("InvalidAMIID.NotFound"), CallFailure::NotFound),
        (Some("InvalidSnapshot.NotFound"), CallFailure::NotFound),
        (Some("RequestLimitExceeded"), CallFailure::Retry),
        (Some("InternalFailure"), CallFailure::Retry),
        (None, CallFailure::Retry),
    ] {
        assert_eq!(classify_failure(code), failure, "{code:?}");
    }
}

#[test]
fn remediation_outcomes_serialize_with_their_codes() {
    for (outcome, json) in [
        (
            RemediationOutcome::MadePrivate,
            serde_json::json!({"remediation": "made_private"}),
        ),
        (
            RemediationOutcome::Denied {
                call: "ModifyImageAttribute".into(),
                error_code: "UnauthorizedOperation".into(),
                error_message: None,
            },
            serde_json::json!({"remediation": "denied", "call": "ModifyImageAttribute", "error_code": "UnauthorizedOperation", "error_message": null}),
        ),
    ] {
        assert_eq!(serde_json::to_value(&outcome).unwrap(), json);
        assert_eq!(json["remediation"], outcome.code());
        let back: RemediationOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, outcome);
    }
}
