//! What happened to one cluster, as a closed set: its name in the report,
//! the notice's severity and the business metrics it counts, in one place.

use serde::{Deserialize, Serialize};
use watchkeeper_shared::Severity;
use watchkeeper_shared::metrics::Count;

use crate::decide::{Action, Plan};

/// One cluster's outcome; serialized `snake_case` (`"would_terminate"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterOutcome {
    /// TerminateJobFlows was called.
    Terminated,
    /// DeleteStack was called on the cluster's owning stack.
    StackDeleted,
    /// Dry run: would have terminated the cluster.
    WouldTerminate,
    /// Dry run: would have deleted the owning stack.
    WouldDeleteStack,
    /// Idle but termination-protected: reported, left running.
    Protected,
    /// Idle by its metric, but steps are pending or running.
    StepsQueued,
    /// A guard left it alone: not found, not waiting, opted out, too young
    /// or of unknown age.
    Skipped,
    /// Its metric shows activity.
    Busy,
    /// Too few datapoints to call it idle.
    NoData,
    /// This alarm firing or sweep window was handled already.
    Duplicate,
    /// The sweep attached EMR's own auto-termination policy to it.
    PolicyAttached,
    /// Dry run: the sweep would have attached EMR's auto-termination policy.
    WouldAttachPolicy,
    /// EMR's own auto-termination policy governs it; the sweep left it alone.
    ManagedByEmr,
    /// Its release cannot take EMR's auto-termination policy (with EMR's
    /// full idle signal); reported, nothing attached.
    PolicyUnsupported,
}

impl ClusterOutcome {
    pub const ALL: [Self; 14] = [
        Self::Terminated,
        Self::StackDeleted,
        Self::WouldTerminate,
        Self::WouldDeleteStack,
        Self::Protected,
        Self::StepsQueued,
        Self::Skipped,
        Self::Busy,
        Self::NoData,
        Self::Duplicate,
        Self::PolicyAttached,
        Self::WouldAttachPolicy,
        Self::ManagedByEmr,
        Self::PolicyUnsupported,
    ];

    /// The outcome of carrying out `plan`.
    pub fn of_plan(plan: &Plan) -> Self {
        match (&plan.action, plan.dry_run) {
            (Action::ReportProtected, _) => Self::Protected,
            (Action::TerminateCluster, true) => Self::WouldTerminate,
            (Action::DeleteStack { .. }, true) => Self::WouldDeleteStack,
            (Action::TerminateCluster, false) => Self::Terminated,
            (Action::DeleteStack { .. }, false) => Self::StackDeleted,
        }
    }

    /// The name in reports, logs and the `ClustersSpared` `Reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terminated => "terminated",
            Self::StackDeleted => "stack_deleted",
            Self::WouldTerminate => "would_terminate",
            Self::WouldDeleteStack => "would_delete_stack",
            Self::Protected => "protected",
            Self::StepsQueued => "steps_queued",
            Self::Skipped => "skipped",
            Self::Busy => "busy",
            Self::NoData => "no_data",
            Self::Duplicate => "duplicate",
            Self::PolicyAttached => "policy_attached",
            Self::WouldAttachPolicy => "would_attach_policy",
            Self::ManagedByEmr => "managed_by_emr",
            Self::PolicyUnsupported => "policy_unsupported",
        }
    }

    /// The severity of the notice sent for it; `None` when none is sent.
    pub fn notice_severity(self) -> Option<Severity> {
        match self {
            Self::Protected
            | Self::WouldTerminate
            | Self::WouldDeleteStack
            | Self::StepsQueued
            | Self::WouldAttachPolicy => Some(Severity::Info),
            Self::Terminated | Self::StackDeleted | Self::PolicyAttached => Some(Severity::Warning),
            Self::Skipped
            | Self::Busy
            | Self::NoData
            | Self::Duplicate
            | Self::ManagedByEmr
            | Self::PolicyUnsupported => None,
        }
    }

    /// The business metric it counts: an action, a duplicate, or a
    /// cluster spared for this reason (a cluster handed to EMR's own
    /// policy, or left to it, is spared by Watchkeeper).
    pub fn count(self) -> Count {
        match self {
            Self::Terminated => Count::cluster_terminated(),
            Self::StackDeleted => Count::stack_deleted(),
            Self::Duplicate => Count::duplicate_suppressed(),
            spared => Count::cluster_spared(spared.as_str()),
        }
    }
}

impl std::fmt::Display for ClusterOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_serializes_as_its_name_and_reads_back() {
        for outcome in ClusterOutcome::ALL {
            let json = serde_json::to_value(outcome).unwrap();
            assert_eq!(json, serde_json::json!(outcome.as_str()));
            assert_eq!(
                serde_json::from_value::<ClusterOutcome>(json).unwrap(),
                outcome
            );
        }
    }
}
