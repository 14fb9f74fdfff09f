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
//! bodies) so the harness needs no HTTP server crate beyond what the
//! workspace already builds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

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

/// One parsed HTTP request.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A response to write back.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    fn error(status: u16, error_type: &str, message: String) -> Self {
        Self::json(
            status,
            json!({ "errorType": error_type, "errorMessage": message }),
        )
    }
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

/// Reads one request; `None` when the connection closed before one began.
async fn read_request<R>(reader: &mut BufReader<R>) -> std::io::Result<Option<Request>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(invalid(format!("not an HTTP request line: {line:?}")));
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(invalid("connection closed inside the headers".to_owned()));
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if request
        .header("Transfer-Encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        request.body = read_chunked(reader).await?;
    } else if let Some(length) = request.header("Content-Length") {
        let length: usize = length
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        request.body = body;
    }
    Ok(Some(request))
}

async fn read_chunked<R>(reader: &mut BufReader<R>) -> std::io::Result<Vec<u8>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await?;
        line.clear();
        reader.read_line(&mut line).await?;
    }
}

async fn write_response<W>(writer: &mut W, response: &Response) -> std::io::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let reason = match response.status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes()).await?;
    writer.write_all(response.body.as_bytes()).await?;
    writer.flush().await
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal runtime client: one keep-alive connection, as
    /// `lambda_runtime` uses.
    struct FakeClient {
        reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
        writer: tokio::net::tcp::OwnedWriteHalf,
    }

    struct ClientResponse {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl ClientResponse {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        }
    }

    impl FakeClient {
        async fn connect(api: &RuntimeApi) -> Self {
            let stream = TcpStream::connect(api.address).await.expect("connect");
            let (reader, writer) = stream.into_split();
            Self {
                reader: BufReader::new(reader),
                writer,
            }
        }

        async fn send(
            &mut self,
            method: &str,
            path: &str,
            headers: &[(&str, &str)],
            body: &str,
        ) -> ClientResponse {
            let mut request = format!(
                "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                request.push_str(&format!("{name}: {value}\r\n"));
            }
            request.push_str("\r\n");
            request.push_str(body);
            self.writer
                .write_all(request.as_bytes())
                .await
                .expect("write");
            self.read_response().await
        }

        async fn read_response(&mut self) -> ClientResponse {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.expect("status line");
            let status = line
                .split_whitespace()
                .nth(1)
                .and_then(|code| code.parse().ok())
                .expect("a status code");
            let mut headers = Vec::new();
            loop {
                line.clear();
                self.reader.read_line(&mut line).await.expect("header");
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').expect("name: value");
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))
                .map(|(_, value)| value.parse().expect("length"))
                .unwrap_or(0);
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body).await.expect("body");
            ClientResponse {
                status,
                headers,
                body: String::from_utf8(body).expect("UTF-8"),
            }
        }
    }

    async fn start() -> (RuntimeApi, Signals) {
        RuntimeApi::start("bench-test", Duration::from_secs(30))
            .await
            .expect("emulator starts")
    }

    #[tokio::test]
    async fn next_delivers_the_event_with_lambdas_headers_and_response_completes_it() {
        let (api, mut signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let outcome = api.invoke(&json!({"id": "event-1"}));

        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis();
        let next = client
            .send("GET", "/2018-06-01/runtime/invocation/next", &[], "")
            .await;
        assert_eq!(next.status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&next.body).expect("JSON"),
            json!({"id": "event-1"})
        );
        let request_id = next
            .header("Lambda-Runtime-Aws-Request-Id")
            .expect("request id header")
            .to_owned();
        let deadline: u128 = next
            .header("Lambda-Runtime-Deadline-Ms")
            .expect("deadline header")
            .parse()
            .expect("milliseconds");
        assert!(
            deadline >= before + 29_000,
            "deadline {deadline} is 30 s ahead of {before}"
        );
        assert_eq!(
            next.header("Lambda-Runtime-Invoked-Function-Arn"),
            Some("arn:aws:lambda:eu-west-1:123456789012:function:bench-test")
        );
        assert!(
            next.header("Lambda-Runtime-Trace-Id")
                .is_some_and(|trace| trace.starts_with("Root=1-"))
        );
        assert!(matches!(signals.recv().await, Some(Signal::Next { .. })));

        let posted = client
            .send(
                "POST",
                &format!("/2018-06-01/runtime/invocation/{request_id}/response"),
                &[],
                r#"{"ok":true}"#,
            )
            .await;
        assert_eq!(posted.status, 202);
        let outcome = outcome.await.expect("an outcome");
        assert_eq!(outcome.request_id, request_id);
        assert!(!outcome.is_error);
        assert_eq!(outcome.body, r#"{"ok":true}"#);
    }

    #[tokio::test]
    async fn error_completes_the_invocation_as_failed_with_its_type() {
        let (api, _signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let outcome = api.invoke(&json!({}));
        let next = client
            .send("GET", "/2018-06-01/runtime/invocation/next", &[], "")
            .await;
        let request_id = next
            .header("Lambda-Runtime-Aws-Request-Id")
            .expect("request id")
            .to_owned();
        let error = r#"{"errorType":"EventError","errorMessage":"detail.state is missing"}"#;
        let posted = client
            .send(
                "POST",
                &format!("/2018-06-01/runtime/invocation/{request_id}/error"),
                &[("Lambda-Runtime-Function-Error-Type", "EventError")],
                error,
            )
            .await;
        assert_eq!(posted.status, 202);
        let outcome = outcome.await.expect("an outcome");
        assert!(outcome.is_error);
        assert_eq!(outcome.error_type.as_deref(), Some("EventError"));
        assert_eq!(outcome.body, error);
    }

    #[tokio::test]
    async fn next_blocks_until_an_event_is_queued() {
        let (api, mut signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let poll = tokio::spawn(async move {
            client
                .send("GET", "/2018-06-01/runtime/invocation/next", &[], "")
                .await
                .body
        });
        // The poll is signalled on arrival, before any event exists.
        assert!(matches!(signals.recv().await, Some(Signal::Next { .. })));
        assert!(!poll.is_finished());
        let _outcome = api.invoke(&json!({"late": 1}));
        assert_eq!(poll.await.expect("poll task"), r#"{"late":1}"#);
    }

    #[tokio::test]
    async fn a_response_for_an_unknown_request_id_is_refused() {
        let (api, _signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let posted = client
            .send(
                "POST",
                "/2018-06-01/runtime/invocation/nope/response",
                &[],
                "{}",
            )
            .await;
        assert_eq!(posted.status, 400);
        assert!(posted.body.contains("InvalidRequestID"));
    }

    #[tokio::test]
    async fn init_error_is_signalled_with_its_body() {
        let (api, mut signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let body = r#"{"errorType":"ConfigError","errorMessage":"IDEMPOTENCY_TABLE is required but is not set"}"#;
        let posted = client
            .send(
                "POST",
                "/2018-06-01/runtime/init/error",
                &[("Lambda-Runtime-Function-Error-Type", "ConfigError")],
                body,
            )
            .await;
        assert_eq!(posted.status, 202);
        match signals.recv().await {
            Some(Signal::InitError { body: received, .. }) => assert_eq!(received, body),
            other => panic!("expected an init error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn chunked_response_bodies_are_read_whole() {
        let (api, _signals) = start().await;
        let mut client = FakeClient::connect(&api).await;
        let outcome = api.invoke(&json!({}));
        let next = client
            .send("GET", "/2018-06-01/runtime/invocation/next", &[], "")
            .await;
        let request_id = next
            .header("Lambda-Runtime-Aws-Request-Id")
            .expect("request id")
            .to_owned();
        let request = format!(
            "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\n2\r\n1}}\r\n0\r\n\r\n"
        );
        client
            .writer
            .write_all(request.as_bytes())
            .await
            .expect("write");
        assert_eq!(client.read_response().await.status, 202);
        assert_eq!(outcome.await.expect("outcome").body, r#"{"a":1}"#);
    }
}
