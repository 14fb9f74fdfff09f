//! Business metrics, written as CloudWatch Embedded Metric Format (EMF) log
//! lines: alarms created and deleted, notifications sent by severity, EMR
//! clusters terminated or spared, events skipped by reason and duplicates
//! suppressed.
//!
//! Each function derives its counts from its invocation report with a pure
//! function ([`ReportMetrics`]); `runtime::serve` writes them to stdout after
//! every successful invocation. CloudWatch Logs turns the lines into metrics,
//! so the hot path makes no `PutMetricData` call and needs no permission
//! beyond writing logs. Failed invocations add nothing: Lambda's own
//! `Errors` metric counts them.
//!
//! Why this works although the template sets `LoggingConfig: LogFormat: JSON`:
//! - "Lambda automatically sends everything that your function writes to
//!   standard output (STDOUT) to a CloudWatch Logs log group, and CloudWatch
//!   Logs extracts metrics from any log events that follow the embedded
//!   metric format specification" (CloudWatch user guide, "Using the embedded
//!   metric format with Lambda",
//!   <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html>).
//! - With the JSON log format, Lambda structures application logs itself only
//!   for the managed runtimes' built-in loggers (Java, .NET, Node.js, Python;
//!   Rust is listed as not applicable), and "Lambda doesn't double-encode any
//!   logs that are already JSON encoded" (Lambda developer guide,
//!   "Configuring JSON and plain text log formats",
//!   <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html>).
//!   A one-line JSON object on stdout from this custom runtime therefore
//!   reaches the log group as it is, and EMF extraction sees it. The
//!   Node.js-only caveat on that page (old EMF libraries lose metrics) comes
//!   from `console.log` wrapping the text, which does not happen here.
//! - Log-level filtering: for custom runtimes Lambda reads the level from a
//!   `"level"` key and treats a line without one as INFO (Lambda developer
//!   guide, "Log-level filtering",
//!   <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html>).
//!   EMF lines carry no level, so they pass at the default `LogLevel` INFO
//!   (and DEBUG, TRACE) but are dropped, with the INFO logs, at WARN or ERROR.
//!
//! Cost: every distinct combination of metric name and dimension values is
//! one custom metric, billed for the hours it receives data. So every
//! dimension value is a `&'static str` from a fixed set in the code (a
//! function's name, a severity, a reason code), never text from an event, and
//! a zero count is not written at all.

use serde_json::{Map, Value, json};

use crate::Severity;

/// The CloudWatch namespace of every Watchkeeper business metric.
pub const NAMESPACE: &str = "Watchkeeper";
/// The dimension every metric has: the function's name, e.g.
/// `ec2-alarm-creator`.
pub const FUNCTION_DIMENSION: &str = "Function";

/// The business metrics, all counts. A closed set, so the dashboard and
/// docs/reliability.md can list them and the number of custom metrics stays
/// bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    AlarmsCreated,
    AlarmsDeleted,
    NotificationsSent,
    EventsSkipped,
    DuplicatesSuppressed,
    ClustersTerminated,
    StacksDeleted,
    ClustersSpared,
}

impl Metric {
    pub const ALL: [Self; 8] = [
        Self::AlarmsCreated,
        Self::AlarmsDeleted,
        Self::NotificationsSent,
        Self::EventsSkipped,
        Self::DuplicatesSuppressed,
        Self::ClustersTerminated,
        Self::StacksDeleted,
        Self::ClustersSpared,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::AlarmsCreated => "AlarmsCreated",
            Self::AlarmsDeleted => "AlarmsDeleted",
            Self::NotificationsSent => "NotificationsSent",
            Self::EventsSkipped => "EventsSkipped",
            Self::DuplicatesSuppressed => "DuplicatesSuppressed",
            Self::ClustersTerminated => "ClustersTerminated",
            Self::StacksDeleted => "StacksDeleted",
            Self::ClustersSpared => "ClustersSpared",
        }
    }
}

/// The one dimension a metric may have besides `Function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Severity(Severity),
    /// A reason code from a fixed set in the emitting function's code,
    /// e.g. `irrelevant_event`.
    Reason(&'static str),
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Self::Severity(_) => "Severity",
            Self::Reason(_) => "Reason",
        }
    }

    pub fn value(self) -> &'static str {
        match self {
            Self::Severity(severity) => severity.as_str(),
            Self::Reason(code) => code,
        }
    }
}

