use super::*;
use crate::fixtures::{self, ORG, OU};
use serde_json::{Value, json};
use watchkeeper_shared::events::cloudtrail::API_CALL_DETAIL_TYPE;
use watchkeeper_shared::events::parse_event;

/// A real call's detail (`events/ami-public.json`, without its request and
/// response) with the keys of `detail` set over it: CloudTrail always
/// writes the caller, times and ids, and the crate's type requires them.
fn over_sample(detail: Value) -> Value {
    let mut full = testbed::events::load("ami-public.json")["detail"].clone();
    let object = full.as_object_mut().unwrap();
    object.remove("requestParameters");
    object.remove("responseElements");
    for (key, value) in detail.as_object().unwrap() {
        object.insert(key.clone(), value.clone());
    }
    full
}

fn read_detail(detail: Value) -> Result<Input, EventError> {
    let detail = over_sample(detail);
    let event = parse_event::<ApiCall>(&json!({
        "id": "e1",
        "detail-type": API_CALL_DETAIL_TYPE,
        "source": "aws.ec2",
        "account": "111122223333",
        "region": "eu-west-1",
        "time": "2026-11-22T10:02:03Z",
        "detail": detail
    }))?;
    read(&event)
}

fn request(detail: Value) -> Request {
    match read_detail(detail).unwrap() {
        Input::Watched(event) => event.request,
        other => panic!("not watched: {other:?}"),
    }
}

fn image(parameters: Value) -> Request {
    request(
        json!({"eventName": "ModifyImageAttribute", "eventSource": "ec2.amazonaws.com", "requestParameters": parameters}),
    )
}

#[test]
fn requests_become_typed_changes() {
    let cases: Vec<(&str, Value, Request)> = vec![
        (
            "every item of add and remove, in order",
            json!({"imageId": "ami-1", "launchPermission": {
                "add": {"items": [{"group": "all"}, {"userId": "444455556666"}, {"organizationArn": ORG}]},
                "remove": {"items": [{"organizationalUnitArn": OU}, {"group": "all"}]}
            }, "attributeType": "launchPermission"}),
            Request::Permissions {
                resource: fixtures::image(),
                changes: vec![
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: Grantee::Public,
                    },
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: Grantee::Account("444455556666".into()),
                    },
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: fixtures::org(ORG),
                    },
                    PermissionChange {
                        direction: Direction::Remove,
                        grantee: fixtures::ou(OU),
                    },
                    PermissionChange {
                        direction: Direction::Remove,
                        grantee: Grantee::Public,
                    },
                ],
            },
        ),
        (
            "unknown and empty items are kept, never dropped",
            json!({"imageId": "ami-1", "launchPermission": {"add": {"items": [{"group": "friends"}, {}, {"newKind": "x"}]}}}),
            Request::Permissions {
                resource: fixtures::image(),
                changes: vec![
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: Grantee::Unrecognised("group friends".into()),
                    },
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: Grantee::Unrecognised("an empty item".into()),
                    },
                    PermissionChange {
                        direction: Direction::Add,
                        grantee: Grantee::Unrecognised("newKind \"x\"".into()),
                    },
                ],
            },
        ),
        (
            "description attribute",
            json!({"imageId": "ami-1", "description": {"value": "golden"}, "attributeType": "description"}),
            Request::OtherAttribute {
                resource: fixtures::image(),
                attribute: "description".into(),
                new_value: Some("golden".into()),
            },
        ),
        (
            "description without attributeType",
            json!({"imageId": "ami-1", "description": {"value": "golden"}}),
            Request::OtherAttribute {
                resource: fixtures::image(),
                attribute: "description".into(),
                new_value: Some("golden".into()),
            },
        ),
        (
            "another attribute",
            json!({"imageId": "ami-1", "attributeType": "imdsSupport"}),
            Request::OtherAttribute {
                resource: fixtures::image(),
                attribute: "imdsSupport".into(),
                new_value: None,
            },
        ),
        (
            "launch permission named without readable items",
            json!({"imageId": "ami-1", "attributeType": "launchPermission"}),
            Request::Permissions {
                resource: fixtures::image(),
                changes: vec![],
            },
        ),
    ];
    for (name, parameters, expected) in cases {
        assert_eq!(image(parameters), expected, "{name}");
    }
}

