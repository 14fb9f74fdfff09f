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
mod tests;
