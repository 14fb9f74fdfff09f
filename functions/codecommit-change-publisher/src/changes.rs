//! File changes of one commit, classified from CodeCommit's differences.

use std::collections::HashSet;

/// One side of a CodeCommit `Difference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSide {
    pub path: String,
    pub mode: String,
    pub blob_id: String,
}

/// A CodeCommit `Difference`: no `before` for an added file, no `after`
/// for a deleted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub before: Option<BlobSide>,
    pub after: Option<BlobSide>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileChange {
    Added {
        path: String,
    },
    Deleted {
        path: String,
    },
    Modified {
        path: String,
    },
    Renamed {
        from: String,
        to: String,
        edited: bool,
    },
    ModeChanged {
        path: String,
        from: String,
        to: String,
        edited: bool,
    },
}

impl FileChange {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Added { .. } => "added",
            Self::Deleted { .. } => "deleted",
            Self::Modified { .. } => "modified",
            Self::Renamed { .. } => "renamed",
            Self::ModeChanged { .. } => "mode changed",
        }
    }

    /// One line of the email: `label  path` and what else changed.
    pub fn line(&self) -> String {
        let edited = |edited: &bool| if *edited { ", edited" } else { "" };
        let text = match self {
            Self::Added { path } | Self::Deleted { path } | Self::Modified { path } => path.clone(),
            Self::Renamed {
                from,
                to,
                edited: e,
            } => {
                format!("{from} -> {to}{}", if *e { " (edited)" } else { "" })
            }
            Self::ModeChanged {
                path,
                from,
                to,
                edited: e,
            } => format!(
                "{path} ({} -> {}{})",
                describe_mode(from),
                describe_mode(to),
                edited(e)
            ),
        };
        format!("{:<12} {text}", self.label())
    }
}

/// Git's file modes, as a reader knows them.
pub fn describe_mode(mode: &str) -> String {
    let meaning = match mode {
        "100644" => "file",
        "100755" => "executable",
        "120000" => "symlink",
        "160000" => "submodule",
        "040000" => "directory",
        _ => return mode.to_owned(),
    };
    format!("{meaning} {mode}")
}

/// Classifies differences, each file once, in CodeCommit's order. A
/// difference whose before and after paths differ is a rename, whatever
/// its change type says (CodeCommit reports renames as `M`).
pub fn classify(differences: &[Difference]) -> Vec<FileChange> {
    let mut seen = HashSet::new();
    differences
        .iter()
        .filter_map(|difference| {
            let change = match (&difference.before, &difference.after) {
                (None, None) => return None,
                (None, Some(after)) => FileChange::Added {
                    path: after.path.clone(),
                },
                (Some(before), None) => FileChange::Deleted {
                    path: before.path.clone(),
                },
                (Some(before), Some(after)) => {
                    let edited = before.blob_id != after.blob_id;
                    if before.path != after.path {
                        FileChange::Renamed {
                            from: before.path.clone(),
                            to: after.path.clone(),
                            edited,
                        }
                    } else if before.mode != after.mode {
                        FileChange::ModeChanged {
                            path: after.path.clone(),
                            from: before.mode.clone(),
                            to: after.mode.clone(),
                            edited,
                        }
                    } else {
                        FileChange::Modified {
                            path: after.path.clone(),
                        }
                    }
                }
            };
            seen.insert(change.clone()).then_some(change)
        })
        .collect()
}

/// `3 files changed: 1 added, 1 modified, 1 renamed`, with exact counts.
pub fn summary(changes: &[FileChange]) -> String {
    if changes.is_empty() {
        return "no files changed".to_owned();
    }
    let labels = ["added", "modified", "deleted", "renamed", "mode changed"];
    let counts: Vec<String> = labels
        .iter()
        .filter_map(|label| {
            let count = changes.iter().filter(|c| c.label() == *label).count();
            (count > 0).then(|| format!("{count} {label}"))
        })
        .collect();
    format!(
        "{} {} changed: {}",
        changes.len(),
        plural(changes.len(), "file", "files"),
        counts.join(", ")
    )
}

