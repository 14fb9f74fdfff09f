//! What two or more Watchkeeper functions use: the EventBridge envelope and
//! tolerant field parsers, SNS notification rendering and publishing,
//! configuration from environment variables, AWS client set-up and logging.

pub mod account;
#[cfg(feature = "aws")]
pub mod aws;
pub mod chat;
pub mod config;
pub mod events;
#[cfg(feature = "aws")]
pub mod function;
pub mod headline;
pub mod home;
#[cfg(feature = "aws")]
pub mod idempotency;
#[cfg(feature = "aws")]
pub mod logging;
pub mod metrics;
pub mod notification;
#[cfg(feature = "aws")]
pub mod publisher;
#[cfg(feature = "aws")]
pub mod reach;
#[cfg(feature = "aws")]
pub mod runtime;
pub mod skip;
pub mod text;
pub mod time;

pub use headline::Headline;
pub use notification::{Notification, Severity};
