//! One invocation: parse, decide, act, report.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::events::ec2::{InstanceStateChange, SOURCE, STATE_CHANGE_DETAIL_TYPE};
use watchkeeper_shared::events::{EventBridgeEvent, EventError, EventRouting, parse_event};
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Guard, Handled};
use watchkeeper_shared::reach::{Clients, Place, Reach, ReachError};
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};
use watchkeeper_shared::skip::{Placement, ReasonCode, Route};

use crate::act::{self, ActError, Outcome};
use crate::config::{ALARM_DEFINITIONS_PARAMETER_VAR, Config, DefinitionsSource, Settings};
use crate::decide::{self, Assessment, FirstStep, Plan, SeriesIndex, SkipReason, Undecided};
use crate::definitions::{AlarmSet, DefinitionError};
use crate::sweep::{self, SweepError, SweepReport};

/// Tag changes on resources, sent by the tagging service.
pub const TAG_SOURCE: &str = "aws.tag";
pub const TAG_CHANGE_DETAIL_TYPE: &str = "Tag Change on Resource";
/// The reconcile sweep's schedule.
pub const SCHEDULE_SOURCE: &str = "aws.events";
pub const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

/// The events this function takes, and from where. The schedule's are
/// admitted only from the function's own account and region (the sweep
/// covers the home account only).
pub const ROUTE: Route = Route {
    accepts: &[
        (SOURCE, STATE_CHANGE_DETAIL_TYPE),
        (TAG_SOURCE, TAG_CHANGE_DETAIL_TYPE),
        (SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE),
    ],
    handled: "an EC2 instance state-change, instance tag-change or scheduled sweep event",
    scope: Scope::AccountAndRegion,
};

/// The `detail` of a `Tag Change on Resource` event. Its `tags` are the
/// resource's tags when the event was made, which may be older than
/// EC2's: they are not read; EC2 is asked instead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TagChange {
    #[serde(default)]
    pub changed_tag_keys: Vec<String>,
    pub service: String,
    pub resource_type: String,
}

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
    /// The sweep could not reconcile some instances (the others were).
    #[error(transparent)]
    Sweep(#[from] SweepError),
}

impl InvocationError for OwnError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Undecided(Undecided::UnknownState { .. }) => ErrorKind::UnknownInstanceState,
            Self::Undecided(_) => ErrorKind::InstanceNotSettled,
            Self::Aws(_) | Self::Sweep(_) => ErrorKind::AwsError,
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
    /// The scheduled sweep reconciled every running instance's alarms.
    Swept {
        #[serde(flatten)]
        sweep: SweepReport,
    },
    /// This event was handled already; nothing was done again.
    Duplicate {
        #[serde(flatten)]
        handled: Handled,
    },
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    // The schedule's event: the sweep of the home account and region.
    if let Ok(routing) = EventRouting::read(event)
        && routing.matches(SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE)
    {
        if let Some(elsewhere) = app.home.admit(&routing, Scope::AccountAndRegion)? {
            let reason = watchkeeper_shared::skip::Routing::Elsewhere(elsewhere);
            info!(event_id = %routing.id, code = reason.code(), %reason, "skipped");
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(reason),
            });
        }
        let event_id = routing.id.clone();
        return app
            .guard
            .once(&event_id, async || {
                let report = Box::pin(sweep::sweep(app, &event_id)).await?;
                Ok(Report::Swept { sweep: report })
            })
            .await;
    }
    // The instance is read, and its alarms changed, where the event
    // happened: at home, or in hub mode in its member account and region.
    let (routing, place) = match ROUTE.place(event, &app.reach)? {
        Placement::Placed(routing, place) => (routing, place),
        Placement::Skipped(routing) => {
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(routing),
            });
        }
    };
    if routing.matches(TAG_SOURCE, TAG_CHANGE_DETAIL_TYPE) {
        return handle_tag_change(app, event, &place).await;
    }
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

/// The instance id in a tag-change event's resource ARN
/// (`arn:<partition>:ec2:<region>:<account>:instance/i-…`).
fn tagged_instance(resources: &[String]) -> Result<String, EventError> {
    let id = resources
        .first()
        .and_then(|arn| arn.rsplit_once(":instance/"))
        .map(|(_, id)| id.trim().to_owned())
        .filter(|id| watchkeeper_shared::events::ec2::is_instance_id(id));
    id.ok_or_else(|| EventError::Field {
        path: "resources[0]".to_owned(),
        problem:
            "expected an EC2 instance ARN, arn:<partition>:ec2:<region>:<account>:instance/i-…"
                .to_owned(),
    })
}

