//! The function's business metrics, derived from its report (pure).

use watchkeeper_shared::metrics::{Count, ReportMetrics};
use watchkeeper_shared::skip::ReasonCode;

use crate::handler::Report;

impl ReportMetrics for Report {
    fn metrics(&self) -> Vec<Count> {
        match self {
            Report::Skipped { reason } => vec![Count::event_skipped(reason.code())],
            Report::Notified { severity, .. } => vec![Count::notification_sent(*severity)],
            Report::Duplicate { .. } => vec![Count::duplicate_suppressed()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decide::{self, Decision, SkipReason};
    use crate::input::{self, Input};
    use serde_json::{Value, json};
    use testbed::events::load;
    use watchkeeper_shared::Severity;
    use watchkeeper_shared::events::cloudtrail::ApiCall;
    use watchkeeper_shared::events::parse_event;
    use watchkeeper_shared::home::Scope;
    use watchkeeper_shared::idempotency::Handled;
    use watchkeeper_shared::skip::{self, Admission};

    /// The skip reason the handler's steps give for `event`, before any AWS
    /// call: routing, reading the request, then deciding.
    fn skip_reason(event: &Value, settings: &[(&str, &str)]) -> SkipReason {
        let config = Config::from_env(testbed::offline_env(settings)).unwrap();
        let home = testbed::home();
        if let Admission::Skipped(routing) = skip::admit(
            event,
            &home,
            &[("aws.ec2", "AWS API Call via CloudTrail")],
            "an EC2 CloudTrail API call event",
            Scope::Account,
        )
        .unwrap()
        {
            return SkipReason::Routing(routing);
        }
        let call = parse_event::<ApiCall>(event).unwrap();
        match input::read(&call).unwrap() {
            Input::NotWatched { reason } => reason,
            Input::Watched(permission_event) => match decide::decide(&config, &permission_event) {
                Decision::Skip { reason } => reason,
                Decision::Notify(alert) => panic!("expected a skip, got {alert:?}"),
            },
        }
    }

    fn skipped(reason: SkipReason) -> Report {
        Report::Skipped { reason }
    }

    #[test]
    fn each_report_shape_gives_its_metrics() {
        let mut other_source = load("ami-public.json");
        other_source["source"] = json!("aws.s3");
        let mut other_event_source = load("ami-public.json");
        other_event_source["detail"]["eventSource"] = json!("s3.amazonaws.com");
        let mut other_call = load("ami-public.json");
        other_call["detail"]["eventName"] = json!("CreateImage");
        let cases = [
            (skipped(skip_reason(&other_source, &[])), "irrelevant_event"),
            (
                skipped(skip_reason(&other_event_source, &[])),
                "irrelevant_event",
            ),
            (
                skipped(skip_reason(&other_call, &[])),
                "api_call_not_watched",
            ),
            (
                skipped(skip_reason(
                    &load("ami-aws-service.json"),
                    &[("REPORT_AWS_SERVICE_CALLS", "false")],
                )),
                "aws_service_call",
            ),
            (
                skipped(skip_reason(&load("ami-description.json"), &[])),
                "other_attribute",
            ),
            (
                skipped(skip_reason(
                    &load("ami-denied.json"),
                    &[("REPORT_DENIED_CALLS", "false")],
                )),
                "denied_call",
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
                severity,
                subject: "[prod] AMI ami-1 made PUBLIC".into(),
                topic_arn: "arn:t".into(),
                message_id: "m-1".into(),
                remediation: None,
            };
            assert_eq!(report.metrics(), vec![Count::notification_sent(severity)]);
        }
        let duplicate = Report::Duplicate {
            handled: Handled {
                idempotency_key: "ami-permission-notifier#e-1".into(),
                handled_at: "2026-11-22T10:00:00Z".into(),
            },
        };
        assert_eq!(duplicate.metrics(), vec![Count::duplicate_suppressed()]);
        assert_eq!(
            <crate::App as watchkeeper_shared::function::Function>::NAME,
            "ami-permission-notifier"
        );
    }

    #[test]
    fn event_text_cannot_choose_the_reason_code() {
        let mut forged = load("ami-public.json");
        forged["detail"]["eventName"] = json!("call made via AWS service x");
        assert_eq!(skip_reason(&forged, &[]).code(), "api_call_not_watched");
    }
}
