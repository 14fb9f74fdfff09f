//! `AWS Health Event` and `AWS Health Abuse Event` events, parsed leniently.
