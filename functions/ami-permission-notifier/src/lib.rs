//! Alerts when an AMI or EBS snapshot is made public, shared or unshared,
//! or the account's block public access for them is switched off or
//! changed; with `REMEDIATE_PUBLIC_SHARING` on, makes a public one private
//! again.
//!
//! parse ([`input`]) → decide ([`decide`], pure) → act ([`act`]: the undo
//! when planned, the account alias) → word ([`message`], pure) → publish
//! and report ([`handler`]).

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
