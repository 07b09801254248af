//! The Rhai runtime: scripts with exact decimals (no floats), ordered maps, no clock, no
//! randomness, no file or module access, and every limit set explicitly.
//!
//! A policy script defines one entry point:
//! - `fn participant(ctx, p)`: called once per participant (by id), in parallel chunks;
//! - `fn team(ctx, t)`: called once per team (by id), in parallel chunks; or
//! - `fn evaluate(ctx)`: called once for the whole period.
//!
//! It may also define `fn check(params)`, called once before the entry point, to reject bad
//! params with `throw`.

pub mod api;
mod budget;

use super::{Env, Output, Policy};
use crate::allocator;
use crate::error::{Error, Limit, Location, Result};
use crate::halt::Halt;
use crate::plan::limits::Limits;
use api::{Ctx, Shared};
use budget::{Call, OVER_BUDGET, OVER_MEMORY, progress};
use rayon::prelude::*;
use rhai::packages::{Package, StandardPackage};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs, Map, Position};
use std::path::PathBuf;
use std::sync::Arc;

/// Participants (or teams) per parallel task: about 64 tasks, at most 512 each. It depends on
/// the count only; the output is concatenated in id order, so it is the same for any chunking
/// and any number of threads.
fn chunk_size(count: usize) -> usize {
    (count / 64).clamp(1, 512)
}

/// Builds the engine every script of a plan runs in.
pub fn engine(limits: &Limits) -> Engine {
    // Rhai's standard library, built once per process: building it for every engine cost more
    // than a small evaluation.
    static STANDARD: std::sync::LazyLock<rhai::Shared<rhai::Module>> =
        std::sync::LazyLock::new(|| StandardPackage::new().as_shared_module());
    let mut engine = Engine::new_raw();
    engine.register_global_module(STANDARD.clone());
    api::register(&mut engine);
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    engine
        .set_max_operations(limits.operations)
        .set_max_call_levels(size(limits.call_depth))
        .set_max_expr_depths(size(limits.expression_depth), size(limits.expression_depth))
        .set_max_string_size(size(limits.string_size))
        .set_max_array_size(size(limits.array_size))
        .set_max_map_size(size(limits.map_size))
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(false)
        .on_progress(progress)
        .on_print(|_| {})
        .on_debug(|_, _, _| {});
    engine.disable_symbol("eval");
    // A curried function pointer carries copies of its arguments, which Rhai's size limits do not
    // see: `f = f.curry(f)` doubles its memory at each step. (Closures cannot capture either:
    // the `no_closure` feature; a captured variable is shared, so a chain of closures could
    // grow without a size limit, and its drop recurse deeper than any stack.)
    engine.disable_symbol("curry");
    engine
}

/// Calls the entry point for each participant or team of a chunk.
const DRIVERS: &str = "
fn __payplan_people(ctx, people) { for p in people { participant(ctx, p); } }
fn __payplan_teams(ctx, teams) { for t in teams { team(ctx, t); } }
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Participant,
    Team,
    Evaluate,
}

/// A compiled script policy.
pub struct RhaiPolicy {
    id: String,
    file: PathBuf,
    engine: Arc<Engine>,
    /// The engine last built for a period's limits, kept for the next period of the same size
    /// (the service evaluates many small periods).
    sized: std::sync::Mutex<Option<(Limits, Arc<Engine>)>>,
    limits: Limits,
    ast: AST,
    entry: Entry,
    has_check: bool,
    params: api::Params,
    params_json: serde_json::Map<String, serde_json::Value>,
    declarations: Vec<crate::plan::params::Declared>,
}

