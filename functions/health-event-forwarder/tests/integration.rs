//! The Health event forwarder end to end against moto: sample events in,
//! notifications out, read back from moto's SNS record and from SQS queues
//! subscribed to the two topics.

use std::collections::HashMap;
use watchkeeper_shared::idempotency::Handled;
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};

use serde_json::{Value, json};

use watchkeeper_shared::publisher::Publisher;

use health_event_forwarder::{App, HandlerError, Report, handle};
use testbed::Bed;
use testbed::Moto;
use testbed::events::load;
use testbed::sns::Delivered;
use watchkeeper_shared::config::EnvReader;

/// This function's helpers on the test bed.
trait HealthBed {
    /// The forwarder with `extra` settings.
    fn forwarder(&self, extra: &[(&str, &str)]) -> App;
    /// The subjects of every message published, in publish order.
    async fn published_subjects(&self) -> Vec<String>;
}

/// Environment variables on top of the topics.
type Settings<'a> = &'a [(&'a str, &'a str)];

const FOOTER: &str = "\n--\nSent by Watchkeeper (health-event-forwarder)\n";

/// Lines joined as the renderer writes them, each ending in a line break.
fn text(lines: &[&str]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// The email: the summary, the full event when attached, the footer.
fn email(summary: &str, attached: Option<&Value>) -> String {
    let full_event = attached
        .map(|event| {
            format!(
                "\nFull event\n----------\n{}\n",
                serde_json::to_string_pretty(event).unwrap()
            )
        })
        .unwrap_or_default();
    format!("{summary}{full_event}{FOOTER}")
}

fn dashboard(encoded_arn: &str) -> String {
    format!(
        "Dashboard: https://health.aws.amazon.com/health/home#/account/event-log?eventID={encoded_arn}&eventTab=details"
    )
}

/// What operators were sent for one event.
struct Sent {
    subject: String,
    email: String,
    sms: String,
    default: String,
    severity: String,
}

/// Runs one sample event with default settings and returns the single
/// notification, checking it went to the right topic only and reached the
/// SQS subscriber with the same subject, default body and attributes.
async fn notify(sample: &str, expected_topic: Topic) -> Sent {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    let report = handle(&app, &load(sample)).await.expect(sample);
    let Report::Notified {
        subject,
        topic_arn,
        message_id,
        ..
    } = &report
    else {
        panic!("{sample}: {report:?}")
    };
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1, "{sample}");
    let message = &published[0];
    assert_eq!(&message.message_id, message_id);
    assert_eq!(message.subject.as_ref(), Some(subject));
    let (topic, receiving, silent) = match expected_topic {
        Topic::Warning => (
            &bed.topics.topics.warning_topic_arn,
            bed.topics.warning_deliveries().await,
            bed.topics.critical_deliveries().await,
        ),
        Topic::Critical => (
            &bed.topics.topics.critical_topic_arn,
            bed.topics.critical_deliveries().await,
            bed.topics.warning_deliveries().await,
        ),
    };
    assert_eq!(&message.topic_arn, topic, "{sample}");
    assert_eq!(topic_arn, topic, "{sample}");
    assert!(silent.is_empty(), "{sample}: {silent:?}");
    let delivered: &[Delivered] = &receiving;
    let [delivered] = delivered else {
        panic!("{sample}: expected one delivery, got {receiving:?}")
    };
    let severity = message.attribute("severity").expect("severity attribute");
    assert_eq!(delivered.subject.as_ref(), Some(subject));
    assert_eq!(delivered.message, message.body("default"));
    assert_eq!(delivered.attributes.get("severity"), Some(&severity));
    assert_eq!(
        delivered.attributes.get("source").map(String::as_str),
        Some("health-event-forwarder")
    );
    assert_eq!(
        message.attribute("source").as_deref(),
        Some("health-event-forwarder")
    );
    Sent {
        subject: subject.clone(),
        email: message.body("email"),
        sms: message.body("sms"),
        default: message.body("default"),
        severity,
    }
}

#[derive(Debug, Clone, Copy)]
enum Topic {
    Warning,
    Critical,
}

fn assert_sent(
    sent: &Sent,
    subject: &str,
    sms: &str,
    severity: &str,
    summary: &str,
    attached: Option<&Value>,
) {
    assert_eq!(sent.subject, subject);
    assert_eq!(sent.sms, sms);
    assert_eq!(sent.severity, severity);
    assert_eq!(sent.default, summary);
    assert_eq!(sent.email, email(summary, attached));
}

