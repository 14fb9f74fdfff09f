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
        sweep_regions: Vec::new(),
        auto_termination: crate::config::AutoTermination::OFF,
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
            Err("alarm emr-idle watches 2 clusters (j-1, j-2); it cannot say which one is idle"),
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
    let error = alarm_step(&change(AlarmState::Alarm, &[("JobFlowId", "j-1; rm")])).unwrap_err();
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
        sweep_regions: Vec::new(),
        auto_termination: crate::config::AutoTermination::OFF,
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

#[test]
fn releases_that_take_emrs_policy_with_its_full_idle_signal() {
    for (label, takes) in [
        ("emr-5.34.0", true),
        ("emr-5.36.2", true),
        ("emr-5.33.1", false),
        ("emr-5.30.0", false),
        ("emr-6.4.0", true),
        ("emr-6.15.0", true),
        ("emr-6.3.1", false),
        ("emr-6.1.0", false),
        ("emr-7.0.0", true),
        ("emr-4.10.0", false),
    ] {
        let release = Release::parse(label).unwrap_or_else(|| panic!("{label}"));
        assert_eq!(release.takes_policy(), takes, "{label}");
    }
    for label in ["", "emr-6", "emr-6.x.0", "6.4.0", "ami-3.11.0"] {
        assert_eq!(Release::parse(label), None, "{label:?}");
    }
    assert!(Release::parse("emr-6.10.0") > Release::parse("emr-6.9.1"));
}

fn attaching(config: Config) -> Config {
    Config {
        auto_termination: crate::config::AutoTermination {
            attach: true,
            idle_timeout_seconds: 1800,
            idle_check_managed: false,
        },
        ..config
    }
}

#[test]
fn policy_plans() {
    let config = attaching(config());
    let attach = PolicyPlan::Attach {
        idle_timeout_seconds: 1800,
        dry_run: false,
    };
    assert_eq!(plan_policy(Some(&cluster()), &config), attach);
    let running = ClusterFacts {
        state: "RUNNING".into(),
        ..cluster()
    };
    assert_eq!(plan_policy(Some(&running), &config), attach);
    // Dry run only reports it.
    let dry = Config {
        dry_run: true,
        ..config.clone()
    };
    assert_eq!(
        plan_policy(Some(&cluster()), &dry),
        PolicyPlan::Attach {
            idle_timeout_seconds: 1800,
            dry_run: true
        }
    );
    let leave = |facts: Option<&ClusterFacts>| match plan_policy(facts, &config) {
        PolicyPlan::Leave(leave) => (leave.code(), leave.to_string()),
        other => panic!("{other:?}"),
    };
    let old = ClusterFacts {
        release_label: Some("emr-6.3.0".into()),
        ..cluster()
    };
    assert_eq!(
        leave(Some(&old)),
        (
            "policy_unsupported",
            "release emr-6.3.0 cannot take EMR's auto-termination policy with its full idle signal (needs emr-5.34.0 or emr-6.4.0 and later)".into()
        )
    );
    let unlabelled = ClusterFacts {
        release_label: None,
        ..cluster()
    };
    assert_eq!(leave(Some(&unlabelled)).0, "policy_unsupported");
    let mut tagged = cluster();
    tagged
        .tags
        .insert("watchkeeper:keep".into(), "forever".into());
    assert_eq!(
        leave(Some(&tagged)),
        (
            "opted_out",
            "cluster carries the opt-out tag watchkeeper:keep".into()
        )
    );
    let ending = ClusterFacts {
        state: "TERMINATING".into(),
        ..cluster()
    };
    assert_eq!(
        leave(Some(&ending)),
        (
            "not_active",
            "cluster is TERMINATING, no longer WAITING or RUNNING".into()
        )
    );
    assert_eq!(leave(None).0, "not_found");
}

#[test]
fn a_cluster_with_a_policy_is_managed_by_emr() {
    assert_eq!(existing_policy_governs(None), None);
    let managed = existing_policy_governs(Some(ExistingPolicy {
        idle_timeout_seconds: Some(7200),
    }))
    .unwrap();
    assert_eq!(managed.code(), "managed_by_emr");
    assert_eq!(
        managed.to_string(),
        "managed by EMR's own auto-termination policy (idle timeout 120 minutes)"
    );
    assert_eq!(
        PolicyLeave::ManagedByEmr(ExistingPolicy {
            idle_timeout_seconds: None
        })
        .to_string(),
        "managed by EMR's own auto-termination policy"
    );
}

#[test]
fn the_idle_check_skips_clusters_emr_governs_unless_configured() {
    let config = attaching(config());
    let managed = PolicyPlan::Leave(PolicyLeave::ManagedByEmr(ExistingPolicy {
        idle_timeout_seconds: Some(3600),
    }));
    let attached = PolicyPlan::Attach {
        idle_timeout_seconds: 1800,
        dry_run: false,
    };
    let would_attach = PolicyPlan::Attach {
        idle_timeout_seconds: 1800,
        dry_run: true,
    };
    let old = PolicyPlan::Leave(PolicyLeave::ReleaseUnsupported {
        release_label: Some("emr-5.20.0".into()),
    });
    assert!(!idle_check_applies(&managed, &config));
    assert!(!idle_check_applies(&attached, &config));
    assert!(idle_check_applies(&would_attach, &config));
    assert!(idle_check_applies(&old, &config));
    let still = Config {
        auto_termination: crate::config::AutoTermination {
            idle_check_managed: true,
            ..config.auto_termination
        },
        ..config
    };
    for plan in [&managed, &attached, &would_attach, &old] {
        assert!(idle_check_applies(plan, &still), "{plan:?}");
    }
}