impl RhaiPolicy {
    /// Compiles `text` (from `file`) for the policy `id` with its params.
    pub fn compile(
        id: &str,
        file: PathBuf,
        text: &str,
        params: &serde_json::Map<String, serde_json::Value>,
        engine: Arc<Engine>,
        limits: Limits,
    ) -> Result<Self> {
        let compile_error = |position: Position, message: String| Error::Compile {
            policy: id.into(),
            location: location(&file, position),
            message,
        };
        let ast = engine.compile(text).map_err(|e| compile_error(e.position(), e.err_type().to_string()))?;
        let defines =
            |name: &str, arity: usize| ast.iter_functions().any(|f| f.name == name && f.params.len() == arity);
        let has_check = defines("check", 1);
        let declares = defines("params", 0);
        let entries = [
            (defines("participant", 2), Entry::Participant),
            (defines("team", 2), Entry::Team),
            (defines("evaluate", 1), Entry::Evaluate),
        ];
        const ENTRIES: &str = "fn participant(ctx, p), fn team(ctx, t) or fn evaluate(ctx)";
        let entry = match entries.iter().filter(|(defined, _)| *defined).collect::<Vec<_>>()[..] {
            [(_, entry)] => *entry,
            [] => return Err(compile_error(Position::NONE, format!("defines none of {ENTRIES}"))),
            _ => return Err(compile_error(Position::NONE, format!("defines more than one of {ENTRIES}; keep one"))),
        };
        // One call per chunk: the engine's function caches stay warm across the chunk, where a
        // call per participant or team would start them cold each time.
        let ast = match entry {
            Entry::Participant | Entry::Team => ast.merge(&engine.compile(DRIVERS).expect("the chunk drivers compile")),
            Entry::Evaluate => ast,
        };
        let mut defaults = Vec::new();
        let mut declarations = Vec::new();
        if declares {
            // Script code, so on a thread with the stack the limits are sized for.
            let declared = crate::runtime::on_policy_stack(|| {
                engine.call_fn::<rhai::Array>(&mut rhai::Scope::new(), &ast, "params", ())
            })
            .map_err(|e| compile_error(e.position(), format!("fn params(): {e}")))?;
            for (i, item) in declared.into_iter().enumerate() {
                let (declaration, default) = declaration(item)
                    .map_err(|why| compile_error(Position::NONE, format!("fn params()[{i}]: {why}")))?;
                defaults.extend(default.map(|d| (declaration.name.clone(), d)));
                declarations.push(declaration);
            }
            let problems = crate::plan::params::check(&declarations, params);
            if !problems.is_empty() {
                return Err(Error::Params { policy: id.into(), problems });
            }
        }
        let mut map = Map::new();
        for (key, value) in params {
            let declared_text =
                declarations.iter().any(|d| d.name == *key && d.kind == crate::plan::params::ParamKind::String);
            let text = if declared_text { api::Text::Kept } else { api::Text::Decimal };
            let value = api::from_json(value, text)
                .map_err(|why| compile_error(Position::NONE, format!("params.{key}: {why}")))?;
            map.insert(key.as_str().into(), value);
        }
        for (name, default) in defaults {
            map.entry(name.into()).or_insert(default);
        }
        Ok(Self {
            id: id.into(),
            file,
            engine,
            sized: std::sync::Mutex::default(),
            limits,
            has_check,
            ast,
            entry,
            params: api::Params::new(map),
            params_json: params.clone(),
            declarations,
        })
    }

    /// The params as given in the plan.
    pub fn params(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.params_json
    }

    fn call(&self, engine: &Engine, limits: &Limits, halt: &Halt, name: &str, args: impl FuncArgs) -> Result<()> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let mut scope = rhai::Scope::new();
        let call = Call {
            halt: halt.clone(),
            budget: limits.operations,
            held_before: allocator::held(),
            memory: limits.memory,
        };
        budget::within(call, || engine.call_fn_with_options::<Dynamic>(options, &mut scope, &self.ast, name, args))
            .map(drop)
            .map_err(|e| self.failure(*e, limits, halt))
    }

    fn failure(&self, err: EvalAltResult, limits: &Limits, halt: &Halt) -> Error {
        let mut inner = err;
        while let EvalAltResult::ErrorInFunctionCall(_, _, cause, _) = inner {
            inner = *cause;
        }
        let position = inner.take_position();
        let location = location(&self.file, position);
        let policy = self.id.clone();
        let limit = match inner {
            EvalAltResult::ErrorTooManyOperations(_) => Some((Limit::Operations, limits.operations)),
            EvalAltResult::ErrorStackOverflow(_) => Some((Limit::CallDepth, limits.call_depth)),
            // Rhai names the kind of value in the message: "Length of string", "Size of
            // array/BLOB", "Size of object map".
            EvalAltResult::ErrorDataTooLarge(ref what, _) if what.contains("string") => {
                Some((Limit::StringSize, limits.string_size))
            }
            EvalAltResult::ErrorDataTooLarge(ref what, _) if what.contains("array") => {
                Some((Limit::ArraySize, limits.array_size))
            }
            EvalAltResult::ErrorDataTooLarge(..) => Some((Limit::MapSize, limits.map_size)),
            EvalAltResult::ErrorTerminated(ref token, _) if token.to_string() == OVER_BUDGET => {
                Some((Limit::Operations, limits.operations))
            }
            EvalAltResult::ErrorTerminated(ref token, _) if token.to_string() == OVER_MEMORY => {
                Some((Limit::Memory, limits.memory))
            }
            EvalAltResult::ErrorTerminated(..) => Some((Limit::WallClock, halt.budget_ms())),
            _ => None,
        };
        match (limit, inner) {
            (Some((limit, max)), _) => Error::LimitExceeded { policy, limit, max, location },
            (None, EvalAltResult::ErrorRuntime(value, _)) => {
                Error::Policy { policy, location, message: value.to_string() }
            }
            (None, other) => Error::Policy { policy, location, message: other.to_string() },
        }
    }
}