#[tokio::test]
async fn a_public_issue_pages_with_its_description() {
    let sample = "health-public-issue.json";
    let sent = notify(sample, Topic::Critical).await;
    let summary = text(&[
        "[AWS Health] EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "",
        "Severity: CRITICAL",
        "Status: open",
        "Service: EC2",
        "Category: issue",
        "Event type: AWS_EC2_OPERATIONAL_ISSUE",
        "Region: us-east-1",
        "Scope: PUBLIC",
        "Account: 123456789012",
        "Start: 2026-11-22 10:00 UTC",
        "End: ongoing",
        "Last updated: 2026-11-22 10:05 UTC",
        "Event ARN: arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aus-east-1%3A%3Aevent%2FEC2%2FAWS_EC2_OPERATIONAL_ISSUE%2FAWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
        ),
        "",
        "Description",
        "-----------",
        "We are investigating increased API error rates and latencies for the RunInstances API in the US-EAST-1 Region.",
        "",
        "Existing instances are not affected.",
        "",
        "Affected resources (0)",
        "----------------------",
        "None listed in the event.",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "CRITICAL: AWS Health: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "critical",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn an_account_issue_lists_entities_with_status_and_tags_and_reads_rfc_2822_times() {
    let sample = "health-account-issue.json";
    let sent = notify(sample, Topic::Critical).await;
    let summary = text(&[
        "[AWS Health] EBS issue in eu-west-1: AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE",
        "",
        "Severity: CRITICAL",
        "Status: open",
        "Service: EBS",
        "Category: issue",
        "Event type: AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE",
        "Region: eu-west-1",
        "Scope: ACCOUNT_SPECIFIC",
        "Account: 123456789012",
        "Start: 2021-06-05 00:00 UTC",
        "End: ongoing",
        "Last updated: 2021-06-05 00:08 UTC",
        "Event ARN: arn:aws:health:eu-west-1::event/EBS/AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE/AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE_1a2b3c4d",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aeu-west-1%3A%3Aevent%2FEBS%2FAWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE%2FAWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE_1a2b3c4d",
        ),
        "",
        "Description",
        "-----------",
        "Your EBS volumes in EU-WEST-1 are experiencing degraded performance because of an issue with the underlying storage hardware.",
        "",
        "We recommend that you restore affected volumes from a recent snapshot.",
        "",
        "Affected resources (2)",
        "----------------------",
        "- vol-0a1b2c3d4e5f67890, status IMPAIRED, tags: Environment=production, Name=orders-db-data",
        "- vol-0fedcba9876543210, status UNIMPAIRED, tags: Name=orders-db-logs",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] EBS issue in eu-west-1: AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE",
        "CRITICAL: AWS Health: EBS issue in eu-west-1: AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE",
        "critical",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn a_scheduled_retirement_without_end_or_resources_is_a_warning() {
    let sample = "health-scheduled-retirement.json";
    let sent = notify(sample, Topic::Warning).await;
    let summary = text(&[
        "[AWS Health] EC2 scheduled change in eu-central-1: AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        "",
        "Severity: WARNING",
        "Status: upcoming",
        "Service: EC2",
        "Category: scheduledChange",
        "Event type: AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        "Region: eu-central-1",
        "Scope: ACCOUNT_SPECIFIC",
        "Account: 123456789012",
        "Start: 2026-12-04 08:00 UTC",
        "End: not set",
        "Last updated: not set",
        "Event ARN: arn:aws:health:eu-central-1::event/EC2/AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED_9b8c7d6e",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aeu-central-1%3A%3Aevent%2FEC2%2FAWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED%2FAWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED_9b8c7d6e",
        ),
        "",
        "Description",
        "-----------",
        "EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance i-0abcdef1234567890 in the eu-central-1 region. Due to this degradation your instance could already be unreachable. We will stop your instance after 2026-12-04 08:00 UTC.",
        "",
        "To avoid interruption, stop and start the instance yourself before then.",
        "",
        "Affected resources (1)",
        "----------------------",
        "- i-0abcdef1234567890, status PENDING",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] EC2 scheduled change in eu-central-1: AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        "WARNING: AWS Health: EC2 scheduled change in eu-central-1: AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        "warning",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn an_account_notification_is_information_by_email() {
    let sample = "health-account-notification.json";
    let sent = notify(sample, Topic::Warning).await;
    let summary = text(&[
        "[AWS Health] LAMBDA account notification in eu-west-1: AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        "",
        "Severity: INFO",
        "Status: open",
        "Service: LAMBDA",
        "Category: accountNotification",
        "Event type: AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        "Region: eu-west-1",
        "Scope: ACCOUNT_SPECIFIC",
        "Account: 123456789012",
        "Start: 2026-11-15 16:00 UTC",
        "End: 2027-03-31 00:00 UTC",
        "Last updated: 2026-11-15 16:00 UTC",
        "Event ARN: arn:aws:health:eu-west-1::event/LAMBDA/AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT/AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT_4f5e6d7c",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aeu-west-1%3A%3Aevent%2FLAMBDA%2FAWS_LAMBDA_PLANNED_LIFECYCLE_EVENT%2FAWS_LAMBDA_PLANNED_LIFECYCLE_EVENT_4f5e6d7c",
        ),
        "",
        "Description",
        "-----------",
        "You are receiving this message because your account has Lambda functions that use the Node.js 18 runtime, which reaches end of support on March 31, 2027.",
        "",
        "Upgrade these functions to Node.js 22.",
        "",
        "Affected resources (1)",
        "----------------------",
        "- arn:aws:lambda:eu-west-1:123456789012:function:invoice-renderer, tags: team=billing",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] LAMBDA account notification in eu-west-1: AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        "INFO: AWS Health: LAMBDA account notification in eu-west-1: AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        "info",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn an_organisational_view_event_names_the_affected_account() {
    let sample = "health-organization-issue.json";
    let sent = notify(sample, Topic::Critical).await;
    let summary = text(&[
        "[AWS Health] RDS issue in us-west-2 for account 444455556666: AWS_RDS_OPERATIONAL_ISSUE",
        "",
        "Severity: CRITICAL",
        "Status: open",
        "Service: RDS",
        "Category: issue",
        "Event type: AWS_RDS_OPERATIONAL_ISSUE",
        "Region: us-west-2",
        "Scope: ACCOUNT_SPECIFIC",
        "Account: 444455556666 (reported to 123456789012 through the organisational view)",
        "Start: 2026-11-22 14:00 UTC",
        "End: ongoing",
        "Last updated: 2026-11-22 14:20 UTC",
        "Event ARN: arn:aws:health:us-west-2::event/RDS/AWS_RDS_OPERATIONAL_ISSUE/AWS_RDS_OPERATIONAL_ISSUE_5d6e7f80",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aus-west-2%3A%3Aevent%2FRDS%2FAWS_RDS_OPERATIONAL_ISSUE%2FAWS_RDS_OPERATIONAL_ISSUE_5d6e7f80",
        ),
        "",
        "Description",
        "-----------",
        "We are experiencing elevated replication lag for some RDS for PostgreSQL read replicas in the US-WEST-2 Region.",
        "",
        "Affected resources (1)",
        "----------------------",
        "- arn:aws:rds:us-west-2:444455556666:db:orders-replica, status IMPAIRED",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] RDS issue in us-west-2 for account 444455556666: AWS_RDS_OPERATIONAL_ISSUE",
        "CRITICAL: AWS Health: RDS issue in us-west-2 for account 444455556666: AWS_RDS_OPERATIONAL_ISSUE",
        "critical",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn a_multi_page_event_says_which_part_it_is() {
    let sample = "health-multi-page.json";
    let sent = notify(sample, Topic::Warning).await;
    let summary = text(&[
        "[AWS Health] EC2 scheduled change in eu-west-1, part 1 of 3: AWS_EC2_MAINTENANCE_SCHEDULED",
        "",
        "Severity: WARNING",
        "Status: upcoming",
        "Service: EC2",
        "Category: scheduledChange",
        "Event type: AWS_EC2_MAINTENANCE_SCHEDULED",
        "Region: eu-west-1",
        "Scope: ACCOUNT_SPECIFIC",
        "Account: 123456789012",
        "Start: 2026-12-01 22:00 UTC",
        "End: 2026-12-02 04:00 UTC",
        "Last updated: 2026-11-18 09:00 UTC",
        "Part: 1 of 3",
        "Event ARN: arn:aws:health:eu-west-1::event/EC2/AWS_EC2_MAINTENANCE_SCHEDULED/AWS_EC2_MAINTENANCE_SCHEDULED_b1c2d3e4",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aeu-west-1%3A%3Aevent%2FEC2%2FAWS_EC2_MAINTENANCE_SCHEDULED%2FAWS_EC2_MAINTENANCE_SCHEDULED_b1c2d3e4",
        ),
        "",
        "Description",
        "-----------",
        "EC2 will perform network maintenance on the hosts of the instances listed below during the maintenance window. Instances will be unreachable for up to 10 minutes.",
        "",
        "Affected resources (3)",
        "----------------------",
        "- i-0aaaaaaaaaaaaaaa1, tags: Name=batch-1",
        "- i-0aaaaaaaaaaaaaaa2, tags: Name=batch-2",
        "- i-0aaaaaaaaaaaaaaa3, tags: Name=batch-3",
        "This is part 1 of 3 of the event; the other parts list more.",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] EC2 scheduled change in eu-west-1, part 1 of 3: AWS_EC2_MAINTENANCE_SCHEDULED",
        "WARNING: AWS Health: EC2 scheduled change in eu-west-1, part 1 of 3: AWS_EC2_MAINTENANCE_SCHEDULED",
        "warning",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn an_abuse_report_pages_even_without_a_status() {
    let sample = "health-abuse.json";
    let sent = notify(sample, Topic::Critical).await;
    let summary = text(&[
        "[AWS Health] Abuse report (global): AWS_ABUSE_DOS_REPORT",
        "",
        "Severity: CRITICAL",
        "Status: not stated",
        "Service: ABUSE",
        "Category: issue",
        "Event type: AWS_ABUSE_DOS_REPORT",
        "Region: global",
        "Account: 123456789012",
        "Start: 2026-11-22 06:27 UTC",
        "End: not set",
        "Last updated: not set",
        "Event ARN: arn:aws:health:global::event/AWS_ABUSE_DOS_REPORT_92387492375_4498_2026_11_22_06_27_57",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aglobal%3A%3Aevent%2FAWS_ABUSE_DOS_REPORT_92387492375_4498_2026_11_22_06_27_57",
        ),
        "",
        "Description",
        "-----------",
        "We have received a report that a resource in your account took part in a denial-of-service attack against a third party. Investigate the resource listed below and reply to the abuse report within 24 hours.",
        "",
        "Affected resources (1)",
        "----------------------",
        "- arn:aws:ec2:eu-west-1:123456789012:instance/i-0bbbbbbbbbbbbbbb1",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] Abuse report (global): AWS_ABUSE_DOS_REPORT",
        "CRITICAL: AWS Health: Abuse report (global): AWS_ABUSE_DOS_REPORT",
        "critical",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn a_closed_issue_reports_as_resolved_at_the_same_severity() {
    let sample = "health-closed-issue.json";
    let sent = notify(sample, Topic::Critical).await;
    let summary = text(&[
        "[AWS Health] Resolved: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "",
        "Severity: CRITICAL",
        "Status: closed (resolved)",
        "Service: EC2",
        "Category: issue",
        "Event type: AWS_EC2_OPERATIONAL_ISSUE",
        "Region: us-east-1",
        "Scope: PUBLIC",
        "Account: 123456789012",
        "Start: 2026-11-22 10:00 UTC",
        "End: 2026-11-22 12:30 UTC",
        "Last updated: 2026-11-22 12:31 UTC",
        "Event ARN: arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
        &dashboard(
            "arn%3Aaws%3Ahealth%3Aus-east-1%3A%3Aevent%2FEC2%2FAWS_EC2_OPERATIONAL_ISSUE%2FAWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
        ),
        "",
        "Description",
        "-----------",
        "Between 10:00 and 12:30 UTC we experienced increased API error rates and latencies for the RunInstances API in the US-EAST-1 Region. The issue has been resolved and the service is operating normally.",
        "",
        "Affected resources (0)",
        "----------------------",
        "None listed in the event.",
    ]);
    assert_sent(
        &sent,
        "[AWS Health] Resolved: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "CRITICAL: AWS Health: Resolved: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE",
        "critical",
        &summary,
        Some(&load(sample)),
    );
}

#[tokio::test]
async fn two_thousand_entities_are_cut_with_exact_counts_and_the_raw_event_left_out() {
    let sample = "health-2000-entities.json";
    let sent = notify(sample, Topic::Warning).await;
    let mut lines = vec![
        "[AWS Health] EC2 scheduled change in eu-west-1: AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED".to_owned(),
        String::new(),
        "Severity: WARNING".to_owned(),
        "Status: upcoming".to_owned(),
        "Service: EC2".to_owned(),
        "Category: scheduledChange".to_owned(),
        "Event type: AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED".to_owned(),
        "Region: eu-west-1".to_owned(),
        "Scope: ACCOUNT_SPECIFIC".to_owned(),
        "Account: 123456789012".to_owned(),
        "Start: 2026-12-03 01:00 UTC".to_owned(),
        "End: 2026-12-03 03:00 UTC".to_owned(),
        "Last updated: 2026-11-19 12:00 UTC".to_owned(),
        "Event ARN: arn:aws:health:eu-west-1::event/EC2/AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED/AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED_0f1e2d3c".to_owned(),
        dashboard("arn%3Aaws%3Ahealth%3Aeu-west-1%3A%3Aevent%2FEC2%2FAWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED%2FAWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED_0f1e2d3c"),
        String::new(),
        "Description".to_owned(),
        "-----------".to_owned(),
        "One or more of your Amazon EC2 instances are scheduled for a reboot during the maintenance window for host maintenance.".to_owned(),
        String::new(),
        "Affected resources (2,000)".to_owned(),
        "--------------------------".to_owned(),
        "- i-00000000, status PENDING, tags: Environment=production, Name=fleet-0".to_owned(),
    ];
    lines.extend((1..50).map(|n| format!("- i-{n:08x}")));
    lines.push("... and 1,950 more entities (2,000 in total)".to_owned());
    lines.push(String::new());
    lines.push("Full event".to_owned());
    lines.push("----------".to_owned());
    let size = serde_json::to_string_pretty(&load(sample)).unwrap().len();
    assert_eq!(size, 107_165, "the sample changed; update the size below");
    lines.push("Not attached: at 107,165 bytes it is too large for one message. Open the event in the AWS Health dashboard (link above).".to_owned());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_sent(
        &sent,
        "[AWS Health] EC2 scheduled change in eu-west-1: AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED",
        "WARNING: AWS Health: EC2 scheduled change in eu-west-1: AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED",
        "warning",
        &text(&lines),
        None,
    );
}

#[tokio::test]
async fn filtered_events_produce_nothing_and_say_which_rule_dropped_them() {
    let bed = Bed::start().await;
    let cases: [(Settings, &str, &str); 6] = [
        (
            &[("EXCLUDE_EVENT_TYPE_CODES", "AWS_EC2_OPERATIONAL_ISSUE")],
            "health-public-issue.json",
            "event type code AWS_EC2_OPERATIONAL_ISSUE matches AWS_EC2_OPERATIONAL_ISSUE in EXCLUDE_EVENT_TYPE_CODES",
        ),
        (
            &[("INCLUDE_CATEGORIES", "issue")],
            "health-account-notification.json",
            "category accountNotification is not in INCLUDE_CATEGORIES (issue)",
        ),
        (
            &[("EXCLUDE_SERVICES", "EBS,RDS")],
            "health-organization-issue.json",
            "service RDS matches RDS in EXCLUDE_SERVICES",
        ),
        (
            &[("INCLUDE_REGIONS", "eu-west-1,eu-central-1")],
            "health-abuse.json",
            "region global is not in INCLUDE_REGIONS (eu-west-1, eu-central-1)",
        ),
        (
            &[("MINIMUM_SEVERITY", "critical")],
            "health-scheduled-retirement.json",
            "severity warning is below MINIMUM_SEVERITY critical",
        ),
        (
            &[
                ("MINIMUM_SEVERITY", "warning"),
                ("SEVERITY_OVERRIDES", "AWS_EC2_OPERATIONAL_ISSUE=info"),
            ],
            "health-closed-issue.json",
            "severity info is below MINIMUM_SEVERITY warning",
        ),
    ];
    for (settings, sample, rule) in cases {
        let app = bed.forwarder(settings);
        let report = handle(&app, &load(sample)).await.unwrap();
        let Report::Filtered { rule: actual, .. } = &report else {
            panic!("{sample}: {report:?}")
        };
        assert_eq!(actual.to_string(), rule, "{sample}");
    }
    assert!(bed.moto.published().await.is_empty());
    assert_eq!(bed.moto.count_calls("sns", "Publish").await, 0);
    assert!(bed.topics.warning_deliveries().await.is_empty());
    assert!(bed.topics.critical_deliveries().await.is_empty());
}

#[tokio::test]
async fn a_severity_override_moves_an_event_to_the_paging_topic() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[(
        "SEVERITY_OVERRIDES",
        "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED=critical",
    )]);
    handle(&app, &load("health-scheduled-retirement.json"))
        .await
        .unwrap();
    let delivered = bed.topics.critical_deliveries().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].attributes["severity"], "critical");
    assert!(delivered[0].message.contains("\nSeverity: CRITICAL\n"));
    assert!(bed.topics.warning_deliveries().await.is_empty());
}

#[tokio::test]
async fn events_for_other_sources_are_skipped_without_publishing() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    let report = handle(&app, &load("ec2-instance-running.json"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "result": "skipped",
            "code": "irrelevant_event",
            "reason": "not an AWS Health event (source \"aws.ec2\", detail-type \"EC2 Instance State-change Notification\")"
        })
    );
    assert!(bed.moto.published().await.is_empty());
}

