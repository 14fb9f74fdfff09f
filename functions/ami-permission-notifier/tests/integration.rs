//! The AMI permission notifier end to end against moto: each sample event
//! in, and exactly what an SQS subscriber to each topic received out.

use std::collections::BTreeMap;
use watchkeeper_shared::runtime::ErrorKind;
use watchkeeper_shared::runtime::InvocationError;

use serde_json::Value;

use ami_permission_notifier::config::{
    REMEDIATE_PUBLIC_SHARING_VAR, REPORT_AWS_SERVICE_CALLS_VAR, REPORT_DENIED_CALLS_VAR,
    REPORT_OTHER_ATTRIBUTES_VAR, TRUSTED_ACCOUNTS_VAR,
};
use ami_permission_notifier::decide::RemediationOutcome;
use ami_permission_notifier::{App, HandlerError, Report, handle};
use testbed::Bed;
use testbed::events::load;
use testbed::sns::Delivered;
use watchkeeper_shared::config::EnvReader;

/// One account and one organization are trusted in every test.
const TRUSTED: &str = "222233334444, arn:aws:organizations::999900001111:organization/o-abc1234567";
const ALIAS: &str = "prod-acct";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Email.
    Warning,
    /// SMS and email.
    Critical,
}

struct Expected<'a> {
    route: Route,
    severity: &'a str,
    subject: &'a str,
    sms: &'a str,
    /// The summary block: the whole body for SQS and other protocols, and
    /// the start of the email.
    summary: &'a str,
}

/// moto with the app's topics and the account alias `prod-acct`.
async fn start() -> Bed {
    let bed = Bed::start().await;
    testbed::iam::create_account_alias(&bed.sdk, ALIAS).await;
    bed
}

/// The environment with the trusted accounts every test uses, then `extra`.
fn trusted_env(bed: &Bed, extra: &[(&str, &str)]) -> EnvReader {
    let mut settings = vec![(TRUSTED_ACCOUNTS_VAR, TRUSTED)];
    settings.extend_from_slice(extra);
    bed.env(&settings)
}

fn notifier(bed: &Bed, extra: &[(&str, &str)]) -> App {
    App::from_env(&bed.sdk, trusted_env(bed, extra)).expect("valid configuration")
}

fn topic_arn(bed: &Bed, route: Route) -> &str {
    match route {
        Route::Warning => &bed.topics.topics.warning_topic_arn,
        Route::Critical => &bed.topics.topics.critical_topic_arn,
    }
}

/// Exactly one notification was published, to the topic for its
/// severity, with exactly these bodies; the subscriber of that topic got
/// it and the other topic's subscriber got nothing.
async fn assert_notified(bed: &Bed, event_name: &str, report: Report, expected: Expected<'_>) {
    let topic_arn = topic_arn(bed, expected.route).to_owned();
    let Report::Notified {
        severity,
        subject,
        topic_arn: reported_topic,
        message_id,
        ..
    } = report
    else {
        panic!("{event_name}: expected a notification, got {report:?}");
    };
    assert_eq!(severity.as_str(), expected.severity);
    assert_eq!(subject, expected.subject);
    assert_eq!(reported_topic, topic_arn);

    let published = bed.moto.published().await;
    assert_eq!(published.len(), 1, "{event_name}: {published:#?}");
    let message = &published[0];
    assert_eq!(message.topic_arn, topic_arn);
    assert_eq!(message.message_id, message_id);
    assert_eq!(message.subject.as_deref(), Some(expected.subject));
    assert_eq!(message.body("default"), expected.summary);
    assert_eq!(message.body("sms"), expected.sms);
    let full_event = serde_json::to_string_pretty(&load(event_name)).unwrap();
    assert_eq!(
        message.body("email"),
        format!(
            "{}\nFull event\n----------\n{full_event}\n\n--\nSent by Watchkeeper (ami-permission-notifier)\n",
            expected.summary
        )
    );
    assert_eq!(
        message.attribute("severity").as_deref(),
        Some(expected.severity)
    );
    assert_eq!(
        message.attribute("source").as_deref(),
        Some("ami-permission-notifier")
    );

    let (routed, other) = match expected.route {
        Route::Warning => (
            bed.topics.warning_deliveries().await,
            bed.topics.critical_deliveries().await,
        ),
        Route::Critical => (
            bed.topics.critical_deliveries().await,
            bed.topics.warning_deliveries().await,
        ),
    };
    assert_eq!(
        routed,
        vec![Delivered {
            subject: Some(expected.subject.to_owned()),
            message: expected.summary.to_owned(),
            attributes: BTreeMap::from([
                ("severity".to_owned(), expected.severity.to_owned()),
                ("source".to_owned(), "ami-permission-notifier".to_owned()),
            ]),
        }]
    );
    assert_eq!(other, vec![], "{event_name}: the other topic got nothing");
}

async fn assert_nothing_sent(bed: &Bed) {
    assert_eq!(bed.moto.published().await.len(), 0);
    assert_eq!(bed.topics.warning_deliveries().await, vec![]);
    assert_eq!(bed.topics.critical_deliveries().await, vec![]);
}

