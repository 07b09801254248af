//! series.md end to end through the binary: months recorded and closed in turn, a quarterly
//! commission paid to date, history read from the store, replay over the recorded basis.

use crate::properties::Rng;
use crate::support::{payplan, repo, stderr, stdout, write};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) const MONTHS: [(&str, &str, &str); 3] = [
    ("2026-01", "2026-01-01", "2026-01-31"),
    ("2026-02", "2026-02-01", "2026-02-28"),
    ("2026-03", "2026-03-01", "2026-03-31"),
];

/// Month `m` of a random series: the same people (one leaves after February), random deals
/// with refunds, ids unique across the months.
pub(crate) fn month(r: &mut Rng, m: usize, people: usize) -> Value {
    let (id, start, end) = MONTHS[m];
    let participants: Vec<Value> = (0..people)
        .filter(|&i| !(m == 2 && i == people - 1))
        .map(|i| {
            let target = ["1000", "2000", "3000"][(i + m) % 3];
            json!({"id": format!("p{i:02}"), "target": target})
        })
        .collect();
    let deals: Vec<Value> = (0..r.below(people * 3 + 1))
        .map(|k| {
            let amount = format!("{}.{:02}", r.below(1500) as i64 - 200, r.below(100));
            let who = r.below(participants.len());
            json!({"id": format!("d{m}{k:03}"), "participant": participants[who]["id"], "amount": amount,
                   "closed_on": format!("{}{:02}", &start[..8], 1 + r.below(28))})
        })
        .collect();
    json!({"period": {"id": id, "start": start, "end": end, "currency": "CNY",
                      "series": {"id": "FY2026", "start": "2026-01-01"}},
           "participants": participants, "deals": deals})
}

pub(crate) fn plan(dir: &Path, rounding: &str) -> String {
    let script = repo().join("policies/tiered_commission.rhai");
    let text = format!(
        "id = \"q\"\nversion = \"1\"\ncurrency = \"CNY\"\nrounding = \"{rounding}\"\n\
         [[policy]]\nid = \"commission\"\nscript = {:?}\naccumulate = \"quarter\"\n[policy.params]\nmethod = \"marginal\"\n\
         tiers = [ {{ at = 0.5, rate = 0.0333 }}, {{ at = 1.0, rate = 0.051 }} ]\n",
        script.to_string_lossy()
    );
    write(dir, "plan.toml", &text)
}

fn lines(result: &Value) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    for p in result["payouts"].as_array().unwrap() {
        *out.entry(p["participant"].as_str().unwrap().to_owned()).or_default() +=
            p["amount"].as_str().unwrap().parse::<Decimal>().unwrap();
    }
    out
}

