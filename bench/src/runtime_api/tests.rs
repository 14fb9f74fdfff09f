use super::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

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