#[tokio::test]
async fn malformed_events_fail_with_the_field_named_and_publish_nothing() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    let mut bad_time = load("health-public-issue.json");
    bad_time["detail"]["startTime"] = "next Tuesday".into();
    let mut no_arn = load("health-abuse.json");
    no_arn["detail"].as_object_mut().unwrap().remove("eventArn");
    let mut bad_page = load("health-multi-page.json");
    bad_page["detail"]["totalPages"] = "three".into();
    let cases = [
        (Value::Null, "event must be a JSON object, got null"),
        (
            bad_time,
            "event field `detail.startTime` is malformed: \"next Tuesday\" is not an ISO 8601 or RFC 2822 time",
        ),
        (
            no_arn,
            "event field `detail` is malformed: missing field `eventArn`",
        ),
        (
            bad_page,
            "event field `detail.totalPages` is malformed: \"three\" is not a number: invalid digit found in string",
        ),
    ];
    for (event, expected) in cases {
        let error = handle(&app, &event).await.unwrap_err();
        assert!(matches!(error, HandlerError::BadEvent(_)), "{error}");
        assert_eq!(error.kind(), ErrorKind::BadEvent);
        assert_eq!(error.to_string(), expected);
    }
    assert!(bed.moto.published().await.is_empty());
}

#[tokio::test]
async fn a_publish_failure_fails_the_invocation_naming_the_topic() {
    let bed = Bed::start().await;
    let missing_topic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic";
    let app = App::from_env(
        &bed.sdk,
        bed.env(&[
            ("WARNING_TOPIC_ARN", missing_topic),
            ("CRITICAL_TOPIC_ARN", missing_topic),
        ]),
    )
    .unwrap();
    let error = handle(&app, &load("health-public-issue.json"))
        .await
        .unwrap_err();
    assert!(matches!(error, HandlerError::Publish(_)), "{error}");
    assert_eq!(error.kind(), ErrorKind::PublishError);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "publishing \"[AWS Health] EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE\" to SNS topic arn:aws:sns:eu-west-1:123456789012:no-such-topic failed: "
        ),
        "{message}"
    );

    // And with SNS unreachable altogether.
    let mut app = bed.forwarder(&[]);
    let unreachable = testbed::sdk_config_for("http://127.0.0.1:9").await;
    app.publisher = Publisher::new(
        aws_sdk_sns::Client::new(&unreachable),
        bed.topics.topics.clone(),
    );
    let error = handle(&app, &load("health-abuse.json")).await.unwrap_err();
    assert!(matches!(error, HandlerError::Publish(_)), "{error}");
    assert!(bed.moto.published().await.is_empty());
}

