//! The scheduled sweep: every WAITING cluster of the function's account and
//! region, judged on its metric over the idle window; the idle ones are
//! candidates.

use tracing::info;

use crate::act;
use crate::cluster::{Candidate, check_candidates};
use crate::decide::{self, IdleEvidence, Idleness, Window};
use crate::handler::{App, ClusterResult, HandlerError, Report};
use crate::outcome::ClusterOutcome;

/// Lists the WAITING clusters, judges each on the window ending before
/// `now` (seconds since the epoch) and checks the idle ones.
pub(crate) async fn sweep(app: &App, event_id: &str, now: i64) -> Result<Report, HandlerError> {
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
                    place: app.home_place(),
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
