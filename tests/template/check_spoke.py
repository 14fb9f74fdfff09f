#!/usr/bin/env python3
"""Checks spoke.yaml against the hub (template.yaml), and deploys it.

1. Every event pattern the spoke forwards equals the hub's: the function's
   own rule on the default bus and its rule on the hub's bus (hub mode), so
   a member account forwards exactly what the hub's function handles.
2. spoke.yaml is deployed into moto's CloudFormation in a member account
   (credentials from sts:AssumeRole, which moto keeps apart) with the roles
   region, as a StackSet instance would be, and what it created is read
   back: the rule's pattern and its target (the hub's bus, through the
   forwarding role), the spoke role's trust (only the hub stack's roles, in
   the organization) and its policy (the EC2 alarm creator's actions, alarms
   by prefix).
3. The hub's StackSet (hub mode with SpokeOrganizationalUnitIds) is
   service-managed with auto-deployment, deploys spoke.yaml itself, and
   gives every spoke parameter, each from the hub parameter of the same name
   where there is one, so the spokes cannot drift from the hub.
4. Deployed in the hub's own account (an OU that holds it), the spoke
   creates no rule and no role: the hub handles its own events already.

Run by `make test-template`; exits 1 naming each problem.
"""

import ast
import json
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
import deploy_to_moto  # noqa: E402
import expand  # noqa: E402
from cfnlint.decode import decode  # noqa: E402

ROOT = expand.ROOT
MEMBER = "222222222222"
HUB = deploy_to_moto.ACCOUNT_ID
REGION = deploy_to_moto.REGION
HUB_BUS = f"arn:aws:events:{REGION}:{HUB}:event-bus/watchkeeper-hub"
PARAMETERS = {
    "HubAccountId": HUB,
    "HubStackName": "watchkeeper",
    "HubEventBusArn": HUB_BUS,
    "OrganizationId": "o-a1b2c3d4e5",
    "RolesRegion": REGION,
}
# (spoke rule, hub function, its event, its hub-bus rule)
FORWARDED = [
    ("EC2InstanceStateChangeRule", "EC2AlarmCreatorFunction", "InstanceStateChange", "EC2AlarmCreatorHubRule"),
    ("EC2InstanceTagChangeRule", "EC2AlarmCreatorFunction", "InstanceTagChange", "EC2AlarmCreatorTagHubRule"),
    ("AMIPermissionChangeRule", "AMIPermissionNotifierFunction", "PermissionChange", "AMIPermissionNotifierHubRule"),
    ("HealthEventRule", "HealthEventForwarderFunction", "HealthEvent", "HealthEventForwarderHubRule"),
    ("IdleEmrAlarmRule", "IdleEmrTerminatorFunction", "IdleAlarmStateChange", "IdleEmrTerminatorHubRule"),
    (
        "CodeCommitRepositoryStateChangeRule",
        "CodeCommitChangePublisherFunction",
        "RepositoryStateChange",
        "CodeCommitChangePublisherHubRule",
    ),
]

problems = []


def check(ok, problem):
    if not ok:
        problems.append(problem)
    return ok


def document(value):
    """A policy document as moto returns it: a dict, JSON, or (moto's
    CloudFormation stores its dict's repr) a Python literal."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return ast.literal_eval(value)


def resolved(value, template):
    """`value` with each `Ref` to a parameter replaced by the value the
    spoke was deployed with (its default unless PARAMETERS sets it)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in template["Parameters"]:
            name = value["Ref"]
            return PARAMETERS.get(name, template["Parameters"][name].get("Default"))
        return {key: resolved(item, template) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, template) for item in value]
    return value


def plain(value):
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return str(value) if isinstance(value, str) else value


def check_stack_set(hub_template, spoke):
    """The hub's StackSet: service-managed, auto-deployed, spoke.yaml's own
    template, and every spoke parameter given from the hub's."""
    stack_set = hub_template["Resources"].get("SpokeStackSet")
    if not check(stack_set is not None, "template.yaml has no SpokeStackSet"):
        return
    check(stack_set.get("Condition") == "DeploysSpokes", "the StackSet must exist only with DeploysSpokes")
    conditions = hub_template["Conditions"]
    check(
        {"Condition": "IsHub"} in conditions["DeploysSpokes"]["Fn::And"],
        "DeploysSpokes must imply hub mode (IsHub)",
    )
    properties = stack_set["Properties"]
    check(properties["TemplateURL"] == "spoke.yaml", "the StackSet must deploy spoke.yaml (sam deploy uploads it)")
    check(properties["PermissionModel"] == "SERVICE_MANAGED", "the StackSet must be service-managed")
    check(
        properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        f"the StackSet's auto-deployment is {properties['AutoDeployment']}: accounts joining the OUs must get the spoke",
    )
    given = {p["ParameterKey"]: p["ParameterValue"] for p in properties["Parameters"]}
    wanted = set(spoke["Parameters"])
    check(
        set(given) == wanted,
        f"the StackSet gives spoke parameters {sorted(given)}, spoke.yaml has {sorted(wanted)}",
    )
    hub_parameters = hub_template["Parameters"]
    for name, value in given.items():
        if name in hub_parameters:
            check(
                value == {"Ref": name},
                f"the StackSet gives the spoke's {name} as {value}, not the hub's own {name}",
            )


