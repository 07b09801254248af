//! Hostile plugins, as pairs like the scripts' (`hostile.rs`): just under a limit succeeds, just
//! over fails with the limit's own error; a bad reply is refused while the honest one is taken.

use crate::hostile::{Code, assert_broke, least_code, run_code, run_until};
use payplan::Error;
use payplan::error::Limit;
use std::time::Duration;

/// Where a module keeps its reply.
const REPLY_AT: u64 = 1024;

/// A module speaking ABI v1 whose `payplan_evaluate` runs `body`, then replies `reply` (JSON),
/// with `extra` definitions beside.
fn module(body: &str, reply: &str, extra: &str) -> String {
    let packed = (REPLY_AT << 32) | reply.len() as u64;
    let data = reply.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"(module
  (memory (export "memory") 2)
  (data (i32.const {REPLY_AT}) "{data}")
  (func (export "payplan_abi_version") (result i32) i32.const 1)
  (func (export "payplan_alloc") (param i32) (result i32) i32.const 8192)
  {extra}
  (func (export "payplan_evaluate") (param i32 i32) (result i64) (local $i i32)
    {body}
    i64.const {packed}))"#
    )
}

/// A reply paying `amount` to `participant`.
fn paying(participant: &str, amount: &str) -> String {
    format!(
        r#"{{"ok":{{"lines":[{{"participant":"{participant}","component":"x","amount":"{amount}","explain":[]}}],"scores":[]}}}}"#
    )
}

const NOTHING: &str = r#"{"ok":{"lines":[],"scores":[]}}"#;

/// A loop of `turns` turns.
fn counting(turns: u32) -> String {
    format!(
        "(loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const {turns}))))"
    )
}

/// Asserts the plugin fails with a message naming it and containing `why`, and that `fixed`
/// (the same plugin made honest) pays.
#[track_caller]
fn refused(hostile: &str, why: &str, fixed: &str) {
    match run_code(Code::Wat(hostile), &[]) {
        Err(err @ (Error::Policy { .. } | Error::Compile { .. })) => {
            let text = err.to_string();
            assert!(text.contains("policy `bad`") && text.contains("bad.wasm") && text.contains(why), "{text}");
        }
        other => panic!("expected a failure with {why:?}, got {:?}", other.map(|r| r.payouts.len())),
    }
    let result = run_code(Code::Wat(fixed), &[]).unwrap();
    assert_eq!(result.payouts.len(), 1, "the honest plugin pays");
}

#[test]
fn an_endless_loop_runs_out_of_fuel_at_its_count() {
    let counted = module(&counting(10_000), NOTHING, "");
    let needed = least_code(Code::Wat(&counted), "fuel", Limit::Fuel, 1..1_000_000_000);
    assert!((10_000..200_000).contains(&needed), "{needed} fuel for 10,000 turns");
    let endless = module("(loop $l (br $l))", NOTHING, "");
    assert_broke(run_code(Code::Wat(&endless), &[("fuel", 100_000_000)]), Limit::Fuel, 100_000_000);
}

#[test]
fn growing_memory_breaks_the_memory_limit_at_its_size() {
    let grow = "(if (i32.eq (memory.grow (i32.const 30)) (i32.const -1)) (then unreachable))";
    let grows = module(grow, NOTHING, "");
    assert_eq!(least_code(Code::Wat(&grows), "memory", Limit::Memory, 1..100_000_000), 32 * 65536);
    let bomb = "(loop $l (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l))";
    assert_broke(run_code(Code::Wat(&module(bomb, NOTHING, "")), &[]), Limit::Memory, 64 << 20);
}

#[test]
fn a_huge_reply_breaks_the_output_size_at_its_length() {
    let reply = paying("a", "1.00");
    let replies = module("", &reply, "");
    let needed = least_code(Code::Wat(&replies), "output_size", Limit::OutputSize, 1..1_000_000);
    assert_eq!(needed, reply.len() as u64);
    // Four gigabytes claimed: refused by its length, before anything is read.
    let claims = module("", NOTHING, "")
        .replace(&format!("i64.const {}", (REPLY_AT << 32) | NOTHING.len() as u64), "i64.const 0xffffffff");
    assert_broke(run_code(Code::Wat(&claims), &[]), Limit::OutputSize, 256 << 20);
}

#[test]
fn a_reply_that_is_not_json_is_refused() {
    refused(&module("", "junk", ""), "the plugin's reply is not valid", &module("", &paying("a", "1"), ""));
}

#[test]
fn a_reply_outside_the_plugins_memory_is_refused() {
    let outside = module("", NOTHING, "")
        .replace(&format!("i64.const {}", (REPLY_AT << 32) | NOTHING.len() as u64), "i64.const 0x7fff000000000010");
    refused(&outside, "lies outside the plugin's memory", &module("", &paying("a", "1"), ""));
}

#[test]
fn a_line_for_an_unknown_participant_is_refused() {
    let fixed = module("", &paying("b", "1"), "");
    refused(&module("", &paying("nobody", "1"), ""), "emitted a line for unknown participant \"nobody\"", &fixed);
}

#[test]
fn an_amount_that_is_not_an_exact_decimal_is_refused() {
    let fixed = module("", &paying("a", "12.50"), "");
    refused(&module("", &paying("a", "lots"), ""), "the plugin's reply is not valid", &fixed);
    // Beyond what a decimal holds (28 digits): an overflow, refused the same way.
    refused(&module("", &paying("a", "1e40"), ""), "the plugin's reply is not valid", &fixed);
}

