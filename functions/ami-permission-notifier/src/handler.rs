//! One invocation: parse, decide, word, publish, report.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use tracing::{info, warn};

use watchkeeper_shared::Severity;
use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::events::cloudtrail::{API_CALL_DETAIL_TYPE, ApiCall};
use watchkeeper_shared::events::ec2::SOURCE as EC2_SOURCE;
use watchkeeper_shared::events::{EventBridgeEvent, parse_event};
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Guard, Handled, NoticeOrigin, Run};
use watchkeeper_shared::notification::RenderedMessage;
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::reach::{Place, Reach};
use watchkeeper_shared::skip::{Placement, ReasonCode, Route};

use crate::act::{self, RemediationError};
use crate::config::Config;
use crate::decide::{self, Alert, Decision, RemediationOutcome, RemediationPlan, SkipReason};
use crate::input::{self, Input, Request};
use crate::message;
use crate::message::AccountLabel;
use watchkeeper_shared::account::AccountNames;

/// The events this function takes, and from where.
pub const ROUTE: Route = Route {
    accepts: &[(EC2_SOURCE, API_CALL_DETAIL_TYPE)],
    handled: "an EC2 CloudTrail API call event",
    scope: Scope::Account,
};

/// Clients and configuration, built once per cold start.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    /// The account and region this function runs in.
    pub home: Home,
    pub publisher: Publisher,
    /// Hub mode: which member accounts are reported on.
    pub reach: Reach,
    /// The accounts' aliases: the function's own, and (hub mode) each
    /// member's through its spoke role, read once per warm function.
    pub accounts: AccountNames,
    /// Each EventBridge event is notified (and remediated) once.
    pub guard: Guard,
    /// With `REMEDIATE_PUBLIC_SHARING` on: makes a public image or snapshot
    /// private again, in this function's own account.
    pub ec2: aws_sdk_ec2::Client,
}

/// The function's name, which scopes its idempotency keys.
pub const NAME: &str = "ami-permission-notifier";

impl App {
    pub fn from_env(sdk: &aws_config::SdkConfig, mut env: EnvReader) -> Result<Self, ConfigError> {
        let guard = Guard::from_env(&mut env, sdk, NAME);
        let home = Home::from_env(&mut env);
        let reach = Reach::from_env(&mut env, sdk, home.clone());
        Ok(Self {
            reach,
            ..Self::new(Config::from_env(env)?, home, guard, sdk, sdk)
        })
    }

    /// `iam_sdk` may differ from `sdk`, so tests can make only IAM fail.
    pub fn new(
        config: Config,
        home: Home,
        guard: Guard,
        sdk: &aws_config::SdkConfig,
        iam_sdk: &aws_config::SdkConfig,
    ) -> Self {
        Self {
            publisher: Publisher::new(aws_sdk_sns::Client::new(sdk), config.topics.clone()),
            accounts: AccountNames::new(iam_sdk),
            reach: Reach::new(sdk.clone(), home.clone(), None),
            ec2: aws_sdk_ec2::Client::new(sdk),
            config,
            home,
            guard,
        }
    }
}

/// Why an invocation failed: the event, SNS, the idempotency table, or a
/// remediation call that a retry may fix.
pub type HandlerError = watchkeeper_shared::function::HandlerError<RemediationError>;

/// What the invocation did, returned to Lambda and shown by `make invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Report {
    Skipped {
        #[serde(flatten)]
        reason: SkipReason,
    },
    Notified {
        severity: Severity,
        subject: String,
        topic_arn: String,
        message_id: String,
        /// With `REMEDIATE_PUBLIC_SHARING` on, for a resource made public:
        /// what was done about it.
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        remediation: Option<RemediationOutcome>,
    },
    /// This event was handled already; nothing was sent again.
    Duplicate {
        #[serde(flatten)]
        handled: Handled,
    },
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    // The alias is the function's own account's, and only it is looked up;
    // an event another account forwarded here is not labelled with it.
    // The region does not matter: the alert names the event's region.
    let place = match ROUTE.place(event, &app.reach)? {
        Placement::Placed(_, place) => place,
        Placement::Skipped(routing) => {
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(routing),
            });
        }
    };
    let call = parse_event::<ApiCall>(event)?;
    let permission_event = match input::read(&call)? {
        Input::Watched(permission_event) => permission_event,
        Input::NotWatched { reason } => {
            info!(event_id = %call.id, event_name = %call.detail.event_name, code = reason.code(), %reason, "skipped");
            return Ok(Report::Skipped { reason });
        }
    };
    let resource = match &permission_event.request {
        Request::BlockPublicAccess { kind, .. } => {
            format!("block public access for {}", kind.plural())
        }
        Request::Permissions { resource, .. } | Request::OtherAttribute { resource, .. } => {
            resource.id.clone()
        }
    };
    let cloudtrail_event_id = permission_event
        .cloudtrail_event_id
        .clone()
        .unwrap_or_default();
    let alert = match decide::decide(&app.config, &permission_event) {
        Decision::Skip { reason } => {
            info!(
                event_id = %call.id,
                %cloudtrail_event_id,
                event_name = %permission_event.event_name,
                %resource,
                code = reason.code(),
                %reason,
                "skipped"
            );
            return Ok(Report::Skipped { reason });
        }
        Decision::Notify(alert) => alert,
    };
    info!(
        event_id = %call.id,
        %cloudtrail_event_id,
        event_name = %permission_event.event_name,
        %resource,
        severity = %alert.severity,
        reason = %alert.reason,
        changes = alert.changes.len(),
        "decided"
    );
    // Idempotency key: the EventBridge event id. EventBridge gives each
    // CloudTrail record it delivers one id and keeps it on every retry, so
    // two deliveries with the same id are the same API call (one resource,
    // one caller, one change): the same alert. Two different calls, even
    // on the same image by the same caller a second later, are two
    // records with two ids, and alert twice. The undo, when there is one,
    // and the notice about it go through "act, then keep the pending
    // notice": a retry after a failed notice sends it without acting again.
    let run = app
        .guard
        .act_then_notify(
            &call.id,
            async || prepare(app, event, &call, &permission_event, &alert, &place).await,
            async |pending: Pending, origin| {
                if origin == NoticeOrigin::Pending {
                    info!(event_id = %call.id, %resource, "already handled; sending the pending notice");
                }
                send(app, &call.id, &resource, pending).await
            },
        )
        .await?;
    Ok(match run {
        Run::Ran(report) => report,
        Run::Duplicate(handled) => {
            info!(event_id = %call.id, idempotency_key = %handled.idempotency_key, handled_at = %handled.handled_at, "duplicate suppressed");
            Report::Duplicate { handled }
        }
    })
}

