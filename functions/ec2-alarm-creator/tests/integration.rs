//! The EC2 alarm creator end to end against moto: sample events in, CloudWatch alarms out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};

use aws_sdk_cloudwatch::types::MetricAlarm;
use serde_json::{Value, json};

use ec2_alarm_creator::decide::Undecided;
use ec2_alarm_creator::{App, HandlerError, OwnError, Report, handle};
use testbed::Bed;
use testbed::Moto;
use testbed::ec2::StaleRead;
use testbed::events::{load, with_detail};
use watchkeeper_shared::config::EnvReader;

/// This function's helpers on the test bed.
trait Ec2Bed {
    async fn run_instance(&self, tags: &[(&str, &str)]) -> String;
    async fn terminate(&self, instance_id: &str);
    async fn alarms(&self, prefix: &str) -> Vec<MetricAlarm>;
    async fn alarm_names(&self, prefix: &str) -> Vec<String>;
}

impl Ec2Bed for Bed {
    async fn run_instance(&self, tags: &[(&str, &str)]) -> String {
        testbed::ec2::run_instance(&self.sdk, tags).await
    }

    async fn terminate(&self, instance_id: &str) {
        testbed::ec2::terminate_instance(&self.sdk, instance_id).await
    }

    async fn alarms(&self, prefix: &str) -> Vec<MetricAlarm> {
        testbed::ec2::alarms(&self.sdk, prefix).await
    }

    async fn alarm_names(&self, prefix: &str) -> Vec<String> {
        testbed::ec2::alarm_names(&self.sdk, prefix).await
    }
}

/// A sample event for `instance_id`. Each call is a distinct real event with
/// its own id, as EventBridge would send; a test repeats a delivery by
/// reusing the value.
fn event(name: &str, instance_id: &str) -> Value {
    static DELIVERIES: AtomicUsize = AtomicUsize::new(0);
    let mut event = with_detail(load(name), "instance-id", instance_id);
    let n = DELIVERIES.fetch_add(1, Ordering::Relaxed);
    event["id"] = format!("{}-{n}", event["id"].as_str().unwrap_or_default()).into();
    event
}

#[tokio::test]
async fn running_creates_the_original_disk_alarms_with_every_field() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;

    let report = handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let warning_name = format!("watchkeeper-{id}-disk-space-warning");
    let critical_name = format!("watchkeeper-{id}-disk-space-critical");
    assert_eq!(
        report,
        Report::Reconciled {
            instance_id: id.clone(),
            reason: "instance is running".into(),
            outcome: ec2_alarm_creator::act::Outcome {
                alarms_put: vec![warning_name.clone(), critical_name.clone()],
                alarms_deleted: vec![],
                deferred: vec![],
            },
        }
    );
    let alarms = bed.alarms("watchkeeper-").await;
    assert_eq!(alarms.len(), 2);
    for (name, threshold, topic) in [
        (&warning_name, 60.0, &bed.topics.topics.warning_topic_arn),
        (&critical_name, 80.0, &bed.topics.topics.critical_topic_arn),
    ] {
        let alarm = alarms
            .iter()
            .find(|a| a.alarm_name() == Some(name.as_str()))
            .expect(name);
        assert_eq!(alarm.metric_name(), Some("DiskSpaceUtilization"));
        assert_eq!(alarm.namespace(), Some("System/Linux"));
        assert_eq!(alarm.statistic().map(|s| s.as_str()), Some("Average"));
        assert_eq!(alarm.period(), Some(300));
        assert_eq!(alarm.unit().map(|u| u.as_str()), Some("Percent"));
        assert_eq!(alarm.evaluation_periods(), Some(2));
        assert_eq!(alarm.datapoints_to_alarm(), Some(2));
        assert_eq!(alarm.threshold(), Some(threshold));
        assert_eq!(
            alarm.comparison_operator().map(|c| c.as_str()),
            Some("GreaterThanOrEqualToThreshold")
        );
        assert_eq!(alarm.treat_missing_data(), Some("missing"));
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(topic));
        assert_eq!(alarm.ok_actions(), std::slice::from_ref(topic));
        assert_eq!(alarm.actions_enabled(), Some(true));
        let mut dimensions: Vec<(String, String)> = alarm
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_owned(),
                    d.value().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        dimensions.sort();
        assert_eq!(
            dimensions,
            vec![
                ("Filesystem".to_owned(), "/dev/xvda1".to_owned()),
                ("InstanceId".to_owned(), id.clone()),
                ("MountPath".to_owned(), "/".to_owned()),
            ]
        );
        assert!(alarm.alarm_description().unwrap_or_default().contains(&id));
    }
}

#[tokio::test]
async fn alarms_carry_tags_naming_their_creator_and_instance() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let alarm = &bed.alarms(&format!("watchkeeper-{id}-")).await[0];
    let tags = aws_sdk_cloudwatch::Client::new(&bed.sdk)
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![
            (
                "watchkeeper:created-by".to_owned(),
                "watchkeeper/ec2-alarm-creator".to_owned()
            ),
            ("watchkeeper:instance-id".to_owned(), id.clone()),
        ]
    );
}

#[tokio::test]
async fn the_same_running_event_twice_leaves_the_same_alarms() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    let running = event("ec2-instance-running.json", &id);

    handle(&app, &running).await.unwrap();
    let first = bed.alarm_names("watchkeeper-").await;
    handle(&app, &running).await.unwrap();

    assert_eq!(bed.alarm_names("watchkeeper-").await, first);
    assert_eq!(first.len(), 2);
}

#[tokio::test]
async fn every_stopping_state_removes_the_instance_alarms_and_only_them() {
    for sample in [
        "ec2-instance-stopping.json",
        "ec2-instance-stopped.json",
        "ec2-instance-shutting-down.json",
        "ec2-instance-terminated.json",
    ] {
        let bed = Bed::start().await;
        let app = bed.app::<App>(&[]).await;
        let id = bed.run_instance(&[]).await;
        let neighbour = bed.run_instance(&[]).await;
        handle(&app, &event("ec2-instance-running.json", &id))
            .await
            .unwrap();
        handle(&app, &event("ec2-instance-running.json", &neighbour))
            .await
            .unwrap();

        let report = handle(&app, &event(sample, &id)).await.unwrap();

        let Report::Reconciled { outcome, .. } = report else {
            panic!("{sample}: {report:?}")
        };
        assert_eq!(outcome.alarms_deleted.len(), 2, "{sample}");
        assert!(
            bed.alarm_names(&format!("watchkeeper-{id}-"))
                .await
                .is_empty(),
            "{sample}"
        );
        assert_eq!(
            bed.alarm_names(&format!("watchkeeper-{neighbour}-"))
                .await
                .len(),
            2,
            "{sample}"
        );
    }
}

#[tokio::test]
async fn a_late_running_event_for_a_terminated_instance_creates_nothing() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    bed.terminate(&id).await;
    handle(&app, &event("ec2-instance-terminated.json", &id))
        .await
        .unwrap();

    let report = handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let Report::Reconciled {
        reason, outcome, ..
    } = report
    else {
        panic!("{report:?}")
    };
    assert_eq!(
        reason,
        "event said running but the instance is now terminated (late event)"
    );
    assert!(outcome.alarms_put.is_empty());
    assert!(bed.alarm_names("watchkeeper-").await.is_empty());
}

