//! `manager_override` as a plugin of ABI version 2: [`payplan_standard::manager_override`], the same code the host
//! runs natively.

payplan_sdk::export_rule!(payplan_standard::manager_override, reads = 0);
