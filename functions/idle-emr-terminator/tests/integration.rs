//! The idle EMR terminator end to end against moto: alarms and sweeps in,
//! clusters terminated, stacks deleted and notifications out.

use watchkeeper_shared::runtime::ErrorKind;
use watchkeeper_shared::runtime::InvocationError;

use serde_json::Value;

use idle_emr_terminator::outcome::ClusterOutcome;
use idle_emr_terminator::{App, ClusterResult, HandlerError, Report, handle};
use testbed::emr::{
    ClusterSpec, attach_auto_termination_policy, auto_termination_idle_timeout, cluster_state,
    create_cluster_stack, hold_steps_waiting, put_history, run_cluster,
};
use testbed::events::load;
use testbed::{Fault, FaultKind};

/// The cluster id in the sample events; tests swap in a real one.
const SAMPLE_CLUSTER_ID: &str = "j-2AXXXXXXGAPLF";
const IS_IDLE: (&str, &str) = ("AWS/ElasticMapReduce", "IsIdle");
const IN_USE: (&str, &str) = ("Watchkeeper/EMR", "ClusterInUse");

/// The test bed, with this function's helpers.
struct Bed(testbed::Bed);

impl std::ops::Deref for Bed {
    type Target = testbed::Bed;

    fn deref(&self) -> &testbed::Bed {
        &self.0
    }
}

impl Bed {
    async fn start() -> Self {
        Self(testbed::Bed::start().await)
    }

    /// Acting for real, with no minimum age, unless `extra` says otherwise.
    fn app(&self, extra: &[(&str, &str)]) -> App {
        let mut settings = vec![("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")];
        settings.extend_from_slice(extra);
        App::from_env(&self.sdk, self.env(&settings)).expect("valid configuration")
    }

    async fn cluster(&self, spec: ClusterSpec<'_>) -> String {
        run_cluster(&self.sdk, &spec).await
    }

    async fn state(&self, cluster_id: &str) -> String {
        cluster_state(&self.sdk, cluster_id).await
    }

    /// The last 75 minutes of `metric`, one datapoint a minute.
    async fn history(
        &self,
        metric: (&str, &str),
        cluster_id: &str,
        value: impl Fn(u64) -> Option<f64>,
    ) {
        put_history(&self.sdk, metric.0, metric.1, cluster_id, 75, value).await;
    }

    /// Steps submitted to the cluster, held in the given states while the
    /// cluster stays WAITING; returns their ids.
    async fn steps(&self, cluster_id: &str, steps: &[(&str, &str)]) -> Vec<String> {
        hold_steps_waiting(&self.moto, &self.sdk, cluster_id, steps).await
    }

    async fn published_subjects(&self) -> Vec<String> {
        self.moto
            .published()
            .await
            .into_iter()
            .map(|message| message.subject.unwrap_or_default())
            .collect()
    }
}

/// A sample event pointed at a cluster the test created.
fn event(name: &str, cluster_id: &str) -> Value {
    let text = load(name)
        .to_string()
        .replace(SAMPLE_CLUSTER_ID, cluster_id);
    serde_json::from_str(&text).expect("still JSON")
}

fn outcomes(report: &Report) -> Vec<(String, String)> {
    match report {
        Report::Skipped { reason } => vec![("-".into(), format!("skipped: {reason}"))],
        Report::Checked { clusters } => clusters
            .iter()
            .map(|result| {
                (
                    result.cluster_id.clone(),
                    result.outcome.as_str().to_owned(),
                )
            })
            .collect(),
    }
}

const TERMINATED_EMAIL: &str = "\
Terminated idle EMR cluster analytics-adhoc (ID)

Severity: WARNING
Cluster: analytics-adhoc (ID)
Action: terminated the cluster (TerminateJobFlows)
Idle: at least 60 minutes (per alarm)
Release: emr-7.1.0
Normalized instance hours: 0
Owning stack: none
Tags: owner=dana, team=analytics
Region: eu-west-1
Console: https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/ID

Why
---
alarm emr-idle-analytics-adhoc changed to ALARM at 2026-11-22 10:00 UTC: Threshold Crossed: 12 out of the last 12 datapoints [1.0 (22/11/26 09:55:00), 1.0 (22/11/26 09:50:00), 1.0 (22/11/26 09:45:00)] were greater than or equal to the threshold (1.0) (minimum 12 datapoints for OK -> ALARM transition).
Guards checked just now: the cluster is WAITING, at least 0 minutes old, has no watchkeeper:keep tag and no step pending or running.

What you can do
---------------
A terminated cluster cannot be restarted; if it was still needed, clone it in the EMR console. To keep a cluster from Watchkeeper, tag it watchkeeper:keep.

--
Sent by Watchkeeper (idle-emr-terminator)
";

#[tokio::test]
async fn sns_alarm_terminates_the_idle_cluster_and_tells_operators_exactly() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            tags: &[("team", "analytics"), ("owner", "dana")],
            ..Default::default()
        })
        .await;
    let bystander = bed
        .cluster(ClusterSpec {
            name: "bystander",
            ..Default::default()
        })
        .await;

    let report = handle(&app, &event("emr-idle-alarm-sns.json", &id))
        .await
        .unwrap();

    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
    assert_eq!(bed.state(&id).await, "TERMINATED");
    assert_eq!(bed.state(&bystander).await, "WAITING");
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    let message = &published[0];
    assert_eq!(message.topic_arn, bed.topics.topics.warning_topic_arn);
    assert_eq!(
        message.subject.as_deref(),
        Some(format!("Terminated idle EMR cluster analytics-adhoc ({id})").as_str())
    );
    assert_eq!(message.body("email"), TERMINATED_EMAIL.replace("ID", &id));
    assert_eq!(
        message.body("sms"),
        format!(
            "WARNING: Terminated idle EMR cluster analytics-adhoc ({id}), idle at least 60 minutes (per alarm)"
        )
    );
    assert_eq!(message.attribute("severity").as_deref(), Some("warning"));
    assert_eq!(
        message.attribute("source").as_deref(),
        Some("idle-emr-terminator")
    );
    let delivered = bed.topics.warning_deliveries().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subject, message.subject);
    assert_eq!(delivered[0].attributes["severity"], "warning");
    assert!(bed.topics.critical_deliveries().await.is_empty());
}

