//! One invocation: read the trigger, decide per cluster, act, report.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{error, info, warn};

use watchkeeper_shared::config::EnvReader;
use watchkeeper_shared::events::cloudwatch_alarm::{
    self, AlarmStateChange, AlarmStateChangeDetail, SnsAlarmMessage,
};
use watchkeeper_shared::events::{
    EventError, EventRouting, describe_payload, deserialize_value, parse_event,
};
use watchkeeper_shared::home::{Home, Scope};
use watchkeeper_shared::idempotency::{Begin, Guard, Handled};
use watchkeeper_shared::notification::RenderedMessage;
use watchkeeper_shared::publisher::Publisher;
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};
use watchkeeper_shared::skip::{ReasonCode, Routing};

use crate::act::{self, ActError};
use crate::config::Config;
use crate::decide::{
    self, Action, AlarmSkip, AlarmStep, Eligibility, IdleEvidence, Idleness, MalformedClusterId,
    SkipReason, Window,
};
use crate::message::{self, Facts, SparedFacts};
use crate::outcome::ClusterOutcome;
use crate::words::count;

pub const SCHEDULE_SOURCE: &str = "aws.events";
pub const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

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
            publisher: Publisher::new(aws_sdk_sns::Client::new(sdk), config.topics.clone()),
            config,
            guard,
        })
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
}

impl InvocationError for HandlerError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadEvent(_) | Self::BadClusterId(_) => ErrorKind::BadEvent,
            Self::Aws(ActError::Idempotency(error)) => error.kind(),
            Self::Aws(ActError::Publish(error)) => error.kind(),
            Self::Aws(_) | Self::ClustersFailed { .. } => ErrorKind::AwsError,
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

/// What triggered the invocation.
#[derive(Debug, Clone, PartialEq)]
enum Trigger {
    Alarms(Vec<Alarm>),
    /// The schedule's event, from the account and region in its envelope.
    Sweep(EventRouting),
    Irrelevant(Routing),
}

/// One alarm delivery: its idempotency key, the change, and the account and
/// region the alarm belongs to.
#[derive(Debug, Clone, PartialEq)]
struct Alarm {
    delivery: String,
    change: AlarmStateChange,
    account: String,
    region: String,
}

/// The parts of Lambda's SNS event this function reads.
#[derive(Debug, Deserialize)]
struct SnsEvent {
    #[serde(rename = "Records")]
    records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsBody,
}

