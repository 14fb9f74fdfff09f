//! The idempotency guard against moto's DynamoDB: leases, done records,
//! expiry and release, as the functions rely on them.

use std::time::{Duration, UNIX_EPOCH};

use testbed::Bed;
use watchkeeper_shared::idempotency::{
    Begin, DEFAULT_LEASE, DONE_RETENTION, Guard, GuardError, Record, Run, within_deadline,
};

const NOW: i64 = 1_795_341_900;
const LEASE: i64 = 30;

fn guard(bed: &Bed, scope: &str) -> Guard {
    bed.guard(scope)
        .with_fallback_lease(Duration::from_secs(LEASE as u64))
}

#[tokio::test]
async fn a_lease_blocks_until_released_completed_or_expired() {
    let bed = Bed::start().await;
    let guard = guard(&bed, "notifier");

    assert_eq!(
        guard.begin_at("event-1", NOW).await.unwrap(),
        Begin::Proceed
    );
    assert_eq!(
        guard.record("event-1").await.unwrap(),
        Some(Record {
            status: "in_progress".into(),
            expires_at: NOW + LEASE,
            updated_at: NOW,
            pending: None,
        })
    );
    // A second delivery while the first is at work.
    assert_eq!(
        guard.begin_at("event-1", NOW + 5).await.unwrap(),
        Begin::InProgressElsewhere { until: NOW + LEASE }
    );
    // The first attempt crashed: once its lease lapses a retry may proceed.
    assert_eq!(
        guard.begin_at("event-1", NOW + LEASE + 1).await.unwrap(),
        Begin::Proceed
    );

    // A failed attempt releases its lease at once.
    guard.abandon("event-1").await.unwrap();
    assert_eq!(guard.record("event-1").await.unwrap(), None);
    assert_eq!(
        guard.begin_at("event-1", NOW + 40).await.unwrap(),
        Begin::Proceed
    );

    // Done: every later delivery is a duplicate until the record expires.
    guard.complete_at("event-1", NOW + 41).await.unwrap();
    let retention = DONE_RETENTION.as_secs() as i64;
    assert_eq!(
        guard.record("event-1").await.unwrap(),
        Some(Record {
            status: "done".into(),
            expires_at: NOW + 41 + retention,
            updated_at: NOW + 41,
            pending: None,
        })
    );
    for later in [NOW + 42, NOW + 41 + retention] {
        assert_eq!(
            guard.begin_at("event-1", later).await.unwrap(),
            Begin::AlreadyDone {
                completed_at: NOW + 41,
                pending: None,
            }
        );
    }
    // Releasing never removes a done record.
    guard.abandon("event-1").await.unwrap();
    assert_eq!(
        guard.begin_at("event-1", NOW + 43).await.unwrap(),
        Begin::AlreadyDone {
            completed_at: NOW + 41,
            pending: None,
        }
    );
    // DynamoDB's TTL deletes lazily; an expired done record no longer counts.
    assert_eq!(
        guard
            .begin_at("event-1", NOW + 42 + retention)
            .await
            .unwrap(),
        Begin::Proceed
    );
}

#[tokio::test]
async fn keys_are_kept_apart_by_function_and_by_event() {
    let bed = Bed::start().await;
    let notifier = guard(&bed, "notifier");
    let creator = guard(&bed, "creator");
    assert_eq!(
        notifier.begin_at("event-1", NOW).await.unwrap(),
        Begin::Proceed
    );
    assert_eq!(
        creator.begin_at("event-1", NOW).await.unwrap(),
        Begin::Proceed
    );
    assert_eq!(
        notifier.begin_at("event-2", NOW).await.unwrap(),
        Begin::Proceed
    );
    assert_eq!(notifier.stored_key("event-1"), "notifier#event-1");
}

#[tokio::test]
async fn run_does_the_work_once_and_releases_the_lease_on_failure() {
    let bed = Bed::start().await;
    let guard = bed.guard("notifier");
    let mut attempts = 0;

    let failed: Result<Run<()>, Failure> = guard
        .run("event-1", async || {
            attempts += 1;
            Err(Failure("publish failed".to_owned()))
        })
        .await;
    assert_eq!(failed, Err(Failure("publish failed".to_owned())));
    assert_eq!(guard.record("event-1").await.unwrap(), None);

    for _ in 0..2 {
        let run: Result<Run<u32>, Failure> = guard
            .run("event-1", async || {
                attempts += 1;
                Ok(7)
            })
            .await;
        assert!(
            matches!(run, Ok(Run::Ran(7)) | Ok(Run::Duplicate(_))),
            "{run:?}"
        );
    }
    assert_eq!(attempts, 2, "the failed attempt and one successful one");
}

