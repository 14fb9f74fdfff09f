//! Settings, read from the environment once per cold start. The defaults let
//! every event through.

use std::collections::BTreeMap;
use std::fmt;

use watchkeeper_shared::Severity;
use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::events::health::EventCategory;
use watchkeeper_shared::publisher::Topics;

pub const INCLUDE_CATEGORIES_VAR: &str = "INCLUDE_CATEGORIES";
pub const EXCLUDE_CATEGORIES_VAR: &str = "EXCLUDE_CATEGORIES";
pub const INCLUDE_SERVICES_VAR: &str = "INCLUDE_SERVICES";
pub const EXCLUDE_SERVICES_VAR: &str = "EXCLUDE_SERVICES";
pub const INCLUDE_EVENT_TYPE_CODES_VAR: &str = "INCLUDE_EVENT_TYPE_CODES";
pub const EXCLUDE_EVENT_TYPE_CODES_VAR: &str = "EXCLUDE_EVENT_TYPE_CODES";
pub const INCLUDE_REGIONS_VAR: &str = "INCLUDE_REGIONS";
pub const EXCLUDE_REGIONS_VAR: &str = "EXCLUDE_REGIONS";
pub const MINIMUM_SEVERITY_VAR: &str = "MINIMUM_SEVERITY";
pub const SEVERITY_OVERRIDES_VAR: &str = "SEVERITY_OVERRIDES";

/// One list entry: a value compared without regard to case, or a prefix
/// when it ends in `*` (`AWS_EC2_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

impl Pattern {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.trim().to_owned(),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self.text.strip_suffix('*') {
            Some(prefix) => value
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix)),
            None => value.eq_ignore_ascii_case(&self.text),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The property of an event an include/exclude list filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    Category,
    Service,
    EventTypeCode,
    Region,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Category => "category",
            Self::Service => "service",
            Self::EventTypeCode => "event type code",
            Self::Region => "region",
        })
    }
}

/// An include and an exclude list for one property of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    /// What the lists are about.
    pub property: Property,
    pub include_var: &'static str,
    pub exclude_var: &'static str,
    /// Empty: everything is included.
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
}

impl ListFilter {
    fn from_env(
        env: &mut EnvReader,
        property: Property,
        include_var: &'static str,
        exclude_var: &'static str,
    ) -> Self {
        let mut read = |name: &str| -> Vec<Pattern> {
            env.list(name)
                .iter()
                .map(|item| Pattern::new(item))
                .collect()
        };
        Self {
            property,
            include_var,
            exclude_var,
            include: read(include_var),
            exclude: read(exclude_var),
        }
    }

