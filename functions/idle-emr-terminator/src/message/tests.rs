use super::*;
use crate::decide::{StepInfo, StepState};
use crate::outcome::ClusterOutcome;
use std::collections::BTreeMap;
use watchkeeper_shared::publisher::Topics;

fn config() -> Config {
    Config {
        topics: Topics {
            warning_topic_arn: "w".into(),
            critical_topic_arn: "c".into(),
        },
        dry_run: false,
        metric: crate::config::MetricMode::EmrIsIdle,
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
        id: "j-2AB".into(),
        name: "adhoc".into(),
        state: "WAITING".into(),
        termination_protected: false,
        tags: BTreeMap::from([("team".into(), "data".into())]),
        created_at: Some(0),
        release_label: Some("emr-7.1.0".into()),
        normalized_instance_hours: Some(24),
    }
}

fn evidence() -> IdleEvidence {
    IdleEvidence::Metric {
        window_minutes: 60,
        datapoints: 12,
        metric: "AWS/ElasticMapReduce IsIdle (1 = idle)".into(),
    }
}

#[test]
fn each_outcome_has_its_severity_title_and_sms() {
    let stack = OwningStack {
        stack_id: "id".into(),
        stack_name: "emr-adhoc".into(),
        status: "CREATE_COMPLETE".into(),
        service_role_arn: None,
        termination_protected: false,
        parent_id: None,
    };
    let delete = Action::DeleteStack {
        stack_id: "id".into(),
        stack_name: "emr-adhoc".into(),
    };
    let cases = [
        (
            Action::TerminateCluster,
            false,
            Severity::Warning,
            "terminated",
            "Terminated idle EMR cluster adhoc (j-2AB)",
            "WARNING: Terminated idle EMR cluster adhoc (j-2AB), idle at least 60 minutes",
        ),
        (
            Action::TerminateCluster,
            true,
            Severity::Info,
            "would_terminate",
            "Dry run: would terminate idle EMR cluster adhoc (j-2AB)",
            "INFO: Dry run: would terminate idle EMR cluster adhoc (j-2AB)",
        ),
        (
            delete.clone(),
            false,
            Severity::Warning,
            "stack_deleted",
            "Deleted stack emr-adhoc of idle EMR cluster adhoc (j-2AB)",
            "WARNING: Deleted stack emr-adhoc of idle EMR cluster adhoc (j-2AB)",
        ),
        (
            delete,
            true,
            Severity::Info,
            "would_delete_stack",
            "Dry run: would delete stack emr-adhoc of idle EMR cluster adhoc (j-2AB)",
            "INFO: Dry run: would delete stack emr-adhoc of idle EMR cluster adhoc (j-2AB)",
        ),
        (
            Action::ReportProtected,
            false,
            Severity::Info,
            "protected",
            "Idle but protected: EMR cluster adhoc (j-2AB)",
            "INFO: Idle EMR cluster adhoc (j-2AB) is termination-protected; left running",
        ),
    ];
    for (action, dry_run, severity, outcome, subject, sms) in cases {
        let plan = Plan {
            action,
            dry_run,
            note: None,
        };
        let rendered = notification(
            &config(),
            Facts {
                cluster: &cluster(),
                evidence: &evidence(),
                stack: Some(&stack),
                plan: &plan,
                region: "eu-west-1",
            },
        )
        .render();
        assert_eq!(ClusterOutcome::of_plan(&plan).as_str(), outcome);
        assert_eq!(rendered.severity, severity);
        assert_eq!(rendered.subject, subject);
        assert_eq!(rendered.sms, sms);
        assert!(
            rendered
                .email
                .contains("Owning stack: emr-adhoc (CREATE_COMPLETE)\n")
        );
        assert!(rendered.email.contains("Tags: team=data\n"));
    }
}

const SPARED_EMAIL: &str = "\
Not terminated: EMR cluster adhoc (j-2AB) has steps queued

Severity: INFO
Cluster: adhoc (j-2AB)
Action: none: steps are pending or running
Steps: s-2 \"load\" (RUNNING), s-1 \"nightly-etl\" (PENDING)
Idle: at least 60 minutes
Release: emr-7.1.0
Tags: team=data
Region: eu-west-1
Console: https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/j-2AB

