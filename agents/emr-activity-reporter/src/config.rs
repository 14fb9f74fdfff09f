//! Settings, read from environment variables once per run. The install
//! script writes them to `/etc/emr-activity-reporter.env`, which the cron
//! entry loads.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use watchkeeper_shared::config::{ConfigError, EnvReader};

use crate::checks::Check;

pub const JOB_FLOW_INFO_FILE_VAR: &str = "JOB_FLOW_INFO_FILE";
pub const WINDOW_MINUTES_VAR: &str = "WINDOW_MINUTES";
pub const CHECKS_VAR: &str = "CHECKS";
pub const SERVICE_HOST_VAR: &str = "SERVICE_HOST";
pub const YARN_URL_VAR: &str = "YARN_URL";
pub const PRESTO_URL_VAR: &str = "PRESTO_URL";
pub const ZEPPELIN_URL_VAR: &str = "ZEPPELIN_URL";
pub const JUPYTERHUB_URL_VAR: &str = "JUPYTERHUB_URL";
pub const JUPYTERHUB_TOKEN_FILE_VAR: &str = "JUPYTERHUB_TOKEN_FILE";
pub const TTY_DIR_VAR: &str = "TTY_DIR";
pub const BUSY_MARKER_FILE_VAR: &str = "BUSY_MARKER_FILE";
pub const METRIC_NAMESPACE_VAR: &str = "METRIC_NAMESPACE";
pub const METRIC_NAME_VAR: &str = "METRIC_NAME";
pub const HTTP_TIMEOUT_SECONDS_VAR: &str = "HTTP_TIMEOUT_SECONDS";

/// Where EMR writes the cluster's identity on every node.
pub const DEFAULT_JOB_FLOW_INFO_FILE: &str = "/mnt/var/lib/info/job-flow.json";
pub const DEFAULT_WINDOW_MINUTES: u32 = 10;
/// A day: longer would keep a cluster alive on yesterday's work.
pub const MAX_WINDOW_MINUTES: u32 = 1440;
pub const DEFAULT_SERVICE_HOST: &str = "localhost";
pub const DEFAULT_YARN_PORT: u16 = 8088;
/// EMR's port for both Presto and Trino.
pub const DEFAULT_PRESTO_PORT: u16 = 8889;
/// EMR's Zeppelin port.
pub const DEFAULT_ZEPPELIN_PORT: u16 = 8890;
/// JupyterHub's own hub API port (plain HTTP, loopback only by default).
pub const DEFAULT_JUPYTERHUB_URL: &str = "http://127.0.0.1:8081";
pub const DEFAULT_JUPYTERHUB_TOKEN_FILE: &str = "/etc/emr-activity-reporter/jupyterhub-token";
pub const DEFAULT_TTY_DIR: &str = "/dev/pts";
/// The file EMR's own idle detection (release 6.4.0 and later) treats as
/// "busy" while it keeps being touched.
pub const DEFAULT_BUSY_MARKER_FILE: &str = "/emr/metricscollector/isbusy";
/// What the idle EMR terminator's custom-metric mode reads by default.
pub const DEFAULT_METRIC_NAMESPACE: &str = "Watchkeeper/EMR";
pub const DEFAULT_METRIC_NAME: &str = "ClusterInUse";
pub const CLUSTER_DIMENSION: &str = "JobFlowId";
pub const DEFAULT_HTTP_TIMEOUT_SECONDS: u64 = 10;

/// A plain-HTTP service on the node: `http://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    pub host: String,
    pub port: u16,
    /// Empty, or a prefix starting with `/` and not ending with one.
    pub prefix: String,
}

