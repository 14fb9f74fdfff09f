//! Counts and durations in words, with the right plural.

pub use watchkeeper_shared::text::count;

/// `1 minute`, `90 minutes`, or `30 seconds` when not a whole number of
/// minutes.
pub fn duration(seconds: u64) -> String {
    if seconds.is_multiple_of(60) {
        count(seconds / 60, "minute", "minutes")
    } else {
        count(seconds, "second", "seconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1_u32, "minute", "minutes"), "1 minute");
        assert_eq!(count(2_u64, "minute", "minutes"), "2 minutes");
        assert_eq!(count(0_usize, "cluster", "clusters"), "0 clusters");
        assert_eq!(count(11_i64, "minute", "minutes"), "11 minutes");
    }

    #[test]
    fn durations_are_whole_minutes_or_seconds() {
        assert_eq!(duration(60), "1 minute");
        assert_eq!(duration(3600), "60 minutes");
        assert_eq!(duration(30), "30 seconds");
        assert_eq!(duration(1), "1 second");
        assert_eq!(duration(90), "90 seconds");
        assert_eq!(duration(0), "0 minutes");
    }
}