#[test]
fn snapshot_permissions_and_other_attributes() {
    let snapshot = fixtures::snapshot();
    let shared = request(
        json!({"eventName": "ModifySnapshotAttribute", "requestParameters": {
            "snapshotId": "snap-1",
            "createVolumePermission": {"add": {"items": [{"userId": "444455556666"}, {"group": "all"}]}},
            "attributeType": "CREATE_VOLUME_PERMISSION"
        }}),
    );
    assert_eq!(
        shared,
        Request::Permissions {
            resource: snapshot.clone(),
            changes: vec![
                PermissionChange {
                    direction: Direction::Add,
                    grantee: Grantee::Account("444455556666".into())
                },
                PermissionChange {
                    direction: Direction::Add,
                    grantee: Grantee::Public
                },
            ],
        }
    );
    let product_codes = request(
        json!({"eventName": "ModifySnapshotAttribute", "requestParameters": {
            "snapshotId": "snap-1", "attributeType": "productCodes"
        }}),
    );
    assert_eq!(
        product_codes,
        Request::OtherAttribute {
            resource: snapshot,
            attribute: "productCodes".into(),
            new_value: None
        }
    );
}

#[test]
fn block_public_access_reads_the_new_state() {
    assert_eq!(
        request(
            json!({"eventName": "DisableImageBlockPublicAccess", "requestParameters": null, "responseElements": {"imageBlockPublicAccessState": "unblocked"}})
        ),
        Request::BlockPublicAccess {
            action: crate::input::BlockPublicAccessAction::Disable,
            requested_state: None,
            kind: ResourceKind::Image,
            new_state: Some(crate::input::BlockPublicAccessState::Unblocked)
        }
    );
    assert_eq!(
        request(json!({"eventName": "DisableSnapshotBlockPublicAccess", "responseElements": null})),
        Request::BlockPublicAccess {
            action: crate::input::BlockPublicAccessAction::Disable,
            requested_state: None,
            kind: ResourceKind::Snapshot,
            new_state: None
        }
    );
}

#[test]
fn enabling_block_public_access_reads_the_requested_and_new_states() {
    use crate::input::{BlockPublicAccessAction as Action, BlockPublicAccessState as State};
    let cases = [
        (
            json!({"eventName": "EnableSnapshotBlockPublicAccess", "requestParameters": {"state": "block-new-sharing"}, "responseElements": {"state": "block-new-sharing"}}),
            ResourceKind::Snapshot,
            Some(State::BlockNewSharing),
            Some(State::BlockNewSharing),
        ),
        (
            // The API reference's capitalisation, and no response.
            json!({"eventName": "EnableSnapshotBlockPublicAccess", "requestParameters": {"State": "block-all-sharing"}, "responseElements": null}),
            ResourceKind::Snapshot,
            Some(State::BlockAllSharing),
            None,
        ),
        (
            json!({"eventName": "EnableImageBlockPublicAccess", "requestParameters": {"imageBlockPublicAccessState": "block-new-sharing"}, "responseElements": {"imageBlockPublicAccessState": "block-new-sharing"}}),
            ResourceKind::Image,
            Some(State::BlockNewSharing),
            Some(State::BlockNewSharing),
        ),
        (
            json!({"eventName": "EnableImageBlockPublicAccess", "requestParameters": {"imageBlockPublicAccessState": " "}, "responseElements": {"imageBlockPublicAccessState": "block-everything"}}),
            ResourceKind::Image,
            None,
            Some(State::Other("block-everything".into())),
        ),
    ];
    for (detail, kind, requested_state, new_state) in cases {
        assert_eq!(
            request(detail.clone()),
            Request::BlockPublicAccess {
                kind,
                action: Action::Enable,
                requested_state,
                new_state,
            },
            "{detail}"
        );
    }
}

