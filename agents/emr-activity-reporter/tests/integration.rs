//! The reporter against moto: the datapoint it publishes, the steps check,
//! its failures, and the whole loop with the idle EMR terminator.

mod support;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use emr_activity_reporter::checks::{Check, Observation, Outcome};
use emr_activity_reporter::{ReportError, Reporter};
use support::{FixtureServer, Reply, config, temp_dir, write_job_flow};
use testbed::Moto;
use testbed::emr::{ClusterSpec, cluster_state, run_cluster};
use testbed::events::load;

const NAMESPACE: &str = "Watchkeeper/EMR";
const METRIC: &str = "ClusterInUse";

/// Every datapoint of the activity metric for `cluster_id` in the last
/// hour, one per minute, as (epoch seconds, maximum).
async fn datapoints(sdk: &aws_config::SdkConfig, cluster_id: &str) -> Vec<(i64, f64)> {
    let now = SystemTime::now();
    let output = aws_sdk_cloudwatch::Client::new(sdk)
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("activity")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace(NAMESPACE)
                                .metric_name(METRIC)
                                .dimensions(
                                    Dimension::builder()
                                        .name("JobFlowId")
                                        .value(cluster_id)
                                        .build(),
                                )
                                .build(),
                        )
                        .period(60)
                        .stat("Maximum")
                        .build(),
                )
                .build(),
        )
        // Whole minutes, so each one-minute bucket starts on a minute.
        .start_time(DateTime::from_secs(minute(now - Duration::from_secs(3600))))
        .end_time(DateTime::from(now + Duration::from_secs(60)))
        .send()
        .await
        .expect("GetMetricData");
    let result = &output.metric_data_results()[0];
    let mut points: Vec<(i64, f64)> = result
        .timestamps()
        .iter()
        .map(|time| time.secs())
        .zip(result.values().iter().copied())
        .collect();
    points.sort_by_key(|(at, _)| *at);
    points
}

fn minute(time: SystemTime) -> i64 {
    let secs = DateTime::from(time).secs();
    secs - secs.rem_euclid(60)
}

#[tokio::test]
async fn the_datapoint_lands_in_cloudwatch_with_the_cluster_dimension() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cluster_id = run_cluster(
        &sdk,
        &ClusterSpec {
            name: "adhoc",
            ..Default::default()
        },
    )
    .await;
    let dir = temp_dir("publish");
    write_job_flow(&dir, &cluster_id);
    let yarn = FixtureServer::start(&[(
        "/ws/v1/cluster/apps",
        Reply::Fixture("yarn-apps-running.json"),
    )])
    .await;
    let now = SystemTime::now();
    let busy_at = now - Duration::from_secs(10 * 60);
    let idle_at = now - Duration::from_secs(5 * 60);

    let busy = Reporter::new(&sdk, config(&dir, &[("YARN_URL", yarn.url.clone())]).await);
    let report = busy.run_at(busy_at).await.unwrap();
    assert_eq!(report.cluster_id, cluster_id);
    assert_eq!(report.value, 1.0);
    assert_eq!(
        report.reasons,
        ["yarn: 1 application active: application_1732260000000_0003 RUNNING"]
    );
    let idle = Reporter::new(&sdk, config(&dir, &[]).await);
    let report = idle.run_at(idle_at).await.unwrap();
    assert_eq!(report.value, 0.0);
    assert_eq!(
        report.observations,
        vec![
            Observation {
                check: Check::Ssh,
                outcome: Outcome::Unavailable {
                    why: format!("no terminal directory {}", dir.join("pts").display())
                }
            },
            Observation {
                check: Check::Yarn,
                outcome: Outcome::Unavailable {
                    why: format!(
                        "YARN ResourceManager is not running: nothing listens on {}",
                        idle.config.yarn.describe()
                    )
                }
            },
            Observation {
                check: Check::Presto,
                outcome: Outcome::Unavailable {
                    why: format!(
                        "Presto/Trino is not running: nothing listens on {}",
                        idle.config.presto.describe()
                    )
                }
            },
            Observation {
                check: Check::Zeppelin,
                outcome: Outcome::Unavailable {
                    why: format!(
                        "Zeppelin is not running: nothing listens on {}",
                        idle.config.zeppelin.describe()
                    )
                }
            },
            Observation {
                check: Check::Jupyterhub,
                outcome: Outcome::Unavailable {
                    why: format!(
                        "JupyterHub is not running: nothing listens on {}",
                        idle.config.jupyterhub.describe()
                    )
                }
            },
            Observation {
                check: Check::BusyMarker,
                outcome: Outcome::not_in_use(format!(
                    "no busy marker at {}",
                    dir.join("isbusy").display()
                ))
            },
            Observation {
                check: Check::Steps,
                outcome: Outcome::not_in_use("no pending or running EMR step")
            },
        ]
    );

    assert_eq!(
        datapoints(&sdk, &cluster_id).await,
        vec![(minute(busy_at), 1.0), (minute(idle_at), 0.0)]
    );
    // Only under its own cluster's dimension.
    assert!(datapoints(&sdk, "j-OTHERCLUSTER").await.is_empty());
    assert_eq!(moto.count_calls("monitoring", "PutMetricData").await, 2);
}

