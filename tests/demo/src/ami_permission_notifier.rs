use ami_permission_notifier::{App, Report, handle};
use serde_json::Value;
use testbed::Bed;
use testbed::events::load;

use crate::{heading, print_chat, step};

const EVENTS: [&str; 16] = [
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
    "block-public-access-snapshot-block-new-sharing.json",
    "block-public-access-snapshot-block-all-sharing.json",
    "block-public-access-image-enabled.json",
];

pub async fn run(bed: &Bed) {
    let (sdk, topics) = (&bed.sdk, &bed.topics);
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
        if show(bed, &app, &load(name), name, show_full_event).await {
            show_full_event = false;
        }
    }
    let before = (
        topics.warning_deliveries().await.len(),
        topics.critical_deliveries().await.len(),
    );
    println!(
        "\nSubscribers received {} message(s) on the warning topic and {} on the critical topic. Nothing in the account was changed.",
        before.0, before.1
    );
    remediation(bed, trusted).await;
}

/// RemediatePublicSharing=true: a public AMI and snapshot made private
/// again, an exempt one left public, a denied undo reported.
/// The account the demo's public AMIs and snapshots are also shared with.
const SHARED_WITH: &str = "444455556666";

async fn remediation(bed: &Bed, trusted: &str) {
    let (moto, sdk, topics) = (&bed.moto, &bed.sdk, &bed.topics);
    heading("2b. AMI permission notifier with REMEDIATE_PUBLIC_SHARING=true");
    println!(
        "Off by default. With it on, an AMI or snapshot made public loses its public permission (group all) and nothing else."
    );
    let app: App = bed
        .app(&[
            ("TRUSTED_ACCOUNTS", trusted),
            ("REMEDIATE_PUBLIC_SHARING", "true"),
        ])
        .await;

    step("A public AMI, also shared with account 444455556666: events/ami-public.json about it");
    let image = testbed::ec2::public_image(sdk, SHARED_WITH, &[]).await;
    println!(
        "  before: launch permissions {:?}",
        testbed::ec2::launch_permissions(sdk, &image).await
    );
    show(
        bed,
        &app,
        &about_image(&image, "demo-remediate-ami"),
        "ami-public.json",
        false,
    )
    .await;
    println!(
        "  after:  launch permissions {:?}",
        testbed::ec2::launch_permissions(sdk, &image).await
    );

    step("The same for a public EBS snapshot: events/snapshot-public.json about it");
    let snapshot = testbed::ec2::public_snapshot(sdk, SHARED_WITH).await;
    println!(
        "  before: create-volume permissions {:?}",
        testbed::ec2::create_volume_permissions(sdk, &snapshot).await
    );
    let mut event = load("snapshot-public.json");
    event["detail"]["requestParameters"]["snapshotId"] = snapshot.clone().into();
    show(bed, &app, &event, "snapshot-public.json", false).await;
    println!(
        "  after:  create-volume permissions {:?}",
        testbed::ec2::create_volume_permissions(sdk, &snapshot).await
    );

    step("A public AMI tagged watchkeeper:public-ok=true: alerted, left public");
    let exempt =
        testbed::ec2::public_image(sdk, SHARED_WITH, &[("watchkeeper:public-ok", "true")]).await;
    show(
        bed,
        &app,
        &about_image(&exempt, "demo-remediate-exempt"),
        "ami-public.json",
        false,
    )
    .await;
    println!(
        "  after:  launch permissions {:?}",
        testbed::ec2::launch_permissions(sdk, &exempt).await
    );

    step(
        "A public AMI whose undo EC2 refuses (the test bed answers ModifyImageAttribute with UnauthorizedOperation)",
    );
    let refused = testbed::ec2::public_image(sdk, SHARED_WITH, &[]).await;
    moto.inject_fault(testbed::Fault::new(
        "ec2",
        "ModifyImageAttribute",
        testbed::FaultKind::Denied,
        1,
    ))
    .await;
    show(
        bed,
        &app,
        &about_image(&refused, "demo-remediate-denied"),
        "ami-public.json",
        false,
    )
    .await;
    println!(
        "  after:  launch permissions {:?}",
        testbed::ec2::launch_permissions(sdk, &refused).await
    );

    let warnings = topics.warning_deliveries().await.len();
    let criticals = topics.critical_deliveries().await.len();
    println!(
        "\nSubscribers received {warnings} more message(s) on the warning topic and {criticals} on the critical topic."
    );
}

fn about_image(image: &str, id: &str) -> Value {
    let mut event = load("ami-public.json");
    event["id"] = id.into();
    event["detail"]["requestParameters"]["imageId"] = image.into();
    event
}

/// Handles one event and prints what was sent; true when something was.
async fn show(bed: &Bed, app: &App, event: &Value, name: &str, show_full_event: bool) -> bool {
    let (moto, topics) = (&bed.moto, &bed.topics);
    let report = match handle(app, event).await {
        Ok(report) => report,
        Err(error) => {
            println!("  invocation failed: {error}");
            return false;
        }
    };
    let message_id = match report {
        Report::Skipped { reason } => {
            println!("  skipped, nothing sent: {reason}");
            return false;
        }
        Report::Duplicate { handled } => {
            println!(
                "  duplicate of {} (handled {}), nothing sent",
                handled.idempotency_key, handled.handled_at
            );
            return false;
        }
        Report::Notified {
            severity,
            topic_arn,
            message_id,
            remediation,
            ..
        } => {
            let route = if topic_arn == topics.topics.critical_topic_arn {
                "critical topic (SMS + email)"
            } else {
                "warning topic (email)"
            };
            println!("  severity {severity} -> {route}");
            if let Some(outcome) = remediation {
                println!("  remediation: {}", outcome.code());
            }
            message_id
        }
    };
    let published = moto.published().await;
    let Some(message) = published.iter().find(|m| m.message_id == message_id) else {
        println!("  (message {message_id} not found in the emulator)");
        return false;
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
    true
}
