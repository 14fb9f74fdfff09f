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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, SystemTime};

use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange};
use watchkeeper_shared::events::quoted;
use watchkeeper_shared::skip::{ReasonCode, Routing};
use watchkeeper_shared::text::count;

use crate::config::{Config, InstanceFilter, MAX_ALARM_NAME_CHARS};
use crate::definitions::{AlarmDefinition, DimensionRule};

mod discover;
mod sweep;
pub use discover::{MetricKey, Series, SeriesIndex, alarm_suffixes, matching_series};
pub use sweep::{AlarmShape, Changes, MetricShape, changes_for, instance_of_alarm};

/// Tag on each alarm naming what created it.
pub const CREATED_BY_TAG: &str = "watchkeeper:created-by";
pub const CREATED_BY_VALUE: &str = "watchkeeper/ec2-alarm-creator";
/// Tag on each alarm naming its instance.
pub const INSTANCE_TAG: &str = "watchkeeper:instance-id";
/// EC2 Auto Scaling tags its instances with their group's name.
pub const AUTOSCALING_GROUP_TAG: &str = "aws:autoscaling:groupName";
/// The tag EC2's console shows as the instance's name.
pub const NAME_TAG: &str = "Name";
/// CloudWatch's limit on an alarm description.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The query id of the metric an anomaly-band alarm watches.
pub const BAND_METRIC_ID: &str = "m1";
/// The query id of the band itself, the alarm's `ThresholdMetricId`.
pub const BAND_ID: &str = "ad1";

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

    /// The instance's `Name` tag, when it has a non-blank one.
    pub fn name(&self) -> Option<&str> {
        self.tags
            .get(NAME_TAG)
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
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
    /// A tag change on something other than an EC2 instance.
    NotAnInstance {
        service: String,
        resource_type: String,
    },
    /// A tag change none of whose keys affects alarms.
    TagsNotUsed {
        instance_id: String,
        keys: Vec<String>,
    },
    /// A tag change on an instance that is not running (EC2's current
    /// answer): its alarms follow its state changes instead.
    NotRunning {
        instance_id: String,
        state: InstanceState,
    },
    /// A tag change on an instance EC2 no longer lists.
    NotListed { instance_id: String },
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::StateNeedsNoChange { .. } => "state_needs_no_change",
            Self::NotAnInstance { .. } => "not_an_instance",
            Self::TagsNotUsed { .. } => "tags_not_used",
            Self::NotRunning { .. } => "instance_not_running",
            Self::NotListed { .. } => "instance_not_listed",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::StateNeedsNoChange { state } => write!(f, "state {state} needs no alarm change"),
            Self::NotAnInstance {
                service,
                resource_type,
            } => write!(
                f,
                "tag change on {} {} is not on an EC2 instance",
                quoted(service),
                quoted(resource_type)
            ),
            Self::TagsNotUsed { instance_id, keys } => write!(
                f,
                "tag change on {instance_id} ({}) touches no tag the alarms use",
                keys.iter()
                    .map(|key| quoted(key))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::NotRunning { instance_id, state } => write!(
                f,
                "tag change on {instance_id}, which is {state}: its alarms follow its state"
            ),
            Self::NotListed { instance_id } => {
                write!(f, "tag change on {instance_id}, which EC2 no longer lists")
            }
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
    /// The static threshold; unused by an anomaly-band alarm.
    pub threshold: f64,
    /// The band width in standard deviations of an anomaly-band alarm.
    pub anomaly_band: Option<f64>,
    pub comparison: String,
    pub treat_missing_data: String,
    pub action_topic_arn: String,
    pub tags: Vec<(String, String)>,
}

impl AlarmSpec {
    /// `ANOMALY_DETECTION_BAND(m1, N)` for an anomaly-band alarm.
    pub fn band_expression(&self) -> Option<String> {
        self.anomaly_band
            .map(|band| format!("ANOMALY_DETECTION_BAND({BAND_METRIC_ID}, {band})"))
    }
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
    /// Ids of the alarms whose series the instance does not publish yet
    /// (the agent is still starting): none is made, and the next sweep
    /// makes them once the series exists.
    pub deferred: Vec<String>,
}

impl Plan {
    fn without_alarms(instance_id: &str, reason: Reason) -> Self {
        Self {
            instance_id: instance_id.to_owned(),
            reason,
            alarms: Vec::new(),
            warnings: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// Whether the plan leaves the instance without alarms because it
    /// should have none (not running, not selected), rather than because
    /// every alarm waits for its series.
    pub fn removes_all(&self) -> bool {
        !matches!(self.reason, Reason::Running | Reason::Starting)
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
    match assess_running(config, instance_id, lookup, event_age)? {
        Assessment::Done(plan) => Ok(plan),
        Assessment::Alarms { instance, reason } => {
            plan_alarms(config, &instance, reason, &SeriesIndex::default())
        }
    }
}

/// Whether an instance gets alarms, before its published series are read.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// It runs and is selected: [`plan_alarms`] once the series of
    /// [`discovered_metrics`] are known.
    Alarms {
        instance: InstanceFacts,
        reason: Reason,
    },
    /// It should have no alarms.
    Done(Plan),
}

/// The metrics whose published series the alarm set discovers dimensions
/// from; empty when no definition discovers any.
pub fn discovered_metrics(config: &Config) -> BTreeSet<MetricKey> {
    config
        .alarms
        .alarms
        .iter()
        .filter(|definition| definition.discovers())
        .map(MetricKey::of)
        .collect()
}

/// [`plan_for_running`]'s first half: the table at the top of this module,
/// and the tag filter.
pub fn assess_running(
    config: &Config,
    instance_id: &str,
    lookup: &Lookup,
    event_age: Option<Duration>,
) -> Result<Assessment, Undecided> {
    let instance = match lookup {
        Lookup::Listed(instance) => instance,
        Lookup::NotListed => {
            return match event_age {
                Some(age) if age >= GONE_AFTER => Ok(Assessment::Done(Plan::without_alarms(
                    instance_id,
                    Reason::NotFound,
                ))),
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
            return Ok(Assessment::Done(Plan::without_alarms(
                instance_id,
                Reason::NoLongerRunning {
                    state: state.clone(),
                },
            )));
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
    if let Some(filter) = not_selected_by(config, instance) {
        return Ok(Assessment::Done(Plan::without_alarms(
            instance_id,
            Reason::NotSelected { filter },
        )));
    }
    Ok(Assessment::Alarms {
        instance: instance.clone(),
        reason,
    })
}

/// The tag filter that leaves the instance out, as the reason says it;
/// `None` when the instance is selected.
pub fn not_selected_by(config: &Config, instance: &InstanceFacts) -> Option<String> {
    match &config.instance_filter {
        InstanceFilter::AllInstances => None,
        InstanceFilter::OptIn(tag) => {
            (!tag.matches(instance.tags.iter())).then(|| format!("opt-in {tag}"))
        }
        InstanceFilter::OptOut(tag) => tag
            .matches(instance.tags.iter())
            .then(|| format!("opt-out {tag}")),
    }
}

/// The alarms of a running, selected instance, given the series it
/// publishes of the [`discovered_metrics`] (by metric). A definition with
/// discovered dimensions gets one alarm per matching series, and is
/// deferred when there is none yet.
pub fn plan_alarms(
    config: &Config,
    instance: &InstanceFacts,
    reason: Reason,
    series: &SeriesIndex,
) -> Result<Plan, Undecided> {
    let mut warnings = Vec::new();
    let mut deferred = Vec::new();
    let mut alarms = Vec::new();
    for definition in &config.alarms.alarms {
        let fixed = fixed_dimensions(instance, definition)?;
        let level = level(config, instance, definition, &mut warnings);
        if !definition.discovers() {
            alarms.push(alarm_spec(config, instance, definition, fixed, None, level));
            continue;
        }
        let matches = matching_series(definition, &fixed, series);
        if matches.is_empty() {
            deferred.push(definition.id.clone());
            continue;
        }
        for (suffix, found) in alarm_suffixes(definition, &matches) {
            alarms.push(alarm_spec(
                config,
                instance,
                definition,
                found.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                Some(suffix),
                level,
            ));
        }
    }
    Ok(Plan {
        instance_id: instance.instance_id.clone(),
        reason,
        alarms,
        warnings,
        deferred,
    })
}

/// The threshold (or band width), from the instance's threshold tag when
/// it has a number there.
fn level(
    config: &Config,
    instance: &InstanceFacts,
    definition: &AlarmDefinition,
    warnings: &mut Vec<String>,
) -> f64 {
    let override_tag = format!("{}{}", config.threshold_tag_prefix, definition.id);
    let default = definition.level();
    match instance.tags.get(&override_tag) {
        None => default,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(value)
                if value.is_finite() && (definition.anomaly_band.is_none() || value > 0.0) =>
            {
                value
            }
            _ => {
                warnings.push(format!(
                    "tag {override_tag}={} on {} is not a number; using the default threshold {default}",
                    quoted(text),
                    instance.instance_id,
                ));
                default
            }
        },
    }
}

/// The definition's written dimensions with placeholders filled, those
/// that come out empty left out (the CloudWatch agent leaves out a
/// dimension it has no value for, such as AutoScalingGroupName outside a
/// group). Discovered dimensions are not among them.
fn fixed_dimensions(
    instance: &InstanceFacts,
    definition: &AlarmDefinition,
) -> Result<Vec<(String, String)>, Undecided> {
    let mut dimensions = Vec::new();
    for (name, rule) in &definition.dimensions {
        let DimensionRule::Value(template) = rule else {
            continue;
        };
        if rule.is_discovered() {
            continue;
        }
        let value =
            fill_placeholders(template, instance).map_err(|field| Undecided::MissingField {
                instance_id: instance.instance_id.clone(),
                alarm_id: definition.id.clone(),
                dimension: name.clone(),
                field,
            })?;
        if !value.is_empty() {
            dimensions.push((name.clone(), value));
        }
    }
    Ok(dimensions)
}

/// The name of an alarm: `<prefix><instance-id>-<alarm-id>`, and for a
/// discovered series `-<suffix>`, the suffix shortened (and made unique by
/// a hash of the whole) to keep within CloudWatch's 255 characters.
pub fn alarm_name(
    config: &Config,
    instance_id: &str,
    alarm_id: &str,
    suffix: Option<&str>,
) -> String {
    let base = format!("{}{alarm_id}", instance_alarm_prefix(config, instance_id));
    let Some(suffix) = suffix else {
        return base;
    };
    let room = MAX_ALARM_NAME_CHARS.saturating_sub(base.chars().count() + 1);
    if suffix.chars().count() <= room {
        return format!("{base}-{suffix}");
    }
    let hash = format!("{:08x}", fnv1a(suffix));
    let keep = room.saturating_sub(hash.len() + 1);
    let head: String = suffix.chars().take(keep).collect();
    format!("{base}-{head}-{hash}")
}

/// `name` followed by ` (<instance name>)`, the instance name cut to keep
/// within CloudWatch's 255 characters (left out when fewer than 4 would
/// fit). It comes last, so the `<prefix><instance-id>-` start that lets the
/// function find its alarms is kept; control characters become spaces.
pub fn with_instance_name(name: &str, instance_name: &str) -> String {
    let room = MAX_ALARM_NAME_CHARS.saturating_sub(name.chars().count() + 3);
    if room < 4 {
        return name.to_owned();
    }
    let clean: String = instance_name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cut = watchkeeper_shared::text::truncate_graphemes_to_chars(clean.trim(), room);
    format!("{name} ({cut})")
}

/// FNV-1a, 32 bits: a short, stable fingerprint for a shortened name.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// The alarm's description: what it watches, on which instance (with its
/// `Name`), for which series; within CloudWatch's 1024 characters.
pub fn describe_alarm(
    definition: &AlarmDefinition,
    instance: &InstanceFacts,
    level: f64,
    series: Option<&[(String, String)]>,
) -> String {
    let what = definition
        .description
        .clone()
        .unwrap_or_else(|| match definition.anomaly_band {
            Some(band) => format!(
                "{} outside its expected band ({band} standard deviations, {})",
                definition.metric, definition.comparison
            ),
            None => format!(
                "{} {} {level}",
                definition.metric,
                comparison_symbol(&definition.comparison),
            ),
        });
    let named = match instance.name() {
        Some(name) => format!("{} ({name})", instance.instance_id),
        None => instance.instance_id.clone(),
    };
    let series = match series {
        Some(found) if !found.is_empty() => format!(
            ", series {}",
            found
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        _ => String::new(),
    };
    let text = format!(
        "{what} on {named}{series}. Created by Watchkeeper; changes are overwritten when the instance next starts or its tags change."
    );
    watchkeeper_shared::text::truncate_graphemes_to_chars(&text, MAX_DESCRIPTION_CHARS).to_owned()
}

fn alarm_spec(
    config: &Config,
    instance: &InstanceFacts,
    definition: &AlarmDefinition,
    dimensions: Vec<(String, String)>,
    suffix: Option<String>,
    level: f64,
) -> AlarmSpec {
    let discovered: Option<Vec<(String, String)>> = suffix.as_ref().map(|_| {
        dimensions
            .iter()
            .filter(|(name, _)| {
                definition
                    .dimensions
                    .get(name)
                    .is_some_and(DimensionRule::is_discovered)
            })
            .cloned()
            .collect()
    });
    let mut tags = vec![
        (CREATED_BY_TAG.to_owned(), CREATED_BY_VALUE.to_owned()),
        (INSTANCE_TAG.to_owned(), instance.instance_id.clone()),
    ];
    tags.extend(config.propagate_tag_keys.iter().filter_map(|key| {
        instance
            .tags
            .get(key)
            .map(|value| (key.clone(), value.clone()))
    }));
    let name = alarm_name(
        config,
        &instance.instance_id,
        &definition.id,
        suffix.as_deref(),
    );
    let name = match instance.name() {
        Some(instance_name) if config.name_includes_instance_name => {
            with_instance_name(&name, instance_name)
        }
        _ => name,
    };
    AlarmSpec {
        name,
        description: describe_alarm(definition, instance, level, discovered.as_deref()),
        namespace: definition.namespace.clone(),
        metric_name: definition.metric.clone(),
        statistic: definition.statistic.clone(),
        unit: definition.unit.clone(),
        dimensions,
        period: definition.period,
        evaluation_periods: definition.evaluation_periods,
        datapoints_to_alarm: definition.datapoints_to_alarm(),
        threshold: if definition.anomaly_band.is_some() {
            0.0
        } else {
            level
        },
        anomaly_band: definition.anomaly_band.map(|_| level),
        comparison: definition.comparison.clone(),
        treat_missing_data: definition.treat_missing_data.clone(),
        action_topic_arn: config.topics.for_severity(definition.severity()).to_owned(),
        tags,
    }
}

/// Whether a tag change on an instance can change its alarms: a tag the
/// filter, the thresholds, the descriptions, the propagated tags or the
/// dimensions read. An event without changed keys is taken as mattering.
pub fn tag_change_matters(config: &Config, changed_keys: &[String]) -> bool {
    changed_keys.is_empty()
        || changed_keys.iter().any(|key| {
            key == NAME_TAG
                || key == AUTOSCALING_GROUP_TAG
                || key.starts_with(&config.threshold_tag_prefix)
                || config.propagate_tag_keys.contains(key)
                || match &config.instance_filter {
                    InstanceFilter::AllInstances => false,
                    InstanceFilter::OptIn(tag) | InstanceFilter::OptOut(tag) => &tag.key == key,
                }
        })
}

/// What a tag change does, from EC2's current answer for the instance
/// (never from the event's tags, which may be older than EC2's): a running
/// or starting instance is reconciled (alarms put, updated or removed by
/// the filter); any other state, or an instance EC2 no longer lists, is
/// left alone, its alarms following its state changes.
pub fn assess_tag_change(
    config: &Config,
    instance_id: &str,
    lookup: &Lookup,
) -> Result<Result<Assessment, SkipReason>, Undecided> {
    match lookup {
        Lookup::NotListed => Ok(Err(SkipReason::NotListed {
            instance_id: instance_id.to_owned(),
        })),
        Lookup::Listed(instance) => match &instance.state {
            Some(InstanceState::Running | InstanceState::Pending) => {
                assess_running(config, instance_id, lookup, None).map(Ok)
            }
            Some(
                state @ (InstanceState::Stopping
                | InstanceState::Stopped
                | InstanceState::ShuttingDown
                | InstanceState::Terminated),
            ) => Ok(Err(SkipReason::NotRunning {
                instance_id: instance_id.to_owned(),
                state: state.clone(),
            })),
            _ => assess_running(config, instance_id, lookup, None).map(Ok),
        },
    }
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