/// A skip, compared with a report by its sentence.
#[derive(Debug)]
struct Skip(&'static str);

impl PartialEq<Skip> for Report {
    fn eq(&self, skip: &Skip) -> bool {
        matches!(self, Report::Skipped { reason } if reason.to_string() == skip.0)
    }
}

fn skipped(reason: &'static str) -> Skip {
    Skip(reason)
}

#[tokio::test]
async fn public_ami_is_critical_and_reaches_the_sms_topic() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-public.json")).await.unwrap();
    assert_notified(&bed,
        "ami-public.json",
        report,
        Expected {
            route: Route::Critical,
            severity: "critical",
            subject: "[prod-acct] AMI ami-0abc1234def567890 made PUBLIC by Admin/alice",
            sms: "CRITICAL: prod-acct eu-west-1: AMI ami-0abc1234def567890 made PUBLIC by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 made PUBLIC by Admin/alice

Severity: CRITICAL
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: made PUBLIC
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000001
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- made PUBLIC: any AWS account can launch it

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 modify-image-attribute --region eu-west-1 --image-id ami-0abc1234def567890 --launch-permission "Remove=[{Group=all}]"
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn made_private_is_info() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-private.json")).await.unwrap();
    assert_notified(&bed,
        "ami-private.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "info",
            subject: "[prod-acct] AMI ami-0abc1234def567890 made private by bob",
            sms: "INFO: prod-acct eu-west-1: AMI ami-0abc1234def567890 made private by bob",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 made private by bob

Severity: INFO
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: made private
Who: arn:aws:iam::123456789012:user/bob
Identity: IAMUser in account 123456789012
Source: IP address 203.0.113.10
User agent: AWS Internal
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000002
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- made private: no longer public
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn shared_with_an_untrusted_account_is_a_warning_with_the_undo_command() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-share.json")).await.unwrap();
    assert_notified(&bed,
        "ami-share.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "warning",
            subject: "[prod-acct] AMI ami-0abc1234def567890 shared with 444455556666 by Admin/alice",
            sms: "WARNING: prod-acct eu-west-1: AMI ami-0abc1234def567890 shared with 444455556666 by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 shared with 444455556666 by Admin/alice

Severity: WARNING
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: shared with 444455556666
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000003
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- shared with account 444455556666 (NOT trusted)

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 modify-image-attribute --region eu-west-1 --image-id ami-0abc1234def567890 --launch-permission "Remove=[{UserId=444455556666}]"
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn unshared_is_info() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-unshare.json")).await.unwrap();
    assert_notified(&bed,
        "ami-unshare.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "info",
            subject: "[prod-acct] AMI ami-0abc1234def567890 unshared from 444455556666 by bob",
            sms: "INFO: prod-acct eu-west-1: AMI ami-0abc1234def567890 unshared from 444455556666 by bob",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 unshared from 444455556666 by bob

Severity: INFO
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: unshared from 444455556666
Who: arn:aws:iam::123456789012:user/bob
Identity: IAMUser in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000004
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- unshared from account 444455556666
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn shared_with_a_trusted_organization_is_info() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-share-organization.json"))
        .await
        .unwrap();
    assert_notified(&bed,
        "ami-share-organization.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "info",
            subject: "[prod-acct] AMI ami-0abc1234def567890 shared with o-abc1234567 by Admin/alice",
            sms: "INFO: prod-acct eu-west-1: AMI ami-0abc1234def567890 shared with o-abc1234567 by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 shared with o-abc1234567 by Admin/alice

Severity: INFO
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: shared with o-abc1234567
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000005
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- shared with organization o-abc1234567 (trusted)
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn shared_with_an_ou_outside_the_trusted_organizations_is_a_warning() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-share-ou.json")).await.unwrap();
    assert_notified(&bed,
        "ami-share-ou.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "warning",
            subject: "[prod-acct] AMI ami-0abc1234def567890 shared with ou-ab12-cdef3456 by Admin/alice",
            sms: "WARNING: prod-acct eu-west-1: AMI ami-0abc1234def567890 shared with ou-ab12-cdef3456 by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 shared with ou-ab12-cdef3456 by Admin/alice

Severity: WARNING
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: shared with ou-ab12-cdef3456
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000006
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- shared with OU ou-ab12-cdef3456 in o-partner1234 (NOT trusted)

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 modify-image-attribute --region eu-west-1 --image-id ami-0abc1234def567890 --launch-permission "Remove=[{OrganizationalUnitArn=arn:aws:organizations::555500002222:ou/o-partner1234/ou-ab12-cdef3456}]"
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn add_and_remove_in_one_request_are_all_reported_in_one_notification() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-add-and-remove.json"))
        .await
        .unwrap();
    assert_notified(&bed,
        "ami-add-and-remove.json",
        report,
        Expected {
            route: Route::Critical,
            severity: "critical",
            subject: "[prod-acct] AMI ami-0abc1234def567890 made PUBLIC (+2 more) by Admin/alice",
            sms: "CRITICAL: prod-acct eu-west-1: AMI ami-0abc1234def567890 made PUBLIC (+2 more) by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 made PUBLIC (+2 more) by Admin/alice

Severity: CRITICAL
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: made PUBLIC; shared with 444455556666, 222233334444; unshared from ou-ab12-cdef3456
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000007
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Changes
-------
- made PUBLIC: any AWS account can launch it
- shared with account 444455556666 (NOT trusted)
- shared with account 222233334444 (trusted)
- unshared from OU ou-ab12-cdef3456 in o-partner1234

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 modify-image-attribute --region eu-west-1 --image-id ami-0abc1234def567890 --launch-permission "Remove=[{Group=all},{UserId=444455556666}]"
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn a_denied_call_is_reported_as_an_attempt_with_its_error_code() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-denied.json")).await.unwrap();
    assert_notified(&bed,
        "ami-denied.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "warning",
            subject: "[prod-acct] DENIED attempt on AMI ami-0abc1234def567890 by bob: make PUBLIC",
            sms: "WARNING: prod-acct eu-west-1: DENIED attempt on AMI ami-0abc1234def567890 by bob: make PUBLIC",
            summary: r#"[prod-acct] DENIED attempt on AMI ami-0abc1234def567890 by bob: make PUBLIC

Severity: WARNING
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
Attempted: make PUBLIC
Result: DENIED with Client.UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/bob is not authorized to perform: ec2:ModifyImageAttribute on resource: arn:aws:ec2:eu-west-1::image/ami-0abc1234def567890 because no identity-based policy allows the ec2:ModifyImageAttribute action.
Who: arn:aws:iam::123456789012:user/bob
Identity: IAMUser in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000008
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890

Requested changes (not made)
----------------------------
- make PUBLIC: any AWS account could launch it
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn a_call_made_by_an_aws_service_is_labelled_via_the_service() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("ami-aws-service.json")).await.unwrap();
    assert_notified(&bed,
        "ami-aws-service.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "info",
            subject: "[prod-acct] AMI ami-0fed9876cba543210 shared with 222233334444 via AWS service imagebuilder",
            sms: "INFO: prod-acct eu-west-1: AMI ami-0fed9876cba543210 shared with 222233334444 via AWS service imagebuilder",
            summary: r#"[prod-acct] AMI ami-0fed9876cba543210 shared with 222233334444 via AWS service imagebuilder

Severity: INFO
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0fed9876cba543210
What changed: shared with 222233334444
Who: arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder (session Ec2ImageBuilderDistribution)
Identity: AssumedRole in account 123456789012, invoked by imagebuilder.amazonaws.com
Source: via AWS service imagebuilder.amazonaws.com
User agent: imagebuilder.amazonaws.com
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000009
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0fed9876cba543210

Changes
-------
- shared with account 222233334444 (trusted)
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn a_description_change_is_reported_when_other_attributes_are_on() {
    let bed = start().await;
    let app = notifier(&bed, &[(REPORT_OTHER_ATTRIBUTES_VAR, "true")]);
    let report = handle(&app, &load("ami-description.json")).await.unwrap();
    assert_notified(&bed,
        "ami-description.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "info",
            subject: "[prod-acct] AMI ami-0abc1234def567890 description changed by Admin/alice",
            sms: "INFO: prod-acct eu-west-1: AMI ami-0abc1234def567890 description changed by Admin/alice",
            summary: r#"[prod-acct] AMI ami-0abc1234def567890 description changed by Admin/alice

Severity: INFO
Account: prod-acct (123456789012)
Region: eu-west-1
AMI: ami-0abc1234def567890
What changed: description changed
New value: Golden image 2026-11
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-image-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifyImageAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000010
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc1234def567890
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn a_shared_snapshot_is_a_warning() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("snapshot-share.json")).await.unwrap();
    assert_notified(&bed,
        "snapshot-share.json",
        report,
        Expected {
            route: Route::Warning,
            severity: "warning",
            subject: "[prod-acct] Snapshot snap-0123456789abcdef0 shared with 444455556666 by Admin/alice",
            sms: "WARNING: prod-acct eu-west-1: Snapshot snap-0123456789abcdef0 shared with 444455556666 by Admin/alice",
            summary: r#"[prod-acct] Snapshot snap-0123456789abcdef0 shared with 444455556666 by Admin/alice

Severity: WARNING
Account: prod-acct (123456789012)
Region: eu-west-1
Snapshot: snap-0123456789abcdef0
What changed: shared with 444455556666
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.modify-snapshot-attribute
Time: 2026-11-22 10:02 UTC
API call: ModifySnapshotAttribute
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000011
Console: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SnapshotDetails:snapshotId=snap-0123456789abcdef0

Changes
-------
- shared with account 444455556666 (NOT trusted)

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 modify-snapshot-attribute --region eu-west-1 --snapshot-id snap-0123456789abcdef0 --create-volume-permission "Remove=[{UserId=444455556666}]"
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn disabling_image_block_public_access_is_critical() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("block-public-access-image-disabled.json"))
        .await
        .unwrap();
    assert_notified(&bed,
        "block-public-access-image-disabled.json",
        report,
        Expected {
            route: Route::Critical,
            severity: "critical",
            subject: "[prod-acct] Block public access for AMIs DISABLED by Admin/alice",
            sms: "CRITICAL: prod-acct eu-west-1: Block public access for AMIs DISABLED by Admin/alice",
            summary: r#"[prod-acct] Block public access for AMIs DISABLED by Admin/alice

Severity: CRITICAL
Account: prod-acct (123456789012)
Region: eu-west-1
Setting: Block public access for AMIs
What changed: Block public access for AMIs DISABLED
Previous state: not recorded in the event
New state: unblocked
Effect: WEAKENED: public sharing of AMIs is no longer blocked
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.disable-image-block-public-access
Time: 2026-11-22 10:02 UTC
API call: DisableImageBlockPublicAccess
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000012

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 enable-image-block-public-access --region eu-west-1 --image-block-public-access-state block-new-sharing
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn disabling_snapshot_block_public_access_is_critical() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &load("block-public-access-snapshot-disabled.json"))
        .await
        .unwrap();
    assert_notified(&bed,
        "block-public-access-snapshot-disabled.json",
        report,
        Expected {
            route: Route::Critical,
            severity: "critical",
            subject: "[prod-acct] Block public access for EBS snapshots DISABLED by bob",
            sms: "CRITICAL: prod-acct eu-west-1: Block public access for EBS snapshots DISABLED by bob",
            summary: r#"[prod-acct] Block public access for EBS snapshots DISABLED by bob

Severity: CRITICAL
Account: prod-acct (123456789012)
Region: eu-west-1
Setting: Block public access for EBS snapshots
What changed: Block public access for EBS snapshots DISABLED
Previous state: not recorded in the event
New state: unblocked
Effect: WEAKENED: public sharing of EBS snapshots is no longer blocked
Who: arn:aws:iam::123456789012:user/bob
Identity: IAMUser in account 123456789012
Source: IP address 203.0.113.10
User agent: AWS Internal
Time: 2026-11-22 10:02 UTC
API call: DisableSnapshotBlockPublicAccess
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000013

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 enable-snapshot-block-public-access --region eu-west-1 --state block-all-sharing
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn a_description_change_is_skipped_by_default() {
    let bed = start().await;
    let report = handle(&notifier(&bed, &[]), &load("ami-description.json"))
        .await
        .unwrap();
    assert_eq!(
        report,
        skipped(
            "attribute \"description\" is not a launch or create-volume permission and REPORT_OTHER_ATTRIBUTES is false"
        )
    );
    assert_nothing_sent(&bed).await;
}

#[tokio::test]
async fn denied_calls_are_skipped_when_switched_off() {
    let bed = start().await;
    let app = notifier(&bed, &[(REPORT_DENIED_CALLS_VAR, "false")]);
    let report = handle(&app, &load("ami-denied.json")).await.unwrap();
    assert_eq!(
        report,
        skipped("call failed with Client.UnauthorizedOperation and REPORT_DENIED_CALLS is false")
    );
    assert_nothing_sent(&bed).await;
}

#[tokio::test]
async fn aws_service_calls_are_dropped_only_when_switched_off() {
    let bed = start().await;
    let app = notifier(&bed, &[(REPORT_AWS_SERVICE_CALLS_VAR, "false")]);
    let report = handle(&app, &load("ami-aws-service.json")).await.unwrap();
    assert_eq!(
        report,
        skipped(
            "call made via AWS service imagebuilder.amazonaws.com and REPORT_AWS_SERVICE_CALLS is false"
        )
    );
    assert_nothing_sent(&bed).await;
}

#[tokio::test]
async fn without_trusted_accounts_a_share_with_the_organization_is_a_warning() {
    let bed = start().await;
    let app = notifier(&bed, &[(TRUSTED_ACCOUNTS_VAR, "")]);
    let report = handle(&app, &load("ami-share-organization.json"))
        .await
        .unwrap();
    let Report::Notified { severity, .. } = report else {
        panic!("expected a notification, got {report:?}");
    };
    assert_eq!(severity.as_str(), "warning");
    let published = bed.moto.published().await;
    assert!(
        published[0]
            .body("default")
            .contains("- shared with organization o-abc1234567 (NOT trusted)\n"),
        "{}",
        published[0].body("default")
    );
}

#[tokio::test]
async fn without_an_alias_the_account_is_named_by_its_id() {
    let bed = Bed::start().await;
    let report = handle(&notifier(&bed, &[]), &load("ami-public.json"))
        .await
        .unwrap();
    let Report::Notified { subject, .. } = report else {
        panic!("expected a notification, got {report:?}");
    };
    assert_eq!(
        subject,
        "[123456789012] AMI ami-0abc1234def567890 made PUBLIC by Admin/alice"
    );
    let published = bed.moto.published().await;
    assert_eq!(
        published[0].body("sms"),
        "CRITICAL: 123456789012 eu-west-1: AMI ami-0abc1234def567890 made PUBLIC by Admin/alice"
    );
    assert!(
        published[0]
            .body("default")
            .contains("\nAccount: 123456789012\n")
    );
}

#[tokio::test]
async fn a_failed_alias_lookup_still_notifies_with_the_account_id_and_is_retried() {
    let bed = start().await;
    // Only IAM is unreachable: nothing listens on port 9.
    let unreachable = testbed::sdk_config_for("http://127.0.0.1:9").await;
    let config = ami_permission_notifier::config::Config::from_env(trusted_env(&bed, &[])).unwrap();
    let app = App::new(
        config.clone(),
        testbed::home(),
        bed.guard(ami_permission_notifier::handler::NAME),
        &bed.sdk,
        &unreachable,
    );

    let report = handle(&app, &load("ami-public.json")).await.unwrap();
    let Report::Notified { subject, .. } = report else {
        panic!("expected a notification, got {report:?}");
    };
    assert_eq!(
        subject,
        "[123456789012] AMI ami-0abc1234def567890 made PUBLIC by Admin/alice"
    );
    assert_eq!(bed.moto.published().await.len(), 1);
    assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 0);

    // The failure was not cached: a working client finds the alias next time.
    let app = App::new(
        config,
        testbed::home(),
        bed.guard(ami_permission_notifier::handler::NAME),
        &bed.sdk,
        &bed.sdk,
    );
    handle(&app, &load("ami-share.json")).await.unwrap();
    let published = bed.moto.published().await;
    assert!(
        published.iter().any(|m| m.subject.as_deref()
            == Some(
                "[prod-acct] AMI ami-0abc1234def567890 shared with 444455556666 by Admin/alice"
            )),
        "{published:#?}"
    );
}

#[tokio::test]
async fn the_alias_is_looked_up_once_per_cold_start() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    for name in ["ami-public.json", "ami-share.json", "ami-unshare.json"] {
        handle(&app, &load(name)).await.unwrap();
    }
    assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 1);
    assert_eq!(bed.moto.published().await.len(), 3);
}

#[tokio::test]
async fn a_failed_publish_fails_the_invocation() {
    let bed = start().await;
    let no_such_topic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic";
    let env = trusted_env(
        &bed,
        &[
            ("WARNING_TOPIC_ARN", no_such_topic),
            ("CRITICAL_TOPIC_ARN", no_such_topic),
            (TRUSTED_ACCOUNTS_VAR, TRUSTED),
        ],
    );
    let app = App::from_env(&bed.sdk, env).unwrap();

    let error = handle(&app, &load("ami-public.json")).await.unwrap_err();
    assert!(matches!(error, HandlerError::Publish(_)), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::PublishError);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "publishing \"[prod-acct] AMI ami-0abc1234def567890 made PUBLIC by Admin/alice\" to SNS topic arn:aws:sns:eu-west-1:123456789012:no-such-topic failed"
        ),
        "{message}"
    );
    assert_nothing_sent(&bed).await;
}

#[tokio::test]
async fn a_malformed_event_is_an_error_naming_the_field() {
    let bed = start().await;
    let mut event = load("ami-public.json");
    event["detail"]["requestParameters"]["launchPermission"]["add"]["items"] =
        Value::String("all".into());
    let error = handle(&notifier(&bed, &[]), &event).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadEvent);
    assert_eq!(
        error.to_string(),
        "event field `detail.requestParameters.launchPermission.add.items` is malformed: invalid type: string \"all\", expected a sequence"
    );

    let mut no_name = load("ami-public.json");
    no_name["detail"]
        .as_object_mut()
        .unwrap()
        .remove("eventName");
    assert_eq!(
        handle(&notifier(&bed, &[]), &no_name)
            .await
            .unwrap_err()
            .to_string(),
        "event field `detail` is malformed: missing field `eventName`"
    );
    assert_nothing_sent(&bed).await;
}

#[tokio::test]
async fn events_this_function_does_not_watch_are_skipped() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    assert_eq!(
        handle(&app, &load("ec2-instance-running.json"))
            .await
            .unwrap(),
        skipped(
            "not an EC2 CloudTrail API call event (source \"aws.ec2\", detail-type \"EC2 Instance State-change Notification\")"
        )
    );
    let mut other_call = load("ami-public.json");
    other_call["detail"]["eventName"] = Value::String("CopyImage".into());
    assert_eq!(
        handle(&app, &other_call).await.unwrap(),
        skipped("API call \"CopyImage\" does not change AMI or snapshot permissions")
    );
    assert_nothing_sent(&bed).await;
    assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 0);
}

#[tokio::test]
async fn the_same_event_delivered_twice_notifies_once() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let event = load("ami-public.json");
    let first = handle(&app, &event).await.unwrap();
    assert!(matches!(first, Report::Notified { .. }), "{first:?}");
    let again = handle(&app, &event).await.unwrap();
    testbed::assert_duplicate::<App>(&again, &event);
    assert_eq!(bed.moto.published().await.len(), 1);
    assert_eq!(bed.topics.critical_deliveries().await.len(), 1);
}

#[tokio::test]
async fn an_attempt_that_fails_after_publishing_is_not_repeated_by_its_retry() {
    let bed = start().await;
    let event = load("ami-public.json");
    let refuse = testbed::refuse::Refuse::action("UpdateItem");
    let mut crashing = notifier(&bed, &[]);
    crashing.guard = crashing
        .guard
        .clone()
        .with_client(testbed::dynamodb::client_refusing(&bed.sdk, &refuse));
    let error = handle(&crashing, &event).await.unwrap_err();
    assert_eq!(
        (refuse.refused(), error.kind()),
        (1, ErrorKind::AwsError),
        "{error}"
    );

    let error = handle(&notifier(&bed, &[]), &event).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InProgressElsewhere, "{error}");
    assert_eq!(bed.moto.published().await.len(), 1);
}

#[tokio::test]
async fn an_event_from_another_account_is_skipped_naming_both_accounts_with_no_aws_call() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let calls_before = bed.moto.calls().await.len();
    let mut event = load("ami-public.json");
    event["account"] = "111122223333".into();

    let report = handle(&app, &event).await.unwrap();

    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({
            "result": "skipped",
            "code": "other_account",
            "reason": "event from account 111122223333, not this function's account 123456789012; events of other accounts are not handled"
        })
    );
    assert_eq!(bed.moto.calls().await.len(), calls_before);
}

#[tokio::test]
async fn an_event_forwarded_from_another_region_of_this_account_is_still_reported() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let mut event = load("ami-public.json");
    event["region"] = "us-east-1".into();
    event["detail"]["awsRegion"] = "us-east-1".into();

    let report = handle(&app, &event).await.unwrap();

    assert!(matches!(report, Report::Notified { .. }), "{report:?}");
    let published = bed.moto.published().await;
    assert!(published[0].body("default").contains("Region: us-east-1"));
}

#[tokio::test]
async fn the_alias_names_only_this_functions_own_account() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let mut event = load("ami-public.json");
    event["detail"]["recipientAccountId"] = "444455556666".into();

    handle(&app, &event).await.unwrap();

    let published = bed.moto.published().await;
    let body = published[0].body("default");
    assert!(body.contains("444455556666"), "{body}");
    assert!(!body.contains(ALIAS), "{body}");
    assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 0);
}

/// Hub mode (issue 14): a member account of the organization, and the hub
/// settings the template sets.
const MEMBER: &str = "222222222222";
const HUB: &[(&str, &str)] = &[
    ("ORGANIZATION_ID", "o-a1b2c3d4e5"),
    ("SPOKE_ROLE_NAME", testbed::iam::SPOKE_ROLE_NAME),
];

/// `ami-public.json` as the hub's bus delivers it from the member account.
fn from_member() -> Value {
    let mut event = load("ami-public.json");
    event["account"] = MEMBER.into();
    event["detail"]["recipientAccountId"] = MEMBER.into();
    event["detail"]["userIdentity"]["accountId"] = MEMBER.into();
    event
}

#[tokio::test]
async fn in_hub_mode_a_member_accounts_change_is_reported_with_that_accounts_alias() {
    let bed = start().await;
    let member = testbed::iam::member_account(&bed.sdk, MEMBER, testbed::REGION).await;
    testbed::iam::create_account_alias(&member, "payments-prod").await;
    let app = notifier(&bed, HUB);
    let report = handle(&app, &from_member()).await.expect("reported");
    let Report::Notified { subject, .. } = &report else {
        panic!("expected a notification, got {report:?}");
    };
    assert!(
        subject.starts_with("[payments-prod] AMI ami-0abc1234def567890 made PUBLIC"),
        "{subject}"
    );
    let message = &bed.moto.published().await[0];
    let email = message.body("email");
    assert!(
        email.contains("Account: payments-prod (222222222222)"),
        "{email}"
    );
    assert!(
        !email.contains(ALIAS),
        "the hub's alias names no member account"
    );
    // Warm: the member's alias is looked up once.
    let mut again = from_member();
    again["id"] = "second-member-event".into();
    handle(&app, &again).await.expect("reported");
    assert_eq!(bed.moto.count_calls("iam", "ListAccountAliases").await, 1);
}

#[tokio::test]
async fn in_hub_mode_a_spoke_role_that_cannot_be_assumed_still_sends_the_alert_naming_the_account_by_id()
 {
    let bed = start().await;
    let app = notifier(&bed, HUB);
    bed.moto
        .inject_fault(testbed::Fault::new(
            "sts",
            "AssumeRole",
            testbed::FaultKind::Status500,
            5,
        ))
        .await;
    let report = handle(&app, &from_member())
        .await
        .expect("the alert goes out");
    let Report::Notified { subject, .. } = &report else {
        panic!("expected a notification, got {report:?}");
    };
    assert!(
        subject.starts_with("[222222222222] AMI ami-0abc1234def567890 made PUBLIC"),
        "{subject}"
    );
}

#[tokio::test]
async fn in_single_account_mode_a_member_accounts_change_is_still_skipped() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let report = handle(&app, &from_member()).await.expect("skipped");
    assert!(matches!(report, Report::Skipped { .. }), "{report:?}");
    assert_nothing_sent(&bed).await;
}

