//! One invocation: parse, decide, look up, notify, report.

use serde::Serialize;
use serde_json::Value;
use tracing::info;

use watchkeeper_shared::Severity;
use watchkeeper_shared::account::AccountNames;
use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::events::codecommit::{
    RepositoryStateChange, SOURCE, STATE_CHANGE_DETAIL_TYPE, StateChangeKind,
};
use watchkeeper_shared::events::{EventBridgeEvent, parse_event};
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Guard, Handled};
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::reach::{Clients, Place, Reach, ReachError};
use watchkeeper_shared::skip::{Placement, ReasonCode, Route};

use crate::act::{self, ActError};
use crate::config::Config;
use crate::decide::{self, Plan, SkipReason};
use crate::message;
use crate::walk::HistoryWalk;

/// The events this function takes, and from where.
pub const ROUTE: Route = Route {
    accepts: &[(SOURCE, STATE_CHANGE_DETAIL_TYPE)],
    handled: "a CodeCommit repository state-change event",
    scope: Scope::AccountAndRegion,
};

/// Clients and configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    /// The account and region this function runs in.
    pub home: Home,
    /// Its home's CodeCommit client.
    pub codecommit: aws_sdk_codecommit::Client,
    /// Hub mode: where an event is read (its member account and region,
    /// through the spoke role), with that place's client made once.
    pub reach: Reach,
    pub elsewhere: Clients<aws_sdk_codecommit::Client>,
    /// CodeCommit's endpoint when it is not AWS's (the test bed's local
    /// CodeCommit), for the clients of other places too.
    pub codecommit_endpoint: Option<String>,
    /// Hub mode: the accounts' aliases, for the notices.
    pub accounts: AccountNames,
    pub publisher: Publisher,
    /// Each EventBridge event is published once.
    pub guard: Guard,
}

/// The function's name, which scopes its idempotency keys.
pub const NAME: &str = "codecommit-change-publisher";

impl App {
    pub fn from_env(
        sdk: &aws_config::SdkConfig,
        env: EnvReader,
    ) -> Result<Self, watchkeeper_shared::config::ConfigError> {
        Self::from_env_with_codecommit(sdk, sdk, env)
    }

    /// Like [`Self::from_env`], with CodeCommit reached through its own
    /// SDK configuration (the test bed's local CodeCommit).
    pub fn from_env_with_codecommit(
        sdk: &aws_config::SdkConfig,
        codecommit_sdk: &aws_config::SdkConfig,
        mut env: EnvReader,
    ) -> Result<Self, watchkeeper_shared::config::ConfigError> {
        let guard = Guard::from_env(&mut env, sdk, NAME);
        let home = Home::from_env(&mut env);
        let reach = Reach::from_env(&mut env, sdk, home.clone());
        let config = Config::from_env(env)?;
        Ok(Self {
            publisher: Publisher::new(aws_sdk_sns::Client::new(sdk), config.topics.clone()),
            codecommit: aws_sdk_codecommit::Client::new(codecommit_sdk),
            reach,
            elsewhere: Clients::default(),
            codecommit_endpoint: codecommit_sdk.endpoint_url().map(str::to_owned),
            accounts: AccountNames::new(sdk),
            config,
            home,
            guard,
        })
    }

    /// The CodeCommit client for `place`: the home one, or the member
    /// account's through its spoke role.
    async fn codecommit(&self, place: &Place) -> Result<aws_sdk_codecommit::Client, ReachError> {
        if !place.member && place.region == self.home.region {
            return Ok(self.codecommit.clone());
        }
        let endpoint = self.codecommit_endpoint.clone();
        self.elsewhere
            .get(&self.reach, place, move |sdk| {
                let mut config = aws_sdk_codecommit::config::Builder::from(sdk);
                if let Some(endpoint) = endpoint {
                    config = config.endpoint_url(endpoint);
                }
                aws_sdk_codecommit::Client::from_conf(config.build())
            })
            .await
    }
}

/// Why an invocation failed: the event, CodeCommit, SNS or the idempotency table.
pub type HandlerError = watchkeeper_shared::function::HandlerError<ActError>;

/// What the invocation did, returned to Lambda and shown by `make invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Report {
    Skipped {
        #[serde(flatten)]
        reason: SkipReason,
    },
    Published {
        repository: String,
        reference: String,
        /// Commits the push brought (listed and counted).
        commits: usize,
        /// Warning for rewritten history, else info.
        severity: Severity,
        subject: String,
        message_id: String,
    },
    /// This event was handled already; nothing was sent again.
    Duplicate {
        #[serde(flatten)]
        handled: Handled,
    },
}

