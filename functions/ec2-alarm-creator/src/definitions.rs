//! The alarm-definition document: which alarms each instance gets, with
//! placeholders filled from the instance. Checked in full at init so a bad
//! document fails the deployment, not the first event.

use serde::Deserialize;
use std::collections::BTreeMap;

use watchkeeper_shared::Severity;

/// Placeholders a dimension value may use, filled from the instance.
pub const PLACEHOLDERS: [&str; 4] = [
    "{instance_id}",
    "{image_id}",
    "{instance_type}",
    "{autoscaling_group}",
];

const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const COMPARISONS: [&str; 4] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
/// The comparisons of an anomaly-band alarm: above the band, below it, or outside it.
pub const BAND_COMPARISONS: [&str; 3] = [
    "GreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
];
/// The dimension value that discovers any value of that dimension.
pub const DISCOVER_ANY: &str = "*";
/// The dimension whose value discovered alarms must fix, so that
/// `ListMetrics` finds the instance's own series.
pub const INSTANCE_ID_DIMENSION: &str = "InstanceId";
const MISSING_DATA_TREATMENTS: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];
/// Longest alarm id, so that prefix + instance id + id stays under CloudWatch's 255.
pub const MAX_ALARM_ID_CHARS: usize = 64;

/// Presets shipped with Watchkeeper, by name.
pub const PRESETS: [(&str, &str); 5] = [
    ("disk-space", include_str!("presets/disk-space.json")),
    (
        "cloudwatch-agent",
        include_str!("presets/cloudwatch-agent.json"),
    ),
    ("cpu", include_str!("presets/cpu.json")),
    ("status-check", include_str!("presets/status-check.json")),
    ("cpu-anomaly", include_str!("presets/cpu-anomaly.json")),
];

/// What a definition says about one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DimensionRule {
    /// A value, possibly with placeholders; `"*"` discovers any value.
    Value(String),
    /// Discovered, but only these values (e.g. the mount paths to watch).
    OneOf(Vec<String>),
}

impl DimensionRule {
    /// Whether the value is found from the instance's published series
    /// (`ListMetrics`) rather than written in the definition.
    pub fn is_discovered(&self) -> bool {
        match self {
            Self::Value(value) => value == DISCOVER_ANY,
            Self::OneOf(_) => true,
        }
    }

    /// Whether a discovered value is allowed by this rule.
    pub fn allows(&self, value: &str) -> bool {
        match self {
            Self::Value(template) => template == DISCOVER_ANY || template == value,
            Self::OneOf(values) => values.iter().any(|allowed| allowed == value),
        }
    }
}

/// One alarm to create for every selected instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmDefinition {
    pub id: String,
    pub metric: String,
    pub namespace: String,
    #[serde(default = "default_statistic")]
    pub statistic: String,
    #[serde(default = "default_period")]
    pub period: i32,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, DimensionRule>,
    #[serde(default = "default_evaluation_periods")]
    pub evaluation_periods: i32,
    #[serde(default)]
    pub datapoints_to_alarm: Option<i32>,
    #[serde(default = "default_comparison")]
    pub comparison: String,
    /// The static threshold; absent for an anomaly-band alarm.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The width of the anomaly band in standard deviations
    /// (`ANOMALY_DETECTION_BAND(m1, N)`), instead of a static threshold.
    #[serde(default)]
    pub anomaly_band: Option<f64>,
    #[serde(default = "default_missing_data")]
    pub treat_missing_data: String,
    pub severity: String,
    #[serde(default)]
    pub description: Option<String>,
}

fn default_statistic() -> String {
    "Average".to_owned()
}
fn default_period() -> i32 {
    300
}
fn default_evaluation_periods() -> i32 {
    2
}
fn default_comparison() -> String {
    "GreaterThanOrEqualToThreshold".to_owned()
}
fn default_missing_data() -> String {
    "missing".to_owned()
}

/// A document entry: a whole alarm, or the name of a preset to expand.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Preset(String),
    Alarm(Box<AlarmDefinition>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    List(Vec<serde_json::Value>),
    Wrapped { alarms: Vec<serde_json::Value> },
}