#[tokio::test]
async fn bad_settings_fail_init_naming_each() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let error = App::from_env(
        &sdk,
        EnvReader::from_map(HashMap::from([
            ("INCLUDE_CATEGORIES".to_owned(), "issues".to_owned()),
            ("MINIMUM_SEVERITY".to_owned(), "urgent".to_owned()),
        ])),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: IDEMPOTENCY_TABLE is required but is not set; \
         HOME_ACCOUNT_ID is required but is not set; \
         AWS_REGION is required but is not set; \
         WARNING_TOPIC_ARN is required but is not set; \
         CRITICAL_TOPIC_ARN is required but is not set; \
         INCLUDE_CATEGORIES lists unknown category \"issues\" (known: issue, accountNotification, scheduledChange, investigation); \
         MINIMUM_SEVERITY=\"urgent\" is not valid: expected info, warning or critical"
    );
}

const OPEN_SUBJECT: &str = "[AWS Health] EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE";
const CLOSED_SUBJECT: &str =
    "[AWS Health] Resolved: EC2 issue in us-east-1: AWS_EC2_OPERATIONAL_ISSUE";

impl HealthBed for Bed {
    fn forwarder(&self, extra: &[(&str, &str)]) -> App {
        App::from_env(&self.sdk, self.env(extra)).expect("valid configuration")
    }

