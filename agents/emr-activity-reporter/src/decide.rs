//! The pure core: from what every check saw, the one value to publish.
//! Any use, or any unreadable answer, keeps the cluster.

use serde::Serialize;

use crate::checks::{Observation, Outcome};

pub const IN_USE: f64 = 1.0;
pub const IDLE: f64 = 0.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// 1 = in use, 0 = idle.
    pub value: f64,
    /// Why: the checks that keep the cluster, or, when idle, what each saw.
    pub reasons: Vec<String>,
}

impl Decision {
    pub fn in_use(&self) -> bool {
        self.value == IN_USE
    }
}

pub fn decide(observations: &[Observation]) -> Decision {
    let keeping: Vec<String> = observations
        .iter()
        .filter_map(|observation| {
            let name = observation.check.name();
            match &observation.outcome {
                Outcome::Observed { in_use: true, why } => Some(format!("{name}: {why}")),
                Outcome::Garbage { why } => {
                    Some(format!("{name}: unreadable, so counted as in use: {why}"))
                }
                _ => None,
            }
        })
        .collect();
    if !keeping.is_empty() {
        return Decision {
            value: IN_USE,
            reasons: keeping,
        };
    }
    let reasons = if observations.is_empty() {
        vec!["no check is enabled".to_owned()]
    } else {
        observations
            .iter()
            .map(|observation| match &observation.outcome {
                Outcome::Unavailable { why } => {
                    format!("{}: not available ({why})", observation.check.name())
                }
                outcome => format!("{}: {}", observation.check.name(), outcome.why()),
            })
            .collect()
    };
    Decision {
        value: IDLE,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Check;

    fn seen(check: Check, outcome: Outcome) -> Observation {
        Observation { check, outcome }
    }

    fn idle(check: Check) -> Observation {
        seen(check, Outcome::not_in_use("nothing"))
    }

    fn absent(check: Check) -> Observation {
        seen(
            check,
            Outcome::Unavailable {
                why: "nothing listens".into(),
            },
        )
    }

    #[test]
    fn any_use_or_garbage_keeps_the_cluster() {
        let cases: Vec<(Vec<Observation>, f64, Vec<&str>)> = vec![
            (vec![], IDLE, vec!["no check is enabled"]),
            (
                vec![idle(Check::Ssh), absent(Check::Presto)],
                IDLE,
                vec!["ssh: nothing", "presto: not available (nothing listens)"],
            ),
            (
                Check::ALL.into_iter().map(absent).collect(),
                IDLE,
                vec![
                    "ssh: not available (nothing listens)",
                    "yarn: not available (nothing listens)",
                    "presto: not available (nothing listens)",
                    "zeppelin: not available (nothing listens)",
                    "jupyterhub: not available (nothing listens)",
                    "busy-marker: not available (nothing listens)",
                    "steps: not available (nothing listens)",
                ],
            ),
            (
                vec![
                    idle(Check::Ssh),
                    seen(Check::Yarn, Outcome::in_use("1 application active")),
                    absent(Check::Zeppelin),
                ],
                IN_USE,
                vec!["yarn: 1 application active"],
            ),
            (
                vec![
                    seen(Check::Presto, Outcome::garbage("HTTP 500")),
                    idle(Check::Yarn),
                ],
                IN_USE,
                vec!["presto: unreadable, so counted as in use: HTTP 500"],
            ),
            (
                vec![
                    seen(Check::Ssh, Outcome::in_use("typing")),
                    seen(Check::Steps, Outcome::garbage("AccessDenied")),
                    seen(Check::BusyMarker, Outcome::in_use("touched")),
                ],
                IN_USE,
                vec![
                    "ssh: typing",
                    "steps: unreadable, so counted as in use: AccessDenied",
                    "busy-marker: touched",
                ],
            ),
        ];
        for (observations, value, reasons) in cases {
            let decision = decide(&observations);
            assert_eq!(decision.value, value, "{observations:?}");
            assert_eq!(decision.in_use(), value == IN_USE);
            assert_eq!(decision.reasons, reasons, "{observations:?}");
        }
    }
}
