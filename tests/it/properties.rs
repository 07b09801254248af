//! Properties on random periods: the Rhai policies agree with the reference to the cent; the
//! result does not depend on runs, threads, or the order and layout of the input; pools add up.

use crate::reference::{Kpi, Params, Row, expected};
use crate::support::{evaluate, rows, score_rows};
use payplan::input::parse_period;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The library's deterministic generator, so a failing seed reproduces exactly, with the
/// helpers these tests draw with.
pub(crate) struct Rng(payplan::input::generate::Rng);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(payplan::input::generate::Rng(seed))
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
    pub(crate) fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn decs(list: &[&str]) -> Vec<Decimal> {
    list.iter().map(|s| dec(s)).collect()
}

/// A small period made to hit the edges: exact thresholds (round targets and amounts), ties,
/// refunds, missing targets, mentors in and out of their windows.
pub(crate) fn random_period(r: &mut Rng, participants: usize) -> Value {
    let teams: Vec<Value> = (0..r.below(4))
        .map(|i| {
            let mut t = json!({"id": format!("t{i}")});
            if let Some(target) = r.pick(&[None, Some("0"), Some("2000"), Some("5000"), Some("10000")]) {
                t["target"] = json!(target);
            }
            t
        })
        .collect();
    let people: Vec<Value> = (0..participants)
        .map(|i| {
            let mut p = json!({"id": format!("p{i:03}"), "hired_on": format!("2026-0{}-{:02}", 1 + r.below(3), 1 + r.below(28))});
            if !teams.is_empty() && r.chance(80) {
                p["team"] = json!(format!("t{}", r.below(teams.len())));
            }
            if let Some(g) = r.pick(&[None, Some("g0"), Some("g1"), Some("g2")]) {
                p["group"] = json!(g);
            }
            if let Some(t) = r.pick(&[None, Some("0"), Some("1000"), Some("2000"), Some("2500"), Some("4000")]) {
                p["target"] = json!(t);
            }
            if i > 0 && r.chance(30) {
                p["mentor"] = json!(format!("p{:03}", r.below(i)));
            }
            if let Some(n) = r.pick(&[None, Some(0), Some(1)]) {
                p["prior_deals"] = json!(n);
            }
            // A hierarchy: a manager among the earlier participants (no cycles), chains of any depth.
            if i > 0 && r.chance(50) {
                p["manager"] = json!(format!("p{:03}", i - 1 - r.below(i.min(3))));
            }
            // Proration at the period's edges: one day, the whole period written out, a mid-month hire.
            match r.below(10) {
                0 => {
                    let day = format!("2026-03-{:02}", 1 + r.below(31));
                    p["active_from"] = json!(day);
                    p["active_to"] = json!(day);
                }
                1 => {
                    p["active_from"] = json!("2026-03-01");
                    p["active_to"] = json!("2026-03-31");
                }
                2 => p["active_from"] = json!(format!("2026-03-{:02}", 2 + r.below(30))),
                3 => p["active_to"] = json!(format!("2026-03-{:02}", 1 + r.below(30))),
                _ => {}
            }
            let mut metrics = serde_json::Map::new();
            if let Some(v) = r.pick(&[None, Some("10"), Some("40"), Some("55.5")]) {
                metrics.insert("visits".into(), json!(v));
            }
            if let Some(v) = r.pick(&[None, Some("70"), Some("90"), Some("99.5")]) {
                metrics.insert("csat".into(), json!(v));
            }
            p["metrics"] = Value::Object(metrics);
            p
        })
        .collect();
    let deals: Vec<Value> = (0..r.below(participants * 3 + 1))
        .map(|i| {
            let amount = if r.chance(60) {
                r.pick(&["250", "500", "1000", "1250", "2000", "-250", "-500", "10.10", "10.30"]).to_string()
            } else {
                format!("{}.{:02}", r.below(3000) as i64 - 300, r.below(100))
            };
            let mut deal = json!({
                "id": format!("d{i:03}"),
                "participant": format!("p{:03}", r.below(participants)),
                "amount": amount,
                "closed_on": format!("2026-03-{:02}", 1 + r.below(31)),
            });
            if let Some(segment) = r.pick(&[None, Some("A"), Some("B"), Some("C")]) {
                deal["segment"] = json!(segment);
            }
            if let Some(kind) = r.pick(&[None, Some("new"), Some("repeat"), Some("upgrade")]) {
                deal["kind"] = json!(kind);
            }
            if r.chance(20) {
                deal["channel"] = json!(r.pick(&["partner", "direct"]));
            }
            let mut credited = vec![deal["participant"].as_str().unwrap().to_owned()];
            if participants >= 2 && r.chance(25) {
                // 2–4 split participants, with shares that leave cents to the remainder rule.
                let shares = r.pick(&[
                    vec!["0.5", "0.5"],
                    vec!["0.6", "0.4"],
                    vec!["0.333", "0.333", "0.334"],
                    vec!["0.7", "0.15", "0.15"],
                    vec!["0.25", "0.25", "0.25", "0.25"],
                    vec!["0.1", "0.2", "0.3", "0.4"],
                ]);
                let mut ids: Vec<usize> = (0..participants).collect();
                for k in 0..shares.len().min(participants) {
                    ids.swap(k, k + r.below(participants - k));
                }
                let split: Vec<Value> = ids
                    .iter()
                    .zip(&shares)
                    .map(|(id, share)| json!({"participant": format!("p{id:03}"), "share": share}))
                    .collect();
                if split.len() == shares.len() {
                    credited = split.iter().map(|s| s["participant"].as_str().unwrap().to_owned()).collect();
                    match r.below(3) {
                        0 => {
                            deal.as_object_mut().unwrap().remove("participant");
                        }
                        _ => deal["participant"] = json!(credited[r.below(credited.len())]),
                    }
                    deal["splits"] = json!(split);
                }
            }
            if r.chance(15) {
                // One or two overlay participants, none of them credited by the deal already.
                let mut overlay = Vec::new();
                for _ in 0..1 + r.below(2) {
                    let other = format!("p{:03}", r.below(participants));
                    if !credited.contains(&other) {
                        let share = r.pick(&["1", "0.5", "0.333", "2.5", "10"]);
                        overlay.push(json!({"participant": other, "share": share}));
                        credited.push(other);
                    }
                }
                if !overlay.is_empty() {
                    deal["overlay"] = json!(overlay);
                }
            }
            deal
        })
        .collect();
    json!({
        "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY"},
        "teams": teams, "participants": people, "deals": deals
    })
}

