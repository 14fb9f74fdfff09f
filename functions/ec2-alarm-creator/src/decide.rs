//! The pure core: from a state change, what the instance looks like now and
//! the configuration, decide which alarms the instance should have.
//!
//! # A `running` event and EC2's answer
//!
//! Events arrive out of order, so a `running` event is checked against
//! EC2 (`DescribeInstances`) before alarms are created. EC2's reads are
//! eventually consistent: right after a launch the answer may still say
//! `pending`, or not list the instance at all. What each answer decides
//! ([`plan_for_running`]):
//!
//! | EC2's answer | Decision |
//! |---|---|
//! | `running` | alarms, if the tag filter selects the instance |
//! | `pending` | alarms, if selected: the event says the instance ran, and `pending` only leads to `running`; the read lags the event |
//! | `stopping`, `stopped`, `shutting-down`, `terminated` | late event: no alarms (any left are deleted); done |
//! | a state EC2 does not document | error [`Undecided::UnknownState`]: the invocation fails, Lambda retries, then the dead-letter queue |
//! | no state in the answer | error [`Undecided::NoState`], retried |
//! | not listed (`InvalidInstanceID.NotFound` or no reservations), event younger than [`GONE_AFTER`] or of unknown age | error [`Undecided::NotListedYet`], retried |
//! | not listed, event at least [`GONE_AFTER`] old | the instance is gone: no alarms (any left are deleted); done |
//!
//! An instance EC2 lists with no image id or instance type, when an alarm's
//! dimensions need it, is [`Undecided::MissingField`], retried: an alarm
//! without that dimension would watch a metric that does not exist.
//!
//! An error is never recorded as done by the idempotency guard (it
//! releases its lease), so Lambda's retry reads EC2 again. Nothing here
//! ends in success without alarms for an instance that is or will be
//! running.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange};
use watchkeeper_shared::events::quoted;
use watchkeeper_shared::skip::{ReasonCode, Routing};
use watchkeeper_shared::text::count;

use crate::config::{Config, InstanceFilter};
use crate::definitions::AlarmDefinition;

/// Tag on each alarm naming what created it.
pub const CREATED_BY_TAG: &str = "watchkeeper:created-by";
pub const CREATED_BY_VALUE: &str = "watchkeeper/ec2-alarm-creator";
/// Tag on each alarm naming its instance.
pub const INSTANCE_TAG: &str = "watchkeeper:instance-id";
/// EC2 Auto Scaling tags its instances with their group's name.
pub const AUTOSCALING_GROUP_TAG: &str = "aws:autoscaling:groupName";

/// How old a `running` event must be before EC2 not listing its instance
/// means the instance is gone. EC2 keeps listing a terminated instance for
/// about an hour, so an instance that was running less than an hour ago is
/// still listed even if it terminated at once: not listing it then is EC2's
/// read lagging the launch (seconds, rarely minutes), and a retry will find
/// it. Past this age the instance can really have gone.
pub const GONE_AFTER: Duration = Duration::from_secs(60 * 60);

/// What EC2 says about the instance when it is looked up. A field EC2's
/// answer left out is `None`: unknown, never taken as empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    pub instance_id: String,
    /// `None`: the answer had no state.
    pub state: Option<InstanceState>,
    /// `None`: the answer had no image id.
    pub image_id: Option<String>,
    /// `None`: the answer had no instance type.
    pub instance_type: Option<String>,
    /// Every tag of the instance. When `DescribeInstances` leaves the tag
    /// set out, the shell reads it with `DescribeTags` first, so this is
    /// never a stand-in for "unknown".
    pub tags: BTreeMap<String, String>,
}

impl InstanceFacts {
    pub fn autoscaling_group(&self) -> Option<&str> {
        self.tags.get(AUTOSCALING_GROUP_TAG).map(String::as_str)
    }
}

/// What looking the instance up in EC2 found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Listed(InstanceFacts),
    /// `InvalidInstanceID.NotFound`, or an answer without the instance.
    NotListed,
}

