//! [`Guard::act_then_notify`], "act, then keep the pending notice", against
//! moto's DynamoDB: a notice that fails after the action is kept with the
//! `done` record and sent by the retry, which does not act again.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use testbed::Bed;
use watchkeeper_shared::idempotency::{
    Begin, Guard, GuardError, NoticeOrigin, Record, Run, format_epoch,
};

const KEY: &str = "sns:m-1|j-1";

fn guard(bed: &Bed) -> Guard {
    bed.guard("terminator")
        .with_fallback_lease(Duration::from_secs(30))
}

/// What the act step leaves to the notify step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Notice {
    cluster_id: String,
    subject: String,
}

fn notice() -> Notice {
    Notice {
        cluster_id: "j-1".to_owned(),
        subject: "Terminated idle EMR cluster".to_owned(),
    }
}

#[derive(Debug)]
enum Failure {
    Guard(GuardError),
    Step(&'static str),
}

impl From<GuardError> for Failure {
    fn from(error: GuardError) -> Self {
        Self::Guard(error)
    }
}

/// Counts the steps run and what the notify step was given; `notify_fails`
/// makes the notify step fail, as a publish to a missing topic does.
#[derive(Debug, Default)]
struct Steps {
    acts: usize,
    notified: Vec<(Notice, NoticeOrigin)>,
}

impl Steps {
    async fn run(&mut self, guard: &Guard, notify_fails: bool) -> Result<Run<String>, Failure> {
        let Self { acts, notified } = self;
        guard
            .act_then_notify(
                KEY,
                async || {
                    *acts += 1;
                    Ok(notice())
                },
                async |notice: Notice, origin| {
                    notified.push((notice.clone(), origin));
                    if notify_fails {
                        return Err(Failure::Step("publish failed"));
                    }
                    Ok(format!("sent {}", notice.subject))
                },
            )
            .await
    }
}

#[tokio::test]
async fn a_failed_notice_is_kept_and_the_retry_sends_only_the_notice() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    let mut steps = Steps::default();

    let failed = steps.run(&guard, true).await;
    assert!(
        matches!(failed, Err(Failure::Step("publish failed"))),
        "{failed:?}"
    );
    assert_eq!(steps.acts, 1);
    let record = guard.record(KEY).await.unwrap().unwrap();
    assert_eq!(record.status, "done");
    let kept: Notice = serde_json::from_str(record.pending.as_deref().unwrap()).unwrap();
    assert_eq!(kept, notice());

    // A retry whose notice fails again keeps it again.
    let failed = steps.run(&guard, true).await;
    assert!(matches!(failed, Err(Failure::Step(_))), "{failed:?}");
    assert!(guard.record(KEY).await.unwrap().unwrap().pending.is_some());

    // The next retry sends the kept notice and acts no more.
    let sent = steps.run(&guard, false).await.unwrap();
    assert_eq!(
        sent,
        Run::Ran("sent Terminated idle EMR cluster".to_owned())
    );
    assert_eq!(steps.acts, 1, "the action ran once");
    assert_eq!(
        steps.notified,
        vec![
            (notice(), NoticeOrigin::JustActed),
            (notice(), NoticeOrigin::Pending),
            (notice(), NoticeOrigin::Pending),
        ]
    );
    let record = guard.record(KEY).await.unwrap().unwrap();
    assert_eq!((record.status.as_str(), record.pending), ("done", None));
}

#[tokio::test]
async fn a_delivery_after_completion_is_a_duplicate_and_runs_nothing() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    let mut steps = Steps::default();

    let first = steps.run(&guard, false).await.unwrap();
    assert_eq!(
        first,
        Run::Ran("sent Terminated idle EMR cluster".to_owned())
    );
    let Record {
        status, updated_at, ..
    } = guard.record(KEY).await.unwrap().unwrap();
    assert_eq!(status, "done");

    let again = steps.run(&guard, false).await.unwrap();
    let Run::Duplicate(handled) = again else {
        panic!("a duplicate: {again:?}");
    };
    assert_eq!(handled.idempotency_key, "terminator#sns:m-1|j-1");
    assert_eq!(handled.handled_at, format_epoch(updated_at));
    assert_eq!(steps.acts, 1);
    assert_eq!(steps.notified.len(), 1);
}

#[tokio::test]
async fn a_lease_held_elsewhere_fails_the_attempt_and_runs_nothing() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    // Another attempt holds the lease.
    assert_eq!(guard.begin(KEY).await.unwrap(), Begin::Proceed);
    let mut steps = Steps::default();

    let refused = steps.run(&guard, false).await;
    let Err(Failure::Guard(error @ GuardError::InProgressElsewhere { .. })) = refused else {
        panic!("held elsewhere: {refused:?}");
    };
    assert!(
        error
            .to_string()
            .starts_with("event terminator#sns:m-1|j-1 is being handled by another attempt until "),
        "{error}"
    );
    assert_eq!((steps.acts, steps.notified.len()), (0, 0));
    // The holder's lease is left as it was.
    assert_eq!(
        guard.record(KEY).await.unwrap().unwrap().status,
        "in_progress"
    );
}

#[tokio::test]
async fn a_pending_notice_taken_by_another_attempt_is_not_sent_twice() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    let mut steps = Steps::default();
    assert!(steps.run(&guard, true).await.is_err());
    // Another retry takes the pending notice first.
    assert!(guard.resume(KEY).await.unwrap());

    let refused = steps.run(&guard, false).await;
    assert!(
        matches!(
            refused,
            Err(Failure::Guard(GuardError::InProgressElsewhere { .. }))
        ),
        "{refused:?}"
    );
    assert_eq!((steps.acts, steps.notified.len()), (1, 1));
}

#[tokio::test]
async fn a_failed_action_releases_the_lease_so_the_retry_acts() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    let mut notified = 0;

    let failed: Result<Run<()>, Failure> = guard
        .act_then_notify(
            KEY,
            async || Err::<Notice, _>(Failure::Step("terminate failed")),
            async |_, _| {
                notified += 1;
                Ok(())
            },
        )
        .await;
    assert!(
        matches!(failed, Err(Failure::Step("terminate failed"))),
        "{failed:?}"
    );
    assert_eq!(notified, 0);
    assert_eq!(guard.record(KEY).await.unwrap(), None);

    let mut steps = Steps::default();
    assert!(matches!(steps.run(&guard, false).await, Ok(Run::Ran(_))));
    assert_eq!(steps.acts, 1);
}

#[tokio::test]
async fn an_unreadable_pending_notice_names_its_record() {
    let bed = Bed::start().await;
    let guard = guard(&bed);
    assert_eq!(guard.begin(KEY).await.unwrap(), Begin::Proceed);
    guard.complete_with_pending(KEY, "not json").await.unwrap();
    let mut steps = Steps::default();

    let unreadable = steps.run(&guard, false).await;
    let Err(Failure::Guard(error @ GuardError::PendingUnreadable { .. })) = unreadable else {
        panic!("unreadable: {unreadable:?}");
    };
    assert_eq!(
        error.to_string(),
        "the notice kept in idempotency record terminator#sns:m-1|j-1 is unreadable: expected ident at line 1 column 2"
    );
    assert_eq!((steps.acts, steps.notified.len()), (0, 0));
}
