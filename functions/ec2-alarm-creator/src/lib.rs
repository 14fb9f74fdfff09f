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
pub mod sweep;

pub use handler::{App, HandlerError, InitError, OwnError, Report, handle};

impl watchkeeper_shared::function::Function for App {
    const NAME: &'static str = handler::NAME;
    type Report = Report;
    type Error = HandlerError;
    type InitError = InitError;

    async fn from_env(
        sdk: &aws_config::SdkConfig,
        env: watchkeeper_shared::config::EnvReader,
    ) -> Result<Self, Self::InitError> {
        Self::from_env(sdk, env).await
    }

    async fn handle(&self, event: &serde_json::Value) -> Result<Report, HandlerError> {
        handle(self, event).await
    }
}

impl watchkeeper_shared::function::InvocationReport for Report {
    fn is_skipped(&self) -> bool {
        matches!(self, Self::Skipped { .. })
    }
}