#[derive(Debug, Deserialize)]
struct SnsBody {
    #[serde(rename = "MessageId", default)]
    message_id: String,
    #[serde(rename = "TopicArn", default)]
    topic_arn: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The region in an ARN (`arn:<partition>:<service>:<region>:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|region| !region.is_empty())
}

/// Whether Lambda's `Records` wrapper carries SNS notifications: this
/// function's SNS subscription. Other services' records are refused.
fn is_sns_records(event: &Value) -> bool {
    event["Records"]
        .as_array()
        .and_then(|records| records.first())
        .is_some_and(|record| record.get("Sns").is_some())
}

fn read_trigger(event: &Value) -> Result<Trigger, EventError> {
    if event.get("Records").is_some() {
        if !is_sns_records(event) {
            return Err(EventError::NotAnEvent {
                received: describe_payload(event),
            });
        }
        let sns: SnsEvent = deserialize_value(event)?;
        let mut alarms = Vec::new();
        for (index, record) in sns.records.iter().enumerate() {
            let field = |problem: String| EventError::Field {
                path: format!("Records[{index}].Sns.Message"),
                problem,
            };
            let message: Value = serde_json::from_str(&record.sns.message)
                .map_err(|error| field(format!("not CloudWatch alarm JSON: {error}")))?;
            let alarm: SnsAlarmMessage = deserialize_value(&message).map_err(|error| {
                field(match error {
                    EventError::Field { path, problem } => format!("`{path}`: {problem}"),
                    other => other.to_string(),
                })
            })?;
            if record.sns.message_id.trim().is_empty() {
                return Err(EventError::Field {
                    path: format!("Records[{index}].Sns.MessageId"),
                    problem: "missing or empty".to_owned(),
                });
            }
            // The alarm's account is in the message; its region in its ARN,
            // or else in the topic's: CloudWatch notifies only topics of the
            // alarm's own region.
            let account = alarm.aws_account_id.clone().ok_or_else(|| {
                field(
                    "`AWSAccountId` is missing: cannot tell which account the alarm is in"
                        .to_owned(),
                )
            })?;
            let region = alarm
                .alarm_arn
                .as_deref()
                .and_then(arn_region)
                .or_else(|| arn_region(&record.sns.topic_arn))
                .map(str::to_owned)
                .ok_or_else(|| {
                    field(
                        "neither `AlarmArn` nor the record's `TopicArn` names a region".to_owned(),
                    )
                })?;
            alarms.push(Alarm {
                delivery: format!("sns:{}", record.sns.message_id.trim()),
                change: AlarmStateChange::from(alarm),
                account,
                region,
            });
        }
        return Ok(Trigger::Alarms(alarms));
    }
    let routing = EventRouting::read(event)?;
    if routing.matches(
        cloudwatch_alarm::SOURCE,
        cloudwatch_alarm::STATE_CHANGE_DETAIL_TYPE,
    ) {
        let event = parse_event::<AlarmStateChangeDetail>(event)?;
        return Ok(Trigger::Alarms(vec![Alarm {
            delivery: format!("event:{}", event.id),
            change: event.detail.into(),
            account: routing.account,
            region: routing.region,
        }]));
    }
    if routing.matches(SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE) {
        return Ok(Trigger::Sweep(routing));
    }
    Ok(Trigger::Irrelevant(Routing::not_handled(
        "an idle alarm or a scheduled sweep",
        &routing,
    )))
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
    match read_trigger(event)? {
        Trigger::Irrelevant(reason) => {
            info!(%event_id, code = reason.code(), %reason, "skipped");
            Ok(Report::Skipped {
                reason: SkipReason::Routing(reason),
            })
        }
        // Boxed: the SDK futures nest deeper than rustc's default layout limit.
        Trigger::Alarms(alarms) => Box::pin(handle_alarms(app, &alarms, now)).await,
        Trigger::Sweep(routing) => {
            // The sweep lists and terminates clusters of the function's
            // own account and region; a schedule of another is not its own.
            if let Some(elsewhere) = app.home.admit(&routing, Scope::AccountAndRegion)? {
                return Ok(Report::Skipped {
                    reason: SkipReason::Routing(Routing::Elsewhere(elsewhere)),
                });
            }
            Box::pin(sweep(app, &event_id, now)).await
        }
    }
}

async fn handle_alarms(app: &App, alarms: &[Alarm], now: i64) -> Result<Report, HandlerError> {
    // Every alarm is read before any cluster is touched.
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for Alarm {
        delivery,
        change,
        account,
        region,
    } in alarms
    {
        // A cluster is looked up and terminated in the function's own
        // account and region only.
        if let Some(elsewhere) = app
            .home
            .check_origin(account, region, Scope::AccountAndRegion)?
        {
            info!(alarm_name = %change.alarm_name, %account, %region, reason = %elsewhere, "skipped");
            skipped.push(AlarmSkip::Elsewhere(elsewhere));
            continue;
        }
        match decide::alarm_step(change)? {
            AlarmStep::Skip { reason } => {
                info!(alarm_name = %change.alarm_name, state = %change.new_state, %reason, "skipped");
                skipped.push(reason);
            }
            AlarmStep::CheckCluster { cluster_id } => {
                info!(alarm_name = %change.alarm_name, %cluster_id, "alarm says idle");
                // Idempotency key: the delivery (SNS MessageId, or the
                // EventBridge event id) and the cluster. SNS and EventBridge
                // keep the id on every retry and give each alarm state
                // change its own, so two deliveries with the same key are
                // the same alarm firing for the same cluster: one action and
                // one notice. The next firing, or another cluster, differs.
                candidates.push(Candidate {
                    key: format!("{delivery}|{cluster_id}"),
                    cluster_id,
                    evidence: IdleEvidence::from_alarm(change),
                });
            }
        }
    }
    if candidates.is_empty() {
        return Ok(Report::Skipped {
            reason: SkipReason::Alarms(skipped),
        });
    }
    check_candidates(app, candidates, Vec::new(), now).await
}

async fn sweep(app: &App, event_id: &str, now: i64) -> Result<Report, HandlerError> {
    let config = &app.config;
    let clusters = act::list_waiting_clusters(&app.emr).await?;
    let window = Window::ending_before(now, config);
    let ids: Vec<String> = clusters.iter().map(|cluster| cluster.id.clone()).collect();
    let datapoints = act::fetch_datapoints(&app.cloudwatch, &config.metric, &window, &ids).await?;
    let mut candidates = Vec::new();
    let mut results = Vec::new();
    for cluster in &clusters {
        let series = datapoints
            .get(&cluster.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let idleness = decide::judge_idleness(&config.metric, &window, series);
        let reason = idleness.describe(&config.metric);
        match idleness {
            Idleness::Idle { datapoints } => {
                info!(%event_id, cluster_id = %cluster.id, cluster_name = %cluster.name, %reason, "idle candidate");
                // Idempotency key: the sweep window and the cluster. Two
                // sweeps with the same window (a retried or repeated
                // schedule) read the same datapoints and decide the same
                // for this cluster: one action and one notice. The next
                // window is a new judgement on new data.
                candidates.push(Candidate {
                    key: format!("sweep:{}-{}|{}", window.start, window.end, cluster.id),
                    cluster_id: cluster.id.clone(),
                    evidence: IdleEvidence::Metric {
                        window_minutes: config.idle_window_minutes,
                        datapoints,
                        metric: config.metric.describe(),
                    },
                });
            }
            Idleness::Busy { .. } | Idleness::MissingData { .. } => {
                let outcome = if matches!(idleness, Idleness::Busy { .. }) {
                    ClusterOutcome::Busy
                } else {
                    ClusterOutcome::NoData
                };
                info!(%event_id, cluster_id = %cluster.id, cluster_name = %cluster.name, %outcome, %reason, "not idle");
                results.push(ClusterResult {
                    cluster_id: cluster.id.clone(),
                    outcome,
                    reason,
                    message_id: None,
                });
            }
        }
    }
    info!(
        %event_id,
        waiting = clusters.len(),
        idle_candidates = candidates.len(),
        window_start = %watchkeeper_shared::time::display_epoch(window.start),
        window_end = %watchkeeper_shared::time::display_epoch(window.end),
        "swept"
    );
    check_candidates(app, candidates, results, now).await
}

/// A cluster that may be idle, why, and the idempotency key for acting on
/// it: the alarm's delivery, or the sweep's window, with the cluster id.
struct Candidate {
    key: String,
    cluster_id: String,
    evidence: IdleEvidence,
}

/// Checks and acts on each candidate in turn; a failure on one is recorded
/// and the rest still run, then the invocation fails naming every failure.
async fn check_candidates(
    app: &App,
    candidates: Vec<Candidate>,
    mut results: Vec<ClusterResult>,
    now: i64,
) -> Result<Report, HandlerError> {
    let mut failures = Vec::new();
    let checked = candidates.len();
    for Candidate {
        key,
        cluster_id,
        evidence,
    } in candidates
    {
        match act_once(app, &key, &cluster_id, &evidence, now).await {
            Ok(result) => results.push(result),
            Err(failure) => {
                error!(%cluster_id, error = %failure, "cluster failed");
                failures.push(failure.to_string());
            }
        }
    }
    if failures.is_empty() {
        Ok(Report::Checked { clusters: results })
    } else {
        Err(HandlerError::ClustersFailed { checked, failures })
    }
}

/// What deciding on a cluster did, and the notice about it still to send.
/// Kept with the idempotency record when the notice fails after the action,
/// so that the retry sends it instead of re-checking a cluster that is
/// already terminating and staying silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Acted {
    result: ClusterResult,
    /// Sent to the topic for its severity as configured when it is sent,
    /// so a retry after a fixed topic setting reaches the fixed topic.
    notice: Option<RenderedMessage>,
}

/// Acts on a cluster and notifies about it at most once per key. A failed
/// action releases the lease, so a retry starts over; a failed notice
/// records the action as done with the notice pending, so a retry only
/// sends the notice.
async fn act_once(
    app: &App,
    key: &str,
    cluster_id: &str,
    evidence: &IdleEvidence,
    now: i64,
) -> Result<ClusterResult, ActError> {
    let guard = &app.guard;
    let acted = match guard.begin(key).await? {
        Begin::InProgressElsewhere { until } => {
            return Err(guard.in_progress_error(key, until).into());
        }
        Begin::AlreadyDone {
            completed_at,
            pending: None,
        } => {
            return Ok(duplicate(
                cluster_id,
                Handled::new(guard.stored_key(key), completed_at),
            ));
        }
        Begin::AlreadyDone {
            pending: Some(pending),
            ..
        } => {
            if !guard.resume(key).await? {
                let until = now.saturating_add(1);
                return Err(guard.in_progress_error(key, until).into());
            }
            let acted: Acted =
                serde_json::from_str(&pending).map_err(|error| ActError::PendingNotice {
                    key: guard.stored_key(key),
                    problem: error.to_string(),
                })?;
            info!(%cluster_id, idempotency_key = %key, outcome = %acted.result.outcome, "already acted; sending the pending notice");
            acted
        }
        Begin::Proceed => match decide_and_act(app, cluster_id, evidence, now).await {
            Ok(acted) => acted,
            Err(error) => {
                if let Err(release_error) = guard.abandon(key).await {
                    warn!(idempotency_key = %key, error = %release_error, "releasing the lease failed");
                }
                return Err(error);
            }
        },
    };
    match send_notice(app, acted.clone()).await {
        Ok(result) => {
            guard.complete(key).await?;
            Ok(result)
        }
        Err(error) => {
            let kept = match serde_json::to_string(&acted) {
                Ok(pending) => guard
                    .complete_with_pending(key, &pending)
                    .await
                    .map_err(|error| error.to_string()),
                Err(problem) => Err(problem.to_string()),
            };
            if let Err(problem) = kept {
                // The lease then lapses at the deadline, and a retry after
                // that checks the cluster again.
                warn!(%cluster_id, idempotency_key = %key, %problem, "keeping the pending notice failed");
            }
            Err(error)
        }
    }
}

async fn send_notice(app: &App, acted: Acted) -> Result<ClusterResult, ActError> {
    let Acted { result, notice } = acted;
    let Some(notice) = notice else {
        return Ok(result);
    };
    let topic_arn = app.publisher.topics().for_severity(notice.severity);
    let message_id = app.publisher.publish_rendered(topic_arn, &notice).await?;
    info!(cluster_id = %result.cluster_id, outcome = %result.outcome, %message_id, "notified");
    Ok(ClusterResult {
        message_id: Some(message_id),
        ..result
    })
}

fn duplicate(cluster_id: &str, handled: Handled) -> ClusterResult {
    info!(%cluster_id, idempotency_key = %handled.idempotency_key, handled_at = %handled.handled_at, "duplicate suppressed");
    ClusterResult {
        cluster_id: cluster_id.to_owned(),
        outcome: ClusterOutcome::Duplicate,
        reason: format!(
            "already handled at {} ({})",
            handled.handled_at, handled.idempotency_key
        ),
        message_id: None,
    }
}

/// Checks the guards, decides, and takes the action; the notice is
/// rendered but not sent.
async fn decide_and_act(
    app: &App,
    cluster_id: &str,
    evidence: &IdleEvidence,
    now: i64,
) -> Result<Acted, ActError> {
    let config = &app.config;
    let skipped = |reason: String| Acted {
        result: ClusterResult {
            cluster_id: cluster_id.to_owned(),
            outcome: ClusterOutcome::Skipped,
            reason,
            message_id: None,
        },
        notice: None,
    };
    let cluster = act::describe_cluster(&app.emr, cluster_id).await?;
    let guard = decide::check_guards(cluster.as_ref(), now, config);
    let (Some(cluster), false) = (cluster, matches!(guard, Eligibility::Skip(_))) else {
        let reason = match &guard {
            Eligibility::Skip(why) => why.describe(),
            _ => String::new(),
        };
        info!(%cluster_id, %reason, "skipped");
        return Ok(skipped(reason));
    };
    let stack = act::find_owning_stack(&app.cloudformation, cluster_id).await?;
    let Some(plan) = decide::plan_action(config, &guard, stack.as_ref()) else {
        return Ok(skipped("no action planned".to_owned()));
    };
    // The last guard, as late as possible: a step submitted since the
    // idleness was measured leaves the cluster WAITING for a while.
    let steps = act::list_unfinished_steps(&app.emr, cluster_id).await?;
    if let Some(queued) = decide::check_steps(&steps) {
        let reason = queued.describe();
        let outcome = ClusterOutcome::StepsQueued;
        info!(
            %cluster_id,
            cluster_name = %cluster.name,
            %outcome,
            unfinished_steps = queued.steps.len(),
            %reason,
            evidence = %evidence.describe(),
            "spared"
        );
        let notification = message::spared_notification(
            config,
            SparedFacts {
                cluster: &cluster,
                evidence,
                queued: &queued,
                region: &app.region,
            },
        );
        return Ok(Acted {
            result: ClusterResult {
                cluster_id: cluster_id.to_owned(),
                outcome,
                reason,
                message_id: None,
            },
            notice: Some(notification.render()),
        });
    }
    let outcome = ClusterOutcome::of_plan(&plan);
    info!(
        %cluster_id,
        cluster_name = %cluster.name,
        owning_stack = stack.as_ref().map(|stack| stack.stack_name.as_str()).unwrap_or("none"),
        %outcome,
        dry_run = plan.dry_run,
        note = plan.note.as_deref().unwrap_or(""),
        evidence = %evidence.describe(),
        "decided"
    );
    if !plan.dry_run {
        match &plan.action {
            Action::TerminateCluster => act::terminate_cluster(&app.emr, cluster_id).await?,
            Action::DeleteStack {
                stack_id,
                stack_name,
            } => act::delete_stack(&app.cloudformation, stack_id, stack_name).await?,
            Action::ReportProtected => {}
        }
    }
    let notification = message::notification(
        config,
        Facts {
            cluster: &cluster,
            evidence,
            stack: stack.as_ref(),
            plan: &plan,
            region: &app.region,
        },
    );
    Ok(Acted {
        result: ClusterResult {
            cluster_id: cluster_id.to_owned(),
            outcome,
            reason: evidence.describe(),
            message_id: None,
        },
        notice: Some(notification.render()),
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use watchkeeper_shared::events::cloudwatch_alarm::AlarmState;

    #[test]
    fn triggers_are_recognised() {
        let scheduled = json!({"id": "1", "source": "aws.events", "detail-type": "Scheduled Event", "account": "123456789012", "region": "eu-west-1", "detail": {}});
        let Trigger::Sweep(routing) = read_trigger(&scheduled).unwrap() else {
            panic!("a sweep");
        };
        assert_eq!(
            (routing.account.as_str(), routing.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        let other = json!({"id": "1", "source": "aws.ec2", "detail-type": "X", "detail": {}});
        let Trigger::Irrelevant(reason) = read_trigger(&other).unwrap() else {
            panic!("irrelevant");
        };
        assert_eq!(
            reason.to_string(),
            "not an idle alarm or a scheduled sweep (source \"aws.ec2\", detail-type \"X\")"
        );
        let sns = json!({"Records": [{"Sns": {"MessageId": "m-1", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t", "Message": "{\"AlarmName\":\"a\",\"NewStateValue\":\"OK\",\"AWSAccountId\":\"123456789012\"}"}}]});
        let Trigger::Alarms(alarms) = read_trigger(&sns).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(alarms[0].delivery, "sns:m-1");
        assert_eq!(alarms[0].change.new_state, AlarmState::Ok);
        // Without an AlarmArn, the region is the topic's.
        assert_eq!(
            (alarms[0].account.as_str(), alarms[0].region.as_str()),
            ("123456789012", "eu-west-1")
        );
    }

    #[test]
    fn an_alarm_is_placed_by_its_own_arn_and_account() {
        let sns = json!({"Records": [{"Sns": {"MessageId": "m-1", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t", "Message": "{\"AlarmName\":\"a\",\"NewStateValue\":\"ALARM\",\"AWSAccountId\":\"111122223333\",\"AlarmArn\":\"arn:aws:cloudwatch:us-east-1:111122223333:alarm:a\"}"}}]});
        let Trigger::Alarms(alarms) = read_trigger(&sns).unwrap() else {
            panic!("an alarm");
        };
        assert_eq!(
            (alarms[0].account.as_str(), alarms[0].region.as_str()),
            ("111122223333", "us-east-1")
        );
        let unplaced = json!({"Records": [{"Sns": {"MessageId": "m-1", "Message": "{\"AlarmName\":\"a\",\"NewStateValue\":\"ALARM\"}"}}]});
        assert_eq!(
            read_trigger(&unplaced).unwrap_err().to_string(),
            "event field `Records[0].Sns.Message` is malformed: `AWSAccountId` is missing: cannot tell which account the alarm is in"
        );
    }

    #[test]
    fn records_of_another_service_are_refused_naming_them() {
        let codecommit = json!({"Records": [{"eventSource": "aws:codecommit", "eventName": "ReferenceChanges"}]});
        assert_eq!(
            read_trigger(&codecommit).unwrap_err().to_string(),
            "not an EventBridge event: received 1 CodeCommit trigger record"
        );
    }

    #[test]
    fn malformed_sns_messages_name_the_record() {
        for (message, expected) in [
            (
                json!("not json"),
                "event field `Records[0].Sns.Message` is malformed: not CloudWatch alarm JSON: expected ident at line 1 column 2",
            ),
            (
                json!("{\"AlarmName\":\"a\"}"),
                "event field `Records[0].Sns.Message` is malformed: `.`: missing field `NewStateValue`",
            ),
            (
                json!(5),
                "event field `Records[0].Sns.Message` is malformed: invalid type: integer `5`, expected a string",
            ),
        ] {
            let event = json!({"Records": [{"Sns": {"Message": message}}]});
            assert_eq!(read_trigger(&event).unwrap_err().to_string(), expected);
        }
    }
}
