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

fn run(graph: Graph, new: &str, previous: &str, max_listed: usize) -> (WalkOutcome, Vec<String>) {
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
