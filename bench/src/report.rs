//! Rendering results: the report on stdout and the tables of
//! `docs/performance.md`.

use std::collections::BTreeMap;

use crate::results::Results;

/// The tables of docs/performance.md, from these results.
pub fn markdown_tables(results: &Results) -> String {
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
        let calls = by_action(&report.first_invoke_calls);
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
            let calls = by_action(&point.calls);
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

/// `service:Action` → count as `Action count`, in the map's order.
fn by_action(calls: &BTreeMap<String, usize>) -> Vec<String> {
    calls
        .iter()
        .map(|(call, count)| {
            let action = call
                .split_once(':')
                .map_or(call.as_str(), |(_, action)| action);
            format!("{action} {count}")
        })
        .collect()
}

/// The run's figures on stdout: per scenario, ratios to the floor, cost,
/// AWS calls, scaling and targets.
pub fn print_report(results: &Results) {
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
