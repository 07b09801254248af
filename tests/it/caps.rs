//! series.md "Caps" within one period: a policy's `cap` on each line and the plan's
//! `[caps] period` on a participant's total, each tested just under, at and just over.

use crate::support::{evaluate_at, payplan, rows, stdout, write};
use payplan_sdk::result::EvalResult;

/// Participants whose sales straddle 100.00 (and one refund), and a script paying each its sales.
const PERIOD: &str = r#"{
  "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
  "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
  "deals": [
    {"id": "d1", "participant": "a", "amount": "99.99", "closed_on": "2026-03-02"},
    {"id": "d2", "participant": "b", "amount": "100.00", "closed_on": "2026-03-02"},
    {"id": "d3", "participant": "c", "amount": "100.01", "closed_on": "2026-03-02"},
    {"id": "d4", "participant": "d", "amount": "-500", "closed_on": "2026-03-02"}
  ]
}"#;

fn run(policies: &str) -> (EvalResult, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sales.rhai", "fn participant(ctx, p) { ctx.pay(p, \"sales\", p.sales, \"its sales\"); }");
    write(dir.path(), "flat.rhai", "fn participant(ctx, p) { ctx.pay(p, \"flat\", 10); }");
    let text = format!("id = \"caps\"\nversion = \"1\"\ncurrency = \"CNY\"\n{policies}");
    let plan = write(dir.path(), "plan.toml", &text);
    let period = write(dir.path(), "period.json", PERIOD);
    let summary = payplan(&["eval", "--plan", &plan, "--period", &period, "--format", "csv-summary"]);
    (evaluate_at(&dir.path().join("plan.toml"), &text, PERIOD, 1).unwrap(), stdout(&summary))
}

#[test]
fn a_policy_cap_holds_each_positive_line_and_says_so() {
    let (result, _) = run("[[policy]]\nid = \"s\"\nscript = \"sales.rhai\"\ncap = 100\n");
    assert_eq!(rows(&result), ["a s sales 99.99", "b s sales 100.00", "c s sales 100.00", "d s sales -500.00"]);
    let explain = |who: &str| result.payouts.iter().find(|p| p.participant == who).unwrap().explain.clone();
    assert_eq!(explain("b"), ["its sales"], "a line at the cap is not capped");
    assert_eq!(explain("c"), ["its sales", "capped at 100.00 (was 100.01)"]);
    assert_eq!(explain("d"), ["its sales"], "a negative line is not capped");
    assert_eq!(result.totals.amount.to_string(), "-200.01");
}

#[test]
fn a_period_cap_pays_back_the_excess_of_a_participants_total_after_the_plans_policies() {
    let plan = "[caps]\nperiod = 110\n[[policy]]\nid = \"s\"\nscript = \"sales.rhai\"\n[[policy]]\nid = \"f\"\nscript = \"flat.rhai\"\n";
    let (result, summary) = run(plan);
    // Totals 109.99, 110.00 and 110.01: only c's is over, by a cent; d's is negative.
    assert_eq!(
        rows(&result),
        [
            "a s sales 99.99",
            "a f flat 10.00",
            "b s sales 100.00",
            "b f flat 10.00",
            "c s sales 100.01",
            "c f flat 10.00",
            "c caps cap:period -0.01",
            "d s sales -500.00",
            "d f flat 10.00",
        ]
    );
    let line = result.payouts.iter().find(|p| p.policy == "caps").unwrap();
    assert_eq!(line.explain, ["plan lines total 110.01; period cap 110.00: -0.01"]);
    assert_eq!(result.totals.participants["c"].0.to_string(), "110.00");
    assert_eq!(
        summary,
        "participant,name,s,f,caps,total\na,,99.99,10.00,0.00,109.99\nb,,100.00,10.00,0.00,110.00\n\
         c,,100.01,10.00,-0.01,110.00\nd,,-500.00,10.00,0.00,-490.00\n"
    );
}

#[test]
fn both_caps_apply_in_order_the_policys_first() {
    let plan = "[caps]\nperiod = 105\n[[policy]]\nid = \"s\"\nscript = \"sales.rhai\"\ncap = 100\n[[policy]]\nid = \"f\"\nscript = \"flat.rhai\"\n";
    let (result, _) = run(plan);
    // c: 100.01 capped at 100.00, plus 10 = 110.00, over 105 by 5.00.
    let c: Vec<String> = rows(&result).into_iter().filter(|r| r.starts_with("c ")).collect();
    assert_eq!(c, ["c s sales 100.00", "c f flat 10.00", "c caps cap:period -5.00"]);
    assert_eq!(result.totals.participants["a"].0.to_string(), "105.00");
}
