//! Each check against a local stand-in for its service, answering with
//! recorded response shapes: empty, busy, recently finished, finished long
//! ago, malformed and unreachable.

mod support;

use std::time::{Duration, SystemTime};

use emr_activity_reporter::checks::local::{observe_busy_marker, observe_ssh};
use emr_activity_reporter::checks::services::{
    observe_jupyterhub, observe_presto, observe_yarn, observe_zeppelin,
};
use emr_activity_reporter::checks::{Outcome, Window};
use emr_activity_reporter::config::Config;
use support::{FixtureServer, Reply, closed_url, config, long_after, recorded_at, temp_dir, touch};

fn window(now: SystemTime) -> Window {
    Window::new(now, 10)
}

fn unavailable(service: &str, url: &str) -> Outcome {
    Outcome::Unavailable {
        why: format!(
            "{service} is not running: nothing listens on {}",
            url.trim_start_matches("http://")
        ),
    }
}

/// A config whose `setting` points at `url`.
async fn pointed(setting: &str, url: &str) -> Config {
    config(&temp_dir("service"), &[(setting, url.to_owned())]).await
}

#[tokio::test]
async fn yarn_check_reads_the_resource_manager() {
    const PATH: &str = "/ws/v1/cluster/apps";
    let cases = [
        (
            Reply::Fixture("yarn-apps-empty.json"),
            recorded_at(),
            Outcome::not_in_use(
                "no application active or finished in the last 10 minutes (0 finished earlier)",
            ),
        ),
        (
            Reply::Chunked("yarn-apps-running.json"),
            long_after(),
            Outcome::in_use("1 application active: application_1732260000000_0003 RUNNING"),
        ),
        (
            Reply::Fixture("yarn-apps-finished.json"),
            recorded_at(),
            Outcome::in_use(
                "application application_1732260000000_0003 finished 3 minutes ago (window 10 minutes)",
            ),
        ),
        (
            Reply::Chunked("yarn-apps-finished.json"),
            long_after(),
            Outcome::not_in_use(
                "no application active or finished in the last 10 minutes (2 finished earlier)",
            ),
        ),
        (
            Reply::Fixture("yarn-apps-malformed.json"),
            recorded_at(),
            Outcome::garbage(
                "YARN ResourceManager answered unreadable JSON: EOF while parsing a string at line 1 column 83",
            ),
        ),
        (
            Reply::Status(500, "<html>java.lang.NullPointerException</html>"),
            recorded_at(),
            Outcome::garbage(
                "YARN ResourceManager at ADDR answered HTTP 500 to GET /ws/v1/cluster/apps",
            ),
        ),
    ];
    for (reply, now, expected) in cases {
        let server = FixtureServer::start(&[(PATH, reply.clone())]).await;
        let config = pointed("YARN_URL", &server.url).await;
        let outcome = observe_yarn(&config, &window(now)).await;
        let expected = match expected {
            Outcome::Garbage { why } => {
                Outcome::garbage(why.replace("ADDR", &config.yarn.describe()))
            }
            other => other,
        };
        assert_eq!(outcome, expected, "{reply:?}");
        assert_eq!(server.requests().len(), 1);
    }
    let closed = closed_url().await;
    let config = pointed("YARN_URL", &closed).await;
    assert_eq!(
        observe_yarn(&config, &window(recorded_at())).await,
        unavailable("YARN ResourceManager", &closed)
    );
}

