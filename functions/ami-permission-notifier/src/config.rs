//! Settings, read from the environment once per cold start.

use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::publisher::Topics;

pub const TRUSTED_ACCOUNTS_VAR: &str = "TRUSTED_ACCOUNTS";
pub const REPORT_DENIED_CALLS_VAR: &str = "REPORT_DENIED_CALLS";
pub const REPORT_OTHER_ATTRIBUTES_VAR: &str = "REPORT_OTHER_ATTRIBUTES";
pub const REPORT_AWS_SERVICE_CALLS_VAR: &str = "REPORT_AWS_SERVICE_CALLS";
pub const REMEDIATE_PUBLIC_SHARING_VAR: &str = "REMEDIATE_PUBLIC_SHARING";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub topics: Topics,
    pub trusted: Trusted,
    /// Report calls that failed (`errorCode` set) as attempts.
    pub report_denied_calls: bool,
    /// Report changes to attributes other than launch or create-volume permission.
    pub report_other_attributes: bool,
    /// Report calls an AWS service made; when false they are dropped with a log line.
    pub report_aws_service_calls: bool,
    /// Make an AMI or snapshot that was made public private again (remove
    /// `group: all` only). Off by default.
    pub remediate_public_sharing: bool,
}

impl Config {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let topics = Topics::from_env(&mut env);
        let mut trusted = Trusted::default();
        for entry in env.list(TRUSTED_ACCOUNTS_VAR) {
            match TrustedEntry::parse(&entry) {
                Some(parsed) => trusted.entries.push(parsed),
                None => env.problem(format!(
                    "{TRUSTED_ACCOUNTS_VAR} entry {entry:?} is not valid: expected a 12-digit account id, an organization ARN or id (o-...), or an OU ARN or id (ou-...)"
                )),
            }
        }
        let config = Self {
            topics,
            trusted,
            report_denied_calls: env.flag_or(REPORT_DENIED_CALLS_VAR, true),
            report_other_attributes: env.flag_or(REPORT_OTHER_ATTRIBUTES_VAR, false),
            report_aws_service_calls: env.flag_or(REPORT_AWS_SERVICE_CALLS_VAR, true),
            remediate_public_sharing: env.flag_or(REMEDIATE_PUBLIC_SHARING_VAR, false),
        };
        env.finish()?;
        Ok(config)
    }
}

/// The accounts, organizations and OUs that may be shared with without a warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trusted {
    pub entries: Vec<TrustedEntry>,
}

/// Organizations and OUs are kept by id, so an ARN and a bare id match alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedEntry {
    Account(String),
    Organization(String),
    OrganizationalUnit(String),
}

impl TrustedEntry {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if is_account_id(text) {
            return Some(Self::Account(text.to_owned()));
        }
        if let Some(ids) = OrganizationIds::from_arn(text) {
            return Some(match ids.unit_id {
                Some(unit_id) => Self::OrganizationalUnit(unit_id),
                None => Self::Organization(ids.organization_id),
            });
        }
        if is_organizational_unit_id(text) {
            return Some(Self::OrganizationalUnit(text.to_owned()));
        }
        if is_organization_id(text) {
            return Some(Self::Organization(text.to_owned()));
        }
        None
    }
}

/// The organization id, and the OU id for an OU, read from an ARN such as
/// `arn:aws:organizations::111122223333:ou/o-abc123/ou-ab12-cdef3456`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationIds {
    pub organization_id: String,
    pub unit_id: Option<String>,
}

impl OrganizationIds {
    pub fn from_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some("organizations"), Some(_), Some(_), Some(path)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let segments: Vec<&str> = path.split('/').collect();
        match segments.as_slice() {
            ["organization", org] if is_organization_id(org) => Some(Self {
                organization_id: (*org).to_owned(),
                unit_id: None,
            }),
            ["ou", org, unit] if is_organization_id(org) && is_organizational_unit_id(unit) => {
                Some(Self {
                    organization_id: (*org).to_owned(),
                    unit_id: Some((*unit).to_owned()),
                })
            }
            _ => None,
        }
    }
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `o-` and 10 to 32 lowercase letters or digits.
fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// `ou-`, 4 to 32 lowercase letters or digits, `-`, 8 to 32 more.
fn is_organizational_unit_id(text: &str) -> bool {
    let valid = |part: &str, range: std::ops::RangeInclusive<usize>| {
        range.contains(&part.len())
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    text.strip_prefix("ou-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(root, unit)| valid(root, 4..=32) && valid(unit, 8..=32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        testbed::offline_env(pairs)
    }

    #[test]
    fn defaults_report_denied_and_service_calls_but_not_other_attributes() {
        let config = Config::from_env(env(&[])).unwrap();
        assert!(config.report_denied_calls);
        assert!(!config.report_other_attributes);
        assert!(config.report_aws_service_calls);
        assert!(!config.remediate_public_sharing);
        assert!(config.trusted.entries.is_empty());
    }

    #[test]
    fn trusted_entries_take_accounts_organizations_and_units() {
        let config = Config::from_env(env(&[(
            TRUSTED_ACCOUNTS_VAR,
            " 444455556666, arn:aws:organizations::111122223333:organization/o-abc1234567 ,\
             arn:aws:organizations::111122223333:ou/o-abc1234567/ou-ab12-cdef3456, o-zzzz999999, ou-ab12-11112222,",
        )]))
        .unwrap();
        assert_eq!(
            config.trusted.entries,
            vec![
                TrustedEntry::Account("444455556666".into()),
                TrustedEntry::Organization("o-abc1234567".into()),
                TrustedEntry::OrganizationalUnit("ou-ab12-cdef3456".into()),
                TrustedEntry::Organization("o-zzzz999999".into()),
                TrustedEntry::OrganizationalUnit("ou-ab12-11112222".into()),
            ]
        );
    }

    #[test]
    fn every_bad_setting_is_named_at_once() {
        let error = Config::from_env(EnvReader::from_map(HashMap::from([
            (TRUSTED_ACCOUNTS_VAR.to_owned(), "12345, prod".to_owned()),
            (REPORT_DENIED_CALLS_VAR.to_owned(), "maybe".to_owned()),
        ])))
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: WARNING_TOPIC_ARN is required but is not set; \
             CRITICAL_TOPIC_ARN is required but is not set; \
             TRUSTED_ACCOUNTS entry \"12345\" is not valid: expected a 12-digit account id, an organization ARN or id (o-...), or an OU ARN or id (ou-...); \
             TRUSTED_ACCOUNTS entry \"prod\" is not valid: expected a 12-digit account id, an organization ARN or id (o-...), or an OU ARN or id (ou-...); \
             REPORT_DENIED_CALLS=\"maybe\" is not valid: expected true or false"
        );
    }

    #[test]
    fn organization_ids_come_from_arns() {
        for (arn, expected) in [
            (
                "arn:aws:organizations::111122223333:organization/o-abc1234567",
                Some(("o-abc1234567", None)),
            ),
            (
                "arn:aws:organizations::111122223333:ou/o-abc1234567/ou-ab12-cdef3456",
                Some(("o-abc1234567", Some("ou-ab12-cdef3456"))),
            ),
            ("arn:aws:iam::111122223333:role/x", None),
            (
                "arn:aws:organizations::111122223333:account/o-abc1234567/1",
                None,
            ),
            ("o-abc1234567", None),
        ] {
            assert_eq!(
                OrganizationIds::from_arn(arn),
                expected.map(|(org, unit)| OrganizationIds {
                    organization_id: org.to_owned(),
                    unit_id: unit.map(str::to_owned),
                }),
                "{arn}"
            );
        }
    }
}
