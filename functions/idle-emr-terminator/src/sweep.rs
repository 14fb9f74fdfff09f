//! The scheduled sweep: every WAITING cluster of each place it covers,
//! judged on its metric over the idle window; the idle ones are candidates.
//! With `ATTACH_AUTO_TERMINATION_POLICY` on, RUNNING clusters are listed
//! too (same ListClusters call), and EMR's own auto-termination policy is
//! attached where one is missing before the idle check (`policy.rs`);
//! clusters a policy governs are left to EMR.
//!
//! A place is an account and a region: the function's own account in its
//! own region, and in hub mode also in each region of `SWEEP_REGIONS`, and
//! each account of `MEMBER_ACCOUNTS` in each of those regions, through its
//! spoke role. Each place is listed and judged on its own (one `ListClusters`
//! and one `GetMetricData` per 500 clusters per place); a place that fails
//! is recorded and the others are still swept and acted on, then the
//! invocation fails naming every place and cluster that failed.

use tracing::{error, info};

use watchkeeper_shared::reach::Place;

use aws_sdk_emr::types::ClusterState;

use crate::act::{self, ActError, ClusterSummary};
use crate::cluster::{Candidate, check_candidates};
use crate::decide::{self, IdleEvidence, Idleness, Window};
use crate::handler::{App, ClusterResult, HandlerError, Report};
use crate::outcome::ClusterOutcome;
use crate::policy;

/// The places the sweep covers, home first.
pub(crate) fn places(app: &App) -> Vec<Place> {
    let home = app.home_place();
    let Some(organization) = app.reach.organization() else {
        return vec![home];
    };
    let regions = if app.config.sweep_regions.is_empty() {
        vec![home.region.clone()]
    } else {
        app.config.sweep_regions.clone()
    };
    let members = organization.member_accounts.iter().flatten();
    let mut places = vec![home.clone()];
    for (account_id, member) in
        std::iter::once((&home.account_id, false)).chain(members.map(|account| (account, true)))
    {
        for region in &regions {
            let place = Place {
                account_id: account_id.clone(),
                region: region.clone(),
                member,
            };
            if !places.contains(&place) {
                places.push(place);
            }
        }
    }
    places
}

/// Sweeps every place, judging each cluster on the window ending before
/// `now` (seconds since the epoch), and checks the idle ones. With
/// `ATTACH_AUTO_TERMINATION_POLICY` on, it first attaches EMR's own
/// auto-termination policy where one is missing (`policy.rs`).
pub(crate) async fn sweep(app: &App, event_id: &str, now: i64) -> Result<Report, HandlerError> {
    let window = Window::ending_before(now, &app.config);
    let mut swept = Swept::default();
    let mut failures = Vec::new();
    let places = places(app);
    if let [home] = places.as_slice() {
        // One place: its failure is the invocation's, as it always was.
        sweep_place(app, event_id, home, &window, &mut swept).await?;
    } else {
        for place in &places {
            if let Err(failure) = sweep_place(app, event_id, place, &window, &mut swept).await {
                error!(%event_id, account = %place.account_id, region = %place.region, error = %failure, "sweeping a place failed");
                failures.push(format!(
                    "account {} region {}: {failure}",
                    place.account_id, place.region
                ));
            }
        }
    }
    let Swept {
        candidates,
        mut results,
        policies,
    } = swept;
    let policy::Survey {
        results: policy_results,
        attachments,
        failures: mut cluster_failures,
        surveyed,
    } = policies;
    let (attached, attach_failures) = policy::attach_all(app, &window, attachments).await?;
    results.splice(0..0, policy_results.into_iter().chain(attached));
    cluster_failures.extend(attach_failures);
    let candidate_count = candidates.len();
    let checked = check_candidates(app, candidates, results, now).await;
    if failures.is_empty() && cluster_failures.is_empty() {
        return checked;
    }
    let checked_clusters = surveyed.max(candidate_count);
    let (report, idle_failures) = match checked {
        Ok(report) => (Some(report), Vec::new()),
        Err(HandlerError::ClustersFailed {
            failures: clusters, ..
        }) => (None, clusters),
        Err(other) => return Err(other),
    };
    if failures.is_empty() {
        cluster_failures.extend(idle_failures);
        // The report of the clusters handled is in the log; the invocation
        // fails naming every cluster that failed.
        if let Some(report) = report {
            info!(%event_id, report = ?report, "sweep done with failures");
        }
        return Err(HandlerError::ClustersFailed {
            checked: checked_clusters,
            failures: cluster_failures,
        });
    }
    failures.extend(cluster_failures);
    failures.extend(idle_failures);
    Err(HandlerError::SweepIncomplete {
        places: places.len(),
        failures,
    })
}

