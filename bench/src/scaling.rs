//! The scaling cases: calls and time against N, each point a warm
//! invocation of one bootstrap process.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};
use testbed::emr::{ClusterSpec, run_cluster};
use testbed::events::{load, with_detail};

use crate::account::Account;
use crate::results::{ScaleCase, ScalePoint};
use crate::scenarios::{freshen, put_alarms};
use crate::session::{CallCounter, Session};
use crate::stats::ms;
use crate::tls;

/// One bootstrap process invoked once per N, after one warm-up invocation,
/// so that each point is a warm invocation.
struct ScaleRun<'a> {
    session: Session,
    counter: CallCounter<'a>,
    log: PathBuf,
    case: ScaleCase,
}

impl<'a> ScaleRun<'a> {
    async fn start(
        account: &'a Account,
        certificates: &tls::Certificates,
        bootstrap: &Path,
        function: &str,
        case: &str,
        log: PathBuf,
        warm_up: &Value,
    ) -> Result<Self, String> {
        let env = account.env(function, certificates);
        let mut session = Session::start(bootstrap, function, &env, &log).await?;
        let warm = session.invoke(warm_up, &log).await?;
        if warm.outcome.is_error {
            return Err(format!(
                "{case}: the warm-up invocation failed: {}",
                warm.outcome.body
            ));
        }
        let counter = CallCounter::new(&account.moto, Some(&account.codecommit)).await?;
        Ok(Self {
            session,
            counter,
            log,
            case: ScaleCase {
                case: case.to_owned(),
                function: function.to_owned(),
                points: Vec::new(),
                peak_rss_kib: 0,
            },
        })
    }

    /// Resets the call count: the harness's own seeding is not the function's.
    async fn seeded(&mut self) -> Result<(), String> {
        self.counter.take().await.map(|_| ())
    }

    async fn point(&mut self, n: usize, event: &Value) -> Result<(), String> {
        let invocation = self.session.invoke(event, &self.log).await?;
        let calls = self.counter.take().await?;
        println!(
            "    N = {n:>5}: {:>9.1} ms wall, {:>8.2} ms CPU, {} calls {:?}",
            ms(invocation.wall),
            ms(invocation.cpu),
            calls.values().sum::<usize>(),
            calls
        );
        self.case.points.push(ScalePoint {
            n,
            wall_ms: ms(invocation.wall),
            cpu_ms: ms(invocation.cpu),
            calls,
            ok: !invocation.outcome.is_error,
            outcome: invocation.outcome.body.chars().take(300).collect(),
        });
        Ok(())
    }

    async fn finish(mut self) -> Result<ScaleCase, String> {
        self.case.peak_rss_kib = self.session.finish().await?;
        Ok(self.case)
    }
}

