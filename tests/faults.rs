//! Fault injection in front of moto, for every function: transient faults
//! (5xx, throttling, connection resets, delays) are absorbed by the SDK's
//! standard retries and the work is done exactly once; persistent faults
//! fail the invocation with an error naming the call, and a later retry of
//! the same event completes the work without a duplicate.
//!
//! The SDK makes at most 3 attempts per call, so a fault injected 5 times
//! outlasts every attempt of one invocation; the test then clears it.

use std::time::Duration;
use watchkeeper_shared::runtime::ErrorKind;

use serde_json::Value;
use testbed::events::{load, push_event};
use testbed::{Fault, FaultKind, Moto};
use watchkeeper_shared::function::Function;
use watchkeeper_shared::runtime::InvocationError;

/// More faults than the SDK's 3 attempts.
const PERSISTENT: u32 = 5;
const SDK_MAX_ATTEMPTS: usize = 3;

/// `kind` on every attempt at `service`'s `action`, until cleared.
async fn persistent(moto: &Moto, service: &str, action: &str, kind: FaultKind) {
    inject(moto, service, action, kind, PERSISTENT).await;
}

async fn inject(moto: &Moto, service: &str, action: &str, kind: FaultKind, count: u32) {
    moto.inject_fault(Fault::new(service, action, kind, count))
        .await;
}

/// The subjects of every message SNS accepted, in order.
async fn published_subjects(moto: &Moto) -> Vec<String> {
    moto.published()
        .await
        .into_iter()
        .map(|message| message.subject.unwrap_or_default())
        .collect()
}

/// What a notifier's report says, read from its JSON form as Lambda
/// returns it: its `result` and, when it notified, its `subject`.
fn result_and_subject<F: Function>(report: &F::Report) -> (String, String) {
    let value = serde_json::to_value(report).expect("reports serialize");
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
    (text("result"), text("subject"))
}

/// SNS refuses every attempt to publish with `fault`: the invocation fails
/// as a `PublishError` naming the topic and `code`, after the SDK's
/// attempts, and nothing is sent. Once SNS recovers, the retry of the same
/// event notifies once, and a third delivery is a duplicate.
async fn a_persistent_publish_fault_then_one_notification<F: Function>(
    moto: &Moto,
    app: &F,
    event: &Value,
    fault: FaultKind,
    code: &str,
) {
    persistent(moto, "sns", "Publish", fault).await;
    let error = app
        .handle(event)
        .await
        .expect_err("the publish never succeeds");
    let message = error.to_string();
    assert_eq!(error.kind(), ErrorKind::PublishError);
    assert!(message.contains("to SNS topic arn:aws:sns:"), "{message}");
    assert!(message.contains(code), "{message}");
    assert!(published_subjects(moto).await.is_empty());
    assert_eq!(moto.count_calls("sns", "Publish").await, SDK_MAX_ATTEMPTS);

    moto.clear_faults().await;
    let report = app.handle(event).await.expect("the retry succeeds");
    let (_, subject) = result_and_subject::<F>(&report);
    assert_eq!(published_subjects(moto).await, vec![subject]);
    let again = app.handle(event).await.expect("a third delivery");
    assert_eq!(result_and_subject::<F>(&again).0, "duplicate", "{again:?}");
    assert_eq!(published_subjects(moto).await.len(), 1);
}

mod health {
    use super::*;
    use health_event_forwarder::{App, Report, handle};

    const SAMPLE: &str = "health-public-issue.json";

    fn app(bed: &testbed::Bed) -> App {
        App::from_env(&bed.sdk, bed.env(&[])).expect("valid configuration")
    }