// --- Block public access switched on or changed -----------------------------

#[tokio::test]
async fn snapshots_set_to_block_new_sharing_is_a_warning_saying_the_previous_state_is_unknown() {
    let bed = start().await;
    let app = notifier(&bed, &[]);
    let event = "block-public-access-snapshot-block-new-sharing.json";
    let report = handle(&app, &load(event)).await.unwrap();
    assert_notified(&bed,
        event,
        report,
        Expected {
            route: Route::Warning,
            severity: "warning",
            subject: "[prod-acct] Block public access for EBS snapshots set to block-new-sharing by Admin/alice",
            sms: "WARNING: prod-acct eu-west-1: Block public access for EBS snapshots set to block-new-sharing by Admin/alice",
            summary: r#"[prod-acct] Block public access for EBS snapshots set to block-new-sharing by Admin/alice

Severity: WARNING
Account: prod-acct (123456789012)
Region: eu-west-1
Setting: Block public access for EBS snapshots
What changed: Block public access for EBS snapshots set to block-new-sharing
Previous state: not recorded in the event
New state: block-new-sharing
Effect: WEAKENED if it was block-all-sharing: every snapshot shared publicly before is public again; strengthened if it was unblocked: new public sharing is blocked
Who: arn:aws:iam::123456789012:role/Admin (session alice)
Identity: AssumedRole in account 123456789012
Source: IP address 203.0.113.10
User agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.enable-snapshot-block-public-access
Time: 2026-11-22 10:02 UTC
API call: EnableSnapshotBlockPublicAccess
CloudTrail event ID: 8f0d2c4e-5a6b-4c7d-8e9f-000000000014

If this was not intended
------------------------
Undo it with the AWS CLI:
aws ec2 enable-snapshot-block-public-access --region eu-west-1 --state block-all-sharing
"#,
        },
    )
    .await;
}