#[tokio::test]
async fn eventbridge_alarm_in_dry_run_only_says_it_would_terminate() {
    let bed = Bed::start().await;
    let app = bed.app(&[("DRY_RUN", "true")]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;

    let report = handle(&app, &event("emr-idle-alarm-eventbridge.json", &id))
        .await
        .unwrap();

    assert_eq!(
        outcomes(&report),
        vec![(id.clone(), "would_terminate".into())]
    );
    assert_eq!(bed.state(&id).await, "WAITING");
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        0
    );
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    let message = &published[0];
    assert_eq!(
        message.subject.as_deref(),
        Some(format!("Dry run: would terminate idle EMR cluster analytics-adhoc ({id})").as_str())
    );
    assert_eq!(
        message.body("sms"),
        format!("INFO: Dry run: would terminate idle EMR cluster analytics-adhoc ({id})")
    );
    assert_eq!(message.attribute("severity").as_deref(), Some("info"));
    let email = message.body("email");
    assert!(
        email.contains("\nAction: none (dry run); would terminate the cluster\n"),
        "{email}"
    );
    assert!(
        email.contains("\nIdle: as long as alarm emr-idle-analytics-adhoc requires\n"),
        "{email}"
    );
    assert!(email.contains("\nTags: none\n"), "{email}");
    assert!(email.contains(
        "Nothing was changed: dry run is on. To let Watchkeeper act, deploy with DryRun=false (DRY_RUN=false)."
    ), "{email}");
    assert_eq!(bed.topics.warning_deliveries().await.len(), 1);
}

#[tokio::test]
async fn ok_transition_changes_and_sends_nothing() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "adhoc",
            ..Default::default()
        })
        .await;

    let report = handle(&app, &event("emr-idle-alarm-ok.json", &id))
        .await
        .unwrap();

    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({
            "result": "skipped",
            "code": "alarm_not_actionable",
            "reason": "alarm emr-idle-analytics-adhoc changed to OK; only a change to ALARM acts"
        })
    );
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "DescribeCluster")
            .await,
        0
    );
    assert_eq!(bed.state(&id).await, "WAITING");
    assert!(bed.moto.published().await.is_empty());
}

#[tokio::test]
async fn metric_math_alarm_names_its_cluster_through_its_metrics() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;

    let report = handle(&app, &event("emr-idle-alarm-metric-math.json", &id))
        .await
        .unwrap();

    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
    assert_eq!(bed.state(&id).await, "TERMINATED");
    let published = bed.moto.published().await;
    assert_eq!(
        published[0].body("sms"),
        format!(
            "WARNING: Terminated idle EMR cluster analytics-adhoc ({id}), idle at least 20 minutes (per alarm)"
        )
    );
    assert!(published[0].body("email").contains(
        "alarm emr-idle-analytics-adhoc-activity changed to ALARM at 2026-11-22 10:00 UTC: Threshold Crossed: 4 out of the last 4 datapoints"
    ));
}

#[tokio::test]
async fn protected_cluster_stays_and_operators_get_an_info_notice() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            termination_protected: true,
            ..Default::default()
        })
        .await;

    let report = handle(&app, &event("emr-idle-alarm-sns.json", &id))
        .await
        .unwrap();

    assert_eq!(outcomes(&report), vec![(id.clone(), "protected".into())]);
    assert_eq!(bed.state(&id).await, "WAITING");
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        0
    );
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject.as_deref(),
        Some(format!("Idle but protected: EMR cluster analytics-adhoc ({id})").as_str())
    );
    assert_eq!(
        published[0].body("sms"),
        format!(
            "INFO: Idle EMR cluster analytics-adhoc ({id}) is termination-protected; left running"
        )
    );
    assert_eq!(published[0].attribute("severity").as_deref(), Some("info"));
    assert!(
        published[0]
            .body("email")
            .contains("\nAction: none: termination protection is on\n")
    );
}

/// Alarm cases where a guard leaves the cluster alone and nothing is sent.
#[tokio::test]
async fn guards_leave_opted_out_young_running_and_unknown_clusters_alone() {
    let bed = Bed::start().await;
    let opted_out = bed
        .cluster(ClusterSpec {
            name: "keep-me",
            tags: &[("watchkeeper:keep", "until friday")],
            ..Default::default()
        })
        .await;
    let running = bed
        .cluster(ClusterSpec {
            name: "etl",
            running_step: true,
            ..Default::default()
        })
        .await;
    let young = bed
        .cluster(ClusterSpec {
            name: "fresh",
            ..Default::default()
        })
        .await;
    assert_eq!(bed.state(&running).await, "RUNNING");

    let app = bed.app(&[]);
    let older_than_an_hour = bed.app(&[("MINIMUM_AGE_MINUTES", "60")]);
    let cases = [
        (
            &app,
            opted_out.clone(),
            "cluster carries the opt-out tag watchkeeper:keep".to_owned(),
        ),
        (
            &app,
            running.clone(),
            "cluster is RUNNING, not WAITING, so it is busy or already going away".to_owned(),
        ),
        (
            &older_than_an_hour,
            young.clone(),
            "cluster is 0 minutes old, younger than the minimum age of 60 minutes".to_owned(),
        ),
        (
            &app,
            "j-3NOSUCHCLUSTER".to_owned(),
            "EMR does not know this cluster".to_owned(),
        ),
    ];
    for (app, id, reason) in cases {
        let report = handle(app, &event("emr-idle-alarm-sns.json", &id))
            .await
            .unwrap();
        assert_eq!(
            report,
            Report::Checked {
                clusters: vec![ClusterResult {
                    cluster_id: id.clone(),
                    outcome: ClusterOutcome::Skipped,
                    reason,
                    message_id: None,
                }]
            }
        );
    }
    assert_eq!(bed.state(&opted_out).await, "WAITING");
    assert_eq!(bed.state(&running).await, "RUNNING");
    assert_eq!(bed.state(&young).await, "WAITING");
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        0
    );
    assert!(bed.moto.published().await.is_empty());
    assert!(bed.topics.warning_deliveries().await.is_empty());
}

#[tokio::test]
async fn malformed_alarm_fails_naming_the_field() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let mut bad = load("emr-idle-alarm-sns.json");
    bad["Records"][0]["Sns"]["Message"] = Value::String("{\"AlarmName\": \"x\"}".into());
    let error = handle(&app, &bad).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadEvent);
    assert_eq!(
        error.to_string(),
        "not a valid idle-alarm or scheduled event: event field `Records[0].Sns.Message` is malformed: `.`: missing field `NewStateValue`"
    );
    let error = handle(&app, &event("emr-idle-alarm-sns.json", "j-bad id"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a valid idle alarm: alarm emr-idle-analytics-adhoc: dimension `JobFlowId` value \"j-bad id\" is not an EMR cluster id (j-...)"
    );
    assert!(bed.moto.published().await.is_empty());
}

