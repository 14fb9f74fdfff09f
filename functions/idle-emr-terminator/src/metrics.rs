//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::Severity;
use watchkeeper_shared::metrics::{Count, ReportMetrics, tally};

use crate::handler::{ClusterResult, NAME, Report};

/// Outcomes that leave a cluster running, each its own `Reason` of
/// `ClustersSpared`: dry run, termination protection, steps pending or
/// running, a guard (not waiting, opted out, too young, unknown), in use,
/// or not enough data to say.
pub const SPARED_OUTCOMES: [&str; 7] = [
    "would_terminate",
    "would_delete_stack",
    "protected",
    "steps_queued",
    "skipped",
    "busy",
    "no_data",
];

/// Why an invocation acted on no cluster: the `Reason` dimension of
/// `EventsSkipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Neither an idle alarm nor the scheduled sweep.
    IrrelevantEvent,
    /// Alarms that did not change to ALARM or name no single cluster.
    AlarmNotActionable,
    /// A reason this classification does not know (a new one in the code).
    Other,
}

impl SkipReason {
    pub const ALL: [Self; 3] = [Self::IrrelevantEvent, Self::AlarmNotActionable, Self::Other];

    pub fn code(self) -> &'static str {
        match self {
            Self::IrrelevantEvent => "irrelevant_event",
            Self::AlarmNotActionable => "alarm_not_actionable",
            Self::Other => "other",
        }
    }

    /// Classifies the reason text the handler reported. Each reason starts
    /// with fixed text, before any value taken from the event (an alarm's
    /// name comes after "alarm "), so its start decides.
    pub fn of(reason: &str) -> Self {
        if reason.starts_with("not an idle alarm or a scheduled sweep") {
            Self::IrrelevantEvent
        } else if reason.starts_with("alarm ") {
            Self::AlarmNotActionable
        } else {
            Self::Other
        }
    }
}

/// The severity of the notice sent for an outcome, as
/// `message::notification` chooses it; `None` for outcomes that send none.
pub fn notice_severity(outcome: &str) -> Option<Severity> {
    match outcome {
        "protected" | "would_terminate" | "would_delete_stack" | "steps_queued" => {
            Some(Severity::Info)
        }
        "terminated" | "stack_deleted" => Some(Severity::Warning),
        _ => None,
    }
}

/// What one cluster's result counts. An outcome not listed here counts
/// nothing, rather than being guessed into the wrong metric.
fn cluster_counts(result: &ClusterResult) -> Vec<Count> {
    let outcome = result.outcome.as_str();
    let mut counts = Vec::new();
    match outcome {
        "terminated" => counts.push(Count::cluster_terminated()),
        "stack_deleted" => counts.push(Count::stack_deleted()),
        "duplicate" => counts.push(Count::duplicate_suppressed()),
        _ => {
            if let Some(reason) = SPARED_OUTCOMES.iter().find(|spared| **spared == outcome) {
                counts.push(Count::cluster_spared(reason));
            }
        }
    }
    if result.message_id.is_some()
        && let Some(severity) = notice_severity(outcome)
    {
        counts.push(Count::notification_sent(severity));
    }
    counts
}

impl ReportMetrics for Report {
    const FUNCTION: &'static str = NAME;

    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => {
                vec![Count::event_skipped(SkipReason::of(reason).code())]
            }
            Report::Checked { clusters } => tally(clusters.iter().flat_map(cluster_counts)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, MetricMode};
    use crate::decide::{
        Action, ClusterFacts, IdleEvidence, OwningStack, Plan, QueuedSteps, StepInfo, StepState,
    };
    use crate::message::{self, Facts, SparedFacts};
    use std::collections::BTreeMap;
    use watchkeeper_shared::metrics::{Dimension, Metric};
    use watchkeeper_shared::publisher::Topics;

    fn result(outcome: &str, notified: bool) -> ClusterResult {
        ClusterResult {
            cluster_id: "j-2AB".into(),
            outcome: outcome.into(),
            reason: "idle for 60 minutes".into(),
            message_id: notified.then(|| "m-1".to_owned()),
        }
    }

    fn checked(results: Vec<ClusterResult>) -> Report {
        Report::Checked { clusters: results }
    }