#[tokio::test]
async fn block_public_access_set_to_its_strongest_state_is_info() {
    for (event, subject, effect) in [
        (
            "block-public-access-snapshot-block-all-sharing.json",
            "[prod-acct] Block public access for EBS snapshots set to block-all-sharing by Admin/alice",
            "Effect: strengthened (or unchanged): the strongest state there is for EBS snapshots\n",
        ),
        (
            "block-public-access-image-enabled.json",
            "[prod-acct] Block public access for AMIs set to block-new-sharing by Admin/alice",
            "Effect: strengthened (or unchanged): the strongest state there is for AMIs\n",
        ),
    ] {
        let bed = start().await;
        let report = handle(&notifier(&bed, &[]), &load(event)).await.unwrap();
        let Report::Notified {
            severity,
            subject: reported,
            topic_arn,
            ..
        } = &report
        else {
            panic!("{event}: expected a notification, got {report:?}");
        };
        assert_eq!(
            (severity.as_str(), reported.as_str(), topic_arn.as_str()),
            ("info", subject, topic_arn_of(&bed, Route::Warning).as_str()),
            "{event}"
        );
        let email = bed.moto.published().await[0].body("email");
        assert!(
            email.contains("Previous state: not recorded in the event\n"),
            "{email}"
        );
        assert!(email.contains(effect), "{email}");
        assert!(!email.contains("Undo it"), "{email}");
        assert_eq!(bed.topics.critical_deliveries().await, vec![]);
    }
}

