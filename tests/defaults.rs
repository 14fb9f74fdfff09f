//! Defaults agree: a setting's default is written in three places, the
//! template parameter's `Default`, the function's Rust code (used when the
//! variable is unset) and the settings table of its manual. These tests read
//! all three and fail, naming the parameter, when they differ.
//!
//! - Each function's configuration is built twice, once from the required
//!   settings alone and once with every variable the template sets from a
//!   parameter at that parameter's `Default`; the two must be equal.
//! - Every template parameter must be documented once, in the README's
//!   shared table or a manual's `## Settings` table, with the template's
//!   default.
//! - A parameter no function reads (the template alone uses it) is listed in
//!   [`TEMPLATE_ONLY`] with the reason.
//!
//! The template is read as CloudFormation deploys it, its `Fn::ForEach` loop
//! expanded (`expanded.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value as Yaml;
use watchkeeper_shared::config::{ConfigError, EnvReader};

mod expanded;

/// Template parameters that no function reads as an environment variable,
/// so they have no Rust default to agree with; only the documented default
/// is checked for them.
const TEMPLATE_ONLY: &[(&str, &str)] = &[
    ("AlertEmail", "the topics' email subscriptions"),
    ("AlertPhoneNumber", "the critical topic's SMS subscription"),
    ("Architecture", "the functions' CPU architecture"),
    (
        "LogLevel",
        "Lambda's LoggingConfig; Lambda sets AWS_LAMBDA_LOG_LEVEL from it",
    ),
    ("LogRetentionDays", "the log groups' retention"),
    ("ChatSlackWorkspaceId", "the Slack channel configuration"),
    ("ChatSlackChannelId", "the Slack channel configuration"),
    ("ChatTeamsTenantId", "the Teams channel configuration"),
    ("ChatTeamsTeamId", "the Teams channel configuration"),
    ("ChatTeamsChannelId", "the Teams channel configuration"),
    (
        "SpokeOrganizationalUnitIds",
        "the spoke StackSet's deployment targets",
    ),
    ("SpokeRegions", "the spoke StackSet's regions"),
    (
        "SpokeStackSetCallAs",
        "whom the spoke StackSet is created as",
    ),
    (
        "ChatMinimumSeverity",
        "the topics the chat channels subscribe to",
    ),
    (
        "AlarmSweepSchedule",
        "the schedule of the EC2 alarm creator's sweep rule",
    ),
    (
        "IdleEmrSweepSchedule",
        "the schedule of the idle EMR terminator's sweep rule",
    ),
    (
        "IdleEmrAlarmNamePrefix",
        "the filter of the idle EMR terminator's alarm rule",
    ),
];

