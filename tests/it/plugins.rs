//! WASM plugins: the group PK plugin agrees with the script; hostile modules are refused or
//! stopped with their own error, in bounded time, and the next evaluation succeeds.

use crate::properties::{Rng, random_params, random_period};
use crate::support::{evaluate, evaluate_at, plan_text, repo, rows};
use payplan::error::Limit;
use payplan::{Error, Result};
use payplan_sdk::result::EvalResult;
use std::path::{Path, PathBuf};

/// A plugin built from `plugins/` by the build script.
pub fn plugin(name: &str) -> PathBuf {
    Path::new(env!("PAYPLAN_PLUGINS")).join(format!("{name}.wasm"))
}

fn pk_policy(source: &str, params: &crate::reference::Params) -> String {
    let prizes: Vec<String> = params.prizes.iter().map(|p| p.to_string()).collect();
    format!(
        "[[policy]]\nid = \"pk\"\n{source}\n[policy.params]\nmetric = \"{}\"\nprizes = [{}]\nsplit = \"{}\"\nmin_members = {}\n",
        params.metric,
        prizes.join(", "),
        params.split,
        params.min_members
    )
}

#[test]
fn the_group_pk_plugin_agrees_with_the_script_on_random_periods() {
    let script = "script = \"group_pk.rhai\"";
    let wasm = format!("plugin = \"{}\"", plugin("group_pk").display());
    let mut paid = 0;
    for seed in 0..150 {
        let mut r = Rng::new(seed);
        let n = 1 + r.below(20);
        let period = random_period(&mut r, n).to_string();
        let params = random_params(&mut r);
        let a = evaluate(&plan_text(params.rounding, &pk_policy(script, &params)), &period, 1).unwrap();
        let b = evaluate(&plan_text(params.rounding, &pk_policy(&wasm, &params)), &period, 1).unwrap();
        assert_eq!(rows(&a), rows(&b), "seed {seed}");
        paid += a.payouts.len();
    }
    assert!(paid > 300, "the random periods pay PK prizes ({paid} lines)");
}

const PERIOD: &str = r#"{
  "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
  "participants": [
    {"id": "boss", "target": "100"},
    {"id": "r1", "manager": "boss", "target": "100"},
    {"id": "r2", "manager": "boss"},
    {"id": "solo"}
  ],
  "deals": [
    {"id": "d1", "participant": "r1", "amount": "1000.10", "closed_on": "2026-03-02"},
    {"id": "d2", "participant": "r2", "amount": "-200.05", "closed_on": "2026-03-03"},
    {"id": "d3", "participant": "boss", "amount": "150", "closed_on": "2026-03-03"}
  ]
}"#;

fn run_with(policies: &str, limits: &str) -> Result<EvalResult> {
    let text = format!("id = \"t\"\nversion = \"1\"\ncurrency = \"CNY\"\n{limits}\n{policies}");
    evaluate_at(&repo().join("policies/plan.toml"), &text, PERIOD, 1)
}

#[test]
fn manager_override_pays_managers_on_their_reports_sales() {
    let policy = format!(
        "[[policy]]\nid = \"mgr\"\nplugin = \"{}\"\n[policy.params]\nrate = 0.015\n",
        plugin("manager_override").display()
    );
    // (1000.10 - 200.05) × 0.015 = 12.00075 → 12.00.
    assert_eq!(rows(&run_with(&policy, "").unwrap()), ["boss mgr manager_override 12.00"]);
    let broken = PERIOD.replace("\"manager\": \"boss\", \"target\"", "\"manager\": \"nobody\", \"target\"");
    let text = format!("id = \"t\"\nversion = \"1\"\ncurrency = \"CNY\"\n{policy}");
    let err = evaluate_at(&repo().join("policies/plan.toml"), &text, &broken, 1).unwrap_err();
    assert!(err.to_string().contains("participant r1: unknown manager \"nobody\""), "{err}");
    assert!(err.to_string().contains("manager_override.wasm"), "{err}");
}

