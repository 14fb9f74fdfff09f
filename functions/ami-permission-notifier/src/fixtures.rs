//! Test values more than one test module of this crate builds, each written
//! once: the account, organization and OU of the sample requests, their
//! resources and grantees, and a permission event around a request.

use crate::config::OrganizationIds;
use crate::input::{Caller, Grantee, Origin, PermissionEvent, Request, Resource, ResourceKind};

/// The account the sample requests are made in.
pub const OWN: &str = "111122223333";
/// An organization ARN, trusted by the decide tests' configuration.
pub const ORG: &str = "arn:aws:organizations::111122223333:organization/o-abc1234567";
/// An OU ARN inside [`ORG`].
pub const OU: &str = "arn:aws:organizations::111122223333:ou/o-abc1234567/ou-ab12-cdef3456";

/// The AMI `ami-1`.
pub fn image() -> Resource {
    Resource {
        kind: ResourceKind::Image,
        id: "ami-1".into(),
    }
}

/// The EBS snapshot `snap-1`.
pub fn snapshot() -> Resource {
    Resource {
        kind: ResourceKind::Snapshot,
        id: "snap-1".into(),
    }
}

/// The organization `arn` as a grantee, with its ids read from it.
pub fn org(arn: &str) -> Grantee {
    Grantee::Organization {
        arn: arn.into(),
        ids: OrganizationIds::from_arn(arn),
    }
}

/// The OU `arn` as a grantee, with its ids read from it.
pub fn ou(arn: &str) -> Grantee {
    Grantee::OrganizationalUnit {
        arn: arn.into(),
        ids: OrganizationIds::from_arn(arn),
    }
}

/// `request` made in [`OWN`] in eu-west-1 from an IP address, by no one in
/// particular, with nothing else known (no CloudTrail id, time or user
/// agent) and no error.
pub fn event(request: Request) -> PermissionEvent {
    PermissionEvent {
        event_id: "e1".into(),
        event_name: "ModifyImageAttribute".into(),
        cloudtrail_event_id: None,
        event_time: None,
        region: Some("eu-west-1".into()),
        account_id: Some(OWN.into()),
        origin: Origin::Ip("203.0.113.10".into()),
        user_agent: None,
        error_code: None,
        error_message: None,
        caller: Caller::default(),
        request,
    }
}
