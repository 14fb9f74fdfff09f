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

    // A second instance, renamed while it runs: the tag change updates
    // its alarms' descriptions without a stop and start.
    let renamed = testbed::ec2::run_instance(sdk, &[("Name", "demo-web-2")]).await;
    let running = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        renamed.as_str(),
    );
    let mut running = running;
    running["id"] = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d".into();
    handle(&app, &running)
        .await
        .expect("running event succeeds");
    aws_sdk_ec2::Client::new(sdk)
        .create_tags()
        .resources(&renamed)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("demo-web-2-checkout")
                .build(),
        )
        .send()
        .await
        .expect("CreateTags");
    step(&format!(
        "events/ec2-instance-tag-change.json: {renamed} renamed demo-web-2-checkout while running"
    ));
    let mut tag_change = load("ec2-instance-tag-change.json");
    tag_change["resources"] = serde_json::json!([format!(
        "arn:aws:ec2:eu-west-1:123456789012:instance/{renamed}"
    )]);
    tag_change["detail"]["changed-tag-keys"] = serde_json::json!(["Name"]);
    print_report(
        &handle(&app, &tag_change)
            .await
            .expect("tag change succeeds"),
    );
    for alarm in testbed::ec2::alarms(sdk, &format!("watchkeeper-{renamed}-")).await {
        println!(
            "    {}
      {}",
            alarm.alarm_name().unwrap_or_default(),
            alarm.alarm_description().unwrap_or_default()
        );
    }

    // Events lost: the renamed instance terminates and a third launches
    // without the function hearing of either; the sweep catches up.
    testbed::ec2::terminate_instance(sdk, &renamed).await;
    let unheard = testbed::ec2::run_instance(sdk, &[("Name", "demo-batch-1")]).await;
    step(&format!(
        "events/ec2-alarm-sweep-schedule.json, after {renamed} terminated and {unheard} launched unheard"
    ));
    print_report(
        &handle(&app, &load("ec2-alarm-sweep-schedule.json"))
            .await
            .expect("the sweep succeeds"),
    );
    print_alarms(sdk, "watchkeeper-", topics).await;

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
            if !outcome.deferred.is_empty() {
                println!(
                    "  deferred until the agent publishes: {}",
                    outcome.deferred.join(", ")
                );
            }
        }
        Report::Swept { sweep } => {
            println!("  swept {} running instance(s)", sweep.instances);
            for name in &sweep.alarms_put {
                println!("  put (missing or drifted): {name}");
            }
            for name in &sweep.alarms_deleted {
                println!("  deleted (instance gone or not selected): {name}");
            }
            for deferred in &sweep.deferred {
                println!("  deferred (no series yet): {deferred}");
            }
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
