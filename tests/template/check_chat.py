#!/usr/bin/env python3
"""Checks the chat wiring of template.yaml (docs/notifications.md, "Chat").

moto's CloudFormation has no AWS::Chatbot resources, so deploy_to_moto.py
deploys the template with the chat parameters empty, where nothing of this
is created; this reads what the template would create once they are set:

- a Slack channel (workspace and channel ids) and a Microsoft Teams channel
  (tenant, team and channel ids), each created only when all its ids are set;
- each subscribed to the warning and critical topics, or only the critical
  one when ChatMinimumSeverity is critical, and always to the operations
  topic;
- each with the channel role, which holds no permission, and the AWSDenyAll
  guardrail, so nobody can run anything in the account from the channel;
- every chat parameter empty by default: a stack without them has no chat.

Run by `make lint`; exits 1 naming each problem.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import expand  # noqa: E402  (the template as CloudFormation expands it)

DENY_ALL = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll"}
ALL_TOPICS = [{"Ref": "WarningTopic"}, {"Ref": "CriticalTopic"}, {"Ref": "OperationsTopic"}]
CRITICAL_TOPICS = [{"Ref": "CriticalTopic"}, {"Ref": "OperationsTopic"}]
CHANNELS = {
    "SlackChannel": (
        "AWS::Chatbot::SlackChannelConfiguration",
        "HasSlackChannel",
        {"SlackWorkspaceId": "ChatSlackWorkspaceId", "SlackChannelId": "ChatSlackChannelId"},
    ),
    "TeamsChannel": (
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
        "HasTeamsChannel",
        {
            "TeamsTenantId": "ChatTeamsTenantId",
            "TeamId": "ChatTeamsTeamId",
            "TeamsChannelId": "ChatTeamsChannelId",
        },
    ),
}


def main():
    template = expand.expanded_template()
    resources, parameters = template["Resources"], template["Parameters"]
    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)

    for name in (
        "ChatSlackWorkspaceId",
        "ChatSlackChannelId",
        "ChatTeamsTenantId",
        "ChatTeamsTeamId",
        "ChatTeamsChannelId",
    ):
        check(parameters.get(name, {}).get("Default") == "", f"{name} must default to empty (no chat)")
    severity = parameters.get("ChatMinimumSeverity", {})
    check(
        severity.get("Default") == "warning" and severity.get("AllowedValues") == ["warning", "critical"],
        "ChatMinimumSeverity must default to warning and allow warning or critical",
    )

    role = resources.get("ChatChannelRole", {})
    properties = role.get("Properties", {})
    check(role.get("Condition") == "HasChatChannel", "ChatChannelRole must exist only with a chat channel")
    check(
        "Policies" not in properties and "ManagedPolicyArns" not in properties,
        "ChatChannelRole must hold no permission",
    )
    trust = properties.get("AssumeRolePolicyDocument", {}).get("Statement", [])
    check(
        [statement.get("Principal") for statement in trust] == [{"Service": "chatbot.amazonaws.com"}]
        and all("aws:SourceAccount" in str(statement.get("Condition")) for statement in trust),
        "ChatChannelRole must trust only chatbot.amazonaws.com, for this account",
    )

    for logical, (kind, condition, ids) in CHANNELS.items():
        channel = resources.get(logical)
        if channel is None:
            problems.append(f"{logical} is missing")
            continue
        properties = channel.get("Properties", {})
        check(channel.get("Type") == kind, f"{logical} must be an {kind}")
        check(channel.get("Condition") == condition, f"{logical} must be created only when {condition}")
        for prop, parameter in ids.items():
            check(properties.get(prop) == {"Ref": parameter}, f"{logical}.{prop} must be !Ref {parameter}")
        check(
            properties.get("IamRoleArn") == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]},
            f"{logical} must use ChatChannelRole",
        )
        check(properties.get("GuardrailPolicies") == [DENY_ALL], f"{logical} must have the AWSDenyAll guardrail")
        check(properties.get("UserRoleRequired") is False, f"{logical} must not ask users for their own roles")
        check(
            properties.get("SnsTopicArns") == {"Fn::If": ["ChatTakesWarnings", ALL_TOPICS, CRITICAL_TOPICS]},
            f"{logical} must take the warning and critical topics, or only the critical one, and the operations topic",
        )

    conditions = template.get("Conditions", {})
    for name in ("HasSlackChannel", "HasTeamsChannel", "HasChatChannel", "ChatTakesWarnings"):
        check(name in conditions, f"condition {name} is missing")

    for problem in problems:
        print(f"template.yaml chat: {problem}")
    if not problems:
        print(f"Chat wiring: {len(CHANNELS)} channel kinds checked, no problems.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
