//! Hostile scripts: each limit as a pair, the policy just under it succeeding and just over it
//! failing with its own error that names the policy and the limit. Where the limit is a count the
//! script reaches step by step (operations, call depth, sizes, memory), the pair is found by
//! searching for the least limit the script passes: one less must fail with that limit. Nothing
//! is timed; a hostile script is stopped by counts, or by the wall-clock backstop in its test.

use crate::support::evaluate_at;
use payplan::error::Limit;
use payplan::eval::CompiledPlan;
use payplan::halt::Halt;
use payplan::runtime::thread_pool;
use payplan::{Error, Result, input, plan};
use payplan_sdk::result::EvalResult;
use std::time::Duration;

pub(crate) const PERIOD: &str = r#"{
  "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
  "participants": [ {"id": "a", "target": "100"}, {"id": "b", "target": "100"} ],
  "deals": [ {"id": "d1", "participant": "a", "amount": "150", "closed_on": "2026-03-02"} ]
}"#;

/// A hostile policy's code.
#[derive(Clone, Copy)]
pub(crate) enum Code<'a> {
    /// A Rhai script.
    Script(&'a str),
    /// A WASM module, as WAT.
    Wat(&'a str),
}

/// The plan of one policy `bad` with this code, under these `[limits]` (no allowances per
/// participant, so the numbers are the limits).
fn plan_of(code: Code, limits: &[(&str, u64)]) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let source = match code {
        Code::Script(text) => {
            std::fs::write(dir.path().join("bad.rhai"), text).unwrap();
            "script = \"bad.rhai\""
        }
        Code::Wat(text) => {
            std::fs::write(dir.path().join("bad.wasm"), wat::parse_str(text).unwrap()).unwrap();
            "plugin = \"bad.wasm\""
        }
    };
    let mut table = vec![
        ("operations_per_participant", 0),
        ("size_per_participant", 0),
        ("memory_per_participant", 0),
        ("fuel_per_participant", 0),
    ];
    for (key, value) in limits {
        table.retain(|(k, _)| k != key);
        table.push((key, *value));
    }
    let limits: String = table.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    let text = format!(
        "id = \"h\"\nversion = \"1\"\ncurrency = \"CNY\"\n[limits]\n{limits}[[policy]]\nid = \"bad\"\n{source}\n"
    );
    let file = dir.path().join("plan.toml");
    (dir, file, text)
}

/// Evaluates the policy under these limits.
pub(crate) fn run_code(code: Code, limits: &[(&str, u64)]) -> Result<EvalResult> {
    let (_dir, file, text) = plan_of(code, limits);
    evaluate_at(&file, &text, PERIOD, 2)
}

/// Evaluates the script under these limits.
fn run(script: &str, limits: &[(&str, u64)]) -> Result<EvalResult> {
    run_code(Code::Script(script), limits)
}

/// Evaluates the policy with a wall-clock budget.
pub(crate) fn run_until(code: Code, limits: &[(&str, u64)], budget: Duration) -> Result<EvalResult> {
    let (_dir, file, text) = plan_of(code, limits);
    let plan = plan::parse(&file, &text, |p| std::fs::read(p).map_err(|e| e.to_string()))?;
    let pool = thread_pool(2);
    let input = input::parse_period(PERIOD.as_bytes()).expect("the period is valid");
    CompiledPlan::new(plan)?.evaluate_until(input, &pool, &Halt::after(budget))
}

/// Asserts `result` failed with `limit` at `max`, in a message that names the policy, the limit
/// and the script.
#[track_caller]
pub(crate) fn assert_broke(result: Result<EvalResult>, limit: Limit, max: u64) {
    match result {
        Err(ref err @ Error::LimitExceeded { limit: l, max: m, ref policy, .. }) => {
            assert_eq!((l, m, policy.as_str()), (limit, max, "bad"), "{err}");
            let text = err.to_string();
            assert!(text.contains(&format!("policy `bad` broke the {limit} limit ({max})")), "{text}");
            assert!(text.contains("bad.rhai") || text.contains(".wasm"), "{text}");
        }
        other => panic!("expected the {limit} limit ({max}), got {:?}", other.map(|r| r.payouts.len())),
    }
}

