//! Least privilege, checked by machine: every IAM policy in `template.yaml`
//! is read and any wildcard grant fails the test, naming the resource and
//! statement. The template is read as CloudFormation deploys it, its
//! `Fn::ForEach` loop expanded (`expanded.rs`), so that a policy the loop
//! makes is read too.
//!
//! A grant fails on `Action: "*"`, a service-wide `service:*`, `NotAction` or
//! `NotResource` in an Allow, a managed or templated policy where an inline
//! statement belongs, or `Resource: "*"` for an action that IAM can scope to a
//! resource. Both branches of every `!If` are checked, since either may be
//! deployed.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};
use serde_yaml_ng::value::Tag;

mod expanded;

/// Actions for which IAM offers no resource-level permissions, so
/// `Resource: "*"` is the least that can be granted. Keep this list to the
/// actions the template really uses (a test checks that).
const ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS: &[&str] = &[
    // The EC2 alarm creator reads the instance that changed state, and its
    // tags when DescribeInstances leaves them out.
    "ec2:DescribeInstances",
    "ec2:DescribeTags",
    // ... and the series its discovered dimensions come from.
    "cloudwatch:ListMetrics",
    // The AMI permission notifier names the account in its alerts.
    "iam:ListAccountAliases",
    // The idle EMR terminator lists clusters and reads their idleness metrics.
    "elasticmapreduce:ListClusters",
    "cloudwatch:GetMetricData",
];

/// One policy statement, and where it is, for the findings.
#[derive(Debug)]
struct Statement {
    location: String,
    kind: PolicyKind,
    body: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum PolicyKind {
    /// Attached to a role: what a function may do.
    Identity,
    /// On a KMS key: `Resource: "*"` there means the key itself.
    KeyPolicy,
    /// On a queue or topic: who may send to it.
    Resource,
}

/// A template as written, for the made-up templates of the tests below.
fn load_template(yaml: &str) -> Value {
    let parsed: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(yaml).expect("template.yaml is YAML");
    to_json(parsed)
}

/// Turns YAML into JSON, with CloudFormation's short-form tags (`!Ref x`,
/// `!GetAtt a.b`, `!Sub ...`) in their long form (`{"Ref": "x"}`, ...).
fn to_json(value: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Yaml;
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::Bool(flag),
        Yaml::Number(number) => serde_json::to_value(number).unwrap_or(Value::Null),
        Yaml::String(text) => Value::String(text),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(key, item)| (key.as_str().unwrap_or_default().to_owned(), to_json(item)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let name = tag_name(&tagged.tag);
            let inner = to_json(tagged.value);
            let inner = match (name.as_str(), inner) {
                ("GetAtt", Value::String(path)) => {
                    Value::Array(path.splitn(2, '.').map(|part| json!(part)).collect())
                }
                (_, other) => other,
            };
            let key = if name == "Ref" {
                "Ref".to_owned()
            } else {
                format!("Fn::{name}")
            };
            json!({ key: inner })
        }
    }
}

fn tag_name(tag: &Tag) -> String {
    tag.to_string().trim_start_matches('!').to_owned()
}

/// Every value a property may take once conditions are decided: both
/// branches of `Fn::If`, nothing for `AWS::NoValue` or an absent property.
fn branches(value: &Value) -> Vec<Value> {
    if value.is_null() {
        return Vec::new();
    }
    if let Some([_, when_true, when_false]) = value
        .get("Fn::If")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return branches(when_true)
            .into_iter()
            .chain(branches(when_false))
            .collect();
    }
    if value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
        return Vec::new();
    }
    vec![value.clone()]
}

/// A string or a list, each item with its `Fn::If` branches, as a flat list.
fn items(value: &Value) -> Vec<Value> {
    branches(value)
        .into_iter()
        .flat_map(|branch| match branch {
            Value::Array(list) => list.iter().flat_map(branches).collect(),
            // An absent property lists nothing.
            Value::Null => Vec::new(),
            single => vec![single],
        })
        .collect()
}

