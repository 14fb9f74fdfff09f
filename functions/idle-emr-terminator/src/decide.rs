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

// ---- EMR's own auto-termination policy (the sweep, when attaching) ----

/// A cluster's EMR release, from a label such as `emr-6.4.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Release {
    /// `emr-X.Y.Z`; anything else (an AMI-version cluster has no label) is `None`.
    pub fn parse(label: &str) -> Option<Self> {
        let mut numbers = label.strip_prefix("emr-")?.splitn(3, '.');
        let mut next = || numbers.next()?.parse::<u32>().ok();
        Some(Self {
            major: next()?,
            minor: next()?,
            patch: next()?,
        })
    }

    /// Whether EMR's auto-termination judges this release's idleness on the
    /// full signal (YARN, running notebooks, SSH and on-cluster UIs): 5.34.0
    /// and later in 5.x, 6.4.0 and later in 6.x, every 7.x. EMR takes a
    /// policy from 5.30.0 and 6.1.0, but until these releases it may end a
    /// cluster with a notebook kernel running, so the sweep does not attach
    /// one there.
    pub fn takes_policy(self) -> bool {
        match self.major {
            0..=4 => false,
            5 => self.minor >= 34,
            6 => self.minor >= 4,
            _ => true,
        }
    }
}

/// The oldest releases the sweep attaches a policy to, as operators read it.
pub const POLICY_RELEASES: &str = "emr-5.34.0 or emr-6.4.0 and later";

/// A policy EMR already has for a cluster (GetAutoTerminationPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingPolicy {
    /// Seconds; `None` when EMR did not say.
    pub idle_timeout_seconds: Option<i64>,
}

/// What the sweep does about EMR's auto-termination policy for a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyPlan {
    /// Attach a policy with this idle timeout (in dry run, only report it).
    Attach {
        idle_timeout_seconds: u32,
        dry_run: bool,
    },
    Leave(PolicyLeave),
}

/// Why the sweep attaches no policy to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyLeave {
    /// It has one already: EMR's own policy governs it.
    ManagedByEmr(ExistingPolicy),
    /// Its release cannot take a policy, or not with EMR's full idle signal.
    ReleaseUnsupported {
        release_label: Option<String>,
    },
    OptedOut {
        tag_key: String,
    },
    /// No longer WAITING or RUNNING (it changed since it was listed).
    NotActive {
        state: String,
    },
    NotFound,
}

impl ReasonCode for PolicyLeave {
    fn code(&self) -> &'static str {
        match self {
            Self::ManagedByEmr(_) => "managed_by_emr",
            Self::ReleaseUnsupported { .. } => "policy_unsupported",
            Self::OptedOut { .. } => "opted_out",
            Self::NotActive { .. } => "not_active",
            Self::NotFound => "not_found",
        }
    }
}

impl fmt::Display for PolicyLeave {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ManagedByEmr(ExistingPolicy {
                idle_timeout_seconds: Some(seconds),
            }) => write!(
                f,
                "managed by EMR's own auto-termination policy (idle timeout {})",
                duration(u64::try_from(*seconds).unwrap_or_default())
            ),
            Self::ManagedByEmr(_) => f.write_str("managed by EMR's own auto-termination policy"),
            Self::ReleaseUnsupported {
                release_label: Some(label),
            } => write!(
                f,
                "release {label} cannot take EMR's auto-termination policy with its full idle signal (needs {POLICY_RELEASES})"
            ),
            Self::ReleaseUnsupported {
                release_label: None,
            } => write!(
                f,
                "EMR reports no release label, so the cluster may not take an auto-termination policy (needs {POLICY_RELEASES})"
            ),
            Self::OptedOut { tag_key } => {
                write!(f, "cluster carries the opt-out tag {tag_key}")
            }
            Self::NotActive { state } => {
                write!(f, "cluster is {state}, no longer WAITING or RUNNING")
            }
            Self::NotFound => f.write_str("EMR does not know this cluster"),
        }
    }
}

/// The states in which the sweep attaches a policy: a cluster that is up.
pub const POLICY_STATES: [&str; 2] = [WAITING, "RUNNING"];

/// EMR's own policy governs a cluster that has one: nothing to attach.
pub fn existing_policy_governs(existing: Option<ExistingPolicy>) -> Option<PolicyLeave> {
    existing.map(PolicyLeave::ManagedByEmr)
}

/// For a cluster without a policy, as DescribeCluster shows it now: attach
/// one, unless it opted out of Watchkeeper, is no longer up, or its release
/// cannot take one (reported, never attempted).
pub fn plan_policy(cluster: Option<&ClusterFacts>, config: &Config) -> PolicyPlan {
    let Some(cluster) = cluster else {
        return PolicyPlan::Leave(PolicyLeave::NotFound);
    };
    if !POLICY_STATES
        .iter()
        .any(|state| cluster.state.eq_ignore_ascii_case(state))
    {
        return PolicyPlan::Leave(PolicyLeave::NotActive {
            state: cluster.state.clone(),
        });
    }
    if cluster.tags.contains_key(&config.opt_out_tag_key) {
        return PolicyPlan::Leave(PolicyLeave::OptedOut {
            tag_key: config.opt_out_tag_key.clone(),
        });
    }
    let supported = cluster
        .release_label
        .as_deref()
        .and_then(Release::parse)
        .is_some_and(Release::takes_policy);
    if !supported {
        return PolicyPlan::Leave(PolicyLeave::ReleaseUnsupported {
            release_label: cluster.release_label.clone(),
        });
    }
    PolicyPlan::Attach {
        idle_timeout_seconds: config.auto_termination.idle_timeout_seconds,
        dry_run: config.dry_run,
    }
}

/// Whether Watchkeeper's own idle check still runs on a WAITING cluster
/// after the policy step: not on one EMR's policy governs (found, or
/// attached just now), unless `IDLE_CHECK_POLICY_MANAGED` says so. In dry
/// run nothing is attached, so the cluster is checked as it is.
pub fn idle_check_applies(plan: &PolicyPlan, config: &Config) -> bool {
    if config.auto_termination.idle_check_managed {
        return true;
    }
    match plan {
        PolicyPlan::Attach { dry_run, .. } => *dry_run,
        PolicyPlan::Leave(PolicyLeave::ManagedByEmr(_)) => false,
        PolicyPlan::Leave(_) => true,
    }
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
mod tests;
