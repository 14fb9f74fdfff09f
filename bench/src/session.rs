//! One bootstrap process under the Runtime API emulator: started cold,
//! invoked event by event, measured from `/proc` at each `/next` poll.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use testbed::codecommit::CodeCommitServer;
use tokio::process::{Child, Command};

use crate::moto::TlsMoto;
use crate::process;
use crate::runtime_api::{Outcome, RuntimeApi, Signal, Signals};

/// How long a bootstrap may take to start or to answer one event.
const PATIENCE: Duration = Duration::from_secs(300);

/// A running bootstrap, idle in `/next` between invocations.
pub struct Session {
    api: RuntimeApi,
    signals: Signals,
    child: Child,
    pid: u32,
    /// CPU used up to the last `/next` poll.
    cpu: Duration,
    pub init_wall: Duration,
    pub init_cpu: Duration,
    /// The same, from `/proc/<pid>/stat` in 10 ms ticks: a cross-check.
    pub init_cpu_ticks: Duration,
}

/// One invocation's figures.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// From queuing the event (the bootstrap already waiting in `/next`)
    /// to its response or error.
    pub wall: Duration,
    /// CPU from the `/next` poll that took the event to the one after it.
    pub cpu: Duration,
    pub outcome: Outcome,
}

impl Session {
    /// Starts `bootstrap` with exactly `env` (nothing inherited, as on
    /// Lambda) and waits for its first `/next`; its output goes to `log`.
    pub async fn start(
        bootstrap: &Path,
        function_name: &str,
        env: &[(String, String)],
        log: &Path,
    ) -> Result<Self, String> {
        let (api, signals) = RuntimeApi::start(function_name, Duration::from_secs(30))
            .await
            .map_err(|error| format!("starting the Runtime API emulator: {error}"))?;
        let log_file = std::fs::File::create(log)
            .map_err(|error| format!("creating {}: {error}", log.display()))?;
        let log_clone = log_file
            .try_clone()
            .map_err(|error| format!("opening {} twice: {error}", log.display()))?;
        let mut command = Command::new(bootstrap);
        command
            .env_clear()
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env("AWS_LAMBDA_RUNTIME_API", api.host_port())
            .current_dir(bootstrap.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_clone)
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|error| format!("starting {}: {error}", bootstrap.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| format!("{} exited at once", bootstrap.display()))?;
        let mut session = Self {
            api,
            signals,
            child,
            pid,
            cpu: Duration::ZERO,
            init_wall: Duration::ZERO,
            init_cpu: Duration::ZERO,
            init_cpu_ticks: Duration::ZERO,
        };
        let ready = session.next_poll(log).await?;
        session.cpu = process::cpu_time(pid).map_err(|error| format!("reading CPU: {error}"))?;
        session.init_cpu_ticks =
            process::cpu_time_ticks(pid).map_err(|error| format!("reading CPU: {error}"))?;
        session.init_wall = ready - started;
        session.init_cpu = session.cpu;
        Ok(session)
    }

    /// Sends one event and measures it until the bootstrap polls again.
    pub async fn invoke(&mut self, event: &Value, log: &Path) -> Result<Invocation, String> {
        let queued = Instant::now();
        let outcome = self.api.invoke(event);
        let outcome = tokio::select! {
            outcome = outcome => outcome.map_err(|_| "the emulator dropped the invocation".to_owned())?,
            status = self.child.wait() => return Err(exited(status, log)),
            _ = tokio::time::sleep(PATIENCE) => return Err(format!("no answer within {PATIENCE:?}; see {}", log.display())),
        };
        self.next_poll(log).await?;
        let cpu = process::cpu_time(self.pid).map_err(|error| format!("reading CPU: {error}"))?;
        let invocation = Invocation {
            wall: outcome.at - queued,
            cpu: cpu.saturating_sub(self.cpu),
            outcome,
        };
        self.cpu = cpu;
        Ok(invocation)
    }

    /// Peak RSS in KiB, then stops the process.
    pub async fn finish(mut self) -> Result<u64, String> {
        let peak =
            process::peak_rss_kib(self.pid).map_err(|error| format!("reading VmHWM: {error}"));
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        drop(self.api);
        peak
    }

    async fn next_poll(&mut self, log: &Path) -> Result<Instant, String> {
        tokio::select! {
            signal = self.signals.recv() => match signal {
                Some(Signal::Next { at }) => Ok(at),
                Some(Signal::InitError { body, .. }) => Err(format!("init error: {body}; see {}", log.display())),
                None => Err("the emulator stopped".to_owned()),
            },
            status = self.child.wait() => Err(exited(status, log)),
            _ = tokio::time::sleep(PATIENCE) => Err(format!("no /next within {PATIENCE:?}; see {}", log.display())),
        }
    }
}

fn exited(status: std::io::Result<std::process::ExitStatus>, log: &Path) -> String {
    let tail = std::fs::read_to_string(log)
        .map(|text| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(5)..].join("\n")
        })
        .unwrap_or_default();
    format!(
        "the bootstrap exited ({}); last lines of {}:\n{tail}",
        status.map_or_else(|error| error.to_string(), |status| status.to_string()),
        log.display()
    )
}

/// Counts the AWS API calls made since the last count, at moto and at the
/// local CodeCommit, keyed `service:Action`.
pub struct CallCounter<'a> {
    moto: &'a TlsMoto,
    codecommit: Option<&'a CodeCommitServer>,
    moto_seen: usize,
    codecommit_seen: usize,
}

impl<'a> CallCounter<'a> {
    pub async fn new(
        moto: &'a TlsMoto,
        codecommit: Option<&'a CodeCommitServer>,
    ) -> Result<Self, String> {
        let mut counter = Self {
            moto,
            codecommit,
            moto_seen: 0,
            codecommit_seen: 0,
        };
        counter.take().await?;
        Ok(counter)
    }

    pub async fn take(&mut self) -> Result<BTreeMap<String, usize>, String> {
        let mut counts = BTreeMap::new();
        let calls = self.moto.calls().await?;
        for call in calls.iter().skip(self.moto_seen) {
            *counts
                .entry(format!("{}:{}", call.service, call.action))
                .or_insert(0) += 1;
        }
        self.moto_seen = calls.len();
        if let Some(server) = self.codecommit {
            let calls = server.calls();
            for call in calls.iter().skip(self.codecommit_seen) {
                *counts
                    .entry(format!("codecommit:{}", call.operation))
                    .or_insert(0) += 1;
            }
            self.codecommit_seen = calls.len();
        }
        Ok(counts)
    }
}
