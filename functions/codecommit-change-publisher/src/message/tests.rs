use super::*;
use crate::fixtures::{self, NEW, OLD};
use watchkeeper_shared::events::codecommit::ReferenceEvent;

const MID: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807";

/// `main` of kind `kind` moved from [`OLD`] to [`NEW`] by alice.
fn change(kind: ReferenceType) -> RepositoryStateChange {
    RepositoryStateChange {
        caller_user_arn: Some("arn:aws:iam::123456789012:user/alice".into()),
        ..fixtures::change(ReferenceEvent::Updated, kind, "main", Some(NEW), Some(OLD))
    }
}

fn person(name: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        email: email.into(),
        date: "1700000000 +0000".into(),
    }
}

fn commit(id: &str, parents: &[&str], author: &str, message: &str) -> CommitReport {
    let who = person(author, &format!("{}@example.com", author.to_lowercase()));
    CommitReport {
        info: CommitInfo {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            message: message.into(),
            author: who.clone(),
            committer: who,
        },
        files: vec![FileChange::Modified {
            path: "src/lib.rs".into(),
        }],
    }
}

fn outcome(listed: &[&str], earlier: usize, history: History) -> WalkOutcome {
    WalkOutcome {
        listed: listed.iter().map(|id| (*id).to_owned()).collect(),
        earlier,
        earlier_is_lower_bound: matches!(history, History::NotReached { .. }),
        history,
    }
}

#[test]
fn dates_are_shown_in_utc_whatever_the_authors_zone() {
    let cases = [
        ("1700000000 +0000", "2023-11-14 22:13 UTC"),
        ("1700000000 +0130", "2023-11-14 22:13 UTC"),
        ("1700000000 -0800", "2023-11-14 22:13 UTC"),
        ("0 +0000", "1970-01-01 00:00 UTC"),
        ("951782400 +0000", "2000-02-29 00:00 UTC"),
        ("-86400 +0000", "1969-12-31 00:00 UTC"),
        ("Tue Nov 14 2023", "Tue Nov 14 2023"),
        ("1700000000 0000", "1700000000 0000"),
    ];
    for (date, expected) in cases {
        assert_eq!(format_date(date), expected, "{date}");
    }
}

#[test]
fn subjects_name_the_push() {
    let one = [commit(NEW, &[MID], "Alice", "Fix login\n\nDetails")];
    let two_authors = [
        commit(NEW, &[MID], "Alice", "Second"),
        commit(MID, &[OLD], "Bob", "First"),
    ];
    let three_authors = [
        commit(NEW, &[MID], "Alice", "Third"),
        commit(MID, &[OLD], "Bob", "Second"),
        commit(OLD, &[], "Carol", "First"),
    ];
    let cases: Vec<(&[CommitReport], WalkOutcome, &str, &str)> = vec![
        (
            &one,
            outcome(&[NEW], 0, History::FastForward),
            "[app] 1 commit pushed to main by Alice",
            "INFO: [app] 1 commit pushed to main by Alice: 3d8f3a4 Fix login",
        ),
        (
            &two_authors,
            outcome(&[NEW, MID], 3, History::FastForward),
            "[app] 5 commits pushed to main by Alice and Bob",
            "INFO: [app] 5 commits pushed to main by Alice and Bob: 3d8f3a4 Second",
        ),
        (
            &three_authors,
            outcome(&[NEW, MID, OLD], 497, History::NotReached { checked: 500 }),
            "[app] 500+ commits pushed to main by Alice and 2 others",
            "INFO: [app] 500+ commits pushed to main by Alice and 2 others: 3d8f3a4 Third",
        ),
        (
            &one,
            outcome(
                &[NEW],
                0,
                History::Rewritten {
                    shared: Some(MID.into()),
                    replaced: Some(2),
                },
            ),
            "[app] Force push to main by Alice: 1 new commit",
            "WARNING: [app] Force push to main by Alice: 1 new commit: 3d8f3a4 Fix login",
        ),
        (
            &[],
            outcome(
                &[],
                0,
                History::Rewritten {
                    shared: Some(NEW.into()),
                    replaced: Some(2),
                },
            ),
            "[app] Force push to main by alice: reset to 3d8f3a4",
            "WARNING: [app] Force push to main by alice: reset to 3d8f3a4",
        ),
    ];
    for (commits, outcome, subject, sms) in cases {
        let rendered = push_notification(
            &change(ReferenceType::Branch),
            100,
            NEW,
            OLD,
            &outcome,
            commits,
        )
        .render();
        assert_eq!(rendered.subject, subject);
        assert_eq!(rendered.sms, sms);
    }
}

