//! `group_pk` as a plugin of ABI version 2: [`payplan_standard::group_pk`], the same code the host
//! runs natively.

payplan_sdk::export_rule!(payplan_standard::group_pk, reads = 0);
