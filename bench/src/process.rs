//! Readings of a running bootstrap from `/proc`.

use std::path::Path;
use std::time::Duration;

/// CPU time (user + system) the process has used, summed over its live
/// threads from `/proc/<pid>/task/*/schedstat`, which counts in
/// nanoseconds; `/proc/<pid>/stat` counts in clock ticks (10 ms), too coarse
/// for a 2 ms init. A thread that has already exited is not counted: the
/// bootstraps' threads (the Tokio runtime and its blocking pool) live for
/// the whole measurement.
pub fn cpu_time(pid: u32) -> std::io::Result<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let schedstat = match std::fs::read_to_string(task?.path().join("schedstat")) {
            Ok(text) => text,
            // The thread exited between listing and reading.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        total += schedstat
            .split_whitespace()
            .next()
            .and_then(|nanos| nanos.parse::<u64>().ok())
            .ok_or_else(|| invalid(format!("unexpected schedstat {schedstat:?}")))?;
    }
    Ok(Duration::from_nanos(total))
}

/// CPU time from `/proc/<pid>/stat` (utime + stime, in clock ticks of
/// 10 ms): coarse, but it includes threads that have exited.
pub fn cpu_time_ticks(pid: u32) -> std::io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_cpu(&stat).ok_or_else(|| invalid(format!("unexpected /proc/{pid}/stat {stat:?}")))
}

fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    // The command name is in parentheses and may contain spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the whole line; after the name, 12 and 13 (1-based from state).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Peak resident set size (`VmHWM`) in KiB.
pub fn peak_rss_kib(pid: u32) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_vm_hwm(&status).ok_or_else(|| invalid(format!("no VmHWM in /proc/{pid}/status")))
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Size of a file in bytes.
pub fn file_size(path: &Path) -> std::io::Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_adds_user_and_system_ticks_past_a_name_with_spaces() {
        let stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 100 1000 10";
        assert_eq!(parse_stat_cpu(stat), Some(Duration::from_millis(100)));
    }

    #[test]
    fn vm_hwm_is_read_in_kib() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  20000 kB\nVmHWM:\t    9876 kB\nVmRSS:\t 9000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(9876));
    }

    #[test]
    fn this_process_has_used_cpu_and_memory() {
        let pid = std::process::id();
        assert!(cpu_time(pid).expect("schedstat") > Duration::ZERO);
        assert!(peak_rss_kib(pid).expect("status") > 0);
        cpu_time_ticks(pid).expect("stat");
    }
}
