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
mod tests;