    async fn published_subjects(&self) -> Vec<String> {
        self.moto
            .published()
            .await
            .into_iter()
            .map(|message| message.subject.unwrap_or_default())
            .collect()
    }
}

#[tokio::test]
async fn the_same_update_delivered_twice_notifies_once() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    let event = load("health-public-issue.json");
    let first = handle(&app, &event).await.unwrap();
    assert!(matches!(first, Report::Notified { .. }), "{first:?}");

    // EventBridge redelivers it under a new id; it is the same update.
    let mut again = event.clone();
    again["id"] = "another-delivery".into();
    for duplicate in [&event, &again] {
        let report = handle(&app, duplicate).await.unwrap();
        let Report::Duplicate {
            event_arn,
            handled: Handled {
                idempotency_key, ..
            },
        } = &report
        else {
            panic!("expected a duplicate, got {report:?}");
        };
        assert_eq!(event_arn, event["detail"]["eventArn"].as_str().unwrap());
        assert_eq!(
            idempotency_key,
            &format!(
                "health-event-forwarder#health|{event_arn}|account 123456789012|1795341900|open|page 1|communication 01b0993207d81a09dcd552ebd1e633e36cf1f09a-1"
            )
        );
    }
    assert_eq!(bed.published_subjects().await, vec![OPEN_SUBJECT]);
    assert_eq!(bed.topics.critical_deliveries().await.len(), 1);
}

