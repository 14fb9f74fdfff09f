//! One invocation: parse, decide, act, report.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::events::ec2::{InstanceStateChange, SOURCE, STATE_CHANGE_DETAIL_TYPE};
use watchkeeper_shared::events::{EventBridgeEvent, parse_event};
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Guard, Handled};
use watchkeeper_shared::reach::{Clients, Place, Reach, ReachError};
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};
use watchkeeper_shared::skip::{Placement, ReasonCode, Route};

use crate::act::{self, ActError, Outcome};
use crate::config::{ALARM_DEFINITIONS_PARAMETER_VAR, Config, DefinitionsSource, Settings};
use crate::decide::{self, FirstStep, SkipReason, Undecided};
use crate::definitions::{AlarmSet, DefinitionError};

/// The events this function takes, and from where.
pub const ROUTE: Route = Route {
    accepts: &[(SOURCE, STATE_CHANGE_DETAIL_TYPE)],
    handled: "an EC2 instance state-change event",
    scope: Scope::AccountAndRegion,
};

/// Clients and configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    /// The account and region this function runs in.
    pub home: Home,
    /// Its home's clients.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub ec2: aws_sdk_ec2::Client,
    /// Where an event is acted on: at home, or in hub mode in the member
    /// account and region it happened in, with that place's clients made
    /// once per warm function.
    pub reach: Reach,
    pub elsewhere: Clients<(aws_sdk_ec2::Client, aws_sdk_cloudwatch::Client)>,
    /// Each EventBridge event is acted on once; the actions are idempotent
    /// anyway, so this saves repeated work rather than preventing harm.
    pub guard: Guard,
}

/// The function's name, which scopes its idempotency keys.
pub const NAME: &str = "ec2-alarm-creator";

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] watchkeeper_shared::config::ConfigError),
    #[error(
        "reading alarm definitions from SSM parameter {name} (set by {ALARM_DEFINITIONS_PARAMETER_VAR}) failed: {message}"
    )]
    Parameter { name: String, message: String },
    #[error(transparent)]
    Definitions(#[from] DefinitionError),
}

impl App {
    /// Reads configuration, fetching the alarm definitions from SSM when
    /// `ALARM_DEFINITIONS_PARAMETER` names a parameter.
    pub async fn from_env(
        sdk: &aws_config::SdkConfig,
        mut env: EnvReader,
    ) -> Result<Self, InitError> {
        let guard = Guard::from_env(&mut env, sdk, NAME);
        let home = Home::from_env(&mut env);
        let reach = Reach::from_env(&mut env, sdk, home.clone());
        let settings = Settings::from_env(env)?;
        let alarms = match &settings.definitions_source {
            DefinitionsSource::Inline(text) => {
                AlarmSet::parse(text, crate::config::ALARM_DEFINITIONS_VAR)?
            }
            DefinitionsSource::SsmParameter(name) => {
                let ssm = aws_sdk_ssm::Client::new(sdk);
                let output = ssm
                    .get_parameter()
                    .name(name)
                    .with_decryption(true)
                    .send()
                    .await
                    .map_err(|error| InitError::Parameter {
                        name: name.clone(),
                        message: aws_sdk_ssm::error::DisplayErrorContext(&error).to_string(),
                    })?;
                // An answer without a value is not an empty document.
                let text = output
                    .parameter()
                    .and_then(|parameter| parameter.value())
                    .ok_or_else(|| InitError::Parameter {
                        name: name.clone(),
                        message: "the answer has no parameter value".to_owned(),
                    })?;
                AlarmSet::parse(text, &format!("SSM parameter {name}"))?
            }
        };
        Ok(Self {
            config: settings.with_alarms(alarms),
            home,
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            reach,
            elsewhere: Clients::default(),
            guard,
        })
    }

    /// The EC2 and CloudWatch clients for `place`: the home ones, or the
    /// member account's through its spoke role.
    async fn clients(
        &self,
        place: &Place,
    ) -> Result<(aws_sdk_ec2::Client, aws_sdk_cloudwatch::Client), ReachError> {
        if !place.member && place.region == self.home.region {
            return Ok((self.ec2.clone(), self.cloudwatch.clone()));
        }
        self.elsewhere
            .get(&self.reach, place, |sdk| {
                (
                    aws_sdk_ec2::Client::new(sdk),
                    aws_sdk_cloudwatch::Client::new(sdk),
                )
            })
            .await
    }
}

