//! A local CodeCommit for tests: moto implements only create, get and
//! delete repository, so it cannot answer `GetCommit` or `GetDifferences`.
//!
//! [`CodeCommitServer`] is a small HTTP/1.1 server on a free loopback port
//! that speaks CodeCommit's own wire protocol (AWS JSON 1.1, the operation in
//! `X-Amz-Target: CodeCommit_20150413.<Operation>`, AWS's error shapes) over
//! real git repositories that each test builds with the git CLI
//! ([`GitRepo`]). It serves exactly the operations the CodeCommit change
//! publisher calls, `GetCommit` and `GetDifferences`, and pages
//! `GetDifferences` [`PAGE_SIZE`] files at a time so that pagination bugs
//! show. Requests must be SigV4-signed (the signature is not verified).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::{Fault, FaultKind};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;
use tokio::task::JoinHandle;

/// The most `GetDifferences` returns per page, whatever `MaxResults` asks
/// for (real CodeCommit returns up to 100).
pub const PAGE_SIZE: usize = 2;
const TARGET_PREFIX: &str = "CodeCommit_20150413.";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The id of git's empty tree: what a first commit is diffed against.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
/// First author/committer date of a test repository: 2023-11-14 22:13:20 UTC.
pub const FIRST_COMMIT_TIME: i64 = 1_700_000_000;

/// One request the server answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedCall {
    pub operation: String,
    pub request: Value,
}

/// A local CodeCommit serving every repository created with
/// [`CodeCommitServer::create_repository`]; it stops when dropped.
pub struct CodeCommitServer {
    pub endpoint: String,
    root: PathBuf,
    calls: Arc<Mutex<Vec<ServedCall>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
    task: JoinHandle<()>,
}

impl CodeCommitServer {
    pub async fn start() -> Self {
        let root = unique_temp_dir("watchkeeper-codecommit");
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("binding the local CodeCommit to a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(ServerState {
            root: root.clone(),
            calls: calls.clone(),
            faults: faults.clone(),
        });
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, state.clone()));
            }
        });
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
            calls,
            faults,
            task,
        }
    }

    /// SDK configuration pointing at this server.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::sdk_config_for(&self.endpoint).await
    }

    /// A new, empty git repository the server serves under `name`, with
    /// `main` as its initial branch.
    pub fn create_repository(&self, name: &str) -> GitRepo {
        GitRepo::init(self.root.join(name))
    }

    /// Every request answered so far, in order.
    pub fn calls(&self) -> Vec<ServedCall> {
        self.calls.lock().expect("calls lock").clone()
    }

    /// Makes the next `count` calls of `operation` fail (or wait) as
    /// `kind` says, the way the moto launcher's faults do; `service` in the
    /// fault is ignored (everything here is CodeCommit).
    pub fn inject_fault(&self, operation: &str, kind: FaultKind, count: u32) {
        self.faults.lock().expect("faults lock").push(Fault::new(
            "codecommit",
            operation,
            kind,
            count,
        ));
    }

    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults lock").clear();
    }

    pub fn count_calls(&self, operation: &str) -> usize {
        self.calls()
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    }
}

impl Drop for CodeCommitServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Who made a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
}

impl Signature {
    pub fn new(name: &str, email: &str) -> Self {
        Self {
            name: name.to_owned(),
            email: email.to_owned(),
        }
    }
}

/// A real git repository a test commits into. Every commit is dated one
/// minute after the one before, from [`FIRST_COMMIT_TIME`], so ids and
/// dates are the same on every run.
pub struct GitRepo {
    pub path: PathBuf,
    commits_made: u64,
}