/// Why an alarm-definition document was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("alarm definitions from {origin} are invalid: {}", .problems.join("; "))]
pub struct DefinitionError {
    pub origin: String,
    pub problems: Vec<String>,
}

/// A checked, non-empty set of alarm definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSet {
    pub alarms: Vec<AlarmDefinition>,
}

impl AlarmSet {
    /// Reads either a JSON document (a list, or `{"alarms": [...]}`, whose
    /// entries are alarms or preset names) or a comma-separated list of
    /// preset names such as `disk-space,status-check`. `origin` names where
    /// the text came from in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self, DefinitionError> {
        let fail = |problem: String| DefinitionError {
            origin: origin.to_owned(),
            problems: vec![problem],
        };
        let trimmed = text.trim();
        let entries: Vec<serde_json::Value> = if trimmed.starts_with('[')
            || trimmed.starts_with('{')
        {
            match serde_json::from_str::<Document>(trimmed) {
                Ok(Document::List(entries)) | Ok(Document::Wrapped { alarms: entries }) => entries,
                Err(error) => {
                    return Err(fail(format!(
                        "not a list of alarms or {{\"alarms\": [...]}}: {error}"
                    )));
                }
            }
        } else {
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| serde_json::Value::String(name.to_owned()))
                .collect()
        };

        let mut alarms = Vec::new();
        let mut problems = Vec::new();
        for (index, entry) in entries.into_iter().enumerate() {
            match serde_json::from_value::<Entry>(entry.clone()) {
                Ok(Entry::Preset(name)) => match preset(&name) {
                    Some(preset_alarms) => alarms.extend(preset_alarms),
                    None => problems.push(format!(
                        "entry {index}: unknown preset {name:?} (known: {})",
                        PRESETS.map(|(known, _)| known).join(", ")
                    )),
                },
                Ok(Entry::Alarm(alarm)) => alarms.push(*alarm),
                Err(_) => {
                    // Parse again as an alarm alone for an error that names the field.
                    let error = serde_json::from_value::<AlarmDefinition>(entry)
                        .err()
                        .map(|error| error.to_string())
                        .unwrap_or_else(|| "not an alarm or a preset name".to_owned());
                    problems.push(format!("entry {index}: {error}"));
                }
            }
        }
        if alarms.is_empty() && problems.is_empty() {
            problems.push("no alarms defined".to_owned());
        }
        let mut seen = std::collections::BTreeSet::new();
        for alarm in &alarms {
            problems.extend(alarm.problems());
            if !seen.insert(alarm.id.as_str()) {
                problems.push(format!("alarm id {:?} is used twice", alarm.id));
            }
        }
        if problems.is_empty() {
            Ok(Self { alarms })
        } else {
            Err(DefinitionError {
                origin: origin.to_owned(),
                problems,
            })
        }
    }
}

fn preset(name: &str) -> Option<Vec<AlarmDefinition>> {
    let (_, text) = PRESETS.iter().find(|(known, _)| *known == name)?;
    // Presets are checked by the unit tests below; a broken one cannot ship.
    serde_json::from_str(text).ok()
}

