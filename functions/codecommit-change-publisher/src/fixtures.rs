//! Test values more than one test module of this crate builds, each written
//! once: two commit ids and a reference change of the repository `app`.

use watchkeeper_shared::events::codecommit::{
    ReferenceEvent, ReferenceType, RepositoryStateChange,
};

/// The commit a reference points at after the change (40 hex digits).
pub const NEW: &str = "3d8f3a4c5b6e7f8091a2b3c4d5e6f708192a3b4c";
/// The commit it pointed at before.
pub const OLD: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

/// `event` of the reference `name` of kind `kind` in the repository `app`,
/// from commit `old` to commit `new`, with nothing else set.
pub fn change(
    event: ReferenceEvent,
    kind: ReferenceType,
    name: &str,
    new: Option<&str>,
    old: Option<&str>,
) -> RepositoryStateChange {
    RepositoryStateChange {
        event,
        repository_name: "app".into(),
        repository_id: None,
        reference_type: kind,
        reference_name: name.into(),
        reference_full_name: None,
        commit_id: new.map(str::to_owned),
        old_commit_id: old.map(str::to_owned),
        base_commit_id: None,
        source_commit_id: None,
        merge_option: None,
        caller_user_arn: None,
    }
}
