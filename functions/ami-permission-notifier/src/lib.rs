//! Alerts when an AMI or EBS snapshot is made public, shared or unshared, or block public access is disabled.
