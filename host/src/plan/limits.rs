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
    /// Elements in one array, nested arrays' included, before the allowance per participant.
    pub array_size: u64,
    /// Entries in one map, nested maps' included, before the allowance per participant.
    pub map_size: u64,
    /// More array elements and map entries per participant of the period: a whole-period script
    /// holds lists of them (`ctx.participants`).
    pub size_per_participant: u64,
    /// WASM fuel for one plugin call (about one unit per instruction), before the allowance per
    /// participant.
    pub fuel: u64,
    /// More fuel per participant of the period: reading the input costs fuel in proportion to
    /// its size.
    pub fuel_per_participant: u64,
    /// Bytes a policy call may hold, before the allowance per participant: a plugin's linear
    /// memory (it holds its input; wasm32 caps memory at 4 GiB in any case), or what a script
    /// call allocates and has not freed (counted by `allocator::Counting`).
    pub memory: u64,
    /// More memory per participant of the period, in bytes.
    pub memory_per_participant: u64,
    /// Bytes of a plugin's reply.
    pub output_size: u64,
}

impl Limits {
    /// The limits for a period of `people` participants: each allowance per participant added to
    /// its base. They depend on the period's size only, so they are the same on every machine.
    pub fn for_period(&self, people: usize) -> Self {
        let people = people as u64;
        let more = |base: u64, each: u64| base.saturating_add(each.saturating_mul(people));
        Self {
            operations: more(self.operations, self.operations_per_participant),
            array_size: more(self.array_size, self.size_per_participant),
            map_size: more(self.map_size, self.size_per_participant),
            fuel: more(self.fuel, self.fuel_per_participant),
            memory: more(self.memory, self.memory_per_participant),
            ..*self
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            operations: 50_000_000,
            operations_per_participant: 5_000,
            call_depth: 64,
            expression_depth: 64,
            string_size: 1 << 20,
            array_size: 10_000,
            map_size: 10_000,
            size_per_participant: 16,
            fuel: 2_000_000_000,
            fuel_per_participant: 200_000,
            memory: 64 << 20,
            memory_per_participant: 4096,
            output_size: 256 << 20,
        }
    }
}
