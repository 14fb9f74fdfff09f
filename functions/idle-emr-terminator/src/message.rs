//! What operators are told about each cluster the function acted on (or,
//! in dry run or under termination protection, would have).

use watchkeeper_shared::notification::Step;
use watchkeeper_shared::{Headline, Notification, Severity};

use crate::config::Config;
use crate::decide::{Action, ClusterFacts, IdleEvidence, OwningStack, Plan, QueuedSteps};
use crate::words::{count, duration};

/// The `source` attribute of every notification this function sends.
pub const SOURCE: &str = "idle-emr-terminator";

/// Everything a notification about one cluster says.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub cluster: &'a ClusterFacts,
    pub evidence: &'a IdleEvidence,
    pub stack: Option<&'a OwningStack>,
    pub plan: &'a Plan,
    pub region: &'a str,
}

/// `headline` followed by `name (j-ID)`: the name and the id shortened each
/// on its own, the name first (ids are at most 256 characters, names too).
fn with_cluster(headline: Headline, cluster: &ClusterFacts) -> Headline {
    headline
        .var(&cluster.name)
        .fixed(" (")
        .var(&cluster.id)
        .fixed(")")
}

pub fn notification(config: &Config, facts: Facts<'_>) -> Notification {
    let cluster = facts.cluster;
    let label = format!("{} ({})", cluster.name, cluster.id);
    let cluster_label = |headline: Headline| with_cluster(headline, cluster);
    let of_stack = |headline: Headline, stack_name: &str| {
        cluster_label(headline.var(stack_name).fixed(" of idle EMR cluster "))
    };
    let duration = facts.evidence.idle_duration();
    let (severity, title, sms, action) = match (&facts.plan.action, facts.plan.dry_run) {
        (Action::ReportProtected, _) => (
            Severity::Info,
            cluster_label(Headline::new().fixed("Idle but protected: EMR cluster ")),
            cluster_label(Headline::new().fixed("Idle EMR cluster "))
                .fixed(" is termination-protected; left running"),
            "none: termination protection is on".to_owned(),
        ),
        (Action::TerminateCluster, true) => {
            let title =
                cluster_label(Headline::new().fixed("Dry run: would terminate idle EMR cluster "));
            (
                Severity::Info,
                title.clone(),
                title,
                "none (dry run); would terminate the cluster".to_owned(),
            )
        }
        (Action::DeleteStack { stack_name, .. }, true) => {
            let title = of_stack(
                Headline::new().fixed("Dry run: would delete stack "),
                stack_name,
            );
            (
                Severity::Info,
                title.clone(),
                title,
                format!("none (dry run); would delete CloudFormation stack {stack_name}"),
            )
        }
        (Action::TerminateCluster, false) => (
            Severity::Warning,
            cluster_label(Headline::new().fixed("Terminated idle EMR cluster ")),
            cluster_label(Headline::new().fixed("Terminated idle EMR cluster "))
                .fixed(format!(", idle {duration}")),
            "terminated the cluster (TerminateJobFlows)".to_owned(),
        ),
        (Action::DeleteStack { stack_name, .. }, false) => {
            let title = of_stack(Headline::new().fixed("Deleted stack "), stack_name);
            (
                Severity::Warning,
                title.clone(),
                title,
                format!("deleted CloudFormation stack {stack_name} (DeleteStack)"),
            )
        }
    };
    let stack = facts.stack.map_or_else(
        || "none".to_owned(),
        |stack| format!("{} ({})", stack.stack_name, stack.status),
    );
    let mut why = format!(
        "{}.\nGuards checked just now: the cluster is WAITING, at least {} old, has no {} tag and no step pending or running.",
        facts.evidence.describe().trim_end_matches('.'),
        count(config.minimum_age_minutes, "minute", "minutes"),
        config.opt_out_tag_key
    );
    if let Some(note) = &facts.plan.note {
        why.push_str(&format!(
            "\nThe cluster was terminated rather than its stack deleted: {note}."
        ));
    }
    let keep = format!(
        "To keep a cluster from Watchkeeper, tag it {}.",
        config.opt_out_tag_key
    );
    let next = match (&facts.plan.action, facts.plan.dry_run) {
        (Action::ReportProtected, _) => format!(
            "Terminate the cluster yourself if it is no longer needed, or turn termination protection off so Watchkeeper can. Until then this notice repeats on every sweep. {keep}"
        ),
        (_, true) => format!(
            "Nothing was changed: dry run is on. To let Watchkeeper act, deploy with DryRun=false (DRY_RUN=false). {keep}"
        ),
        (Action::TerminateCluster, false) => format!(
            "A terminated cluster cannot be restarted; if it was still needed, clone it in the EMR console. {keep}"
        ),
        (Action::DeleteStack { stack_name, .. }, false) => format!(
            "CloudFormation is deleting every resource of stack {stack_name}; follow it in the CloudFormation console. {keep}"
        ),
    };
    Notification::new(SOURCE, severity, title)
        .with_sms_text(sms)
        .with_fact("Cluster", label)
        .with_fact("Action", action)
        .with_fact("Idle", duration)
        .with_fact(
            "Release",
            cluster.release_label.as_deref().unwrap_or("unknown"),
        )
        .with_fact(
            "Normalized instance hours",
            cluster
                .normalized_instance_hours
                .map_or_else(|| "unknown".to_owned(), |hours| hours.to_string()),
        )
        .with_fact("Owning stack", stack)
        .with_fact("Tags", tags_text(cluster))
        .with_fact("Region", facts.region)
        .with_fact("Console", console_link(cluster, facts.region))
        .with_section("Why", why)
        .with_next_steps("What you can do", vec![Step::text(next)])
        // Chat threads every notice about one cluster together.
        .with_thread(format!("emr-cluster:{}:{}", facts.region, cluster.id))
        .with_resource(&cluster.id)
}

