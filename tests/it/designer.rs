//! Designer tooling through the binary: what-if diff, CSV out, check, explain.

use crate::support::{payplan, repo, stderr, stdout, write};
use std::path::Path;

const PERIOD: &str = "examples/period-2026-03.json";

/// The example plan with `from` replaced by `to`, written beside the example so its script
/// paths still resolve.
fn example_variant(dir: &Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(repo().join("examples/plan.toml")).unwrap();
    assert!(text.contains(from));
    let text = text.replace(from, to).replace("../policies/", &format!("{}/", repo().join("policies").display()));
    write(dir, "b.toml", &text)
}

#[test]
fn diff_of_one_tier_rate_reports_exactly_the_participants_in_that_tier() {
    let dir = tempfile::tempdir().unwrap();
    let b = example_variant(dir.path(), "{ at = 1.00, rate = 0.05 }", "{ at = 1.00, rate = 0.06 }");
    let out = payplan(&["diff", "--plan", "examples/plan.toml", "--plan", &b, "--period", PERIOD, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The 100%–120% tier: p001 exactly at 100%, p006 at 115.56%, p007 at 112.67% (both with a
    // split credit), p014 at 106.67% of a prorated target.
    let lines: Vec<String> = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l["participant"].as_str().unwrap(),
                l["policy"].as_str().unwrap(),
                l["delta"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        ["p001 commission 5000.00", "p006 commission 6933.30", "p007 commission 5633.30", "p014 commission 1600.00"]
    );
    assert_eq!(c["gainers"], 4);
    assert_eq!(c["losers"], 0);
    assert_eq!(c["totals"]["delta"], "19166.60");
    assert_eq!(c["largest_movers"][0]["participant"], "p006");

    let table = payplan(&["diff", "--plan", "examples/plan.toml", "--plan", &b, "--period", PERIOD]);
    assert!(
        stdout(&table).contains("total A 450778.00 B 469944.60 delta 19166.60; 4 gain, 0 lose"),
        "{}",
        stdout(&table)
    );
    let csv = payplan(&["diff", "--plan", "examples/plan.toml", "--plan", &b, "--period", PERIOD, "--format", "csv"]);
    assert!(stdout(&csv).starts_with("participant,policy,a,b,delta\np001,commission,25000.00,30000.00,5000.00\n"));
}

#[test]
fn csv_out_matches_the_json_result_to_the_cent() {
    let json = payplan(&["eval", "--plan", "examples/plan.toml", "--period", PERIOD]);
    let result: payplan_sdk::result::EvalResult = serde_json::from_slice(&json.stdout).unwrap();
    let csv = payplan(&["eval", "--plan", "examples/plan.toml", "--period", PERIOD, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), result.payouts.len());
    for (row, line) in rows.iter().zip(&result.payouts) {
        assert_eq!(
            (&row[0], &row[2], &row[3], &row[4]),
            (
                line.participant.as_str(),
                line.policy.as_str(),
                line.component.as_str(),
                line.amount.to_string().as_str()
            )
        );
    }
    assert_eq!(&rows[0][1], "Deng Hui");

    let summary = payplan(&["eval", "--plan", "examples/plan.toml", "--period", PERIOD, "--format", "csv-summary"]);
    let mut reader = csv::Reader::from_reader(summary.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "participant",
            "name",
            "commission",
            "excess",
            "team",
            "mentor",
            "pk",
            "scorecard",
            "bonus",
            "override",
            "segment",
            "total"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 17, "every participant, paid or not");
    for row in &rows {
        assert_eq!(row[11].to_string(), result.totals.participants[&row[0]].0.to_string());
        let sum: rust_decimal::Decimal = (2..11).map(|i| row[i].parse::<rust_decimal::Decimal>().unwrap()).sum();
        assert_eq!(sum.to_string(), row[11].to_string());
    }
}

#[test]
fn check_reports_every_broken_script_with_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "one.rhai", "fn participant(ctx, p) {\n    let x = ;\n}\n");
    write(dir.path(), "two.rhai", "fn evaluate(ctx) {\n    ctx.pay(\"a\", \"x\" 1);\n}\n");
    write(dir.path(), "fine.rhai", "fn evaluate(ctx) {}\n");
    let plan = "id = \"p\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"one\"\nscript = \"one.rhai\"\n[[policy]]\nid = \"fine\"\nscript = \"fine.rhai\"\n[[policy]]\nid = \"two\"\nscript = \"two.rhai\"\n";
    let file = write(dir.path(), "plan.toml", plan);
    let out = payplan(&["check", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("policy `one`: ") && err.contains("one.rhai:2:13: "), "{err}");
    assert!(err.contains("2 |     let x = ;\n  |             ^"), "{err}");
    assert!(err.contains("policy `two`: ") && err.contains("two.rhai:2:"), "{err}");
    assert!(err.contains("2 problem(s)"), "{err}");

    let bad_plan =
        write(dir.path(), "bad.toml", &plan.replace("currency = \"CNY\"", "currency = \"CNY\"\nrounding = \"down\""));
    let err = stderr(&payplan(&["check", &bad_plan]));
    assert!(
        err.contains(
            "4:12: rounding \"down\" is not one of half_up, half_even\n4 | rounding = \"down\"\n  |            ^"
        ),
        "{err}"
    );

    let ok = payplan(&["check", "examples/plan.toml"]);
    assert_eq!(stdout(&ok), "OK plan example-2026 version 1: 9 policies (9 scripts, 0 plugins)\n");
}

#[test]
fn explain_shows_the_facts_each_line_with_its_explanation_and_the_total() {
    let out = payplan(&["eval", "--plan", "examples/plan.toml", "--period", PERIOD]);
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let explain = |extra: &[&str]| {
        let out = payplan(&[&["explain", "--participant", "p006"], extra].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let text = explain(&["--plan", "examples/plan.toml", "--period", PERIOD]);
    for fact in [
        "sales        693330.00 (3 deals)",
        "credit       d022 split 0.333 of 10000.01 → 3330.00",
        "target       600000.00 → attainment 115.56%",
        "manager      m02 (depth 2)",
        "team         north: sales 1515000.01 of target 1500000.00 (101.00%)",
        "group        north-1: sales 1256660.00 of target 1100000.00 (114.24%)",
        "mentees      p010",
    ] {
        assert!(text.contains(fact), "{fact:?} missing from\n{text}");
    }
    // The other new facts: an overlay credit, a prorated target, a manager's organisation.
    let facts = |id: &str| {
        let out = payplan(&["explain", "--plan", "examples/plan.toml", "--period", PERIOD, "--participant", id]);
        stdout(&out)
    };
    assert!(facts("p012").contains("credit       d011 overlay 0.1 of 410000.00 → 41000.00"));
    let hire = facts("p014");
    assert!(hire.contains("target       150000.00 → attainment 106.67%"), "{hire}");
    assert!(
        hire.contains("prorated     written 310000.00 × 15 of 31 days (active 2026-03-17 to 2026-03-31)"),
        "{hire}"
    );
    let head = facts("m00");
    for fact in ["reports      m01, m02", "org level 1  sales 0.00", "org level 2  sales 3350000.01"] {
        assert!(head.contains(fact), "{fact:?} missing from\n{head}");
    }
    let lines: Vec<&serde_json::Value> =
        result["payouts"].as_array().unwrap().iter().filter(|p| p["participant"] == "p006").collect();
    assert_eq!(lines.len(), 6);
    let mut at = 0;
    for line in lines {
        // Each line in result order, its amount, then every explanation under it.
        let amount = line["amount"].as_str().unwrap();
        let head = text[at..].find(amount).unwrap_or_else(|| panic!("{amount} missing after {at} in\n{text}"));
        at += head;
        for why in line["explain"].as_array().unwrap() {
            let why = format!("      {}\n", why.as_str().unwrap());
            at += text[at..].find(&why).unwrap_or_else(|| panic!("{why:?} missing in\n{text}"));
        }
    }
    assert!(text.ends_with(&format!("total {} CNY\n", result["totals"]["participants"]["p006"].as_str().unwrap())));

    // From a recorded run: the same statement, from the store alone.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    let recorded =
        payplan(&["--store", &store, "eval", "--plan", "examples/plan.toml", "--period", PERIOD, "--record"]);
    assert!(recorded.status.success());
    assert_eq!(explain(&["--store", &store, "--run", "1"]), text);

    let unknown = payplan(&["explain", "--plan", "examples/plan.toml", "--period", PERIOD, "--participant", "p999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("participant \"p999\""), "{}", stderr(&unknown));
}

#[test]
fn every_standard_policy_ships_with_passing_tests() {
    let out = payplan(&["test", "policies"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    for entry in std::fs::read_dir(repo().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(text.contains(&format!("ok   policies/{name}.test.toml: ")), "no passing test for {name}:\n{text}");
        }
    }
    let summary = text.lines().last().unwrap();
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 19 && summary.ends_with(" passed, 0 failed"), "{summary}");
}

#[test]
fn a_failing_policy_test_shows_the_diff_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo().join("policies/tiered_commission.rhai");
    let case = |expect: &str| {
        format!(
            "script = {:?}\n[[test]]\nname = \"tiers\"\nparams = {{ tiers = [ {{ at = 0.80, rate = 0.03 }}, {{ at = 1.00, rate = 0.05 }} ] }}\n\
             participants = [ {{ id = \"a\", target = 1000 }}, {{ id = \"c\", target = 1000 }} ]\n\
             deals = [ {{ participant = \"a\", amount = 800 }}, {{ participant = \"c\", amount = 1000 }} ]\n{expect}\n",
            script.to_string_lossy()
        )
    };
    let good = write(dir.path(), "good.test.toml", &case(r#"expect = ["a commission 24.00", "c commission 50.00"]"#));
    let out = payplan(&["test", &good]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).ends_with("1 passed, 0 failed\n"));

    let bad = write(dir.path(), "bad.test.toml", &case(r#"expect = ["a commission 24.00", "c commission 51.00"]"#));
    let out = payplan(&["test", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let diff =
        "  lines: - expected, + got\n      a commission 24.00\n    - c commission 51.00\n    + c commission 50.00\n";
    assert!(text.contains(&format!("FAIL {bad}: tiers\n{diff}")), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");

    let broken =
        write(dir.path(), "broken.test.toml", &case("expect = [1]").replace("name = \"tiers\"", "nme = \"x\""));
    let out = payplan(&["test", &broken]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.test.toml: 3:1: unknown key `nme`"), "{}", stderr(&out));
}

#[test]
fn check_holds_params_to_what_each_policy_declares() {
    let dir = tempfile::tempdir().unwrap();
    let policies = repo().join("policies");
    let plan = format!(
        "id = \"p\"\nversion = \"1\"\ncurrency = \"CNY\"\n\
         [[policy]]\nid = \"commission\"\nscript = \"{0}/tiered_commission.rhai\"\n\
         [policy.params]\ntiers = [ {{ at = 0.8, rate = 0.03 }} ]\ntierz = 1\n\
         [[policy]]\nid = \"team\"\nscript = \"{0}/team_bonus.rhai\"\n\
         [policy.params]\npool_rate = \"lots\"\n",
        policies.display()
    );
    let file = write(dir.path(), "plan.toml", &plan);
    let out = payplan(&["check", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    // Unknown: at the key, with a caret. Mistyped: at the key. Missing: at the policy's id.
    assert!(err.contains("9:1: policy `commission`: unknown param `tierz` (declared: tiers, method)"), "{err}");
    assert!(err.contains("9 | tierz = 1\n  | ^"), "{err}");
    assert!(
        err.contains("14:1: policy `team`: param `pool_rate` must be a number: share of the team's sales"),
        "{err}"
    );
    assert!(err.contains("11:6: policy `team`: missing param `min_attainment` (number)"), "{err}");
    assert!(err.contains("2 problem(s)"), "{err}");
    // Defaults fill what a plan leaves out: this plan gives tiered_commission no `method`.
    let fixed =
        plan.replace("tierz = 1\n", "").replace("pool_rate = \"lots\"", "pool_rate = 0.01\nmin_attainment = 0.5");
    let fixed = write(dir.path(), "fixed.toml", &fixed);
    let out = payplan(&["check", &fixed]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The example period written as the CSV files a CRM exports.
fn example_as_csv(dir: &Path) -> [String; 3] {
    let period: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(PERIOD)).unwrap()).unwrap();
    let sheet = |name: &str, list: &str, columns: &[&str]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(columns).unwrap();
        for item in period[list].as_array().unwrap() {
            let cell = |column: &&str| {
                let value = match column.strip_prefix("metric:") {
                    Some(metric) => &item["metrics"][metric],
                    None => &item[*column],
                };
                match value {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    // Splits and overlay: `participant:share` pairs.
                    serde_json::Value::Array(shares) => shares
                        .iter()
                        .map(|s| format!("{}:{}", s["participant"].as_str().unwrap(), s["share"].as_str().unwrap()))
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                }
            };
            w.write_record(columns.iter().map(cell)).unwrap();
        }
        write(dir, name, &String::from_utf8(w.into_inner().unwrap()).unwrap())
    };
    [
        sheet(
            "participants.csv",
            "participants",
            &[
                "id",
                "name",
                "team",
                "group",
                "hired_on",
                "mentor",
                "manager",
                "active_from",
                "active_to",
                "prior_deals",
                "target",
                "metric:visits",
                "metric:csat",
                "contract",
            ],
        ),
        sheet(
            "deals.csv",
            "deals",
            &["id", "participant", "splits", "overlay", "amount", "closed_on", "customer", "segment", "kind"],
        ),
        sheet("teams.csv", "teams", &["id", "name", "target"]),
    ]
}

fn import(files: &[String; 3]) -> std::process::Output {
    let [participants, deals, teams] = files;
    payplan(&[
        "import",
        "--period-id",
        "2026-03",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-31",
        "--currency",
        "CNY",
        "--participants",
        participants,
        "--deals",
        deals,
        "--teams",
        teams,
    ])
}

#[test]
fn csv_in_eval_csv_out_matches_the_json_path_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let files = example_as_csv(dir.path());
    let imported = import(&files);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let period = write(dir.path(), "imported.json", &stdout(&imported));
    for format in ["json", "csv", "csv-summary"] {
        let eval = |period: &str| {
            let out = payplan(&["eval", "--plan", "examples/plan.toml", "--period", period, "--format", format]);
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
        };
        // Same input_hash, so the same result bytes: the CSV path loses nothing.
        assert_eq!(eval(&period), eval(PERIOD), "{format}");
    }
}

#[test]
fn bad_csv_cells_are_named_by_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let files = example_as_csv(dir.path());
    let deals = std::fs::read_to_string(&files[1]).unwrap();
    // Row 3 is the second deal (row 1 is the header).
    let deals = deals
        .replacen("d002,p001,,,200000.00", "d002,p001,,,\"200000,00\"", 1)
        .replacen("d004,p002", "d004,p999", 1)
        .replacen("p002:0.6 p005:0.4", "p002:0.6 p005", 1);
    std::fs::write(&files[1], deals).unwrap();
    let people = std::fs::read_to_string(&files[0]).unwrap().replacen(",0,150000.00", ",none,150000.00", 1);
    std::fs::write(&files[0], people).unwrap();
    let out = import(&files);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let at = |file: &str, rest: &str| format!("{}: {rest}", dir.path().join(file).display());
    assert!(err.contains(&at("participants.csv", "row 5, column 10 (prior_deals): ")), "{err}");
    assert!(err.contains(&at("deals.csv", "row 3, column 5 (amount): ")), "{err}");
    assert!(err.contains(&at("deals.csv", "row 5, column 2 (participant): ")) && err.contains("p999"), "{err}");
    // A split without its share: the cell of the deal's splits.
    assert!(err.contains(&at("deals.csv", "row 4, column 3 (splits): is required")), "{err}");
    assert!(err.contains("4 problems"), "{err}");
}
