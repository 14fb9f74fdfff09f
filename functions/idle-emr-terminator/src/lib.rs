//! Finds idle EMR clusters and terminates them, or deletes the CloudFormation stack that owns them, with guards that never touch a cluster in use.
//!
//! Two triggers: an idle alarm (through SNS or EventBridge) and a scheduled
//! sweep. parse (`trigger.rs`, then `alarm.rs` or `sweep.rs`) → decide
//! ([`decide`], pure) → act ([`act`], once per cluster and key in
//! `cluster.rs`) → report ([`message`], [`handler`]).

pub mod act;
mod alarm;
mod cluster;
pub mod config;
pub mod decide;
pub mod failure;
pub mod handler;
pub mod message;
pub mod metrics;
pub mod outcome;
mod policy;
mod sweep;
mod trigger;
pub mod words;

pub use handler::{App, ClusterResult, HandlerError, Report, handle, handle_at};

watchkeeper_shared::function!(App, Report, HandlerError, handler::NAME, handle);