    fn subject(report: &Report) -> String {
        match report {
            Report::Notified { subject, .. } => subject.clone(),
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn transient_publish_faults_of_every_kind_are_retried_into_one_notification() {
        let bed = testbed::Bed::start().await;
        let app = app(&bed);
        inject(&bed.moto, "sns", "Publish", FaultKind::Status503, 1).await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Throttling, 1).await;

        let report = handle(&app, &load(SAMPLE))
            .await
            .expect("retries absorb the faults");

        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
        assert_eq!(bed.moto.count_calls("sns", "Publish").await, 3);
    }

    #[tokio::test]
    async fn a_reset_a_500_and_a_delay_are_retried_into_one_notification() {
        let bed = testbed::Bed::start().await;
        let app = app(&bed);
        inject(&bed.moto, "sns", "Publish", FaultKind::Reset, 1).await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Status500, 1).await;
        let delay = FaultKind::Delay(Duration::from_millis(500));
        inject(&bed.moto, "sns", "Publish", delay, 1).await;

        let report = handle(&app, &load(SAMPLE))
            .await
            .expect("retries absorb the faults");

        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
        assert_eq!(bed.moto.count_calls("sns", "Publish").await, 3);
    }

    #[tokio::test]
    async fn a_persistent_publish_fault_fails_naming_the_topic_and_a_retry_notifies_once() {
        let bed = testbed::Bed::start().await;
        let (moto, app) = (&bed.moto, app(&bed));
        let event = load(SAMPLE);
        a_persistent_publish_fault_then_one_notification(
            moto,
            &app,
            &event,
            FaultKind::Status503,
            "ServiceUnavailable",
        )
        .await;
    }

    #[tokio::test]
    async fn a_persistent_fault_on_the_idempotency_claim_fails_before_publishing() {
        let bed = testbed::Bed::start().await;
        let app = app(&bed);
        let event = load(SAMPLE);
        persistent(&bed.moto, "dynamodb", "PutItem", FaultKind::Throttling).await;

        let error = handle(&app, &event)
            .await
            .expect_err("the claim never succeeds");

        let message = error.to_string();
        assert!(
            message.contains("DynamoDB PutItem on idempotency table"),
            "{message}"
        );
        assert!(published_subjects(&bed.moto).await.is_empty());

        bed.moto.clear_faults().await;
        let report = handle(&app, &event).await.expect("the retry succeeds");
        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
    }

    /// The notification went out but could not be recorded as done: the
    /// invocation still fails (never a silent success), and the retry is
    /// held off by the unexpired lease rather than publishing again.
    #[tokio::test]
    async fn a_persistent_fault_recording_completion_fails_and_the_retry_does_not_republish() {
        let bed = testbed::Bed::start().await;
        let app = app(&bed);
        let event = load(SAMPLE);
        persistent(&bed.moto, "dynamodb", "UpdateItem", FaultKind::Status500).await;

        let error = handle(&app, &event)
            .await
            .expect_err("completion is never recorded");

        let message = error.to_string();
        assert!(
            message.contains("DynamoDB UpdateItem on idempotency table"),
            "{message}"
        );
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);

        bed.moto.clear_faults().await;
        let retry = handle(&app, &event)
            .await
            .expect_err("the lease is still held");
        assert_eq!(retry.kind(), ErrorKind::InProgressElsewhere);
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
    }
}

mod ami {
    use super::*;
    use ami_permission_notifier::config::TRUSTED_ACCOUNTS_VAR;
    use ami_permission_notifier::{App, Report, handle};

    const SAMPLE: &str = "ami-public.json";
    const ALIAS: &str = "prod-acct";

    async fn start() -> (testbed::Bed, App) {
        let bed = testbed::Bed::start().await;
        testbed::iam::create_account_alias(&bed.sdk, ALIAS).await;
        let env = bed.env(&[(TRUSTED_ACCOUNTS_VAR, "222233334444")]);
        let app = App::from_env(&bed.sdk, env).expect("valid configuration");
        (bed, app)
    }