/// Runs the five scaling cases, each in one bootstrap process: the EMR
/// sweep over 10, 100 and 1,000 clusters, deleting 5, 50 and 500 alarms,
/// the EC2 alarm creator's sweep over 10, 100 and 1,000 instances whose
/// alarms are up to date,
/// a CodeCommit push of 10, 100 and 1,000 files, and a Health event with
/// 20, 200 and 2,000 entities. `bootstrap` maps a function to its
/// bootstrap's path; `run_started` dates the progress lines.
///
/// Errors: a bootstrap could not start or answer, its warm-up failed, or
/// seeding the account failed, as a sentence.
pub async fn run_scaling(
    account: &Account,
    certificates: &tls::Certificates,
    bootstrap: &impl Fn(&str) -> PathBuf,
    logs: &Path,
    run_started: Instant,
) -> Result<Vec<ScaleCase>, String> {
    let sdk = &account.sdk;
    let mut cases = Vec::new();
    let elapsed = || run_started.elapsed().as_secs_f64();
    let scenario = 100;

    println!("[{:>5.0} s] scaling: EMR sweep over N clusters", elapsed());
    let function = "idle-emr-terminator";
    let mut sweep = load("emr-sweep-schedule.json");
    freshen(&mut sweep, scenario, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "EMR sweep over N clusters",
        logs.join("scale-emr-sweep.log"),
        &sweep,
    )
    .await?;
    let mut clusters = 0;
    for (index, n) in [10, 100, 1000].into_iter().enumerate() {
        while clusters < n {
            run_cluster(
                sdk,
                &ClusterSpec {
                    name: &format!("bench-{clusters:04}"),
                    ..Default::default()
                },
            )
            .await;
            clusters += 1;
        }
        run.seeded().await?;
        freshen(&mut sweep, scenario, index + 1);
        run.point(n, &sweep).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: deleting N alarms of one instance",
        elapsed()
    );
    let function = "ec2-alarm-creator";
    let spare = testbed::ec2::run_instance(sdk, &[]).await;
    let mut warm_up = with_detail(
        load("ec2-instance-stopped.json"),
        "instance-id",
        spare.as_str(),
    );
    freshen(&mut warm_up, scenario + 1, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "deleting N alarms of one instance",
        logs.join("scale-alarms.log"),
        &warm_up,
    )
    .await?;
    let mut launched = vec![spare.clone()];
    for (index, n) in [5, 50, 500].into_iter().enumerate() {
        let instance = testbed::ec2::run_instance(sdk, &[]).await;
        launched.push(instance.clone());
        let names: Vec<String> = (0..n)
            .map(|k| format!("watchkeeper-{instance}-alarm-{k:04}"))
            .collect();
        put_alarms(sdk, &names).await?;
        run.seeded().await?;
        let mut event = with_detail(
            load("ec2-instance-stopped.json"),
            "instance-id",
            instance.as_str(),
        );
        freshen(&mut event, scenario + 1, index + 1);
        run.point(n, &event).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: EC2 alarm sweep over N instances, nothing to change",
        elapsed()
    );
    // Only this case's instances run: the sweep looks at every one.
    for instance in &launched {
        testbed::ec2::terminate_instance(sdk, instance).await;
    }
    let mut sweep = load("ec2-alarm-sweep-schedule.json");
    freshen(&mut sweep, scenario + 4, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "EC2 alarm sweep over N instances, nothing to change",
        logs.join("scale-ec2-sweep.log"),
        &sweep,
    )
    .await?;
    let mut instances = 0;
    for (index, n) in [10, 100, 1000].into_iter().enumerate() {
        while instances < n {
            testbed::ec2::run_instance(sdk, &[("Name", &format!("bench-{instances:04}"))]).await;
            instances += 1;
        }
        // A first sweep puts the new instances' alarms (seeding, not
        // counted); the measured one finds nothing to change.
        freshen(&mut sweep, scenario + 4, 2 * index + 1);
        let seeding = run.session.invoke(&sweep, &run.log).await?;
        if seeding.outcome.is_error {
            return Err(format!(
                "the seeding sweep over {n} instances failed: {}",
                seeding.outcome.body
            ));
        }
        run.seeded().await?;
        freshen(&mut sweep, scenario + 4, 2 * index + 2);
        run.point(n, &sweep).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: a CodeCommit push touching N files",
        elapsed()
    );
    let function = "codecommit-change-publisher";
    let mut repo = account.codecommit.create_repository("payments-service");
    repo.write("README.md", "# Payments\n");
    let mut before = repo.commit("Initial import");
    repo.write("CHANGELOG.md", "warm-up\n");
    let mut after = repo.commit("Warm-up");
    let push = |before: &str, after: &str, index: usize| {
        let mut event = with_detail(
            with_detail(load("codecommit-branch-updated.json"), "commitId", after),
            "oldCommitId",
            before,
        );
        freshen(&mut event, scenario + 2, index);
        event
    };
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "a CodeCommit push touching N files",
        logs.join("scale-codecommit.log"),
        &push(&before, &after, 0),
    )
    .await?;
    for (index, n) in [10, 100, 1000].into_iter().enumerate() {
        before = after.clone();
        let directory = repo.path.join(format!("batch-{n}"));
        std::fs::create_dir_all(&directory)
            .map_err(|error| format!("{}: {error}", directory.display()))?;
        for k in 0..n {
            std::fs::write(directory.join(format!("file-{k:04}.txt")), format!("{k}\n"))
                .map_err(|error| format!("writing a file: {error}"))?;
        }
        repo.git(&["add", "-A"]);
        after = repo.commit(&format!("Touch {n} files"));
        run.seeded().await?;
        run.point(n, &push(&before, &after, index + 1)).await?;
    }
    cases.push(run.finish().await?);

    println!(
        "[{:>5.0} s] scaling: a Health event with N entities",
        elapsed()
    );
    let function = "health-event-forwarder";
    let base = load("health-account-issue.json");
    let mut warm_up = base.clone();
    freshen(&mut warm_up, scenario + 3, 0);
    let mut run = ScaleRun::start(
        account,
        certificates,
        &bootstrap(function),
        function,
        "a Health event with N entities",
        logs.join("scale-health.log"),
        &warm_up,
    )
    .await?;
    for (index, n) in [20, 200, 2000].into_iter().enumerate() {
        let mut event = base.clone();
        event["detail"]["affectedEntities"] = (0..n)
            .map(|k| json!({"entityValue": format!("vol-{k:017x}"), "status": "IMPAIRED"}))
            .collect::<Vec<_>>()
            .into();
        event["resources"] = (0..n)
            .map(|k| Value::from(format!("vol-{k:017x}")))
            .collect::<Vec<_>>()
            .into();
        freshen(&mut event, scenario + 3, index + 1);
        run.point(n, &event).await?;
    }
    cases.push(run.finish().await?);
    Ok(cases)
}
