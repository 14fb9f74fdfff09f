//! `make bench`: each release bootstrap run under a local Lambda Runtime
//! API, against moto over TLS, measured from `/proc`. See `main.rs` for
//! what is measured and `docs/performance.md` for the figures.
//!
//! The machinery: [`runtime_api`] (the Lambda Runtime API emulator),
//! [`session`] (one bootstrap process under it), [`process`] (`/proc`),
//! [`moto`] and [`tls`] (moto over TLS with a throw-away CA), [`stats`].
//! What is measured: [`account`] (the emulated account and Lambda's
//! environment), [`scenarios`] (each function's events and what they
//! need), [`measure`] (one scenario, cold to warm), [`scaling`] (calls and
//! time against N), [`cost`] (duration and price by memory size),
//! [`targets`] (the limits checked), [`results`] (`results.json`) and
//! [`report`] (stdout and the tables of `docs/performance.md`).

pub mod account;
pub mod cost;
pub mod measure;
pub mod moto;
pub mod process;
pub mod report;
pub mod results;
pub mod runtime_api;
pub mod scaling;
pub mod scenarios;
pub mod session;
pub mod stats;
pub mod targets;
pub mod tls;
