//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};
use watchkeeper_shared::skip::ReasonCode;

use crate::handler::Report;

impl ReportMetrics for Report {
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => vec![Count::event_skipped(reason.code())],
            Report::Filtered { rule, .. } => vec![Count::event_skipped(rule.code())],
            Report::Notified { severity, .. } => vec![Count::notification_sent(*severity)],
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{self, Decision, SkipReason};
    use crate::fixtures;
    use serde_json::Value;
    use serde_json::json;
    use testbed::events::load;
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::events::EventRouting;
    use watchkeeper_shared::events::health::HealthEventDetail;
    use watchkeeper_shared::events::parse_event;
    use watchkeeper_shared::home::Elsewhere;
    use watchkeeper_shared::idempotency::Handled;
    use watchkeeper_shared::skip::Routing;

    /// The report the handler gives for `event` when a filter drops it.
    fn filtered(event: &Value, settings: &[(&str, &str)]) -> Report {
        let config = fixtures::config(settings);
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
                    reason: SkipReason::Routing(Routing::not_handled(
                        "an AWS Health event",
                        &EventRouting::read(&json!({"source": "aws.ec2", "detail-type": "X"}))
                            .unwrap(),
                    )),
                },
                "irrelevant_event",
            ),
            (
                Report::Skipped {
                    reason: SkipReason::Routing(Routing::Elsewhere(Elsewhere::Account {
                        event: "111111111111".into(),
                        home: "222222222222".into(),
                    })),
                },
                "other_account",
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
                backup_region: None,
            };
            assert_eq!(report.metrics(), vec![Count::notification_sent(severity)]);
        }
        let duplicate = Report::Duplicate {
            event_arn: "arn:aws:health:x".into(),
            handled: Handled {
                idempotency_key: "health-event-forwarder#health|x".into(),
                handled_at: "2026-11-22T10:00:00Z".into(),
            },
        };
        assert_eq!(duplicate.metrics(), vec![Count::duplicate_suppressed()]);
        assert_eq!(
            <crate::App as watchkeeper_shared::function::Function>::NAME,
            "health-event-forwarder"
        );
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
    }
}
