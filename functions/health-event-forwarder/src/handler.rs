//! One invocation: parse, decide, publish, report.

use serde::Serialize;
use serde_json::Value;
use tracing::info;

use watchkeeper_shared::Severity;
use watchkeeper_shared::account::AccountNames;
use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::events::health::{
    ABUSE_EVENT_DETAIL_TYPE, EVENT_DETAIL_TYPE, HealthEvent, HealthEventDetail, SOURCE,
};
use watchkeeper_shared::events::parse_event;
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Guard, Handled, Run};
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::reach::{Place, Reach};
use watchkeeper_shared::skip::{Placement, ReasonCode, Route};

use crate::config::Config;
use crate::decide::{self, Decision, SkipReason};
use crate::message;

/// Health events, from this account: Health delivers an account's events
/// to that account's bus (in the organizational view, the management or
/// delegated administrator account's, naming the member in
/// `affectedAccount`); events of global services arrive in us-east-1, so
/// only the account must match.
pub const ROUTE: Route = Route {
    accepts: &[
        (SOURCE, EVENT_DETAIL_TYPE),
        (SOURCE, ABUSE_EVENT_DETAIL_TYPE),
    ],
    handled: "an AWS Health event",
    scope: Scope::Account,
};

/// Clients and configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    /// The account and region this function runs in.
    pub home: Home,
    /// Hub mode: which member accounts' Health events are reported.
    pub reach: Reach,
    /// Hub mode: the accounts' aliases, for the notices.
    pub accounts: AccountNames,
    pub publisher: Publisher,
    /// Each Health update is notified once.
    pub guard: Guard,
}

impl App {
    pub fn from_env(sdk: &aws_config::SdkConfig, mut env: EnvReader) -> Result<Self, ConfigError> {
        let guard = Guard::from_env(&mut env, sdk, NAME);
        let home = Home::from_env(&mut env);
        let reach = Reach::from_env(&mut env, sdk, home.clone());
        let config = Config::from_env(env)?;
        let publisher = Publisher::new(aws_sdk_sns::Client::new(sdk), config.topics.clone());
        Ok(Self {
            config,
            home,
            reach,
            accounts: AccountNames::new(sdk),
            publisher,
            guard,
        })
    }
}

/// The function's name, which scopes its idempotency keys.
pub const NAME: &str = "health-event-forwarder";

/// Why an invocation failed: the event, SNS or the idempotency table.
pub type HandlerError = watchkeeper_shared::function::HandlerError;

/// What the invocation did, returned to Lambda and shown by `make invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Report {
    /// Not a Health event, or one of another account.
    Skipped {
        #[serde(flatten)]
        reason: SkipReason,
    },
    /// A Health event a filter setting drops.
    Filtered {
        event_arn: String,
        severity: Severity,
        #[serde(flatten)]
        rule: SkipReason,
    },
    Notified {
        event_arn: String,
        severity: Severity,
        topic_arn: String,
        subject: String,
        message_id: String,
        /// The region of AWS Health's backup copy, when that copy was the
        /// first to arrive.
        #[serde(skip_serializing_if = "Option::is_none")]
        backup_region: Option<String>,
    },
    /// This update was notified already; nothing was sent again.
    Duplicate {
        event_arn: String,
        #[serde(flatten)]
        handled: Handled,
    },
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    // In hub mode, a member account's events (forwarded by its spoke) are
    // reported too; Health needs no call in that account.
    let place = match ROUTE.place(event, &app.reach)? {
        Placement::Placed(_, place) => place,
        Placement::Skipped(routing) => {
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(routing),
            });
        }
    };
    let parsed = parse_event::<HealthEventDetail>(event)?;
    let backup_region = decide::backup_region(&parsed, event)?;
    // The same key for the primary and the backup copy of one update.
    let key = decide::idempotency_key(&parsed);
    let run = app
        .guard
        .run(&key, async || {
            notify(app, event, &parsed, &place, backup_region.as_deref()).await
        })
        .await?;
    match run {
        Run::Ran(report) => Ok(report),
        Run::Duplicate(handled) => {
            if let Some(region) = &backup_region {
                info!(event_id = %parsed.id, event_arn = %parsed.detail.event_arn, backup_region = %region, "backup copy of an update already notified");
            }
            Ok(Report::Duplicate {
                event_arn: parsed.detail.event_arn.clone(),
                handled,
            })
        }
    }
}

async fn notify(
    app: &App,
    event: &Value,
    parsed: &HealthEvent,
    place: &Place,
    backup_region: Option<&str>,
) -> Result<Report, HandlerError> {
    let detail = &parsed.detail;
    let (_, severity_reason) = decide::severity(parsed, &app.config);
    let (severity, notification) = match decide::decide(parsed, event, &app.config) {
        Decision::Drop { severity, rule } => {
            info!(
                event_id = %parsed.id,
                event_arn = %detail.event_arn,
                event_type_code = %detail.event_type_code,
                %severity,
                code = rule.code(),
                %rule,
                "filtered out"
            );
            return Ok(Report::Filtered {
                event_arn: detail.event_arn.clone(),
                severity,
                rule,
            });
        }
        Decision::Notify {
            severity,
            notification,
        } => (severity, notification),
    };
    let notification = match backup_region {
        Some(region) => message::via_backup_region(*notification, region),
        None => *notification,
    };
    // In hub mode the account is named by alias too, when the event is
    // about the account that sent it (not an organizational view's other
    // account, whose alias the spoke role cannot read).
    let affected = parsed.affected_account();
    let about_sender = affected.is_empty() || affected == place.account_id;
    let notification = match app
        .accounts
        .in_hub_mode(&app.reach, place, &parsed.id)
        .await
    {
        Some(account) if about_sender => notification.set_fact("Account", account),
        _ => notification,
    };
    let rendered = notification.render();
    let topic_arn = app.config.topics.for_severity(severity).to_owned();
    info!(
        event_id = %parsed.id,
        event_arn = %detail.event_arn,
        event_type_code = %detail.event_type_code,
        category = %detail.event_type_category,
        region = parsed.impacted_region().unwrap_or("not stated"),
        backup_region = backup_region.unwrap_or(""),
        affected_account = parsed.affected_account(),
        entities = detail.affected_entities.len(),
        %severity,
        %severity_reason,
        %topic_arn,
        "decided"
    );
    let message_id = app
        .publisher
        .publish_rendered(&topic_arn, &rendered)
        .await?;
    info!(event_id = %parsed.id, event_arn = %detail.event_arn, %message_id, "published");
    Ok(Report::Notified {
        event_arn: detail.event_arn.clone(),
        severity,
        topic_arn,
        subject: rendered.subject,
        message_id,
        backup_region: backup_region.map(str::to_owned),
    })
}
