"""Checks every IAM policy of the deployed template against AWS's catalogue.

template.yaml is expanded as tests/template/deploy_to_moto.py does (Fn::ForEach
by expand.py, then the SAM transform with samtranslator, as CloudFormation
runs them), and every policy document
in the result (role policies and trust policies, queue, topic and key
policies) is given to parliament, which ships AWS's service authorization
reference (every action, the resource ARNs each accepts and its condition
keys) and needs no network. parliament finds unknown actions and services,
resources that no action of the statement accepts, malformed policies,
conditions an action does not support, and (with its community auditors)
privilege-escalation paths.

CloudFormation's intrinsic functions are resolved first, with the parameters
of deploy_to_moto.py plus sample values for list and path parameters, and
each resource's ARN in the form AWS gives it. `Fn::If` keeps both branches
(a statement or resource of either branch is checked), so a policy that only
some parameter values produce is checked too.

Before the template, a few bad policies (SELF_TEST_CASES) must be rejected,
so the check proves it still finds what it is there for.

Every finding fails the check unless tests/template/iam-lint-accepted.yaml
lists it with its reason; an accepted finding that no longer occurs fails
too, so the list cannot go stale.

Usage: lint_iam.py   (make lint). Exits non-zero naming each finding.
"""

import fnmatch
import json
import os
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import deploy_to_moto  # noqa: E402  (the template expansion is shared)
import expand  # noqa: E402

ROOT = deploy_to_moto.ROOT
ACCEPTED = Path(__file__).resolve().with_name("iam-lint-accepted.yaml")
REGION = deploy_to_moto.REGION
ACCOUNT_ID = deploy_to_moto.ACCOUNT_ID
PARTITION = "aws"
STACK = deploy_to_moto.STACK
# The deployment's parameters, plus values for the parameters that shape
# policies, so that every statement has a real resource to check.
PARAMETERS = dict(
    deploy_to_moto.PARAMETERS,
    AlarmDefinitionsParameter="/watchkeeper/alarm-definitions",
    CodeCommitRepositoryNames="service-a,service-b",
    IdleEmrStackMode="true",
    IdleEmrStackNamePrefix="emr-",
    IdleEmrAttachAutoTerminationPolicy="true",
)

# Where each resource type keeps its policy documents.
POLICY_PROPERTIES = {
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::SNS::TopicInlinePolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::Events::EventBusPolicy": ("Statement",),
}


class LintError(Exception):
    pass


class Both(list):
    """The two branches of an Fn::If: both are checked."""


def arn(service, resource, region=REGION, account=ACCOUNT_ID):
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def resource_arn(name, resource_type):
    """The ARN AWS gives a resource of this type, with its logical id as name."""
    forms = {
        "AWS::DynamoDB::Table": lambda: arn("dynamodb", f"table/{name}"),
        "AWS::KMS::Key": lambda: arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "AWS::SQS::Queue": lambda: arn("sqs", name),
        "AWS::SNS::Topic": lambda: arn("sns", name),
        "AWS::Lambda::Function": lambda: arn("lambda", f"function:{name}"),
        "AWS::Logs::LogGroup": lambda: arn("logs", f"log-group:{name}:*"),
        "AWS::Events::Rule": lambda: arn("events", f"rule/{name}"),
        "AWS::Events::EventBus": lambda: arn("events", f"event-bus/{name}"),
        "AWS::IAM::Role": lambda: arn("iam", f"role/{name}", region=""),
        "AWS::CloudWatch::Alarm": lambda: arn("cloudwatch", f"alarm:{name}"),
    }
    if resource_type not in forms:
        raise LintError(f"no ARN form for {name} ({resource_type}): add one to lint_iam.py")
    return forms[resource_type]()


def ref(name, template):
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": PARTITION,
        "AWS::StackName": STACK,
        "AWS::URLSuffix": "amazonaws.com",
    }
    if name in pseudo:
        return pseudo[name]
    if name in template.get("Parameters", {}):
        if name in PARAMETERS:
            return PARAMETERS[name]
        return str(template["Parameters"][name].get("Default", ""))
    if name in template["Resources"]:
        resource_type = template["Resources"][name]["Type"]
        if resource_type == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
        if resource_type == "AWS::SNS::Topic":
            return resource_arn(name, resource_type)
        return name
    raise LintError(f"Ref to unknown {name!r}")


def get_att(name, attribute, template):
    if name not in template["Resources"]:
        raise LintError(f"Fn::GetAtt of unknown resource {name!r}")
    if attribute not in ("Arn", "TopicArn"):
        raise LintError(f"Fn::GetAtt {name}.{attribute}: only Arn is resolved")
    return resource_arn(name, template["Resources"][name]["Type"])


def substitute(text, variables, template):
    def replace(match):
        key = match.group(1)
        if key.startswith("!"):
            return "${" + key[1:] + "}"
        if key in variables:
            return scalar(variables[key], key)
        if "." in key:
            return get_att(*key.split(".", 1), template)
        return ref(key, template)

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def scalar(value, where):
    if isinstance(value, (list, dict)):
        raise LintError(f"{where}: expected a string, got {value!r}")
    return str(value)


