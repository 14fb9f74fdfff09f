use super::*;
use crate::decide::Trust;
use crate::fixtures::{self, OU};
use crate::input::PermissionChange;
use serde_json::json;

fn caller() -> Caller {
    Caller {
        identity_type: Some("AssumedRole".into()),
        arn: Some("arn:aws:sts::111122223333:assumed-role/Admin/alice".into()),
        account_id: Some("111122223333".into()),
        principal_id: Some("AROAEXAMPLE:alice".into()),
        role_arn: Some("arn:aws:iam::111122223333:role/Admin".into()),
        role_name: Some("Admin".into()),
        session_name: Some("alice".into()),
        invoked_by: None,
    }
}

/// The shared event with what CloudTrail adds: its id, the time, the user
/// agent, and a caller.
fn event(request: Request) -> PermissionEvent {
    PermissionEvent {
        cloudtrail_event_id: Some("ct-1".into()),
        event_time: Some("2026-11-22T10:02:03Z".into()),
        user_agent: Some("aws-cli/2.15.0".into()),
        caller: caller(),
        ..fixtures::event(request)
    }
}

fn assessed(direction: Direction, grantee: Grantee, trust: Trust) -> AssessedChange {
    AssessedChange {
        change: PermissionChange { direction, grantee },
        trust,
    }
}

fn image_changes(changes: Vec<AssessedChange>) -> (PermissionEvent, Alert) {
    let event = event(Request::Permissions {
        resource: Resource {
            kind: ResourceKind::Image,
            id: "ami-0abc".into(),
        },
        changes: changes.iter().map(|c| c.change.clone()).collect(),
    });
    let alert = Alert {
        severity: Severity::Critical,
        outcome: Outcome::Changed,
        changes,
        reason: String::new(),
    };
    (event, alert)
}

fn alias() -> AccountLabel {
    AccountLabel {
        alias: Some("prod-acct".into()),
        id: Some("111122223333".into()),
    }
}

#[test]
fn one_notification_lists_every_change_in_order() {
    let (event, alert) = image_changes(vec![
        assessed(Direction::Remove, fixtures::ou(OU), Trust::Trusted),
        assessed(
            Direction::Add,
            Grantee::Account("444455556666".into()),
            Trust::Untrusted,
        ),
        assessed(Direction::Add, Grantee::Public, Trust::Public),
        assessed(
            Direction::Add,
            Grantee::Account("222233334444".into()),
            Trust::Trusted,
        ),
    ]);
    let rendered = notification(&event, &alert, &alias(), json!({"id": "e1"})).render();
    assert_eq!(
        rendered.subject,
        "[prod-acct] AMI ami-0abc made PUBLIC (+2 more) by Admin/alice"
    );
    assert_eq!(
        rendered.default,
        "[prod-acct] AMI ami-0abc made PUBLIC (+2 more) by Admin/alice\n\
         \n\
         Severity: CRITICAL\n\
         Account: prod-acct (111122223333)\n\
         Region: eu-west-1\n\
         AMI: ami-0abc\n\
         What changed: made PUBLIC; shared with 444455556666, 222233334444; unshared from ou-ab12-cdef3456\n\
         Who: arn:aws:iam::111122223333:role/Admin (session alice)\n\
         Identity: AssumedRole in account 111122223333\n\
         Source: IP address 203.0.113.10\n\
         User agent: aws-cli/2.15.0\n\
         Time: 2026-11-22 10:02 UTC\n\
         API call: ModifyImageAttribute\n\
         CloudTrail event ID: ct-1\n\
         Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc\n\
         \n\
         Changes\n\
         -------\n\
         - unshared from OU ou-ab12-cdef3456 in o-abc1234567\n\
         - shared with account 444455556666 (NOT trusted)\n\
         - made PUBLIC: any AWS account can launch it\n\
         - shared with account 222233334444 (trusted)\n\
         \n\
         If this was not intended\n\
         ------------------------\n\
         Undo it with the AWS CLI:\n\
         aws ec2 modify-image-attribute --region eu-west-1 --image-id ami-0abc --launch-permission \"Remove=[{UserId=444455556666},{Group=all}]\"\n"
    );
}

