//! One candidate cluster, at most once per idempotency key: check the
//! guards, decide, act, then send the notice, through the shared "act, then
//! keep the pending notice" protocol ([`Guard::act_then_notify`]).
//!
//! [`Guard::act_then_notify`]: watchkeeper_shared::idempotency::Guard::act_then_notify

use serde::{Deserialize, Serialize};
use tracing::{error, info};

use watchkeeper_shared::idempotency::{Handled, NoticeOrigin, Run};
use watchkeeper_shared::notification::{Notification, RenderedMessage};
use watchkeeper_shared::reach::Place;

use crate::act::{self, ActError};
use crate::decide::{self, Action, Eligibility, IdleEvidence};
use crate::handler::{App, ClusterResult, HandlerError, Report};
use crate::message::{self, Facts, SparedFacts};
use crate::outcome::ClusterOutcome;

/// A cluster that may be idle, why, and the idempotency key for acting on
/// it: the alarm's delivery, or the sweep's window, with the cluster id.
pub(crate) struct Candidate {
    pub(crate) key: String,
    /// Where the cluster is: the function's home, or a member account.
    pub(crate) place: Place,
    pub(crate) cluster_id: String,
    pub(crate) evidence: IdleEvidence,
}

/// Checks and acts on each candidate in turn; a failure on one is recorded
/// and the rest still run, then the invocation fails naming every failure.
pub(crate) async fn check_candidates(
    app: &App,
    candidates: Vec<Candidate>,
    mut results: Vec<ClusterResult>,
    now: i64,
) -> Result<Report, HandlerError> {
    let mut failures = Vec::new();
    let checked = candidates.len();
    for Candidate {
        key,
        place,
        cluster_id,
        evidence,
    } in candidates
    {
        match act_once(app, &key, &place, &cluster_id, &evidence, now).await {
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

/// Acts on a cluster and notifies about it at most once per key
/// ([`Guard::act_then_notify`](watchkeeper_shared::idempotency::Guard::act_then_notify)).
/// A failed action releases the lease, so a retry starts over; a failed
/// notice records the action as done with the notice pending, so a retry
/// only sends the notice.
async fn act_once(
    app: &App,
    key: &str,
    place: &Place,
    cluster_id: &str,
    evidence: &IdleEvidence,
    now: i64,
) -> Result<ClusterResult, ActError> {
    let run = app
        .guard
        .act_then_notify(
            key,
            async || decide_and_act(app, place, cluster_id, evidence, now).await,
            async |acted: Acted, origin| {
                if origin == NoticeOrigin::Pending {
                    info!(%cluster_id, idempotency_key = %key, outcome = %acted.result.outcome, "already acted; sending the pending notice");
                }
                send_notice(app, acted).await
            },
        )
        .await?;
    Ok(match run {
        Run::Ran(result) => result,
        Run::Duplicate(handled) => duplicate(cluster_id, handled),
    })
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
    place: &Place,
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
    let clients = app.clusters(place).await?;
    let cluster = act::describe_cluster(&clients.emr, cluster_id).await?;
    let guard = decide::check_guards(cluster.as_ref(), now, config);
    let (Some(cluster), false) = (cluster, matches!(guard, Eligibility::Skip(_))) else {
        let reason = match &guard {
            Eligibility::Skip(why) => why.describe(),
            _ => String::new(),
        };
        info!(%cluster_id, %reason, "skipped");
        return Ok(skipped(reason));
    };
    let stack = act::find_owning_stack(&clients.cloudformation, cluster_id).await?;
    let Some(plan) = decide::plan_action(config, &guard, stack.as_ref()) else {
        return Ok(skipped("no action planned".to_owned()));
    };
    // The last guard, as late as possible: a step submitted since the
    // idleness was measured leaves the cluster WAITING for a while.
    let steps = act::list_unfinished_steps(&clients.emr, cluster_id).await?;
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
                region: &place.region,
            },
        );
        let notification = with_account(app, notification, place, cluster_id).await;
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
            Action::TerminateCluster => act::terminate_cluster(&clients.emr, cluster_id).await?,
            Action::DeleteStack {
                stack_id,
                stack_name,
            } => act::delete_stack(&clients.cloudformation, stack_id, stack_name).await?,
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
            region: &place.region,
        },
    );
    let notification = with_account(app, notification, place, cluster_id).await;
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

/// In hub mode, every cluster's notice names the account (id and alias).
async fn with_account(
    app: &App,
    notification: Notification,
    place: &Place,
    cluster_id: &str,
) -> Notification {
    match app
        .accounts
        .in_hub_mode(&app.reach, place, cluster_id)
        .await
    {
        Some(account) => notification.with_fact("Account", account),
        None => notification,
    }
}