/// Everything the notice about a cluster spared for its steps says.
#[derive(Debug, Clone, Copy)]
pub struct SparedFacts<'a> {
    pub cluster: &'a ClusterFacts,
    pub evidence: &'a IdleEvidence,
    /// The steps not finished, as ListSteps gave them just now.
    pub queued: &'a QueuedSteps,
    pub region: &'a str,
}

/// The notice for a cluster the alarm or the sweep found idle but that has
/// steps pending or running: it was left running, and this says why.
pub fn spared_notification(config: &Config, facts: SparedFacts<'_>) -> Notification {
    let cluster = facts.cluster;
    let label = format!("{} ({})", cluster.name, cluster.id);
    let summary = facts.queued.summary();
    let why = format!(
        "{}.\nBut ListSteps, checked just before acting, shows {summary}: work was submitted after the idleness was measured, so the cluster is not idle.",
        facts.evidence.describe().trim_end_matches('.'),
    );
    let next = format!(
        "Nothing. Watchkeeper checks the cluster again on its next idle alarm or sweep, once its steps have finished. To keep a cluster from Watchkeeper, tag it {}.",
        config.opt_out_tag_key
    );
    let headline = with_cluster(
        Headline::new().fixed("Not terminated: EMR cluster "),
        cluster,
    );
    Notification::new(
        SOURCE,
        Severity::Info,
        headline.clone().fixed(" has steps queued"),
    )
    .with_sms_text(headline.fixed(format!(" has {summary}")))
    .with_fact("Cluster", label)
    .with_fact("Action", "none: steps are pending or running")
    .with_fact("Steps", facts.queued.named())
    .with_fact("Idle", facts.evidence.idle_duration())
    .with_fact(
        "Release",
        cluster.release_label.as_deref().unwrap_or("unknown"),
    )
    .with_fact("Tags", tags_text(cluster))
    .with_fact("Region", facts.region)
    .with_fact("Console", console_link(cluster, facts.region))
    .with_section("Why", why)
    .with_next_steps("What you can do", vec![Step::text(next)])
    .with_thread(format!("emr-cluster:{}:{}", facts.region, cluster.id))
    .with_resource(&cluster.id)
}

/// A cluster the sweep attached EMR's auto-termination policy to (or, in
/// dry run, would have).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyChange {
    pub cluster_id: String,
    pub name: String,
    pub state: String,
    pub release_label: Option<String>,
    pub region: String,
    /// Hub mode: the member account it is in; `None` for the hub's own.
    pub account: Option<String>,
}