#[tokio::test]
async fn sweep_terminates_only_clusters_idle_for_the_whole_window() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let idle = bed
        .cluster(ClusterSpec {
            name: "idle",
            ..Default::default()
        })
        .await;
    let busy = bed
        .cluster(ClusterSpec {
            name: "busy",
            ..Default::default()
        })
        .await;
    let gap = bed
        .cluster(ClusterSpec {
            name: "gap",
            ..Default::default()
        })
        .await;
    let silent = bed
        .cluster(ClusterSpec {
            name: "silent",
            ..Default::default()
        })
        .await;
    let protected = bed
        .cluster(ClusterSpec {
            name: "protected",
            termination_protected: true,
            ..Default::default()
        })
        .await;
    let running = bed
        .cluster(ClusterSpec {
            name: "running",
            running_step: true,
            ..Default::default()
        })
        .await;
    bed.history(IS_IDLE, &idle, |_| Some(1.0)).await;
    bed.history(IS_IDLE, &busy, |ago| {
        Some(if ago == 30 { 0.0 } else { 1.0 })
    })
    .await;
    bed.history(IS_IDLE, &gap, |ago| {
        (!(20..=40).contains(&ago)).then_some(1.0)
    })
    .await;
    bed.history(IS_IDLE, &protected, |_| Some(1.0)).await;
    bed.history(IS_IDLE, &running, |_| Some(1.0)).await;

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    // Only the two idle candidates were described.
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "DescribeCluster")
            .await,
        2
    );
    // With ATTACH_AUTO_TERMINATION_POLICY off (the default), no policy is read.
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "GetAutoTerminationPolicy")
            .await,
        0
    );
    let mut got = outcomes(&report);
    got.sort();
    let mut expected = vec![
        (idle.clone(), "terminated".to_owned()),
        (busy.clone(), "busy".to_owned()),
        (gap.clone(), "no_data".to_owned()),
        (silent.clone(), "no_data".to_owned()),
        (protected.clone(), "protected".to_owned()),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(bed.state(&idle).await, "TERMINATED");
    for id in [&busy, &gap, &silent, &protected] {
        assert_eq!(bed.state(id).await, "WAITING", "{id}");
    }
    assert_eq!(bed.state(&running).await, "RUNNING");
    let mut subjects = bed.published_subjects().await;
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            format!("Idle but protected: EMR cluster protected ({protected})"),
            format!("Terminated idle EMR cluster idle ({idle})"),
        ]
    );
    let published = bed.moto.published().await;
    let terminated = published
        .iter()
        .find(|message| message.body("sms").contains("Terminated"))
        .unwrap();
    assert_eq!(
        terminated.body("sms"),
        format!("WARNING: Terminated idle EMR cluster idle ({idle}), idle at least 60 minutes")
    );
    assert!(terminated.body("email").contains(
        "\nWhy\n---\nall 12 datapoints of AWS/ElasticMapReduce IsIdle (1 = idle) over the last 60 minutes say idle.\n"
    ));
    assert_eq!(bed.topics.warning_deliveries().await.len(), 2);
}

#[tokio::test]
async fn sweep_with_the_custom_metric_reads_zero_as_idle() {
    let bed = Bed::start().await;
    let app = bed.app(&[("METRIC_MODE", "custom"), ("DRY_RUN", "true")]);
    let idle = bed
        .cluster(ClusterSpec {
            name: "idle",
            ..Default::default()
        })
        .await;
    let busy = bed
        .cluster(ClusterSpec {
            name: "busy",
            ..Default::default()
        })
        .await;
    bed.history(IN_USE, &idle, |_| Some(0.0)).await;
    bed.history(IN_USE, &busy, |ago| Some(if ago == 50 { 1.0 } else { 0.0 }))
        .await;
    // EMR's own metric says the busy cluster is idle; the custom metric wins.
    bed.history(IS_IDLE, &busy, |_| Some(1.0)).await;

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    let mut got = outcomes(&report);
    got.sort();
    let mut expected = vec![
        (idle.clone(), "would_terminate".to_owned()),
        (busy.clone(), "busy".to_owned()),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(bed.state(&idle).await, "WAITING");
    assert_eq!(
        bed.published_subjects().await,
        vec![format!(
            "Dry run: would terminate idle EMR cluster idle ({idle})"
        )]
    );
}

#[tokio::test]
async fn stack_mode_deletes_owning_stacks_that_have_a_service_role() {
    let bed = Bed::start().await;
    let app = bed.app(&[("STACK_MODE", "true")]);
    let role = "arn:aws:iam::123456789012:role/emr-stack-deleter";
    let (_, in_stack) = create_cluster_stack(&bed.sdk, "emr-reports", "reports", Some(role)).await;
    let (_, no_role) = create_cluster_stack(&bed.sdk, "emr-no-role", "no-role", None).await;
    let plain = bed
        .cluster(ClusterSpec {
            name: "plain",
            ..Default::default()
        })
        .await;
    for id in [&in_stack, &no_role, &plain] {
        assert_eq!(
            bed.state(id).await,
            "WAITING",
            "moto patch keeps stack clusters alive"
        );
        bed.history(IS_IDLE, id, |_| Some(1.0)).await;
    }

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    let mut got = outcomes(&report);
    got.sort();
    let mut expected = vec![
        (in_stack.clone(), "stack_deleted".to_owned()),
        (no_role.clone(), "terminated".to_owned()),
        (plain.clone(), "terminated".to_owned()),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert!(!testbed::emr::stack_exists(&bed.sdk, "emr-reports").await);
    assert!(testbed::emr::stack_exists(&bed.sdk, "emr-no-role").await);
    for id in [&in_stack, &no_role, &plain] {
        assert_eq!(bed.state(id).await, "TERMINATED", "{id}");
    }
    assert_eq!(
        bed.moto.count_calls("cloudformation", "DeleteStack").await,
        1
    );
    let published = bed.moto.published().await;
    let by_sms = |needle: &str| {
        published
            .iter()
            .find(|message| message.body("sms").contains(needle))
            .unwrap_or_else(|| panic!("no notification for {needle}"))
            .clone()
    };
    let deleted = by_sms(&in_stack);
    assert_eq!(
        deleted.subject.as_deref(),
        Some(
            format!("Deleted stack emr-reports of idle EMR cluster reports ({in_stack})").as_str()
        )
    );
    let email = deleted.body("email");
    assert!(
        email.contains("\nOwning stack: emr-reports (CREATE_COMPLETE)\n"),
        "{email}"
    );
    assert!(email.contains("\nTags: team=analytics\n"), "{email}");
    let fallback = by_sms(&no_role).body("email");
    assert!(fallback.contains(
        "The cluster was terminated rather than its stack deleted: stack emr-no-role is not deleted: it has no service role, and this function has no rights to delete its resources."
    ), "{fallback}");
    assert!(by_sms(&plain).body("email").contains(
        "The cluster was terminated rather than its stack deleted: no CloudFormation stack owns the cluster."
    ));
}

#[tokio::test]
async fn sweep_calls_grow_with_pages_and_batches_not_per_cluster() {
    let bed = Bed::start().await;
    let app = bed.app(&[("DRY_RUN", "true")]);
    let mut ids = Vec::new();
    for index in 0..520 {
        let name = format!("fleet-{index:03}");
        ids.push(
            bed.cluster(ClusterSpec {
                name: &name,
                ..Default::default()
            })
            .await,
        );
    }
    let idle: Vec<&String> = ids.iter().step_by(100).collect();
    for id in &idle {
        bed.history(IS_IDLE, id, |_| Some(1.0)).await;
    }
    let before = bed.moto.calls().await.len();

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    let Report::Checked { clusters } = &report else {
        panic!("a sweep report");
    };
    assert_eq!(clusters.len(), 520);
    assert_eq!(
        clusters
            .iter()
            .filter(|c| c.outcome == ClusterOutcome::WouldTerminate)
            .count(),
        idle.len()
    );
    // moto pages ListClusters by 50, as EMR does.
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "ListClusters")
            .await,
        11
    );
    assert_eq!(bed.moto.count_calls("monitoring", "GetMetricData").await, 2);
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "DescribeCluster")
            .await,
        idle.len()
    );
    let calls = bed.moto.calls().await;
    let sweep_calls: Vec<_> = calls[before..]
        .iter()
        .filter(|call| call.service != "sns")
        .collect();
    // ListSteps only for idle candidates, just before acting.
    assert_eq!(
        bed.moto.count_calls("elasticmapreduce", "ListSteps").await,
        idle.len()
    );
    // Plus one owning-stack lookup and one ListSteps per idle candidate that
    // passed the guards, and per candidate a lease taken and marked done in
    // the idempotency table.
    assert_eq!(
        sweep_calls.len(),
        11 + 2 + idle.len() * 5,
        "{sweep_calls:?}"
    );
}

