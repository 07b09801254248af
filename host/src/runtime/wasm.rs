//! The WASM runtime: plugins run in wasmtime with no imports at all (no WASI: no clock, no
//! randomness, no files, no network), NaNs canonicalised, and fuel, memory and reply-size limits.
//! The contract is `payplan_sdk::abi`: version 1 (JSON in and out) and version 2 (the facts in a
//! binary encoding the guest reads in place, `payplan_sdk::abi::v2`).
//!
//! Modules compile once per process, keyed by the SHA-256 of their bytes; each evaluation
//! instantiates a fresh instance from a pre-linked `InstancePre`, so nothing carries over from
//! one evaluation to the next and a plugin that failed leaves no trace.

mod view;

use super::native::{FactsView, output};
use super::{Env, Output, Policy};
use crate::error::{Error, Limit, Location, Result};
use crate::facts::Facts;
use crate::halt::Halt;
use crate::plan::limits::Limits;
use payplan_sdk::abi::{self, ABI_VERSION, Reply, v2};
use payplan_sdk::view::{Out, Scored};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, ExternType, InstancePre, Linker, Module, ResourceLimiter, Store, Trap, UpdateDeadline, ValType,
};

/// How often a running plugin looks at its [`Halt`] (an epoch tick).
const TICK: Duration = Duration::from_millis(10);

/// The process's wasmtime engine: fuel metering on, NaNs canonical, SIMD deterministic, and
/// epochs ticked by a thread of its own (the wall-clock backstop).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true);
        let engine = Engine::new(&config).expect("the wasmtime configuration is valid");
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name("payplan-epoch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(TICK);
                    ticking.increment_epoch();
                }
            })
            .expect("the epoch thread starts");
        engine
    })
}

/// Compiles a module, once per process for the same bytes.
fn module(bytes: &[u8]) -> std::result::Result<Module, String> {
    static MODULES: OnceLock<Mutex<HashMap<String, Module>>> = OnceLock::new();
    let key = crate::hash::sha256(bytes);
    let cache = MODULES.get_or_init(Default::default);
    if let Some(module) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(module.clone());
    }
    let module = Module::new(engine(), bytes).map_err(|e| format!("not a valid WASM module: {e}"))?;
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
    Ok(module)
}

/// Per-instance state: the memory limiter, which remembers that it refused a growth, and the
/// call's [`Halt`], which remembers that it stopped the call.
struct Host {
    memory: usize,
    refused: bool,
    /// The fuel the call was given.
    fuel: u64,
    halt: Halt,
    halted: bool,
}

impl ResourceLimiter for Host {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory;
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A loaded plugin.
pub struct WasmPolicy {
    id: String,
    file: PathBuf,
    pre: InstancePre<Host>,
    /// The ABI version it speaks: 1 or 2.
    version: u32,
    /// Whether the plugin reads the earlier policies' output (`payplan_reads_earlier`).
    reads_earlier: bool,
    /// Version 2: the sections it reads (`payplan_reads`).
    reads: u32,
    limits: Limits,
    params: serde_json::Map<String, serde_json::Value>,
    /// The params as JSON, as version 2 sends them.
    params_json: Vec<u8>,
}

impl WasmPolicy {
    /// Compiles (or takes from the cache) the module, checks that it imports nothing, exports
    /// the ABI, and speaks [`ABI_VERSION`].
    pub fn load(
        id: &str,
        file: PathBuf,
        bytes: &[u8],
        params: &serde_json::Map<String, serde_json::Value>,
        limits: Limits,
    ) -> Result<Self> {
        let refuse = |message: String| Error::Compile {
            policy: id.into(),
            location: Location { file: file.clone(), position: None },
            message,
        };
        let module = module(bytes).map_err(refuse)?;
        if let Some(import) = module.imports().next() {
            return Err(refuse(format!(
                "imports `{}::{}`; a plugin may import nothing (no WASI, clock, randomness, files or network)",
                import.module(),
                import.name()
            )));
        }
        check_exports(&module).map_err(refuse)?;
        let pre = Linker::new(engine()).instantiate_pre(&module).map_err(|e| refuse(e.to_string()))?;
        let params_json = serde_json::to_vec(params).expect("params always serialise");
        let mut policy = Self {
            id: id.into(),
            file: file.clone(),
            pre,
            version: ABI_VERSION,
            reads_earlier: true,
            reads: 0,
            limits,
            params: params.clone(),
            params_json,
        };
        let (mut store, instance) = policy.instantiate(policy.limits.fuel, policy.limits.memory, &Halt::never())?;
        let mut ask = |name: &str| {
            instance
                .get_typed_func::<(), u32>(&mut store, name)
                .and_then(|f| f.call(&mut store, ()))
                .map_err(|e| policy.failure(e, &store))
        };
        let version = ask(abi::exports::ABI_VERSION)?;
        match version {
            ABI_VERSION if module.get_export(abi::exports::READS_EARLIER).is_some() => {
                policy.reads_earlier = ask(abi::exports::READS_EARLIER)? != 0;
            }
            ABI_VERSION => {}
            v2::VERSION => {
                check_func(&module, v2::READS, &[], &[ValType::I32]).map_err(refuse)?;
                policy.reads = ask(v2::READS)?;
            }
            _ => {
                return Err(refuse(format!(
                    "speaks plugin ABI version {version}; this host speaks versions {ABI_VERSION} and {}",
                    v2::VERSION
                )));
            }
        }
        policy.version = version;
        Ok(policy)
    }