/// The alarm creator's own failures.
#[derive(Debug, thiserror::Error)]
pub enum OwnError {
    /// An EC2 or CloudWatch call failed.
    #[error(transparent)]
    Aws(#[from] ActError),
    /// EC2's answer cannot decide the event yet; Lambda retries it.
    #[error(transparent)]
    Undecided(#[from] Undecided),
}

impl InvocationError for OwnError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Undecided(Undecided::UnknownState { .. }) => ErrorKind::UnknownInstanceState,
            Self::Undecided(_) => ErrorKind::InstanceNotSettled,
            Self::Aws(_) => ErrorKind::AwsError,
        }
    }
}

impl From<ActError> for HandlerError {
    fn from(error: ActError) -> Self {
        Self::Own(error.into())
    }
}

impl From<Undecided> for HandlerError {
    fn from(error: Undecided) -> Self {
        Self::Own(error.into())
    }
}

/// Why an invocation failed: the event, EC2, CloudWatch or the idempotency table.
pub type HandlerError = watchkeeper_shared::function::HandlerError<OwnError>;

/// What the invocation did, returned to Lambda and shown by `make invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Report {
    Skipped {
        #[serde(flatten)]
        reason: SkipReason,
    },
    Reconciled {
        instance_id: String,
        reason: String,
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// This event was handled already; nothing was done again.
    Duplicate {
        #[serde(flatten)]
        handled: Handled,
    },
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    // The instance is read, and its alarms changed, where the event
    // happened: at home, or in hub mode in its member account and region.
    let place = match ROUTE.place(event, &app.reach)? {
        Placement::Placed(_, place) => place,
        Placement::Skipped(routing) => {
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(routing),
            });
        }
    };
    let event = parse_event::<InstanceStateChange>(event)?;
    let change = &event.detail;
    // Skips need no AWS call, so they are decided before taking a lease.
    let step = match decide::first_step(change) {
        FirstStep::Skip {
            instance_id,
            reason,
        } => {
            info!(event_id = %event.id, %instance_id, state = %change.state, code = reason.code(), %reason, "skipped");
            return Ok(Report::Skipped { reason });
        }
        step => step,
    };
    // Idempotency key: the EventBridge event id, which each state change
    // gets once and keeps on every retry. Two deliveries with the same id
    // are the same transition of one instance, whose alarms the first
    // already reconciled; a later transition of the same instance is a new
    // event with a new id and is acted on. (The actions are idempotent
    // anyway: the key saves repeated work, it prevents no harm.)
    app.guard
        .once(&event.id, async || {
            reconcile(app, &event, step, &place).await
        })
        .await
}

async fn reconcile(
    app: &App,
    event: &EventBridgeEvent<InstanceStateChange>,
    step: FirstStep,
    place: &Place,
) -> Result<Report, HandlerError> {
    let change = &event.detail;
    let (ec2, cloudwatch) = match &step {
        FirstStep::Skip { reason, .. } => {
            return Ok(Report::Skipped {
                reason: reason.clone(),
            });
        }
        _ => app.clients(place).await?,
    };
    let plan = match step {
        FirstStep::Skip { reason, .. } => return Ok(Report::Skipped { reason }),
        FirstStep::RemoveAlarms { instance_id, state } => decide::plan_removal(&instance_id, state),
        FirstStep::LookUpInstance { instance_id } => {
            let lookup = act::describe_instance(&ec2, &instance_id).await?;
            let event_age = decide::event_age(&event.time, SystemTime::now());
            decide::plan_for_running(&app.config, &instance_id, &lookup, event_age).inspect_err(
                |error| {
                    warn!(event_id = %event.id, %instance_id, %error, "undecided; failing for a retry");
                },
            )?
        }
    };
    for warning in &plan.warnings {
        warn!(event_id = %event.id, instance_id = %plan.instance_id, %warning, "configuration warning");
    }
    let reason = plan.reason.describe();
    let alarm_names: Vec<&str> = plan
        .alarms
        .iter()
        .map(|alarm| alarm.name.as_str())
        .collect();
    info!(
        event_id = %event.id,
        instance_id = %plan.instance_id,
        account = %place.account_id,
        region = %place.region,
        state = %change.state,
        %reason,
        alarms = ?alarm_names,
        "decided"
    );
    let prefix = decide::instance_alarm_prefix(&app.config, &plan.instance_id);
    let outcome = act::apply_plan(&cloudwatch, &plan, &prefix).await?;
    info!(
        event_id = %event.id,
        instance_id = %plan.instance_id,
        alarms_put = ?outcome.alarms_put,
        alarms_deleted = ?outcome.alarms_deleted,
        "applied"
    );
    Ok(Report::Reconciled {
        instance_id: plan.instance_id,
        reason,
        outcome,
    })
}

impl watchkeeper_shared::function::FromHandled for Report {
    fn duplicate(handled: Handled) -> Self {
        Self::Duplicate { handled }
    }
}
