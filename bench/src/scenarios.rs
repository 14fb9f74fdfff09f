//! The scenarios: for each function, a representative event and what the
//! account needs for it (an instance, alarms, a repository, idle and busy
//! clusters), plus the floor and the pre-warm probe.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use serde_json::{Value, json};
use testbed::emr::{ClusterSpec, put_history, run_cluster};
use testbed::events::{load, with_detail};

use crate::account::Account;
use crate::tls;

/// The no-op `lambda_runtime` bootstrap every figure is compared with.
pub const FLOOR: &str = "noop-floor";
/// The pre-warm experiment (`bench/floor`): not a function.
pub const PROBE: &str = "prewarm-probe";
/// The functions measured, by crate and bootstrap name.
pub const FUNCTIONS: [&str; 5] = [
    "ec2-alarm-creator",
    "ami-permission-notifier",
    "codecommit-change-publisher",
    "health-event-forwarder",
    "idle-emr-terminator",
];

/// The member account of the hub-mode scenario.
pub const MEMBER_ACCOUNT: &str = "222222222222";

/// The settings of a hub: the organization and the spoke role's name.
fn hub_mode() -> Vec<(String, String)> {
    vec![
        ("ORGANIZATION_ID".to_owned(), "o-a1b2c3d4e5".to_owned()),
        (
            "SPOKE_ROLE_NAME".to_owned(),
            testbed::iam::SPOKE_ROLE_NAME.to_owned(),
        ),
    ]
}

/// Gives an event fresh identities for invocation `n` of scenario
/// `scenario`, so the idempotency guard sees a new event each time: the
/// EventBridge `id`, CloudTrail's `detail.eventID`, SNS `MessageId`s, and
/// for Health (keyed by ARN, update time and status) `lastUpdatedTime`.
pub fn freshen(event: &mut Value, scenario: usize, n: usize) {
    let id = format!("{scenario:08x}-0000-4000-8000-{n:012x}");
    if event.get("id").is_some() {
        event["id"] = id.clone().into();
    }
    if event["detail"].get("eventID").is_some() {
        event["detail"]["eventID"] = id.clone().into();
    }
    if event["source"] == "aws.health" && event["detail"].get("lastUpdatedTime").is_some() {
        let seconds = 8 * 60 + 31 + scenario * 5_000 + n;
        event["detail"]["lastUpdatedTime"] = format!(
            "Sat, 05 Jun 2021 {:02}:{:02}:{:02} GMT",
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60
        )
        .into();
    }
    if let Some(records) = event.get_mut("Records").and_then(Value::as_array_mut) {
        for (index, record) in records.iter_mut().enumerate() {
            if record["Sns"].get("MessageId").is_some() {
                record["Sns"]["MessageId"] =
                    format!("{scenario:08x}-{index:04x}-4000-8000-{n:012x}").into();
            }
        }
    }
}

/// Work the harness redoes before each invocation, so that every warm
/// invocation does what the first did.
pub enum Reseed {
    None,
    /// Puts these alarms again (an instance that stopped has alarms to delete).
    Alarms(Vec<String>),
}

/// One function and one representative event, as measured.
pub struct Scenario {
    /// The bootstrap's name: a function's crate name, [`FLOOR`] or [`PROBE`].
    pub function: &'static str,
    /// Which event, e.g. the file in `events/` it is made from.
    pub event_name: String,
    pub event: Value,
    pub reseed: Reseed,
    /// Extra or replaced environment variables.
    pub env: Vec<(String, String)>,
    /// Shown beside the figures in `results.json`.
    pub note: Option<String>,
}

