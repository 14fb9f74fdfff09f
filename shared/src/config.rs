//! Reading settings from environment variables, reporting every problem at
//! once and by name, so a bad deployment fails at init rather than at the
//! first event.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Every missing or malformed setting found while reading configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// How a variable's value is found: the process environment, or a map in tests.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Reads variables from a lookup (the process environment in production, a
/// map in tests) and collects problems instead of stopping at the first.
pub struct EnvReader {
    lookup: Lookup,
    problems: Vec<String>,
}

impl fmt::Debug for EnvReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvReader")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl EnvReader {
    pub fn from_process_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self::from_lookup(move |name| vars.get(name).cloned())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Box::new(lookup),
            problems: Vec::new(),
        }
    }

    /// The trimmed value, or `None` when the variable is unset or blank.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// The trimmed value; a missing or blank variable is recorded as a problem
    /// and an empty string returned, so reading can go on to find the rest.
    pub fn required(&mut self, name: &str) -> String {
        match self.optional(name) {
            Some(value) => value,
            None => {
                self.problems
                    .push(format!("{name} is required but is not set"));
                String::new()
            }
        }
    }

    /// A value parsed with `FromStr`, or `default` when unset.
    pub fn parsed_or<T>(&mut self, name: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.optional(name) {
            None => default,
            Some(raw) => match raw.parse() {
                Ok(value) => value,
                Err(error) => {
                    self.problems
                        .push(format!("{name}={raw:?} is not valid: {error}"));
                    default
                }
            },
        }
    }

    /// `true`/`false` (also `yes`/`no`, `1`/`0`, `on`/`off`), or `default`.
    pub fn flag_or(&mut self, name: &str, default: bool) -> bool {
        match self.optional(name).map(|raw| raw.to_ascii_lowercase()) {
            None => default,
            Some(raw) => match raw.as_str() {
                "true" | "yes" | "1" | "on" => true,
                "false" | "no" | "0" | "off" => false,
                _ => {
                    self.problems.push(format!(
                        "{name}={raw:?} is not valid: expected true or false"
                    ));
                    default
                }
            },
        }
    }

    /// A comma-separated list with blanks dropped; empty when unset.
    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records a problem found while checking values against each other.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// Ends reading: `Err` lists every problem found.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(pairs: &[(&str, &str)]) -> EnvReader {
        EnvReader::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn every_missing_and_malformed_variable_is_named() {
        let mut env = reader(&[("PERIOD", "five"), ("DRY_RUN", "maybe"), ("BLANK", "  ")]);
        env.required("TOPIC_ARN");
        env.required("BLANK");
        env.parsed_or::<u32>("PERIOD", 300);
        env.flag_or("DRY_RUN", true);
        let error = env.finish().unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "TOPIC_ARN is required but is not set",
                "BLANK is required but is not set",
                "PERIOD=\"five\" is not valid: invalid digit found in string",
                "DRY_RUN=\"maybe\" is not valid: expected true or false",
            ]
        );
        assert!(
            error
                .to_string()
                .starts_with("invalid configuration: TOPIC_ARN")
        );
    }

    #[test]
    fn values_are_trimmed_and_defaults_apply() {
        let mut env = reader(&[
            ("TOPIC_ARN", " arn:aws:sns:eu-west-1:1:t \n"),
            ("LIST", "a, b,,c "),
        ]);
        assert_eq!(env.required("TOPIC_ARN"), "arn:aws:sns:eu-west-1:1:t");
        assert_eq!(env.parsed_or::<u32>("PERIOD", 300), 300);
        assert!(!env.flag_or("DRY_RUN", false));
        assert_eq!(env.list("LIST"), vec!["a", "b", "c"]);
        assert!(env.list("UNSET").is_empty());
        assert_eq!(env.optional("UNSET"), None);
        env.finish().unwrap();
    }

    #[test]
    fn flags_accept_common_spellings() {
        let mut env = reader(&[("A", "YES"), ("B", "off"), ("C", "1"), ("D", "False")]);
        assert!(env.flag_or("A", false));
        assert!(!env.flag_or("B", true));
        assert!(env.flag_or("C", false));
        assert!(!env.flag_or("D", true));
        env.finish().unwrap();
    }
}
