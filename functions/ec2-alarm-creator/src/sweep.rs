//! The reconcile sweep, on a schedule: brings every running instance's
//! alarms of the home account and region to what its state change or tag
//! change would have made, for the events that were lost, failed or came
//! too early (an agent's series published minutes after boot).
//!
//! 1. Lists this function's alarms (`DescribeAlarms` by the name prefix,
//!    every page) before the instances, so an alarm put after the listing
//!    by an event for a just-launched instance is never taken for an orphan.
//! 2. Lists the running instances (`DescribeInstances`, 1,000 a page, with
//!    the opt-in tag as a filter).
//! 3. Lists the series of each metric whose dimensions are discovered
//!    (`ListMetrics` by namespace and metric, every page), once for all
//!    instances.
//! 4. Per instance: puts missing and drifted alarms, collects extra ones.
//! 5. Alarms of instances not listed as running are checked once more
//!    (`DescribeInstances` by `instance-id`, 200 a call): those of an
//!    instance that is gone, stopped or no longer selected are collected.
//! 6. Deletes what was collected, 100 a call.
//!
//! A failure for one instance never stops the others; the invocation fails
//! at the end naming each.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tracing::{error, info, warn};

use watchkeeper_shared::events::ec2::InstanceState;

use crate::act;
use crate::decide::{
    self, AlarmShape, Changes, Plan, Reason, SeriesIndex, changes_for, instance_of_alarm,
};
use crate::definitions::INSTANCE_ID_DIMENSION;
use crate::handler::{App, HandlerError};

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Running instances looked at.
    pub instances: usize,
    pub alarms_put: Vec<String>,
    pub alarms_deleted: Vec<String>,
    /// `<instance-id>: <alarm-id>` for each alarm still waiting for its series.
    pub deferred: Vec<String>,
}

/// The sweep reconciled what it could; these failed.
#[derive(Debug, thiserror::Error)]
#[error(
    "the sweep failed for {} instance(s) or batch(es): {}; it put {put} and deleted {deleted} alarm(s) besides",
    .failures.len(),
    .failures.join("; ")
)]
pub struct SweepError {
    pub failures: Vec<String>,
    pub put: usize,
    pub deleted: usize,
}

