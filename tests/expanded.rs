//! `template.yaml` as CloudFormation deploys it: its `Fn::ForEach` loop
//! (AWS::LanguageExtensions) expanded by `tests/template/expand.py`, which
//! runs SAM CLI's own expansion in the project's Python (`WATCHKEEPER_PYTHON`,
//! else `.venv/bin/python`, as for moto).

use std::io::Write;
use std::process::{Command, Stdio};

/// The template given as YAML, expanded, as JSON text.
pub fn expand(yaml: &str) -> String {
    let python = testbed::python();
    let script = testbed::workspace_root().join("tests/template/expand.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {} (run `make setup`, or set WATCHKEEPER_PYTHON): {error}",
                python.display()
            )
        });
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(yaml.as_bytes())
        .expect("expand.py reads the template");
    let output = child.wait_with_output().expect("expand.py runs");
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("expand.py prints UTF-8")
}
