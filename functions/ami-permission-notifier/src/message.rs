//! The pure wording: an alert about a permission event becomes the
//! notification operators read, in their inbox and on their phone.

use serde_json::Value;
use watchkeeper_shared::headline::Shorten;
use watchkeeper_shared::notification::{MAX_SUBJECT_CHARS, Step};
use watchkeeper_shared::time;
use watchkeeper_shared::{Headline, Notification, Severity};

use crate::decide::{
    Alert, AssessedChange, BlockPublicAccessEffect, Outcome, PUBLIC_OK_TAG, RemediationOutcome,
    Trust, block_public_access_effect,
};
use crate::input::{
    BlockPublicAccessAction, BlockPublicAccessState, Caller, Direction, Grantee, Origin,
    PermissionEvent, Request, Resource, ResourceKind,
};

/// The `source` attribute of every notification this function sends.
pub const SOURCE_NAME: &str = "ami-permission-notifier";

pub use watchkeeper_shared::account::AccountLabel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tense {
    /// "made PUBLIC": what happened.
    Done,
    /// "make PUBLIC": what a denied call asked for.
    Attempted,
}

pub fn notification(
    event: &PermissionEvent,
    alert: &Alert,
    account: &AccountLabel,
    full_event: Value,
) -> Notification {
    notification_with(event, alert, account, None, full_event)
}

