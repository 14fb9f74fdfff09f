//! The pure first step: from the event and the configuration, decide
//! whether the change is reported and what must be looked up for it.

use std::fmt;

use watchkeeper_shared::events::EventError;
use watchkeeper_shared::events::codecommit::{
    ReferenceEvent, ReferenceType, RepositoryStateChange,
};

use watchkeeper_shared::skip::{ReasonCode, Routing};

use crate::config::Config;

/// What to do with one reference change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Skip {
        reason: SkipReason,
    },
    /// A branch moved: report every commit from the new head back to the
    /// previous one.
    Push {
        new_head: String,
        previous_head: String,
    },
    /// A branch or tag was created, or a tag moved: report its head commit.
    NewHead {
        change: HeadChange,
        head: String,
        previous_head: Option<String>,
    },
    /// Nothing to look up: the event names the last commit.
    Deleted {
        last_commit: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadChange {
    Created,
    /// A tag pointed at another commit.
    Moved,
}

/// Why the function leaves an event alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a CodeCommit repository state-change event, or one of another
    /// account or region.
    Routing(Routing),
    /// Not in `REPOSITORY_NAMES`.
    RepositoryFiltered { repository: String },
    /// Not matched by `BRANCH_FILTER`, described as configured.
    BranchFiltered { branch: String, filter: String },
    /// A tag, with `REPORT_TAGS=false`.
    TagNotReported { tag: String },
    /// A reference type other than branch and tag.
    ReferenceTypeNotReported { reference_type: String },
    /// An event kind other than reference created, updated or deleted.
    ReferenceEventNotReported { event: ReferenceEvent },
}

impl ReasonCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::Routing(routing) => routing.code(),
            Self::RepositoryFiltered { .. } => "repository_filtered",
            Self::BranchFiltered { .. } => "branch_filtered",
            Self::TagNotReported { .. } => "tag_not_reported",
            Self::ReferenceTypeNotReported { .. } => "reference_type_not_reported",
            Self::ReferenceEventNotReported { .. } => "reference_event_not_reported",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::{REPORT_TAGS_VAR, REPOSITORY_NAMES_VAR};
        match self {
            Self::Routing(routing) => routing.fmt(f),
            Self::RepositoryFiltered { repository } => {
                write!(
                    f,
                    "repository {repository} is not in {REPOSITORY_NAMES_VAR}"
                )
            }
            Self::BranchFiltered { branch, filter } => {
                write!(
                    f,
                    "branch {branch} does not match the branch filter ({filter})"
                )
            }
            Self::TagNotReported { tag } => write!(
                f,
                "tag {tag} changed and tags are not reported ({REPORT_TAGS_VAR}=false)"
            ),
            Self::ReferenceTypeNotReported { reference_type } => {
                write!(f, "reference type {reference_type} is not reported")
            }
            Self::ReferenceEventNotReported {
                event: event @ ReferenceEvent::UnreferencedMergeCommitCreated,
            } => write!(
                f,
                "event {event} is not reported: no branch points to the merge commit yet, and the branch update that adopts it is reported"
            ),
            Self::ReferenceEventNotReported { event } => write!(f, "event {event} is not reported"),
        }
    }
}

watchkeeper_shared::serialize_reason!(SkipReason);

/// Why an event of this kind is not reported, for kinds other than the
/// reference events [`plan`] decides on. Read before the rest of the event,
/// since such kinds lack the reference fields (`referenceType`,
/// `referenceName`).
pub fn kind_skip_reason(kind: &ReferenceEvent) -> Option<SkipReason> {
    match kind {
        ReferenceEvent::Created | ReferenceEvent::Updated | ReferenceEvent::Deleted => None,
        ReferenceEvent::UnreferencedMergeCommitCreated | ReferenceEvent::Other(_) => {
            Some(SkipReason::ReferenceEventNotReported {
                event: kind.clone(),
            })
        }
    }
}

