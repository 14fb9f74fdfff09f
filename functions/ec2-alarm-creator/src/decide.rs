//! The pure core: from a state change, what the instance looks like now and
//! the configuration, decide which alarms the instance should have.

use std::collections::BTreeMap;

use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange};

use crate::config::{Config, InstanceFilter};
use crate::definitions::AlarmDefinition;

/// Tag on each alarm naming what created it.
pub const CREATED_BY_TAG: &str = "watchkeeper:created-by";
pub const CREATED_BY_VALUE: &str = "watchkeeper/ec2-alarm-creator";
/// Tag on each alarm naming its instance.
pub const INSTANCE_TAG: &str = "watchkeeper:instance-id";
/// EC2 Auto Scaling tags its instances with their group's name.
pub const AUTOSCALING_GROUP_TAG: &str = "aws:autoscaling:groupName";

/// What EC2 says about the instance when it is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    pub instance_id: String,
    pub state: InstanceState,
    pub image_id: String,
    pub instance_type: String,
    pub tags: BTreeMap<String, String>,
}

impl InstanceFacts {
    pub fn autoscaling_group(&self) -> Option<&str> {
        self.tags.get(AUTOSCALING_GROUP_TAG).map(String::as_str)
    }
}

/// The first step, decided from the event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstStep {
    /// The instance reports running: confirm with EC2 before creating alarms,
    /// because events arrive out of order.
    LookUpInstance {
        instance_id: String,
    },
    /// The instance is going away: it should have no alarms.
    RemoveAlarms {
        instance_id: String,
        state: InstanceState,
    },
    Skip {
        instance_id: String,
        reason: String,
    },
}

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
            reason: format!("state {} needs no alarm change", change.state),
        },
    }
}

/// Why an instance ends up with the alarms it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Running,
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
            Self::Stopped { state } => format!("instance is {state}"),
            Self::NoLongerRunning { state } => {
                format!("event said running but the instance is now {state} (late event)")
            }
            Self::NotFound => "instance no longer exists".to_owned(),
            Self::NotSelected { filter } => format!("instance not selected by tag filter {filter}"),
        }
    }
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
/// EC2 returned for it (`None`: no such instance).
pub fn plan_for_instance(
    config: &Config,
    instance_id: &str,
    instance: Option<&InstanceFacts>,
) -> Plan {
    let Some(instance) = instance else {
        return Plan::without_alarms(instance_id, Reason::NotFound);
    };
    if instance.state != InstanceState::Running {
        return Plan::without_alarms(
            instance_id,
            Reason::NoLongerRunning {
                state: instance.state.clone(),
            },
        );
    }
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
        return Plan::without_alarms(instance_id, Reason::NotSelected { filter });
    }

    let mut warnings = Vec::new();
    let alarms = config
        .alarms
        .alarms
        .iter()
        .map(|definition| alarm_spec(config, instance, definition, &mut warnings))
        .collect();
    Plan {
        instance_id: instance_id.to_owned(),
        reason: Reason::Running,
        alarms,
        warnings,
    }
}

fn alarm_spec(
    config: &Config,
    instance: &InstanceFacts,
    definition: &AlarmDefinition,
    warnings: &mut Vec<String>,
) -> AlarmSpec {
    let override_tag = format!("{}{}", config.threshold_tag_prefix, definition.id);
    let threshold = match instance.tags.get(&override_tag) {
        None => definition.threshold,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => {
                warnings.push(format!(
                    "tag {override_tag}={text:?} on {} is not a number; using the default threshold {}",
                    instance.instance_id, definition.threshold
                ));
                definition.threshold
            }
        },
    };
    let dimensions = definition
        .dimensions
        .iter()
        .filter_map(|(name, template)| {
            let value = fill_placeholders(template, instance);
            // The CloudWatch agent leaves out a dimension it has no value for,
            // such as AutoScalingGroupName outside a group; so do we.
            (!value.is_empty()).then(|| (name.clone(), value))
        })
        .collect();
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
    AlarmSpec {
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
    }
}

