use super::*;
use crate::headline::Shorten;
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

fn subject(title: &str) -> String {
    subject_line(&Headline::from(title))
}

#[test]
fn subjects_are_valid_for_sns() {
    assert_eq!(
        subject("  \n\t Jürgen's AMI\r\nmade   public  "),
        "Jurgen's AMI made public"
    );
    assert_eq!(subject("\u{202E}evil\u{200B}name"), "evil name");
    assert_eq!(subject(""), "Watchkeeper notification");
    assert_eq!(
        subject("\u{200D}\u{FEFF} \u{7}"),
        "Watchkeeper notification"
    );
    assert_eq!(subject("\u{2603}\u{2603}"), "snowman snowman");
    let long = subject(&"x".repeat(300));
    assert_eq!(long.len(), MAX_SUBJECT_CHARS);
    assert!(long.ends_with("..."));
    assert_eq!(subject(&"y".repeat(100)), "y".repeat(100));
}

/// Issue 13: a long name cut the end of the subject and the SMS away,
/// and with it what happened.
#[test]
fn subjects_and_sms_shorten_names_and_keep_what_happened() {
    let repository = "r".repeat(100);
    let title = Headline::new()
        .fixed("[")
        .var(&repository)
        .fixed("] Force push to ")
        .var("feature/a-rather-long-branch-name-for-a-ticket")
        .fixed(" by ")
        .var("Alice")
        .fixed(": 3 new commits");
    let notification = Notification::new("s", Severity::Warning, title.clone()).with_sms_text(
        title
            .clone()
            .fixed(": 3d8f3a4 ")
            .var_shortened("Fix the login ".repeat(20), Shorten::End),
    );
    let rendered = notification.render();
    assert!(rendered.subject.len() <= MAX_SUBJECT_CHARS);
    assert!(rendered.sms.len() <= MAX_SMS_BYTES);
    for text in [&rendered.subject, &rendered.sms] {
        for words in [
            "] Force push to feature/",
            " by Alice: 3 new commits",
            "[rrr",
        ] {
            assert!(text.contains(words), "{words:?} missing from {text}");
        }
    }
    assert!(rendered.sms.starts_with("WARNING: [rrr"));
    assert!(
        rendered.sms.contains(": 3d8f3a4 Fix the login"),
        "{}",
        rendered.sms
    );
    // The bodies keep the whole headline.
    assert!(rendered.default.starts_with(&format!("[{repository}] Force push to feature/a-rather-long-branch-name-for-a-ticket by Alice: 3 new commits\n")));
}

#[test]
fn sms_is_one_ascii_line_of_at_most_140_bytes() {
    let sms = sms_line(
        Severity::Warning,
        &format!("Zoë's line\nsecond {}", "z".repeat(300)).into(),
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

const TECHNOLOGIST: &str = "\u{1F469}\u{200D}\u{1F4BB}";
const EMOJI: [&str; 6] = [
    TECHNOLOGIST,
    "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}",
    "\u{1F1F8}\u{1F1EA}",
    "\u{1F44D}\u{1F3FD}",
    "1\u{FE0F}\u{20E3}",
    "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
];

/// Issue 13: the joiner inside `👩‍💻` became a space, so a branch showed
/// as one that does not exist and commit messages changed.
#[test]
fn emoji_sequences_survive_in_every_body() {
    for emoji in EMOJI {
        let branch = format!("feature/{emoji}-login");
        let message = format!("Add {emoji}\nfor the {emoji} team");
        let rendered = Notification::new("s", Severity::Info, format!("Push to {branch}"))
            .with_fact("Branch", &branch)
            .with_section("Commit", &message)
            .with_full_event(serde_json::json!({ "referenceName": branch }))
            .render();
        assert_eq!(single_line(&branch), branch);
        assert_eq!(multi_line(&message), message);
        for body in [&rendered.default, &rendered.email] {
            assert!(body.starts_with(&format!("Push to {branch}\n")), "{body}");
            assert!(body.contains(&format!("Branch: {branch}\n")), "{body}");
            assert!(body.contains(&format!("{message}\n")), "{body}");
        }
        assert!(
            rendered
                .email
                .contains(&format!("\"referenceName\": \"{branch}\""))
        );
        assert!(rendered.subject.is_ascii() && rendered.sms.is_ascii());
    }
}

#[test]
fn hidden_characters_outside_emoji_are_still_removed_or_escaped() {
    for (text, line) in [
        ("pay\u{200D}pal", "pay pal"),
        ("pay\u{200C}pal", "pay pal"),
        ("\u{FEFF}main", "main"),
        ("main\u{202E}txt.exe", "main txt.exe"),
        ("a\u{2066}b\u{2069}c", "a b c"),
        ("x\u{061C}y\u{200F}z", "x y z"),
    ] {
        assert_eq!(single_line(text), line, "{text:?}");
        assert_eq!(
            multi_line(text),
            text.chars()
                .map(|c| if c.is_alphanumeric() || c == '.' {
                    c
                } else {
                    ' '
                })
                .collect::<String>()
        );
    }
    let event =
        serde_json::json!({"a": "pay\u{200D}pal", "b": "\u{FEFF}x\u{202E}", "c": TECHNOLOGIST});
    let email = Notification::new("s", Severity::Info, "t")
        .with_full_event(event.clone())
        .render()
        .email;
    for escape in ["pay\\u200dpal", "\\ufeffx\\u202e"] {
        assert!(email.contains(escape), "{escape} missing from {email}");
    }
    assert!(email.contains(&format!("\"c\": \"{TECHNOLOGIST}\"")));
    let json = email
        .split_once("Full event\n----------\n")
        .and_then(|(_, rest)| rest.split_once("\n\n--\n"))
        .map(|(json, _)| json)
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(json).unwrap(),
        event
    );
}

#[test]
fn cut_bodies_never_split_an_emoji_sequence() {
    let many = TECHNOLOGIST.repeat(10_000);
    let rendered = Notification::new("s", Severity::Info, "t")
        .with_section("Many", &many)
        .with_full_event(serde_json::json!({ "many": many.repeat(10) }))
        .render();
    assert!(rendered.default.len() <= MAX_DEFAULT_BYTES);
    for (body, marker) in [
        (&rendered.default, "\n[truncated]\n"),
        (&rendered.email, "\n\n[truncated] "),
    ] {
        let cut = &body[..body.find(marker).expect("the body was cut")];
        let last_line = cut.rsplit('\n').next().unwrap();
        let emoji = last_line.trim_start_matches(|c: char| c.is_ascii());
        let emoji = emoji.trim_end_matches('"');
        assert!(!emoji.is_empty());
        assert_eq!(
            emoji.len() % TECHNOLOGIST.len(),
            0,
            "{:?}",
            &emoji[emoji.len() - 20..]
        );
        assert!(emoji.ends_with(TECHNOLOGIST));
    }
    assert_eq!(
        cut_to_bytes(&many, 100),
        format!("{}\n[truncated]\n", TECHNOLOGIST.repeat(7))
    );
    assert_eq!(
        cut_to_json_budget(&many, 200),
        format!(
            "{}\n\n[truncated] 143 of 110000 bytes shown\n",
            TECHNOLOGIST.repeat(13)
        )
    );
}
