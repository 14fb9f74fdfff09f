//! Instances and alarms in the emulated account.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};

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