#[tokio::test]
async fn one_organisational_update_for_two_accounts_notifies_each_once() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    // The same update (ARN, last update, status) for two member accounts,
    // delivered under two EventBridge ids.
    let first = load("health-organization-update-account-a.json");
    let second = load("health-organization-update-account-b.json");
    for (event, account) in [(&first, "444455556666"), (&second, "777788889999")] {
        let report = handle(&app, event).await.unwrap();
        assert!(matches!(report, Report::Notified { .. }), "{report:?}");
        let published = bed.moto.published().await;
        let latest = published.last().expect("a notification");
        assert!(
            latest.body("default").contains(account),
            "{account}: {}",
            latest.body("default")
        );
    }
    assert_eq!(bed.moto.published().await.len(), 2);

    // A redelivery of either (same id), or the first account's update sent
    // again under a new EventBridge id, is the alert already sent.
    let mut resent = first.clone();
    resent["id"] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into();
    let event_arn = first["detail"]["eventArn"].as_str().unwrap();
    for (event, account) in [
        (&first, "444455556666"),
        (&second, "777788889999"),
        (&resent, "444455556666"),
    ] {
        let report = handle(&app, event).await.unwrap();
        let Report::Duplicate {
            handled: Handled {
                idempotency_key, ..
            },
            ..
        } = &report
        else {
            panic!("expected a duplicate, got {report:?}");
        };
        assert_eq!(
            idempotency_key,
            &format!(
                "health-event-forwarder#health|{event_arn}|account {account}|1795421700|upcoming|page 1|communication 3f6e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e-1"
            )
        );
    }
    assert_eq!(bed.moto.published().await.len(), 2);
    assert_eq!(bed.topics.warning_deliveries().await.len(), 2);
}