/// The three months as one period of the quarter, without a series: the cumulative evaluation.
fn quarter(months: &[Value]) -> Value {
    let mut targets: BTreeMap<String, Decimal> = BTreeMap::new();
    for m in months {
        for p in m["participants"].as_array().unwrap() {
            *targets.entry(p["id"].as_str().unwrap().to_owned()).or_default() +=
                p["target"].as_str().unwrap().parse::<Decimal>().unwrap();
        }
    }
    let participants: Vec<Value> = targets.iter().map(|(id, t)| json!({"id": id, "target": t.to_string()})).collect();
    let deals: Vec<Value> = months.iter().flat_map(|m| m["deals"].as_array().unwrap().clone()).collect();
    json!({"period": {"id": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31", "currency": "CNY"},
           "participants": participants, "deals": deals})
}

#[test]
fn months_paid_to_date_add_up_to_the_quarter_evaluated_at_once() {
    for seed in 0..6 {
        let mut r = Rng::new(seed);
        let dir = tempfile::tempdir().unwrap();
        let rounding = if seed % 2 == 0 { "half_up" } else { "half_even" };
        let plan = plan(dir.path(), rounding);
        let store = dir.path().join("s.db").to_string_lossy().into_owned();
        let months: Vec<Value> = (0..3).map(|m| month(&mut r, m, 6)).collect();
        let mut paid: BTreeMap<String, Decimal> = BTreeMap::new();
        for (m, period) in months.iter().enumerate() {
            let file = write(dir.path(), &format!("{}.json", MONTHS[m].0), &period.to_string());
            let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &file, "--record"]);
            assert!(out.status.success(), "seed {seed} month {m}: {}", stderr(&out));
            let result: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(result["basis"].as_array().map_or(0, Vec::len), m, "one basis entry per month before");
            for (who, amount) in lines(&result) {
                *paid.entry(who).or_default() += amount;
            }
            let closed = payplan(&["--store", &store, "period", "close", MONTHS[m].0, "--run", &(m + 1).to_string()]);
            assert!(closed.status.success(), "{}", stderr(&closed));
        }
        // A statement of March, evaluated again from the files: its history from the store.
        let march = dir.path().join("2026-03.json").to_string_lossy().into_owned();
        let who = months[2]["participants"][0]["id"].as_str().unwrap();
        let args = ["--store", &store, "explain", "--plan", &plan, "--period", &march, "--participant", who];
        let statement = payplan(&args);
        assert!(statement.status.success(), "{}", stderr(&statement));
        let file = write(dir.path(), "q.json", &quarter(&months).to_string());
        let out = payplan(&["eval", "--plan", &plan, "--period", &file]);
        assert!(out.status.success(), "{}", stderr(&out));
        let at_once = lines(&serde_json::from_slice(&out.stdout).unwrap());
        paid.retain(|_, amount| !amount.is_zero());
        assert_eq!(paid, at_once, "seed {seed}");
        // March replays from the store alone, on the history it recorded.
        let replay = payplan(&["--store", &store, "replay", "3"]);
        assert!(stdout(&replay).starts_with("MATCH"), "{}{}", stdout(&replay), stderr(&replay));
    }
}

#[test]
fn a_history_that_does_not_cover_the_series_is_an_input_error_naming_the_dates() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "half_up");
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    let mut r = Rng::new(3);
    let months: Vec<Value> = (0..3).map(|m| month(&mut r, m, 4)).collect();
    let file = |m: usize, period: &Value| write(dir.path(), &format!("m{m}.json"), &period.to_string());
    let eval = |path: &str, record: bool| {
        let mut args = vec!["--store", store.as_str(), "eval", "--plan", plan.as_str(), "--period", path];
        if record {
            args.push("--record");
        }
        payplan(&args)
    };
    let refused = |out: std::process::Output, why: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(why), "{why:?} missing from {}", stderr(&out));
    };
    let feb = file(1, &months[1]);
    refused(eval(&feb, false), "period.series: 2026-01-01 is in no closed period of series FY2026");
    let jan = file(0, &months[0]);
    assert!(eval(&jan, true).status.success());
    refused(eval(&feb, true), "period 2026-01 of series FY2026 is not closed: close 2026-01 first");
    assert!(payplan(&["--store", &store, "period", "close", "2026-01", "--run", "1"]).status.success());
    let mar = file(2, &months[2]);
    refused(eval(&mar, false), "2026-02-01 is in no closed period of series FY2026");
    // A deal id January used already; a series that starts on another day.
    let mut again = months[1].clone();
    again["deals"] =
        json!([{"id": months[0]["deals"][0]["id"], "participant": "p00", "amount": "1", "closed_on": "2026-02-02"}]);
    refused(eval(&file(3, &again), false), "is also in period 2026-01 of the series");
    let mut moved = months[1].clone();
    moved["period"]["series"]["start"] = json!("2025-12-01");
    refused(
        eval(&file(4, &moved), false),
        "series FY2026 starts on 2025-12-01 in period 2026-02 and on 2026-01-01 in period 2026-01",
    );
    // February is fine now, and a plan that does not accumulate reads no history at all.
    let out = eval(&feb, false);
    assert!(out.status.success(), "{}", stderr(&out));
    let plain = std::fs::read_to_string(&plan).unwrap().replace("accumulate = \"quarter\"\n", "");
    let plain = write(dir.path(), "plain.toml", &plain);
    let out = payplan(&["eval", "--plan", &plain, "--period", &mar]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("basis"));
}