/// At most this many clusters are named in the policy notice; the rest are counted.
pub const MAX_POLICY_CLUSTERS_NAMED: usize = 50;

/// The one notice of a sweep that attached EMR's auto-termination policy
/// to clusters that lacked one (or, in dry run, would have), listing them.
/// `changes` is never empty.
pub fn policy_notification(
    config: &Config,
    changes: &[PolicyChange],
    dry_run: bool,
) -> Notification {
    let idle = duration(u64::from(config.auto_termination.idle_timeout_seconds));
    let clusters = count(changes.len(), "EMR cluster", "EMR clusters");
    let (severity, title, action) = if dry_run {
        (
            Severity::Info,
            format!("Dry run: would attach an auto-termination policy (idle {idle}) to {clusters}"),
            format!(
                "none (dry run); would attach an auto-termination policy with an idle timeout of {idle}"
            ),
        )
    } else {
        (
            Severity::Warning,
            format!("Attached an auto-termination policy (idle {idle}) to {clusters}"),
            format!(
                "attached an auto-termination policy with an idle timeout of {idle} (PutAutoTerminationPolicy)"
            ),
        )
    };
    let mut listed: Vec<String> = changes
        .iter()
        .take(MAX_POLICY_CLUSTERS_NAMED)
        .map(|change| {
            let mut line = format!(
                "- {} ({}): {}, {}, {}",
                change.name,
                change.cluster_id,
                change.state,
                change.release_label.as_deref().unwrap_or("release unknown"),
                change.region
            );
            if let Some(account) = &change.account {
                line.push_str(&format!(", account {account}"));
            }
            line
        })
        .collect();
    let more = changes.len().saturating_sub(MAX_POLICY_CLUSTERS_NAMED);
    if more > 0 {
        listed.push(format!("and {more} more (see the function's log)"));
    }
    let regions: std::collections::BTreeSet<&str> = changes
        .iter()
        .map(|change| change.region.as_str())
        .collect();
    let why = format!(
        "The sweep found {} WAITING or RUNNING without an auto-termination policy, and ATTACH_AUTO_TERMINATION_POLICY is on. {} EMR terminates a cluster by itself once it has been idle for {idle}; on these releases ({}) EMR's idle signal counts YARN applications, running notebooks, SSH and on-cluster UIs, which Watchkeeper's metric does not see. {}",
        if changes.len() == 1 {
            "this cluster"
        } else {
            "these clusters"
        },
        if dry_run {
            "With a policy,"
        } else {
            "From now on"
        },
        crate::decide::POLICY_RELEASES,
        if config.auto_termination.idle_check_managed {
            "Watchkeeper's own idle check still applies to them too (IDLE_CHECK_POLICY_MANAGED)."
        } else {
            "Watchkeeper's own idle check leaves clusters with a policy to EMR."
        }
    );
    let keep = format!(
        "To keep a cluster, remove its policy (aws emr remove-auto-termination-policy --cluster-id <id>) and tag it {}, so the next sweep does not attach one again.",
        config.opt_out_tag_key
    );
    let next = if dry_run {
        format!(
            "Nothing was changed: dry run is on. To let Watchkeeper attach policies, deploy with DryRun=false (DRY_RUN=false). To keep a cluster out, tag it {}.",
            config.opt_out_tag_key
        )
    } else {
        keep
    };
    Notification::new(SOURCE, severity, Headline::new().fixed(title.clone()))
        .with_sms_text(Headline::new().fixed(title))
        .with_fact("Action", action)
        .with_fact("Clusters", changes.len().to_string())
        .with_fact("Region", regions.into_iter().collect::<Vec<_>>().join(", "))
        .with_section("Clusters", listed.join("\n"))
        .with_section("Why", why)
        .with_next_steps("What you can do", vec![Step::text(next)])
        .with_thread("emr-auto-termination-policy")
}

fn tags_text(cluster: &ClusterFacts) -> String {
    if cluster.tags.is_empty() {
        "none".to_owned()
    } else {
        cluster
            .tags
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn console_link(cluster: &ClusterFacts, region: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/emr/home?region={region}#/clusterDetails/{}",
        cluster.id
    )
}

#[cfg(test)]
mod tests;
