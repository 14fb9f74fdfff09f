//! Settings, read from the environment once per cold start.

use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::publisher::Topics;

use crate::definitions::{AlarmSet, MAX_ALARM_ID_CHARS};

pub const ALARM_DEFINITIONS_VAR: &str = "ALARM_DEFINITIONS";
pub const ALARM_DEFINITIONS_PARAMETER_VAR: &str = "ALARM_DEFINITIONS_PARAMETER";
pub const ALARM_NAME_PREFIX_VAR: &str = "ALARM_NAME_PREFIX";
pub const TAG_FILTER_MODE_VAR: &str = "TAG_FILTER_MODE";
pub const TAG_FILTER_VAR: &str = "TAG_FILTER";
pub const THRESHOLD_TAG_PREFIX_VAR: &str = "THRESHOLD_TAG_PREFIX";
pub const PROPAGATE_TAG_KEYS_VAR: &str = "PROPAGATE_TAG_KEYS";
pub const ALARM_NAME_INCLUDES_INSTANCE_NAME_VAR: &str = "ALARM_NAME_INCLUDES_INSTANCE_NAME";

pub const DEFAULT_ALARM_DEFINITIONS: &str = "disk-space";
pub const DEFAULT_ALARM_NAME_PREFIX: &str = "watchkeeper-";
pub const DEFAULT_THRESHOLD_TAG_PREFIX: &str = "watchkeeper:threshold:";
/// CloudWatch's limit on an alarm name.
pub const MAX_ALARM_NAME_CHARS: usize = 255;
/// The longest instance id, `i-` and 17 hex digits.
const MAX_INSTANCE_ID_CHARS: usize = 19;
/// Room kept in every alarm name for a discovered series' suffix (the
/// mount path), shortened with a hash beyond it.
pub const MIN_SUFFIX_CHARS: usize = 16;
/// CloudWatch allows 50 tags per alarm; the function sets two of its own.
pub const MAX_PROPAGATED_TAGS: usize = 48;

/// Which instances get alarms, by tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceFilter {
    AllInstances,
    /// Only instances carrying the tag.
    OptIn(TagMatch),
    /// Every instance except those carrying the tag.
    OptOut(TagMatch),
}

/// A tag key, and optionally the value it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMatch {
    pub key: String,
    pub value: Option<String>,
}

impl TagMatch {
    /// `Key` or `Key=Value`; the first `=` separates them.
    pub fn parse(text: &str) -> Option<Self> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim().to_owned())),
            None => (text.trim(), None),
        };
        (!key.is_empty()).then(|| Self {
            key: key.to_owned(),
            value,
        })
    }

    pub fn matches<'a>(&self, mut tags: impl Iterator<Item = (&'a String, &'a String)>) -> bool {
        tags.any(|(key, value)| {
            key == &self.key
                && self
                    .value
                    .as_ref()
                    .is_none_or(|wanted| wanted == value.trim())
        })
    }
}

impl std::fmt::Display for TagMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={}", self.key, value),
            None => f.write_str(&self.key),
        }
    }
}

/// Where the alarm definitions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionsSource {
    Inline(String),
    SsmParameter(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub topics: Topics,
    pub alarm_name_prefix: String,
    pub instance_filter: InstanceFilter,
    pub threshold_tag_prefix: String,
    /// Instance tags copied onto its alarms.
    pub propagate_tag_keys: Vec<String>,
    /// Whether alarm names end with the instance's `Name` tag.
    pub name_includes_instance_name: bool,
    pub alarms: AlarmSet,
}

/// Everything but the alarm definitions, which may need an SSM read.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub topics: Topics,
    pub alarm_name_prefix: String,
    pub instance_filter: InstanceFilter,
    pub threshold_tag_prefix: String,
    pub propagate_tag_keys: Vec<String>,
    pub name_includes_instance_name: bool,
    pub definitions_source: DefinitionsSource,
}