/// [`notification`], with what remediation did when it was on.
pub fn notification_with(
    event: &PermissionEvent,
    alert: &Alert,
    account: &AccountLabel,
    remediation: Option<&RemediationOutcome>,
    full_event: Value,
) -> Notification {
    let denied = matches!(alert.outcome, Outcome::Denied { .. });
    let tense = if denied {
        Tense::Attempted
    } else {
        Tense::Done
    };
    // A service's role and session names are long and say less than the
    // service's own name; the email still gives the full identity.
    let (by, short_by) = match &event.origin {
        Origin::AwsService(service) => (
            Headline::new().fixed("via AWS service ").var(service),
            Headline::new()
                .fixed("via AWS service ")
                .var(service.trim_end_matches(".amazonaws.com")),
        ),
        _ => {
            let by = Headline::new()
                .fixed("by ")
                .then(who_headline(&event.caller));
            (by.clone(), by)
        }
    };
    let phrases = phrases(&event.request, &alert.changes, tense);
    // What remediation did, when the headline must say it.
    let remediated = match remediation {
        Some(RemediationOutcome::MadePrivate) => "; made private again",
        Some(RemediationOutcome::Denied { .. }) => "; undo FAILED",
        _ => "",
    };
    let headline = |what: Headline, by: &Headline| match (denied, target(&event.request)) {
        (false, Some(target)) => target
            .fixed(" ")
            .then(what)
            .fixed(" ")
            .then(by.clone())
            .fixed(remediated),
        (false, None) => what.fixed(" ").then(by.clone()),
        (true, Some(target)) => Headline::new()
            .fixed("DENIED attempt on ")
            .then(target)
            .fixed(" ")
            .then(by.clone())
            .fixed(": ")
            .then(what),
        (true, None) => Headline::new()
            .fixed("DENIED attempt ")
            .then(by.clone())
            .fixed(": ")
            .then(what),
    };
    let prefix = Headline::new().fixed("[").var(account.short()).fixed("] ");
    let all_changes = Headline::join(phrases.iter().cloned(), "; ");
    let first_change = match phrases.len() {
        0 | 1 => all_changes.clone(),
        n => phrases[0].clone().fixed(format!(" (+{} more)", n - 1)),
    };
    // The longest headline that fits the subject whole; else the shortest,
    // whose names and ids the renderer shortens to fit.
    let candidates = [
        headline(all_changes.clone(), &by),
        headline(all_changes, &short_by),
        headline(first_change, &short_by),
    ];
    let fits = |body: &&Headline| prefix.clone().then((*body).clone()).fits(MAX_SUBJECT_CHARS);
    let body = candidates
        .iter()
        .find(fits)
        .unwrap_or(&candidates[2])
        .clone();
    let title = prefix.then(body.clone());
    let sms = match &event.region {
        Some(region) => Headline::new()
            .var(account.short())
            .fixed(" ")
            .var(region)
            .fixed(": ")
            .then(body),
        None => Headline::new().var(account.short()).fixed(": ").then(body),
    };

    let mut notification = Notification::new(SOURCE_NAME, alert.severity, title)
        .with_sms_text(sms)
        .with_fact("Account", account.long());
    if let Some(region) = &event.region {
        notification = notification.with_fact("Region", region);
    }
    // Chat threads every notice about one image, snapshot or account
    // setting together, per account and region.
    let place = format!(
        "{}:{}",
        event.account_id.as_deref().unwrap_or("unknown-account"),
        event.region.as_deref().unwrap_or("unknown-region")
    );
    match &event.request {
        Request::Permissions { resource, .. } | Request::OtherAttribute { resource, .. } => {
            notification = notification
                .with_fact(resource.kind.label(), &resource.id)
                .with_thread(format!("ami-permission:{place}:{}", resource.id))
                .with_resource(&resource.id);
        }
        Request::BlockPublicAccess { kind, .. } => {
            notification = notification
                .with_fact(
                    "Setting",
                    format!("Block public access for {}", kind.plural()),
                )
                .with_thread(format!(
                    "ami-permission:{place}:block-public-access:{}",
                    kind.plural()
                ));
        }
    }
    let what_key = if denied { "Attempted" } else { "What changed" };
    notification = notification.with_fact(what_key, Headline::join(phrases, "; ").text());
    if let Outcome::Denied {
        error_code,
        error_message,
    } = &alert.outcome
    {
        let result = match error_message {
            Some(message) => format!("DENIED with {error_code}: {message}"),
            None => format!("DENIED with {error_code}"),
        };
        notification = notification.with_fact("Result", result);
    }
    match &event.request {
        Request::OtherAttribute {
            new_value: Some(value),
            ..
        } => notification = notification.with_fact("New value", value),
        Request::BlockPublicAccess {
            kind,
            action,
            requested_state,
            new_state,
        } if !denied => {
            // The event records the state after the call only.
            notification = notification.with_fact("Previous state", "not recorded in the event");
            if let Some(state) = new_state.as_ref().or(requested_state.as_ref()) {
                notification = notification.with_fact("New state", state.as_str());
            }
            let effect = block_public_access_effect(
                *kind,
                *action,
                new_state.as_ref().or(requested_state.as_ref()),
            );
            notification = notification.with_fact("Effect", effect_text(effect, *kind));
        }
        Request::BlockPublicAccess {
            requested_state: Some(state),
            ..
        } => notification = notification.with_fact("Requested state", state.as_str()),
        _ => {}
    }
    if let (Some(outcome), Some(resource)) = (remediation, event.request.resource()) {
        notification = notification.with_fact("Remediation", remediation_text(outcome, resource));
    }
    notification = notification
        .with_fact("Who", who_full(&event.caller))
        .with_fact("Identity", identity(&event.caller))
        .with_fact(
            "Source",
            match &event.origin {
                Origin::Ip(ip) => format!("IP address {ip}"),
                Origin::AwsService(service) => format!("via AWS service {service}"),
                Origin::Unknown => "not in the event".to_owned(),
            },
        );
    if let Some(agent) = &event.user_agent {
        notification = notification.with_fact("User agent", agent);
    }
    if let Some(at) = &event.event_time {
        notification = notification.with_fact("Time", time::display_text(at));
    }
    notification = notification.with_fact("API call", &event.event_name);
    if let Some(id) = &event.cloudtrail_event_id {
        notification = notification.with_fact("CloudTrail event ID", id);
    }
    if let (Some(region), Some(resource)) = (&event.region, resource(&event.request)) {
        notification = notification.with_fact("Console", console_link(region, resource));
    }

    if !alert.changes.is_empty() {
        let heading = if denied {
            "Requested changes (not made)"
        } else {
            "Changes"
        };
        let kind = resource(&event.request).map_or(ResourceKind::Image, |r| r.kind);
        let lines: Vec<String> = alert
            .changes
            .iter()
            .map(|assessed| format!("- {}", change_line(assessed, kind, tense)))
            .collect();
        notification = notification.with_section(heading, lines.join("\n"));
    }
    let made_private = remediation == Some(&RemediationOutcome::MadePrivate);
    let undo = if denied || alert.severity == Severity::Info {
        None
    } else {
        undo_command(event, &alert.changes, made_private)
    };
    let redo = match (made_private, event.request.resource()) {
        (true, Some(resource)) => Some(redo_commands(event, resource)),
        _ => None,
    };
    match (undo, redo) {
        (undo, Some((tag, publish))) => {
            let mut steps = Vec::new();
            if let Some(command) = undo {
                steps.push(Step::command(
                    "Take back the other shares outside the trusted accounts:",
                    command,
                ));
            }
            steps.push(Step::command(
                format!("If it was meant to be public, exempt it first ({PUBLIC_OK_TAG}=true):"),
                tag,
            ));
            steps.push(Step::command("then make it public again:", publish));
            notification = notification.with_next_steps("What now", steps);
        }
        (Some(command), None) => {
            notification = notification.with_next_steps(
                "If this was not intended",
                vec![Step::command("Undo it with the AWS CLI:", command)],
            );
        }
        (None, None) => {}
    }
    notification.with_full_event(full_event)
}