    fn location(&self) -> Location {
        Location { file: self.file.clone(), position: None }
    }

    fn instantiate(&self, fuel: u64, memory: u64, halt: &Halt) -> Result<(Store<Host>, wasmtime::Instance)> {
        let memory = usize::try_from(memory).unwrap_or(usize::MAX);
        let host = Host { memory, refused: false, fuel, halt: halt.clone(), halted: false };
        let mut store = Store::new(engine(), host);
        store.limiter(|host| host);
        store.set_fuel(fuel).expect("fuel is enabled");
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut store| {
            let host = store.data_mut();
            host.halted = host.halt.is_due();
            Ok(if host.halted { UpdateDeadline::Interrupt } else { UpdateDeadline::Continue(1) })
        });
        let instance = self.pre.instantiate(&mut store).map_err(|e| self.failure(e, &store))?;
        Ok((store, instance))
    }

    fn failure(&self, err: wasmtime::Error, store: &Store<Host>) -> Error {
        let (policy, location) = (self.id.clone(), self.location());
        if store.data().halted {
            let max = store.data().halt.budget_ms();
            return Error::LimitExceeded { policy, limit: Limit::WallClock, max, location };
        }
        if let Some(Trap::OutOfFuel) = err.downcast_ref::<Trap>() {
            return Error::LimitExceeded { policy, limit: Limit::Fuel, max: store.data().fuel, location };
        }
        if store.data().refused {
            return Error::LimitExceeded { policy, limit: Limit::Memory, max: store.data().memory as u64, location };
        }
        let message = match err.downcast_ref::<Trap>() {
            Some(trap) => format!("the plugin trapped: {trap}"),
            None => format!("the plugin failed: {err:#}"),
        };
        Error::Policy { policy, location, message }
    }

    fn garbage(&self, why: String) -> Error {
        Error::Policy { policy: self.id.clone(), location: self.location(), message: why }
    }

    /// One call with this much fuel and memory: the input in (its parts one after the other), the
    /// reply's bytes out.
    fn call(&self, input: &[&[u8]], fuel: u64, memory: u64, halt: &Halt) -> Result<Vec<u8>> {
        let (mut store, instance) = self.instantiate(fuel, memory, halt)?;
        let fail = |e, store: &Store<Host>| self.failure(e, store);
        let memory = instance
            .get_memory(&mut store, abi::exports::MEMORY)
            .ok_or_else(|| self.garbage("the plugin has no memory".into()))?;
        let alloc =
            instance.get_typed_func::<u32, u32>(&mut store, abi::exports::ALLOC).map_err(|e| fail(e, &store))?;
        let evaluate = instance
            .get_typed_func::<(u32, u32), u64>(&mut store, abi::exports::EVALUATE)
            .map_err(|e| fail(e, &store))?;
        let total: usize = input.iter().map(|part| part.len()).sum();
        let len = u32::try_from(total).map_err(|_| self.garbage("the input is larger than 4 GiB".into()))?;
        let ptr = alloc.call(&mut store, len).map_err(|e| fail(e, &store))?;
        let mut at = ptr as usize;
        for part in input {
            memory
                .write(&mut store, at, part)
                .map_err(|_| self.garbage(format!("payplan_alloc returned {ptr}, outside the plugin's memory")))?;
            at += part.len();
        }
        let packed = evaluate.call(&mut store, (ptr, len)).map_err(|e| fail(e, &store))?;
        let (at, size) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        if size as u64 > self.limits.output_size {
            let (policy, location) = (self.id.clone(), self.location());
            return Err(Error::LimitExceeded {
                policy,
                limit: Limit::OutputSize,
                max: self.limits.output_size,
                location,
            });
        }
        let bytes = memory.data(&store).get(at..at + size).ok_or_else(|| {
            self.garbage(format!("the reply ({size} bytes at {at}) lies outside the plugin's memory"))
        })?;
        Ok(bytes.to_vec())
    }
}

/// The module must export the function `name` with these types.
fn check_func(module: &Module, name: &str, params: &[ValType], results: &[ValType]) -> std::result::Result<(), String> {
    let signature = |p: &[ValType], r: &[ValType]| format!("({p:?}) -> {r:?}");
    match module.get_export(name) {
        Some(ExternType::Func(f)) => {
            let (p, r): (Vec<ValType>, Vec<ValType>) = (f.params().collect(), f.results().collect());
            let same =
                |a: &[ValType], b: &[ValType]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ValType::eq(x, y));
            if same(&p, params) && same(&r, results) {
                Ok(())
            } else {
                Err(format!("exports `{name}` as {}, not {}", signature(&p, &r), signature(params, results)))
            }
        }
        _ => Err(format!(
            "does not export the function `{name}` (is it built with payplan_sdk::export_policy! or export_rule!?)"
        )),
    }
}