#[test]
fn a_series_cap_takes_back_what_the_series_paid_over_it_and_no_more_than_this_month() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flat.rhai", "fn participant(ctx, p) { ctx.pay(p, \"flat\", p.metric(\"pay\")); }");
    let plan = write(
        dir.path(),
        "plan.toml",
        "id = \"c\"\nversion = \"1\"\ncurrency = \"CNY\"\n[caps]\nperiod = 120\nseries = 250\n\
         [[policy]]\nid = \"flat\"\nscript = \"flat.rhai\"\n",
    );
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    // a: 100 a month, over the series cap in March by 50. b: 150 in January (30 over the
    // period cap), 200 in February, 10 in March: the series cap takes back at most March's 10.
    let pay = [[("a", "100"), ("b", "150")], [("a", "100"), ("b", "200")], [("a", "100"), ("b", "10")]];
    let mut results = Vec::new();
    for (m, (id, start, end)) in MONTHS.iter().enumerate() {
        let participants: Vec<Value> =
            pay[m].iter().map(|(who, amount)| json!({"id": who, "metrics": {"pay": amount}})).collect();
        let period = json!({"period": {"id": id, "start": start, "end": end, "currency": "CNY",
                                       "series": {"id": "FY2026", "start": "2026-01-01"}},
                            "participants": participants});
        let file = write(dir.path(), &format!("{id}.json"), &period.to_string());
        let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &file, "--record"]);
        assert!(out.status.success(), "{}", stderr(&out));
        results.push(crate::support::rows(&serde_json::from_slice(&out.stdout).unwrap()));
        assert!(payplan(&["--store", &store, "period", "close", id, "--run", &(m + 1).to_string()]).status.success());
    }
    assert_eq!(results[0], ["a flat flat 100.00", "b flat flat 150.00", "b caps cap:period -30.00"]);
    // b: 120 before + 120 (after the period cap) = 240, under 250.
    assert_eq!(results[1], ["a flat flat 100.00", "b flat flat 200.00", "b caps cap:period -80.00"]);
    // a: 200 + 100 = 300 → −50. b: 240 + 10 = 250, exactly at the cap: no line.
    assert_eq!(results[2], ["a flat flat 100.00", "a caps cap:series -50.00", "b flat flat 10.00"]);
}