/// What the sweep's places gave: the idle candidates, the other clusters'
/// results, and what the policy step found.
#[derive(Default)]
struct Swept {
    candidates: Vec<Candidate>,
    results: Vec<ClusterResult>,
    policies: policy::Survey,
}

/// Lists and judges one place's WAITING clusters, adding the idle ones to
/// `candidates` and the others to `results`.
async fn sweep_place(
    app: &App,
    event_id: &str,
    place: &Place,
    window: &Window,
    swept: &mut Swept,
) -> Result<(), ActError> {
    let config = &app.config;
    let clients = app.clusters(place).await?;
    let listed = if config.auto_termination.attach {
        act::list_clusters(
            &clients.emr,
            &[ClusterState::Waiting, ClusterState::Running],
        )
        .await?
    } else {
        act::list_clusters(&clients.emr, &[ClusterState::Waiting]).await?
    };
    let clusters: Vec<ClusterSummary> = if config.auto_termination.attach {
        let idle_checked =
            policy::survey_place(app, &clients.emr, place, &listed, &mut swept.policies).await;
        listed
            .into_iter()
            .filter(|cluster| idle_checked.contains(&cluster.id))
            .collect()
    } else {
        listed
    };
    let Swept {
        candidates,
        results,
        ..
    } = swept;
    let ids: Vec<String> = clusters.iter().map(|cluster| cluster.id.clone()).collect();
    let datapoints =
        act::fetch_datapoints(&clients.cloudwatch, &config.metric, window, &ids).await?;
    let idle_before = candidates.len();
    for cluster in &clusters {
        let series = datapoints
            .get(&cluster.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let idleness = decide::judge_idleness(&config.metric, window, series);
        let reason = idleness.describe(&config.metric);
        match idleness {
            Idleness::Idle { datapoints } => {
                info!(%event_id, account = %place.account_id, region = %place.region, cluster_id = %cluster.id, cluster_name = %cluster.name, %reason, "idle candidate");
                // Idempotency key: the sweep window and the cluster (with
                // its account and region when it is not the function's
                // own). Two sweeps with the same window (a retried or
                // repeated schedule) read the same datapoints and decide
                // the same for this cluster: one action and one notice. The
                // next window is a new judgement on new data.
                let at = if place == &app.home_place() {
                    String::new()
                } else {
                    format!("{}:{}:", place.account_id, place.region)
                };
                candidates.push(Candidate {
                    key: format!("sweep:{}-{}|{at}{}", window.start, window.end, cluster.id),
                    place: place.clone(),
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
                info!(%event_id, account = %place.account_id, region = %place.region, cluster_id = %cluster.id, cluster_name = %cluster.name, %outcome, %reason, "not idle");
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
        account = %place.account_id,
        region = %place.region,
        waiting = clusters.len(),
        idle_candidates = candidates.len() - idle_before,
        window_start = %watchkeeper_shared::time::display_epoch(window.start),
        window_end = %watchkeeper_shared::time::display_epoch(window.end),
        "swept"
    );
    Ok(())
}
