//! Each standard policy on small cases computed by hand, with the edges of policies.md.

use crate::support::{evaluate, plan_text, rows, score_rows};
use serde_json::{Value, json};

/// A March 2026 CNY period from JSON lists.
fn period(teams: Value, participants: Value, deals: Value) -> String {
    json!({
        "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
        "teams": teams, "participants": participants, "deals": deals
    })
    .to_string()
}

/// One deal per (participant, amount), closing on 2026-03-10.
fn deals(list: &[(&str, &str)]) -> Value {
    let items: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, (p, amount))| json!({"id": format!("d{i:03}"), "participant": p, "amount": amount, "closed_on": "2026-03-10"}))
        .collect();
    Value::Array(items)
}

fn run(rounding: &str, policies: &str, period: &str) -> Vec<String> {
    rows(&evaluate(&plan_text(rounding, policies), period, 2).expect("evaluates"))
}

const WHOLE: &str = r#"
[[policy]]
id = "c"
script = "tiered_commission.rhai"
[policy.params]
tiers = [ { at = 0.80, rate = 0.03 }, { at = 1.00, rate = 0.05 }, { at = 1.20, rate = 0.08 } ]
"#;

#[test]
fn commission_whole_pays_the_highest_tier_reached_on_all_sales() {
    let people = json!([
        {"id": "a", "target": "1000"}, {"id": "b", "target": "1000"}, {"id": "c", "target": "1000"},
        {"id": "d", "target": "1000"}, {"id": "e"}, {"id": "f", "target": "0"}, {"id": "g", "target": "1000"},
        {"id": "h", "target": "1000"}
    ]);
    let sales = deals(&[
        ("a", "800"),     // exactly 80%: 3% of 800
        ("b", "799.99"),  // just below: nothing
        ("c", "1000.00"), // exactly 100%: 5%
        ("d", "1200"),    // exactly 120%: 8%
        ("e", "5000"),    // no target: no line
        ("f", "5000"),    // target 0 means no target
        ("g", "-50"),     // negative sales: nothing
        ("h", "1500"),
        ("h", "-300"), // refunds count: 1200 → 8%
    ]);
    let got = run("half_up", WHOLE, &period(json!([]), people, sales));
    assert_eq!(got, ["a c commission 24.00", "c c commission 50.00", "d c commission 96.00", "h c commission 96.00"]);
}

#[test]
fn commission_marginal_pays_each_slice_at_its_rate() {
    let policy = WHOLE.replace("[policy.params]", "[policy.params]\nmethod = \"marginal\"");
    let people = json!([{"id": "a", "target": "1000"}, {"id": "b", "target": "1000"}, {"id": "c", "target": "1000"}]);
    // a: 3% of 800..1000 + 5% of 1000..1200 + 8% of 1200..1300 = 6 + 10 + 8.
    // b: 3% of 800..900 = 3. c: below 80%: nothing.
    let sales = deals(&[("a", "1300"), ("b", "900"), ("c", "799")]);
    let got = run("half_up", &policy, &period(json!([]), people, sales));
    assert_eq!(got, ["a c commission 24.00", "b c commission 3.00"]);
}

#[test]
fn half_up_and_half_even_round_midpoints_differently() {
    let policy = r#"
[[policy]]
id = "c"
script = "tiered_commission.rhai"
[policy.params]
tiers = [ { at = 0, rate = 0.05 } ]
"#;
    let people = json!([{"id": "a", "target": "1"}, {"id": "b", "target": "1"}]);
    // 10.10 × 0.05 = 0.505 and 10.30 × 0.05 = 0.515: exact midpoints.
    let p = period(json!([]), people, deals(&[("a", "10.10"), ("b", "10.30")]));
    assert_eq!(run("half_up", policy, &p), ["a c commission 0.51", "b c commission 0.52"]);
    assert_eq!(run("half_even", policy, &p), ["a c commission 0.50", "b c commission 0.52"]);
}

const EXCESS: &str = r#"
[[policy]]
id = "x"
script = "excess_pool.rhai"
[policy.params]
threshold = 1.20
pool = 100
"#;

