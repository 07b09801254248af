//! `excess_pool` as a plugin of ABI version 2: [`payplan_standard::excess_pool`], the same code the host
//! runs natively.

payplan_sdk::export_rule!(payplan_standard::excess_pool, reads = 0);