#[tokio::test]
async fn a_running_event_for_an_unknown_instance_creates_nothing() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;

    let report = handle(&app, &load("ec2-instance-running.json"))
        .await
        .unwrap();

    let Report::Reconciled { reason, .. } = report else {
        panic!("{report:?}")
    };
    assert_eq!(reason, "instance no longer exists");
    assert!(bed.alarm_names("watchkeeper-").await.is_empty());
}

#[tokio::test]
async fn opt_in_tag_filter_selects_instances() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-in"),
            ("TAG_FILTER", "Environment=production"),
        ])
        .await;
    let production = bed.run_instance(&[("Environment", "production")]).await;
    let test = bed.run_instance(&[("Environment", "test")]).await;

    handle(&app, &event("ec2-instance-running.json", &production))
        .await
        .unwrap();
    let report = handle(&app, &event("ec2-instance-running.json", &test))
        .await
        .unwrap();

    assert_eq!(
        bed.alarm_names(&format!("watchkeeper-{production}-"))
            .await
            .len(),
        2
    );
    assert!(
        bed.alarm_names(&format!("watchkeeper-{test}-"))
            .await
            .is_empty()
    );
    let Report::Reconciled { reason, .. } = report else {
        panic!("{report:?}")
    };
    assert_eq!(
        reason,
        "instance not selected by tag filter opt-in Environment=production"
    );
}

#[tokio::test]
async fn opt_out_tag_filter_skips_tagged_instances() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-out"),
            ("TAG_FILTER", "watchkeeper:alarms=off"),
        ])
        .await;
    let opted_out = bed.run_instance(&[("watchkeeper:alarms", "off")]).await;
    let normal = bed.run_instance(&[("Name", "web")]).await;

    handle(&app, &event("ec2-instance-running.json", &opted_out))
        .await
        .unwrap();
    handle(&app, &event("ec2-instance-running.json", &normal))
        .await
        .unwrap();

    assert!(
        bed.alarm_names(&format!("watchkeeper-{opted_out}-"))
            .await
            .is_empty()
    );
    assert_eq!(
        bed.alarm_names(&format!("watchkeeper-{normal}-"))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_threshold_tag_overrides_one_alarm() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed
        .run_instance(&[("watchkeeper:threshold:disk-space-critical", "95")])
        .await;

    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let thresholds: HashMap<String, f64> = bed
        .alarms(&format!("watchkeeper-{id}-"))
        .await
        .iter()
        .map(|a| (a.alarm_name().unwrap().to_owned(), a.threshold().unwrap()))
        .collect();
    assert_eq!(
        thresholds[&format!("watchkeeper-{id}-disk-space-warning")],
        60.0
    );
    assert_eq!(
        thresholds[&format!("watchkeeper-{id}-disk-space-critical")],
        95.0
    );
}

#[tokio::test]
async fn a_changed_alarm_set_leaves_no_orphans() {
    let bed = Bed::start().await;
    let id = bed.run_instance(&[]).await;
    let before = bed
        .app::<App>(&[("ALARM_DEFINITIONS", "disk-space,cpu,status-check")])
        .await;
    handle(&before, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    assert_eq!(bed.alarm_names("watchkeeper-").await.len(), 4);

    let after = bed.app::<App>(&[("ALARM_DEFINITIONS", "cpu")]).await;
    handle(&after, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    assert_eq!(
        bed.alarm_names("watchkeeper-").await,
        vec![format!("watchkeeper-{id}-cpu-high")]
    );
}

#[tokio::test]
async fn alarm_definitions_can_come_from_an_ssm_parameter() {
    let bed = Bed::start().await;
    aws_sdk_ssm::Client::new(&bed.sdk)
        .put_parameter()
        .name("/watchkeeper/alarms")
        .value(r#"{"alarms": ["status-check", {"id": "mem", "metric": "mem_used_percent", "namespace": "CWAgent", "dimensions": {"InstanceId": "{instance_id}", "InstanceType": "{instance_type}"}, "threshold": 85, "severity": "warning"}]}"#)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let app = bed
        .app::<App>(&[
            ("ALARM_DEFINITIONS_PARAMETER", "/watchkeeper/alarms"),
            ("ALARM_DEFINITIONS", "cpu"),
        ])
        .await;
    let id = bed.run_instance(&[]).await;

    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    assert_eq!(
        bed.alarm_names("watchkeeper-").await,
        vec![
            format!("watchkeeper-{id}-mem"),
            format!("watchkeeper-{id}-status-check-failed")
        ]
    );
    let memory = bed.alarms(&format!("watchkeeper-{id}-mem")).await;
    let mut dimensions: Vec<String> = memory[0]
        .dimensions()
        .iter()
        .map(|d| format!("{}={}", d.name().unwrap(), d.value().unwrap()))
        .collect();
    dimensions.sort();
    assert_eq!(
        dimensions,
        vec![
            format!("InstanceId={id}"),
            "InstanceType=t3.micro".to_owned()
        ]
    );
}

#[tokio::test]
async fn a_missing_ssm_parameter_fails_init_naming_it() {
    let bed = Bed::start().await;
    let error = App::from_env(
        &bed.sdk,
        bed.env(&[("ALARM_DEFINITIONS_PARAMETER", "/watchkeeper/missing")]),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("reading alarm definitions from SSM parameter /watchkeeper/missing (set by ALARM_DEFINITIONS_PARAMETER) failed: "),
        "{error}"
    );
}

#[tokio::test]
async fn missing_and_malformed_settings_fail_init_naming_each() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    // Lambda always sets AWS_REGION.
    let env = EnvReader::from_map(HashMap::from([
        ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
        ("TAG_FILTER_MODE".to_owned(), "opt-in".to_owned()),
        ("ALARM_DEFINITIONS".to_owned(), "disk-space,nope".to_owned()),
    ]));

    let error = App::from_env(&sdk, env).await.unwrap_err().to_string();

    assert_eq!(
        error,
        "invalid configuration: IDEMPOTENCY_TABLE is required but is not set; \
         HOME_ACCOUNT_ID is required but is not set; \
         WARNING_TOPIC_ARN is required but is not set; \
         CRITICAL_TOPIC_ARN is required but is not set; \
         TAG_FILTER must name a tag (Key or Key=Value) when TAG_FILTER_MODE is opt-in; \
         alarm definitions from ALARM_DEFINITIONS are invalid: entry 1: unknown preset \"nope\" (known: disk-space, cloudwatch-agent, cpu, status-check, cpu-anomaly)"
    );
}

#[tokio::test]
async fn deleting_hundreds_of_alarms_pages_and_batches_by_100() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&bed.sdk);
    for n in 0..250 {
        cloudwatch
            .put_metric_alarm()
            .alarm_name(format!("watchkeeper-{id}-old-{n:03}"))
            .metric_name("CPUUtilization")
            .namespace("AWS/EC2")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(1)
            .threshold(90.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .send()
            .await
            .unwrap();
    }
    let before = bed.moto.count_calls("monitoring", "DeleteAlarms").await;

    let report = handle(&app, &event("ec2-instance-terminated.json", &id))
        .await
        .unwrap();

    let Report::Reconciled { outcome, .. } = report else {
        panic!("{report:?}")
    };
    assert_eq!(outcome.alarms_deleted.len(), 250);
    assert!(bed.alarm_names("watchkeeper-").await.is_empty());
    assert_eq!(
        bed.moto.count_calls("monitoring", "DeleteAlarms").await - before,
        3
    );
}

#[tokio::test]
async fn irrelevant_events_are_skipped_without_touching_aws() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let calls_before = bed.moto.calls().await.len();

    let pending = handle(&app, &load("ec2-instance-pending.json"))
        .await
        .unwrap();
    let mut other_source = load("ec2-instance-running.json");
    other_source["source"] = "aws.health".into();
    let other = handle(&app, &other_source).await.unwrap();

    assert_eq!(
        serde_json::to_value(&pending).unwrap(),
        json!({
            "result": "skipped",
            "code": "state_needs_no_change",
            "reason": "state pending needs no alarm change"
        })
    );
    assert_eq!(
        serde_json::to_value(&other).unwrap(),
        json!({
            "result": "skipped",
            "code": "irrelevant_event",
            "reason": "not an EC2 instance state-change, instance tag-change or scheduled sweep event (source \"aws.health\", detail-type \"EC2 Instance State-change Notification\")"
        })
    );
    assert_eq!(bed.moto.calls().await.len(), calls_before);
}