fn resource(request: &Request) -> Option<&Resource> {
    request.resource()
}

/// What the block public access change means, given that the event does
/// not record the state before it.
fn effect_text(effect: BlockPublicAccessEffect, kind: ResourceKind) -> String {
    let plural = kind.plural();
    match effect {
        BlockPublicAccessEffect::Disabled => {
            format!("WEAKENED: public sharing of {plural} is no longer blocked")
        }
        BlockPublicAccessEffect::Strengthened => {
            format!("strengthened (or unchanged): the strongest state there is for {plural}")
        }
        BlockPublicAccessEffect::MayWeaken => format!(
            "WEAKENED if it was block-all-sharing: every {} shared publicly before is public again; \
             strengthened if it was unblocked: new public sharing is blocked",
            match kind {
                ResourceKind::Image => "AMI",
                ResourceKind::Snapshot => "snapshot",
            }
        ),
        BlockPublicAccessEffect::Unclear => {
            "unknown: the state is not one this function knows (see the full event)".to_owned()
        }
    }
}

/// What remediation did, in one line.
fn remediation_text(outcome: &RemediationOutcome, resource: &Resource) -> String {
    let label = resource.kind.label();
    match outcome {
        RemediationOutcome::MadePrivate => "made private again by Watchkeeper: the public \
            permission (group all) was removed; account, organization and OU shares were left \
            as they were"
            .to_owned(),
        RemediationOutcome::AlreadyPrivate => {
            format!("nothing to undo: the {label} was no longer public when read again")
        }
        RemediationOutcome::Exempt => {
            format!("left public: the {label} is tagged {PUBLIC_OK_TAG}=true")
        }
        RemediationOutcome::MemberAccount { account_id } => format!(
            "not attempted: remediation acts in the hub's own account only, and account {account_id} is a member account (alert only)"
        ),
        RemediationOutcome::NotFound => {
            format!("nothing to undo: the {label} no longer exists")
        }
        RemediationOutcome::Denied {
            call,
            error_code,
            error_message,
        } => {
            let why = match error_message {
                Some(message) => format!("{error_code}: {message}"),
                None => error_code.clone(),
            };
            format!(
                "the undo FAILED: {call} was denied ({why}); the {label} may still be public, undo it by hand"
            )
        }
    }
}

