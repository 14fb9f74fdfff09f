//! The sweep's step for EMR's own auto-termination policy
//! (`ATTACH_AUTO_TERMINATION_POLICY`): which listed clusters already have
//! one (left to EMR), which lack one and can take one (attached, or in dry
//! run reported), and which cannot (reported). Then one notice for the
//! whole sweep, listing every cluster it attached a policy to.
//!
//! Calls: one GetAutoTerminationPolicy per WAITING or RUNNING cluster
//! (EMR has no batch form, and neither ListClusters nor DescribeCluster
//! shows the policy); a DescribeCluster (release label, tags, state) only
//! for the clusters without one; a PutAutoTerminationPolicy only for those
//! that take one. A failure on one cluster is recorded and the others are
//! still handled; the invocation then fails naming it.

use serde::{Deserialize, Serialize};
use tracing::{error, info};

use watchkeeper_shared::idempotency::{NoticeOrigin, Run};
use watchkeeper_shared::notification::RenderedMessage;
use watchkeeper_shared::reach::Place;
use watchkeeper_shared::skip::ReasonCode;

use crate::act::{self, ActError, ClusterSummary};
use crate::decide::{self, PolicyLeave, PolicyPlan, Window};
use crate::handler::{App, ClusterResult};
use crate::message::{self, PolicyChange};
use crate::outcome::ClusterOutcome;

/// A cluster the sweep attaches a policy to (or would, in dry run).
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub(crate) place: Place,
    pub(crate) change: PolicyChange,
    pub(crate) idle_timeout_seconds: u32,
    pub(crate) dry_run: bool,
}

/// What the policy step found across the sweep's places.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    /// Clusters left alone for a reason worth reporting (managed by EMR,
    /// release too old).
    pub(crate) results: Vec<ClusterResult>,
    pub(crate) attachments: Vec<Attachment>,
    /// One line per cluster that failed, as the sweep's other failures.
    pub(crate) failures: Vec<String>,
    /// How many clusters the step looked at.
    pub(crate) surveyed: usize,
}

/// Looks at every listed cluster of one place; returns the ids of the
/// WAITING ones Watchkeeper's idle check still applies to.
pub(crate) async fn survey_place(
    app: &App,
    emr: &aws_sdk_emr::Client,
    place: &Place,
    clusters: &[ClusterSummary],
    survey: &mut Survey,
) -> Vec<String> {
    let config = &app.config;
    let mut idle_checked = Vec::new();
    for cluster in clusters {
        survey.surveyed += 1;
        let plan = match plan_cluster(app, emr, place, cluster).await {
            Ok((plan, change)) => {
                if let (
                    PolicyPlan::Attach {
                        idle_timeout_seconds,
                        dry_run,
                    },
                    Some(change),
                ) = (&plan, change)
                {
                    info!(account = %place.account_id, region = %place.region, cluster_id = %cluster.id, cluster_name = %cluster.name, idle_timeout_seconds, dry_run, "auto-termination policy to attach");
                    survey.attachments.push(Attachment {
                        place: place.clone(),
                        change,
                        idle_timeout_seconds: *idle_timeout_seconds,
                        dry_run: *dry_run,
                    });
                }
                plan
            }
            Err(failure) => {
                // Unknown whether EMR's policy governs it: left alone.
                error!(account = %place.account_id, region = %place.region, cluster_id = %cluster.id, error = %failure, "checking the auto-termination policy failed");
                survey.failures.push(at_place(app, place, &failure));
                continue;
            }
        };
        if let PolicyPlan::Leave(leave) = &plan {
            let code = leave.code();
            info!(account = %place.account_id, region = %place.region, cluster_id = %cluster.id, cluster_name = %cluster.name, code, reason = %leave, "no auto-termination policy attached");
            let outcome = match leave {
                PolicyLeave::ManagedByEmr(_) => Some(ClusterOutcome::ManagedByEmr),
                PolicyLeave::ReleaseUnsupported { .. } => Some(ClusterOutcome::PolicyUnsupported),
                // Only logged: the idle check reports a WAITING one itself.
                PolicyLeave::OptedOut { .. }
                | PolicyLeave::NotActive { .. }
                | PolicyLeave::NotFound => None,
            };
            if let Some(outcome) = outcome {
                survey.results.push(ClusterResult {
                    cluster_id: cluster.id.clone(),
                    outcome,
                    reason: leave.to_string(),
                    message_id: None,
                });
            }
        }
        if cluster.is_waiting() && decide::idle_check_applies(&plan, config) {
            idle_checked.push(cluster.id.clone());
        }
    }
    idle_checked
}

/// The failure as the sweep names it: with its account and region when the
/// cluster is not in the function's own.
fn at_place(app: &App, place: &Place, failure: &ActError) -> String {
    if place == &app.home_place() {
        failure.to_string()
    } else {
        format!(
            "account {} region {}: {failure}",
            place.account_id, place.region
        )
    }
}

/// GetAutoTerminationPolicy, then for a cluster without one DescribeCluster
/// and the pure decision.
async fn plan_cluster(
    app: &App,
    emr: &aws_sdk_emr::Client,
    place: &Place,
    cluster: &ClusterSummary,
) -> Result<(PolicyPlan, Option<PolicyChange>), ActError> {
    let existing = act::get_auto_termination_policy(emr, &cluster.id).await?;
    if let Some(managed) = decide::existing_policy_governs(existing) {
        return Ok((PolicyPlan::Leave(managed), None));
    }
    let facts = act::describe_cluster(emr, &cluster.id).await?;
    let plan = decide::plan_policy(facts.as_ref(), &app.config);
    let change = facts.map(|facts| PolicyChange {
        cluster_id: facts.id,
        name: facts.name,
        state: facts.state,
        release_label: facts.release_label,
        region: place.region.clone(),
        account: place.member.then(|| place.account_id.clone()),
    });
    Ok((plan, change))
}

