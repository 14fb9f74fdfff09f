//! At most one notification or action per real event, without ever
//! dropping one: a lease on an idempotency key, held in DynamoDB.
//!
//! EventBridge, SNS and Lambda deliver at least once and retry on failure,
//! so the same event can reach a function twice. Before working on an
//! event a function takes a lease on its key with a conditional write:
//!
//! - no record (or only an expired one): the write succeeds, the record
//!   says `in_progress` until the invocation's deadline, and the work runs;
//! - a `done` record: the event was handled; the duplicate is skipped;
//! - a live `in_progress` record: another attempt is at work. This one
//!   fails, so Lambda retries it later, by when the other attempt has
//!   either finished (the retry is skipped) or crashed and its record
//!   expired (the retry does the work). Succeeding here instead could lose
//!   the event when the other attempt crashes before doing the work.
//!
//! When the work succeeds the record becomes `done` (kept for
//! [`DONE_RETENTION`] by DynamoDB's TTL); when it fails the record is
//! released at once so Lambda's retry can start over.
//!
//! The one window left: if the process dies, or DynamoDB fails, between the
//! side effect and the write that marks it done, the record stays
//! `in_progress` until the deadline and a retry after that repeats the
//! side effect. Watchkeeper prefers a rare repeat to a missed alert.
//!
//! Work in two steps, an action and then the notice about it, can keep a
//! notice that failed with the `done` record ([`Guard::complete_with_pending`]):
//! a retry finds the action done and the notice pending, takes the lease
//! back ([`Guard::resume`]) and sends it, instead of finding nothing left
//! to act on and staying silent. [`Guard::act_then_notify`] runs that
//! protocol ("act, then keep the pending notice") around a caller's own act
//! and notify steps.
//!
//! Choosing a key: two deliveries with the same key must be the same alert
//! or action, since the second is skipped. An EventBridge event `id` (or an
//! SNS `MessageId`) is safe: a redelivery keeps it and no other event has
//! it. A key built from the event's content must include everything that
//! makes two events different alerts: a Health event's ARN is shared by
//! every account an update affects, so its key adds the affected account.
//! Each function's key is listed in docs/reliability.md, "Exactly once".
//!
//! Keys longer than DynamoDB allows (only a hostile or broken event makes
//! one) are stored as their SHA-256 digest, so such an event is still
//! handled exactly once instead of failing every retry.

use std::cell::Cell;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tracing::warn;

use crate::config::EnvReader;

/// The table's name, set by the template.
pub const TABLE_VAR: &str = "IDEMPOTENCY_TABLE";
/// The table's partition key (a string).
pub const KEY_ATTRIBUTE: &str = "key";
/// `in_progress` or `done`.
pub const STATUS_ATTRIBUTE: &str = "status";
/// When the record stops counting, in seconds since the epoch; also the
/// table's TTL attribute, so DynamoDB deletes records some time after.
pub const EXPIRES_ATTRIBUTE: &str = "expires_at";
/// When the record was last written, in seconds since the epoch.
pub const UPDATED_ATTRIBUTE: &str = "updated_at";
/// How long a `done` record suppresses duplicates: far longer than any
/// redelivery or retry (Lambda keeps retrying for at most 6 hours).
pub const DONE_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How long a lease lasts when the invocation's deadline is unknown (tests,
/// the demo): Lambda's longest timeout, so it never outlives a live attempt.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);
/// Work still to do after the action: kept with a `done` record.
pub const PENDING_ATTRIBUTE: &str = "pending";
/// DynamoDB's limit on a partition key.
pub const MAX_KEY_BYTES: usize = 2048;

const IN_PROGRESS: &str = "in_progress";
const DONE: &str = "done";

tokio::task_local! {
    static DEADLINE: Cell<Option<SystemTime>>;
}

/// Runs `work` (one invocation) with the invocation's deadline known, so a
/// lease taken inside expires when Lambda would stop the attempt.
pub async fn within_deadline<F: Future>(deadline: SystemTime, work: F) -> F::Output {
    DEADLINE.scope(Cell::new(Some(deadline)), work).await
}

fn current_deadline() -> Option<SystemTime> {
    DEADLINE.try_with(Cell::get).ok().flatten()
}