#[test]
fn a_score_given_twice_is_refused() {
    let score = r#"{"participant":"a","score":"1","grade":"A","explain":[]}"#;
    let twice = format!(r#"{{"ok":{{"lines":[],"scores":[{score},{score}]}}}}"#);
    refused(&module("", &twice, ""), "scored participant \"a\" twice", &module("", &paying("a", "1"), ""));
}

#[test]
fn a_deep_recursion_exhausts_the_plugins_stack() {
    let recurse = "(func $down (param i32) (if (i32.gt_u (local.get 0) (i32.const 0)) (then (call $down (i32.sub (local.get 0) (i32.const 1))))))";
    let endless = "(func $down (param i32) (call $down (i32.add (local.get 0) (i32.const 1))))";
    let pays = paying("a", "1");
    refused(
        &module("(call $down (i32.const 0))", &pays, endless),
        "call stack exhausted",
        &module("(call $down (i32.const 100))", &pays, recurse),
    );
}

#[test]
fn a_trap_fails_with_the_trap() {
    let pays = paying("a", "1");
    refused(&module("unreachable", &pays, ""), "wasm `unreachable` instruction executed", &module("", &pays, ""));
}

#[test]
fn a_division_by_zero_traps() {
    let pays = paying("a", "1");
    let by = |n: u32| format!("(drop (i32.div_s (i32.const 1) (i32.const {n})))");
    refused(&module(&by(0), &pays, ""), "integer divide by zero", &module(&by(1), &pays, ""));
}

#[test]
fn a_plugin_past_the_deadline_is_stopped_by_the_wall_clock() {
    let limits = [("fuel", u64::MAX / 2)];
    let endless = module("(loop $l (br $l))", NOTHING, "");
    assert_broke(run_until(Code::Wat(&endless), &limits, Duration::from_millis(200)), Limit::WallClock, 200);
    let short = module(&counting(1000), &paying("a", "1"), "");
    assert_eq!(run_until(Code::Wat(&short), &limits, Duration::from_secs(60)).unwrap().payouts.len(), 1);
}

#[test]
fn a_plugin_of_another_abi_version_is_refused_at_load() {
    let pays = module("", &paying("a", "1"), "");
    let other = pays.replace("(result i32) i32.const 1)", "(result i32) i32.const 3)");
    refused(&other, "speaks plugin ABI version 3; this host speaks versions 1 and 2", &pays);
}

/// A module speaking ABI v2 (reading no sections) that replies with these bytes.
fn module_v2(reply: &[u8]) -> String {
    let text: String = reply.iter().map(|b| format!("\\{b:02x}")).collect();
    let packed = (REPLY_AT << 32) | reply.len() as u64;
    format!(
        r#"(module
  (memory (export "memory") 2)
  (data (i32.const {REPLY_AT}) "{text}")
  (func (export "payplan_abi_version") (result i32) i32.const 2)
  (func (export "payplan_reads") (result i32) i32.const 0)
  (func (export "payplan_alloc") (param i32) (result i32) i32.const 8192)
  (func (export "payplan_evaluate") (param i32 i32) (result i64) i64.const {packed}))"#
    )
}

/// A v2 reply paying `amount` to participant number `who`.
fn paying_v2(who: u32, amount: rust_decimal::Decimal) -> Vec<u8> {
    let mut out = Vec::new();
    for x in [0u32, 1, who, 1] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.push(b'x');
    out.extend_from_slice(&amount.serialize());
    out.extend_from_slice(&[0; 8]);
    out
}

#[test]
fn a_version_2_plugin_without_its_reads_is_refused_at_load() {
    let pays = module_v2(&paying_v2(0, 1.into()));
    let silent = pays.replace("(func (export \"payplan_reads\") (result i32) i32.const 0)", "");
    refused(&silent, "does not export the function `payplan_reads`", &pays);
}

#[test]
fn a_version_2_reply_that_is_broken_is_refused() {
    let pays = module_v2(&paying_v2(0, 1.into()));
    // The period has two participants, numbers 0 and 1.
    refused(&module_v2(&paying_v2(2, 1.into())), "names participant 2 of 2", &pays);
    let honest = paying_v2(0, 1.into());
    refused(&module_v2(&honest[..honest.len() - 1]), "ends at byte", &pays);
    let mut bad_decimal = honest.clone();
    bad_decimal[17 + 2] = 29; // the decimal's scale (it starts at byte 17), past 28
    refused(&module_v2(&bad_decimal), "malformed decimal", &pays);
}

#[test]
fn a_plugin_that_imports_anything_is_refused_at_load() {
    let pays = module("", &paying("a", "1"), "");
    let importing = pays.replacen(
        "(module",
        "(module\n  (import \"wasi_snapshot_preview1\" \"clock_time_get\" (func (param i32 i64 i32) (result i32)))",
        1,
    );
    refused(&importing, "imports `wasi_snapshot_preview1::clock_time_get`; a plugin may import nothing", &pays);
    let typed = pays
        .replace("(param i32 i32) (result i64)", "(param i32 i32) (result i32)")
        .replace(&format!("i64.const {}", (REPLY_AT << 32) | paying("a", "1").len() as u64), "i32.const 0");
    refused(&typed, "exports `payplan_evaluate` as", &pays);
}
