use super::*;

fn shown(text: &str) -> Result<String, String> {
    parse(text).map(display).map_err(|error| error.to_string())
}

#[test]
fn iso_8601_forms_read_as_utc() {
    for (text, expected) in [
        ("2026-11-22T10:00:00Z", "2026-11-22 10:00 UTC"),
        ("2026-11-22t10:00:00z", "2026-11-22 10:00 UTC"),
        ("2026-11-22T10:00:59.123Z", "2026-11-22 10:00 UTC"),
        ("2026-11-22T10:00:00", "2026-11-22 10:00 UTC"),
        ("2026-11-22 10:00", "2026-11-22 10:00 UTC"),
        ("2026-11-22", "2026-11-22 00:00 UTC"),
        ("  2026-11-22T10:00:00Z\n", "2026-11-22 10:00 UTC"),
        ("2026-11-22T11:30:00+01:30", "2026-11-22 10:00 UTC"),
        ("2026-11-22T05:00:00-0500", "2026-11-22 10:00 UTC"),
        ("2026-11-22T12:00:00+02", "2026-11-22 10:00 UTC"),
        ("2026-11-22T10:00:41.640+0000", "2026-11-22 10:00 UTC"),
        ("2026-11-22T09:30:00-00:30", "2026-11-22 10:00 UTC"),
    ] {
        assert_eq!(shown(text), Ok(expected.to_owned()), "{text:?}");
    }
}

#[test]
fn leap_years_follow_the_gregorian_rules() {
    assert_eq!(
        shown("2024-02-29T12:00:00Z"),
        Ok("2024-02-29 12:00 UTC".into())
    );
    assert_eq!(
        shown("2000-02-29T12:00:00Z"),
        Ok("2000-02-29 12:00 UTC".into())
    );
    assert_eq!(display_epoch(951_825_600), "2000-02-29 12:00 UTC");
    assert_eq!(display_epoch(951_825_600 + 86_400), "2000-03-01 12:00 UTC");
    assert_eq!(
        shown("2023-02-29T00:00:00Z"),
        Err("\"2023-02-29T00:00:00Z\" is not an ISO 8601 or RFC 2822 time: February 2023 has no day 29".into())
    );
    assert_eq!(
        shown("1900-02-29"),
        Err(
            "\"1900-02-29\" is not an ISO 8601 or RFC 2822 time: February 1900 has no day 29"
                .into()
        )
    );
}

#[test]
fn year_boundaries_and_offsets_cross_days() {
    assert_eq!(
        shown("2026-01-01T00:30:00+01:00"),
        Ok("2025-12-31 23:30 UTC".into())
    );
    assert_eq!(
        shown("2025-12-31T23:30:00-01:00"),
        Ok("2026-01-01 00:30 UTC".into())
    );
    assert_eq!(rfc3339_epoch(1_767_225_599), "2025-12-31T23:59:59Z");
    assert_eq!(rfc3339_epoch(1_767_225_600), "2026-01-01T00:00:00Z");
    assert_eq!(display_epoch(1_767_225_599), "2025-12-31 23:59 UTC");
}

#[test]
fn a_leap_second_counts_as_the_one_before() {
    assert_eq!(
        shown("2023-12-31T23:59:60Z"),
        Ok("2023-12-31 23:59 UTC".into())
    );
    assert_eq!(
        parse("2016-12-31T23:59:60Z").map(UtcDateTime::unix_timestamp),
        parse("2016-12-31T23:59:59Z").map(UtcDateTime::unix_timestamp)
    );
}

#[test]
fn times_before_1970_are_negative_epochs() {
    assert_eq!(
        shown("1969-12-31T23:00:00Z"),
        Ok("1969-12-31 23:00 UTC".into())
    );
    assert_eq!(
        parse("1969-12-31T23:59:59Z").map(UtcDateTime::unix_timestamp),
        Ok(-1)
    );
    assert_eq!(display_epoch(-1), "1969-12-31 23:59 UTC");
    assert_eq!(rfc3339_epoch(-86_400), "1969-12-31T00:00:00Z");
    assert_eq!(rfc3339_epoch(-62_135_596_800), "0001-01-01T00:00:00Z");
    assert_eq!(
        parse("1969-12-31T23:59:59.5Z").map(epoch_millis),
        Ok(-500),
        "milliseconds round down, also before 1970"
    );
}

