//! `rate_table` as a plugin of ABI version 2: [`payplan_standard::rate_table`], the same code the host
//! runs natively.

use payplan_sdk::abi::v2::reads;

payplan_sdk::export_rule!(payplan_standard::rate_table, reads = reads::DEALS | reads::SPLIT);