#[tokio::test]
async fn malformed_events_fail_with_the_field_named() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let cases = [
        (Value::Null, "event must be a JSON object, got null"),
        (
            with_detail(
                load("ec2-instance-running.json"),
                "instance-id",
                "not-an-id",
            ),
            "event field `detail.instance-id` is malformed: \"not-an-id\" is not an EC2 instance id (expected i- followed by 8 or 17 hex digits)",
        ),
        (
            {
                let mut event = load("ec2-instance-running.json");
                event.as_object_mut().unwrap().remove("detail");
                event
            },
            "event field `.` is malformed: missing field `detail`",
        ),
    ];
    for (event, expected) in cases {
        let error = handle(&app, &event).await.unwrap_err();
        assert!(matches!(error, HandlerError::BadEvent(_)));
        assert_eq!(error.to_string(), expected);
    }
}

#[tokio::test]
async fn an_unreachable_cloudwatch_fails_the_invocation() {
    let bed = Bed::start().await;
    let id = bed.run_instance(&[]).await;
    let mut app = bed.app::<App>(&[]).await;
    // Nothing listens on port 9 on loopback: every CloudWatch call fails.
    app.cloudwatch =
        aws_sdk_cloudwatch::Client::new(&testbed::sdk_config_for("http://127.0.0.1:9").await);

    let error = handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    assert!(
        error.to_string().starts_with(&format!(
            "CloudWatch PutMetricAlarm for alarm watchkeeper-{id}-disk-space-warning failed: "
        )),
        "{error}"
    );
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_acted_on_once() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    let running = event("ec2-instance-running.json", &id);

    let first = handle(&app, &running).await.unwrap();
    assert!(matches!(first, Report::Reconciled { .. }), "{first:?}");
    let again = handle(&app, &running).await.unwrap();
    testbed::assert_duplicate::<App>(&again, &running);
    assert_eq!(bed.moto.count_calls("ec2", "DescribeInstances").await, 1);
    assert_eq!(
        bed.moto.count_calls("monitoring", "PutMetricAlarm").await,
        2
    );
    assert_eq!(bed.alarm_names("watchkeeper-").await.len(), 2);
}

#[tokio::test]
async fn an_attempt_that_fails_after_putting_alarms_is_completed_by_its_retry() {
    let bed = Bed::start().await;
    let id = bed.run_instance(&[]).await;
    let running = event("ec2-instance-running.json", &id);
    // Listing the instance's alarms, the step after putting them, fails.
    let refuse = testbed::refuse::Refuse::action("DescribeAlarms");
    let mut failing = bed.app::<App>(&[]).await;
    failing.cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(&bed.sdk)
            .interceptor(refuse.clone())
            .build(),
    );
    let error = handle(&failing, &running).await.unwrap_err();
    assert_eq!(
        (refuse.refused(), error.kind()),
        (1, ErrorKind::AwsError),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("CloudWatch DescribeAlarms with prefix watchkeeper-"),
        "{error}"
    );

    // The failed attempt released its lease; the retry finishes the work,
    // and the alarms exist once.
    let app = bed.app::<App>(&[]).await;
    let report = handle(&app, &running).await.unwrap();
    assert!(matches!(report, Report::Reconciled { .. }), "{report:?}");
    assert!(matches!(
        handle(&app, &running).await.unwrap(),
        Report::Duplicate { .. }
    ));
    assert_eq!(
        bed.alarm_names("watchkeeper-").await,
        vec![
            format!("watchkeeper-{id}-disk-space-critical"),
            format!("watchkeeper-{id}-disk-space-warning"),
        ]
    );
}

/// `event` as it would be delivered now, right after the state change.
fn fresh(mut event: Value) -> Value {
    use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
    event["time"] = DateTime::from(std::time::SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .expect("now is a valid time")
        .into();
    event
}

#[tokio::test]
async fn a_running_event_that_ec2_still_answers_pending_creates_the_alarms() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    testbed::ec2::stale_reads(&bed.moto, &id, StaleRead::state("pending"), 1).await;
    let running = fresh(event("ec2-instance-running.json", &id));

    let report = handle(&app, &running).await.unwrap();

    let Report::Reconciled {
        reason, outcome, ..
    } = report
    else {
        panic!("{report:?}")
    };
    assert_eq!(
        reason,
        "instance is starting (the event said running, EC2 still reports pending)"
    );
    assert_eq!(outcome.alarms_put.len(), 2);
    assert_eq!(
        bed.alarm_names(&format!("watchkeeper-{id}-")).await,
        vec![
            format!("watchkeeper-{id}-disk-space-critical"),
            format!("watchkeeper-{id}-disk-space-warning"),
        ]
    );
}

