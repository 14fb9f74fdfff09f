//! Instants: reading the timestamp forms events and services carry, epoch
//! seconds to and from date-times, and the two ways Watchkeeper writes a
//! time, all on the `time` crate.
//!
//! - For people, one format everywhere: [`display`], `2026-11-22 10:05 UTC`
//!   (UTC, to the minute).
//! - For machines (the idempotency record's `handled_at`): [`rfc3339_epoch`],
//!   `2026-11-22T10:05:00Z` (RFC 3339, UTC, whole seconds).
//!
//! Every instant is a [`UtcDateTime`], between the years -9999 and 9999;
//! times before 1970 (negative epoch seconds) are ordinary instants.
//! Nothing here panics: an input that is not a time is an [`TimeError`]
//! naming the text and, where it can, the part that was wrong.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::time::error::{ComponentRange, ParseFromDescription};
use ::time::format_description::BorrowedFormatItem;
use ::time::format_description::well_known::{Rfc2822, Rfc3339};
use ::time::macros::format_description;
use ::time::parsing::Parsed;
use ::time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

pub use ::time::UtcDateTime;

use crate::events::quoted;

/// What the text was expected to be, for [`TimeError`].
const EVENT_FORMS: &str = "an ISO 8601 or RFC 2822 time";
const RFC3339_FORM: &str = "an RFC 3339 time";
const JAVA_FORM: &str = "a Java date in UTC such as `Tue Nov 24 14:21:40 UTC 2015`";
const GIT_FORM: &str = "a git date `<seconds since 1970> <+HHMM or -HHMM>`";

/// A text that is not a time of the expected form, or an instant outside
/// the years -9999 to 9999.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// `text` (quoted and capped when shown) is not a time of the form
    /// `expected`; `problem`, when known, names the part that was wrong,
    /// such as `its month is missing or not valid`.
    #[error("{} is not {expected}{}", quoted(.text), Problem(.problem.as_deref()))]
    Unreadable {
        text: String,
        expected: &'static str,
        problem: Option<String>,
    },
    /// `seconds` since 1970-01-01 00:00 UTC is before the year -9999 or
    /// after 9999.
    #[error("{seconds} seconds since 1970-01-01 00:00 UTC is outside the years -9999 to 9999")]
    OutOfRange { seconds: i64 },
}

/// `: <problem>`, or nothing.
struct Problem<'a>(Option<&'a str>);

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(problem) => write!(f, ": {problem}"),
            None => Ok(()),
        }
    }
}

fn unreadable(text: &str, expected: &'static str, problem: Option<String>) -> TimeError {
    TimeError::Unreadable {
        text: text.to_owned(),
        expected,
        problem,
    }
}

/// A time as events carry it, read as UTC. Surrounding whitespace is
/// ignored. Accepted forms:
///
/// - ISO 8601 / RFC 3339: `2026-11-22T10:00:00Z`; separator `T`, `t` or a
///   space; seconds optional (`2026-11-22 10:00`); any number of fraction
///   digits (`10:00:59.123Z`); zone `Z`, `z`, `+HH:MM`, `+HHMM`, `+HH` or
///   none, meaning UTC; a date alone is its midnight UTC. A leap second
///   (`:60`) counts as `:59`.
/// - RFC 2822, as older AWS Health events write it: `Sat, 05 Jun 2021
///   00:00:00 GMT`; weekday optional and not checked against the date;
///   day of one or two digits; month in any case; seconds optional; zone
///   `GMT`, `UT`, `UTC`, a US zone such as `EST`, `+HHMM`, or none,
///   meaning GMT (a one-letter military zone such as `Z` also reads as
///   GMT, as RFC 2822 asks). Years before 1900 are refused.
///
/// # Errors
///
/// [`TimeError::Unreadable`] when the text is in neither form, naming the
/// part that was wrong when the text starts as an ISO 8601 date
/// (`2026-13-01`) or is RFC 2822 with an impossible value (`32 Jun`);
/// [`TimeError::OutOfRange`] never (the four-digit year bounds the range).
pub fn parse(text: &str) -> Result<UtcDateTime, TimeError> {
    let text = text.trim();
    let looks_iso = matches!(text.as_bytes(), [a, b, c, d, b'-', ..] if [a, b, c, d].iter().all(|digit| digit.is_ascii_digit()));
    match parse_iso8601(text) {
        Ok(time) => return Ok(time),
        Err(problem) if looks_iso => return Err(unreadable(text, EVENT_FORMS, Some(problem))),
        Err(_) => {}
    }
    parse_rfc2822(text).map_err(|problem| unreadable(text, EVENT_FORMS, problem))
}

/// Strict RFC 3339 as services write it: `2026-11-22T10:02:03Z`, optional
/// fraction digits, zone `Z` or `±HH:MM` required.
///
/// # Errors
///
/// [`TimeError::Unreadable`] naming the part that was wrong, for a date
/// alone, a missing zone or any other form.
pub fn parse_rfc3339(text: &str) -> Result<UtcDateTime, TimeError> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| unreadable(text, RFC3339_FORM, Some(parse_problem(&error))))
        .and_then(|time| to_utc(text, RFC3339_FORM, time))
}

