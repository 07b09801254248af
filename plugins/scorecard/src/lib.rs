//! `scorecard` as a plugin of ABI version 2: [`payplan_standard::scorecard`], the same code the host
//! runs natively.

payplan_sdk::export_rule!(payplan_standard::scorecard, reads = 0);
