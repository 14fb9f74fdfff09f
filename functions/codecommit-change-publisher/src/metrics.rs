//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};
use watchkeeper_shared::skip::ReasonCode;

use crate::handler::Report;

impl ReportMetrics for Report {
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => vec![Count::event_skipped(reason.code())],
            Report::Published { severity, .. } => vec![Count::notification_sent(*severity)],
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decide::{self, Plan, SkipReason};
    use serde_json::{Value, json};
    use testbed::events::{load, with_detail};
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::events::EventRouting;
    use watchkeeper_shared::events::codecommit::RepositoryStateChange;
    use watchkeeper_shared::events::parse_event;
    use watchkeeper_shared::home::Elsewhere;
    use watchkeeper_shared::idempotency::Handled;
    use watchkeeper_shared::skip::Routing;

    /// The reason `decide::plan` gives for `event` under `settings`.
    fn plan_skip_reason(event: &Value, settings: &[(&str, &str)]) -> SkipReason {
        let config = Config::from_env(testbed::offline_env(settings)).unwrap();
        let event = parse_event::<RepositoryStateChange>(event).unwrap();
        match decide::plan(&config, &event.detail).unwrap() {
            Plan::Skip { reason } => reason,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn each_report_shape_gives_its_metrics() {
        let updated = load("codecommit-branch-updated.json");
        let cases = [
            (
                SkipReason::Routing(Routing::not_handled(
                    "a CodeCommit repository state-change event",
                    &EventRouting::read(&json!({"source": "aws.ec2", "detail-type": "X"})).unwrap(),
                )),
                "irrelevant_event",
            ),
            (
                SkipReason::Routing(Routing::Elsewhere(Elsewhere::Region {
                    event: "eu-west-1".into(),
                    home: "us-east-1".into(),
                })),
                "other_region",
            ),
            (
                plan_skip_reason(&updated, &[("REPOSITORY_NAMES", "other-repo")]),
                "repository_filtered",
            ),
            (
                plan_skip_reason(&updated, &[("BRANCH_FILTER", "release/*")]),
                "branch_filtered",
            ),
            (
                plan_skip_reason(
                    &load("codecommit-tag-created.json"),
                    &[("REPORT_TAGS", "false")],
                ),
                "tag_not_reported",
            ),
            (
                plan_skip_reason(&with_detail(updated.clone(), "referenceType", "note"), &[]),
                "reference_type_not_reported",
            ),
            (
                plan_skip_reason(
                    &with_detail(updated.clone(), "event", "referenceMoved"),
                    &[],
                ),
                "reference_event_not_reported",
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
        for severity in [Severity::Info, Severity::Warning] {
            let report = Report::Published {
                repository: "payments-service".into(),
                reference: "main".into(),
                commits: 3,
                severity,
                subject: "[payments-service] 3 commits pushed to main".into(),
                message_id: "m-1".into(),
            };
            assert_eq!(report.metrics(), vec![Count::notification_sent(severity)]);
        }
        let duplicate = Report::Duplicate {
            handled: Handled {
                idempotency_key: "codecommit-change-publisher#e-1".into(),
                handled_at: "2026-11-22T10:00:00Z".into(),
            },
        };
        assert_eq!(duplicate.metrics(), vec![Count::duplicate_suppressed()]);
        assert_eq!(
            <crate::App as watchkeeper_shared::function::Function>::NAME,
            "codecommit-change-publisher"
        );
    }

    #[test]
    fn event_text_cannot_choose_the_reason_code() {
        // A repository name that reads like another reason.
        let forged = plan_skip_reason(
            &with_detail(
                load("codecommit-branch-updated.json"),
                "repositoryName",
                "tag-x",
            ),
            &[("REPOSITORY_NAMES", "payments-service")],
        );
        assert_eq!(forged.code(), "repository_filtered");
    }
}
