"""Deploys template.yaml into moto's CloudFormation and checks what it created.

moto runs neither AWS::LanguageExtensions nor the SAM transform, so the
template is expanded here as CloudFormation expands it (expand.py: Fn::ForEach
by SAM CLI's own code) and transformed with samtranslator (the library SAM
CLI and CloudFormation use), the
function zips from `sam build` are uploaded to moto's S3, and the result is
deployed with `aws cloudformation deploy`, as a user would. The functions,
roles and their policies, EventBridge rules and targets, topics,
subscriptions, queues and log groups are then read back and checked.

Usage: deploy_to_moto.py [--build-dir .aws-sam/build]
Exits non-zero, naming each problem, if anything is missing or wrong.
"""

import argparse
import ast
import copy
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import boto3
from samtranslator.translator.transform import transform

sys.path.insert(0, str(Path(__file__).resolve().parent))
import expand  # noqa: E402

ROOT = expand.ROOT
REGION = "eu-west-1"
# moto's default account, where the stack is deployed.
ACCOUNT_ID = "123456789012"
STACK = "watchkeeper"
BUCKET = "watchkeeper-artifacts"
PARAMETERS = {
    "AlertEmail": "ops@example.com",
    "AlertPhoneNumber": "+15555550100",
    "Architecture": "x86_64",
    "AlarmNamePrefix": "watchkeeper-",
}

# Actions IAM cannot scope to a resource, so "Resource": "*" is the least there is.
ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "ec2:DescribeInstances",
    "ec2:DescribeTags",
    "cloudwatch:ListMetrics",
    "iam:ListAccountAliases",
    "elasticmapreduce:ListClusters",
    "cloudwatch:GetMetricData",
}

problems = []


def check(ok, problem):
    if not ok:
        problems.append(problem)
    return ok


class NoManagedPolicies:
    """The template names no AWS managed policies beyond those SAM adds by ARN."""

    def load(self):
        return {}