#[tokio::test]
async fn a_running_step_keeps_the_cluster_in_use() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cluster_id = run_cluster(
        &sdk,
        &ClusterSpec {
            name: "etl",
            running_step: true,
            ..Default::default()
        },
    )
    .await;
    let dir = temp_dir("steps");
    write_job_flow(&dir, &cluster_id);
    let reporter = Reporter::new(&sdk, config(&dir, &[("CHECKS", "steps".to_owned())]).await);
    let report = reporter.run().await.unwrap();
    assert_eq!(report.value, 1.0);
    assert_eq!(report.reasons.len(), 1);
    assert!(
        report.reasons[0].starts_with("steps: 1 EMR step pending or running: s-"),
        "{:?}",
        report.reasons
    );
    assert!(
        report.reasons[0].ends_with(" \"nightly-etl\" RUNNING"),
        "{:?}",
        report.reasons
    );
    assert_eq!(datapoints(&sdk, &cluster_id).await.len(), 1);
}

#[tokio::test]
async fn without_a_cluster_id_nothing_is_published_and_the_error_says_why() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let dir = temp_dir("no-id");
    let reporter = Reporter::new(&sdk, config(&dir, &[]).await);
    let path = dir.join("job-flow.json");
    for (contents, problem) in [
        (None, "No such file or directory (os error 2)".to_owned()),
        (
            Some("{\"jobFlowCreationInstant\": 1}"),
            "missing field `jobFlowId` at line 1 column 29".to_owned(),
        ),
        (
            Some("{\"jobFlowId\": \"cluster-1\"}"),
            "\"cluster-1\" is not an EMR cluster id (j-...)".to_owned(),
        ),
    ] {
        if let Some(contents) = contents {
            std::fs::write(&path, contents).unwrap();
        }
        let error = reporter.run().await.unwrap_err();
        assert!(matches!(error, ReportError::ClusterId { .. }));
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read the cluster id from {} (key `jobFlowId`): {problem}",
                path.display()
            )
        );
    }
    assert_eq!(moto.count_calls("monitoring", "PutMetricData").await, 0);
}

#[tokio::test]
async fn a_failed_publish_is_an_error_naming_the_metric_and_cluster() {
    // Nothing listens on this port, so every AWS call fails.
    let dead = testbed::sdk_config_for("http://127.0.0.1:9").await;
    let dir = temp_dir("dead");
    write_job_flow(&dir, "j-2AXXXXXXGAPLF");
    let reporter = Reporter::new(
        &dead,
        config(&dir, &[("CHECKS", "busy-marker".to_owned())]).await,
    );
    let error = reporter.run().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with(
            "CloudWatch PutMetricData of Watchkeeper/EMR ClusterInUse for j-2AXXXXXXGAPLF failed: "
        ),
        "{text}"
    );
}