impl GitRepo {
    fn init(path: PathBuf) -> Self {
        std::fs::create_dir_all(&path).expect("creating the repository directory");
        let repo = Self {
            path,
            commits_made: 0,
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo.git(&["config", "user.name", "Alice Example"]);
        repo.git(&["config", "user.email", "alice@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// Runs git in the repository and returns its trimmed output, panicking
    /// with git's message if it fails.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_with_env(args, &[])
    }

    fn git_with_env(&self, args: &[&str], env: &[(&str, String)]) -> String {
        let output = StdCommand::new("git")
            .args(args)
            .current_dir(&self.path)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap_or_else(|error| panic!("running git {args:?}: {error}"));
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Writes a file (creating directories) and stages it.
    pub fn write(&self, path: &str, content: &str) {
        let file = self.path.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("creating directories");
        }
        std::fs::write(&file, content).expect("writing a file");
        self.git(&["add", "--", path]);
    }

    pub fn remove(&self, path: &str) {
        self.git(&["rm", "--quiet", "--", path]);
    }

    pub fn rename(&self, from: &str, to: &str) {
        if let Some(parent) = self.path.join(to).parent() {
            std::fs::create_dir_all(parent).expect("creating directories");
        }
        self.git(&["mv", "--", from, to]);
    }

    pub fn make_executable(&self, path: &str) {
        self.git(&["update-index", "--chmod=+x", "--", path]);
    }

    /// Commits what is staged as Alice Example and returns the commit id.
    pub fn commit(&mut self, message: &str) -> String {
        let alice = Signature::new("Alice Example", "alice@example.com");
        self.commit_by(message, &alice, &alice)
    }

    pub fn commit_by(
        &mut self,
        message: &str,
        author: &Signature,
        committer: &Signature,
    ) -> String {
        let date = self.next_date();
        self.git_with_env(
            &[
                "commit",
                "--quiet",
                "--allow-empty",
                "--cleanup=verbatim",
                "-m",
                message,
            ],
            &commit_env(author, committer, &date),
        );
        self.head()
    }

    /// Merges `branch` into the current branch with a merge commit.
    pub fn merge(&mut self, branch: &str, message: &str) -> String {
        let alice = Signature::new("Alice Example", "alice@example.com");
        let date = self.next_date();
        self.git_with_env(
            &["merge", "--quiet", "--no-ff", "-m", message, branch],
            &commit_env(&alice, &alice, &date),
        );
        self.head()
    }

    pub fn new_branch(&self, name: &str) {
        self.git(&["checkout", "--quiet", "-b", name]);
    }

    pub fn switch(&self, name: &str) {
        self.git(&["checkout", "--quiet", name]);
    }

    /// Moves the current branch to `commit`, as before a force push.
    pub fn reset_hard(&self, commit: &str) {
        self.git(&["reset", "--quiet", "--hard", commit]);
    }

    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    fn next_date(&mut self) -> String {
        let seconds = FIRST_COMMIT_TIME + 60 * self.commits_made as i64;
        self.commits_made += 1;
        format!("@{seconds} +0000")
    }
}

fn commit_env(
    author: &Signature,
    committer: &Signature,
    date: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("GIT_AUTHOR_NAME", author.name.clone()),
        ("GIT_AUTHOR_EMAIL", author.email.clone()),
        ("GIT_AUTHOR_DATE", date.to_owned()),
        ("GIT_COMMITTER_NAME", committer.name.clone()),
        ("GIT_COMMITTER_EMAIL", committer.email.clone()),
        ("GIT_COMMITTER_DATE", date.to_owned()),
    ]
}

fn unique_temp_dir(prefix: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a temporary directory");
    dir
}

struct ServerState {
    root: PathBuf,
    calls: Arc<Mutex<Vec<ServedCall>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
}

impl ServerState {
    /// Uses up one injected fault matching `operation`, if any is left.
    fn take_fault(&self, operation: &str) -> Option<FaultKind> {
        let mut faults = self.faults.lock().expect("faults lock");
        let fault = faults
            .iter_mut()
            .find(|fault| fault.action == operation && fault.count > 0)?;
        fault.count -= 1;
        Some(fault.kind)
    }
}

/// An AWS error response: HTTP status, `__type` and message.
#[derive(Debug)]
struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            message: message.into(),
        }
    }
}

