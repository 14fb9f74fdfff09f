//! A minimal HTTP/1.1 GET for the services on the node: plain HTTP on a
//! known port, one request per connection. Enough for REST answers of a few
//! megabytes, without a second HTTP stack next to the AWS SDK's.

use std::io::ErrorKind;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::ServiceUrl;

/// Larger answers are not what these APIs send; refuse rather than buffer.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Nothing listens on the port: the service is not installed or not started.
    #[error("nothing listens on {0} (connection refused)")]
    Unreachable(String),
    /// Something answered (or hung) but not with a usable HTTP response.
    #[error("{0}")]
    Failed(String),
}

pub async fn get(
    url: &ServiceUrl,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Response, HttpError> {
    let target = url.describe();
    match tokio::time::timeout(timeout, exchange(url, path, headers)).await {
        Ok(result) => result,
        Err(_) => Err(HttpError::Failed(format!(
            "GET {path} on {target} timed out after {} s",
            timeout.as_secs()
        ))),
    }
}

async fn exchange(
    url: &ServiceUrl,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Response, HttpError> {
    let target = url.describe();
    let mut stream = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|error| match error.kind() {
            ErrorKind::ConnectionRefused => HttpError::Unreachable(target.clone()),
            _ => HttpError::Failed(format!("connecting to {target} failed: {error}")),
        })?;
    let mut request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nAccept: application/json\r\nUser-Agent: emr-activity-reporter\r\nConnection: close\r\n",
        url.path(path),
        url.host,
        url.port
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let io_failed = |error: std::io::Error| {
        HttpError::Failed(format!("GET {path} on {target} failed: {error}"))
    };
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(io_failed)?;
    let mut raw = Vec::new();
    let mut limited = (&mut stream).take(MAX_RESPONSE_BYTES as u64 + 1);
    limited.read_to_end(&mut raw).await.map_err(io_failed)?;
    if raw.len() > MAX_RESPONSE_BYTES {
        return Err(HttpError::Failed(format!(
            "GET {path} on {target} answered more than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    parse_response(&raw)
        .map_err(|problem| HttpError::Failed(format!("GET {path} on {target}: {problem}")))
}

/// Parses a whole HTTP/1.x response read to the end of the connection.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("the answer is not an HTTP response (no end of headers)")?;
    let head = std::str::from_utf8(&raw[..head_end])
        .map_err(|_| "the HTTP headers are not text".to_owned())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let mut chunked = false;
    let mut content_length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("Content-Length {value:?} is not a number"))?,
            );
        }
    }
    let rest = &raw[head_end + 4..];
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(length) = content_length {
        rest.get(..length)
            .ok_or_else(|| format!("the body ended after {} of {length} bytes", rest.len()))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

fn decode_chunked(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("a chunk size line is cut off")?;
        let size_text = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| "a chunk size is not text".to_owned())?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("chunk size {size_text:?} is not hexadecimal"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("a chunk is cut off")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("a chunk is cut off")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_length_chunked_and_close_delimited_bodies() {
        let cases: [(&[u8], Result<Response, String>); 6] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
                Ok(Response {
                    status: 200,
                    body: b"[]".to_vec(),
                }),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n",
                Ok(Response {
                    status: 200,
                    body: b"{\"a\":1}".to_vec(),
                }),
            ),
            (
                b"HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n\r\nbusy",
                Ok(Response {
                    status: 503,
                    body: b"busy".to_vec(),
                }),
            ),
            (
                b"SSH-2.0-OpenSSH_8.7\r\n",
                Err("the answer is not an HTTP response (no end of headers)".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[]",
                Err("the body ended after 2 of 9 bytes".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                Err("chunk size \"zz\" is not hexadecimal".into()),
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_response(raw),
                expected,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
