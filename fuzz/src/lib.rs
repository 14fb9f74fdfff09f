//! What each fuzz target checks, one function per target: the input is read
//! the way the functions read an event, and every documented property of
//! the result is asserted, so that a panic or a broken promise is a crash.
//!
//! `shared/tests/fuzz_regressions.rs` includes this file as a module and runs
//! the same checks on every sample event and on every crash input committed
//! under `fuzz/regressions/<target>/`, so `cargo test` keeps them fixed.

use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;
use watchkeeper_shared::events::cloudtrail::{
    ApiCall, BlockPublicAccessResponse, ModifyImageAttributeRequest, ModifySnapshotAttributeRequest,
};
use watchkeeper_shared::events::cloudwatch_alarm::{
    AlarmState, AlarmStateChange, AlarmStateChangeDetail, SnsAlarmMessage,
};
use watchkeeper_shared::events::codecommit::{RepositoryStateChange, is_commit_id};
use watchkeeper_shared::events::ec2::{InstanceState, InstanceStateChange, is_instance_id};
use watchkeeper_shared::events::health::{HealthEvent, HealthEventDetail, HealthTime};
use watchkeeper_shared::events::{
    EventBridgeEvent, EventError, EventRouting, MAX_QUOTED_CHARS, deserialize_value, parse_event,
};
use watchkeeper_shared::headline::{Headline, Part, Shorten};
use watchkeeper_shared::notification::{
    MAX_DEFAULT_BYTES, MAX_MESSAGE_BYTES, MAX_SMS_BYTES, MAX_SUBJECT_CHARS, Notification, Severity,
    Step,
};