/// Issue 13: with a 100-character repository name the subject was
/// `[<97 characters of the name>...`, losing what happened.
#[test]
fn long_names_are_shortened_and_what_happened_is_kept() {
    let mut long = change(ReferenceType::Branch);
    long.repository_name = format!("payments-{}-prod", "x".repeat(86));
    assert_eq!(long.repository_name.len(), 100);
    long.reference_name =
        "feature/JIRA-1234-make-the-login-page-load-faster-on-slow-networks".into();
    let three = [
        commit(
            NEW,
            &[MID],
            "Alice Example",
            &format!("Fix login {}", "and more ".repeat(30)),
        ),
        commit(MID, &[OLD], "Alice Example", "Second"),
        commit(OLD, &[], "Alice Example", "First"),
    ];
    let pushed = push_notification(
        &long,
        10,
        NEW,
        OLD,
        &outcome(&[NEW, MID, OLD], 0, History::FastForward),
        &three,
    )
    .render();
    let forced = push_notification(
        &long,
        10,
        NEW,
        OLD,
        &outcome(
            &[NEW, MID, OLD],
            0,
            History::Rewritten {
                shared: Some(MID.into()),
                replaced: Some(2),
            },
        ),
        &three,
    )
    .render();
    for (rendered, words) in [
        (&pushed, "3 commits pushed to feature/"),
        (&forced, "Force push to feature/"),
    ] {
        for text in [&rendered.subject, &rendered.sms] {
            assert!(
                text.starts_with("[payments-") || text.contains(": [payments-"),
                "{text}"
            );
            assert!(text.contains("-prod] "), "{text}");
            assert!(text.contains(words), "{text}");
            assert!(text.contains("-networks by Alice Example"), "{text}");
            assert!(text.contains("..."), "{text}");
        }
        assert!(rendered.subject.len() <= 100, "{}", rendered.subject);
        assert!(rendered.sms.len() <= 140, "{}", rendered.sms);
        assert!(
            rendered.sms.contains(": 3d8f3a4 Fix login"),
            "{}",
            rendered.sms
        );
        assert!(
            rendered
                .default
                .starts_with(&format!("[{}] ", long.repository_name))
        );
    }
    assert!(
        forced.subject.ends_with("by Alice Example: 3 new commits"),
        "{}",
        forced.subject
    );
    assert!(
        pushed.subject.ends_with("by Alice Example"),
        "{}",
        pushed.subject
    );

    // A very long author name is shortened too, never the words.
    let mut named = three.clone();
    named[0].info.author.name = format!("Alice {} Example", "Van Der".repeat(30));
    let rendered = push_notification(
        &long,
        10,
        NEW,
        OLD,
        &outcome(&[NEW], 0, History::FastForward),
        &named[..1],
    )
    .render();
    assert!(
        rendered.subject.contains(" 1 commit pushed to feature/"),
        "{}",
        rendered.subject
    );
    assert!(
        rendered.subject.contains(" by Alice Van"),
        "{}",
        rendered.subject
    );
    assert!(
        rendered.subject.ends_with(" Example"),
        "{}",
        rendered.subject
    );
    assert!(rendered.subject.len() <= 100);

    let head = &three[0];
    let created = new_head_notification(&long, 10, HeadChange::Created, None, head).render();
    let moved = new_head_notification(&long, 10, HeadChange::Moved, Some(OLD), head).render();
    let deleted = deleted_notification(&long, OLD).render();
    for (rendered, start, end) in [
        (&created, "New branch feature/", " at 3d8f3a4 by alice"),
        (&moved, "Branch feature/", " moved to 3d8f3a4 by alice"),
        (&deleted, "Branch feature/", " deleted by alice"),
    ] {
        for text in [&rendered.subject, &rendered.sms] {
            assert!(text.contains(start) && text.contains(end), "{text}");
        }
        assert!(rendered.subject.len() <= 100, "{}", rendered.subject);
        assert!(rendered.sms.len() <= 140, "{}", rendered.sms);
    }
    assert!(
        deleted
            .sms
            .ends_with(" deleted by alice (last commit 1a2b3c4)"),
        "{}",
        deleted.sms
    );
    assert!(
        created.sms.contains(" by alice: Fix login"),
        "{}",
        created.sms
    );
}

/// Issue 13: a zero-width joiner inside an emoji became a space, so the
/// email named a branch that does not exist.
#[test]
fn emoji_in_branches_and_messages_reach_the_email_unchanged() {
    let mut emoji = change(ReferenceType::Branch);
    emoji.reference_name = "feature/\u{1F469}\u{200D}\u{1F4BB}-tools".into();
    let head = commit(
        NEW,
        &[OLD],
        "Alice",
        "Add \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} support\n\nFor \u{1F44D}\u{1F3FD} 1\u{FE0F}\u{20E3}",
    );
    let rendered = push_notification(
        &emoji,
        10,
        NEW,
        OLD,
        &outcome(&[NEW], 0, History::FastForward),
        &[head],
    )
    .render();
    for body in [&rendered.email, &rendered.default] {
        assert!(body.starts_with(
            "[app] 1 commit pushed to feature/\u{1F469}\u{200D}\u{1F4BB}-tools by Alice\n"
        ));
        assert!(body.contains("Branch: feature/\u{1F469}\u{200D}\u{1F4BB}-tools\n"));
        assert!(body.contains("3d8f3a4 Add \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} support\n"));
        assert!(body.contains("    For \u{1F44D}\u{1F3FD} 1\u{FE0F}\u{20E3}\n"));
    }
    assert!(rendered.subject.is_ascii());
}