#[tokio::test]
async fn a_failing_cluster_does_not_stop_the_others_and_every_failure_is_named() {
    // Nothing listens on this port, so every EMR call fails.
    let dead = testbed::sdk_config_for("http://127.0.0.1:9").await;
    let bed = Bed::start().await;
    let mut app = App::from_env(&dead, bed.env(&[("DRY_RUN", "false")])).unwrap();
    // Only EMR is dead: the idempotency table stays reachable.
    app.guard = bed.guard(idle_emr_terminator::handler::NAME);
    let mut alarms = event("emr-idle-alarm-sns.json", "j-1FIRST");
    let second = event("emr-idle-alarm-sns.json", "j-2SECOND")["Records"][0].clone();
    alarms["Records"].as_array_mut().unwrap().push(second);

    let error = handle(&app, &alarms).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    let HandlerError::ClustersFailed { checked, failures } = &error else {
        panic!("{error}");
    };
    assert_eq!(*checked, 2);
    assert_eq!(failures.len(), 2);
    assert!(
        failures[0].starts_with("EMR DescribeCluster for cluster j-1FIRST failed: "),
        "{error}"
    );
    assert!(
        failures[1].starts_with("EMR DescribeCluster for cluster j-2SECOND failed: "),
        "{error}"
    );
    // The cause once, without the SDK's debug output.
    for failure in failures {
        assert!(
            failure.contains(": could not reach the service: "),
            "{failure}"
        );
        assert!(failure.len() < 160, "{failure}");
        for debug in ["DispatchFailure", "ConnectorError", "source:", "{"] {
            assert!(!failure.contains(debug), "{failure}");
        }
    }
    assert!(
        error.to_string().starts_with("2 of 2 clusters failed: "),
        "{error}"
    );
}

#[tokio::test]
async fn the_same_alarm_delivered_twice_terminates_and_notifies_once() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    let alarm = event("emr-idle-alarm-sns.json", &id);

    let first = handle(&app, &alarm).await.unwrap();
    assert_eq!(outcomes(&first), vec![(id.clone(), "terminated".into())]);
    let again = handle(&app, &alarm).await.unwrap();
    let Report::Checked { clusters } = &again else {
        panic!("{again:?}");
    };
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].outcome, ClusterOutcome::Duplicate);
    assert!(
        clusters[0].reason.ends_with(&format!(
            "(idle-emr-terminator#sns:4b7c3a8e-0f5d-5d1e-9a43-1f0e8f2c7d11|{id})"
        )),
        "{}",
        clusters[0].reason
    );
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        1
    );
    assert_eq!(
        bed.published_subjects().await,
        vec![format!(
            "Terminated idle EMR cluster analytics-adhoc ({id})"
        )]
    );
}

#[tokio::test]
async fn the_same_sweep_delivered_twice_notifies_once() {
    let bed = Bed::start().await;
    // Dry run: the sweep only reports, so only the guard stops a repeat.
    let app = bed.app(&[("DRY_RUN", "true")]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    bed.history(IS_IDLE, &id, |_| Some(1.0)).await;
    let sweep = load("emr-sweep-schedule.json");

    let first = handle(&app, &sweep).await.unwrap();
    assert_eq!(
        outcomes(&first),
        vec![(id.clone(), "would_terminate".into())]
    );
    let again = handle(&app, &sweep).await.unwrap();
    assert_eq!(outcomes(&again), vec![(id.clone(), "duplicate".into())]);
    assert_eq!(bed.published_subjects().await.len(), 1);
}

#[tokio::test]
async fn an_attempt_that_fails_after_terminating_is_not_repeated_and_its_retry_sends_the_notice() {
    let bed = Bed::start().await;
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    let alarm = event("emr-idle-alarm-sns.json", &id);
    // The cluster is terminated, then the notification fails.
    let missing_topic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic";
    let failing = bed.app(&[
        ("WARNING_TOPIC_ARN", missing_topic),
        ("CRITICAL_TOPIC_ARN", missing_topic),
    ]);
    let error = handle(&failing, &alarm).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AwsError, "{error}");

    assert!(bed.published_subjects().await.is_empty());

    // The retry, with the topic setting fixed, finds the termination done
    // and its notice pending: it sends the notice and terminates nothing.
    let fixed = bed.app(&[]);
    let report = handle(&fixed, &alarm).await.unwrap();
    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
    assert_eq!(
        bed.published_subjects().await,
        vec![format!(
            "Terminated idle EMR cluster analytics-adhoc ({id})"
        )]
    );
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        1
    );
    let again = handle(&fixed, &alarm).await.unwrap();
    assert_eq!(outcomes(&again), vec![(id.clone(), "duplicate".into())]);
    assert_eq!(bed.published_subjects().await.len(), 1);
}

/// The email for a cluster the alarm found idle but that had just been given
/// a step (fault 4 of issue 13).
const SPARED_EMAIL: &str = "\
Not terminated: EMR cluster analytics-adhoc (ID) has steps queued

Severity: INFO
Cluster: analytics-adhoc (ID)
Action: none: steps are pending or running
Steps: STEP \"nightly-etl\" (PENDING)
Idle: at least 60 minutes (per alarm)
Release: emr-7.1.0
Tags: none
Region: eu-west-1
Console: https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/ID

Why
---
alarm emr-idle-analytics-adhoc changed to ALARM at 2026-11-22 10:00 UTC: Threshold Crossed: 12 out of the last 12 datapoints [1.0 (22/11/26 09:55:00), 1.0 (22/11/26 09:50:00), 1.0 (22/11/26 09:45:00)] were greater than or equal to the threshold (1.0) (minimum 12 datapoints for OK -> ALARM transition).
But ListSteps, checked just before acting, shows 1 step pending: work was submitted after the idleness was measured, so the cluster is not idle.

