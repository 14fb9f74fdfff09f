//! Reading commits and their file changes from CodeCommit.

use std::collections::HashMap;

use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::error::DisplayErrorContext;
use aws_sdk_codecommit::types::BlobMetadata;

use watchkeeper_shared::function::HandlerError;
use watchkeeper_shared::runtime::{ErrorKind, InvocationError};

use crate::changes::{self, BlobSide, Difference};
use crate::message::{CommitInfo, CommitReport, Person};
use crate::walk::{HistoryWalk, WalkOutcome, WalkStep, commit_time};

/// A CodeCommit call failed or answered without what was asked for; the
/// message names the call, repository and commit.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(
        "CodeCommit GetCommit for commit {commit_id} in repository {repository} failed: {message}"
    )]
    GetCommit {
        repository: String,
        commit_id: String,
        message: String,
        /// CodeCommit said the commit does not exist.
        missing: bool,
    },
    #[error(
        "CodeCommit GetDifferences from {before} to {after} in repository {repository} failed: {message}"
    )]
    GetDifferences {
        repository: String,
        before: String,
        after: String,
        message: String,
    },
    #[error(
        "CodeCommit GetCommit returned no commit for commit {commit_id} in repository {repository}"
    )]
    NoCommit {
        repository: String,
        commit_id: String,
    },
}

impl InvocationError for ActError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::AwsError
    }
}

impl From<ActError> for HandlerError<ActError> {
    fn from(error: ActError) -> Self {
        Self::Own(error)
    }
}

pub async fn get_commit(
    client: &Client,
    repository: &str,
    commit_id: &str,
) -> Result<CommitInfo, ActError> {
    let output = client
        .get_commit()
        .repository_name(repository)
        .commit_id(commit_id)
        .send()
        .await
        .map_err(|error| ActError::GetCommit {
            repository: repository.to_owned(),
            commit_id: commit_id.to_owned(),
            missing: error
                .as_service_error()
                .is_some_and(|error| error.is_commit_id_does_not_exist_exception()),
            message: DisplayErrorContext(&error).to_string(),
        })?;
    let commit = output.commit.ok_or_else(|| ActError::NoCommit {
        repository: repository.to_owned(),
        commit_id: commit_id.to_owned(),
    })?;
    let person = |user: Option<&aws_sdk_codecommit::types::UserInfo>| Person {
        name: user.and_then(|u| u.name()).unwrap_or_default().to_owned(),
        email: user.and_then(|u| u.email()).unwrap_or_default().to_owned(),
        date: user.and_then(|u| u.date()).unwrap_or_default().to_owned(),
    };
    Ok(CommitInfo {
        id: commit
            .commit_id()
            .filter(|id| !id.is_empty())
            .unwrap_or(commit_id)
            .to_owned(),
        parents: commit.parents().to_vec(),
        message: commit.message().unwrap_or_default().to_owned(),
        author: person(commit.author()),
        committer: person(commit.committer()),
    })
}

/// Every difference between two commits, following `NextToken` through
/// every page. Without `before`, `after` is compared with an empty
/// repository.
pub async fn get_differences(
    client: &Client,
    repository: &str,
    before: Option<&str>,
    after: &str,
) -> Result<Vec<Difference>, ActError> {
    let error = |message: String| ActError::GetDifferences {
        repository: repository.to_owned(),
        before: before.unwrap_or("an empty repository").to_owned(),
        after: after.to_owned(),
        message,
    };
    let mut differences = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .get_differences()
            .repository_name(repository)
            .set_before_commit_specifier(before.map(str::to_owned))
            .after_commit_specifier(after)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| error(DisplayErrorContext(&e).to_string()))?;
        differences.extend(output.differences().iter().map(|difference| Difference {
            before: difference.before_blob().map(blob_side),
            after: difference.after_blob().map(blob_side),
        }));
        match output.next_token() {
            // A repeated token would page forever.
            Some(token) if next_token.as_deref() == Some(token) => {
                return Err(error(format!(
                    "CodeCommit returned the same NextToken {token:?} twice"
                )));
            }
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(differences),
        }
    }
}

fn blob_side(blob: &BlobMetadata) -> BlobSide {
    BlobSide {
        path: blob.path().unwrap_or_default().to_owned(),
        mode: blob.mode().unwrap_or_default().to_owned(),
        blob_id: blob.blob_id().unwrap_or_default().to_owned(),
    }
}

/// A commit with its file changes against its first parent (a first commit
/// against nothing).
pub async fn commit_report(
    client: &Client,
    repository: &str,
    info: CommitInfo,
) -> Result<CommitReport, ActError> {
    let differences = get_differences(
        client,
        repository,
        info.parents.first().map(String::as_str),
        &info.id,
    )
    .await?;
    Ok(CommitReport {
        files: changes::classify(&differences),
        info,
    })
}

pub async fn head_report(
    client: &Client,
    repository: &str,
    commit_id: &str,
) -> Result<CommitReport, ActError> {
    let info = get_commit(client, repository, commit_id).await?;
    commit_report(client, repository, info).await
}

/// Runs a history walk against CodeCommit and returns its outcome with the
/// listed commits, newest first. Every walked commit costs one GetCommit
/// (bounded by the walk); only the listed ones are then compared with
/// their first parent (GetDifferences).
pub async fn walk_push(
    client: &Client,
    repository: &str,
    mut walk: HistoryWalk,
) -> Result<(WalkOutcome, Vec<CommitReport>), ActError> {
    let mut fetched: HashMap<String, CommitInfo> = HashMap::new();
    while let WalkStep::Fetch { commit_id } = walk.next_step() {
        match get_commit(client, repository, &commit_id).await {
            Ok(info) => {
                walk.record(&info.parents, commit_time(&info.committer.date));
                fetched.insert(commit_id, info);
            }
            Err(ActError::GetCommit { missing: true, .. }) if walk.record_missing().is_ok() => {}
            Err(error) => return Err(error),
        }
    }
    let outcome = walk.finish();
    let mut commits = Vec::with_capacity(outcome.listed.len());
    for id in &outcome.listed {
        if let Some(info) = fetched.remove(id) {
            commits.push(commit_report(client, repository, info).await?);
        }
    }
    Ok((outcome, commits))
}
