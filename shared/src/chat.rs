//! The chat rendering of a [`Notification`]: a custom notification of
//! Amazon Q Developer in chat applications (formerly AWS Chatbot), which
//! that service shows in Slack and Microsoft Teams channels subscribed to
//! the topic.
//!
//! The format follows "Custom notifications using Amazon Q Developer in
//! chat applications", *Event schema* and *Parameter details*:
//! <https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html>.
//!
//! ```json
//! {"version": "1.0", "source": "custom", "id": "...",
//!  "content": {"textType": "client-markdown", "title": "...", "description": "...",
//!              "nextSteps": ["..."], "keywords": ["..."]},
//!  "metadata": {"threadId": "...", "summary": "...", "eventType": "...",
//!               "relatedResources": ["..."], "additionalContext": {"...": "..."}}}
//! ```
//!
//! It travels as the `https` key of the same `MessageStructure=json`
//! publish as the email and SMS: the service subscribes to a topic over
//! HTTPS, so a chat channel costs no extra publish (see
//! `docs/notifications.md`, "Chat").
//!
//! The service documents no length limits of its own; what a chat client
//! shows is bounded by Slack's Block Kit (a header block takes 150
//! characters, a section's text 3,000), so the title and description are
//! cut to those, at grapheme boundaries, with a visible marker.
//!
//! Event text is neutralised as in the email ([`single_line`],
//! [`multi_line`]: control, bidirectional and zero-width characters), and
//! whatever a chat client would read as markup that forges a link or a
//! mention is defused ([`inert`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::notification::{Notification, Severity, multi_line, single_line};
use crate::text;

/// A title longer than this is cut: Slack's header block limit.
pub const MAX_TITLE_CHARS: usize = 150;
/// A description longer than this is cut: Slack's section text limit.
pub const MAX_DESCRIPTION_CHARS: usize = 3_000;
/// At most this many next steps are shown; the rest are counted.
pub const MAX_NEXT_STEPS: usize = 5;
/// A next step longer than this is cut.
pub const MAX_NEXT_STEP_CHARS: usize = 500;
/// A summary longer than this is cut; it is the SMS text, so it seldom is.
pub const MAX_SUMMARY_CHARS: usize = 300;
/// A thread id longer than this keeps its start and end.
pub const MAX_THREAD_ID_CHARS: usize = 256;
/// A related resource longer than this is cut.
const MAX_RESOURCE_CHARS: usize = 256;
/// At most this many related resources are listed.
const MAX_RESOURCES: usize = 10;
/// Shows where chat text was cut.
pub const CHAT_TRUNCATION_MARKER: &str = "… [truncated]";

/// The custom notification, as the service reads it.
#[derive(Debug, Serialize)]
struct CustomNotification {
    version: &'static str,
    source: &'static str,
    content: Content,
    metadata: Metadata,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    text_type: &'static str,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    next_steps: Vec<String>,
    keywords: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_id: Option<String>,
    summary: String,
    event_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_resources: Vec<String>,
    additional_context: BTreeMap<&'static str, String>,
}

/// `notification` as a custom notification, serialized as JSON.
///
/// - title: the headline with a severity marker, at most
///   [`MAX_TITLE_CHARS`];
/// - description: the facts as `*Key:* value` lines (a fact whose value is
///   an `https://` link shows as a link named after the fact), then each
///   section under its bold heading, at most [`MAX_DESCRIPTION_CHARS`];
/// - nextSteps: the notification's next steps, commands as code;
/// - keywords: the severity and the sending function;
/// - metadata: the thread ([`Notification::thread`]), the SMS text as the
///   summary, the sending function as the event type, the related
///   resources, and `severity` and `source` as additional context.
pub fn render(notification: &Notification) -> String {
    let severity = notification.severity;
    let title = format!(
        "{} {}",
        marker(severity),
        inert(&single_line(&notification.title.text()))
    );
    let custom = CustomNotification {
        version: "1.0",
        source: "custom",
        content: Content {
            text_type: "client-markdown",
            title: cut_chars(&title, MAX_TITLE_CHARS),
            description: cut_chars(&description(notification), MAX_DESCRIPTION_CHARS),
            next_steps: next_steps(notification),
            keywords: vec![
                severity.as_str().to_owned(),
                single_line(&notification.source),
            ],
        },
        metadata: Metadata {
            thread_id: notification
                .thread
                .as_deref()
                .filter(|key| !key.trim().is_empty())
                .map(thread_id),
            summary: cut_chars(
                &inert(&single_line(
                    &notification
                        .sms_text
                        .as_ref()
                        .unwrap_or(&notification.title)
                        .text(),
                )),
                MAX_SUMMARY_CHARS,
            ),
            event_type: single_line(&notification.source),
            related_resources: notification
                .resources
                .iter()
                .take(MAX_RESOURCES)
                .map(|resource| cut_chars(&single_line(resource), MAX_RESOURCE_CHARS))
                .collect(),
            additional_context: BTreeMap::from([
                ("severity", severity.as_str().to_owned()),
                ("source", single_line(&notification.source)),
            ]),
        },
    };
    // Strings and a map of strings: serializing cannot fail.
    serde_json::to_string(&custom).unwrap_or_default()
}

