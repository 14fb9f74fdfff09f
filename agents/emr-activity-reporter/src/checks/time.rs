//! The timestamp formats the services answer with.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

pub fn epoch_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// RFC 3339 with `Z` or an offset, as Presto, Trino and JupyterHub write it.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    DateTime::from_str(text.trim(), Format::DateTimeWithOffset)
        .ok()
        .and_then(|time| time.to_millis().ok())
}

/// Java's `Date.toString()`, as Zeppelin writes paragraph times:
/// `Tue Nov 24 14:21:40 UTC 2015`. Only UTC/GMT zones are read: EMR nodes
/// run in UTC, and a zone abbreviation does not name one offset.
pub fn parse_java_date_millis(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, month, day, clock, zone, year] = parts.as_slice() else {
        return None;
    };
    if !matches!(*zone, "UTC" | "GMT" | "Z") {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|name| name == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut clock = clock.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if clock.next().is_some()
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..61).contains(&second)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc3339_with_zulu_fractions_and_offsets() {
        for (text, expected) in [
            ("2024-11-22T10:00:00Z", Some(1_732_269_600_000)),
            ("2024-11-22T10:00:00.123Z", Some(1_732_269_600_123)),
            ("2024-11-22T10:00:00.123456Z", Some(1_732_269_600_123)),
            ("2024-11-22T11:00:00.000+01:00", Some(1_732_269_600_000)),
            ("yesterday", None),
            ("", None),
        ] {
            assert_eq!(parse_rfc3339_millis(text), expected, "{text}");
        }
    }

    #[test]
    fn reads_java_dates_in_utc_only() {
        for (text, expected) in [
            ("Fri Nov 22 10:00:00 UTC 2024", Some(1_732_269_600_000)),
            ("Fri Nov 22 10:00:00 GMT 2024", Some(1_732_269_600_000)),
            ("Thu Feb 29 23:59:59 UTC 2024", Some(1_709_251_199_000)),
            ("Thu Jan 01 00:00:00 UTC 1970", Some(0)),
            ("Fri Nov 22 10:00:00 KST 2024", None),
            ("Fri Foo 22 10:00:00 UTC 2024", None),
            ("Fri Nov 22 25:00:00 UTC 2024", None),
            ("Fri Nov 22 10:00 UTC 2024", None),
            ("2024-11-22T10:00:00Z", None),
        ] {
            assert_eq!(parse_java_date_millis(text), expected, "{text}");
        }
    }
}