#[test]
fn epochs_outside_the_four_digit_years_are_refused_not_wrapped() {
    for seconds in [i64::MIN, i64::MAX, 253_402_300_800, -377_705_116_801] {
        assert_eq!(from_epoch(seconds), Err(TimeError::OutOfRange { seconds }));
        let text = format!("{seconds} seconds since 1970-01-01 00:00 UTC");
        assert_eq!(display_epoch(seconds), text);
        assert_eq!(rfc3339_epoch(seconds), text);
    }
    assert_eq!(
        TimeError::OutOfRange { seconds: i64::MAX }.to_string(),
        "9223372036854775807 seconds since 1970-01-01 00:00 UTC is outside the years -9999 to 9999"
    );
    assert_eq!(rfc3339_epoch(253_402_300_799), "9999-12-31T23:59:59Z");
    assert_eq!(
        shown("9999-12-31T23:00:00-05:00"),
        Err("\"9999-12-31T23:00:00-05:00\" is not an ISO 8601 or RFC 2822 time: it is outside the years -9999 to 9999".into())
    );
}

#[test]
fn fractional_seconds_keep_their_milliseconds() {
    for (text, millis) in [
        ("2024-11-22T10:00:00Z", 1_732_269_600_000),
        ("2024-11-22T10:00:00.1Z", 1_732_269_600_100),
        ("2024-11-22T10:00:00.123Z", 1_732_269_600_123),
        ("2024-11-22T10:00:00.123456789Z", 1_732_269_600_123),
        ("2024-11-22T11:00:00.000+01:00", 1_732_269_600_000),
    ] {
        assert_eq!(parse(text).map(epoch_millis), Ok(millis), "{text}");
        assert_eq!(parse_rfc3339(text).map(epoch_millis), Ok(millis), "{text}");
    }
}

#[test]
fn rfc_2822_forms_read_as_utc() {
    for (text, expected) in [
        ("Sat, 05 Jun 2021 00:00:00 GMT", "2021-06-05 00:00 UTC"),
        ("Fri, 27 Jan 2023 06:02:51 GMT", "2023-01-27 06:02 UTC"),
        ("5 Jun 2021 13:45 +0200", "2021-06-05 11:45 UTC"),
        ("Sat, 05 JUN 2021 00:00:00 UTC", "2021-06-05 00:00 UTC"),
        ("sat, 05 jun 2021 00:00:00 utc", "2021-06-05 00:00 UTC"),
        ("Sat, 05 Jun 2021 00:00:00 UT", "2021-06-05 00:00 UTC"),
        ("Sat, 05 Jun 2021 00:00:00 Z", "2021-06-05 00:00 UTC"),
        ("Sat, 05 Jun 2021 00:00:00", "2021-06-05 00:00 UTC"),
        ("Sat, 05 Jun 2021 00:00:00 EST", "2021-06-05 05:00 UTC"),
        ("Sat, 05 Jun 2021 00:00:00 -0130", "2021-06-05 01:30 UTC"),
        ("Mon, 05 Jun 2021 00:00:00 GMT", "2021-06-05 00:00 UTC"),
        ("Thu, 31 Dec 2020 23:59:60 GMT", "2020-12-31 23:59 UTC"),
        ("Fri, 01 Jan 2021 00:30:00 +0100", "2020-12-31 23:30 UTC"),
    ] {
        assert_eq!(shown(text), Ok(expected.to_owned()), "{text:?}");
    }
}

