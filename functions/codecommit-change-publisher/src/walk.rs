//! Which commits a push brought, found by walking first parents. A pure
//! state machine: it says which commit to fetch next, the caller fetches it
//! and records its parents, until the walk is finished.
//!
//! The new head's first-parent chain is walked back to the previous head.
//! If it ends without meeting it, history was rewritten (a force push): the
//! previous head's own chain is then walked until it meets the new chain,
//! which gives the point the two histories share and how many commits were
//! replaced.

/// How many commits either chain is walked at most, so that one invocation
/// stays within its timeout.
pub const MAX_WALKED_COMMITS: usize = 500;

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkStep {
    /// Fetch this commit; `detailed` asks for its author, message and files
    /// because it will be listed, otherwise only its parents are needed.
    Fetch {
        commit_id: String,
        detailed: bool,
    },
    Finished,
}

/// How the new head relates to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// The previous head is an ancestor: an ordinary push.
    FastForward,
    /// The previous head is not in the new history (force push).
    /// `shared` is the newest commit both histories have, when found, and
    /// `replaced` the commits between it and the previous head.
    Rewritten {
        shared: Option<String>,
        replaced: Option<usize>,
    },
    /// The new chain was walked [`MAX_WALKED_COMMITS`] back without
    /// meeting the previous head; nothing more is known.
    NotReached { checked: usize },
}

/// The result of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOutcome {
    /// The newest pushed commits, newest first, at most the listing cap.
    pub listed: Vec<String>,
    /// Pushed commits older than the listed ones.
    pub earlier: usize,
    /// `earlier` is a lower bound: the walk stopped before the end.
    pub earlier_is_lower_bound: bool,
    pub history: History,
}

