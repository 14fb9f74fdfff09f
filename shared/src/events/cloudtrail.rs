//! CloudTrail `AWS API Call via CloudTrail` events, and the request shapes of
//! the EC2 calls that share or publish AMIs and EBS snapshots.
//!
//! The call itself is read through `aws_lambda_events` ([`ApiCall`]). The
//! request shapes are Watchkeeper's: CloudTrail is loose about them:
//! `requestParameters` and `responseElements` may be `null` or `{}`, `items`
//! may be missing, and a denied call still carries what was asked for.
//! Everything optional here is `Option`, blank strings count as absent, and
//! unknown keys are ignored.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::lenient;
use super::{Detail, EventError, deserialize_at, deserialize_value};

pub const API_CALL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
pub const EC2_EVENT_SOURCE: &str = "ec2.amazonaws.com";

pub const MODIFY_IMAGE_ATTRIBUTE: &str = "ModifyImageAttribute";
pub const MODIFY_SNAPSHOT_ATTRIBUTE: &str = "ModifySnapshotAttribute";
pub const DISABLE_IMAGE_BLOCK_PUBLIC_ACCESS: &str = "DisableImageBlockPublicAccess";
pub const DISABLE_SNAPSHOT_BLOCK_PUBLIC_ACCESS: &str = "DisableSnapshotBlockPublicAccess";

/// The `detail` of an `AWS API Call via CloudTrail` event.
///
/// Read through `aws_lambda_events`'
/// [`AWSAPICall`](aws_lambda_events::cloudwatch_events::cloudtrail::AWSAPICall):
/// the fields CloudTrail always writes (`eventVersion`, `userIdentity` and
/// its `type`, `eventTime`, `eventSource`, `eventName`, `awsRegion`,
/// `sourceIPAddress`, `userAgent`, `requestID`, `eventID`, `eventType`) must
/// be there. Watchkeeper then trims them and counts blank ones as absent.
/// `errorCode`, `errorMessage` and `recipientAccountId`, which the crate's
/// type does not name, are read here, as are `requestParameters` and
/// `responseElements`, whose shape depends on `eventName`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub event_name: String,
    pub event_source: String,
    pub event_time: Option<String>,
    pub aws_region: Option<String>,
    pub source_ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub event_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub recipient_account_id: Option<String>,
    pub user_identity: UserIdentity,
    /// Kept raw: its shape depends on `eventName`. Read it with
    /// [`ApiCall::request_parameters`].
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
}

type ApiCallShape =
    aws_lambda_events::cloudwatch_events::cloudtrail::AWSAPICall<Option<Value>, Value>;

/// The fields of the detail the crate's type does not name.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCallExtras {
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    recipient_account_id: Option<String>,
}

/// Trimmed; blank counts as absent.
fn present(text: impl AsRef<str>) -> Option<String> {
    Some(text.as_ref().trim().to_owned()).filter(|text| !text.is_empty())
}

fn present_option(text: Option<String>) -> Option<String> {
    text.and_then(present)
}