/// The least value of the limit `key` in `range` under which the policy succeeds; one less
/// must break `limit`. Searched by halving: each step is one small evaluation.
pub(crate) fn least_code(code: Code, key: &str, limit: Limit, range: std::ops::Range<u64>) -> u64 {
    let (mut fails, mut passes) = (range.start, range.end);
    assert!(run_code(code, &[(key, passes)]).is_ok(), "{key} = {passes} is not enough for the policy");
    assert!(run_code(code, &[(key, fails)]).is_err(), "{key} = {fails} is already enough");
    while passes - fails > 1 {
        let mid = fails + (passes - fails) / 2;
        if run_code(code, &[(key, mid)]).is_ok() { passes = mid } else { fails = mid }
    }
    assert!(run_code(code, &[(key, passes)]).is_ok());
    assert_broke(run_code(code, &[(key, passes - 1)]), limit, passes - 1);
    passes
}

fn least(script: &str, key: &str, limit: Limit, range: std::ops::Range<u64>) -> u64 {
    least_code(Code::Script(script), key, limit, range)
}

/// Asserts the script fails while it runs with a message containing `why`, and that `fixed`
/// (the same script made honest) succeeds.
#[track_caller]
fn fails_with(script: &str, why: &str, fixed: &str) {
    match run(script, &[]) {
        Err(err @ Error::Policy { .. }) => {
            let text = err.to_string();
            assert!(text.contains("policy `bad` failed") && text.contains("bad.rhai") && text.contains(why), "{text}")
        }
        other => panic!("expected a policy failure with {why:?}, got {:?}", other.map(|r| r.payouts.len())),
    }
    let result = run(fixed, &[]).unwrap();
    assert!(!result.payouts.is_empty(), "the honest script pays");
}

#[test]
fn an_endless_loop_breaks_the_operations_limit_at_its_count() {
    let script = "fn evaluate(ctx) { let i = 0; while i < 1000 { i += 1; } }";
    let needed = least(script, "operations", Limit::Operations, 1..100_000);
    assert!((1000..20_000).contains(&needed), "{needed} operations for 1000 turns");
    assert_broke(run("fn evaluate(ctx) { loop { } }", &[("operations", 100_000)]), Limit::Operations, 100_000);
}

#[test]
fn a_deep_recursion_breaks_the_call_depth() {
    let script = "fn down(n) { if n > 0 { down(n - 1) } } fn evaluate(ctx) { down(30); }";
    let needed = least(script, "call_depth", Limit::CallDepth, 1..200);
    assert!((31..40).contains(&needed), "{needed} levels for a recursion 31 deep");
    let endless = "fn down(n) { down(n + 1) } fn evaluate(ctx) { down(0); }";
    assert_broke(run(endless, &[]), Limit::CallDepth, 64);
}

#[test]
fn a_recursive_anonymous_function_breaks_the_call_depth() {
    let script = "fn evaluate(ctx) { let f = |f, n| if n > 0 { f.call(f, n - 1) }; f.call(f, 30); }";
    let needed = least(script, "call_depth", Limit::CallDepth, 1..200);
    assert!((31..40).contains(&needed), "{needed} levels for 31 nested calls");
    let endless = "fn evaluate(ctx) { let f = |f, n| f.call(f, n + 1); f.call(f, 0); }";
    assert_broke(run(endless, &[]), Limit::CallDepth, 64);
}

#[test]
fn nested_anonymous_functions_break_the_call_depth() {
    // Each level calls the one passed to it: as deep as the list is long.
    let script = "fn evaluate(ctx) {
        let fs = [];
        for i in 0..20 { fs.push(|fs, n| if n < fs.len() { fs[n].call(fs, n + 1) }); }
        fs[0].call(fs, 1);
    }";
    let needed = least(script, "call_depth", Limit::CallDepth, 1..200);
    assert!((20..30).contains(&needed), "{needed} levels for 20 nested functions");
}