#[test]
fn scripts_and_plugins_mix_in_plan_order_and_see_earlier_lines() {
    let policies = format!(
        r#"
[[policy]]
id = "spot"
plugin = "{spot}"
[policy.params]
ratio = 1.0
amount = 100

[[policy]]
id = "echo"
script = "{echo}"

[[policy]]
id = "mgr"
plugin = "{mgr}"
[policy.params]
rate = 0.01
"#,
        spot = plugin("spot_bonus").display(),
        mgr = plugin("manager_override").display(),
        echo = "echo.rhai",
    );
    let dir = tempfile::tempdir().unwrap();
    // A script that pays a tenth of what the plugin before it paid.
    std::fs::write(
        dir.path().join("echo.rhai"),
        "fn participant(ctx, p) { ctx.pay(p, \"echo\", ctx.paid(p, \"spot\") / 10); }",
    )
    .unwrap();
    let text = format!("id = \"t\"\nversion = \"1\"\ncurrency = \"CNY\"\n{policies}");
    let result = evaluate_at(&dir.path().join("plan.toml"), &text, PERIOD, 2).unwrap();
    assert_eq!(
        rows(&result),
        [
            "boss spot spot 100.00",
            "boss echo echo 10.00",
            "boss mgr manager_override 8.00",
            "r1 spot spot 100.00",
            "r1 echo echo 10.00",
        ]
    );
}

#[test]
fn a_plugin_that_reads_no_earlier_lines_is_sent_none() {
    // A script whose four lines carry 16 KB of explanation each, then a plugin that traps when
    // its input is over 32 KB, and otherwise replies with no lines.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loud.rhai"),
        "fn participant(ctx, p) { let s = \"x\"; for i in 0..14 { s += s; } ctx.pay(p, \"loud\", 1, [s]); }",
    )
    .unwrap();
    let run = |export: &str| {
        let module = format!(
            r#"(module
  (memory (export "memory") 2)
  (data (i32.const 1024) "{{\"ok\":{{\"lines\":[],\"scores\":[]}}}}")
  (func (export "payplan_abi_version") (result i32) i32.const 1)
  (func (export "payplan_alloc") (param i32) (result i32) i32.const 4096)
  {export}
  (func (export "payplan_evaluate") (param i32 i32) (result i64)
    (if (i32.gt_u (local.get 1) (i32.const 32768)) (then unreachable))
    i64.const 4398046511135))"#
        );
        std::fs::write(dir.path().join("quiet.wasm"), wat::parse_str(module).unwrap()).unwrap();
        let plan = "id = \"t\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"loud\"\nscript = \"loud.rhai\"\n\
                    [[policy]]\nid = \"quiet\"\nplugin = \"quiet.wasm\"\n";
        evaluate_at(&dir.path().join("plan.toml"), plan, PERIOD, 1)
    };
    let says = |reads: u32| format!("(func (export \"payplan_reads_earlier\") (result i32) i32.const {reads})");
    let result = run(&says(0)).unwrap();
    assert_eq!(rows(&result).len(), 4, "the script's lines");
    for export in [says(1), String::new()] {
        let err = run(&export).unwrap_err().to_string();
        assert!(err.contains("quiet.wasm: the plugin trapped"), "sent every earlier line: {err}");
    }
}

/// A module speaking the ABI whose `payplan_evaluate` body is `body`.
fn wat(body: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") 2)
  (func (export "payplan_abi_version") (result i32) i32.const 1)
  (func (export "payplan_alloc") (param i32) (result i32) i32.const 0)
  (func (export "payplan_evaluate") (param i32 i32) (result i64) {body}))"#
    )
}

/// Evaluates a plan whose only policy is this WAT module, with these limits. The fuel and memory
/// limits are what bound a hostile module's time, deterministically; no test times it.
fn hostile(module: &str, limits: &str) -> Result<EvalResult> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.wasm");
    std::fs::write(&file, wat::parse_str(module).unwrap()).unwrap();
    run_with(&format!("[[policy]]\nid = \"bad\"\nplugin = \"{}\"\n", file.display()), limits)
}

