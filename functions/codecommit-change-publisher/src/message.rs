//! The pure last step: what reviewers read about a change.

use watchkeeper_shared::events::codecommit::{ReferenceType, RepositoryStateChange};
use watchkeeper_shared::headline::Shorten;
use watchkeeper_shared::time;
use watchkeeper_shared::{Headline, Notification, Severity};

use crate::changes::{self, FileChange, plural};
use crate::decide::{HeadChange, caller_name};
use crate::walk::{History, WalkOutcome};

pub const SOURCE: &str = "codecommit-change-publisher";

/// A commit's author or committer as CodeCommit returns it; `date` is
/// CodeCommit's `"<seconds since epoch> <offset>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: Person,
    pub committer: Person,
}

/// A commit with its file changes against its first parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReport {
    pub info: CommitInfo,
    pub files: Vec<FileChange>,
}

pub fn short_id(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

/// The first line of a commit message.
fn subject_of(message: &str) -> &str {
    message.trim().lines().next().unwrap_or_default().trim()
}

fn commits_phrase(count: &str, one: bool) -> String {
    format!("{count} {}", if one { "commit" } else { "commits" })
}

/// `Alice`, `Alice and Bob`, `Alice and 2 others`, from the listed commits;
/// the names are the parts a headline may shorten.
fn authors_phrase(commits: &[CommitReport]) -> Option<Headline> {
    let mut names: Vec<&str> = Vec::new();
    for commit in commits {
        let name = commit.info.author.name.trim();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    match names.as_slice() {
        [] => None,
        [one] => Some(Headline::new().var(*one)),
        [first, second] => Some(Headline::new().var(*first).fixed(" and ").var(*second)),
        [first, rest @ ..] => Some(
            Headline::new()
                .var(*first)
                .fixed(format!(" and {} others", rest.len())),
        ),
    }
}

fn reference_label(kind: &ReferenceType) -> &'static str {
    match kind {
        ReferenceType::Tag => "Tag",
        _ => "Branch",
    }
}

/// ` by <who>`, or nothing when nobody is named.
fn by(headline: Headline, who: Option<Headline>) -> Headline {
    match who {
        Some(who) => headline.fixed(" by ").then(who),
        None => headline,
    }
}

/// `[<repository>] `, the start of every headline.
fn in_repository(change: &RepositoryStateChange) -> Headline {
    Headline::new()
        .fixed("[")
        .var(&change.repository_name)
        .fixed("] ")
}

/// The first line of a commit message, shortened at its end when needed.
fn commit_subject(headline: Headline, commit: &CommitReport) -> Headline {
    headline
        .fixed(format!(": {} ", short_id(&commit.info.id)))
        .var_shortened(subject_of(&commit.info.message), Shorten::End)
}

fn base_notification(
    severity: Severity,
    title: Headline,
    change: &RepositoryStateChange,
) -> Notification {
    Notification::new(SOURCE, severity, title)
        .with_fact("Repository", &change.repository_name)
        .with_fact(
            reference_label(&change.reference_type),
            &change.reference_name,
        )
        // Chat threads every push to one branch or tag together.
        .with_thread(format!(
            "codecommit:{}:{}:{}",
            change.repository_name, change.reference_type, change.reference_name
        ))
        .with_resource(&change.repository_name)
}

fn with_caller(notification: Notification, change: &RepositoryStateChange) -> Notification {
    match &change.caller_user_arn {
        Some(arn) => notification.with_fact("Pushed by", arn),
        None => notification,
    }
}

/// Every commit of a branch push, newest first.
pub fn push_notification(
    change: &RepositoryStateChange,
    max_files: usize,
    new_head: &str,
    previous_head: &str,
    outcome: &WalkOutcome,
    commits: &[CommitReport],
) -> Notification {
    let branch = &change.reference_name;
    let count = if outcome.earlier_is_lower_bound {
        format!("{}+", outcome.total())
    } else {
        outcome.total().to_string()
    };
    let one = outcome.total() == 1 && !outcome.earlier_is_lower_bound;
    let caller = change.caller_user_arn.as_deref().and_then(caller_name);
    let who = authors_phrase(commits).or_else(|| caller.map(|name| Headline::new().var(name)));
    let rewritten = matches!(outcome.history, History::Rewritten { .. });
    let title = if rewritten {
        let title = by(
            in_repository(change).fixed("Force push to ").var(branch),
            who,
        );
        if outcome.total() == 0 {
            title.fixed(format!(": reset to {}", short_id(new_head)))
        } else {
            title.fixed(format!(
                ": {count} new {}",
                if one { "commit" } else { "commits" }
            ))
        }
    } else {
        by(
            in_repository(change)
                .fixed(format!("{} pushed to ", commits_phrase(&count, one)))
                .var(branch),
            who,
        )
    };
    let sms = match commits.first() {
        Some(head) => commit_subject(title.clone(), head),
        None => title.clone(),
    };
    let severity = if rewritten {
        Severity::Warning
    } else {
        Severity::Info
    };
    let mut notification = base_notification(severity, title, change)
        .with_sms_text(sms)
        .with_fact("Commits", count)
        .with_fact("Previous head", previous_head)
        .with_fact("New head", new_head);
    notification = with_caller(notification, change);
    if let Some((heading, body)) = history_section(branch, new_head, previous_head, outcome) {
        notification = notification.with_section(heading, body);
    }
    for commit in commits {
        notification = with_commit_section(notification, commit, max_files);
    }
    if outcome.earlier > 0 {
        let more = if outcome.earlier_is_lower_bound {
            format!("more than {}", outcome.earlier)
        } else {
            outcome.earlier.to_string()
        };
        notification = notification.with_section(
            "Earlier commits",
            format!(
                "\u{2026} and {more} earlier {} (not listed)",
                plural(outcome.earlier, "commit", "commits")
            ),
        );
    }
    notification
}

fn history_section(
    branch: &str,
    new_head: &str,
    previous_head: &str,
    outcome: &WalkOutcome,
) -> Option<(&'static str, String)> {
    let previous = short_id(previous_head);
    match &outcome.history {
        History::FastForward => None,
        History::Rewritten {
            shared: Some(shared),
            replaced,
        } => {
            let replaced = replaced.unwrap_or_default();
            let new_part = if outcome.total() == 0 {
                format!(
                    "No new commits were added: {branch} was moved back to {}.",
                    short_id(new_head)
                )
            } else {
                format!(
                    "The commits below are new on {branch} since {}.",
                    short_id(shared)
                )
            };
            Some((
                "Force push: history rewritten",
                format!(
                    "The previous head {previous} is no longer on {branch}: {replaced} {} after {} {} replaced. {new_part}",
                    plural(replaced, "commit", "commits"),
                    short_id(shared),
                    plural(replaced, "was", "were"),
                ),
            ))
        }
        History::Rewritten { shared: None, .. } => Some((
            "Force push: history rewritten",
            format!(
                "The previous head {previous} is no longer on {branch}, and the new history shares no commit with it. The commits below are the newest on {branch}."
            ),
        )),
        History::NotReached { checked } => Some((
            "Previous head not reached",
            format!(
                "The previous head {previous} was not found in the {} on {branch}; older commits were not examined.",
                if *checked == 1 {
                    "most recent commit".to_owned()
                } else {
                    format!("{checked} most recent commits")
                }
            ),
        )),
    }
}

/// A created branch or tag, or a moved tag, with its head commit.
pub fn new_head_notification(
    change: &RepositoryStateChange,
    max_files: usize,
    head_change: HeadChange,
    previous_head: Option<&str>,
    head: &CommitReport,
) -> Notification {
    let kind = reference_label(&change.reference_type);
    let caller = change
        .caller_user_arn
        .as_deref()
        .and_then(caller_name)
        .map(|name| Headline::new().var(name));
    let head_id = short_id(&head.info.id);
    let title = match head_change {
        HeadChange::Created => in_repository(change)
            .fixed(format!("New {} ", kind.to_lowercase()))
            .var(&change.reference_name)
            .fixed(format!(" at {head_id}")),
        HeadChange::Moved => in_repository(change)
            .fixed(format!("{kind} "))
            .var(&change.reference_name)
            .fixed(format!(" moved to {head_id}")),
    };
    let title = by(title, caller);
    let sms = title
        .clone()
        .fixed(": ")
        .var_shortened(subject_of(&head.info.message), Shorten::End);
    let mut notification = base_notification(Severity::Info, title, change)
        .with_sms_text(sms)
        .with_fact("Head commit", &head.info.id);
    if let Some(previous) = previous_head {
        notification = notification.with_fact("Previous commit", previous);
    }
    notification = with_caller(notification, change);
    with_commit_section(notification, head, max_files)
}

/// A deleted branch or tag, from the event alone.
pub fn deleted_notification(change: &RepositoryStateChange, last_commit: &str) -> Notification {
    let kind = reference_label(&change.reference_type);
    let caller = change
        .caller_user_arn
        .as_deref()
        .and_then(caller_name)
        .map(|name| Headline::new().var(name));
    let title = by(
        in_repository(change)
            .fixed(format!("{kind} "))
            .var(&change.reference_name)
            .fixed(" deleted"),
        caller,
    );
    let sms = title
        .clone()
        .fixed(format!(" (last commit {})", short_id(last_commit)));
    let notification = base_notification(Severity::Info, title, change)
        .with_sms_text(sms)
        .with_fact("Last commit", last_commit);
    with_caller(notification, change)
}

fn with_commit_section(
    notification: Notification,
    commit: &CommitReport,
    max_files: usize,
) -> Notification {
    let info = &commit.info;
    let heading = format!("{} {}", short_id(&info.id), subject_of(&info.message));
    let mut body = format!("Commit: {}\nAuthor: {}\n", info.id, person(&info.author));
    if (&info.committer.name, &info.committer.email) != (&info.author.name, &info.author.email) {
        body.push_str(&format!("Committer: {}\n", person(&info.committer)));
    }
    match info.parents.as_slice() {
        [] => body.push_str("First commit of the repository: every file is new\n"),
        [_] => {}
        [first, rest @ ..] => body.push_str(&format!(
            "Merge commit of {}{}; files compared with its first parent {}\n",
            short_id(first),
            rest.iter()
                .map(|parent| format!(" and {}", short_id(parent)))
                .collect::<String>(),
            short_id(first)
        )),
    }
    body.push('\n');
    for line in info.message.trim_end().lines() {
        if line.trim().is_empty() {
            body.push('\n');
        } else {
            body.push_str(&format!("    {}\n", line.trim_end()));
        }
    }
    body.push('\n');
    body.push_str(&capitalised(&changes::summary(&commit.files)));
    body.push('\n');
    for change in commit.files.iter().take(max_files) {
        body.push_str(&format!("  {}\n", change.line()));
    }
    let hidden = commit.files.len().saturating_sub(max_files);
    if hidden > 0 {
        body.push_str(&format!(
            "  \u{2026} and {hidden} more {}\n",
            plural(hidden, "file", "files")
        ));
    }
    notification.with_section(heading, body)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn person(person: &Person) -> String {
    let mut text = person.name.trim().to_owned();
    if !person.email.trim().is_empty() {
        text.push_str(&format!(" <{}>", person.email.trim()));
    }
    if !person.date.trim().is_empty() {
        text.push_str(&format!(", {}", format_date(&person.date)));
    }
    text
}

/// A CodeCommit date, `"1700000000 +0100"`, in the operators' format:
/// `2023-11-14 22:13 UTC` (see [`watchkeeper_shared::time::display`]);
/// anything else is shown as given, trimmed.
pub fn format_date(date: &str) -> String {
    time::parse_git_date(date).map_or_else(|_| date.trim().to_owned(), time::display)
}

#[cfg(test)]
mod tests {
    use super::*;
    use watchkeeper_shared::events::codecommit::ReferenceEvent;

    const NEW: &str = "3d8f3a4c5b6e7f8091a2b3c4d5e6f708192a3b4c";
    const OLD: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
    const MID: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807";

    fn change(kind: ReferenceType) -> RepositoryStateChange {
        RepositoryStateChange {
            event: ReferenceEvent::Updated,
            repository_name: "app".into(),
            repository_id: None,
            reference_type: kind,
            reference_name: "main".into(),
            reference_full_name: None,
            commit_id: Some(NEW.into()),
            old_commit_id: Some(OLD.into()),
            base_commit_id: None,
            source_commit_id: None,
            merge_option: None,
            caller_user_arn: Some("arn:aws:iam::123456789012:user/alice".into()),
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
            assert!(
                body.contains("3d8f3a4 Add \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} support\n")
            );
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
}