#[tokio::test]
async fn an_instance_not_listed_right_after_launch_fails_and_the_retry_creates_the_alarms() {
    for (name, stale) in [
        ("InvalidInstanceID.NotFound", StaleRead::not_found()),
        ("no reservations", StaleRead::no_reservations()),
    ] {
        let bed = Bed::start().await;
        let app = bed.app::<App>(&[]).await;
        let id = bed.run_instance(&[]).await;
        testbed::ec2::stale_reads(&bed.moto, &id, stale, 1).await;
        let running = fresh(event("ec2-instance-running.json", &id));
        let event_id = running["id"].as_str().unwrap().to_owned();

        let error = handle(&app, &running).await.unwrap_err();

        assert_eq!(
            error.kind(),
            ErrorKind::InstanceNotSettled,
            "{name}: {error}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("EC2 does not list instance {id} yet, ")),
            "{name}: {message}"
        );
        assert!(
            message.contains(" seconds after its running event")
                || message.contains(" second after its running event"),
            "{name}: {message}"
        );
        assert!(
            matches!(
                error,
                HandlerError::Own(OwnError::Undecided(Undecided::NotListedYet { ref instance_id, .. })) if instance_id == &id
            ),
            "{name}: {error:?}"
        );
        assert_eq!(
            bed.guard("ec2-alarm-creator")
                .record(&event_id)
                .await
                .unwrap(),
            None,
            "{name}: the failed attempt is not recorded as done"
        );
        assert!(bed.alarm_names("watchkeeper-").await.is_empty(), "{name}");

        // Lambda's retry of the same event finds the instance and is not
        // suppressed as a duplicate.
        let retry = handle(&app, &running).await.unwrap();
        let Report::Reconciled {
            reason, outcome, ..
        } = retry
        else {
            panic!("{name}: {retry:?}")
        };
        assert_eq!(
            (reason.as_str(), outcome.alarms_put.len()),
            ("instance is running", 2),
            "{name}"
        );
        assert!(
            matches!(
                handle(&app, &running).await.unwrap(),
                Report::Duplicate { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_running_event_for_an_instance_never_listed_fails_while_recent() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let running = fresh(load("ec2-instance-running.json"));

    let error = handle(&app, &running).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InstanceNotSettled, "{error}");
    assert!(
        error
            .to_string()
            .starts_with("EC2 does not list instance i-0abcd1234ef567890 yet, "),
        "{error}"
    );
    // The same instance, for an event older than EC2 lists a terminated
    // instance: gone, nothing to do.
    let report = handle(&app, &load("ec2-instance-running.json"))
        .await
        .unwrap();
    assert!(
        matches!(&report, Report::Reconciled { reason, .. } if reason == "instance no longer exists"),
        "{report:?}"
    );
}

#[tokio::test]
async fn an_answer_without_a_state_fails_and_the_retry_creates_the_alarms() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    testbed::ec2::stale_reads(&bed.moto, &id, StaleRead::without_state(), 1).await;
    let running = event("ec2-instance-running.json", &id);

    let error = handle(&app, &running).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InstanceNotSettled);
    assert_eq!(
        error.to_string(),
        format!(
            "EC2's DescribeInstances answer for instance {id} has no state; this attempt fails for Lambda to retry"
        )
    );
    assert!(bed.alarm_names("watchkeeper-").await.is_empty());
    let retry = handle(&app, &running).await.unwrap();
    assert!(
        matches!(&retry, Report::Reconciled { outcome, .. } if outcome.alarms_put.len() == 2),
        "{retry:?}"
    );
}

#[tokio::test]
async fn opt_in_reads_tags_left_out_of_the_answer_with_describe_tags() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-in"),
            ("TAG_FILTER", "Environment=production"),
        ])
        .await;
    let production = bed.run_instance(&[("Environment", "production")]).await;
    // Both stale at once: still pending, and the tags not in the answer.
    testbed::ec2::stale_reads(
        &bed.moto,
        &production,
        StaleRead::state("pending").and_without_tags(),
        1,
    )
    .await;

    let report = handle(&app, &event("ec2-instance-running.json", &production))
        .await
        .unwrap();

    assert!(
        matches!(&report, Report::Reconciled { outcome, .. } if outcome.alarms_put.len() == 2),
        "{report:?}"
    );
    assert_eq!(
        bed.alarm_names(&format!("watchkeeper-{production}-"))
            .await
            .len(),
        2
    );
    assert_eq!(bed.moto.count_calls("ec2", "DescribeTags").await, 1);
}

#[tokio::test]
async fn opt_out_reads_tags_left_out_of_the_answer_with_describe_tags() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-out"),
            ("TAG_FILTER", "watchkeeper:alarms=off"),
        ])
        .await;
    let opted_out = bed.run_instance(&[("watchkeeper:alarms", "off")]).await;
    testbed::ec2::stale_reads(&bed.moto, &opted_out, StaleRead::without_tags(), 1).await;

    let report = handle(&app, &event("ec2-instance-running.json", &opted_out))
        .await
        .unwrap();

    let Report::Reconciled {
        reason, outcome, ..
    } = report
    else {
        panic!("{report:?}")
    };
    assert_eq!(
        reason,
        "instance not selected by tag filter opt-out watchkeeper:alarms=off"
    );
    assert!(outcome.alarms_put.is_empty());
    assert!(bed.alarm_names("watchkeeper-").await.is_empty());
    assert_eq!(bed.moto.count_calls("ec2", "DescribeTags").await, 1);
}

#[tokio::test]
async fn tags_in_the_answer_need_no_describe_tags() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed
        .run_instance(&[("watchkeeper:threshold:disk-space-critical", "95")])
        .await;

    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    assert_eq!(bed.moto.count_calls("ec2", "DescribeTags").await, 0);
}

/// Hub mode (issue 14): a member account of the organization, its region,
/// and the hub settings the template sets.
const MEMBER: &str = "222222222222";
const MEMBER_REGION: &str = "ap-southeast-2";
const HUB: &[(&str, &str)] = &[
    ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
    ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
];

/// `sample` as the hub's bus delivers it from the member account.
fn from_member(sample: &str, instance_id: &str) -> Value {
    let mut event = with_detail(load(sample), "instance-id", instance_id);
    event["account"] = json!(MEMBER);
    event["region"] = json!(MEMBER_REGION);
    event
}

#[tokio::test]
async fn in_hub_mode_a_member_accounts_instance_gets_its_alarms_there_and_the_hub_none() {
    let bed = Bed::start().await;
    let member = testbed::iam::member_account(&bed.sdk, MEMBER, MEMBER_REGION).await;
    let instance_id = testbed::ec2::run_instance(&member, &[]).await;
    let app = bed.app::<App>(HUB).await;
    let assumed_before = bed.moto.count_calls("sts", "AssumeRole").await;

    let report = handle(
        &app,
        &from_member("ec2-instance-running.json", &instance_id),
    )
    .await
    .expect("the member's event is handled");
    let Report::Reconciled { outcome, .. } = &report else {
        panic!("expected alarms, got {report:?}");
    };
    assert_eq!(outcome.alarms_put.len(), 2, "{report:?}");
    let prefix = format!("watchkeeper-{instance_id}-");
    let mut put = outcome.alarms_put.clone();
    put.sort();
    assert_eq!(testbed::ec2::alarm_names(&member, &prefix).await, put);
    assert!(
        testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-")
            .await
            .is_empty(),
        "nothing is created in the hub account"
    );

    // Warm: the same member's next event assumes nothing again.
    let report = handle(
        &app,
        &from_member("ec2-instance-terminated.json", &instance_id),
    )
    .await
    .expect("the member's second event is handled");
    assert!(matches!(report, Report::Reconciled { .. }), "{report:?}");
    assert!(testbed::ec2::alarm_names(&member, &prefix).await.is_empty());
    assert_eq!(
        bed.moto.count_calls("sts", "AssumeRole").await - assumed_before,
        1,
        "one AssumeRole per member account per warm function"
    );
}

#[tokio::test]
async fn in_hub_mode_a_spoke_role_that_cannot_be_assumed_fails_naming_account_and_role() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(HUB).await;
    bed.moto
        .inject_fault(testbed::Fault::new(
            "sts",
            "AssumeRole",
            testbed::FaultKind::Status500,
            5,
        ))
        .await;
    let error = handle(
        &app,
        &from_member("ec2-instance-running.json", "i-0abc1234def567890"),
    )
    .await
    .expect_err("no credentials for the member account");
    assert_eq!(error.kind(), ErrorKind::AwsError);
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "assuming the spoke role arn:aws:iam::{MEMBER}:role/watchkeeper-spoke in account {MEMBER} failed"
        )),
        "{message}"
    );
    assert!(
        testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-")
            .await
            .is_empty(),
        "nothing is done in the hub account instead"
    );
}