/// One declaration returned by `fn params()`: `#{ name, kind, required, default, doc }`, and its
/// default value.
fn declaration(item: Dynamic) -> std::result::Result<(crate::plan::params::Declared, Option<Dynamic>), String> {
    let mut map = item.try_cast::<Map>().ok_or("each declaration is a map #{ name, kind, doc, … }")?;
    let text = |map: &mut Map, key: &str| -> std::result::Result<String, String> {
        map.remove(key)
            .and_then(|v| v.into_immutable_string().ok())
            .map(|s| s.to_string())
            .ok_or(format!("`{key}` must be a string"))
    };
    let name = text(&mut map, "name")?;
    let kind_name = text(&mut map, "kind")?;
    let kind = crate::plan::params::ParamKind::parse(&kind_name)
        .ok_or(format!("{name}: kind {kind_name:?} is not one of number, string, bool, list, table, any"))?;
    let doc = text(&mut map, "doc").map_err(|why| format!("{name}: {why} (one line saying what it does)"))?;
    let default = map.remove("default");
    let required = match map.remove("required") {
        None => false,
        Some(flag) => flag.as_bool().map_err(|_| format!("{name}: `required` must be true or false"))?,
    };
    if required && default.is_some() {
        return Err(format!("{name}: a required param has no default"));
    }
    if let Some(key) = map.keys().next() {
        return Err(format!("{name}: unknown key `{key}` (expected name, kind, required, default, doc)"));
    }
    let declared = crate::plan::params::Declared { name, kind, required, doc };
    Ok((declared, default))
}

fn location(file: &std::path::Path, position: Position) -> Location {
    let position =
        position.line().map(|line| crate::error::Position { line, column: position.position().unwrap_or(1) });
    Location { file: file.into(), position }
}

impl Policy for RhaiPolicy {
    fn id(&self) -> &str {
        &self.id
    }

    fn declared(&self) -> &[crate::plan::params::Declared] {
        &self.declarations
    }

    fn location(&self) -> Location {
        location(&self.file, Position::NONE)
    }

    fn run(&self, env: &Env, pool: &rayon::ThreadPool) -> Result<Output> {
        // The budgets grow with the period, so a whole-period script that loops over a million
        // participants is not cut short; they are still the same on every machine.
        let limits = self.limits.for_period(env.facts.participants.len());
        let engine = if limits == self.limits {
            self.engine.clone()
        } else {
            let mut sized = self.sized.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match &*sized {
                Some((built_for, engine)) if *built_for == limits => engine.clone(),
                _ => {
                    let engine = Arc::new(engine(&limits));
                    *sized = Some((limits, engine.clone()));
                    engine
                }
            }
        };
        let engine = &*engine;
        if self.has_check {
            self.call(engine, &limits, &env.halt, "check", (Dynamic::from(self.params.clone()),))?;
        }
        let shared = || Arc::new(Shared { env: Arc::new(env.clone()), params: self.params.clone() });
        let mut output = Output::new(&self.id);
        // How many items, the driver that walks a chunk of them, and the handle of one.
        type Handle = fn(Arc<Env>, usize) -> Dynamic;
        let (count, driver, handle): (usize, &str, Handle) = match self.entry {
            Entry::Evaluate => {
                let ctx = Ctx::new(shared());
                self.call(engine, &limits, &env.halt, "evaluate", (ctx.clone(),))?;
                output.extend(ctx.take());
                return Ok(output);
            }
            Entry::Participant => (env.facts.participants.len(), "__payplan_people", |env, who| {
                Dynamic::from(api::ParticipantRef::new(env, who))
            }),
            Entry::Team => {
                (env.facts.teams.len(), "__payplan_teams", |env, index| Dynamic::from(api::TeamRef::new(env, index)))
            }
        };
        let size = chunk_size(count);
        let chunks: Vec<Result<Output>> = pool.install(|| {
            (0..count.div_ceil(size))
                .into_par_iter()
                .map(|chunk| {
                    let shared = shared();
                    let items: rhai::Array = (chunk * size..((chunk + 1) * size).min(count))
                        .map(|index| handle(shared.env.clone(), index))
                        .collect();
                    let ctx = Ctx::new(shared);
                    self.call(engine, &limits, &env.halt, driver, (ctx.clone(), items))?;
                    Ok(ctx.take())
                })
                .collect()
        });
        for chunk in chunks {
            output.extend(chunk?);
        }
        Ok(output)
    }
}
