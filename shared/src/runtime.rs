//! Serving a function's handler through the Lambda Runtime API.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;

/// A handler's failure, as Lambda reports it: `errorType` is the kind,
/// `errorMessage` the display text, which names what failed.
pub trait InvocationError: std::fmt::Display {
    fn kind(&self) -> &'static str;
}

/// Runs `handle` on every event until the runtime shuts the process down.
/// The event is taken as raw JSON so that the handler, not the runtime,
/// decides what is relevant and names a malformed field.
pub async fn serve<App, Report, Error>(
    app: &App,
    handle: impl AsyncFn(&App, &Value) -> Result<Report, Error>,
) -> Result<(), lambda_runtime::Error>
where
    Report: Serialize,
    Error: InvocationError,
{
    let handle = &handle;
    // Boxed so that the compiler need not lay out the runtime's and the
    // handler's deeply nested futures inside `main`'s, which exceeds its
    // query depth limit for the larger handlers. One allocation per process.
    Box::pin(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Value>| async move {
            let deadline = event.context.deadline();
            crate::idempotency::within_deadline(deadline, handle(app, &event.payload))
                .await
                .map_err(|error| Diagnostic {
                    error_type: error.kind().to_owned(),
                    error_message: error.to_string(),
                })
        },
    )))
    .await
}
