//! A notification's headline, made of fixed words and variable parts, so
//! that the subject (100 characters) and the SMS (140 bytes) shorten the
//! names, branches, ids and users from events and never the words that say
//! what happened.

use std::fmt;

use crate::text;

/// The shortest a variable part is shortened to: `...` alone.
const MIN_VARIABLE_CHARS: usize = 3;
const ELLIPSIS: &str = "...";

/// Which end of a variable part is kept when it is shortened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shorten {
    /// `payments-...-prod`: the start and the end, for names and branches.
    #[default]
    Middle,
    /// `Fix the login...`: the start, for sentences such as a commit subject.
    End,
    /// `...user/alice`: the end, for paths and ARNs.
    Start,
}

/// One piece of a [`Headline`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Words of the function's own that say what happened: never shortened.
    Fixed(String),
    /// Text from an event or an API (a name, branch, id or user): shortened
    /// when the line is too long, the longest first.
    Variable { text: String, shorten: Shorten },
}

/// A one-line headline: fixed words and variable parts, in order.
///
/// ```
/// use watchkeeper_shared::headline::Headline;
/// let name = "payments-".repeat(20);
/// let headline = Headline::new()
///     .fixed("[")
///     .var(&name)
///     .fixed("] 3 commits pushed to ")
///     .var("main")
///     .fixed(" by ")
///     .var("Alice");
/// let subject = headline.fit_ascii(100);
/// assert!(subject.len() <= 100);
/// assert!(subject.ends_with("] 3 commits pushed to main by Alice"));
/// assert!(subject.starts_with("[payments-payments-"));
/// assert!(subject.contains("..."));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Headline {
    parts: Vec<Part>,
}

impl Headline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends fixed words, kept whole (spaces at either end included).
    pub fn fixed(mut self, text: impl Into<String>) -> Self {
        self.parts.push(Part::Fixed(text.into()));
        self
    }

    /// Appends a variable part, shortened in the middle when needed.
    pub fn var(self, text: impl Into<String>) -> Self {
        self.var_shortened(text, Shorten::Middle)
    }

    /// Appends a variable part, shortened as `shorten` says when needed.
    pub fn var_shortened(mut self, text: impl Into<String>, shorten: Shorten) -> Self {
        self.parts.push(Part::Variable {
            text: text.into(),
            shorten,
        });
        self
    }

    /// Appends every part of `other`.
    pub fn then(mut self, other: Headline) -> Self {
        self.parts.extend(other.parts);
        self
    }

    /// `items` with `separator` (fixed) between them.
    pub fn join(items: impl IntoIterator<Item = Headline>, separator: &str) -> Self {
        let mut joined = Self::new();
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                joined = joined.fixed(separator);
            }
            joined = joined.then(item);
        }
        joined
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|part| match part {
            Part::Fixed(text) | Part::Variable { text, .. } => text.is_empty(),
        })
    }

    /// The whole text, as the email shows it.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Fixed(text) | Part::Variable { text, .. } => text.as_str(),
            })
            .collect()
    }

    /// Whether the whole line, ASCII, fits `max` bytes without shortening.
    pub fn fits(&self, max: usize) -> bool {
        let parts = self.ascii_parts(usize::MAX);
        assemble(&parts, usize::MAX).len() <= max
    }

    /// The headline as one line of ASCII (transliterated, `Zoë` → `Zoe`;
    /// no control, bidirectional or zero-width characters; runs of spaces
    /// as one) of at most `max` bytes. When the line is too long, the
    /// longest variable part is shortened first, down to the length of the
    /// next longest, and so on, each to no less than `...`; fixed words are
    /// never cut. Only if the fixed words alone do not fit is the line cut
    /// at its end, with `...`.
    pub fn fit_ascii(&self, max: usize) -> String {
        let parts = self.ascii_parts(max);
        let longest = parts
            .iter()
            .filter(|part| part.shorten.is_some())
            .map(|part| part.text.len())
            .max()
            .unwrap_or(0);
        let whole = assemble(&parts, usize::MAX);
        if whole.len() <= max {
            return whole;
        }
        // Every variable part longer than `cap` is shortened to `cap`
        // characters: the longest cap that fits.
        let fits = |cap: usize| assemble(&parts, cap).len() <= max;
        if longest <= MIN_VARIABLE_CHARS || !fits(MIN_VARIABLE_CHARS) {
            let line = assemble(&parts, MIN_VARIABLE_CHARS);
            return cut_with_ellipsis(&line, max);
        }
        let (mut low, mut high) = (MIN_VARIABLE_CHARS, longest);
        while low + 1 < high {
            let middle = low + (high - low) / 2;
            if fits(middle) {
                low = middle;
            } else {
                high = middle;
            }
        }
        assemble(&parts, low)
    }

    /// Each part as ASCII; variable parts at most `max` long, which no
    /// line of `max` can show more of.
    fn ascii_parts(&self, max: usize) -> Vec<AsciiPart> {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Fixed(text) => AsciiPart {
                    text: ascii_keeping_edge_spaces(text),
                    shorten: None,
                },
                Part::Variable { text, shorten } => {
                    // Transliteration can lengthen text; a start (or end)
                    // of at most `max` characters gives it enough to show.
                    let limit = max.saturating_mul(4).max(64);
                    let source = match shorten {
                        Shorten::Start => text::truncate_graphemes_from_start(text, limit),
                        _ => text::truncate_graphemes(text, limit),
                    };
                    let mut ascii = ascii_line(source);
                    if *shorten == Shorten::Middle && text.len() > limit {
                        // The end matters too: the middle goes anyway.
                        let tail = ascii_line(text::truncate_graphemes_from_start(text, limit));
                        ascii = format!("{}{ELLIPSIS}{tail}", truncate_ascii(&ascii, limit));
                    }
                    if ascii.len() > max {
                        ascii = shorten_to(&ascii, max, *shorten);
                    }
                    AsciiPart {
                        text: ascii,
                        shorten: Some(*shorten),
                    }
                }
            })
            .collect()
    }
}

