//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics, tally};
use watchkeeper_shared::skip::ReasonCode;

use crate::handler::{ClusterResult, Report};

/// What one cluster's result counts: its outcome's metric, and the notice
/// when one was sent.
fn cluster_counts(result: &ClusterResult) -> Vec<Count> {
    let mut counts = vec![result.outcome.count()];
    if result.message_id.is_some()
        && let Some(severity) = result.outcome.notice_severity()
    {
        counts.push(Count::notification_sent(severity));
    }
    counts
}

impl ReportMetrics for Report {
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => vec![Count::event_skipped(reason.code())],
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
    use crate::decide::{AlarmSkip, SkipReason};
    use crate::message::{self, Facts, SparedFacts};
    use crate::outcome::ClusterOutcome;
    use serde_json::json;
    use std::collections::BTreeMap;
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::events::EventRouting;
    use watchkeeper_shared::events::cloudwatch_alarm::AlarmState;
    use watchkeeper_shared::home::Elsewhere;
    use watchkeeper_shared::metrics::{Dimension, Metric};
    use watchkeeper_shared::publisher::Topics;
    use watchkeeper_shared::skip::Routing;

    fn result(outcome: &str, notified: bool) -> ClusterResult {
        ClusterResult {
            cluster_id: "j-2AB".into(),
            outcome: serde_json::from_value(serde_json::json!(outcome)).unwrap(),
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
            (
                "policy_attached",
                true,
                vec![Count::cluster_spared("policy_attached"), warning],
            ),
            (
                "policy_attached",
                false,
                vec![Count::cluster_spared("policy_attached")],
            ),
            (
                "would_attach_policy",
                true,
                vec![Count::cluster_spared("would_attach_policy"), info],
            ),
            (
                "managed_by_emr",
                false,
                vec![Count::cluster_spared("managed_by_emr")],
            ),
            (
                "policy_unsupported",
                false,
                vec![Count::cluster_spared("policy_unsupported")],
            ),
        ];
        for (outcome, notified, expected) in cases {
            assert_eq!(
                checked(vec![result(outcome, notified)]).metrics(),
                expected,
                "{outcome}"
            );
        }
        assert_eq!(checked(vec![]).metrics(), vec![]);
        assert_eq!(
            <crate::App as watchkeeper_shared::function::Function>::NAME,
            "idle-emr-terminator"
        );
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
        let not_alarm = |name: &str| AlarmSkip::NotAlarm {
            alarm_name: name.into(),
            state: AlarmState::Ok,
        };
        let elsewhere = Elsewhere::Account {
            event: "111111111111".into(),
            home: "222222222222".into(),
        };
        let cases = [
            (
                SkipReason::Routing(Routing::not_handled(
                    "an idle alarm or a scheduled sweep",
                    &EventRouting::read(&json!({"source": "aws.ec2", "detail-type": "X"})).unwrap(),
                )),
                "irrelevant_event",
            ),
            (
                SkipReason::Alarms(vec![not_alarm("emr-idle")]),
                "alarm_not_actionable",
            ),
            (
                SkipReason::Alarms(vec![
                    not_alarm("a"),
                    AlarmSkip::NoCluster {
                        alarm_name: "b".into(),
                    },
                ]),
                "alarm_not_actionable",
            ),
            (
                SkipReason::Alarms(vec![AlarmSkip::Elsewhere(elsewhere.clone())]),
                "other_account",
            ),
            (
                SkipReason::Routing(Routing::Elsewhere(elsewhere)),
                "other_account",
            ),
        ];
        for (reason, code) in cases {
            let report = Report::Skipped { reason };
            assert_eq!(
                report.metrics(),
                vec![Count::event_skipped(code)],
                "{report:?}"
            );
        }
        assert_eq!(
            SkipReason::Alarms(vec![
                not_alarm("a"),
                AlarmSkip::NoCluster {
                    alarm_name: "b".into()
                }
            ])
            .to_string(),
            "alarm a changed to OK; only a change to ALARM acts; alarm b has no JobFlowId dimension, so it names no cluster"
        );
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
            sweep_regions: Vec::new(),
            auto_termination: crate::config::AutoTermination::OFF,
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
            let outcome = ClusterOutcome::of_plan(&plan);
            assert_eq!(
                outcome.notice_severity(),
                Some(notification.severity),
                "{outcome}"
            );
            outcomes.push(outcome.as_str());
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
            ClusterOutcome::StepsQueued.notice_severity(),
            Some(spared.severity)
        );
    }
}