pub async fn sweep(app: &App, event_id: &str) -> Result<SweepReport, HandlerError> {
    let config = &app.config;
    let prefix = &config.alarm_name_prefix;
    let mut existing: BTreeMap<String, Vec<AlarmShape>> = BTreeMap::new();
    for alarm in act::list_alarm_shapes(&app.cloudwatch, prefix).await? {
        if let Some(id) = instance_of_alarm(prefix, &alarm.name) {
            existing.entry(id.to_owned()).or_default().push(alarm);
        }
    }
    let instances = act::list_running_instances(&app.ec2, &config.instance_filter).await?;
    let mut series: BTreeMap<String, SeriesIndex> = BTreeMap::new();
    if !instances.is_empty() {
        for key in decide::discovered_metrics(config) {
            for found in act::list_series(&app.cloudwatch, &key, None).await? {
                if let Some(id) = found.get(INSTANCE_ID_DIMENSION) {
                    series
                        .entry(id.clone())
                        .or_default()
                        .insert(key.clone(), found.clone());
                }
            }
        }
    }
    info!(
        %event_id,
        instances = instances.len(),
        instances_with_alarms = existing.len(),
        "sweep listed"
    );

    let mut report = SweepReport {
        instances: instances.len(),
        ..SweepReport::default()
    };
    let mut failures = Vec::new();
    let mut to_delete = Vec::new();
    let mut seen = BTreeSet::new();
    let no_series = SeriesIndex::default();
    let no_alarms = Vec::new();
    for instance in &instances {
        let id = &instance.instance_id;
        seen.insert(id.clone());
        let plan = match decide::not_selected_by(config, instance) {
            Some(filter) => Ok(Plan {
                instance_id: id.clone(),
                reason: Reason::NotSelected { filter },
                alarms: Vec::new(),
                warnings: Vec::new(),
                deferred: Vec::new(),
            }),
            None => decide::plan_alarms(
                config,
                instance,
                Reason::Running,
                series.get(id).unwrap_or(&no_series),
            ),
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(undecided) => {
                error!(%event_id, instance_id = %id, error = %undecided, "sweep: instance undecided");
                failures.push(undecided.to_string());
                continue;
            }
        };
        for warning in &plan.warnings {
            warn!(%event_id, instance_id = %id, %warning, "configuration warning");
        }
        report
            .deferred
            .extend(plan.deferred.iter().map(|alarm| format!("{id}: {alarm}")));
        let changes = changes_for(&plan, existing.get(id).unwrap_or(&no_alarms));
        apply_changes(
            app,
            event_id,
            id,
            changes,
            &mut report,
            &mut failures,
            &mut to_delete,
        )
        .await;
    }

    // Alarms of instances the listing did not show as running.
    let orphans: Vec<String> = existing
        .keys()
        .filter(|id| !seen.contains(*id))
        .cloned()
        .collect();
    if !orphans.is_empty() {
        match act::look_up_instances(&app.ec2, &orphans).await {
            Err(failure) => {
                error!(%event_id, error = %failure, "sweep: checking instances with alarms failed");
                failures.push(failure.to_string());
            }
            Ok(listed) => {
                for id in &orphans {
                    let found = listed.iter().find(|instance| &instance.instance_id == id);
                    if let Some(instance) = found
                        && matches!(
                            instance.state,
                            Some(InstanceState::Running | InstanceState::Pending)
                        )
                        && decide::not_selected_by(config, instance).is_none()
                    {
                        // Started after the listing: its own event makes its alarms.
                        continue;
                    }
                    let reason = match found {
                        None => "instance no longer exists".to_owned(),
                        Some(instance) => {
                            match (&instance.state, decide::not_selected_by(config, instance)) {
                                (
                                    Some(InstanceState::Running | InstanceState::Pending),
                                    Some(filter),
                                ) => {
                                    format!("instance not selected by tag filter {filter}")
                                }
                                (Some(state), _) => format!("instance is {state}"),
                                (None, _) => "instance has no state".to_owned(),
                            }
                        }
                    };
                    let names: Vec<String> = existing[id]
                        .iter()
                        .map(|alarm| alarm.name.clone())
                        .collect();
                    info!(%event_id, instance_id = %id, %reason, alarms = ?names, "sweep: removing alarms");
                    to_delete.extend(names);
                }
            }
        }
    }

    match act::delete_alarms(&app.cloudwatch, &to_delete).await {
        Ok(deleted) => report.alarms_deleted = deleted,
        Err(failure) => {
            error!(%event_id, error = %failure, "sweep: deleting alarms failed");
            failures.push(failure.to_string());
        }
    }
    info!(
        %event_id,
        instances = report.instances,
        alarms_put = report.alarms_put.len(),
        alarms_deleted = report.alarms_deleted.len(),
        deferred = ?report.deferred,
        failures = failures.len(),
        "swept"
    );
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(HandlerError::Own(
            SweepError {
                failures,
                put: report.alarms_put.len(),
                deleted: report.alarms_deleted.len(),
            }
            .into(),
        ))
    }
}

/// Puts an instance's missing and drifted alarms, each failure noted, and
/// collects its extra ones for the batched delete.
async fn apply_changes(
    app: &App,
    event_id: &str,
    instance_id: &str,
    changes: Changes,
    report: &mut SweepReport,
    failures: &mut Vec<String>,
    to_delete: &mut Vec<String>,
) {
    for alarm in &changes.put {
        match act::put_alarm(&app.cloudwatch, alarm).await {
            Ok(()) => {
                info!(%event_id, %instance_id, alarm = %alarm.name, "sweep: put missing or drifted alarm");
                report.alarms_put.push(alarm.name.clone());
            }
            Err(failure) => {
                error!(%event_id, %instance_id, alarm = %alarm.name, error = %failure, "sweep: put failed");
                failures.push(failure.to_string());
            }
        }
    }
    if !changes.delete.is_empty() {
        info!(%event_id, %instance_id, alarms = ?changes.delete, "sweep: removing extra alarms");
        to_delete.extend(changes.delete);
    }
}
