//! `CodeCommit Repository State Change` events.
//!
//! `referenceCreated` carries no `oldCommitId`, `referenceDeleted` no
//! `commitId`; merges add `baseCommitId`, `sourceCommitId` and
//! `mergeOption`. Event kinds and reference types CodeCommit may add later
//! are kept as `Other` rather than rejected.
//!
//! Not every event of this detail type is about a reference:
//! `unreferencedMergeCommitCreated` (a merge commit made by merging a pull
//! request or resolving conflicts, which no reference points to yet) has
//! `commitId`, `destinationCommitId`, `sourceCommitId` and `mergeOption` but
//! no `referenceType` or `referenceName`. Read [`StateChangeKind`] first and
//! parse [`RepositoryStateChange`] only for reference events.

use serde::{Deserialize, Deserializer};
use std::fmt;

use super::EventBridgeEvent;
use super::lenient::{optional_trimmed_string, trimmed_string};

pub const SOURCE: &str = "aws.codecommit";
pub const STATE_CHANGE_DETAIL_TYPE: &str = "CodeCommit Repository State Change";

pub type RepositoryStateChangeEvent = EventBridgeEvent<RepositoryStateChange>;

/// Just the kind of a state-change event and its repository: what every
/// kind carries, so an event of a kind a function does not handle can be
/// skipped with a reason instead of failing on fields its kind lacks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChangeKind {
    pub event: ReferenceEvent,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub repository_name: Option<String>,
}

/// The `detail` of a repository state-change event about a reference
/// (`referenceCreated`, `referenceUpdated`, `referenceDeleted`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryStateChange {
    pub event: ReferenceEvent,
    #[serde(deserialize_with = "non_empty_string")]
    pub repository_name: String,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub repository_id: Option<String>,
    pub reference_type: ReferenceType,
    #[serde(deserialize_with = "non_empty_string")]
    pub reference_name: String,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub reference_full_name: Option<String>,
    #[serde(default, deserialize_with = "optional_commit_id")]
    pub commit_id: Option<String>,
    #[serde(default, deserialize_with = "optional_commit_id")]
    pub old_commit_id: Option<String>,
    #[serde(default, deserialize_with = "optional_commit_id")]
    pub base_commit_id: Option<String>,
    #[serde(default, deserialize_with = "optional_commit_id")]
    pub source_commit_id: Option<String>,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub merge_option: Option<String>,
    #[serde(default, deserialize_with = "optional_trimmed_string")]
    pub caller_user_arn: Option<String>,
}

/// The event's `event`: what happened to a reference, or another kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceEvent {
    Created,
    Updated,
    Deleted,
    /// A merge commit no reference points to yet; no reference fields.
    UnreferencedMergeCommitCreated,
    Other(String),
}

impl ReferenceEvent {
    pub fn name(&self) -> &str {
        match self {
            Self::Created => "referenceCreated",
            Self::Updated => "referenceUpdated",
            Self::Deleted => "referenceDeleted",
            Self::UnreferencedMergeCommitCreated => "unreferencedMergeCommitCreated",
            Self::Other(name) => name,
        }
    }

    /// Whether the event is about a reference, and so has the reference
    /// fields [`RepositoryStateChange`] requires.
    pub fn is_reference_event(&self) -> bool {
        matches!(self, Self::Created | Self::Updated | Self::Deleted)
    }
}

impl fmt::Display for ReferenceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ReferenceEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = non_empty_string(deserializer)?;
        Ok(match name.to_ascii_lowercase().as_str() {
            "referencecreated" => Self::Created,
            "referenceupdated" => Self::Updated,
            "referencedeleted" => Self::Deleted,
            "unreferencedmergecommitcreated" => Self::UnreferencedMergeCommitCreated,
            _ => Self::Other(name),
        })
    }
}

/// The kind of reference that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceType {
    Branch,
    Tag,
    Other(String),
}

