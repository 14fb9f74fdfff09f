//! CloudTrail `AWS API Call via CloudTrail` events (AMI and snapshot permission changes).