def main():
    hub_template = expand.expanded_template()
    hub = hub_template["Resources"]
    spoke, matches = decode(str(ROOT / "spoke.yaml"))
    if matches:
        sys.exit(f"spoke.yaml does not parse: {matches}")
    spoke = plain(spoke)
    for rule, function, event, hub_rule in FORWARDED:
        forwarded = spoke["Resources"][rule]["Properties"]["EventPattern"]
        handled = hub[function]["Properties"]["Events"][event]["Properties"]["Pattern"]
        on_bus = hub[hub_rule]["Properties"]["EventPattern"]
        check(forwarded == handled, f"spoke.yaml {rule} forwards {forwarded}, but {function} handles {handled}")
        check(on_bus == handled, f"template.yaml {hub_rule} takes {on_bus} from the hub's bus, but {function} handles {handled}")

    # The hub's side of hub mode: a bus only the organization may put
    # events on, and a function role that may assume only the spoke role,
    # only in the organization's accounts; all of it only with OrganizationId.
    policy = hub["HubEventBusPolicy"]
    check(
        hub["HubEventBus"].get("Condition") == "IsHub" and policy.get("Condition") == "IsHub",
        "the hub's bus and its policy must exist only in hub mode",
    )
    check(
        policy["Properties"]["Statement"]["Condition"]
        == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}},
        "the hub's bus must admit only the organization's accounts",
    )
    for function in (
        "EC2AlarmCreatorFunction",
        "AMIPermissionNotifierFunction",
        "IdleEmrTerminatorFunction",
        "CodeCommitChangePublisherFunction",
        "HealthEventForwarderFunction",
    ):
        assume = [
            statement
            for statement in hub[function]["Properties"]["Policies"][0]["Statement"]
            if isinstance(statement, dict)
            and "Fn::If" in statement
            and statement["Fn::If"][0] == "IsHub"
            and statement["Fn::If"][1]["Action"] == "sts:AssumeRole"
        ]
        check(
            len(assume) == 1
            and assume[0]["Fn::If"][1]["Action"] == "sts:AssumeRole"
            and assume[0]["Fn::If"][1]["Condition"]
            == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}},
            f"{function} must assume the spoke role only in hub mode and only in the organization",
        )

    check_stack_set(hub_template, spoke)

    moto, port = deploy_to_moto.start_moto()
    try:
        endpoint = f"http://localhost:{port}"
        hub_session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        credentials = hub_session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
            RoleSessionName="stackset",
        )["Credentials"]
        member = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )
        client = lambda service: member.client(service, endpoint_url=endpoint)  # noqa: E731
        cloudformation = client("cloudformation")
        cloudformation.create_stack(
            StackName="watchkeeper-spoke",
            TemplateBody=(ROOT / "spoke.yaml").read_text(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        status = cloudformation.describe_stacks(StackName="watchkeeper-spoke")["Stacks"][0]["StackStatus"]
        check(status == "CREATE_COMPLETE", f"the spoke stack ended {status}")

        events = client("events")
        rules = {rule["Name"]: rule for rule in events.list_rules()["Rules"]}
        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName="watchkeeper-spoke")["StackResourceSummaries"]
        }
        for rule, function, event, _ in FORWARDED:
            name = resources.get(rule, "")
            if not check(name in rules, f"rule {rule} was not created in the member account"):
                continue
            pattern = json.loads(rules[name]["EventPattern"])
            handled = resolved(hub[function]["Properties"]["Events"][event]["Properties"]["Pattern"], spoke)
            check(pattern == handled, f"deployed {rule} has pattern {pattern}, not {handled}")
            targets = events.list_targets_by_rule(Rule=name)["Targets"]
            check(
                [(t["Arn"], t.get("RoleArn")) for t in targets]
                == [(HUB_BUS, f"arn:aws:iam::{MEMBER}:role/watchkeeper-spoke-forward")],
                f"{rule} targets {targets}, not the hub's bus through the forwarding role",
            )

        iam = client("iam")
        role = iam.get_role(RoleName="watchkeeper-spoke")["Role"]
        check(role["Arn"] == f"arn:aws:iam::{MEMBER}:role/watchkeeper-spoke", f"spoke role is {role['Arn']}")
        trust = document(role["AssumeRolePolicyDocument"])
        statement = trust["Statement"][0]
        check(
            statement["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
            and statement["Condition"]["ArnLike"]["aws:PrincipalArn"] == f"arn:aws:iam::{HUB}:role/watchkeeper-*"
            and statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-a1b2c3d4e5",
            f"the spoke role trusts {statement}, not only the hub stack's roles in the organization",
        )
        commits = document(
            iam.get_role_policy(RoleName="watchkeeper-spoke", PolicyName="CodeCommitChangePublisher")["PolicyDocument"]
        )
        check(
            commits["Statement"][0]["Action"] == ["codecommit:GetCommit", "codecommit:GetDifferences"]
            and commits["Statement"][0]["Resource"] == f"arn:aws:codecommit:*:{MEMBER}:*",
            f"the CodeCommit publisher's spoke policy is {commits['Statement']}",
        )
        emr = document(
            iam.get_role_policy(RoleName="watchkeeper-spoke", PolicyName="IdleEmrTerminator")["PolicyDocument"]
        )
        emr_actions = sorted(
            action
            for statement in emr["Statement"]
            if statement
            for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        )
        check(
            emr_actions
            == [
                "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStacks",
                "cloudwatch:GetMetricData",
                "elasticmapreduce:DescribeCluster",
                "elasticmapreduce:ListClusters",
                "elasticmapreduce:ListSteps",
                "elasticmapreduce:TerminateJobFlows",
            ],
            f"the idle EMR terminator's spoke policy allows {emr_actions} (no DeleteStack unless IdleEmrStackMode)",
        )
        aliases = document(
            iam.get_role_policy(RoleName="watchkeeper-spoke", PolicyName="AMIPermissionNotifier")["PolicyDocument"]
        )
        check(
            [s["Action"] for s in aliases["Statement"]] == ["iam:ListAccountAliases"],
            f"the AMI permission notifier's spoke policy allows {aliases['Statement']}",
        )
        policy = document(
            iam.get_role_policy(RoleName="watchkeeper-spoke", PolicyName="EC2AlarmCreator")["PolicyDocument"]
        )
        actions = sorted(
            action
            for statement in policy["Statement"]
            for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        )
        check(
            actions
            == sorted(
                [
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:TagResource",
                    "cloudwatch:UntagResource",
                    "ec2:DescribeInstances",
                    "ec2:DescribeTags",
                ]
            ),
            f"the spoke role allows {actions}",
        )
        managed = [s for s in policy["Statement"] if s.get("Sid") == "ManageOwnAlarms"][0]
        check(
            managed["Resource"] == f"arn:aws:cloudwatch:*:{MEMBER}:alarm:watchkeeper-*",
            f"alarm writes are not scoped to the prefix: {managed['Resource']}",
        )
        # Nothing went to the hub account.
        hub_roles = [r["RoleName"] for r in hub_session.client("iam", endpoint_url=endpoint).list_roles()["Roles"]]
        check("watchkeeper-spoke" not in hub_roles, "the spoke role was created in the hub account")

        # A stack instance in the hub's own account creates nothing that
        # acts: its events reach the hub's functions on its default bus.
        hub_cloudformation = hub_session.client("cloudformation", endpoint_url=endpoint)
        hub_cloudformation.create_stack(
            StackName="watchkeeper-spoke-in-hub",
            TemplateBody=(ROOT / "spoke.yaml").read_text(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        status = hub_cloudformation.describe_stacks(StackName="watchkeeper-spoke-in-hub")["Stacks"][0]["StackStatus"]
        check(status == "CREATE_COMPLETE", f"the spoke stack in the hub account ended {status}")
        # moto lists a resource whose condition is false with empty names,
        # and makes nothing for the placeholder.
        created = sorted(
            r["ResourceType"]
            for r in hub_cloudformation.list_stack_resources(StackName="watchkeeper-spoke-in-hub")[
                "StackResourceSummaries"
            ]
            if r["ResourceType"] not in ("", "AWS::CloudFormation::WaitConditionHandle")
        )
        hub_rules = hub_session.client("events", endpoint_url=endpoint).list_rules()["Rules"]
        check(
            created == [] and hub_rules == [],
            f"the spoke in the hub's own account created {created} and rules {hub_rules}; it must create no rule or role",
        )
    finally:
        moto.kill()

    for problem in problems:
        print(f"spoke.yaml: {problem}")
    if problems:
        return 1
    print(f"Spoke check passed: {len(FORWARDED)} forwarded pattern(s) equal the hub's; deployed in member account {MEMBER}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
