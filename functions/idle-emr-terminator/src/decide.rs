//! The pure core: from an alarm, metric history and what EMR and
//! CloudFormation say about a cluster now, decide whether to touch it.
//! Every doubt resolves to leaving the cluster alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use watchkeeper_shared::events::cloudwatch_alarm::{AlarmState, AlarmStateChange};
use watchkeeper_shared::events::quoted;
use watchkeeper_shared::home::Elsewhere;
use watchkeeper_shared::skip::{ReasonCode, Routing};
use watchkeeper_shared::time;

use crate::config::{CLUSTER_DIMENSION, Config, MetricMode};
use crate::words::{count, duration};

/// The only EMR state in which a cluster runs nothing and can be idle.
pub const WAITING: &str = "WAITING";

/// What DescribeCluster says about a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterFacts {
    pub id: String,
    pub name: String,
    /// EMR's state name, e.g. `WAITING`, `RUNNING`, `TERMINATED`.
    pub state: String,
    pub termination_protected: bool,
    pub tags: BTreeMap<String, String>,
    /// Seconds since the epoch; `None` when EMR did not say.
    pub created_at: Option<i64>,
    pub release_label: Option<String>,
    pub normalized_instance_hours: Option<i32>,
}

/// The stack that owns a cluster, from DescribeStackResources and DescribeStacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwningStack {
    pub stack_id: String,
    pub stack_name: String,
    pub status: String,
    /// CloudFormation deletes with this role instead of the caller's rights.
    pub service_role_arn: Option<String>,
    pub termination_protected: bool,
    /// Set on nested stacks, which should be deleted through their parent.
    pub parent_id: Option<String>,
}

// ---- The alarm trigger ----

/// What to do with an alarm state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmStep {
    Skip { reason: AlarmSkip },
    CheckCluster { cluster_id: String },
}

/// Why one alarm leads to no cluster check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmSkip {
    /// A change to OK or INSUFFICIENT_DATA.
    NotAlarm {
        alarm_name: String,
        state: AlarmState,
    },
    /// No `JobFlowId` dimension.
    NoCluster { alarm_name: String },
    /// Several `JobFlowId` values: which one is idle is unknown.
    SeveralClusters {
        alarm_name: String,
        cluster_ids: Vec<String>,
    },
    /// An alarm of another account or region.
    Elsewhere(Elsewhere),
}

impl fmt::Display for AlarmSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAlarm { alarm_name, state } => write!(
                f,
                "alarm {alarm_name} changed to {state}; only a change to ALARM acts"
            ),
            Self::NoCluster { alarm_name } => write!(
                f,
                "alarm {alarm_name} has no {CLUSTER_DIMENSION} dimension, so it names no cluster"
            ),
            Self::SeveralClusters {
                alarm_name,
                cluster_ids,
            } => write!(
                f,
                "alarm {alarm_name} watches {} ({}); it cannot say which one is idle",
                count(cluster_ids.len(), "cluster", "clusters"),
                cluster_ids.join(", ")
            ),
            Self::Elsewhere(elsewhere) => elsewhere.fmt(f),
        }
    }
}

/// Why an invocation acted on no cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Neither an idle alarm nor the scheduled sweep, or a sweep of another
    /// account or region.
    Routing(Routing),
    /// Every alarm of the delivery was left alone, each for its reason.
    Alarms(Vec<AlarmSkip>),
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::Alarms(skips) => match skips.as_slice() {
                [AlarmSkip::Elsewhere(elsewhere)] => Routing::Elsewhere(elsewhere.clone()).code(),
                _ => "alarm_not_actionable",
            },
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::Alarms(skips) => {
                for (index, skip) in skips.iter().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    skip.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

watchkeeper_shared::serialize_reason!(SkipReason);

/// Why an alarm names no usable cluster id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "alarm {alarm_name}: dimension `{CLUSTER_DIMENSION}` value {} is not an EMR cluster id (j-...)",
    quoted(.value)
)]
pub struct MalformedClusterId {
    pub alarm_name: String,
    pub value: String,
}

pub fn alarm_step(change: &AlarmStateChange) -> Result<AlarmStep, MalformedClusterId> {
    if change.new_state != AlarmState::Alarm {
        return Ok(AlarmStep::Skip {
            reason: AlarmSkip::NotAlarm {
                alarm_name: change.alarm_name.clone(),
                state: change.new_state.clone(),
            },
        });
    }
    let cluster_ids = change.dimension_values(CLUSTER_DIMENSION);
    match cluster_ids.as_slice() {
        [] => Ok(AlarmStep::Skip {
            reason: AlarmSkip::NoCluster {
                alarm_name: change.alarm_name.clone(),
            },
        }),
        [cluster_id] if is_cluster_id(cluster_id) => Ok(AlarmStep::CheckCluster {
            cluster_id: (*cluster_id).to_owned(),
        }),
        [cluster_id] => Err(MalformedClusterId {
            alarm_name: change.alarm_name.clone(),
            value: (*cluster_id).to_owned(),
        }),
        several => Ok(AlarmStep::Skip {
            reason: AlarmSkip::SeveralClusters {
                alarm_name: change.alarm_name.clone(),
                cluster_ids: several.iter().map(|id| (*id).to_owned()).collect(),
            },
        }),
    }
}

