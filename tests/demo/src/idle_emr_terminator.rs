use idle_emr_terminator::{App, Report, handle};
use testbed::Bed;
use testbed::Moto;
use testbed::emr::{ClusterSpec, cluster_state, put_history, run_cluster};
use testbed::events::load;

use crate::{heading, print_chat, step};

pub async fn run(bed: &Bed) {
    let (moto, sdk) = (&bed.moto, &bed.sdk);
    heading("3. Idle EMR terminator");
    // The emulator's clusters were created a moment ago.
    let dry_run: App = bed
        .app(&[("DRY_RUN", "true"), ("MINIMUM_AGE_MINUTES", "0")])
        .await;
    let live: App = bed
        .app(&[("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")])
        .await;
    let idle = run_cluster(
        sdk,
        &ClusterSpec {
            name: "analytics-adhoc",
            tags: &[("team", "analytics"), ("owner", "dana")],
            ..Default::default()
        },
    )
    .await;
    let busy = run_cluster(
        sdk,
        &ClusterSpec {
            name: "reporting",
            ..Default::default()
        },
    )
    .await;
    let protected = run_cluster(
        sdk,
        &ClusterSpec {
            name: "ml-training",
            termination_protected: true,
            ..Default::default()
        },
    )
    .await;
    let (namespace, metric) = ("AWS/ElasticMapReduce", "IsIdle");
    put_history(sdk, namespace, metric, &idle, 75, |_| Some(1.0)).await;
    put_history(sdk, namespace, metric, &busy, 75, |ago| {
        Some(if ago == 12 { 0.0 } else { 1.0 })
    })
    .await;
    put_history(sdk, namespace, metric, &protected, 75, |_| Some(1.0)).await;
    println!("Clusters in the emulator (all WAITING), with 75 minutes of IsIdle history:");
    println!("  {idle} analytics-adhoc  idle throughout");
    println!("  {busy} reporting        busy 12 minutes ago");
    println!("  {protected} ml-training      idle throughout, termination-protected");

    step(&format!(
        "events/emr-idle-alarm-sns.json (alarm ALARM for {idle}), dry run on (the default)"
    ));
    let alarm = load("emr-idle-alarm-sns.json")
        .to_string()
        .replace("j-2AXXXXXXGAPLF", &idle);
    let alarm = serde_json::from_str(&alarm).expect("JSON");
    let report = handle(&dry_run, &alarm).await.expect("alarm succeeds");
    print_report(&report);
    print_notifications(moto, &report).await;

    step("events/emr-sweep-schedule.json (scheduled sweep), dry run off");
    let report = handle(&live, &load("emr-sweep-schedule.json"))
        .await
        .expect("sweep succeeds");
    print_report(&report);
    print_notifications(moto, &report).await;
    println!("\n  Cluster states now:");
    for (id, name) in [
        (&idle, "analytics-adhoc"),
        (&busy, "reporting"),
        (&protected, "ml-training"),
    ] {
        println!("    {id} {name}: {}", cluster_state(sdk, id).await);
    }
}

fn print_report(report: &Report) {
    match report {
        Report::Skipped { reason } => println!("  skipped: {reason}"),
        Report::Checked { clusters } => {
            for cluster in clusters {
                println!(
                    "  {}: {} ({})",
                    cluster.cluster_id, cluster.outcome, cluster.reason
                );
            }
        }
    }
}

/// Prints the notifications the report says were sent, found by their
/// message ids.
async fn print_notifications(moto: &Moto, report: &Report) {
    let Report::Checked { clusters } = report else {
        return;
    };
    let sent: Vec<&str> = clusters
        .iter()
        .filter_map(|cluster| cluster.message_id.as_deref())
        .collect();
    for message in moto
        .published()
        .await
        .iter()
        .filter(|message| sent.contains(&message.message_id.as_str()))
    {
        println!(
            "\n  Notification ({}), subject: {}",
            message.attribute("severity").unwrap_or_default(),
            message.subject.as_deref().unwrap_or_default()
        );
        println!("  SMS: {}", message.body("sms"));
        println!("  Email:");
        for line in message.body("email").lines() {
            println!("    | {line}");
        }
        print_chat(message);
    }
}