/// Settings every function requires and no parameter sets: the stack's own
/// resources and account, and the region Lambda sets.
const REQUIRED: &[(&str, &str)] = &[
    (
        "WARNING_TOPIC_ARN",
        "arn:aws:sns:eu-west-1:123456789012:warning",
    ),
    (
        "CRITICAL_TOPIC_ARN",
        "arn:aws:sns:eu-west-1:123456789012:critical",
    ),
    ("IDEMPOTENCY_TABLE", "watchkeeper-idempotency"),
    ("HOME_ACCOUNT_ID", "123456789012"),
    ("AWS_REGION", "eu-west-1"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn template() -> Yaml {
    let json = expanded::expand(&read(&root().join("template.yaml")));
    serde_yaml_ng::from_str(&json).expect("expand.py prints JSON")
}

/// A scalar as the text CloudFormation would pass (`50`, `true`, `""`).
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Number(number) => Some(number.to_string()),
        Yaml::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Each parameter's `Default`, as text.
fn parameter_defaults(template: &Yaml) -> BTreeMap<String, String> {
    let parameters = template
        .get("Parameters")
        .and_then(Yaml::as_mapping)
        .expect("template.yaml has Parameters");
    parameters
        .iter()
        .map(|(name, parameter)| {
            let name = name
                .as_str()
                .expect("parameter names are strings")
                .to_owned();
            let default = parameter
                .get("Default")
                .and_then(scalar)
                .unwrap_or_else(|| panic!("parameter {name} has no scalar Default"));
            (name, default)
        })
        .collect()
}

/// The parameter a variable is set from: `!Ref Name` or `{Ref: Name}`.
fn referenced_parameter(value: &Yaml) -> Option<String> {
    match value {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_owned),
        Yaml::Mapping(mapping) if mapping.len() == 1 => {
            mapping.get("Ref").and_then(Yaml::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// Per function binary: each environment variable set from a parameter, and
/// that parameter's name.
fn function_parameters(template: &Yaml) -> BTreeMap<String, BTreeMap<String, String>> {
    let resources = template
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .expect("template.yaml has Resources");
    let mut functions = BTreeMap::new();
    for (name, resource) in resources {
        if resource.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource
            .get("Metadata")
            .and_then(|metadata| metadata.get("BuildProperties"))
            .and_then(|properties| properties.get("Binary"))
            .and_then(Yaml::as_str)
            .unwrap_or_else(|| panic!("{name:?} has no Metadata.BuildProperties.Binary"));
        let variables = resource
            .get("Properties")
            .and_then(|properties| properties.get("Environment"))
            .and_then(|environment| environment.get("Variables"))
            .and_then(Yaml::as_mapping);
        let from_parameters = variables
            .into_iter()
            .flatten()
            .filter_map(|(variable, value)| {
                Some((variable.as_str()?.to_owned(), referenced_parameter(value)?))
            })
            .collect();
        functions.insert(binary.to_owned(), from_parameters);
    }
    functions
}

fn env(pairs: &HashMap<String, String>) -> EnvReader {
    let mut vars: HashMap<String, String> = REQUIRED
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    vars.extend(pairs.clone());
    EnvReader::from_map(vars)
}

/// The configuration read from the required settings alone must equal the
/// one read with the template's defaults set.
fn compare<C: PartialEq + Debug>(
    from_env: impl Fn(EnvReader) -> Result<C, ConfigError>,
    template_defaults: &HashMap<String, String>,
) -> Result<(), String> {
    let rust = from_env(env(&HashMap::new()))
        .map_err(|error| format!("the Rust defaults are not a valid configuration: {error}"))?;
    let template = from_env(env(template_defaults))
        .map_err(|error| format!("the template defaults are rejected: {error}"))?;
    if rust == template {
        Ok(())
    } else {
        let sorted: BTreeMap<_, _> = template_defaults.iter().collect();
        Err(format!(
            "the template defaults {sorted:?} give\n{template:#?}\nbut the Rust defaults give\n{rust:#?}"
        ))
    }
}

/// Reads one function's configuration; a new function needs its arm here.
fn agrees(binary: &str, template_defaults: &HashMap<String, String>) -> Result<(), String> {
    match binary {
        // The alarm definitions themselves may need an SSM read; the settings
        // hold everything the environment gives.
        "ec2-alarm-creator" => compare(
            ec2_alarm_creator::config::Settings::from_env,
            template_defaults,
        ),
        "ami-permission-notifier" => compare(
            ami_permission_notifier::config::Config::from_env,
            template_defaults,
        ),
        "idle-emr-terminator" => compare(
            idle_emr_terminator::config::Config::from_env,
            template_defaults,
        ),
        "codecommit-change-publisher" => compare(
            codecommit_change_publisher::config::Config::from_env,
            template_defaults,
        ),
        "health-event-forwarder" => compare(
            health_event_forwarder::config::Config::from_env,
            template_defaults,
        ),
        other => Err(format!(
            "no configuration reader for function {other}: add its arm to `agrees` in tests/defaults.rs"
        )),
    }
}

#[test]
fn template_defaults_equal_the_rust_defaults() {
    let template = template();
    let defaults = parameter_defaults(&template);
    let functions = function_parameters(&template);
    assert_eq!(
        functions.len(),
        5,
        "functions in template.yaml: {functions:?}"
    );
    let mut problems = Vec::new();
    for (binary, variables) in &functions {
        let template_defaults: HashMap<String, String> = variables
            .iter()
            .map(|(variable, parameter)| {
                let default = defaults
                    .get(parameter)
                    .unwrap_or_else(|| panic!("{binary}: {variable} refers to no parameter"));
                (variable.clone(), default.clone())
            })
            .collect();
        assert!(
            !template_defaults.is_empty(),
            "{binary}: no variable set from a parameter"
        );
        if let Err(problem) = agrees(binary, &template_defaults) {
            problems.push(format!("{binary}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_parameter_is_read_by_a_function_or_listed_as_template_only() {
    let template = template();
    let defaults = parameter_defaults(&template);
    let read: BTreeSet<String> = function_parameters(&template)
        .into_values()
        .flat_map(BTreeMap::into_values)
        .collect();
    let template_only: BTreeSet<String> = TEMPLATE_ONLY
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    for name in defaults.keys() {
        assert!(
            read.contains(name) != template_only.contains(name),
            "{name}: a parameter is either read by a function (its default checked against Rust) or in TEMPLATE_ONLY, not both or neither"
        );
    }
    for name in &template_only {
        assert!(
            defaults.contains_key(name),
            "TEMPLATE_ONLY names {name}, which is no template parameter"
        );
    }
}

/// A documented default as the template would write it: `` `50` `` is
/// `50`, `*(empty)*` and `*(empty: all)*` are empty.
fn documented_default(cell: &str) -> Result<String, String> {
    let cell = cell.trim();
    if let Some((value, _)) = cell.strip_prefix('`').and_then(|rest| rest.split_once('`')) {
        return Ok(value.to_owned());
    }
    if cell.starts_with("*(empty") {
        return Ok(String::new());
    }
    Err(format!(
        "cannot read the default {cell:?}: write `value` or *(empty)*"
    ))
}

/// Every `| Parameter | Variable | Default | ... |` table row in `text`
/// whose first cell is a parameter name: (parameter, default cell).
fn settings_rows(text: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.first() == Some(&"Parameter") {
            in_table = cells.get(2) == Some(&"Default");
            continue;
        }
        if !in_table {
            continue;
        }
        let name = cells.first().copied().unwrap_or_default();
        if let Some(parameter) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) {
            rows.push((
                parameter.to_owned(),
                cells.get(2).copied().unwrap_or_default().to_owned(),
            ));
        }
    }
    rows
}

fn documentation() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    let mut manuals: Vec<PathBuf> = std::fs::read_dir(root.join("functions"))
        .expect("functions/ is a folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("README.md"))
        .filter(|path| path.is_file())
        .collect();
    manuals.sort();
    files.extend(manuals);
    files
}

#[test]
fn documented_defaults_equal_the_template_defaults() {
    let defaults = parameter_defaults(&template());
    let mut documented: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for path in documentation() {
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (parameter, cell) in settings_rows(&read(&path)) {
            documented
                .entry(parameter)
                .or_default()
                .push((shown.clone(), cell));
        }
    }
    let mut problems = Vec::new();
    for (parameter, default) in &defaults {
        match documented.get(parameter).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "{parameter} is documented in no settings table (README.md or functions/*/README.md)"
            )),
            Some([(file, cell)]) => match documented_default(cell) {
                Ok(value) if value == *default => {}
                Ok(value) => problems.push(format!(
                    "{parameter}: {file} documents the default {value:?}, template.yaml has {default:?}"
                )),
                Err(error) => problems.push(format!("{parameter} in {file}: {error}")),
            },
            Some(many) => problems.push(format!(
                "{parameter} is documented {} times: {many:?}; once is enough",
                many.len()
            )),
        }
    }
    for parameter in documented.keys() {
        if !defaults.contains_key(parameter) {
            problems.push(format!(
                "{parameter} is documented as a template parameter, but template.yaml has none"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_reader_reads_what_the_manuals_write() {
    let text = "\
| Parameter | Variable | Default | Meaning |
|---|---|---|---|
| `A` | `A_VAR` | `50` | a number |
| `B` | — | *(empty: all)* | a list |
| *(the stack's topics)* | `T` | *(created)* | not a parameter |

| Function | Parameters |
|---|---|
| `C` | `D` |
";
    assert_eq!(
        settings_rows(text),
        vec![
            ("A".to_owned(), "`50`".to_owned()),
            ("B".to_owned(), "*(empty: all)*".to_owned()),
        ]
    );
    assert_eq!(documented_default("`50`"), Ok("50".to_owned()));
    assert_eq!(
        documented_default("`rate(15 minutes)`"),
        Ok("rate(15 minutes)".to_owned())
    );
    assert_eq!(documented_default("*(empty: any)*"), Ok(String::new()));
    assert!(documented_default("empty (any)").is_err());
}
