//! What every Watchkeeper function is, as one trait: its name, how it is
//! built from the environment once per cold start, and how it handles one
//! event. `main.rs` is one generic call ([`crate::runtime::main`]); the
//! cross-cutting test suites, the demo and the test bed take any
//! `F: Function` instead of naming the five functions one by one.
//!
//! Each function crate implements it for its `App` (in `handler.rs`). The
//! shape of one invocation is the same in every crate:
//! parse (`handler.rs`, with `watchkeeper_shared::events`) → decide
//! (`decide.rs`, pure: returns a plan or a typed skip reason) → act
//! (`act.rs`, the AWS clients) → report (`Report` in `handler.rs`, and its
//! business metrics in `metrics.rs`).

use std::fmt::Debug;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::config::EnvReader;
use crate::events::EventError;
use crate::idempotency::{GuardError, Handled};
use crate::metrics::ReportMetrics;
use crate::publisher::PublishError;
use crate::runtime::{ErrorKind, InvocationError};

/// One Watchkeeper Lambda function.
pub trait Function: Sized {
    /// The crate and binary name, e.g. `ec2-alarm-creator`. It is the
    /// `Function` dimension of the business metrics and the scope of the
    /// function's idempotency keys.
    const NAME: &'static str;

    /// What one invocation did: returned to Lambda as JSON, counted as
    /// business metrics.
    type Report: InvocationReport;

    /// Why one invocation failed: Lambda's `errorType` is its
    /// [`ErrorKind`], so Lambda retries it and the DLQ keeps the event.
    type Error: InvocationError + Debug;

    /// Why the function could not start; names the setting or resource.
    type InitError: std::error::Error + Send + Sync + 'static;

    /// Reads every setting and builds the AWS clients, once per cold start.
    /// Fails naming every missing or malformed setting.
    fn from_env(
        sdk: &aws_config::SdkConfig,
        env: EnvReader,
    ) -> impl Future<Output = Result<Self, Self::InitError>>;

    /// Handles one event, taken as raw JSON so that the function, not the
    /// runtime, names a malformed field.
    fn handle(&self, event: &Value) -> impl Future<Output = Result<Self::Report, Self::Error>>;
}

/// A function's report of one invocation.
pub trait InvocationReport: Serialize + Debug + ReportMetrics {
    /// Whether the event was left alone as not this function's: another
    /// source, detail type, account, region or kind of event.
    fn is_skipped(&self) -> bool;
}

/// Why an invocation failed: the failures every function shares, and
/// `Own`, the function's own (its AWS calls, or an answer it cannot decide
/// on yet). Each is shown as its own message, which names the field,
/// call or resource.
#[derive(Debug, Error)]
pub enum HandlerError<Own = NoOwnError> {
    /// The event is malformed, or not one this function can receive.
    #[error(transparent)]
    BadEvent(#[from] EventError),
    /// SNS failed or refused the publish.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The idempotency table failed, or another attempt holds the lease.
    #[error(transparent)]
    Idempotency(#[from] GuardError),
    /// Hub mode: the member account's spoke role could not be assumed.
    #[error(transparent)]
    Reach(#[from] crate::reach::ReachError),
    /// The function's own failure.
    #[error(transparent)]
    Own(Own),
}

impl<Own: InvocationError> InvocationError for HandlerError<Own> {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadEvent(error) => error.kind(),
            Self::Publish(error) => error.kind(),
            Self::Idempotency(error) => error.kind(),
            Self::Reach(error) => error.kind(),
            Self::Own(error) => error.kind(),
        }
    }
}

/// The `Own` failure of a function that makes no AWS call of its own
/// beyond publishing: it never happens.
#[derive(Debug, Error)]
pub enum NoOwnError {}

impl InvocationError for NoOwnError {
    fn kind(&self) -> ErrorKind {
        match *self {}
    }
}

/// A report that can say "this event was handled already", so that
/// [`crate::idempotency::Guard::once`] can give it ready-made.
pub trait FromHandled {
    fn duplicate(handled: Handled) -> Self;
}

/// Implements [`Function`] for a function whose start-up needs no AWS call:
/// `App::from_env(sdk, env) -> Result<App, ConfigError>` and
/// `handle(&App, &Value) -> Result<Report, HandlerError>` as the crate
/// defines them, and [`InvocationReport`] for a `Report` whose `Skipped`
/// variant is the skip. A function that reads AWS at start-up (the EC2
/// alarm creator reads its alarm definitions from SSM) implements
/// [`Function`] by hand.
///
/// ```ignore
/// watchkeeper_shared::function!(App, Report, HandlerError, handler::NAME, handle);
/// ```
#[macro_export]
macro_rules! function {
    ($app:ty, $report:ty, $error:ty, $name:expr, $handle:path) => {
        impl $crate::function::Function for $app {
            const NAME: &'static str = $name;
            type Report = $report;
            type Error = $error;
            type InitError = $crate::config::ConfigError;

            async fn from_env(
                sdk: &aws_config::SdkConfig,
                env: $crate::config::EnvReader,
            ) -> Result<Self, Self::InitError> {
                <$app>::from_env(sdk, env)
            }

            async fn handle(&self, event: &serde_json::Value) -> Result<$report, $error> {
                $handle(self, event).await
            }
        }

        impl $crate::function::InvocationReport for $report {
            fn is_skipped(&self) -> bool {
                matches!(self, Self::Skipped { .. })
            }
        }
    };
}
