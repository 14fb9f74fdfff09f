//! The on-cluster half of idle detection: runs every 5 minutes on the EMR
//! primary node, looks for any person or job using the cluster, and
//! publishes one datapoint (1 = in use, 0 = idle) that the idle EMR
//! terminator's custom-metric mode reads.
//!
//! observe ([`checks`], each check on its own) → decide ([`decide`], pure)
//! → publish ([`report`]).

pub mod checks;
pub mod config;
pub mod decide;
pub mod http;
pub mod report;

pub use report::{Report, ReportError, Reporter};