/// Java's `Date.toString()` in UTC, as Zeppelin writes paragraph times:
/// `Tue Nov 24 14:21:40 UTC 2015` (zone `UTC`, `GMT` or `Z`). The weekday
/// is not checked against the date. Other zones are refused: an
/// abbreviation such as `KST` does not name one offset.
///
/// # Errors
///
/// [`TimeError::Unreadable`] naming the part that was wrong.
pub fn parse_java_date(text: &str) -> Result<UtcDateTime, TimeError> {
    const JAVA: &[BorrowedFormatItem<'static>] = format_description!(
        "[weekday repr:short] [month repr:short] [day padding:none] [hour]:[minute]:[second] [first [UTC][GMT][Z]] [year]"
    );
    let text = text.trim();
    let mut parsed = Parsed::new();
    let rest = parsed
        .parse_items(text.as_bytes(), JAVA)
        .map_err(|error| unreadable(text, JAVA_FORM, Some(description_problem(error))))?;
    if !rest.is_empty() {
        return Err(unreadable(text, JAVA_FORM, Some(TRAILING.to_owned())));
    }
    from_parsed(&parsed).map_err(|error| unreadable(text, JAVA_FORM, Some(error)))
}

/// Git's raw date, as CodeCommit returns a commit's author and committer
/// dates: `1700000000 +0100`, seconds since 1970-01-01 00:00 UTC and the
/// author's offset (`+HHMM` or `-HHMM`, checked but not needed: the
/// instant is the seconds).
///
/// # Errors
///
/// [`TimeError::Unreadable`] when either part is missing or malformed;
/// [`TimeError::OutOfRange`] for seconds outside the years -9999 to 9999.
pub fn parse_git_date(text: &str) -> Result<UtcDateTime, TimeError> {
    const OFFSET: &[BorrowedFormatItem<'static>] =
        format_description!("[offset_hour sign:mandatory][offset_minute]");
    let text = text.trim();
    let (seconds, offset) = text
        .split_once(' ')
        .ok_or_else(|| unreadable(text, GIT_FORM, Some("it has no offset".to_owned())))?;
    let seconds: i64 = seconds.parse().map_err(|_| {
        unreadable(
            text,
            GIT_FORM,
            Some("its seconds are not a whole number".to_owned()),
        )
    })?;
    UtcOffset::parse(offset.trim(), OFFSET).map_err(|error| {
        unreadable(
            text,
            GIT_FORM,
            Some(format!("its offset: {}", parse_problem(&error))),
        )
    })?;
    from_epoch(seconds)
}

/// The instant `seconds` after 1970-01-01 00:00 UTC (before it when
/// negative).
///
/// # Errors
///
/// [`TimeError::OutOfRange`] outside the years -9999 to 9999.
pub fn from_epoch(seconds: i64) -> Result<UtcDateTime, TimeError> {
    UtcDateTime::from_unix_timestamp(seconds).map_err(|_| TimeError::OutOfRange { seconds })
}

/// Milliseconds since 1970-01-01 00:00 UTC, rounded down (negative before
/// 1970).
pub fn epoch_millis(time: UtcDateTime) -> i64 {
    // The years -9999 to 9999 are about ±3.2e14 ms: always an i64.
    i64::try_from(time.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// The same instant as a [`SystemTime`]; `None` where the platform's
/// `SystemTime` cannot hold it.
pub fn system_time(time: UtcDateTime) -> Option<SystemTime> {
    let seconds = Duration::from_secs(time.unix_timestamp().unsigned_abs());
    let whole = if time.unix_timestamp() >= 0 {
        UNIX_EPOCH.checked_add(seconds)
    } else {
        UNIX_EPOCH.checked_sub(seconds)
    };
    whole?.checked_add(Duration::from_nanos(time.nanosecond().into()))
}

/// The one format for people: `2026-11-22 10:05 UTC` (seconds dropped).
pub fn display(time: UtcDateTime) -> String {
    const DISPLAY: &[BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time.format(DISPLAY)
        .unwrap_or_else(|_| epoch_text(time.unix_timestamp()))
}

/// [`display`] of `seconds` since 1970-01-01 00:00 UTC; outside the years
/// -9999 to 9999, `<seconds> seconds since 1970-01-01 00:00 UTC`.
pub fn display_epoch(seconds: i64) -> String {
    from_epoch(seconds).map_or_else(|_| epoch_text(seconds), display)
}

/// [`display`] of a time in any form [`parse`] reads; any other text is
/// returned trimmed, as sent.
pub fn display_text(text: &str) -> String {
    parse(text).map_or_else(|_| text.trim().to_owned(), display)
}

/// The machine format, `2026-11-22T10:05:00Z`: RFC 3339 in UTC, whole
/// seconds. Outside the years -9999 to 9999,
/// `<seconds> seconds since 1970-01-01 00:00 UTC`.
pub fn rfc3339_epoch(seconds: i64) -> String {
    const MACHINE: &[BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    from_epoch(seconds)
        .ok()
        .and_then(|time| time.format(MACHINE).ok())
        .unwrap_or_else(|| epoch_text(seconds))
}

fn epoch_text(seconds: i64) -> String {
    format!("{seconds} seconds since 1970-01-01 00:00 UTC")
}

/// ISO 8601 as [`parse`] documents it; the error names the wrong part.
fn parse_iso8601(text: &str) -> Result<UtcDateTime, String> {
    const ISO: &[BorrowedFormatItem<'static>] = format_description!(
        "[year]-[month]-[day][optional [[first [T][t][ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]][optional [[first [Z][z][[offset_hour sign:mandatory][optional [:]][optional [[offset_minute]]]]]]]]]"
    );
    let mut parsed = Parsed::new();
    let rest = parsed
        .parse_items(text.as_bytes(), ISO)
        .map_err(description_problem)?;
    if !rest.is_empty() {
        return Err(format!(
            "{} does not belong to an ISO 8601 time",
            quoted(&String::from_utf8_lossy(rest))
        ));
    }
    from_parsed(&parsed)
}

/// RFC 2822 as [`parse`] documents it. The error is `Some` only for a
/// text of the right shape with an impossible value (`32 Jun`).
fn parse_rfc2822(text: &str) -> Result<UtcDateTime, Option<String>> {
    // The time crate reads RFC 2822's zones; AWS also writes `UTC`, and
    // some writers no zone at all, both meaning GMT.
    let normalised = match text.rsplit_once(char::is_whitespace) {
        Some((head, zone)) if zone.eq_ignore_ascii_case("utc") => format!("{head} GMT"),
        Some((_, clock)) if clock.contains(':') => format!("{text} GMT"),
        _ => text.to_owned(),
    };
    let time = OffsetDateTime::parse(&normalised, &Rfc2822).map_err(|error| match error {
        ::time::error::Parse::TryFromParsed(_) => Some(parse_problem(&error)),
        _ => None,
    })?;
    time.checked_to_utc()
        .ok_or_else(|| Some("it is outside the years -9999 to 9999".to_owned()))
}

/// The instant of what a format description read: date required; clock,
/// fraction and offset default to zero; a leap second counts as `:59`.
fn from_parsed(parsed: &Parsed) -> Result<UtcDateTime, String> {
    let missing = |part: &str| format!("its {part} is missing");
    let year = parsed.year().ok_or_else(|| missing("year"))?;
    let month = parsed.month().ok_or_else(|| missing("month"))?;
    let day = parsed.day().ok_or_else(|| missing("day"))?.get();
    let date = Date::from_calendar_date(year, month, day)
        .map_err(|_| format!("{month} {year} has no day {day}"))?;
    let clock = Time::from_hms_nano(
        parsed.hour_24().unwrap_or(0),
        parsed.minute().unwrap_or(0),
        parsed.second().unwrap_or(0).min(59),
        parsed.subsecond().unwrap_or(0),
    )
    .map_err(|error| range_problem(&error))?;
    let offset = UtcOffset::from_hms(
        parsed.offset_hour().unwrap_or(0),
        parsed.offset_minute_signed().unwrap_or(0),
        0,
    )
    .map_err(|error| range_problem(&error))?;
    PrimitiveDateTime::new(date, clock)
        .assume_offset(offset)
        .checked_to_utc()
        .ok_or_else(|| "it is outside the years -9999 to 9999".to_owned())
}

fn to_utc(
    text: &str,
    expected: &'static str,
    time: OffsetDateTime,
) -> Result<UtcDateTime, TimeError> {
    time.checked_to_utc().ok_or_else(|| {
        unreadable(
            text,
            expected,
            Some("it is outside the years -9999 to 9999".to_owned()),
        )
    })
}

const TRAILING: &str = "it has text after the time";

fn description_problem(error: ParseFromDescription) -> String {
    match error {
        ParseFromDescription::InvalidComponent(part) => {
            format!("its {} is missing or not valid", part.replace('_', " "))
        }
        ParseFromDescription::InvalidLiteral { .. } => "a separator is missing or wrong".to_owned(),
        ParseFromDescription::UnexpectedTrailingCharacters { .. } => TRAILING.to_owned(),
        _ => error.to_string(),
    }
}

fn range_problem(error: &ComponentRange) -> String {
    format!("its {} is out of range", error.name().replace('_', " "))
}

fn parse_problem(error: &::time::error::Parse) -> String {
    match error {
        ::time::error::Parse::ParseFromDescription(error) => description_problem(*error),
        ::time::error::Parse::TryFromParsed(::time::error::TryFromParsed::ComponentRange(
            error,
        )) => range_problem(error),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests;
