//! `make bench`: runs each release bootstrap, as it ships, under a local
//! Lambda Runtime API, against moto served over TLS with a throw-away CA,
//! and measures per function and representative event:
//!
//! - bootstrap and zip size;
//! - cold init, wall and CPU (process start to the first `/next`);
//! - first invoke, wall and CPU; warm invoke p50/p99 over `BENCH_WARM`
//!   invocations (default 200), each with a fresh event id so that none is
//!   a duplicate;
//! - peak RSS (`VmHWM`);
//! - AWS API calls per invocation, counted at moto;
//!
//! all also as a ratio to a no-op `lambda_runtime` bootstrap measured in the
//! same run; then the scaling cases (calls and time against N), the targets
//! of issue 7 met or not, and the cost per invocation by memory size.
//!
//! Settings: `BENCH_WARM` (invocations per event), `BENCH_SCALING=0` (skip
//! the scaling cases), `BENCH_BOOTSTRAPS` (default
//! `$CARGO_TARGET_DIR/lambda`), `BENCH_RESULTS` (default
//! `$CARGO_TARGET_DIR/bench/results.json`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use serde::Serialize;
use serde_json::{Value, json};
use testbed::codecommit::CodeCommitServer;
use testbed::emr::{ClusterSpec, put_history, run_cluster};
use testbed::events::{load, with_detail};
use watchkeeper_bench::moto::TlsMoto;
use watchkeeper_bench::session::{CallCounter, Session};
use watchkeeper_bench::stats::{ms, percentile, ratio};
use watchkeeper_bench::{process, tls};

const FLOOR: &str = "noop-floor";
const PROBE: &str = "prewarm-probe";
const FUNCTIONS: [&str; 5] = [
    "ec2-alarm-creator",
    "ami-permission-notifier",
    "codecommit-change-publisher",
    "health-event-forwarder",
    "idle-emr-terminator",
];
/// The memory size every function is measured at (the template's).
const MEMORY_MB: u32 = 128;
/// Lambda gives one full vCPU at 1,769 MB, and CPU in proportion below it.
const FULL_VCPU_MB: f64 = 1769.0;
/// arm64 (the template's default), us-east-1/eu-west-1, first tier.
const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_PER_REQUEST: f64 = 0.000_000_2;

