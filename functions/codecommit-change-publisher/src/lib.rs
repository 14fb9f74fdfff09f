//! Publishes every commit, author and file change of a CodeCommit push.
