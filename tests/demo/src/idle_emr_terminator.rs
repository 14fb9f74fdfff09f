use idle_emr_terminator::{App, Report, handle};
use testbed::Bed;
use testbed::Moto;
use testbed::emr::{
    ClusterSpec, attach_auto_termination_policy, auto_termination_idle_timeout, cluster_state,
    put_history, run_cluster,
};
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

    // EMR's own auto-termination policy, attached by the sweep.
    let notebooks = run_cluster(
        sdk,
        &ClusterSpec {
            name: "notebooks",
            running_step: true,
            ..Default::default()
        },
    )
    .await;
    let legacy = run_cluster(
        sdk,
        &ClusterSpec {
            name: "legacy-etl",
            release_label: Some("emr-6.3.0"),
            ..Default::default()
        },
    )
    .await;
    let shared = run_cluster(
        sdk,
        &ClusterSpec {
            name: "shared-hive",
            ..Default::default()
        },
    )
    .await;
    attach_auto_termination_policy(sdk, &shared, 7200).await;
    put_history(sdk, namespace, metric, &shared, 75, |_| Some(1.0)).await;
    put_history(sdk, namespace, metric, &legacy, 75, |_| Some(0.0)).await;
    println!("\nMore clusters, for EMR's own auto-termination policy:");
    println!("  {notebooks} notebooks    RUNNING, emr-7.1.0, no policy");
    println!("  {legacy} legacy-etl   WAITING, emr-6.3.0, no policy, busy");
    println!("  {shared} shared-hive  WAITING, idle throughout, its own policy (7200 s)");
    let policy = [
        ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
        ("AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS", "3600"),
        ("MINIMUM_AGE_MINUTES", "0"),
    ];
    step("events/emr-sweep-schedule.json with ATTACH_AUTO_TERMINATION_POLICY=true, dry run on");
    let mut settings = vec![("DRY_RUN", "true")];
    settings.extend(policy);
    let dry_policy: App = bed.app(&settings).await;
    let report = handle(&dry_policy, &load("emr-sweep-schedule.json"))
        .await
        .expect("sweep succeeds");
    print_report(&report);
    print_notifications(moto, &report).await;

    step(
        "events/emr-sweep-schedule.json (the next window) with ATTACH_AUTO_TERMINATION_POLICY=true, dry run off",
    );
    let mut settings = vec![("DRY_RUN", "false")];
    settings.extend(policy);
    let live_policy: App = bed.app(&settings).await;
    let next_window = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
        + 900;
    let report =
        idle_emr_terminator::handle_at(&live_policy, &load("emr-sweep-schedule.json"), next_window)
            .await
            .expect("sweep succeeds");
    print_report(&report);
    print_notifications(moto, &report).await;
    println!("\n  Auto-termination policies now (IdleTimeout):");
    for (id, name) in [
        (&busy, "reporting"),
        (&protected, "ml-training"),
        (&notebooks, "notebooks"),
        (&legacy, "legacy-etl"),
        (&shared, "shared-hive"),
    ] {
        let timeout = auto_termination_idle_timeout(sdk, id)
            .await
            .map_or_else(|| "none".to_owned(), |seconds| format!("{seconds} s"));
        println!(
            "    {id} {name}: {timeout} ({})",
            cluster_state(sdk, id).await
        );
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