impl Detail for ApiCall {
    fn read(detail: &Value) -> Result<Self, EventError> {
        let shape: ApiCallShape = deserialize_at(detail, "detail")?;
        let extras: ApiCallExtras = deserialize_at(detail, "detail")?;
        let identity = shape.user_identity;
        Ok(Self {
            event_name: shape.event_name.trim().to_owned(),
            event_source: shape.event_source.trim().to_owned(),
            event_time: present(shape.event_time),
            aws_region: present(shape.aws_region),
            source_ip_address: present(shape.source_ipaddress),
            user_agent: present(shape.user_agent),
            event_id: present(shape.event_id),
            error_code: extras.error_code,
            error_message: extras.error_message,
            recipient_account_id: extras.recipient_account_id,
            user_identity: UserIdentity {
                identity_type: present(identity.r#type),
                arn: present_option(identity.arn),
                account_id: present_option(identity.account_id),
                principal_id: present_option(identity.principal_id),
                session_context: identity.session_context.map(|context| SessionContext {
                    session_issuer: context.session_issuer.map(|issuer| SessionIssuer {
                        issuer_type: present(issuer.r#type),
                        arn: present(issuer.arn),
                        user_name: present_option(issuer.user_name),
                    }),
                }),
                invoked_by: present_option(identity.invoked_by),
            },
            request_parameters: shape.request_parameters,
            response_elements: shape.response_elements,
        })
    }
}

impl ApiCall {
    /// `requestParameters` as `T`; `None` when it is absent or `null`.
    /// Errors name the field by its full path in the event.
    pub fn request_parameters<T: DeserializeOwned>(&self) -> Result<Option<T>, EventError> {
        read_nested(self.request_parameters.as_ref(), "detail.requestParameters")
    }

    /// `responseElements` as `T`; `None` when it is absent or `null`.
    pub fn response_elements<T: DeserializeOwned>(&self) -> Result<Option<T>, EventError> {
        read_nested(self.response_elements.as_ref(), "detail.responseElements")
    }
}

fn read_nested<T: DeserializeOwned>(
    value: Option<&Value>,
    path: &str,
) -> Result<Option<T>, EventError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => deserialize_value(value)
            .map(Some)
            .map_err(|error| match error {
                EventError::Field {
                    path: inner,
                    problem,
                } => EventError::Field {
                    path: if inner == "." {
                        path.to_owned()
                    } else {
                        format!("{path}.{inner}")
                    },
                    problem,
                },
                EventError::NotAnObject { found } => EventError::Field {
                    path: path.to_owned(),
                    problem: format!("expected an object, got {found}"),
                },
                EventError::NotAnEvent { received } => EventError::Field {
                    path: path.to_owned(),
                    problem: format!("expected an object, got {received}"),
                },
            }),
    }
}

/// Who made the call (`userIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserIdentity {
    /// `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`, `AWSService`, ...
    pub identity_type: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub principal_id: Option<String>,
    pub session_context: Option<SessionContext>,
    /// The AWS service that made the call on the caller's behalf.
    pub invoked_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionContext {
    pub session_issuer: Option<SessionIssuer>,
}

/// The role (or user) whose credentials a session was issued from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionIssuer {
    pub issuer_type: Option<String>,
    pub arn: Option<String>,
    pub user_name: Option<String>,
}

/// `requestParameters` of `ModifyImageAttribute`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifyImageAttributeRequest {
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub image_id: String,
    #[serde(default)]
    pub launch_permission: Option<PermissionChanges>,
    /// `launchPermission`, `description`, `productCodes`, ...
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub attribute_type: Option<String>,
    #[serde(default)]
    pub description: Option<AttributeValue>,
}

/// `requestParameters` of `ModifySnapshotAttribute`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifySnapshotAttributeRequest {
    #[serde(deserialize_with = "lenient::trimmed_string")]
    pub snapshot_id: String,
    #[serde(default)]
    pub create_volume_permission: Option<PermissionChanges>,
    /// `CREATE_VOLUME_PERMISSION` (as CloudTrail logs it) or `productCodes`.
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub attribute_type: Option<String>,
}

/// `{"value": ...}`, how CloudTrail logs a new attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AttributeValue {
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub value: Option<String>,
}

/// `launchPermission` or `createVolumePermission`: what one request adds and removes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PermissionChanges {
    #[serde(default, deserialize_with = "null_as_default")]
    pub add: PermissionItems,
    #[serde(default, deserialize_with = "null_as_default")]
    pub remove: PermissionItems,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PermissionItems {
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<PermissionItem>,
}

/// One grantee: an account, `group: all` (everyone), an organization or an
/// organizational unit. Keys CloudTrail may add later are kept in `other`
/// so that an item is never silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionItem {
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub organization_arn: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub organizational_unit_arn: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// `responseElements` of `DisableImageBlockPublicAccess`
/// (`imageBlockPublicAccessState`) and `DisableSnapshotBlockPublicAccess` (`state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockPublicAccessResponse {
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub image_block_public_access_state: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_trimmed_string")]
    pub state: Option<String>,
}

impl BlockPublicAccessResponse {
    /// The state the account's block public access is in after the call.
    pub fn new_state(&self) -> Option<&str> {
        self.image_block_public_access_state
            .as_deref()
            .or(self.state.as_deref())
    }
}

