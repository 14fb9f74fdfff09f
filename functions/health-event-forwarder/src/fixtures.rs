//! Test values more than one test module of this crate builds, each written
//! once: the configuration from settings, and an AWS Health event around a
//! detail.

use serde_json::{Value, json};

use crate::config::Config;

/// The configuration the template gives with the topics set and
/// `settings` (`(variable, value)` pairs) on top.
///
/// Panics if `settings` are not valid.
pub fn config(settings: &[(&str, &str)]) -> Config {
    Config::from_env(testbed::offline_env(settings)).unwrap()
}

/// An AWS Health event of `detail_type` (`AWS Health Event` or `AWS Health
/// Abuse Event`) as EventBridge delivers it from account 123456789012 in
/// us-east-1: `base` is its detail, with each field of `detail` set over it.
///
/// Panics if `detail` is not a JSON object.
pub fn health_event(detail_type: &str, base: Value, detail: Value) -> Value {
    let mut full = base;
    for (key, value) in detail.as_object().unwrap() {
        full[key] = value.clone();
    }
    json!({
        "id": "e1", "detail-type": detail_type, "source": "aws.health",
        "account": "123456789012", "region": "us-east-1", "detail": full
    })
}