/// The commands that put back what remediation took away: the exemption
/// tag, then the public permission.
fn redo_commands(event: &PermissionEvent, resource: &Resource) -> (String, String) {
    let region = event
        .region
        .as_ref()
        .map(|region| format!(" --region {region}"))
        .unwrap_or_default();
    let tag = format!(
        "aws ec2 create-tags{region} --resources {} --tags Key={PUBLIC_OK_TAG},Value=true",
        resource.id
    );
    let publish = match resource.kind {
        ResourceKind::Image => format!(
            "aws ec2 modify-image-attribute{region} --image-id {} --launch-permission \"Add=[{{Group=all}}]\"",
            resource.id
        ),
        ResourceKind::Snapshot => format!(
            "aws ec2 modify-snapshot-attribute{region} --snapshot-id {} --attribute createVolumePermission --operation-type add --group-names all",
            resource.id
        ),
    };
    (tag, publish)
}

/// `AMI ami-0abc`, or nothing for an account-wide setting.
fn target(request: &Request) -> Option<Headline> {
    resource(request).map(|resource| {
        Headline::new()
            .fixed(format!("{} ", resource.kind.label()))
            .var(&resource.id)
    })
}

/// The changes in a fixed order (public first, then shares, then the same
/// for removals), with grantees of one direction listed together.
fn phrases(request: &Request, changes: &[AssessedChange], tense: Tense) -> Vec<Headline> {
    let done = tense == Tense::Done;
    match request {
        Request::BlockPublicAccess {
            kind,
            action: BlockPublicAccessAction::Disable,
            ..
        } => vec![Headline::new().fixed(if done {
            format!("Block public access for {} DISABLED", kind.plural())
        } else {
            format!("disable block public access for {}", kind.plural())
        })],
        Request::BlockPublicAccess {
            kind,
            action: BlockPublicAccessAction::Enable,
            requested_state,
            new_state,
        } => {
            let state = if done {
                new_state.as_ref().or(requested_state.as_ref())
            } else {
                requested_state.as_ref()
            };
            let state = state.map(BlockPublicAccessState::as_str);
            vec![match (done, state) {
                (true, Some(state)) => Headline::new()
                    .fixed(format!("Block public access for {} set to ", kind.plural()))
                    .var(state),
                (true, None) => Headline::new()
                    .fixed(format!("Block public access for {} enabled", kind.plural())),
                (false, Some(state)) => Headline::new()
                    .fixed(format!("set block public access for {} to ", kind.plural()))
                    .var(state),
                (false, None) => Headline::new()
                    .fixed(format!("enable block public access for {}", kind.plural())),
            }]
        }
        Request::OtherAttribute { attribute, .. } => vec![if done {
            Headline::new().var(attribute).fixed(" changed")
        } else {
            Headline::new().fixed("change ").var(attribute)
        }],
        Request::Permissions { resource, .. } if changes.is_empty() => {
            let attribute = permission_attribute(resource.kind);
            vec![Headline::new().fixed(if done {
                format!("{attribute} changed (grantees not readable)")
            } else {
                format!("change {attribute}")
            })]
        }
        Request::Permissions { .. } => {
            let mut phrases = Vec::new();
            for direction in [Direction::Add, Direction::Remove] {
                let of_direction = || {
                    changes
                        .iter()
                        .filter(move |assessed| assessed.change.direction == direction)
                };
                if of_direction().any(|assessed| assessed.change.grantee == Grantee::Public) {
                    phrases.push(Headline::new().fixed(match (direction, done) {
                        (Direction::Add, true) => "made PUBLIC",
                        (Direction::Add, false) => "make PUBLIC",
                        (Direction::Remove, true) => "made private",
                        (Direction::Remove, false) => "make private",
                    }));
                }
                let others: Vec<String> = of_direction()
                    .filter(|assessed| assessed.change.grantee != Grantee::Public)
                    .map(|assessed| grantee_id(&assessed.change.grantee))
                    .collect();
                if !others.is_empty() {
                    let verb = match (direction, done) {
                        (Direction::Add, true) => "shared with",
                        (Direction::Add, false) => "share with",
                        (Direction::Remove, true) => "unshared from",
                        (Direction::Remove, false) => "unshare from",
                    };
                    // One list, shortened at its end: the first grantees whole.
                    phrases.push(
                        Headline::new()
                            .fixed(format!("{verb} "))
                            .var_shortened(others.join(", "), Shorten::End),
                    );
                }
            }
            phrases
        }
    }
}

