//! One [`Notification`] becomes one SNS publish with `MessageStructure=json`:
//! a full plain-text body for email, a one-line text for SMS and a
//! summary for every other protocol, with a subject SNS accepts and
//! attributes operators can filter on.

use serde::{Deserialize, Serialize};
use std::fmt;

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

/// What an operator should be told, independent of how SNS delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The function that sent it; the `source` message attribute.
    pub source: String,
    pub severity: Severity,
    /// Headline; the email subject and the start of the SMS.
    pub title: String,
    /// Shorter text for SMS; the title when absent.
    pub sms_text: Option<String>,
    /// Key facts, one `Key: value` line each.
    pub summary: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// Appended to the email as pretty JSON.
    pub full_event: Option<serde_json::Value>,
}

impl Notification {
    pub fn new(source: impl Into<String>, severity: Severity, title: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            severity,
            title: title.into(),
            sms_text: None,
            summary: Vec::new(),
            sections: Vec::new(),
            full_event: None,
        }
    }

    pub fn with_sms_text(mut self, text: impl Into<String>) -> Self {
        self.sms_text = Some(text.into());
        self
    }

    pub fn with_fact(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.summary.push((key.into(), value.into()));
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
        let sms = sms_line(
            self.severity,
            self.sms_text.as_deref().unwrap_or(&self.title),
        );
        let summary_text = self.summary_text();
        let default = cut_to_bytes(&summary_text, MAX_DEFAULT_BYTES);
        let email_full = self.email_text(&summary_text);
        let budget = MAX_MESSAGE_BYTES
            - ENVELOPE_RESERVE_BYTES
            - json_escaped_len(&default)
            - json_escaped_len(&sms);
        let email = cut_to_json_budget(&email_full, budget);
        RenderedMessage {
            subject: subject_line(&self.title),
            email,
            sms,
            default,
            severity: self.severity,
            source: self.source.clone(),
        }
    }

    /// Headline, facts and sections: what every protocol but SMS shows.
    fn summary_text(&self) -> String {
        let mut text = String::new();
        text.push_str(&single_line(&self.title));
        text.push_str("\n\n");
        text.push_str(&format!("Severity: {}\n", self.severity.label()));
        for (key, value) in &self.summary {
            text.push_str(&format!("{}: {}\n", single_line(key), single_line(value)));
        }
        for section in &self.sections {
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
    pub severity: Severity,
    pub source: String,
}

impl RenderedMessage {
    /// The `Message` for a publish with `MessageStructure=json`.
    pub fn message_json(&self) -> String {
        serde_json::json!({
            "default": self.default,
            "email": self.email,
            "sms": self.sms,
        })
        .to_string()
    }
}

/// A subject SNS accepts: ASCII, no control characters or line breaks,
/// starting with a letter, digit or punctuation, at most 100 characters.
pub fn subject_line(title: &str) -> String {
    let collapsed = ascii_line(title);
    let start = collapsed
        .find(|c: char| c.is_ascii_alphanumeric() || c.is_ascii_punctuation())
        .unwrap_or(collapsed.len());
    let subject = &collapsed[start..];
    if subject.is_empty() {
        return "Watchkeeper notification".to_owned();
    }
    cut_chars_with_ellipsis(subject, MAX_SUBJECT_CHARS)
}

/// One SMS part: `SEVERITY: text`, ASCII, one line, at most 140 bytes.
pub fn sms_line(severity: Severity, text: &str) -> String {
    let line = format!("{}: {}", severity.label(), ascii_line(text));
    cut_chars_with_ellipsis(&line, MAX_SMS_BYTES)
}

/// One line of ASCII, transliterated (`Zoë` becomes `Zoe`). Line breaks
/// become spaces before transliteration, which would drop them.
fn ascii_line(text: &str) -> String {
    single_line(&deunicode::deunicode(&single_line(text)))
}

/// Text that cannot break out of its line: control characters, line breaks
/// and invisible formatting characters become spaces, runs of spaces one.
pub fn single_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || is_invisible_format(c) {
            ' '
        } else {
            c
        };
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
/// invisible formatting characters.
pub fn multi_line(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| {
            if c != '\n' && (c.is_control() || is_invisible_format(c)) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// JSON with every control character but the line breaks between its
/// lines, and every invisible formatting character, written as a `\uXXXX`
/// escape. serde_json escapes only U+0000 to U+001F, so an event's strings
/// could carry DEL, C1 controls (U+0085 breaks lines in some mail readers)
/// or bidirectional overrides into the email. Outside its strings, pretty
/// JSON holds no such character, so the result is the same JSON.
fn escape_hidden_characters(json: &str) -> String {
    let mut escaped = String::with_capacity(json.len());
    for c in json.chars() {
        if (c.is_control() && c != '\n') || is_invisible_format(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Bidirectional overrides and zero-width characters can make text display
/// differently from what it is.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// ASCII text cut to `max` characters, ending in `...` when cut.
fn cut_chars_with_ellipsis(ascii: &str, max: usize) -> String {
    if ascii.len() <= max {
        return ascii.to_owned();
    }
    let mut cut = ascii[..max - 3].trim_end().to_owned();
    cut.push_str("...");
    cut
}

fn cut_to_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let marker = format!("\n{TRUNCATION_MARKER}\n");
    let mut end = max - marker.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
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
    let mut used = 0;
    let mut end = 0;
    for (index, c) in text.char_indices() {
        let size = json_escaped_char_len(c);
        if used + size > budget - marker_reserve {
            break;
        }
        used += size;
        end = index + c.len_utf8();
    }
    format!(
        "{}\n\n{TRUNCATION_MARKER} {end} of {total} bytes shown\n",
        &text[..end]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Notification {
        Notification::new(
            "ami-permission-notifier",
            Severity::Critical,
            "AMI ami-0abc made PUBLIC by alice",
        )
        .with_sms_text("AMI ami-0abc made PUBLIC in prod by alice")
        .with_fact("Account", "prod (111122223333)")
        .with_fact("Region", "eu-west-1")
        .with_section("What changed", "made PUBLIC\nshared with 111122223333")
        .with_full_event(json!({"id": "e1"}))
    }

    #[test]
    fn renders_every_body() {
        let rendered = sample().render();
        assert_eq!(rendered.subject, "AMI ami-0abc made PUBLIC by alice");
        assert_eq!(
            rendered.sms,
            "CRITICAL: AMI ami-0abc made PUBLIC in prod by alice"
        );
        assert_eq!(
            rendered.default,
            "AMI ami-0abc made PUBLIC by alice\n\nSeverity: CRITICAL\nAccount: prod (111122223333)\nRegion: eu-west-1\n\nWhat changed\n------------\nmade PUBLIC\nshared with 111122223333\n"
        );
        assert_eq!(
            rendered.email,
            format!(
                "{}\nFull event\n----------\n{{\n  \"id\": \"e1\"\n}}\n\n--\nSent by Watchkeeper (ami-permission-notifier)\n",
                rendered.default
            )
        );
        let message: serde_json::Value = serde_json::from_str(&rendered.message_json()).unwrap();
        assert_eq!(message["email"], rendered.email.as_str());
        assert_eq!(message["sms"], rendered.sms.as_str());
        assert_eq!(message["default"], rendered.default.as_str());
    }

    #[test]
    fn subjects_are_valid_for_sns() {
        assert_eq!(
            subject_line("  \n\t Jürgen's AMI\r\nmade   public  "),
            "Jurgen's AMI made public"
        );
        assert_eq!(subject_line("\u{202E}evil\u{200B}name"), "evil name");
        assert_eq!(subject_line(""), "Watchkeeper notification");
        assert_eq!(subject_line("\u{2603}\u{2603}"), "snowman snowman");
        let long = subject_line(&"x".repeat(300));
        assert_eq!(long.len(), MAX_SUBJECT_CHARS);
        assert!(long.ends_with("..."));
        assert_eq!(subject_line(&"y".repeat(100)), "y".repeat(100));
    }

    #[test]
    fn sms_is_one_ascii_line_of_at_most_140_bytes() {
        let sms = sms_line(
            Severity::Warning,
            &format!("Zoë's line\nsecond {}", "z".repeat(300)),
        );
        assert!(sms.len() <= MAX_SMS_BYTES);
        assert!(sms.starts_with("WARNING: Zoe's line second zzz"));
        assert!(sms.ends_with("..."));
        assert!(sms.is_ascii());
        assert!(!sms.contains('\n'));
    }

    #[test]
    fn facts_cannot_forge_extra_lines() {
        let rendered = Notification::new("s", Severity::Info, "t")
            .with_fact("User", "alice\nSeverity: INFO\r\nAll clear")
            .render();
        assert!(
            rendered
                .default
                .contains("User: alice Severity: INFO All clear\n")
        );
        assert_eq!(rendered.default.matches("Severity:").count(), 2);
    }

    #[test]
    fn huge_events_are_cut_to_fit_the_sns_limit_with_a_marker() {
        let huge = json!({"entities": vec!["\"quoted\"\n".repeat(10); 5000]});
        let rendered = sample().with_full_event(huge).render();
        let message = rendered.message_json();
        assert!(
            message.len() <= MAX_MESSAGE_BYTES - 1024,
            "{}",
            message.len()
        );
        assert!(rendered.email.contains(TRUNCATION_MARKER));
        assert!(
            rendered
                .email
                .starts_with("AMI ami-0abc made PUBLIC by alice\n\nSeverity: CRITICAL\n")
        );
        assert!(!rendered.default.contains(TRUNCATION_MARKER));
    }

    #[test]
    fn long_default_bodies_are_cut_with_a_marker() {
        let rendered = Notification::new("s", Severity::Info, "t")
            .with_section("Files", "é".repeat(20_000))
            .render();
        assert!(rendered.default.len() <= MAX_DEFAULT_BYTES);
        assert!(rendered.default.ends_with("[truncated]\n"));
    }

    #[test]
    fn severities_parse_and_order() {
        assert_eq!(Severity::parse(" Critical "), Some(Severity::Critical));
        assert_eq!(Severity::parse("page"), None);
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
    }

    #[test]
    fn multi_line_keeps_breaks_and_drops_controls() {
        assert_eq!(multi_line("a\r\nb\u{7}c\td"), "a\nb c d");
    }
}