/// What a lease attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The lease is ours: do the work, then [`Guard::complete`] or
    /// [`Guard::abandon`].
    Proceed,
    /// The event was handled; `completed_at` in seconds since the epoch.
    /// `pending` is what [`Guard::complete_with_pending`] kept, if anything.
    AlreadyDone {
        completed_at: i64,
        pending: Option<String>,
    },
    /// Another attempt holds the lease until `until` (seconds since the epoch).
    InProgressElsewhere { until: i64 },
}

/// A record as read back from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub status: String,
    pub expires_at: i64,
    pub updated_at: i64,
    pub pending: Option<String>,
}

impl Record {
    fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let number = |name: &str| {
            item.get(name)
                .and_then(|value| value.as_n().ok())
                .and_then(|text| text.parse::<i64>().ok())
        };
        Some(Self {
            status: item.get(STATUS_ATTRIBUTE)?.as_s().ok()?.clone(),
            expires_at: number(EXPIRES_ATTRIBUTE)?,
            updated_at: number(UPDATED_ATTRIBUTE).unwrap_or_default(),
            pending: item
                .get(PENDING_ATTRIBUTE)
                .and_then(|value| value.as_s().ok())
                .cloned(),
        })
    }
}

/// Why a lease could not be taken, given the record that blocked it; `None`
/// when the record no longer counts (expired), so the caller may try again.
pub fn classify(blocking: Option<&Record>, now: i64) -> Option<Begin> {
    let record = blocking?;
    if record.expires_at < now {
        return None;
    }
    Some(if record.status == DONE {
        Begin::AlreadyDone {
            completed_at: record.updated_at,
            pending: record.pending.clone(),
        }
    } else {
        Begin::InProgressElsewhere {
            until: record.expires_at,
        }
    })
}

/// When a lease taken at `now` ends: the invocation's deadline when known
/// (rounded up to the second), else `now + fallback`.
pub fn lease_end(now: i64, deadline: Option<SystemTime>, fallback: Duration) -> i64 {
    match deadline.and_then(|deadline| deadline.duration_since(UNIX_EPOCH).ok()) {
        Some(deadline) => {
            let seconds = deadline.as_secs() + u64::from(deadline.subsec_nanos() > 0);
            i64::try_from(seconds).unwrap_or(i64::MAX).max(now)
        }
        None => now.saturating_add(seconds(fallback)),
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "event {key} is being handled by another attempt until {} (table {table}); this attempt fails so that Lambda retries it after that",
        crate::time::display_epoch(*.until)
    )]
    InProgressElsewhere {
        table: String,
        key: String,
        until: i64,
    },
    #[error("DynamoDB {operation} on idempotency table {table} for {key} failed: {message}")]
    Dynamo {
        operation: &'static str,
        table: String,
        key: String,
        message: String,
    },
    /// The notice [`Guard::act_then_notify`] kept with the `done` record of
    /// `key` (as stored) does not read back as the caller's notice type.
    #[error("the notice kept in idempotency record {key} is unreadable: {problem}")]
    PendingUnreadable { key: String, problem: String },
}

/// What [`Guard::run`] or [`Guard::act_then_notify`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run<T> {
    /// The work ran (for [`Guard::act_then_notify`], at least its notify
    /// step) and its completion is recorded.
    Ran(T),
    /// The event was handled already; nothing ran.
    Duplicate(Handled),
}

/// An event found handled already, as every function's report says it
/// (`#[serde(flatten)]`): `{"idempotency_key": "health-event-forwarder#...",
/// "handled_at": "2026-11-22T10:00:00Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Handled {
    /// The key as stored in the table ([`Guard::stored_key`]).
    pub idempotency_key: String,
    /// When the earlier attempt finished, RFC 3339 in UTC to the second.
    pub handled_at: String,
}

impl Handled {
    /// The record of `stored_key`, completed at `completed_at` (epoch seconds).
    pub fn new(stored_key: String, completed_at: i64) -> Self {
        Self {
            idempotency_key: stored_key,
            handled_at: format_epoch(completed_at),
        }
    }
}

/// Where the notice handed to the notify step of [`Guard::act_then_notify`]
/// comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeOrigin {
    /// This attempt's act step has just returned it.
    JustActed,
    /// An earlier attempt acted, failed to notify, and kept the notice with
    /// the `done` record; this attempt only sends it.
    Pending,
}

/// Leases on idempotency keys for one function.
#[derive(Debug, Clone)]
pub struct Guard {
    client: aws_sdk_dynamodb::Client,
    table: String,
    /// Keeps functions' keys apart: the same EventBridge event can go to two.
    scope: String,
    fallback_lease: Duration,
}

