//! Local stand-ins for the services on an EMR primary node: an HTTP server
//! per test that answers with the recorded fixtures, and temporary files.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use emr_activity_reporter::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use watchkeeper_shared::config::EnvReader;

/// The moment the fixtures were recorded around: 2024-11-22T10:00:00Z.
pub const RECORDED_AT_MS: u64 = 1_732_269_600_000;

pub fn recorded_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(RECORDED_AT_MS)
}

/// Two hours after the fixtures: everything in them is long finished.
pub fn long_after() -> SystemTime {
    recorded_at() + Duration::from_secs(2 * 3600)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {}: {error}", path.display()))
}

/// How the server answers one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a fixture file, sized with Content-Length.
    Fixture(&'static str),
    /// 200 with a fixture file, chunked as Jetty sends large answers.
    Chunked(&'static str),
    Status(u16, &'static str),
    /// Accepts and never answers.
    Hang,
}

/// A loopback HTTP/1.1 server; unknown paths get 404.
pub struct FixtureServer {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FixtureServer {
    pub async fn start(routes: &[(&str, Reply)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let routes: Arc<HashMap<String, Reply>> = Arc::new(
            routes
                .iter()
                .map(|(path, reply)| ((*path).to_owned(), reply.clone()))
                .collect(),
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let routes = Arc::clone(&routes);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match stream.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
                    seen.lock().expect("lock").push(head);
                    let response = match routes.get(&path) {
                        Some(Reply::Fixture(name)) => {
                            let body = fixture(name);
                            let mut response = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            )
                            .into_bytes();
                            response.extend(body);
                            response
                        }
                        Some(Reply::Chunked(name)) => {
                            let body = fixture(name);
                            let mut response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                            for chunk in body.chunks(700) {
                                response.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
                                response.extend(chunk);
                                response.extend(b"\r\n");
                            }
                            response.extend(b"0\r\n\r\n");
                            response
                        }
                        Some(Reply::Status(status, body)) => format!(
                            "HTTP/1.1 {status} Error\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                        .into_bytes(),
                        Some(Reply::Hang) => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return;
                        }
                        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                    };
                    let _ = stream.write_all(&response).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
        }
    }

    /// The request heads received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

/// A loopback URL where nothing listens.
pub async fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A fresh empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "emr-activity-reporter-tests-{}-{name}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Creates `path` with the given access and modification times.
pub fn touch(path: &Path, accessed: SystemTime, modified: SystemTime) {
    let file = std::fs::File::create(path).expect("create");
    file.set_times(
        std::fs::FileTimes::new()
            .set_accessed(accessed)
            .set_modified(modified),
    )
    .expect("set times");
}

/// Settings where every service is absent unless `extra` says otherwise:
/// no terminals, no marker, nothing listening.
pub async fn config(dir: &Path, extra: &[(&str, String)]) -> Config {
    let closed = closed_url().await;
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "JOB_FLOW_INFO_FILE".to_owned(),
            dir.join("job-flow.json").display().to_string(),
        ),
        ("TTY_DIR".to_owned(), dir.join("pts").display().to_string()),
        (
            "BUSY_MARKER_FILE".to_owned(),
            dir.join("isbusy").display().to_string(),
        ),
        (
            "JUPYTERHUB_TOKEN_FILE".to_owned(),
            dir.join("token").display().to_string(),
        ),
        ("YARN_URL".to_owned(), closed.clone()),
        ("PRESTO_URL".to_owned(), closed.clone()),
        ("ZEPPELIN_URL".to_owned(), closed.clone()),
        ("JUPYTERHUB_URL".to_owned(), closed),
        ("HTTP_TIMEOUT_SECONDS".to_owned(), "2".to_owned()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    Config::from_env(EnvReader::from_map(vars)).expect("valid settings")
}

/// Writes EMR's job-flow info file for `cluster_id` into `dir`.
pub fn write_job_flow(dir: &Path, cluster_id: &str) {
    let text = String::from_utf8(fixture("job-flow.json"))
        .expect("text")
        .replace("j-2AXXXXXXGAPLF", cluster_id);
    std::fs::write(dir.join("job-flow.json"), text).expect("job-flow.json");
}
