//! Integration tests: the real handlers, driven by the sample events in
//! `events/`, through the real AWS SDK, against a moto server per test.

mod ec2_alarm_creator;
mod notifications;
