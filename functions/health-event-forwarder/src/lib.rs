//! Turns AWS Health events into readable, filtered notifications.
//!
//! parse ([`handler`], with the tolerant types of
//! `watchkeeper_shared::events::health`) → decide ([`decide`] and
//! [`message`], pure) → publish to SNS → report.

pub mod config;
pub mod decide;
pub mod handler;
pub mod message;
pub mod metrics;

#[cfg(test)]
mod fixtures;

pub use handler::{App, HandlerError, Report, handle};

watchkeeper_shared::function!(App, Report, HandlerError, handler::NAME, handle);
