//! Cross-cutting tests live in this package; see `publisher.rs`. Each function keeps its own integration tests in `functions/<name>/tests/`.