/// The first step, decided from the event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstStep {
    /// The instance reports running: confirm with EC2 before creating alarms,
    /// because events arrive out of order.
    LookUpInstance { instance_id: String },
    /// The instance is going away: it should have no alarms.
    RemoveAlarms {
        instance_id: String,
        state: InstanceState,
    },
    Skip {
        instance_id: String,
        reason: SkipReason,
    },
}

/// Why the function leaves an event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an EC2 instance state-change event, or one of another account
    /// or region.
    Routing(Routing),
    /// A state such as `pending` that changes no alarm.
    StateNeedsNoChange { state: InstanceState },
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::StateNeedsNoChange { .. } => "state_needs_no_change",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::StateNeedsNoChange { state } => write!(f, "state {state} needs no alarm change"),
        }
    }
}

watchkeeper_shared::serialize_reason!(SkipReason);

pub fn first_step(change: &InstanceStateChange) -> FirstStep {
    let instance_id = change.instance_id.clone();
    match &change.state {
        InstanceState::Running => FirstStep::LookUpInstance { instance_id },
        InstanceState::Stopping
        | InstanceState::Stopped
        | InstanceState::ShuttingDown
        | InstanceState::Terminated => FirstStep::RemoveAlarms {
            instance_id,
            state: change.state.clone(),
        },
        InstanceState::Pending | InstanceState::Other(_) => FirstStep::Skip {
            instance_id,
            reason: SkipReason::StateNeedsNoChange {
                state: change.state.clone(),
            },
        },
    }
}

/// Why an instance ends up with the alarms it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Running,
    /// The event said running; EC2's lagging read still says pending.
    Starting,
    Stopped {
        state: InstanceState,
    },
    /// The event said running, but EC2 says otherwise now (a late event).
    NoLongerRunning {
        state: InstanceState,
    },
    NotFound,
    NotSelected {
        filter: String,
    },
}

impl Reason {
    pub fn describe(&self) -> String {
        match self {
            Self::Running => "instance is running".to_owned(),
            Self::Starting => {
                "instance is starting (the event said running, EC2 still reports pending)"
                    .to_owned()
            }
            Self::Stopped { state } => format!("instance is {state}"),
            Self::NoLongerRunning { state } => {
                format!("event said running but the instance is now {state} (late event)")
            }
            Self::NotFound => "instance no longer exists".to_owned(),
            Self::NotSelected { filter } => format!("instance not selected by tag filter {filter}"),
        }
    }
}

/// Why a `running` event cannot be decided from EC2's answer yet. Each
/// fails the invocation, which the idempotency guard does not record as
/// done, so Lambda's retry reads EC2 again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undecided {
    #[error(
        "EC2 does not list instance {instance_id} yet, {}: right after a launch EC2's reads lag, so this attempt fails for Lambda to retry",
        describe_event_age(*.event_age)
    )]
    NotListedYet {
        instance_id: String,
        event_age: Option<Duration>,
    },
    #[error(
        "EC2's DescribeInstances answer for instance {instance_id} has no state; this attempt fails for Lambda to retry"
    )]
    NoState { instance_id: String },
    #[error(
        "EC2 reports instance {instance_id} in state {state:?}, which EC2 does not document; failing rather than guessing whether it runs"
    )]
    UnknownState { instance_id: String, state: String },
    #[error(
        "alarm {alarm_id} needs the {field} of instance {instance_id} for its dimension {dimension}, but EC2's DescribeInstances answer has none; this attempt fails for Lambda to retry"
    )]
    MissingField {
        instance_id: String,
        alarm_id: String,
        dimension: String,
        field: &'static str,
    },
}

fn describe_event_age(age: Option<Duration>) -> String {
    match age {
        Some(age) => format!("{} after its running event", describe_duration(age)),
        None => "and its running event has no readable time".to_owned(),
    }
}

