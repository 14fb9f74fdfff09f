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
        propagate_tag_keys: Vec::new(),
        name_includes_instance_name: false,
        alarms: AlarmSet::parse(definitions, "test").unwrap(),
    }
}

fn instance(state: InstanceState, tags: &[(&str, &str)]) -> InstanceFacts {
    InstanceFacts {
        instance_id: "i-0abcd1234ef567890".into(),
        state: Some(state),
        image_id: Some("ami-0123456789abcdef0".into()),
        instance_type: Some("t3.micro".into()),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
    }
}

/// An event age at which a not-listed instance is gone.
const OLD: Option<Duration> = Some(GONE_AFTER);

/// The plan for a running event whose instance EC2 answers with
/// `instance` (`None`: not listed), the event being old enough for a
/// not-listed instance to be gone.
fn plan_for_instance(config: &Config, instance_id: &str, instance: Option<&InstanceFacts>) -> Plan {
    let lookup = instance.map_or(Lookup::NotListed, |facts| Lookup::Listed(facts.clone()));
    plan_for_running(config, instance_id, &lookup, OLD).expect("decidable")
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
    // The disk alarm's device, filesystem and path are discovered from
    // the series the agent publishes.
    let mut series = SeriesIndex::default();
    series.insert(
        MetricKey {
            namespace: "CWAgent".into(),
            metric: "disk_used_percent".into(),
        },
        [
            ("ImageId", "ami-0123456789abcdef0"),
            ("InstanceId", "i-0abcd1234ef567890"),
            ("InstanceType", "t3.micro"),
            ("device", "xvda1"),
            ("fstype", "ext4"),
            ("path", "/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    );
    let alone = plan_alarms(
        &config,
        &instance(InstanceState::Running, &[]),
        Reason::Running,
        &series,
    )
    .unwrap();
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
        "NetworkOut < 5 on i-0abcd1234ef567890. Created by Watchkeeper; changes are overwritten when the instance next starts or its tags change."
    );
    assert!(plan.alarms[0].dimensions.is_empty());
}

/// What a running event must come to.
#[derive(Debug, PartialEq)]
enum Expected {
    Alarms(Reason),
    NoAlarms(Reason),
    NotListedYet,
    NoState,
    UnknownState,
}

fn outcome(result: Result<Plan, Undecided>) -> Expected {
    match result {
        Ok(plan) if plan.alarms.is_empty() => Expected::NoAlarms(plan.reason),
        Ok(plan) => Expected::Alarms(plan.reason),
        Err(Undecided::NotListedYet { .. }) => Expected::NotListedYet,
        Err(Undecided::NoState { .. }) => Expected::NoState,
        Err(Undecided::UnknownState { .. }) => Expected::UnknownState,
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// Every state EC2 can answer with. The match has no wildcard, so a
/// state added to `InstanceState` fails to compile here until the table
/// below says what it decides.
fn every_state() -> Vec<InstanceState> {
    let all = [
        InstanceState::Pending,
        InstanceState::Running,
        InstanceState::Stopping,
        InstanceState::Stopped,
        InstanceState::ShuttingDown,
        InstanceState::Terminated,
        InstanceState::Other("rebooting".into()),
    ];
    for state in &all {
        match state {
            InstanceState::Pending
            | InstanceState::Running
            | InstanceState::Stopping
            | InstanceState::Stopped
            | InstanceState::ShuttingDown
            | InstanceState::Terminated
            | InstanceState::Other(_) => {}
        }
    }
    all.to_vec()
}

#[test]
fn every_answer_ec2_can_give_for_a_running_event_decides_as_the_table_says() {
    let config = config("disk-space", InstanceFilter::AllInstances);
    let ages = [
        Some(Duration::ZERO),
        Some(Duration::from_secs(90)),
        Some(GONE_AFTER - Duration::from_secs(1)),
        Some(GONE_AFTER),
        Some(Duration::from_secs(13 * 24 * 60 * 60)),
        None,
    ];
    let late = |state: InstanceState| Expected::NoAlarms(Reason::NoLongerRunning { state });
    for age in ages {
        let old = age.is_some_and(|age| age >= GONE_AFTER);
        let mut cases: Vec<(Lookup, Expected)> = every_state()
            .into_iter()
            .map(|state| {
                let expected = match &state {
                    InstanceState::Running => Expected::Alarms(Reason::Running),
                    InstanceState::Pending => Expected::Alarms(Reason::Starting),
                    InstanceState::Stopping
                    | InstanceState::Stopped
                    | InstanceState::ShuttingDown
                    | InstanceState::Terminated => late(state.clone()),
                    InstanceState::Other(_) => Expected::UnknownState,
                };
                (Lookup::Listed(instance(state, &[])), expected)
            })
            .collect();
        let mut stateless = instance(InstanceState::Running, &[]);
        stateless.state = None;
        cases.push((Lookup::Listed(stateless), Expected::NoState));
        cases.push((
            Lookup::NotListed,
            if old {
                Expected::NoAlarms(Reason::NotFound)
            } else {
                Expected::NotListedYet
            },
        ));
        for (lookup, expected) in cases {
            let result = plan_for_running(&config, "i-0abcd1234ef567890", &lookup, age);
            assert_eq!(outcome(result), expected, "{lookup:?} at age {age:?}");
        }
    }
}

#[test]
fn a_pending_answer_still_goes_through_the_tag_filter() {
    let config = config(
        "disk-space",
        InstanceFilter::OptIn(TagMatch::parse("Environment=production").unwrap()),
    );
    for (tags, expected) in [
        (
            vec![("Environment", "production")],
            Expected::Alarms(Reason::Starting),
        ),
        (
            vec![("Environment", "test")],
            Expected::NoAlarms(Reason::NotSelected {
                filter: "opt-in Environment=production".into(),
            }),
        ),
    ] {
        let lookup = Lookup::Listed(instance(InstanceState::Pending, &tags));
        let result = plan_for_running(&config, "i-0abcd1234ef567890", &lookup, OLD);
        assert_eq!(outcome(result), expected, "{tags:?}");
    }
}

#[test]
fn undecided_answers_name_the_instance_and_the_event_age_in_words() {
    let config = config("disk-space", InstanceFilter::AllInstances);
    let not_listed = |age| {
        plan_for_running(&config, "i-0abcd1234ef567890", &Lookup::NotListed, age)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        not_listed(Some(Duration::from_secs(60))),
        "EC2 does not list instance i-0abcd1234ef567890 yet, 1 minute after its running event: right after a launch EC2's reads lag, so this attempt fails for Lambda to retry"
    );
    assert!(
        not_listed(Some(Duration::from_secs(150))).contains(", 2 minutes after its running event:")
    );
    assert!(not_listed(None).contains(" yet, and its running event has no readable time:"));
    let mut stateless = instance(InstanceState::Running, &[]);
    stateless.state = None;
    assert_eq!(
        plan_for_running(
            &config,
            "i-0abcd1234ef567890",
            &Lookup::Listed(stateless),
            OLD
        )
        .unwrap_err()
        .to_string(),
        "EC2's DescribeInstances answer for instance i-0abcd1234ef567890 has no state; this attempt fails for Lambda to retry"
    );
    let rebooting = instance(InstanceState::Other("rebooting".into()), &[]);
    assert_eq!(
        plan_for_running(
            &config,
            "i-0abcd1234ef567890",
            &Lookup::Listed(rebooting),
            OLD
        )
        .unwrap_err()
        .to_string(),
        "EC2 reports instance i-0abcd1234ef567890 in state \"rebooting\", which EC2 does not document; failing rather than guessing whether it runs"
    );
}

#[test]
fn an_unknown_image_id_or_type_fails_only_an_alarm_whose_dimensions_need_it() {
    let mut unknown = instance(InstanceState::Running, &[]);
    unknown.image_id = None;
    unknown.instance_type = None;
    let lookup = Lookup::Listed(unknown);
    let disk = plan_for_running(
        &config("disk-space", InstanceFilter::AllInstances),
        "i-0abcd1234ef567890",
        &lookup,
        OLD,
    )
    .unwrap();
    assert_eq!(disk.alarms.len(), 2);
    let agent = plan_for_running(
        &config("cloudwatch-agent", InstanceFilter::AllInstances),
        "i-0abcd1234ef567890",
        &lookup,
        OLD,
    )
    .unwrap_err();
    assert_eq!(
        agent,
        Undecided::MissingField {
            instance_id: "i-0abcd1234ef567890".into(),
            alarm_id: "agent-disk-used-warning".into(),
            dimension: "ImageId".into(),
            field: "image id",
        }
    );
    assert_eq!(
        agent.to_string(),
        "alarm agent-disk-used-warning needs the image id of instance i-0abcd1234ef567890 for its dimension ImageId, but EC2's DescribeInstances answer has none; this attempt fails for Lambda to retry"
    );
    let mut typeless = instance(InstanceState::Running, &[]);
    typeless.instance_type = None;
    let error = plan_for_running(
        &config(
            r#"[{"id": "mem", "metric": "mem_used_percent", "namespace": "CWAgent", "dimensions": {"InstanceType": "{instance_type}"}, "threshold": 90, "severity": "warning"}]"#,
            InstanceFilter::AllInstances,
        ),
        "i-0abcd1234ef567890",
        &Lookup::Listed(typeless),
        OLD,
    )
    .unwrap_err();
    assert!(
        matches!(
            &error,
            Undecided::MissingField {
                field: "instance type",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn durations_and_counts_use_the_right_plural() {
    let cases = [
        (0, "0 seconds"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (119, "1 minute"),
        (120, "2 minutes"),
        (3_599, "59 minutes"),
        (3_600, "1 hour"),
        (7_200, "2 hours"),
        (86_400, "1 day"),
        (13 * 86_400 + 5, "13 days"),
    ];
    for (seconds, expected) in cases {
        assert_eq!(
            describe_duration(Duration::from_secs(seconds)),
            expected,
            "{seconds}"
        );
    }
    assert_eq!(count(1, "alarm", "alarms"), "1 alarm");
    assert_eq!(count(0, "alarm", "alarms"), "0 alarms");
}

#[test]
fn event_age_comes_from_the_event_time_and_unknown_is_none() {
    use std::time::UNIX_EPOCH;
    // 2026-11-22T10:02:03Z
    let happened = UNIX_EPOCH + Duration::from_secs(1_795_341_723);
    let now = happened + Duration::from_secs(90);
    assert_eq!(
        event_age("2026-11-22T10:02:03Z", now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        event_age("2026-11-22T10:02:03Z", happened - Duration::from_secs(5)),
        Some(Duration::ZERO),
        "an event from the future (clock skew) is new"
    );
    for unreadable in ["", "yesterday", "2026-11-22", "2026-13-40T99:00:00Z"] {
        assert_eq!(event_age(unreadable, now), None, "{unreadable:?}");
    }
}

// --- Discovered dimensions, naming, descriptions, tag changes, drift -------

fn agent_key() -> MetricKey {
    MetricKey {
        namespace: "CWAgent".into(),
        metric: "disk_used_percent".into(),
    }
}

fn series(pairs: &[(&str, &str)]) -> Series {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn disk(path: &str, device: &str, fstype: &str) -> Series {
    series(&[
        ("InstanceId", "i-0abcd1234ef567890"),
        ("path", path),
        ("device", device),
        ("fstype", fstype),
    ])
}

const DISCOVERING: &str = r#"[{"id": "disk", "metric": "disk_used_percent", "namespace": "CWAgent",
    "dimensions": {"InstanceId": "{instance_id}", "path": "*", "device": "*", "fstype": "*"},
    "threshold": 80, "severity": "warning"}]"#;

#[test]
fn discovered_dimensions_match_exactly_the_instances_series() {
    let config = config(DISCOVERING, InstanceFilter::AllInstances);
    let mut index = SeriesIndex::default();
    for found in [
        disk("/", "xvda1", "ext4"),
        disk("/data", "nvme1n1", "xfs"),
        // Published twice: one alarm.
        disk("/data", "nvme1n1", "xfs"),
        // Another instance's.
        series(&[
            ("InstanceId", "i-0fff"),
            ("path", "/"),
            ("device", "xvda1"),
            ("fstype", "ext4"),
        ]),
        // One dimension more or less: another metric to CloudWatch.
        series(&[
            ("InstanceId", "i-0abcd1234ef567890"),
            ("path", "/"),
            ("device", "xvda1"),
        ]),
        series(&[
            ("InstanceId", "i-0abcd1234ef567890"),
            ("path", "/"),
            ("device", "xvda1"),
            ("fstype", "ext4"),
            ("host", "h"),
        ]),
    ] {
        index.insert(agent_key(), found);
    }
    let plan = plan_alarms(
        &config,
        &instance(InstanceState::Running, &[]),
        Reason::Running,
        &index,
    )
    .unwrap();
    let names: Vec<_> = plan.alarms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "watchkeeper-i-0abcd1234ef567890-disk-data",
            "watchkeeper-i-0abcd1234ef567890-disk-root"
        ]
    );
    assert_eq!(
        plan.alarms[0].dimensions,
        vec![
            ("InstanceId".to_owned(), "i-0abcd1234ef567890".to_owned()),
            ("device".to_owned(), "nvme1n1".to_owned()),
            ("fstype".to_owned(), "xfs".to_owned()),
            ("path".to_owned(), "/data".to_owned()),
        ]
    );
    assert!(plan.deferred.is_empty());

    // Nothing published yet: deferred, no alarm that could never fire.
    let waiting = plan_alarms(
        &config,
        &instance(InstanceState::Running, &[]),
        Reason::Running,
        &SeriesIndex::default(),
    )
    .unwrap();
    assert!(waiting.alarms.is_empty());
    assert_eq!(waiting.deferred, vec!["disk"]);
}

#[test]
fn a_list_of_values_discovers_only_those() {
    let config = config(
        r#"[{"id": "disk", "metric": "disk_used_percent", "namespace": "CWAgent",
            "dimensions": {"InstanceId": "{instance_id}", "path": ["/", "/var"], "device": "*", "fstype": "*"},
            "threshold": 80, "severity": "warning"}]"#,
        InstanceFilter::AllInstances,
    );
    let mut index = SeriesIndex::default();
    for path in ["/", "/var", "/boot", "/var/lib/docker"] {
        index.insert(agent_key(), disk(path, "xvda1", "ext4"));
    }
    let plan = plan_alarms(
        &config,
        &instance(InstanceState::Running, &[]),
        Reason::Running,
        &index,
    )
    .unwrap();
    let paths: Vec<_> = plan
        .alarms
        .iter()
        .map(|a| a.name.rsplit('-').next().unwrap().to_owned())
        .collect();
    assert_eq!(paths, vec!["root", "var"]);
}

#[test]
fn names_use_the_path_and_fall_back_to_every_value_when_it_repeats() {
    let definition = &AlarmSet::parse(DISCOVERING, "t").unwrap().alarms[0];
    assert_eq!(discover::name_part("/"), "root");
    assert_eq!(discover::name_part("/var/lib/docker"), "var_lib_docker");
    assert_eq!(discover::name_part("C:"), "C_");
    let by_path = alarm_suffixes(
        definition,
        &[disk("/", "xvda1", "ext4"), disk("/data", "xvdf", "xfs")],
    );
    let names: Vec<_> = by_path.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, vec!["root", "data"]);
    // Two devices mounted on one path (a volume swapped): every value.
    let repeated = alarm_suffixes(
        definition,
        &[disk("/data", "xvdf", "xfs"), disk("/data", "xvdg", "xfs")],
    );
    let names: Vec<_> = repeated.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, vec!["xvdf-xfs-data", "xvdg-xfs-data"]);
    // Equal once made name-safe: numbered.
    let same = alarm_suffixes(
        definition,
        &[disk("/a b", "x", "y"), disk("/a_b", "x", "y")],
    );
    let names: Vec<_> = same.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, vec!["x-y-a_b", "x-y-a_b-2"]);
}

#[test]
fn long_names_stay_within_255_characters_and_distinct() {
    let mut config = config("cpu", InstanceFilter::AllInstances);
    config.alarm_name_prefix = "p".repeat(100);
    let id = "i-0abcd1234ef567890";
    let alarm_id = "a".repeat(64);
    let long_a = format!("/{}", "x".repeat(300));
    let long_b = format!("/{}y", "x".repeat(299));
    let a = alarm_name(&config, id, &alarm_id, Some(&discover::name_part(&long_a)));
    let b = alarm_name(&config, id, &alarm_id, Some(&discover::name_part(&long_b)));
    assert_eq!(a.chars().count(), 255);
    assert_eq!(b.chars().count(), 255);
    assert_ne!(a, b);
    assert!(a.starts_with(&instance_alarm_prefix(&config, id)));
    assert_eq!(instance_of_alarm(&config.alarm_name_prefix, &a), Some(id));
    // A short one is left as it is.
    assert_eq!(
        alarm_name(&config, id, "disk", Some("root")),
        format!("{}{id}-disk-root", "p".repeat(100))
    );
}

#[test]
fn descriptions_carry_the_name_tag_and_stay_within_1024_characters() {
    let config = config("cpu", InstanceFilter::AllInstances);
    let named = instance(InstanceState::Running, &[("Name", " web-1 ")]);
    let plan = plan_for_instance(&config, "i-0abcd1234ef567890", Some(&named));
    assert!(
        plan.alarms[0]
            .description
            .contains("on i-0abcd1234ef567890 (web-1)."),
        "{}",
        plan.alarms[0].description
    );
    let mut long = AlarmSet::parse("cpu", "t").unwrap().alarms[0].clone();
    long.description = Some("d".repeat(900));
    let huge = instance(InstanceState::Running, &[("Name", &"n".repeat(256))]);
    let text = describe_alarm(&long, &huge, 90.0, None);
    assert_eq!(text.chars().count(), MAX_DESCRIPTION_CHARS);
}

#[test]
fn propagated_tags_are_copied_when_the_instance_has_them() {
    let mut config = config("cpu", InstanceFilter::AllInstances);
    config.propagate_tag_keys = vec!["Team".into(), "CostCenter".into()];
    let plan = plan_for_instance(
        &config,
        "i-0abcd1234ef567890",
        Some(&instance(
            InstanceState::Running,
            &[("Team", "payments"), ("Other", "x")],
        )),
    );
    assert_eq!(
        plan.alarms[0].tags,
        vec![
            (CREATED_BY_TAG.to_owned(), CREATED_BY_VALUE.to_owned()),
            (INSTANCE_TAG.to_owned(), "i-0abcd1234ef567890".to_owned()),
            ("Team".to_owned(), "payments".to_owned()),
        ]
    );
}

#[test]
fn anomaly_band_alarms_take_the_band_width_from_the_threshold_tag() {
    let config = config("cpu-anomaly", InstanceFilter::AllInstances);
    let plan = plan_for_instance(
        &config,
        "i-0abcd1234ef567890",
        Some(&instance(
            InstanceState::Running,
            &[("watchkeeper:threshold:cpu-anomaly", "3.5")],
        )),
    );
    let alarm = &plan.alarms[0];
    assert_eq!(alarm.anomaly_band, Some(3.5));
    assert_eq!(
        alarm.band_expression().as_deref(),
        Some("ANOMALY_DETECTION_BAND(m1, 3.5)")
    );
    assert_eq!(alarm.comparison, "GreaterThanUpperThreshold");
    // A band width must be above zero.
    let bad = plan_for_instance(
        &config,
        "i-0abcd1234ef567890",
        Some(&instance(
            InstanceState::Running,
            &[("watchkeeper:threshold:cpu-anomaly", "-1")],
        )),
    );
    assert_eq!(bad.alarms[0].anomaly_band, Some(2.0));
    assert_eq!(bad.warnings.len(), 1);
}

#[test]
fn tag_changes_matter_only_for_tags_the_alarms_read() {
    let mut config = config(
        "cpu",
        InstanceFilter::OptIn(TagMatch::parse("Env=prod").unwrap()),
    );
    config.propagate_tag_keys = vec!["Team".into()];
    for key in [
        "Name",
        "Env",
        "Team",
        "watchkeeper:threshold:cpu-high",
        AUTOSCALING_GROUP_TAG,
    ] {
        assert!(tag_change_matters(&config, &[key.to_owned()]), "{key}");
    }
    assert!(!tag_change_matters(&config, &["CostCenter".to_owned()]));
    assert!(tag_change_matters(&config, &[]));
}

#[test]
fn a_tag_change_reconciles_only_a_running_instance() {
    let config = config("cpu", InstanceFilter::AllInstances);
    let id = "i-0abcd1234ef567890";
    for state in ["stopped", "terminated", "shutting-down", "stopping"] {
        let lookup = Lookup::Listed(instance(InstanceState::from_name(state), &[]));
        assert_eq!(
            assess_tag_change(&config, id, &lookup)
                .unwrap()
                .unwrap_err()
                .code(),
            "instance_not_running"
        );
    }
    assert_eq!(
        assess_tag_change(&config, id, &Lookup::NotListed)
            .unwrap()
            .unwrap_err()
            .code(),
        "instance_not_listed"
    );
    let running = Lookup::Listed(instance(InstanceState::Running, &[]));
    assert!(matches!(
        assess_tag_change(&config, id, &running).unwrap().unwrap(),
        Assessment::Alarms { .. }
    ));
}

#[test]
fn drift_is_any_difference_from_what_the_plan_would_put() {
    let config = config("disk-space", InstanceFilter::AllInstances);
    let plan = plan_for_instance(
        &config,
        "i-0abcd1234ef567890",
        Some(&instance(InstanceState::Running, &[])),
    );
    let exact: Vec<AlarmShape> = plan.alarms.iter().map(AlarmShape::of).collect();
    assert_eq!(changes_for(&plan, &exact), Changes::default());
    let mut drifted = exact.clone();
    drifted[1].description = Some("edited".into());
    drifted.push(AlarmShape {
        name: "watchkeeper-i-0abcd1234ef567890-old".into(),
        ..exact[0].clone()
    });
    let changes = changes_for(&plan, &drifted);
    assert_eq!(changes.put, vec![plan.alarms[1].clone()]);
    assert_eq!(changes.delete, vec!["watchkeeper-i-0abcd1234ef567890-old"]);
    // Missing alarms are put.
    assert_eq!(changes_for(&plan, &[]).put.len(), 2);
}

#[test]
fn alarms_are_told_apart_by_their_instance() {
    assert_eq!(
        instance_of_alarm(
            "watchkeeper-",
            "watchkeeper-i-0abcd1234ef567890-disk-space-warning"
        ),
        Some("i-0abcd1234ef567890")
    );
    assert_eq!(
        instance_of_alarm("watchkeeper-", "watchkeeper-i-12345678-cpu"),
        Some("i-12345678")
    );
    for other in [
        "watchkeeper-emr-idle-j-1",
        "watchkeeper-i-xyz-cpu",
        "watchkeeper-i-0abcd1234ef567890",
        "other-i-0abcd1234ef567890-cpu",
    ] {
        assert_eq!(instance_of_alarm("watchkeeper-", other), None, "{other}");
    }
}

#[test]
fn the_instance_name_may_end_the_alarm_name_within_255_characters() {
    let mut config = config("cpu", InstanceFilter::AllInstances);
    let named = instance(InstanceState::Running, &[("Name", "web-1")]);
    let plain = plan_for_instance(&config, "i-0abcd1234ef567890", Some(&named));
    assert_eq!(
        plain.alarms[0].name,
        "watchkeeper-i-0abcd1234ef567890-cpu-high"
    );
    config.name_includes_instance_name = true;
    let plan = plan_for_instance(&config, "i-0abcd1234ef567890", Some(&named));
    assert_eq!(
        plan.alarms[0].name,
        "watchkeeper-i-0abcd1234ef567890-cpu-high (web-1)"
    );
    assert_eq!(
        instance_of_alarm("watchkeeper-", &plan.alarms[0].name),
        Some("i-0abcd1234ef567890")
    );
    // No Name: no parentheses.
    let unnamed = plan_for_instance(
        &config,
        "i-0abcd1234ef567890",
        Some(&instance(InstanceState::Running, &[])),
    );
    assert_eq!(
        unnamed.alarms[0].name,
        "watchkeeper-i-0abcd1234ef567890-cpu-high"
    );
    // A long name is cut; one with no room is left out.
    let long = with_instance_name(&"a".repeat(200), &"n".repeat(300));
    assert_eq!(long.chars().count(), 255);
    assert!(long.ends_with("n)"));
    assert_eq!(
        with_instance_name(&"a".repeat(250), "web-1"),
        "a".repeat(250)
    );
}
