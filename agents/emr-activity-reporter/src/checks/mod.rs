//! The checks: each looks at one kind of use and says what it saw. Reading
//! an answer (the `judge_*` functions) is pure and takes `now`; fetching it
//! (the `observe_*` functions) is the only part that does I/O.

pub mod local;
pub mod services;
pub mod steps;
pub mod time;

use std::time::SystemTime;

use serde::Serialize;

use crate::config::Config;
use crate::http::{self, HttpError};

/// One kind of use the reporter looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    Ssh,
    Yarn,
    Presto,
    Zeppelin,
    Jupyterhub,
    BusyMarker,
    Steps,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::Ssh,
        Check::Yarn,
        Check::Presto,
        Check::Zeppelin,
        Check::Jupyterhub,
        Check::BusyMarker,
        Check::Steps,
    ];

    /// The name used in `CHECKS`, logs and reasons.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Yarn => "yarn",
            Self::Presto => "presto",
            Self::Zeppelin => "zeppelin",
            Self::Jupyterhub => "jupyterhub",
            Self::BusyMarker => "busy-marker",
            Self::Steps => "steps",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|check| check.name() == name)
    }
}

/// What one check saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The check could look, and saw use or none.
    Observed { in_use: bool, why: String },
    /// The service is not installed or not started: no use to see.
    Unavailable { why: String },
    /// The service answered something unreadable: counted as in use.
    Garbage { why: String },
}

impl Outcome {
    pub fn in_use(why: impl Into<String>) -> Self {
        Self::Observed {
            in_use: true,
            why: why.into(),
        }
    }

    pub fn not_in_use(why: impl Into<String>) -> Self {
        Self::Observed {
            in_use: false,
            why: why.into(),
        }
    }

    pub fn garbage(why: impl Into<String>) -> Self {
        Self::Garbage { why: why.into() }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Observed { in_use: true, .. } => "in_use",
            Self::Observed { in_use: false, .. } => "not_in_use",
            Self::Unavailable { .. } => "unavailable",
            Self::Garbage { .. } => "garbage",
        }
    }

    pub fn why(&self) -> &str {
        match self {
            Self::Observed { why, .. } | Self::Unavailable { why } | Self::Garbage { why } => why,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub check: Check,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The moment and span every check measures against, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub now_ms: i64,
    pub span_ms: i64,
}

impl Window {
    pub fn new(now: SystemTime, window_minutes: u32) -> Self {
        Self {
            now_ms: time::epoch_millis(now),
            span_ms: i64::from(window_minutes) * 60_000,
        }
    }

    pub fn minutes(&self) -> i64 {
        self.span_ms / 60_000
    }

    /// Whether something that ended at `ended_ms` ended inside the window;
    /// clocks a little ahead of ours count as now.
    pub fn contains(&self, ended_ms: i64) -> bool {
        ended_ms >= self.now_ms - self.span_ms
    }

    /// "3 minutes ago", for reasons.
    pub fn ago(&self, at_ms: i64) -> String {
        let minutes = (self.now_ms - at_ms).max(0) / 60_000;
        match minutes {
            0 => "less than a minute ago".to_owned(),
            1 => "1 minute ago".to_owned(),
            n => format!("{n} minutes ago"),
        }
    }
}

/// One application, query, paragraph or server, as a check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub state: ItemState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Running, queued or starting; carries the service's state name.
    Active(String),
    /// Done; when, if the service said. An unknown end is not recent: the
    /// item is not running, and a service that never dates its ends would
    /// otherwise keep the cluster forever.
    Ended(Option<i64>),
    /// Never ran (a paragraph not yet run).
    Dormant,
}

/// Turns a service's items into what the check saw.
/// `noun` is `[singular, plural]`.
pub fn summarise(noun: [&str; 2], items: &[Item], window: &Window) -> Outcome {
    let [one, many] = noun;
    let active: Vec<String> = items
        .iter()
        .filter_map(|item| match &item.state {
            ItemState::Active(state) => Some(format!("{} {state}", item.id)),
            _ => None,
        })
        .collect();
    if !active.is_empty() {
        let noun = if active.len() == 1 { one } else { many };
        return Outcome::in_use(format!(
            "{} {noun} active: {}",
            active.len(),
            list_some(&active)
        ));
    }
    let latest_recent = items
        .iter()
        .filter_map(|item| match item.state {
            ItemState::Ended(Some(at)) if window.contains(at) => Some((at, &item.id)),
            _ => None,
        })
        .max();
    if let Some((at, id)) = latest_recent {
        return Outcome::in_use(format!(
            "{one} {id} finished {} (window {} minutes)",
            window.ago(at),
            window.minutes()
        ));
    }
    let older = items
        .iter()
        .filter(|item| matches!(item.state, ItemState::Ended(_)))
        .count();
    Outcome::not_in_use(format!(
        "no {one} active or finished in the last {} minutes ({older} finished earlier)",
        window.minutes()
    ))
}

