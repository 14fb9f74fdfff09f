//! Pending or running EMR steps, from EMR's ListSteps.
//!
//! The node has no documented local record of step states (the files under
//! `/mnt/var/lib/info` describe the cluster, not its step queue), so this
//! asks the EMR API, which the default EMR instance profile may already call.

use aws_sdk_emr::error::DisplayErrorContext;
use aws_sdk_emr::types::StepState;

use super::{Outcome, list_some};

pub const ACTIVE_STEP_STATES: [StepState; 3] = [
    StepState::Pending,
    StepState::CancelPending,
    StepState::Running,
];

/// Pure: `steps` are (step id, step name, state) of pending or running steps.
pub fn judge_steps(steps: &[(String, String, String)]) -> Outcome {
    if steps.is_empty() {
        return Outcome::not_in_use("no pending or running EMR step");
    }
    let listed: Vec<String> = steps
        .iter()
        .map(|(id, name, state)| format!("{id} {name:?} {state}"))
        .collect();
    Outcome::in_use(format!(
        "{} EMR step{} pending or running: {}",
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        list_some(&listed)
    ))
}

pub async fn observe_steps(emr: &aws_sdk_emr::Client, cluster_id: &str) -> Outcome {
    // One page is enough: a single active step already means in use.
    match emr
        .list_steps()
        .cluster_id(cluster_id)
        .set_step_states(Some(ACTIVE_STEP_STATES.to_vec()))
        .send()
        .await
    {
        Ok(output) => {
            let steps: Vec<(String, String, String)> = output
                .steps()
                .iter()
                .map(|step| {
                    (
                        step.id().unwrap_or_default().to_owned(),
                        step.name().unwrap_or_default().to_owned(),
                        step.status()
                            .and_then(|status| status.state())
                            .map(|state| state.as_str().to_owned())
                            .unwrap_or_default(),
                    )
                })
                .collect();
            judge_steps(&steps)
        }
        Err(error) => Outcome::garbage(format!(
            "EMR ListSteps for {cluster_id} failed: {}",
            DisplayErrorContext(&error)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_active_step_is_use() {
        assert_eq!(
            judge_steps(&[]),
            Outcome::not_in_use("no pending or running EMR step")
        );
        assert_eq!(
            judge_steps(&[("s-1ABC".into(), "nightly-etl".into(), "RUNNING".into())]),
            Outcome::in_use("1 EMR step pending or running: s-1ABC \"nightly-etl\" RUNNING")
        );
    }
}