def resolve(value, template):
    """Resolves CloudFormation's intrinsic functions; Fn::If gives Both."""
    if isinstance(value, list):
        return [resolve(item, template) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return None if argument == "AWS::NoValue" else ref(argument, template)
        if key == "Fn::GetAtt":
            name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return get_att(name, attribute, template)
        if key == "Fn::Sub":
            if isinstance(argument, list):
                text, variables = argument
                variables = {name: resolve(item, template) for name, item in variables.items()}
            else:
                text, variables = argument, {}
            return substitute(text, variables, template)
        if key == "Fn::Join":
            separator, items = argument
            items = resolve(items, template)
            return separator.join(scalar(item, "Fn::Join") for item in items)
        if key == "Fn::Split":
            separator, text = argument
            return scalar(resolve(text, template), "Fn::Split").split(separator)
        if key == "Fn::Select":
            index, items = argument
            return resolve(items, template)[int(resolve(index, template))]
        if key == "Fn::If":
            _, when_true, when_false = argument
            return Both([resolve(when_true, template), resolve(when_false, template)])
        if key.startswith("Fn::") or key == "Condition":
            raise LintError(f"intrinsic function {key} is not resolved by lint_iam.py")
    return {key: resolve(item, template) for key, item in value.items()}


def flatten(value):
    """Splices both branches of every Fn::If into the enclosing list (a
    single value becomes a list of both) and drops AWS::NoValue."""
    if isinstance(value, Both):
        branches = []
        for branch in value:
            branch = flatten(branch)
            if branch is None:
                continue
            branches.extend(branch if isinstance(branch, list) else [branch])
        return branches
    if isinstance(value, list):
        items = []
        for item in value:
            flat = flatten(item)
            if flat is None:
                continue
            if isinstance(item, Both):
                items.extend(flat)
            else:
                items.append(flat)
        return items
    if isinstance(value, dict):
        flat = {key: flatten(item) for key, item in value.items()}
        return {key: item for key, item in flat.items() if item is not None}
    return value


def expanded_template():
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    template = expand.expanded_template()
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            # The transform needs an S3 location; the code is not read.
            resource["Properties"]["CodeUri"] = f"s3://watchkeeper-artifacts/{name}.zip"
            resource.pop("Metadata", None)
    return deploy_to_moto.transform(template, PARAMETERS, deploy_to_moto.NoManagedPolicies())


def policies(template):
    """(location, document) for every policy document in the template."""
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in POLICY_PROPERTIES.get(resource["Type"], ()):
            if key in properties:
                document = properties[key]
                if key == "Statement":
                    document = {"Version": "2012-10-17", "Statement": [document]}
                yield f"{name}.{key}", document
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield f"{name}.Policies.{policy['PolicyName']}", policy["PolicyDocument"]


def analyze(document):
    from parliament import analyze_policy_string

    policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return policy.findings


def finding_text(finding):
    detail = finding.detail
    if not isinstance(detail, str):
        detail = json.dumps(detail, sort_keys=True, default=str)
    return detail


def load_accepted():
    accepted = yaml.safe_load(ACCEPTED.read_text()) or []
    for entry in accepted:
        for key in ("policy", "issue", "reason"):
            if not entry.get(key):
                raise LintError(f"{ACCEPTED.name}: every entry needs {key!r}: {entry!r}")
    return accepted


def matches(entry, location, finding):
    return (
        fnmatch.fnmatchcase(location, entry["policy"])
        and entry["issue"] == finding.issue
        and entry.get("detail_contains", "") in finding_text(finding)
    )


# Policies the linter must reject, so that `make lint` proves it still finds
# each kind of problem it is there for (run before the template is checked).
SELF_TEST_CASES = [
    (
        "unknown action",
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricAlarms", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"}},
        "UNKNOWN_ACTION",
    ),
    (
        "resource of another type",
        {"Effect": "Allow", "Action": "elasticmapreduce:TerminateJobFlows", "Resource": {"Ref": "WarningTopic"}},
        "RESOURCE_MISMATCH",
    ),
    (
        "privilege escalation",
        {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/*"}},
        "PRIVILEGE_ESCALATION",
    ),
    (
        "unknown action in the false branch of an Fn::If",
        {"Fn::If": ["HasAlertEmail", {"Ref": "AWS::NoValue"}, {"Effect": "Allow", "Action": "sns:Publishh", "Resource": {"Ref": "CriticalTopic"}}]},
        "UNKNOWN_ACTION",
    ),
]


def self_test(template):
    failures = []
    for name, statement, issue in SELF_TEST_CASES:
        document = flatten(resolve({"Version": "2012-10-17", "Statement": [statement]}, template))
        found = [finding.issue for finding in analyze(document)]
        if issue not in found:
            failures.append(f"self-test {name!r}: expected {issue}, found {found}")
    return failures


def main():
    try:
        template = expanded_template()
        accepted = load_accepted()
        used = set()
        failures = self_test(template)
        count = 0
        for location, document in policies(template):
            count += 1
            document = flatten(resolve(document, template))
            for finding in analyze(document):
                hits = [i for i, entry in enumerate(accepted) if matches(entry, location, finding)]
                if hits:
                    used.update(hits)
                    continue
                failures.append(
                    f"{location}: {finding.issue}: {finding_text(finding) or '(no detail)'}"
                )
        for i, entry in enumerate(accepted):
            if i not in used:
                failures.append(
                    f"{ACCEPTED.name}: accepted finding no longer occurs, remove it: "
                    f"{entry['policy']} {entry['issue']} {entry.get('detail_contains', '')}".rstrip()
                )
    except LintError as error:
        sys.exit(f"IAM lint could not run: {error}")
    if failures:
        print("IAM lint (parliament) FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        sys.exit(1)
    print(
        f"IAM lint (parliament): {count} policy documents, 0 findings ({len(accepted)} accepted, see "
        f"{ACCEPTED.name}); self-test: {len(SELF_TEST_CASES)} bad policies rejected."
    )


if __name__ == "__main__":
    main()
