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
//!
//! This file is the driver: the settings, then each step in turn, from the
//! library (`lib.rs` lists where each lives).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use watchkeeper_bench::account::{Account, MEMORY_MB};
use watchkeeper_bench::measure::{run_scenario, zip_size};
use watchkeeper_bench::report::{markdown_tables, print_report};
use watchkeeper_bench::results::{Results, machine, ratios, utc_date};
use watchkeeper_bench::scaling::run_scaling;
use watchkeeper_bench::scenarios::{FLOOR, FUNCTIONS, PROBE, seed_scenarios};
use watchkeeper_bench::targets::targets;
use watchkeeper_bench::{process, tls};

/// The run's settings, from the environment (see above).
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

/// The whole run: checks the bootstraps, seeds the account, measures each
/// scenario and the scaling cases, checks the targets, then prints and
/// writes the results.
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
            settings.warm,
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