/// Every policy statement in the template, with the policies that are not
/// inline statements reported as findings.
fn statements(template: &Value, findings: &mut Vec<String>) -> Vec<Statement> {
    let mut found = Vec::new();
    let empty = Map::new();
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut add_document = |location: String, kind: PolicyKind, document: &Value| {
        for (index, statement) in items(document.get("Statement").unwrap_or(&Value::Null))
            .into_iter()
            .enumerate()
        {
            let sid = statement
                .get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{index}"), str::to_owned);
            found.push(Statement {
                location: format!("{location} statement {sid}"),
                kind,
                body: statement,
            });
        }
    };
    let mut function_policies = Vec::new();
    if let Some(global) = template.pointer("/Globals/Function/Policies") {
        function_policies.push(("Globals.Function".to_owned(), global.clone()));
    }
    for (name, resource) in resources {
        let properties = resource.get("Properties").unwrap_or(&Value::Null);
        match resource.get("Type").and_then(Value::as_str).unwrap_or("") {
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                if let Some(policies) = properties.get("Policies") {
                    function_policies.push((name.clone(), policies.clone()));
                }
            }
            "AWS::IAM::Role" => {
                for policy in items(properties.get("Policies").unwrap_or(&Value::Null)) {
                    add_document(
                        name.clone(),
                        PolicyKind::Identity,
                        policy.get("PolicyDocument").unwrap_or(&Value::Null),
                    );
                }
                for arn in items(properties.get("ManagedPolicyArns").unwrap_or(&Value::Null)) {
                    findings.push(format!(
                        "{name} attaches managed policy {arn}: grant inline statements instead"
                    ));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => add_document(
                name.clone(),
                PolicyKind::Identity,
                properties.get("PolicyDocument").unwrap_or(&Value::Null),
            ),
            "AWS::KMS::Key" => add_document(
                name.clone(),
                PolicyKind::KeyPolicy,
                properties.get("KeyPolicy").unwrap_or(&Value::Null),
            ),
            "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" | "AWS::S3::BucketPolicy" => {
                add_document(
                    name.clone(),
                    PolicyKind::Resource,
                    properties.get("PolicyDocument").unwrap_or(&Value::Null),
                )
            }
            _ => {}
        }
    }
    for (name, policies) in function_policies {
        for policy in items(&policies) {
            if policy.get("Statement").is_some() {
                add_document(name.clone(), PolicyKind::Identity, &policy);
            } else {
                findings.push(format!(
                    "{name} uses policy {policy}: grant inline statements instead, so this test can read them"
                ));
            }
        }
    }
    found
}

/// The account root as principal: the statement AWS puts in every key policy
/// so that the account's IAM policies govern the key.
fn is_account_root(principal: &Value) -> bool {
    let root = principal.get("AWS").map(items).unwrap_or_default();
    root.len() == 1
        && root[0].to_string().contains(":iam::")
        && root[0].to_string().contains(":root")
}

fn check_statement(statement: &Statement, findings: &mut Vec<String>) {
    let body = &statement.body;
    let location = &statement.location;
    if body.get("Effect").and_then(Value::as_str) == Some("Deny") {
        return;
    }
    for negated in ["NotAction", "NotResource"] {
        if body.get(negated).is_some() {
            findings.push(format!(
                "{location} allows with {negated}, which grants everything not listed"
            ));
        }
    }
    let actions: Vec<String> = items(body.get("Action").unwrap_or(&Value::Null))
        .iter()
        .map(|action| {
            action
                .as_str()
                .map_or_else(|| action.to_string(), str::to_owned)
        })
        .collect();
    let key_administration = statement.kind == PolicyKind::KeyPolicy
        && is_account_root(body.get("Principal").unwrap_or(&Value::Null));
    for action in &actions {
        if action == "*" {
            findings.push(format!("{location} allows every action (Action \"*\")"));
        } else if action.ends_with(":*") && !(key_administration && action == "kms:*") {
            findings.push(format!(
                "{location} allows every action of a service ({action})"
            ));
        }
    }
    if statement.kind == PolicyKind::KeyPolicy {
        // In a key policy, Resource "*" means this key and nothing else.
        return;
    }
    let every_resource = items(body.get("Resource").unwrap_or(&Value::Null))
        .iter()
        .any(|resource| resource.as_str() == Some("*"));
    if every_resource {
        for action in &actions {
            if !ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS.contains(&action.as_str()) {
                findings.push(format!(
                    "{location} allows {action} on every resource (Resource \"*\"), but it can be scoped"
                ));
            }
        }
    }
}

struct Report {
    findings: Vec<String>,
    statements: Vec<Statement>,
}

fn check_template(template: &Value) -> Report {
    let mut findings = Vec::new();
    let statements = statements(template, &mut findings);
    for statement in &statements {
        check_statement(statement, &mut findings);
    }
    Report {
        findings,
        statements,
    }
}

fn project_template() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A template as CloudFormation deploys it: its `Fn::ForEach` loops expanded.
fn expanded_template(yaml: &str) -> Value {
    serde_json::from_str(&expanded::expand(yaml)).expect("expand.py prints JSON")
}

#[test]
fn template_grants_no_wildcard_permissions() {
    let report = check_template(&expanded_template(&project_template()));
    assert_eq!(
        report.findings,
        Vec::<String>::new(),
        "IAM findings in template.yaml"
    );
    println!(
        "IAM check: {} policy statements read, 0 findings",
        report.statements.len()
    );
}

#[test]
fn every_function_has_its_policy_read() {
    let template = expanded_template(&project_template());
    let functions: BTreeSet<&String> = template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, _)| name)
        .collect();
    let report = check_template(&template);
    let with_statements: BTreeSet<&String> = functions
        .iter()
        .copied()
        .filter(|name| {
            report
                .statements
                .iter()
                .any(|statement| statement.location.starts_with(&format!("{name} ")))
        })
        .collect();
    assert_eq!(with_statements, functions);
    assert!(functions.len() >= 5, "functions found: {functions:?}");
}