pub fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(path: &str, mode: &str, blob: &str) -> Option<BlobSide> {
        Some(BlobSide {
            path: path.into(),
            mode: mode.into(),
            blob_id: blob.into(),
        })
    }

    #[test]
    fn classifies_every_kind_of_change() {
        let cases = [
            (
                Difference {
                    before: None,
                    after: side("new.rs", "100644", "b1"),
                },
                FileChange::Added {
                    path: "new.rs".into(),
                },
                "added        new.rs",
            ),
            (
                Difference {
                    before: side("old.rs", "100644", "b1"),
                    after: None,
                },
                FileChange::Deleted {
                    path: "old.rs".into(),
                },
                "deleted      old.rs",
            ),
            (
                Difference {
                    before: side("lib.rs", "100644", "b1"),
                    after: side("lib.rs", "100644", "b2"),
                },
                FileChange::Modified {
                    path: "lib.rs".into(),
                },
                "modified     lib.rs",
            ),
            (
                Difference {
                    before: side("a.rs", "100644", "b1"),
                    after: side("src/a.rs", "100644", "b1"),
                },
                FileChange::Renamed {
                    from: "a.rs".into(),
                    to: "src/a.rs".into(),
                    edited: false,
                },
                "renamed      a.rs -> src/a.rs",
            ),
            (
                Difference {
                    before: side("a.rs", "100644", "b1"),
                    after: side("b.rs", "100755", "b2"),
                },
                FileChange::Renamed {
                    from: "a.rs".into(),
                    to: "b.rs".into(),
                    edited: true,
                },
                "renamed      a.rs -> b.rs (edited)",
            ),
            (
                Difference {
                    before: side("run.sh", "100644", "b1"),
                    after: side("run.sh", "100755", "b1"),
                },
                FileChange::ModeChanged {
                    path: "run.sh".into(),
                    from: "100644".into(),
                    to: "100755".into(),
                    edited: false,
                },
                "mode changed run.sh (file 100644 -> executable 100755)",
            ),
            (
                Difference {
                    before: side("link", "120000", "b1"),
                    after: side("link", "100644", "b2"),
                },
                FileChange::ModeChanged {
                    path: "link".into(),
                    from: "120000".into(),
                    to: "100644".into(),
                    edited: true,
                },
                "mode changed link (symlink 120000 -> file 100644, edited)",
            ),
        ];
        for (difference, expected, line) in cases {
            let changes = classify(std::slice::from_ref(&difference));
            assert_eq!(changes, vec![expected.clone()], "{difference:?}");
            assert_eq!(expected.line(), line);
        }
    }

    #[test]
    fn each_file_appears_once() {
        let modified = Difference {
            before: side("lib.rs", "100644", "b1"),
            after: side("lib.rs", "100644", "b2"),
        };
        let empty = Difference {
            before: None,
            after: None,
        };
        assert_eq!(classify(&[modified.clone(), empty, modified]).len(), 1);
    }

    #[test]
    fn summaries_count_exactly() {
        let added = |path: &str| FileChange::Added { path: path.into() };
        let cases = [
            (vec![], "no files changed"),
            (vec![added("a")], "1 file changed: 1 added"),
            (
                vec![
                    added("a"),
                    added("b"),
                    FileChange::Deleted { path: "c".into() },
                    FileChange::ModeChanged {
                        path: "d".into(),
                        from: "100644".into(),
                        to: "100755".into(),
                        edited: false,
                    },
                ],
                "4 files changed: 2 added, 1 deleted, 1 mode changed",
            ),
        ];
        for (changes, expected) in cases {
            assert_eq!(summary(&changes), expected);
        }
        assert_eq!(describe_mode("100600"), "100600");
    }
}
