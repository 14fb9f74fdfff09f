//! Why a function left an event (or a resource) alone, as types.
//!
//! Each function's `decide` returns its own skip-reason enum; every variant
//! has a stable [`ReasonCode::code`] from a fixed set in the code and a sentence
//! for people (its `Display`). A program reads the code back — the `Reason`
//! dimension of the `EventsSkipped` metric, a report's `code` field — and
//! never parses the sentence, which may quote event text.
//!
//! Reports serialize a reason as `{"code": "state_needs_no_change",
//! "reason": "state pending needs no alarm change"}` ([`serialize`]).

use std::fmt;

use serde::ser::{SerializeMap, Serializer};

use serde_json::Value;

use crate::events::{EventError, EventRouting, quoted};
use crate::home::{Elsewhere, Home, Scope};
#[cfg(feature = "aws")]
use crate::reach::{Place, Reach};

/// A reason with a stable code.
pub trait ReasonCode: fmt::Display {
    /// Lowercase `snake_case`, from a fixed set in the code, never from
    /// event text: each distinct code is one custom metric.
    fn code(&self) -> &'static str;
}

/// Writes `reason` as a map `{"code": ..., "reason": ...}`, for a
/// `Serialize` impl or `#[serde(flatten)]` into a report.
///
/// # Errors
/// Whatever `serializer` fails with.
pub fn serialize<R: ReasonCode + ?Sized, S: Serializer>(
    reason: &R,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("code", reason.code())?;
    map.serialize_entry("reason", &reason.to_string())?;
    map.end()
}

/// Implements `serde::Serialize` for a [`ReasonCode`] type through
/// [`serialize`], so a report can `#[serde(flatten)]` it.
#[macro_export]
macro_rules! serialize_reason {
    ($type:ty) => {
        impl ::serde::Serialize for $type {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::skip::serialize(self, serializer)
            }
        }
    };
}

serialize_reason!(Routing);

/// The skip reasons every function has, before it reads its own detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Not an event this function handles: the `source` and `detail-type`
    /// it has, and what the function handles, in words.
    NotHandled {
        handled: &'static str,
        source: String,
        detail_type: String,
    },
    /// An event of another account or region ([`crate::home::Home::admit`]).
    Elsewhere(Elsewhere),
}

impl Routing {
    /// The event's routing, for a function that handles `handled` (e.g.
    /// "an EC2 instance state-change event").
    pub fn not_handled(handled: &'static str, routing: &EventRouting) -> Self {
        Self::NotHandled {
            handled,
            source: routing.source.clone(),
            detail_type: routing.detail_type.clone(),
        }
    }
}

impl ReasonCode for Routing {
    fn code(&self) -> &'static str {
        match self {
            Self::NotHandled { .. } => "irrelevant_event",
            Self::Elsewhere(Elsewhere::Account { .. }) => "other_account",
            Self::Elsewhere(Elsewhere::Region { .. }) => "other_region",
            Self::Elsewhere(Elsewhere::NotAMember { .. }) => "not_a_member",
        }
    }
}

impl fmt::Display for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHandled {
                handled,
                source,
                detail_type,
            } => write!(
                f,
                "not {handled} (source {}, detail-type {})",
                quoted(source),
                quoted(detail_type)
            ),
            Self::Elsewhere(elsewhere) => elsewhere.fmt(f),
        }
    }
}

impl From<Elsewhere> for Routing {
    fn from(elsewhere: Elsewhere) -> Self {
        Self::Elsewhere(elsewhere)
    }
}

/// What a function does with an event's envelope, before reading its detail.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// Handled here: an accepted source and detail-type, from the
    /// function's home as far as its [`Scope`] asks.
    Admitted(EventRouting),
    /// Logged with the event's id and left alone.
    Skipped(Routing),
}

impl Admission {
    /// The reason, when the event was skipped.
    pub fn skipped(self) -> Option<Routing> {
        match self {
            Self::Admitted(_) => None,
            Self::Skipped(routing) => Some(routing),
        }
    }
}

/// Which events a function takes: the `(source, detail-type)` pairs it
/// accepts, how its skip reason describes them, and how far an event must
/// come from the function's own account and region ([`Scope`]). Each
/// function declares one as `ROUTE` next to its handler.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub accepts: &'static [(&'static str, &'static str)],
    /// The accepted events in a skip reason, e.g. "an AWS Health event".
    pub handled: &'static str,
    pub scope: Scope,
}