#[test]
fn excess_pool_splits_by_excess_with_the_remainder_rule() {
    let teams = json!([{"id": "t1"}, {"id": "t2"}, {"id": "t3"}]);
    let people = json!([
        {"id": "a", "team": "t1", "target": "100"}, {"id": "b", "team": "t1", "target": "100"},
        {"id": "c", "team": "t1", "target": "100"}, {"id": "d", "team": "t1", "target": "100"},
        {"id": "e", "team": "t2", "target": "100"}, {"id": "f", "team": "t3", "target": "100"},
        {"id": "g", "target": "100"}
    ]);
    // t1: a, b, c each 10 past 120 (a third each: 33.34 to the smallest id), d below.
    // t2: e exactly at 120: weight 0, alone: the whole pool. t3: nobody qualifies.
    // g has no team: takes no part.
    let sales =
        deals(&[("a", "130"), ("b", "130"), ("c", "130"), ("d", "119.99"), ("e", "120"), ("f", "100"), ("g", "500")]);
    let got = run("half_up", EXCESS, &period(teams, people, sales));
    assert_eq!(got, ["a x excess 33.34", "b x excess 33.33", "c x excess 33.33", "e x excess 100.00"]);
}

#[test]
fn excess_pool_weights_by_how_far_past_the_threshold() {
    let teams = json!([{"id": "t"}]);
    let people = json!([{"id": "a", "team": "t", "target": "100"}, {"id": "b", "team": "t", "target": "100"}]);
    // Excess 10 and 20 of 30: 33.333… and 66.666…; b has the larger remainder and gets the cent.
    let got = run("half_up", EXCESS, &period(teams, people, deals(&[("a", "130"), ("b", "140")])));
    assert_eq!(got, ["a x excess 33.33", "b x excess 66.67"]);
}

const TEAM: &str = r#"
[[policy]]
id = "t"
script = "team_bonus.rhai"
[policy.params]
pool_rate = 0.01
min_attainment = 0.50
"#;

#[test]
fn team_bonus_needs_the_team_target_and_eligible_members() {
    let teams = json!([
        {"id": "hit", "target": "1000"}, {"id": "miss", "target": "1000"},
        {"id": "none"}, {"id": "nobody", "target": "100"}
    ]);
    let people = json!([
        {"id": "a", "team": "hit", "target": "400"}, {"id": "b", "team": "hit", "target": "400"},
        {"id": "c", "team": "hit", "target": "400"}, {"id": "d", "team": "hit", "target": "400"},
        {"id": "e", "team": "hit"},
        {"id": "m", "team": "miss", "target": "100"},
        {"id": "n", "team": "none", "target": "100"},
        {"id": "o", "team": "nobody", "target": "1000"}
    ]);
    // hit: sales exactly 1000 = target → pool 10.00; a, b, c reach 50% (200 of 400, exactly), d
    // does not, e has no target: 3.34 / 3.33 / 3.33. miss: 999.99 < 1000. none: no target.
    // nobody: team reaches its target but o is below 50%.
    let sales = deals(&[
        ("a", "200"),
        ("b", "200"),
        ("c", "300"),
        ("d", "199.99"),
        ("e", "100.01"),
        ("m", "999.99"),
        ("n", "5000"),
        ("o", "499.99"),
    ]);
    let got = run("half_up", TEAM, &period(teams, people, sales));
    assert_eq!(got, ["a t team 3.34", "b t team 3.33", "c t team 3.33"]);
}

const MENTOR: &str = r#"
[[policy]]
id = "m"
script = "mentor_bonus.rhai"
[policy.params]
window_days = 10
mentor_amount = 200
mentee_amount = 100
override_rate = 0.1
"#;

fn dated(list: &[(&str, &str, &str, &str)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(id, p, amount, day)| json!({"id": id, "participant": p, "amount": amount, "closed_on": day}))
            .collect(),
    )
}

