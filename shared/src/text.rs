//! Text as a reader sees it. Text is cut only between extended grapheme
//! clusters (UAX #29), so an emoji sequence, a flag or a letter with its
//! accents is never split; and characters that make text display as
//! something other than what it is are found, except the joiners that hold
//! an emoji sequence together.

use unicode_segmentation::UnicodeSegmentation;

/// ZERO WIDTH JOINER: joins emoji into one (`👩` + ZWJ + `💻` is `👩‍💻`), and
/// elsewhere is an invisible character.
const ZWJ: char = '\u{200D}';

/// `1 minute`, `2 minutes`, `0 clusters`: the number, then `one` when it
/// is exactly 1 and `many` otherwise.
pub fn count(number: impl std::fmt::Display, one: &str, many: &str) -> String {
    let number = number.to_string();
    let noun = if number == "1" { one } else { many };
    format!("{number} {noun}")
}

/// The longest start of `text` made of whole grapheme clusters that takes
/// at most `max_bytes` bytes. A cluster that does not fit whole is left out.
pub fn truncate_graphemes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = 0;
    for (start, cluster) in text.grapheme_indices(true) {
        if start + cluster.len() > max_bytes {
            break;
        }
        end = start + cluster.len();
    }
    &text[..end]
}

/// The longest start of `text` made of whole grapheme clusters that holds
/// at most `max_chars` characters (Unicode scalar values).
pub fn truncate_graphemes_to_chars(text: &str, max_chars: usize) -> &str {
    let mut chars = 0;
    let mut end = 0;
    for (start, cluster) in text.grapheme_indices(true) {
        chars += cluster.chars().count();
        if chars > max_chars {
            break;
        }
        end = start + cluster.len();
    }
    &text[..end]
}

/// The longest end of `text` made of whole grapheme clusters that takes at
/// most `max_bytes` bytes.
pub fn truncate_graphemes_from_start(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut start = text.len();
    for (index, _) in text.grapheme_indices(true).rev() {
        if text.len() - index > max_bytes {
            break;
        }
        start = index;
    }
    &text[start..]
}

/// Bidirectional formatting characters (UAX #9): embeddings, overrides,
/// isolates and the implicit marks. They reorder what is shown, so
/// `txt.exe` can show as `exe.txt` and a forged line can look like ours.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that are never shown and are removed wherever they stand:
/// bidirectional controls, zero-width space and non-joiner, word joiner and
/// the invisible operators, and the byte order mark (ZERO WIDTH NO-BREAK
/// SPACE). The zero-width joiner is not among them: see [`clean_hidden`].
pub fn is_always_hidden(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        )
}

/// `text` with every hidden character written by `replace` instead:
/// the characters for which `also` is true (the caller's control
/// characters), every [`is_always_hidden`] character, and every zero-width
/// joiner that joins nothing. A joiner is kept where it joins two parts of
/// one grapheme cluster that would be two clusters without it, as in the
/// emoji ZWJ sequences of UAX #29 rule GB11 (`👩‍💻`, `🏳️‍🌈`); a joiner at
/// the end of a cluster (`pay\u{200D}pal`), after a space or a line break,
/// or before a combining mark, is replaced.
///
/// The other characters are judged first, so that a joiner kept here is a
/// joiner of the text as it is returned.
pub fn clean_hidden(
    text: &str,
    also: impl Fn(char) -> bool,
    mut replace: impl FnMut(&mut String, char),
) -> String {
    let mut first = String::with_capacity(text.len());
    for c in text.chars() {
        if c != ZWJ && (also(c) || is_always_hidden(c)) {
            replace(&mut first, c);
        } else {
            first.push(c);
        }
    }
    if !first.contains(ZWJ) {
        return first;
    }
    let mut cleaned = String::with_capacity(first.len());
    for cluster in first.graphemes(true) {
        if !cluster.contains(ZWJ) {
            cleaned.push_str(cluster);
            continue;
        }
        let mut previous = None;
        let mut chars = cluster.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ZWJ && !joins(previous, chars.peek().copied()) {
                replace(&mut cleaned, c);
            } else {
                cleaned.push(c);
            }
            previous = Some(c);
        }
    }
    cleaned
}

