//! The timestamp formats the services answer with, read by
//! [`watchkeeper_shared::time`], as epoch milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use watchkeeper_shared::time;

pub fn epoch_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// RFC 3339 with `Z` or an offset, as Presto, Trino and JupyterHub write it,
/// in milliseconds since the epoch (fractions beyond milliseconds dropped);
/// `None` for any other text.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    time::parse_rfc3339(text).ok().map(time::epoch_millis)
}

/// Java's `Date.toString()`, as Zeppelin writes paragraph times:
/// `Tue Nov 24 14:21:40 UTC 2015`, in milliseconds since the epoch. Only
/// UTC/GMT zones are read: EMR nodes run in UTC, and a zone abbreviation
/// does not name one offset. `None` for any other text.
pub fn parse_java_date_millis(text: &str) -> Option<i64> {
    time::parse_java_date(text).ok().map(time::epoch_millis)
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