impl Guard {
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        scope: impl Into<String>,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            scope: scope.into(),
            fallback_lease: DEFAULT_LEASE,
        }
    }

    /// Reads [`TABLE_VAR`] (required) and builds a client from `sdk`.
    pub fn from_env(env: &mut EnvReader, sdk: &aws_config::SdkConfig, scope: &str) -> Self {
        let table = env.required(TABLE_VAR);
        Self::new(aws_sdk_dynamodb::Client::new(sdk), table, scope)
    }

    /// How long a lease lasts when the invocation's deadline is unknown.
    pub fn with_fallback_lease(mut self, lease: Duration) -> Self {
        self.fallback_lease = lease;
        self
    }

    /// The same table and scope, through another client (tests inject
    /// faults this way).
    pub fn with_client(mut self, client: aws_sdk_dynamodb::Client) -> Self {
        self.client = client;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The key as stored: the function's scope, then the event's key, or
    /// its SHA-256 digest when that would exceed [`MAX_KEY_BYTES`].
    pub fn stored_key(&self, key: &str) -> String {
        let stored = format!("{}#{key}", self.scope);
        if stored.len() <= MAX_KEY_BYTES {
            return stored;
        }
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{}#sha256:{hex}", self.scope)
    }

    /// The error for an attempt that found `key` leased by another until `until`.
    pub fn in_progress_error(&self, key: &str, until: i64) -> GuardError {
        GuardError::InProgressElsewhere {
            table: self.table.clone(),
            key: self.stored_key(key),
            until,
        }
    }

    /// Runs `work` at most once for `key`: skipped when `key` is done,
    /// failed when another attempt holds it, and on failure the lease is
    /// released so a retry can start over.
    pub async fn run<T, E>(
        &self,
        key: &str,
        work: impl AsyncFnOnce() -> Result<T, E>,
    ) -> Result<Run<T>, E>
    where
        E: From<GuardError> + std::fmt::Display,
    {
        match self.begin(key).await? {
            Begin::Proceed => {}
            Begin::AlreadyDone { completed_at, .. } => {
                let handled = Handled::new(self.stored_key(key), completed_at);
                tracing::info!(
                    idempotency_key = %handled.idempotency_key,
                    handled_at = %handled.handled_at,
                    "duplicate suppressed"
                );
                return Ok(Run::Duplicate(handled));
            }
            Begin::InProgressElsewhere { until } => {
                return Err(self.in_progress_error(key, until).into());
            }
        }
        match work().await {
            Ok(value) => {
                self.complete(key).await?;
                Ok(Run::Ran(value))
            }
            Err(error) => {
                if let Err(release_error) = self.abandon(key).await {
                    // The invocation fails with the work's error either way;
                    // the lease then lapses at the deadline instead of now.
                    warn!(key = %self.stored_key(key), error = %release_error, "releasing the lease failed");
                }
                Err(error)
            }
        }
    }

    /// [`Self::run`] for work whose report can say "handled already": the
    /// duplicate's report comes ready-made ([`crate::function::FromHandled`]).
    ///
    /// # Errors
    /// As [`Self::run`].
    pub async fn once<R, E>(
        &self,
        key: &str,
        work: impl AsyncFnOnce() -> Result<R, E>,
    ) -> Result<R, E>
    where
        R: crate::function::FromHandled,
        E: From<GuardError> + std::fmt::Display,
    {
        Ok(match self.run(key, work).await? {
            Run::Ran(report) => report,
            Run::Duplicate(handled) => R::duplicate(handled),
        })
    }

    /// Acts, then sends the notice about it, at most once per `key`,
    /// without losing the notice: the two-phase protocol of the module
    /// documentation. `act` returns the notice still to send, `P` (any value
    /// serde writes as JSON; the caller's report of the action can travel
    /// in it), and `notify` sends it and returns the caller's result `T`.
    ///
    /// - No live record: the lease is taken, `act` runs, then
    ///   `notify(notice, NoticeOrigin::JustActed)`, then `key` is marked
    ///   done. A failed `act` releases the lease, so a retry starts over. A
    ///   failed `notify` marks `key` done with the notice kept as JSON
    ///   ([`Guard::complete_with_pending`]), so a retry does not act again.
    /// - A `done` record with a notice pending: the lease is taken back
    ///   ([`Guard::resume`]) and only `notify(notice, NoticeOrigin::Pending)`
    ///   runs, then `key` is marked done for good (or, when it fails, done
    ///   with the notice still pending).
    /// - A `done` record without one: `Ok(Run::Duplicate(_))`, nothing runs
    ///   (the caller reports the duplicate: this logs nothing).
    /// - A live lease of another attempt: the error below, nothing runs.
    ///
    /// A failure to release the lease or to keep the notice is logged (a
    /// warning naming `key`), and the step's own error returned: the lease
    /// then lapses at the deadline, and a retry after that acts again.
    ///
    /// # Errors
    /// `act`'s or `notify`'s own error; else, converted into `E`,
    /// [`GuardError::InProgressElsewhere`] when another attempt holds `key`
    /// or took its pending notice first, [`GuardError::PendingUnreadable`]
    /// when the kept notice does not read back as `P`, and
    /// [`GuardError::Dynamo`] when the table fails.
    pub async fn act_then_notify<P, T, E>(
        &self,
        key: &str,
        act: impl AsyncFnOnce() -> Result<P, E>,
        notify: impl AsyncFnOnce(P, NoticeOrigin) -> Result<T, E>,
    ) -> Result<Run<T>, E>
    where
        P: Serialize + DeserializeOwned + Clone,
        E: From<GuardError>,
    {
        let (notice, origin) = match self.begin(key).await? {
            Begin::InProgressElsewhere { until } => {
                return Err(self.in_progress_error(key, until).into());
            }
            Begin::AlreadyDone {
                completed_at,
                pending: None,
            } => {
                return Ok(Run::Duplicate(Handled::new(
                    self.stored_key(key),
                    completed_at,
                )));
            }
            Begin::AlreadyDone {
                pending: Some(pending),
                ..
            } => {
                if !self.resume(key).await? {
                    let until = now().saturating_add(1);
                    return Err(self.in_progress_error(key, until).into());
                }
                let notice = serde_json::from_str(&pending).map_err(|error| {
                    GuardError::PendingUnreadable {
                        key: self.stored_key(key),
                        problem: error.to_string(),
                    }
                })?;
                (notice, NoticeOrigin::Pending)
            }
            Begin::Proceed => match act().await {
                Ok(notice) => (notice, NoticeOrigin::JustActed),
                Err(error) => {
                    if let Err(release_error) = self.abandon(key).await {
                        warn!(idempotency_key = %key, error = %release_error, "releasing the lease failed");
                    }
                    return Err(error);
                }
            },
        };
        match notify(notice.clone(), origin).await {
            Ok(result) => {
                self.complete(key).await?;
                Ok(Run::Ran(result))
            }
            Err(error) => {
                let kept = match serde_json::to_string(&notice) {
                    Ok(pending) => self
                        .complete_with_pending(key, &pending)
                        .await
                        .map_err(|error| error.to_string()),
                    Err(problem) => Err(problem.to_string()),
                };
                if let Err(problem) = kept {
                    warn!(idempotency_key = %key, %problem, "keeping the pending notice failed");
                }
                Err(error)
            }
        }
    }

    pub async fn begin(&self, key: &str) -> Result<Begin, GuardError> {
        self.begin_at(key, now()).await
    }

    /// Takes the lease on `key` at time `now` (seconds since the epoch).
    pub async fn begin_at(&self, key: &str, now: i64) -> Result<Begin, GuardError> {
        let stored = self.stored_key(key);
        let until = lease_end(now, current_deadline(), self.fallback_lease);
        // A record deleted between the failed write and reading it back
        // (released, or removed by TTL) lets the second try through.
        for _ in 0..2 {
            let written = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(KEY_ATTRIBUTE, AttributeValue::S(stored.clone()))
                .item(STATUS_ATTRIBUTE, AttributeValue::S(IN_PROGRESS.to_owned()))
                .item(EXPIRES_ATTRIBUTE, AttributeValue::N(until.to_string()))
                .item(UPDATED_ATTRIBUTE, AttributeValue::N(now.to_string()))
                .condition_expression("attribute_not_exists(#key) OR #expires < :now")
                .expression_attribute_names("#key", KEY_ATTRIBUTE)
                .expression_attribute_names("#expires", EXPIRES_ATTRIBUTE)
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let blocking = match written {
                Ok(_) => return Ok(Begin::Proceed),
                Err(SdkError::ServiceError(failure)) => match failure.err() {
                    PutItemError::ConditionalCheckFailedException(check) => {
                        check.item().and_then(Record::from_item)
                    }
                    _ => {
                        return Err(self.dynamo_error(
                            "PutItem",
                            &stored,
                            SdkError::ServiceError(failure),
                        ));
                    }
                },
                Err(error) => return Err(self.dynamo_error("PutItem", &stored, error)),
            };
            if let Some(found) = classify(blocking.as_ref(), now) {
                return Ok(found);
            }
        }
        // Still blocked by a record that does not count: treat it as live,
        // so the attempt fails and is retried rather than risking a repeat.
        Ok(Begin::InProgressElsewhere { until })
    }

    /// Marks `key` done, so deliveries for the next [`DONE_RETENTION`] are
    /// skipped.
    pub async fn complete(&self, key: &str) -> Result<(), GuardError> {
        self.complete_at(key, now()).await
    }

    pub async fn complete_at(&self, key: &str, now: i64) -> Result<(), GuardError> {
        self.mark_done(key, now, None).await
    }

    /// Marks `key` done and keeps `pending` with the record: every later
    /// [`Guard::begin`] on `key` returns it in [`Begin::AlreadyDone`], so
    /// whatever had to follow the action (its notice) can still be done by
    /// a retry, after [`Guard::resume`].
    pub async fn complete_with_pending(&self, key: &str, pending: &str) -> Result<(), GuardError> {
        self.mark_done(key, now(), Some(pending)).await
    }

    /// Takes the lease on a `done` record that still has work pending, so
    /// that one attempt alone finishes it; `false` when the record has no
    /// pending work any more (another attempt finished or holds it).
    pub async fn resume(&self, key: &str) -> Result<bool, GuardError> {
        let now = now();
        let stored = self.stored_key(key);
        let until = lease_end(now, current_deadline(), self.fallback_lease);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(stored.clone()))
            .update_expression("SET #status = :in_progress, #expires = :until, #updated = :now")
            .condition_expression("#status = :done AND attribute_exists(#pending)")
            .expression_attribute_names("#status", STATUS_ATTRIBUTE)
            .expression_attribute_names("#expires", EXPIRES_ATTRIBUTE)
            .expression_attribute_names("#updated", UPDATED_ATTRIBUTE)
            .expression_attribute_names("#pending", PENDING_ATTRIBUTE)
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.to_owned()))
            .expression_attribute_values(":done", AttributeValue::S(DONE.to_owned()))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(failure))
                if failure.err().is_conditional_check_failed_exception() =>
            {
                Ok(false)
            }
            Err(error) => Err(self.dynamo_error("UpdateItem", &stored, error)),
        }
    }

    async fn mark_done(
        &self,
        key: &str,
        now: i64,
        pending: Option<&str>,
    ) -> Result<(), GuardError> {
        let stored = self.stored_key(key);
        let expires = now.saturating_add(seconds(DONE_RETENTION));
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(stored.clone()))
            .update_expression(match pending {
                Some(_) => {
                    "SET #status = :done, #expires = :expires, #updated = :now, #pending = :pending"
                }
                None => "SET #status = :done, #expires = :expires, #updated = :now REMOVE #pending",
            })
            .expression_attribute_names("#pending", PENDING_ATTRIBUTE);
        if let Some(pending) = pending {
            update = update
                .expression_attribute_values(":pending", AttributeValue::S(pending.to_owned()));
        }
        update
            .expression_attribute_names("#status", STATUS_ATTRIBUTE)
            .expression_attribute_names("#expires", EXPIRES_ATTRIBUTE)
            .expression_attribute_names("#updated", UPDATED_ATTRIBUTE)
            .expression_attribute_values(":done", AttributeValue::S(DONE.to_owned()))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await
            .map_err(|error| self.dynamo_error("UpdateItem", &stored, error))?;
        Ok(())
    }

    /// Releases the lease on `key` after failed work, so a retry need not
    /// wait for it to expire. A `done` record is left alone.
    pub async fn abandon(&self, key: &str) -> Result<(), GuardError> {
        let stored = self.stored_key(key);
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(stored.clone()))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", STATUS_ATTRIBUTE)
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.to_owned()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(failure))
                if failure.err().is_conditional_check_failed_exception() =>
            {
                Ok(())
            }
            Err(error) => Err(self.dynamo_error("DeleteItem", &stored, error)),
        }
    }

    /// The record for `key`, read consistently (for tests and operators).
    pub async fn record(&self, key: &str) -> Result<Option<Record>, GuardError> {
        let stored = self.stored_key(key);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(stored.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.dynamo_error("GetItem", &stored, error))?;
        Ok(output.item().and_then(Record::from_item))
    }

    fn dynamo_error<E, R>(
        &self,
        operation: &'static str,
        key: &str,
        error: SdkError<E, R>,
    ) -> GuardError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        GuardError::Dynamo {
            operation,
            table: self.table.clone(),
            key: key.to_owned(),
            message: DisplayErrorContext(&error).to_string(),
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(seconds)
        .unwrap_or_default()
}

