//! `team_bonus` as a plugin of ABI version 2: [`payplan_standard::team_bonus`], the same code the host
//! runs natively.

payplan_sdk::export_rule!(payplan_standard::team_bonus, reads = 0);
