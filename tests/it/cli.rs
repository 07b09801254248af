//! The `payplan` binary as a user drives it: exit statuses and the messages for bad input.

use crate::support::{payplan, stderr, stdout, write};

const PLAN: &str = r#"
id = "p"
version = "1"
currency = "CNY"
[[policy]]
id = "commission"
script = "c.rhai"
"#;

const PERIOD: &str = r#"{
  "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
  "participants": [{"id": "a", "target": "100"}],
  "deals": [{"id": "d1", "participant": "a", "amount": "100", "closed_on": "2026-03-02"}]
}"#;

/// Runs `payplan eval` on a plan whose only script is `script`, against `period`.
fn eval(script: &str, period: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.rhai", script);
    let plan = write(dir.path(), "plan.toml", PLAN);
    let period = write(dir.path(), "period.json", period);
    payplan(&["eval", "--plan", &plan, "--period", &period])
}

#[test]
fn every_input_problem_is_listed_with_its_path_and_nothing_is_evaluated() {
    let period = r#"{
      "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31"},
      "teams": [{"id": "t"}, {"id": "t"}],
      "participants": [
        {"id": "a", "team": "nowhere", "prior_deals": -1},
        {"id": "b", "mentor": "p999", "target": "lots"},
        {"id": "c", "mentor": "c", "hired_on": "2026-02-30"}
      ],
      "deals": [
        {"id": "d1", "participant": "a", "amount": 120.50, "closed_on": "2026-03-02"},
        {"id": "d2", "participant": "a", "amount": "12,000", "closed_on": "2026-04-01"},
        {"id": "d1", "participant": "zed", "closed_on": "2026-03-05"}
      ]
    }"#;
    let out = eval("fn evaluate(ctx) {}", period);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    for expected in [
        "period.currency: is required",
        "teams[1].id: duplicate id \"t\" (first at teams[0])",
        "participants[0].team: unknown team \"nowhere\"",
        "participants[0].prior_deals: -1 is not a whole number >= 0",
        "participants[1].mentor: unknown participant \"p999\"",
        "participants[1].target: \"lots\" is not a decimal",
        "participants[2].hired_on: \"2026-02-30\" is not a date (YYYY-MM-DD)",
        "participants[2].mentor: a participant cannot mentor itself",
        "deals[1].amount: \"12,000\" is not a decimal",
        "deals[1].closed_on: 2026-04-01 is outside the period 2026-03-01 to 2026-03-31",
        "deals[2].participant: unknown participant \"zed\"",
        "deals[2].amount: is required",
        "deals[2].id: duplicate id \"d1\" (first at deals[0])",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(err.contains("13 problems"), "{err}");
}

#[test]
fn malformed_json_names_line_and_column() {
    let out = eval("fn evaluate(ctx) {}", "{\n  \"period\": {\"id\": \"x\",,}\n}");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("line 2, column"), "{err}");
}

#[test]
fn a_deal_of_the_wrong_shape_names_its_path() {
    let out = eval("fn evaluate(ctx) {}", &PERIOD.replace(r#""deals": ["#, r#""deals": [7, "#));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("deals[0]: invalid type: integer `7`, expected a deal object"), "{err}");
}

#[test]
fn a_script_that_does_not_compile_is_reported_with_file_line_and_column() {
    let out = eval("fn participant(ctx, p) {\n    let x = ;\n}\n", PERIOD);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("policy `commission`: "), "{err}");
    assert!(err.contains("c.rhai:2:13: "), "{err}");
}

#[test]
fn a_script_without_an_entry_point_is_refused() {
    let out = eval("fn helper(x) { x }", PERIOD);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("defines none of fn participant(ctx, p), fn team(ctx, t) or fn evaluate(ctx)"));
    let out = eval("fn team(ctx, t) {}\nfn evaluate(ctx) {}", PERIOD);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("defines more than one of fn participant(ctx, p), fn team(ctx, t)"));
}

#[test]
fn a_team_entry_point_runs_once_per_team_and_ctx_team_still_finds_a_team() {
    let period = r#"{
      "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
      "teams": [{"id": "t2"}, {"id": "t1"}, {"id": "t3"}],
      "participants": [{"id": "a", "team": "t2"}, {"id": "b", "team": "t1"}, {"id": "c", "team": "t2"}, {"id": "d"}]
    }"#;
    let script = "fn team(ctx, t) {\n    for p in t.members {\n        ctx.pay(p, \"x\", t.members.len(), [ctx.team(t.id).id]);\n    }\n}\n";
    let out = eval(script, period);
    assert!(out.status.success(), "{}", stderr(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<String> = result["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["participant"], p["amount"], p["explain"][0]))
        .collect();
    // t3 has no members and d no team: neither is paid.
    assert_eq!(rows, [r#""a" "2.00" "t2""#, r#""b" "1.00" "t1""#, r#""c" "2.00" "t2""#]);
}

#[test]
fn a_policy_failure_exits_1_naming_the_policy_and_the_position() {
    let out = eval("fn participant(ctx, p) {\n    let x = p.sales / 0;\n}\n", PERIOD);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("policy `commission` failed: "), "{err}");
    assert!(err.contains("c.rhai:2:"), "{err}");
}

#[test]
fn a_runaway_script_breaks_the_operations_limit() {
    let out = eval("fn evaluate(ctx) {\n    loop { }\n}\n", PERIOD);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("policy `commission` broke the operations limit"), "{err}");
}

#[test]
fn two_lines_for_one_component_are_refused() {
    let out = eval("fn participant(ctx, p) {\n    ctx.pay(p, \"x\", 1);\n    ctx.pay(p, \"x\", 2);\n}\n", PERIOD);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("emitted two lines for participant \"a\", component \"x\""));
}

#[test]
fn a_plan_in_another_currency_is_refused() {
    let out = eval("fn evaluate(ctx) {}", &PERIOD.replace("CNY", "JPY"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the plan pays in CNY but the period 2026-03 is in JPY"));
}

#[test]
fn a_missing_file_is_named() {
    let out = payplan(&["eval", "--plan", "nowhere/plan.toml", "--period", "examples/period-2026-03.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere/plan.toml"));
}

#[test]
fn a_participant_token_is_made_for_one_participant() {
    let out = payplan(&["token", "--name", "ana", "--role", "participant", "--participant", "p001"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("role = \"participant\"\n"), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("participant = \"p001\"\n"), "{}", stdout(&out));
    for (args, why) in [
        (&["--role", "participant"][..], "a participant token needs --participant <id>"),
        (&["--role", "payroll", "--participant", "p001"][..], "--participant is only for --role participant"),
    ] {
        let out = payplan(&[&["token", "--name", "ana"], args].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(why), "{why:?} missing from {}", stderr(&out));
    }
}
