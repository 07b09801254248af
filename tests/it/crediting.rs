//! crediting.md end to end: bad credit, hierarchy and proration input is refused with its path
//! and nothing recorded; split credits add up exactly; a v1 period keeps its result.

use crate::properties::{Rng, random_period};
use crate::support::{payplan, repo, stderr, stdout, write};
use payplan::input::parse_period;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const PLAN: &str = "id = \"p\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"c\"\nscript = \"c.rhai\"\n";

/// Five participants and one deal, with `change` applied to the period.
fn period(change: impl FnOnce(&mut Value)) -> String {
    let mut v = json!({
        "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
        "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}, {"id": "e"}],
        "deals": [{"id": "d1", "participant": "a", "amount": "100.00", "closed_on": "2026-03-02"}]
    });
    change(&mut v);
    v.to_string()
}

fn splits(shares: &[(&str, &str)]) -> Value {
    shares.iter().map(|(who, share)| json!({"participant": who, "share": share})).collect()
}

#[test]
fn bad_credit_hierarchy_and_proration_input_is_refused_with_its_path_and_nothing_recorded() {
    let cases: Vec<(String, &str)> = vec![
        (
            period(|v| v["deals"][0]["splits"] = splits(&[("a", "0.5"), ("b", "0.499")])),
            "deals[0].splits: the shares sum to 0.999, not exactly 1",
        ),
        (
            period(|v| v["deals"][0]["splits"] = splits(&[("a", "1"), ("b", "0")])),
            "deals[0].splits[1].share: 0 is not in (0, 1]",
        ),
        (
            period(|v| v["deals"][0]["splits"] = splits(&[("a", "1.5"), ("b", "-0.5")])),
            "deals[0].splits[0].share: 1.5 is not in (0, 1]",
        ),
        (
            period(|v| v["deals"][0]["splits"] = splits(&[("a", "0.5"), ("a", "0.5")])),
            "deals[0].splits[1].participant: duplicate participant \"a\" (first at splits[0])",
        ),
        (
            period(|v| {
                v["deals"][0]["splits"] = splits(&[("a", "0.5"), ("b", "0.5")]);
                v["deals"][0]["overlay"] = splits(&[("b", "1")]);
            }),
            "deals[0].overlay[0].participant: \"b\" is already credited by the deal",
        ),
        (
            period(|v| v["deals"][0]["splits"] = splits(&[("b", "0.5"), ("c", "0.5")])),
            "deals[0].participant: \"a\" is not one of the split participants",
        ),
        (
            period(|v| {
                v["deals"][0]["splits"] = splits(&[("a", "0.5"), ("b", "0.5")]);
                v["deals"][0]["amount"] = json!("100.005");
            }),
            "deals[0].amount: 100.005 is not in whole minor units (2 places)",
        ),
        (
            period(|v| v["deals"][0]["overlay"] = splits(&[("b", "10.01")])),
            "deals[0].overlay[0].share: 10.01 is not in (0, 10]",
        ),
        (period(|v| v["participants"][2]["manager"] = json!("c")), "participants[2].manager: c → c"),
        (
            period(|v| {
                v["participants"][3]["manager"] = json!("b");
                v["participants"][1]["manager"] = json!("d");
            }),
            "participants[1].manager: b → d → b",
        ),
        (
            period(|v| {
                for (who, manager) in [(4, "a"), (0, "b"), (1, "c"), (2, "d"), (3, "e")] {
                    v["participants"][who]["manager"] = json!(manager);
                }
            }),
            "participants[0].manager: a → b → c → d → e → a",
        ),
        (
            period(|v| v["participants"][0]["manager"] = json!("zed")),
            "participants[0].manager: unknown participant \"zed\"",
        ),
        (
            period(|v| {
                v["participants"][0]["active_from"] = json!("2026-03-20");
                v["participants"][0]["active_to"] = json!("2026-03-19");
            }),
            "participants[0].active_to: 2026-03-19 is before active_from 2026-03-20",
        ),
        (
            period(|v| v["participants"][0]["active_from"] = json!("2026-02-28")),
            "participants[0].active_from: 2026-02-28 is outside the period 2026-03-01 to 2026-03-31",
        ),
        (
            period(|v| v["participants"][0]["active_to"] = json!("2026-04-01")),
            "participants[0].active_to: 2026-04-01 is outside the period 2026-03-01 to 2026-03-31",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.rhai", "fn participant(ctx, p) { ctx.pay(p, \"c\", p.sales); }");
    let plan = write(dir.path(), "plan.toml", PLAN);
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    for (text, path) in &cases {
        let file = write(dir.path(), "period.json", text);
        let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &file, "--record"]);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{path}: nothing evaluated");
        assert!(stderr(&out).contains(path), "{path:?} missing from\n{}", stderr(&out));
        // Both readers refuse it alike.
        let (fast, lenient) = payplan::input::read_both(text.as_bytes());
        assert!(fast.is_none() && lenient.is_err(), "{path}");
    }
    let runs = payplan(&["--store", &store, "runs"]);
    assert!(!stdout(&runs).contains("2026-03"), "nothing recorded: {}", stdout(&runs));
    // The same period with each problem mended is fine: the limits of each check, from inside.
    let fine = period(|v| {
        v["deals"][0]["splits"] = splits(&[("a", "0.333"), ("b", "0.333"), ("c", "0.334")]);
        v["deals"][0]["overlay"] = splits(&[("d", "10"), ("e", "0.001")]);
        v["participants"][1]["manager"] = json!("a");
        v["participants"][0]["active_from"] = json!("2026-03-31");
        v["participants"][1]["active_to"] = json!("2026-03-01");
    });
    let file = write(dir.path(), "period.json", &fine);
    let out = payplan(&["eval", "--plan", &plan, "--period", &file, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // 100.00 by 0.333 / 0.333 / 0.334 (no remainder); d 10 × 100.00; e 0.001 × 100.00 = 0.10.
    assert_eq!(
        stdout(&out).lines().skip(1).map(|l| l.split(',').next_back().unwrap()).collect::<Vec<_>>(),
        ["33.30", "33.30", "33.40", "1000.00", "0.10"]
    );
}

#[test]
fn the_credits_of_every_split_deal_add_up_to_its_amount_exactly() {
    let pool = payplan::runtime::thread_pool(1);
    let mut splits = 0;
    for seed in 0..300 {
        let mut r = Rng::new(seed);
        let n = 2 + r.below(12);
        let text = random_period(&mut r, n).to_string();
        let input = parse_period(text.as_bytes()).expect("a valid period");
        let period = input.period.clone();
        let facts = payplan::facts::Facts::new(input, payplan::money::Rounding::HalfEven, &pool).unwrap();
        for (d, deal) in period.deals.iter().enumerate().filter(|(_, deal)| !deal.splits.is_empty()) {
            let credited: Decimal = deal
                .splits
                .iter()
                .map(|s| {
                    let who = facts.who(&s.participant).unwrap();
                    facts.people[who].deals.iter().find(|c| c.deal == d).unwrap().credit
                })
                .sum();
            assert_eq!(credited, deal.amount, "seed {seed}: deal {}", deal.id);
            splits += 1;
        }
    }
    assert!(splits > 200, "{splits} split deals");
}

#[test]
fn a_v1_period_keeps_its_result_to_the_byte() {
    // The example as it was before crediting, its plan and its reviewed result (tests/v1/). Only
    // the plan's hash moves (mentor_bonus.rhai now reads each deal's credit, which for a v1
    // period is its amount), and with it the result's hash.
    let out = payplan(&["eval", "--plan", "tests/v1/plan.toml", "--period", "tests/v1/period.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let now: Value = serde_json::from_slice(&out.stdout).unwrap();
    let then: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/v1/expected.json")).unwrap()).unwrap();
    for field in ["period", "input_hash", "payouts", "scores", "totals"] {
        assert_eq!(now[field], then[field], "{field}");
    }
}