impl AlarmDefinition {
    pub fn severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Warning)
    }

    /// The dimensions whose values are discovered from the instance's series.
    pub fn discovered_dimensions(&self) -> impl Iterator<Item = (&String, &DimensionRule)> {
        self.dimensions
            .iter()
            .filter(|(_, rule)| rule.is_discovered())
    }

    /// Whether this alarm is made once per matching published series.
    pub fn discovers(&self) -> bool {
        self.discovered_dimensions().next().is_some()
    }

    /// The static threshold, or the band width of an anomaly-band alarm:
    /// the number a threshold tag overrides.
    pub fn level(&self) -> f64 {
        self.anomaly_band.or(self.threshold).unwrap_or_default()
    }

    pub fn datapoints_to_alarm(&self) -> i32 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    fn problems(&self) -> Vec<String> {
        let id = &self.id;
        let mut problems = Vec::new();
        let mut check = |ok: bool, problem: String| {
            if !ok {
                problems.push(format!("alarm {id:?}: {problem}"));
            }
        };
        check(
            !id.is_empty()
                && id.len() <= MAX_ALARM_ID_CHARS
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            format!("id must be 1 to {MAX_ALARM_ID_CHARS} letters, digits, '-' or '_'"),
        );
        check(!self.metric.trim().is_empty(), "metric is empty".to_owned());
        check(
            !self.namespace.trim().is_empty(),
            "namespace is empty".to_owned(),
        );
        check(
            STATISTICS.contains(&self.statistic.as_str()),
            format!(
                "statistic {:?} is not one of {}",
                self.statistic,
                STATISTICS.join(", ")
            ),
        );
        check(
            [10, 20, 30].contains(&self.period) || (self.period >= 60 && self.period % 60 == 0),
            format!(
                "period {} must be 10, 20, 30 or a multiple of 60 seconds",
                self.period
            ),
        );
        check(
            self.evaluation_periods >= 1,
            format!(
                "evaluation_periods {} must be at least 1",
                self.evaluation_periods
            ),
        );
        let datapoints = self.datapoints_to_alarm();
        check(
            (1..=self.evaluation_periods).contains(&datapoints),
            format!("datapoints_to_alarm {datapoints} must be between 1 and evaluation_periods"),
        );
        match self.anomaly_band {
            None => {
                check(
                    COMPARISONS.contains(&self.comparison.as_str()),
                    format!(
                        "comparison {:?} is not one of {}",
                        self.comparison,
                        COMPARISONS.join(", ")
                    ),
                );
                check(
                    self.threshold.is_some_and(f64::is_finite),
                    match self.threshold {
                        None => "threshold is missing (or set anomaly_band)".to_owned(),
                        Some(_) => "threshold must be a finite number".to_owned(),
                    },
                );
            }
            Some(band) => {
                check(
                    BAND_COMPARISONS.contains(&self.comparison.as_str()),
                    format!(
                        "comparison {:?} of an anomaly_band alarm is not one of {}",
                        self.comparison,
                        BAND_COMPARISONS.join(", ")
                    ),
                );
                check(
                    band.is_finite() && band > 0.0,
                    format!("anomaly_band {band} must be a number of standard deviations above 0"),
                );
                check(
                    self.threshold.is_none(),
                    "threshold and anomaly_band exclude each other".to_owned(),
                );
                check(
                    self.unit.is_none(),
                    "unit is not used by an anomaly_band alarm".to_owned(),
                );
            }
        }
        check(
            MISSING_DATA_TREATMENTS.contains(&self.treat_missing_data.as_str()),
            format!(
                "treat_missing_data {:?} is not one of {}",
                self.treat_missing_data,
                MISSING_DATA_TREATMENTS.join(", ")
            ),
        );
        check(
            matches!(self.severity.as_str(), "warning" | "critical"),
            format!("severity {:?} must be warning or critical", self.severity),
        );
        check(
            self.dimensions.len() <= 30,
            "at most 30 dimensions".to_owned(),
        );
        if self.discovers() {
            check(
                self.dimensions.get(INSTANCE_ID_DIMENSION)
                    == Some(&DimensionRule::Value("{instance_id}".to_owned())),
                format!(
                    "discovered dimensions need \"{INSTANCE_ID_DIMENSION}\": \"{{instance_id}}\" (ListMetrics finds the instance's series by it)"
                ),
            );
            check(
                self.dimensions.len() <= 10,
                "at most 10 dimensions when some are discovered (ListMetrics filters by at most 10)"
                    .to_owned(),
            );
        }
        for (name, rule) in &self.dimensions {
            let value = match rule {
                DimensionRule::Value(value) => value.as_str(),
                DimensionRule::OneOf(values) => {
                    check(
                        !values.is_empty() && values.iter().all(|value| !value.is_empty()),
                        format!(
                            "dimension {name:?} lists no values to discover (use \"*\" for any)"
                        ),
                    );
                    continue;
                }
            };
            let unknown: Vec<&str> = placeholders_in(value)
                .filter(|placeholder| !PLACEHOLDERS.contains(placeholder))
                .collect();
            check(
                unknown.is_empty(),
                format!(
                    "dimension {name:?} uses unknown placeholder {} (known: {})",
                    unknown.join(", "),
                    PLACEHOLDERS.join(", ")
                ),
            );
        }
        problems
    }
}