What you can do
---------------
Nothing. Watchkeeper checks the cluster again on its next idle alarm or sweep, once its steps have finished. To keep a cluster from Watchkeeper, tag it watchkeeper:keep.

--
Sent by Watchkeeper (idle-emr-terminator)
";

#[tokio::test]
async fn alarm_spares_a_waiting_cluster_whose_step_is_pending_and_says_why() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    let steps = bed.steps(&id, &[("nightly-etl", "PENDING")]).await;
    assert_eq!(bed.state(&id).await, "WAITING");

    let report = handle(&app, &event("emr-idle-alarm-sns.json", &id))
        .await
        .unwrap();

    let Report::Checked { clusters } = &report else {
        panic!("{report:?}");
    };
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].outcome, ClusterOutcome::StepsQueued);
    assert_eq!(
        clusters[0].reason,
        format!(
            "cluster has work queued: 1 step pending ({} \"nightly-etl\" (PENDING))",
            steps[0]
        )
    );
    assert!(clusters[0].message_id.is_some());
    assert_eq!(bed.state(&id).await, "WAITING");
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        0
    );
    assert_eq!(
        bed.moto.count_calls("elasticmapreduce", "ListSteps").await,
        1
    );
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    let message = &published[0];
    assert_eq!(
        message.subject.as_deref(),
        Some(
            format!("Not terminated: EMR cluster analytics-adhoc ({id}) has steps queued").as_str()
        )
    );
    assert_eq!(
        message.body("sms"),
        format!("INFO: Not terminated: EMR cluster analytics-adhoc ({id}) has 1 step pending")
    );
    assert_eq!(message.attribute("severity").as_deref(), Some("info"));
    assert_eq!(
        message.body("email"),
        SPARED_EMAIL.replace("ID", &id).replace("STEP", &steps[0])
    );
}

#[tokio::test]
async fn alarm_spares_running_and_cancel_pending_steps_but_terminates_when_every_step_completed() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let finished = bed
        .cluster(ClusterSpec {
            name: "finished",
            ..Default::default()
        })
        .await;
    bed.steps(&finished, &[("etl", "COMPLETED"), ("load", "COMPLETED")])
        .await;
    let running = bed
        .cluster(ClusterSpec {
            name: "running",
            ..Default::default()
        })
        .await;
    bed.steps(&running, &[("etl", "COMPLETED"), ("load", "RUNNING")])
        .await;
    let cancelling = bed
        .cluster(ClusterSpec {
            name: "cancelling",
            ..Default::default()
        })
        .await;
    bed.steps(&cancelling, &[("etl", "CANCEL_PENDING")]).await;

    let mut got = Vec::new();
    for id in [&finished, &running, &cancelling] {
        assert_eq!(bed.state(id).await, "WAITING");
        let report = handle(&app, &event("emr-idle-alarm-sns.json", id))
            .await
            .unwrap();
        got.extend(outcomes(&report));
    }

    assert_eq!(
        got,
        vec![
            (finished.clone(), "terminated".to_owned()),
            (running.clone(), "steps_queued".to_owned()),
            (cancelling.clone(), "steps_queued".to_owned()),
        ]
    );
    assert_eq!(bed.state(&finished).await, "TERMINATED");
    assert_eq!(bed.state(&running).await, "WAITING");
    assert_eq!(bed.state(&cancelling).await, "WAITING");
    let mut sms: Vec<String> = bed
        .moto
        .published()
        .await
        .iter()
        .map(|message| message.body("sms"))
        .collect();
    sms.sort();
    assert_eq!(
        sms,
        vec![
            format!(
                "INFO: Not terminated: EMR cluster cancelling ({cancelling}) has 1 step pending cancellation"
            ),
            format!("INFO: Not terminated: EMR cluster running ({running}) has 1 step running"),
            format!(
                "WARNING: Terminated idle EMR cluster finished ({finished}), idle at least 60 minutes (per alarm)"
            ),
        ]
    );
}

#[tokio::test]
async fn sweep_spares_idle_clusters_with_queued_steps_and_terminates_those_whose_steps_completed() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let queued = bed
        .cluster(ClusterSpec {
            name: "queued",
            ..Default::default()
        })
        .await;
    let steps = bed
        .steps(&queued, &[("etl", "PENDING"), ("load", "PENDING")])
        .await;
    let finished = bed
        .cluster(ClusterSpec {
            name: "finished",
            ..Default::default()
        })
        .await;
    bed.steps(&finished, &[("etl", "COMPLETED"), ("retry", "FAILED")])
        .await;
    let busy = bed
        .cluster(ClusterSpec {
            name: "busy",
            ..Default::default()
        })
        .await;
    for id in [&queued, &finished] {
        bed.history(IS_IDLE, id, |_| Some(1.0)).await;
    }
    bed.history(IS_IDLE, &busy, |ago| {
        Some(if ago == 10 { 0.0 } else { 1.0 })
    })
    .await;

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    let mut got = outcomes(&report);
    got.sort();
    let mut expected = vec![
        (queued.clone(), "steps_queued".to_owned()),
        (finished.clone(), "terminated".to_owned()),
        (busy.clone(), "busy".to_owned()),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(bed.state(&queued).await, "WAITING");
    assert_eq!(bed.state(&finished).await, "TERMINATED");
    // One ListSteps per idle candidate, none for the busy cluster.
    assert_eq!(
        bed.moto.count_calls("elasticmapreduce", "ListSteps").await,
        2
    );
    let Report::Checked { clusters } = &report else {
        panic!("{report:?}");
    };
    let spared = clusters.iter().find(|c| c.cluster_id == queued).unwrap();
    // EMR lists the newest step first.
    assert_eq!(
        spared.reason,
        format!(
            "cluster has work queued: 2 steps pending ({} \"load\" (PENDING), {} \"etl\" (PENDING))",
            steps[1], steps[0]
        )
    );
    let published = bed.moto.published().await;
    let notice = published
        .iter()
        .find(|message| message.body("sms").contains(&queued))
        .expect("a notice for the spared cluster");
    assert_eq!(
        notice.body("sms"),
        format!("INFO: Not terminated: EMR cluster queued ({queued}) has 2 steps pending")
    );
    let email = notice.body("email");
    assert!(email.contains(
        "\nWhy\n---\nall 12 datapoints of AWS/ElasticMapReduce IsIdle (1 = idle) over the last 60 minutes say idle.\nBut ListSteps, checked just before acting, shows 2 steps pending: work was submitted after the idleness was measured, so the cluster is not idle.\n"
    ), "{email}");
    assert!(
        email.contains(&format!(
            "\nSteps: {} \"load\" (PENDING), {} \"etl\" (PENDING)\n",
            steps[1], steps[0]
        )),
        "{email}"
    );
    assert_eq!(published.len(), 2);
}