    fn subject(report: &Report) -> String {
        match report {
            Report::Notified { subject, .. } => subject.clone(),
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn throttled_alias_lookups_and_failed_publishes_are_retried_into_one_notification() {
        let (bed, app) = start().await;
        inject(
            &bed.moto,
            "iam",
            "ListAccountAliases",
            FaultKind::Throttling,
            2,
        )
        .await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Status503, 2).await;

        let report = handle(&app, &load(SAMPLE))
            .await
            .expect("retries absorb the faults");

        let published = bed.moto.published().await;
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].subject.as_deref(),
            Some(subject(&report).as_str())
        );
        assert!(
            published[0].body("default").contains(ALIAS),
            "the alias was found after retries"
        );
        assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 3);
        assert_eq!(bed.moto.count_calls("sns", "Publish").await, 3);
    }

    #[tokio::test]
    async fn a_persistent_publish_fault_fails_naming_the_topic_and_a_retry_notifies_once() {
        let (bed, app) = start().await;
        let event = load(SAMPLE);
        a_persistent_publish_fault_then_one_notification(
            &bed.moto,
            &app,
            &event,
            FaultKind::Throttling,
            "Throttling",
        )
        .await;
    }

    /// By design the alias only decorates the alert: when IAM keeps failing
    /// the alert still goes out, naming the account by its id (the failure
    /// is logged as a warning).
    #[tokio::test]
    async fn a_persistent_alias_fault_still_notifies_naming_the_account_by_id() {
        let (bed, app) = start().await;
        persistent(&bed.moto, "iam", "ListAccountAliases", FaultKind::Status500).await;

        let report = handle(&app, &load(SAMPLE))
            .await
            .expect("the alert is sent regardless");

        let published = bed.moto.published().await;
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].subject.as_deref(),
            Some(subject(&report).as_str())
        );
        assert!(!published[0].body("default").contains(ALIAS));
        assert_eq!(
            bed.moto.count_calls("iam", "ListAccountAliases").await,
            SDK_MAX_ATTEMPTS
        );
    }
}

mod codecommit {
    //! CodeCommit itself is served by the test bed's local git-backed
    //! server, not moto; it injects its own faults the same way.
    use super::*;
    use codecommit_change_publisher::{App, Report, handle};
    use testbed::codecommit::CodeCommitServer;

    async fn start() -> (testbed::Bed, CodeCommitServer, App, Value) {
        let bed = testbed::Bed::start().await;
        let server = CodeCommitServer::start().await;
        let mut repo = server.create_repository("payments-service");
        repo.write("README.md", "# Payments\n");
        let first = repo.commit("Initial import");
        repo.write("src/retry.rs", "pub fn retry() {}\n");
        let second = repo.commit("Add payment retries");
        let app = App::from_env_with_codecommit(&bed.sdk, &server.sdk_config().await, bed.env(&[]))
            .expect("valid configuration");
        let event = push_event(&second, &first);
        (bed, server, app, event)
    }

    fn subject(report: &Report) -> String {
        match report {
            Report::Published { subject, .. } => subject.clone(),
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn transient_publish_and_claim_faults_are_retried_into_one_notification() {
        let (bed, _server, app, event) = start().await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Reset, 1).await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Throttling, 1).await;
        inject(&bed.moto, "dynamodb", "PutItem", FaultKind::Status503, 2).await;

        let report = handle(&app, &event)
            .await
            .expect("retries absorb the faults");

        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
        assert_eq!(bed.moto.count_calls("sns", "Publish").await, 3);
    }

    #[tokio::test]
    async fn throttled_reset_and_failed_codecommit_reads_are_retried_into_one_notification() {
        let (bed, server, app, event) = start().await;
        server.inject_fault("GetCommit", FaultKind::Throttling, 1);
        server.inject_fault("GetCommit", FaultKind::Reset, 1);
        server.inject_fault("GetDifferences", FaultKind::Status503, 2);

        let report = handle(&app, &event)
            .await
            .expect("retries absorb the faults");

        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
        let Report::Published { commits, .. } = &report else {
            panic!("published");
        };
        assert_eq!(*commits, 1, "{report:?}");
        assert_eq!(server.count_calls("GetDifferences"), 3);
    }

