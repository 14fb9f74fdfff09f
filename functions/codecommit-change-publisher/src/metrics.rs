//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};

use crate::handler::{NAME, Report};

/// Why an event was skipped: the `Reason` dimension of `EventsSkipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a CodeCommit repository state-change event.
    IrrelevantEvent,
    /// A repository not in `REPOSITORY_NAMES`.
    RepositoryFiltered,
    /// A branch the branch filter leaves out.
    BranchFiltered,
    /// A tag, with `REPORT_TAGS=false`.
    TagNotReported,
    /// A reference type other than branch or tag.
    ReferenceTypeNotReported,
    /// A reference event other than created, updated or deleted.
    ReferenceEventNotReported,
    /// A reason this classification does not know (a new one in the code).
    Other,
}

impl SkipReason {
    pub const ALL: [Self; 7] = [
        Self::IrrelevantEvent,
        Self::RepositoryFiltered,
        Self::BranchFiltered,
        Self::TagNotReported,
        Self::ReferenceTypeNotReported,
        Self::ReferenceEventNotReported,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::IrrelevantEvent => "irrelevant_event",
            Self::RepositoryFiltered => "repository_filtered",
            Self::BranchFiltered => "branch_filtered",
            Self::TagNotReported => "tag_not_reported",
            Self::ReferenceTypeNotReported => "reference_type_not_reported",
            Self::ReferenceEventNotReported => "reference_event_not_reported",
            Self::Other => "other",
        }
    }

    /// Classifies the reason text the function reported by its fixed start.
    pub fn of(reason: &str) -> Self {
        const PREFIXES: [(&str, SkipReason); 6] = [
            (
                "not a CodeCommit repository state-change event",
                SkipReason::IrrelevantEvent,
            ),
            ("repository ", SkipReason::RepositoryFiltered),
            ("branch ", SkipReason::BranchFiltered),
            ("tag ", SkipReason::TagNotReported),
            ("reference type ", SkipReason::ReferenceTypeNotReported),
            ("event ", SkipReason::ReferenceEventNotReported),
        ];
        watchkeeper_shared::metrics::code_by_prefix(reason, &PREFIXES, Self::Other)
    }
}

impl ReportMetrics for Report {
    const FUNCTION: &'static str = NAME;

    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => {
                vec![Count::event_skipped(SkipReason::of(reason).code())]
            }
            Report::Published { severity, .. } => vec![Count::notification_sent(*severity)],
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decide::{self, Plan};
    use serde_json::{Value, json};
    use std::collections::HashMap;
    use testbed::events::load;
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::config::EnvReader;
    use watchkeeper_shared::events::codecommit::RepositoryStateChange;
    use watchkeeper_shared::events::parse_event;

    /// The reason `decide::plan` gives for `event` under `settings`.
    fn plan_skip_reason(event: &Value, settings: &[(&str, &str)]) -> String {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("WARNING_TOPIC_ARN".to_owned(), "arn:w".to_owned()),
            ("CRITICAL_TOPIC_ARN".to_owned(), "arn:c".to_owned()),
        ]);
        vars.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = Config::from_env(EnvReader::from_map(vars)).unwrap();
        let event = parse_event::<RepositoryStateChange>(event).unwrap();
        match decide::plan(&config, &event.detail).unwrap() {
            Plan::Skip { reason } => reason,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    fn with_detail(mut event: Value, field: &str, value: &str) -> Value {
        event["detail"][field] = json!(value);
        event
    }

    #[test]
    fn each_report_shape_gives_its_metrics() {
        let updated = load("codecommit-branch-updated.json");
        let cases = [
            (
                "not a CodeCommit repository state-change event (source \"aws.ec2\", detail-type \"X\")".to_owned(),
                "irrelevant_event",
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
                plan_skip_reason(&with_detail(updated.clone(), "event", "referenceMoved"), &[]),
                "reference_event_not_reported",
            ),
            ("something new".to_owned(), "other"),
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
            idempotency_key: "codecommit-change-publisher#e-1".into(),
            handled_at: "2026-11-22T10:00:00Z".into(),
        };
        assert_eq!(duplicate.metrics(), vec![Count::duplicate_suppressed()]);
        assert_eq!(Report::FUNCTION, "codecommit-change-publisher");
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
        assert_eq!(SkipReason::of(&forged), SkipReason::RepositoryFiltered);
        assert_eq!(SkipReason::ALL.len(), 7);
        assert_eq!(SkipReason::ALL.last().map(|r| r.code()), Some("other"));
    }
}
