//! The scheduled sweep: every WAITING cluster of each place it covers,
//! judged on its metric over the idle window; the idle ones are candidates.
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

use crate::act::{self, ActError};
use crate::cluster::{Candidate, check_candidates};
use crate::decide::{self, IdleEvidence, Idleness, Window};
use crate::handler::{App, ClusterResult, HandlerError, Report};
use crate::outcome::ClusterOutcome;

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
/// `now` (seconds since the epoch), and checks the idle ones.
pub(crate) async fn sweep(app: &App, event_id: &str, now: i64) -> Result<Report, HandlerError> {
    let window = Window::ending_before(now, &app.config);
    let mut candidates = Vec::new();
    let mut results = Vec::new();
    let mut failures = Vec::new();
    let places = places(app);
    if let [home] = places.as_slice() {
        // One place: its failure is the invocation's, as it always was.
        sweep_place(app, event_id, home, &window, &mut candidates, &mut results).await?;
        return check_candidates(app, candidates, results, now).await;
    }
    for place in &places {
        if let Err(failure) =
            sweep_place(app, event_id, place, &window, &mut candidates, &mut results).await
        {
            error!(%event_id, account = %place.account_id, region = %place.region, error = %failure, "sweeping a place failed");
            failures.push(format!(
                "account {} region {}: {failure}",
                place.account_id, place.region
            ));
        }
    }
    let checked = check_candidates(app, candidates, results, now).await;
    if failures.is_empty() {
        return checked;
    }
    if let Err(HandlerError::ClustersFailed {
        failures: clusters, ..
    }) = checked
    {
        failures.extend(clusters);
    }
    Err(HandlerError::SweepIncomplete {
        places: places.len(),
        failures,
    })
}

/// Lists and judges one place's WAITING clusters, adding the idle ones to
/// `candidates` and the others to `results`.
async fn sweep_place(
    app: &App,
    event_id: &str,
    place: &Place,
    window: &Window,
    candidates: &mut Vec<Candidate>,
    results: &mut Vec<ClusterResult>,
) -> Result<(), ActError> {
    let config = &app.config;
    let clients = app.clusters(place).await?;
    let clusters = act::list_waiting_clusters(&clients.emr).await?;
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
