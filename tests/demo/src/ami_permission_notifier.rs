use ami_permission_notifier::{App, Report, handle};
use testbed::Bed;
use testbed::events::load;

use crate::{heading, print_chat, step};

const EVENTS: [&str; 13] = [
    "ami-public.json",
    "ami-private.json",
    "ami-share.json",
    "ami-unshare.json",
    "ami-share-organization.json",
    "ami-share-ou.json",
    "ami-add-and-remove.json",
    "ami-denied.json",
    "ami-aws-service.json",
    "ami-description.json",
    "snapshot-share.json",
    "block-public-access-image-disabled.json",
    "block-public-access-snapshot-disabled.json",
];

pub async fn run(bed: &Bed) {
    let (moto, sdk, topics) = (&bed.moto, &bed.sdk, &bed.topics);
    heading("2. AMI permission notifier");
    let trusted = "222233334444,arn:aws:organizations::999900001111:organization/o-abc1234567";
    let app: App = bed.app(&[("TRUSTED_ACCOUNTS", trusted)]).await;
    testbed::iam::create_account_alias(sdk, "prod-acct").await;
    println!("Account alias in the emulator: prod-acct. TRUSTED_ACCOUNTS={trusted}");
    println!(
        "Defaults: REPORT_DENIED_CALLS=true, REPORT_OTHER_ATTRIBUTES=false, REPORT_AWS_SERVICE_CALLS=true."
    );

    // Skip the emails' full-event part after the first: it is the event file itself.
    let mut show_full_event = true;
    for name in EVENTS {
        step(&format!("events/{name}"));
        let report = match handle(&app, &load(name)).await {
            Ok(report) => report,
            Err(error) => {
                println!("  invocation failed: {error}");
                continue;
            }
        };
        let message_id = match report {
            Report::Skipped { reason } => {
                println!("  skipped, nothing sent: {reason}");
                continue;
            }
            Report::Duplicate { handled } => {
                println!(
                    "  duplicate of {} (handled {}), nothing sent",
                    handled.idempotency_key, handled.handled_at
                );
                continue;
            }
            Report::Notified {
                severity,
                topic_arn,
                message_id,
                ..
            } => {
                let route = if topic_arn == topics.topics.critical_topic_arn {
                    "critical topic (SMS + email)"
                } else {
                    "warning topic (email)"
                };
                println!("  severity {severity} -> {route}");
                message_id
            }
        };
        let published = moto.published().await;
        let Some(message) = published.iter().find(|m| m.message_id == message_id) else {
            println!("  (message {message_id} not found in the emulator)");
            continue;
        };
        println!("  SMS:     {}", message.body("sms"));
        println!(
            "  Subject: {}",
            message.subject.as_deref().unwrap_or_default()
        );
        let email = message.body("email");
        let email = match (show_full_event, email.split_once("\nFull event\n")) {
            (false, Some((summary, _))) => {
                format!("{summary}\n(Full event: the contents of events/{name})\n")
            }
            _ => email,
        };
        println!("  Email:");
        for line in email.lines() {
            println!("  | {line}");
        }
        if show_full_event {
            print_chat(message);
        }
        show_full_event = false;
    }
    // Empty the subscriber queues so later parts of the demo see only their own messages.
    let warnings = topics.warning_deliveries().await.len();
    let criticals = topics.critical_deliveries().await.len();
    println!(
        "\nSubscribers received {warnings} message(s) on the warning topic and {criticals} on the critical topic. Nothing in the account was changed."
    );
}
