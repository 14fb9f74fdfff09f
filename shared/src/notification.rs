//! One [`Notification`] becomes one SNS publish with `MessageStructure=json`:
//! a full plain-text body for email, a one-line text for SMS and a
//! summary for every other protocol, with a subject SNS accepts and
//! attributes operators can filter on.

use serde::{Deserialize, Serialize};
use std::fmt;

use unicode_segmentation::UnicodeSegmentation;

use crate::headline::Headline;
use crate::text;

/// SNS's limit on a whole message, attributes included.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// SNS's limit on a subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 100;
/// One SMS part; a longer text is split and billed per part.
pub const MAX_SMS_BYTES: usize = 140;
/// What the `default` body (HTTP, SQS, Lambda subscribers) may take.
pub const MAX_DEFAULT_BYTES: usize = 16 * 1024;
/// Room left for the JSON structure and message attributes.
const ENVELOPE_RESERVE_BYTES: usize = 2 * 1024;
/// Shows where a body was cut to fit SNS's limit.
pub const TRUNCATION_MARKER: &str = "[truncated]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// The `severity` message attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A titled block of free text in the email body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub body: String,
}

/// What the operator can do about it: the last block of the email, and the
/// `nextSteps` of the chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextSteps {
    pub heading: String,
    pub steps: Vec<Step>,
}

/// One thing the operator can do: a sentence, and the command that does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub text: String,
    /// Shown on its own line in the email and as code in chat.
    pub command: Option<String>,
}

impl Step {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            command: None,
        }
    }

    pub fn command(text: impl Into<String>, command: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            command: Some(command.into()),
        }
    }
}

/// What an operator should be told, independent of how SNS delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The function that sent it; the `source` message attribute.
    pub source: String,
    pub severity: Severity,
    /// Headline; the email subject and the start of the SMS.
    pub title: Headline,
    /// Shorter text for SMS; the title when absent.
    pub sms_text: Option<Headline>,
    /// Key facts, one `Key: value` line each.
    pub summary: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// The last block of the email and the chat message's next steps.
    pub next_steps: Option<NextSteps>,
    /// Appended to the email as pretty JSON.
    pub full_event: Option<serde_json::Value>,
    /// What related notices share, so chat shows them as one thread: the
    /// same Health event, EMR cluster, image or snapshot, or repository
    /// branch (the chat message's `threadId`).
    pub thread: Option<String>,
    /// Ids and ARNs of what the notice is about (the chat message's
    /// `relatedResources`).
    pub resources: Vec<String>,
}

impl Notification {
    pub fn new(source: impl Into<String>, severity: Severity, title: impl Into<Headline>) -> Self {
        Self {
            source: source.into(),
            severity,
            title: title.into(),
            sms_text: None,
            summary: Vec::new(),
            sections: Vec::new(),
            next_steps: None,
            full_event: None,
            thread: None,
            resources: Vec::new(),
        }
    }

    /// What the operator can do, under `heading`.
    pub fn with_next_steps(mut self, heading: impl Into<String>, steps: Vec<Step>) -> Self {
        self.next_steps = Some(NextSteps {
            heading: heading.into(),
            steps,
        });
        self
    }

    /// The thread key of related notices, e.g. `emr-cluster:j-…`.
    pub fn with_thread(mut self, key: impl Into<String>) -> Self {
        self.thread = Some(key.into());
        self
    }