#[tokio::test]
async fn a_list_steps_failure_fails_the_invocation_and_terminates_nothing() {
    let bed = Bed::start().await;
    let app = bed.app(&[]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    // More failures than the SDK's attempts: ListSteps never answers.
    bed.moto
        .inject_fault(Fault::new(
            "elasticmapreduce",
            "ListSteps",
            FaultKind::Status500,
            5,
        ))
        .await;

    let error = handle(&app, &event("emr-idle-alarm-sns.json", &id))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    assert_eq!(
        error.to_string(),
        format!(
            "1 of 1 cluster failed: EMR ListSteps for cluster {id} failed: InternalFailure: injected fault: ListSteps failed"
        )
    );
    assert_eq!(bed.state(&id).await, "WAITING");
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "TerminateJobFlows")
            .await,
        0
    );
    assert!(bed.moto.published().await.is_empty());

    // The lease was released: a retry after the fault checks again and acts.
    bed.moto.clear_faults().await;
    let report = handle(&app, &event("emr-idle-alarm-sns.json", &id))
        .await
        .unwrap();
    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
}

#[tokio::test]
async fn a_one_minute_alarm_says_1_minute() {
    let bed = Bed::start().await;
    let app = bed.app(&[("MINIMUM_AGE_MINUTES", "1"), ("DRY_RUN", "true")]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    // A cluster seconds old is younger than one minute.
    let report = handle(&app, &event("emr-idle-alarm-one-minute.json", &id))
        .await
        .unwrap();
    let Report::Checked { clusters } = &report else {
        panic!("{report:?}");
    };
    assert_eq!(
        clusters[0].reason,
        "cluster is 0 minutes old, younger than the minimum age of 1 minute"
    );

    // Another cluster, as that alarm delivery is now handled for the first.
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    let app = bed.app(&[]);
    let report = handle(&app, &event("emr-idle-alarm-one-minute.json", &id))
        .await
        .unwrap();
    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
    let published = bed.moto.published().await;
    assert_eq!(
        published[0].body("sms"),
        format!(
            "WARNING: Terminated idle EMR cluster analytics-adhoc ({id}), idle at least 1 minute (per alarm)"
        )
    );
    assert!(
        published[0]
            .body("email")
            .contains("\nIdle: at least 1 minute (per alarm)\n")
    );
}

/// Hub mode (issue 14): an idle alarm of a member account's cluster is
/// acted on in that account and region, through its spoke role; the hub's
/// own cluster of the same name is untouched.
#[tokio::test]
async fn in_hub_mode_a_member_accounts_idle_cluster_is_terminated_there_and_the_notice_names_it() {
    let bed = Bed::start().await;
    let member_region = "ap-southeast-2";
    let member = testbed::iam::member_account(&bed.sdk, "222222222222", member_region).await;
    let spec = ClusterSpec {
        name: "analytics-adhoc",
        ..Default::default()
    };
    let id = run_cluster(&member, &spec).await;
    testbed::iam::create_account_alias(&member, "analytics-dev").await;
    let hub_cluster = bed.cluster(spec).await;
    let app = bed.app(&[
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
    ]);
    let mut alarm = event("emr-idle-alarm-eventbridge.json", &id);
    alarm["account"] = "222222222222".into();
    alarm["region"] = member_region.into();

    let report = handle(&app, &alarm)
        .await
        .expect("the member's alarm is handled");

    assert_eq!(outcomes(&report), vec![(id.clone(), "terminated".into())]);
    assert_eq!(cluster_state(&member, &id).await, "TERMINATED");
    assert_eq!(
        bed.state(&hub_cluster).await,
        "WAITING",
        "the hub's cluster is untouched"
    );
    let email = bed.moto.published().await[0].body("email");
    assert!(
        email.contains(&format!("Region: {member_region}\n")),
        "{email}"
    );
    assert!(
        email.contains("Account: analytics-dev (222222222222)\n"),
        "{email}"
    );
    assert_eq!(
        bed.moto.count_calls("sts", "AssumeRole").await,
        2,
        "the test's own and the function's (for the cluster and the alias)"
    );
}

/// Hub mode (issue 14): the sweep covers 3 accounts × 2 regions, each
/// through its own clients (member accounts through their spoke roles,
/// each assumed once), with one `ListClusters` and one `GetMetricData` per
/// place. A place that fails is named, and the others are still swept and
/// acted on.
#[tokio::test]
async fn in_hub_mode_the_sweep_covers_every_account_and_region_and_one_broken_place_hides_none() {
    let bed = Bed::start().await;
    let (members, regions) = (["222222222222", "333333333333"], ["eu-west-1", "us-east-2"]);
    let home_other_region = bed
        .sdk
        .to_builder()
        .region(aws_config::Region::new(regions[1]))
        .build();
    let mut configs = vec![bed.sdk.clone(), home_other_region];
    for member in members {
        for region in regions {
            configs.push(testbed::iam::member_account(&bed.sdk, member, region).await);
        }
    }
    const PER_PLACE: usize = 20;
    for config in &configs {
        for n in 0..PER_PLACE {
            let name = format!("quiet-{n}");
            run_cluster(
                config,
                &ClusterSpec {
                    name: &name,
                    ..Default::default()
                },
            )
            .await;
        }
    }
    // One idle cluster, in the last member account's second region.
    let idle_place = configs.last().expect("six places");
    let idle = run_cluster(
        idle_place,
        &ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        },
    )
    .await;
    put_history(
        idle_place,
        "AWS/ElasticMapReduce",
        "IsIdle",
        &idle,
        75,
        |_| Some(1.0),
    )
    .await;

    let app = bed.app(&[
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
        ("MEMBER_ACCOUNTS", "222222222222,333333333333"),
        ("SWEEP_REGIONS", "eu-west-1,us-east-2"),
    ]);
    let assumed = bed.moto.count_calls("sts", "AssumeRole").await;
    let listed = bed
        .moto
        .count_calls("elasticmapreduce", "ListClusters")
        .await;
    let fetched = bed.moto.count_calls("monitoring", "GetMetricData").await;
    // The first place swept, the hub's own region, cannot list its clusters.
    bed.moto
        .inject_fault(Fault::new(
            "elasticmapreduce",
            "ListClusters",
            FaultKind::Status500,
            3,
        ))
        .await;

    let error = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .expect_err("one place failed");
    assert_eq!(error.kind(), ErrorKind::AwsError);
    let message = error.to_string();
    assert!(
        message.starts_with("the sweep of 6 places is incomplete: account 123456789012 region eu-west-1: EMR ListClusters"),
        "{message}"
    );
    assert_eq!(
        cluster_state(idle_place, &idle).await,
        "TERMINATED",
        "the other places were still acted on"
    );
    assert_eq!(
        bed.moto
            .count_calls("elasticmapreduce", "ListClusters")
            .await
            - listed,
        3 + 5,
        "three attempts at the broken place, one call at each other place"
    );
    assert_eq!(
        bed.moto.count_calls("monitoring", "GetMetricData").await - fetched,
        5,
        "one per place that listed its clusters"
    );
    assert_eq!(
        bed.moto.count_calls("sts", "AssumeRole").await - assumed,
        2,
        "one per member account, shared by its regions"
    );

    // The next sweep, with the fault gone: every place, no new AssumeRole.
    bed.moto.clear_faults().await;
    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .expect("every place is swept");
    let Report::Checked { clusters } = &report else {
        panic!("{report:?}");
    };
    assert_eq!(
        clusters
            .iter()
            .filter(|result| result.outcome == ClusterOutcome::NoData)
            .count(),
        6 * PER_PLACE
    );
    assert_eq!(
        bed.moto.count_calls("sts", "AssumeRole").await - assumed,
        2,
        "warm: no STS call"
    );
}