struct Request {
    method: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Serves HTTP/1.1 requests on one connection until the client closes it.
async fn serve_connection(stream: TcpStream, state: Arc<ServerState>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    while let Some(request) = read_request(&mut reader).await {
        let operation = request
            .headers
            .get("x-amz-target")
            .and_then(|target| target.strip_prefix(TARGET_PREFIX))
            .unwrap_or_default()
            .to_owned();
        let injected = state.take_fault(&operation);
        if injected.is_some() {
            state.calls.lock().expect("calls lock").push(ServedCall {
                operation: operation.clone(),
                request: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            });
        }
        let answer = match injected {
            None => respond(&state, &request).await,
            Some(FaultKind::Reset) => return,
            Some(FaultKind::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                respond(&state, &request).await
            }
            Some(FaultKind::Status500) => Err(ApiError {
                status: 500,
                code: "InternalFailure",
                message: format!("injected fault on {operation}"),
            }),
            Some(FaultKind::Status503) => Err(ApiError {
                status: 503,
                code: "ServiceUnavailable",
                message: format!("injected fault on {operation}"),
            }),
            Some(FaultKind::Throttling) => Err(ApiError {
                status: 400,
                code: "ThrottlingException",
                message: format!("Rate exceeded (injected on {operation})"),
            }),
            Some(FaultKind::Denied) => Err(ApiError {
                status: 403,
                code: "AccessDeniedException",
                message: format!("injected fault: you are not authorized to perform {operation}"),
            }),
        };
        let (status, headers, body) = match answer {
            Ok(body) => (200, Vec::new(), body),
            Err(error) => (
                error.status,
                vec![("x-amzn-ErrorType", error.code.to_owned())],
                json!({"__type": error.code, "message": error.message}),
            ),
        };
        let body = body.to_string();
        let mut response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {JSON_CONTENT_TYPE}\r\nContent-Length: {}\r\nx-amzn-RequestId: {}\r\n",
            match status {
                200 => "OK",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                403 => "Forbidden",
                _ => "Bad Request",
            },
            body.len(),
            request_id()
        );
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        if writer.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn read_request(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Request> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.ok()? == 0 {
        return None;
    }
    let method = request_line.split_whitespace().next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Request {
        method,
        headers,
        body,
    })
}

async fn respond(state: &ServerState, request: &Request) -> Result<Value, ApiError> {
    if request.method != "POST" {
        return Err(ApiError::bad_request(
            "UnknownOperationException",
            format!(
                "{} is not supported; AWS JSON 1.1 requests are POSTs",
                request.method
            ),
        ));
    }
    let authorization = request.headers.get("authorization").map(String::as_str);
    if !authorization.is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256 ")) {
        return Err(ApiError {
            status: 403,
            code: "MissingAuthenticationTokenException",
            message: "Missing Authentication Token".to_owned(),
        });
    }
    let content_type = request.headers.get("content-type").map(String::as_str);
    if content_type != Some(JSON_CONTENT_TYPE) {
        return Err(ApiError::bad_request(
            "SerializationException",
            format!("expected Content-Type {JSON_CONTENT_TYPE}, got {content_type:?}"),
        ));
    }
    let operation = request
        .headers
        .get("x-amz-target")
        .and_then(|target| target.strip_prefix(TARGET_PREFIX))
        .unwrap_or_default()
        .to_owned();
    let input: Value = serde_json::from_slice(&request.body).map_err(|error| {
        ApiError::bad_request(
            "SerializationException",
            format!("request body is not JSON: {error}"),
        )
    })?;
    state.calls.lock().expect("calls lock").push(ServedCall {
        operation: operation.clone(),
        request: input.clone(),
    });
    match operation.as_str() {
        "GetCommit" => get_commit(state, &input).await,
        "GetDifferences" => get_differences(state, &input).await,
        _ => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("operation {operation:?} is not served by the local CodeCommit"),
        )),
    }
}

fn repository(state: &ServerState, input: &Value) -> Result<PathBuf, ApiError> {
    let name = input["repositoryName"]
        .as_str()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "RepositoryNameRequiredException",
                "A repository name is required.",
            )
        })?;
    let path = state.root.join(name);
    if name.contains(['/', '\\']) || name.starts_with('.') || !path.join(".git").is_dir() {
        return Err(ApiError::bad_request(
            "RepositoryDoesNotExistException",
            format!("{name} does not exist"),
        ));
    }
    Ok(path)
}

async fn git(repo: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .await
        .ok()?;
    output.status.success().then_some(output.stdout)
}

