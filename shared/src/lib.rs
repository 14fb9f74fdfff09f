//! What two or more Watchkeeper functions use: the EventBridge envelope and
//! tolerant field parsers, SNS notification rendering and publishing,
//! configuration from environment variables, AWS client set-up and logging.

pub mod aws;
pub mod config;
pub mod events;
pub mod idempotency;
pub mod logging;
pub mod notification;
pub mod publisher;
pub mod runtime;

pub use notification::{Notification, Severity};
