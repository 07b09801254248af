//! The limits every policy runs under. Counts are the deterministic limits: the same policy on the
//! same input breaks them at the same point on every machine.

use serde::Deserialize;

/// Limits for one policy call. Set in the plan's `[limits]` table; absent keys keep the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Rhai script operations in one call, before the allowance per participant.
    pub operations: u64,
    /// More operations per participant of the period: a whole-period script loops over them.
    pub operations_per_participant: u64,
    /// Depth of nested script function calls.
    pub call_depth: u64,
    /// Depth of nested expressions.
    pub expression_depth: u64,
    /// Bytes in one string.
    pub string_size: u64,
    /// Elements in one array (must hold the period's participants).
    pub array_size: u64,
    /// Entries in one map.
    pub map_size: u64,
    /// WASM fuel for one plugin call (about one unit per instruction), before the allowance per
    /// participant.
    pub fuel: u64,
    /// More fuel per participant of the period: reading the input costs fuel in proportion to
    /// its size.
    pub fuel_per_participant: u64,
    /// Bytes of linear memory a plugin may grow to, before the allowance per participant (a
    /// plugin holds its input; wasm32 caps memory at 4 GiB in any case).
    pub memory: u64,
    /// More memory per participant of the period, in bytes.
    pub memory_per_participant: u64,
    /// Bytes of a plugin's reply.
    pub output_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            operations: 50_000_000,
            operations_per_participant: 5_000,
            call_depth: 64,
            expression_depth: 64,
            string_size: 1 << 20,
            array_size: 10_000_000,
            map_size: 10_000_000,
            fuel: 2_000_000_000,
            fuel_per_participant: 200_000,
            memory: 256 << 20,
            memory_per_participant: 4096,
            output_size: 256 << 20,
        }
    }
}