    /// `Err` names the rule that drops the value.
    pub fn check(&self, value: Option<&str>) -> Result<(), String> {
        let shown = value.unwrap_or("(not stated)");
        if let Some(value) = value
            && let Some(pattern) = self.exclude.iter().find(|pattern| pattern.matches(value))
        {
            return Err(format!(
                "{} {shown} matches {pattern} in {}",
                self.property, self.exclude_var
            ));
        }
        let included = self.include.is_empty()
            || value.is_some_and(|value| self.include.iter().any(|pattern| pattern.matches(value)));
        if included {
            Ok(())
        } else {
            let listed: Vec<String> = self.include.iter().map(ToString::to_string).collect();
            Err(format!(
                "{} {shown} is not in {} ({})",
                self.property,
                self.include_var,
                listed.join(", ")
            ))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub categories: ListFilter,
    pub services: ListFilter,
    pub event_type_codes: ListFilter,
    pub regions: ListFilter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub topics: Topics,
    pub filters: Filters,
    /// Events below it produce nothing.
    pub minimum_severity: Severity,
    /// Event type code (upper case) → severity, replacing the category's.
    pub severity_overrides: BTreeMap<String, Severity>,
}

impl Config {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let topics = Topics::from_env(&mut env);
        let filters = Filters {
            categories: ListFilter::from_env(
                &mut env,
                Property::Category,
                INCLUDE_CATEGORIES_VAR,
                EXCLUDE_CATEGORIES_VAR,
            ),
            services: ListFilter::from_env(
                &mut env,
                Property::Service,
                INCLUDE_SERVICES_VAR,
                EXCLUDE_SERVICES_VAR,
            ),
            event_type_codes: ListFilter::from_env(
                &mut env,
                Property::EventTypeCode,
                INCLUDE_EVENT_TYPE_CODES_VAR,
                EXCLUDE_EVENT_TYPE_CODES_VAR,
            ),
            regions: ListFilter::from_env(
                &mut env,
                Property::Region,
                INCLUDE_REGIONS_VAR,
                EXCLUDE_REGIONS_VAR,
            ),
        };
        // A misspelt category would silently drop (or let through) a whole
        // class of events, so only the categories AWS documents are accepted.
        for (var, patterns) in [
            (INCLUDE_CATEGORIES_VAR, &filters.categories.include),
            (EXCLUDE_CATEGORIES_VAR, &filters.categories.exclude),
        ] {
            for pattern in patterns {
                let known = matches!(
                    EventCategory::parse(&pattern.text),
                    EventCategory::Issue
                        | EventCategory::AccountNotification
                        | EventCategory::ScheduledChange
                        | EventCategory::Investigation
                );
                if !known {
                    env.problem(format!(
                        "{var} lists unknown category {:?} (known: {})",
                        pattern.text,
                        EventCategory::KNOWN.join(", ")
                    ));
                }
            }
        }
        let minimum_severity = match env.optional(MINIMUM_SEVERITY_VAR) {
            None => Severity::Info,
            Some(text) => Severity::parse(&text).unwrap_or_else(|| {
                env.problem(format!(
                    "{MINIMUM_SEVERITY_VAR}={text:?} is not valid: expected info, warning or critical"
                ));
                Severity::Info
            }),
        };
        let mut severity_overrides = BTreeMap::new();
        for entry in env.list(SEVERITY_OVERRIDES_VAR) {
            let parsed = entry.split_once('=').and_then(|(code, severity)| {
                let code = code.trim();
                (!code.is_empty())
                    .then_some((code.to_ascii_uppercase(), Severity::parse(severity)?))
            });
            match parsed {
                Some((code, severity)) => {
                    severity_overrides.insert(code, severity);
                }
                None => env.problem(format!(
                    "{SEVERITY_OVERRIDES_VAR} entry {entry:?} is not valid: expected EVENT_TYPE_CODE=info, warning or critical"
                )),
            }
        }
        env.finish()?;
        Ok(Self {
            topics,
            filters,
            minimum_severity,
            severity_overrides,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        testbed::offline_env(pairs)
    }

    #[test]
    fn defaults_let_everything_through() {
        let config = Config::from_env(env(&[])).unwrap();
        assert_eq!(config.minimum_severity, Severity::Info);
        assert!(config.severity_overrides.is_empty());
        for filter in [
            &config.filters.categories,
            &config.filters.services,
            &config.filters.event_type_codes,
            &config.filters.regions,
        ] {
            assert_eq!(filter.check(Some("anything")), Ok(()));
            assert_eq!(filter.check(None), Ok(()));
        }
    }

    #[test]
    fn lists_overrides_and_minimum_severity_are_read() {
        let config = Config::from_env(env(&[
            ("INCLUDE_CATEGORIES", "issue, scheduledChange"),
            (
                "EXCLUDE_EVENT_TYPE_CODES",
                "AWS_VPN_SINGLE_TUNNEL_NOTIFICATION,AWS_EC2_*",
            ),
            ("MINIMUM_SEVERITY", " Warning "),
            (
                "SEVERITY_OVERRIDES",
                "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED=critical, aws_vpn_redundancy_loss = INFO",
            ),
        ]))
        .unwrap();
        assert_eq!(config.minimum_severity, Severity::Warning);
        assert_eq!(
            config.severity_overrides,
            BTreeMap::from([
                (
                    "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED".to_owned(),
                    Severity::Critical
                ),
                ("AWS_VPN_REDUNDANCY_LOSS".to_owned(), Severity::Info),
            ])
        );
        assert_eq!(
            config.filters.categories.include,
            vec![Pattern::new("issue"), Pattern::new("scheduledChange")]
        );
    }

    #[test]
    fn list_filters_name_the_rule_that_drops_a_value() {
        let filter = ListFilter {
            property: Property::EventTypeCode,
            include_var: "INCLUDE_EVENT_TYPE_CODES",
            exclude_var: "EXCLUDE_EVENT_TYPE_CODES",
            include: vec![
                Pattern::new("AWS_EC2_*"),
                Pattern::new("AWS_RDS_MAINTENANCE_SCHEDULED"),
            ],
            exclude: vec![Pattern::new("aws_ec2_operational_notification")],
        };
        let cases = [
            (Some("AWS_EC2_OPERATIONAL_ISSUE"), Ok(())),
            (Some("aws_ec2_instance_retirement_scheduled"), Ok(())),
            (Some("AWS_RDS_MAINTENANCE_SCHEDULED"), Ok(())),
            (
                Some("AWS_EC2_OPERATIONAL_NOTIFICATION"),
                Err(
                    "event type code AWS_EC2_OPERATIONAL_NOTIFICATION matches aws_ec2_operational_notification in EXCLUDE_EVENT_TYPE_CODES",
                ),
            ),
            (
                Some("AWS_EC"),
                Err(
                    "event type code AWS_EC is not in INCLUDE_EVENT_TYPE_CODES (AWS_EC2_*, AWS_RDS_MAINTENANCE_SCHEDULED)",
                ),
            ),
            (
                None,
                Err(
                    "event type code (not stated) is not in INCLUDE_EVENT_TYPE_CODES (AWS_EC2_*, AWS_RDS_MAINTENANCE_SCHEDULED)",
                ),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                filter.check(value),
                expected.map_err(str::to_owned),
                "{value:?}"
            );
        }
    }

    #[test]
    fn every_bad_setting_is_reported_by_name() {
        let error = Config::from_env(EnvReader::from_map(HashMap::from([
            ("INCLUDE_CATEGORIES".to_owned(), "issue,isue".to_owned()),
            ("EXCLUDE_CATEGORIES".to_owned(), "billing".to_owned()),
            ("MINIMUM_SEVERITY".to_owned(), "page".to_owned()),
            (
                "SEVERITY_OVERRIDES".to_owned(),
                "AWS_X=urgent,=info,AWS_Y".to_owned(),
            ),
        ])))
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "WARNING_TOPIC_ARN is required but is not set",
                "CRITICAL_TOPIC_ARN is required but is not set",
                "INCLUDE_CATEGORIES lists unknown category \"isue\" (known: issue, accountNotification, scheduledChange, investigation)",
                "EXCLUDE_CATEGORIES lists unknown category \"billing\" (known: issue, accountNotification, scheduledChange, investigation)",
                "MINIMUM_SEVERITY=\"page\" is not valid: expected info, warning or critical",
                "SEVERITY_OVERRIDES entry \"AWS_X=urgent\" is not valid: expected EVENT_TYPE_CODE=info, warning or critical",
                "SEVERITY_OVERRIDES entry \"=info\" is not valid: expected EVENT_TYPE_CODE=info, warning or critical",
                "SEVERITY_OVERRIDES entry \"AWS_Y\" is not valid: expected EVENT_TYPE_CODE=info, warning or critical",
            ]
        );
    }
}
