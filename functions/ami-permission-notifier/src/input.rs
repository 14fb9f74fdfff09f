//! Parse: a CloudTrail event becomes a typed [`PermissionEvent`], or the
//! reason the function does not watch it.

use std::net::IpAddr;

use watchkeeper_shared::events::cloudtrail::{
    ApiCall, BlockPublicAccessResponse, DISABLE_IMAGE_BLOCK_PUBLIC_ACCESS,
    DISABLE_SNAPSHOT_BLOCK_PUBLIC_ACCESS, EC2_EVENT_SOURCE, MODIFY_IMAGE_ATTRIBUTE,
    MODIFY_SNAPSHOT_ATTRIBUTE, ModifyImageAttributeRequest, ModifySnapshotAttributeRequest,
    PermissionChanges, PermissionItem,
};
use watchkeeper_shared::events::{EventBridgeEvent, EventError};

use crate::config::OrganizationIds;
use crate::decide::SkipReason;

/// Switches on, or changes the mode of, block public access for AMIs.
pub const ENABLE_IMAGE_BLOCK_PUBLIC_ACCESS: &str = "EnableImageBlockPublicAccess";
/// Switches on, or changes the mode of, block public access for snapshots.
pub const ENABLE_SNAPSHOT_BLOCK_PUBLIC_ACCESS: &str = "EnableSnapshotBlockPublicAccess";

/// What the event is about: images or snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Image,
    Snapshot,
}

impl ResourceKind {
    /// How operators name it: `AMI` or `Snapshot`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Image => "AMI",
            Self::Snapshot => "Snapshot",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Self::Image => "AMIs",
            Self::Snapshot => "EBS snapshots",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceKind,
    pub id: String,
}

/// Who a permission is granted to or taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// `group: all`: every AWS account.
    Public,
    Account(String),
    Organization {
        arn: String,
        ids: Option<OrganizationIds>,
    },
    OrganizationalUnit {
        arn: String,
        ids: Option<OrganizationIds>,
    },
    /// An item of a kind this function does not know, kept as its JSON text.
    Unrecognised(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionChange {
    pub direction: Direction,
    pub grantee: Grantee,
}

/// What the call asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Launch or create-volume permission changes, every item of `add` then
    /// `remove`. Empty when the request named the permission attribute but
    /// listed no item this function can read.
    Permissions {
        resource: Resource,
        changes: Vec<PermissionChange>,
    },
    /// Any other attribute, such as `description`.
    OtherAttribute {
        resource: Resource,
        attribute: String,
        new_value: Option<String>,
    },
    /// The account's block public access for AMIs or snapshots in the
    /// region was switched on, changed or switched off.
    BlockPublicAccess {
        kind: ResourceKind,
        action: BlockPublicAccessAction,
        /// The state the caller asked for (`Enable*` requests only).
        requested_state: Option<BlockPublicAccessState>,
        /// The state the response says the setting is in now.
        new_state: Option<BlockPublicAccessState>,
    },
}

/// Which of the block public access calls was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPublicAccessAction {
    Enable,
    Disable,
}

/// A block public access state, as the EC2 API names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockPublicAccessState {
    /// Snapshots only: no public sharing, and snapshots shared publicly
    /// before are treated as private.
    BlockAllSharing,
    /// No new public sharing; what was public before stays public.
    BlockNewSharing,
    Unblocked,
    /// A value this function does not know, kept as written.
    Other(String),
}

impl BlockPublicAccessState {
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "block-all-sharing" => Self::BlockAllSharing,
            "block-new-sharing" => Self::BlockNewSharing,
            "unblocked" => Self::Unblocked,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::BlockAllSharing => "block-all-sharing",
            Self::BlockNewSharing => "block-new-sharing",
            Self::Unblocked => "unblocked",
            Self::Other(text) => text,
        }
    }
}

impl Request {
    /// The image or snapshot the call is about; `None` for an account-wide setting.
    pub fn resource(&self) -> Option<&Resource> {
        match self {
            Self::Permissions { resource, .. } | Self::OtherAttribute { resource, .. } => {
                Some(resource)
            }
            Self::BlockPublicAccess { .. } => None,
        }
    }
}

/// The state field of an `Enable*BlockPublicAccess` request (`state` for
/// snapshots, `imageBlockPublicAccessState` for AMIs), however CloudTrail
/// capitalises it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockPublicAccessRequest {
    #[serde(
        default,
        alias = "State",
        deserialize_with = "watchkeeper_shared::events::lenient::optional_trimmed_string"
    )]
    state: Option<String>,
    #[serde(
        default,
        alias = "ImageBlockPublicAccessState",
        deserialize_with = "watchkeeper_shared::events::lenient::optional_trimmed_string"
    )]
    image_block_public_access_state: Option<String>,
}

/// Where the call came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Ip(String),
    /// `sourceIPAddress` held a service name such as `autoscaling.amazonaws.com`.
    AwsService(String),
    Unknown,
}