impl Settings {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let topics = Topics::from_env(&mut env);
        let alarm_name_prefix = env
            .optional(ALARM_NAME_PREFIX_VAR)
            .unwrap_or_else(|| DEFAULT_ALARM_NAME_PREFIX.to_owned());
        let longest_name = alarm_name_prefix.chars().count()
            + MAX_INSTANCE_ID_CHARS
            + 1
            + MAX_ALARM_ID_CHARS
            + 1
            + MIN_SUFFIX_CHARS;
        if longest_name > MAX_ALARM_NAME_CHARS {
            env.problem(format!(
                "{ALARM_NAME_PREFIX_VAR} is too long: alarm names could reach {longest_name} characters, CloudWatch allows {MAX_ALARM_NAME_CHARS}"
            ));
        }
        if alarm_name_prefix
            .chars()
            .any(|c| c.is_control() || c == '*')
        {
            env.problem(format!(
                "{ALARM_NAME_PREFIX_VAR} must not contain control characters or '*'"
            ));
        }

        let tag_filter = env.optional(TAG_FILTER_VAR);
        let mode = env
            .optional(TAG_FILTER_MODE_VAR)
            .map(|mode| mode.to_ascii_lowercase());
        let instance_filter = match (
            mode.as_deref(),
            tag_filter.as_deref().and_then(TagMatch::parse),
        ) {
            (None | Some("all"), _) => InstanceFilter::AllInstances,
            (Some("opt-in"), Some(tag)) => InstanceFilter::OptIn(tag),
            (Some("opt-out"), Some(tag)) => InstanceFilter::OptOut(tag),
            (Some("opt-in" | "opt-out"), None) => {
                env.problem(format!(
                    "{TAG_FILTER_VAR} must name a tag (Key or Key=Value) when {TAG_FILTER_MODE_VAR} is {}",
                    mode.as_deref().unwrap_or_default()
                ));
                InstanceFilter::AllInstances
            }
            (Some(other), _) => {
                env.problem(format!(
                    "{TAG_FILTER_MODE_VAR}={other:?} is not valid: expected all, opt-in or opt-out"
                ));
                InstanceFilter::AllInstances
            }
        };

        let threshold_tag_prefix = env
            .optional(THRESHOLD_TAG_PREFIX_VAR)
            .unwrap_or_else(|| DEFAULT_THRESHOLD_TAG_PREFIX.to_owned());
        let propagate_tag_keys: Vec<String> = env
            .optional(PROPAGATE_TAG_KEYS_VAR)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
            .collect();
        for key in &propagate_tag_keys {
            if key.to_ascii_lowercase().starts_with("aws:") {
                env.problem(format!(
                    "{PROPAGATE_TAG_KEYS_VAR} names {key:?}: tag keys starting with aws: are reserved and cannot be put on alarms"
                ));
            } else if key.chars().count() > 128 {
                env.problem(format!(
                    "{PROPAGATE_TAG_KEYS_VAR} names a key longer than 128 characters"
                ));
            }
        }
        if propagate_tag_keys.len() > MAX_PROPAGATED_TAGS {
            env.problem(format!(
                "{PROPAGATE_TAG_KEYS_VAR} names {} keys; alarms take at most {MAX_PROPAGATED_TAGS} besides the function's own two",
                propagate_tag_keys.len()
            ));
        }
        let name_includes_instance_name = env.flag_or(ALARM_NAME_INCLUDES_INSTANCE_NAME_VAR, false);
        let definitions_source = match env.optional(ALARM_DEFINITIONS_PARAMETER_VAR) {
            Some(name) => DefinitionsSource::SsmParameter(name),
            None => DefinitionsSource::Inline(
                env.optional(ALARM_DEFINITIONS_VAR)
                    .unwrap_or_else(|| DEFAULT_ALARM_DEFINITIONS.to_owned()),
            ),
        };
        let settings = Self {
            topics,
            alarm_name_prefix,
            instance_filter,
            threshold_tag_prefix,
            propagate_tag_keys,
            name_includes_instance_name,
            definitions_source,
        };
        if let DefinitionsSource::Inline(text) = &settings.definitions_source {
            // Check inline definitions now so every problem is reported together.
            if let Err(error) = AlarmSet::parse(text, ALARM_DEFINITIONS_VAR) {
                env.problem(error.to_string());
            }
        }
        env.finish()?;
        Ok(settings)
    }

    pub fn with_alarms(self, alarms: AlarmSet) -> Config {
        Config {
            topics: self.topics,
            alarm_name_prefix: self.alarm_name_prefix,
            instance_filter: self.instance_filter,
            threshold_tag_prefix: self.threshold_tag_prefix,
            propagate_tag_keys: self.propagate_tag_keys,
            name_includes_instance_name: self.name_includes_instance_name,
            alarms,
        }
    }
}