def start_moto():
    launcher = ROOT / "tests/testbed/moto_launcher.py"
    process = subprocess.Popen(
        [sys.executable, str(launcher)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    port = int(process.stdout.readline().strip())
    return process, port


def zip_bootstrap(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def main():
    # samtranslator resolves AWS::Region from the default session.
    os.environ["AWS_DEFAULT_REGION"] = REGION
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=str(ROOT / ".aws-sam/build"))
    args = parser.parse_args()
    build_dir = Path(args.build_dir)

    template = expand.expanded_template()
    functions = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    moto, port = start_moto()
    try:
        # moto finds the artifact bucket in the template URL only for localhost.
        endpoint = f"http://localhost:{port}"
        env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=endpoint,
        )
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        client = lambda service: session.client(service, endpoint_url=endpoint)  # noqa: E731
        s3 = client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

        deployable = copy.deepcopy(template)
        for name, resource in functions.items():
            bootstrap = build_dir / name / "bootstrap"
            if not bootstrap.exists():
                sys.exit(f"{bootstrap} is missing: run `sam build --config-env x86_64` (make build) first")
            key = f"{name}.zip"
            s3.put_object(Bucket=BUCKET, Key=key, Body=zip_bootstrap(bootstrap))
            deployable["Resources"][name]["Properties"]["CodeUri"] = f"s3://{BUCKET}/{key}"
            deployable["Resources"][name].pop("Metadata", None)

        transformed = transform(deployable, PARAMETERS, NoManagedPolicies())
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
            json.dump(transformed, out, indent=1)
            transformed_path = out.name

        overrides = [f"{key}={value}" for key, value in PARAMETERS.items()]
        aws = Path(sys.executable).with_name("aws")
        deploy = subprocess.run(
            [
                str(aws), "cloudformation", "deploy",
                "--template-file", transformed_path,
                "--stack-name", STACK,
                "--s3-bucket", BUCKET,
                "--capabilities", "CAPABILITY_IAM",
                "--parameter-overrides", *overrides,
                "--no-fail-on-empty-changeset",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if deploy.returncode != 0:
            sys.exit(f"aws cloudformation deploy failed:\n{deploy.stdout}\n{deploy.stderr}")

        verify(client, functions, transformed)
    finally:
        moto.kill()

    if problems:
        print("Template deployment check FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        sys.exit(1)
    print(
        f"Template deployment check passed: {len(functions)} function(s) and their rules, roles, topics, queues, "
        "key, alarms and dashboard exist."
    )


def resolve_parameters(value, template):
    """Replaces {"Ref": <parameter>} with the value deployed (or its default)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in template.get("Parameters", {}):
            name = value["Ref"]
            return PARAMETERS.get(name, template["Parameters"][name].get("Default"))
        return {key: resolve_parameters(item, template) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_parameters(item, template) for item in value]
    return value


def verify(client, functions, transformed):
    cloudformation = client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    check(stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), f"stack status is {stack['StackStatus']}")
    resources = {
        r["LogicalResourceId"]: r
        for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
        # moto lists subscriptions without ids; they are checked through SNS below.
        if "LogicalResourceId" in r
    }
    physical = lambda logical: resources[logical]["PhysicalResourceId"]  # noqa: E731

    sns = client("sns")
    topic_arns = set(t["TopicArn"] for t in sns.list_topics()["Topics"])
    kms = client("kms")
    key_arn = None
    if check("WatchkeeperKey" in resources, "WatchkeeperKey was not created"):
        keys = {key["KeyId"]: key["KeyArn"] for key in kms.list_keys()["Keys"]}
        key_arn = keys.get(physical("WatchkeeperKey"))
        check(key_arn is not None, "WatchkeeperKey does not exist in KMS")
        # moto keeps a key policy that came through CloudFormation as a dict
        # and then fails every call that reads the key (DescribeKey,
        # GetKeyRotationStatus) with a 500, so rotation and the policy are
        # checked in the transformed template.
        key_properties = transformed["Resources"]["WatchkeeperKey"]["Properties"]
        check(key_properties.get("EnableKeyRotation") is True, "WatchkeeperKey has no automatic rotation")
        principals = {
            service
            for statement in key_properties["KeyPolicy"]["Statement"]
            for service in (statement.get("Principal", {}).get("Service") or [])
            if isinstance(service, str)
        }
        check(
            {"cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"} <= principals,
            f"WatchkeeperKey's policy lets only {principals} encrypt: alarms, rules and SNS need it",
        )
    for topic in ("WarningTopic", "CriticalTopic", "OperationsTopic", "IdleAlarmTopic"):
        if check(topic in resources, f"{topic} was not created"):
            if check(physical(topic) in topic_arns, f"{topic} {physical(topic)} does not exist in SNS"):
                attributes = sns.get_topic_attributes(TopicArn=physical(topic))["Attributes"]
                check(
                    key_arn is not None and attributes.get("KmsMasterKeyId") == key_arn,
                    f"{topic} is not encrypted with WatchkeeperKey (KmsMasterKeyId {attributes.get('KmsMasterKeyId')})",
                )
    # moto's CloudFormation creates no AWS::SNS::Subscription,
    # AWS::Lambda::EventInvokeConfig, AWS::SQS::QueuePolicy or
    # AWS::CloudWatch::Alarm, and returns no Outputs after a change set: those
    # are checked in the transformed template that was deployed.
    declared = transformed["Resources"]
    subscriptions = {
        (r["Properties"]["TopicArn"]["Ref"], r["Properties"]["Protocol"], r["Properties"]["Endpoint"]["Ref"])
        for r in declared.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] in ("email", "sms")
    }
    expected_subscriptions = {
        ("WarningTopic", "email", "AlertEmail"),
        ("CriticalTopic", "email", "AlertEmail"),
        ("CriticalTopic", "sms", "AlertPhoneNumber"),
        ("OperationsTopic", "email", "AlertEmail"),
    }
    check(subscriptions == expected_subscriptions, f"subscriptions {subscriptions} are not {expected_subscriptions}")
    for logical, r in declared.items():
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] in ("email", "sms"):
            check(
                r["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
                == {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]},
                f"subscription {logical} sends undeliverable notifications nowhere",
            )
    check(
        queue_policy_allows(declared, "NotificationDeadLetterQueue", "sns.amazonaws.com")
        >= {repr({"Ref": topic}) for topic in ("WarningTopic", "CriticalTopic", "OperationsTopic")},
        "NotificationDeadLetterQueue's policy does not let the topics send to it",
    )
    declared_outputs = transformed.get("Outputs", {})
    check(
        declared_outputs.get("WarningTopicArn", {}).get("Value") == {"Ref": "WarningTopic"}
        and declared_outputs.get("CriticalTopicArn", {}).get("Value") == {"Ref": "CriticalTopic"},
        "outputs WarningTopicArn and CriticalTopicArn do not name the topics",
    )

    sqs = client("sqs")
    cloudwatch = client("cloudwatch")
    dashboard_body = ""
    if check("OperationsDashboard" in resources, "OperationsDashboard was not created"):
        dashboard_body = cloudwatch.get_dashboard(DashboardName=physical("OperationsDashboard"))["DashboardBody"]
        widgets = json.loads(dashboard_body)["widgets"]
        titles = [widget["properties"]["title"] for widget in widgets]
        check(
            titles
            == [
                "Invocations",
                "Errors and throttles",
                "Duration (p99, ms)",
                "Dead-letter queue depth",
                "Alarms created and deleted",
                "Notifications sent by severity",
                "Duplicates suppressed",
                "EMR clusters terminated and spared",
                "Events skipped by reason",
            ],
            f"dashboard widgets are {titles}",
        )
    dashboard_names = declared.get("OperationsDashboard", {}).get("Properties", {}).get("DashboardBody", {}).get("Fn::Sub", "")
    lambda_client = client("lambda")
    events = client("events")
    iam = client("iam")
    logs = client("logs")
    for name, resource in functions.items():
        if not check(name in resources, f"function {name} was not created"):
            continue
        configuration = lambda_client.get_function(FunctionName=physical(name))["Configuration"]
        check(configuration["Runtime"] == "provided.al2023", f"{name} runtime is {configuration['Runtime']}")
        check(configuration["Handler"] == "bootstrap", f"{name} handler is {configuration['Handler']}")
        check(configuration.get("Architectures") == ["x86_64"], f"{name} architectures {configuration.get('Architectures')}")
        variables = configuration.get("Environment", {}).get("Variables", {})
        check(
            variables.get("WARNING_TOPIC_ARN") == physical("WarningTopic")
            and variables.get("CRITICAL_TOPIC_ARN") == physical("CriticalTopic"),
            f"{name} is not given both topic ARNs",
        )
        check(
            variables.get("HOME_ACCOUNT_ID") == ACCOUNT_ID,
            f"{name} is not told its own account (HOME_ACCOUNT_ID={variables.get('HOME_ACCOUNT_ID')!r})",
        )
        # moto's CloudFormation drops a function's TracingConfig: checked as deployed.
        check(
            declared[name]["Properties"].get("TracingConfig") == {"Mode": "Active"},
            f"{name} has no active X-Ray tracing",
        )
        dead_letter_queue = name.removesuffix("Function") + "DeadLetterQueue"
        invoke_configs = [
            r["Properties"]
            for r in declared.values()
            if r["Type"] == "AWS::Lambda::EventInvokeConfig" and r["Properties"]["FunctionName"] == {"Ref": name}
        ]
        if check(len(invoke_configs) == 1, f"{name} has {len(invoke_configs)} EventInvokeConfig(s), not 1"):
            invoke_config = invoke_configs[0]
            check(invoke_config.get("MaximumRetryAttempts") == 2, f"{name} retries {invoke_config.get('MaximumRetryAttempts')} times, not 2")
            check(
                60 <= invoke_config.get("MaximumEventAgeInSeconds", 0) <= 21600,
                f"{name} has no maximum event age between a minute and six hours",
            )
            check(
                invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                == {"Fn::GetAtt": [dead_letter_queue, "Arn"]},
                f"{name}'s failed invocations do not go to {dead_letter_queue}",
            )
        check(
            "DeadLetterConfig" not in declared[name]["Properties"],
            f"{name} has a Lambda DLQ as well as an OnFailure destination: failures would be sent twice",
        )
        queue_url = physical(dead_letter_queue) if dead_letter_queue in resources else None
        dead_letter_queue_arn = None
        if check(queue_url is not None, f"{dead_letter_queue} was not created"):
            queue_attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
            dead_letter_queue_arn = queue_attributes["QueueArn"]
            check(
                key_arn is not None and queue_attributes.get("KmsMasterKeyId") == key_arn,
                f"{dead_letter_queue} is not encrypted with WatchkeeperKey",
            )
        rule_sources = queue_policy_allows(declared, dead_letter_queue, "events.amazonaws.com")
        for metric, queue_or_function in (("Errors", name), ("Throttles", name), ("ApproximateNumberOfMessagesVisible", dead_letter_queue)):
            alarms = [
                r["Properties"]
                for r in declared.values()
                if r["Type"] == "AWS::CloudWatch::Alarm"
                and r["Properties"]["MetricName"] == metric
                and any(d["Value"] in ({"Ref": queue_or_function}, {"Fn::GetAtt": [queue_or_function, "QueueName"]}) for d in r["Properties"]["Dimensions"])
            ]
            check(
                len(alarms) == 1 and alarms[0].get("AlarmActions") == [{"Ref": "OperationsTopic"}],
                f"{queue_or_function} has no {metric} alarm sent to OperationsTopic",
            )
            check(
                bool(dashboard_body) and queue_or_function in dashboard_names and physical(queue_or_function).split("/")[-1] in dashboard_body,
                f"the dashboard does not show {queue_or_function}",
            )

        role_name = configuration["Role"].split("/")[-1]
        role_policies = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        statements = []
        for policy_name in role_policies:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            if isinstance(document, str):
                # moto keeps policies that came through CloudFormation as a Python repr.
                try:
                    document = json.loads(document)
                except json.JSONDecodeError:
                    document = ast.literal_eval(document)
            # moto leaves an `!If ... AWS::NoValue` statement as None; CloudFormation drops it.
            statements.extend(statement for statement in document["Statement"] if statement)
        check(statements, f"{name}'s role {role_name} has no inline policy")
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            check(all(action != "*" and not action.endswith(":*") for action in actions), f"{name} grants wildcard actions {actions}")
            resources_granted = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "*" in resources_granted:
                check(
                    set(actions) <= ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS,
                    f"{name} grants {actions} on every resource",
                )

        for event_name, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] not in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                continue
            rule_logical = f"{name}{event_name}"
            if not check(rule_logical in resources, f"rule {rule_logical} for {name} was not created"):
                continue
            rule_name = physical(rule_logical).split("/")[-1].split("|")[0]
            rule = events.describe_rule(Name=rule_name)
            if "Pattern" in event["Properties"]:
                check(
                    json.loads(rule["EventPattern"]) == resolve_parameters(event["Properties"]["Pattern"], transformed),
                    f"rule {rule_name} pattern differs from the template",
                )
            targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
            check(
                any(target["Arn"] == configuration["FunctionArn"] for target in targets),
                f"rule {rule_name} does not target {name}",
            )
            for target in targets:
                check(
                    target.get("DeadLetterConfig", {}).get("Arn") == dead_letter_queue_arn,
                    f"rule {rule_name} target does not send undeliverable events to {dead_letter_queue}",
                )
                check("RetryPolicy" in target, f"rule {rule_name} target has no retry policy")
            check(
                repr({"Fn::GetAtt": [rule_logical, "Arn"]}) in rule_sources,
                f"{dead_letter_queue}'s policy does not let rule {rule_logical} send to it",
            )

        log_group = resource["Properties"].get("LoggingConfig", {}).get("LogGroup")
        if check(log_group is not None, f"{name} has no log group of its own"):
            group_name = physical(log_group["Ref"])
            groups = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
            check(
                groups and groups[0].get("retentionInDays") == 30,
                f"log group {group_name} of {name} has no 30-day retention",
            )
            # moto's CloudFormation passes KmsKeyId where its logs backend reads
            # kmsKeyId, so the key is checked in the template as deployed.
            check(
                declared[log_group["Ref"]]["Properties"].get("KmsKeyId") == {"Fn::GetAtt": ["WatchkeeperKey", "Arn"]},
                f"log group {group_name} of {name} is not encrypted with WatchkeeperKey",
            )

    # Each function's rules share its dead-letter queue, so SAM generates none.
    queues = sorted(logical for logical, r in resources.items() if r["ResourceType"] == "AWS::SQS::Queue")
    expected_queues = sorted([name.removesuffix("Function") + "DeadLetterQueue" for name in functions] + ["NotificationDeadLetterQueue"])
    check(queues == expected_queues, f"queues {queues} are not {expected_queues}")


def queue_policy_allows(declared, queue, service):
    """The sources (as repr of their template values) a queue's policy lets `service` send from."""
    sources = set()
    for r in declared.values():
        if r["Type"] != "AWS::SQS::QueuePolicy" or r["Properties"]["Queues"] != [{"Ref": queue}]:
            continue
        for statement in r["Properties"]["PolicyDocument"]["Statement"]:
            if (
                statement.get("Principal") == {"Service": service}
                and statement.get("Action") == "sqs:SendMessage"
                and statement.get("Resource") == {"Fn::GetAtt": [queue, "Arn"]}
            ):
                arns = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", [])
                sources.update(repr(arn) for arn in (arns if isinstance(arns, list) else [arns]))
    return sources


if __name__ == "__main__":
    main()