/// `null` reads as the type's default, as a missing key does.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_event;
    use serde_json::json;

    /// A real call's detail (`events/ami-public.json`, without its request
    /// and response) with the keys of `detail` set over it.
    fn event(detail: Value) -> Value {
        let sample: Value =
            serde_json::from_str(include_str!("../../../events/ami-public.json")).unwrap();
        let mut full = sample["detail"].clone();
        let object = full.as_object_mut().unwrap();
        object.remove("requestParameters");
        object.remove("responseElements");
        for (key, value) in detail.as_object().unwrap() {
            object.insert(key.clone(), value.clone());
        }
        json!({
            "id": "e1",
            "detail-type": API_CALL_DETAIL_TYPE,
            "source": "aws.ec2",
            "detail": full
        })
    }

    fn call(detail: Value) -> ApiCall {
        parse_event::<ApiCall>(&event(detail)).unwrap().detail
    }

    #[test]
    fn reads_the_caller_and_context() {
        let call = call(json!({
            "eventName": " ModifyImageAttribute ",
            "eventSource": "ec2.amazonaws.com",
            "eventTime": "2026-11-22T10:02:03Z",
            "awsRegion": "eu-west-1",
            "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2.15.0",
            "eventID": "0f1e2d3c",
            "errorCode": "",
            "recipientAccountId": "111122223333",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                "accountId": "111122223333",
                "principalId": "AROAEXAMPLE:alice",
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLE",
                        "arn": "arn:aws:iam::111122223333:role/Admin",
                        "accountId": "111122223333",
                        "userName": "Admin"
                    },
                    "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-22T09:55:41Z"}
                }
            },
            "requestParameters": null
        }));
        assert_eq!(call.event_name, "ModifyImageAttribute");
        assert_eq!(call.source_ip_address.as_deref(), Some("203.0.113.10"));
        assert_eq!(call.event_id.as_deref(), Some("0f1e2d3c"));
        assert_eq!(call.error_code, None);
        let issuer = call
            .user_identity
            .session_context
            .and_then(|context| context.session_issuer)
            .unwrap();
        assert_eq!(
            issuer.arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert_eq!(issuer.user_name.as_deref(), Some("Admin"));
        assert_eq!(call.request_parameters, None);
    }

    #[test]
    fn missing_parameters_are_empty() {
        let call = call(json!({"eventName": "DisableImageBlockPublicAccess"}));
        assert_eq!(
            call.request_parameters::<ModifyImageAttributeRequest>(),
            Ok(None)
        );
        assert_eq!(
            call.response_elements::<BlockPublicAccessResponse>(),
            Ok(None)
        );
    }

    /// The crate's type requires what CloudTrail always writes; blank
    /// values still count as absent.
    #[test]
    fn fields_cloudtrail_always_writes_are_required_and_blank_ones_absent() {
        let call = call(
            json!({"eventTime": " ", "awsRegion": "", "userAgent": "", "errorCode": " ", "recipientAccountId": null}),
        );
        assert_eq!(
            (call.event_time, call.aws_region, call.user_agent),
            (None, None, None)
        );
        assert_eq!((call.error_code, call.recipient_account_id), (None, None));
        let error = |detail: Value| {
            parse_event::<ApiCall>(&event(detail))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error(json!({"userIdentity": null})),
            "event field `detail.userIdentity` is malformed: invalid type: null, expected struct UserIdentity"
        );
        let mut missing = event(json!({}));
        missing["detail"]
            .as_object_mut()
            .unwrap()
            .remove("requestID");
        assert_eq!(
            parse_event::<ApiCall>(&missing).unwrap_err().to_string(),
            "event field `detail` is malformed: missing field `requestID`"
        );
        assert_eq!(
            error(json!({"errorCode": 5})),
            "event field `detail.errorCode` is malformed: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn reads_every_item_of_add_and_remove() {
        let call = call(json!({
            "eventName": "ModifyImageAttribute",
            "requestParameters": {
                "imageId": "ami-0abc",
                "launchPermission": {
                    "add": {"items": [
                        {"group": "all"},
                        {"userId": "444455556666"},
                        {"organizationArn": "arn:aws:organizations::111122223333:organization/o-abc123"}
                    ]},
                    "remove": {"items": [
                        {"organizationalUnitArn": "arn:aws:organizations::111122223333:ou/o-abc123/ou-ab12-cdef3456"},
                        {"futureKind": "x"}
                    ]}
                },
                "attributeType": "launchPermission"
            }
        }));
        let request: ModifyImageAttributeRequest = call.request_parameters().unwrap().unwrap();
        assert_eq!(request.image_id, "ami-0abc");
        let changes = request.launch_permission.unwrap();
        assert_eq!(changes.add.items.len(), 3);
        assert_eq!(changes.add.items[0].group.as_deref(), Some("all"));
        assert_eq!(
            changes.add.items[1].user_id.as_deref(),
            Some("444455556666")
        );
        assert!(changes.add.items[2].organization_arn.is_some());
        assert_eq!(changes.remove.items.len(), 2);
        assert!(changes.remove.items[0].organizational_unit_arn.is_some());
        assert_eq!(changes.remove.items[1].other["futureKind"], "x");
    }

    #[test]
    fn items_and_lists_may_be_absent_or_null() {
        let call = call(json!({
            "eventName": "ModifySnapshotAttribute",
            "requestParameters": {
                "snapshotId": "snap-1",
                "createVolumePermission": {"add": {}, "remove": null},
                "attributeType": "CREATE_VOLUME_PERMISSION"
            }
        }));
        let request: ModifySnapshotAttributeRequest = call.request_parameters().unwrap().unwrap();
        assert_eq!(request.snapshot_id, "snap-1");
        assert_eq!(
            request.create_volume_permission,
            Some(PermissionChanges::default())
        );
    }

    #[test]
    fn description_changes_carry_the_new_value() {
        let call = call(json!({
            "eventName": "ModifyImageAttribute",
            "requestParameters": {"imageId": "ami-1", "description": {"value": "golden image"}, "attributeType": "description"}
        }));
        let request: ModifyImageAttributeRequest = call.request_parameters().unwrap().unwrap();
        assert_eq!(request.attribute_type.as_deref(), Some("description"));
        assert_eq!(
            request.description.and_then(|d| d.value).as_deref(),
            Some("golden image")
        );
        assert_eq!(request.launch_permission, None);
    }

    #[test]
    fn parameter_errors_name_the_full_path() {
        let missing_image =
            call(json!({"eventName": "ModifyImageAttribute", "requestParameters": {}}));
        assert_eq!(
            missing_image
                .request_parameters::<ModifyImageAttributeRequest>()
                .unwrap_err()
                .to_string(),
            "event field `detail.requestParameters` is malformed: missing field `imageId`"
        );
        let bad_items = call(json!({
            "eventName": "ModifyImageAttribute",
            "requestParameters": {"imageId": "ami-1", "launchPermission": {"add": {"items": "all"}}}
        }));
        let error = bad_items
            .request_parameters::<ModifyImageAttributeRequest>()
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "event field `detail.requestParameters.launchPermission.add.items` is malformed"
            ),
            "{error}"
        );
        let not_object =
            call(json!({"eventName": "ModifyImageAttribute", "requestParameters": "x"}));
        assert_eq!(
            not_object
                .request_parameters::<ModifyImageAttributeRequest>()
                .unwrap_err()
                .to_string(),
            "event field `detail.requestParameters` is malformed: expected an object, got a string"
        );
    }

    #[test]
    fn block_public_access_state_comes_from_either_response_key() {
        let image = call(
            json!({"eventName": "DisableImageBlockPublicAccess", "requestParameters": {}, "responseElements": {"imageBlockPublicAccessState": "unblocked"}}),
        );
        let snapshot = call(
            json!({"eventName": "DisableSnapshotBlockPublicAccess", "responseElements": {"state": "unblocked"}}),
        );
        for call in [image, snapshot] {
            let response: BlockPublicAccessResponse = call.response_elements().unwrap().unwrap();
            assert_eq!(response.new_state(), Some("unblocked"));
        }
    }
}