// ---- EMR's own auto-termination policy (ATTACH_AUTO_TERMINATION_POLICY) ----

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

fn pairs(expected: &[(&String, &str)]) -> Vec<(String, String)> {
    sorted(
        expected
            .iter()
            .map(|(id, outcome)| ((*id).clone(), (*outcome).to_owned()))
            .collect(),
    )
}

impl Bed {
    async fn idle_timeout(&self, cluster_id: &str) -> Option<i64> {
        auto_termination_idle_timeout(&self.sdk, cluster_id).await
    }

    async fn calls(&self, action: &str) -> usize {
        self.moto.count_calls("elasticmapreduce", action).await
    }
}

#[tokio::test]
async fn the_sweep_attaches_emrs_policy_where_missing_and_leaves_clusters_with_one_to_emr() {
    let bed = Bed::start().await;
    let app = bed.app(&[
        ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
        ("AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS", "1800"),
    ]);
    let spec = |name| ClusterSpec {
        name,
        ..Default::default()
    };
    let lacking = bed.cluster(spec("lacking")).await;
    let running = bed
        .cluster(ClusterSpec {
            running_step: true,
            ..spec("running")
        })
        .await;
    let managed = bed.cluster(spec("managed")).await;
    attach_auto_termination_policy(&bed.sdk, &managed, 7200).await;
    let old = bed
        .cluster(ClusterSpec {
            release_label: Some("emr-6.3.0"),
            ..spec("old")
        })
        .await;
    let kept = bed
        .cluster(ClusterSpec {
            tags: &[("watchkeeper:keep", "yes")],
            ..spec("kept")
        })
        .await;
    // All idle by Watchkeeper's metric but the old one.
    for id in [&lacking, &managed, &kept] {
        bed.history(IS_IDLE, id, |_| Some(1.0)).await;
    }
    bed.history(IS_IDLE, &old, |_| Some(0.0)).await;
    let before = bed.moto.calls().await.len();

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();
    let calls = bed.moto.calls().await[before..].to_vec();

    assert_eq!(
        sorted(outcomes(&report)),
        pairs(&[
            // Attached: EMR's policy now governs it, not Watchkeeper's check.
            (&lacking, "policy_attached"),
            (&running, "policy_attached"),
            // Idle, but EMR's own policy governs it: left alone.
            (&managed, "managed_by_emr"),
            // Too old for the policy: reported, and still idle-checked.
            (&old, "policy_unsupported"),
            (&old, "busy"),
            // Opted out: no policy, and the idle check's guard spares it.
            (&kept, "skipped"),
        ])
    );
    let Report::Checked { clusters } = &report else {
        panic!("{report:?}");
    };
    let reason = |id: &String, outcome: ClusterOutcome| {
        clusters
            .iter()
            .find(|result| &result.cluster_id == id && result.outcome == outcome)
            .map(|result| result.reason.clone())
            .unwrap()
    };
    assert_eq!(
        reason(&managed, ClusterOutcome::ManagedByEmr),
        "managed by EMR's own auto-termination policy (idle timeout 120 minutes)"
    );
    assert!(
        reason(&old, ClusterOutcome::PolicyUnsupported)
            .starts_with("release emr-6.3.0 cannot take"),
        "{report:?}"
    );
    assert_eq!(bed.idle_timeout(&lacking).await, Some(1800));
    assert_eq!(bed.idle_timeout(&running).await, Some(1800));
    assert_eq!(bed.idle_timeout(&managed).await, Some(7200));
    assert_eq!(bed.idle_timeout(&old).await, None);
    assert_eq!(bed.idle_timeout(&kept).await, None);
    for id in [&lacking, &managed, &old, &kept] {
        assert_eq!(bed.state(id).await, "WAITING", "{id}");
    }
    // One ListClusters for both states, one policy read per cluster, a
    // DescribeCluster only where a policy was missing (and for the idle
    // candidate), a Put only where one was attached.
    let count = |action: &str| calls.iter().filter(|call| call.action == action).count();
    assert_eq!(count("ListClusters"), 1);
    assert_eq!(count("GetAutoTerminationPolicy"), 5);
    assert_eq!(count("PutAutoTerminationPolicy"), 2);
    assert_eq!(count("DescribeCluster"), 4 + 1);
    assert_eq!(count("TerminateJobFlows"), 0);
    // One notice for the sweep, listing both clusters.
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    let notice = &published[0];
    assert_eq!(
        notice.subject.as_deref(),
        Some("Attached an auto-termination policy (idle 30 minutes) to 2 EMR clusters")
    );
    let email = notice.body("email");
    for id in [&lacking, &running] {
        assert!(email.contains(&format!("({id}): ")), "{email}");
    }
    assert!(!email.contains(&managed), "{email}");
    assert!(email.contains("Severity: WARNING"), "{email}");
    assert!(
        email.contains("Action: attached an auto-termination policy with an idle timeout of 30 minutes (PutAutoTerminationPolicy)"),
        "{email}"
    );
    assert_eq!(bed.topics.warning_deliveries().await.len(), 1);
}

#[tokio::test]
async fn in_dry_run_the_sweep_only_says_which_clusters_would_get_a_policy() {
    let bed = Bed::start().await;
    let app = bed.app(&[
        ("DRY_RUN", "true"),
        ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
    ]);
    let id = bed
        .cluster(ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        })
        .await;
    bed.history(IS_IDLE, &id, |_| Some(1.0)).await;

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    // Nothing attached, so Watchkeeper's own (dry-run) check still applies.
    assert_eq!(
        sorted(outcomes(&report)),
        pairs(&[(&id, "would_attach_policy"), (&id, "would_terminate")])
    );
    assert_eq!(bed.idle_timeout(&id).await, None);
    assert_eq!(bed.calls("PutAutoTerminationPolicy").await, 0);
    assert_eq!(bed.state(&id).await, "WAITING");
    let mut subjects = bed.published_subjects().await;
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "Dry run: would attach an auto-termination policy (idle 60 minutes) to 1 EMR cluster"
                .to_owned(),
            format!("Dry run: would terminate idle EMR cluster analytics-adhoc ({id})"),
        ]
    );
}