pub(crate) fn random_params(r: &mut Rng) -> Params {
    let tiers = r.pick(&[
        vec![("0.8", "0.03"), ("1.0", "0.05"), ("1.2", "0.08")],
        vec![("0", "0.015"), ("0.5", "0.025"), ("1", "0.045")],
        vec![("0.9", "0.035")],
    ]);
    Params {
        rounding: r.pick(&["half_up", "half_even"]),
        tiers: tiers.iter().map(|(a, b)| (dec(a), dec(b))).collect(),
        method: r.pick(&["whole", "marginal"]),
        threshold: dec(r.pick(&["1.0", "1.2", "0.5"])),
        pool: dec(r.pick(&["100", "1000.01", "99.99", "0.05"])),
        pool_rate: dec(r.pick(&["0.01", "0.015", "0.0333"])),
        min_attainment: dec(r.pick(&["0", "0.5", "0.8"])),
        window_days: r.pick(&[0, 10, 30, 90]),
        mentor_amount: dec(r.pick(&["100", "50.5"])),
        mentee_amount: dec("80"),
        override_rate: dec(r.pick(&["0.02", "0.015", "0.125"])),
        metric: r.pick(&["attainment", "sales"]),
        prizes: decs(&r.pick(&[vec!["300", "200", "100"], vec!["100"], vec!["1000.01", "0.03"]])),
        split: r.pick(&["equal", "by_sales"]),
        min_members: r.pick(&[1, 2, 3]),
        kpis: vec![
            Kpi { name: "sales", measure: "attainment", target: None, weight: dec("0.5"), cap: Some(dec("1.5")) },
            Kpi {
                name: "visits",
                measure: "metric:visits",
                target: Some(dec("40")),
                weight: dec("0.3"),
                cap: Some(dec("1.2")),
            },
            Kpi { name: "csat", measure: "metric:csat", target: Some(dec("90")), weight: dec("0.2"), cap: None },
        ],
        grades: vec![(dec("90"), "A"), (dec("70"), "B"), (dec("50"), "C")],
        base: dec(r.pick(&["1000", "333.335"])),
        multipliers: vec![("A", dec("1.5")), ("B", dec("1"))],
        levels: decs(&r.pick(&[vec!["0.02"], vec!["0.03", "0.015"], vec!["0.05", "0.02", "0.01", "0.005"]])),
        include_own: r.chance(50),
        rates: random_rates(r),
    }
}