#[test]
fn mentor_bonus_window_edges_first_deal_and_override() {
    let people = json!([
        {"id": "boss"},
        {"id": "a", "mentor": "boss", "hired_on": "2026-03-01"},
        {"id": "b", "mentor": "boss", "hired_on": "2026-03-05"},
        {"id": "c", "mentor": "boss", "hired_on": "2026-03-01", "prior_deals": 3},
        {"id": "d", "mentor": "boss", "hired_on": "2026-02-01"}
    ]);
    let list = dated(&[
        // a: a refund first, then two positive deals on the same day: the smaller id is first.
        ("a1", "a", "-10", "2026-03-01"),
        ("a3", "a", "50", "2026-03-11"), // day 10: the last day in the window
        ("a2", "a", "40", "2026-03-11"),
        ("a4", "a", "1000", "2026-03-12"), // day 11: out of the window
        // b: first deal on the day of hiring (day 0), and a refund in the window.
        ("b1", "b", "30", "2026-03-05"),
        ("b2", "b", "-130", "2026-03-06"),
        // c: deals before this period, so no first-deal bonus; still an override.
        ("c1", "c", "20", "2026-03-02"),
        // d: hired 28 days before the period: nothing is in its window.
        ("d1", "d", "500", "2026-03-01"),
    ]);
    let got = run("half_up", MENTOR, &period(json!([]), people, list));
    assert_eq!(
        got,
        [
            "a m first_deal 100.00",
            "b m first_deal 100.00",
            // a: -10 + 50 + 40 in window → 8.00. b: 30 - 130 → -10.00. c: 2.00.
            "boss m first_deal:a 200.00",
            "boss m first_deal:b 200.00",
            "boss m override:a 8.00",
            "boss m override:b -10.00",
            "boss m override:c 2.00",
        ]
    );
}

#[test]
fn mentor_bonus_fails_for_a_mentee_without_hired_on() {
    let people = json!([{"id": "boss"}, {"id": "kid", "mentor": "boss"}]);
    let err = evaluate(&plan_text("half_up", MENTOR), &period(json!([]), people, json!([])), 1).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("policy `m` failed: "), "{text}");
    assert!(text.contains("mentee kid has no hired_on"), "{text}");
    assert!(text.contains("mentor_bonus.rhai:"), "{text}");
    assert!(!err.is_input());
}

const PK: &str = r#"
[[policy]]
id = "pk"
script = "group_pk.rhai"
[policy.params]
metric = "attainment"
prizes = [300, 100, 50]
split = "equal"
min_members = 2
"#;

#[test]
fn group_pk_tie_blocks_share_their_ranks_prizes() {
    let people = json!([
        {"id": "a1", "group": "A", "target": "100"}, {"id": "a2", "group": "A", "target": "100"},
        {"id": "b1", "group": "B", "target": "50"}, {"id": "b2", "group": "B", "target": "50"},
        {"id": "c1", "group": "C", "target": "100"}, {"id": "c2", "group": "C", "target": "100"},
        {"id": "c3", "group": "C", "target": "100"},
        {"id": "s1", "group": "S", "target": "100"},
        {"id": "z1", "group": "Z"}, {"id": "z2", "group": "Z"}
    ]);
    // A: 300/200 = 150%, B: 150/100 = 150% (exact tie, found by cross-multiplying), C: 100%.
    // S has one member (min_members 2); Z has no target. A and B share ranks 1–2: 400 → 200
    // each; C is third: 50, split three ways: 16.67 to c1, 16.67 to c2, 16.66 to c3.
    let sales = deals(&[
        ("a1", "300"),
        ("b1", "100"),
        ("b2", "50"),
        ("c1", "100"),
        ("c2", "100"),
        ("c3", "100"),
        ("s1", "900"),
        ("z1", "900"),
    ]);
    let got = run("half_up", PK, &period(json!([]), people, sales));
    assert_eq!(
        got,
        [
            "a1 pk pk 100.00",
            "a2 pk pk 100.00",
            "b1 pk pk 100.00",
            "b2 pk pk 100.00",
            "c1 pk pk 16.67",
            "c2 pk pk 16.67",
            "c3 pk pk 16.66",
        ]
    );
}

