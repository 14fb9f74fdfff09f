//! `make bench`: each release bootstrap run under a local Lambda Runtime
//! API, against moto over TLS, measured from `/proc`. See `main.rs` for
//! what is measured and `docs/performance.md` for the figures.

pub mod moto;
pub mod process;
pub mod runtime_api;
pub mod session;
pub mod stats;
pub mod tls;