#[test]
fn every_allowlisted_action_is_used_in_the_template() {
    let report = check_template(&expanded_template(&project_template()));
    let used: BTreeSet<String> = report
        .statements
        .iter()
        .flat_map(|statement| items(statement.body.get("Action").unwrap_or(&Value::Null)))
        .filter_map(|action| action.as_str().map(str::to_owned))
        .collect();
    for action in ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS {
        assert!(
            used.contains(*action),
            "{action} is allowlisted but no statement uses it: remove it from the list"
        );
    }
}

/// A one-function template granting `statement` (YAML, indented for the list).
fn function_template(statement: &str) -> String {
    format!(
        "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
{statement}
"
    )
}

#[test]
fn wildcard_grants_are_found() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "every action",
            "            - { Sid: All, Effect: Allow, Action: \"*\", Resource: !Ref Topic }",
            &["Fn statement All allows every action (Action \"*\")"],
        ),
        (
            "a service-wide wildcard",
            "            - { Sid: S3, Effect: Allow, Action: [s3:GetObject, s3:*], Resource: !Sub \"arn:aws:s3:::b/*\" }",
            &["Fn statement S3 allows every action of a service (s3:*)"],
        ),
        (
            "every resource for a scopable action",
            "            - { Sid: Pub, Effect: Allow, Action: sns:Publish, Resource: \"*\" }",
            &[
                "Fn statement Pub allows sns:Publish on every resource (Resource \"*\"), but it can be scoped",
            ],
        ),
        (
            "a wildcard in one branch of !If",
            "            - !If [On, { Sid: Maybe, Effect: Allow, Action: sqs:SendMessage, Resource: \"*\" }, !Ref AWS::NoValue]",
            &[
                "Fn statement Maybe allows sqs:SendMessage on every resource (Resource \"*\"), but it can be scoped",
            ],
        ),
        (
            "a wildcard resource in one branch of !If",
            "            - { Sid: Res, Effect: Allow, Action: ssm:GetParameter, Resource: !If [On, \"*\", !Ref Param] }",
            &[
                "Fn statement Res allows ssm:GetParameter on every resource (Resource \"*\"), but it can be scoped",
            ],
        ),
        (
            "NotAction",
            "            - { Sid: Not, Effect: Allow, NotAction: iam:*, Resource: !Ref Topic }",
            &["Fn statement Not allows with NotAction, which grants everything not listed"],
        ),
        (
            "an allowlisted action beside a scopable one",
            "            - { Sid: Mixed, Effect: Allow, Action: [ec2:DescribeInstances, ec2:TerminateInstances], Resource: \"*\" }",
            &[
                "Fn statement Mixed allows ec2:TerminateInstances on every resource (Resource \"*\"), but it can be scoped",
            ],
        ),
    ];
    for (case, statement, expected) in cases {
        let report = check_template(&load_template(&function_template(statement)));
        assert_eq!(report.findings, *expected, "case: {case}");
    }
}