/// `j-` followed by EMR's upper-case letters and digits.
pub fn is_cluster_id(text: &str) -> bool {
    text.strip_prefix("j-").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

// ---- The scheduled sweep: reading the metric ----

/// The idle window: whole periods ending at the last period boundary, so
/// every expected datapoint is a complete period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub period: i64,
}

impl Window {
    pub fn ending_before(now: i64, config: &Config) -> Self {
        let period = i64::from(config.period_seconds);
        let end = now - now.rem_euclid(period);
        Self {
            start: end - i64::from(config.idle_window_minutes) * 60,
            end,
            period,
        }
    }

    pub fn expected_datapoints(&self) -> u32 {
        u32::try_from((self.end - self.start) / self.period).unwrap_or(u32::MAX)
    }
}

/// What a cluster's metric history over the window says.
#[derive(Debug, Clone, PartialEq)]
pub enum Idleness {
    /// Every expected datapoint is there and says idle.
    Idle { datapoints: u32 },
    /// At least one datapoint says in use; `at` is the latest such period.
    Busy { at: i64, value: f64 },
    /// Some periods have no datapoint: no evidence is not evidence of idleness.
    MissingData { missing: u32, expected: u32 },
}

pub fn judge_idleness(metric: &MetricMode, window: &Window, datapoints: &[(i64, f64)]) -> Idleness {
    let expected = window.expected_datapoints();
    let mut idle_periods = BTreeSet::new();
    let mut latest_busy: Option<(i64, f64)> = None;
    for &(timestamp, value) in datapoints {
        if timestamp < window.start || timestamp >= window.end {
            continue;
        }
        if metric.says_idle(value) {
            idle_periods.insert((timestamp - window.start) / window.period);
        } else if latest_busy.is_none_or(|(at, _)| timestamp > at) {
            latest_busy = Some((timestamp, value));
        }
    }
    if let Some((at, value)) = latest_busy {
        return Idleness::Busy { at, value };
    }
    let present = u32::try_from(idle_periods.len()).unwrap_or(u32::MAX);
    if present < expected {
        return Idleness::MissingData {
            missing: expected - present,
            expected,
        };
    }
    Idleness::Idle {
        datapoints: expected,
    }
}

impl Idleness {
    pub fn describe(&self, metric: &MetricMode) -> String {
        match self {
            Self::Idle { datapoints: 1 } => {
                format!("the only datapoint of {} says idle", metric.describe())
            }
            Self::Idle { datapoints } => {
                format!(
                    "all {datapoints} datapoints of {} say idle",
                    metric.describe()
                )
            }
            Self::Busy { at, value } => format!(
                "in use: {} was {value} in the period starting {}",
                metric.metric_name(),
                time::display_epoch(*at)
            ),
            Self::MissingData { missing, expected } => format!(
                "{missing} of {} of {} {} missing, so idleness is not proven",
                count(expected, "datapoint", "datapoints"),
                metric.metric_name(),
                if *missing == 1 { "is" } else { "are" }
            ),
        }
    }
}

/// Why the cluster is believed idle; shown in the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdleEvidence {
    Metric {
        window_minutes: u32,
        datapoints: u32,
        metric: String,
    },
    Alarm {
        alarm_name: String,
        reason: Option<String>,
        changed_at: Option<String>,
        /// Period × evaluation periods in seconds, when the alarm says.
        idle_seconds: Option<u64>,
    },
}

impl IdleEvidence {
    pub fn from_alarm(change: &AlarmStateChange) -> Self {
        Self::Alarm {
            alarm_name: change.alarm_name.clone(),
            reason: change.reason.clone(),
            changed_at: change.changed_at.clone(),
            idle_seconds: change
                .period_seconds
                .zip(change.evaluation_periods)
                .map(|(period, periods)| period.saturating_mul(periods)),
        }
    }