/// What a target does with one input: returns, or panics naming the broken property.
pub type Check = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` and
/// `fuzz/regressions/<name>/` call it.
pub const TARGETS: &[(&str, Check)] = &[
    ("ec2_state_change", ec2_state_change),
    ("cloudtrail_api_call", cloudtrail_api_call),
    ("codecommit_state_change", codecommit_state_change),
    ("health_event", health_event),
    ("cloudwatch_alarm", cloudwatch_alarm),
    ("notification_render", notification_render),
    ("notification_size", notification_size),
];

/// The longest error message a malformed event may produce: a path of known
/// field names and a problem quoting at most [`MAX_QUOTED_CHARS`] of the
/// event's text. An error that quotes more lets an attacker flood the logs.
const MAX_ERROR_CHARS: usize = 4 * MAX_QUOTED_CHARS;

/// `EC2 Instance State-change Notification`, as `ec2-alarm-creator` reads it.
pub fn ec2_state_change(data: &[u8]) {
    let Some(event) = event_json(data) else {
        return;
    };
    match parse_event::<InstanceStateChange>(&event) {
        Ok(parsed) => {
            check_envelope(&parsed);
            let change = &parsed.detail;
            assert!(
                is_instance_id(&change.instance_id),
                "accepted instance id {:?}",
                change.instance_id
            );
            assert_eq!(change.instance_id, change.instance_id.to_lowercase());
            let name = change.state.name();
            assert!(!name.is_empty(), "accepted an empty state");
            assert_eq!(InstanceState::from_name(name), change.state);
            assert_eq!(change.state.to_string(), name);
        }
        Err(error) => check_error(&error, &event),
    }
}

/// `AWS API Call via CloudTrail` for the calls `ami-permission-notifier`
/// watches, read as its `input::read` does: the call, then the request
/// parameters of `ModifyImageAttribute` and `ModifySnapshotAttribute`, then
/// the response of the block-public-access calls. Each nested read is tried
/// whatever the event name, so every shape meets every input.
pub fn cloudtrail_api_call(data: &[u8]) {
    let Some(event) = event_json(data) else {
        return;
    };
    let call = match parse_event::<ApiCall>(&event) {
        Ok(parsed) => parsed,
        Err(error) => return check_error(&error, &event),
    };
    check_envelope(&call);
    let detail = &call.detail;
    assert_trimmed(&detail.event_name);
    for text in [
        &detail.user_agent,
        &detail.source_ip_address,
        &detail.error_message,
        &detail.user_identity.arn,
    ]
    .into_iter()
    .flatten()
    {
        assert!(!text.is_empty(), "a blank optional field read as present");
        assert_trimmed(text);
    }
    match detail.request_parameters::<ModifyImageAttributeRequest>() {
        Ok(Some(request)) => {
            assert_trimmed(&request.image_id);
            check_permission_items(request.launch_permission.as_ref());
        }
        Ok(None) => {}
        Err(error) => check_nested_error(&error, "detail.requestParameters"),
    }
    match detail.request_parameters::<ModifySnapshotAttributeRequest>() {
        Ok(Some(request)) => {
            assert_trimmed(&request.snapshot_id);
            check_permission_items(request.create_volume_permission.as_ref());
        }
        Ok(None) => {}
        Err(error) => check_nested_error(&error, "detail.requestParameters"),
    }
    match detail.response_elements::<BlockPublicAccessResponse>() {
        Ok(Some(response)) => {
            if let Some(state) = response.new_state() {
                assert!(!state.is_empty());
            }
        }
        Ok(None) => {}
        Err(error) => check_nested_error(&error, "detail.responseElements"),
    }
}

/// `CodeCommit Repository State Change`, as `codecommit-change-publisher` reads it.
pub fn codecommit_state_change(data: &[u8]) {
    let Some(event) = event_json(data) else {
        return;
    };
    match parse_event::<RepositoryStateChange>(&event) {
        Ok(parsed) => {
            check_envelope(&parsed);
            let change = &parsed.detail;
            for name in [&change.repository_name, &change.reference_name] {
                assert!(!name.is_empty(), "accepted an empty name");
                assert_trimmed(name);
            }
            assert!(!change.event.name().is_empty());
            assert!(!change.reference_type.name().is_empty());
            for id in [
                &change.commit_id,
                &change.old_commit_id,
                &change.base_commit_id,
                &change.source_commit_id,
            ]
            .into_iter()
            .flatten()
            {
                assert!(is_commit_id(id), "accepted commit id {id:?}");
                assert_eq!(*id, id.to_ascii_lowercase());
            }
        }
        Err(error) => check_error(&error, &event),
    }
}

/// `AWS Health Event` and `AWS Health Abuse Event`, as
/// `health-event-forwarder` reads them, with every accessor its decision and
/// message use.
pub fn health_event(data: &[u8]) {
    let Some(event) = event_json(data) else {
        return;
    };
    let parsed: HealthEvent = match parse_event::<HealthEventDetail>(&event) {
        Ok(parsed) => parsed,
        Err(error) => return check_error(&error, &event),
    };
    check_envelope(&parsed);
    let detail = &parsed.detail;
    assert_trimmed(&detail.event_arn);
    assert!(!detail.event_type_category.as_str().is_empty());
    let _ = detail.event_type_category.phrase();
    if let Some(status) = &detail.status_code {
        let _ = status.as_str();
    }
    if let Some(description) = detail.description() {
        assert!(!description.trim().is_empty());
    }
    let _ = parsed.is_abuse();
    if let Some(region) = parsed.impacted_region() {
        assert!(!region.is_empty());
    }
    let _ = parsed.affected_account();
    let _ = parsed.is_organisational_view();
    for entity in &detail.affected_entities {
        assert!(!entity.name().is_empty());
    }
    for time in [
        Some(detail.start_time),
        detail.end_time,
        detail.last_updated_time,
    ]
    .into_iter()
    .flatten()
    {
        check_time(time);
    }
}

/// CloudWatch alarm state changes, both ways `idle-emr-terminator` receives
/// them: an EventBridge `CloudWatch Alarm State Change` event, and the alarm
/// JSON CloudWatch publishes to SNS, which the function reads from each
/// `Records[i].Sns.Message` (here: from the input itself and from every such
/// message string in it).
pub fn cloudwatch_alarm(data: &[u8]) {
    let Some(event) = event_json(data) else {
        return;
    };
    match parse_event::<AlarmStateChangeDetail>(&event) {
        Ok(parsed) => {
            check_envelope(&parsed);
            check_alarm_change(parsed.detail.into());
        }
        Err(error) => check_error(&error, &event),
    }
    let mut messages = vec![event.clone()];
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        messages.extend(
            records
                .iter()
                .filter_map(|record| record.pointer("/Sns/Message")?.as_str())
                .filter_map(|text| serde_json::from_str::<Value>(text).ok()),
        );
    }
    for message in messages {
        match deserialize_value::<SnsAlarmMessage>(&message) {
            Ok(alarm) => check_alarm_change(alarm.into()),
            Err(error) => check_error(&error, &message),
        }
    }
}

/// The notification renderer on attacker-chosen title, SMS text, facts,
/// sections and full event: whatever they hold, the subject, SMS, email and
/// default bodies keep SNS's limits and cannot carry control characters,
/// hidden characters or forged lines, and the subject and SMS keep the
/// headline's fixed words whenever they fit.
pub fn notification_render(data: &[u8]) {
    check_rendering(&notification_from_bytes(data, Size::AsGiven));
}

/// [`notification_render`] with the full event and section bodies repeated
/// up to a quarter megabyte, so that every input meets the size limits. A
/// target of its own because each run takes milliseconds where the other's
/// take microseconds.
pub fn notification_size(data: &[u8]) {
    check_rendering(&notification_from_bytes(data, Size::Amplified));
}

fn check_rendering(notification: &Notification) {
    let rendered = notification.render();
    let label = match notification.severity {
        Severity::Info => "INFO",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    };

    let subject = &rendered.subject;
    assert!(subject.is_ascii(), "subject is not ASCII: {subject:?}");
    assert!(!subject.is_empty() && subject.len() <= MAX_SUBJECT_CHARS);
    assert!(
        !subject.chars().any(|c| c.is_control()),
        "control character in subject {subject:?}"
    );
    assert!(
        subject.starts_with(|c: char| c.is_ascii_alphanumeric() || c.is_ascii_punctuation()),
        "subject starts with {subject:?}"
    );

    let sms = &rendered.sms;
    assert!(sms.is_ascii(), "SMS is not ASCII: {sms:?}");
    assert!(sms.len() <= MAX_SMS_BYTES, "SMS of {} bytes", sms.len());
    assert!(
        !sms.chars().any(|c| c.is_control()),
        "control character in SMS {sms:?}"
    );
    assert!(sms.starts_with(&format!("{label}: ")), "SMS {sms:?}");

    check_fixed_words_kept(&notification.title, subject, MAX_SUBJECT_CHARS);
    let sms_text = notification
        .sms_text
        .as_ref()
        .unwrap_or(&notification.title);
    check_fixed_words_kept(sms_text, sms, MAX_SMS_BYTES - label.len() - 2);

    for (body, name) in [(&rendered.email, "email"), (&rendered.default, "default")] {
        assert!(
            !body.chars().any(|c| c.is_control() && c != '\n'),
            "control character in the {name} body: {:?}",
            body.chars().find(|c| c.is_control() && *c != '\n')
        );
        check_joiners_join(body);
    }
    for text in [subject, sms, &rendered.email, &rendered.default] {
        assert!(
            !text.chars().any(is_always_hidden),
            "hidden formatting character in {text:?}"
        );
    }
    for text in [subject, sms] {
        assert!(!text.contains(ZWJ), "a joiner in {text:?}");
    }
    assert!(rendered.default.len() <= MAX_DEFAULT_BYTES);

    // One line each for the title, a blank, the severity and every fact:
    // no fact can add a line that looks like another alert's.
    let lines: Vec<&str> = rendered.default.split('\n').collect();
    if rendered.default.len() < MAX_DEFAULT_BYTES / 2 {
        assert_eq!(lines[1], "", "title broke its line: {:?}", rendered.default);
        assert_eq!(lines[2], format!("Severity: {label}"));
        for (index, (key, _)) in notification.summary.iter().enumerate() {
            let line = lines[3 + index];
            let key = watchkeeper_shared::notification::single_line(key);
            assert!(
                line.starts_with(&format!("{key}: ")),
                "fact {index} broke its line: {line:?}"
            );
        }
    }

    check_chat(&rendered.chat);
    let message: Value =
        serde_json::from_str(&rendered.message_json()).expect("the message is JSON");
    assert_eq!(
        message["https"],
        rendered.chat.as_str(),
        "chat is the https body"
    );

    let attributes = rendered.severity.as_str().len() + rendered.source.len() + 64;
    let total = rendered.message_json().len() + subject.len() + attributes;
    assert!(
        total <= MAX_MESSAGE_BYTES,
        "a publish of {total} bytes exceeds SNS's {MAX_MESSAGE_BYTES}"
    );
}

/// The chat message ([`watchkeeper_shared::chat`]): the documented
/// custom-notification shape within its bounds, with nothing a chat client
/// reads as a mention or a link, and the same hidden-character rules as
/// the email.
fn check_chat(chat: &str) {
    use watchkeeper_shared::chat::{
        MAX_DESCRIPTION_CHARS, MAX_NEXT_STEP_CHARS, MAX_NEXT_STEPS, MAX_SUMMARY_CHARS,
        MAX_THREAD_ID_CHARS, MAX_TITLE_CHARS,
    };
    let chat: Value = serde_json::from_str(chat).expect("the chat message is JSON");
    assert_eq!(chat["version"], "1.0");
    assert_eq!(chat["source"], "custom");
    let content = &chat["content"];
    assert_eq!(content["textType"], "client-markdown");
    let text = |value: &Value| value.as_str().expect("a string").to_owned();
    let title = text(&content["title"]);
    let description = text(&content["description"]);
    let summary = text(&chat["metadata"]["summary"]);
    assert!(title.chars().count() <= MAX_TITLE_CHARS, "title {title:?}");
    assert!(description.chars().count() <= MAX_DESCRIPTION_CHARS);
    assert!(summary.chars().count() <= MAX_SUMMARY_CHARS);
    let steps: Vec<String> = content["nextSteps"]
        .as_array()
        .map(|steps| steps.iter().map(text).collect())
        .unwrap_or_default();
    assert!(steps.len() <= MAX_NEXT_STEPS + 1);
    if let Some(thread) = chat["metadata"]["threadId"].as_str() {
        assert!(!thread.is_empty() && thread.len() <= MAX_THREAD_ID_CHARS);
        assert!(
            thread.chars().all(|c| c.is_ascii_graphic()),
            "thread {thread:?}"
        );
    }
    for (name, value) in std::iter::once(("title", &title))
        .chain([("description", &description), ("summary", &summary)])
        .chain(steps.iter().map(|step| ("next step", step)))
    {
        if name == "next step" {
            assert!(value.chars().count() <= MAX_NEXT_STEP_CHARS);
        }
        assert!(
            !value.chars().any(|c| c.is_control() && c != '\n'),
            "control character in the chat {name}: {value:?}"
        );
        assert!(
            !value.chars().any(is_always_hidden),
            "hidden character in the chat {name}"
        );
        check_joiners_join(value);
        let prose = value;
        assert!(
            !prose.contains('<') && !prose.contains('>'),
            "markup in the chat {name}: {value:?}"
        );
        assert!(
            !prose.contains("]("),
            "a link in the chat {name}: {value:?}"
        );
        let mut previous = None;
        for c in prose.chars() {
            if c == '@' {
                assert!(
                    previous.is_some_and(char::is_alphanumeric),
                    "a mention in the chat {name}: {value:?}"
                );
            }
            previous = Some(c);
        }
    }
}

/// How [`notification_from_bytes`] sizes the parts that are large in real
/// alerts: the full event and section bodies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Size {
    AsGiven,
    /// Repeated 8 to 8^7 times (as the fourth byte says), up to a quarter
    /// megabyte in all.
    Amplified,
}

/// A notification from fuzz bytes: the first byte picks the severity, the
/// second which optional parts are present, the third which of the
/// remaining pieces are sections rather than facts, and the fourth how
/// much a [`Size::Amplified`] input is repeated. The rest is split at 0xFF
/// bytes (never part of UTF-8) into the text of each part, so any
/// character, control characters included, can reach any part. The title
/// and SMS text are split further into fixed and variable parts at bytes
/// that are not UTF-8, such as 0xFE ([`headline_from`]).
pub fn notification_from_bytes(data: &[u8], size: Size) -> Notification {
    let byte = |index: usize| data.get(index).copied().unwrap_or(0);
    let severity =
        [Severity::Info, Severity::Warning, Severity::Critical][usize::from(byte(0) % 3)];
    let flags = byte(1);
    let section_bits = byte(2);
    let copies = match size {
        Size::AsGiven => 1,
        Size::Amplified => 8_usize.pow(1 + u32::from(byte(3) % 7)),
    };
    let mut budget = MAX_AMPLIFIED_BYTES;
    let mut sized = |text: String| {
        let times = copies.min(budget / text.len().max(1)).max(1);
        budget = budget.saturating_sub(text.len() * times);
        text.repeat(times)
    };
    let mut pieces = data
        .get(4..)
        .unwrap_or_default()
        .split(|b| *b == 0xFF)
        .map(|piece| String::from_utf8_lossy(piece).into_owned());
    // The source is the sending function's name, never event text.
    let source = SOURCES[usize::from(flags >> 4) % SOURCES.len()];
    let mut notification = Notification::new(
        source,
        severity,
        headline_from(&pieces.next().unwrap_or_default()),
    );
    if flags & 1 != 0 {
        notification =
            notification.with_sms_text(headline_from(&pieces.next().unwrap_or_default()));
    }
    if flags & 2 != 0 {
        let text = sized(pieces.next().unwrap_or_default());
        let event = serde_json::from_str(&text).unwrap_or(Value::String(text));
        notification = notification.with_full_event(event);
    }
    if flags & 4 != 0 {
        notification = notification.with_thread(pieces.next().unwrap_or_default());
    }
    if flags & 8 != 0 {
        // Each line a step; a tab splits its sentence from its command.
        let steps = pieces
            .next()
            .unwrap_or_default()
            .lines()
            .map(|line| match line.split_once('\t') {
                Some((text, command)) => Step::command(text, command),
                None => Step::text(line),
            })
            .collect();
        let resource = pieces.next().unwrap_or_default();
        notification = notification
            .with_next_steps(pieces.next().unwrap_or_default(), steps)
            .with_resource(resource);
    }
    let mut index = 0;
    while let Some(first) = pieces.next() {
        let second = pieces.next().unwrap_or_default();
        notification = if section_bits & (1 << (index % 8)) != 0 {
            notification.with_section(first, sized(second))
        } else {
            notification.with_fact(first, second)
        };
        index += 1;
    }
    notification
}

/// A headline from one piece of fuzz text: split at U+FFFD (what a 0xFE
/// byte reads as) into a variable part cut at its end (as a plain title
/// is), then fixed words and variable parts in turn, each kept end in turn.
fn headline_from(text: &str) -> Headline {
    let mut headline = Headline::new();
    for (index, part) in text.split('\u{FFFD}').enumerate() {
        headline = match index {
            0 => headline.var_shortened(part, Shorten::End),
            n if n % 2 == 1 => headline.fixed(part),
            n => headline.var_shortened(
                part,
                [Shorten::Middle, Shorten::Start, Shorten::End][n / 2 % 3],
            ),
        };
    }
    headline
}

/// Fixed words are never cut while they fit: when every fixed part is
/// printable ASCII and they fit `max` with each variable part at its
/// shortest (`...`), each appears whole (spaces collapsed) in the line.
fn check_fixed_words_kept(headline: &Headline, line: &str, max: usize) {
    let mut fixed = Vec::new();
    let mut room = 0;
    for part in headline.parts() {
        match part {
            Part::Fixed(text) => {
                if !text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
                    return;
                }
                let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
                room += words.len() + 2;
                fixed.push(words);
            }
            Part::Variable { .. } => room += 3,
        }
    }
    if room > max {
        return;
    }
    for words in fixed.iter().filter(|words| !words.is_empty()) {
        assert!(
            line.contains(words.as_str()),
            "fixed words {words:?} cut from {line:?}"
        );
    }
}

/// A zero-width joiner in a body joins two parts of one grapheme cluster
/// (an emoji ZWJ sequence): never the first or last character of its cluster.
fn check_joiners_join(body: &str) {
    if !body.contains(ZWJ) {
        return;
    }
    for cluster in body.graphemes(true).filter(|cluster| cluster.contains(ZWJ)) {
        assert!(
            !cluster.starts_with(ZWJ) && !cluster.ends_with(ZWJ),
            "a joiner that joins nothing: {cluster:?}"
        );
    }
}

const ZWJ: char = '\u{200D}';

/// Enough for one notification to overflow SNS's limit.
const MAX_AMPLIFIED_BYTES: usize = MAX_MESSAGE_BYTES + 1024;

const SOURCES: &[&str] = &[
    "ec2-alarm-creator",
    "ami-permission-notifier",
    "codecommit-change-publisher",
    "health-event-forwarder",
    "idle-emr-terminator",
];

/// The input as a JSON value, as Lambda would hand it to a function; bytes
/// that are not JSON never reach a handler. Every function reads the
/// routing fields first, so they are checked here for every target.
fn event_json(data: &[u8]) -> Option<Value> {
    let event: Value = serde_json::from_slice(data).ok()?;
    match EventRouting::read(&event) {
        Ok(routing) => {
            for field in [
                &routing.id,
                &routing.source,
                &routing.detail_type,
                &routing.account,
                &routing.region,
            ] {
                assert!(
                    field.chars().count() <= MAX_QUOTED_CHARS + 40,
                    "routing field of {} characters",
                    field.chars().count()
                );
            }
        }
        Err(error) => check_error(&error, &event),
    }
    Some(event)
}

/// An error names what is wrong: a non-object by its kind, a field by its
/// path; and it quotes only a bounded part of the event.
fn check_error(error: &EventError, event: &Value) {
    let message = error.to_string();
    match error {
        EventError::NotAnObject { .. } => {
            assert!(
                !event.is_object(),
                "an object reported as not one: {message}"
            );
        }
        EventError::NotAnEvent { received } => {
            assert!(
                event.is_object()
                    && !(event.get("source").is_some() && event.get("detail-type").is_some()),
                "an envelope reported as not an event: {message}"
            );
            assert!(!received.is_empty(), "says nothing of what arrived");
        }
        EventError::Field { path, .. } => {
            assert!(!path.is_empty(), "an error names no field: {message}");
            assert!(
                message.contains(&format!("`{path}`")),
                "the message does not name the field: {message}"
            );
        }
    }
    assert!(
        message.chars().count() <= MAX_ERROR_CHARS,
        "an error message of {} characters: {}...",
        message.chars().count(),
        message.chars().take(300).collect::<String>()
    );
}

/// Errors inside `requestParameters` or `responseElements` name their full path.
fn check_nested_error(error: &EventError, prefix: &str) {
    match error {
        EventError::Field { path, .. } => assert!(
            path.starts_with(prefix),
            "a nested error names {path:?}, not a field under {prefix}"
        ),
        EventError::NotAnObject { .. } | EventError::NotAnEvent { .. } => {
            panic!("a nested error does not name its field: {error}")
        }
    }
    check_error(error, &Value::Null);
}

fn check_envelope<D>(event: &EventBridgeEvent<D>) {
    for field in [&event.id, &event.source, &event.detail_type, &event.region] {
        assert_trimmed(field);
    }
}

fn check_permission_items(
    changes: Option<&watchkeeper_shared::events::cloudtrail::PermissionChanges>,
) {
    for item in changes
        .into_iter()
        .flat_map(|changes| changes.add.items.iter().chain(&changes.remove.items))
    {
        for text in [
            &item.user_id,
            &item.group,
            &item.organization_arn,
            &item.organizational_unit_arn,
        ]
        .into_iter()
        .flatten()
        {
            assert!(!text.is_empty());
            assert_trimmed(text);
        }
    }
}

fn check_alarm_change(change: AlarmStateChange) {
    assert_trimmed(&change.alarm_name);
    for state in std::iter::once(&change.new_state).chain(&change.old_state) {
        if let AlarmState::Other(name) = state {
            assert_eq!(AlarmState::from_name(name), *state);
        }
    }
    for (name, _) in &change.dimensions {
        let values = change.dimension_values(name);
        assert!(!values.is_empty(), "dimension {name:?} lost its values");
        for (position, value) in values.iter().enumerate() {
            assert!(
                !values[..position].contains(value),
                "dimension {name:?} repeats {value:?}"
            );
        }
    }
}

/// A parsed time shows as a date and, written back in ISO 8601, reads as
/// the same minute.
fn check_time(time: HealthTime) {
    let shown = time.to_string();
    assert!(shown.ends_with(" UTC"), "time shown as {shown:?}");
    let Some((date, clock)) = shown.trim_end_matches(" UTC").split_once(' ') else {
        panic!("time shown as {shown:?}");
    };
    // Years outside 0000-9999 have no four-digit ISO form to read back.
    if date.len() == 10 && date.starts_with(|c: char| c.is_ascii_digit()) {
        let reread = HealthTime::parse(&format!("{date}T{clock}:00Z"))
            .unwrap_or_else(|| panic!("{shown:?} does not read back"));
        assert_eq!(reread.unix_seconds, time.unix_seconds.div_euclid(60) * 60);
    }
}

/// Bidirectional controls and zero-width characters, which make text show
/// as something other than what it is; the zero-width joiner is checked on
/// its own ([`check_joiners_join`]).
fn is_always_hidden(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200C}' | '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn assert_trimmed(text: &str) {
    assert_eq!(text, text.trim(), "text kept surrounding whitespace");
}
