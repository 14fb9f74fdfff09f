//! `CodeCommit Repository State Change` events.