/// `seconds` since 1970-01-01 00:00 UTC in the record's machine format,
/// `2026-11-22T10:05:00Z` (RFC 3339, UTC, whole seconds; see
/// [`crate::time::rfc3339_epoch`]), as duplicate reports give `handled_at`.
pub fn format_epoch(seconds: i64) -> String {
    crate::time::rfc3339_epoch(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: &str, expires_at: i64) -> Record {
        Record {
            status: status.to_owned(),
            expires_at,
            updated_at: 100,
            pending: None,
        }
    }

    #[test]
    fn a_blocking_record_is_classified_by_status_and_expiry() {
        let now = 1_000;
        let cases = [
            (None, None),
            (
                Some(record(DONE, 2_000)),
                Some(Begin::AlreadyDone {
                    completed_at: 100,
                    pending: None,
                }),
            ),
            (
                Some(record(DONE, now)),
                Some(Begin::AlreadyDone {
                    completed_at: 100,
                    pending: None,
                }),
            ),
            (Some(record(DONE, now - 1)), None),
            (
                Some(record(IN_PROGRESS, 1_030)),
                Some(Begin::InProgressElsewhere { until: 1_030 }),
            ),
            (
                Some(record(IN_PROGRESS, now)),
                Some(Begin::InProgressElsewhere { until: now }),
            ),
            (Some(record(IN_PROGRESS, now - 1)), None),
        ];
        for (blocking, expected) in cases {
            assert_eq!(classify(blocking.as_ref(), now), expected, "{blocking:?}");
        }
    }

    #[test]
    fn a_lease_ends_at_the_deadline_when_known() {
        let at = |seconds: u64, nanos: u32| UNIX_EPOCH + Duration::new(seconds, nanos);
        let fallback = Duration::from_secs(900);
        assert_eq!(lease_end(1_000, None, fallback), 1_900);
        assert_eq!(lease_end(1_000, Some(at(1_030, 0)), fallback), 1_030);
        assert_eq!(lease_end(1_000, Some(at(1_029, 1)), fallback), 1_030);
        // A deadline already passed never ends a lease before it starts.
        assert_eq!(lease_end(1_000, Some(at(900, 0)), fallback), 1_000);
    }

    #[tokio::test]
    async fn the_deadline_is_seen_only_within_the_invocation() {
        assert_eq!(current_deadline(), None);
        let deadline = UNIX_EPOCH + Duration::from_secs(42);
        let seen = within_deadline(deadline, async { current_deadline() }).await;
        assert_eq!(seen, Some(deadline));
    }

    #[test]
    fn epochs_format_as_utc_timestamps() {
        assert_eq!(format_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch(1_795_341_900), "2026-11-22T10:05:00Z");
    }

    #[test]
    fn an_unreadable_pending_notice_names_its_record() {
        let error = GuardError::PendingUnreadable {
            key: "terminator#sns:m-1|j-1".into(),
            problem: "expected value at line 1 column 1".into(),
        };
        assert_eq!(
            error.to_string(),
            "the notice kept in idempotency record terminator#sns:m-1|j-1 is unreadable: expected value at line 1 column 1"
        );
    }

    #[test]
    fn a_held_lease_names_its_end_in_the_operators_format() {
        let error = GuardError::InProgressElsewhere {
            table: "watchkeeper-idempotency".into(),
            key: "notifier#event-3".into(),
            until: 1_795_341_900,
        };
        assert_eq!(
            error.to_string(),
            "event notifier#event-3 is being handled by another attempt until 2026-11-22 10:05 UTC (table watchkeeper-idempotency); this attempt fails so that Lambda retries it after that"
        );
    }
}