#[tokio::test]
async fn a_later_update_of_the_same_event_notifies_again() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    for sample in [
        "health-public-issue.json",
        "health-closed-issue.json",
        "health-public-issue.json",
        "health-closed-issue.json",
    ] {
        handle(&app, &load(sample)).await.expect(sample);
    }
    assert_eq!(
        bed.published_subjects().await,
        vec![OPEN_SUBJECT, CLOSED_SUBJECT]
    );
}

#[tokio::test]
async fn a_failed_publish_is_retried_and_then_notifies_once() {
    let bed = Bed::start().await;
    let missing_topic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic";
    let failing = bed.forwarder(&[
        ("WARNING_TOPIC_ARN", missing_topic),
        ("CRITICAL_TOPIC_ARN", missing_topic),
    ]);
    let event = load("health-public-issue.json");
    let error = handle(&failing, &event).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PublishError);

    // The failed attempt released its lease: Lambda's retry goes ahead.
    let app = bed.forwarder(&[]);
    let report = handle(&app, &event).await.unwrap();
    assert!(matches!(report, Report::Notified { .. }), "{report:?}");
    assert!(matches!(
        handle(&app, &event).await.unwrap(),
        Report::Duplicate { .. }
    ));
    assert_eq!(bed.published_subjects().await, vec![OPEN_SUBJECT]);
}

#[tokio::test]
async fn an_attempt_that_fails_after_publishing_is_not_repeated_by_its_retry() {
    let bed = Bed::start().await;
    let event = load("health-public-issue.json");
    // The write marking the update done fails after the publish succeeded.
    let refuse = testbed::refuse::Refuse::action("UpdateItem");
    let mut crashing = bed.forwarder(&[]);
    crashing.guard = crashing
        .guard
        .clone()
        .with_client(testbed::dynamodb::client_refusing(&bed.sdk, &refuse));
    let error = handle(&crashing, &event).await.unwrap_err();
    assert_eq!(refuse.refused(), 1);
    assert_eq!(error.kind(), ErrorKind::AwsError);
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "DynamoDB UpdateItem on idempotency table {} for health-event-forwarder#health|",
            bed.idempotency_table
        )),
        "{message}"
    );

    // Lambda's retry finds the attempt's lease and fails without publishing,
    // naming when the lease ends; it is retried again later.
    let app = bed.forwarder(&[]);
    let error = handle(&app, &event).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InProgressElsewhere);
    assert!(
        error
            .to_string()
            .contains("is being handled by another attempt until "),
        "{error}"
    );
    assert_eq!(bed.published_subjects().await, vec![OPEN_SUBJECT]);
}