impl WalkOutcome {
    pub fn total(&self) -> usize {
        self.listed.len() + self.earlier
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    NewChain { next: String },
    PreviousChain { next: String, walked: usize },
    Done(History),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryWalk {
    previous_head: String,
    max_listed: usize,
    new_chain: Vec<String>,
    phase: Phase,
}

impl HistoryWalk {
    pub fn new(new_head: &str, previous_head: &str, max_listed: usize) -> Self {
        let phase = if new_head == previous_head {
            Phase::Done(History::FastForward)
        } else {
            Phase::NewChain {
                next: new_head.to_owned(),
            }
        };
        Self {
            previous_head: previous_head.to_owned(),
            max_listed,
            new_chain: Vec::new(),
            phase,
        }
    }

    pub fn next_step(&self) -> WalkStep {
        match &self.phase {
            Phase::NewChain { next } => WalkStep::Fetch {
                commit_id: next.clone(),
                detailed: self.new_chain.len() < self.max_listed,
            },
            Phase::PreviousChain { next, .. } => WalkStep::Fetch {
                commit_id: next.clone(),
                detailed: false,
            },
            Phase::Done(_) => WalkStep::Finished,
        }
    }

    /// Records the parents of the commit [`Self::next_step`] asked for.
    pub fn record(&mut self, parents: &[String]) {
        let first_parent = parents.first().cloned();
        self.phase = match std::mem::replace(&mut self.phase, Phase::Done(History::FastForward)) {
            Phase::NewChain { next } => {
                self.new_chain.push(next);
                match first_parent {
                    Some(parent) if parent == self.previous_head => {
                        Phase::Done(History::FastForward)
                    }
                    None => Phase::PreviousChain {
                        next: self.previous_head.clone(),
                        walked: 0,
                    },
                    Some(_) if self.new_chain.len() >= MAX_WALKED_COMMITS => {
                        Phase::Done(History::NotReached {
                            checked: self.new_chain.len(),
                        })
                    }
                    Some(parent) => Phase::NewChain { next: parent },
                }
            }
            Phase::PreviousChain { walked, .. } => {
                let walked = walked + 1;
                match first_parent {
                    Some(parent) if self.new_chain.contains(&parent) => {
                        Phase::Done(History::Rewritten {
                            shared: Some(parent),
                            replaced: Some(walked),
                        })
                    }
                    Some(parent) if walked < MAX_WALKED_COMMITS => Phase::PreviousChain {
                        next: parent,
                        walked,
                    },
                    _ => Phase::Done(History::Rewritten {
                        shared: None,
                        replaced: None,
                    }),
                }
            }
            done @ Phase::Done(_) => done,
        };
    }

    /// The commit asked for does not exist. Only the previous head's chain
    /// may have lost commits (rewritten history can be pruned); there the
    /// shared point stays unknown.
    pub fn record_missing(&mut self) -> Result<(), String> {
        match &self.phase {
            Phase::PreviousChain { .. } => {
                self.phase = Phase::Done(History::Rewritten {
                    shared: None,
                    replaced: None,
                });
                Ok(())
            }
            Phase::NewChain { next } => Err(next.clone()),
            Phase::Done(_) => Ok(()),
        }
    }

    pub fn finish(self) -> WalkOutcome {
        let history = match self.phase {
            Phase::Done(history) => history,
            // Finishing early knows nothing about the previous head.
            Phase::NewChain { .. } | Phase::PreviousChain { .. } => History::NotReached {
                checked: self.new_chain.len(),
            },
        };
        let mut pushed = self.new_chain;
        if let History::Rewritten {
            shared: Some(shared),
            ..
        } = &history
            && let Some(position) = pushed.iter().position(|id| id == shared)
        {
            pushed.truncate(position);
        }
        let earlier = pushed.len().saturating_sub(self.max_listed);
        pushed.truncate(self.max_listed);
        WalkOutcome {
            listed: pushed,
            earlier,
            earlier_is_lower_bound: matches!(history, History::NotReached { .. }),
            history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Runs a walk over a graph given as `commit: parents` and returns the
    /// outcome and every fetch it asked for.
    fn run(
        graph: &[(&str, &[&str])],
        new: &str,
        previous: &str,
        max_listed: usize,
    ) -> (WalkOutcome, Vec<(String, bool)>) {
        let parents: HashMap<&str, Vec<String>> = graph
            .iter()
            .map(|(id, parents)| (*id, parents.iter().map(|p| (*p).to_owned()).collect()))
            .collect();
        let mut walk = HistoryWalk::new(new, previous, max_listed);
        let mut fetches = Vec::new();
        while let WalkStep::Fetch {
            commit_id,
            detailed,
        } = walk.next_step()
        {
            fetches.push((commit_id.clone(), detailed));
            match parents.get(commit_id.as_str()) {
                Some(parents) => walk.record(parents),
                None => walk.record_missing().unwrap(),
            }
        }
        (walk.finish(), fetches)
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    // a <- b <- c <- d <- e, and f branching from b (f's first parent b).
    const LINE: &[(&str, &[&str])] = &[
        ("a", &[]),
        ("b", &["a"]),
        ("c", &["b"]),
        ("d", &["c"]),
        ("e", &["d"]),
        ("f", &["b"]),
        ("m", &["e", "f"]),
    ];

    #[test]
    fn walks_back_to_the_previous_head() {
        let cases: &[(&str, &str, usize, &[&str], usize)] = &[
            ("e", "d", 50, &["e"], 0),
            ("e", "b", 50, &["e", "d", "c"], 0),
            ("e", "b", 2, &["e", "d"], 1),
            ("e", "a", 1, &["e"], 3),
            ("m", "e", 50, &["m"], 0),
            ("e", "e", 50, &[], 0),
        ];
        for (new, previous, max, listed, earlier) in cases {
            let (outcome, _) = run(LINE, new, previous, *max);
            assert_eq!(
                outcome,
                WalkOutcome {
                    listed: ids(listed),
                    earlier: *earlier,
                    earlier_is_lower_bound: false,
                    history: History::FastForward,
                },
                "{new} after {previous}, max {max}"
            );
        }
    }

    #[test]
    fn only_listed_commits_are_fetched_in_detail() {
        let (_, fetches) = run(LINE, "e", "a", 2);
        assert_eq!(
            fetches,
            vec![
                ("e".to_owned(), true),
                ("d".to_owned(), true),
                ("c".to_owned(), false),
                ("b".to_owned(), false),
            ]
        );
    }

    #[test]
    fn a_force_push_finds_the_shared_commit() {
        // The branch was at e; f (built on b) replaced c, d and e.
        let (outcome, fetches) = run(LINE, "f", "e", 50);
        assert_eq!(
            outcome,
            WalkOutcome {
                listed: ids(&["f"]),
                earlier: 0,
                earlier_is_lower_bound: false,
                history: History::Rewritten {
                    shared: Some("b".into()),
                    replaced: Some(3),
                },
            }
        );
        let fetched: Vec<&str> = fetches.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(fetched, vec!["f", "b", "a", "e", "d", "c"]);
    }

    #[test]
    fn moving_a_branch_back_lists_nothing_new() {
        let (outcome, _) = run(LINE, "c", "e", 50);
        assert_eq!(outcome.listed, Vec::<String>::new());
        assert_eq!(
            outcome.history,
            History::Rewritten {
                shared: Some("c".into()),
                replaced: Some(2),
            }
        );
    }

    #[test]
    fn unrelated_or_pruned_previous_history_leaves_the_shared_point_unknown() {
        let unrelated: &[(&str, &[&str])] = &[("x", &[]), ("y", &["x"]), ("b", &["a"]), ("a", &[])];
        let (outcome, _) = run(unrelated, "y", "b", 50);
        assert_eq!(outcome.listed, ids(&["y", "x"]));
        assert_eq!(
            outcome.history,
            History::Rewritten {
                shared: None,
                replaced: None,
            }
        );
        let pruned: &[(&str, &[&str])] = &[("x", &[]), ("y", &["x"])];
        let (outcome, _) = run(pruned, "y", "gone", 50);
        assert_eq!(
            outcome.history,
            History::Rewritten {
                shared: None,
                replaced: None,
            }
        );
    }

    #[test]
    fn a_missing_new_commit_is_an_error() {
        let mut walk = HistoryWalk::new("n", "p", 5);
        assert_eq!(walk.record_missing(), Err("n".to_owned()));
    }

    #[test]
    fn very_long_histories_stop_with_a_lower_bound() {
        let names: Vec<String> = (0..=MAX_WALKED_COMMITS + 10)
            .map(|i| format!("c{i}"))
            .collect();
        let parents: Vec<Vec<String>> = names
            .iter()
            .enumerate()
            .map(|(i, _)| names.get(i + 1).cloned().into_iter().collect())
            .collect();
        let mut walk = HistoryWalk::new("c0", "elsewhere", 10);
        let mut fetched = 0;
        while let WalkStep::Fetch { commit_id, .. } = walk.next_step() {
            let index: usize = commit_id[1..].parse().unwrap();
            walk.record(&parents[index]);
            fetched += 1;
        }
        assert_eq!(fetched, MAX_WALKED_COMMITS);
        let outcome = walk.finish();
        assert_eq!(outcome.listed.len(), 10);
        assert_eq!(outcome.earlier, MAX_WALKED_COMMITS - 10);
        assert!(outcome.earlier_is_lower_bound);
        assert_eq!(
            outcome.history,
            History::NotReached {
                checked: MAX_WALKED_COMMITS
            }
        );
    }
}
