//! The standard policies (`../shared/spec/policies.md`) in Rust, each to the cent what its script
//! in `policies/` pays, written once against [`View`](payplan_sdk::view::View): the host runs them
//! natively over its facts (the engine benchmark's floor), and each plugin crate beside this one
//! exports one of them as a WASM plugin of ABI version 2.
//!
//! A rule checks its params as the script's `check` does and fails with a message that names the
//! param.

mod bonus;
mod commission;
mod excess;
mod manager_override;
mod mentor;
mod pk;
mod rate_table;
mod scorecard;
mod team;

pub use bonus::performance_bonus;
pub use commission::tiered_commission;
pub use excess::excess_pool;
pub use manager_override::manager_override;
pub use mentor::mentor_bonus;
pub use pk::group_pk;
pub use rate_table::rate_table;
pub use scorecard::scorecard;
pub use team::team_bonus;

use payplan_sdk::view::{Paid, Rule, View, Who};
use rust_decimal::Decimal;

/// The standard policies, by their scripts' names (`policies/<name>.rhai`), in the order of
/// policies.md; each plugin crate is named so too.
pub const NAMES: [&str; 9] = [
    "tiered_commission",
    "excess_pool",
    "team_bonus",
    "mentor_bonus",
    "group_pk",
    "scorecard",
    "performance_bonus",
    "manager_override",
    "rate_table",
];

/// The rule of the standard policy whose script is `policies/<name>.rhai`.
pub fn rule<V: View>(name: &str) -> Option<Rule<V>> {
    let rule: Rule<V> = match name {
        "tiered_commission" => tiered_commission,
        "excess_pool" => excess_pool,
        "team_bonus" => team_bonus,
        "mentor_bonus" => mentor_bonus,
        "group_pk" => group_pk,
        "scorecard" => scorecard,
        "performance_bonus" => performance_bonus,
        "manager_override" => manager_override,
        "rate_table" => rate_table,
        _ => return None,
    };
    Some(rule)
}

/// Every participant's lines, made by `f` (in parallel on the host), in participant order.
fn each<V: View>(view: &V, f: impl Fn(Who) -> Result<Vec<Paid>, String> + Sync + Send) -> Result<Vec<Paid>, String> {
    let lines = view.each(f);
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        out.extend(l?);
    }
    Ok(out)
}

/// A list param's items as maps, each with a number under `key`: the message says what the list
/// must hold.
fn numbers(items: &[serde_json::Value], key: &str, what: &str) -> Result<Vec<Decimal>, String> {
    items
        .iter()
        .map(|item| item.get(key).and_then(payplan_sdk::view::decimal).ok_or_else(|| what.to_string()))
        .collect()
}