#[test]
fn every_sample_block_public_access_event_is_read() {
    use crate::input::{BlockPublicAccessAction as Action, BlockPublicAccessState as State};
    for (sample, action, state) in [
        (
            "block-public-access-image-disabled.json",
            Action::Disable,
            State::Unblocked,
        ),
        (
            "block-public-access-snapshot-disabled.json",
            Action::Disable,
            State::Unblocked,
        ),
        (
            "block-public-access-image-enabled.json",
            Action::Enable,
            State::BlockNewSharing,
        ),
        (
            "block-public-access-snapshot-block-new-sharing.json",
            Action::Enable,
            State::BlockNewSharing,
        ),
        (
            "block-public-access-snapshot-block-all-sharing.json",
            Action::Enable,
            State::BlockAllSharing,
        ),
    ] {
        let call = watchkeeper_shared::events::parse_event::<
            watchkeeper_shared::events::cloudtrail::ApiCall,
        >(&testbed::events::load(sample))
        .unwrap();
        let Input::Watched(event) = read(&call).unwrap() else {
            panic!("{sample} not watched");
        };
        let Request::BlockPublicAccess {
            action: found,
            new_state,
            ..
        } = event.request
        else {
            panic!("{sample}: {:?}", event.request);
        };
        assert_eq!((found, new_state), (action, Some(state)), "{sample}");
    }
}

#[test]
fn other_calls_and_sources_are_not_watched() {
    for (detail, reason) in [
        (
            json!({"eventName": "CreateImage", "eventSource": "ec2.amazonaws.com"}),
            "API call \"CreateImage\" does not change AMI or snapshot permissions",
        ),
        (
            json!({"eventName": "ModifyImageAttribute", "eventSource": "s3.amazonaws.com"}),
            "event source \"s3.amazonaws.com\" is not ec2.amazonaws.com",
        ),
    ] {
        let Input::NotWatched { reason: actual } = read_detail(detail).unwrap() else {
            panic!("expected {reason}");
        };
        assert_eq!(actual.to_string(), reason);
    }
}

#[test]
fn modify_calls_without_parameters_are_errors_naming_the_field() {
    assert_eq!(
        read_detail(json!({"eventName": "ModifyImageAttribute", "requestParameters": null}))
            .unwrap_err()
            .to_string(),
        "event field `detail.requestParameters` is malformed: ModifyImageAttribute needs requestParameters with `imageId`, got none"
    );
    assert_eq!(
        read_detail(
            json!({"eventName": "ModifySnapshotAttribute", "requestParameters": {"snapshotId": 5}})
        )
        .unwrap_err()
        .to_string(),
        "event field `detail.requestParameters.snapshotId` is malformed: invalid type: integer `5`, expected a string"
    );
}

#[test]
fn context_falls_back_to_the_envelope() {
    // Blank where CloudTrail wrote nothing useful; no recipient account.
    let Input::Watched(event) = read_detail(json!({
        "eventName": "DisableImageBlockPublicAccess",
        "eventTime": "",
        "awsRegion": " ",
        "recipientAccountId": null,
        "sourceIPAddress": "autoscaling.amazonaws.com",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": "111122223333", "userName": "Admin"},
                "attributes": {"creationDate": "2026-11-22T09:55:41Z", "mfaAuthenticated": "false"}
            }
        }
    }))
    .unwrap() else {
        panic!("watched")
    };
    assert_eq!(event.region.as_deref(), Some("eu-west-1"));
    assert_eq!(event.account_id.as_deref(), Some("111122223333"));
    assert_eq!(event.event_time.as_deref(), Some("2026-11-22T10:02:03Z"));
    assert_eq!(
        event.origin,
        Origin::AwsService("autoscaling.amazonaws.com".into())
    );
    assert_eq!(event.caller.session_name.as_deref(), Some("alice"));
    assert_eq!(
        event.caller.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/Admin")
    );
    assert_eq!(event.caller.role_name.as_deref(), Some("Admin"));
}

#[test]
fn origins() {
    assert_eq!(
        Origin::from_source(Some("203.0.113.10")),
        Origin::Ip("203.0.113.10".into())
    );
    assert_eq!(
        Origin::from_source(Some("2001:db8::1")),
        Origin::Ip("2001:db8::1".into())
    );
    assert_eq!(
        Origin::from_source(Some("ec2.amazonaws.com")),
        Origin::AwsService("ec2.amazonaws.com".into())
    );
    assert_eq!(Origin::from_source(None), Origin::Unknown);
}
