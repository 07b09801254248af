//! WASM plugins: the standard policies in Rust, as plugins and natively, agree with the scripts;
//! plugins and scripts mix in plan order (hostile plugins: `hostile_wasm.rs`).

use crate::properties::{Rng, random_params, random_period};
use crate::reference::Params;
use crate::support::{evaluate, evaluate_at, plan_text, repo, rows, score_rows};
use payplan::Result;
use payplan_sdk::result::EvalResult;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A plugin built from `plugins/`.
pub(crate) fn plugin(name: &str) -> PathBuf {
    crate::built_plugins::folder().join(format!("{name}.wasm"))
}

/// The policy `policy` makes of a source line and params, run as `policies/<name>.rhai` and as
/// the plugin `<name>.wasm` on 150 random periods: the two results of each.
fn script_and_plugin(name: &str, policy: fn(&str, &Params) -> String) -> Vec<(EvalResult, EvalResult)> {
    let script = format!("script = \"{name}.rhai\"");
    let wasm = format!("plugin = \"{}\"", plugin(name).display());
    (0..150)
        .map(|seed| {
            let mut r = Rng::new(seed);
            let n = 1 + r.below(20);
            let period = random_period(&mut r, n).to_string();
            let params = random_params(&mut r);
            let a = evaluate(&plan_text(params.rounding, &policy(&script, &params)), &period, 1).unwrap();
            let b = evaluate(&plan_text(params.rounding, &policy(&wasm, &params)), &period, 1).unwrap();
            (a, b)
        })
        .collect()
}

/// All nine standard policies with random params on 150 random periods, three ways: the scripts,
/// their plugins (ABI version 2) and the same Rust run natively. The plugins and the native rules
/// pay the scripts' lines to the cent and give their scores and grades.
#[test]
fn the_standard_policies_in_rust_agree_with_the_scripts_on_random_periods() {
    let mut paid: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 0..150 {
        let mut r = Rng::new(seed);
        let n = 1 + r.below(20);
        let period = random_period(&mut r, n).to_string();
        let scripts = random_params(&mut r).plan_text();
        let plugins = payplan_standard::NAMES.iter().fold(scripts.clone(), |text, name| {
            let script = format!("script = \"{name}.rhai\"");
            assert!(text.contains(&script), "the random plan runs {name}");
            text.replace(&script, &format!("plugin = \"{}\"", plugin(name).display()))
        });
        let a = evaluate(&scripts, &period, 1).unwrap();
        let b = evaluate(&plugins, &period, 2).unwrap();
        let c = native(&repo().join("policies/plan.toml"), &scripts, &period);
        for (how, other) in [("plugins", &b), ("native", &c)] {
            assert_eq!(rows(&a), rows(other), "seed {seed}: the {how} pay the scripts' lines");
            assert_eq!(score_rows(&a), score_rows(other), "seed {seed}: the {how} give the scripts' scores");
        }
        for p in &a.payouts {
            *paid.entry(p.policy.clone()).or_default() += 1;
        }
    }
    // Every policy pays on these periods (the scorecard scores, the bonus pays on its grades).
    for policy in ["commission", "excess", "team", "mentor", "pk", "bonus", "override", "rates"] {
        assert!(paid.get(policy).is_some_and(|&n| n > 20), "{policy} pays on the random periods: {paid:?}");
    }
}

/// The plan's standard policies (scripts named relative to `plan_file`) run natively by their Rust
/// rules.
fn native(plan_file: &std::path::Path, plan_text: &str, period: &str) -> EvalResult {
    let plan = payplan::plan::parse(plan_file, plan_text, |p| std::fs::read(p).map_err(|e| e.to_string())).unwrap();
    let compiled = payplan::runtime::native::plan(plan, payplan_standard::rule).unwrap();
    let pool = payplan::runtime::thread_pool(2);
    let input = pool.install(|| payplan::input::parse_period(period.as_bytes())).unwrap();
    compiled.evaluate(input, &pool).unwrap()
}

fn override_policy(source: &str, params: &Params) -> String {
    let levels: Vec<String> = params.levels.iter().map(|r| format!("{{ rate = {r} }}")).collect();
    format!(
        "[[policy]]\nid = \"mgr\"\n{source}\n[policy.params]\nlevels = [{}]\ninclude_own = {}\n",
        levels.join(", "),
        params.include_own
    )
}

#[test]
fn the_manager_override_plugin_agrees_with_the_script_on_random_periods() {
    let mut paid = 0;
    for (seed, (a, b)) in script_and_plugin("manager_override", override_policy).iter().enumerate() {
        assert_eq!(a.payouts, b.payouts, "seed {seed}: the same lines and explanations");
        paid += a.payouts.len();
    }
    assert!(paid > 300, "the random periods pay overrides ({paid} lines)");
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
        "[[policy]]\nid = \"mgr\"\nplugin = \"{}\"\n[policy.params]\nlevels = [{{ rate = 0.015 }}]\n",
        plugin("manager_override").display()
    );
    // (1000.10 - 200.05) × 0.015 = 12.00075 → 12.00.
    assert_eq!(rows(&run_with(&policy, "").unwrap()), ["boss mgr override 12.00"]);
    let broken = policy.replace("levels = [{ rate = 0.015 }]", "levels = [{ pct = 1 }]");
    let err = run_with(&broken, "").unwrap_err();
    assert!(err.to_string().contains("params.levels must be a list of { rate }"), "{err}");
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
levels = [ {{ rate = 0.01 }} ]
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
            "boss mgr override 8.00",
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

/// Past 10,000 participants a plugin that asks to be split runs as several calls at once, each
/// for a range of participants: the joined lines are the native rules' (10,001 people: two
/// calls of unequal size), the scores too.
#[test]
fn a_split_plugin_pays_what_the_native_rule_pays() {
    let mut period = Vec::new();
    let shape = payplan::input::generate::Shape { participants: 10_001, deals_per: 3, seed: 7 };
    payplan::input::generate::write_period(&mut period, shape).unwrap();
    let period = String::from_utf8(period).unwrap();
    let scripts = std::fs::read_to_string(repo().join("examples/plan.toml")).unwrap();
    let plugins = ["tiered_commission", "mentor_bonus", "scorecard", "performance_bonus", "rate_table"].iter().fold(
        scripts.clone(),
        |text, name| {
            let script = format!("script = \"../policies/{name}.rhai\"");
            text.replace(&script, &format!("plugin = \"{}\"", plugin(name).display()))
        },
    );
    let at = repo().join("examples/plan.toml");
    let b = evaluate_at(&at, &plugins, &period, 2).unwrap();
    let a = native(&at, &scripts, &period);
    assert_eq!(rows(&a), rows(&b));
    assert_eq!(score_rows(&a), score_rows(&b));
    assert_eq!(a.scores.len(), 10_001, "everyone is scored");
    for policy in ["commission", "mentor", "bonus", "segment"] {
        assert!(a.payouts.iter().any(|p| p.policy == policy), "{policy} pays");
    }
}