#[tokio::test]
async fn in_hub_mode_an_account_off_the_allow_list_is_skipped_with_no_aws_call() {
    let bed = Bed::start().await;
    let mut settings = HUB.to_vec();
    settings.push(("MEMBER_ACCOUNTS", "333333333333"));
    let app = bed.app::<App>(&settings).await;
    let calls_before = bed.moto.calls().await.len();
    let report = handle(
        &app,
        &from_member("ec2-instance-running.json", "i-0abc1234def567890"),
    )
    .await
    .expect("skipped, not failed");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["result"], "skipped");
    assert_eq!(json["code"], "not_a_member");
    assert!(json["reason"].as_str().unwrap().contains(MEMBER), "{json}");
    assert_eq!(
        bed.moto.calls().await.len(),
        calls_before,
        "no AWS call for an account the function does not act in"
    );
}

#[tokio::test]
async fn in_hub_mode_the_hub_accounts_own_events_use_its_own_credentials() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(HUB).await;
    let instance_id = bed.run_instance(&[]).await;
    let event = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        instance_id.as_str(),
    );
    let report = handle(&app, &event).await.expect("handled");
    assert!(matches!(report, Report::Reconciled { .. }), "{report:?}");
    assert_eq!(
        bed.alarm_names(&format!("watchkeeper-{instance_id}-"))
            .await
            .len(),
        2
    );
    assert_eq!(bed.moto.count_calls("sts", "AssumeRole").await, 0);
}

// --- Discovered dimensions, tag changes, the sweep, anomaly bands ---------

/// The CloudWatch agent's dimensions for an instance launched by
/// `testbed::ec2::run_instance`, and the disk's.
fn agent_disk_series(
    instance_id: &str,
    path: &str,
    device: &str,
    fstype: &str,
) -> Vec<(String, String)> {
    [
        ("InstanceId", instance_id),
        ("ImageId", "ami-0123456789abcdef0"),
        ("InstanceType", "t3.micro"),
        ("path", path),
        ("device", device),
        ("fstype", fstype),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// Publishes one data point of `CWAgent` `metric` with `dimensions`, as the
/// agent does.
async fn publish(bed: &Bed, metric: &str, dimensions: &[(String, String)]) {
    aws_sdk_cloudwatch::Client::new(&bed.sdk)
        .put_metric_data()
        .namespace("CWAgent")
        .metric_data(
            aws_sdk_cloudwatch::types::MetricDatum::builder()
                .metric_name(metric)
                .set_dimensions(Some(
                    dimensions
                        .iter()
                        .map(|(name, value)| {
                            aws_sdk_cloudwatch::types::Dimension::builder()
                                .name(name)
                                .value(value)
                                .build()
                        })
                        .collect(),
                ))
                .value(42.0)
                .unit(aws_sdk_cloudwatch::types::StandardUnit::Percent)
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
}

fn dimensions_of(alarm: &MetricAlarm) -> Vec<(String, String)> {
    let mut dimensions: Vec<(String, String)> = alarm
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    dimensions.sort();
    dimensions
}

/// `events/ec2-instance-tag-change.json` for `instance_id`, the keys
/// changed being `keys`, with its own event id.
fn tag_event(instance_id: &str, keys: &[&str]) -> Value {
    let mut event = event("ec2-instance-tag-change.json", instance_id);
    event["resources"] = json!([format!(
        "arn:aws:ec2:eu-west-1:123456789012:instance/{instance_id}"
    )]);
    event["detail"]["changed-tag-keys"] = json!(keys);
    event
        .as_object_mut()
        .map(|e| e["detail"].as_object_mut().map(|d| d.remove("instance-id")));
    event
}

/// `events/ec2-alarm-sweep-schedule.json` with its own event id.
fn sweep_event() -> Value {
    static SWEEPS: AtomicUsize = AtomicUsize::new(0);
    let mut event = load("ec2-alarm-sweep-schedule.json");
    let n = SWEEPS.fetch_add(1, Ordering::Relaxed);
    event["id"] = format!("sweep-{n}").into();
    event
}

async fn set_tags(bed: &Bed, instance_id: &str, tags: &[(&str, &str)]) {
    aws_sdk_ec2::Client::new(&bed.sdk)
        .create_tags()
        .resources(instance_id)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .expect("CreateTags");
}

async fn remove_tag(bed: &Bed, instance_id: &str, key: &str) {
    aws_sdk_ec2::Client::new(&bed.sdk)
        .delete_tags()
        .resources(instance_id)
        .tags(aws_sdk_ec2::types::Tag::builder().key(key).build())
        .send()
        .await
        .expect("DeleteTags");
}

async fn alarm_tags(bed: &Bed, alarm: &MetricAlarm) -> Vec<(String, String)> {
    let tags = aws_sdk_cloudwatch::Client::new(&bed.sdk)
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    tags
}

fn swept(report: Report) -> ec2_alarm_creator::sweep::SweepReport {
    match report {
        Report::Swept { sweep } => sweep,
        other => panic!("expected a sweep, got {other:?}"),
    }
}

#[tokio::test]
async fn agent_disk_alarms_are_one_per_mount_with_the_series_dimensions() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[("ALARM_DEFINITIONS", "cloudwatch-agent")])
        .await;
    let id = bed.run_instance(&[]).await;
    let other = bed.run_instance(&[]).await;
    // An AMI whose agent reports xvda1/ext4 (not the nvme0n1p1/xfs the
    // preset used to write), two mounts; another instance's series and a
    // series with one dimension more are not this instance's disks.
    publish(
        &bed,
        "disk_used_percent",
        &agent_disk_series(&id, "/", "xvda1", "ext4"),
    )
    .await;
    publish(
        &bed,
        "disk_used_percent",
        &agent_disk_series(&id, "/data", "xvdf", "ext4"),
    )
    .await;
    publish(
        &bed,
        "disk_used_percent",
        &agent_disk_series(&id, "/data", "xvdf", "ext4"),
    )
    .await;
    publish(
        &bed,
        "disk_used_percent",
        &agent_disk_series(&other, "/srv", "xvdg", "xfs"),
    )
    .await;
    let mut extra = agent_disk_series(&id, "/tmp", "tmpfs", "tmpfs");
    extra.push(("host".to_owned(), "ip-10-0-0-1".to_owned()));
    publish(&bed, "disk_used_percent", &extra).await;

    let report = handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let Report::Reconciled { outcome, .. } = report else {
        panic!("{report:?}")
    };
    assert!(outcome.deferred.is_empty(), "{outcome:?}");
    let prefix = format!("watchkeeper-{id}-");
    assert_eq!(
        bed.alarm_names(&prefix).await,
        vec![
            format!("{prefix}agent-disk-used-critical-data"),
            format!("{prefix}agent-disk-used-critical-root"),
            format!("{prefix}agent-disk-used-warning-data"),
            format!("{prefix}agent-disk-used-warning-root"),
            format!("{prefix}agent-memory-used-warning"),
        ]
    );
    let alarms = bed.alarms(&prefix).await;
    for (suffix, path, device) in [("root", "/", "xvda1"), ("data", "/data", "xvdf")] {
        let name = format!("{prefix}agent-disk-used-warning-{suffix}");
        let alarm = alarms
            .iter()
            .find(|a| a.alarm_name() == Some(name.as_str()))
            .unwrap();
        let mut expected = agent_disk_series(&id, path, device, "ext4");
        expected.sort();
        assert_eq!(dimensions_of(alarm), expected, "{name}");
        assert!(
            alarm
                .alarm_description()
                .unwrap()
                .contains(&format!("path={path}")),
            "{alarm:?}"
        );
    }
    // ListMetrics was asked for this instance's series only.
    assert_eq!(bed.moto.count_calls("monitoring", "ListMetrics").await, 1);
}

#[tokio::test]
async fn a_series_published_after_boot_is_picked_up_by_the_sweep() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[("ALARM_DEFINITIONS", "cloudwatch-agent")])
        .await;
    let id = bed.run_instance(&[]).await;
    let prefix = format!("watchkeeper-{id}-");

    // The agent has not published yet: the disk alarms wait.
    let report = handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    let Report::Reconciled { outcome, .. } = report else {
        panic!("{report:?}")
    };
    assert_eq!(
        outcome.deferred,
        vec!["agent-disk-used-warning", "agent-disk-used-critical"]
    );
    assert_eq!(
        bed.alarm_names(&prefix).await,
        vec![format!("{prefix}agent-memory-used-warning")]
    );
    let first = swept(handle(&app, &sweep_event()).await.unwrap());
    assert_eq!(
        first.deferred,
        vec![
            format!("{id}: agent-disk-used-warning"),
            format!("{id}: agent-disk-used-critical")
        ]
    );
    assert!(first.alarms_put.is_empty(), "{first:?}");

    // Minutes later the agent publishes; the next sweep makes the alarms.
    publish(
        &bed,
        "disk_used_percent",
        &agent_disk_series(&id, "/", "nvme0n1p1", "xfs"),
    )
    .await;
    let second = swept(handle(&app, &sweep_event()).await.unwrap());

    assert_eq!(
        second.alarms_put,
        vec![
            format!("{prefix}agent-disk-used-warning-root"),
            format!("{prefix}agent-disk-used-critical-root"),
        ]
    );
    assert!(second.deferred.is_empty());
    assert!(second.alarms_deleted.is_empty());
    assert_eq!(bed.alarm_names(&prefix).await.len(), 3);
}

