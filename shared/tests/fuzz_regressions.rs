//! The fuzz targets' checks (`fuzz/src/lib.rs`, included below) as ordinary
//! tests: on every sample event, on the notification seeds, and on every
//! input a target once failed on (`fuzz/regressions/<target>/`), so that
//! `cargo test` keeps each fixed crash fixed. `make fuzz` explains how a new
//! crash input gets there.

#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use watchkeeper_shared::events::cloudwatch_alarm::AlarmStateChangeDetail;
use watchkeeper_shared::events::{EventError, MAX_QUOTED_CHARS, parse_event};
use watchkeeper_shared::notification::{Notification, Severity};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("shared/ is inside the repository")
        .to_path_buf()
}

/// The files directly in `dir`, sorted, so failures name the same file each run.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn target(name: &str) -> checks::Check {
    checks::TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no fuzz target is called {name:?}"))
}

fn run(name: &str, file: &Path) {
    let data =
        std::fs::read(file).unwrap_or_else(|error| panic!("reading {}: {error}", file.display()));
    // Printed so that a failing check names its input.
    eprintln!("{name} on {}", file.display());
    target(name)(&data);
}

#[test]
fn every_sample_event_passes_every_target_check() {
    let events = files_in(&repository().join("events"));
    assert!(events.len() >= 30, "only {} sample events", events.len());
    for file in &events {
        for (name, _) in checks::TARGETS {
            run(name, file);
        }
    }
}

#[test]
fn every_notification_seed_passes_the_rendering_checks() {
    let seeds = files_in(&repository().join("fuzz/seeds/notification_render"));
    assert!(!seeds.is_empty());
    for file in &seeds {
        run("notification_render", file);
        run("notification_size", file);
    }
}

#[test]
fn every_committed_crash_input_passes_its_target_check() {
    let mut inputs = 0;
    for directory in std::fs::read_dir(repository().join("fuzz/regressions"))
        .expect("fuzz/regressions exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
    {
        let name = directory
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a target name");
        for file in files_in(&directory) {
            run(name, &file);
            inputs += 1;
        }
    }
    assert!(inputs >= 2, "only {inputs} committed crash inputs");
}

/// Found by the `cloudwatch_alarm` target: a field path holds the event's
/// own map keys, and an error quoted all of it, so a 1 MB dimension name made
/// a 1 MB error message and log line.
#[test]
fn an_error_path_through_a_huge_map_key_is_quoted_only_in_part() {
    let long_name = "K".repeat(1_000_000);
    let event = json!({
        "id": "1",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "detail": {
            "alarmName": "idle",
            // A state as CloudWatch sends it (value, reason and timestamp),
            // which `aws_lambda_events` requires before `configuration` is read.
            "state": {"value": "ALARM", "reason": "r", "timestamp": "2026-11-22T10:00:41.640+0000"},
            "configuration": {"metrics": [{"metricStat": {"metric": {"dimensions": {long_name.clone(): 5}}}}]}
        }
    });
    let error = parse_event::<AlarmStateChangeDetail>(&event).unwrap_err();
    let EventError::Field { path, .. } = &error else {
        panic!("expected a field error, got {error}");
    };
    let prefix = "detail.configuration.metrics[0].metricStat.metric.dimensions.";
    assert!(path.starts_with(&format!("{prefix}KKK")), "{path}");
    let full_length = prefix.len() + long_name.len();
    assert!(
        path.ends_with(&format!("... ({full_length} bytes in all)")),
        "{path}"
    );
    assert!(error.to_string().len() < 3 * MAX_QUOTED_CHARS);
}

/// Found by the `notification_render` target: serde_json escapes only
/// U+0000 to U+001F, so DEL, C1 controls (U+0085 breaks lines in some mail
/// readers) and bidirectional overrides in an event's strings reached the
/// email raw. They are now written as JSON escapes, and the event reads back
/// unchanged.
#[test]
fn the_full_event_in_an_email_carries_no_hidden_characters() {
    let event = json!({"detail": {"userAgent": "curl\u{85}Severity: INFO\u{7f}", "description": "\u{202e}evil\u{200b}"}});
    let email = Notification::new("ami-permission-notifier", Severity::Critical, "t")
        .with_full_event(event.clone())
        .render()
        .email;
    assert!(!email.chars().any(|c| c.is_control() && c != '\n'));
    for escape in ["\\u0085", "\\u007f", "\\u202e", "\\u200b"] {
        assert!(email.contains(escape), "{escape} missing from {email}");
    }
    let json = email
        .split_once("Full event\n----------\n")
        .and_then(|(_, rest)| rest.split_once("\n\n--\n"))
        .map(|(json, _)| json)
        .expect("the email has a full event section");
    assert_eq!(serde_json::from_str::<Value>(json).unwrap(), event);
}