pub async fn handle(app: &App, event: &Value) -> Result<Report, HandlerError> {
    // The repository is read in the function's own account and region.
    let place = match ROUTE.place(event, &app.reach)? {
        Placement::Placed(_, place) => place,
        Placement::Skipped(routing) => {
            return Ok(Report::Skipped {
                reason: SkipReason::Routing(routing),
            });
        }
    };
    // Kinds other than reference events lack the reference fields: they
    // are skipped on their kind before the rest is read.
    let kind = parse_event::<StateChangeKind>(event)?;
    if let Some(reason) = decide::kind_skip_reason(&kind.detail.event) {
        info!(
            event_id = %kind.id,
            repository = kind.detail.repository_name.as_deref().unwrap_or_default(),
            event_kind = %kind.detail.event,
            code = reason.code(),
            %reason,
            "skipped"
        );
        return Ok(Report::Skipped { reason });
    }
    let event = parse_event::<RepositoryStateChange>(event)?;
    // Idempotency key: the EventBridge event id, which each reference
    // change gets once and keeps on every retry. Two deliveries with the
    // same id are the same push (one repository, reference, old and new
    // commit): the same alert. Two pushes, even of the same commits to two
    // branches, are two events with two ids, and alert twice.
    app.guard
        .once(&event.id, async || publish(app, &event, &place).await)
        .await
}

async fn publish(
    app: &App,
    event: &EventBridgeEvent<RepositoryStateChange>,
    place: &Place,
) -> Result<Report, HandlerError> {
    let change = &event.detail;
    let repository = change.repository_name.as_str();
    let plan = decide::plan(&app.config, change)?;
    info!(
        event_id = %event.id,
        repository,
        reference = %change.reference_name,
        reference_type = %change.reference_type,
        event_kind = %change.event,
        commit_id = change.commit_id.as_deref().unwrap_or_default(),
        old_commit_id = change.old_commit_id.as_deref().unwrap_or_default(),
        plan = ?plan,
        "decided"
    );
    let max_files = app.config.max_files_per_commit;
    let (notification, commits) = match plan {
        Plan::Skip { reason } => {
            info!(event_id = %event.id, repository, reference = %change.reference_name, code = reason.code(), %reason, "skipped");
            return Ok(Report::Skipped { reason });
        }
        Plan::Push {
            new_head,
            previous_head,
        } => {
            let walk = HistoryWalk::new(&new_head, &previous_head, app.config.max_commits);
            let codecommit = app.codecommit(place).await?;
            let (outcome, commits) = act::walk_push(&codecommit, repository, walk).await?;
            info!(
                event_id = %event.id,
                repository,
                listed = outcome.listed.len(),
                earlier = outcome.earlier,
                history = ?outcome.history,
                "walked"
            );
            let notification = message::push_notification(
                change,
                max_files,
                &new_head,
                &previous_head,
                &outcome,
                &commits,
            );
            (notification, outcome.total())
        }
        Plan::NewHead {
            change: head_change,
            head,
            previous_head,
        } => {
            let codecommit = app.codecommit(place).await?;
            let report = act::head_report(&codecommit, repository, &head).await?;
            let notification = message::new_head_notification(
                change,
                max_files,
                head_change,
                previous_head.as_deref(),
                &report,
            );
            (notification, 1)
        }
        Plan::Deleted { last_commit } => (message::deleted_notification(change, &last_commit), 0),
    };
    // In hub mode, every push names the account (id and alias) and region.
    let notification = match app.accounts.in_hub_mode(&app.reach, place, &event.id).await {
        Some(account) => notification
            .with_fact("Account", account)
            .with_fact("Region", &place.region),
        None => notification,
    };
    let subject = notification.render().subject;
    let message_id = app.publisher.publish(&notification).await?;
    info!(event_id = %event.id, repository, reference = %change.reference_name, %message_id, %subject, "published");
    Ok(Report::Published {
        repository: repository.to_owned(),
        reference: change.reference_name.clone(),
        commits,
        severity: notification.severity,
        subject,
        message_id,
    })
}

impl watchkeeper_shared::function::FromHandled for Report {
    fn duplicate(handled: Handled) -> Self {
        Self::Duplicate { handled }
    }
}
