//! Settings, read from the environment once per cold start.

use watchkeeper_shared::config::{ConfigError, EnvReader};
use watchkeeper_shared::publisher::Topics;

pub const DRY_RUN_VAR: &str = "DRY_RUN";
pub const METRIC_MODE_VAR: &str = "METRIC_MODE";
pub const CUSTOM_METRIC_NAMESPACE_VAR: &str = "CUSTOM_METRIC_NAMESPACE";
pub const CUSTOM_METRIC_NAME_VAR: &str = "CUSTOM_METRIC_NAME";
pub const IDLE_WINDOW_MINUTES_VAR: &str = "IDLE_WINDOW_MINUTES";
pub const METRIC_PERIOD_SECONDS_VAR: &str = "METRIC_PERIOD_SECONDS";
pub const OPT_OUT_TAG_KEY_VAR: &str = "OPT_OUT_TAG_KEY";
pub const MINIMUM_AGE_MINUTES_VAR: &str = "MINIMUM_AGE_MINUTES";
pub const STACK_MODE_VAR: &str = "STACK_MODE";
pub const STACK_NAME_PREFIX_VAR: &str = "STACK_NAME_PREFIX";
/// Hub mode: the regions the scheduled sweep covers in every account it
/// sweeps; empty: the function's own region.
pub const SWEEP_REGIONS_VAR: &str = "SWEEP_REGIONS";
/// The sweep attaches EMR's own auto-termination policy to clusters that
/// lack one (off by default).
pub const ATTACH_AUTO_TERMINATION_POLICY_VAR: &str = "ATTACH_AUTO_TERMINATION_POLICY";
/// The idle timeout of the policy the sweep attaches, in seconds.
pub const AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS_VAR: &str = "AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS";
/// With the policy option on: still apply Watchkeeper's own idle check to
/// clusters that EMR's policy governs (off: they are left to EMR).
pub const IDLE_CHECK_POLICY_MANAGED_VAR: &str = "IDLE_CHECK_POLICY_MANAGED";

pub const EMR_NAMESPACE: &str = "AWS/ElasticMapReduce";
pub const EMR_IS_IDLE_METRIC: &str = "IsIdle";
pub const DEFAULT_CUSTOM_NAMESPACE: &str = "Watchkeeper/EMR";
pub const DEFAULT_CUSTOM_METRIC: &str = "ClusterInUse";
/// Both metrics carry the cluster id in this dimension.
pub const CLUSTER_DIMENSION: &str = "JobFlowId";
pub const DEFAULT_IDLE_WINDOW_MINUTES: u32 = 60;
/// EMR publishes IsIdle every 5 minutes; the on-cluster reporter does too.
pub const DEFAULT_PERIOD_SECONDS: u32 = 300;
pub const DEFAULT_OPT_OUT_TAG_KEY: &str = "watchkeeper:keep";
pub const DEFAULT_MINIMUM_AGE_MINUTES: u32 = 30;
/// Keeps one GetMetricData answer far below CloudWatch's 100,800 datapoints
/// for 500 queries, and the window inside CloudWatch's 15-day retention of
/// 5-minute data.
pub const MAX_DATAPOINTS_PER_WINDOW: u32 = 200;
/// EMR's bounds for a policy's `IdleTimeout`: 60 seconds to 7 days.
pub const AUTO_TERMINATION_IDLE_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 60..=604_800;
pub const DEFAULT_AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS: u32 = 3600;

/// Which metric says whether a cluster is idle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricMode {
    /// EMR's own `IsIdle` (YARN only): 1 means idle.
    EmrIsIdle,
    /// An on-cluster activity metric: 0 means idle, anything else in use.
    Custom { namespace: String, name: String },
}

impl MetricMode {
    pub fn namespace(&self) -> &str {
        match self {
            Self::EmrIsIdle => EMR_NAMESPACE,
            Self::Custom { namespace, .. } => namespace,
        }
    }

