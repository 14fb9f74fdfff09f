//! Percentiles and ratios for the report.

use std::time::Duration;

/// The `percentile` (0–100) of `samples` by nearest rank; zero when empty.
pub fn percentile(samples: &[Duration], percentile: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((percentile / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with microsecond precision, for reports.
pub fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// `value / floor`, or `None` when the floor is zero.
pub fn ratio(value: f64, floor: f64) -> Option<f64> {
    (floor > 0.0).then(|| (value / floor * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_list(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples = ms_list(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(percentile(&samples, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&ms_list(&[7]), 99.0), Duration::from_millis(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn ratios_round_to_hundredths_and_refuse_a_zero_floor() {
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(1.0, 3.0), Some(0.33));
        assert_eq!(ratio(1.0, 0.0), None);
    }
}
