//! `make demo`: runs every function on its sample events against a local
//! moto server and prints what operators would receive and what changed in
//! the account. Nothing here touches a real AWS account.

mod ami_permission_notifier;
mod codecommit_change_publisher;
mod ec2_alarm_creator;
mod health_event_forwarder;
mod idle_emr_terminator;
mod organization;

use testbed::Bed;

#[tokio::main]
async fn main() {
    println!(
        "Watchkeeper demo: every function on its sample events, against a local AWS emulator (moto)."
    );
    let bed = Bed::start().await;
    let (moto, topics) = (&bed.moto, &bed.topics);
    println!(
        "Emulator: {}  region {}  account {}",
        moto.endpoint,
        testbed::REGION,
        testbed::ACCOUNT_ID
    );
    println!("Topics:   warning  {}", topics.topics.warning_topic_arn);
    println!("          critical {}", topics.topics.critical_topic_arn);

    ec2_alarm_creator::run(&bed).await;
    ami_permission_notifier::run(&bed).await;
    idle_emr_terminator::run(&bed).await;
    codecommit_change_publisher::run(&bed).await;
    health_event_forwarder::run(&bed).await;
    organization::run(&bed).await;

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

/// The chat message of `message` as a Slack or Teams channel shows it
/// through Amazon Q Developer in chat applications: title, description and
/// next steps, and the thread it joins.
pub fn print_chat(message: &testbed::sns::PublishedMessage) {
    let chat: serde_json::Value =
        serde_json::from_str(&message.body("https")).expect("the chat message is JSON");
    let content = &chat["content"];
    println!("  Chat (Slack or Teams):");
    println!("  ┃ {}", content["title"].as_str().unwrap_or_default());
    for line in content["description"].as_str().unwrap_or_default().lines() {
        println!("  ┃ {line}");
    }
    if let Some(steps) = content["nextSteps"].as_array() {
        println!("  ┃ Next steps:");
        for step in steps {
            println!("  ┃ • {}", step.as_str().unwrap_or_default());
        }
    }
    if let Some(thread) = chat["metadata"]["threadId"].as_str() {
        println!("  (thread {thread})");
    }
}
