//! The alarm flow: each alarm delivery is read and placed before any
//! cluster is touched; an alarm of the function's own account and region
//! that says a cluster is idle makes it a candidate.

use tracing::info;

use watchkeeper_shared::home::Scope;

use crate::cluster::{Candidate, check_candidates};
use crate::decide::{self, AlarmSkip, AlarmStep, IdleEvidence, SkipReason};
use crate::handler::{App, HandlerError, Report};
use crate::trigger::Alarm;

/// Checks the clusters `alarms` say are idle; skipped when none does.
pub(crate) async fn handle_alarms(
    app: &App,
    alarms: &[Alarm],
    now: i64,
) -> Result<Report, HandlerError> {
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
        // A cluster is looked up and terminated where its alarm is: the
        // function's own account and region, or in hub mode a member
        // account's, through its spoke role.
        let place = match app.reach.place(account, region, Scope::AccountAndRegion)? {
            Ok(place) => place,
            Err(elsewhere) => {
                info!(alarm_name = %change.alarm_name, %account, %region, reason = %elsewhere, "skipped");
                skipped.push(AlarmSkip::Elsewhere(elsewhere));
                continue;
            }
        };
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
                    place,
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
