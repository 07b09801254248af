//! How long each hostile policy runs before its limit stops it, at the default limits, on a
//! period of 20 participants (`cargo bench --bench hostile`). Every case must fail with the
//! limit named beside it, or the run fails. The tests (`tests/it/hostile*.rs`) check each limit
//! as a pair; this says what the defaults cost.

// The allocator the `payplan` binary uses: it counts what a script holds (its memory limit).
#[global_allocator]
static GLOBAL: payplan::allocator::Counting = payplan::allocator::Counting;

use payplan::error::Limit;
use payplan::eval::CompiledPlan;
use payplan::runtime::thread_pool;
use payplan::{Error, input, plan};
use std::time::Instant;

/// A case: its name, the limit that must stop it, and its script (`.rhai`) or module (`.wat`).
const CASES: [(&str, Limit, &str, &str); 12] = [
    ("endless loop", Limit::Operations, "rhai", "fn evaluate(ctx) { loop { } }"),
    ("deep recursion", Limit::CallDepth, "rhai", "fn down(n) { down(n + 1) } fn evaluate(ctx) { down(0); }"),
    (
        "anonymous recursion",
        Limit::CallDepth,
        "rhai",
        "fn evaluate(ctx) { let f = |f, n| f.call(f, n + 1); f.call(f, 0); }",
    ),
    ("string doubling", Limit::StringSize, "rhai", "fn evaluate(ctx) { let s = \"x\"; loop { s += s; } }"),
    ("list by push", Limit::Operations, "rhai", "fn evaluate(ctx) { let a = []; loop { a.push(1); } }"),
    ("list by +=", Limit::ArraySize, "rhai", "fn evaluate(ctx) { let a = []; loop { a += 1; } }"),
    (
        "map in a loop",
        Limit::Memory,
        "rhai",
        "fn evaluate(ctx) { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }",
    ),
    ("nested lists", Limit::ArraySize, "rhai", "fn evaluate(ctx) { let a = []; loop { a = [a]; } }"),
    ("nested maps", Limit::MapSize, "rhai", "fn evaluate(ctx) { let m = #{}; loop { m = #{ inner: m }; } }"),
    (
        "flood of lines",
        Limit::Memory,
        "rhai",
        "fn evaluate(ctx) { let p = ctx.participants[0]; let i = 0; loop { ctx.pay(p, `c${i}`, 1); i += 1; } }",
    ),
    ("plugin: endless loop", Limit::Fuel, "wat", "(loop $l (br $l))"),
    (
        "plugin: memory bomb",
        Limit::Memory,
        "wat",
        "(loop $l (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l))",
    ),
];

/// A module speaking ABI v1 whose `payplan_evaluate` runs `body`.
fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (memory (export "memory") 2)
  (func (export "payplan_abi_version") (result i32) i32.const 1)
  (func (export "payplan_alloc") (param i32) (result i32) i32.const 8192)
  (func (export "payplan_evaluate") (param i32 i32) (result i64) {body} i64.const 0))"#
    ))
    .expect("the module is valid WAT")
}

fn main() {
    payplan::allocator::keep_freed_memory();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut period = Vec::new();
    payplan::input::generate::write_period(
        &mut period,
        payplan::input::generate::Shape { participants: 20, deals_per: 20, seed: 1 },
    )
    .unwrap();
    let pool = thread_pool(0);
    println!("{:<22} {:<12} {:>9}  error", "case", "limit", "seconds");
    for (name, limit, kind, code) in CASES {
        let file = dir.path().join(format!("bad.{}", if kind == "rhai" { "rhai" } else { "wasm" }));
        match kind {
            "rhai" => std::fs::write(&file, code).unwrap(),
            _ => std::fs::write(&file, module(code)).unwrap(),
        }
        let source = if kind == "rhai" { "script" } else { "plugin" };
        let text = format!(
            "id = \"h\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"bad\"\n{source} = \"{}\"\n",
            file.display()
        );
        let plan = plan::parse(&dir.path().join("plan.toml"), &text, |p| std::fs::read(p).map_err(|e| e.to_string()))
            .expect("the plan is valid");
        let input = pool.install(|| input::parse_period(&period)).expect("the period is valid");
        let compiled = CompiledPlan::new(plan).expect("the policy compiles");
        let started = Instant::now();
        let result = compiled.evaluate(input, &pool);
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Err(err @ Error::LimitExceeded { limit: broke, .. }) if broke == limit => {
                println!("{name:<22} {:<12} {seconds:>9.3}  {err}", limit.to_string());
            }
            other => panic!("{name}: expected the {limit} limit, got {:?}", other.map(|r| r.payouts.len())),
        }
    }
}