fn topic_arn_of(bed: &Bed, route: Route) -> String {
    topic_arn(bed, route).to_owned()
}

// --- Remediation (RemediatePublicSharing) ----------------------------------

const SHARED_WITH: &str = "444455556666";

fn remediating(bed: &Bed, extra: &[(&str, &str)]) -> App {
    let mut settings = vec![(REMEDIATE_PUBLIC_SHARING_VAR, "true")];
    settings.extend_from_slice(extra);
    notifier(bed, &settings)
}

fn ec2(bed: &Bed) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&bed.sdk)
}

/// An AMI in moto, public and shared with one account, tagged with `tags`.
async fn public_image(bed: &Bed, tags: &[(&str, &str)]) -> String {
    testbed::ec2::public_image(&bed.sdk, SHARED_WITH, tags).await
}

/// An EBS snapshot in moto, public and shared with one account.
async fn public_snapshot(bed: &Bed) -> String {
    testbed::ec2::public_snapshot(&bed.sdk, SHARED_WITH).await
}

/// Who may launch the image now: `all` for the public, else account ids.
async fn launch_permissions(bed: &Bed, image: &str) -> Vec<String> {
    testbed::ec2::launch_permissions(&bed.sdk, image).await
}

async fn create_volume_permissions(bed: &Bed, snapshot: &str) -> Vec<String> {
    testbed::ec2::create_volume_permissions(&bed.sdk, snapshot).await
}

