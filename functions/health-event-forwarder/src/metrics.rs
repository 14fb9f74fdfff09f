//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};

use crate::handler::{NAME, Report};

/// Why an event was skipped: the `Reason` dimension of `EventsSkipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an AWS Health event.
    IrrelevantEvent,
    /// Dropped by `INCLUDE_CATEGORIES` or `EXCLUDE_CATEGORIES`.
    CategoryFiltered,
    /// Dropped by `INCLUDE_SERVICES` or `EXCLUDE_SERVICES`.
    ServiceFiltered,
    /// Dropped by `INCLUDE_EVENT_TYPE_CODES` or `EXCLUDE_EVENT_TYPE_CODES`.
    EventTypeCodeFiltered,
    /// Dropped by `INCLUDE_REGIONS` or `EXCLUDE_REGIONS`.
    RegionFiltered,
    /// Below `MINIMUM_SEVERITY`.
    BelowMinimumSeverity,
    /// A rule this classification does not know (a new one in the code).
    Other,
}

impl SkipReason {
    pub const ALL: [Self; 7] = [
        Self::IrrelevantEvent,
        Self::CategoryFiltered,
        Self::ServiceFiltered,
        Self::EventTypeCodeFiltered,
        Self::RegionFiltered,
        Self::BelowMinimumSeverity,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::IrrelevantEvent => "irrelevant_event",
            Self::CategoryFiltered => "category_filtered",
            Self::ServiceFiltered => "service_filtered",
            Self::EventTypeCodeFiltered => "event_type_code_filtered",
            Self::RegionFiltered => "region_filtered",
            Self::BelowMinimumSeverity => "below_minimum_severity",
            Self::Other => "other",
        }
    }

    /// Classifies the filter rule the function reported. Each rule starts
    /// with the filtered property's fixed name, before any value taken from
    /// the event, so its start decides and event text cannot choose the code.
    pub fn of_rule(rule: &str) -> Self {
        const PREFIXES: [(&str, SkipReason); 5] = [
            ("category ", SkipReason::CategoryFiltered),
            ("service ", SkipReason::ServiceFiltered),
            ("event type code ", SkipReason::EventTypeCodeFiltered),
            ("region ", SkipReason::RegionFiltered),
            ("severity ", SkipReason::BelowMinimumSeverity),
        ];
        watchkeeper_shared::metrics::code_by_prefix(rule, &PREFIXES, Self::Other)
    }
}

impl ReportMetrics for Report {
    const FUNCTION: &'static str = NAME;

    fn metrics(&self) -> Vec<Count> {
        match self {
            // The handler skips only events that are not Health events.
            Report::Skipped { .. } => {
                vec![Count::event_skipped(SkipReason::IrrelevantEvent.code())]
            }
            Report::Filtered { rule, .. } => {
                vec![Count::event_skipped(SkipReason::of_rule(rule).code())]
            }
            Report::Notified { severity, .. } => vec![Count::notification_sent(*severity)],
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decide::{self, Decision};
    use serde_json::Value;
    use std::collections::HashMap;
    use testbed::events::load;
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::config::EnvReader;
    use watchkeeper_shared::events::health::HealthEventDetail;
    use watchkeeper_shared::events::parse_event;

    /// The report the handler gives for `event` when a filter drops it.
    fn filtered(event: &Value, settings: &[(&str, &str)]) -> Report {
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
        let parsed = parse_event::<HealthEventDetail>(event).unwrap();
        match decide::decide(&parsed, event, &config) {
            Decision::Drop { severity, rule } => Report::Filtered {
                event_arn: parsed.detail.event_arn.clone(),
                severity,
                rule,
            },
            Decision::Notify { .. } => panic!("expected a filter to drop the event"),
        }
    }

    #[test]
    fn each_report_shape_gives_its_metrics() {
        let issue = load("health-account-issue.json");
        let cases = [
            (
                Report::Skipped {
                    reason: "not an AWS Health event (source \"aws.ec2\", detail-type \"X\")"
                        .into(),
                },
                "irrelevant_event",
            ),
            (
                filtered(&issue, &[("EXCLUDE_CATEGORIES", "issue")]),
                "category_filtered",
            ),
            (
                filtered(&issue, &[("INCLUDE_CATEGORIES", "scheduledChange")]),
                "category_filtered",
            ),
            (
                filtered(&issue, &[("EXCLUDE_SERVICES", "EBS")]),
                "service_filtered",
            ),
            (
                filtered(&issue, &[("INCLUDE_EVENT_TYPE_CODES", "AWS_EC2_*")]),
                "event_type_code_filtered",
            ),
            (
                filtered(&issue, &[("EXCLUDE_REGIONS", "eu-west-1")]),
                "region_filtered",
            ),
            (
                filtered(
                    &load("health-account-notification.json"),
                    &[("MINIMUM_SEVERITY", "warning")],
                ),
                "below_minimum_severity",
            ),
            (
                Report::Filtered {
                    event_arn: "arn:aws:health:x".into(),
                    severity: Severity::Info,
                    rule: "something new".into(),
                },
                "other",
            ),
        ];
        for (report, code) in cases {
            assert_eq!(
                report.metrics(),
                vec![Count::event_skipped(code)],
                "{report:?}"
            );
        }
        for severity in [Severity::Info, Severity::Warning, Severity::Critical] {
            let report = Report::Notified {
                event_arn: "arn:aws:health:x".into(),
                severity,
                topic_arn: "arn:t".into(),
                subject: "AWS Health".into(),
                message_id: "m-1".into(),
            };
            assert_eq!(report.metrics(), vec![Count::notification_sent(severity)]);
        }
        let duplicate = Report::Duplicate {
            event_arn: "arn:aws:health:x".into(),
            idempotency_key: "health-event-forwarder#health|x".into(),
            handled_at: "2026-11-22T10:00:00Z".into(),
        };
        assert_eq!(duplicate.metrics(), vec![Count::duplicate_suppressed()]);
        assert_eq!(Report::FUNCTION, "health-event-forwarder");
    }

    #[test]
    fn event_text_cannot_choose_the_reason_code() {
        // A service name that reads like another rule.
        let mut event = load("health-account-issue.json");
        event["detail"]["service"] = Value::from("region EBS");
        let report = filtered(&event, &[("INCLUDE_SERVICES", "S3")]);
        assert_eq!(
            report.metrics(),
            vec![Count::event_skipped("service_filtered")]
        );
        assert_eq!(SkipReason::ALL.len(), 7);
    }
}