/// One metric value of one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub metric: Metric,
    pub dimension: Option<Dimension>,
    pub value: u64,
}

impl Count {
    fn new(metric: Metric, dimension: Option<Dimension>, value: usize) -> Self {
        Self {
            metric,
            dimension,
            value: u64::try_from(value).unwrap_or(u64::MAX),
        }
    }

    pub fn alarms_created(alarms: usize) -> Self {
        Self::new(Metric::AlarmsCreated, None, alarms)
    }

    pub fn alarms_deleted(alarms: usize) -> Self {
        Self::new(Metric::AlarmsDeleted, None, alarms)
    }

    pub fn notification_sent(severity: Severity) -> Self {
        Self::new(
            Metric::NotificationsSent,
            Some(Dimension::Severity(severity)),
            1,
        )
    }

    pub fn event_skipped(reason: &'static str) -> Self {
        Self::new(Metric::EventsSkipped, Some(Dimension::Reason(reason)), 1)
    }

    pub fn duplicate_suppressed() -> Self {
        Self::new(Metric::DuplicatesSuppressed, None, 1)
    }

    pub fn cluster_terminated() -> Self {
        Self::new(Metric::ClustersTerminated, None, 1)
    }

    pub fn stack_deleted() -> Self {
        Self::new(Metric::StacksDeleted, None, 1)
    }

    pub fn cluster_spared(reason: &'static str) -> Self {
        Self::new(Metric::ClustersSpared, Some(Dimension::Reason(reason)), 1)
    }
}

/// What an invocation's report counts, implemented by each function's
/// `Report`.
pub trait ReportMetrics {
    /// The report's counts; pure, so every report shape is unit tested.
    fn metrics(&self) -> Vec<Count>;
}

/// Sums the counts of the same metric and dimension, in the order each
/// first appears, and leaves out zeros: a metric that is never written is
/// never billed.
pub fn tally(counts: impl IntoIterator<Item = Count>) -> Vec<Count> {
    let mut totals: Vec<Count> = Vec::new();
    for count in counts {
        match totals
            .iter_mut()
            .find(|total| total.metric == count.metric && total.dimension == count.dimension)
        {
            Some(total) => total.value = total.value.saturating_add(count.value),
            None => totals.push(count),
        }
    }
    totals.retain(|total| total.value > 0);
    totals
}

