//! Making one kind of AWS call fail, to show what a function does when a
//! step fails part-way. The SDK is the real one and every other call still
//! reaches moto; calls of the refused action stop before they are sent, as
//! if the connection had failed, and are not retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

/// An SDK interceptor refusing every call of one action: JSON-protocol
/// services name it in `X-Amz-Target`, query-protocol ones in the body,
/// Smithy RPC v2 CBOR ones (CloudWatch) in the path
/// (`/service/<Service>/operation/<Action>`).
#[derive(Debug, Clone)]
pub struct Refuse {
    action: &'static str,
    refused: Arc<AtomicUsize>,
}

impl Refuse {
    pub fn action(action: &'static str) -> Self {
        Self {
            action,
            refused: Arc::default(),
        }
    }

    /// How many calls were refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Intercept for Refuse {
    fn name(&self) -> &'static str {
        "testbed::Refuse"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let by_target = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|target| target.rsplit('.').next() == Some(self.action));
        let by_body = request.body().bytes().is_some_and(|body| {
            String::from_utf8_lossy(body)
                .split('&')
                .any(|pair| pair == format!("Action={}", self.action))
        });
        let by_path = request
            .uri()
            .split('?')
            .next()
            .and_then(|path| path.rsplit_once("/operation/"))
            .is_some_and(|(_, operation)| operation == self.action);
        if by_target || by_body || by_path {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(format!("test bed refused {}", self.action).into());
        }
        Ok(())
    }
}
