//! `scorecard` as a plugin of ABI version 2: [`payplan_standard::scorecard`], the same code the host
//! runs natively.

use payplan_sdk::abi::v2::reads;

payplan_sdk::export_rule!(payplan_standard::scorecard, reads = reads::SPLIT);