/// Decides from the event alone. An event missing the commit id its kind
/// needs is malformed, and the error names the field.
pub fn plan(config: &Config, change: &RepositoryStateChange) -> Result<Plan, EventError> {
    let skip = |reason: SkipReason| Ok(Plan::Skip { reason });
    if !config.repositories.allows(&change.repository_name) {
        return skip(SkipReason::RepositoryFiltered {
            repository: change.repository_name.clone(),
        });
    }
    match &change.reference_type {
        ReferenceType::Branch => {
            if !config.branches.allows(&change.reference_name) {
                return skip(SkipReason::BranchFiltered {
                    branch: change.reference_name.clone(),
                    filter: config.branches.describe(),
                });
            }
        }
        ReferenceType::Tag => {
            if !config.report_tags {
                return skip(SkipReason::TagNotReported {
                    tag: change.reference_name.clone(),
                });
            }
        }
        ReferenceType::Other(kind) => {
            return skip(SkipReason::ReferenceTypeNotReported {
                reference_type: kind.clone(),
            });
        }
    }
    let is_tag = change.reference_type == ReferenceType::Tag;
    match &change.event {
        ReferenceEvent::Created => Ok(Plan::NewHead {
            change: HeadChange::Created,
            head: required(&change.commit_id, "commitId", &change.event)?,
            previous_head: None,
        }),
        ReferenceEvent::Updated if is_tag => Ok(Plan::NewHead {
            change: HeadChange::Moved,
            head: required(&change.commit_id, "commitId", &change.event)?,
            previous_head: change.old_commit_id.clone(),
        }),
        ReferenceEvent::Updated => Ok(Plan::Push {
            new_head: required(&change.commit_id, "commitId", &change.event)?,
            previous_head: required(&change.old_commit_id, "oldCommitId", &change.event)?,
        }),
        ReferenceEvent::Deleted => Ok(Plan::Deleted {
            last_commit: required(&change.old_commit_id, "oldCommitId", &change.event)?,
        }),
        other @ (ReferenceEvent::UnreferencedMergeCommitCreated | ReferenceEvent::Other(_)) => {
            skip(SkipReason::ReferenceEventNotReported {
                event: other.clone(),
            })
        }
    }
}

fn required(
    value: &Option<String>,
    field: &str,
    event: &ReferenceEvent,
) -> Result<String, EventError> {
    value.clone().ok_or_else(|| EventError::Field {
        path: format!("detail.{field}"),
        problem: format!("missing; {event} events carry it"),
    })
}