fn permission_attribute(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Image => "launch permissions",
        ResourceKind::Snapshot => "create-volume permissions",
    }
}

/// A grantee by its shortest unambiguous name: the account, organization or OU id.
fn grantee_id(grantee: &Grantee) -> String {
    match grantee {
        Grantee::Public => "everyone".to_owned(),
        Grantee::Account(id) => id.clone(),
        Grantee::Organization { arn, ids } => ids
            .as_ref()
            .map_or_else(|| arn.clone(), |ids| ids.organization_id.clone()),
        Grantee::OrganizationalUnit { arn, ids } => ids
            .as_ref()
            .and_then(|ids| ids.unit_id.clone())
            .unwrap_or_else(|| arn.clone()),
        Grantee::Unrecognised(text) => text.clone(),
    }
}

fn change_line(assessed: &AssessedChange, kind: ResourceKind, tense: Tense) -> String {
    let done = tense == Tense::Done;
    let grantee = &assessed.change.grantee;
    let named = match grantee {
        Grantee::Public => String::new(),
        Grantee::Account(id) => format!("account {id}"),
        Grantee::Organization { .. } => format!("organization {}", grantee_id(grantee)),
        Grantee::OrganizationalUnit { ids, .. } => match ids {
            Some(ids) => format!("OU {} in {}", grantee_id(grantee), ids.organization_id),
            None => format!("OU {}", grantee_id(grantee)),
        },
        Grantee::Unrecognised(text) => {
            format!("a grantee of unknown kind, {text} (see the full event)")
        }
    };
    let public_use = match kind {
        ResourceKind::Image => "launch it",
        ResourceKind::Snapshot => "create volumes from it",
    };
    match (assessed.change.direction, grantee) {
        (Direction::Add, Grantee::Public) if done => {
            format!("made PUBLIC: any AWS account can {public_use}")
        }
        (Direction::Add, Grantee::Public) => {
            format!("make PUBLIC: any AWS account could {public_use}")
        }
        (Direction::Remove, Grantee::Public) if done => "made private: no longer public".to_owned(),
        (Direction::Remove, Grantee::Public) => "make private".to_owned(),
        (Direction::Add, _) => {
            let trust = match assessed.trust {
                Trust::OwnAccount => " (this account)",
                Trust::Trusted => " (trusted)",
                Trust::Untrusted => " (NOT trusted)",
                Trust::Public | Trust::Unknown => "",
            };
            let verb = if done { "shared with" } else { "share with" };
            format!("{verb} {named}{trust}")
        }
        (Direction::Remove, _) => {
            let verb = if done {
                "unshared from"
            } else {
                "unshare from"
            };
            format!("{verb} {named}")
        }
    }
}

/// The AWS CLI command that takes back every risky grant of this call.
/// With `made_private`, the public permission is taken back already and left out.
fn undo_command(
    event: &PermissionEvent,
    changes: &[AssessedChange],
    made_private: bool,
) -> Option<String> {
    let region = event
        .region
        .as_ref()
        .map(|region| format!(" --region {region}"))
        .unwrap_or_default();
    match &event.request {
        Request::BlockPublicAccess {
            kind: ResourceKind::Image,
            action: BlockPublicAccessAction::Enable,
            ..
        } => None,
        Request::BlockPublicAccess {
            kind: ResourceKind::Snapshot,
            action: BlockPublicAccessAction::Enable,
            ..
        } => Some(format!(
            "aws ec2 enable-snapshot-block-public-access{region} --state block-all-sharing"
        )),
        Request::BlockPublicAccess { kind, .. } => Some(match kind {
            ResourceKind::Image => format!(
                "aws ec2 enable-image-block-public-access{region} --image-block-public-access-state block-new-sharing"
            ),
            ResourceKind::Snapshot => {
                format!(
                    "aws ec2 enable-snapshot-block-public-access{region} --state block-all-sharing"
                )
            }
        }),
        Request::Permissions { resource, .. } => {
            let items: Vec<String> = changes
                .iter()
                .filter(|assessed| {
                    assessed.change.direction == Direction::Add
                        && matches!(assessed.trust, Trust::Public | Trust::Untrusted)
                })
                .filter_map(|assessed| match &assessed.change.grantee {
                    Grantee::Public if made_private => None,
                    Grantee::Public => Some("{Group=all}".to_owned()),
                    Grantee::Account(id) => Some(format!("{{UserId={id}}}")),
                    Grantee::Organization { arn, .. } => Some(format!("{{OrganizationArn={arn}}}")),
                    Grantee::OrganizationalUnit { arn, .. } => {
                        Some(format!("{{OrganizationalUnitArn={arn}}}"))
                    }
                    Grantee::Unrecognised(_) => None,
                })
                .collect();
            if items.is_empty() {
                return None;
            }
            let items = items.join(",");
            Some(match resource.kind {
                ResourceKind::Image => format!(
                    "aws ec2 modify-image-attribute{region} --image-id {} --launch-permission \"Remove=[{items}]\"",
                    resource.id
                ),
                ResourceKind::Snapshot => format!(
                    "aws ec2 modify-snapshot-attribute{region} --snapshot-id {} --create-volume-permission \"Remove=[{items}]\"",
                    resource.id
                ),
            })
        }
        Request::OtherAttribute { .. } => None,
    }
}