#[test]
fn unreadable_times_name_what_was_wrong() {
    for (text, message) in [
        ("soon", "\"soon\" is not an ISO 8601 or RFC 2822 time"),
        ("", "\"\" is not an ISO 8601 or RFC 2822 time"),
        (
            "2026-13-01T00:00:00Z",
            "\"2026-13-01T00:00:00Z\" is not an ISO 8601 or RFC 2822 time: its month is missing or not valid",
        ),
        (
            "2026-11-22T25:00:00Z",
            "\"2026-11-22T25:00:00Z\" is not an ISO 8601 or RFC 2822 time: \"T25:00:00Z\" does not belong to an ISO 8601 time",
        ),
        (
            "2026-11-22T10:00:00.Z",
            "\"2026-11-22T10:00:00.Z\" is not an ISO 8601 or RFC 2822 time: \".Z\" does not belong to an ISO 8601 time",
        ),
        (
            "2026-11-22X10:00",
            "\"2026-11-22X10:00\" is not an ISO 8601 or RFC 2822 time: \"X10:00\" does not belong to an ISO 8601 time",
        ),
        (
            "Sat, 32 Jun 2021 00:00:00 GMT",
            "\"Sat, 32 Jun 2021 00:00:00 GMT\" is not an ISO 8601 or RFC 2822 time: its day is out of range",
        ),
        (
            "Sat, 05 Juni 2021 00:00:00 GMT",
            "\"Sat, 05 Juni 2021 00:00:00 GMT\" is not an ISO 8601 or RFC 2822 time",
        ),
        (
            "Sat, 05 Jun 2021 00:00:00 CEST",
            "\"Sat, 05 Jun 2021 00:00:00 CEST\" is not an ISO 8601 or RFC 2822 time",
        ),
        (
            "Sat, 05 Jun 1899 00:00:00 GMT",
            "\"Sat, 05 Jun 1899 00:00:00 GMT\" is not an ISO 8601 or RFC 2822 time",
        ),
    ] {
        assert_eq!(shown(text), Err(message.to_owned()), "{text:?}");
    }
}

#[test]
fn strict_rfc_3339_wants_a_zone_and_a_clock() {
    assert_eq!(
        parse_rfc3339("2026-11-22T10:02:03Z").map(UtcDateTime::unix_timestamp),
        Ok(1_795_341_723)
    );
    for text in [
        "2026-11-22",
        "2026-11-22T10:02:03",
        "2026-11-22 10:02",
        "yesterday",
        "",
    ] {
        let error = parse_rfc3339(text).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{} is not an RFC 3339 time: ", quoted(text))),
            "{text:?}: {error}"
        );
    }
    assert_eq!(
        parse_rfc3339("2026-13-40T99:00:00Z")
            .unwrap_err()
            .to_string(),
        "\"2026-13-40T99:00:00Z\" is not an RFC 3339 time: its month is out of range"
    );
}

#[test]
fn java_dates_are_read_in_utc_only() {
    for (text, millis) in [
        ("Fri Nov 22 10:00:00 UTC 2024", 1_732_269_600_000),
        ("Fri Nov 22 10:00:00 GMT 2024", 1_732_269_600_000),
        ("Thu Feb 29 23:59:59 UTC 2024", 1_709_251_199_000),
        ("Thu Jan 01 00:00:00 UTC 1970", 0),
        ("Wed Dec 31 23:59:59 Z 1969", -1_000),
        ("Thu Jan 1 00:00:00 UTC 1970", 0),
    ] {
        assert_eq!(
            parse_java_date(text).map(epoch_millis),
            Ok(millis),
            "{text}"
        );
    }
    for (text, problem) in [
        (
            "Fri Nov 22 10:00:00 KST 2024",
            "a separator is missing or wrong",
        ),
        (
            "Fri Foo 22 10:00:00 UTC 2024",
            "its month is missing or not valid",
        ),
        (
            "Fri Nov 22 25:00:00 UTC 2024",
            "its hour is missing or not valid",
        ),
        (
            "Fri Nov 22 10:00 UTC 2024",
            "a separator is missing or wrong",
        ),
        (
            "Fri Feb 30 10:00:00 UTC 2024",
            "February 2024 has no day 30",
        ),
        (
            "2024-11-22T10:00:00Z",
            "its weekday is missing or not valid",
        ),
    ] {
        assert_eq!(
            parse_java_date(text).unwrap_err().to_string(),
            format!("{} is not {JAVA_FORM}: {problem}", quoted(text)),
            "{text}"
        );
    }
}