#[tokio::test]
async fn presto_check_reads_the_query_list_and_says_who_asks() {
    const PATH: &str = "/v1/query";
    let cases = [
        (
            "presto-queries-empty.json",
            recorded_at(),
            Outcome::not_in_use(
                "no query active or finished in the last 10 minutes (0 finished earlier)",
            ),
        ),
        (
            "presto-queries-running.json",
            long_after(),
            Outcome::in_use("1 query active: 20241122_095800_00007_x4kqp RUNNING"),
        ),
        (
            "presto-queries-finished.json",
            recorded_at(),
            Outcome::in_use(
                "query 20241122_095800_00007_x4kqp finished 2 minutes ago (window 10 minutes)",
            ),
        ),
        (
            "presto-queries-finished.json",
            long_after(),
            Outcome::not_in_use(
                "no query active or finished in the last 10 minutes (2 finished earlier)",
            ),
        ),
        (
            "presto-queries-malformed.json",
            recorded_at(),
            Outcome::garbage(
                "Presto/Trino answered unreadable JSON: invalid type: map, expected a sequence at line 1 column 0",
            ),
        ),
    ];
    for (name, now, expected) in cases {
        let server = FixtureServer::start(&[(PATH, Reply::Fixture(name))]).await;
        let config = pointed("PRESTO_URL", &server.url).await;
        assert_eq!(
            observe_presto(&config, &window(now)).await,
            expected,
            "{name}"
        );
        let request = &server.requests()[0];
        assert!(
            request.starts_with("GET /v1/query HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request.contains("\r\nX-Trino-User: emr-activity-reporter\r\n"),
            "{request}"
        );
        assert!(
            request.contains("\r\nX-Presto-User: emr-activity-reporter\r\n"),
            "{request}"
        );
    }
    let closed = closed_url().await;
    let config = pointed("PRESTO_URL", &closed).await;
    assert_eq!(
        observe_presto(&config, &window(recorded_at())).await,
        unavailable("Presto/Trino", &closed)
    );
}

#[tokio::test]
async fn zeppelin_check_reads_every_notebooks_job_status() {
    let cases = [
        (
            "zeppelin-job-running.json",
            long_after(),
            Outcome::in_use(
                "2 paragraphs active: 2JXKQ7VPA running, 2JXKQ7VPA/20241122-094500_2003985544 RUNNING",
            ),
        ),
        (
            "zeppelin-job-finished.json",
            recorded_at(),
            Outcome::in_use(
                "paragraph 2JXKQ7VPA/20241122-094500_2003985544 finished 3 minutes ago (window 10 minutes)",
            ),
        ),
        (
            "zeppelin-job-finished.json",
            long_after(),
            Outcome::not_in_use(
                "no paragraph active or finished in the last 10 minutes (2 finished earlier)",
            ),
        ),
        (
            "zeppelin-job-malformed.json",
            recorded_at(),
            Outcome::garbage(
                "Zeppelin paragraph 2JXKQ7VPA/20241122-094500_2003985544 has an unreadable finish time \"22/11/2024 09:56\"",
            ),
        ),
    ];
    for (second_note, now, expected) in cases {
        let server = FixtureServer::start(&[
            ("/api/notebook", Reply::Fixture("zeppelin-notebooks.json")),
            (
                "/api/notebook/job/2A94M5J1Z",
                Reply::Fixture("zeppelin-job-tutorial.json"),
            ),
            ("/api/notebook/job/2JXKQ7VPA", Reply::Fixture(second_note)),
        ])
        .await;
        let config = pointed("ZEPPELIN_URL", &server.url).await;
        assert_eq!(
            observe_zeppelin(&config, &window(now)).await,
            expected,
            "{second_note}"
        );
        let paths: Vec<String> = server
            .requests()
            .iter()
            .map(|head| head.split(' ').nth(1).unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "/api/notebook",
                "/api/notebook/job/2A94M5J1Z",
                "/api/notebook/job/2JXKQ7VPA"
            ]
        );
    }
    // Only never-run paragraphs: nobody used the notebooks.
    let server = FixtureServer::start(&[
        ("/api/notebook", Reply::Fixture("zeppelin-notebooks.json")),
        (
            "/api/notebook/job/2A94M5J1Z",
            Reply::Fixture("zeppelin-job-tutorial.json"),
        ),
        (
            "/api/notebook/job/2JXKQ7VPA",
            Reply::Fixture("zeppelin-job-tutorial.json"),
        ),
    ])
    .await;
    let config = pointed("ZEPPELIN_URL", &server.url).await;
    assert_eq!(
        observe_zeppelin(&config, &window(recorded_at())).await,
        Outcome::not_in_use(
            "no paragraph active or finished in the last 10 minutes (0 finished earlier)"
        )
    );
    // A notebook that disappears between the list and its status is doubt.
    let server =
        FixtureServer::start(&[("/api/notebook", Reply::Fixture("zeppelin-notebooks.json"))]).await;
    let config = pointed("ZEPPELIN_URL", &server.url).await;
    assert_eq!(
        observe_zeppelin(&config, &window(recorded_at())).await,
        Outcome::garbage(format!(
            "Zeppelin at {} answered HTTP 404 to GET /api/notebook/job/2A94M5J1Z",
            config.zeppelin.describe()
        ))
    );
    let closed = closed_url().await;
    let config = pointed("ZEPPELIN_URL", &closed).await;
    assert_eq!(
        observe_zeppelin(&config, &window(recorded_at())).await,
        unavailable("Zeppelin", &closed)
    );
}

