//! Instances and alarms in the emulated account.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};

use crate::Moto;

/// What the next `DescribeInstances` answers for one instance show instead
/// of moto's own view, as an eventually consistent read of EC2 may: moto's
/// instance, and what `DescribeTags` says about it, stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaleRead {
    state: Option<&'static str>,
    omit_state: bool,
    omit_tags: bool,
    missing: Option<&'static str>,
}

impl StaleRead {
    /// The instance shown in `state` (`pending`, `stopped`, ...).
    pub fn state(state: &'static str) -> Self {
        Self {
            state: Some(state),
            ..Self::default()
        }
    }

    /// The instance shown with no `State` at all.
    pub fn without_state() -> Self {
        Self {
            omit_state: true,
            ..Self::default()
        }
    }

    /// The instance shown without its `Tags` list, as EC2 shows an
    /// instance that has no tags.
    pub fn without_tags() -> Self {
        Self {
            omit_tags: true,
            ..Self::default()
        }
    }

    /// This, and the instance shown without its `Tags` list too.
    pub fn and_without_tags(self) -> Self {
        Self {
            omit_tags: true,
            ..self
        }
    }

    /// Not listed: EC2's `InvalidInstanceID.NotFound` error.
    pub fn not_found() -> Self {
        Self {
            missing: Some("error"),
            ..Self::default()
        }
    }

    /// Not listed: an answer with no reservations.
    pub fn no_reservations() -> Self {
        Self {
            missing: Some("empty"),
            ..Self::default()
        }
    }
}

/// Makes the next `count` `DescribeInstances` answers naming `instance_id`
/// show `read`.
pub async fn stale_reads(moto: &Moto, instance_id: &str, read: StaleRead, count: u32) {
    let body = serde_json::json!({
        "instance_id": instance_id,
        "count": count,
        "state": read.state,
        "omit_state": read.omit_state,
        "omit_tags": read.omit_tags,
        "missing": read.missing,
    });
    crate::http_request(
        moto.port,
        "POST",
        "/_testbed/ec2/stale-reads",
        &body.to_string(),
    )
    .await;
}

/// Launches one instance with the given tags and returns its id.
pub async fn run_instance(sdk: &SdkConfig, tags: &[(&str, &str)]) -> String {
    let mut request = aws_sdk_ec2::Client::new(sdk)
        .run_instances()
        .image_id("ami-0123456789abcdef0")
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1);
    if !tags.is_empty() {
        request = request.tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                        .collect(),
                ))
                .build(),
        );
    }
    request.send().await.expect("RunInstances").instances()[0]
        .instance_id()
        .expect("instance id")
        .to_owned()
}

pub async fn terminate_instance(sdk: &SdkConfig, instance_id: &str) {
    aws_sdk_ec2::Client::new(sdk)
        .terminate_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .expect("TerminateInstances");
}

/// Every metric alarm whose name starts with `prefix`, across all pages.
pub async fn alarms(sdk: &SdkConfig, prefix: &str) -> Vec<MetricAlarm> {
    let mut alarms = Vec::new();
    let mut pages = aws_sdk_cloudwatch::Client::new(sdk)
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        alarms.extend(
            page.expect("DescribeAlarms")
                .metric_alarms()
                .iter()
                .cloned(),
        );
    }
    alarms
}

/// The sorted names of the alarms whose names start with `prefix`.
pub async fn alarm_names(sdk: &SdkConfig, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = alarms(sdk, prefix)
        .await
        .iter()
        .filter_map(|alarm| alarm.alarm_name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// An AMI in the emulated account, made public and shared with account
/// `shared_with`, tagged with `tags`, as a user making it public would
/// leave it. Returns its id.
pub async fn public_image(sdk: &SdkConfig, shared_with: &str, tags: &[(&str, &str)]) -> String {
    use aws_sdk_ec2::types::{LaunchPermission, LaunchPermissionModifications, PermissionGroup};
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let instance = run_instance(sdk, &[]).await;
    let image = ec2
        .create_image()
        .instance_id(&instance)
        .name(format!("watchkeeper-test-image-{instance}"))
        .send()
        .await
        .expect("CreateImage")
        .image_id()
        .expect("image id")
        .to_owned();
    ec2.modify_image_attribute()
        .image_id(&image)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(
                    LaunchPermission::builder()
                        .group(PermissionGroup::All)
                        .build(),
                )
                .add(LaunchPermission::builder().user_id(shared_with).build())
                .build(),
        )
        .send()
        .await
        .expect("ModifyImageAttribute");
    tag_resource(sdk, &image, tags).await;
    image
}

/// An EBS snapshot in the emulated account, made public and shared with
/// account `shared_with`. Returns its id.
pub async fn public_snapshot(sdk: &SdkConfig, shared_with: &str) -> String {
    use aws_sdk_ec2::types::{OperationType, SnapshotAttributeName};
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let volume = ec2
        .create_volume()
        .size(1)
        .availability_zone(format!("{}a", crate::REGION))
        .send()
        .await
        .expect("CreateVolume")
        .volume_id()
        .expect("volume id")
        .to_owned();
    let snapshot = ec2
        .create_snapshot()
        .volume_id(volume)
        .send()
        .await
        .expect("CreateSnapshot")
        .snapshot_id()
        .expect("snapshot id")
        .to_owned();
    for (groups, users) in [(vec!["all"], vec![]), (vec![], vec![shared_with])] {
        ec2.modify_snapshot_attribute()
            .snapshot_id(&snapshot)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .operation_type(OperationType::Add)
            .set_group_names(Some(groups.into_iter().map(str::to_owned).collect()))
            .set_user_ids(Some(users.into_iter().map(str::to_owned).collect()))
            .send()
            .await
            .expect("ModifySnapshotAttribute");
    }
    snapshot
}

/// Tags `resource` (an image, snapshot, instance, ...) with `tags`.
pub async fn tag_resource(sdk: &SdkConfig, resource: &str, tags: &[(&str, &str)]) {
    if tags.is_empty() {
        return;
    }
    let mut request = aws_sdk_ec2::Client::new(sdk)
        .create_tags()
        .resources(resource);
    for (key, value) in tags {
        request = request.tags(Tag::builder().key(*key).value(*value).build());
    }
    request.send().await.expect("CreateTags");
}

/// Who may launch `image` now: `all` for the public, else account ids.
pub async fn launch_permissions(sdk: &SdkConfig, image: &str) -> Vec<String> {
    aws_sdk_ec2::Client::new(sdk)
        .describe_image_attribute()
        .image_id(image)
        .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("DescribeImageAttribute")
        .launch_permissions()
        .iter()
        .map(|p| permission(p.group().map(|g| g.as_str()), p.user_id()))
        .collect()
}

/// Who may create volumes from `snapshot` now: `all` for the public, else
/// account ids.
pub async fn create_volume_permissions(sdk: &SdkConfig, snapshot: &str) -> Vec<String> {
    aws_sdk_ec2::Client::new(sdk)
        .describe_snapshot_attribute()
        .snapshot_id(snapshot)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .expect("DescribeSnapshotAttribute")
        .create_volume_permissions()
        .iter()
        .map(|p| permission(p.group().map(|g| g.as_str()), p.user_id()))
        .collect()
}

fn permission(group: Option<&str>, user_id: Option<&str>) -> String {
    group.or(user_id).unwrap_or_default().to_owned()
}