/// The commit a specifier (id, branch, tag, HEAD) names, if any.
async fn resolve_commit(repo: &Path, specifier: &str) -> Option<String> {
    if specifier.starts_with('-') {
        return None;
    }
    let output = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{specifier}^{{commit}}"),
        ],
    )
    .await?;
    Some(String::from_utf8_lossy(&output).trim().to_owned())
}

async fn get_commit(state: &ServerState, input: &Value) -> Result<Value, ApiError> {
    let repo = repository(state, input)?;
    let commit_id = input["commitId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("CommitIdRequiredException", "A commit ID is required.")
        })?;
    if commit_id.len() != 40 || !commit_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request(
            "InvalidCommitIdException",
            format!("The commit ID {commit_id} is not valid."),
        ));
    }
    let missing = || {
        ApiError::bad_request(
            "CommitIdDoesNotExistException",
            format!("Could not find commit ID {commit_id}"),
        )
    };
    let object_type = git(&repo, &["cat-file", "-t", commit_id])
        .await
        .ok_or_else(missing)?;
    if String::from_utf8_lossy(&object_type).trim() != "commit" {
        return Err(missing());
    }
    let raw = git(&repo, &["cat-file", "commit", commit_id])
        .await
        .ok_or_else(missing)?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut tree = String::new();
    let mut parents = Vec::new();
    let mut author = json!({});
    let mut committer = json!({});
    for line in head.lines() {
        match line.split_once(' ') {
            Some(("tree", id)) => tree = id.to_owned(),
            Some(("parent", id)) => parents.push(id.to_owned()),
            Some(("author", who)) => author = user_info(who),
            Some(("committer", who)) => committer = user_info(who),
            _ => {}
        }
    }
    Ok(json!({
        "commit": {
            "commitId": commit_id.to_ascii_lowercase(),
            "treeId": tree,
            "parents": parents,
            "message": message,
            "author": author,
            "committer": committer,
            "additionalData": ""
        }
    }))
}

/// `Name <email> 1700000000 +0000` as CodeCommit's UserInfo, whose date
/// keeps git's seconds-and-offset form.
fn user_info(signature: &str) -> Value {
    let (name, rest) = signature.split_once(" <").unwrap_or((signature, ""));
    let (email, date) = rest.split_once("> ").unwrap_or((rest, ""));
    json!({"name": name, "email": email, "date": date})
}

async fn get_differences(state: &ServerState, input: &Value) -> Result<Value, ApiError> {
    let repo = repository(state, input)?;
    let after_specifier = input["afterCommitSpecifier"]
        .as_str()
        .filter(|specifier| !specifier.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("CommitRequiredException", "A commit specifier is required.")
        })?;
    let does_not_exist = |specifier: &str| {
        ApiError::bad_request(
            "CommitDoesNotExistException",
            format!("Could not find commit {specifier}"),
        )
    };
    let after = resolve_commit(&repo, after_specifier)
        .await
        .ok_or_else(|| does_not_exist(after_specifier))?;
    let before = match input["beforeCommitSpecifier"].as_str() {
        None => None,
        Some(specifier) => Some(
            resolve_commit(&repo, specifier)
                .await
                .ok_or_else(|| does_not_exist(specifier))?,
        ),
    };
    let max_results = match &input["MaxResults"] {
        Value::Null => PAGE_SIZE,
        value => match value.as_u64() {
            Some(max) if max > 0 => (max as usize).min(PAGE_SIZE),
            _ => {
                return Err(ApiError::bad_request(
                    "InvalidMaxResultsException",
                    format!("MaxResults {value} is not valid"),
                ));
            }
        },
    };
    let pair = format!("{}..{after}", before.as_deref().unwrap_or(EMPTY_TREE));
    let offset = match input["NextToken"].as_str() {
        None => 0,
        Some(token) => decode_token(token, &pair).ok_or_else(|| {
            ApiError::bad_request(
                "InvalidContinuationTokenException",
                "The continuation token is not valid.",
            )
        })?,
    };
    let raw = git(
        &repo,
        &[
            "diff-tree",
            "-r",
            "--raw",
            "-M",
            "-z",
            "--no-commit-id",
            before.as_deref().unwrap_or(EMPTY_TREE),
            &after,
        ],
    )
    .await
    .ok_or_else(|| ApiError {
        status: 500,
        code: "InternalFailure",
        message: format!("git diff-tree {pair} failed"),
    })?;
    let differences = parse_raw_diff(&raw);
    let page: Vec<Value> = differences
        .iter()
        .skip(offset)
        .take(max_results)
        .cloned()
        .collect();
    let next = offset + page.len();
    let mut output = json!({"differences": page});
    if next < differences.len() {
        output["NextToken"] = json!(encode_token(&pair, next));
    }
    Ok(output)
}