#[test]
fn a_recoverable_draw_is_paid_then_recovered_over_the_series_and_a_guarantee_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flat.rhai", "fn participant(ctx, p) { ctx.pay(p, \"flat\", p.metric(\"pay\")); }");
    let plan = write(
        dir.path(),
        "plan.toml",
        "id = \"d\"\nversion = \"1\"\ncurrency = \"CNY\"\n[draws]\nrecovery_rate = 0.5\n\
         [[policy]]\nid = \"flat\"\nscript = \"flat.rhai\"\n",
    );
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    let people = [
        json!([{"id": "n", "metrics": {"pay": "1200"}, "draw": {"kind": "recoverable", "amount": "5000"}},
               {"id": "g", "metrics": {"pay": "300"}, "draw": {"kind": "guarantee", "amount": "1000"}}]),
        json!([{"id": "n", "metrics": {"pay": "3000"}}, {"id": "g", "metrics": {"pay": "300"}}]),
        json!([{"id": "n", "metrics": {"pay": "10000"}}]),
    ];
    let mut results: Vec<Value> = Vec::new();
    for (m, (id, start, end)) in MONTHS.iter().enumerate() {
        let period = json!({"period": {"id": id, "start": start, "end": end, "currency": "CNY",
                                       "series": {"id": "FY2026", "start": "2026-01-01"}},
                            "participants": people[m]});
        let file = write(dir.path(), &format!("{id}.json"), &period.to_string());
        let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &file, "--record"]);
        assert!(out.status.success(), "{}", stderr(&out));
        results.push(serde_json::from_slice(&out.stdout).unwrap());
        assert!(payplan(&["--store", &store, "period", "close", id, "--run", &(m + 1).to_string()]).status.success());
    }
    let rows = |r: &Value| -> Vec<String> {
        r["payouts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {} {} {}",
                    p["participant"].as_str().unwrap(),
                    p["policy"].as_str().unwrap(),
                    p["component"].as_str().unwrap(),
                    p["amount"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        rows(&results[0]),
        [
            "g flat flat 300.00",
            "g draws draw:guarantee 700.00",
            "n flat flat 1200.00",
            "n draws draw:recoverable 3800.00"
        ]
    );
    assert_eq!(results[0]["balances"], json!({"n": "3800.00"}));
    // February: half of 3000 recovers 1500 of n's 3800; g's guarantee is never recovered.
    assert_eq!(rows(&results[1]), ["g flat flat 300.00", "n flat flat 3000.00", "n draws draw_recovery -1500.00"]);
    assert_eq!(results[1]["balances"], json!({"n": "2300.00"}));
    // March: half of 10000 would be 5000; the balance of 2300 is all there is to recover.
    assert_eq!(rows(&results[2]), ["n flat flat 10000.00", "n draws draw_recovery -2300.00"]);
    assert!(results[2].get("balances").is_none(), "no balance left: {}", results[2]);
    let replay = payplan(&["--store", &store, "replay", "3"]);
    assert!(stdout(&replay).starts_with("MATCH"), "{}", stderr(&replay));
    // A statement says what is left of the draw.
    let statement = stdout(&payplan(&["--store", &store, "explain", "--run", "2", "--participant", "n"]));
    assert!(statement.contains("draw balance 2300.00 CNY"), "{statement}");
}

#[test]
fn the_gate_pays_each_closed_month_as_the_new_plan_would_have_and_holds_the_increase() {
    let dir = tempfile::tempdir().unwrap();
    let old = plan(dir.path(), "half_up");
    let text = std::fs::read_to_string(&old).unwrap();
    let new = write(dir.path(), "new.toml", &text.replace("rate = 0.0333", "rate = 0.04"));
    let (paid_store, fresh_store) = (dir.path().join("paid.db"), dir.path().join("fresh.db"));
    let mut r = Rng::new(11);
    let mut fresh_totals = Vec::new();
    for (m, (id, ..)) in MONTHS.iter().enumerate() {
        let file = write(dir.path(), &format!("{id}.json"), &month(&mut r, m, 6).to_string());
        for (store, plan) in [(&paid_store, &old), (&fresh_store, &new)] {
            let store = store.to_string_lossy();
            let out = payplan(&["--store", &store, "eval", "--plan", plan, "--period", &file, "--record"]);
            assert!(out.status.success(), "{}", stderr(&out));
            if plan == &new {
                let result: Value = serde_json::from_slice(&out.stdout).unwrap();
                fresh_totals.push(result["totals"]["amount"].as_str().unwrap().to_owned());
            }
            assert!(
                payplan(&["--store", &store, "period", "close", id, "--run", &(m + 1).to_string()]).status.success()
            );
        }
    }
    let store = paid_store.to_string_lossy();
    let gate = |extra: &[&str]| payplan(&[&["--store", &*store, "gate", "--plan", &new], extra].concat());
    let out = gate(&["--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let g: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(g["series"], "FY2026");
    // Each month as the new plan pays it on its own re-evaluated history: what recording the
    // new plan month by month pays.
    let new_totals: Vec<&str> =
        g["periods"].as_array().unwrap().iter().map(|p| p["totals"]["b"].as_str().unwrap()).collect();
    assert_eq!(new_totals, fresh_totals);
    let increase: Decimal = g["increase_percent"].as_str().unwrap().parse().unwrap();
    assert!(increase > Decimal::ZERO, "a higher rate costs more: {g}");
    // The increase held to a limit just over it passes, just under it fails.
    let (over, under) = ((increase + Decimal::new(1, 2)).to_string(), (increase - Decimal::new(1, 2)).to_string());
    assert_eq!(gate(&["--max-increase", &over]).status.code(), Some(0));
    let refused = gate(&["--max-increase", &under]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains(&format!("costs {increase}% more")), "{}", stderr(&refused));
    // The last month alone, and the CSV of its changed lines.
    let last: Value = serde_json::from_slice(&gate(&["--format", "json", "--last", "1"]).stdout).unwrap();
    assert_eq!(last["periods"].as_array().unwrap().len(), 1);
    assert_eq!(last["periods"][0]["period"], "2026-03");
    let csv = stdout(&gate(&["--format", "csv", "--last", "1"]));
    assert!(csv.starts_with("period,participant,policy,paid,new,delta\n2026-03,"), "{csv}");
}

#[test]
fn a_refund_after_close_claws_back_what_the_listed_policy_paid_on_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rate.rhai", "fn participant(ctx, p) { ctx.pay(p, \"rate\", p.sales * 0.1); }");
    let with = "[clawback]\npolicies = [\"rate\"]\n";
    let text = |clawback: &str| {
        format!(
            "id = \"r\"\nversion = \"1\"\ncurrency = \"CNY\"\n{clawback}[[policy]]\nid = \"rate\"\nscript = \"rate.rhai\"\n"
        )
    };
    let (plan, plain) = (write(dir.path(), "plan.toml", &text(with)), write(dir.path(), "plain.toml", &text("")));
    let store = dir.path().join("s.db").to_string_lossy().into_owned();
    let period = |(id, start, end): (&str, &str, &str), deals: Value| {
        let p = json!({"period": {"id": id, "start": start, "end": end, "currency": "CNY",
                                  "series": {"id": "FY2026", "start": "2026-01-01"}},
                       "participants": [{"id": "a"}, {"id": "b"}], "deals": deals});
        write(dir.path(), &format!("{id}.json"), &p.to_string())
    };
    let jan = period(
        MONTHS[0],
        json!([{"id": "j1", "participant": "a", "amount": "1000", "closed_on": "2026-01-05"},
               {"id": "j2", "participant": "a", "amount": "500", "closed_on": "2026-01-06"},
               {"id": "j3", "amount": "300", "closed_on": "2026-01-07",
                "splits": [{"participant": "a", "share": "0.5"}, {"participant": "b", "share": "0.5"}]}]),
    );
    let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &jan, "--record"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(payplan(&["--store", &store, "period", "close", "2026-01", "--run", "1"]).status.success());
    // February: a refunds 400 of j1 (after January closed) and sells 200; b refunds half of j3.
    let refunds = json!([
        {"id": "f1", "participant": "a", "amount": "-400", "closed_on": "2026-02-03", "reverses": "j1"},
        {"id": "f2", "participant": "a", "amount": "200", "closed_on": "2026-02-04"},
        {"id": "f3", "amount": "-100", "closed_on": "2026-02-05", "reverses": "j3",
         "splits": [{"participant": "a", "share": "0.5"}, {"participant": "b", "share": "0.5"}]}]);
    let feb = period(MONTHS[1], refunds.clone());
    let rows = |plan: &str| {
        let out = payplan(&["--store", &store, "eval", "--plan", plan, "--period", &feb]);
        assert!(out.status.success(), "{}", stderr(&out));
        crate::support::rows(&serde_json::from_slice(&out.stdout).unwrap())
    };
    // January paid a 165.00 on sales of 1650, b 15.00 on 150. The rate policy sees February
    // without the reversals (20.00 on 200); the clawbacks take back 165 × 400/1650 = 40.00 and
    // 165 × 50/1650 = 5.00 from a, 15 × 50/150 = 5.00 from b.
    assert_eq!(
        rows(&plan),
        ["a rate rate 20.00", "a clawback rate:j1 -40.00", "a clawback rate:j3 -5.00", "b clawback rate:j3 -5.00"]
    );
    // Without [clawback], the reversals are ordinary refunds of February.
    assert_eq!(rows(&plain), ["a rate rate -25.00", "b rate rate -5.00"]);
    // A reversal must name a deal of the history, at most its amount, with its participants.
    for (deal, why) in [
        (
            json!({"id": "x", "participant": "a", "amount": "-1", "closed_on": "2026-02-03", "reverses": "nope"}),
            "deal \"x\" reverses \"nope\", which is in no earlier period of the series",
        ),
        (
            json!({"id": "x", "participant": "a", "amount": "-1000.01", "closed_on": "2026-02-03", "reverses": "j1"}),
            "deal \"x\" reverses 1000.01 of \"j1\", which was 1000",
        ),
        (
            json!({"id": "x", "participant": "b", "amount": "-1", "closed_on": "2026-02-03", "reverses": "j1"}),
            "deal \"x\" reverses \"j1\" but credits other participants",
        ),
        (
            json!({"id": "x", "participant": "a", "amount": "1", "closed_on": "2026-02-03", "reverses": "j1"}),
            "a deal that reverses another must have a negative amount",
        ),
    ] {
        let file = period(MONTHS[1], json!([deal]));
        let out = payplan(&["--store", &store, "eval", "--plan", &plan, "--period", &file]);
        assert_eq!(out.status.code(), Some(2), "{why}: {}", stdout(&out));
        assert!(stderr(&out).contains(why), "{why:?} missing from {}", stderr(&out));
    }
    // An accumulating policy may not be listed: its true-up already accounts for the refund.
    let accumulating =
        text(with).replace("script = \"rate.rhai\"\n", "script = \"rate.rhai\"\naccumulate = \"quarter\"\n");
    let accumulating = write(dir.path(), "acc.toml", &accumulating);
    let out = payplan(&["check", &accumulating]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("clawback names \"rate\", which accumulates"), "{}", stderr(&out));
}

#[test]
fn a_plugin_accumulates_as_its_script_does_with_no_change_to_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let policies = repo().join("policies").display().to_string();
    let source = |how: &str| {
        format!(
            "id = \"m\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"mgr\"\n{how}\naccumulate = \"quarter\"\n\
             [policy.params]\nlevels = [ {{ rate = 0.02 }}, {{ rate = 0.01 }} ]\n"
        )
    };
    let script = write(dir.path(), "script.toml", &source(&format!("script = \"{policies}/manager_override.rhai\"")));
    let wasm = crate::plugins::plugin("manager_override").display().to_string();
    let plugin = write(dir.path(), "plugin.toml", &source(&format!("plugin = \"{wasm}\"")));
    let mut r = Rng::new(21);
    let mut paid = 0;
    for (m, (id, ..)) in MONTHS.iter().enumerate() {
        let mut period = month(&mut r, m, 6);
        for (i, p) in period["participants"].as_array_mut().unwrap().iter_mut().enumerate().skip(1) {
            p["manager"] = json!(if i < 3 { "p00" } else { "p01" });
        }
        let file = write(dir.path(), &format!("{id}.json"), &period.to_string());
        let mut results = Vec::new();
        for (name, plan) in [("script", &script), ("plugin", &plugin)] {
            let store = dir.path().join(format!("{name}.db")).to_string_lossy().into_owned();
            let out = payplan(&["--store", &store, "eval", "--plan", plan, "--period", &file, "--record"]);
            assert!(out.status.success(), "{name}: {}", stderr(&out));
            let result: Value = serde_json::from_slice(&out.stdout).unwrap();
            results.push(result["payouts"].clone());
            assert!(
                payplan(&["--store", &store, "period", "close", id, "--run", &(m + 1).to_string()]).status.success()
            );
        }
        assert_eq!(results[0], results[1], "{id}: the same lines and explanations");
        paid += results[0].as_array().unwrap().len();
    }
    assert!(paid >= 4, "the months pay overrides ({paid} lines)");
}