#[test]
fn long_subjects_keep_the_first_change_and_the_caller() {
    let accounts: Vec<AssessedChange> = (0..8)
        .map(|n| {
            assessed(
                Direction::Add,
                Grantee::Account(format!("44445555{n:04}")),
                Trust::Untrusted,
            )
        })
        .chain([assessed(Direction::Remove, Grantee::Public, Trust::Public)])
        .collect();
    let (event, alert) = image_changes(accounts);
    let rendered = notification(&event, &alert, &alias(), json!({})).render();
    assert_eq!(
        rendered.subject,
        "[prod-acct] AMI ami-0abc shared with 444455550000, 444455550001, 4444555... (+1 more) by Admin/alice"
    );
    let mut short_alias = alias();
    short_alias.alias = None;
    let (event, alert) = image_changes(vec![
        assessed(
            Direction::Add,
            Grantee::Account("444455556666".into()),
            Trust::Untrusted,
        ),
        assessed(
            Direction::Remove,
            Grantee::Account("222233334444".into()),
            Trust::Trusted,
        ),
        assessed(Direction::Remove, Grantee::Public, Trust::Public),
    ]);
    let mut event = event;
    event.caller.session_name = Some("a-very-long-session-name-from-single-sign-on".into());
    let rendered = notification(&event, &alert, &short_alias, json!({})).render();
    assert_eq!(
        rendered.subject,
        "[111122223333] AMI ami-0abc shared with 444455556666 (+2 more) by Admin/a-very-long-s...ngle-sign-on"
    );
}

/// Issue 13: long ids, aliases and user names are shortened; what
/// happened (made PUBLIC, DENIED) and who did it stay in the subject
/// and the SMS.
#[test]
fn long_names_are_shortened_and_what_happened_is_kept() {
    let long_alias = AccountLabel {
        alias: Some(format!("production-{}-eu", "a".repeat(50))),
        id: Some("111122223333".into()),
    };
    let long_user = Caller {
        identity_type: Some("IAMUser".into()),
        arn: Some(format!(
            "arn:aws:iam::111122223333:user/ops/{}-bob",
            "deployment-automation".repeat(5)
        )),
        ..Caller::default()
    };
    let long_image = Resource {
        kind: ResourceKind::Image,
        id: format!("ami-{}", "0123456789abcdef".repeat(5)),
    };
    let public = vec![assessed(Direction::Add, Grantee::Public, Trust::Public)];
    for denied in [false, true] {
        let mut event = event(Request::Permissions {
            resource: long_image.clone(),
            changes: public.iter().map(|c| c.change.clone()).collect(),
        });
        event.caller = long_user.clone();
        event.region = Some("ap-southeast-4".into());
        let alert = Alert {
            severity: Severity::Critical,
            outcome: if denied {
                Outcome::Denied {
                    error_code: "Client.UnauthorizedOperation".into(),
                    error_message: None,
                }
            } else {
                Outcome::Changed
            },
            changes: public.clone(),
            reason: String::new(),
        };
        let rendered = notification(&event, &alert, &long_alias, json!({})).render();
        let words = if denied {
            vec![
                "DENIED attempt on AMI ami-0123",
                " by deploym",
                "-bob: make PUBLIC",
            ]
        } else {
            vec!["AMI ami-0123", "cdef made PUBLIC by deployment-", "-bob"]
        };
        for text in [&rendered.subject, &rendered.sms] {
            for word in &words {
                assert!(text.contains(word), "{word:?} missing from {text}");
            }
            assert!(text.contains("produc"), "{text}");
            assert!(text.contains("-eu"), "{text}");
        }
        assert!(
            rendered.sms.contains(" ap-southeast-4: "),
            "{}",
            rendered.sms
        );
        assert!(rendered.subject.len() <= 100, "{}", rendered.subject);
        assert!(rendered.sms.len() <= 140, "{}", rendered.sms);
        assert!(
            rendered
                .default
                .contains(&format!("AMI: {}\n", long_image.id))
        );
    }

    // An AWS service with a long name, and a snapshot account setting.
    let mut event = event(Request::BlockPublicAccess {
        action: crate::input::BlockPublicAccessAction::Disable,
        requested_state: None,
        kind: ResourceKind::Snapshot,
        new_state: None,
    });
    event.origin = Origin::AwsService(format!("{}.amazonaws.com", "s".repeat(120)));
    let alert = Alert {
        severity: Severity::Critical,
        outcome: Outcome::Changed,
        changes: vec![],
        reason: String::new(),
    };
    let rendered = notification(&event, &alert, &long_alias, json!({})).render();
    for text in [&rendered.subject, &rendered.sms] {
        assert!(
            text.contains("] Block public access for EBS snapshots DISABLED via AWS service sss")
                || text.contains(
                    ": Block public access for EBS snapshots DISABLED via AWS service sss"
                ),
            "{text}"
        );
    }
    assert!(rendered.subject.len() <= 100 && rendered.sms.len() <= 140);
}