    /// How long the cluster has been idle, as far as the evidence shows.
    pub fn idle_duration(&self) -> String {
        match self {
            Self::Metric { window_minutes, .. } => {
                format!("at least {}", count(window_minutes, "minute", "minutes"))
            }
            Self::Alarm {
                idle_seconds: Some(seconds),
                ..
            } => format!("at least {} (per alarm)", duration(*seconds)),
            Self::Alarm { alarm_name, .. } => format!("as long as alarm {alarm_name} requires"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Metric {
                window_minutes,
                datapoints,
                metric,
            } => {
                let window = count(window_minutes, "minute", "minutes");
                if *datapoints == 1 {
                    format!("the only datapoint of {metric} over the last {window} says idle")
                } else {
                    format!(
                        "all {datapoints} datapoints of {metric} over the last {window} say idle"
                    )
                }
            }
            Self::Alarm {
                alarm_name,
                reason,
                changed_at,
                ..
            } => {
                let mut text = format!("alarm {alarm_name} changed to ALARM");
                if let Some(at) = changed_at {
                    text.push_str(&format!(" at {}", time::display_text(at)));
                }
                if let Some(reason) = reason {
                    text.push_str(&format!(": {reason}"));
                }
                text
            }
        }
    }
}

// ---- Guards, checked on a fresh DescribeCluster right before acting ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    /// Every guard passed: the cluster may be terminated.
    Proceed,
    /// Idle and otherwise eligible, but termination protection is on.
    Protected,
    Skip(GuardSkip),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardSkip {
    NotFound,
    NotWaiting {
        state: String,
    },
    OptedOut {
        tag_key: String,
    },
    TooYoung {
        age_minutes: i64,
        minimum: u32,
    },
    UnknownAge,
    /// WAITING, yet ListSteps shows work submitted and not finished: the
    /// idleness was measured before it came. Unlike the other reasons,
    /// operators are told, since an idle alarm or sweep said otherwise.
    StepsQueued(QueuedSteps),
}

/// The steps of a cluster that have not finished, as ListSteps gave them
/// just now (never empty when [`check_steps`] returns it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedSteps {
    pub steps: Vec<StepInfo>,
}

impl QueuedSteps {
    /// `1 step pending`, or `3 steps: 2 pending, 1 running`.
    pub fn summary(&self) -> String {
        steps_summary(&self.steps)
    }

    /// The steps by id, name and state, at most [`MAX_STEPS_NAMED`].
    pub fn named(&self) -> String {
        steps_named(&self.steps)
    }

    pub fn describe(&self) -> String {
        format!(
            "cluster has work queued: {} ({})",
            self.summary(),
            self.named()
        )
    }
}

/// A step EMR has not finished, as ListSteps gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    pub id: String,
    pub name: String,
    pub state: StepState,
}

/// A step's state. Only the finished states let a cluster be idle; a
/// state this function does not know counts as work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Pending,
    /// A pending step whose cancellation was asked for and not yet done.
    CancelPending,
    Running,
    /// COMPLETED, CANCELLED, FAILED or INTERRUPTED.
    Finished(String),
    /// A state EMR did not document when this was written, or none.
    Other(String),
}

impl StepState {
    pub fn from_emr(state: &str) -> Self {
        match state {
            "PENDING" => Self::Pending,
            "CANCEL_PENDING" => Self::CancelPending,
            "RUNNING" => Self::Running,
            "COMPLETED" | "CANCELLED" | "FAILED" | "INTERRUPTED" => {
                Self::Finished(state.to_owned())
            }
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Finished(_))
    }

    /// EMR's name for the state.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::CancelPending => "CANCEL_PENDING",
            Self::Running => "RUNNING",
            Self::Finished(state) => state,
            Self::Other(state) if state.is_empty() => "no state",
            Self::Other(state) => state,
        }
    }

    /// How the state reads after a count of steps.
    fn phrase(&self) -> String {
        match self {
            Self::Pending => "pending".to_owned(),
            Self::CancelPending => "pending cancellation".to_owned(),
            Self::Running => "running".to_owned(),
            other => format!("in state {}", other.as_str()),
        }
    }
}

/// At most this many steps are named in a reason; the rest are counted.
pub const MAX_STEPS_NAMED: usize = 5;

