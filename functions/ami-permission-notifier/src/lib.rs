//! Alerts when an AMI or EBS snapshot is made public, shared or unshared,
//! or the account's block public access for them is disabled.
//!
//! parse ([`input`]) → decide ([`decide`], pure) → word ([`message`], pure)
//! → act ([`act`], the account alias; publishing) → report ([`handler`]).

pub mod act;
pub mod config;
pub mod decide;
pub mod handler;
pub mod input;
pub mod message;
pub mod metrics;

#[cfg(test)]
mod fixtures;

pub use handler::{App, HandlerError, Report, handle};

watchkeeper_shared::function!(App, Report, HandlerError, handler::NAME, handle);