impl From<String> for Headline {
    /// Text of no known structure: one variable part, cut at its end.
    fn from(text: String) -> Self {
        Self::new().var_shortened(text, Shorten::End)
    }
}

impl From<&str> for Headline {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl From<&String> for Headline {
    fn from(text: &String) -> Self {
        Self::from(text.clone())
    }
}

impl fmt::Display for Headline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

struct AsciiPart {
    text: String,
    shorten: Option<Shorten>,
}

/// The parts with each variable part longer than `cap` shortened to `cap`,
/// as one line: runs of spaces as one, none at either end.
fn assemble(parts: &[AsciiPart], cap: usize) -> String {
    let mut raw = String::new();
    for part in parts {
        match part.shorten {
            Some(shorten) if part.text.len() > cap => {
                raw.push_str(&shorten_to(&part.text, cap, shorten));
            }
            _ => raw.push_str(&part.text),
        }
    }
    let mut line = String::with_capacity(raw.len());
    for word in raw.split(' ').filter(|word| !word.is_empty()) {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    line
}

/// ASCII `text` shortened to at most `cap` characters with `...`.
fn shorten_to(text: &str, cap: usize, shorten: Shorten) -> String {
    if text.len() <= cap {
        return text.to_owned();
    }
    let keep = cap.saturating_sub(ELLIPSIS.len());
    let (head, tail) = match shorten {
        Shorten::End => (keep, 0),
        Shorten::Start => (0, keep),
        Shorten::Middle => (keep - keep / 2, keep / 2),
    };
    let head = text[..head].trim_end();
    let tail = text[text.len() - tail..].trim_start();
    format!("{head}{ELLIPSIS}{tail}")
}

/// ASCII text cut to at most `max` bytes, ending in `...` when cut.
fn cut_with_ellipsis(ascii: &str, max: usize) -> String {
    if ascii.len() <= max {
        return ascii.to_owned();
    }
    if max < ELLIPSIS.len() {
        return truncate_ascii(ascii, max).to_owned();
    }
    let mut cut = truncate_ascii(ascii, max.saturating_sub(ELLIPSIS.len()))
        .trim_end()
        .to_owned();
    cut.push_str(ELLIPSIS);
    cut
}

/// The start of ASCII text, at most `max` bytes; whole clusters all the
/// same (in one line of ASCII every character is one).
fn truncate_ascii(ascii: &str, max: usize) -> &str {
    text::truncate_graphemes(ascii, max)
}

/// One line of ASCII, transliterated (`Zoë` becomes `Zoe`). Line breaks
/// become spaces before transliteration, which would drop them.
pub(crate) fn ascii_line(text: &str) -> String {
    crate::notification::single_line(&deunicode::deunicode(&crate::notification::single_line(
        text,
    )))
}

/// Fixed words as ASCII, with one space kept at either end that had one,
/// so that `" by "` still separates the parts around it.
fn ascii_keeping_edge_spaces(text: &str) -> String {
    let mut ascii = ascii_line(text);
    if ascii.is_empty() {
        return if text.is_empty() { ascii } else { " ".into() };
    }
    if text.starts_with(|c: char| c.is_whitespace() || c.is_control()) {
        ascii.insert(0, ' ');
    }
    if text.ends_with(|c: char| c.is_whitespace() || c.is_control()) {
        ascii.push(' ');
    }
    ascii
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(repository: &str, branch: &str, author: &str) -> Headline {
        Headline::new()
            .fixed("[")
            .var(repository)
            .fixed("] Force push to ")
            .var(branch)
            .fixed(" by ")
            .var(author)
            .fixed(": 3 new commits")
    }

    #[test]
    fn a_line_that_fits_is_the_whole_text_in_ascii() {
        let headline = push("app", "main", "Zoë");
        assert_eq!(
            headline.fit_ascii(100),
            "[app] Force push to main by Zoe: 3 new commits"
        );
        assert_eq!(
            headline.text(),
            "[app] Force push to main by Zoë: 3 new commits"
        );
        assert!(headline.fits(46));
        assert!(!headline.fits(45));
    }

    #[test]
    fn the_longest_variable_part_is_shortened_first() {
        let repository = format!("r{}z", "e".repeat(98));
        let subject = push(&repository, "feature/login", "Alice").fit_ascii(100);
        assert_eq!(subject.len(), 100);
        assert!(
            subject.ends_with("eez] Force push to feature/login by Alice: 3 new commits")
                && subject.contains("eee...eee"),
            "{subject}"
        );
        assert!(subject.starts_with("[ree"));

        // Two long parts are shortened to the same length.
        let branch = format!("b{}y", "r".repeat(98));
        let subject = push(&repository, &branch, "Alice").fit_ascii(100);
        assert!(subject.len() <= 100 && subject.len() >= 98, "{subject}");
        let repository_part = &subject[1..subject.find(']').unwrap()];
        let branch_part =
            &subject[subject.find(" to ").unwrap() + 4..subject.find(" by ").unwrap()];
        assert!(repository_part.len().abs_diff(branch_part.len()) <= 1);
        assert!(subject.contains("Force push to b"));
        assert!(subject.ends_with("ry by Alice: 3 new commits"));
    }

    #[test]
    fn fixed_words_are_never_cut_while_they_fit() {
        let long = "x".repeat(1_000);
        for max in [45, 50, 64, 100, 140] {
            let line = push(&long, &long, &long).fit_ascii(max);
            assert!(line.len() <= max, "{max}: {line}");
            assert!(line.is_ascii());
            for fixed in ["[", "] Force push to ", " by ", ": 3 new commits"] {
                assert!(line.contains(fixed), "{max}: {line}");
            }
        }
        // Fixed words alone too long: the line is cut at its end.
        let line = push(&long, &long, &long).fit_ascii(30);
        assert_eq!(line, "[...] Force push to ... by...");
    }

    #[test]
    fn each_end_can_be_kept() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        let fit = |shorten| {
            Headline::new()
                .fixed("> ")
                .var_shortened(text, shorten)
                .fit_ascii(15)
        };
        assert_eq!(fit(Shorten::Middle), "> abcde...vwxyz");
        assert_eq!(fit(Shorten::End), "> abcdefghij...");
        assert_eq!(fit(Shorten::Start), "> ...qrstuvwxyz");
        assert_eq!(Headline::from(text).fit_ascii(10), "abcdefg...");
    }

    #[test]
    fn lines_are_ascii_without_hidden_or_control_characters() {
        let headline = Headline::new()
            .fixed("New ")
            .var("feature/\u{1F469}\u{200D}\u{1F4BB}\u{202E}gnp.exe\nSeverity: INFO")
            .fixed(" by ")
            .var("J\u{00FC}rgen\u{200B}");
        let line = headline.fit_ascii(100);
        assert!(line.is_ascii(), "{line}");
        assert!(!line.contains(['\n', '\u{202E}']));
        assert!(line.starts_with("New feature/"), "{line}");
        assert!(line.ends_with(" by Jurgen"), "{line}");
        assert!(line.contains("gnp.exe Severity: INFO"), "{line}");
    }

    #[test]
    fn empty_parts_leave_no_double_spaces() {
        let headline = Headline::new()
            .fixed("Tag ")
            .var("")
            .fixed(" deleted by ")
            .var("  ");
        assert_eq!(headline.fit_ascii(100), "Tag deleted by");
        assert_eq!(Headline::new().fit_ascii(100), "");
        assert!(!Headline::new().var(" ").is_empty());
        assert!(Headline::new().var("").is_empty());
    }

    #[test]
    fn huge_parts_keep_both_ends_and_stay_fast() {
        let huge = format!("start-{}-end", "\u{00E9}".repeat(1_000_000));
        let line = Headline::new()
            .fixed("Cluster ")
            .var(&huge)
            .fixed(" terminated")
            .fit_ascii(60);
        assert!(line.len() <= 60);
        assert!(line.starts_with("Cluster start-eee"), "{line}");
        assert!(line.ends_with("eee-end terminated"), "{line}");
    }

    #[test]
    fn joined_items_have_fixed_separators() {
        let joined = Headline::join(["a", "b", "c"].map(|text| Headline::new().var(text)), ", ");
        assert_eq!(joined.text(), "a, b, c");
        assert_eq!(joined.parts().len(), 5);
    }
}
