//! The imperative shell: with `REMEDIATE_PUBLIC_SHARING` on, the EC2 calls
//! that make a public image or snapshot private again. The account alias
//! comes from `watchkeeper_shared::account`; publishing goes through the
//! shared publisher.

use aws_sdk_ec2::error::ProvideErrorMetadata;

use crate::decide::{
    CallFailure, PUBLIC_OK_TAG, RemediationOutcome, UndoStep, classify_failure, is_exempt,
    undo_step,
};
use crate::input::{Resource, ResourceKind};

/// A remediation call that failed in a way a retry may fix (throttling, a
/// fault): the invocation fails so that Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[error("EC2 {call} on {resource} failed while making it private: {message}")]
pub struct RemediationError {
    pub call: &'static str,
    pub resource: String,
    pub message: String,
}

impl watchkeeper_shared::runtime::InvocationError for RemediationError {
    fn kind(&self) -> watchkeeper_shared::runtime::ErrorKind {
        watchkeeper_shared::runtime::ErrorKind::AwsError
    }
}

/// Makes a resource that was made public private again, if it still is:
/// reads its exemption tag and its current permission, then removes
/// `group: all` and nothing else. A refused call (`UnauthorizedOperation`)
/// or a resource that is gone ends it with that outcome; any other failure
/// is an error.
pub async fn remove_public_permission(
    ec2: &aws_sdk_ec2::Client,
    resource: &Resource,
) -> Result<RemediationOutcome, RemediationError> {
    use aws_sdk_ec2::types::{
        Filter, ImageAttributeName, LaunchPermission, LaunchPermissionModifications, OperationType,
        PermissionGroup, SnapshotAttributeName,
    };
    let id = resource.id.as_str();
    let tags = match ec2
        .describe_tags()
        .filters(Filter::builder().name("resource-id").values(id).build())
        .filters(Filter::builder().name("key").values(PUBLIC_OK_TAG).build())
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return failed("DescribeTags", resource, error),
    };
    let exempt = tags
        .tags()
        .iter()
        .any(|tag| tag.key() == Some(PUBLIC_OK_TAG) && is_exempt(tag.value()));
    let is_all = |group: Option<&PermissionGroup>| group == Some(&PermissionGroup::All);
    let currently_public = match resource.kind {
        ResourceKind::Image => match ec2
            .describe_image_attribute()
            .image_id(id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
        {
            Ok(output) => output
                .launch_permissions()
                .iter()
                .any(|permission| is_all(permission.group())),
            Err(error) => return failed("DescribeImageAttribute", resource, error),
        },
        ResourceKind::Snapshot => match ec2
            .describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
        {
            Ok(output) => output
                .create_volume_permissions()
                .iter()
                .any(|permission| is_all(permission.group())),
            Err(error) => return failed("DescribeSnapshotAttribute", resource, error),
        },
    };
    if let UndoStep::Stop(outcome) = undo_step(exempt, currently_public) {
        return Ok(outcome);
    }
    let removed = match resource.kind {
        ResourceKind::Image => ec2
            .modify_image_attribute()
            .image_id(id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .remove(
                        LaunchPermission::builder()
                            .group(PermissionGroup::All)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|error| failed("ModifyImageAttribute", resource, error)),
        ResourceKind::Snapshot => ec2
            .modify_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .operation_type(OperationType::Remove)
            .group_names("all")
            .send()
            .await
            .map(|_| ())
            .map_err(|error| failed("ModifySnapshotAttribute", resource, error)),
    };
    match removed {
        Ok(()) => Ok(RemediationOutcome::MadePrivate),
        Err(ended) => ended,
    }
}

/// A failed call: denied or not found end the remediation with that
/// outcome; anything else is an error naming the call.
fn failed<E, R>(
    call: &'static str,
    resource: &Resource,
    error: aws_sdk_ec2::error::SdkError<E, R>,
) -> Result<RemediationOutcome, RemediationError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().map(str::to_owned);
    match classify_failure(code.as_deref()) {
        CallFailure::Denied => Ok(RemediationOutcome::Denied {
            call: call.to_owned(),
            error_code: code.unwrap_or_default(),
            error_message: error.message().map(str::to_owned),
        }),
        CallFailure::NotFound => Ok(RemediationOutcome::NotFound),
        CallFailure::Retry => Err(RemediationError {
            call,
            resource: resource.id.clone(),
            message: aws_sdk_ec2::error::DisplayErrorContext(&error).to_string(),
        }),
    }
}