impl ServiceUrl {
    /// Parses `text`; the error says what is wrong, without the variable name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix("http://").ok_or_else(|| {
            "must start with http:// (the reporter speaks plain HTTP to services on the node)"
                .to_owned()
        })?;
        let (authority, prefix) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("port {port:?} is not a number from 1 to 65535"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() || port == 0 {
            return Err("needs a host and a non-zero port".to_owned());
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            prefix: prefix.to_owned(),
        })
    }

    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// For logs and reasons: `host:port/prefix`.
    pub fn describe(&self) -> String {
        format!("{}:{}{}", self.host, self.port, self.prefix)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub job_flow_info_file: PathBuf,
    pub window_minutes: u32,
    pub checks: BTreeSet<Check>,
    pub yarn: ServiceUrl,
    pub presto: ServiceUrl,
    pub zeppelin: ServiceUrl,
    pub jupyterhub: ServiceUrl,
    pub jupyterhub_token_file: PathBuf,
    pub tty_dir: PathBuf,
    pub busy_marker_file: PathBuf,
    pub metric_namespace: String,
    pub metric_name: String,
    pub http_timeout: Duration,
}

impl Config {
    pub fn from_env(mut env: EnvReader) -> Result<Self, ConfigError> {
        let path = |env: &mut EnvReader, name: &str, default: &str| {
            PathBuf::from(env.optional(name).unwrap_or_else(|| default.to_owned()))
        };
        let job_flow_info_file = path(&mut env, JOB_FLOW_INFO_FILE_VAR, DEFAULT_JOB_FLOW_INFO_FILE);
        let window_minutes = env.parsed_or(WINDOW_MINUTES_VAR, DEFAULT_WINDOW_MINUTES);
        if !(1..=MAX_WINDOW_MINUTES).contains(&window_minutes) {
            env.problem(format!(
                "{WINDOW_MINUTES_VAR}={window_minutes} is not valid: must be from 1 to {MAX_WINDOW_MINUTES}"
            ));
        }
        let checks = match env.optional(CHECKS_VAR) {
            None => Check::ALL.into_iter().collect(),
            Some(_) => {
                let mut checks = BTreeSet::new();
                for name in env.list(CHECKS_VAR) {
                    match Check::from_name(&name) {
                        Some(check) => {
                            checks.insert(check);
                        }
                        None => env.problem(format!(
                            "{CHECKS_VAR} names an unknown check {name:?}: expected some of {}",
                            Check::ALL.map(Check::name).join(", ")
                        )),
                    }
                }
                checks
            }
        };
        let host = env
            .optional(SERVICE_HOST_VAR)
            .unwrap_or_else(|| DEFAULT_SERVICE_HOST.to_owned());
        let mut url = |name: &str, default: String| {
            let raw = env.optional(name).unwrap_or(default);
            ServiceUrl::parse(&raw).unwrap_or_else(|problem| {
                env.problem(format!("{name}={raw:?} is not valid: {problem}"));
                ServiceUrl {
                    host: String::new(),
                    port: 0,
                    prefix: String::new(),
                }
            })
        };
        let yarn = url(YARN_URL_VAR, format!("http://{host}:{DEFAULT_YARN_PORT}"));
        let presto = url(
            PRESTO_URL_VAR,
            format!("http://{host}:{DEFAULT_PRESTO_PORT}"),
        );
        let zeppelin = url(
            ZEPPELIN_URL_VAR,
            format!("http://{host}:{DEFAULT_ZEPPELIN_PORT}"),
        );
        let jupyterhub = url(JUPYTERHUB_URL_VAR, DEFAULT_JUPYTERHUB_URL.to_owned());
        let jupyterhub_token_file = path(
            &mut env,
            JUPYTERHUB_TOKEN_FILE_VAR,
            DEFAULT_JUPYTERHUB_TOKEN_FILE,
        );
        let tty_dir = path(&mut env, TTY_DIR_VAR, DEFAULT_TTY_DIR);
        let busy_marker_file = path(&mut env, BUSY_MARKER_FILE_VAR, DEFAULT_BUSY_MARKER_FILE);
        let metric_namespace = env
            .optional(METRIC_NAMESPACE_VAR)
            .unwrap_or_else(|| DEFAULT_METRIC_NAMESPACE.to_owned());
        let metric_name = env
            .optional(METRIC_NAME_VAR)
            .unwrap_or_else(|| DEFAULT_METRIC_NAME.to_owned());
        let timeout_seconds = env.parsed_or(HTTP_TIMEOUT_SECONDS_VAR, DEFAULT_HTTP_TIMEOUT_SECONDS);
        if !(1..=60).contains(&timeout_seconds) {
            env.problem(format!(
                "{HTTP_TIMEOUT_SECONDS_VAR}={timeout_seconds} is not valid: must be from 1 to 60"
            ));
        }
        env.finish()?;
        Ok(Self {
            job_flow_info_file,
            window_minutes,
            checks,
            yarn,
            presto,
            zeppelin,
            jupyterhub,
            jupyterhub_token_file,
            tty_dir,
            busy_marker_file,
            metric_namespace,
            metric_name,
            http_timeout: Duration::from_secs(timeout_seconds),
        })
    }

