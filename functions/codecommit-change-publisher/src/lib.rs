//! Publishes every commit, author and file change of a CodeCommit push.
//!
//! parse ([`handler`]) → decide ([`decide`], [`walk`], [`changes`],
//! [`message`]: pure) → look up ([`act`]) → notify and report.

pub mod act;
pub mod changes;
pub mod config;
pub mod decide;
pub mod handler;
pub mod message;
pub mod metrics;
pub mod walk;

#[cfg(test)]
mod fixtures;

pub use handler::{App, HandlerError, Report, handle};

watchkeeper_shared::function!(App, Report, HandlerError, handler::NAME, handle);
