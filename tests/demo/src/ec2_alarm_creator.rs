use aws_config::SdkConfig;
use ec2_alarm_creator::{App, Report, handle};
use testbed::Bed;
use testbed::events::{load, with_detail};
use testbed::sns::SubscribedTopics;

use crate::{heading, step};

pub async fn run(bed: &Bed) {
    let (sdk, topics) = (&bed.sdk, &bed.topics);
    heading("1. EC2 alarm creator");
    let app: App = bed.app(&[]).await;
    let instance_id = testbed::ec2::run_instance(
        sdk,
        &[("Name", "demo-web-1"), ("Environment", "production")],
    )
    .await;
    println!("Launched instance {instance_id} (Name=demo-web-1) in the emulator.");

    step(&format!(
        "events/ec2-instance-running.json for {instance_id}"
    ));
    let running = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        instance_id.as_str(),
    );
    print_report(
        &handle(&app, &running)
            .await
            .expect("running event succeeds"),
    );
    print_alarms(sdk, &format!("watchkeeper-{instance_id}-"), topics).await;

    testbed::ec2::terminate_instance(sdk, &instance_id).await;
    step(&format!(
        "events/ec2-instance-terminated.json for {instance_id}"
    ));
    let terminated = with_detail(
        load("ec2-instance-terminated.json"),
        "instance-id",
        instance_id.as_str(),
    );
    print_report(
        &handle(&app, &terminated)
            .await
            .expect("terminated event succeeds"),
    );
    print_alarms(sdk, &format!("watchkeeper-{instance_id}-"), topics).await;

    step("A running event for the instance, arriving late after it terminated");
    let mut late_running = running.clone();
    late_running["id"] = "3f1c9a2e-8b7d-4c6e-9f10-2a3b4c5d6e7f".into();
    print_report(
        &handle(&app, &late_running)
            .await
            .expect("late running event succeeds"),
    );
    print_alarms(sdk, &format!("watchkeeper-{instance_id}-"), topics).await;

    step("The first running event delivered a second time (EventBridge delivers at least once)");
    print_report(
        &handle(&app, &running)
            .await
            .expect("duplicate running event succeeds"),
    );
    println!(
        "\nOperators receive CloudWatch's own alarm notifications from these alarms: \
         warnings by email, critical alarms by SMS and email."
    );
}

fn print_report(report: &Report) {
    match report {
        Report::Skipped { reason } => println!("  skipped: {reason}"),
        Report::Duplicate { handled } => {
            println!("  duplicate of {}, nothing done", handled.idempotency_key)
        }
        Report::Reconciled {
            reason, outcome, ..
        } => {
            println!("  decision: {reason}");
            println!(
                "  alarms put: {}, alarms deleted: {}",
                outcome.alarms_put.len(),
                outcome.alarms_deleted.len()
            );
        }
    }
}

async fn print_alarms(sdk: &SdkConfig, prefix: &str, topics: &SubscribedTopics) {
    let alarms = testbed::ec2::alarms(sdk, prefix).await;
    if alarms.is_empty() {
        println!("  CloudWatch alarms for this instance: none");
        return;
    }
    println!("  CloudWatch alarms for this instance:");
    for alarm in alarms {
        let topic = alarm
            .alarm_actions()
            .first()
            .map(String::as_str)
            .unwrap_or_default();
        let route = if topic == topics.topics.critical_topic_arn {
            "critical topic (SMS + email)"
        } else {
            "warning topic (email)"
        };
        let comparison = match alarm.comparison_operator().map(|c| c.as_str()) {
            Some("GreaterThanOrEqualToThreshold") => ">=",
            Some("GreaterThanThreshold") => ">",
            Some("LessThanThreshold") => "<",
            _ => "<=",
        };
        println!(
            "    {}\n      {}/{} {} {} for {} x {}s -> {}",
            alarm.alarm_name().unwrap_or_default(),
            alarm.namespace().unwrap_or_default(),
            alarm.metric_name().unwrap_or_default(),
            comparison,
            alarm.threshold().unwrap_or_default(),
            alarm.evaluation_periods().unwrap_or_default(),
            alarm.period().unwrap_or_default(),
            route
        );
    }
}