#[tokio::test]
async fn jupyterhub_check_reads_server_activity_with_the_token_from_its_file() {
    const PATH: &str = "/hub/api/users";
    let cases = [
        (
            "jupyterhub-users-no-servers.json",
            recorded_at(),
            Outcome::not_in_use(
                "no server active in the last 10 minutes (0 running servers idle longer)",
            ),
        ),
        (
            "jupyterhub-users-active.json",
            recorded_at(),
            Outcome::in_use("server of dana active 4 minutes ago (window 10 minutes)"),
        ),
        (
            "jupyterhub-users-active.json",
            long_after(),
            Outcome::not_in_use(
                "no server active in the last 10 minutes (1 running server idle longer)",
            ),
        ),
        (
            "jupyterhub-users-spawning.json",
            long_after(),
            Outcome::in_use("1 server starting or stopping: dana (spawn)"),
        ),
        (
            "jupyterhub-users-malformed.json",
            recorded_at(),
            Outcome::garbage(
                "JupyterHub server of dana has an unreadable last_activity \"recently\"",
            ),
        ),
    ];
    for (name, now, expected) in cases {
        let dir = temp_dir("hub");
        std::fs::write(dir.join("token"), "0123abcd-token\n").unwrap();
        let server = FixtureServer::start(&[(PATH, Reply::Fixture(name))]).await;
        let config = config(&dir, &[("JUPYTERHUB_URL", server.url.clone())]).await;
        assert_eq!(
            observe_jupyterhub(&config, &window(now)).await,
            expected,
            "{name}"
        );
        let request = &server.requests()[0];
        assert!(
            request.contains("\r\nAuthorization: token 0123abcd-token\r\n"),
            "{request}"
        );
    }
    // Without its token the hub refuses; that is doubt, and the reason says why.
    let dir = temp_dir("hub-no-token");
    let server = FixtureServer::start(&[(PATH, Reply::Status(403, "{\"status\": 403}"))]).await;
    let config = config(&dir, &[("JUPYTERHUB_URL", server.url.clone())]).await;
    assert_eq!(
        observe_jupyterhub(&config, &window(recorded_at())).await,
        Outcome::garbage(format!(
            "JupyterHub at {} answered HTTP 403 to GET /hub/api/users; API token file {} could not be read: No such file or directory (os error 2)",
            config.jupyterhub.describe(),
            dir.join("token").display()
        ))
    );
    assert!(!server.requests()[0].contains("Authorization"));
    let closed = closed_url().await;
    let config = pointed("JUPYTERHUB_URL", &closed).await;
    assert_eq!(
        observe_jupyterhub(&config, &window(recorded_at())).await,
        unavailable("JupyterHub", &closed)
    );
}

#[tokio::test]
async fn a_service_that_hangs_is_doubt_not_absence() {
    let server = FixtureServer::start(&[("/ws/v1/cluster/apps", Reply::Hang)]).await;
    let dir = temp_dir("hang");
    let config = config(
        &dir,
        &[
            ("YARN_URL", server.url.clone()),
            ("HTTP_TIMEOUT_SECONDS", "1".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        observe_yarn(&config, &window(recorded_at())).await,
        Outcome::garbage(format!(
            "YARN ResourceManager: GET /ws/v1/cluster/apps on {} timed out after 1 s",
            config.yarn.describe()
        ))
    );
}

#[tokio::test]
async fn ssh_check_reads_terminal_input_times() {
    let now = SystemTime::now();
    let minutes_ago = |minutes: u64| now - Duration::from_secs(minutes * 60);
    let dir = temp_dir("ssh");
    let config = config(&dir, &[]).await;
    assert_eq!(
        observe_ssh(&config, now).await,
        Outcome::Unavailable {
            why: format!("no terminal directory {}", dir.join("pts").display())
        }
    );
    let pts = dir.join("pts");
    std::fs::create_dir(&pts).unwrap();
    // The multiplexer is not a session, however recent.
    touch(&pts.join("ptmx"), now, now);
    // Output alone (modified) is not input (accessed).
    touch(&pts.join("0"), minutes_ago(45), now);
    assert_eq!(
        observe_ssh(&config, now).await,
        Outcome::not_in_use("no terminal input in the last 10 minutes (1 session idle longer)")
    );
    touch(&pts.join("3"), minutes_ago(4), minutes_ago(4));
    assert_eq!(
        observe_ssh(&config, now).await,
        Outcome::in_use("terminal input 4 minutes ago on pts/3 (window 10 minutes)")
    );
}

#[tokio::test]
async fn busy_marker_counts_while_it_is_being_touched() {
    let now = SystemTime::now();
    let dir = temp_dir("marker");
    let config = config(&dir, &[]).await;
    let marker = dir.join("isbusy");
    assert_eq!(
        observe_busy_marker(&config, now).await,
        Outcome::not_in_use(format!("no busy marker at {}", marker.display()))
    );
    touch(&marker, now, now - Duration::from_secs(90 * 60));
    assert_eq!(
        observe_busy_marker(&config, now).await,
        Outcome::not_in_use(format!(
            "busy marker {} last touched 90 minutes ago",
            marker.display()
        ))
    );
    touch(&marker, now, now - Duration::from_secs(120));
    assert_eq!(
        observe_busy_marker(&config, now).await,
        Outcome::in_use(format!(
            "busy marker {} touched 2 minutes ago (window 10 minutes)",
            marker.display()
        ))
    );
}
