//! What an invocation measured here would take and cost on Lambda at a
//! given memory size.

use crate::results::{Cost, ScenarioReport};

/// Lambda gives one full vCPU at 1,769 MB, and CPU in proportion below it.
pub const FULL_VCPU_MB: f64 = 1769.0;
/// arm64 (the template's default), us-east-1/eu-west-1, first tier.
pub const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
/// arm64, per invocation.
pub const PRICE_PER_REQUEST: f64 = 0.000_000_2;

/// Lambda's CPU share at `memory_mb`.
pub fn cpu_share(memory_mb: u32) -> f64 {
    (f64::from(memory_mb) / FULL_VCPU_MB).min(1.0)
}

/// Duration at `memory_mb` of a phase measured with `cpu` ms of CPU and
/// `wall` ms of wall time here: the CPU part stretches by 1/share (here it
/// ran on a whole core), the rest (waiting on AWS) does not.
pub fn duration_at(memory_mb: u32, cpu_ms: f64, wall_ms: f64) -> f64 {
    cpu_ms / cpu_share(memory_mb) + (wall_ms - cpu_ms).max(0.0)
}

/// Dollars for one invocation of `duration_ms` at `memory_mb`, the request
/// included.
pub fn cost_of(memory_mb: u32, duration_ms: f64) -> f64 {
    // Lambda bills each 1 ms, rounded up.
    duration_ms.ceil() / 1000.0 * f64::from(memory_mb) / 1024.0 * PRICE_PER_GB_SECOND
        + PRICE_PER_REQUEST
}

/// What `report`'s cold and warm invocations would take and cost at 128,
/// 256 and 512 MB.
pub fn costs(report: &ScenarioReport) -> Vec<Cost> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
