//! Business metrics end to end: real handlers on sample events against
//! moto, run as `runtime::serve` runs each invocation, with the EMF lines
//! captured instead of written to stdout and read back as CloudWatch Logs
//! would read them.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use testbed::Bed;
use testbed::events::{load, with_detail};
use watchkeeper_shared::function::Function;
use watchkeeper_shared::runtime::invoke;

/// One metric value as an EMF line declares it: the metric, its extra
/// dimension (`Severity` or `Reason`) if any, and the value.
#[derive(Debug, PartialEq)]
struct Emitted {
    metric: String,
    dimension: Option<(String, String)>,
    value: u64,
}

fn emitted(metric: &str, dimension: Option<(&str, &str)>, value: u64) -> Emitted {
    Emitted {
        metric: metric.to_owned(),
        dimension: dimension.map(|(name, value)| (name.to_owned(), value.to_owned())),
        value,
    }
}

/// Reads EMF lines as CloudWatch Logs does: every line a JSON object whose
/// `_aws` declares the namespace, the dimension sets and the metrics, with
/// the values at the top level.
fn read_emf(function: &str, output: &[u8]) -> Vec<Emitted> {
    let text = std::str::from_utf8(output).expect("UTF-8 output");
    let mut found = Vec::new();
    for line in text.lines() {
        let document: Value = serde_json::from_str(line).expect("each line is JSON");
        let aws = &document["_aws"];
        assert!(aws["Timestamp"].as_u64().is_some(), "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
        assert_eq!(directives.len(), 1, "{line}");
        let directive = &directives[0];
        assert_eq!(directive["Namespace"], "Watchkeeper", "{line}");
        let dimension_sets = directive["Dimensions"].as_array().expect("dimension sets");
        assert_eq!(dimension_sets.len(), 1, "{line}");
        let names: Vec<&str> = dimension_sets[0]
            .as_array()
            .expect("dimension names")
            .iter()
            .map(|name| name.as_str().expect("a dimension name"))
            .collect();
        assert_eq!(names[0], "Function", "{line}");
        assert_eq!(document["Function"], function, "{line}");
        assert!(names.len() <= 2, "at most one extra dimension: {line}");
        let dimension = names.get(1).map(|name| {
            let value = document[*name].as_str().expect("a dimension value");
            ((*name).to_owned(), value.to_owned())
        });
        for metric in directive["Metrics"].as_array().expect("metrics") {
            assert_eq!(metric["Unit"], "Count", "{line}");
            let name = metric["Name"].as_str().expect("a metric name");
            found.push(Emitted {
                metric: name.to_owned(),
                dimension: dimension.clone(),
                value: document[name].as_u64().expect("a count"),
            });
        }
    }
    found
}

/// Runs one invocation as Lambda would and returns the metrics it emitted.
async fn metrics_of<F: Function>(app: &F, event: &Value) -> Vec<Emitted> {
    let mut output = Vec::new();
    let deadline = SystemTime::now() + Duration::from_secs(60);
    if let Err(error) = invoke(app, event, deadline, &mut output).await {
        panic!(
            "{} failed: {}: {}",
            F::NAME,
            error.error_type,
            error.error_message
        );
    }
    read_emf(F::NAME, &output)
}

#[tokio::test]
async fn ec2_alarm_creator_counts_alarms_duplicates_and_skips() {
    let bed = Bed::start().await;
    let app: ec2_alarm_creator::App = bed.app(&[]).await;
    let instance_id = testbed::ec2::run_instance(&bed.sdk, &[]).await;
    let running = with_detail(
        load("ec2-instance-running.json"),
        "instance-id",
        instance_id.as_str(),
    );

    // The default alarm set is the disk-space pair.
    assert_eq!(
        metrics_of(&app, &running).await,
        vec![emitted("AlarmsCreated", None, 2)]
    );
    assert_eq!(
        metrics_of(&app, &running).await,
        vec![emitted("DuplicatesSuppressed", None, 1)]
    );
    let terminated = with_detail(
        load("ec2-instance-terminated.json"),
        "instance-id",
        instance_id.as_str(),
    );
    assert_eq!(
        metrics_of(&app, &terminated).await,
        vec![emitted("AlarmsDeleted", None, 2)]
    );
    assert_eq!(
        metrics_of(&app, &load("ec2-instance-pending.json")).await,
        vec![emitted(
            "EventsSkipped",
            Some(("Reason", "state_needs_no_change")),
            1
        )]
    );
}

#[tokio::test]
async fn notifiers_count_notifications_by_severity_duplicates_and_skips() {
    let bed = Bed::start().await;

    let ami: ami_permission_notifier::App = bed.app(&[]).await;
    let public = load("ami-public.json");
    assert_eq!(
        metrics_of(&ami, &public).await,
        vec![emitted(
            "NotificationsSent",
            Some(("Severity", "critical")),
            1
        )]
    );
    assert_eq!(
        metrics_of(&ami, &public).await,
        vec![emitted("DuplicatesSuppressed", None, 1)]
    );
    assert_eq!(
        bed.moto.published().await.len(),
        1,
        "one notification for two deliveries"
    );

    let health: health_event_forwarder::App = bed.app(&[("MINIMUM_SEVERITY", "warning")]).await;
    assert_eq!(
        metrics_of(&health, &load("health-account-issue.json")).await,
        vec![emitted(
            "NotificationsSent",
            Some(("Severity", "critical")),
            1
        )]
    );
    assert_eq!(
        metrics_of(&health, &load("health-account-notification.json")).await,
        vec![emitted(
            "EventsSkipped",
            Some(("Reason", "below_minimum_severity")),
            1
        )]
    );

    let emr: idle_emr_terminator::App = bed.app(&[]).await;
    assert_eq!(
        metrics_of(&emr, &load("emr-idle-alarm-ok.json")).await,
        vec![emitted(
            "EventsSkipped",
            Some(("Reason", "alarm_not_actionable")),
            1
        )]
    );
}