/// Tokens are opaque to clients; this one names the diff it pages through,
/// so a token from another diff is rejected as CodeCommit would.
fn encode_token(pair: &str, offset: usize) -> String {
    format!("{pair}@{offset}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_token(token: &str, pair: &str) -> Option<usize> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (token_pair, offset) = text.rsplit_once('@')?;
    (token_pair == pair).then_some(())?;
    offset.parse().ok()
}

/// `git diff-tree --raw -z` records as CodeCommit `Difference`s. A rename is
/// changeType M with different before and after paths, as CodeCommit
/// reports it; a type change is M too.
fn parse_raw_diff(raw: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(raw);
    let mut fields = text.split('\0').filter(|field| !field.is_empty());
    let mut differences = Vec::new();
    while let Some(record) = fields.next() {
        let parts: Vec<&str> = record.trim_start_matches(':').split(' ').collect();
        let [old_mode, new_mode, old_blob, new_blob, status] = parts[..] else {
            break;
        };
        let Some(path) = fields.next() else { break };
        let renamed_to = if status.starts_with('R') || status.starts_with('C') {
            fields.next()
        } else {
            None
        };
        let blob =
            |id: &str, path: &str, mode: &str| json!({"blobId": id, "path": path, "mode": mode});
        let difference = match status.chars().next() {
            Some('A') => json!({"afterBlob": blob(new_blob, path, new_mode), "changeType": "A"}),
            Some('D') => json!({"beforeBlob": blob(old_blob, path, old_mode), "changeType": "D"}),
            Some('C') => json!({
                "afterBlob": blob(new_blob, renamed_to.unwrap_or(path), new_mode),
                "changeType": "A"
            }),
            _ => json!({
                "beforeBlob": blob(old_blob, path, old_mode),
                "afterBlob": blob(new_blob, renamed_to.unwrap_or(path), new_mode),
                "changeType": "M"
            }),
        };
        differences.push(difference);
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_diffs_become_codecommit_differences() {
        let zero = "0000000000000000000000000000000000000000";
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let raw = format!(
            ":000000 100644 {zero} {a} A\0new.txt\0:100644 100755 {a} {a} M\0run.sh\0:100644 100644 {a} {b} R087\0old/name.rs\0new/name.rs\0:100644 000000 {b} {zero} D\0gone.txt\0"
        );
        let differences = parse_raw_diff(raw.as_bytes());
        assert_eq!(
            differences,
            vec![
                json!({"afterBlob": {"blobId": a, "path": "new.txt", "mode": "100644"}, "changeType": "A"}),
                json!({"beforeBlob": {"blobId": a, "path": "run.sh", "mode": "100644"}, "afterBlob": {"blobId": a, "path": "run.sh", "mode": "100755"}, "changeType": "M"}),
                json!({"beforeBlob": {"blobId": a, "path": "old/name.rs", "mode": "100644"}, "afterBlob": {"blobId": b, "path": "new/name.rs", "mode": "100644"}, "changeType": "M"}),
                json!({"beforeBlob": {"blobId": b, "path": "gone.txt", "mode": "100644"}, "changeType": "D"}),
            ]
        );
    }

    #[test]
    fn tokens_only_page_through_their_own_diff() {
        let token = encode_token("a..b", 4);
        assert_eq!(decode_token(&token, "a..b"), Some(4));
        assert_eq!(decode_token(&token, "a..c"), None);
        assert_eq!(decode_token("zz", "a..b"), None);
        assert_eq!(decode_token("abc", "a..b"), None);
    }
}