#[test]
fn git_dates_are_seconds_and_an_offset() {
    for (text, seconds) in [
        ("1700000000 +0000", 1_700_000_000),
        (" 1484167798 -0800", 1_484_167_798),
        ("1700000000 +0130", 1_700_000_000),
        ("-86400 +0000", -86_400),
        ("0 +0000", 0),
    ] {
        assert_eq!(
            parse_git_date(text).map(UtcDateTime::unix_timestamp),
            Ok(seconds),
            "{text}"
        );
    }
    for (text, problem) in [
        ("Tue Nov 14 2023", "its seconds are not a whole number"),
        ("1700000000", "it has no offset"),
        (
            "1700000000 0000",
            "its offset: its offset hour is missing or not valid",
        ),
        (
            "1700000000 +01:00",
            "its offset: its offset minute is missing or not valid",
        ),
        ("", "it has no offset"),
    ] {
        assert_eq!(
            parse_git_date(text).unwrap_err().to_string(),
            format!("{} is not {GIT_FORM}: {problem}", quoted(text.trim())),
            "{text:?}"
        );
    }
    assert_eq!(
        parse_git_date("99999999999999 +0000"),
        Err(TimeError::OutOfRange {
            seconds: 99_999_999_999_999
        })
    );
}

#[test]
fn display_is_utc_to_the_minute_and_machine_is_rfc_3339() {
    assert_eq!(display_epoch(0), "1970-01-01 00:00 UTC");
    assert_eq!(display_epoch(1_795_000_000), "2026-11-18 11:06 UTC");
    assert_eq!(rfc3339_epoch(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_epoch(1_795_341_900), "2026-11-22T10:05:00Z");
    assert_eq!(display_text("2026-11-22T10:02:03Z"), "2026-11-22 10:02 UTC");
    assert_eq!(display_text(" yesterday "), "yesterday");
}

/// Formerly the hand-written day-number conversions' round trip: every
/// day number, far before and after 1970, comes back through the two
/// formats.
#[test]
fn dates_round_trip_through_day_numbers() {
    for days in [-800_000_i64, -1, 0, 1, 59, 365, 11_016, 20_000, 2_932_896] {
        let seconds = days * 86_400 + 3_661;
        let machine = rfc3339_epoch(seconds);
        assert_eq!(
            parse(&machine).map(UtcDateTime::unix_timestamp),
            Ok(seconds),
            "{machine}"
        );
        let shown = display_epoch(seconds);
        let Some((date, clock)) = shown.trim_end_matches(" UTC").split_once(' ') else {
            panic!("{shown:?} is not a date and a clock");
        };
        let reread = format!("{date}T{clock}:00Z");
        assert_eq!(
            parse(&reread).map(UtcDateTime::unix_timestamp),
            Ok(seconds - 1),
            "{shown}"
        );
    }
    assert_eq!(
        parse("1970-01-01T00:00:01Z").map(UtcDateTime::unix_timestamp),
        Ok(1)
    );
}

#[test]
fn instants_convert_to_system_times_both_sides_of_1970() {
    use std::time::{Duration, UNIX_EPOCH};
    assert_eq!(
        parse_rfc3339("2026-11-22T10:02:03.5Z")
            .ok()
            .and_then(system_time),
        Some(UNIX_EPOCH + Duration::from_millis(1_795_341_723_500))
    );
    assert_eq!(
        parse_rfc3339("1969-12-31T23:59:59Z")
            .ok()
            .and_then(system_time),
        UNIX_EPOCH.checked_sub(Duration::from_secs(1))
    );
    assert_eq!(
        parse("1969-12-31T23:59:59.25Z").ok().and_then(system_time),
        UNIX_EPOCH.checked_sub(Duration::from_millis(750))
    );
    assert_eq!(
        parse("9999-12-31").ok().and_then(system_time),
        Some(UNIX_EPOCH + Duration::from_secs(253_402_214_400))
    );
}