/// A tag change: a running instance's alarms are reconciled at once, from
/// EC2's current tags and state, never the event's.
async fn handle_tag_change(
    app: &App,
    event: &Value,
    place: &Place,
) -> Result<Report, HandlerError> {
    let event = parse_event::<TagChange>(event)?;
    let change = &event.detail;
    if change.service != "ec2" || change.resource_type != "instance" {
        let reason = SkipReason::NotAnInstance {
            service: change.service.clone(),
            resource_type: change.resource_type.clone(),
        };
        info!(event_id = %event.id, code = reason.code(), %reason, "skipped");
        return Ok(Report::Skipped { reason });
    }
    let instance_id = tagged_instance(&event.resources)?;
    if !decide::tag_change_matters(&app.config, &change.changed_tag_keys) {
        let reason = SkipReason::TagsNotUsed {
            instance_id,
            keys: change.changed_tag_keys.clone(),
        };
        info!(event_id = %event.id, code = reason.code(), %reason, "skipped");
        return Ok(Report::Skipped { reason });
    }
    app.guard
        .once(&event.id, async || {
            let (ec2, cloudwatch) = app.clients(place).await?;
            let lookup = act::describe_instance(&ec2, &instance_id).await?;
            let assessment = match decide::assess_tag_change(&app.config, &instance_id, &lookup)
                .inspect_err(|error| {
                    warn!(event_id = %event.id, %instance_id, %error, "undecided; failing for a retry");
                })? {
                Ok(assessment) => assessment,
                Err(reason) => {
                    info!(event_id = %event.id, %instance_id, code = reason.code(), %reason, "skipped");
                    return Ok(Report::Skipped { reason });
                }
            };
            let plan = plan_with_series(app, &cloudwatch, assessment).await?;
            apply(app, &event.id, &cloudwatch, plan, place, "tag change").await
        })
        .await
}

/// The plan of an assessed instance, with its published series read
/// (`ListMetrics`, filtered by its id) when its alarms discover dimensions.
async fn plan_with_series(
    app: &App,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    assessment: Assessment,
) -> Result<Plan, HandlerError> {
    let (instance, reason) = match assessment {
        Assessment::Done(plan) => return Ok(plan),
        Assessment::Alarms { instance, reason } => (instance, reason),
    };
    let mut series = SeriesIndex::default();
    for key in decide::discovered_metrics(&app.config) {
        for found in act::list_series(cloudwatch, &key, Some(&instance.instance_id)).await? {
            series.insert(key.clone(), found);
        }
    }
    Ok(decide::plan_alarms(
        &app.config,
        &instance,
        reason,
        &series,
    )?)
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
            let assessment = decide::assess_running(&app.config, &instance_id, &lookup, event_age)
                .inspect_err(|error| {
                    warn!(event_id = %event.id, %instance_id, %error, "undecided; failing for a retry");
                })?;
            plan_with_series(app, &cloudwatch, assessment).await?
        }
    };
    apply(
        app,
        &event.id,
        &cloudwatch,
        plan,
        place,
        change.state.name(),
    )
    .await
}

/// Logs the plan, applies it, and reports what changed.
async fn apply(
    app: &App,
    event_id: &str,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    plan: Plan,
    place: &Place,
    trigger: &str,
) -> Result<Report, HandlerError> {
    for warning in &plan.warnings {
        warn!(%event_id, instance_id = %plan.instance_id, %warning, "configuration warning");
    }
    let reason = plan.reason.describe();
    let alarm_names: Vec<&str> = plan
        .alarms
        .iter()
        .map(|alarm| alarm.name.as_str())
        .collect();
    info!(
        %event_id,
        instance_id = %plan.instance_id,
        account = %place.account_id,
        region = %place.region,
        %trigger,
        %reason,
        alarms = ?alarm_names,
        "decided"
    );
    if !plan.deferred.is_empty() {
        info!(
            %event_id,
            instance_id = %plan.instance_id,
            deferred = ?plan.deferred,
            "no published series yet for these alarms; the next sweep makes them"
        );
    }
    let prefix = decide::instance_alarm_prefix(&app.config, &plan.instance_id);
    let mut outcome =
        act::apply_plan(cloudwatch, &plan, &prefix, &app.config.propagate_tag_keys).await?;
    outcome.deferred = plan.deferred.clone();
    info!(
        %event_id,
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