    #[tokio::test]
    async fn a_persistent_codecommit_read_fault_fails_naming_the_repository_and_a_retry_notifies_once()
     {
        let (bed, server, app, event) = start().await;
        server.inject_fault("GetDifferences", FaultKind::Status500, PERSISTENT);

        let error = handle(&app, &event)
            .await
            .expect_err("the differences are never read");

        let message = error.to_string();
        assert_eq!(error.kind(), ErrorKind::AwsError);
        assert!(
            message.contains("CodeCommit GetDifferences from ")
                && message.contains("in repository payments-service failed"),
            "{message}"
        );
        assert!(published_subjects(&bed.moto).await.is_empty());

        server.clear_faults();
        let report = handle(&app, &event).await.expect("the retry succeeds");
        assert_eq!(published_subjects(&bed.moto).await, vec![subject(&report)]);
        let again = handle(&app, &event).await.expect("a third delivery");
        assert!(matches!(again, Report::Duplicate { .. }), "{again:?}");
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
    }

    #[tokio::test]
    async fn a_persistent_publish_fault_fails_naming_the_topic_and_a_retry_notifies_once() {
        let (bed, _server, app, event) = start().await;
        a_persistent_publish_fault_then_one_notification(
            &bed.moto,
            &app,
            &event,
            FaultKind::Status500,
            "InternalFailure",
        )
        .await;
    }
}

mod ec2 {
    use super::*;
    use ec2_alarm_creator::{App, Report, handle};
    use testbed::events::with_detail;

    async fn start() -> (testbed::Bed, App, Value) {
        let bed = testbed::Bed::start().await;
        let app = App::from_env(&bed.sdk, bed.env(&[]))
            .await
            .expect("valid configuration");
        let instance_id = testbed::ec2::run_instance(&bed.sdk, &[]).await;
        let event = with_detail(
            load("ec2-instance-running.json"),
            "instance-id",
            instance_id.as_str(),
        );
        (bed, app, event)
    }