/// The notice still to send, and what was done before it: kept with the
/// idempotency record when publishing fails, so that the retry sends it
/// without remediating again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    remediation: Option<RemediationOutcome>,
    notice: RenderedMessage,
}

/// Remediates when the plan says so, then words the notice (not sent yet).
async fn prepare(
    app: &App,
    event: &Value,
    call: &EventBridgeEvent<ApiCall>,
    permission_event: &input::PermissionEvent,
    alert: &Alert,
    place: &Place,
) -> Result<Pending, HandlerError> {
    let member = place.member.then_some(place.account_id.as_str());
    let remediation = match decide::remediation_plan(&app.config, permission_event, alert, member) {
        None => None,
        Some(RemediationPlan::Skip(outcome)) => Some(outcome),
        Some(RemediationPlan::Undo(resource)) => {
            let outcome = act::remove_public_permission(&app.ec2, &resource)
                .await
                .map_err(HandlerError::Own)?;
            Some(outcome)
        }
    };
    if let Some(outcome) = &remediation {
        match outcome {
            RemediationOutcome::Denied {
                call: refused,
                error_code,
                ..
            } => {
                warn!(event_id = %call.id, outcome = outcome.code(), call = %refused, %error_code, "remediation denied");
            }
            _ => info!(event_id = %call.id, outcome = outcome.code(), "remediation"),
        }
    }
    let account = account_label(app, &call.id, permission_event, place).await;
    let notification = message::notification_with(
        permission_event,
        alert,
        &account,
        remediation.as_ref(),
        event.clone(),
    );
    Ok(Pending {
        remediation,
        notice: notification.render(),
    })
}

async fn send(
    app: &App,
    event_id: &str,
    resource: &str,
    pending: Pending,
) -> Result<Report, HandlerError> {
    let Pending {
        remediation,
        notice,
    } = pending;
    let topic_arn = app
        .publisher
        .topics()
        .for_severity(notice.severity)
        .to_owned();
    let message_id = app.publisher.publish_rendered(&topic_arn, &notice).await?;
    info!(
        %event_id,
        %resource,
        severity = %notice.severity,
        %topic_arn,
        %message_id,
        "notified"
    );
    Ok(Report::Notified {
        severity: notice.severity,
        subject: notice.subject,
        topic_arn,
        message_id,
        remediation,
    })
}

impl watchkeeper_shared::function::FromHandled for Report {
    fn duplicate(handled: Handled) -> Self {
        Self::Duplicate { handled }
    }
}

/// How the notification names the account: by its alias (looked up in the
/// function's own account, or in hub mode in the member account through
/// its spoke role; a failed lookup names it by id, the alert goes out
/// regardless) and by the id the event gives. A resource of an account
/// other than the one that sent the event is named by its id alone: its
/// alias cannot be read.
async fn account_label(
    app: &App,
    event_id: &str,
    permission_event: &input::PermissionEvent,
    place: &Place,
) -> AccountLabel {
    let named = permission_event.account_id.as_deref();
    if !place.member && named.is_some_and(|id| id != place.account_id) {
        return AccountLabel {
            alias: None,
            id: named.map(str::to_owned),
        };
    }
    let label = app.accounts.label(&app.reach, place, event_id).await;
    if place.member {
        label
    } else {
        AccountLabel {
            id: named.map(str::to_owned),
            ..label
        }
    }
}