    /// An id or ARN the notice is about.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    pub fn with_sms_text(mut self, text: impl Into<Headline>) -> Self {
        self.sms_text = Some(text.into());
        self
    }

    pub fn with_fact(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.summary.push((key.into(), value.into()));
        self
    }

    /// Sets the fact `key` to `value`: in its place if the notification has
    /// it, at the end otherwise.
    pub fn set_fact(mut self, key: &str, value: impl Into<String>) -> Self {
        match self
            .summary
            .iter_mut()
            .find(|(existing, _)| existing == key)
        {
            Some((_, existing)) => *existing = value.into(),
            None => self.summary.push((key.to_owned(), value.into())),
        }
        self
    }

    pub fn with_section(mut self, heading: impl Into<String>, body: impl Into<String>) -> Self {
        self.sections.push(Section {
            heading: heading.into(),
            body: body.into(),
        });
        self
    }

    pub fn with_full_event(mut self, event: serde_json::Value) -> Self {
        self.full_event = Some(event);
        self
    }

    /// Renders everything one SNS publish needs.
    pub fn render(&self) -> RenderedMessage {
        let sms = sms_line(self.severity, self.sms_text.as_ref().unwrap_or(&self.title));
        let summary_text = self.summary_text();
        let default = cut_to_bytes(&summary_text, MAX_DEFAULT_BYTES);
        let email_full = self.email_text(&summary_text);
        let chat = crate::chat::render(self);
        // Every other body is bounded well below SNS's limit, so the
        // email always has most of it; saturating all the same.
        let budget = MAX_MESSAGE_BYTES
            .saturating_sub(ENVELOPE_RESERVE_BYTES)
            .saturating_sub(json_escaped_len(&default))
            .saturating_sub(json_escaped_len(&sms))
            .saturating_sub(json_escaped_len(&chat));
        let email = cut_to_json_budget(&email_full, budget);
        RenderedMessage {
            subject: subject_line(&self.title),
            email,
            sms,
            default,
            chat,
            severity: self.severity,
            source: self.source.clone(),
        }
    }

    /// Headline, facts and sections: what every protocol but SMS shows.
    fn summary_text(&self) -> String {
        let mut text = String::new();
        text.push_str(&single_line(&self.title.text()));
        text.push_str("\n\n");
        text.push_str(&format!("Severity: {}\n", self.severity.label()));
        for (key, value) in &self.summary {
            text.push_str(&format!("{}: {}\n", single_line(key), single_line(value)));
        }
        let next_steps = self.next_steps.as_ref().map(|next| Section {
            heading: next.heading.clone(),
            body: next
                .steps
                .iter()
                .map(|step| match &step.command {
                    Some(command) => format!("{}\n{command}", step.text),
                    None => step.text.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        });
        for section in self.sections.iter().chain(&next_steps) {
            let heading = single_line(&section.heading);
            text.push('\n');
            text.push_str(&heading);
            text.push('\n');
            text.push_str(&"-".repeat(heading.chars().count()));
            text.push('\n');
            text.push_str(&multi_line(&section.body));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        text
    }

    fn email_text(&self, summary_text: &str) -> String {
        let mut text = summary_text.to_owned();
        if let Some(event) = &self.full_event {
            let pretty = escape_hidden_characters(
                &serde_json::to_string_pretty(event).unwrap_or_else(|_| event.to_string()),
            );
            text.push_str("\nFull event\n----------\n");
            text.push_str(&pretty);
            text.push('\n');
        }
        text.push_str(&format!(
            "\n--\nSent by Watchkeeper ({})\n",
            single_line(&self.source)
        ));
        text
    }
}

/// A notification rendered for SNS. Serializable so that a notice can wait
/// in the idempotency record for a retry to send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedMessage {
    pub subject: String,
    pub email: String,
    pub sms: String,
    pub default: String,
    /// The chat message ([`crate::chat`]), for HTTPS subscribers; empty in
    /// a notice kept by an earlier version, which then has none.
    #[serde(default)]
    pub chat: String,
    pub severity: Severity,
    pub source: String,
}

impl RenderedMessage {
    /// The `Message` for a publish with `MessageStructure=json`: `email`,
    /// `sms`, `https` (the chat message, which Amazon Q Developer in chat
    /// applications reads over its HTTPS subscription) and `default` for
    /// every other protocol.
    pub fn message_json(&self) -> String {
        let mut message = serde_json::json!({
            "default": self.default,
            "email": self.email,
            "sms": self.sms,
        });
        if !self.chat.is_empty() {
            message["https"] = serde_json::Value::String(self.chat.clone());
        }
        message.to_string()
    }
}

/// When a title has nothing a subject can show.
pub const FALLBACK_SUBJECT: &str = "Watchkeeper notification";

/// A subject SNS accepts: ASCII, no control characters or line breaks,
/// starting with a letter, digit or punctuation, at most 100 characters,
/// with the title's variable parts shortened first ([`Headline::fit_ascii`]).
pub fn subject_line(title: &Headline) -> String {
    let fitted = title.fit_ascii(MAX_SUBJECT_CHARS);
    // One line of ASCII starts with a letter, digit or punctuation unless
    // it is empty; the check stays in case that ever changes.
    let start = fitted
        .find(|c: char| c.is_ascii_alphanumeric() || c.is_ascii_punctuation())
        .unwrap_or(fitted.len());
    let subject = &fitted[start..];
    if subject.is_empty() {
        return FALLBACK_SUBJECT.to_owned();
    }
    subject.to_owned()
}

/// One SMS part: `SEVERITY: text`, ASCII, one line, at most 140 bytes,
/// with the text's variable parts shortened first.
pub fn sms_line(severity: Severity, text: &Headline) -> String {
    let prefix = format!("{}: ", severity.label());
    let line = text.fit_ascii(MAX_SMS_BYTES - prefix.len());
    format!("{prefix}{line}")
}

/// Text that cannot break out of its line: control characters, line breaks
/// and hidden formatting characters ([`text::clean_hidden`]) become spaces,
/// runs of spaces one. Joiners inside emoji sequences are kept.
pub fn single_line(text: &str) -> String {
    let cleaned = text::clean_hidden(text, char::is_control, |out, _| out.push(' '));
    let mut line = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if c.is_whitespace() {
            if !line.is_empty() && !line.ends_with(' ') {
                line.push(' ');
            }
        } else {
            line.push(c);
        }
    }
    line.truncate(line.trim_end().len());
    line
}