struct Settings {
    warm: usize,
    scaling: bool,
    bootstraps: PathBuf,
    results: PathBuf,
    work: PathBuf,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| testbed::workspace_root().join("target"));
        let warm = match std::env::var("BENCH_WARM") {
            Ok(value) => value
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("BENCH_WARM must be a positive number, got {value:?}"))?,
            Err(_) => 200,
        };
        Ok(Self {
            warm,
            scaling: std::env::var("BENCH_SCALING").map_or(true, |value| value != "0"),
            bootstraps: std::env::var_os("BENCH_BOOTSTRAPS")
                .map(PathBuf::from)
                .unwrap_or_else(|| target.join("lambda")),
            results: std::env::var_os("BENCH_RESULTS")
                .map(PathBuf::from)
                .unwrap_or_else(|| target.join("bench/results.json")),
            work: target.join("bench/run"),
        })
    }
}

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("bench: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _ = std::fs::remove_dir_all(&settings.work);
    let certificates = match tls::generate(&settings.work.join("tls")) {
        Ok(certificates) => certificates,
        Err(error) => {
            eprintln!("bench: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The harness seeds moto through the same TLS endpoint as the
    // bootstraps, so its own SDK clients must trust the throw-away CA too.
    // SAFETY: no other thread exists yet; the Tokio runtime is built below.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &certificates.bundle);
        std::env::remove_var("SSL_CERT_DIR");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: starting Tokio: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&settings, &certificates)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The emulated account: moto over TLS, its topics and idempotency table,
/// and the local CodeCommit.
struct Account {
    moto: TlsMoto,
    sdk: SdkConfig,
    warning_topic: String,
    critical_topic: String,
    table: String,
    codecommit: CodeCommitServer,
}

impl Account {
    async fn start(certificates: &tls::Certificates) -> Result<Self, String> {
        let moto = TlsMoto::start(certificates).await?;
        let sdk = testbed::sdk_config_for(&moto.endpoint).await;
        let sns = aws_sdk_sns::Client::new(&sdk);
        let mut topics = Vec::new();
        for name in ["watchkeeper-warning", "watchkeeper-critical"] {
            let created = sns
                .create_topic()
                .name(name)
                .send()
                .await
                .map_err(|error| format!("CreateTopic over TLS failed: {error:?}"))?;
            topics.push(created.topic_arn().unwrap_or_default().to_owned());
        }
        let table = testbed::dynamodb::create_idempotency_table(&sdk).await;
        Ok(Self {
            moto,
            sdk,
            critical_topic: topics.pop().unwrap_or_default(),
            warning_topic: topics.pop().unwrap_or_default(),
            table,
            codecommit: CodeCommitServer::start().await,
        })
    }

    /// The environment Lambda gives a function, plus the template's
    /// `Globals` and the function's own variables at their defaults.
    fn env(&self, function: &str, certificates: &tls::Certificates) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef".to_owned(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            ),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO".to_owned()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_REGION", testbed::REGION.to_owned()),
            ("AWS_DEFAULT_REGION", testbed::REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "ASIABENCHEXAMPLEKEY1".to_owned()),
            (
                "AWS_SECRET_ACCESS_KEY",
                "bench/secret/access/key/example".to_owned(),
            ),
            (
                "AWS_SESSION_TOKEN",
                "IQoJb3JpZ2luX2VjEBenchSessionTokenExample".to_owned(),
            ),
            ("_HANDLER", "bootstrap".to_owned()),
            ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
            ("TZ", ":UTC".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
            // The emulated AWS: moto over TLS, trusted through the bundle.
            ("AWS_ENDPOINT_URL", self.moto.endpoint.clone()),
            ("SSL_CERT_FILE", certificates.bundle.display().to_string()),
            // moto has no GetCommit/GetDifferences; the test bed's CodeCommit
            // serves them (plain HTTP on loopback).
            (
                "AWS_ENDPOINT_URL_CODECOMMIT",
                self.codecommit.endpoint.clone(),
            ),
            ("WARNING_TOPIC_ARN", self.warning_topic.clone()),
            ("CRITICAL_TOPIC_ARN", self.critical_topic.clone()),
            ("IDEMPOTENCY_TABLE", self.table.clone()),
            // The template's `AWS::AccountId`: moto's default account.
            ("HOME_ACCOUNT_ID", "123456789012".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let own: &[(&str, &str)] = match function {
            "ec2-alarm-creator" => &[
                ("ALARM_DEFINITIONS", "disk-space"),
                ("ALARM_DEFINITIONS_PARAMETER", ""),
                ("ALARM_NAME_PREFIX", "watchkeeper-"),
                ("TAG_FILTER_MODE", "all"),
                ("TAG_FILTER", ""),
                ("THRESHOLD_TAG_PREFIX", "watchkeeper:threshold:"),
            ],
            "ami-permission-notifier" => &[
                ("TRUSTED_ACCOUNTS", ""),
                ("REPORT_DENIED_CALLS", "true"),
                ("REPORT_OTHER_ATTRIBUTES", "false"),
                ("REPORT_AWS_SERVICE_CALLS", "true"),
            ],
            "codecommit-change-publisher" => &[
                ("REPOSITORY_NAMES", ""),
                ("BRANCH_FILTER", ""),
                ("REPORT_TAGS", "true"),
                ("MAX_COMMITS", "50"),
                ("MAX_FILES_PER_COMMIT", "100"),
            ],
            "health-event-forwarder" => &[
                ("INCLUDE_CATEGORIES", ""),
                ("EXCLUDE_CATEGORIES", ""),
                ("INCLUDE_SERVICES", ""),
                ("EXCLUDE_SERVICES", ""),
                ("INCLUDE_EVENT_TYPE_CODES", ""),
                ("EXCLUDE_EVENT_TYPE_CODES", ""),
                ("INCLUDE_REGIONS", ""),
                ("EXCLUDE_REGIONS", ""),
                ("MINIMUM_SEVERITY", "info"),
                ("SEVERITY_OVERRIDES", ""),
            ],
            "idle-emr-terminator" => &[
                ("DRY_RUN", "true"),
                ("METRIC_MODE", "emr-isidle"),
                ("CUSTOM_METRIC_NAMESPACE", "Watchkeeper/EMR"),
                ("CUSTOM_METRIC_NAME", "ClusterInUse"),
                ("IDLE_WINDOW_MINUTES", "60"),
                ("METRIC_PERIOD_SECONDS", "300"),
                ("OPT_OUT_TAG_KEY", "watchkeeper:keep"),
                // The emulator's clusters were created a moment ago (default 30).
                ("MINIMUM_AGE_MINUTES", "0"),
                ("STACK_MODE", "false"),
                ("STACK_NAME_PREFIX", ""),
            ],
            _ => &[],
        };
        env.extend(
            own.iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        env
    }
}

/// Gives an event fresh identities for invocation `n` of scenario
/// `scenario`, so the idempotency guard sees a new event each time: the
/// EventBridge `id`, CloudTrail's `detail.eventID`, SNS `MessageId`s, and
/// for Health (keyed by ARN, update time and status) `lastUpdatedTime`.
fn freshen(event: &mut Value, scenario: usize, n: usize) {
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
enum Reseed {
    None,
    /// Puts these alarms again (an instance that stopped has alarms to delete).
    Alarms(Vec<String>),
}

struct Scenario {
    function: &'static str,
    /// Which event, e.g. the file in `events/` it is made from.
    event_name: String,
    event: Value,
    reseed: Reseed,
    /// Extra or replaced environment variables.
    env: Vec<(String, String)>,
    note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Ratios {
    init_wall: Option<f64>,
    init_cpu: Option<f64>,
    first_invoke_wall: Option<f64>,
    first_invoke_cpu: Option<f64>,
    warm_wall_p50: Option<f64>,
    warm_cpu_p50: Option<f64>,
    peak_rss: Option<f64>,
    bootstrap_bytes: Option<f64>,
    zip_bytes: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
struct ScenarioReport {
    function: String,
    event: String,
    note: Option<String>,
    bootstrap_bytes: u64,
    zip_bytes: u64,
    init_wall_ms: f64,
    init_cpu_ms: f64,
    init_cpu_ticks_ms: f64,
    first_invoke_wall_ms: f64,
    first_invoke_cpu_ms: f64,
    warm_invocations: usize,
    warm_wall_p50_ms: f64,
    warm_wall_p99_ms: f64,
    warm_cpu_p50_ms: f64,
    warm_cpu_p99_ms: f64,
    peak_rss_kib: u64,
    first_invoke_calls: BTreeMap<String, usize>,
    warm_calls_per_invocation: BTreeMap<String, f64>,
    failed_invocations: usize,
    first_outcome: String,
    ratios_to_floor: Option<Ratios>,
    cost: Vec<Cost>,
}

#[derive(Debug, Clone, Serialize)]
struct Cost {
    memory_mb: u32,
    /// CPU share Lambda gives at this size.
    cpu_share: f64,
    cold_duration_ms: f64,
    cold_cost_usd: f64,
    warm_duration_ms: f64,
    warm_cost_usd: f64,
}

#[derive(Debug, Clone, Serialize)]
struct ScalePoint {
    n: usize,
    wall_ms: f64,
    cpu_ms: f64,
    calls: BTreeMap<String, usize>,
    ok: bool,
    outcome: String,
}

#[derive(Debug, Clone, Serialize)]
struct ScaleCase {
    case: String,
    function: String,
    points: Vec<ScalePoint>,
    peak_rss_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
struct Target {
    target: String,
    subject: String,
    limit: String,
    figure: String,
    met: bool,
}

#[derive(Debug, Clone, Serialize)]
struct Results {
    date: String,
    machine: String,
    memory_mb: u32,
    warm_invocations: usize,
    scenarios: Vec<ScenarioReport>,
    scaling: Vec<ScaleCase>,
    targets: Vec<Target>,
    wall_seconds: f64,
}

async fn run(settings: &Settings, certificates: &tls::Certificates) -> Result<(), String> {
    let run_started = Instant::now();
    let bootstrap = |name: &str| settings.bootstraps.join(name).join("bootstrap");
    for name in FUNCTIONS.iter().copied().chain([FLOOR, PROBE]) {
        if !bootstrap(name).exists() {
            return Err(format!(
                "{} is missing: build the release bootstraps first (`make bench` does)",
                bootstrap(name).display()
            ));
        }
    }
    let logs = settings.work.join("logs");
    std::fs::create_dir_all(&logs)
        .map_err(|error| format!("creating {}: {error}", logs.display()))?;
    println!(
        "Starting moto over TLS (throw-away CA in {})",
        certificates.ca.display()
    );
    let account = Account::start(certificates).await?;
    println!(
        "moto: {}  (CodeCommit: {})",
        account.moto.endpoint, account.codecommit.endpoint
    );

    let scenarios = seed_scenarios(&account, certificates).await?;
    let mut sizes = BTreeMap::new();
    for name in FUNCTIONS.iter().copied().chain([FLOOR, PROBE]) {
        let path = bootstrap(name);
        let size =
            process::file_size(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let zip = zip_size(&path, &settings.work.join(format!("{name}.zip")))?;
        sizes.insert(name.to_owned(), (size, zip));
    }

    let mut reports = Vec::new();
    for (index, scenario) in scenarios.into_iter().enumerate() {
        println!(
            "[{:>5.0} s] {} / {}: cold start, first invoke, {} warm",
            run_started.elapsed().as_secs_f64(),
            scenario.function,
            scenario.event_name,
            settings.warm
        );
        let (size, zip) = sizes[scenario.function];
        let report = run_scenario(
            settings,
            &account,
            certificates,
            &bootstrap(scenario.function),
            index + 1,
            scenario,
            (size, zip),
            &logs,
        )
        .await?;
        reports.push(report);
    }
    let floor = reports
        .iter()
        .find(|report| report.function == FLOOR)
        .cloned()
        .ok_or("the floor was not measured")?;
    for report in &mut reports {
        report.ratios_to_floor = Some(ratios(report, &floor));
    }

    let scaling = if settings.scaling {
        drop(account);
        let account = Account::start(certificates).await?;
        run_scaling(&account, certificates, &bootstrap, &logs, run_started).await?
    } else {
        Vec::new()
    };
    let targets = targets(&reports, &scaling, &floor);
    let results = Results {
        date: utc_date(),
        machine: machine(),
        memory_mb: MEMORY_MB,
        warm_invocations: settings.warm,
        scenarios: reports,
        scaling,
        targets,
        wall_seconds: (run_started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    };
    print_report(&results);
    if let Some(parent) = settings.results.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("creating {}: {error}", parent.display()))?;
    }
    let json = serde_json::to_string_pretty(&results)
        .map_err(|error| format!("serialising results: {error}"))?;
    std::fs::write(&settings.results, json + "\n")
        .map_err(|error| format!("writing {}: {error}", settings.results.display()))?;
    let markdown = settings.results.with_extension("md");
    std::fs::write(&markdown, markdown_tables(&results))
        .map_err(|error| format!("writing {}: {error}", markdown.display()))?;
    println!(
        "\nResults: {} (tables for docs/performance.md: {})",
        settings.results.display(),
        markdown.display()
    );
    Ok(())
}

/// Creates what each representative event needs in the account and returns
/// the scenarios, the floor first.
async fn seed_scenarios(
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

async fn put_alarms(sdk: &SdkConfig, names: &[String]) -> Result<(), String> {
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

#[allow(clippy::too_many_arguments)]
async fn run_scenario(
    settings: &Settings,
    account: &Account,
    certificates: &tls::Certificates,
    bootstrap: &Path,
    index: usize,
    scenario: Scenario,
    (bootstrap_bytes, zip_bytes): (u64, u64),
    logs: &Path,
) -> Result<ScenarioReport, String> {
    let log = logs.join(format!("{index:02}-{}.log", scenario.function));
    let mut env = account.env(scenario.function, certificates);
    env.extend(scenario.env.iter().cloned());
    let reseed = |_: ()| async {
        match &scenario.reseed {
            Reseed::None => Ok(()),
            Reseed::Alarms(names) => put_alarms(&account.sdk, names).await,
        }
    };
    let reseed_calls: BTreeMap<String, usize> = match &scenario.reseed {
        Reseed::None => BTreeMap::new(),
        Reseed::Alarms(names) => {
            BTreeMap::from([("monitoring:PutMetricAlarm".to_owned(), names.len())])
        }
    };

    reseed(()).await?;
    let mut counter = CallCounter::new(&account.moto, Some(&account.codecommit)).await?;
    let mut session = Session::start(bootstrap, scenario.function, &env, &log).await?;
    let init_calls = counter.take().await?;
    if !init_calls.is_empty() {
        println!("    calls during init: {init_calls:?}");
    }
    let mut event = scenario.event.clone();
    freshen(&mut event, index, 0);
    let first = session.invoke(&event, &log).await?;
    let first_calls = counter.take().await?;
    let mut failed = usize::from(first.outcome.is_error);

    let mut warm_wall = Vec::with_capacity(settings.warm);
    let mut warm_cpu = Vec::with_capacity(settings.warm);
    for n in 1..=settings.warm {
        reseed(()).await?;
        let mut event = scenario.event.clone();
        freshen(&mut event, index, n);
        let invocation = session.invoke(&event, &log).await?;
        failed += usize::from(invocation.outcome.is_error);
        warm_wall.push(invocation.wall);
        warm_cpu.push(invocation.cpu);
    }
    let mut warm_calls = counter.take().await?;
    for (call, count) in &reseed_calls {
        if let Some(total) = warm_calls.get_mut(call) {
            *total = total.saturating_sub(count * settings.warm);
        }
    }
    warm_calls.retain(|_, count| *count > 0);
    let init_wall = session.init_wall;
    let init_cpu = session.init_cpu;
    let init_cpu_ticks = session.init_cpu_ticks;
    let peak_rss_kib = session.finish().await?;
    let first_outcome: String = first.outcome.body.chars().take(300).collect();
    if first.outcome.is_error {
        println!("    first invocation FAILED: {first_outcome}");
    }
    let warm_cpu_p50 = percentile(&warm_cpu, 50.0);
    let mut report = ScenarioReport {
        function: scenario.function.to_owned(),
        event: scenario.event_name,
        note: scenario.note,
        bootstrap_bytes,
        zip_bytes,
        init_wall_ms: ms(init_wall),
        init_cpu_ms: ms(init_cpu),
        init_cpu_ticks_ms: ms(init_cpu_ticks),
        first_invoke_wall_ms: ms(first.wall),
        first_invoke_cpu_ms: ms(first.cpu),
        warm_invocations: settings.warm,
        warm_wall_p50_ms: ms(percentile(&warm_wall, 50.0)),
        warm_wall_p99_ms: ms(percentile(&warm_wall, 99.0)),
        warm_cpu_p50_ms: ms(warm_cpu_p50),
        warm_cpu_p99_ms: ms(percentile(&warm_cpu, 99.0)),
        peak_rss_kib,
        first_invoke_calls: first_calls,
        warm_calls_per_invocation: warm_calls
            .into_iter()
            .map(|(call, count)| {
                (
                    call,
                    (count as f64 / settings.warm as f64 * 100.0).round() / 100.0,
                )
            })
            .collect(),
        failed_invocations: failed,
        first_outcome,
        ratios_to_floor: None,
        cost: Vec::new(),
    };
    report.cost = costs(&report);
    println!(
        "    init {:.2} ms CPU, first invoke {:.2} ms CPU, warm p50 {:.2} ms CPU / {:.2} ms wall, peak RSS {} KiB",
        report.init_cpu_ms,
        report.first_invoke_cpu_ms,
        report.warm_cpu_p50_ms,
        report.warm_wall_p50_ms,
        report.peak_rss_kib
    );
    Ok(report)
}

/// Lambda's CPU share at `memory_mb`.
fn cpu_share(memory_mb: u32) -> f64 {
    (f64::from(memory_mb) / FULL_VCPU_MB).min(1.0)
}

/// Duration at `memory_mb` of a phase measured with `cpu` ms of CPU and
/// `wall` ms of wall time here: the CPU part stretches by 1/share (here it
/// ran on a whole core), the rest (waiting on AWS) does not.
fn duration_at(memory_mb: u32, cpu_ms: f64, wall_ms: f64) -> f64 {
    cpu_ms / cpu_share(memory_mb) + (wall_ms - cpu_ms).max(0.0)
}

fn cost_of(memory_mb: u32, duration_ms: f64) -> f64 {
    // Lambda bills each 1 ms, rounded up.
    duration_ms.ceil() / 1000.0 * f64::from(memory_mb) / 1024.0 * PRICE_PER_GB_SECOND
        + PRICE_PER_REQUEST
}

fn costs(report: &ScenarioReport) -> Vec<Cost> {
    [128, 256, 512]
        .into_iter()
        .map(|memory_mb| {
            // A cold invocation bills init and the first invoke (custom runtimes' init is billed).
            // Init runs with a full CPU burst whatever the memory size
            // (issue 7's premise); the invocation gets the memory's share.
            let cold = duration_at(FULL_VCPU_MB as u32, report.init_cpu_ms, report.init_wall_ms)
                + duration_at(
                    memory_mb,
                    report.first_invoke_cpu_ms,
                    report.first_invoke_wall_ms,
                );
            let warm = duration_at(memory_mb, report.warm_cpu_p50_ms, report.warm_wall_p50_ms);
            Cost {
                memory_mb,
                cpu_share: (cpu_share(memory_mb) * 1000.0).round() / 1000.0,
                cold_duration_ms: (cold * 10.0).round() / 10.0,
                cold_cost_usd: cost_of(memory_mb, cold),
                warm_duration_ms: (warm * 10.0).round() / 10.0,
                warm_cost_usd: cost_of(memory_mb, warm),
            }
        })
        .collect()
}

fn ratios(report: &ScenarioReport, floor: &ScenarioReport) -> Ratios {
    Ratios {
        init_wall: ratio(report.init_wall_ms, floor.init_wall_ms),
        init_cpu: ratio(report.init_cpu_ms, floor.init_cpu_ms),
        first_invoke_wall: ratio(report.first_invoke_wall_ms, floor.first_invoke_wall_ms),
        first_invoke_cpu: ratio(report.first_invoke_cpu_ms, floor.first_invoke_cpu_ms),
        warm_wall_p50: ratio(report.warm_wall_p50_ms, floor.warm_wall_p50_ms),
        warm_cpu_p50: ratio(report.warm_cpu_p50_ms, floor.warm_cpu_p50_ms),
        peak_rss: ratio(report.peak_rss_kib as f64, floor.peak_rss_kib as f64),
        bootstrap_bytes: ratio(report.bootstrap_bytes as f64, floor.bootstrap_bytes as f64),
        zip_bytes: ratio(report.zip_bytes as f64, floor.zip_bytes as f64),
    }
}

/// The bootstrap zipped alone with deflate, as `sam build` packages it.
fn zip_size(bootstrap: &Path, zip: &Path) -> Result<u64, String> {
    let script = "import sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n    z.write(sys.argv[1], 'bootstrap')\n";
    let python = testbed::python();
    let output = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(bootstrap)
        .arg(zip)
        .output()
        .map_err(|error| format!("running {}: {error}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "zipping {}: {}",
            bootstrap.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    process::file_size(zip).map_err(|error| format!("{}: {error}", zip.display()))
}

/// One bootstrap process invoked once per N, after one warm-up invocation,
/// so that each point is a warm invocation.
struct ScaleRun<'a> {
    session: Session,
    counter: CallCounter<'a>,
    log: PathBuf,
    case: ScaleCase,
}

impl<'a> ScaleRun<'a> {
    async fn start(
        account: &'a Account,
        certificates: &tls::Certificates,
        bootstrap: &Path,
        function: &str,
        case: &str,
        log: PathBuf,
        warm_up: &Value,
    ) -> Result<Self, String> {
        let env = account.env(function, certificates);
        let mut session = Session::start(bootstrap, function, &env, &log).await?;
        let warm = session.invoke(warm_up, &log).await?;
        if warm.outcome.is_error {
            return Err(format!(
                "{case}: the warm-up invocation failed: {}",
                warm.outcome.body
            ));
        }
        let counter = CallCounter::new(&account.moto, Some(&account.codecommit)).await?;
        Ok(Self {
            session,
            counter,
            log,
            case: ScaleCase {
                case: case.to_owned(),
                function: function.to_owned(),
                points: Vec::new(),
                peak_rss_kib: 0,
            },
        })
    }

    /// Resets the call count: the harness's own seeding is not the function's.
    async fn seeded(&mut self) -> Result<(), String> {
        self.counter.take().await.map(|_| ())
    }

    async fn point(&mut self, n: usize, event: &Value) -> Result<(), String> {
        let invocation = self.session.invoke(event, &self.log).await?;
        let calls = self.counter.take().await?;
        println!(
            "    N = {n:>5}: {:>9.1} ms wall, {:>8.2} ms CPU, {} calls {:?}",
            ms(invocation.wall),
            ms(invocation.cpu),
            calls.values().sum::<usize>(),
            calls
        );
        self.case.points.push(ScalePoint {
            n,
            wall_ms: ms(invocation.wall),
            cpu_ms: ms(invocation.cpu),
            calls,
            ok: !invocation.outcome.is_error,
            outcome: invocation.outcome.body.chars().take(300).collect(),
        });
        Ok(())
    }

    async fn finish(mut self) -> Result<ScaleCase, String> {
        self.case.peak_rss_kib = self.session.finish().await?;
        Ok(self.case)
    }
}

async fn run_scaling(
    account: &Account,
    certificates: &tls::Certificates,
    bootstrap: &impl Fn(&str) -> PathBuf,
    logs: &Path,
    run_started: Instant,
) -> Result<Vec<ScaleCase>, String> {
    let sdk = &account.sdk;
    let mut cases = Vec::new();
    let elapsed = || run_started.elapsed().as_secs_f64();
    let scenario = 100;

    println!("[{:>5.0} s] scaling: EMR sweep over N clusters", elapsed());
    let function = "idle-emr-terminator";
    let mut sweep = load("emr-sweep-schedule.json");
    freshen(&mut sweep, scenario, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "EMR sweep over N clusters",
        logs.join("scale-emr-sweep.log"),
        &sweep,
    )
    .await?;
    let mut clusters = 0;
    for (index, n) in [10, 100, 1000].into_iter().enumerate() {
        while clusters < n {
            run_cluster(
                sdk,
                &ClusterSpec {
                    name: &format!("bench-{clusters:04}"),
                    ..Default::default()
                },
            )
            .await;
            clusters += 1;
        }
        run.seeded().await?;
        freshen(&mut sweep, scenario, index + 1);
        run.point(n, &sweep).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: deleting N alarms of one instance",
        elapsed()
    );
    let function = "ec2-alarm-creator";
    let spare = testbed::ec2::run_instance(sdk, &[]).await;
    let mut warm_up = with_detail(
        load("ec2-instance-stopped.json"),
        "instance-id",
        spare.as_str(),
    );
    freshen(&mut warm_up, scenario + 1, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "deleting N alarms of one instance",
        logs.join("scale-alarms.log"),
        &warm_up,
    )
    .await?;
    for (index, n) in [5, 50, 500].into_iter().enumerate() {
        let instance = testbed::ec2::run_instance(sdk, &[]).await;
        let names: Vec<String> = (0..n)
            .map(|k| format!("watchkeeper-{instance}-alarm-{k:04}"))
            .collect();
        put_alarms(sdk, &names).await?;
        run.seeded().await?;
        let mut event = with_detail(
            load("ec2-instance-stopped.json"),
            "instance-id",
            instance.as_str(),
        );
        freshen(&mut event, scenario + 1, index + 1);
        run.point(n, &event).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: a CodeCommit push touching N files",
        elapsed()
    );
    let function = "codecommit-change-publisher";
    let mut repo = account.codecommit.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    let mut before = repo.commit("Initial import");
    repo.write("CHANGELOG.md", "warm-up\n");
    let mut after = repo.commit("Warm-up");
    let push = |before: &str, after: &str, index: usize| {
        let mut event = with_detail(
            with_detail(load("codecommit-branch-updated.json"), "commitId", after),
            "oldCommitId",
            before,
        );
        freshen(&mut event, scenario + 2, index);
        event
    };
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "a CodeCommit push touching N files",
        logs.join("scale-codecommit.log"),
        &push(&before, &after, 0),
    )
    .await?;
    for (index, n) in [10, 100, 1000].into_iter().enumerate() {
        before = after.clone();
        let directory = repo.path.join(format!("batch-{n}"));
        std::fs::create_dir_all(&directory)
            .map_err(|error| format!("{}: {error}", directory.display()))?;
        for k in 0..n {
            std::fs::write(directory.join(format!("file-{k:04}.txt")), format!("{k}\n"))
                .map_err(|error| format!("writing a file: {error}"))?;
        }
        repo.git(&["add", "-A"]);
        after = repo.commit(&format!("Touch {n} files"));
        run.seeded().await?;
        run.point(n, &push(&before, &after, index + 1)).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: a Health event with N entities",
        elapsed()
    );
    let function = "health-event-forwarder";
    let base = load("health-account-issue.json");
    let mut warm_up = base.clone();
    freshen(&mut warm_up, scenario + 3, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "a Health event with N entities",
        logs.join("scale-health.log"),
        &warm_up,
    )
    .await?;
    for (index, n) in [20, 200, 2000].into_iter().enumerate() {
        let mut event = base.clone();
        event["detail"]["affectedEntities"] = (0..n)
            .map(|k| json!({"entityValue": format!("vol-{k:017x}"), "status": "IMPAIRED"}))
            .collect::<Vec<_>>()
            .into();
        event["resources"] = (0..n)
            .map(|k| Value::from(format!("vol-{k:017x}")))
            .collect::<Vec<_>>()
            .into();
        freshen(&mut event, scenario + 3, index + 1);
        run.point(n, &event).await?;
    }
    cases.push(run.finish().await?);
    Ok(cases)
}

fn calls_of(point: &ScalePoint, action: &str) -> usize {
    point
        .calls
        .iter()
        .filter(|(call, _)| call.ends_with(&format!(":{action}")))
        .map(|(_, count)| count)
        .sum()
}

fn targets(
    reports: &[ScenarioReport],
    scaling: &[ScaleCase],
    floor: &ScenarioReport,
) -> Vec<Target> {
    let mut targets = Vec::new();
    let functions: Vec<&ScenarioReport> = reports
        .iter()
        .filter(|report| FUNCTIONS.contains(&report.function.as_str()))
        .collect();
    for report in &functions {
        let subject = format!("{} / {}", report.function, report.event);
        let init_ratio = report.init_cpu_ms / floor.init_cpu_ms.max(f64::EPSILON);
        targets.push(Target {
            target: "init CPU ≤ 1.5× floor".to_owned(),
            subject: subject.clone(),
            limit: format!("{:.2} ms", 1.5 * floor.init_cpu_ms),
            figure: format!("{:.2} ms ({init_ratio:.1}×)", report.init_cpu_ms),
            met: init_ratio <= 1.5,
        });
        let first_ratio = report.first_invoke_cpu_ms / report.warm_cpu_p50_ms.max(f64::EPSILON);
        targets.push(Target {
            target: "first invoke CPU ≤ 2× warm".to_owned(),
            subject: subject.clone(),
            limit: format!("{:.2} ms", 2.0 * report.warm_cpu_p50_ms),
            figure: format!(
                "{:.2} ms ({first_ratio:.1}× warm p50)",
                report.first_invoke_cpu_ms
            ),
            met: first_ratio <= 2.0,
        });
        if report.failed_invocations > 0 {
            targets.push(Target {
                target: "every invocation succeeds".to_owned(),
                subject,
                limit: "0 failed".to_owned(),
                figure: format!(
                    "{} failed: {}",
                    report.failed_invocations, report.first_outcome
                ),
                met: false,
            });
        }
    }
    for function in FUNCTIONS {
        let of_function = || {
            functions
                .iter()
                .filter(|report| report.function == function)
        };
        let peak = of_function()
            .map(|report| report.peak_rss_kib)
            .chain(
                scaling
                    .iter()
                    .filter(|case| case.function == function)
                    .map(|case| case.peak_rss_kib),
            )
            .max()
            .unwrap_or_default();
        targets.push(Target {
            target: "peak RSS ≤ 25 MiB".to_owned(),
            subject: function.to_owned(),
            limit: "25.0 MiB".to_owned(),
            figure: format!("{:.1} MiB", peak as f64 / 1024.0),
            met: peak <= 25 * 1024,
        });
        if let Some(report) = of_function().next() {
            targets.push(Target {
                target: "zip ≤ 6 MB".to_owned(),
                subject: function.to_owned(),
                limit: "6.00 MB".to_owned(),
                figure: format!("{:.2} MB", report.zip_bytes as f64 / 1e6),
                met: report.zip_bytes <= 6_000_000,
            });
        }
    }
    for case in scaling {
        for point in &case.points {
            let (action, per, target) = match case.function.as_str() {
                "idle-emr-terminator" => {
                    ("GetMetricData", 500, "GetMetricData ≤ ⌈N/500⌉".to_owned())
                }
                "ec2-alarm-creator" => ("DeleteAlarms", 100, "DeleteAlarms ≤ ⌈N/100⌉".to_owned()),
                // One GetDifferences per page: the local CodeCommit's pages
                // are deliberately small (AWS's hold up to 100 files).
                "codecommit-change-publisher" => (
                    "GetDifferences",
                    testbed::codecommit::PAGE_SIZE,
                    format!(
                        "GetDifferences ≤ ⌈N/page⌉ (page = {} here)",
                        testbed::codecommit::PAGE_SIZE
                    ),
                ),
                _ => continue,
            };
            let limit = point.n.div_ceil(per);
            let made = calls_of(point, action);
            targets.push(Target {
                target,
                subject: format!("{}, N = {}", case.case, point.n),
                limit: limit.to_string(),
                figure: made.to_string(),
                met: made <= limit && point.ok,
            });
        }
        if let (Some(first), Some(last)) = (case.points.first(), case.points.last()) {
            let total = |point: &ScalePoint| point.calls.values().sum::<usize>();
            let growth = total(last) as f64 / total(first).max(1) as f64;
            let work = last.n as f64 / first.n as f64;
            targets.push(Target {
                target: "no per-item API calls".to_owned(),
                subject: case.case.clone(),
                limit: format!("calls grow less than the work ({work:.0}×)"),
                figure: format!("{} → {} calls ({growth:.1}×)", total(first), total(last)),
                met: growth < work && case.points.iter().all(|point| point.ok),
            });
        }
    }
    targets
}

/// The tables of docs/performance.md, from these results.
fn markdown_tables(results: &Results) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "Measured {} on {}, {} MB, warm figures over {} invocations.\n",
        results.date, results.machine, results.memory_mb, results.warm_invocations
    ));
    line("| Function | Event | init CPU ms (× floor) | first invoke CPU ms | warm CPU ms p50 | first ÷ warm | warm wall ms p50 / p99 | peak RSS MiB | bootstrap / zip MB | AWS calls (first invoke) |".to_owned());
    line("|---|---|---|---|---|---|---|---|---|---|".to_owned());
    for report in &results.scenarios {
        let init_ratio = report
            .ratios_to_floor
            .as_ref()
            .and_then(|ratios| ratios.init_cpu)
            .map_or(String::new(), |ratio| format!(" ({ratio:.1}×)"));
        let calls: Vec<String> = report
            .first_invoke_calls
            .iter()
            .map(|(call, count)| {
                let action = call
                    .split_once(':')
                    .map_or(call.as_str(), |(_, action)| action);
                format!("{action} {count}")
            })
            .collect();
        line(format!(
            "| `{}` | {} | {:.2}{} | {:.2} | {:.2} | {:.1} | {:.1} / {:.1} | {:.1} | {:.2} / {:.2} | {} |",
            report.function,
            report.event,
            report.init_cpu_ms,
            init_ratio,
            report.first_invoke_cpu_ms,
            report.warm_cpu_p50_ms,
            report.first_invoke_cpu_ms / report.warm_cpu_p50_ms.max(f64::EPSILON),
            report.warm_wall_p50_ms,
            report.warm_wall_p99_ms,
            report.peak_rss_kib as f64 / 1024.0,
            report.bootstrap_bytes as f64 / 1e6,
            report.zip_bytes as f64 / 1e6,
            if calls.is_empty() {
                "—".to_owned()
            } else {
                calls.join(", ")
            }
        ));
    }
    line(String::new());
    line("| Scaling case | N | wall ms | CPU ms | AWS calls |".to_owned());
    line("|---|---|---|---|---|".to_owned());
    for case in &results.scaling {
        for point in &case.points {
            let calls: Vec<String> = point
                .calls
                .iter()
                .map(|(call, count)| {
                    let action = call
                        .split_once(':')
                        .map_or(call.as_str(), |(_, action)| action);
                    format!("{action} {count}")
                })
                .collect();
            line(format!(
                "| {} | {} | {:.1} | {:.2} | {}{} |",
                case.case,
                point.n,
                point.wall_ms,
                point.cpu_ms,
                calls.join(", "),
                if point.ok { "" } else { " (failed)" }
            ));
        }
    }
    line(String::new());
    line(
        "| Function | Event | 128 MB: cold / warm (ms, $ per million) | 256 MB | 512 MB |"
            .to_owned(),
    );
    line("|---|---|---|---|---|".to_owned());
    for report in &results.scenarios {
        let cells: Vec<String> = report
            .cost
            .iter()
            .map(|cost| {
                format!(
                    "{:.0} ms ${:.2} / {:.0} ms ${:.2}",
                    cost.cold_duration_ms,
                    cost.cold_cost_usd * 1e6,
                    cost.warm_duration_ms,
                    cost.warm_cost_usd * 1e6
                )
            })
            .collect();
        line(format!(
            "| `{}` | {} | {} |",
            report.function,
            report.event,
            cells.join(" | ")
        ));
    }
    line(String::new());
    line("| Target | Subject | Limit | Figure | Met |".to_owned());
    line("|---|---|---|---|---|".to_owned());
    for target in &results.targets {
        line(format!(
            "| {} | {} | {} | {} | {} |",
            target.target,
            target.subject,
            target.limit,
            target.figure,
            if target.met { "yes" } else { "**no**" }
        ));
    }
    out
}

fn print_report(results: &Results) {
    println!(
        "\nWatchkeeper bench, {} on {}; {} MB; warm over {} invocations",
        results.date, results.machine, results.memory_mb, results.warm_invocations
    );
    println!(
        "\n{:<28} {:<34} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6}",
        "function",
        "event",
        "boot MB",
        "zip MB",
        "init ms",
        "init CPU",
        "1st ms",
        "1st CPU",
        "warm p50",
        "warm p99",
        "warm CPU",
        "RSS MiB",
        "calls"
    );
    for report in &results.scenarios {
        println!(
            "{:<28} {:<34} {:>7.2} {:>7.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6.1} {:>6}",
            report.function,
            report.event.chars().take(34).collect::<String>(),
            report.bootstrap_bytes as f64 / 1e6,
            report.zip_bytes as f64 / 1e6,
            report.init_wall_ms,
            report.init_cpu_ms,
            report.first_invoke_wall_ms,
            report.first_invoke_cpu_ms,
            report.warm_wall_p50_ms,
            report.warm_wall_p99_ms,
            report.warm_cpu_p50_ms,
            report.peak_rss_kib as f64 / 1024.0,
            report.first_invoke_calls.values().sum::<usize>()
        );
    }
    println!("\nRatios to the floor (init CPU, first-invoke CPU, warm CPU p50, peak RSS, zip):");
    for report in &results.scenarios {
        if let Some(ratios) = &report.ratios_to_floor {
            let show = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.2}×"));
            println!(
                "  {:<28} {:<34} {:>8} {:>8} {:>8} {:>8} {:>8}",
                report.function,
                report.event.chars().take(34).collect::<String>(),
                show(ratios.init_cpu),
                show(ratios.first_invoke_cpu),
                show(ratios.warm_cpu_p50),
                show(ratios.peak_rss),
                show(ratios.zip_bytes)
            );
        }
    }
    println!(
        "\nCost per invocation, arm64 price (CPU stretched by 1769 MB / memory; init at a full CPU):"
    );
    for report in &results.scenarios {
        let costs: Vec<String> = report
            .cost
            .iter()
            .map(|cost| {
                format!(
                    "{} MB: cold {:.0} ms ${:.2e}, warm {:.0} ms ${:.2e}",
                    cost.memory_mb,
                    cost.cold_duration_ms,
                    cost.cold_cost_usd,
                    cost.warm_duration_ms,
                    cost.warm_cost_usd
                )
            })
            .collect();
        println!(
            "  {:<28} {:<34} {}",
            report.function,
            report.event.chars().take(34).collect::<String>(),
            costs.join("; ")
        );
    }
    println!("\nAWS API calls on the first invocation:");
    for report in &results.scenarios {
        println!(
            "  {:<28} {:<34} {:?}",
            report.function,
            report.event.chars().take(34).collect::<String>(),
            report.first_invoke_calls
        );
    }
    if !results.scaling.is_empty() {
        println!("\nScaling (warm invocations):");
        for case in &results.scaling {
            println!("  {} ({}):", case.case, case.function);
            for point in &case.points {
                println!(
                    "    N = {:>5}: {:>9.1} ms wall, {:>8.2} ms CPU, calls {:?}{}",
                    point.n,
                    point.wall_ms,
                    point.cpu_ms,
                    point.calls,
                    if point.ok { "" } else { "  FAILED" }
                );
            }
        }
    }
    println!("\nTargets:");
    for target in &results.targets {
        println!(
            "  [{}] {:<30} {:<55} {} (limit {})",
            if target.met { "met" } else { "NOT MET" },
            target.target,
            target.subject,
            target.figure,
            target.limit
        );
    }
}

fn utc_date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|model| model.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    format!("{cpus} CPUs {} ({model})", std::env::consts::ARCH)
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

    #[test]
    fn cpu_stretches_by_the_memory_share_and_waiting_does_not() {
        // 10 ms of CPU and 40 ms waiting at 128 MB: 10 / (128/1769) + 40.
        let duration = duration_at(128, 10.0, 50.0);
        assert!((duration - (10.0 * 1769.0 / 128.0 + 40.0)).abs() < 1e-9);
        assert!((duration_at(1769, 10.0, 50.0) - 50.0).abs() < 1e-9);
        // 100 ms at 128 MB: 0.1 s × 0.125 GB × price, plus the request.
        let cost = cost_of(128, 99.2);
        assert!((cost - (0.1 * 0.125 * PRICE_PER_GB_SECOND + PRICE_PER_REQUEST)).abs() < 1e-15);
    }
}
