//! Measuring one scenario: a bootstrap started cold, invoked once, then
//! warm; and the size of what ships.

use std::collections::BTreeMap;
use std::path::Path;

use crate::account::Account;
use crate::cost::costs;
use crate::process;
use crate::results::ScenarioReport;
use crate::scenarios::{Reseed, Scenario, freshen, put_alarms};
use crate::session::{CallCounter, Session};
use crate::stats::{ms, percentile};
use crate::tls;

/// Measures one scenario in a fresh bootstrap process: cold start, a first
/// invocation, then `warm` invocations, each with a fresh event.
/// `index` numbers the scenario (its log file, its events' ids); the
/// sizes are the bootstrap's and its zip's, in bytes.
///
/// Errors: the bootstrap could not start or answer, or moto's call log
/// could not be read, as a sentence. A failed invocation is not an error:
/// it is counted in the report.
#[allow(clippy::too_many_arguments)]
pub async fn run_scenario(
    warm: usize,
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

    let mut warm_wall = Vec::with_capacity(warm);
    let mut warm_cpu = Vec::with_capacity(warm);
    for n in 1..=warm {
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
            *total = total.saturating_sub(count * warm);
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
        warm_invocations: warm,
        warm_wall_p50_ms: ms(percentile(&warm_wall, 50.0)),
        warm_wall_p99_ms: ms(percentile(&warm_wall, 99.0)),
        warm_cpu_p50_ms: ms(warm_cpu_p50),
        warm_cpu_p99_ms: ms(percentile(&warm_cpu, 99.0)),
        peak_rss_kib,
        first_invoke_calls: first_calls,
        warm_calls_per_invocation: warm_calls
            .into_iter()
            .map(|(call, count)| (call, (count as f64 / warm as f64 * 100.0).round() / 100.0))
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

/// The bootstrap zipped alone with deflate, as `sam build` packages it.
///
/// Errors: Python could not run or zip, or the zip cannot be read, as a
/// sentence.
pub fn zip_size(bootstrap: &Path, zip: &Path) -> Result<u64, String> {
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
