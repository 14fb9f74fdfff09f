//! The sweep's pure part: which of an instance's existing alarms differ
//! from its plan, and which alarm belongs to which instance.

use std::collections::BTreeSet;

use super::{AlarmSpec, BAND_ID, Plan};

/// What CloudWatch keeps of an alarm, to compare with what the plan would
/// put. Fields CloudWatch's answer leaves out are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmShape {
    pub name: String,
    pub description: Option<String>,
    pub metric: MetricShape,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub comparison: Option<String>,
    pub treat_missing_data: Option<String>,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub actions_enabled: Option<bool>,
}

/// What the alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricShape {
    /// One metric against a static threshold.
    Static {
        namespace: Option<String>,
        metric_name: Option<String>,
        statistic: Option<String>,
        unit: Option<String>,
        /// Sorted by name.
        dimensions: Vec<(String, String)>,
        period: Option<i32>,
        threshold: Option<f64>,
    },
    /// A metric against its anomaly band (metric math).
    Band {
        namespace: Option<String>,
        metric_name: Option<String>,
        statistic: Option<String>,
        /// Sorted by name.
        dimensions: Vec<(String, String)>,
        period: Option<i32>,
        expression: Option<String>,
        threshold_metric_id: Option<String>,
    },
}

impl AlarmShape {
    /// The alarm as CloudWatch keeps it once `spec` is put.
    pub fn of(spec: &AlarmSpec) -> Self {
        let mut dimensions = spec.dimensions.clone();
        dimensions.sort();
        let metric = match spec.band_expression() {
            None => MetricShape::Static {
                namespace: Some(spec.namespace.clone()),
                metric_name: Some(spec.metric_name.clone()),
                statistic: Some(spec.statistic.clone()),
                unit: spec.unit.clone(),
                dimensions,
                period: Some(spec.period),
                threshold: Some(spec.threshold),
            },
            Some(expression) => MetricShape::Band {
                namespace: Some(spec.namespace.clone()),
                metric_name: Some(spec.metric_name.clone()),
                statistic: Some(spec.statistic.clone()),
                dimensions,
                period: Some(spec.period),
                expression: Some(expression),
                threshold_metric_id: Some(BAND_ID.to_owned()),
            },
        };
        Self {
            name: spec.name.clone(),
            description: Some(spec.description.clone()),
            metric,
            evaluation_periods: Some(spec.evaluation_periods),
            datapoints_to_alarm: Some(spec.datapoints_to_alarm),
            comparison: Some(spec.comparison.clone()),
            treat_missing_data: Some(spec.treat_missing_data.clone()),
            alarm_actions: vec![spec.action_topic_arn.clone()],
            ok_actions: vec![spec.action_topic_arn.clone()],
            actions_enabled: Some(true),
        }
    }
}

/// What the sweep changes for one instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Missing alarms, and alarms that drifted from the plan.
    pub put: Vec<AlarmSpec>,
    /// The instance's alarms the plan does not have.
    pub delete: Vec<String>,
}

/// The changes that bring `existing` (the instance's alarms) to `plan`.
pub fn changes_for(plan: &Plan, existing: &[AlarmShape]) -> Changes {
    let put = plan
        .alarms
        .iter()
        .filter(|spec| {
            !existing
                .iter()
                .any(|alarm| alarm.name == spec.name && *alarm == AlarmShape::of(spec))
        })
        .cloned()
        .collect();
    let wanted: BTreeSet<&str> = plan.alarms.iter().map(|spec| spec.name.as_str()).collect();
    let delete = existing
        .iter()
        .filter(|alarm| !wanted.contains(alarm.name.as_str()))
        .map(|alarm| alarm.name.clone())
        .collect();
    Changes { put, delete }
}

/// The instance an alarm of this function belongs to, from its name
/// `<prefix><instance-id>-...`; `None` for any other name under the prefix.
pub fn instance_of_alarm<'a>(prefix: &str, name: &'a str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    let (id, _) = rest.split_once('-').and_then(|(head, tail)| {
        // `i-` then the hex digits, up to the dash before the alarm id.
        (head == "i").then_some(())?;
        let end = tail.find('-')?;
        Some((&rest[..2 + end], ()))
    })?;
    watchkeeper_shared::events::ec2::is_instance_id(id).then_some(id)
}