/// Rate table rows that never tie (the tie is the policy tests' case): a catch-all, rows by
/// segment, rows by segment and kind, and one by segment, kind and attribute.
fn random_rates(r: &mut Rng) -> Vec<Row> {
    let row = |rate: &str, segment, kind, attribute| Row { rate: dec(rate), segment, kind, attribute };
    let mut rows = Vec::new();
    if r.chance(70) {
        rows.push(row("0.01", None, None, None));
    }
    for (segment, rate) in [("A", "0.05"), ("B", "0.035")] {
        if r.chance(70) {
            rows.push(row(rate, Some(segment), None, None));
        }
    }
    rows.push(row(r.pick(&["0.08", "0.0125"]), Some("A"), Some("new"), None));
    rows.push(row("0.02", Some("C"), Some("upgrade"), None));
    if r.chance(50) {
        rows.push(row("0.1", Some("A"), Some("new"), Some(("channel", "partner"))));
    }
    rows
}

/// The same period with its lists shuffled, indented, and its decimals written another way.
fn relayout(period: &Value, r: &mut Rng) -> String {
    let mut v = period.clone();
    for list in ["teams", "participants", "deals"] {
        let items = v[list].as_array_mut().unwrap();
        for i in (1..items.len()).rev() {
            items.swap(i, r.below(i + 1));
        }
        for item in items.iter_mut() {
            for list in ["splits", "overlay"] {
                if let Some(Value::Array(shares)) = item.get_mut(list) {
                    shares.reverse();
                }
            }
            for key in ["amount", "target"] {
                if let Some(Value::String(s)) = item.get(key).cloned() {
                    // "1250" as the number 1250.000, "10.10" as the string "10.1000".
                    let new = if s.contains('.') {
                        json!(format!("{s}00"))
                    } else {
                        format!("{s}.000").parse::<Value>().unwrap()
                    };
                    item[key] = new;
                }
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The check the issue describes: every line and score agrees with the independent
    /// implementation, in both rounding modes and both commission methods.
    #[test]
    fn rhai_policies_agree_with_the_reference(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let n = 1 + r.below(14);
        let period = random_period(&mut r, n);
        let params = random_params(&mut r);
        let text = period.to_string();
        let result = evaluate(&params.plan_text(), &text, 2).expect("evaluates");
        let input = parse_period(text.as_bytes()).expect("a valid period");
        let want = expected(&input.period, &params);
        prop_assert_eq!(rows(&result), want.lines);
        prop_assert_eq!(score_rows(&result), want.scores);
    }

    /// Same bytes across runs and thread counts; same hashes for a shuffled, re-indented,
    /// re-written period; pools that are paid add up exactly.
    #[test]
    fn results_are_deterministic_and_pools_add_up(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let n = 1 + r.below(40);
        let period = random_period(&mut r, n);
        let params = random_params(&mut r);
        let plan = params.plan_text();
        let text = period.to_string();
        let one = serde_json::to_string(&evaluate(&plan, &text, 1).unwrap()).unwrap();
        let two = serde_json::to_string(&evaluate(&plan, &text, 2).unwrap()).unwrap();
        let again = serde_json::to_string(&evaluate(&plan, &text, 2).unwrap()).unwrap();
        prop_assert_eq!(&one, &two);
        prop_assert_eq!(&one, &again);

        let a = evaluate(&plan, &text, 2).unwrap();
        let b = evaluate(&plan, &relayout(&period, &mut r), 2).unwrap();
        prop_assert_eq!(&a.input_hash, &b.input_hash);
        prop_assert_eq!(&a.result_hash, &b.result_hash);

        // Each team's excess lines add up to the pool, or nothing was paid.
        let input = parse_period(text.as_bytes()).unwrap();
        let pool = a.payouts.iter().filter(|p| p.policy == "excess");
        for team in &input.period.teams {
            let members: Vec<&str> = input.period.participants.iter()
                .filter(|p| p.team.as_deref() == Some(&team.id)).map(|p| p.id.as_str()).collect();
            let paid: Decimal = pool.clone().filter(|p| members.contains(&p.participant.as_str())).map(|p| p.amount).sum();
            let whole = params.pool.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            let whole = if params.rounding == "half_even" { params.pool.round_dp(2) } else { whole };
            prop_assert!(paid.is_zero() || paid == whole, "team {} was paid {} of {}", team.id, paid, whole);
        }
    }
}

#[test]
fn a_larger_period_gives_the_same_bytes_on_one_two_and_four_threads() {
    let mut r = Rng::new(7);
    let period = random_period(&mut r, 3000).to_string();
    let plan = random_params(&mut r).plan_text();
    let results: Vec<String> =
        [1, 2, 4].iter().map(|&t| serde_json::to_string(&evaluate(&plan, &period, t).unwrap()).unwrap()).collect();
    assert!(results[0].len() > 100_000, "the period produces many lines");
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
}

/// The example plan's result on the generated 10k period of seed 3, as of 2026-11-28, but for
/// the plan's own hash (which names every policy byte, so a script made faster moves it, and with
/// it `result_hash`): the SHA-256 of its JSON with `plan.hash` and `result_hash` left empty, so
/// every line, explanation, score and total.
const LINES_10K: &str = "sha256:0da384aab33dbd381b5438cad12c13eb19fdf48383ada8b537ae4f33feed505c";

#[test]
fn a_generated_10k_period_has_the_same_result_on_one_thread_and_two() {
    let mut period = Vec::new();
    let shape = payplan::input::generate::Shape { participants: 10_000, deals_per: 20, seed: 3 };
    payplan::input::generate::write_period(&mut period, shape).unwrap();
    let period = String::from_utf8(period).unwrap();
    let file = crate::support::repo().join("examples/plan.toml");
    let plan = std::fs::read_to_string(&file).unwrap();
    let one = crate::support::evaluate_at(&file, &plan, &period, 1).unwrap();
    let two = crate::support::evaluate_at(&file, &plan, &period, 2).unwrap();
    assert!(one.payouts.len() > 10_000, "{} lines", one.payouts.len());
    assert_eq!(one.result_hash, two.result_hash);
    assert_eq!(one, two);
    // The bytes as they were before the second performance round, which must not change them.
    let mut lines = one.clone();
    (lines.plan.hash, lines.result_hash) = (String::new(), String::new());
    let lines = payplan::hash::sha256(&serde_json::to_vec(&lines).unwrap());
    assert_eq!(lines, LINES_10K, "the generated 10k period's lines, explanations, scores or totals changed");
    // Reading the period (20 MB: several pieces) and writing the result (several chunks) are
    // parallel too.
    let json = |result, threads| payplan::runtime::thread_pool(threads).install(|| payplan::eval::to_json(result));
    assert!(json(&one, 1) == json(&two, 2), "the same JSON bytes");
}

/// The fast reader and the lenient one agree on random periods and on random damage to them:
/// both accept and read the same period, or both refuse.
#[test]
fn the_two_period_readers_agree_on_damaged_periods() {
    let (mut accepted, mut refused) = (0, 0);
    for seed in 0..300 {
        let mut r = Rng::new(seed);
        let n = 1 + r.below(8);
        let mut bytes = random_period(&mut r, n).to_string().into_bytes();
        // Damage: a few bytes replaced by ones JSON cares about (or none, a third of the time).
        for _ in 0..r.below(4) {
            let at = r.below(bytes.len());
            bytes[at] = b"0123456789.-\"{}[],:eE x"[r.below(23)];
        }
        match payplan::input::read_both(&bytes) {
            (Some(fast), Ok(lenient)) => {
                assert_eq!(fast, lenient, "seed {seed}");
                accepted += 1;
            }
            (None, Err(problems)) => {
                assert!(!problems.is_empty(), "seed {seed}");
                refused += 1;
            }
            (fast, lenient) => panic!(
                "seed {seed}: the fast reader {} and the lenient one {}: {}",
                if fast.is_some() { "accepts" } else { "refuses" },
                if lenient.is_ok() { "accepts" } else { "refuses" },
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    assert!(accepted > 50 && refused > 50, "{accepted} accepted, {refused} refused");
}

/// A field given twice (at the top or in a record) is refused by both readers, naming it: which
/// of the two was meant cannot be known. The fuzz target found the lenient reader taking the
/// last one while the fast one declined.
#[test]
fn a_field_given_twice_is_refused_by_both_readers() {
    let header = r#""period": {"id": "p", "start": "2026-03-01", "end": "2026-03-31", "currency": "USD"}"#;
    for (text, field) in [
        (format!(r#"{{{header}, "teams": [], "participants": [], "participants": []}}"#), "participants"),
        (
            format!(
                r#"{{{header}, "teams": [], "deals": [], "participants": [{{"id": "a", "name": "A", "name": "B"}}]}}"#
            ),
            "name",
        ),
    ] {
        match payplan::input::read_both(text.as_bytes()) {
            (None, Err(problems)) => {
                assert!(problems[0].message.contains(&format!("duplicate field `{field}`")), "{problems:?}")
            }
            (fast, lenient) => panic!("{text}: fast {fast:?}, lenient {lenient:?}"),
        }
    }
    // A form feed is not JSON white space, between list elements or anywhere else.
    let form_feed = format!("{{{header}, \"teams\": [\x0c{{\"id\": \"t\"}}], \"participants\": [], \"deals\": []}}");
    assert!(matches!(payplan::input::read_both(form_feed.as_bytes()), (None, Err(_))), "a form feed is refused");
    let once = format!(r#"{{{header}, "teams": [], "deals": [], "participants": [{{"id": "a", "name": "A"}}]}}"#);
    assert!(matches!(payplan::input::read_both(once.as_bytes()), (Some(_), Ok(_))), "the same given once is read");
}