impl From<GuardError> for Failure {
    fn from(error: GuardError) -> Self {
        Failure(error.to_string())
    }
}

#[derive(Debug, PartialEq)]
struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[tokio::test]
async fn a_lease_taken_in_an_invocation_ends_at_its_deadline() {
    let bed = Bed::start().await;
    let guard = bed.guard("notifier");
    let deadline = UNIX_EPOCH + Duration::from_millis((NOW as u64 + 12) * 1000 + 250);
    let begun = within_deadline(deadline, guard.begin_at("event-1", NOW)).await;
    assert_eq!(begun.unwrap(), Begin::Proceed);
    assert_eq!(
        guard.record("event-1").await.unwrap().unwrap().expires_at,
        NOW + 13
    );
    // Outside an invocation the lease lasts Lambda's longest timeout.
    guard.begin_at("event-2", NOW).await.unwrap();
    assert_eq!(
        guard.record("event-2").await.unwrap().unwrap().expires_at,
        NOW + DEFAULT_LEASE.as_secs() as i64
    );
    // And a live holder's lease is reported to whoever else tries.
    guard.begin("event-3").await.unwrap();
    let run: Result<Run<()>, Failure> = guard.run("event-3", async || Ok(())).await;
    let Err(Failure(message)) = run else {
        panic!("{run:?}")
    };
    assert!(
        message.starts_with("event notifier#event-3 is being handled by another attempt until ")
            && message.ends_with(&format!(
                "(table {}); this attempt fails so that Lambda retries it after that",
                bed.idempotency_table
            )),
        "{message}"
    );
}

#[tokio::test]
async fn failures_name_the_table_and_key() {
    let bed = Bed::start().await;
    let missing = Guard::new(
        aws_sdk_dynamodb::Client::new(&bed.sdk),
        "no-such-table",
        "notifier",
    );
    let error = missing.begin_at("event-1", NOW).await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "DynamoDB PutItem on idempotency table no-such-table for notifier#event-1 failed: "
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_key_too_long_for_dynamodb_is_stored_as_its_digest_and_still_guards() {
    let bed = Bed::start().await;
    let guard = guard(&bed, "notifier");
    let long = "x".repeat(2100);
    let stored = guard.stored_key(&long);
    assert!(stored.starts_with("notifier#sha256:"), "{stored}");
    assert_eq!(stored.len(), "notifier#sha256:".len() + 64);
    assert_ne!(stored, guard.stored_key(&"x".repeat(2101)));

    assert_eq!(guard.begin_at(&long, NOW).await.unwrap(), Begin::Proceed);
    guard.complete_at(&long, NOW + 1).await.unwrap();
    assert_eq!(
        guard.begin_at(&long, NOW + 2).await.unwrap(),
        Begin::AlreadyDone {
            completed_at: NOW + 1,
            pending: None,
        }
    );
}

#[tokio::test]
async fn a_pending_notice_is_kept_with_the_done_record_for_retries() {
    let bed = Bed::start().await;
    let guard = guard(&bed, "terminator");
    assert_eq!(
        guard.begin_at("cluster-1", NOW).await.unwrap(),
        Begin::Proceed
    );
    guard
        .complete_with_pending("cluster-1", "{\"notice\":1}")
        .await
        .unwrap();
    let Begin::AlreadyDone { pending, .. } = guard.begin_at("cluster-1", NOW + 5).await.unwrap()
    else {
        panic!("the action is done");
    };
    assert_eq!(pending.as_deref(), Some("{\"notice\":1}"));
    let record = guard.record("cluster-1").await.unwrap().unwrap();
    assert_eq!(record.status, "done");
    assert_eq!(record.pending.as_deref(), Some("{\"notice\":1}"));

    // One retry takes the pending work; a concurrent one is refused.
    assert!(guard.resume("cluster-1").await.unwrap());
    assert_eq!(
        guard.record("cluster-1").await.unwrap().unwrap().status,
        "in_progress"
    );
    assert!(!guard.resume("cluster-1").await.unwrap());
    // Done for good: the pending work is gone with it.
    guard.complete("cluster-1").await.unwrap();
    let record = guard.record("cluster-1").await.unwrap().unwrap();
    assert_eq!((record.status.as_str(), record.pending), ("done", None));
    assert!(!guard.resume("cluster-1").await.unwrap());
}