/// Creates what each representative event needs in the account and returns
/// the scenarios, the floor first.
///
/// Errors: a sample event that does not parse once edited, as a sentence.
pub async fn seed_scenarios(
    account: &Account,
    certificates: &tls::Certificates,
) -> Result<Vec<Scenario>, String> {
    let sdk = &account.sdk;
    let mut scenarios = vec![Scenario {
        function: FLOOR,
        event_name: "ec2-instance-running.json (ignored)".to_owned(),
        event: load("ec2-instance-running.json"),
        reseed: Reseed::None,
        env: Vec::new(),
        note: Some("no-op lambda_runtime bootstrap: the floor".to_owned()),
    }];

    let running = testbed::ec2::run_instance(sdk, &[("Name", "bench-web-1")]).await;
    scenarios.push(Scenario {
        function: "ec2-alarm-creator",
        event_name: "ec2-instance-running.json".to_owned(),
        event: with_detail(
            load("ec2-instance-running.json"),
            "instance-id",
            running.as_str(),
        ),
        reseed: Reseed::None,
        env: Vec::new(),
        note: None,
    });
    let stopped = testbed::ec2::run_instance(sdk, &[("Name", "bench-web-2")]).await;
    let stopped_alarms = vec![
        format!("watchkeeper-{stopped}-disk-space-warning"),
        format!("watchkeeper-{stopped}-disk-space-critical"),
    ];
    scenarios.push(Scenario {
        function: "ec2-alarm-creator",
        event_name: "ec2-instance-stopped.json".to_owned(),
        event: with_detail(
            load("ec2-instance-stopped.json"),
            "instance-id",
            stopped.as_str(),
        ),
        reseed: Reseed::Alarms(stopped_alarms),
        env: Vec::new(),
        note: Some("2 alarms to delete, put back before every invocation".to_owned()),
    });

    // Hub mode (issue 14): the same running event from a member account,
    // beside the same-account figure above. The first invoke assumes the
    // member's spoke role (one sts:AssumeRole) before its EC2 and
    // CloudWatch calls; warm invocations reuse the credentials (no STS).
    let member = testbed::iam::member_account(sdk, MEMBER_ACCOUNT, testbed::REGION).await;
    let member_instance = testbed::ec2::run_instance(&member, &[("Name", "bench-member-1")]).await;
    let mut member_event = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        member_instance.as_str(),
    );
    member_event["account"] = MEMBER_ACCOUNT.into();
    scenarios.push(Scenario {
        function: "ec2-alarm-creator",
        event_name: "ec2-instance-running.json, member account".to_owned(),
        event: member_event,
        reseed: Reseed::None,
        env: hub_mode(),
        note: Some(
            "hub mode: the instance is in member account 222222222222, reached through its spoke role, assumed on the first invoke only"
                .to_owned(),
        ),
    });

    testbed::iam::create_account_alias(sdk, "prod-acct").await;
    scenarios.push(Scenario {
        function: "ami-permission-notifier",
        event_name: "ami-public.json".to_owned(),
        event: load("ami-public.json"),
        reseed: Reseed::None,
        env: Vec::new(),
        note: None,
    });

    let mut repo = account.codecommit.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    repo.write("src/lib.rs", "pub fn pay() {}\n");
    let before = repo.commit("Initial import");
    repo.write("src/retry.rs", "pub fn retry() {}\n");
    repo.write("src/lib.rs", "pub mod retry;\npub fn pay() {}\n");
    repo.commit("Retry failed card payments");
    repo.write("docs/guide.md", "How to take a payment.\n");
    let after = repo.commit("Add a guide");
    scenarios.push(Scenario {
        function: "codecommit-change-publisher",
        event_name: "codecommit-branch-updated.json".to_owned(),
        event: with_detail(
            with_detail(
                load("codecommit-branch-updated.json"),
                "commitId",
                after.as_str(),
            ),
            "oldCommitId",
            before.as_str(),
        ),
        reseed: Reseed::None,
        env: Vec::new(),
        note: Some("a push of 2 commits, 4 files".to_owned()),
    });

    scenarios.push(Scenario {
        function: "health-event-forwarder",
        event_name: "health-account-issue.json".to_owned(),
        event: load("health-account-issue.json"),
        reseed: Reseed::None,
        env: Vec::new(),
        note: None,
    });

    let (namespace, metric) = ("AWS/ElasticMapReduce", "IsIdle");
    let idle = run_cluster(
        sdk,
        &ClusterSpec {
            name: "analytics-adhoc",
            ..Default::default()
        },
    )
    .await;
    put_history(sdk, namespace, metric, &idle, 75, |_| Some(1.0)).await;
    let alarm: Value = serde_json::from_str(
        &load("emr-idle-alarm-sns.json")
            .to_string()
            .replace("j-2AXXXXXXGAPLF", &idle),
    )
    .map_err(|error| format!("emr-idle-alarm-sns.json: {error}"))?;
    scenarios.push(Scenario {
        function: "idle-emr-terminator",
        event_name: "emr-idle-alarm-sns.json".to_owned(),
        event: alarm,
        reseed: Reseed::None,
        env: Vec::new(),
        note: Some("one idle cluster, dry run: a notification each time".to_owned()),
    });
    let busy = run_cluster(
        sdk,
        &ClusterSpec {
            name: "reporting",
            ..Default::default()
        },
    )
    .await;
    put_history(sdk, namespace, metric, &busy, 75, |ago| {
        Some(if ago == 12 { 0.0 } else { 1.0 })
    })
    .await;
    scenarios.push(Scenario {
        function: "idle-emr-terminator",
        event_name: "emr-sweep-schedule.json".to_owned(),
        event: load("emr-sweep-schedule.json"),
        reseed: Reseed::None,
        env: Vec::new(),
        note: Some(
            "2 clusters (1 idle, 1 busy), dry run; the idle one is keyed by the sweep window, so warm sweeps in the same window find it already handled"
                .to_owned(),
        ),
    });

    for prewarm in ["0", "1"] {
        scenarios.push(Scenario {
            function: PROBE,
            event_name: format!("PREWARM={prewarm}"),
            event: json!({"id": "probe", "detail": {}}),
            reseed: Reseed::None,
            env: vec![("PREWARM".to_owned(), prewarm.to_owned())],
            note: Some(if prewarm == "1" {
                "experiment: SDK config + SNS client + one GetTopicAttributes at init; one Publish per invocation".to_owned()
            } else {
                "experiment: SDK config + SNS client at init; one Publish per invocation".to_owned()
            }),
        });
    }
    // How much of the first call is loading the root certificates: the same
    // as PREWARM=0, with one root instead of the system's bundle.
    scenarios.push(Scenario {
        function: PROBE,
        event_name: "PREWARM=0, 1 root certificate".to_owned(),
        event: json!({"id": "probe", "detail": {}}),
        reseed: Reseed::None,
        env: vec![
            ("PREWARM".to_owned(), "0".to_owned()),
            ("SSL_CERT_FILE".to_owned(), certificates.ca.display().to_string()),
        ],
        note: Some(
            "experiment: as PREWARM=0, but SSL_CERT_FILE holds only the throw-away CA instead of the system bundle plus it"
                .to_owned(),
        ),
    });
    Ok(scenarios)
}