/// Free text that keeps its line breaks but loses other control and
/// hidden formatting characters ([`text::clean_hidden`]), each a space.
pub fn multi_line(text: &str) -> String {
    text::clean_hidden(
        &text.replace("\r\n", "\n"),
        |c| c != '\n' && c.is_control(),
        |out, _| out.push(' '),
    )
}

/// JSON with every control character but the line breaks between its
/// lines, and every hidden formatting character ([`text::clean_hidden`]),
/// written as a `\uXXXX` escape. serde_json escapes only U+0000 to U+001F,
/// so an event's strings could carry DEL, C1 controls (U+0085 breaks lines
/// in some mail readers) or bidirectional overrides into the email. Outside
/// its strings, pretty JSON holds no such character, so the result is the
/// same JSON.
fn escape_hidden_characters(json: &str) -> String {
    text::clean_hidden(
        json,
        |c| c.is_control() && c != '\n',
        |escaped, c| {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        },
    )
}

/// `text` cut to at most `max` bytes between grapheme clusters, with a marker.
fn cut_to_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let marker = format!("\n{TRUNCATION_MARKER}\n");
    let kept = text::truncate_graphemes(text, max.saturating_sub(marker.len()));
    format!("{kept}{marker}")
}

/// The bytes `text` takes inside a JSON string literal.
pub fn json_escaped_len(text: &str) -> usize {
    text.chars().map(json_escaped_char_len).sum()
}

fn json_escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0C}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Cuts `text` so that, escaped as a JSON string, it takes at most `budget`
/// bytes, and says how much was left out.
fn cut_to_json_budget(text: &str, budget: usize) -> String {
    if json_escaped_len(text) <= budget {
        return text.to_owned();
    }
    let total = text.len();
    // The marker's own size is bounded: digits of at most 7 characters each.
    let marker_reserve = json_escaped_len(&format!(
        "\n\n{TRUNCATION_MARKER} 0000000 of 0000000 bytes shown\n"
    ));
    let room = budget.saturating_sub(marker_reserve);
    let mut used = 0;
    let mut end = 0;
    // Whole grapheme clusters only: an emoji sequence is never split.
    for (index, cluster) in text.grapheme_indices(true) {
        let size = json_escaped_len(cluster);
        if used + size > room {
            break;
        }
        used += size;
        end = index + cluster.len();
    }
    format!(
        "{}\n\n{TRUNCATION_MARKER} {end} of {total} bytes shown\n",
        &text[..end]
    )
}

#[cfg(test)]
mod tests;