/// Whether a joiner between `before` and `after`, in the same grapheme
/// cluster, is what holds them together: without it they would be two.
fn joins(before: Option<char>, after: Option<char>) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return false;
    };
    let mut pair = String::with_capacity(8);
    pair.push(before);
    pair.push(after);
    pair.graphemes(true).nth(1).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TECHNOLOGIST: &str = "\u{1F469}\u{200D}\u{1F4BB}";

    fn spaced(text: &str) -> String {
        clean_hidden(text, char::is_control, |out, _| out.push(' '))
    }

    #[test]
    fn emoji_sequences_keep_their_joiners_and_selectors() {
        for emoji in [
            TECHNOLOGIST,
            // Family: man, woman, girl, boy.
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}",
            // Rainbow flag: white flag, VS16, ZWJ, rainbow.
            "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
            // Woman technologist, medium skin tone.
            "\u{1F469}\u{1F3FD}\u{200D}\u{1F4BB}",
            // Heart on fire: VS16 before the joiner.
            "\u{2764}\u{FE0F}\u{200D}\u{1F525}",
            // Keycap 1, flag of Sweden, flag of England (tag sequence), thumbs up with a skin tone.
            "1\u{FE0F}\u{20E3}",
            "\u{1F1F8}\u{1F1EA}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            "\u{1F44D}\u{1F3FF}",
        ] {
            let text = format!("feature/{emoji}-login {emoji}");
            assert_eq!(spaced(&text), text, "{emoji:?}");
        }
    }

    #[test]
    fn joiners_that_join_nothing_are_replaced() {
        assert_eq!(spaced("pay\u{200D}pal"), "pay pal");
        assert_eq!(spaced("\u{200D}\u{1F4BB}"), " \u{1F4BB}");
        assert_eq!(spaced("\u{1F469}\u{200D}"), "\u{1F469} ");
        assert_eq!(
            spaced("\u{1F469}\u{200D}\u{200D}\u{1F4BB}"),
            "\u{1F469}  \u{1F4BB}"
        );
        assert_eq!(spaced("a\u{200D}\u{301}"), "a \u{301}");
        assert_eq!(spaced("x \u{200D}\u{1F4BB}"), "x  \u{1F4BB}");
        assert_eq!(spaced("\n\u{200D}\u{1F4BB}"), "  \u{1F4BB}");
    }

    #[test]
    fn a_joiner_left_stranded_by_a_removed_character_goes_too() {
        // ZWNJ is removed first; the joiner then follows a space.
        assert_eq!(
            spaced("\u{1F469}\u{200C}\u{200D}\u{1F4BB}"),
            "\u{1F469}  \u{1F4BB}"
        );
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_always_replaced() {
        for c in [
            '\u{061C}', '\u{200B}', '\u{200C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}',
            '\u{2060}', '\u{2064}', '\u{2066}', '\u{2069}', '\u{FEFF}',
        ] {
            assert_eq!(spaced(&format!("a{c}b")), "a b", "{c:?}");
            // Not even inside an emoji sequence.
            assert_eq!(
                spaced(&format!("\u{1F469}{c}\u{1F4BB}")),
                "\u{1F469} \u{1F4BB}",
                "{c:?}"
            );
        }
    }

    #[test]
    fn cuts_never_split_a_cluster() {
        let many = TECHNOLOGIST.repeat(1000);
        for max in [0, 1, 10, 11, 12, 100, 4095, 11_000, 20_000] {
            let cut = truncate_graphemes(&many, max);
            assert!(cut.len() <= max);
            assert_eq!(cut.len() % TECHNOLOGIST.len(), 0, "{max}");
            assert!(max.min(many.len()) - cut.len() < TECHNOLOGIST.len());
            let tail = truncate_graphemes_from_start(&many, max);
            assert!(tail.len() <= max);
            assert_eq!(tail.len() % TECHNOLOGIST.len(), 0, "{max}");
            let chars = truncate_graphemes_to_chars(&many, max);
            assert!(chars.chars().count() <= max);
            assert_eq!(chars.len() % TECHNOLOGIST.len(), 0, "{max}");
        }
        assert_eq!(truncate_graphemes("e\u{301}x", 2), "");
        assert_eq!(truncate_graphemes("e\u{301}x", 3), "e\u{301}");
        assert_eq!(truncate_graphemes_to_chars("e\u{301}x", 1), "");
        assert_eq!(truncate_graphemes_to_chars("abc", 5), "abc");
        assert_eq!(truncate_graphemes_from_start("xe\u{301}", 2), "");
        assert_eq!(truncate_graphemes_from_start("xe\u{301}", 3), "e\u{301}");
    }
}
