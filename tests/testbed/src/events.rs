//! The sample events in `events/`, which are also the test fixtures.

use serde_json::Value;

/// Reads `events/<name>` as JSON.
pub fn load(name: &str) -> Value {
    let path = crate::workspace_root().join("events").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Sets `detail.<field>` in an event, e.g. to point a sample event at an
/// instance the test created.
pub fn with_detail(mut event: Value, field: &str, value: impl Into<Value>) -> Value {
    event["detail"][field] = value.into();
    event
}

/// `events/codecommit-branch-updated.json` as a push that moved the branch
/// from commit `old` to commit `new` (full commit ids).
pub fn push_event(new: &str, old: &str) -> Value {
    with_detail(
        with_detail(load("codecommit-branch-updated.json"), "commitId", new),
        "oldCommitId",
        old,
    )
}