#[test]
fn group_pk_by_sales_gives_negative_sellers_nothing() {
    let policy = PK.replace("\"equal\"", "\"by_sales\"").replace("\"attainment\"", "\"sales\"");
    let people = json!([
        {"id": "a1", "group": "A"}, {"id": "a2", "group": "A"}, {"id": "a3", "group": "A"},
        {"id": "b1", "group": "B"}, {"id": "b2", "group": "B"}
    ]);
    // A sells 300 (a3's refund counts in the group's sales): first, 300 split 1:2:0.
    // B sells 200: second, 100 split 1:1.
    let sales = deals(&[("a1", "110"), ("a2", "220"), ("a3", "-30"), ("b1", "100"), ("b2", "100")]);
    let got = run("half_up", &policy, &period(json!([]), people, sales));
    assert_eq!(got, ["a1 pk pk 100.00", "a2 pk pk 200.00", "b1 pk pk 50.00", "b2 pk pk 50.00"]);
}

const SCORING: &str = r#"
[[policy]]
id = "sc"
script = "scorecard.rhai"
[policy.params]
kpis = [
  { name = "sales", measure = "attainment", weight = 0.5, cap = 1.2 },
  { name = "visits", measure = "metric:visits", target = 40, weight = 0.5, cap = 1.0 },
]
grades = [ { min = 90, grade = "A" }, { min = 60, grade = "B" }, { min = 30, grade = "C" } ]

[[policy]]
id = "b"
script = "performance_bonus.rhai"
[policy.params]
scorecard = "sc"
base = 1000.005
multipliers = { A = 1.5, B = 1 }
"#;

#[test]
fn scorecard_caps_clamps_grades_and_bonus_pays_by_grade() {
    let people = json!([
        {"id": "a", "target": "100", "metrics": {"visits": "50"}},
        {"id": "b", "target": "300", "metrics": {"visits": "30"}},
        {"id": "c", "metrics": {"visits": "20"}},
        {"id": "d", "target": "100"}
    ]);
    // a: min(150/100, 1.2) and min(50/40, 1.0) → 50 × 1.2 + 50 × 1 = 110 → A → 1500.01 (half up).
    // b: 100/300 = 0.333… → 16.666…, 30/40 → 37.5: 54.17 → C: no multiplier, no bonus.
    // c: no target → 0, 20/40 → 25 → 25.00: below every grade: the last one, C.
    // d: sales -10 clamp to 0, no metric: 0.00 → C.
    let sales = deals(&[("a", "150"), ("b", "100"), ("d", "-10")]);
    let result = evaluate(&plan_text("half_up", SCORING), &period(json!([]), people, sales), 2).unwrap();
    assert_eq!(score_rows(&result), ["a sc 110.00 A", "b sc 54.17 C", "c sc 25.00 C", "d sc 0.00 C"]);
    assert_eq!(rows(&result), ["a b bonus 1500.01"]);
}

#[test]
fn scores_round_with_the_plans_mode() {
    let policy = r#"
[[policy]]
id = "sc"
script = "scorecard.rhai"
[policy.params]
kpis = [ { name = "visits", measure = "metric:visits", target = 1000, weight = 1 } ]
grades = [ { min = 0, grade = "X" } ]
"#;
    // 100 × 0.12345 = 12.345: a midpoint at two places.
    let people = json!([{"id": "a", "metrics": {"visits": "123.45"}}]);
    let p = period(json!([]), people, json!([]));
    let up = evaluate(&plan_text("half_up", policy), &p, 1).unwrap();
    let even = evaluate(&plan_text("half_even", policy), &p, 1).unwrap();
    assert_eq!(score_rows(&up), ["a sc 12.35 X"]);
    assert_eq!(score_rows(&even), ["a sc 12.34 X"]);
}

#[test]
fn bad_params_fail_the_policy_with_the_reason() {
    let policy = WHOLE.replace("at = 1.00", "at = 0.70");
    let people = json!([{"id": "a", "target": "1"}]);
    let err = evaluate(&plan_text("half_up", &policy), &period(json!([]), people, json!([])), 1).unwrap_err();
    assert!(err.to_string().contains("params.tiers[1].at must be greater than the tier before it"), "{err}");
}