impl Route {
    /// [`admit`] with this route.
    ///
    /// # Errors
    /// As [`admit`].
    pub fn admit(&self, event: &Value, home: &Home) -> Result<Admission, EventError> {
        admit(event, home, self.accepts, self.handled, self.scope)
    }

    /// Like [`Self::admit`] for a function that acts where the event
    /// happened: in hub mode, an event of a member account is placed there
    /// ([`Reach::place`]) instead of skipped.
    ///
    /// # Errors
    /// As [`admit`].
    #[cfg(feature = "aws")]
    pub fn place(&self, event: &Value, reach: &Reach) -> Result<Placement, EventError> {
        let routing = match self.accepted(event)? {
            Ok(routing) => routing,
            Err(reason) => return Ok(Placement::Skipped(reason)),
        };
        Ok(
            match reach.place(&routing.account, &routing.region, self.scope)? {
                Ok(place) => Placement::Placed(routing, place),
                Err(elsewhere) => {
                    let reason = Routing::Elsewhere(elsewhere);
                    tracing::info!(
                        event_id = %routing.id,
                        account = %routing.account,
                        region = %routing.region,
                        code = reason.code(),
                        %reason,
                        "skipped"
                    );
                    Placement::Skipped(reason)
                }
            },
        )
    }

    /// The envelope when its `(source, detail-type)` is accepted, else the
    /// logged reason.
    fn accepted(&self, event: &Value) -> Result<Result<EventRouting, Routing>, EventError> {
        let routing = EventRouting::read(event)?;
        if self
            .accepts
            .iter()
            .any(|(source, detail_type)| routing.matches(source, detail_type))
        {
            return Ok(Ok(routing));
        }
        let reason = Routing::not_handled(self.handled, &routing);
        tracing::info!(event_id = %routing.id, code = reason.code(), %reason, "skipped");
        Ok(Err(reason))
    }
}

/// Where [`Route::place`] puts an event.
#[cfg(feature = "aws")]
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Acted on at `Place`.
    Placed(EventRouting, Place),
    /// Logged with the event's id and left alone.
    Skipped(Routing),
}

/// Reads `event`'s envelope: admitted when its `(source, detail-type)` is one
/// of `accepts` and `home` admits its origin at `scope`; otherwise the
/// reason, logged as `skipped` with the event id. `handled` describes the
/// accepted events for that reason, e.g. "an AWS Health event".
///
/// # Errors
/// [`EventError::NotAnEvent`] naming what arrived when `event` is not an
/// EventBridge envelope; [`EventError::Field`] when a routing field is not a
/// string, or `account`/`region` is missing from an accepted event.
pub fn admit(
    event: &Value,
    home: &Home,
    accepts: &'static [(&'static str, &'static str)],
    handled: &'static str,
    scope: Scope,
) -> Result<Admission, EventError> {
    let route = Route {
        accepts,
        handled,
        scope,
    };
    let routing = match route.accepted(event)? {
        Ok(routing) => routing,
        Err(reason) => return Ok(Admission::Skipped(reason)),
    };
    Ok(match home.admit(&routing, scope)? {
        Some(elsewhere) => Admission::Skipped(Routing::Elsewhere(elsewhere)),
        None => Admission::Admitted(routing),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routing_reasons_have_one_code_each_and_quote_event_text() {
        let routing =
            EventRouting::read(&json!({"source": "aws.s3", "detail-type": "Object\tCreated"}))
                .unwrap();
        let reason = Routing::not_handled("an EC2 instance state-change event", &routing);
        assert_eq!(reason.code(), "irrelevant_event");
        assert_eq!(
            reason.to_string(),
            r#"not an EC2 instance state-change event (source "aws.s3", detail-type "Object\tCreated")"#
        );
        let account = Routing::from(Elsewhere::Account {
            event: "111111111111".into(),
            home: "222222222222".into(),
        });
        assert_eq!(account.code(), "other_account");
        let region = Routing::from(Elsewhere::Region {
            event: "eu-west-1".into(),
            home: "us-east-1".into(),
        });
        assert_eq!(region.code(), "other_region");
        assert!(
            region
                .to_string()
                .starts_with("event from region eu-west-1")
        );
    }

    #[test]
    fn a_reason_serializes_as_its_code_and_sentence() {
        let reason = Routing::from(Elsewhere::Account {
            event: "111111111111".into(),
            home: "222222222222".into(),
        });
        assert_eq!(
            serde_json::to_value(&reason).unwrap(),
            json!({"code": "other_account", "reason": reason.to_string()})
        );
    }
}
