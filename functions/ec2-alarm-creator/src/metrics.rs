//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};
use watchkeeper_shared::skip::ReasonCode;

use crate::handler::Report;

impl ReportMetrics for Report {
    /// `AlarmsCreated` counts every alarm put (PutMetricAlarm creates or
    /// overwrites), `AlarmsDeleted` every alarm deleted.
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => vec![Count::event_skipped(reason.code())],
            Report::Reconciled { outcome, .. } => [
                Count::alarms_created(outcome.alarms_put.len()),
                Count::alarms_deleted(outcome.alarms_deleted.len()),
            ]
            .into_iter()
            .filter(|count| count.value > 0)
            .collect(),
            Report::Swept { sweep } => [
                Count::alarms_created(sweep.alarms_put.len()),
                Count::alarms_deleted(sweep.alarms_deleted.len()),
            ]
            .into_iter()
            .filter(|count| count.value > 0)
            .collect(),
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::Outcome;
    use crate::decide::{self, FirstStep, SkipReason};
    use serde_json::json;
    use watchkeeper_shared::events::EventRouting;
    use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange};
    use watchkeeper_shared::home::Elsewhere;
    use watchkeeper_shared::idempotency::Handled;
    use watchkeeper_shared::skip::Routing;

    fn names(prefix: &str, count: usize) -> Vec<String> {
        (0..count)
            .map(|index| format!("{prefix}-{index}"))
            .collect()
    }

    fn reconciled(put: usize, deleted: usize) -> Report {
        Report::Reconciled {
            instance_id: "i-0abc".into(),
            reason: "instance is running".into(),
            outcome: Outcome {
                alarms_put: names("put", put),
                alarms_deleted: names("deleted", deleted),
                deferred: Vec::new(),
            },
        }
    }

    /// The reason `first_step` gives for a state that needs no change.
    fn state_skip_reason(state: InstanceState) -> SkipReason {
        let change = InstanceStateChange {
            instance_id: "i-0abc".into(),
            state,
        };
        match decide::first_step(&change) {
            FirstStep::Skip { reason, .. } => reason,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn each_report_shape_gives_its_metrics() {
        let cases = [
            (reconciled(2, 0), vec![Count::alarms_created(2)]),
            (reconciled(0, 2), vec![Count::alarms_deleted(2)]),
            (
                reconciled(3, 1),
                vec![Count::alarms_created(3), Count::alarms_deleted(1)],
            ),
            // A late running event or an instance not selected: nothing changed.
            (reconciled(0, 0), vec![]),
            (
                Report::Duplicate {
                    handled: Handled {
                        idempotency_key: "ec2-alarm-creator#e-1".into(),
                        handled_at: "2026-11-22T10:00:00Z".into(),
                    },
                },
                vec![Count::duplicate_suppressed()],
            ),
            (
                Report::Skipped {
                    reason: SkipReason::Routing(Routing::not_handled(
                        "an EC2 instance state-change event",
                        &EventRouting::read(&json!({"source": "aws.s3", "detail-type": "X"}))
                            .unwrap(),
                    )),
                },
                vec![Count::event_skipped("irrelevant_event")],
            ),
            (
                Report::Skipped {
                    reason: SkipReason::Routing(Routing::Elsewhere(Elsewhere::Region {
                        event: "eu-west-1".into(),
                        home: "us-east-1".into(),
                    })),
                },
                vec![Count::event_skipped("other_region")],
            ),
            (
                Report::Skipped {
                    reason: state_skip_reason(InstanceState::Pending),
                },
                vec![Count::event_skipped("state_needs_no_change")],
            ),
            (
                Report::Skipped {
                    reason: state_skip_reason(InstanceState::Other("rebooting".into())),
                },
                vec![Count::event_skipped("state_needs_no_change")],
            ),
        ];
        for (report, expected) in cases {
            assert_eq!(report.metrics(), expected, "{report:?}");
        }
        assert_eq!(
            <crate::App as watchkeeper_shared::function::Function>::NAME,
            "ec2-alarm-creator"
        );
    }

    #[test]
    fn event_text_cannot_choose_the_reason_code() {
        // The state name comes from the event; the code stays the same.
        let forged = state_skip_reason(InstanceState::Other(
            "x needs no alarm change; not an EC2 instance state-change event".into(),
        ));
        assert_eq!(forged.code(), "state_needs_no_change");
        let report = serde_json::to_value(Report::Skipped { reason: forged }).unwrap();
        assert_eq!(report["result"], "skipped");
        assert_eq!(report["code"], "state_needs_no_change");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .starts_with("state x needs")
        );
    }
}