/// After each hostile plugin, a good evaluation in the same process still succeeds.
fn good_run_succeeds() {
    let policy = format!(
        "[[policy]]\nid = \"mgr\"\nplugin = \"{}\"\n[policy.params]\nrate = 0.015\n",
        plugin("manager_override").display()
    );
    assert_eq!(rows(&run_with(&policy, "").unwrap()), ["boss mgr manager_override 12.00"]);
}

fn limit_of(err: &Error) -> Option<Limit> {
    match err {
        Error::LimitExceeded { limit, policy, .. } if policy == "bad" => Some(*limit),
        _ => None,
    }
}

#[test]
fn a_plugin_that_loops_forever_runs_out_of_fuel() {
    let limits = "[limits]\nfuel = 100_000_000\nfuel_per_participant = 1_000";
    let result = hostile(&wat("(loop $l (br $l)) i64.const 0"), limits);
    let err = result.unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::Fuel), "{err}");
    // The base and 1000 for each of the period's four participants.
    assert!(err.to_string().contains("broke the fuel limit (100004000)"), "{err}");
    good_run_succeeds();
}

#[test]
fn a_plugin_that_grows_memory_without_bound_hits_the_memory_limit() {
    let bomb =
        "(loop $l (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l)) i64.const 0";
    let result = hostile(&wat(bomb), "[limits]\nmemory = 16_777_216\nmemory_per_participant = 0");
    let err = result.unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::Memory), "{err}");
    good_run_succeeds();
}

#[test]
fn a_plugin_that_traps_fails_with_the_trap() {
    let result = hostile(&wat("unreachable"), "");
    let err = result.unwrap_err().to_string();
    assert!(err.starts_with("policy `bad` failed: "), "{err}");
    assert!(
        err.contains("hostile.wasm: the plugin trapped: wasm trap: wasm `unreachable` instruction executed"),
        "{err}"
    );
    good_run_succeeds();
}

#[test]
fn a_huge_reply_breaks_the_output_limit() {
    let result = hostile(&wat("i64.const 0x00000000ffffffff"), "[limits]\noutput_size = 1_000_000");
    let err = result.unwrap_err();
    assert_eq!(limit_of(&err), Some(Limit::OutputSize), "{err}");
    good_run_succeeds();
}

#[test]
fn garbage_and_out_of_bounds_replies_are_refused() {
    let garbage = r#"(i32.store (i32.const 0) (i32.const 0x6b6e756a)) i64.const 4"#;
    let result = hostile(&wat(garbage), "");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("the plugin's reply is not valid: "), "{err}");
    let result = hostile(&wat("i64.const 0x7fff000000000010"), "");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("lies outside the plugin's memory"), "{err}");
    good_run_succeeds();
}

#[test]
fn a_plugin_of_another_abi_version_is_refused_at_load() {
    let module = wat("i64.const 0").replace("(result i32) i32.const 1)", "(result i32) i32.const 2)");
    let result = hostile(&module, "");
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Compile { .. }), "{err}");
    assert!(err.to_string().contains("speaks plugin ABI version 2; this host speaks version 1"), "{err}");
    good_run_succeeds();
}

#[test]
fn a_plugin_that_imports_anything_is_refused_at_load() {
    let module = wat("i64.const 0").replace(
        "(module",
        "(module\n  (import \"wasi_snapshot_preview1\" \"clock_time_get\" (func (param i32 i64 i32) (result i32)))",
    );
    let result = hostile(&module, "");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("imports `wasi_snapshot_preview1::clock_time_get`; a plugin may import nothing"), "{err}");
    let result = hostile("(module (memory (export \"memory\") 1))", "");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("does not export the function `payplan_abi_version`"), "{err}");
    let result = hostile(
        &wat("i64.const 0")
            .replace("(param i32 i32) (result i64)", "(param i32 i32) (result i32)")
            .replace("i64.const 0", "i32.const 0"),
        "",
    );
    assert!(result.unwrap_err().to_string().contains("exports `payplan_evaluate` as"));
    good_run_succeeds();
}
