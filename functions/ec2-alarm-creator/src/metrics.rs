//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};

use crate::handler::{NAME, Report};

/// Why an event was skipped: the `Reason` dimension of `EventsSkipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an EC2 instance state-change event.
    IrrelevantEvent,
    /// A state such as `pending` that changes no alarm.
    StateNeedsNoChange,
    /// A reason this classification does not know (a new one in the code).
    Other,
}

impl SkipReason {
    pub const ALL: [Self; 3] = [Self::IrrelevantEvent, Self::StateNeedsNoChange, Self::Other];

    pub fn code(self) -> &'static str {
        match self {
            Self::IrrelevantEvent => "irrelevant_event",
            Self::StateNeedsNoChange => "state_needs_no_change",
            Self::Other => "other",
        }
    }

    /// Classifies the reason text the handler reported. Each reason starts
    /// with fixed text, before any value taken from the event, so its start
    /// decides and event text cannot choose the code.
    pub fn of(reason: &str) -> Self {
        if reason.starts_with("not an EC2 instance state-change event") {
            Self::IrrelevantEvent
        } else if reason.starts_with("state ") && reason.ends_with(" needs no alarm change") {
            Self::StateNeedsNoChange
        } else {
            Self::Other
        }
    }
}

impl ReportMetrics for Report {
    const FUNCTION: &'static str = NAME;

    /// `AlarmsCreated` counts every alarm put (PutMetricAlarm creates or
    /// overwrites), `AlarmsDeleted` every alarm deleted.
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => {
                vec![Count::event_skipped(SkipReason::of(reason).code())]
            }
            Report::Reconciled { outcome, .. } => [
                Count::alarms_created(outcome.alarms_put.len()),
                Count::alarms_deleted(outcome.alarms_deleted.len()),
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
    use crate::decide::{self, FirstStep};
    use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange};

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
            },
        }
    }

    /// The reason `first_step` gives for a state that needs no change.
    fn state_skip_reason(state: InstanceState) -> String {
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
                    idempotency_key: "ec2-alarm-creator#e-1".into(),
                    handled_at: "2026-11-22T10:00:00Z".into(),
                },
                vec![Count::duplicate_suppressed()],
            ),
            (
                Report::Skipped {
                    reason: "not an EC2 instance state-change event (source \"aws.s3\", detail-type \"X\")".into(),
                },
                vec![Count::event_skipped("irrelevant_event")],
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
            (
                Report::Skipped {
                    reason: "something new".into(),
                },
                vec![Count::event_skipped("other")],
            ),
        ];
        for (report, expected) in cases {
            assert_eq!(report.metrics(), expected, "{report:?}");
        }
        assert_eq!(Report::FUNCTION, "ec2-alarm-creator");
    }

    #[test]
    fn event_text_cannot_choose_the_reason_code() {
        // The state name comes from the event; the code stays the same.
        let forged = state_skip_reason(InstanceState::Other(
            "x needs no alarm change; not an EC2 instance state-change event".into(),
        ));
        assert_eq!(SkipReason::of(&forged), SkipReason::StateNeedsNoChange);
        assert_eq!(
            SkipReason::ALL.map(SkipReason::code),
            ["irrelevant_event", "state_needs_no_change", "other"]
        );
    }
}
