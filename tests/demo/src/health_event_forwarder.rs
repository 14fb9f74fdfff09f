use health_event_forwarder::{App, Report, handle};
use testbed::Bed;
use testbed::events::load;

use crate::{heading, print_chat, step};

const SAMPLES: [&str; 9] = [
    "health-public-issue.json",
    "health-account-issue.json",
    "health-scheduled-retirement.json",
    "health-account-notification.json",
    "health-organization-issue.json",
    "health-multi-page.json",
    "health-abuse.json",
    "health-2000-entities.json",
    "health-closed-issue.json",
];

/// Samples whose whole email is printed; the rest show subject and SMS.
const FULL_EMAIL: [&str; 2] = ["health-account-issue.json", "health-2000-entities.json"];

pub async fn run(bed: &Bed) {
    let (moto, topics) = (&bed.moto, &bed.topics);
    heading("5. Health event forwarder");
    let forwarder: App = bed.app(&[]).await;
    for sample in SAMPLES {
        step(&format!("events/{sample}"));
        let report = handle(&forwarder, &load(sample))
            .await
            .expect("sample events succeed");
        let Report::Notified {
            message_id,
            severity,
            topic_arn,
            ..
        } = &report
        else {
            println!("  {report:?}");
            continue;
        };
        let published = moto.published().await;
        let Some(message) = published.iter().find(|m| &m.message_id == message_id) else {
            println!("  published {message_id}, but the emulator has no record of it");
            continue;
        };
        let route = if topic_arn == &topics.topics.critical_topic_arn {
            "critical topic: SMS and email"
        } else {
            "warning topic: email"
        };
        println!("  severity {severity}, sent to the {route}");
        println!(
            "  Subject: {}",
            message.subject.as_deref().unwrap_or_default()
        );
        println!("  SMS:     {}", message.body("sms"));
        if FULL_EMAIL.contains(&sample) {
            println!("  Email:");
            for line in message.body("email").lines() {
                println!("  | {line}");
            }
            print_chat(message);
        }
    }
    // Drain the queues so later parts of the demo start clean.
    topics.warning_deliveries().await;
    topics.critical_deliveries().await;

    step("events/health-public-issue.json with EXCLUDE_EVENT_TYPE_CODES=AWS_EC2_OPERATIONAL_ISSUE");
    let muted: App = bed
        .app(&[("EXCLUDE_EVENT_TYPE_CODES", "AWS_EC2_OPERATIONAL_ISSUE")])
        .await;
    let before = moto.published().await.len();
    // A later update of the event: the update already sent would be a duplicate.
    let mut update = load("health-public-issue.json");
    update["detail"]["lastUpdatedTime"] = "2026-11-22T10:20:00Z".into();
    match handle(&muted, &update).await {
        Ok(Report::Filtered { rule, .. }) => println!("  filtered out: {rule}"),
        other => println!("  {other:?}"),
    }
    println!(
        "  notifications sent: {}",
        moto.published().await.len() - before
    );

    step(
        "events/health-public-issue-backup.json: AWS Health's copy of events/health-public-issue.json for the backup region us-west-2 (backupEvent true)",
    );
    let app: App = bed.app(&[]).await;
    match handle(&app, &load("health-public-issue-backup.json")).await {
        Ok(Report::Duplicate { handled, .. }) => println!(
            "  duplicate: the primary copy was notified above ({})",
            handled.idempotency_key
        ),
        other => println!("  {other:?}"),
    }
    step("A later update whose backup copy arrives first, then its primary copy");
    let mut backup = load("health-public-issue-backup.json");
    backup["detail"]["lastUpdatedTime"] = "2026-11-22T10:30:00Z".into();
    backup["detail"]["communicationId"] = "01b0993207d81a09dcd552ebd1e633e36cf1f09a-2".into();
    let mut primary = load("health-public-issue.json");
    primary["detail"]["lastUpdatedTime"] = backup["detail"]["lastUpdatedTime"].clone();
    primary["detail"]["communicationId"] = backup["detail"]["communicationId"].clone();
    for (copy, event) in [("backup", &backup), ("primary", &primary)] {
        match handle(&app, event).await {
            Ok(Report::Notified {
                subject,
                message_id,
                backup_region,
                ..
            }) => {
                println!("  {copy} copy: notified, subject: {subject}");
                if let Some(message) = moto
                    .published()
                    .await
                    .iter()
                    .find(|message| message.message_id == message_id)
                {
                    for line in message.body("email").lines().filter(|line| {
                        line.starts_with("Region:") || line.starts_with("Delivered:")
                    }) {
                        println!("    | {line}");
                    }
                }
                println!("    backup_region: {backup_region:?}");
            }
            Ok(Report::Duplicate { .. }) => {
                println!("  {copy} copy: duplicate, nothing sent");
            }
            other => println!("  {copy} copy: {other:?}"),
        }
    }
    topics.warning_deliveries().await;
    topics.critical_deliveries().await;
}