    #[test]
    fn each_outcome_gives_its_metrics() {
        let info = Count::notification_sent(Severity::Info);
        let warning = Count::notification_sent(Severity::Warning);
        let cases = [
            (
                "terminated",
                true,
                vec![Count::cluster_terminated(), warning],
            ),
            ("stack_deleted", true, vec![Count::stack_deleted(), warning]),
            (
                "would_terminate",
                true,
                vec![Count::cluster_spared("would_terminate"), info],
            ),
            (
                "would_delete_stack",
                true,
                vec![Count::cluster_spared("would_delete_stack"), info],
            ),
            (
                "protected",
                true,
                vec![Count::cluster_spared("protected"), info],
            ),
            (
                "steps_queued",
                true,
                vec![Count::cluster_spared("steps_queued"), info],
            ),
            ("skipped", false, vec![Count::cluster_spared("skipped")]),
            ("busy", false, vec![Count::cluster_spared("busy")]),
            ("no_data", false, vec![Count::cluster_spared("no_data")]),
            ("duplicate", false, vec![Count::duplicate_suppressed()]),
            ("an_outcome_added_later", true, vec![]),
        ];
        for (outcome, notified, expected) in cases {
            assert_eq!(
                checked(vec![result(outcome, notified)]).metrics(),
                expected,
                "{outcome}"
            );
        }
        assert_eq!(checked(vec![]).metrics(), vec![]);
        assert_eq!(Report::FUNCTION, "idle-emr-terminator");
    }

    #[test]
    fn a_sweep_sums_its_clusters() {
        let report = checked(vec![
            result("busy", false),
            result("terminated", true),
            result("busy", false),
            result("no_data", false),
            result("terminated", true),
            result("duplicate", false),
            result("protected", true),
        ]);
        assert_eq!(
            report.metrics(),
            vec![
                Count {
                    metric: Metric::ClustersSpared,
                    dimension: Some(Dimension::Reason("busy")),
                    value: 2
                },
                Count {
                    metric: Metric::ClustersTerminated,
                    dimension: None,
                    value: 2
                },
                Count {
                    metric: Metric::NotificationsSent,
                    dimension: Some(Dimension::Severity(Severity::Warning)),
                    value: 2
                },
                Count::cluster_spared("no_data"),
                Count::duplicate_suppressed(),
                Count::cluster_spared("protected"),
                Count::notification_sent(Severity::Info),
            ]
        );
    }

    #[test]
    fn skipped_invocations_count_by_reason() {
        let cases = [
            (
                "not an idle alarm or a scheduled sweep (source \"aws.ec2\", detail-type \"X\")",
                "irrelevant_event",
            ),
            (
                "alarm emr-idle changed to OK; only a change to ALARM acts",
                "alarm_not_actionable",
            ),
            (
                "alarm a changed to OK; only a change to ALARM acts; alarm b has no JobFlowId dimension, so it names no cluster",
                "alarm_not_actionable",
            ),
            ("", "other"),
        ];
        for (reason, code) in cases {
            let report = Report::Skipped {
                reason: reason.into(),
            };
            assert_eq!(
                report.metrics(),
                vec![Count::event_skipped(code)],
                "{reason}"
            );
        }
        assert_eq!(SkipReason::ALL.len(), 3);
    }

    /// `notice_severity` must agree with the notification actually sent.
    #[test]
    fn notice_severities_match_the_notifications() {
        let config = Config {
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
        };
        let cluster = ClusterFacts {
            id: "j-2AB".into(),
            name: "adhoc".into(),
            state: "WAITING".into(),
            termination_protected: false,
            tags: BTreeMap::new(),
            created_at: Some(0),
            release_label: None,
            normalized_instance_hours: None,
        };
        let evidence = IdleEvidence::Metric {
            window_minutes: 60,
            datapoints: 12,
            metric: "AWS/ElasticMapReduce IsIdle (1 = idle)".into(),
        };
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
        let mut outcomes = Vec::new();
        for (action, dry_run) in [
            (Action::TerminateCluster, false),
            (Action::TerminateCluster, true),
            (delete.clone(), false),
            (delete, true),
            (Action::ReportProtected, false),
        ] {
            let plan = Plan {
                action,
                dry_run,
                note: None,
            };
            let notification = message::notification(
                &config,
                Facts {
                    cluster: &cluster,
                    evidence: &evidence,
                    stack: Some(&stack),
                    plan: &plan,
                    region: "eu-west-1",
                },
            );
            let outcome = message::outcome_name(&plan);
            assert_eq!(
                notice_severity(outcome),
                Some(notification.severity),
                "{outcome}"
            );
            outcomes.push(outcome);
        }
        assert_eq!(
            outcomes,
            [
                "terminated",
                "would_terminate",
                "stack_deleted",
                "would_delete_stack",
                "protected"
            ]
        );
        let queued = QueuedSteps {
            steps: vec![StepInfo {
                id: "s-1".into(),
                name: "etl".into(),
                state: StepState::Pending,
            }],
        };
        let spared = message::spared_notification(
            &config,
            SparedFacts {
                cluster: &cluster,
                evidence: &evidence,
                queued: &queued,
                region: "eu-west-1",
            },
        );
        assert_eq!(
            notice_severity(message::STEPS_QUEUED_OUTCOME),
            Some(spared.severity)
        );
    }
}