/// `ami-public.json` about `image`.
fn image_made_public(image: &str) -> Value {
    let mut event = load("ami-public.json");
    event["detail"]["requestParameters"]["imageId"] = image.into();
    event
}

fn remediation_of(report: &Report) -> Option<RemediationOutcome> {
    match report {
        Report::Notified { remediation, .. } => remediation.clone(),
        other => panic!("expected a notification, got {other:?}"),
    }
}

#[tokio::test]
async fn remediation_makes_a_public_ami_private_and_leaves_its_account_shares() {
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    let report = handle(&remediating(&bed, &[]), &image_made_public(&image))
        .await
        .unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::MadePrivate)
    );
    assert_eq!(launch_permissions(&bed, &image).await, vec![SHARED_WITH]);
    let Report::Notified {
        severity, subject, ..
    } = &report
    else {
        unreachable!()
    };
    assert_eq!(severity.as_str(), "critical");
    assert_eq!(
        subject,
        &format!("[prod-acct] AMI {image} made PUBLIC by Admin/alice; made private again")
    );
    let message = &bed.moto.published().await[0];
    assert_eq!(
        message.body("sms"),
        format!(
            "CRITICAL: prod-acct eu-west-1: AMI {image} made PUBLIC by Admin/alice; made private again"
        )
    );
    let email = message.body("email");
    for line in [
        "Remediation: made private again by Watchkeeper: the public permission (group all) was removed; account, organization and OU shares were left as they were\n".to_owned(),
        "What now\n--------\n".to_owned(),
        format!("If it was meant to be public, exempt it first (watchkeeper:public-ok=true):\naws ec2 create-tags --region eu-west-1 --resources {image} --tags Key=watchkeeper:public-ok,Value=true\n"),
        format!("then make it public again:\naws ec2 modify-image-attribute --region eu-west-1 --image-id {image} --launch-permission \"Add=[{{Group=all}}]\"\n"),
    ] {
        assert!(email.contains(&line), "{line}\nnot in\n{email}");
    }
    assert!(!email.contains("Undo it with the AWS CLI"), "{email}");
    // A redelivery neither notifies nor acts again.
    let again = handle(&remediating(&bed, &[]), &image_made_public(&image))
        .await
        .unwrap();
    assert!(matches!(again, Report::Duplicate { .. }), "{again:?}");
    assert_eq!(bed.moto.count_calls("ec2", "ModifyImageAttribute").await, 2);
    assert_eq!(bed.moto.published().await.len(), 1);
}