#[tokio::test]
async fn tag_changes_add_update_and_remove_alarms_without_a_state_change() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-in"),
            ("TAG_FILTER", "watchkeeper:alarms=on"),
            ("PROPAGATE_TAG_KEYS", "Team"),
        ])
        .await;
    let id = bed.run_instance(&[("Team", "payments")]).await;
    let prefix = format!("watchkeeper-{id}-");
    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    assert!(bed.alarm_names(&prefix).await.is_empty());

    // Opted in while running: alarms at once, with the Name and the team.
    set_tags(
        &bed,
        &id,
        &[("watchkeeper:alarms", "on"), ("Name", "web-1")],
    )
    .await;
    let report = handle(&app, &tag_event(&id, &["watchkeeper:alarms", "Name"]))
        .await
        .unwrap();
    assert!(matches!(report, Report::Reconciled { .. }), "{report:?}");
    let alarms = bed.alarms(&prefix).await;
    assert_eq!(alarms.len(), 2);
    assert!(
        alarms[0]
            .alarm_description()
            .unwrap()
            .contains(&format!("on {id} (web-1)")),
        "{:?}",
        alarms[0].alarm_description()
    );
    assert!(
        alarm_tags(&bed, &alarms[0])
            .await
            .contains(&("Team".to_owned(), "payments".to_owned()))
    );

    // A threshold, a new name and a new team: the alarms are updated.
    set_tags(
        &bed,
        &id,
        &[
            ("watchkeeper:threshold:disk-space-critical", "95"),
            ("Name", "web-2"),
            ("Team", "checkout"),
        ],
    )
    .await;
    handle(
        &app,
        &tag_event(
            &id,
            &["watchkeeper:threshold:disk-space-critical", "Name", "Team"],
        ),
    )
    .await
    .unwrap();
    let alarms = bed.alarms(&prefix).await;
    let critical = alarms
        .iter()
        .find(|a| a.alarm_name() == Some(format!("{prefix}disk-space-critical").as_str()))
        .unwrap();
    assert_eq!(critical.threshold(), Some(95.0));
    assert!(critical.alarm_description().unwrap().contains("(web-2)"));
    assert!(
        alarm_tags(&bed, critical)
            .await
            .contains(&("Team".to_owned(), "checkout".to_owned()))
    );

    // The team tag removed: so is the alarms'.
    remove_tag(&bed, &id, "Team").await;
    handle(&app, &tag_event(&id, &["Team"])).await.unwrap();
    let critical = bed.alarms(&format!("{prefix}disk-space-critical")).await;
    assert!(
        !alarm_tags(&bed, &critical[0])
            .await
            .iter()
            .any(|(key, _)| key == "Team")
    );

    // A tag no alarm reads: nothing to do, no AWS call.
    let calls = bed.moto.calls().await.len();
    let skipped = handle(&app, &tag_event(&id, &["CostCenter"]))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&skipped).unwrap()["code"],
        "tags_not_used"
    );
    assert_eq!(bed.moto.calls().await.len(), calls);

    // Opted out again: the alarms go.
    remove_tag(&bed, &id, "watchkeeper:alarms").await;
    let report = handle(&app, &tag_event(&id, &["watchkeeper:alarms"]))
        .await
        .unwrap();
    let Report::Reconciled {
        outcome, reason, ..
    } = report
    else {
        panic!("{report:?}")
    };
    assert_eq!(
        reason,
        "instance not selected by tag filter opt-in watchkeeper:alarms=on"
    );
    assert_eq!(outcome.alarms_deleted.len(), 2);
    assert!(bed.alarm_names(&prefix).await.is_empty());
}

#[tokio::test]
async fn a_late_tag_event_for_a_terminated_instance_does_nothing() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let id = bed.run_instance(&[]).await;
    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    let before = bed.alarm_names("watchkeeper-").await;
    bed.terminate(&id).await;

    let report = handle(&app, &tag_event(&id, &["Name"])).await.unwrap();

    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "result": "skipped",
            "code": "instance_not_running",
            "reason": format!("tag change on {id}, which is terminated: its alarms follow its state"),
        })
    );
    assert_eq!(bed.alarm_names("watchkeeper-").await, before);
    assert_eq!(
        bed.moto.count_calls("monitoring", "PutMetricAlarm").await,
        2
    );
    assert_eq!(bed.moto.count_calls("monitoring", "DeleteAlarms").await, 0);
}

#[tokio::test]
async fn tag_events_on_other_resources_or_without_an_instance_arn_are_refused_or_skipped() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let mut volume = tag_event("i-0abcd1234ef567890", &["Name"]);
    volume["detail"]["resource-type"] = "volume".into();
    let report = handle(&app, &volume).await.unwrap();
    assert_eq!(
        serde_json::to_value(&report).unwrap()["code"],
        "not_an_instance"
    );

    let mut no_arn = tag_event("i-0abcd1234ef567890", &["Name"]);
    no_arn["resources"] = json!([]);
    let error = handle(&app, &no_arn).await.unwrap_err();
    assert!(matches!(error, HandlerError::BadEvent(_)), "{error}");
    assert!(error.to_string().contains("resources[0]"), "{error}");
}