/// What attaching did, and the notice still to send: kept with the
/// idempotency record when the notice fails after the policies were
/// attached, so that the retry sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Attached {
    results: Vec<ClusterResult>,
    /// The clusters whose PutAutoTerminationPolicy failed, reported by this
    /// attempt only.
    failures: Vec<String>,
    notice: Option<RenderedMessage>,
}

/// Attaches every planned policy (none in dry run) and sends one notice
/// listing the clusters changed, at most once per sweep window: the
/// idempotency key is the window, so a repeated or retried sweep of the
/// same window neither attaches nor notifies again (a cluster whose attach
/// failed is tried again by the next sweep), and a notice that failed after
/// the policies were attached is sent by the retry. Returns the results and
/// the failures.
pub(crate) async fn attach_all(
    app: &App,
    window: &Window,
    attachments: Vec<Attachment>,
) -> Result<(Vec<ClusterResult>, Vec<String>), ActError> {
    // With the option on, the key is consulted even with nothing to
    // attach: an earlier attempt of this window may have attached policies
    // and failed to send the notice, which is then still pending (and the
    // clusters, which have their policy now, are no longer planned).
    if !app.config.auto_termination.attach {
        return Ok((Vec::new(), Vec::new()));
    }
    let key = format!(
        "sweep:{}-{}|auto-termination-policy",
        window.start, window.end
    );
    let ids: Vec<String> = attachments
        .iter()
        .map(|attachment| attachment.change.cluster_id.clone())
        .collect();
    let run = app
        .guard
        .act_then_notify(
            &key,
            async || Ok::<_, ActError>(attach(app, &attachments).await),
            async |attached: Attached, origin| {
                if origin == NoticeOrigin::Pending {
                    info!(idempotency_key = %key, "policies attached already; sending the pending notice");
                }
                send(app, attached, origin).await
            },
        )
        .await?;
    Ok(match run {
        Run::Ran(done) => done,
        Run::Duplicate(handled) => {
            info!(idempotency_key = %handled.idempotency_key, handled_at = %handled.handled_at, "auto-termination policies handled already");
            let results = ids
                .into_iter()
                .map(|cluster_id| ClusterResult {
                    cluster_id,
                    outcome: ClusterOutcome::Duplicate,
                    reason: format!(
                        "auto-termination policy handled already at {} ({})",
                        handled.handled_at, handled.idempotency_key
                    ),
                    message_id: None,
                })
                .collect();
            (results, Vec::new())
        }
    })
}

async fn attach(app: &App, attachments: &[Attachment]) -> Attached {
    let mut results = Vec::new();
    let mut failures = Vec::new();
    let mut changed = Vec::new();
    let dry_run = attachments.iter().all(|attachment| attachment.dry_run);
    for attachment in attachments {
        let cluster_id = &attachment.change.cluster_id;
        if !attachment.dry_run {
            let attached = match app.clusters(&attachment.place).await {
                Ok(clients) => {
                    act::put_auto_termination_policy(
                        &clients.emr,
                        cluster_id,
                        attachment.idle_timeout_seconds,
                    )
                    .await
                }
                Err(error) => Err(ActError::Reach(error)),
            };
            if let Err(failure) = attached {
                error!(%cluster_id, error = %failure, "attaching the auto-termination policy failed");
                failures.push(at_place(app, &attachment.place, &failure));
                continue;
            }
            info!(%cluster_id, idle_timeout_seconds = attachment.idle_timeout_seconds, "auto-termination policy attached");
        }
        let outcome = if attachment.dry_run {
            ClusterOutcome::WouldAttachPolicy
        } else {
            ClusterOutcome::PolicyAttached
        };
        results.push(ClusterResult {
            cluster_id: cluster_id.clone(),
            outcome,
            reason: format!(
                "{} an auto-termination policy with an idle timeout of {} seconds",
                if attachment.dry_run {
                    "would attach"
                } else {
                    "attached"
                },
                attachment.idle_timeout_seconds
            ),
            message_id: None,
        });
        changed.push(attachment.change.clone());
    }
    let notice = (!changed.is_empty())
        .then(|| message::policy_notification(&app.config, &changed, dry_run).render());
    Attached {
        results,
        failures,
        notice,
    }
}

/// Sends the notice; its message id goes on the first cluster's result
/// only, so that the notice counts once in the business metrics.
async fn send(
    app: &App,
    attached: Attached,
    origin: NoticeOrigin,
) -> Result<(Vec<ClusterResult>, Vec<String>), ActError> {
    let Attached {
        mut results,
        failures,
        notice,
    } = attached;
    // A retry that only sends the pending notice reports no failures: the
    // attempt that had them reported them.
    let failures = if origin == NoticeOrigin::Pending {
        Vec::new()
    } else {
        failures
    };
    let Some(notice) = notice else {
        return Ok((results, failures));
    };
    let topic_arn = app.publisher.topics().for_severity(notice.severity);
    let message_id = app.publisher.publish_rendered(topic_arn, &notice).await?;
    info!(clusters = results.len(), %message_id, "notified of the auto-termination policies");
    if let Some(first) = results.first_mut() {
        first.message_id = Some(message_id);
    }
    Ok((results, failures))
}