/// Short enough for a subject: `Admin/alice` for an assumed role, `alice`
/// for a user.
pub fn who_short(caller: &Caller) -> String {
    let last_segment = |arn: &str| {
        arn.rsplit(['/', ':'])
            .next()
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
    };
    match caller.identity_type.as_deref() {
        Some("AssumedRole") => match (&caller.role_name, &caller.session_name) {
            (Some(role), Some(session)) => return format!("{role}/{session}"),
            (None, Some(session)) => return session.clone(),
            _ => {}
        },
        Some("Root") => return "root".to_owned(),
        Some("AWSService") => {
            return caller
                .invoked_by
                .clone()
                .unwrap_or_else(|| "an AWS service".to_owned());
        }
        _ => {}
    }
    caller
        .arn
        .as_deref()
        .and_then(last_segment)
        .or_else(|| caller.principal_id.clone())
        .or_else(|| caller.invoked_by.clone())
        .unwrap_or_else(|| "unknown caller".to_owned())
}

/// [`who_short`] for a headline: a role and its session are shortened
/// each on its own, the longer first, so that both stay recognisable.
fn who_headline(caller: &Caller) -> Headline {
    match (
        caller.identity_type.as_deref(),
        &caller.role_name,
        &caller.session_name,
    ) {
        (Some("AssumedRole"), Some(role), Some(session)) => {
            Headline::new().var(role).fixed("/").var(session)
        }
        _ => Headline::new().var(who_short(caller)),
    }
}

/// The full identity: the role ARN and session for an assumed role, else the ARN.
pub fn who_full(caller: &Caller) -> String {
    if let (Some(role_arn), Some(session)) = (&caller.role_arn, &caller.session_name) {
        return format!("{role_arn} (session {session})");
    }
    caller
        .arn
        .clone()
        .or_else(|| caller.invoked_by.clone())
        .or_else(|| {
            caller
                .principal_id
                .as_ref()
                .map(|id| format!("principal {id}"))
        })
        .unwrap_or_else(|| "unknown (the event names no caller)".to_owned())
}

fn identity(caller: &Caller) -> String {
    let kind = caller.identity_type.as_deref().unwrap_or("unknown type");
    let mut text = match &caller.account_id {
        Some(account) => format!("{kind} in account {account}"),
        None => kind.to_owned(),
    };
    if let Some(service) = &caller.invoked_by {
        text.push_str(&format!(", invoked by {service}"));
    }
    text
}

fn console_link(region: &str, resource: &Resource) -> String {
    let fragment = match resource.kind {
        ResourceKind::Image => format!("ImageDetails:imageId={}", resource.id),
        ResourceKind::Snapshot => format!("SnapshotDetails:snapshotId={}", resource.id),
    };
    format!("https://{region}.console.aws.amazon.com/ec2/home?region={region}#{fragment}")
}

#[cfg(test)]
mod tests;
