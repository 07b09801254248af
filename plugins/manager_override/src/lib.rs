//! `manager_override` as a plugin of ABI version 2: [`payplan_standard::manager_override`], the same code the host
//! runs natively.

use payplan_sdk::abi::v2::reads;

payplan_sdk::export_rule!(payplan_standard::manager_override, reads = reads::SPLIT);