impl Origin {
    pub fn from_source(source: Option<&str>) -> Self {
        match source {
            None => Self::Unknown,
            Some(text) if text.parse::<IpAddr>().is_ok() => Self::Ip(text.to_owned()),
            Some(text) => Self::AwsService(text.to_owned()),
        }
    }
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub identity_type: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub principal_id: Option<String>,
    /// For an assumed role: the role's ARN and name (`sessionContext.sessionIssuer`).
    pub role_arn: Option<String>,
    pub role_name: Option<String>,
    /// For an assumed role: the last segment of the assumed-role ARN.
    pub session_name: Option<String>,
    pub invoked_by: Option<String>,
}

/// A call this function watches, with everything an operator is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionEvent {
    /// The EventBridge event id.
    pub event_id: String,
    pub event_name: String,
    /// CloudTrail's own `eventID`.
    pub cloudtrail_event_id: Option<String>,
    pub event_time: Option<String>,
    pub region: Option<String>,
    /// The account the resource lives in.
    pub account_id: Option<String>,
    pub origin: Origin,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub caller: Caller,
    pub request: Request,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Watched(Box<PermissionEvent>),
    NotWatched { reason: SkipReason },
}

/// Reads the watched calls; malformed request parameters are errors naming the field.
pub fn read(event: &EventBridgeEvent<ApiCall>) -> Result<Input, EventError> {
    let call = &event.detail;
    if !call.event_source.is_empty() && call.event_source != EC2_EVENT_SOURCE {
        return Ok(Input::NotWatched {
            reason: SkipReason::OtherEventSource {
                event_source: call.event_source.clone(),
            },
        });
    }
    let request = match call.event_name.as_str() {
        MODIFY_IMAGE_ATTRIBUTE => {
            let parameters: ModifyImageAttributeRequest = required_parameters(call, "imageId")?;
            image_request(parameters)
        }
        MODIFY_SNAPSHOT_ATTRIBUTE => {
            let parameters: ModifySnapshotAttributeRequest =
                required_parameters(call, "snapshotId")?;
            snapshot_request(parameters)
        }
        DISABLE_IMAGE_BLOCK_PUBLIC_ACCESS
        | DISABLE_SNAPSHOT_BLOCK_PUBLIC_ACCESS
        | ENABLE_IMAGE_BLOCK_PUBLIC_ACCESS
        | ENABLE_SNAPSHOT_BLOCK_PUBLIC_ACCESS => {
            let name = call.event_name.as_str();
            let kind = if name == DISABLE_IMAGE_BLOCK_PUBLIC_ACCESS
                || name == ENABLE_IMAGE_BLOCK_PUBLIC_ACCESS
            {
                ResourceKind::Image
            } else {
                ResourceKind::Snapshot
            };
            let action = if name.starts_with("Enable") {
                BlockPublicAccessAction::Enable
            } else {
                BlockPublicAccessAction::Disable
            };
            let requested_state = match action {
                BlockPublicAccessAction::Enable => {
                    let request: Option<BlockPublicAccessRequest> = call.request_parameters()?;
                    request
                        .and_then(|r| r.image_block_public_access_state.or(r.state))
                        .filter(|state| !state.trim().is_empty())
                        .map(|state| BlockPublicAccessState::parse(&state))
                }
                BlockPublicAccessAction::Disable => None,
            };
            let response: Option<BlockPublicAccessResponse> = call.response_elements()?;
            Request::BlockPublicAccess {
                kind,
                action,
                requested_state,
                new_state: response
                    .as_ref()
                    .and_then(|r| r.new_state())
                    .map(BlockPublicAccessState::parse),
            }
        }
        other => {
            return Ok(Input::NotWatched {
                reason: SkipReason::ApiCallNotWatched {
                    event_name: other.to_owned(),
                },
            });
        }
    };
    Ok(Input::Watched(Box::new(PermissionEvent {
        event_id: event.id.clone(),
        event_name: call.event_name.clone(),
        cloudtrail_event_id: call.event_id.clone(),
        event_time: call.event_time.clone().or_else(|| non_empty(&event.time)),
        region: call.aws_region.clone().or_else(|| non_empty(&event.region)),
        account_id: call
            .recipient_account_id
            .clone()
            .or_else(|| non_empty(&event.account))
            .or_else(|| call.user_identity.account_id.clone()),
        origin: Origin::from_source(call.source_ip_address.as_deref()),
        user_agent: call.user_agent.clone(),
        error_code: call.error_code.clone(),
        error_message: call.error_message.clone(),
        caller: caller(call),
        request,
    })))
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Without its parameters a modify call names no resource, so `null` is an error.
fn required_parameters<T: serde::de::DeserializeOwned>(
    call: &ApiCall,
    id_field: &str,
) -> Result<T, EventError> {
    call.request_parameters()?.ok_or_else(|| EventError::Field {
        path: "detail.requestParameters".to_owned(),
        problem: format!(
            "{} needs requestParameters with `{id_field}`, got none",
            call.event_name
        ),
    })
}

/// `launchPermission`, however CloudTrail spells the attribute type.
fn is_attribute(attribute_type: &str, wanted: &str) -> bool {
    attribute_type.replace('_', "").eq_ignore_ascii_case(wanted)
}

fn image_request(parameters: ModifyImageAttributeRequest) -> Request {
    let resource = Resource {
        kind: ResourceKind::Image,
        id: parameters.image_id,
    };
    let names_other_attribute = parameters
        .attribute_type
        .as_deref()
        .is_some_and(|attribute| !is_attribute(attribute, "launchPermission"));
    match (parameters.launch_permission, names_other_attribute) {
        (Some(changes), _) => Request::Permissions {
            resource,
            changes: permission_changes(&changes),
        },
        (None, true) => Request::OtherAttribute {
            resource,
            attribute: parameters.attribute_type.unwrap_or_default(),
            new_value: parameters.description.and_then(|d| d.value),
        },
        (None, false) if parameters.description.is_some() => Request::OtherAttribute {
            resource,
            attribute: "description".to_owned(),
            new_value: parameters.description.and_then(|d| d.value),
        },
        // Named launch permission (or nothing at all) but no readable items:
        // report it rather than risk missing a share.
        (None, false) => Request::Permissions {
            resource,
            changes: Vec::new(),
        },
    }
}

fn snapshot_request(parameters: ModifySnapshotAttributeRequest) -> Request {
    let resource = Resource {
        kind: ResourceKind::Snapshot,
        id: parameters.snapshot_id,
    };
    match (
        parameters.create_volume_permission,
        parameters.attribute_type,
    ) {
        (None, Some(attribute)) if !is_attribute(&attribute, "createVolumePermission") => {
            Request::OtherAttribute {
                resource,
                attribute,
                new_value: None,
            }
        }
        (changes, _) => Request::Permissions {
            resource,
            changes: changes.as_ref().map(permission_changes).unwrap_or_default(),
        },
    }
}

fn permission_changes(changes: &PermissionChanges) -> Vec<PermissionChange> {
    let added = changes
        .add
        .items
        .iter()
        .flat_map(|item| grantees(item).into_iter().map(|g| (Direction::Add, g)));
    let removed = changes
        .remove
        .items
        .iter()
        .flat_map(|item| grantees(item).into_iter().map(|g| (Direction::Remove, g)));
    added
        .chain(removed)
        .map(|(direction, grantee)| PermissionChange { direction, grantee })
        .collect()
}

/// Every grantee an item names; an item never names none.
fn grantees(item: &PermissionItem) -> Vec<Grantee> {
    let mut found = Vec::new();
    match item.group.as_deref() {
        Some(group) if group.eq_ignore_ascii_case("all") => found.push(Grantee::Public),
        Some(group) => found.push(Grantee::Unrecognised(format!("group {group}"))),
        None => {}
    }
    if let Some(account) = &item.user_id {
        found.push(Grantee::Account(account.clone()));
    }
    if let Some(arn) = &item.organization_arn {
        found.push(Grantee::Organization {
            arn: arn.clone(),
            ids: OrganizationIds::from_arn(arn),
        });
    }
    if let Some(arn) = &item.organizational_unit_arn {
        found.push(Grantee::OrganizationalUnit {
            arn: arn.clone(),
            ids: OrganizationIds::from_arn(arn),
        });
    }
    for (key, value) in &item.other {
        found.push(Grantee::Unrecognised(format!("{key} {value}")));
    }
    if found.is_empty() {
        found.push(Grantee::Unrecognised("an empty item".to_owned()));
    }
    found
}

fn caller(call: &ApiCall) -> Caller {
    let identity = &call.user_identity;
    let issuer = identity
        .session_context
        .as_ref()
        .and_then(|context| context.session_issuer.as_ref());
    let is_assumed_role = identity.identity_type.as_deref() == Some("AssumedRole");
    Caller {
        identity_type: identity.identity_type.clone(),
        arn: identity.arn.clone(),
        account_id: identity.account_id.clone(),
        principal_id: identity.principal_id.clone(),
        role_arn: issuer
            .and_then(|issuer| issuer.arn.clone())
            .filter(|_| is_assumed_role),
        role_name: issuer
            .and_then(|issuer| issuer.user_name.clone())
            .filter(|_| is_assumed_role),
        session_name: identity
            .arn
            .as_deref()
            .filter(|arn| is_assumed_role && arn.contains(":assumed-role/"))
            .and_then(|arn| arn.rsplit('/').next())
            .map(str::to_owned),
        invoked_by: identity.invoked_by.clone(),
    }
}

#[cfg(test)]
mod tests;
