//! `tiered_commission` as a plugin of ABI version 2: [`payplan_standard::tiered_commission`], the same code the host
//! runs natively.

use payplan_sdk::abi::v2::reads;

payplan_sdk::export_rule!(payplan_standard::tiered_commission, reads = reads::SPLIT);
