//! Hub mode (docs/organization.md): events of a member account of the
//! organization, handled in that account through its spoke role, beside the
//! hub account's untouched state.

use serde_json::json;
use testbed::Bed;
use testbed::events::{load, with_detail};

use crate::{heading, print_chat, step};

const MEMBER: &str = "222222222222";
const MEMBER_REGION: &str = "ap-southeast-2";
const HUB: &[(&str, &str)] = &[
    ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
    ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
];

pub async fn run(bed: &Bed) {
    heading("6. Organization: one hub, a member account");
    let member = testbed::iam::member_account(&bed.sdk, MEMBER, MEMBER_REGION).await;
    testbed::iam::create_account_alias(&member, "payments-prod").await;
    println!(
        "Hub: account {} ({}), OrganizationId=o-a1b2c3d4e5. Member: account {MEMBER} (payments-prod), region {MEMBER_REGION}, with spoke.yaml's role {}.",
        testbed::ACCOUNT_ID,
        testbed::REGION,
        testbed::iam::SPOKE_ROLE_NAME
    );
    let instance_id = testbed::ec2::run_instance(&member, &[("Name", "payments-api-1")]).await;
    println!("Launched instance {instance_id} in the member account.");

    step(&format!(
        "ec2-instance-running.json from account {MEMBER}, {MEMBER_REGION}, to the EC2 alarm creator in hub mode"
    ));
    let ec2: ec2_alarm_creator::App = bed.app(HUB).await;
    let mut running = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        instance_id.as_str(),
    );
    // A new event: EventBridge gives every event its own id.
    running["id"] = json!("organization-demo-ec2-running");
    running["account"] = json!(MEMBER);
    running["region"] = json!(MEMBER_REGION);
    let report = ec2_alarm_creator::handle(&ec2, &running)
        .await
        .expect("the member's event succeeds");
    println!("  {}", serde_json::to_string(&report).unwrap_or_default());
    let prefix = format!("watchkeeper-{instance_id}-");
    println!(
        "  Alarms in the member account: {:?}",
        testbed::ec2::alarm_names(&member, &prefix).await
    );
    println!(
        "  Alarms in the hub account:    {:?}",
        testbed::ec2::alarm_names(&bed.sdk, &prefix).await
    );

    step(&format!(
        "ami-public.json from account {MEMBER} to the AMI permission notifier in hub mode"
    ));
    let ami: ami_permission_notifier::App = bed.app(HUB).await;
    let mut public = load("ami-public.json");
    public["id"] = json!("organization-demo-ami-public");
    public["account"] = json!(MEMBER);
    public["detail"]["recipientAccountId"] = json!(MEMBER);
    let report = ami_permission_notifier::handle(&ami, &public)
        .await
        .expect("the member's event succeeds");
    if let ami_permission_notifier::Report::Notified { message_id, .. } = &report {
        let published = bed.moto.published().await;
        if let Some(message) = published.iter().find(|m| &m.message_id == message_id) {
            println!(
                "  Subject: {}",
                message.subject.as_deref().unwrap_or_default()
            );
            print_chat(message);
        }
    }
    step(&format!(
        "health-account-issue.json from account {MEMBER} to the Health event forwarder in hub mode"
    ));
    let health: health_event_forwarder::App = bed.app(HUB).await;
    let mut issue = load("health-account-issue.json");
    issue["id"] = json!("organization-demo-health");
    issue["account"] = json!(MEMBER);
    let report = health_event_forwarder::handle(&health, &issue)
        .await
        .expect("the member's event succeeds");
    if let health_event_forwarder::Report::Notified { message_id, .. } = &report {
        let published = bed.moto.published().await;
        if let Some(message) = published.iter().find(|m| &m.message_id == message_id) {
            let email = message.body("email");
            // Every hub-mode notice names the account by id and alias.
            for line in email.lines().filter(|line| line.starts_with("Account:")) {
                println!("  {line}");
            }
        }
    }
    println!(
        "\n  STS AssumeRole calls made by the hub's functions and the demo: {}",
        bed.moto.count_calls("sts", "AssumeRole").await
    );
}
