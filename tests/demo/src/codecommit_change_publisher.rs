use codecommit_change_publisher::{App, Report, handle};
use testbed::Bed;
use testbed::codecommit::{CodeCommitServer, Signature};
use testbed::events::push_event;

use crate::{heading, print_chat, step};

pub async fn run(bed: &Bed) {
    let (moto, sdk, topics) = (&bed.moto, &bed.sdk, &bed.topics);
    heading("4. CodeCommit change publisher");
    let server = CodeCommitServer::start().await;
    println!(
        "Local CodeCommit (GetCommit, GetDifferences over a real git repository): {}",
        server.endpoint
    );
    let app = App::from_env_with_codecommit(sdk, &server.sdk_config().await, bed.env(&[]))
        .expect("demo configuration is valid");

    let mut repo = server.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    repo.write("src/lib.rs", "pub fn pay() {}\n");
    repo.write("docs/guide.md", "How to take a payment, step by step.\n");
    repo.write("scripts/deploy.sh", "#!/bin/sh\nexec ./deploy\n");
    let before = repo.commit("Initial import");
    let bob = Signature::new("Bob Builder", "bob@example.com");
    repo.write("src/retry.rs", "pub fn retry() {}\n");
    repo.write("src/lib.rs", "pub mod retry;\npub fn pay() {}\n");
    repo.commit_by(
        "Retry failed card payments\n\nA declined card is retried twice, a minute apart, before the payment fails.",
        &bob,
        &bob,
    );
    repo.rename("docs/guide.md", "docs/payments-guide.md");
    repo.make_executable("scripts/deploy.sh");
    repo.commit("Tidy the docs and make the deploy script executable");
    repo.remove("README.md");
    repo.write(
        "README.md",
        "# Payments service\n\nSee docs/payments-guide.md.\n",
    );
    let after = repo.commit("Point the README at the guide");
    println!("Built repository payments-service: 4 commits on main.");

    step("events/codecommit-branch-updated.json: a push of 3 commits to main");
    let event = push_event(&after, &before);
    let sent = match handle(&app, &event).await.expect("push event succeeds") {
        Report::Published {
            subject,
            message_id,
            ..
        } => {
            println!("  published: {subject}");
            Some(message_id)
        }
        Report::Skipped { reason } => {
            println!("  skipped: {reason}");
            None
        }
        Report::Duplicate { handled } => {
            println!("  duplicate of {}, nothing sent", handled.idempotency_key);
            None
        }
    };
    // The message this push sent, found by the id the handler returned.
    for message in moto
        .published()
        .await
        .into_iter()
        .filter(|message| Some(&message.message_id) == sent.as_ref())
    {
        println!(
            "\n  Email subject: {}\n  Severity: {}\n",
            message.subject.clone().unwrap_or_default(),
            message.attribute("severity").unwrap_or_default()
        );
        for line in message.body("email").lines() {
            println!("  | {line}");
        }
        println!("\n  SMS: {}", message.body("sms"));
        print_chat(&message);
    }
    // The demo's other parts read the same queues; leave them empty.
    topics.warning_deliveries().await;
    println!(
        "\n  CodeCommit calls: {} GetCommit, {} GetDifferences (pages of {} files)",
        server.count_calls("GetCommit"),
        server.count_calls("GetDifferences"),
        testbed::codecommit::PAGE_SIZE
    );
}