fn placeholders_in(value: &str) -> impl Iterator<Item = &str> {
    value.match_indices('{').filter_map(move |(start, _)| {
        value[start..]
            .find('}')
            .map(|end| &value[start..=start + end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_passes_its_checks() {
        for (name, _) in PRESETS {
            let set =
                AlarmSet::parse(name, "test").unwrap_or_else(|error| panic!("{name}: {error}"));
            assert!(!set.alarms.is_empty(), "{name}");
        }
    }

    #[test]
    fn the_default_preset_is_the_original_pair_of_disk_alarms() {
        let set = AlarmSet::parse("disk-space", "test").unwrap();
        let summary: Vec<_> = set
            .alarms
            .iter()
            .map(|a| (a.id.as_str(), a.level(), a.severity.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("disk-space-warning", 60.0, "warning"),
                ("disk-space-critical", 80.0, "critical")
            ]
        );
        for alarm in &set.alarms {
            assert_eq!(alarm.metric, "DiskSpaceUtilization");
            assert_eq!(alarm.namespace, "System/Linux");
            assert_eq!(alarm.statistic, "Average");
            assert_eq!(alarm.period, 300);
            assert_eq!(alarm.unit.as_deref(), Some("Percent"));
            assert_eq!(alarm.evaluation_periods, 2);
            assert_eq!(alarm.comparison, "GreaterThanOrEqualToThreshold");
            assert_eq!(alarm.treat_missing_data, "missing");
            let dimensions: Vec<_> = alarm
                .dimensions
                .iter()
                .map(|(k, v)| (k.as_str(), v))
                .collect();
            assert_eq!(
                dimensions,
                vec![
                    ("Filesystem", &DimensionRule::Value("/dev/xvda1".into())),
                    ("InstanceId", &DimensionRule::Value("{instance_id}".into())),
                    ("MountPath", &DimensionRule::Value("/".into()))
                ]
            );
        }
    }

    #[test]
    fn presets_combine_by_name_and_inline() {
        let set = AlarmSet::parse(
            r#"["cpu", {"id": "net", "metric": "NetworkOut", "namespace": "AWS/EC2", "threshold": 1e9, "severity": "warning"}]"#,
            "test",
        )
        .unwrap();
        let ids: Vec<_> = set.alarms.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["cpu-high", "net"]);
        let net = &set.alarms[1];
        assert_eq!(
            (
                net.statistic.as_str(),
                net.period,
                net.evaluation_periods,
                net.datapoints_to_alarm()
            ),
            ("Average", 300, 2, 2)
        );
        let listed = AlarmSet::parse(" status-check , cpu ", "test").unwrap();
        assert_eq!(listed.alarms.len(), 2);
        let wrapped = AlarmSet::parse(r#"{"alarms": ["cpu"]}"#, "test").unwrap();
        assert_eq!(wrapped.alarms.len(), 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_alarm_and_field() {
        let error = AlarmSet::parse(
            r#"[
                "nope",
                {"id": "bad id", "metric": "M", "namespace": "N", "statistic": "Median", "period": 45,
                 "evaluation_periods": 2, "datapoints_to_alarm": 3, "comparison": "Bigger", "threshold": 1,
                 "treat_missing_data": "zero", "severity": "info", "dimensions": {"X": "{host}"}},
                {"id": "m", "namespace": "N", "threshold": 1, "severity": "warning"},
                {"id": "cpu-high", "metric": "M", "namespace": "N", "threshold": 1, "severity": "warning"},
                "cpu"
            ]"#,
            "ALARM_DEFINITIONS",
        )
        .unwrap_err();
        assert_eq!(error.origin, "ALARM_DEFINITIONS");
        assert_eq!(
            error.problems,
            vec![
                "entry 0: unknown preset \"nope\" (known: disk-space, cloudwatch-agent, cpu, status-check, cpu-anomaly)",
                "entry 2: missing field `metric`",
                "alarm \"bad id\": id must be 1 to 64 letters, digits, '-' or '_'",
                "alarm \"bad id\": statistic \"Median\" is not one of SampleCount, Average, Sum, Minimum, Maximum",
                "alarm \"bad id\": period 45 must be 10, 20, 30 or a multiple of 60 seconds",
                "alarm \"bad id\": datapoints_to_alarm 3 must be between 1 and evaluation_periods",
                "alarm \"bad id\": comparison \"Bigger\" is not one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold",
                "alarm \"bad id\": treat_missing_data \"zero\" is not one of breaching, notBreaching, ignore, missing",
                "alarm \"bad id\": severity \"info\" must be warning or critical",
                "alarm \"bad id\": dimension \"X\" uses unknown placeholder {host} (known: {instance_id}, {image_id}, {instance_type}, {autoscaling_group})",
                "alarm id \"cpu-high\" is used twice",
            ]
        );
    }

    #[test]
    fn unknown_fields_and_empty_documents_are_rejected() {
        let error = AlarmSet::parse(r#"[{"id": "a", "metric": "M", "namespace": "N", "threshold": 1, "severity": "warning", "treshold": 2}]"#, "x").unwrap_err();
        assert!(
            error.problems[0].contains("unknown field `treshold`"),
            "{error}"
        );
        assert_eq!(
            AlarmSet::parse("[]", "x").unwrap_err().problems,
            vec!["no alarms defined"]
        );
        assert_eq!(
            AlarmSet::parse("", "x").unwrap_err().problems,
            vec!["no alarms defined"]
        );
        assert!(
            AlarmSet::parse("{not json", "x").unwrap_err().problems[0]
                .starts_with("not a list of alarms")
        );
    }

    #[test]
    fn anomaly_and_discovery_definitions_are_checked_at_cold_start() {
        let error = AlarmSet::parse(
            r#"[
                {"id": "a", "metric": "M", "namespace": "N", "anomaly_band": 2, "severity": "warning"},
                {"id": "b", "metric": "M", "namespace": "N", "anomaly_band": 0, "threshold": 3,
                 "comparison": "GreaterThanUpperThreshold", "unit": "Percent", "severity": "warning"},
                {"id": "c", "metric": "M", "namespace": "N", "threshold": 1,
                 "comparison": "LessThanLowerThreshold", "severity": "warning"},
                {"id": "d", "metric": "M", "namespace": "N", "severity": "warning"},
                {"id": "e", "metric": "M", "namespace": "N", "threshold": 1, "severity": "warning",
                 "dimensions": {"path": "*"}},
                {"id": "f", "metric": "M", "namespace": "N", "threshold": 1, "severity": "warning",
                 "dimensions": {"InstanceId": "{instance_id}", "path": []}}
            ]"#,
            "x",
        )
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "alarm \"a\": comparison \"GreaterThanOrEqualToThreshold\" of an anomaly_band alarm is not one of GreaterThanUpperThreshold, LessThanLowerThreshold, LessThanLowerOrGreaterThanUpperThreshold",
                "alarm \"b\": anomaly_band 0 must be a number of standard deviations above 0",
                "alarm \"b\": threshold and anomaly_band exclude each other",
                "alarm \"b\": unit is not used by an anomaly_band alarm",
                "alarm \"c\": comparison \"LessThanLowerThreshold\" is not one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold",
                "alarm \"d\": threshold is missing (or set anomaly_band)",
                "alarm \"e\": discovered dimensions need \"InstanceId\": \"{instance_id}\" (ListMetrics finds the instance's series by it)",
                "alarm \"f\": dimension \"path\" lists no values to discover (use \"*\" for any)",
            ]
        );
        let preset = AlarmSet::parse("cpu-anomaly", "x").unwrap();
        assert_eq!(preset.alarms[0].anomaly_band, Some(2.0));
        assert_eq!(preset.alarms[0].comparison, "GreaterThanUpperThreshold");
        let agent = AlarmSet::parse("cloudwatch-agent", "x").unwrap();
        let discovered: Vec<&str> = agent.alarms[0]
            .discovered_dimensions()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(discovered, vec!["device", "fstype", "path"]);
        assert!(!agent.alarms[2].discovers());
    }
}
