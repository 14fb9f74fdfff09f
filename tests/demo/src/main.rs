//! `make demo`: runs every function on its sample events against a local
//! moto server and prints what operators would receive and what changed in
//! the account. Nothing here touches a real AWS account.

mod ami_permission_notifier;
mod codecommit_change_publisher;
mod ec2_alarm_creator;
mod health_event_forwarder;
mod idle_emr_terminator;

use testbed::Moto;
use testbed::sns::SubscribedTopics;

#[tokio::main]
async fn main() {
    println!(
        "Watchkeeper demo: every function on its sample events, against a local AWS emulator (moto)."
    );
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let topics = SubscribedTopics::create(&sdk).await;
    testbed::dynamodb::create_idempotency_table(&sdk).await;
    println!(
        "Emulator: {}  region {}  account {}",
        moto.endpoint,
        testbed::REGION,
        testbed::ACCOUNT_ID
    );
    println!("Topics:   warning  {}", topics.topics.warning_topic_arn);
    println!("          critical {}", topics.topics.critical_topic_arn);

    ec2_alarm_creator::run(&sdk, &topics).await;
    ami_permission_notifier::run(&moto, &sdk, &topics).await;
    idle_emr_terminator::run(&moto, &sdk, &topics).await;
    codecommit_change_publisher::run(&moto, &sdk, &topics).await;
    health_event_forwarder::run(&moto, &sdk, &topics).await;

    let calls = moto.calls().await;
    println!(
        "\nDone: {} AWS API calls made against the emulator.",
        calls.len()
    );
}

/// A heading for one part of the demo.
pub fn heading(title: &str) {
    println!("\n{title}\n{}", "=".repeat(title.chars().count()));
}

/// A step inside a part.
pub fn step(text: &str) {
    println!("\n> {text}");
}
