//! Cross-cutting tests live in this package, one file each: `publisher.rs`
//! (the shared SNS publisher), `idempotency.rs` (the DynamoDB guard),
//! `iam.rs` (least privilege in `template.yaml`), `faults.rs` (AWS failures
//! injected in front of moto), `malformed.rs` (hostile events) and `logs.rs`
//! (what the logs may carry). Each function keeps its own integration tests
//! in `functions/<name>/tests/`.