Why
---
all 12 datapoints of AWS/ElasticMapReduce IsIdle (1 = idle) over the last 60 minutes say idle.
But ListSteps, checked just before acting, shows 2 steps: 1 running, 1 pending: work was submitted after the idleness was measured, so the cluster is not idle.

What you can do
---------------
Nothing. Watchkeeper checks the cluster again on its next idle alarm or sweep, once its steps have finished. To keep a cluster from Watchkeeper, tag it watchkeeper:keep.

--
Sent by Watchkeeper (idle-emr-terminator)
";

#[test]
fn a_cluster_spared_for_its_steps_is_explained() {
    let queued = QueuedSteps {
        steps: vec![
            StepInfo {
                id: "s-2".into(),
                name: "load".into(),
                state: StepState::Running,
            },
            StepInfo {
                id: "s-1".into(),
                name: "nightly-etl".into(),
                state: StepState::Pending,
            },
        ],
    };
    let rendered = spared_notification(
        &config(),
        SparedFacts {
            cluster: &cluster(),
            evidence: &evidence(),
            queued: &queued,
            region: "eu-west-1",
        },
    )
    .render();
    assert_eq!(rendered.severity, Severity::Info);
    assert_eq!(
        rendered.subject,
        "Not terminated: EMR cluster adhoc (j-2AB) has steps queued"
    );
    assert_eq!(
        rendered.sms,
        "INFO: Not terminated: EMR cluster adhoc (j-2AB) has 2 steps: 1 running, 1 pending"
    );
    assert_eq!(rendered.email, SPARED_EMAIL);
}

#[test]
fn the_guards_named_in_a_notice_take_the_right_plural() {
    let plan = Plan {
        action: Action::TerminateCluster,
        dry_run: false,
        note: None,
    };
    let facts = Facts {
        cluster: &cluster(),
        evidence: &evidence(),
        stack: None,
        plan: &plan,
        region: "eu-west-1",
    };
    for (minimum, text) in [
        (1, "at least 1 minute old"),
        (30, "at least 30 minutes old"),
    ] {
        let config = Config {
            minimum_age_minutes: minimum,
            ..config()
        };
        let email = notification(&config, facts).render().email;
        assert!(
            email.contains(&format!("Guards checked just now: the cluster is WAITING, {text}, has no watchkeeper:keep tag and no step pending or running.\n")),
            "{email}"
        );
    }
}

/// Issue 13: a long cluster or stack name pushed the id, and in the
/// SMS the idle time, out of the subject.
#[test]
fn long_names_are_shortened_and_what_happened_is_kept() {
    let mut long = cluster();
    long.name = format!(
        "analytics-adhoc-{}-notebook",
        "team-data-science-".repeat(14)
    );
    let stack_name = format!("emr-{}-stack", "s".repeat(120));
    let delete = Action::DeleteStack {
        stack_id: "id".into(),
        stack_name: stack_name.clone(),
    };
    let cases: [(Action, bool, &str, &str); 5] = [
        (
            Action::TerminateCluster,
            false,
            "Terminated idle EMR cluster analytics-",
            "-notebook (j-2AB)",
        ),
        (
            Action::TerminateCluster,
            true,
            "Dry run: would terminate idle EMR cluster analytics-",
            "-notebook (j-2AB)",
        ),
        (
            delete.clone(),
            false,
            "Deleted stack emr-s",
            "-stack of idle EMR cluster analytics",
        ),
        (
            delete,
            true,
            "Dry run: would delete stack emr-s",
            "-stack of idle EMR cluster analytics",
        ),
        (
            Action::ReportProtected,
            false,
            "EMR cluster analytics-",
            "-notebook (j-2AB)",
        ),
    ];
    for (action, dry_run, start, end) in cases {
        let plan = Plan {
            action,
            dry_run,
            note: None,
        };
        let rendered = notification(
            &config(),
            Facts {
                cluster: &long,
                evidence: &evidence(),
                stack: None,
                plan: &plan,
                region: "eu-west-1",
            },
        )
        .render();
        for text in [&rendered.subject, &rendered.sms] {
            assert!(text.contains(start) && text.contains(end), "{text}");
            assert!(text.contains("..."), "{text}");
        }
        if matches!(plan.action, Action::TerminateCluster) && !dry_run {
            assert!(
                rendered
                    .sms
                    .ends_with("-notebook (j-2AB), idle at least 60 minutes"),
                "{}",
                rendered.sms
            );
        }
        if matches!(plan.action, Action::ReportProtected) {
            assert!(
                rendered
                    .sms
                    .ends_with(" is termination-protected; left running")
            );
        }
        if matches!(plan.action, Action::DeleteStack { .. }) {
            assert!(
                rendered.subject.ends_with("-notebook (j-2AB)"),
                "{}",
                rendered.subject
            );
        }
        assert!(rendered.subject.len() <= 100, "{}", rendered.subject);
        assert!(rendered.sms.len() <= 140, "{}", rendered.sms);
        assert!(
            rendered
                .default
                .contains(&format!("Cluster: {} (j-2AB)\n", long.name))
        );
    }
}