#[tokio::test]
async fn idle_check_policy_managed_still_terminates_an_idle_cluster_with_a_policy() {
    let bed = Bed::start().await;
    let app = bed.app(&[
        ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
        ("IDLE_CHECK_POLICY_MANAGED", "true"),
    ]);
    let id = bed
        .cluster(ClusterSpec {
            name: "managed",
            ..Default::default()
        })
        .await;
    attach_auto_termination_policy(&bed.sdk, &id, 604_800).await;
    bed.history(IS_IDLE, &id, |_| Some(1.0)).await;

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    assert_eq!(
        sorted(outcomes(&report)),
        pairs(&[(&id, "managed_by_emr"), (&id, "terminated")])
    );
    assert_eq!(bed.state(&id).await, "TERMINATED");
    // Only the test's own, which gave the cluster its policy.
    assert_eq!(bed.calls("PutAutoTerminationPolicy").await, 1);
}

#[tokio::test]
async fn a_failing_attach_leaves_the_others_attached_fails_the_sweep_and_the_next_sweep_retries_it()
{
    let bed = Bed::start().await;
    let app = bed.app(&[("ATTACH_AUTO_TERMINATION_POLICY", "true")]);
    let mut ids = Vec::new();
    for name in ["first", "second", "third"] {
        ids.push(
            bed.cluster(ClusterSpec {
                name,
                running_step: true,
                ..Default::default()
            })
            .await,
        );
    }
    // Every attempt the SDK makes at the first PutAutoTerminationPolicy fails.
    bed.moto
        .inject_fault(Fault::new(
            "elasticmapreduce",
            "PutAutoTerminationPolicy",
            FaultKind::Status500,
            3,
        ))
        .await;
    let sweep = load("emr-sweep-schedule.json");
    let now = 1_795_000_000;

    let error = idle_emr_terminator::handle_at(&app, &sweep, now)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    let HandlerError::ClustersFailed { checked, failures } = &error else {
        panic!("{error}");
    };
    assert_eq!(*checked, 3);
    assert_eq!(failures.len(), 1, "{error}");
    let failed = ids
        .iter()
        .find(|id| failures[0].contains(id.as_str()))
        .unwrap_or_else(|| panic!("{error}"))
        .clone();
    assert!(
        failures[0].starts_with(&format!(
            "EMR PutAutoTerminationPolicy (idle timeout 3600 s) for cluster {failed} failed: InternalFailure"
        )),
        "{error}"
    );
    for id in &ids {
        let expected = (id != &failed).then_some(3600);
        assert_eq!(bed.idle_timeout(id).await, expected, "{id}");
    }
    // The other two were attached, and operators told once.
    let subjects = bed.published_subjects().await;
    assert_eq!(
        subjects,
        vec!["Attached an auto-termination policy (idle 60 minutes) to 2 EMR clusters"]
    );

    // Lambda's retry of the same sweep: handled already, nothing more.
    let retried = idle_emr_terminator::handle_at(&app, &sweep, now)
        .await
        .unwrap();
    assert_eq!(
        sorted(outcomes(&retried)),
        sorted(
            ids.iter()
                .map(|id| {
                    let outcome = if id == &failed {
                        "duplicate"
                    } else {
                        "managed_by_emr"
                    };
                    (id.clone(), outcome.to_owned())
                })
                .collect()
        )
    );
    assert_eq!(bed.idle_timeout(&failed).await, None);
    // The next sweep attaches it.
    let next = idle_emr_terminator::handle_at(&app, &sweep, now + 900)
        .await
        .unwrap();
    assert!(
        outcomes(&next).contains(&(failed.clone(), "policy_attached".into())),
        "{next:?}"
    );
    assert_eq!(bed.idle_timeout(&failed).await, Some(3600));
    assert_eq!(bed.published_subjects().await.len(), 2);
}

/// Hub mode: the policy is attached in the member account, through its
/// spoke role, and the one notice names the account.
#[tokio::test]
async fn in_hub_mode_the_policy_is_attached_in_the_member_account_and_the_notice_names_it() {
    let bed = Bed::start().await;
    let member = testbed::iam::member_account(&bed.sdk, "222222222222", testbed::REGION).await;
    let theirs = run_cluster(
        &member,
        &ClusterSpec {
            name: "payments-etl",
            ..Default::default()
        },
    )
    .await;
    let ours = bed
        .cluster(ClusterSpec {
            name: "hub-adhoc",
            ..Default::default()
        })
        .await;
    let app = bed.app(&[
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
        ("MEMBER_ACCOUNTS", "222222222222"),
        ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
    ]);

    let report = handle(&app, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    assert_eq!(
        sorted(outcomes(&report)),
        pairs(&[(&ours, "policy_attached"), (&theirs, "policy_attached")])
    );
    assert_eq!(
        auto_termination_idle_timeout(&member, &theirs).await,
        Some(3600)
    );
    assert_eq!(bed.idle_timeout(&ours).await, Some(3600));
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    let email = published[0].body("email");
    assert!(
        email.contains(&format!(
            "- payments-etl ({theirs}): WAITING, emr-7.1.0, {}, account 222222222222\n",
            testbed::REGION
        )),
        "{email}"
    );
    assert!(
        email.contains(&format!(
            "- hub-adhoc ({ours}): WAITING, emr-7.1.0, {}\n",
            testbed::REGION
        )),
        "{email}"
    );
}

#[tokio::test]
async fn a_policy_notice_that_fails_after_attaching_is_sent_by_the_retry_without_attaching_again() {
    let bed = Bed::start().await;
    let app = bed.app(&[("ATTACH_AUTO_TERMINATION_POLICY", "true")]);
    let id = bed
        .cluster(ClusterSpec {
            name: "notebooks",
            running_step: true,
            ..Default::default()
        })
        .await;
    bed.moto
        .inject_fault(Fault::new("sns", "Publish", FaultKind::Status500, 5))
        .await;
    let sweep = load("emr-sweep-schedule.json");
    let now = 1_795_000_000;

    let error = idle_emr_terminator::handle_at(&app, &sweep, now)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PublishError, "{error}");
    assert_eq!(bed.idle_timeout(&id).await, Some(3600));
    assert!(bed.published_subjects().await.is_empty());

    bed.moto.clear_faults().await;
    let retried = idle_emr_terminator::handle_at(&app, &sweep, now)
        .await
        .unwrap();
    // The cluster has its policy now; the pending notice is what is left.
    assert_eq!(
        bed.published_subjects().await,
        vec!["Attached an auto-termination policy (idle 60 minutes) to 1 EMR cluster"]
    );
    assert_eq!(bed.calls("PutAutoTerminationPolicy").await, 1);
    assert!(
        outcomes(&retried).contains(&(id.clone(), "managed_by_emr".into())),
        "{retried:?}"
    );
}