#[tokio::test]
async fn remediation_makes_a_public_snapshot_private_and_leaves_its_account_shares() {
    let bed = start().await;
    let snapshot = public_snapshot(&bed).await;
    let mut event = load("snapshot-public.json");
    event["detail"]["requestParameters"]["snapshotId"] = snapshot.clone().into();
    let report = handle(&remediating(&bed, &[]), &event).await.unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::MadePrivate)
    );
    assert_eq!(
        create_volume_permissions(&bed, &snapshot).await,
        vec![SHARED_WITH]
    );
    let email = bed.moto.published().await[0].body("email");
    assert!(
        email.contains(&format!("aws ec2 modify-snapshot-attribute --region eu-west-1 --snapshot-id {snapshot} --attribute createVolumePermission --operation-type add --group-names all")),
        "{email}"
    );
}

#[tokio::test]
async fn an_ami_tagged_public_ok_stays_public_and_is_still_alerted() {
    let bed = start().await;
    let image = public_image(&bed, &[("watchkeeper:public-ok", "true")]).await;
    let report = handle(&remediating(&bed, &[]), &image_made_public(&image))
        .await
        .unwrap();
    assert_eq!(remediation_of(&report), Some(RemediationOutcome::Exempt));
    assert_eq!(
        launch_permissions(&bed, &image).await,
        vec!["all", SHARED_WITH]
    );
    let message = &bed.moto.published().await[0];
    assert_eq!(message.attribute("severity").as_deref(), Some("critical"));
    let email = message.body("email");
    assert!(
        email.contains("Remediation: left public: the AMI is tagged watchkeeper:public-ok=true\n"),
        "{email}"
    );
    // Setup's one call only.
    assert_eq!(bed.moto.count_calls("ec2", "ModifyImageAttribute").await, 1);
}