/// The EMF documents for `counts`, one JSON line each: one per dimension set,
/// because an EMF document gives every metric it declares the same
/// dimensions. `timestamp_ms` is milliseconds since the epoch.
pub fn emf_lines(function: &str, counts: &[Count], timestamp_ms: u64) -> Vec<String> {
    let mut groups: Vec<(Option<Dimension>, Vec<Count>)> = Vec::new();
    for count in tally(counts.iter().copied()) {
        match groups
            .iter_mut()
            .find(|(dimension, _)| *dimension == count.dimension)
        {
            Some((_, members)) => members.push(count),
            None => groups.push((count.dimension, vec![count])),
        }
    }
    groups
        .into_iter()
        .map(|(dimension, members)| {
            let mut document = Map::new();
            let mut dimension_names = vec![FUNCTION_DIMENSION];
            document.insert(FUNCTION_DIMENSION.to_owned(), json!(function));
            if let Some(dimension) = dimension {
                dimension_names.push(dimension.name());
                document.insert(dimension.name().to_owned(), json!(dimension.value()));
            }
            let declared: Vec<Value> = members
                .iter()
                .map(|count| json!({"Name": count.metric.name(), "Unit": "Count"}))
                .collect();
            for count in &members {
                document.insert(count.metric.name().to_owned(), json!(count.value));
            }
            document.insert(
                "_aws".to_owned(),
                json!({
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [dimension_names],
                        "Metrics": declared,
                    }],
                }),
            );
            Value::Object(document).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_795_341_900_123;

    fn parse(line: &str) -> Value {
        assert!(!line.contains('\n'), "one line per document: {line}");
        serde_json::from_str(line).expect("each line is a JSON object")
    }

    #[test]
    fn a_document_declares_its_metrics_with_the_function_dimension() {
        let lines = emf_lines(
            "ec2-alarm-creator",
            &[Count::alarms_created(2), Count::alarms_deleted(1)],
            NOW_MS,
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(
            parse(&lines[0]),
            json!({
                "_aws": {
                    "Timestamp": NOW_MS,
                    "CloudWatchMetrics": [{
                        "Namespace": "Watchkeeper",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "AlarmsCreated", "Unit": "Count"},
                            {"Name": "AlarmsDeleted", "Unit": "Count"}
                        ]
                    }]
                },
                "Function": "ec2-alarm-creator",
                "AlarmsCreated": 2,
                "AlarmsDeleted": 1
            })
        );
    }

    #[test]
    fn each_dimension_value_gets_its_own_document() {
        let lines = emf_lines(
            "idle-emr-terminator",
            &[
                Count::cluster_spared("busy"),
                Count::notification_sent(Severity::Warning),
                Count::cluster_terminated(),
                Count::cluster_spared("busy"),
                Count::cluster_spared("no_data"),
                Count::duplicate_suppressed(),
            ],
            NOW_MS,
        );
        let documents: Vec<Value> = lines.iter().map(|line| parse(line)).collect();
        let summary: Vec<(Value, Value, Value)> = documents
            .iter()
            .map(|document| {
                let directive = &document["_aws"]["CloudWatchMetrics"][0];
                let names: Vec<Value> = directive["Metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|metric| metric["Name"].clone())
                    .collect();
                let values: Vec<Value> = names
                    .iter()
                    .map(|name| document[name.as_str().unwrap()].clone())
                    .collect();
                (directive["Dimensions"].clone(), json!(names), json!(values))
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    json!([["Function", "Reason"]]),
                    json!(["ClustersSpared"]),
                    json!([2])
                ),
                (
                    json!([["Function", "Severity"]]),
                    json!(["NotificationsSent"]),
                    json!([1])
                ),
                (
                    json!([["Function"]]),
                    json!(["ClustersTerminated", "DuplicatesSuppressed"]),
                    json!([1, 1])
                ),
                (
                    json!([["Function", "Reason"]]),
                    json!(["ClustersSpared"]),
                    json!([1])
                ),
            ]
        );
        assert_eq!(
            documents
                .iter()
                .map(|document| (
                    document["Function"].clone(),
                    document.get("Reason").cloned(),
                    document.get("Severity").cloned()
                ))
                .collect::<Vec<_>>(),
            vec![
                (json!("idle-emr-terminator"), Some(json!("busy")), None),
                (json!("idle-emr-terminator"), None, Some(json!("warning"))),
                (json!("idle-emr-terminator"), None, None),
                (json!("idle-emr-terminator"), Some(json!("no_data")), None),
            ]
        );
        for document in &documents {
            assert_eq!(document["_aws"]["Timestamp"], json!(NOW_MS));
            assert_eq!(
                document["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                json!("Watchkeeper")
            );
        }
    }

    #[test]
    fn zero_counts_and_empty_reports_write_nothing() {
        assert!(emf_lines("ec2-alarm-creator", &[], NOW_MS).is_empty());
        assert!(
            emf_lines(
                "ec2-alarm-creator",
                &[Count::alarms_created(0), Count::alarms_deleted(0)],
                NOW_MS
            )
            .is_empty()
        );
        assert_eq!(
            emf_lines(
                "ec2-alarm-creator",
                &[Count::alarms_created(0), Count::alarms_deleted(3)],
                NOW_MS
            )
            .len(),
            1
        );
    }

    #[test]
    fn tally_sums_alike_counts_in_first_seen_order() {
        assert_eq!(
            tally([
                Count::event_skipped("a"),
                Count::duplicate_suppressed(),
                Count::event_skipped("b"),
                Count::event_skipped("a"),
                Count::alarms_created(0),
            ]),
            vec![
                Count {
                    metric: Metric::EventsSkipped,
                    dimension: Some(Dimension::Reason("a")),
                    value: 2
                },
                Count::duplicate_suppressed(),
                Count::event_skipped("b"),
            ]
        );
    }

    #[test]
    fn metric_names_are_distinct_and_never_collide_with_dimension_names() {
        let names: std::collections::BTreeSet<&str> =
            Metric::ALL.iter().map(|metric| metric.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for dimension in [FUNCTION_DIMENSION, "Severity", "Reason", "_aws"] {
            assert!(!names.contains(dimension));
        }
    }
}