#[tokio::test]
async fn the_sweep_removes_alarms_of_vanished_instances_and_makes_missing_ones() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    // Alarms made; then the instance terminated while its events were lost.
    let vanished = bed.run_instance(&[]).await;
    handle(&app, &event("ec2-instance-running.json", &vanished))
        .await
        .unwrap();
    bed.terminate(&vanished).await;
    // An instance launched while the function was failing: no alarms.
    let launched = bed.run_instance(&[]).await;
    // Alarms of an instance EC2 no longer lists at all.
    let gone = "i-0123456789abcdef0";
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&bed.sdk);
    cloudwatch
        .put_metric_alarm()
        .alarm_name(format!("watchkeeper-{gone}-disk-space-warning"))
        .metric_name("DiskSpaceUtilization")
        .namespace("System/Linux")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(2)
        .threshold(60.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .send()
        .await
        .unwrap();

    let report = swept(handle(&app, &sweep_event()).await.unwrap());

    assert_eq!(report.instances, 1);
    assert_eq!(
        report.alarms_put,
        vec![
            format!("watchkeeper-{launched}-disk-space-warning"),
            format!("watchkeeper-{launched}-disk-space-critical"),
        ]
    );
    let mut deleted = report.alarms_deleted.clone();
    deleted.sort();
    assert_eq!(
        deleted,
        vec![
            format!("watchkeeper-{gone}-disk-space-warning"),
            format!("watchkeeper-{vanished}-disk-space-critical"),
            format!("watchkeeper-{vanished}-disk-space-warning"),
        ]
    );
    assert_eq!(
        bed.alarm_names("watchkeeper-").await,
        vec![
            format!("watchkeeper-{launched}-disk-space-critical"),
            format!("watchkeeper-{launched}-disk-space-warning"),
        ]
    );
    // Again: nothing left to do.
    let again = swept(handle(&app, &sweep_event()).await.unwrap());
    assert!(
        again.alarms_put.is_empty() && again.alarms_deleted.is_empty(),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_sweep_fixes_drifted_alarms_and_follows_the_opt_in_filter() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[
            ("TAG_FILTER_MODE", "opt-in"),
            ("TAG_FILTER", "watchkeeper:alarms"),
        ])
        .await;
    let selected = bed.run_instance(&[("watchkeeper:alarms", "")]).await;
    let dropped = bed.run_instance(&[("watchkeeper:alarms", "")]).await;
    handle(&app, &event("ec2-instance-running.json", &selected))
        .await
        .unwrap();
    handle(&app, &event("ec2-instance-running.json", &dropped))
        .await
        .unwrap();
    // Someone edits an alarm by hand; another instance loses its opt-in
    // tag while the tag event is lost.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&bed.sdk);
    cloudwatch
        .put_metric_alarm()
        .alarm_name(format!("watchkeeper-{selected}-disk-space-warning"))
        .metric_name("DiskSpaceUtilization")
        .namespace("System/Linux")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(2)
        .threshold(99.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .send()
        .await
        .unwrap();
    remove_tag(&bed, &dropped, "watchkeeper:alarms").await;

    let report = swept(handle(&app, &sweep_event()).await.unwrap());

    assert_eq!(report.instances, 1);
    assert_eq!(
        report.alarms_put,
        vec![format!("watchkeeper-{selected}-disk-space-warning")]
    );
    assert_eq!(report.alarms_deleted.len(), 2, "{report:?}");
    let warning = bed
        .alarms(&format!("watchkeeper-{selected}-disk-space-warning"))
        .await;
    assert_eq!(warning[0].threshold(), Some(60.0));
    assert!(
        bed.alarm_names(&format!("watchkeeper-{dropped}-"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_sweep_over_1000_instances_makes_a_bounded_number_of_calls() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let launched = aws_sdk_ec2::Client::new(&bed.sdk)
        .run_instances()
        .image_id("ami-0123456789abcdef0")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1000)
        .max_count(1000)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Team")
                        .value("fleet")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(launched.instances().len(), 1000);
    let counts = async || {
        let calls = bed.moto.calls().await;
        let count = |service: &str, action: &str| {
            calls
                .iter()
                .filter(|call| call.service == service && call.action == action)
                .count()
        };
        [
            count("ec2", "DescribeInstances"),
            count("ec2", "DescribeTags"),
            count("monitoring", "DescribeAlarms"),
            count("monitoring", "ListMetrics"),
            count("monitoring", "PutMetricAlarm"),
            count("monitoring", "DeleteAlarms"),
        ]
    };
    let before = counts().await;

    let first = swept(handle(&app, &sweep_event()).await.unwrap());
    assert_eq!(first.instances, 1000);
    assert_eq!(first.alarms_put.len(), 2000);
    let after_first = counts().await;
    // DescribeInstances 1 (one page of 1,000), DescribeTags 0 (every
    // instance listed with its tags), DescribeAlarms 1 (moto answers in one
    // page), ListMetrics 0 (no discovered dimensions), PutMetricAlarm one
    // per alarm, DeleteAlarms 0.
    let delta: Vec<usize> = after_first.iter().zip(before).map(|(a, b)| a - b).collect();
    assert_eq!(delta, vec![1, 0, 1, 0, 2000, 0]);

    // 150 alarms of instances that no longer exist, and one drifted alarm.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&bed.sdk);
    for n in 0..150 {
        cloudwatch
            .put_metric_alarm()
            .alarm_name(format!("watchkeeper-i-{n:017x}-disk-space-warning"))
            .metric_name("DiskSpaceUtilization")
            .namespace("System/Linux")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(2)
            .threshold(60.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
            )
            .send()
            .await
            .unwrap();
    }
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&first.alarms_put[0])
        .metric_name("DiskSpaceUtilization")
        .namespace("System/Linux")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(2)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .send()
        .await
        .unwrap();
    let before = counts().await;

    let second = swept(handle(&app, &sweep_event()).await.unwrap());

    assert_eq!(second.alarms_put, vec![first.alarms_put[0].clone()]);
    assert_eq!(second.alarms_deleted.len(), 150);
    let delta: Vec<usize> = counts()
        .await
        .iter()
        .zip(before)
        .map(|(a, b)| a - b)
        .collect();
    // DescribeInstances 2: the listing, and one check of the 150 ids (up
    // to 200 a call); DeleteAlarms 2 (100 + 50); one put for the drift.
    assert_eq!(delta, vec![2, 0, 1, 0, 1, 2]);
}

#[tokio::test]
async fn anomaly_band_alarms_are_metric_math_on_the_band() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[("ALARM_DEFINITIONS", "cpu-anomaly")])
        .await;
    let id = bed
        .run_instance(&[("watchkeeper:threshold:cpu-anomaly", "3")])
        .await;

    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();

    let alarms = bed.alarms(&format!("watchkeeper-{id}-")).await;
    assert_eq!(alarms.len(), 1);
    let alarm = &alarms[0];
    assert_eq!(
        alarm.alarm_name(),
        Some(format!("watchkeeper-{id}-cpu-anomaly").as_str())
    );
    assert_eq!(
        alarm.comparison_operator().map(|c| c.as_str()),
        Some("GreaterThanUpperThreshold")
    );
    assert_eq!(alarm.threshold_metric_id(), Some("ad1"));
    assert_eq!(alarm.metric_name(), None);
    let band = alarm
        .metrics()
        .iter()
        .find(|q| q.id() == Some("ad1"))
        .unwrap();
    // The band width from the instance's threshold tag.
    assert_eq!(band.expression(), Some("ANOMALY_DETECTION_BAND(m1, 3)"));
    let watched = alarm
        .metrics()
        .iter()
        .find(|q| q.id() == Some("m1"))
        .and_then(|q| q.metric_stat())
        .unwrap();
    assert_eq!(
        watched.metric().and_then(|m| m.metric_name()),
        Some("CPUUtilization")
    );
    assert_eq!(
        watched.metric().and_then(|m| m.namespace()),
        Some("AWS/EC2")
    );
    assert_eq!(watched.period(), Some(300));
    assert_eq!(watched.stat(), Some("Average"));
    assert_eq!(
        dimensions_of_metric(watched.metric().unwrap()),
        vec![("InstanceId".to_owned(), id.clone())]
    );

    // The sweep reads it back as it was put: nothing drifted.
    let report = swept(handle(&app, &sweep_event()).await.unwrap());
    assert!(report.alarms_put.is_empty(), "{report:?}");
}

