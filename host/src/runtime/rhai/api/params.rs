//! `ctx.params`: a policy's params, read-only and shared by every call, so that reading them
//! copies nothing. A param read from them (`params.tiers`, `params["tiers"]`) is the script's own
//! copy of that one value; a map of all of them is `params.to_map()`.
//!
//! A map here would be copied whole at every `ctx.params` (measured: 33k of the 243k
//! instructions a scorecard call took).

use rhai::{Array, Dynamic, Engine, INT, Map};
use std::sync::Arc;

/// A policy's params, as `ctx.params` and `fn check(params)` give them.
#[derive(Debug, Clone)]
pub struct Params(Arc<Map>);

impl Params {
    /// The params of a policy.
    pub fn new(map: Map) -> Self {
        Self(Arc::new(map))
    }

    /// The param `key`, or `()` when it is not given (as a map gives it).
    fn get(&mut self, key: &str) -> Dynamic {
        self.0.get(key).cloned().unwrap_or(Dynamic::UNIT)
    }
}

/// Reading a param as a map's member is read: `params.name` (Rhai takes a string indexer for a
/// property it has no getter for), `params["name"]`, `"name" in params`, and the map functions
/// that read.
pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Params>("Params")
        .register_indexer_get(Params::get)
        .register_fn("get", Params::get)
        .register_fn("contains", |p: &mut Params, key: &str| p.0.contains_key(key))
        .register_fn("len", |p: &mut Params| INT::try_from(p.0.len()).unwrap_or(INT::MAX))
        .register_fn("keys", |p: &mut Params| -> Array { p.0.keys().map(|k| Dynamic::from(k.clone())).collect() })
        .register_fn("values", |p: &mut Params| -> Array { p.0.values().cloned().collect() })
        .register_fn("to_map", |p: &mut Params| Map::clone(&p.0))
        .register_fn("to_string", |p: &mut Params| Dynamic::from_map(Map::clone(&p.0)).to_string())
        .register_fn("to_debug", |p: &mut Params| format!("{:?}", Dynamic::from_map(Map::clone(&p.0))));
}