#[test]
fn a_chain_of_closures_cannot_be_built_at_all() {
    // The chain that overflowed the stack when it was dropped: closures cannot capture, so it
    // does not compile; `curry`, which copies its arguments unseen by the size limits, is off.
    let chain = "fn evaluate(ctx) { let f = |x| x; loop { let g = f; f = |x| g.call(g.call(x)); } }";
    let err = run(chain, &[]).unwrap_err();
    assert!(matches!(err, Error::Compile { .. }), "{err}");
    assert!(err.to_string().contains("bad.rhai:1:61: Undefined variable: g"), "{err}");
    let curry = "fn id(x) { x } fn evaluate(ctx) { let f = Fn(\"id\"); loop { f = f.curry(f); } }";
    assert!(matches!(run(curry, &[]).unwrap_err(), Error::Compile { .. }));
    // What a closure was for: the value comes as the second argument.
    let with = "fn participant(ctx, p) {
        let big = ctx.participants.filter(|q, floor| q.sales > floor, 100);
        if big.len() == 1 { ctx.pay(p, \"one\", 1); }
    }";
    assert_eq!(run(with, &[]).unwrap().payouts.len(), 2);
}

#[test]
fn a_doubling_string_breaks_the_string_size() {
    let script = "fn evaluate(ctx) { let s = \"x\"; for i in 0..10 { s += s; } }";
    assert_eq!(least(script, "string_size", Limit::StringSize, 1..100_000), 1024);
    assert_broke(run("fn evaluate(ctx) { let s = \"x\"; loop { s += s; } }", &[]), Limit::StringSize, 1 << 20);
}

#[test]
fn a_list_built_by_push_is_charged_for_its_length() {
    // Each push costs as much as the list is long: n pushes cost about n²/2, not n.
    let script = "fn evaluate(ctx) { let a = []; for i in 0..2000 { a.push(i); } }";
    let needed = least(script, "operations", Limit::Operations, 1..100_000_000);
    assert!(needed > 2000 * 1999 / 2, "{needed} operations for 2000 pushes");
    assert!(needed < 2000 * 1999 / 2 + 50_000, "{needed} operations for 2000 pushes");
    let endless = "fn evaluate(ctx) { let a = []; loop { a.push(1); } }";
    assert_broke(run(endless, &[("array_size", 100_000_000)]), Limit::Operations, 50_000_000);
}

#[test]
fn a_long_list_breaks_the_array_size() {
    let script = "fn evaluate(ctx) { let a = []; for i in 0..500 { a += i; } }";
    assert_eq!(least(script, "array_size", Limit::ArraySize, 1..100_000), 500);
    let inserted = "fn evaluate(ctx) { let a = []; for i in 0..500 { a.insert(0, i); } }";
    assert_eq!(least(inserted, "array_size", Limit::ArraySize, 1..100_000), 500);
}

#[test]
fn nested_lists_break_the_array_size() {
    // Nesting counts every level: the deepest list a script can build is bounded by the size,
    // and a thread's stack holds the default with room to spare (the measure, copy and drop of
    // a nested list recurse once per level).
    let script = "fn evaluate(ctx) { let a = []; for i in 0..300 { a = [a]; } }";
    assert_eq!(least(script, "array_size", Limit::ArraySize, 1..100_000), 300);
    let endless = "fn evaluate(ctx) { let a = []; loop { a = [a]; } }";
    assert_broke(run(endless, &[]), Limit::ArraySize, 10_000);
}

#[test]
fn nested_maps_break_the_map_size() {
    let script = "fn evaluate(ctx) { let m = #{}; for i in 0..300 { m = #{ inner: m }; } }";
    assert_eq!(least(script, "map_size", Limit::MapSize, 1..100_000), 300);
    let endless = "fn evaluate(ctx) { let m = #{}; loop { m = #{ inner: m }; } }";
    assert_broke(run(endless, &[]), Limit::MapSize, 10_000);
}

#[test]
fn a_map_filled_in_a_loop_breaks_the_memory_limit() {
    // Rhai does not measure a map when an entry is set by index, so the memory limit holds it.
    assert!(payplan::allocator::is_counting(), "the tests count allocations, as the binary does");
    let script = "fn evaluate(ctx) { let m = #{}; for i in 0..2000 { m[`k${i}`] = i; } }";
    let needed = least(script, "memory", Limit::Memory, 1..100_000_000);
    assert!((2000 * 16..2000 * 1000).contains(&needed), "{needed} bytes for 2000 entries");
    let endless = "fn evaluate(ctx) { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }";
    assert_broke(run(endless, &[("memory", 1 << 20)]), Limit::Memory, 1 << 20);
}

#[test]
fn many_strings_break_the_memory_limit() {
    // Each string is within the string size; together they are not.
    let script = "fn evaluate(ctx) { let s = []; for i in 0..50 { let t = \"x\"; t.pad(1000, \"y\"); s += [t]; } }";
    let needed = least(script, "memory", Limit::Memory, 1..100_000_000);
    assert!((50_000..1_000_000).contains(&needed), "{needed} bytes for 50 strings of 1000 bytes");
}

#[test]
fn a_flood_of_lines_breaks_the_memory_limit() {
    let script = "fn participant(ctx, p) { for i in 0..200 { ctx.pay(p, `c${i}`, 1, [\"why\"]); } }";
    let needed = least(script, "memory", Limit::Memory, 1..100_000_000);
    assert!((200 * 32..200 * 2000).contains(&needed), "{needed} bytes for 200 lines per participant");
}

#[test]
fn a_line_for_an_unknown_participant_is_refused() {
    fails_with(
        "fn evaluate(ctx) { ctx.pay(\"nobody\", \"x\", 1); }",
        "unknown participant \"nobody\"",
        "fn evaluate(ctx) { ctx.pay(\"a\", \"x\", 1); }",
    );
}

#[test]
fn an_amount_that_is_not_a_number_is_refused() {
    fails_with(
        "fn participant(ctx, p) { ctx.pay(p, \"x\", \"lots\"); }",
        "amount must be a number, found string",
        "fn participant(ctx, p) { ctx.pay(p, \"x\", 12.5); }",
    );
}

#[test]
fn an_overflow_fails_with_its_position() {
    fails_with(
        "fn participant(ctx, p) {\n  let x = 9223372036854775807;\n  ctx.pay(p, \"x\", x + 1);\n}",
        "bad.rhai:3:",
        "fn participant(ctx, p) {\n  let x = 9223372036854775806;\n  ctx.pay(p, \"x\", x + 1);\n}",
    );
    fails_with(
        "fn participant(ctx, p) { let d = 79228162514264337593543950335.0; ctx.pay(p, \"x\", d * 10); }",
        "Multiplication overflow",
        "fn participant(ctx, p) { let d = 7922816251426433759354395033.0; ctx.pay(p, \"x\", d); }",
    );
    // Each line fits a decimal; their total does not.
    fails_with(
        "fn participant(ctx, p) { ctx.pay(p, \"x\", 79228162514264337593543950335.0); }",
        "its line \"x\" of b overflows the totals",
        "fn participant(ctx, p) { ctx.pay(p, \"x\", 39614081257132168796771975167.0); }",
    );
}

#[test]
fn a_division_by_zero_fails_with_its_position() {
    fails_with(
        "fn participant(ctx, p) { ctx.pay(p, \"x\", p.sales / (p.target - 100)); }",
        "Division by zero",
        "fn participant(ctx, p) { ctx.pay(p, \"x\", p.sales / p.target); }",
    );
    fails_with(
        "fn participant(ctx, p) { let n = 0; ctx.pay(p, \"x\", 10 / n); }",
        "Division by zero",
        "fn participant(ctx, p) { let n = 2; ctx.pay(p, \"x\", 10 / n); }",
    );
}

#[test]
fn a_script_past_the_deadline_is_stopped_by_the_wall_clock() {
    // No count would stop it soon: the backstop does, and says it was the wall clock.
    let endless = "fn evaluate(ctx) { loop { } }";
    let limits = [("operations", u64::MAX / 2)];
    assert_broke(run_until(Code::Script(endless), &limits, Duration::from_millis(200)), Limit::WallClock, 200);
    let short = "fn evaluate(ctx) { let i = 0; while i < 1000 { i += 1; } ctx.pay(\"a\", \"x\", i); }";
    assert_eq!(run_until(Code::Script(short), &limits, Duration::from_secs(60)).unwrap().payouts.len(), 1);
}

#[test]
fn a_hostile_fn_params_is_a_compile_error_not_a_crash() {
    for (script, why) in [
        ("fn params() { loop { } } fn evaluate(ctx) { }", "Too many operations"),
        ("fn params() { params() } fn evaluate(ctx) { }", "Stack overflow"),
    ] {
        let err = run(script, &[]).unwrap_err();
        assert!(matches!(err, Error::Compile { .. }), "{err}");
        assert!(err.to_string().contains("fn params()") && err.to_string().contains(why), "{err}");
    }
}