#[test]
fn callers_are_named_by_who_they_are() {
    let user = Caller {
        identity_type: Some("IAMUser".into()),
        arn: Some("arn:aws:iam::111122223333:user/ops/bob".into()),
        ..Caller::default()
    };
    let root = Caller {
        identity_type: Some("Root".into()),
        arn: Some("arn:aws:iam::111122223333:root".into()),
        ..Caller::default()
    };
    let service = Caller {
        identity_type: Some("AWSService".into()),
        invoked_by: Some("autoscaling.amazonaws.com".into()),
        ..Caller::default()
    };
    let anonymous = Caller::default();
    let principal_only = Caller {
        principal_id: Some("AIDAEXAMPLE".into()),
        ..Caller::default()
    };
    for (caller, short, full) in [
        (
            caller(),
            "Admin/alice",
            "arn:aws:iam::111122223333:role/Admin (session alice)",
        ),
        (user, "bob", "arn:aws:iam::111122223333:user/ops/bob"),
        (root, "root", "arn:aws:iam::111122223333:root"),
        (
            service,
            "autoscaling.amazonaws.com",
            "autoscaling.amazonaws.com",
        ),
        (
            anonymous,
            "unknown caller",
            "unknown (the event names no caller)",
        ),
        (principal_only, "AIDAEXAMPLE", "principal AIDAEXAMPLE"),
    ] {
        assert_eq!(who_short(&caller), short);
        assert_eq!(who_full(&caller), full);
    }
}

#[test]
fn wording_of_each_request() {
    let image = fixtures::image();
    let snapshot = fixtures::snapshot();
    let public = |direction| vec![assessed(direction, Grantee::Public, Trust::Public)];
    let cases: Vec<(Request, Vec<AssessedChange>, bool, &str)> = vec![
        (
            Request::Permissions {
                resource: image.clone(),
                changes: vec![],
            },
            public(Direction::Add),
            false,
            "[prod-acct] AMI ami-1 made PUBLIC by Admin/alice",
        ),
        (
            Request::Permissions {
                resource: image.clone(),
                changes: vec![],
            },
            public(Direction::Remove),
            false,
            "[prod-acct] AMI ami-1 made private by Admin/alice",
        ),
        (
            Request::Permissions {
                resource: image.clone(),
                changes: vec![],
            },
            public(Direction::Add),
            true,
            "[prod-acct] DENIED attempt on AMI ami-1 by Admin/alice: make PUBLIC",
        ),
        (
            Request::Permissions {
                resource: snapshot.clone(),
                changes: vec![],
            },
            vec![],
            false,
            "[prod-acct] Snapshot snap-1 create-volume permissions changed (grantees not readable) by Admin/alice",
        ),
        (
            Request::OtherAttribute {
                resource: image.clone(),
                attribute: "description".into(),
                new_value: None,
            },
            vec![],
            false,
            "[prod-acct] AMI ami-1 description changed by Admin/alice",
        ),
        (
            Request::BlockPublicAccess {
                action: crate::input::BlockPublicAccessAction::Disable,
                requested_state: None,
                kind: ResourceKind::Snapshot,
                new_state: None,
            },
            vec![],
            false,
            "[prod-acct] Block public access for EBS snapshots DISABLED by Admin/alice",
        ),
        (
            Request::BlockPublicAccess {
                action: crate::input::BlockPublicAccessAction::Disable,
                requested_state: None,
                kind: ResourceKind::Image,
                new_state: None,
            },
            vec![],
            true,
            "[prod-acct] DENIED attempt by Admin/alice: disable block public access for AMIs",
        ),
    ];
    for (request, changes, denied, subject) in cases {
        let event = event(request);
        let alert = Alert {
            severity: Severity::Warning,
            outcome: if denied {
                Outcome::Denied {
                    error_code: "Client.UnauthorizedOperation".into(),
                    error_message: None,
                }
            } else {
                Outcome::Changed
            },
            changes,
            reason: String::new(),
        };
        let rendered = notification(&event, &alert, &alias(), json!({})).render();
        assert_eq!(rendered.subject, subject);
        let expected_sms = format!(
            "WARNING: prod-acct eu-west-1: {}",
            subject.trim_start_matches("[prod-acct] ")
        );
        assert_eq!(
            rendered.sms,
            expected_sms.chars().take(140).collect::<String>()
        );
    }
}

