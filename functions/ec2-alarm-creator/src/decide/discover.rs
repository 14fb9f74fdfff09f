//! Discovered dimensions: which of an instance's published series an
//! alarm definition matches, and what each alarm is named after.

use std::collections::{BTreeMap, BTreeSet};

use crate::definitions::{AlarmDefinition, DimensionRule};

/// One published series: its dimensions, name to value, as `ListMetrics`
/// lists them.
pub type Series = BTreeMap<String, String>;

/// A metric whose series are listed: namespace and metric name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricKey {
    pub namespace: String,
    pub metric: String,
}

impl MetricKey {
    pub fn of(definition: &AlarmDefinition) -> Self {
        Self {
            namespace: definition.namespace.clone(),
            metric: definition.metric.clone(),
        }
    }
}

/// The series an instance publishes, by metric. A metric not in the index
/// has no series (yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesIndex(pub BTreeMap<MetricKey, Vec<Series>>);

impl SeriesIndex {
    pub fn insert(&mut self, key: MetricKey, series: Series) {
        self.0.entry(key).or_default().push(series);
    }
}

/// The dimension a discovered alarm is named after when it is discovered:
/// the CloudWatch agent's mount path.
pub const NAMING_DIMENSION: &str = "path";

/// The series of `index` that `definition` watches: exactly the
/// definition's dimensions (the written ones with the values in `fixed`,
/// the discovered ones with any allowed value). A series with one
/// dimension more or less is another metric to CloudWatch, which an alarm
/// on these dimensions would never see. Sorted, without repeats.
pub fn matching_series(
    definition: &AlarmDefinition,
    fixed: &[(String, String)],
    index: &SeriesIndex,
) -> Vec<Series> {
    let Some(listed) = index.0.get(&MetricKey::of(definition)) else {
        return Vec::new();
    };
    let discovered: BTreeMap<&String, &DimensionRule> =
        definition.discovered_dimensions().collect();
    let matches: BTreeSet<&Series> = listed
        .iter()
        .filter(|series| {
            series.len() == fixed.len() + discovered.len()
                && fixed
                    .iter()
                    .all(|(name, value)| series.get(name) == Some(value))
                && discovered
                    .iter()
                    .all(|(name, rule)| series.get(*name).is_some_and(|value| rule.allows(value)))
        })
        .collect();
    matches.into_iter().cloned().collect()
}

/// Each matching series with the suffix of its alarm's name: the mount
/// path when `path` is discovered, else every discovered value; every
/// discovered value when the path alone does not tell two apart; a number
/// after those that are still equal once made name-safe.
pub fn alarm_suffixes(definition: &AlarmDefinition, matches: &[Series]) -> Vec<(String, Series)> {
    let discovered: Vec<&String> = definition
        .discovered_dimensions()
        .map(|(name, _)| name)
        .collect();
    let by_path: Vec<&String> = discovered
        .iter()
        .copied()
        .filter(|name| *name == NAMING_DIMENSION)
        .collect();
    let suffix = |series: &Series, names: &[&String]| {
        names
            .iter()
            .map(|name| name_part(series.get(*name).map(String::as_str).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("-")
    };
    let mut names: Vec<String> = if by_path.is_empty() {
        matches
            .iter()
            .map(|series| suffix(series, &discovered))
            .collect()
    } else {
        matches
            .iter()
            .map(|series| suffix(series, &by_path))
            .collect()
    };
    if has_repeats(&names) {
        names = matches
            .iter()
            .map(|series| suffix(series, &discovered))
            .collect();
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let names = names.into_iter().map(|name| {
        let count = seen.entry(name.clone()).or_default();
        *count += 1;
        if *count == 1 {
            name
        } else {
            format!("{name}-{count}")
        }
    });
    names.zip(matches.iter().cloned()).collect()
}

fn has_repeats(names: &[String]) -> bool {
    names.iter().collect::<BTreeSet<_>>().len() < names.len()
}

/// A dimension value as part of an alarm name: `/` is `root`, other paths
/// lose their outer slashes and use `_` between parts; anything but
/// letters, digits, `.`, `_` and `-` becomes `_`.
pub fn name_part(value: &str) -> String {
    if value == "/" {
        return "root".to_owned();
    }
    let part: String = value
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if part.is_empty() {
        "_".to_owned()
    } else {
        part
    }
}
