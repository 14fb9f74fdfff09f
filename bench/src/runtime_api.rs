//! A local Lambda Runtime API (the 2018-06-01 interface a `provided.al2023`
//! bootstrap talks to), with the instant of every exchange recorded.
//!
//! The bootstrap polls `GET /2018-06-01/runtime/invocation/next`, which
//! blocks until [`RuntimeApi::invoke`] queues an event; it then posts
//! `.../invocation/{id}/response` or `.../invocation/{id}/error`, or
//! `/2018-06-01/runtime/init/error` if it cannot start. Each `/next` poll and
//! init error is also sent on the [`Signals`] channel the moment it arrives:
//! a poll is the moment the bootstrap is ready for the next event, which is
//! where the benchmark reads its CPU time.
//!
//! HTTP/1.1 is served by hand (keep-alive, `Content-Length` or chunked
//! bodies; see `wire`) so the harness needs no HTTP server crate beyond
//! what the workspace already builds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use wire::{Request, Response, read_request, write_response};

mod wire;

const API_PREFIX: &str = "/2018-06-01/runtime";
/// The region and account the emulated function lives in.
const REGION: &str = "eu-west-1";
const ACCOUNT_ID: &str = "123456789012";

/// What the bootstrap did, as the emulator saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A `GET .../invocation/next` arrived: the bootstrap is idle.
    Next { at: Instant },
    /// A `POST .../init/error` arrived: the bootstrap could not start.
    InitError { at: Instant, body: String },
}

/// The receiving end of the emulator's [`Signal`]s.
pub type Signals = mpsc::UnboundedReceiver<Signal>;

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub request_id: String,
    /// `true` for `/error`, `false` for `/response`.
    pub is_error: bool,
    /// The response payload, or the error document.
    pub body: String,
    /// `Lambda-Runtime-Function-Error-Type`, when the bootstrap sent one.
    pub error_type: Option<String>,
    /// When the emulator received the response or error.
    pub at: Instant,
}

/// One event waiting for the bootstrap's next poll.
struct Queued {
    request_id: String,
    body: String,
    reply: oneshot::Sender<Outcome>,
}

struct Shared {
    function_name: String,
    timeout: Duration,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    signals: mpsc::UnboundedSender<Signal>,
}

/// The emulator, serving on a free loopback port until dropped.
pub struct RuntimeApi {
    pub address: SocketAddr,
    queue: mpsc::UnboundedSender<Queued>,
    task: JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts serving for the function `function_name`, whose invocations
    /// get `timeout` (the `Lambda-Runtime-Deadline-Ms` header).
    pub async fn start(function_name: &str, timeout: Duration) -> std::io::Result<(Self, Signals)> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (queue, queued) = mpsc::unbounded_channel();
        let (signal_sender, signals) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_name: function_name.to_owned(),
            timeout,
            queue: tokio::sync::Mutex::new(queued),
            in_flight: Mutex::new(HashMap::new()),
            signals: signal_sender,
        });
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
        });
        Ok((
            Self {
                address,
                queue,
                task,
            },
            signals,
        ))
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for a bootstrap.
    pub fn host_port(&self) -> String {
        self.address.to_string()
    }

    /// Queues `event` for the bootstrap's next poll; the returned receiver
    /// yields the outcome once the bootstrap answers.
    pub fn invoke(&self, event: &Value) -> oneshot::Receiver<Outcome> {
        let (reply, outcome) = oneshot::channel();
        let queued = Queued {
            request_id: new_request_id(),
            body: event.to_string(),
            reply,
        };
        // The receiver lives in the server task, which lives as long as self.
        let _ = self.queue.send(queued);
        outcome
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(1);

/// A request id in Lambda's UUID shape, unique within the run.
fn new_request_id() -> String {
    let count = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        std::process::id() & 0xfff,
        (count >> 48) & 0xfff,
        count & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header, as Lambda passes it.
fn trace_id(request_id: &str) -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let hex: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    format!(
        "Root=1-{seconds:08x}-{};Parent={};Sampled=0",
        &hex[..24.min(hex.len())],
        &hex[hex.len().saturating_sub(16)..]
    )
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            // The client closed the connection, or sent something that is
            // not HTTP: either way this connection is done.
            Ok(None) | Err(_) => return,
        };
        let response = route(&request, &shared).await;
        if write_response(&mut writer, &response).await.is_err() {
            return;
        }
    }
}

async fn route(request: &Request, shared: &Shared) -> Response {
    let Some(path) = request.path.strip_prefix(API_PREFIX) else {
        return Response::error(404, "NotFound", format!("no route for {}", request.path));
    };
    match (request.method.as_str(), path) {
        ("GET", "/invocation/next") => next_invocation(shared).await,
        ("POST", "/init/error") => {
            let _ = shared.signals.send(Signal::InitError {
                at: Instant::now(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
            });
            Response::json(202, json!({ "status": "OK" }))
        }
        ("POST", rest) => {
            let Some((request_id, kind)) = rest
                .strip_prefix("/invocation/")
                .and_then(|rest| rest.split_once('/'))
            else {
                return Response::error(404, "NotFound", format!("no route for {}", request.path));
            };
            let is_error = match kind {
                "response" => false,
                "error" => true,
                _ => {
                    return Response::error(
                        404,
                        "NotFound",
                        format!("no route for {}", request.path),
                    );
                }
            };
            finish_invocation(shared, request, request_id, is_error)
        }
        _ => Response::error(
            405,
            "MethodNotAllowed",
            format!(
                "{} {} is not part of the Runtime API",
                request.method, request.path
            ),
        ),
    }
}

async fn next_invocation(shared: &Shared) -> Response {
    let _ = shared.signals.send(Signal::Next { at: Instant::now() });
    let Some(queued) = shared.queue.lock().await.recv().await else {
        return Response::error(500, "ShuttingDown", "the emulator is stopping".to_owned());
    };
    let deadline_ms = (SystemTime::now() + shared.timeout)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let function_arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}",
        shared.function_name
    );
    let headers = vec![
        (
            "Lambda-Runtime-Aws-Request-Id".to_owned(),
            queued.request_id.clone(),
        ),
        (
            "Lambda-Runtime-Deadline-Ms".to_owned(),
            deadline_ms.to_string(),
        ),
        (
            "Lambda-Runtime-Invoked-Function-Arn".to_owned(),
            function_arn,
        ),
        (
            "Lambda-Runtime-Trace-Id".to_owned(),
            trace_id(&queued.request_id),
        ),
    ];
    shared
        .in_flight
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(queued.request_id, queued.reply);
    Response {
        status: 200,
        headers,
        body: queued.body,
    }
}

fn finish_invocation(
    shared: &Shared,
    request: &Request,
    request_id: &str,
    is_error: bool,
) -> Response {
    let at = Instant::now();
    let reply = shared
        .in_flight
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(request_id);
    let Some(reply) = reply else {
        return Response::error(
            400,
            "InvalidRequestID",
            format!("no invocation {request_id} is in flight"),
        );
    };
    let _ = reply.send(Outcome {
        request_id: request_id.to_owned(),
        is_error,
        body: String::from_utf8_lossy(&request.body).into_owned(),
        error_type: request
            .header("Lambda-Runtime-Function-Error-Type")
            .map(str::to_owned),
        at,
    });
    Response::json(202, json!({ "status": "OK" }))
}

#[cfg(test)]
mod tests;