    pub fn metric_name(&self) -> &str {
        match self {
            Self::EmrIsIdle => EMR_IS_IDLE_METRIC,
            Self::Custom { name, .. } => name,
        }
    }

    /// The statistic whose value alone can prove a whole period idle: the
    /// lowest IsIdle (any 0 in the period means busy), the highest activity.
    pub fn statistic(&self) -> &'static str {
        match self {
            Self::EmrIsIdle => "Minimum",
            Self::Custom { .. } => "Maximum",
        }
    }

    /// Whether one period's statistic says idle.
    pub fn says_idle(&self, value: f64) -> bool {
        match self {
            Self::EmrIsIdle => value >= 1.0,
            Self::Custom { .. } => value == 0.0,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::EmrIsIdle => format!("{EMR_NAMESPACE} {EMR_IS_IDLE_METRIC} (1 = idle)"),
            Self::Custom { namespace, name } => format!("{namespace} {name} (0 = idle)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub topics: Topics,
    /// On unless switched off: do everything but terminate or delete.
    pub dry_run: bool,
    pub metric: MetricMode,
    pub idle_window_minutes: u32,
    pub period_seconds: u32,
    pub opt_out_tag_key: String,
    pub minimum_age_minutes: u32,
    /// Delete the owning CloudFormation stack instead of terminating.
    pub stack_mode: bool,
    /// In stack mode, only stacks whose names start with this are deleted.
    pub stack_name_prefix: String,
    /// Hub mode: the regions the sweep covers; empty: the function's own.
    pub sweep_regions: Vec<String>,
    /// The sweep's handling of EMR's own auto-termination policy.
    pub auto_termination: AutoTermination,
}

/// What the sweep does about EMR's own auto-termination policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoTermination {
    /// Attach one to WAITING and RUNNING clusters that lack one. Off: the
    /// sweep neither reads nor attaches policies, as before.
    pub attach: bool,
    /// The idle timeout of the policy attached, in seconds (60..=604800).
    pub idle_timeout_seconds: u32,
    /// Still apply Watchkeeper's idle check to clusters a policy governs.
    pub idle_check_managed: bool,
}

impl AutoTermination {
    /// The default: the sweep leaves policies alone.
    pub const OFF: Self = Self {
        attach: false,
        idle_timeout_seconds: DEFAULT_AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS,
        idle_check_managed: false,
    };
}

impl Config {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let topics = Topics::from_env(&mut env);
        let dry_run = env.flag_or(DRY_RUN_VAR, true);
        let custom_namespace = env
            .optional(CUSTOM_METRIC_NAMESPACE_VAR)
            .unwrap_or_else(|| DEFAULT_CUSTOM_NAMESPACE.to_owned());
        let custom_name = env
            .optional(CUSTOM_METRIC_NAME_VAR)
            .unwrap_or_else(|| DEFAULT_CUSTOM_METRIC.to_owned());
        let metric = match env
            .optional(METRIC_MODE_VAR)
            .map(|mode| mode.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("emr-isidle") => MetricMode::EmrIsIdle,
            Some("custom") => MetricMode::Custom {
                namespace: custom_namespace,
                name: custom_name,
            },
            Some(other) => {
                env.problem(format!(
                    "{METRIC_MODE_VAR}={other:?} is not valid: expected emr-isidle or custom"
                ));
                MetricMode::EmrIsIdle
            }
        };
        let idle_window_minutes =
            env.parsed_or(IDLE_WINDOW_MINUTES_VAR, DEFAULT_IDLE_WINDOW_MINUTES);
        let period_seconds = env.parsed_or(METRIC_PERIOD_SECONDS_VAR, DEFAULT_PERIOD_SECONDS);
        if period_seconds == 0 || !period_seconds.is_multiple_of(60) {
            env.problem(format!(
                "{METRIC_PERIOD_SECONDS_VAR}={period_seconds} is not valid: must be a positive multiple of 60"
            ));
        } else if idle_window_minutes == 0
            || !(u64::from(idle_window_minutes) * 60).is_multiple_of(u64::from(period_seconds))
        {
            env.problem(format!(
                "{IDLE_WINDOW_MINUTES_VAR}={idle_window_minutes} is not valid: must be a positive whole number of {METRIC_PERIOD_SECONDS_VAR} ({period_seconds} s) periods"
            ));
        } else if u64::from(idle_window_minutes) * 60 / u64::from(period_seconds)
            > u64::from(MAX_DATAPOINTS_PER_WINDOW)
        {
            env.problem(format!(
                "{IDLE_WINDOW_MINUTES_VAR}={idle_window_minutes} is too long: at most {MAX_DATAPOINTS_PER_WINDOW} periods of {period_seconds} s"
            ));
        }
        let opt_out_tag_key = env
            .optional(OPT_OUT_TAG_KEY_VAR)
            .unwrap_or_else(|| DEFAULT_OPT_OUT_TAG_KEY.to_owned());
        let minimum_age_minutes =
            env.parsed_or(MINIMUM_AGE_MINUTES_VAR, DEFAULT_MINIMUM_AGE_MINUTES);
        let stack_mode = env.flag_or(STACK_MODE_VAR, false);
        let stack_name_prefix = env.optional(STACK_NAME_PREFIX_VAR).unwrap_or_default();
        let sweep_regions = env.list(SWEEP_REGIONS_VAR);
        let auto_termination = AutoTermination {
            attach: env.flag_or(ATTACH_AUTO_TERMINATION_POLICY_VAR, false),
            idle_timeout_seconds: env.parsed_or(
                AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS_VAR,
                DEFAULT_AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS,
            ),
            idle_check_managed: env.flag_or(IDLE_CHECK_POLICY_MANAGED_VAR, false),
        };
        if !AUTO_TERMINATION_IDLE_TIMEOUT_RANGE.contains(&auto_termination.idle_timeout_seconds) {
            env.problem(format!(
                "{AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS_VAR}={} is not valid: EMR takes {} to {} seconds (7 days)",
                auto_termination.idle_timeout_seconds,
                AUTO_TERMINATION_IDLE_TIMEOUT_RANGE.start(),
                AUTO_TERMINATION_IDLE_TIMEOUT_RANGE.end()
            ));
        }
        env.finish()?;
        Ok(Self {
            topics,
            dry_run,
            metric,
            idle_window_minutes,
            period_seconds,
            opt_out_tag_key,
            minimum_age_minutes,
            stack_mode,
            stack_name_prefix,
            sweep_regions,
            auto_termination,
        })
    }

    /// How many datapoints the idle window holds.
    pub fn expected_datapoints(&self) -> u32 {
        self.idle_window_minutes * 60 / self.period_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        let mut vars: std::collections::HashMap<String, String> = [
            ("WARNING_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:w"),
            ("CRITICAL_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:c"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        vars.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        EnvReader::from_map(vars)
    }

    #[test]
    fn defaults_are_safe() {
        let config = Config::from_env(env(&[])).unwrap();
        assert!(config.dry_run);
        assert!(!config.stack_mode);
        assert_eq!(config.metric, MetricMode::EmrIsIdle);
        assert_eq!(config.idle_window_minutes, 60);
        assert_eq!(config.period_seconds, 300);
        assert_eq!(config.expected_datapoints(), 12);
        assert_eq!(config.opt_out_tag_key, "watchkeeper:keep");
        assert_eq!(config.minimum_age_minutes, 30);
        assert_eq!(config.stack_name_prefix, "");
        assert_eq!(
            config.auto_termination,
            AutoTermination {
                attach: false,
                idle_timeout_seconds: 3600,
                idle_check_managed: false,
            }
        );
    }

    #[test]
    fn the_policy_idle_timeout_must_be_within_emrs_bounds() {
        for (timeout, valid) in [
            ("59", false),
            ("60", true),
            ("604800", true),
            ("604801", false),
            ("0", false),
        ] {
            let result = Config::from_env(env(&[
                ("ATTACH_AUTO_TERMINATION_POLICY", "true"),
                ("AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS", timeout),
            ]));
            match (result, valid) {
                (Ok(config), true) => {
                    assert!(config.auto_termination.attach);
                    assert_eq!(
                        config.auto_termination.idle_timeout_seconds.to_string(),
                        timeout
                    );
                }
                (Err(error), false) => assert_eq!(
                    error.problems,
                    vec![format!(
                        "AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS={timeout} is not valid: EMR takes 60 to 604800 seconds (7 days)"
                    )]
                ),
                (other, _) => panic!("{timeout}: {other:?}"),
            }
        }
        let error = Config::from_env(env(&[
            ("ATTACH_AUTO_TERMINATION_POLICY", "sometimes"),
            ("AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS", "an hour"),
            ("IDLE_CHECK_POLICY_MANAGED", "maybe"),
        ]))
        .unwrap_err();
        assert_eq!(error.problems.len(), 3, "{:?}", error.problems);
        for (problem, variable) in error.problems.iter().zip([
            "ATTACH_AUTO_TERMINATION_POLICY",
            "AUTO_TERMINATION_IDLE_TIMEOUT_SECONDS",
            "IDLE_CHECK_POLICY_MANAGED",
        ]) {
            assert!(problem.starts_with(variable), "{problem}");
        }
    }

    #[test]
    fn custom_metric_has_defaults_and_overrides() {
        let config = Config::from_env(env(&[("METRIC_MODE", "Custom")])).unwrap();
        assert_eq!(
            config.metric,
            MetricMode::Custom {
                namespace: "Watchkeeper/EMR".into(),
                name: "ClusterInUse".into()
            }
        );
        assert_eq!(config.metric.statistic(), "Maximum");
        let config = Config::from_env(env(&[
            ("METRIC_MODE", "custom"),
            ("CUSTOM_METRIC_NAMESPACE", "Team/EMR"),
            ("CUSTOM_METRIC_NAME", "Busy"),
        ]))
        .unwrap();
        assert_eq!(config.metric.namespace(), "Team/EMR");
        assert_eq!(config.metric.metric_name(), "Busy");
    }

    #[test]
    fn idle_values_per_mode() {
        let custom = MetricMode::Custom {
            namespace: "n".into(),
            name: "m".into(),
        };
        for (mode, value, idle) in [
            (&MetricMode::EmrIsIdle, 1.0, true),
            (&MetricMode::EmrIsIdle, 0.0, false),
            (&MetricMode::EmrIsIdle, 0.5, false),
            (&custom, 0.0, true),
            (&custom, 1.0, false),
            (&custom, 0.2, false),
        ] {
            assert_eq!(mode.says_idle(value), idle, "{mode:?} {value}");
        }
    }

    #[test]
    fn every_bad_setting_is_named() {
        let error = Config::from_env(env(&[
            ("DRY_RUN", "perhaps"),
            ("METRIC_MODE", "cpu"),
            ("IDLE_WINDOW_MINUTES", "7"),
            ("MINIMUM_AGE_MINUTES", "-1"),
        ]))
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "DRY_RUN=\"perhaps\" is not valid: expected true or false",
                "METRIC_MODE=\"cpu\" is not valid: expected emr-isidle or custom",
                "IDLE_WINDOW_MINUTES=7 is not valid: must be a positive whole number of METRIC_PERIOD_SECONDS (300 s) periods",
                "MINIMUM_AGE_MINUTES=\"-1\" is not valid: invalid digit found in string",
            ]
        );
        let error = Config::from_env(env(&[("METRIC_PERIOD_SECONDS", "90")])).unwrap_err();
        assert_eq!(
            error.problems,
            vec!["METRIC_PERIOD_SECONDS=90 is not valid: must be a positive multiple of 60"]
        );
        let error = Config::from_env(env(&[
            ("METRIC_PERIOD_SECONDS", "60"),
            ("IDLE_WINDOW_MINUTES", "600"),
        ]))
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec!["IDLE_WINDOW_MINUTES=600 is too long: at most 200 periods of 60 s"]
        );
    }
}