/// The readable part of a caller ARN: the user, or the session of an
/// assumed role (`arn:aws:sts::1:assumed-role/Dev/alice` is `alice`).
pub fn caller_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty() && *name != resource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BranchFilter, BranchPattern, RepositoryFilter};
    use crate::fixtures::{NEW, OLD, change};
    use watchkeeper_shared::publisher::Topics;

    fn config() -> Config {
        Config {
            topics: Topics {
                warning_topic_arn: "w".into(),
                critical_topic_arn: "c".into(),
            },
            repositories: RepositoryFilter::Named(vec!["app".into()]),
            branches: BranchFilter {
                patterns: vec![
                    BranchPattern::parse("main"),
                    BranchPattern::parse("release/*"),
                ],
            },
            report_tags: true,
            max_commits: 50,
            max_files_per_commit: 100,
        }
    }

    #[test]
    fn plans_each_kind_of_change() {
        use ReferenceEvent::*;
        use ReferenceType::*;
        let cases = [
            (
                change(Updated, Branch, "main", Some(NEW), Some(OLD)),
                Plan::Push {
                    new_head: NEW.into(),
                    previous_head: OLD.into(),
                },
            ),
            (
                change(Created, Branch, "release/2.0", Some(NEW), None),
                Plan::NewHead {
                    change: HeadChange::Created,
                    head: NEW.into(),
                    previous_head: None,
                },
            ),
            (
                change(Created, Tag, "v1.0", Some(NEW), None),
                Plan::NewHead {
                    change: HeadChange::Created,
                    head: NEW.into(),
                    previous_head: None,
                },
            ),
            (
                change(Updated, Tag, "v1.0", Some(NEW), Some(OLD)),
                Plan::NewHead {
                    change: HeadChange::Moved,
                    head: NEW.into(),
                    previous_head: Some(OLD.into()),
                },
            ),
            (
                change(Deleted, Branch, "main", None, Some(OLD)),
                Plan::Deleted {
                    last_commit: OLD.into(),
                },
            ),
        ];
        for (change, expected) in cases {
            assert_eq!(plan(&config(), &change).unwrap(), expected, "{change:?}");
        }
    }

    #[test]
    fn skips_what_the_filters_exclude() {
        use ReferenceEvent::*;
        use ReferenceType::*;
        let mut other_repository = change(Updated, Branch, "main", Some(NEW), Some(OLD));
        other_repository.repository_name = "infra".into();
        let mut no_tags = config();
        no_tags.report_tags = false;
        let cases = [
            (
                config(),
                other_repository,
                "repository infra is not in REPOSITORY_NAMES",
            ),
            (
                config(),
                change(Updated, Branch, "feature/x", Some(NEW), Some(OLD)),
                "branch feature/x does not match the branch filter (main, release/*)",
            ),
            (
                no_tags,
                change(Created, Tag, "v1", Some(NEW), None),
                "tag v1 changed and tags are not reported (REPORT_TAGS=false)",
            ),
            (
                config(),
                change(
                    Updated,
                    ReferenceType::Other("note".into()),
                    "n",
                    Some(NEW),
                    None,
                ),
                "reference type note is not reported",
            ),
            (
                config(),
                change(
                    ReferenceEvent::Other("referenceRenamed".into()),
                    Branch,
                    "main",
                    None,
                    None,
                ),
                "event referenceRenamed is not reported",
            ),
        ];
        for (config, change, reason) in cases {
            let Plan::Skip { reason: actual } = plan(&config, &change).unwrap() else {
                panic!("expected a skip: {reason}");
            };
            assert_eq!(actual.to_string(), reason);
        }
    }

    #[test]
    fn only_reference_events_go_on_to_be_planned() {
        use ReferenceEvent::*;
        for kind in [Created, Updated, Deleted] {
            assert_eq!(kind_skip_reason(&kind), None, "{kind}");
        }
        assert_eq!(
            kind_skip_reason(&UnreferencedMergeCommitCreated)
                .map(|reason| reason.to_string())
                .as_deref(),
            Some(
                "event unreferencedMergeCommitCreated is not reported: no branch points to the merge commit yet, and the branch update that adopts it is reported"
            )
        );
        assert_eq!(
            kind_skip_reason(&Other("commentOnCommitCreated".into()))
                .map(|reason| reason.to_string())
                .as_deref(),
            Some("event commentOnCommitCreated is not reported")
        );
    }

    #[test]
    fn missing_commit_ids_name_the_field() {
        use ReferenceEvent::*;
        use ReferenceType::*;
        let cases = [
            (
                change(Updated, Branch, "main", Some(NEW), None),
                "event field `detail.oldCommitId` is malformed: missing; referenceUpdated events carry it",
            ),
            (
                change(Updated, Branch, "main", None, Some(OLD)),
                "event field `detail.commitId` is malformed: missing; referenceUpdated events carry it",
            ),
            (
                change(Created, Tag, "v1", None, None),
                "event field `detail.commitId` is malformed: missing; referenceCreated events carry it",
            ),
            (
                change(Deleted, Branch, "main", None, None),
                "event field `detail.oldCommitId` is malformed: missing; referenceDeleted events carry it",
            ),
        ];
        for (change, message) in cases {
            assert_eq!(plan(&config(), &change).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn caller_names_come_from_the_arn() {
        let cases = [
            ("arn:aws:iam::123456789012:user/alice", Some("alice")),
            ("arn:aws:iam::123456789012:user/dev/bob", Some("bob")),
            (
                "arn:aws:sts::123456789012:assumed-role/Developer/carol",
                Some("carol"),
            ),
            ("arn:aws:iam::123456789012:root", None),
            ("not an arn", None),
        ];
        for (arn, expected) in cases {
            assert_eq!(caller_name(arn), expected, "{arn}");
        }
    }
}