/// The first three, then "and N more": reasons stay one readable line.
pub fn list_some(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// An HTTP GET's answer as a check outcome: `Ok(body)` on 200, else what the
/// check saw.
pub async fn fetch_json(
    service: &str,
    url: &crate::config::ServiceUrl,
    path: &str,
    headers: &[(&str, &str)],
    config: &Config,
) -> Result<Vec<u8>, Outcome> {
    match http::get(url, path, headers, config.http_timeout).await {
        Ok(response) if response.status == 200 => Ok(response.body),
        Ok(response) => Err(Outcome::garbage(format!(
            "{service} at {} answered HTTP {} to GET {path}",
            url.describe(),
            response.status
        ))),
        Err(HttpError::Unreachable(target)) => Err(Outcome::Unavailable {
            why: format!("{service} is not running: nothing listens on {target}"),
        }),
        Err(HttpError::Failed(problem)) => Err(Outcome::garbage(format!("{service}: {problem}"))),
    }
}

/// Runs every enabled check, all at once.
pub async fn observe_all(
    config: &Config,
    emr: &aws_sdk_emr::Client,
    cluster_id: &str,
    now: SystemTime,
) -> Vec<Observation> {
    let window = Window::new(now, config.window_minutes);
    let enabled = |check: Check| config.checks.contains(&check);
    let (ssh, yarn, presto, zeppelin, jupyterhub, marker, steps) = tokio::join!(
        run_if(enabled(Check::Ssh), local::observe_ssh(config, now)),
        run_if(
            enabled(Check::Yarn),
            services::observe_yarn(config, &window)
        ),
        run_if(
            enabled(Check::Presto),
            services::observe_presto(config, &window)
        ),
        run_if(
            enabled(Check::Zeppelin),
            services::observe_zeppelin(config, &window)
        ),
        run_if(
            enabled(Check::Jupyterhub),
            services::observe_jupyterhub(config, &window)
        ),
        run_if(
            enabled(Check::BusyMarker),
            local::observe_busy_marker(config, now)
        ),
        run_if(enabled(Check::Steps), steps::observe_steps(emr, cluster_id)),
    );
    Check::ALL
        .into_iter()
        .zip([ssh, yarn, presto, zeppelin, jupyterhub, marker, steps])
        .filter_map(|(check, outcome)| outcome.map(|outcome| Observation { check, outcome }))
        .collect()
}

async fn run_if(enabled: bool, check: impl Future<Output = Outcome>) -> Option<Outcome> {
    if enabled { Some(check.await) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_732_270_000_000;
    const WINDOW: Window = Window {
        now_ms: NOW,
        span_ms: 600_000,
    };

    fn item(id: &str, state: ItemState) -> Item {
        Item {
            id: id.to_owned(),
            state,
        }
    }

    #[test]
    fn summaries_say_what_was_seen() {
        let running = || item("q1", ItemState::Active("RUNNING".into()));
        let recent = || item("q2", ItemState::Ended(Some(NOW - 180_000)));
        let old = || item("q3", ItemState::Ended(Some(NOW - 3_600_000)));
        let cases = [
            (
                vec![],
                Outcome::not_in_use(
                    "no query active or finished in the last 10 minutes (0 finished earlier)",
                ),
            ),
            (
                vec![old(), running(), recent()],
                Outcome::in_use("1 query active: q1 RUNNING"),
            ),
            (
                vec![old(), recent()],
                Outcome::in_use("query q2 finished 3 minutes ago (window 10 minutes)"),
            ),
            (
                vec![item("q4", ItemState::Ended(Some(NOW - 600_000)))],
                Outcome::in_use("query q4 finished 10 minutes ago (window 10 minutes)"),
            ),
            (
                vec![item("q5", ItemState::Ended(Some(NOW + 30_000)))],
                Outcome::in_use("query q5 finished less than a minute ago (window 10 minutes)"),
            ),
            (
                vec![
                    old(),
                    item("q6", ItemState::Ended(None)),
                    item("p", ItemState::Dormant),
                ],
                Outcome::not_in_use(
                    "no query active or finished in the last 10 minutes (2 finished earlier)",
                ),
            ),
            (
                (0..5)
                    .map(|n| item(&format!("q{n}"), ItemState::Active("QUEUED".into())))
                    .collect(),
                Outcome::in_use("5 queries active: q0 QUEUED, q1 QUEUED, q2 QUEUED and 2 more"),
            ),
        ];
        for (items, expected) in cases {
            assert_eq!(
                summarise(["query", "queries"], &items, &WINDOW),
                expected,
                "{items:?}"
            );
        }
    }

    #[test]
    fn check_names_round_trip() {
        for check in Check::ALL {
            assert_eq!(Check::from_name(check.name()), Some(check));
        }
        assert_eq!(Check::from_name(" YARN "), Some(Check::Yarn));
        assert_eq!(Check::from_name("hive"), None);
    }
}
