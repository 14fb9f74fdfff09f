//! What a run measured, in the shape of `results.json`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::stats::ratio;

/// A scenario's figures divided by the floor's, to hundredths (`None` where
/// the floor's is zero).
#[derive(Debug, Clone, Serialize)]
pub struct Ratios {
    pub init_wall: Option<f64>,
    pub init_cpu: Option<f64>,
    pub first_invoke_wall: Option<f64>,
    pub first_invoke_cpu: Option<f64>,
    pub warm_wall_p50: Option<f64>,
    pub warm_cpu_p50: Option<f64>,
    pub peak_rss: Option<f64>,
    pub bootstrap_bytes: Option<f64>,
    pub zip_bytes: Option<f64>,
}

/// One scenario's figures: sizes in bytes, times in ms, memory in KiB, AWS
/// calls as `service:Action` → count.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub function: String,
    pub event: String,
    pub note: Option<String>,
    pub bootstrap_bytes: u64,
    pub zip_bytes: u64,
    pub init_wall_ms: f64,
    pub init_cpu_ms: f64,
    pub init_cpu_ticks_ms: f64,
    pub first_invoke_wall_ms: f64,
    pub first_invoke_cpu_ms: f64,
    pub warm_invocations: usize,
    pub warm_wall_p50_ms: f64,
    pub warm_wall_p99_ms: f64,
    pub warm_cpu_p50_ms: f64,
    pub warm_cpu_p99_ms: f64,
    pub peak_rss_kib: u64,
    pub first_invoke_calls: BTreeMap<String, usize>,
    pub warm_calls_per_invocation: BTreeMap<String, f64>,
    pub failed_invocations: usize,
    pub first_outcome: String,
    pub ratios_to_floor: Option<Ratios>,
    pub cost: Vec<Cost>,
}

/// Duration (ms) and cost (USD per invocation) at one memory size.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub memory_mb: u32,
    /// CPU share Lambda gives at this size.
    pub cpu_share: f64,
    pub cold_duration_ms: f64,
    pub cold_cost_usd: f64,
    pub warm_duration_ms: f64,
    pub warm_cost_usd: f64,
}

/// One warm invocation of a scaling case at `n` items.
#[derive(Debug, Clone, Serialize)]
pub struct ScalePoint {
    pub n: usize,
    pub wall_ms: f64,
    pub cpu_ms: f64,
    pub calls: BTreeMap<String, usize>,
    pub ok: bool,
    pub outcome: String,
}

/// A scaling case: one bootstrap process, one point per N.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleCase {
    pub case: String,
    pub function: String,
    pub points: Vec<ScalePoint>,
    pub peak_rss_kib: u64,
}

/// One limit of issue 7, met or not, with the figure behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub target: String,
    pub subject: String,
    pub limit: String,
    pub figure: String,
    pub met: bool,
}

/// Everything one run measured: `results.json`, field for field.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub date: String,
    pub machine: String,
    pub memory_mb: u32,
    pub warm_invocations: usize,
    pub scenarios: Vec<ScenarioReport>,
    pub scaling: Vec<ScaleCase>,
    pub targets: Vec<Target>,
    pub wall_seconds: f64,
}

/// `report`'s figures as ratios to `floor`'s.
pub fn ratios(report: &ScenarioReport, floor: &ScenarioReport) -> Ratios {
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

/// Now, as `YYYY-MM-DD HH:MM UTC` (empty if `date` cannot run).
pub fn utc_date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// CPU count, architecture and CPU model, e.g. `2 CPUs x86_64 (AMD EPYC ...)`.
pub fn machine() -> String {
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