/// The whole loop: the reporter's idle datapoints let the terminator's
/// sweep terminate a cluster; one busy datapoint keeps another.
#[tokio::test]
async fn idle_reports_get_a_cluster_terminated_and_a_busy_one_kept() {
    let bed = testbed::Bed::start().await;
    let (moto, sdk) = (&bed.moto, &bed.sdk);
    let idle_id = run_cluster(
        sdk,
        &ClusterSpec {
            name: "idle-adhoc",
            ..Default::default()
        },
    )
    .await;
    let busy_id = run_cluster(
        sdk,
        &ClusterSpec {
            name: "busy-adhoc",
            ..Default::default()
        },
    )
    .await;
    let idle_dir = temp_dir("e2e-idle");
    let busy_dir = temp_dir("e2e-busy");
    write_job_flow(&idle_dir, &idle_id);
    write_job_flow(&busy_dir, &busy_id);
    let presto =
        FixtureServer::start(&[("/v1/query", Reply::Fixture("presto-queries-running.json"))]).await;

    // Cron every 5 minutes over the last 25 minutes, simulated by timestamps.
    let now = SystemTime::now();
    let idle_reporter = Reporter::new(sdk, config(&idle_dir, &[]).await);
    let busy_reporter = Reporter::new(sdk, config(&busy_dir, &[]).await);
    let querying = Reporter::new(
        sdk,
        config(&busy_dir, &[("PRESTO_URL", presto.url.clone())]).await,
    );
    for runs_ago in 0..=5u64 {
        let at = now - Duration::from_secs(runs_ago * 300);
        assert_eq!(idle_reporter.run_at(at).await.unwrap().value, 0.0);
        // Someone ran a Presto query 10 minutes ago.
        let reporter = if runs_ago == 2 {
            &querying
        } else {
            &busy_reporter
        };
        let expected = if runs_ago == 2 { 1.0 } else { 0.0 };
        assert_eq!(reporter.run_at(at).await.unwrap().value, expected);
    }

    let settings = bed.env(&[
        ("METRIC_MODE", "custom"),
        ("IDLE_WINDOW_MINUTES", "20"),
        ("DRY_RUN", "false"),
        ("MINIMUM_AGE_MINUTES", "0"),
    ]);
    let terminator = idle_emr_terminator::App::from_env(sdk, settings).unwrap();
    let report = idle_emr_terminator::handle(&terminator, &load("emr-sweep-schedule.json"))
        .await
        .unwrap();

    let idle_emr_terminator::Report::Checked { clusters } = report else {
        panic!("a sweep report");
    };
    let mut outcomes: Vec<(String, String)> = clusters
        .iter()
        .map(|result| {
            (
                result.cluster_id.clone(),
                result.outcome.as_str().to_owned(),
            )
        })
        .collect();
    outcomes.sort();
    let mut expected = vec![
        (idle_id.clone(), "terminated".to_owned()),
        (busy_id.clone(), "busy".to_owned()),
    ];
    expected.sort();
    assert_eq!(outcomes, expected);
    assert_eq!(cluster_state(sdk, &idle_id).await, "TERMINATED");
    assert_eq!(cluster_state(sdk, &busy_id).await, "WAITING");
    let published = moto.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(
        published[0].subject.as_deref(),
        Some(format!("Terminated idle EMR cluster idle-adhoc ({idle_id})").as_str())
    );
    assert!(published[0].body("email").contains(
        "\nWhy\n---\nall 4 datapoints of Watchkeeper/EMR ClusterInUse (0 = idle) over the last 20 minutes say idle.\n"
    ), "{}", published[0].body("email"));
}