/// A colour a reader sees before reading: red, orange, blue.
fn marker(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴 CRITICAL:",
        Severity::Warning => "🟠 WARNING:",
        Severity::Info => "🔵",
    }
}

fn description(notification: &Notification) -> String {
    let mut lines = Vec::new();
    for (key, value) in &notification.summary {
        let key = inert(&single_line(key));
        let value = single_line(value);
        lines.push(match value.strip_prefix("https://") {
            Some(rest) if !rest.is_empty() => format!("*{key}:* [Open]({})", link_target(&value)),
            _ => format!("*{key}:* {}", inert(&value)),
        });
    }
    for section in &notification.sections {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!("*{}*", inert(&single_line(&section.heading))));
        lines.extend(
            multi_line(&section.body)
                .lines()
                .map(|line| inert(line.trim_end())),
        );
    }
    lines.join("\n")
}

fn next_steps(notification: &Notification) -> Vec<String> {
    let Some(next) = &notification.next_steps else {
        return Vec::new();
    };
    let mut steps: Vec<String> = next
        .steps
        .iter()
        .take(MAX_NEXT_STEPS)
        .map(|step| {
            let text = inert(&single_line(&step.text));
            let shown = match &step.command {
                // A code span shows the command as it must be typed; it
                // cannot hold a backtick, which would end it.
                Some(command) => {
                    format!(
                        "{text} `{}`",
                        inert(&single_line(command)).replace('`', "'")
                    )
                }
                None => text,
            };
            cut_chars(&shown, MAX_NEXT_STEP_CHARS)
        })
        .collect();
    let hidden = next.steps.len().saturating_sub(MAX_NEXT_STEPS);
    if hidden > 0 {
        let noun = if hidden == 1 { "step" } else { "steps" };
        steps.push(format!("{hidden} more {noun} in the email"));
    }
    steps
}

/// The thread a notice joins: printable ASCII of the notification's
/// thread key, at most [`MAX_THREAD_ID_CHARS`] (a longer key keeps its
/// start and its end, where ids differ).
fn thread_id(key: &str) -> String {
    let ascii: String = key
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    if ascii.len() <= MAX_THREAD_ID_CHARS {
        return ascii;
    }
    let half = (MAX_THREAD_ID_CHARS - 3) / 2;
    format!("{}...{}", &ascii[..half], &ascii[ascii.len() - half..])
}

/// Text in which no chat client finds markup that links or mentions:
/// angle brackets (Slack's `<!channel>`, `<@U…>` and `<url|text>`, Teams'
/// `<at>`) become look-alike angle quotes, a markdown link `[text](url)`
/// loses the adjacency that makes it one (`[text] (url)`), and an `@` that
/// starts a word (`@here`, `@channel`, `@everyone`) becomes a full-width
/// at sign. An `@` inside a word, as in an email address, stays.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    for c in text.chars() {
        match c {
            '<' => out.push('‹'),
            '>' => out.push('›'),
            '(' if previous == Some(']') => out.push_str(" ("),
            '@' if !previous.is_some_and(char::is_alphanumeric) => out.push('＠'),
            c => out.push(c),
        }
        previous = Some(c);
    }
    out
}

/// A link target that cannot end the markdown link early or start another
/// construct: characters markdown or Slack treat specially are
/// percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            '|' => out.push_str("%7C"),
            '`' => out.push_str("%60"),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters between grapheme clusters, with
/// [`CHAT_TRUNCATION_MARKER`].
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(CHAT_TRUNCATION_MARKER.chars().count());
    format!(
        "{}{CHAT_TRUNCATION_MARKER}",
        text::truncate_graphemes_to_chars(text, room)
    )
}

#[cfg(test)]
mod tests;