/// Hub mode (issue 14): a member account's Health event, forwarded by its
/// spoke to the hub's bus, is reported naming that account by id and by
/// its own alias (read through its spoke role, once per warm function);
/// one off the allow-list is skipped.
#[tokio::test]
async fn in_hub_mode_a_member_accounts_health_event_is_reported_naming_it() {
    let bed = Bed::start().await;
    let hub = [
        ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
        ("SPOKE_ROLE_NAME", "watchkeeper-spoke"),
    ];
    let app = bed.forwarder(&hub);
    let member = testbed::iam::member_account(&bed.sdk, "222222222222", testbed::REGION).await;
    testbed::iam::create_account_alias(&member, "payments-prod").await;
    let mut event = load("health-account-issue.json");
    event["account"] = "222222222222".into();
    let report = handle(&app, &event).await.expect("reported");
    assert!(matches!(report, Report::Notified { .. }), "{report:?}");
    let email = bed.moto.published().await[0].body("email");
    assert!(
        email.contains("Account: payments-prod (222222222222)\n"),
        "{email}"
    );
    let mut update = event.clone();
    update["id"] = "a-later-update".into();
    update["detail"]["lastUpdatedTime"] = "Thu, 01 Dec 2022 10:00:00 GMT".into();
    handle(&app, &update).await.expect("reported");
    assert_eq!(
        bed.moto.count_calls("iam", "ListAccountAliases").await,
        1,
        "the member's alias is read once per warm function"
    );

    let listed = bed.forwarder(&[hub[0], hub[1], ("MEMBER_ACCOUNTS", "333333333333")]);
    let mut other = event.clone();
    other["id"] = "unlisted-member".into();
    let report = handle(&listed, &other).await.expect("skipped");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["code"], "not_a_member", "{json}");
    assert_eq!(
        bed.moto.published().await.len(),
        2,
        "the two updates, not the unlisted one"
    );
}

/// AWS Health sends a public event both to the impacted region and to the
/// backup region; whichever copy arrives first is notified, once.
#[tokio::test]
async fn the_primary_and_backup_copies_of_an_update_notify_once_in_either_order() {
    let primary = load("health-public-issue.json");
    let backup = load("health-public-issue-backup.json");
    assert_eq!(backup["detail"]["backupEvent"], true);
    for (order, first_is_backup) in [([&primary, &backup], false), ([&backup, &primary], true)] {
        let bed = Bed::start().await;
        let app = bed.forwarder(&[]);
        let first = handle(&app, order[0]).await.unwrap();
        let Report::Notified { backup_region, .. } = &first else {
            panic!("{first:?}");
        };
        assert_eq!(
            backup_region.as_deref(),
            first_is_backup.then_some("us-west-2"),
            "{first:?}"
        );
        let second = handle(&app, order[1]).await.unwrap();
        assert!(matches!(second, Report::Duplicate { .. }), "{second:?}");
        assert_eq!(bed.published_subjects().await, vec![OPEN_SUBJECT]);
        let published = bed.moto.published().await;
        let email = published[0].body("email");
        assert_eq!(
            email.contains("Delivered: via the backup region us-west-2\n"),
            first_is_backup,
            "{email}"
        );
        assert_eq!(bed.topics.critical_deliveries().await.len(), 1);
    }
}

#[tokio::test]
async fn a_backup_copy_alone_is_notified_once_naming_the_backup_region() {
    let bed = Bed::start().await;
    let app = bed.forwarder(&[]);
    let backup = load("health-public-issue-backup.json");

    let report = handle(&app, &backup).await.unwrap();

    let Report::Notified {
        backup_region,
        severity,
        ..
    } = &report
    else {
        panic!("{report:?}");
    };
    assert_eq!(backup_region.as_deref(), Some("us-west-2"));
    assert_eq!(*severity, watchkeeper_shared::Severity::Critical);
    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1);
    let email = published[0].body("email");
    // The impacted region is still the event's, not the delivery's.
    assert!(
        email.contains("\nRegion: us-east-1\nDelivered: via the backup region us-west-2\n"),
        "{email}"
    );
    let chat = published[0].body("https");
    assert!(chat.contains("via the backup region us-west-2"), "{chat}");
    // A redelivery of the backup copy is the same alert.
    let again = handle(&app, &backup).await.unwrap();
    assert!(matches!(again, Report::Duplicate { .. }), "{again:?}");
    assert_eq!(bed.moto.published().await.len(), 1);
}
