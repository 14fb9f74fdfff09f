//! The limits the bench checks (issue 7's targets), met or not.

use crate::results::{ScaleCase, ScalePoint, ScenarioReport, Target};
use crate::scenarios::FUNCTIONS;

/// How many `action` calls (any service) `point` made.
fn calls_of(point: &ScalePoint, action: &str) -> usize {
    point
        .calls
        .iter()
        .filter(|(call, _)| call.ends_with(&format!(":{action}")))
        .map(|(_, count)| count)
        .sum()
}

/// The targets of issue 7, each met or not, from the scenarios'
/// `reports`, the `scaling` cases and the `floor`: init CPU ≤ 1.5× the
/// floor, first invoke CPU ≤ 2× warm, every invocation succeeding, peak RSS
/// ≤ 25 MiB, zip ≤ 6 MB, batch calls per N, and calls growing slower than
/// the work.
pub fn targets(
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