#[test]
fn times_read_as_utc() {
    assert_eq!(
        time::display_text("2026-11-22T10:02:03Z"),
        "2026-11-22 10:02 UTC"
    );
    assert_eq!(time::display_text("yesterday"), "yesterday");
}

#[test]
fn remediation_is_named_in_the_summary_and_only_a_done_or_failed_undo_in_the_headline() {
    let (event, alert) = image_changes(vec![assessed(
        Direction::Add,
        Grantee::Public,
        Trust::Public,
    )]);
    let denied = RemediationOutcome::Denied {
        call: "DescribeTags".into(),
        error_code: "UnauthorizedOperation".into(),
        error_message: None,
    };
    let cases = [
        (
            RemediationOutcome::MadePrivate,
            "; made private again",
            "Remediation: made private again by Watchkeeper",
        ),
        (
            RemediationOutcome::AlreadyPrivate,
            "",
            "Remediation: nothing to undo: the AMI was no longer public when read again",
        ),
        (
            RemediationOutcome::Exempt,
            "",
            "Remediation: left public: the AMI is tagged watchkeeper:public-ok=true",
        ),
        (
            RemediationOutcome::NotFound,
            "",
            "Remediation: nothing to undo: the AMI no longer exists",
        ),
        (
            RemediationOutcome::MemberAccount {
                account_id: "222222222222".into(),
            },
            "",
            "Remediation: not attempted: remediation acts in the hub's own account only",
        ),
        (
            denied,
            "; undo FAILED",
            "Remediation: the undo FAILED: DescribeTags was denied (UnauthorizedOperation); the AMI may still be public",
        ),
    ];
    for (outcome, suffix, fact) in cases {
        let rendered =
            notification_with(&event, &alert, &alias(), Some(&outcome), json!({})).render();
        assert_eq!(
            rendered.subject,
            format!("[prod-acct] AMI ami-0abc made PUBLIC by Admin/alice{suffix}"),
            "{outcome:?}"
        );
        assert!(
            rendered.default.contains(fact),
            "{outcome:?}: {}",
            rendered.default
        );
        let undo = rendered.default.contains("Undo it with the AWS CLI:");
        let redo = rendered.default.contains("then make it public again:");
        assert_eq!(
            (undo, redo),
            (
                outcome != RemediationOutcome::MadePrivate,
                outcome == RemediationOutcome::MadePrivate
            ),
            "{outcome:?}"
        );
    }
    // Without remediation, the notice is the one it always was.
    assert_eq!(
        notification_with(&event, &alert, &alias(), None, json!({})).render(),
        notification(&event, &alert, &alias(), json!({})).render()
    );
}
