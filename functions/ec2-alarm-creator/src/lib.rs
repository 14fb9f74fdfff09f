//! Creates per-instance CloudWatch alarms when an EC2 instance starts
//! running, and removes them when it stops or terminates.
//!
//! parse ([`handler`]) → decide ([`decide`], pure) → act ([`act`]) → report.

pub mod act;
pub mod config;
pub mod decide;
pub mod definitions;
pub mod handler;
pub mod metrics;

pub use handler::{App, HandlerError, Report, handle};