#[test]
fn a_push_email_lists_every_commit_and_what_is_left_out() {
    let mut merge = commit(NEW, &[MID, OLD], "Alice", "Merge branch 'feature'");
    merge.info.committer = person("Bob Builder", "bob@example.com");
    merge.files = (0..4)
        .map(|i| FileChange::Added {
            path: format!("f{i}.txt"),
        })
        .collect();
    let root = commit(MID, &[], "Carol", "Initial import\n\nWith a body.\n");
    let rendered = push_notification(
        &change(ReferenceType::Branch),
        3,
        NEW,
        OLD,
        &outcome(
            &[NEW, MID],
            2,
            History::Rewritten {
                shared: None,
                replaced: None,
            },
        ),
        &[merge, root],
    )
    .render();
    assert_eq!(
        rendered.default,
        format!(
            "[app] Force push to main by Alice and Carol: 4 new commits

Severity: WARNING
Repository: app
Branch: main
Commits: 4
Previous head: {OLD}
New head: {NEW}
Pushed by: arn:aws:iam::123456789012:user/alice

Force push: history rewritten
-----------------------------
The previous head 1a2b3c4 is no longer on main, and the new history shares no commit with it. The commits below are the newest on main.

3d8f3a4 Merge branch 'feature'
------------------------------
Commit: {NEW}
Author: Alice <alice@example.com>, 2023-11-14 22:13 UTC
Committer: Bob Builder <bob@example.com>, 2023-11-14 22:13 UTC
Merge commit of 9e8d7c6 and 1a2b3c4; files compared with its first parent 9e8d7c6

    Merge branch 'feature'

4 files changed: 4 added
  added        f0.txt
  added        f1.txt
  added        f2.txt
  \u{2026} and 1 more file

9e8d7c6 Initial import
----------------------
Commit: {MID}
Author: Carol <carol@example.com>, 2023-11-14 22:13 UTC
First commit of the repository: every file is new

    Initial import

    With a body.

1 file changed: 1 modified
  modified     src/lib.rs

Earlier commits
---------------
\u{2026} and 2 earlier commits (not listed)
"
        )
    );
}

#[test]
fn history_sections_say_what_happened() {
    let cases = [
        (
            outcome(
                &[NEW],
                0,
                History::Rewritten {
                    shared: Some(MID.into()),
                    replaced: Some(1),
                },
            ),
            "The previous head 1a2b3c4 is no longer on main: 1 commit after 9e8d7c6 was replaced. The commits below are new on main since 9e8d7c6.",
        ),
        (
            outcome(
                &[],
                0,
                History::Rewritten {
                    shared: Some(NEW.into()),
                    replaced: Some(3),
                },
            ),
            "The previous head 1a2b3c4 is no longer on main: 3 commits after 3d8f3a4 were replaced. No new commits were added: main was moved back to 3d8f3a4.",
        ),
        (
            outcome(&[NEW], 499, History::NotReached { checked: 500 }),
            "The previous head 1a2b3c4 was not found in the 500 most recent commits on main; older commits were not examined.",
        ),
    ];
    for (outcome, expected) in cases {
        let (_, body) = history_section("main", NEW, OLD, &outcome).unwrap();
        assert_eq!(body, expected);
    }
    assert_eq!(
        history_section("main", NEW, OLD, &outcome(&[NEW], 0, History::FastForward)),
        None
    );
}

#[test]
fn created_moved_and_deleted_references() {
    let head = commit(NEW, &[OLD], "Alice", "Release 1.0");
    let mut tag = change(ReferenceType::Tag);
    tag.reference_name = "v1.0".into();
    let created = new_head_notification(
        &change(ReferenceType::Branch),
        10,
        HeadChange::Created,
        None,
        &head,
    )
    .render();
    assert_eq!(created.subject, "[app] New branch main at 3d8f3a4 by alice");
    assert_eq!(
        created.sms,
        "INFO: [app] New branch main at 3d8f3a4 by alice: Release 1.0"
    );
    let moved = new_head_notification(&tag, 10, HeadChange::Moved, Some(OLD), &head).render();
    assert_eq!(moved.subject, "[app] Tag v1.0 moved to 3d8f3a4 by alice");
    assert!(moved.default.contains(&format!(
        "Tag: v1.0\nHead commit: {NEW}\nPrevious commit: {OLD}\n"
    )));
    let mut anonymous = tag.clone();
    anonymous.caller_user_arn = None;
    let deleted = deleted_notification(&anonymous, OLD).render();
    assert_eq!(deleted.subject, "[app] Tag v1.0 deleted");
    assert_eq!(
        deleted.default,
        format!(
            "[app] Tag v1.0 deleted\n\nSeverity: INFO\nRepository: app\nTag: v1.0\nLast commit: {OLD}\n"
        )
    );
    assert_eq!(
        deleted.sms,
        "INFO: [app] Tag v1.0 deleted (last commit 1a2b3c4)"
    );
}
