//! One invocation: the function's clients ([`App`]), what it returns
//! ([`Report`], [`ClusterResult`]) or fails with ([`HandlerError`]), and the
//! entry point ([`handle`]). It reads the trigger (`trigger.rs`) and runs the
//! alarm flow (`alarm.rs`) or the scheduled sweep (`sweep.rs`); both check
//! and act on each candidate cluster once (`cluster.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

use watchkeeper_shared::account::AccountNames;
use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::events::EventError;
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::Guard;
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::reach::{Clients, Place, Reach, ReachError};
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};
use watchkeeper_shared::skip::{ReasonCode, Routing};

use crate::act::ActError;
use crate::config::Config;
use crate::decide::{MalformedClusterId, SkipReason};
use crate::outcome::ClusterOutcome;
use crate::trigger::{self, Trigger};
use crate::words::count;
use crate::{alarm, sweep};

pub use crate::trigger::{SCHEDULE_DETAIL_TYPE, SCHEDULE_SOURCE};

/// Clients and configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    /// The account and region this function runs in.
    pub home: Home,
    pub region: String,
    pub emr: aws_sdk_emr::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Hub mode: where an alarm's cluster is checked and acted on (its
    /// member account and region, through the spoke role), with that
    /// place's clients made once.
    pub reach: Reach,
    pub elsewhere: Clients<Clusters>,
    /// Hub mode: the accounts' aliases, for the notices.
    pub accounts: AccountNames,
    pub publisher: Publisher,
    /// Each cluster is acted on once per alarm message or sweep window.
    pub guard: Guard,
}

/// The function's name, which scopes its idempotency keys.
pub const NAME: &str = "idle-emr-terminator";

impl App {
    pub fn from_env(
        sdk: &aws_config::SdkConfig,
        mut env: EnvReader,
    ) -> Result<Self, watchkeeper_shared::config::ConfigError> {
        let guard = Guard::from_env(&mut env, sdk, NAME);
        let home = Home::from_env(&mut env);
        let reach = Reach::from_env(&mut env, sdk, home.clone());
        let config = Config::from_env(env)?;
        Ok(Self {
            home,
            region: sdk
                .region()
                .map(|region| region.as_ref().to_owned())
                .unwrap_or_default(),
            emr: aws_sdk_emr::Client::new(sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            reach,
            elsewhere: Clients::default(),
            accounts: AccountNames::new(sdk),
            publisher: Publisher::new(aws_sdk_sns::Client::new(sdk), config.topics.clone()),
            config,
            guard,
        })
    }
}

/// The clients a cluster is checked and acted on with, in one place.
#[derive(Debug, Clone)]
pub struct Clusters {
    pub emr: aws_sdk_emr::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl App {
    /// Where the function runs: its own account and region.
    pub fn home_place(&self) -> Place {
        Place {
            account_id: self.home.account_id.clone(),
            region: self.region.clone(),
            member: false,
        }
    }

    /// The clients for `place`: the home ones, or the member account's
    /// through its spoke role.
    pub async fn clusters(&self, place: &Place) -> Result<Clusters, ReachError> {
        if !place.member && place.region == self.region {
            return Ok(Clusters {
                emr: self.emr.clone(),
                cloudformation: self.cloudformation.clone(),
                cloudwatch: self.cloudwatch.clone(),
            });
        }
        self.elsewhere
            .get(&self.reach, place, |sdk| Clusters {
                emr: aws_sdk_emr::Client::new(sdk),
                cloudformation: aws_sdk_cloudformation::Client::new(sdk),
                cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            })
            .await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("not a valid idle-alarm or scheduled event: {0}")]
    BadEvent(#[from] EventError),
    #[error("not a valid idle alarm: {0}")]
    BadClusterId(#[from] MalformedClusterId),
    #[error(transparent)]
    Aws(#[from] ActError),
    /// Some clusters failed; the others were handled and reported first.
    #[error("{} of {} failed: {}", .failures.len(), count(.checked, "cluster", "clusters"), .failures.join("; "))]
    ClustersFailed {
        checked: usize,
        failures: Vec<String>,
    },
    /// Hub mode: the sweep could not list or judge some of its places; the
    /// others were swept and acted on.
    #[error("the sweep of {} is incomplete: {}", count(.places, "place", "places"), .failures.join("; "))]
    SweepIncomplete {
        places: usize,
        failures: Vec<String>,
    },
}

impl InvocationError for HandlerError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadEvent(_) | Self::BadClusterId(_) => ErrorKind::BadEvent,
            Self::Aws(ActError::Idempotency(error)) => error.kind(),
            Self::Aws(ActError::Publish(error)) => error.kind(),
            Self::Aws(_) | Self::ClustersFailed { .. } | Self::SweepIncomplete { .. } => {
                ErrorKind::AwsError
            }
        }
    }
}

/// What the invocation did, returned to Lambda and shown by `make invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Report {
    Skipped {
        #[serde(flatten)]
        reason: SkipReason,
    },
    Checked {
        clusters: Vec<ClusterResult>,
    },
}

/// What happened to one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterResult {
    pub cluster_id: String,
    pub outcome: ClusterOutcome,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    handle_at(app, event, now()).await
}

/// [`handle`] at a given time, in seconds since the epoch.
pub async fn handle_at(app: &App, event: &Value, now: i64) -> Result<Report, HandlerError> {
    let event_id = event
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match trigger::read_trigger(event)? {
        Trigger::Irrelevant(reason) => {
            info!(%event_id, code = reason.code(), %reason, "skipped");
            Ok(Report::Skipped {
                reason: SkipReason::Routing(reason),
            })
        }
        // Boxed: the SDK futures nest deeper than rustc's default layout limit.
        Trigger::Alarms(alarms) => Box::pin(alarm::handle_alarms(app, &alarms, now)).await,
        Trigger::Sweep(routing) => {
            // The sweep lists and terminates clusters of the function's
            // own account and region; a schedule of another is not its own.
            if let Some(elsewhere) = app.home.admit(&routing, Scope::AccountAndRegion)? {
                return Ok(Report::Skipped {
                    reason: SkipReason::Routing(Routing::Elsewhere(elsewhere)),
                });
            }
            Box::pin(sweep::sweep(app, &event_id, now)).await
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