    pub fn window_seconds(&self) -> i64 {
        i64::from(self.window_minutes) * 60
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        EnvReader::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults_point_at_emr_and_match_the_terminator() {
        let config = Config::from_env(env(&[])).unwrap();
        assert_eq!(
            config.job_flow_info_file,
            PathBuf::from("/mnt/var/lib/info/job-flow.json")
        );
        assert_eq!(config.window_minutes, 10);
        assert_eq!(config.checks.len(), 7);
        assert_eq!(config.yarn.describe(), "localhost:8088");
        assert_eq!(config.presto.describe(), "localhost:8889");
        assert_eq!(config.zeppelin.describe(), "localhost:8890");
        assert_eq!(config.jupyterhub.describe(), "127.0.0.1:8081");
        assert_eq!(config.tty_dir, PathBuf::from("/dev/pts"));
        assert_eq!(
            config.busy_marker_file,
            PathBuf::from("/emr/metricscollector/isbusy")
        );
        assert_eq!(config.http_timeout, Duration::from_secs(10));
        // The terminator's custom-metric mode reads exactly this metric.
        assert_eq!(
            config.metric_namespace,
            idle_emr_terminator::config::DEFAULT_CUSTOM_NAMESPACE
        );
        assert_eq!(
            config.metric_name,
            idle_emr_terminator::config::DEFAULT_CUSTOM_METRIC
        );
        assert_eq!(
            CLUSTER_DIMENSION,
            idle_emr_terminator::config::CLUSTER_DIMENSION
        );
    }

    #[test]
    fn service_host_and_urls_can_be_overridden() {
        let config = Config::from_env(env(&[
            ("SERVICE_HOST", "ip-10-0-0-5.ec2.internal"),
            ("PRESTO_URL", "http://127.0.0.1:8080/"),
            ("ZEPPELIN_URL", "http://127.0.0.1:9000/zeppelin/"),
            ("CHECKS", "yarn, ssh"),
        ]))
        .unwrap();
        assert_eq!(config.yarn.describe(), "ip-10-0-0-5.ec2.internal:8088");
        assert_eq!(config.presto.describe(), "127.0.0.1:8080");
        assert_eq!(
            config.zeppelin.path("/api/notebook"),
            "/zeppelin/api/notebook"
        );
        assert_eq!(config.checks, BTreeSet::from([Check::Ssh, Check::Yarn]));
    }

    #[test]
    fn every_bad_setting_is_named() {
        let error = Config::from_env(env(&[
            ("WINDOW_MINUTES", "0"),
            ("CHECKS", "yarn,spark"),
            ("YARN_URL", "https://localhost:8088"),
            ("PRESTO_URL", "http://localhost:presto"),
            ("HTTP_TIMEOUT_SECONDS", "ten"),
        ]))
        .unwrap_err();
        assert_eq!(
            error.problems,
            vec![
                "WINDOW_MINUTES=0 is not valid: must be from 1 to 1440",
                "CHECKS names an unknown check \"spark\": expected some of ssh, yarn, presto, zeppelin, jupyterhub, busy-marker, steps",
                "YARN_URL=\"https://localhost:8088\" is not valid: must start with http:// (the reporter speaks plain HTTP to services on the node)",
                "PRESTO_URL=\"http://localhost:presto\" is not valid: port \"presto\" is not a number from 1 to 65535",
                "HTTP_TIMEOUT_SECONDS=\"ten\" is not valid: invalid digit found in string",
            ]
        );
    }
}
