//! Which commits a push brought. A pure state machine: it says which commit
//! to fetch next, the caller fetches it and records its parents and commit
//! time, until the walk is finished.
//!
//! 1. The new head's first-parent chain is walked back to the previous head.
//!    If it ends without meeting it, history was rewritten (a force push):
//!    the previous head's own chain is then walked until it meets the new
//!    chain, which gives the point the two histories share and how many
//!    commits were replaced.
//! 2. When the new commits on that chain include merges, the commits the
//!    merges brought in are found too, as `git rev-list new ^old` finds
//!    them: every parent is followed, latest commit time first, from the
//!    merges' other parents (new) and from the previous head (old). A
//!    commit the old side reaches is not new, and the walk stops as soon as
//!    nothing new is left to look at, so the old side is walked only as far
//!    back as the merged branches go. A push without merges makes no call
//!    for this step.
//!
//! Commits are listed newest first: each before its parents and, among
//! those that could come next, the latest committed first (git's
//! `--date-order`); a push without merges lists its first-parent chain.
//! Steps 1 and 2 together fetch at most [`MAX_WALKED_COMMITS`] commits from
//! the new history, and the previous head's chain at most as many again.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

/// How many commits the new history (first-parent chain and merged
/// branches together), and separately the previous head's chain, are
/// walked at most, so that one invocation stays within its timeout.
pub const MAX_WALKED_COMMITS: usize = 500;

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkStep {
    /// Fetch this commit and [`HistoryWalk::record`] its parents and time.
    Fetch {
        commit_id: String,
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

/// When a commit was committed, in seconds since the epoch, from
/// CodeCommit's `"<seconds> <offset>"` date
/// ([`watchkeeper_shared::time::parse_git_date`]); `None` when unreadable.
pub fn commit_time(date: &str) -> Option<i64> {
    watchkeeper_shared::time::parse_git_date(date)
        .ok()
        .map(|time| time.unix_timestamp())
}

/// A fetched commit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    parents: Vec<String>,
    time: Option<i64>,
    /// Reachable from the previous head: not brought by the push.
    old: bool,
    /// Fetch order, which breaks ties between equal times.
    seen: usize,
}

/// A commit waiting to be fetched by the merged-branch walk.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    old: bool,
    /// The latest commit time of a child that led here: the walk goes
    /// newest first, and a parent is never newer than its child.
    priority: Option<i64>,
    /// When first queued; the earliest goes first among equal priorities.
    queued: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    NewChain {
        next: String,
    },
    PreviousChain {
        next: String,
        walked: usize,
    },
    Merged {
        history: History,
        next: String,
        pending: Pending,
    },
    Done {
        history: History,
        /// False when the merged-branch walk ran out of budget with new
        /// commits still to look at.
        complete: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryWalk {
    previous_head: String,
    max_listed: usize,
    new_chain: Vec<String>,
    nodes: HashMap<String, Node>,
    queue: HashMap<String, Pending>,
    queued: usize,
    merged_fetches: usize,
    phase: Phase,
}

impl HistoryWalk {
    pub fn new(new_head: &str, previous_head: &str, max_listed: usize) -> Self {
        let phase = if new_head == previous_head {
            Phase::Done {
                history: History::FastForward,
                complete: true,
            }
        } else {
            Phase::NewChain {
                next: new_head.to_owned(),
            }
        };
        Self {
            previous_head: previous_head.to_owned(),
            max_listed,
            new_chain: Vec::new(),
            nodes: HashMap::new(),
            queue: HashMap::new(),
            queued: 0,
            merged_fetches: 0,
            phase,
        }
    }

    pub fn next_step(&self) -> WalkStep {
        match &self.phase {
            Phase::NewChain { next }
            | Phase::PreviousChain { next, .. }
            | Phase::Merged { next, .. } => WalkStep::Fetch {
                commit_id: next.clone(),
            },
            Phase::Done { .. } => WalkStep::Finished,
        }
    }

    /// Records the parents and commit time (see [`commit_time`]) of the
    /// commit [`Self::next_step`] asked for.
    pub fn record(&mut self, parents: &[String], time: Option<i64>) {
        let first_parent = parents.first().cloned();
        let phase = std::mem::replace(
            &mut self.phase,
            Phase::Done {
                history: History::FastForward,
                complete: true,
            },
        );
        self.phase = match phase {
            Phase::NewChain { next } => {
                self.remember(&next, parents, time, false);
                self.new_chain.push(next);
                match first_parent {
                    // The previous head as another parent: a merge of the
                    // branch into the pushed one, still a fast-forward.
                    Some(_) if parents.contains(&self.previous_head) => {
                        self.after_chains(History::FastForward)
                    }
                    None => Phase::PreviousChain {
                        next: self.previous_head.clone(),
                        walked: 0,
                    },
                    Some(_) if self.new_chain.len() >= MAX_WALKED_COMMITS => Phase::Done {
                        history: History::NotReached {
                            checked: self.new_chain.len(),
                        },
                        complete: true,
                    },
                    Some(parent) => Phase::NewChain { next: parent },
                }
            }
            Phase::PreviousChain { next, walked } => {
                self.remember(&next, parents, time, true);
                let walked = walked + 1;
                match first_parent {
                    Some(parent) if self.new_chain.contains(&parent) => {
                        self.after_chains(History::Rewritten {
                            shared: Some(parent),
                            replaced: Some(walked),
                        })
                    }
                    Some(parent) if walked < MAX_WALKED_COMMITS => Phase::PreviousChain {
                        next: parent,
                        walked,
                    },
                    _ => Phase::Done {
                        history: History::Rewritten {
                            shared: None,
                            replaced: None,
                        },
                        complete: true,
                    },
                }
            }
            Phase::Merged {
                history,
                next,
                pending,
            } => {
                self.merged_fetches += 1;
                self.remember(&next, parents, time, pending.old);
                let priority = time.or(pending.priority);
                for parent in parents {
                    match self.nodes.get(parent) {
                        Some(known) if pending.old && !known.old => self.mark_old(parent),
                        Some(_) => {}
                        None => self.enqueue(parent, pending.old, priority),
                    }
                }
                self.next_merged(history)
            }
            done @ Phase::Done { .. } => done,
        };
    }

    /// The commit asked for does not exist. Only the previous head's
    /// history may have lost commits (rewritten history can be pruned);
    /// there the shared point stays unknown, or the old side ends there.
    pub fn record_missing(&mut self) -> Result<(), String> {
        match &self.phase {
            Phase::PreviousChain { .. } => {
                self.phase = Phase::Done {
                    history: History::Rewritten {
                        shared: None,
                        replaced: None,
                    },
                    complete: true,
                };
                Ok(())
            }
            Phase::Merged { pending, .. } if pending.old => {
                self.record(&[], None);
                Ok(())
            }
            Phase::NewChain { next } | Phase::Merged { next, .. } => Err(next.clone()),
            Phase::Done { .. } => Ok(()),
        }
    }

    fn remember(&mut self, id: &str, parents: &[String], time: Option<i64>, old: bool) {
        let seen = self.nodes.len();
        self.nodes.entry(id.to_owned()).or_insert(Node {
            parents: parents.to_vec(),
            time,
            old,
            seen,
        });
    }

    /// The first-parent chains are walked: look for what merges brought in.
    fn after_chains(&mut self, history: History) -> Phase {
        let done = |history| Phase::Done {
            history,
            complete: true,
        };
        match &history {
            History::FastForward => {}
            History::Rewritten {
                shared: Some(shared),
                ..
            } => {
                // The new chain from the shared commit on was there before.
                if let Some(position) = self.new_chain.iter().position(|id| id == shared) {
                    for id in &self.new_chain[position..] {
                        if let Some(node) = self.nodes.get_mut(id) {
                            node.old = true;
                        }
                    }
                }
            }
            History::Rewritten { shared: None, .. } | History::NotReached { .. } => {
                return done(history);
            }
        }
        let merges = self
            .new_chain
            .iter()
            .filter_map(|id| self.nodes.get(id))
            .any(|node| !node.old && node.parents.len() > 1);
        if !merges {
            return done(history);
        }
        // The previous head first, so that it goes first among equals.
        let previous_head = self.previous_head.clone();
        if !self.nodes.contains_key(&previous_head) {
            self.enqueue(&previous_head, true, None);
        }
        let mut known: Vec<(usize, String)> = self
            .nodes
            .iter()
            .map(|(id, node)| (node.seen, id.clone()))
            .collect();
        known.sort();
        for (_, id) in known {
            let Some(node) = self.nodes.get(&id).cloned() else {
                continue;
            };
            for parent in &node.parents {
                if !self.nodes.contains_key(parent) {
                    self.enqueue(parent, node.old, node.time);
                }
            }
        }
        self.next_merged(history)
    }

    fn enqueue(&mut self, id: &str, old: bool, priority: Option<i64>) {
        if let Some(pending) = self.queue.get_mut(id) {
            pending.old |= old;
            pending.priority = pending.priority.max(priority);
            return;
        }
        self.queued += 1;
        self.queue.insert(
            id.to_owned(),
            Pending {
                old,
                priority,
                queued: self.queued,
            },
        );
    }

    /// `id` turned out to be reachable from the previous head: so are its
    /// ancestors, fetched or waiting.
    fn mark_old(&mut self, id: &str) {
        let mut stack = vec![id.to_owned()];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes.get_mut(&id) {
                if !node.old {
                    node.old = true;
                    stack.extend(node.parents.iter().cloned());
                }
            } else if let Some(pending) = self.queue.get_mut(&id) {
                pending.old = true;
            }
        }
    }

    /// The next commit of the merged-branch walk: the latest waiting one,
    /// until no new commit waits or the budget is spent.
    fn next_merged(&mut self, history: History) -> Phase {
        if self.queue.values().all(|pending| pending.old) {
            return Phase::Done {
                history,
                complete: true,
            };
        }
        if self.new_chain.len() + self.merged_fetches >= MAX_WALKED_COMMITS {
            return Phase::Done {
                history,
                complete: false,
            };
        }
        let next = self
            .queue
            .iter()
            .max_by_key(|(_, pending)| {
                (
                    pending.priority.unwrap_or(i64::MIN),
                    Reverse(pending.queued),
                )
            })
            .map(|(id, _)| id.clone());
        match next.and_then(|id| self.queue.remove(&id).map(|pending| (id, pending))) {
            Some((next, pending)) => Phase::Merged {
                history,
                next,
                pending,
            },
            None => Phase::Done {
                history,
                complete: true,
            },
        }
    }

    /// The new commits, each before its parents, the latest committed
    /// first among those that could come next.
    fn newest_first(&self) -> Vec<String> {
        let new: HashMap<&str, &Node> = self
            .nodes
            .iter()
            .filter(|(_, node)| !node.old)
            .map(|(id, node)| (id.as_str(), node))
            .collect();
        let mut children: HashMap<&str, usize> = new.keys().map(|id| (*id, 0)).collect();
        for node in new.values() {
            for parent in &node.parents {
                if let Some(count) = children.get_mut(parent.as_str()) {
                    *count += 1;
                }
            }
        }
        let mut ready: Vec<&str> = children
            .iter()
            .filter(|(_, count)| **count == 0)
            .map(|(id, _)| *id)
            .collect();
        let mut order = Vec::with_capacity(new.len());
        let mut placed = HashSet::new();
        while let Some(index) = ready
            .iter()
            .enumerate()
            .max_by_key(|(_, id)| {
                let node = new[**id];
                (node.time.unwrap_or(i64::MIN), Reverse(node.seen))
            })
            .map(|(index, _)| index)
        {
            let id = ready.swap_remove(index);
            placed.insert(id);
            order.push(id.to_owned());
            for parent in &new[id].parents {
                if let Some(count) = children.get_mut(parent.as_str()) {
                    *count -= 1;
                    if *count == 0 {
                        ready.push(parent.as_str());
                    }
                }
            }
        }
        // Only a history with a cycle (a broken server) leaves any out.
        let mut rest: Vec<(&usize, &str)> = new
            .iter()
            .filter(|(id, _)| !placed.contains(**id))
            .map(|(id, node)| (&node.seen, *id))
            .collect();
        rest.sort();
        order.extend(rest.into_iter().map(|(_, id)| id.to_owned()));
        order
    }

    pub fn finish(self) -> WalkOutcome {
        let (history, complete) = match &self.phase {
            Phase::Done { history, complete } => (history.clone(), *complete),
            Phase::Merged { history, .. } => (history.clone(), false),
            // Finishing early knows nothing about the previous head.
            Phase::NewChain { .. } | Phase::PreviousChain { .. } => (
                History::NotReached {
                    checked: self.new_chain.len(),
                },
                true,
            ),
        };
        let mut pushed = self.newest_first();
        let earlier = pushed.len().saturating_sub(self.max_listed);
        pushed.truncate(self.max_listed);
        WalkOutcome {
            listed: pushed,
            earlier,
            earlier_is_lower_bound: !complete || matches!(history, History::NotReached { .. }),
            history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit graph as `commit: parents`, with commit times.
    type Graph<'a> = &'a [(&'a str, &'a [&'a str])];

    /// Runs a walk over a graph and returns the outcome and every fetch it
    /// asked for. `times` gives commit times; commits not in it have none.
    fn run_timed(
        graph: Graph,
        times: &[(&str, i64)],
        new: &str,
        previous: &str,
        max_listed: usize,
    ) -> (WalkOutcome, Vec<String>) {
        let parents: HashMap<&str, Vec<String>> = graph
            .iter()
            .map(|(id, parents)| (*id, parents.iter().map(|p| (*p).to_owned()).collect()))
            .collect();
        let times: HashMap<&str, i64> = times.iter().copied().collect();
        let mut walk = HistoryWalk::new(new, previous, max_listed);
        let mut fetches = Vec::new();
        while let WalkStep::Fetch { commit_id } = walk.next_step() {
            fetches.push(commit_id.clone());
            match parents.get(commit_id.as_str()) {
                Some(parents) => walk.record(parents, times.get(commit_id.as_str()).copied()),
                None => walk.record_missing().unwrap(),
            }
        }
        (walk.finish(), fetches)
    }

    fn run(
        graph: Graph,
        new: &str,
        previous: &str,
        max_listed: usize,
    ) -> (WalkOutcome, Vec<String>) {
        run_timed(graph, &[], new, previous, max_listed)
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    // a <- b <- c <- d <- e, and f branching from b (f's first parent b).
    const LINE: Graph = &[
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
            // The merge brought f in.
            ("m", "e", 50, &["m", "f"], 0),
            ("m", "d", 50, &["m", "e", "f"], 0),
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
    fn a_push_without_merges_fetches_only_its_own_commits() {
        let (_, fetches) = run(LINE, "e", "a", 2);
        assert_eq!(fetches, ids(&["e", "d", "c", "b"]));
    }

    #[test]
    fn commit_times_come_from_codecommit_dates() {
        assert_eq!(commit_time("1700000000 +0000"), Some(1_700_000_000));
        assert_eq!(commit_time(" 1484167798 -0800"), Some(1_484_167_798));
        assert_eq!(commit_time("yesterday"), None);
        assert_eq!(commit_time(""), None);
    }

    // main: r <- o (the previous head) <- x; feature from r: f1 <- f2;
    // n merges feature into main: n = (x, f2). Times in minutes.
    const MERGED: Graph = &[
        ("r", &[]),
        ("f1", &["r"]),
        ("o", &["r"]),
        ("f2", &["f1"]),
        ("x", &["o"]),
        ("n", &["x", "f2"]),
    ];
    const MERGED_TIMES: &[(&str, i64)] =
        &[("r", 0), ("f1", 1), ("o", 2), ("f2", 3), ("x", 4), ("n", 5)];

    #[test]
    fn a_merge_lists_the_commits_it_brought_newest_first() {
        let (outcome, fetches) = run_timed(MERGED, MERGED_TIMES, "n", "o", 50);
        assert_eq!(
            outcome,
            WalkOutcome {
                listed: ids(&["n", "x", "f2", "f1"]),
                earlier: 0,
                earlier_is_lower_bound: false,
                history: History::FastForward,
            }
        );
        // The old side goes as far back as the merged branch, no further:
        // r is never fetched.
        assert_eq!(fetches, ids(&["n", "x", "f2", "o", "f1"]));
        // Capped like any other push.
        let (outcome, _) = run_timed(MERGED, MERGED_TIMES, "n", "o", 2);
        assert_eq!(outcome.listed, ids(&["n", "x"]));
        assert_eq!(outcome.earlier, 2);
    }

    #[test]
    fn a_branch_merged_with_the_previous_head_as_second_parent_is_a_fast_forward() {
        // feature (f1 <- f2 from r) merged main (o) in, and was pushed to main.
        let graph: Graph = &[
            ("r", &[]),
            ("o", &["r"]),
            ("f1", &["r"]),
            ("f2", &["f1"]),
            ("n", &["f2", "o"]),
        ];
        let times = &[("r", 0), ("o", 1), ("f1", 2), ("f2", 3), ("n", 4)];
        let (outcome, _) = run_timed(graph, times, "n", "o", 50);
        assert_eq!(outcome.history, History::FastForward);
        assert_eq!(outcome.listed, ids(&["n", "f2", "f1"]));
    }

    #[test]
    fn commits_the_old_side_reaches_later_are_not_listed() {
        // y is reached from the new side (through x) before the old side
        // (o <- w <- y) gets there: it is taken back, with its ancestors.
        let graph: Graph = &[
            ("root", &[]),
            ("y", &["root"]),
            ("w", &["y"]),
            ("o", &["w"]),
            ("x", &["y"]),
            ("m", &["o", "x"]),
        ];
        let times = &[
            ("root", 0),
            ("y", 1),
            ("w", 2),
            ("o", 3),
            ("x", 4),
            ("m", 5),
        ];
        let (outcome, fetches) = run_timed(graph, times, "m", "o", 50);
        assert_eq!(outcome.listed, ids(&["m", "x"]));
        assert!(!outcome.earlier_is_lower_bound);
        assert!(!fetches.contains(&"root".to_owned()), "{fetches:?}");
        // Without times the walk goes breadth first and gets there too.
        let (outcome, _) = run(graph, "m", "o", 50);
        assert_eq!(outcome.listed, ids(&["m", "x"]));
    }

    #[test]
    fn a_merge_in_a_force_push_lists_only_what_is_new() {
        // The branch was at e (on d); the new head m2 merges g (from b)
        // into c2, which replaced d and e on top of c.
        let graph: Graph = &[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("d", &["c"]),
            ("e", &["d"]),
            ("g", &["b"]),
            ("c2", &["c"]),
            ("m2", &["c2", "g"]),
        ];
        let times = &[
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("d", 3),
            ("e", 4),
            ("g", 5),
            ("c2", 6),
            ("m2", 7),
        ];
        let (outcome, _) = run_timed(graph, times, "m2", "e", 50);
        assert_eq!(
            outcome.history,
            History::Rewritten {
                shared: Some("c".into()),
                replaced: Some(2),
            }
        );
        assert_eq!(outcome.listed, ids(&["m2", "c2", "g"]));
    }

    #[test]
    fn the_merged_walk_shares_the_budget_and_says_when_it_ran_out() {
        // A merge of a side branch MAX_WALKED_COMMITS long, unrelated to
        // the previous head's history beyond the root.
        let mut graph: Vec<(String, Vec<String>)> =
            vec![("root".into(), vec![]), ("o".into(), vec!["root".into()])];
        for i in 0..MAX_WALKED_COMMITS {
            let parent = if i == 0 {
                "root".to_owned()
            } else {
                format!("s{}", i - 1)
            };
            graph.push((format!("s{i}"), vec![parent]));
        }
        graph.push((
            "m".into(),
            vec!["o".into(), format!("s{}", MAX_WALKED_COMMITS - 1)],
        ));
        let parents: HashMap<String, Vec<String>> = graph.into_iter().collect();
        let mut walk = HistoryWalk::new("m", "o", 10);
        let mut fetched = 0;
        while let WalkStep::Fetch { commit_id } = walk.next_step() {
            walk.record(&parents[&commit_id], None);
            fetched += 1;
        }
        // The first-parent chain (m) and the merged walk share the budget;
        // the old side's o is fetched within it too.
        assert_eq!(fetched, MAX_WALKED_COMMITS);
        let outcome = walk.finish();
        assert_eq!(outcome.listed.len(), 10);
        assert!(outcome.earlier_is_lower_bound);
        assert_eq!(outcome.history, History::FastForward);
    }

    #[test]
    fn a_missing_commit_on_the_old_side_ends_it_there() {
        // The previous head o is gone (pruned); n's merge still lists f.
        let graph: Graph = &[("r", &[]), ("f", &["r"]), ("n", &["o", "f"])];
        let (outcome, _) = run(graph, "n", "o", 50);
        assert_eq!(outcome.history, History::FastForward);
        assert_eq!(outcome.listed, ids(&["n", "f", "r"]));
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
        assert_eq!(fetches, ids(&["f", "b", "a", "e", "d", "c"]));
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
        let unrelated: Graph = &[("x", &[]), ("y", &["x"]), ("b", &["a"]), ("a", &[])];
        let (outcome, _) = run(unrelated, "y", "b", 50);
        assert_eq!(outcome.listed, ids(&["y", "x"]));
        assert_eq!(
            outcome.history,
            History::Rewritten {
                shared: None,
                replaced: None,
            }
        );
        let pruned: Graph = &[("x", &[]), ("y", &["x"])];
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
        // A missing commit on a merged branch too.
        let mut walk = HistoryWalk::new("m", "o", 5);
        walk.record(&ids(&["o", "gone"]), Some(2));
        // The previous head goes first among equals, then the merged branch.
        assert_eq!(
            walk.next_step(),
            WalkStep::Fetch {
                commit_id: "o".into()
            }
        );
        walk.record(&[], Some(1));
        assert_eq!(
            walk.next_step(),
            WalkStep::Fetch {
                commit_id: "gone".into()
            }
        );
        assert_eq!(walk.record_missing(), Err("gone".to_owned()));
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
        while let WalkStep::Fetch { commit_id } = walk.next_step() {
            let index: usize = commit_id[1..].parse().unwrap();
            walk.record(&parents[index], None);
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