/// A duration in whole units, as people say it: "45 seconds", "1 minute",
/// "3 hours", "13 days" (rounded down to the largest unit that fits).
pub fn describe_duration(duration: Duration) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let seconds = duration.as_secs();
    if seconds < MINUTE {
        count(seconds, "second", "seconds")
    } else if seconds < HOUR {
        count(seconds / MINUTE, "minute", "minutes")
    } else if seconds < DAY {
        count(seconds / HOUR, "hour", "hours")
    } else {
        count(seconds / DAY, "day", "days")
    }
}

/// How long before `now` the event happened, from its RFC 3339 `time`;
/// `None` when the event has no readable time. An event time in the future
/// (clock skew) is age zero.
pub fn event_age(time: &str, now: SystemTime) -> Option<Duration> {
    let happened = watchkeeper_shared::time::parse_rfc3339(time).ok()?;
    let happened = watchkeeper_shared::time::system_time(happened)?;
    Some(now.duration_since(happened).unwrap_or_default())
}

/// One alarm to put, with every field CloudWatch needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    pub statistic: String,
    pub unit: Option<String>,
    pub dimensions: Vec<(String, String)>,
    pub period: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    pub action_topic_arn: String,
    pub tags: Vec<(String, String)>,
}

/// The alarms an instance should have: any other alarm of this app for the
/// instance is deleted, so a changed alarm set leaves no orphans.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub instance_id: String,
    pub reason: Reason,
    pub alarms: Vec<AlarmSpec>,
    /// Problems that do not stop the plan, such as a malformed threshold tag.
    pub warnings: Vec<String>,
}