fn steps_summary(steps: &[StepInfo]) -> String {
    let mut groups: Vec<(String, usize)> = Vec::new();
    for step in steps {
        let phrase = step.state.phrase();
        match groups.iter_mut().find(|(seen, _)| *seen == phrase) {
            Some((_, number)) => *number += 1,
            None => groups.push((phrase, 1)),
        }
    }
    let total = count(steps.len(), "step", "steps");
    match groups.as_slice() {
        [(phrase, _)] => format!("{total} {phrase}"),
        groups => format!(
            "{total}: {}",
            groups
                .iter()
                .map(|(phrase, number)| format!("{number} {phrase}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `s-1 "nightly-etl" (PENDING), s-2 "load" (RUNNING) and 4 more`.
fn steps_named(steps: &[StepInfo]) -> String {
    let named: Vec<String> = steps
        .iter()
        .take(MAX_STEPS_NAMED)
        .map(|step| {
            format!(
                "{} {} ({})",
                step.id,
                quoted(&step.name),
                step.state.as_str()
            )
        })
        .collect();
    let mut text = named.join(", ");
    let more = steps.len().saturating_sub(MAX_STEPS_NAMED);
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

impl GuardSkip {
    pub fn describe(&self) -> String {
        match self {
            Self::NotFound => "EMR does not know this cluster".to_owned(),
            Self::NotWaiting { state } => {
                format!("cluster is {state}, not WAITING, so it is busy or already going away")
            }
            Self::OptedOut { tag_key } => format!("cluster carries the opt-out tag {tag_key}"),
            Self::TooYoung {
                age_minutes,
                minimum,
            } => format!(
                "cluster is {} old, younger than the minimum age of {}",
                count(age_minutes, "minute", "minutes"),
                count(minimum, "minute", "minutes")
            ),
            Self::UnknownAge => "EMR did not report the cluster's creation time".to_owned(),
            Self::StepsQueued(queued) => queued.describe(),
        }
    }
}

pub fn check_guards(cluster: Option<&ClusterFacts>, now: i64, config: &Config) -> Eligibility {
    let Some(cluster) = cluster else {
        return Eligibility::Skip(GuardSkip::NotFound);
    };
    if !cluster.state.eq_ignore_ascii_case(WAITING) {
        return Eligibility::Skip(GuardSkip::NotWaiting {
            state: cluster.state.clone(),
        });
    }
    if cluster.tags.contains_key(&config.opt_out_tag_key) {
        return Eligibility::Skip(GuardSkip::OptedOut {
            tag_key: config.opt_out_tag_key.clone(),
        });
    }
    let Some(created_at) = cluster.created_at else {
        return Eligibility::Skip(GuardSkip::UnknownAge);
    };
    let age_minutes = (now - created_at).div_euclid(60);
    if age_minutes < i64::from(config.minimum_age_minutes) {
        return Eligibility::Skip(GuardSkip::TooYoung {
            age_minutes,
            minimum: config.minimum_age_minutes,
        });
    }
    if cluster.termination_protected {
        return Eligibility::Protected;
    }
    Eligibility::Proceed
}

/// The last guard, on a fresh ListSteps right before acting: a cluster
/// with any step not finished is not idle, whatever its state or metric.
pub fn check_steps(steps: &[StepInfo]) -> Option<QueuedSteps> {
    let unfinished: Vec<StepInfo> = steps
        .iter()
        .filter(|step| !step.state.is_finished())
        .cloned()
        .collect();
    (!unfinished.is_empty()).then_some(QueuedSteps { steps: unfinished })
}

// ---- The action ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    TerminateCluster,
    DeleteStack {
        stack_id: String,
        stack_name: String,
    },
    /// Nothing to do but tell operators.
    ReportProtected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    /// Dry run: the action is only described.
    pub dry_run: bool,
    /// Why stack mode fell back to terminating the cluster, if it did.
    pub note: Option<String>,
}

/// Terminates the cluster, or in stack mode deletes the stack that owns it
/// when CloudFormation can delete it cleanly.
pub fn plan_action(
    config: &Config,
    guard: &Eligibility,
    stack: Option<&OwningStack>,
) -> Option<Plan> {
    let dry_run = config.dry_run;
    match guard {
        Eligibility::Skip(_) => None,
        Eligibility::Protected => Some(Plan {
            action: Action::ReportProtected,
            dry_run,
            note: None,
        }),
        Eligibility::Proceed => {
            let terminate = |note: Option<String>| Plan {
                action: Action::TerminateCluster,
                dry_run,
                note,
            };
            if !config.stack_mode {
                return Some(terminate(None));
            }
            let Some(stack) = stack else {
                return Some(terminate(Some(
                    "no CloudFormation stack owns the cluster".to_owned(),
                )));
            };
            match stack_not_deletable(config, stack) {
                Some(why) => Some(terminate(Some(format!(
                    "stack {} is not deleted: {why}",
                    stack.stack_name
                )))),
                None => Some(Plan {
                    action: Action::DeleteStack {
                        stack_id: stack.stack_id.clone(),
                        stack_name: stack.stack_name.clone(),
                    },
                    dry_run,
                    note: None,
                }),
            }
        }
    }
}

/// Why the stack must not be deleted, or `None` when it may.
fn stack_not_deletable(config: &Config, stack: &OwningStack) -> Option<String> {
    if stack.status.ends_with("_IN_PROGRESS") || stack.status == "DELETE_COMPLETE" {
        return Some(format!("it is {}", stack.status));
    }
    if stack.parent_id.is_some() {
        return Some("it is a nested stack; delete it through its parent".to_owned());
    }
    if stack.termination_protected {
        return Some("it has termination protection".to_owned());
    }
    if !stack.stack_name.starts_with(&config.stack_name_prefix) {
        return Some(format!(
            "its name does not start with {:?} (STACK_NAME_PREFIX)",
            config.stack_name_prefix
        ));
    }
    if stack.service_role_arn.is_none() {
        return Some(
            "it has no service role, and this function has no rights to delete its resources"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MetricMode;
    use watchkeeper_shared::publisher::Topics;

    /// 2026-11-18 11:06:40 UTC, not on a 5-minute boundary.
    const NOW: i64 = 1_795_000_000;

    fn config() -> Config {
        Config {
            topics: Topics {
                warning_topic_arn: "w".into(),
                critical_topic_arn: "c".into(),
            },
            dry_run: false,
            metric: MetricMode::EmrIsIdle,
            idle_window_minutes: 60,
            period_seconds: 300,
            opt_out_tag_key: "watchkeeper:keep".into(),
            minimum_age_minutes: 30,
            stack_mode: false,
            stack_name_prefix: String::new(),
        }
    }

    fn cluster() -> ClusterFacts {
        ClusterFacts {
            id: "j-ABC".into(),
            name: "adhoc".into(),
            state: "WAITING".into(),
            termination_protected: false,
            tags: BTreeMap::new(),
            created_at: Some(NOW - 3 * 3600),
            release_label: Some("emr-7.1.0".into()),
            normalized_instance_hours: Some(24),
        }
    }

    fn stack() -> OwningStack {
        OwningStack {
            stack_id: "arn:aws:cloudformation:eu-west-1:1:stack/emr-adhoc/1".into(),
            stack_name: "emr-adhoc".into(),
            status: "CREATE_COMPLETE".into(),
            service_role_arn: Some("arn:aws:iam::1:role/cfn".into()),
            termination_protected: false,
            parent_id: None,
        }
    }

    fn change(state: AlarmState, dimensions: &[(&str, &str)]) -> AlarmStateChange {
        AlarmStateChange {
            alarm_name: "emr-idle".into(),
            new_state: state,
            old_state: Some(AlarmState::Ok),
            reason: None,
            changed_at: None,
            dimensions: dimensions
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            period_seconds: Some(300),
            evaluation_periods: Some(4),
        }
    }

    #[test]
    fn alarm_steps() {
        let cases: Vec<(AlarmStateChange, Result<&str, &str>)> = vec![
            (
                change(AlarmState::Alarm, &[("JobFlowId", "j-1AB")]),
                Ok("j-1AB"),
            ),
            (
                change(
                    AlarmState::Alarm,
                    &[("JobFlowId", "j-1AB"), ("JobFlowId", "j-1AB")],
                ),
                Ok("j-1AB"),
            ),
            (
                change(AlarmState::Ok, &[("JobFlowId", "j-1AB")]),
                Err("alarm emr-idle changed to OK; only a change to ALARM acts"),
            ),
            (
                change(AlarmState::InsufficientData, &[("JobFlowId", "j-1AB")]),
                Err("alarm emr-idle changed to INSUFFICIENT_DATA; only a change to ALARM acts"),
            ),
            (
                change(AlarmState::Alarm, &[("InstanceId", "i-1")]),
                Err("alarm emr-idle has no JobFlowId dimension, so it names no cluster"),
            ),
            (
                change(
                    AlarmState::Alarm,
                    &[("JobFlowId", "j-1"), ("JobFlowId", "j-2")],
                ),
                Err(
                    "alarm emr-idle watches 2 clusters (j-1, j-2); it cannot say which one is idle",
                ),
            ),
        ];
        for (change, expected) in cases {
            let actual = match alarm_step(&change).unwrap() {
                AlarmStep::CheckCluster { cluster_id } => Ok(cluster_id),
                AlarmStep::Skip { reason } => Err(reason.to_string()),
            };
            assert_eq!(
                actual,
                expected.map(str::to_owned).map_err(str::to_owned),
                "{change:?}"
            );
        }
        let error =
            alarm_step(&change(AlarmState::Alarm, &[("JobFlowId", "j-1; rm")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alarm emr-idle: dimension `JobFlowId` value \"j-1; rm\" is not an EMR cluster id (j-...)"
        );
    }

    #[test]
    fn cluster_ids() {
        for (text, valid) in [
            ("j-2AXXXXXXGAPLF", true),
            ("j-1", true),
            ("j-", false),
            ("i-123", false),
            ("j-12 3", false),
            ("", false),
        ] {
            assert_eq!(is_cluster_id(text), valid, "{text}");
        }
    }

    #[test]
    fn window_ends_at_the_last_period_boundary() {
        let window = Window::ending_before(NOW, &config());
        assert_eq!(window.end % 300, 0);
        assert!(window.end <= NOW && NOW - window.end < 300);
        assert_eq!(window.end - window.start, 3600);
        assert_eq!(window.expected_datapoints(), 12);
    }

    fn series(window: &Window, values: &[Option<f64>]) -> Vec<(i64, f64)> {
        values
            .iter()
            .enumerate()
            .filter_map(|(index, value)| {
                value.map(|v| (window.start + index as i64 * window.period, v))
            })
            .collect()
    }

    #[test]
    fn idleness_needs_every_datapoint_idle() {
        let window = Window::ending_before(NOW, &config());
        let custom = MetricMode::Custom {
            namespace: "n".into(),
            name: "ClusterInUse".into(),
        };
        let all_idle = [Some(1.0); 12];
        let mut one_busy = all_idle;
        one_busy[5] = Some(0.0);
        let mut one_missing = all_idle;
        one_missing[11] = None;
        let mut busy_and_missing = one_missing;
        busy_and_missing[2] = Some(0.0);
        type Case<'a> = (&'a MetricMode, Vec<(i64, f64)>, Idleness);
        let cases: Vec<Case> = vec![
            (
                &MetricMode::EmrIsIdle,
                series(&window, &all_idle),
                Idleness::Idle { datapoints: 12 },
            ),
            (
                &MetricMode::EmrIsIdle,
                series(&window, &one_busy),
                Idleness::Busy {
                    at: window.start + 5 * 300,
                    value: 0.0,
                },
            ),
            (
                &MetricMode::EmrIsIdle,
                series(&window, &one_missing),
                Idleness::MissingData {
                    missing: 1,
                    expected: 12,
                },
            ),
            (
                &MetricMode::EmrIsIdle,
                series(&window, &busy_and_missing),
                Idleness::Busy {
                    at: window.start + 2 * 300,
                    value: 0.0,
                },
            ),
            (
                &MetricMode::EmrIsIdle,
                Vec::new(),
                Idleness::MissingData {
                    missing: 12,
                    expected: 12,
                },
            ),
            (
                &custom,
                series(&window, &[Some(0.0); 12]),
                Idleness::Idle { datapoints: 12 },
            ),
            (
                &custom,
                series(&window, &all_idle),
                Idleness::Busy {
                    at: window.start + 11 * 300,
                    value: 1.0,
                },
            ),
        ];
        for (metric, datapoints, expected) in cases {
            assert_eq!(
                judge_idleness(metric, &window, &datapoints),
                expected,
                "{metric:?} {datapoints:?}"
            );
        }
    }

    #[test]
    fn datapoints_outside_the_window_or_repeated_prove_nothing() {
        let window = Window::ending_before(NOW, &config());
        // Eleven periods idle twice over, plus idle datapoints before and after the window.
        let mut datapoints = series(&window, &[Some(1.0); 11]);
        datapoints.extend(series(&window, &[Some(1.0); 11]));
        datapoints.push((window.start - 300, 1.0));
        datapoints.push((window.end, 1.0));
        assert_eq!(
            judge_idleness(&MetricMode::EmrIsIdle, &window, &datapoints),
            Idleness::MissingData {
                missing: 1,
                expected: 12
            }
        );
    }

    #[test]
    fn guards() {
        let mut config = config();
        config.minimum_age_minutes = 30;
        let with = |edit: &dyn Fn(&mut ClusterFacts)| {
            let mut cluster = cluster();
            edit(&mut cluster);
            cluster
        };
        let cases: Vec<(Option<ClusterFacts>, Eligibility)> = vec![
            (Some(cluster()), Eligibility::Proceed),
            (None, Eligibility::Skip(GuardSkip::NotFound)),
            (
                Some(with(&|c| c.state = "RUNNING".into())),
                Eligibility::Skip(GuardSkip::NotWaiting {
                    state: "RUNNING".into(),
                }),
            ),
            (
                Some(with(&|c| c.state = "TERMINATING".into())),
                Eligibility::Skip(GuardSkip::NotWaiting {
                    state: "TERMINATING".into(),
                }),
            ),
            (
                Some(with(&|c| c.state = "TERMINATED".into())),
                Eligibility::Skip(GuardSkip::NotWaiting {
                    state: "TERMINATED".into(),
                }),
            ),
            (
                Some(with(&|c| {
                    c.tags.insert("watchkeeper:keep".into(), String::new());
                    c.termination_protected = true;
                })),
                Eligibility::Skip(GuardSkip::OptedOut {
                    tag_key: "watchkeeper:keep".into(),
                }),
            ),
            (
                Some(with(&|c| c.created_at = Some(NOW - 29 * 60 - 59))),
                Eligibility::Skip(GuardSkip::TooYoung {
                    age_minutes: 29,
                    minimum: 30,
                }),
            ),
            (
                Some(with(&|c| c.created_at = Some(NOW - 30 * 60))),
                Eligibility::Proceed,
            ),
            (
                Some(with(&|c| c.created_at = None)),
                Eligibility::Skip(GuardSkip::UnknownAge),
            ),
            (
                Some(with(&|c| c.termination_protected = true)),
                Eligibility::Protected,
            ),
            (
                Some(with(&|c| {
                    c.termination_protected = true;
                    c.state = "RUNNING".into();
                })),
                Eligibility::Skip(GuardSkip::NotWaiting {
                    state: "RUNNING".into(),
                }),
            ),
        ];
        for (cluster, expected) in cases {
            assert_eq!(
                check_guards(cluster.as_ref(), NOW, &config),
                expected,
                "{cluster:?}"
            );
        }
    }

    #[test]
    fn plans() {
        let terminate = |note: Option<&str>| {
            Some(Plan {
                action: Action::TerminateCluster,
                dry_run: false,
                note: note.map(str::to_owned),
            })
        };
        let delete = Some(Plan {
            action: Action::DeleteStack {
                stack_id: stack().stack_id,
                stack_name: "emr-adhoc".into(),
            },
            dry_run: false,
            note: None,
        });
        let plain = config();
        let stack_mode = Config {
            stack_mode: true,
            ..config()
        };
        let prefixed = Config {
            stack_mode: true,
            stack_name_prefix: "analytics-".into(),
            ..config()
        };
        let with = |edit: &dyn Fn(&mut OwningStack)| {
            let mut stack = stack();
            edit(&mut stack);
            stack
        };
        let skip = Eligibility::Skip(GuardSkip::NotFound);
        let cases: Vec<(&Config, &Eligibility, Option<OwningStack>, Option<Plan>)> = vec![
            (&plain, &skip, Some(stack()), None),
            (&plain, &Eligibility::Proceed, None, terminate(None)),
            (
                &plain,
                &Eligibility::Proceed,
                Some(stack()),
                terminate(None),
            ),
            (
                &plain,
                &Eligibility::Protected,
                Some(stack()),
                Some(Plan {
                    action: Action::ReportProtected,
                    dry_run: false,
                    note: None,
                }),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(stack()),
                delete.clone(),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                None,
                terminate(Some("no CloudFormation stack owns the cluster")),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(with(&|s| s.status = "UPDATE_IN_PROGRESS".into())),
                terminate(Some(
                    "stack emr-adhoc is not deleted: it is UPDATE_IN_PROGRESS",
                )),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(with(&|s| s.status = "UPDATE_ROLLBACK_FAILED".into())),
                delete.clone(),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(with(&|s| s.parent_id = Some("p".into()))),
                terminate(Some(
                    "stack emr-adhoc is not deleted: it is a nested stack; delete it through its parent",
                )),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(with(&|s| s.termination_protected = true)),
                terminate(Some(
                    "stack emr-adhoc is not deleted: it has termination protection",
                )),
            ),
            (
                &stack_mode,
                &Eligibility::Proceed,
                Some(with(&|s| s.service_role_arn = None)),
                terminate(Some(
                    "stack emr-adhoc is not deleted: it has no service role, and this function has no rights to delete its resources",
                )),
            ),
            (
                &prefixed,
                &Eligibility::Proceed,
                Some(stack()),
                terminate(Some(
                    "stack emr-adhoc is not deleted: its name does not start with \"analytics-\" (STACK_NAME_PREFIX)",
                )),
            ),
        ];
        for (config, guard, stack, expected) in cases {
            assert_eq!(
                plan_action(config, guard, stack.as_ref()),
                expected,
                "{guard:?} {stack:?}"
            );
        }
        let dry = Config {
            dry_run: true,
            ..config()
        };
        assert!(
            plan_action(&dry, &Eligibility::Proceed, None)
                .is_some_and(|plan| plan.dry_run && plan.action == Action::TerminateCluster)
        );
    }

    #[test]
    fn evidence_from_alarm_and_metric() {
        let mut alarm = change(AlarmState::Alarm, &[("JobFlowId", "j-1")]);
        alarm.reason = Some("Threshold Crossed".into());
        alarm.changed_at = Some("2026-11-22T10:00:00.000+0000".into());
        let evidence = IdleEvidence::from_alarm(&alarm);
        assert_eq!(evidence.idle_duration(), "at least 20 minutes (per alarm)");
        assert_eq!(
            evidence.describe(),
            "alarm emr-idle changed to ALARM at 2026-11-22 10:00 UTC: Threshold Crossed"
        );
        alarm.evaluation_periods = None;
        assert_eq!(
            IdleEvidence::from_alarm(&alarm).idle_duration(),
            "as long as alarm emr-idle requires"
        );
        let metric = IdleEvidence::Metric {
            window_minutes: 60,
            datapoints: 12,
            metric: "AWS/ElasticMapReduce IsIdle (1 = idle)".into(),
        };
        assert_eq!(metric.idle_duration(), "at least 60 minutes");
    }

    fn step(id: &str, name: &str, state: &str) -> StepInfo {
        StepInfo {
            id: id.into(),
            name: name.into(),
            state: StepState::from_emr(state),
        }
    }

    #[test]
    fn step_states_from_emr() {
        for (name, state, finished) in [
            ("PENDING", StepState::Pending, false),
            ("CANCEL_PENDING", StepState::CancelPending, false),
            ("RUNNING", StepState::Running, false),
            ("COMPLETED", StepState::Finished("COMPLETED".into()), true),
            ("CANCELLED", StepState::Finished("CANCELLED".into()), true),
            ("FAILED", StepState::Finished("FAILED".into()), true),
            (
                "INTERRUPTED",
                StepState::Finished("INTERRUPTED".into()),
                true,
            ),
            ("PAUSED", StepState::Other("PAUSED".into()), false),
            ("", StepState::Other(String::new()), false),
        ] {
            let parsed = StepState::from_emr(name);
            assert_eq!(parsed, state, "{name}");
            assert_eq!(parsed.is_finished(), finished, "{name}");
        }
        assert_eq!(StepState::Other(String::new()).as_str(), "no state");
        assert_eq!(StepState::CancelPending.as_str(), "CANCEL_PENDING");
    }

    /// Fault 4: a WAITING cluster with a step just submitted is not idle.
    #[test]
    fn unfinished_steps_spare_the_cluster_and_say_which() {
        assert_eq!(check_steps(&[]), None);
        let finished = [
            step("s-1", "etl", "COMPLETED"),
            step("s-2", "load", "FAILED"),
            step("s-3", "old", "CANCELLED"),
        ];
        assert_eq!(check_steps(&finished), None);

        let cases: Vec<(Vec<StepInfo>, &str)> = vec![
            (
                vec![step("s-1PENDING", "nightly-etl", "PENDING")],
                r#"cluster has work queued: 1 step pending (s-1PENDING "nightly-etl" (PENDING))"#,
            ),
            (
                vec![
                    step("s-2", "load", "RUNNING"),
                    step("s-1", "etl", "COMPLETED"),
                    step("s-3", "report", "RUNNING"),
                ],
                r#"cluster has work queued: 2 steps running (s-2 "load" (RUNNING), s-3 "report" (RUNNING))"#,
            ),
            (
                vec![
                    step("s-4", "b", "PENDING"),
                    step("s-3", "a", "CANCEL_PENDING"),
                    step("s-2", "x", "RUNNING"),
                    step("s-1", "y", "PENDING"),
                ],
                r#"cluster has work queued: 4 steps: 2 pending, 1 pending cancellation, 1 running (s-4 "b" (PENDING), s-3 "a" (CANCEL_PENDING), s-2 "x" (RUNNING), s-1 "y" (PENDING))"#,
            ),
            (
                vec![step("s-9", "new kind", "PAUSED")],
                r#"cluster has work queued: 1 step in state PAUSED (s-9 "new kind" (PAUSED))"#,
            ),
            (
                vec![step("s-1", "line\nbreak", "PENDING")],
                r#"cluster has work queued: 1 step pending (s-1 "line\nbreak" (PENDING))"#,
            ),
        ];
        for (steps, expected) in cases {
            let queued = check_steps(&steps).expect("spared");
            assert!(queued.steps.iter().all(|s| !s.state.is_finished()));
            assert_eq!(GuardSkip::StepsQueued(queued).describe(), expected);
        }
    }

    #[test]
    fn many_queued_steps_are_counted_and_only_the_first_named() {
        let steps: Vec<StepInfo> = (0..8)
            .map(|index| step(&format!("s-{index}"), &format!("job-{index}"), "PENDING"))
            .collect();
        let queued = check_steps(&steps).unwrap();
        assert_eq!(queued.summary(), "8 steps pending");
        assert_eq!(
            queued.named(),
            r#"s-0 "job-0" (PENDING), s-1 "job-1" (PENDING), s-2 "job-2" (PENDING), s-3 "job-3" (PENDING), s-4 "job-4" (PENDING) and 3 more"#
        );
    }

    /// Every count and duration this function prints takes the right plural.
    #[test]
    fn counts_and_durations_take_the_right_plural() {
        let too_young = GuardSkip::TooYoung {
            age_minutes: 1,
            minimum: 1,
        };
        assert_eq!(
            too_young.describe(),
            "cluster is 1 minute old, younger than the minimum age of 1 minute"
        );
        let too_young = GuardSkip::TooYoung {
            age_minutes: 0,
            minimum: 2,
        };
        assert_eq!(
            too_young.describe(),
            "cluster is 0 minutes old, younger than the minimum age of 2 minutes"
        );

        let one = IdleEvidence::Metric {
            window_minutes: 1,
            datapoints: 1,
            metric: "Watchkeeper/EMR ClusterInUse (0 = idle)".into(),
        };
        assert_eq!(one.idle_duration(), "at least 1 minute");
        assert_eq!(
            one.describe(),
            "the only datapoint of Watchkeeper/EMR ClusterInUse (0 = idle) over the last 1 minute says idle"
        );

        let mut alarm = change(AlarmState::Alarm, &[("JobFlowId", "j-1")]);
        for (period, periods, expected) in [
            (60, 1, "at least 1 minute (per alarm)"),
            (60, 2, "at least 2 minutes (per alarm)"),
            (10, 3, "at least 30 seconds (per alarm)"),
            (30, 3, "at least 90 seconds (per alarm)"),
        ] {
            alarm.period_seconds = Some(period);
            alarm.evaluation_periods = Some(periods);
            assert_eq!(IdleEvidence::from_alarm(&alarm).idle_duration(), expected);
        }

        let metric = MetricMode::EmrIsIdle;
        assert_eq!(
            Idleness::Idle { datapoints: 1 }.describe(&metric),
            "the only datapoint of AWS/ElasticMapReduce IsIdle (1 = idle) says idle"
        );
        assert_eq!(
            Idleness::MissingData {
                missing: 1,
                expected: 12
            }
            .describe(&metric),
            "1 of 12 datapoints of IsIdle is missing, so idleness is not proven"
        );
        assert_eq!(
            Idleness::MissingData {
                missing: 1,
                expected: 1
            }
            .describe(&metric),
            "1 of 1 datapoint of IsIdle is missing, so idleness is not proven"
        );
        assert_eq!(
            Idleness::MissingData {
                missing: 2,
                expected: 12
            }
            .describe(&metric),
            "2 of 12 datapoints of IsIdle are missing, so idleness is not proven"
        );
    }

    #[test]
    fn epochs_format_as_utc() {
        use watchkeeper_shared::time::display_epoch;
        assert_eq!(display_epoch(0), "1970-01-01 00:00 UTC");
        assert_eq!(display_epoch(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(display_epoch(951_825_600), "2000-02-29 12:00 UTC");
    }
}
