//! Settings, read from the environment once per cold start.

use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::publisher::Topics;

pub const REPOSITORY_NAMES_VAR: &str = "REPOSITORY_NAMES";
pub const BRANCH_FILTER_VAR: &str = "BRANCH_FILTER";
pub const REPORT_TAGS_VAR: &str = "REPORT_TAGS";
pub const MAX_COMMITS_VAR: &str = "MAX_COMMITS";
pub const MAX_FILES_PER_COMMIT_VAR: &str = "MAX_FILES_PER_COMMIT";

pub const DEFAULT_MAX_COMMITS: usize = 50;
pub const DEFAULT_MAX_FILES_PER_COMMIT: usize = 100;
/// Upper bounds keep one notification within SNS's 256 KiB and one
/// invocation within its timeout.
const MAX_COMMITS_LIMIT: usize = 200;
const MAX_FILES_LIMIT: usize = 1000;

/// Which repositories are reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryFilter {
    All,
    Named(Vec<String>),
}

impl RepositoryFilter {
    pub fn allows(&self, repository: &str) -> bool {
        match self {
            Self::All => true,
            Self::Named(names) => names.iter().any(|name| name == repository),
        }
    }
}

/// One entry of the branch filter: a name, or a prefix written `release/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchPattern {
    Exact(String),
    Prefix(String),
}

impl BranchPattern {
    pub fn parse(text: &str) -> Self {
        match text.strip_suffix('*') {
            Some(prefix) => Self::Prefix(prefix.to_owned()),
            None => Self::Exact(text.to_owned()),
        }
    }

    pub fn matches(&self, branch: &str) -> bool {
        match self {
            Self::Exact(name) => name == branch,
            Self::Prefix(prefix) => branch.starts_with(prefix.as_str()),
        }
    }
}

impl std::fmt::Display for BranchPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// Which branches are reported; an empty list means every branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BranchFilter {
    pub patterns: Vec<BranchPattern>,
}

impl BranchFilter {
    pub fn allows(&self, branch: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|pattern| pattern.matches(branch))
    }

    pub fn describe(&self) -> String {
        self.patterns
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub topics: Topics,
    pub repositories: RepositoryFilter,
    pub branches: BranchFilter,
    pub report_tags: bool,
    /// Commits listed in full per push; older ones are counted.
    pub max_commits: usize,
    /// Files listed per commit; the rest are counted.
    pub max_files_per_commit: usize,
}

impl Config {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let topics = Topics::from_env(&mut env);
        let names = env.list(REPOSITORY_NAMES_VAR);
        let repositories = if names.is_empty() || names.iter().any(|name| name == "*") {
            RepositoryFilter::All
        } else {
            for name in &names {
                if !is_repository_name(name) {
                    env.problem(format!(
                        "{REPOSITORY_NAMES_VAR} contains {name:?}, which is not a CodeCommit repository name (letters, digits, '.', '_' and '-', at most 100)"
                    ));
                }
            }
            RepositoryFilter::Named(names)
        };
        let patterns = env.list(BRANCH_FILTER_VAR);
        let branches = if patterns.iter().any(|pattern| pattern == "*") {
            BranchFilter::default()
        } else {
            BranchFilter {
                patterns: patterns
                    .iter()
                    .map(|text| BranchPattern::parse(text))
                    .collect(),
            }
        };
        let report_tags = env.flag_or(REPORT_TAGS_VAR, true);
        let max_commits = bounded(
            &mut env,
            MAX_COMMITS_VAR,
            DEFAULT_MAX_COMMITS,
            MAX_COMMITS_LIMIT,
        );
        let max_files_per_commit = bounded(
            &mut env,
            MAX_FILES_PER_COMMIT_VAR,
            DEFAULT_MAX_FILES_PER_COMMIT,
            MAX_FILES_LIMIT,
        );
        env.finish()?;
        Ok(Self {
            topics,
            repositories,
            branches,
            report_tags,
            max_commits,
            max_files_per_commit,
        })
    }
}

fn bounded(env: &mut EnvReader, name: &str, default: usize, max: usize) -> usize {
    let value = env.parsed_or(name, default);
    if !(1..=max).contains(&value) {
        env.problem(format!("{name}={value} is not valid: expected 1 to {max}"));
        return default;
    }
    value
}

fn is_repository_name(name: &str) -> bool {
    name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !name.ends_with(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        testbed::offline_env(pairs)
    }

    #[test]
    fn defaults_report_everything() {
        let config = Config::from_env(env(&[])).unwrap();
        assert_eq!(config.repositories, RepositoryFilter::All);
        assert!(config.branches.patterns.is_empty());
        assert!(config.report_tags);
        assert_eq!(config.max_commits, 50);
        assert_eq!(config.max_files_per_commit, 100);
    }

    #[test]
    fn reads_filters_and_limits() {
        let config = Config::from_env(env(&[
            ("REPOSITORY_NAMES", "app, infra"),
            ("BRANCH_FILTER", "main, release/*"),
            ("REPORT_TAGS", "false"),
            ("MAX_COMMITS", "5"),
            ("MAX_FILES_PER_COMMIT", "20"),
        ]))
        .unwrap();
        assert_eq!(
            config.repositories,
            RepositoryFilter::Named(vec!["app".into(), "infra".into()])
        );
        assert_eq!(
            config.branches.patterns,
            vec![
                BranchPattern::Exact("main".into()),
                BranchPattern::Prefix("release/".into())
            ]
        );
        assert_eq!(config.branches.describe(), "main, release/*");
        assert!(!config.report_tags);
        assert_eq!((config.max_commits, config.max_files_per_commit), (5, 20));
    }

    #[test]
    fn a_star_means_all() {
        let config =
            Config::from_env(env(&[("REPOSITORY_NAMES", "*"), ("BRANCH_FILTER", "*")])).unwrap();
        assert_eq!(config.repositories, RepositoryFilter::All);
        assert!(config.branches.allows("anything"));
    }

    #[test]
    fn every_problem_is_named() {
        let error = Config::from_env(EnvReader::from_map(
            [
                ("REPOSITORY_NAMES", "good,bad name"),
                ("MAX_COMMITS", "0"),
                ("MAX_FILES_PER_COMMIT", "many"),
                ("REPORT_TAGS", "perhaps"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ))
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "WARNING_TOPIC_ARN is required but is not set",
                "CRITICAL_TOPIC_ARN is required but is not set",
                "REPOSITORY_NAMES contains \"bad name\", which is not a CodeCommit repository name (letters, digits, '.', '_' and '-', at most 100)",
                "REPORT_TAGS=\"perhaps\" is not valid: expected true or false",
                "MAX_COMMITS=0 is not valid: expected 1 to 200",
                "MAX_FILES_PER_COMMIT=\"many\" is not valid: invalid digit found in string",
            ]
        );
    }

    #[test]
    fn filters_match_names_and_prefixes() {
        let cases = [
            ("main", "main", true),
            ("main", "main2", false),
            ("release/*", "release/1.0", true),
            ("release/*", "release", false),
            ("release/*", "hotfix/release/1", false),
            ("feat*", "feature/x", true),
        ];
        for (pattern, branch, expected) in cases {
            assert_eq!(
                BranchPattern::parse(pattern).matches(branch),
                expected,
                "{pattern} vs {branch}"
            );
        }
        assert!(BranchFilter::default().allows("any"));
        let named = RepositoryFilter::Named(vec!["app".into()]);
        assert!(named.allows("app"));
        assert!(!named.allows("App"));
        assert!(RepositoryFilter::All.allows("x"));
    }
}