impl ReferenceType {
    pub fn name(&self) -> &str {
        match self {
            Self::Branch => "branch",
            Self::Tag => "tag",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for ReferenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ReferenceType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = non_empty_string(deserializer)?.to_ascii_lowercase();
        Ok(match name.as_str() {
            "branch" => Self::Branch,
            "tag" => Self::Tag,
            _ => Self::Other(name),
        })
    }
}

/// Whether `id` has the shape of a full git commit id: 40 hex digits (SHA-1).
pub fn is_commit_id(id: &str) -> bool {
    id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn non_empty_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = trimmed_string(deserializer)?;
    if text.is_empty() {
        return Err(serde::de::Error::custom("is empty"));
    }
    Ok(text)
}

fn optional_commit_id<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let Some(id) = optional_trimmed_string(deserializer)? else {
        return Ok(None);
    };
    let id = id.to_ascii_lowercase();
    if is_commit_id(&id) {
        Ok(Some(id))
    } else {
        Err(serde::de::Error::custom(format!(
            "{} is not a commit id (expected 40 hex digits)",
            super::quoted(&id)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_event;
    use serde_json::json;

    fn event(detail: serde_json::Value) -> serde_json::Value {
        json!({
            "version": "0",
            "id": "01234567-0123-0123-0123-012345678901",
            "detail-type": STATE_CHANGE_DETAIL_TYPE,
            "source": SOURCE,
            "account": "123456789012",
            "time": "2026-11-22T10:00:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:codecommit:eu-west-1:123456789012:my-repo"],
            "detail": detail
        })
    }

    const NEW: &str = "3d8f3a4c5b6e7f8091a2b3c4d5e6f708192a3b4c";
    const OLD: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

    #[test]
    fn reads_an_update_with_every_field() {
        let parsed = parse_event::<RepositoryStateChange>(&event(json!({
            "callerUserArn": "arn:aws:iam::123456789012:user/alice",
            "commitId": format!(" {} ", NEW.to_uppercase()),
            "event": "referenceUpdated",
            "oldCommitId": OLD,
            "referenceFullName": "refs/heads/main",
            "referenceName": "main",
            "referenceType": "branch",
            "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "repositoryName": "my-repo",
            "baseCommitId": OLD,
            "sourceCommitId": NEW,
            "mergeOption": "FAST_FORWARD_MERGE",
            "conflictDetailLevel": "FILE_LEVEL"
        })))
        .unwrap();
        let detail = parsed.detail;
        assert_eq!(detail.event, ReferenceEvent::Updated);
        assert_eq!(detail.reference_type, ReferenceType::Branch);
        assert_eq!(detail.commit_id.as_deref(), Some(NEW));
        assert_eq!(detail.old_commit_id.as_deref(), Some(OLD));
        assert_eq!(detail.base_commit_id.as_deref(), Some(OLD));
        assert_eq!(detail.source_commit_id.as_deref(), Some(NEW));
        assert_eq!(detail.merge_option.as_deref(), Some("FAST_FORWARD_MERGE"));
        assert_eq!(
            detail.reference_full_name.as_deref(),
            Some("refs/heads/main")
        );
        assert_eq!(
            detail.caller_user_arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
    }

    #[test]
    fn created_and_deleted_omit_one_commit_id() {
        let created = parse_event::<RepositoryStateChange>(&event(json!({
            "event": "referenceCreated", "repositoryName": "r", "referenceType": "tag",
            "referenceName": "v1.0", "commitId": NEW
        })))
        .unwrap()
        .detail;
        assert_eq!(created.event, ReferenceEvent::Created);
        assert_eq!(created.reference_type, ReferenceType::Tag);
        assert_eq!(created.old_commit_id, None);
        let deleted = parse_event::<RepositoryStateChange>(&event(json!({
            "event": "referenceDeleted", "repositoryName": "r", "referenceType": "branch",
            "referenceName": "old", "oldCommitId": OLD, "commitId": ""
        })))
        .unwrap()
        .detail;
        assert_eq!(deleted.event, ReferenceEvent::Deleted);
        assert_eq!(deleted.commit_id, None);
    }

    #[test]
    fn unknown_kinds_are_carried_as_other() {
        let detail = parse_event::<RepositoryStateChange>(&event(json!({
            "event": "referenceRenamed", "repositoryName": "r", "referenceType": "Note",
            "referenceName": "x"
        })))
        .unwrap()
        .detail;
        assert_eq!(
            detail.event,
            ReferenceEvent::Other("referenceRenamed".into())
        );
        assert_eq!(detail.reference_type, ReferenceType::Other("note".into()));
        assert_eq!(detail.event.to_string(), "referenceRenamed");
    }

    #[test]
    fn an_unreferenced_merge_commit_is_recognised_by_its_kind_alone() {
        let raw = event(json!({
            "callerUserArn": "arn:aws:iam::123456789012:user/alice",
            "commitId": NEW,
            "destinationCommitId": OLD,
            "event": "unreferencedMergeCommitCreated",
            "mergeOption": "THREE_WAY_MERGE",
            "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "repositoryName": "my-repo",
            "sourceCommitId": NEW
        }));
        let kind = parse_event::<StateChangeKind>(&raw).unwrap().detail;
        assert_eq!(kind.event, ReferenceEvent::UnreferencedMergeCommitCreated);
        assert_eq!(kind.event.name(), "unreferencedMergeCommitCreated");
        assert!(!kind.event.is_reference_event());
        assert_eq!(kind.repository_name.as_deref(), Some("my-repo"));
        // Read as a reference event it lacks the reference fields.
        assert_eq!(
            parse_event::<RepositoryStateChange>(&raw)
                .unwrap_err()
                .to_string(),
            "event field `detail` is malformed: missing field `referenceType`"
        );
        for (name, reference) in [
            ("referenceCreated", true),
            ("referenceUpdated", true),
            ("referenceDeleted", true),
            ("commentOnCommitCreated", false),
        ] {
            let kind = parse_event::<StateChangeKind>(&event(json!({"event": name})))
                .unwrap()
                .detail;
            assert_eq!(kind.event.is_reference_event(), reference, "{name}");
            assert_eq!(kind.repository_name, None);
        }
        assert_eq!(
            parse_event::<StateChangeKind>(&event(json!({"repositoryName": "r"})))
                .unwrap_err()
                .to_string(),
            "event field `detail` is malformed: missing field `event`"
        );
    }

    #[test]
    fn errors_name_the_field() {
        for (detail, message) in [
            (
                json!({"event": "referenceUpdated", "referenceType": "branch", "referenceName": "main"}),
                "event field `detail` is malformed: missing field `repositoryName`",
            ),
            (
                json!({"event": "referenceUpdated", "repositoryName": " ", "referenceType": "branch", "referenceName": "main"}),
                "event field `detail.repositoryName` is malformed: is empty",
            ),
            (
                json!({"event": "referenceUpdated", "repositoryName": "r", "referenceType": "branch", "referenceName": "main", "commitId": "abc"}),
                "event field `detail.commitId` is malformed: \"abc\" is not a commit id (expected 40 hex digits)",
            ),
            (
                json!({"event": 5, "repositoryName": "r", "referenceType": "branch", "referenceName": "main"}),
                "event field `detail.event` is malformed: invalid type: integer `5`, expected a string",
            ),
        ] {
            assert_eq!(
                parse_event::<RepositoryStateChange>(&event(detail))
                    .unwrap_err()
                    .to_string(),
                message
            );
        }
    }
}