/// The module must export `memory` and the three ABI functions with their types.
fn check_exports(module: &Module) -> std::result::Result<(), String> {
    let func = |name: &str, params: &[ValType], results: &[ValType]| check_func(module, name, params, results);
    if !matches!(module.get_export(abi::exports::MEMORY), Some(ExternType::Memory(_))) {
        return Err("does not export its `memory`".into());
    }
    func(abi::exports::ABI_VERSION, &[], &[ValType::I32])?;
    func(abi::exports::ALLOC, &[ValType::I32], &[ValType::I32])?;
    if module.get_export(abi::exports::READS_EARLIER).is_some() {
        func(abi::exports::READS_EARLIER, &[], &[ValType::I32])?;
    }
    func(abi::exports::EVALUATE, &[ValType::I32, ValType::I32], &[ValType::I64])
}

impl Policy for WasmPolicy {
    fn id(&self) -> &str {
        &self.id
    }

    fn location(&self) -> Location {
        self.location()
    }

    fn run(&self, env: &Env, pool: &rayon::ThreadPool) -> Result<Output> {
        let limits = self.limits.for_period(env.facts.participants.len());
        if self.version == v2::VERSION {
            return self.run_v2(env, pool, limits);
        }
        let input = serde_json::to_vec(&view::policy_input(&self.id, &self.params, self.reads_earlier, env))
            .expect("the input always serialises");
        let reply = self.call(&[&input], limits.fuel, limits.memory, &env.halt)?;
        decode_reply(&self.id, &reply, &env.facts).map_err(|why| self.garbage(why))
    }
}

/// The number of calls a [`split`](v2::reads::SPLIT) plugin is run in, at once, for a period of
/// `n` participants: a fixed number, so the result and the limits each call meets do not depend
/// on the machine's threads. Each call holds all the facts: more calls, more copies of them.
fn parts(n: usize) -> usize {
    if n < SPLIT_FROM { 1 } else { 2 }
}

/// A period smaller than this is one call.
const SPLIT_FROM: usize = 10_000;

impl WasmPolicy {
    /// A version 2 call (or, split, several at once on `pool`): the facts encoded once per
    /// evaluation, the head per call, the replies joined in participant order.
    fn run_v2(&self, env: &Env, pool: &rayon::ThreadPool, limits: Limits) -> Result<Output> {
        let view = FactsView::new(env);
        let deals = self.reads & v2::reads::DEALS != 0;
        let facts = env.facts.encoded.0[usize::from(deals)].get_or_init(|| v2::encode_facts(&view, deals));
        let facts = facts.as_ref().map_err(|why| self.garbage(why.clone()))?;
        let earlier: Vec<&str> = env.earlier.iter().map(|o| o.policy.as_str()).collect();
        let n = env.facts.participants.len();
        let parts = if self.reads & v2::reads::SPLIT != 0 { parts(n) } else { 1 };
        let call = |k: usize| -> Result<Out> {
            let emit = n * k / parts..n * (k + 1) / parts;
            let head = v2::encode_head(&view, self.reads, emit, &self.params_json, &earlier);
            let input: Vec<&[u8]> = std::iter::once(head.as_slice()).chain(facts.iter().map(Vec::as_slice)).collect();
            let reply = self.call(&input, limits.fuel, limits.memory, &env.halt)?;
            let out = v2::decode_reply(&reply, n)
                .map_err(|why| self.garbage(format!("the plugin's reply is not valid: {why}")))?;
            out.map_err(|why| self.garbage(why))
        };
        let replies: Vec<Result<Out>> = pool.install(|| (0..parts).into_par_iter().map(call).collect());
        let mut joined = Out::default();
        for reply in replies {
            let reply = reply?;
            joined.lines.extend(reply.lines);
            joined.scores.extend(reply.scores);
        }
        output(&self.id, joined, &env.facts).map_err(|why| self.garbage(why))
    }
}

/// A plugin's reply (JSON bytes) as the policy's output: every participant named by id must be in
/// the period, and none scored twice. A reply that reports a failure is that failure's message.
pub fn decode_reply(policy: &str, bytes: &[u8], facts: &Facts) -> std::result::Result<Output, String> {
    let reply = match serde_json::from_slice(bytes) {
        Ok(Reply::Ok(output)) => output,
        Ok(Reply::Error(message)) => return Err(message),
        Err(e) => return Err(format!("the plugin's reply is not valid: {e}")),
    };
    let who = |id: &str| facts.who(id).ok_or_else(|| format!("emitted a line for unknown participant {id:?}"));
    let mut out = Out::default();
    for l in reply.lines {
        out.pay(who(&l.participant)?, l.component, l.amount, l.explain);
    }
    for s in reply.scores {
        out.scores.push(Scored { who: who(&s.participant)?, score: s.score, grade: s.grade, explain: s.explain });
    }
    output(policy, out, facts)
}