fn dimensions_of_metric(metric: &aws_sdk_cloudwatch::types::Metric) -> Vec<(String, String)> {
    metric
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_sweep_failure_for_one_instance_does_not_stop_the_others_and_fails_at_the_end() {
    let bed = Bed::start().await;
    let app = bed.app::<App>(&[]).await;
    let first = bed.run_instance(&[]).await;
    let second = bed.run_instance(&[]).await;
    bed.moto
        .inject_fault(testbed::Fault::new(
            "monitoring",
            "PutMetricAlarm",
            testbed::FaultKind::Status500,
            // The SDK's three attempts of one call.
            3,
        ))
        .await;

    let error = handle(&app, &sweep_event()).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::AwsError);
    assert!(
        error.to_string().starts_with("the sweep failed for 1 instance(s) or batch(es): CloudWatch PutMetricAlarm for alarm watchkeeper-"),
        "{error}"
    );
    // Three of the four alarms were put all the same.
    let names = bed.alarm_names("watchkeeper-").await;
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().any(|n| n.contains(&first)) && names.iter().any(|n| n.contains(&second)));
}

#[tokio::test]
async fn in_hub_mode_a_member_accounts_tag_change_acts_there_and_the_sweep_stays_home() {
    let bed = Bed::start().await;
    let member = testbed::iam::member_account(&bed.sdk, MEMBER, MEMBER_REGION).await;
    let instance_id = testbed::ec2::run_instance(&member, &[]).await;
    let app = bed
        .app::<App>(&[
            HUB[0],
            HUB[1],
            ("TAG_FILTER_MODE", "opt-in"),
            ("TAG_FILTER", "watchkeeper:alarms=on"),
        ])
        .await;
    aws_sdk_ec2::Client::new(&member)
        .create_tags()
        .resources(&instance_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("watchkeeper:alarms")
                .value("on")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut tag_change = tag_event(&instance_id, &["watchkeeper:alarms"]);
    tag_change["account"] = json!(MEMBER);
    tag_change["region"] = json!(MEMBER_REGION);
    tag_change["resources"] = json!([format!(
        "arn:aws:ec2:{MEMBER_REGION}:{MEMBER}:instance/{instance_id}"
    )]);

    let report = handle(&app, &tag_change).await.unwrap();

    assert!(matches!(report, Report::Reconciled { .. }), "{report:?}");
    let prefix = format!("watchkeeper-{instance_id}-");
    assert_eq!(testbed::ec2::alarm_names(&member, &prefix).await.len(), 2);
    assert!(
        testbed::ec2::alarm_names(&bed.sdk, "watchkeeper-")
            .await
            .is_empty()
    );

    // The sweep covers the hub's own account only: a schedule event of a
    // member account is skipped, and the hub's sweep leaves the member's
    // alarms alone.
    let mut member_sweep = sweep_event();
    member_sweep["account"] = json!(MEMBER);
    let skipped = handle(&app, &member_sweep).await.unwrap();
    assert_eq!(
        serde_json::to_value(&skipped).unwrap()["code"],
        "other_account"
    );
    let home = swept(handle(&app, &sweep_event()).await.unwrap());
    assert_eq!(home.instances, 0);
    assert_eq!(testbed::ec2::alarm_names(&member, &prefix).await.len(), 2);
}

#[test]
fn propagated_tag_keys_are_checked_at_cold_start() {
    let settings = ec2_alarm_creator::config::Settings::from_env(testbed::offline_env(&[(
        "PROPAGATE_TAG_KEYS",
        " Team , CostCenter,,",
    )]))
    .unwrap();
    assert_eq!(settings.propagate_tag_keys, vec!["Team", "CostCenter"]);
    let error = ec2_alarm_creator::config::Settings::from_env(testbed::offline_env(&[(
        "PROPAGATE_TAG_KEYS",
        "aws:cloudformation:stack-name",
    )]))
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("PROPAGATE_TAG_KEYS names \"aws:cloudformation:stack-name\": tag keys starting with aws: are reserved"),
        "{error}"
    );
    let many: Vec<String> = (0..49).map(|n| format!("k{n}")).collect();
    let error = ec2_alarm_creator::config::Settings::from_env(testbed::offline_env(&[(
        "PROPAGATE_TAG_KEYS",
        &many.join(","),
    )]))
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("PROPAGATE_TAG_KEYS names 49 keys"),
        "{error}"
    );
}

#[tokio::test]
async fn with_the_name_in_alarm_names_a_rename_replaces_the_alarms() {
    let bed = Bed::start().await;
    let app = bed
        .app::<App>(&[("ALARM_NAME_INCLUDES_INSTANCE_NAME", "true")])
        .await;
    let id = bed.run_instance(&[("Name", "web-1")]).await;
    handle(&app, &event("ec2-instance-running.json", &id))
        .await
        .unwrap();
    let prefix = format!("watchkeeper-{id}-");
    assert_eq!(
        bed.alarm_names(&prefix).await,
        vec![
            format!("{prefix}disk-space-critical (web-1)"),
            format!("{prefix}disk-space-warning (web-1)"),
        ]
    );

    set_tags(&bed, &id, &[("Name", "web-2")]).await;
    let report = handle(&app, &tag_event(&id, &["Name"])).await.unwrap();

    let Report::Reconciled { outcome, .. } = report else {
        panic!("{report:?}")
    };
    assert_eq!(outcome.alarms_deleted.len(), 2);
    assert_eq!(
        bed.alarm_names(&prefix).await,
        vec![
            format!("{prefix}disk-space-critical (web-2)"),
            format!("{prefix}disk-space-warning (web-2)"),
        ]
    );
    // The sweep sees them as they should be.
    let swept = swept(handle(&app, &sweep_event()).await.unwrap());
    assert!(
        swept.alarms_put.is_empty() && swept.alarms_deleted.is_empty(),
        "{swept:?}"
    );
}
