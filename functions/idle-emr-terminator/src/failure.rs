//! An AWS call's failure as operators need it: the service's error code
//! and message, quoted once, or what kept an answer from coming. The SDK
//! error stays chained as the source, for whoever walks the chain.

use std::error::Error;
use std::fmt;

use aws_sdk_emr::config::http::HttpResponse;
use aws_sdk_emr::error::{ProvideErrorMetadata, SdkError};

/// What went wrong, in a form a program can read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The service answered with an error.
    Service {
        /// e.g. `ThrottlingException`; `None` when the answer named none.
        code: Option<String>,
        message: Option<String>,
        status: u16,
    },
    /// No answer came in time.
    Timeout,
    /// The request did not reach the service, or no answer came back.
    Unreachable { cause: String },
    /// An answer came that could not be read.
    UnreadableAnswer { cause: String },
    /// The request could not be built.
    NotSent { cause: String },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service {
                code: Some(code),
                message: Some(message),
                ..
            } => write!(f, "{code}: {message}"),
            Self::Service {
                code: Some(code),
                message: None,
                status,
            } => write!(f, "{code} (HTTP {status})"),
            Self::Service {
                code: None,
                message: Some(message),
                status,
            } => write!(f, "HTTP {status}: {message}"),
            Self::Service {
                code: None,
                message: None,
                status,
            } => write!(f, "HTTP {status} with no error code"),
            Self::Timeout => f.write_str("no answer in time"),
            Self::Unreachable { cause } => write!(f, "could not reach the service: {cause}"),
            Self::UnreadableAnswer { cause } => write!(f, "unreadable answer: {cause}"),
            Self::NotSent { cause } => write!(f, "request not sent: {cause}"),
        }
    }
}

/// A failed AWS call: its [`FailureKind`] for the message, the SDK error
/// as the source.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct AwsFailure {
    pub kind: FailureKind,
    #[source]
    source: Box<dyn Error + Send + Sync + 'static>,
}

impl AwsFailure {
    /// Reads any AWS SDK operation's error (the SDK crates share one
    /// `SdkError` and one HTTP response type).
    pub fn from_sdk<E>(error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    {
        let kind = match &error {
            SdkError::ServiceError(context) => FailureKind::Service {
                code: error.code().map(str::to_owned),
                message: error
                    .message()
                    .map(str::trim)
                    .filter(|message| !message.is_empty())
                    .map(str::to_owned),
                status: context.raw().status().as_u16(),
            },
            SdkError::TimeoutError(_) => FailureKind::Timeout,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => FailureKind::Timeout,
            SdkError::DispatchFailure(_) => FailureKind::Unreachable {
                cause: root_cause(&error),
            },
            SdkError::ResponseError(_) => FailureKind::UnreadableAnswer {
                cause: root_cause(&error),
            },
            _ => FailureKind::NotSent {
                cause: root_cause(&error),
            },
        };
        Self {
            kind,
            source: Box::new(error),
        }
    }

    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            FailureKind::Service { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// The innermost error's own text: the SDK's wrappers add nothing an
/// operator can act on.
fn root_cause(error: &(dyn Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_emr::error::ErrorMetadata;
    use aws_sdk_emr::operation::terminate_job_flows::TerminateJobFlowsError;
    use aws_smithy_types::body::SdkBody;

    type TerminateError = SdkError<TerminateJobFlowsError, HttpResponse>;

    fn service_error(code: Option<&str>, message: Option<&str>, status: u16) -> TerminateError {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        if let Some(message) = message {
            meta = meta.message(message);
        }
        SdkError::service_error(
            TerminateJobFlowsError::generic(meta.build()),
            HttpResponse::new(status.try_into().unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn a_service_error_is_its_code_and_message_once() {
        let cases = [
            (
                service_error(Some("ThrottlingException"), Some("Rate exceeded"), 400),
                "ThrottlingException: Rate exceeded",
            ),
            (
                service_error(Some("InternalFailure"), None, 500),
                "InternalFailure (HTTP 500)",
            ),
            (
                service_error(None, Some("Bad gateway"), 502),
                "HTTP 502: Bad gateway",
            ),
            (
                service_error(None, Some("  "), 503),
                "HTTP 503 with no error code",
            ),
        ];
        for (error, expected) in cases {
            let failure = AwsFailure::from_sdk(error);
            assert_eq!(failure.to_string(), expected);
            assert!(failure.source().is_some(), "the SDK error stays chained");
        }
        let failure = AwsFailure::from_sdk(service_error(Some("ThrottlingException"), None, 400));
        assert_eq!(failure.code(), Some("ThrottlingException"));
    }

    #[test]
    fn failures_without_an_answer_say_what_happened() {
        let timeout: TerminateError = SdkError::timeout_error("operation timed out");
        assert_eq!(
            AwsFailure::from_sdk(timeout).to_string(),
            "no answer in time"
        );
        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let dispatch: TerminateError =
            SdkError::dispatch_failure(aws_sdk_emr::error::ConnectorError::io(Box::new(refused)));
        let failure = AwsFailure::from_sdk(dispatch);
        assert_eq!(
            failure.kind,
            FailureKind::Unreachable {
                cause: "Connection refused".into()
            }
        );
        assert_eq!(failure.code(), None);
        assert_eq!(
            failure.to_string(),
            "could not reach the service: Connection refused"
        );
        let unbuilt: TerminateError = SdkError::construction_failure("missing JobFlowIds");
        assert_eq!(
            AwsFailure::from_sdk(unbuilt).to_string(),
            "request not sent: missing JobFlowIds"
        );
    }
}
