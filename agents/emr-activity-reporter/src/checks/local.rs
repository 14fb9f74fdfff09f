//! The checks that read the node itself: terminal input and EMR's busy marker.

use std::io::ErrorKind;
use std::path::Path;
use std::time::SystemTime;

use super::time::epoch_millis;
use super::{Outcome, Window, list_some};
use crate::config::Config;

/// One pseudo-terminal and when its user last typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub name: String,
    pub last_input_ms: i64,
}

/// Pure: whether anyone typed within the window.
pub fn judge_terminals(terminals: &[Terminal], window: &Window) -> Outcome {
    let mut recent: Vec<&Terminal> = terminals
        .iter()
        .filter(|terminal| window.contains(terminal.last_input_ms))
        .collect();
    recent.sort_by_key(|terminal| std::cmp::Reverse(terminal.last_input_ms));
    match recent.first() {
        Some(latest) => {
            let names: Vec<String> = recent
                .iter()
                .map(|terminal| format!("pts/{}", terminal.name))
                .collect();
            Outcome::in_use(format!(
                "terminal input {} on {} (window {} minutes)",
                window.ago(latest.last_input_ms),
                list_some(&names),
                window.minutes()
            ))
        }
        None => Outcome::not_in_use(format!(
            "no terminal input in the last {} minutes ({} session{} idle longer)",
            window.minutes(),
            terminals.len(),
            if terminals.len() == 1 { "" } else { "s" }
        )),
    }
}

/// Reads the pseudo-terminals under `dir` (`/dev/pts`). The kernel sets a
/// terminal's access time when its user types, which is what `w` shows as
/// IDLE; output does not touch it, so a chatty program does not count.
pub async fn read_terminals(dir: &Path) -> Result<Vec<Terminal>, std::io::Error> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    let mut terminals = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        // pts/ptmx is the multiplexer, not a session; sessions are numbered.
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let metadata = entry.metadata().await?;
        terminals.push(Terminal {
            name,
            last_input_ms: epoch_millis(metadata.accessed()?),
        });
    }
    terminals.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(terminals)
}

pub async fn observe_ssh(config: &Config, now: SystemTime) -> Outcome {
    let window = Window::new(now, config.window_minutes);
    let dir = &config.tty_dir;
    match read_terminals(dir).await {
        Ok(terminals) => judge_terminals(&terminals, &window),
        Err(error) if error.kind() == ErrorKind::NotFound => Outcome::Unavailable {
            why: format!("no terminal directory {}", dir.display()),
        },
        Err(error) => Outcome::garbage(format!(
            "terminals under {} could not be read: {error}",
            dir.display()
        )),
    }
}

/// Pure: EMR's marker counts while it keeps being touched; an old one is a
/// leftover, not a sign of use.
pub fn judge_busy_marker(path: &Path, modified_ms: Option<i64>, window: &Window) -> Outcome {
    match modified_ms {
        None => Outcome::not_in_use(format!("no busy marker at {}", path.display())),
        Some(at) if window.contains(at) => Outcome::in_use(format!(
            "busy marker {} touched {} (window {} minutes)",
            path.display(),
            window.ago(at),
            window.minutes()
        )),
        Some(at) => Outcome::not_in_use(format!(
            "busy marker {} last touched {}",
            path.display(),
            window.ago(at)
        )),
    }
}

pub async fn observe_busy_marker(config: &Config, now: SystemTime) -> Outcome {
    let window = Window::new(now, config.window_minutes);
    let path = &config.busy_marker_file;
    let modified = match tokio::fs::metadata(path).await {
        Ok(metadata) => metadata.modified().map(|time| Some(epoch_millis(time))),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    };
    match modified {
        Ok(modified_ms) => judge_busy_marker(path, modified_ms, &window),
        Err(error) => Outcome::garbage(format!(
            "busy marker {} could not be read: {error}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_732_270_000_000;
    const WINDOW: Window = Window {
        now_ms: NOW,
        span_ms: 600_000,
    };

    fn terminal(name: &str, minutes_ago: i64) -> Terminal {
        Terminal {
            name: name.to_owned(),
            last_input_ms: NOW - minutes_ago * 60_000,
        }
    }

    #[test]
    fn terminal_input_within_the_window_is_use() {
        let cases = [
            (
                vec![],
                Outcome::not_in_use(
                    "no terminal input in the last 10 minutes (0 sessions idle longer)",
                ),
            ),
            (
                vec![terminal("0", 11)],
                Outcome::not_in_use(
                    "no terminal input in the last 10 minutes (1 session idle longer)",
                ),
            ),
            (
                vec![terminal("0", 45), terminal("1", 3), terminal("2", 9)],
                Outcome::in_use("terminal input 3 minutes ago on pts/1, pts/2 (window 10 minutes)"),
            ),
            (
                vec![terminal("4", 10)],
                Outcome::in_use("terminal input 10 minutes ago on pts/4 (window 10 minutes)"),
            ),
        ];
        for (terminals, expected) in cases {
            assert_eq!(
                judge_terminals(&terminals, &WINDOW),
                expected,
                "{terminals:?}"
            );
        }
    }

    #[test]
    fn only_a_recently_touched_marker_is_use() {
        let path = Path::new("/emr/metricscollector/isbusy");
        let cases = [
            (
                None,
                Outcome::not_in_use("no busy marker at /emr/metricscollector/isbusy"),
            ),
            (
                Some(NOW - 60_000),
                Outcome::in_use(
                    "busy marker /emr/metricscollector/isbusy touched 1 minute ago (window 10 minutes)",
                ),
            ),
            (
                Some(NOW - 7_200_000),
                Outcome::not_in_use(
                    "busy marker /emr/metricscollector/isbusy last touched 120 minutes ago",
                ),
            ),
        ];
        for (modified, expected) in cases {
            assert_eq!(judge_busy_marker(path, modified, &WINDOW), expected);
        }
    }
}