#[test]
fn least_privilege_grants_pass() {
    let cases: &[(&str, &str)] = &[
        (
            "an action without resource-level permissions on every resource",
            "            - { Sid: Read, Effect: Allow, Action: ec2:DescribeInstances, Resource: \"*\" }",
        ),
        (
            "a prefix wildcard within a service, scoped to one key",
            "            - { Sid: Key, Effect: Allow, Action: [kms:GenerateDataKey*, kms:Decrypt], Resource: !GetAtt Key.Arn }",
        ),
        (
            "a Deny on everything",
            "            - { Sid: Guard, Effect: Deny, Action: \"*\", Resource: \"*\" }",
        ),
    ];
    for (case, statement) in cases {
        let report = check_template(&load_template(&function_template(statement)));
        assert_eq!(report.findings, Vec::<String>::new(), "case: {case}");
        assert_eq!(report.statements.len(), 1, "case: {case}");
    }
}

#[test]
fn managed_and_templated_policies_are_findings() {
    let yaml = "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - AmazonS3FullAccess
        - SQSSendMessagePolicy: { QueueName: q }
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
";
    let report = check_template(&load_template(yaml));
    assert_eq!(
        report.findings,
        vec![
            "Role attaches managed policy \"arn:aws:iam::aws:policy/AdministratorAccess\": grant inline statements instead",
            "Fn uses policy \"AmazonS3FullAccess\": grant inline statements instead, so this test can read them",
            "Fn uses policy {\"SQSSendMessagePolicy\":{\"QueueName\":\"q\"}}: grant inline statements instead, so this test can read them",
        ]
    );
}

#[test]
fn a_role_without_policies_grants_nothing() {
    let yaml = "Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - { Effect: Allow, Principal: { Service: chatbot.amazonaws.com }, Action: sts:AssumeRole }
";
    let report = check_template(&load_template(yaml));
    assert_eq!(report.findings, Vec::<String>::new());
    assert!(report.statements.is_empty(), "{:?}", report.statements);
}

#[test]
fn key_policies_may_let_the_account_administer_the_key_and_nothing_more() {
    let yaml = "Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Sid: Root
            Effect: Allow
            Principal: { AWS: !Sub \"arn:${AWS::Partition}:iam::${AWS::AccountId}:root\" }
            Action: kms:*
            Resource: \"*\"
          - Sid: Service
            Effect: Allow
            Principal: { Service: events.amazonaws.com }
            Action: kms:*
            Resource: \"*\"
";
    let report = check_template(&load_template(yaml));
    assert_eq!(
        report.findings,
        vec!["Key statement Service allows every action of a service (kms:*)"]
    );
}

#[test]
fn a_wildcard_slipped_into_the_real_template_is_found() {
    let template = project_template();
    let widened = template.replacen(
        "Action: [ec2:DescribeInstances, ec2:DescribeTags]\n              Resource: \"*\"",
        "Action: [ec2:DescribeInstances, ec2:DescribeTags, ec2:*]\n              Resource: \"*\"",
        1,
    );
    assert_ne!(
        widened, template,
        "the EC2 alarm creator's ReadInstances statement moved"
    );
    let findings = check_template(&expanded_template(&widened)).findings;
    assert_eq!(
        findings,
        vec![
            "EC2AlarmCreatorFunction statement ReadInstances allows every action of a service (ec2:*)",
            "EC2AlarmCreatorFunction statement ReadInstances allows ec2:* on every resource (Resource \"*\"), but it can be scoped",
        ]
    );
}

#[test]
fn a_wildcard_in_a_for_each_loop_is_found() {
    let yaml = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Resources:
  Fn::ForEach::Queues:
    - Name
    - [First, Second]
    - ${Name}QueuePolicy:
        Type: AWS::SQS::QueuePolicy
        Properties:
          Queues: [{ Ref: !Sub \"${Name}Queue\" }]
          PolicyDocument:
            Statement:
              - { Sid: Send, Effect: Allow, Principal: { Service: events.amazonaws.com }, Action: sqs:*, Resource: !GetAtt [!Sub \"${Name}Queue\", Arn] }
";
    assert_eq!(
        check_template(&expanded_template(yaml)).findings,
        vec![
            "FirstQueuePolicy statement Send allows every action of a service (sqs:*)",
            "SecondQueuePolicy statement Send allows every action of a service (sqs:*)",
        ]
    );
}