    fn alarms_put(report: &Report) -> Vec<String> {
        match report {
            Report::Reconciled { outcome, .. } => outcome.alarms_put.clone(),
            other => panic!("expected alarms, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn throttled_describes_and_failed_puts_are_retried_into_the_same_alarms() {
        let (bed, app, event) = start().await;
        inject(
            &bed.moto,
            "ec2",
            "DescribeInstances",
            FaultKind::Throttling,
            2,
        )
        .await;
        inject(
            &bed.moto,
            "monitoring",
            "PutMetricAlarm",
            FaultKind::Status503,
            1,
        )
        .await;
        inject(
            &bed.moto,
            "monitoring",
            "PutMetricAlarm",
            FaultKind::Reset,
            1,
        )
        .await;

        let report = handle(&app, &event)
            .await
            .expect("retries absorb the faults");

        let mut put = alarms_put(&report);
        put.sort();
        assert_eq!(put.len(), 2);
        assert_eq!(
            testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-").await,
            put
        );
        assert_eq!(bed.moto.count_calls("ec2", "DescribeInstances").await, 3);
    }

    /// CloudWatch speaks Smithy RPC v2 CBOR: the test bed reads the action
    /// from the request path and answers throttling as CloudWatch does under
    /// CBOR (HTTP 400, code `Throttling`). The SDK retries a 400 only when it
    /// reads a throttling code, so the extra calls prove the error's shape.
    #[tokio::test]
    async fn throttled_alarm_puts_over_cbor_are_retried_into_the_same_alarms() {
        let (bed, app, event) = start().await;
        inject(
            &bed.moto,
            "monitoring",
            "PutMetricAlarm",
            FaultKind::Throttling,
            2,
        )
        .await;

        let report = handle(&app, &event)
            .await
            .expect("retries absorb the throttling");

        let mut put = alarms_put(&report);
        put.sort();
        assert_eq!(put.len(), 2);
        assert_eq!(
            testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-").await,
            put
        );
        // Two alarms put once each, plus the two throttled attempts.
        assert_eq!(
            bed.moto.count_calls("monitoring", "PutMetricAlarm").await,
            4
        );
    }

    #[tokio::test]
    async fn a_persistent_put_fault_fails_naming_the_alarm_and_a_retry_completes() {
        let (bed, app, event) = start().await;
        persistent(
            &bed.moto,
            "monitoring",
            "PutMetricAlarm",
            FaultKind::Status500,
        )
        .await;

        let error = handle(&app, &event)
            .await
            .expect_err("the put never succeeds");

        let message = error.to_string();
        assert_eq!(error.kind(), ErrorKind::AwsError);
        assert!(
            message.contains("CloudWatch PutMetricAlarm for alarm watchkeeper-"),
            "{message}"
        );
        assert!(
            testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-")
                .await
                .is_empty()
        );

        bed.moto.clear_faults().await;
        let report = handle(&app, &event).await.expect("the retry succeeds");
        let mut put = alarms_put(&report);
        put.sort();
        assert_eq!(
            testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-").await,
            put
        );
        let again = handle(&app, &event).await.expect("a third delivery");
        assert!(matches!(again, Report::Duplicate { .. }), "{again:?}");
        assert_eq!(
            testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-")
                .await
                .len(),
            2
        );
    }
}

mod emr {
    use super::*;
    use idle_emr_terminator::{App, Report, handle};
    use testbed::emr::{ClusterSpec, cluster_state, run_cluster};

    const SAMPLE_CLUSTER_ID: &str = "j-2AXXXXXXGAPLF";

    async fn start() -> (testbed::Bed, App, String, Value) {
        let bed = testbed::Bed::start().await;
        let settings = [("DRY_RUN", "false"), ("MINIMUM_AGE_MINUTES", "0")];
        let app = App::from_env(&bed.sdk, bed.env(&settings)).expect("valid configuration");
        let cluster_id = run_cluster(
            &bed.sdk,
            &ClusterSpec {
                name: "analytics-adhoc",
                ..Default::default()
            },
        )
        .await;
        let text = load("emr-idle-alarm-sns.json")
            .to_string()
            .replace(SAMPLE_CLUSTER_ID, &cluster_id);
        let event = serde_json::from_str(&text).expect("still JSON");
        (bed, app, cluster_id, event)
    }

    fn outcomes(report: &Report) -> Vec<String> {
        match report {
            Report::Checked { clusters } => clusters
                .iter()
                .map(|c| c.outcome.as_str().to_owned())
                .collect(),
            other => panic!("expected clusters, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn transient_faults_on_every_call_are_retried_into_one_termination_and_notice() {
        let (bed, app, cluster_id, event) = start().await;
        let emr = "elasticmapreduce";
        inject(&bed.moto, emr, "DescribeCluster", FaultKind::Throttling, 2).await;
        inject(&bed.moto, emr, "TerminateJobFlows", FaultKind::Status503, 2).await;
        inject(&bed.moto, "sns", "Publish", FaultKind::Reset, 1).await;

        let report = handle(&app, &event)
            .await
            .expect("retries absorb the faults");

        assert_eq!(outcomes(&report), vec!["terminated"]);
        assert_eq!(cluster_state(&bed.sdk, &cluster_id).await, "TERMINATED");
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
        assert_eq!(bed.moto.count_calls(emr, "TerminateJobFlows").await, 3);
    }

    #[tokio::test]
    async fn a_persistent_terminate_fault_fails_naming_the_cluster_and_a_retry_completes() {
        let (bed, app, cluster_id, event) = start().await;
        let emr = "elasticmapreduce";
        inject(
            &bed.moto,
            emr,
            "TerminateJobFlows",
            FaultKind::Status500,
            PERSISTENT,
        )
        .await;

        let error = handle(&app, &event)
            .await
            .expect_err("termination never succeeds");

        let message = error.to_string();
        assert_eq!(error.kind(), ErrorKind::AwsError);
        // The operation, the cluster and the service's code and message, once.
        assert_eq!(
            message,
            format!(
                "1 of 1 cluster failed: EMR TerminateJobFlows for cluster {cluster_id} failed: InternalFailure: injected fault: TerminateJobFlows failed"
            )
        );
        assert_eq!(cluster_state(&bed.sdk, &cluster_id).await, "WAITING");
        assert!(published_subjects(&bed.moto).await.is_empty());

        bed.moto.clear_faults().await;
        let report = handle(&app, &event).await.expect("the retry succeeds");
        assert_eq!(outcomes(&report), vec!["terminated"]);
        assert_eq!(cluster_state(&bed.sdk, &cluster_id).await, "TERMINATED");
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
        let again = handle(&app, &event).await.expect("a third delivery");
        assert_eq!(outcomes(&again), vec!["duplicate"]);
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
    }

    /// The notice went out but the record of it did not: the invocation
    /// fails, and a retry within the lease is refused, so nothing repeats.
    #[tokio::test]
    async fn a_persistent_fault_recording_completion_fails_and_the_retry_does_not_renotify() {
        let (bed, app, cluster_id, event) = start().await;
        persistent(&bed.moto, "dynamodb", "UpdateItem", FaultKind::Status500).await;

        let error = handle(&app, &event)
            .await
            .expect_err("completion is never recorded");

        assert!(
            error
                .to_string()
                .contains("DynamoDB UpdateItem on idempotency table"),
            "{error}"
        );
        assert_eq!(cluster_state(&bed.sdk, &cluster_id).await, "TERMINATED");
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);

        bed.moto.clear_faults().await;
        let retry = handle(&app, &event)
            .await
            .expect_err("the lease is still held");
        assert_eq!(retry.kind(), ErrorKind::AwsError);
        assert!(
            retry
                .to_string()
                .contains("is being handled by another attempt"),
            "{retry}"
        );
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
    }

    /// The retry finds the termination recorded with its notice pending and
    /// sends only the notice: the cluster, already TERMINATED, is not
    /// checked again (which would skip it and lose the notice).
    #[tokio::test]
    async fn a_persistent_publish_fault_after_terminating_fails_and_a_retry_notifies_once() {
        let (bed, app, cluster_id, event) = start().await;
        persistent(&bed.moto, "sns", "Publish", FaultKind::Status503).await;

        let error = handle(&app, &event)
            .await
            .expect_err("the notice never goes out");

        let message = error.to_string();
        assert_eq!(error.kind(), ErrorKind::AwsError);
        assert!(message.contains("to SNS topic arn:aws:sns:"), "{message}");
        assert_eq!(cluster_state(&bed.sdk, &cluster_id).await, "TERMINATED");
        assert!(published_subjects(&bed.moto).await.is_empty());

        bed.moto.clear_faults().await;
        let report = handle(&app, &event).await.expect("the retry succeeds");
        let subjects = published_subjects(&bed.moto).await;
        assert_eq!(subjects.len(), 1, "{report:?}");
        assert_eq!(
            bed.moto
                .count_calls("elasticmapreduce", "TerminateJobFlows")
                .await,
            1,
            "the retry does not terminate again"
        );
        assert_eq!(outcomes(&report), vec!["terminated"]);
        let again = handle(&app, &event).await.expect("a third delivery");
        assert_eq!(outcomes(&again), vec!["duplicate"]);
        assert_eq!(published_subjects(&bed.moto).await.len(), 1);
    }
}