impl Plan {
    fn without_alarms(instance_id: &str, reason: Reason) -> Self {
        Self {
            instance_id: instance_id.to_owned(),
            reason,
            alarms: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The name prefix every alarm of this instance shares. The trailing dash
/// keeps `i-12345678` from matching `i-12345678abcdef012`'s alarms.
pub fn instance_alarm_prefix(config: &Config, instance_id: &str) -> String {
    format!("{}{instance_id}-", config.alarm_name_prefix)
}

pub fn plan_removal(instance_id: &str, state: InstanceState) -> Plan {
    Plan::without_alarms(instance_id, Reason::Stopped { state })
}

/// Decides the alarms for an instance the event said is running, from what
/// EC2 answered for it and how old the event is (`None`: unknown); see the
/// table at the top of this module.
pub fn plan_for_running(
    config: &Config,
    instance_id: &str,
    lookup: &Lookup,
    event_age: Option<Duration>,
) -> Result<Plan, Undecided> {
    let instance = match lookup {
        Lookup::Listed(instance) => instance,
        Lookup::NotListed => {
            return match event_age {
                Some(age) if age >= GONE_AFTER => {
                    Ok(Plan::without_alarms(instance_id, Reason::NotFound))
                }
                _ => Err(Undecided::NotListedYet {
                    instance_id: instance_id.to_owned(),
                    event_age,
                }),
            };
        }
    };
    let reason = match &instance.state {
        Some(InstanceState::Running) => Reason::Running,
        Some(InstanceState::Pending) => Reason::Starting,
        Some(
            state @ (InstanceState::Stopping
            | InstanceState::Stopped
            | InstanceState::ShuttingDown
            | InstanceState::Terminated),
        ) => {
            return Ok(Plan::without_alarms(
                instance_id,
                Reason::NoLongerRunning {
                    state: state.clone(),
                },
            ));
        }
        Some(InstanceState::Other(state)) => {
            return Err(Undecided::UnknownState {
                instance_id: instance_id.to_owned(),
                state: state.clone(),
            });
        }
        None => {
            return Err(Undecided::NoState {
                instance_id: instance_id.to_owned(),
            });
        }
    };
    let selected = match &config.instance_filter {
        InstanceFilter::AllInstances => true,
        InstanceFilter::OptIn(tag) => tag.matches(instance.tags.iter()),
        InstanceFilter::OptOut(tag) => !tag.matches(instance.tags.iter()),
    };
    if !selected {
        let filter = match &config.instance_filter {
            InstanceFilter::OptIn(tag) => format!("opt-in {tag}"),
            InstanceFilter::OptOut(tag) => format!("opt-out {tag}"),
            InstanceFilter::AllInstances => String::new(),
        };
        return Ok(Plan::without_alarms(
            instance_id,
            Reason::NotSelected { filter },
        ));
    }

    let mut warnings = Vec::new();
    let alarms = config
        .alarms
        .alarms
        .iter()
        .map(|definition| alarm_spec(config, instance, definition, &mut warnings))
        .collect::<Result<_, _>>()?;
    Ok(Plan {
        instance_id: instance_id.to_owned(),
        reason,
        alarms,
        warnings,
    })
}

fn alarm_spec(
    config: &Config,
    instance: &InstanceFacts,
    definition: &AlarmDefinition,
    warnings: &mut Vec<String>,
) -> Result<AlarmSpec, Undecided> {
    let override_tag = format!("{}{}", config.threshold_tag_prefix, definition.id);
    let threshold = match instance.tags.get(&override_tag) {
        None => definition.threshold,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => {
                warnings.push(format!(
                    "tag {override_tag}={} on {} is not a number; using the default threshold {}",
                    quoted(text),
                    instance.instance_id,
                    definition.threshold
                ));
                definition.threshold
            }
        },
    };
    let mut dimensions = Vec::new();
    for (name, template) in &definition.dimensions {
        let value =
            fill_placeholders(template, instance).map_err(|field| Undecided::MissingField {
                instance_id: instance.instance_id.clone(),
                alarm_id: definition.id.clone(),
                dimension: name.clone(),
                field,
            })?;
        // The CloudWatch agent leaves out a dimension it has no value for,
        // such as AutoScalingGroupName outside a group; so do we.
        if !value.is_empty() {
            dimensions.push((name.clone(), value));
        }
    }
    let description = format!(
        "{} on {}. Created by Watchkeeper; changes are overwritten when the instance next starts.",
        definition.description.clone().unwrap_or_else(|| format!(
            "{} {} {}",
            definition.metric,
            comparison_symbol(&definition.comparison),
            threshold
        )),
        instance.instance_id
    );
    Ok(AlarmSpec {
        name: format!(
            "{}{}",
            instance_alarm_prefix(config, &instance.instance_id),
            definition.id
        ),
        description,
        namespace: definition.namespace.clone(),
        metric_name: definition.metric.clone(),
        statistic: definition.statistic.clone(),
        unit: definition.unit.clone(),
        dimensions,
        period: definition.period,
        evaluation_periods: definition.evaluation_periods,
        datapoints_to_alarm: definition.datapoints_to_alarm(),
        threshold,
        comparison: definition.comparison.clone(),
        treat_missing_data: definition.treat_missing_data.clone(),
        action_topic_arn: config.topics.for_severity(definition.severity()).to_owned(),
        tags: vec![
            (CREATED_BY_TAG.to_owned(), CREATED_BY_VALUE.to_owned()),
            (INSTANCE_TAG.to_owned(), instance.instance_id.clone()),
        ],
    })
}

/// The dimension value with its placeholders filled, or the name of the
/// instance field it needs that EC2's answer left out. An instance outside
/// an Auto Scaling group has no group tag (the tags are complete), so its
/// `{autoscaling_group}` is empty, not unknown.
fn fill_placeholders(template: &str, instance: &InstanceFacts) -> Result<String, &'static str> {
    let mut value = template.replace("{instance_id}", &instance.instance_id);
    for (placeholder, field, known) in [
        ("{image_id}", "image id", &instance.image_id),
        ("{instance_type}", "instance type", &instance.instance_type),
    ] {
        if value.contains(placeholder) {
            value = value.replace(placeholder, known.as_deref().ok_or(field)?);
        }
    }
    Ok(value.replace(
        "{autoscaling_group}",
        instance.autoscaling_group().unwrap_or_default(),
    ))
}

fn comparison_symbol(comparison: &str) -> &'static str {
    match comparison {
        "GreaterThanOrEqualToThreshold" => ">=",
        "GreaterThanThreshold" => ">",
        "LessThanThreshold" => "<",
        _ => "<=",
    }
}

#[cfg(test)]
mod tests;