/// Puts a disk-space alarm under each of `names`, as the EC2 alarm creator
/// would have.
///
/// Errors: the first `PutMetricAlarm` that failed, as a sentence.
pub async fn put_alarms(sdk: &SdkConfig, names: &[String]) -> Result<(), String> {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    for name in names {
        cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("System/Linux")
            .metric_name("DiskSpaceUtilization")
            .statistic(Statistic::Average)
            .period(300)
            .evaluation_periods(2)
            .threshold(80.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
            .await
            .map_err(|error| format!("PutMetricAlarm {name}: {error:?}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshen_gives_every_sample_event_a_new_identity_per_invocation() {
        for name in [
            "ec2-instance-running.json",
            "ami-public.json",
            "codecommit-branch-updated.json",
            "health-account-issue.json",
            "emr-idle-alarm-sns.json",
            "emr-sweep-schedule.json",
        ] {
            let sample = load(name);
            let (mut first, mut second, mut other_scenario) =
                (sample.clone(), sample.clone(), sample.clone());
            freshen(&mut first, 1, 0);
            freshen(&mut second, 1, 1);
            freshen(&mut other_scenario, 2, 0);
            assert_ne!(first, second, "{name}: invocations 0 and 1 look alike");
            assert_ne!(
                first, other_scenario,
                "{name}: scenarios 1 and 2 look alike"
            );
            assert_ne!(first, sample, "{name}: unchanged");
        }
        let mut health = load("health-account-issue.json");
        freshen(&mut health, 0, 3_600);
        assert_eq!(
            health["detail"]["lastUpdatedTime"],
            "Sat, 05 Jun 2021 01:08:31 GMT"
        );
    }
}