#[test]
fn a_fallback_from_stack_mode_is_explained() {
    let plan = Plan {
        action: Action::TerminateCluster,
        dry_run: false,
        note: Some("no CloudFormation stack owns the cluster".into()),
    };
    let mut bare = cluster();
    bare.tags.clear();
    bare.release_label = None;
    let email = notification(
        &config(),
        Facts {
            cluster: &bare,
            evidence: &evidence(),
            stack: None,
            plan: &plan,
            region: "eu-west-1",
        },
    )
    .render()
    .email;
    assert!(email.contains(
        "The cluster was terminated rather than its stack deleted: no CloudFormation stack owns the cluster.\n"
    ));
    assert!(email.contains("Tags: none\nRegion: eu-west-1\n"));
    assert!(email.contains("Release: unknown\n"));
    assert!(email.contains("Owning stack: none\n"));
}

fn change(id: &str, name: &str, account: Option<&str>) -> PolicyChange {
    PolicyChange {
        cluster_id: id.into(),
        name: name.into(),
        state: "RUNNING".into(),
        release_label: Some("emr-7.1.0".into()),
        region: "eu-west-1".into(),
        account: account.map(str::to_owned),
    }
}

#[test]
fn one_policy_notice_lists_every_cluster_changed() {
    let config = Config {
        auto_termination: crate::config::AutoTermination {
            attach: true,
            idle_timeout_seconds: 5400,
            idle_check_managed: false,
        },
        ..config()
    };
    let changes = [
        change("j-1", "adhoc", None),
        change("j-2", "notebooks", Some("222222222222")),
    ];
    let attached = policy_notification(&config, &changes, false).render();
    assert_eq!(attached.severity, Severity::Warning);
    assert_eq!(
        attached.subject,
        "Attached an auto-termination policy (idle 90 minutes) to 2 EMR clusters"
    );
    assert!(
        attached
            .email
            .contains("\n- adhoc (j-1): RUNNING, emr-7.1.0, eu-west-1\n- notebooks (j-2): RUNNING, emr-7.1.0, eu-west-1, account 222222222222\n"),
        "{}",
        attached.email
    );
    assert!(
        attached.email.contains(
            "remove-auto-termination-policy --cluster-id <id>) and tag it watchkeeper:keep"
        ),
        "{}",
        attached.email
    );
    let dry = policy_notification(&config, &changes[..1], true).render();
    assert_eq!(dry.severity, Severity::Info);
    assert_eq!(
        dry.subject,
        "Dry run: would attach an auto-termination policy (idle 90 minutes) to 1 EMR cluster"
    );
    assert!(dry.email.contains("Nothing was changed: dry run is on."));
    assert_eq!(
        ClusterOutcome::PolicyAttached.notice_severity(),
        Some(attached.severity)
    );
    assert_eq!(
        ClusterOutcome::WouldAttachPolicy.notice_severity(),
        Some(dry.severity)
    );
}

#[test]
fn a_long_policy_list_names_the_first_clusters_and_counts_the_rest() {
    let changes: Vec<PolicyChange> = (0..MAX_POLICY_CLUSTERS_NAMED + 7)
        .map(|index| change(&format!("j-{index}"), "c", None))
        .collect();
    let email = policy_notification(&config(), &changes, false)
        .render()
        .email;
    assert!(email.contains(&format!("(j-{}):", MAX_POLICY_CLUSTERS_NAMED - 1)));
    assert!(!email.contains(&format!("(j-{}):", MAX_POLICY_CLUSTERS_NAMED)));
    assert!(
        email.contains("and 7 more (see the function's log)"),
        "{email}"
    );
}