fn fill_placeholders(template: &str, instance: &InstanceFacts) -> String {
    template
        .replace("{instance_id}", &instance.instance_id)
        .replace("{image_id}", &instance.image_id)
        .replace("{instance_type}", &instance.instance_type)
        .replace(
            "{autoscaling_group}",
            instance.autoscaling_group().unwrap_or_default(),
        )
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
mod tests {
    use super::*;
    use crate::config::TagMatch;
    use crate::definitions::AlarmSet;
    use watchkeeper_shared::publisher::Topics;

    const WARNING: &str = "arn:aws:sns:eu-west-1:123456789012:warning";
    const CRITICAL: &str = "arn:aws:sns:eu-west-1:123456789012:critical";

    fn config(definitions: &str, filter: InstanceFilter) -> Config {
        Config {
            topics: Topics {
                warning_topic_arn: WARNING.into(),
                critical_topic_arn: CRITICAL.into(),
            },
            alarm_name_prefix: "watchkeeper-".into(),
            instance_filter: filter,
            threshold_tag_prefix: "watchkeeper:threshold:".into(),
            alarms: AlarmSet::parse(definitions, "test").unwrap(),
        }
    }

    fn instance(state: InstanceState, tags: &[(&str, &str)]) -> InstanceFacts {
        InstanceFacts {
            instance_id: "i-0abcd1234ef567890".into(),
            state,
            image_id: "ami-0123456789abcdef0".into(),
            instance_type: "t3.micro".into(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn change(state: &str) -> InstanceStateChange {
        InstanceStateChange {
            instance_id: "i-0abcd1234ef567890".into(),
            state: InstanceState::from_name(state),
        }
    }

    #[test]
    fn first_step_for_every_state() {
        let id = "i-0abcd1234ef567890".to_owned();
        assert_eq!(
            first_step(&change("running")),
            FirstStep::LookUpInstance {
                instance_id: id.clone()
            }
        );
        for state in ["stopping", "stopped", "shutting-down", "terminated"] {
            assert_eq!(
                first_step(&change(state)),
                FirstStep::RemoveAlarms {
                    instance_id: id.clone(),
                    state: InstanceState::from_name(state)
                },
                "{state}"
            );
        }
        for state in ["pending", "rebooting"] {
            assert!(
                matches!(first_step(&change(state)), FirstStep::Skip { .. }),
                "{state}"
            );
        }
    }

    #[test]
    fn running_instance_gets_the_original_disk_alarms_exactly() {
        let plan = plan_for_instance(
            &config("disk-space", InstanceFilter::AllInstances),
            "i-0abcd1234ef567890",
            Some(&instance(InstanceState::Running, &[])),
        );
        assert_eq!(plan.reason, Reason::Running);
        assert!(plan.warnings.is_empty());
        let warning = &plan.alarms[0];
        assert_eq!(
            warning.name,
            "watchkeeper-i-0abcd1234ef567890-disk-space-warning"
        );
        assert_eq!(warning.namespace, "System/Linux");
        assert_eq!(warning.metric_name, "DiskSpaceUtilization");
        assert_eq!(warning.statistic, "Average");
        assert_eq!(warning.unit.as_deref(), Some("Percent"));
        assert_eq!(
            warning.dimensions,
            vec![
                ("Filesystem".into(), "/dev/xvda1".into()),
                ("InstanceId".into(), "i-0abcd1234ef567890".into()),
                ("MountPath".into(), "/".into())
            ]
        );
        assert_eq!(
            (
                warning.period,
                warning.evaluation_periods,
                warning.datapoints_to_alarm
            ),
            (300, 2, 2)
        );
        assert_eq!(warning.comparison, "GreaterThanOrEqualToThreshold");
        assert_eq!(warning.treat_missing_data, "missing");
        assert_eq!(warning.threshold, 60.0);
        assert_eq!(warning.action_topic_arn, WARNING);
        assert_eq!(
            warning.tags,
            vec![
                (CREATED_BY_TAG.into(), CREATED_BY_VALUE.into()),
                (INSTANCE_TAG.into(), "i-0abcd1234ef567890".into())
            ]
        );
        let critical = &plan.alarms[1];
        assert_eq!(
            critical.name,
            "watchkeeper-i-0abcd1234ef567890-disk-space-critical"
        );
        assert_eq!(
            (critical.threshold, critical.action_topic_arn.as_str()),
            (80.0, CRITICAL)
        );
    }

    #[test]
    fn instances_that_are_not_running_get_no_alarms() {
        let config = config("disk-space", InstanceFilter::AllInstances);
        let plan = plan_for_instance(&config, "i-0abcd1234ef567890", None);
        assert_eq!((plan.reason, plan.alarms.len()), (Reason::NotFound, 0));
        let plan = plan_for_instance(
            &config,
            "i-0abcd1234ef567890",
            Some(&instance(InstanceState::Terminated, &[])),
        );
        assert_eq!(
            plan.reason,
            Reason::NoLongerRunning {
                state: InstanceState::Terminated
            }
        );
        assert!(plan.alarms.is_empty());
        let plan = plan_removal("i-0abcd1234ef567890", InstanceState::Stopped);
        assert_eq!(
            (plan.reason.describe().as_str(), plan.alarms.len()),
            ("instance is stopped", 0)
        );
    }

    #[test]
    fn tag_filters_select_instances() {
        let production = TagMatch::parse("Environment=production").unwrap();
        let keep_out = TagMatch::parse("watchkeeper:alarms").unwrap();
        let cases = [
            (
                InstanceFilter::OptIn(production.clone()),
                vec![("Environment", "production")],
                true,
            ),
            (
                InstanceFilter::OptIn(production.clone()),
                vec![("Environment", "test")],
                false,
            ),
            (InstanceFilter::OptIn(production.clone()), vec![], false),
            (
                InstanceFilter::OptOut(keep_out.clone()),
                vec![("watchkeeper:alarms", "off")],
                false,
            ),
            (
                InstanceFilter::OptOut(keep_out.clone()),
                vec![("Name", "web")],
                true,
            ),
            (InstanceFilter::AllInstances, vec![], true),
        ];
        for (filter, tags, selected) in cases {
            let plan = plan_for_instance(
                &config("disk-space", filter.clone()),
                "i-0abcd1234ef567890",
                Some(&instance(InstanceState::Running, &tags)),
            );
            assert_eq!(!plan.alarms.is_empty(), selected, "{filter:?} {tags:?}");
            if !selected {
                assert!(matches!(plan.reason, Reason::NotSelected { .. }));
            }
        }
    }

    #[test]
    fn thresholds_are_overridden_by_tag_and_bad_tags_warn() {
        let plan = plan_for_instance(
            &config("disk-space", InstanceFilter::AllInstances),
            "i-0abcd1234ef567890",
            Some(&instance(
                InstanceState::Running,
                &[
                    ("watchkeeper:threshold:disk-space-warning", " 75 "),
                    ("watchkeeper:threshold:disk-space-critical", "ninety"),
                ],
            )),
        );
        assert_eq!(plan.alarms[0].threshold, 75.0);
        assert_eq!(plan.alarms[1].threshold, 80.0);
        assert_eq!(
            plan.warnings,
            vec![
                "tag watchkeeper:threshold:disk-space-critical=\"ninety\" on i-0abcd1234ef567890 is not a number; using the default threshold 80"
            ]
        );
    }

    #[test]
    fn agent_dimensions_match_the_agent_exactly() {
        let config = config("cloudwatch-agent", InstanceFilter::AllInstances);
        let in_group = instance(
            InstanceState::Running,
            &[(AUTOSCALING_GROUP_TAG, "web-asg")],
        );
        let plan = plan_for_instance(&config, "i-0abcd1234ef567890", Some(&in_group));
        let memory = plan
            .alarms
            .iter()
            .find(|a| a.metric_name == "mem_used_percent")
            .unwrap();
        assert_eq!(
            memory.dimensions,
            vec![
                ("AutoScalingGroupName".into(), "web-asg".into()),
                ("ImageId".into(), "ami-0123456789abcdef0".into()),
                ("InstanceId".into(), "i-0abcd1234ef567890".into()),
                ("InstanceType".into(), "t3.micro".into()),
            ]
        );
        let alone = plan_for_instance(
            &config,
            "i-0abcd1234ef567890",
            Some(&instance(InstanceState::Running, &[])),
        );
        let disk = alone
            .alarms
            .iter()
            .find(|a| a.metric_name == "disk_used_percent")
            .unwrap();
        let names: Vec<_> = disk
            .dimensions
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            names,
            vec![
                "ImageId",
                "InstanceId",
                "InstanceType",
                "device",
                "fstype",
                "path"
            ]
        );
    }

    #[test]
    fn descriptions_name_the_instance() {
        let plan = plan_for_instance(
            &config(
                r#"[{"id": "net", "metric": "NetworkOut", "namespace": "AWS/EC2", "threshold": 5, "comparison": "LessThanThreshold", "severity": "critical"}]"#,
                InstanceFilter::AllInstances,
            ),
            "i-0abcd1234ef567890",
            Some(&instance(InstanceState::Running, &[])),
        );
        assert_eq!(
            plan.alarms[0].description,
            "NetworkOut < 5 on i-0abcd1234ef567890. Created by Watchkeeper; changes are overwritten when the instance next starts."
        );
        assert!(plan.alarms[0].dimensions.is_empty());
    }
}