#[tokio::test]
async fn an_ami_private_again_by_the_time_it_is_read_is_left_alone() {
    use aws_sdk_ec2::types::{LaunchPermission, LaunchPermissionModifications, PermissionGroup};
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    ec2(&bed)
        .modify_image_attribute()
        .image_id(&image)
        .launch_permission(
            LaunchPermissionModifications::builder()
                .remove(
                    LaunchPermission::builder()
                        .group(PermissionGroup::All)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let report = handle(&remediating(&bed, &[]), &image_made_public(&image))
        .await
        .unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::AlreadyPrivate)
    );
    assert_eq!(bed.moto.count_calls("ec2", "ModifyImageAttribute").await, 2);
    let email = bed.moto.published().await[0].body("email");
    assert!(
        email.contains(
            "Remediation: nothing to undo: the AMI was no longer public when read again\n"
        ),
        "{email}"
    );
}

#[tokio::test]
async fn a_denied_undo_is_reported_in_the_notice_and_does_not_fail_the_invocation() {
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    bed.moto
        .inject_fault(testbed::Fault::new(
            "ec2",
            "ModifyImageAttribute",
            testbed::FaultKind::Denied,
            1,
        ))
        .await;
    let report = handle(&remediating(&bed, &[]), &image_made_public(&image))
        .await
        .expect("a denied undo is no invocation error");
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::Denied {
            call: "ModifyImageAttribute".into(),
            error_code: "UnauthorizedOperation".into(),
            error_message: Some(
                "injected fault: you are not authorized to perform ModifyImageAttribute".into()
            ),
        })
    );
    assert_eq!(
        launch_permissions(&bed, &image).await,
        vec!["all", SHARED_WITH]
    );
    let message = &bed.moto.published().await[0];
    assert_eq!(
        message.subject.as_deref(),
        Some(format!("[prod-acct] AMI {image} made PUBLIC by Admin/alice; undo FAILED").as_str())
    );
    let email = message.body("email");
    for line in [
        "Remediation: the undo FAILED: ModifyImageAttribute was denied (UnauthorizedOperation: injected fault: you are not authorized to perform ModifyImageAttribute); the AMI may still be public, undo it by hand\n".to_owned(),
        format!("Undo it with the AWS CLI:\naws ec2 modify-image-attribute --region eu-west-1 --image-id {image} --launch-permission \"Remove=[{{Group=all}}]\"\n"),
    ] {
        assert!(email.contains(&line), "{line}\nnot in\n{email}");
    }
}

#[tokio::test]
async fn a_failing_undo_fails_the_invocation_and_its_retry_makes_it_private() {
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    let app = remediating(&bed, &[]);
    bed.moto
        .inject_fault(testbed::Fault::new(
            "ec2",
            "DescribeImageAttribute",
            testbed::FaultKind::Status500,
            3,
        ))
        .await;
    let error = handle(&app, &image_made_public(&image)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AwsError, "{error}");
    assert!(
        error.to_string().starts_with(&format!(
            "EC2 DescribeImageAttribute on {image} failed while making it private: "
        )),
        "{error}"
    );
    assert_eq!(bed.moto.published().await.len(), 0);
    let report = handle(&app, &image_made_public(&image)).await.unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::MadePrivate)
    );
    assert_eq!(launch_permissions(&bed, &image).await, vec![SHARED_WITH]);
}

#[tokio::test]
async fn a_retry_after_a_failed_notice_sends_it_without_undoing_again() {
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    let app = remediating(&bed, &[]);
    bed.moto
        .inject_fault(testbed::Fault::new(
            "sns",
            "Publish",
            testbed::FaultKind::Status500,
            3,
        ))
        .await;
    let error = handle(&app, &image_made_public(&image)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PublishError, "{error}");
    assert_eq!(launch_permissions(&bed, &image).await, vec![SHARED_WITH]);
    let report = handle(&app, &image_made_public(&image)).await.unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::MadePrivate)
    );
    // Setup's call and the one undo; the function's one read and the test's.
    assert_eq!(bed.moto.count_calls("ec2", "ModifyImageAttribute").await, 2);
    assert_eq!(
        bed.moto.count_calls("ec2", "DescribeImageAttribute").await,
        2
    );
    assert_eq!(bed.moto.published().await.len(), 1);
}

#[tokio::test]
async fn without_the_setting_nothing_is_undone() {
    let bed = start().await;
    let image = public_image(&bed, &[]).await;
    let report = handle(&notifier(&bed, &[]), &image_made_public(&image))
        .await
        .unwrap();
    assert_eq!(remediation_of(&report), None);
    for action in ["DescribeTags", "DescribeImageAttribute"] {
        assert_eq!(bed.moto.count_calls("ec2", action).await, 0, "{action}");
    }
    assert_eq!(
        launch_permissions(&bed, &image).await,
        vec!["all", SHARED_WITH]
    );
    let email = bed.moto.published().await[0].body("email");
    assert!(!email.contains("Remediation"), "{email}");
}

#[tokio::test]
async fn in_hub_mode_a_member_accounts_public_ami_is_alerted_on_only() {
    let bed = start().await;
    let mut settings = HUB.to_vec();
    settings.push((REMEDIATE_PUBLIC_SHARING_VAR, "true"));
    let report = handle(&notifier(&bed, &settings), &from_member())
        .await
        .unwrap();
    assert_eq!(
        remediation_of(&report),
        Some(RemediationOutcome::MemberAccount {
            account_id: MEMBER.into()
        })
    );
    assert_eq!(bed.moto.count_calls("ec2", "DescribeTags").await, 0);
    let email = bed.moto.published().await[0].body("email");
    assert!(
        email.contains("Remediation: not attempted: remediation acts in the hub's own account only, and account 222222222222 is a member account (alert only)\n"),
        "{email}"
    );
    assert!(email.contains("Undo it with the AWS CLI"), "{email}");
}
