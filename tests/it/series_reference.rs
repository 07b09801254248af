//! An independent implementation of ../shared/spec/series.md in plain Rust, written from the
//! spec (the policies themselves from tests/it/reference.rs), run against the engine on random
//! series of 3–12 months recorded and closed one after another in a store: every line, score,
//! balance and basis entry must agree to the cent.

use crate::properties::{Rng, random_params, random_period};
use crate::reference::{Owed as Line, POLICIES, Params, deal_credits, effective_target, owed, round_to, sales};
use crate::support::{repo, rows, score_rows};
use chrono::{Datelike, NaiveDate};
use payplan::audit::{self, Recording};
use payplan::eval::CompiledPlan;
use payplan::halt::Halt;
use payplan::input::parse_period;
use payplan::store::Kind;
use payplan_sdk::period::{DrawKind, Participant, Period, Team};
use payplan_sdk::result::EvalResult;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The series features of a random plan, on top of the nine standard policies' params.
#[derive(Debug, Clone, Default)]
struct Features {
    /// Policy id → `quarter` or `series`.
    accumulate: BTreeMap<&'static str, &'static str>,
    /// Policy id → its own `cap`.
    cap: BTreeMap<&'static str, Decimal>,
    period_cap: Option<Decimal>,
    series_cap: Option<Decimal>,
    /// `[clawback] policies`, none of them accumulating.
    clawback: Vec<&'static str>,
    /// `[draws] recovery_rate`, when the plan has the table.
    recovery_rate: Option<Decimal>,
}

impl Features {
    fn random(r: &mut Rng) -> Self {
        let mut f = Features::default();
        for policy in ["commission", "excess", "team", "mentor", "pk", "override", "rates"] {
            if r.chance(35) {
                f.accumulate.insert(policy, r.pick(&["quarter", "series"]));
            }
        }
        for policy in POLICIES.iter().filter(|p| **p != "scorecard") {
            if r.chance(20) {
                f.cap.insert(policy, Decimal::from(r.pick(&[20, 50, 200, 1000])));
            }
        }
        f.period_cap = r.chance(30).then(|| Decimal::from(r.pick(&[300, 1500])));
        f.series_cap = r.chance(30).then(|| Decimal::from(r.pick(&[800, 2500, 6000])));
        if r.chance(60) {
            for policy in ["commission", "excess", "rates", "mentor", "override", "bonus"] {
                if !f.accumulate.contains_key(policy) && r.chance(60) {
                    f.clawback.push(policy);
                }
            }
        }
        f.recovery_rate = r.chance(50).then(|| r.pick(&["0.5", "1", "0.25", "0.333"]).parse().unwrap());
        f
    }

    /// The plan: the nine policies of `params.plan_text()` with these features written in.
    fn plan_text(&self, params: &Params) -> String {
        let mut text = params.plan_text();
        let mut tables = String::new();
        if self.period_cap.is_some() || self.series_cap.is_some() {
            tables += "[caps]\n";
            tables += &self.period_cap.map_or(String::new(), |c| format!("period = {c}\n"));
            tables += &self.series_cap.map_or(String::new(), |c| format!("series = {c}\n"));
        }
        if !self.clawback.is_empty() {
            let list: Vec<String> = self.clawback.iter().map(|p| format!("{p:?}")).collect();
            tables += &format!("[clawback]\npolicies = [{}]\n", list.join(", "));
        }
        if let Some(rate) = self.recovery_rate {
            tables += &format!("[draws]\nrecovery_rate = {rate}\n");
        }
        text = text.replacen("\n[[policy]]", &format!("\n{tables}\n[[policy]]"), 1);
        for policy in POLICIES {
            let mut keys = String::new();
            if let Some(kind) = self.accumulate.get(policy) {
                keys += &format!("accumulate = \"{kind}\"\n");
            }
            if let Some(cap) = self.cap.get(policy) {
                keys += &format!("cap = {cap}\n");
            }
            let head = format!("[[policy]]\nid = \"{policy}\"\n");
            text = text.replacen(&head, &format!("{head}{keys}"), 1);
        }
        text
    }
}

/// Month `m` of 2026: its id, first and last day.
fn month_days(m: usize) -> (String, NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(2026, m as u32 + 1, 1).unwrap();
    let next = start.checked_add_months(chrono::Months::new(1)).unwrap();
    (format!("2026-{:02}", m + 1), start, next.pred_opt().unwrap())
}

/// `random_period`'s March dates moved into month `m` (days past its end on its last day).
fn move_dates(value: &mut Value, m: usize) {
    let (_, start, end) = month_days(m);
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if let (true, Some(day)) =
                    (["closed_on", "active_from", "active_to"].contains(&key.as_str()), v.as_str())
                {
                    let day: u32 = day[8..].parse().unwrap();
                    *v = json!(start.with_day(day.min(end.day())).unwrap().to_string());
                } else {
                    move_dates(v, m);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| move_dates(v, m)),
        _ => {}
    }
}

/// Who a deal credits by its `participant` and `splits` (a reversal must credit the same).
fn credited(deal: &Value) -> Vec<String> {
    let mut ids: Vec<String> = deal["participant"].as_str().map(str::to_owned).into_iter().collect();
    for s in deal["splits"].as_array().into_iter().flatten() {
        ids.push(s["participant"].as_str().unwrap().to_owned());
    }
    ids
}

/// A random series of 3–12 months of the same people: some join late and some leave early,
/// deals have ids unique across the series, some reverse deals of closed months (in part or
/// whole, one deal twice), some people have a draw.
fn random_series(r: &mut Rng) -> Vec<Value> {
    let months = 3 + r.below(10);
    let people = 3 + r.below(8);
    let spans: Vec<(usize, usize)> = (0..people)
        .map(|_| {
            let from = if r.chance(70) { 0 } else { r.below(months) };
            let to = if r.chance(75) { months - 1 } else { from + r.below(months - from) };
            (from, to)
        })
        .collect();
    // Deals that may be reversed: (id, its value, what is left of its amount).
    let mut reversible: Vec<(String, Value, Decimal)> = Vec::new();
    let mut out = Vec::new();
    for m in 0..months {
        let here = |id: &str| {
            let i: usize = id[1..].parse().unwrap();
            spans[i].0 <= m && m <= spans[i].1
        };
        let mut period = random_period(r, people);
        move_dates(&mut period, m);
        let (id, start, end) = month_days(m);
        period["period"] = json!({"id": id, "start": start.to_string(), "end": end.to_string(), "currency": "CNY",
                                  "series": {"id": "FY2026", "start": "2026-01-01"}});
        let participants = period["participants"].as_array_mut().unwrap();
        participants.retain(|p| here(p["id"].as_str().unwrap()));
        for p in participants.iter_mut() {
            for link in ["manager", "mentor"] {
                if p[link].as_str().is_some_and(|other| !here(other)) {
                    p.as_object_mut().unwrap().remove(link);
                }
            }
            if r.chance(12) {
                let kind = r.pick(&["guarantee", "recoverable"]);
                p["draw"] = json!({"kind": kind, "amount": r.pick(&["500", "1000", "2500.50"])});
            }
        }
        let deals = period["deals"].as_array_mut().unwrap();
        deals.retain(|d| {
            let overlay = d["overlay"].as_array().into_iter().flatten().map(|o| o["participant"].as_str().unwrap());
            credited(d).iter().map(String::as_str).chain(overlay).all(here)
        });
        for d in deals.iter_mut() {
            d["id"] = json!(format!("m{m:02}{}", d["id"].as_str().unwrap()));
        }
        let mut reversals = Vec::new();
        for k in 0..r.below(4) {
            let candidates: Vec<usize> = (0..reversible.len())
                .filter(|&i| !reversible[i].2.is_zero() && credited(&reversible[i].1).iter().all(|id| here(id)))
                .collect();
            if candidates.is_empty() {
                break;
            }
            let (original_id, original, left) = &mut reversible[r.pick(&candidates)];
            let amount = match r.below(3) {
                0 => *left,
                _ => (*left * r.pick(&["0.5", "0.3"]).parse::<Decimal>().unwrap()).round_dp(2).max(Decimal::new(1, 2)),
            };
            *left -= amount;
            let mut deal = original.clone();
            deal.as_object_mut().unwrap().remove("overlay");
            deal["id"] = json!(format!("m{m:02}r{k}"));
            deal["amount"] = json!((-amount).to_string());
            deal["closed_on"] = json!(start.with_day(1 + r.below(end.day() as usize) as u32).unwrap().to_string());
            deal["reverses"] = json!(original_id.clone());
            reversals.push(deal);
        }
        for d in deals.iter() {
            let amount: Decimal = d["amount"].as_str().unwrap().parse().unwrap();
            if amount > Decimal::ZERO && d.get("overlay").is_none() {
                reversible.push((d["id"].as_str().unwrap().to_owned(), d.clone(), amount));
            }
        }
        deals.extend(reversals);
        out.push(period);
    }
    out
}

/// What the reference pays in one month.
struct Month {
    lines: Vec<Line>,
    scores: Vec<String>,
    balances: BTreeMap<String, Decimal>,
}

struct Reference<'a> {
    params: &'a Params,
    features: &'a Features,
    periods: Vec<Period>,
    /// The lines paid in each month so far (the effective runs of the history).
    paid: Vec<Vec<Line>>,
}

fn quarter(p: &Period) -> (i32, u32) {
    (p.period.start.year(), p.period.start.month0() / 3)
}

fn without_reversals(p: &Period) -> Period {
    Period { deals: p.deals.iter().filter(|d| d.reverses.is_none()).cloned().collect(), ..p.clone() }
}

impl Reference<'_> {
    fn round(&self, x: Decimal) -> Decimal {
        round_to(x, 2, self.params.rounding)
    }

    /// The cumulative view of months `window` and month `now` (series.md, "To-date accumulation").
    fn view(&self, window: &[usize], now: usize) -> Period {
        let mut people: BTreeMap<String, (Participant, Option<Decimal>)> = BTreeMap::new();
        let mut teams: BTreeMap<String, (Team, Option<Decimal>)> = BTreeMap::new();
        let mut deals = Vec::new();
        let add = |a: Option<Decimal>, b: Option<Decimal>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        for &m in window.iter().chain([&now]) {
            let period = &self.periods[m];
            for p in &period.participants {
                let before = people.get(&p.id).and_then(|e| e.1);
                let target = add(before, effective_target(period, p, self.params.rounding));
                people.insert(p.id.clone(), (p.clone(), target));
            }
            for t in &period.teams {
                let before = teams.get(&t.id).and_then(|e| e.1);
                teams.insert(t.id.clone(), (t.clone(), add(before, t.target)));
            }
            deals.extend(period.deals.iter().cloned());
        }
        let present: BTreeSet<&str> = self.periods[now].participants.iter().map(|p| p.id.as_str()).collect();
        let participants = people
            .into_values()
            .map(|(mut p, target)| {
                p.target = target;
                (p.active_from, p.active_to) = (None, None);
                if !present.contains(p.id.as_str()) {
                    (p.metrics, p.manager) = (None, None);
                }
                p
            })
            .collect();
        let teams = teams
            .into_values()
            .map(|(mut t, target)| {
                t.target = target.filter(|t| !t.is_zero());
                t
            })
            .collect();
        Period { period: self.periods[now].period.clone(), participants, teams, deals, ..self.periods[now].clone() }
    }

    /// Whether month `now` is evaluated on its history: its plan or the month has a series feature.
    fn reads_history(&self, now: usize) -> bool {
        let f = self.features;
        !f.accumulate.is_empty()
            || f.series_cap.is_some()
            || !f.clawback.is_empty()
            || f.recovery_rate.is_some()
            || self.periods[now].participants.iter().any(|p| p.draw.is_some())
    }

    /// Month `now`, its history being every month before it.
    fn month(&self, now: usize) -> Month {
        let period = &self.periods[now];
        let f = self.features;
        let own = if f.clawback.is_empty() { period.clone() } else { without_reversals(period) };
        let (own_lines, scores) = owed(&own, self.params);
        let mut lines: Vec<Line> = Vec::new();
        for policy in POLICIES {
            let mut these: Vec<Line> = match f.accumulate.get(policy) {
                None => own_lines.iter().filter(|l| l.1 == policy).cloned().collect(),
                Some(kind) => {
                    let window: Vec<usize> = (0..now)
                        .filter(|&m| *kind == "series" || quarter(&self.periods[m]) == quarter(period))
                        .collect();
                    let (to_date, _) = owed(&self.view(&window, now), self.params);
                    let mut due: BTreeMap<(String, String), Decimal> = BTreeMap::new();
                    for (who, _, component, amount) in to_date.into_iter().filter(|l| l.1 == policy) {
                        *due.entry((who, component)).or_default() += amount;
                    }
                    for m in &window {
                        for (who, _, component, amount) in self.paid[*m].iter().filter(|l| l.1 == policy) {
                            *due.entry((who.clone(), component.clone())).or_default() -= amount;
                        }
                    }
                    due.into_iter().map(|((who, component), amount)| (who, policy, component, amount)).collect()
                }
            };
            if let Some(cap) = f.cap.get(policy) {
                these.iter_mut().for_each(|l| l.3 = l.3.min(*cap));
            }
            lines.extend(these);
        }
        let plan_lines = lines.clone();
        let total = |lines: &[Line], who: &str| -> Decimal {
            lines.iter().filter(|l| l.0 == who && l.1 != "draws").map(|l| l.3).sum()
        };
        let who_paid: BTreeSet<String> = plan_lines.iter().map(|l| l.0.clone()).collect();
        for who in &who_paid {
            let mut after = total(&plan_lines, who);
            if let Some(cap) = f.period_cap.filter(|cap| after > *cap) {
                lines.push((who.clone(), "caps", "cap:period".into(), cap - after));
                after = cap;
            }
            if let Some(cap) = f.series_cap {
                let to_date = self.paid.iter().map(|m| total(m, who)).sum::<Decimal>() + after;
                if to_date > cap {
                    let take = (to_date - cap).min(after.max(Decimal::ZERO));
                    lines.push((who.clone(), "caps", "cap:series".into(), -take));
                }
            }
        }
        if !f.clawback.is_empty() {
            let mut reversed: BTreeMap<(String, String), Decimal> = BTreeMap::new();
            for deal in &period.deals {
                let Some(original) = &deal.reverses else { continue };
                for (who, credit) in deal_credits(deal, period, self.params) {
                    *reversed.entry((original.clone(), who)).or_default() += credit;
                }
            }
            for ((original, who), credit) in reversed {
                let then = (0..now).find(|&m| self.periods[m].deals.iter().any(|d| d.id == original)).unwrap();
                let sales_then = sales(&without_reversals(&self.periods[then]), self.params);
                let Some(s) = sales_then.get(&who).filter(|s| **s > Decimal::ZERO) else { continue };
                for policy in &f.clawback {
                    let paid: Decimal =
                        self.paid[then].iter().filter(|l| l.0 == who && l.1 == *policy).map(|l| l.3).sum();
                    lines.push((
                        who.clone(),
                        "clawback",
                        format!("{policy}:{original}"),
                        self.round(credit * paid / s),
                    ));
                }
            }
        }
        // Draws: the balance before this month is over every month before it, when the history
        // is read at all (series.md: only for a plan or period with a series feature).
        let mut balances: BTreeMap<String, Decimal> = BTreeMap::new();
        if self.reads_history(now) {
            for (who, _, component, amount) in self.paid.iter().flatten().filter(|l| l.1 == "draws") {
                let change = match component.as_str() {
                    "draw:recoverable" => *amount,
                    "draw_recovery" => -amount.abs(),
                    _ => Decimal::ZERO,
                };
                *balances.entry(who.clone()).or_default() += change;
            }
        }
        let earned: BTreeMap<String, Decimal> = lines.iter().fold(BTreeMap::new(), |mut sums, l| {
            *sums.entry(l.0.clone()).or_default() += l.3;
            sums
        });
        let earned = |who: &str| earned.get(who).copied().unwrap_or_default();
        let rate = f.recovery_rate.unwrap_or(Decimal::ONE);
        let mut draws: BTreeMap<&str, Decimal> = BTreeMap::new();
        for p in &period.participants {
            let Some(draw) = &p.draw else { continue };
            draws.insert(&p.id, draw.amount);
            let line = (draw.amount - earned(&p.id)).max(Decimal::ZERO);
            lines.push((
                p.id.clone(),
                "draws",
                format!("draw:{}", if draw.kind == DrawKind::Guarantee { "guarantee" } else { "recoverable" }),
                line,
            ));
        }
        for (who, balance) in balances.iter_mut() {
            let t = draws.get(who.as_str()).copied().unwrap_or_default();
            if *balance > Decimal::ZERO && earned(who) > t {
                let recovery = (*balance).min(self.round(rate * (earned(who) - t)));
                lines.push((who.clone(), "draws", "draw_recovery".into(), -recovery));
                *balance -= recovery;
            }
        }
        for (who, _, _, amount) in lines.iter().filter(|l| l.2 == "draw:recoverable") {
            *balances.entry(who.clone()).or_default() += amount;
        }
        balances.retain(|_, b| !b.is_zero());
        lines.retain(|l| !l.3.is_zero());
        let place = |policy: &str| POLICIES.iter().chain(&["caps", "clawback", "draws"]).position(|p| *p == policy);
        lines.sort_by(|a, b| (&a.0, place(a.1), &a.2).cmp(&(&b.0, place(b.1), &b.2)));
        let present: BTreeSet<&str> = period.participants.iter().map(|p| p.id.as_str()).collect();
        let mut scores: Vec<String> = scores
            .iter()
            .filter(|s| present.contains(s.0.as_str()))
            .map(|(id, s, g)| format!("{id} scorecard {s:.2} {g}"))
            .collect();
        scores.sort();
        Month { lines, scores, balances }
    }
}

/// The engine on the series: each month evaluated on its history read from a store, recorded
/// with its basis, and closed before the next.
fn engine(plan_text: &str, months: &[String]) -> Vec<EvalResult> {
    let dir = tempfile::tempdir().unwrap();
    let store = payplan::store::open(&dir.path().join("s.db").to_string_lossy()).unwrap();
    let file = repo().join("policies").join("plan.toml");
    let plan = payplan::plan::parse(&file, plan_text, |p| std::fs::read(p).map_err(|e| e.to_string())).unwrap();
    let compiled = CompiledPlan::new(plan).unwrap();
    let pool = payplan::runtime::thread_pool(2);
    let mut results = Vec::new();
    for text in months {
        let input = parse_period(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let id = input.period.period.id.clone();
        let history =
            compiled.needs_history(&input.period).then(|| payplan::series::read(store.as_ref(), &input.period));
        let history = history.transpose().unwrap_or_else(|e| panic!("{id}: {e}"));
        let (result, _) = compiled.evaluate_series(input, history.as_ref(), &pool, &Halt::never()).unwrap();
        let basis = history.map(|h| h.runs()).unwrap_or_default();
        let how = Recording { basis, ..Recording::new("test", Kind::Run) };
        let stored = audit::record(store.as_ref(), text.as_bytes(), &compiled.plan, &result, how).unwrap();
        audit::close(store.as_ref(), &id, stored.record.seq, "test").unwrap();
        results.push(result);
    }
    results
}

/// Evaluates the series of `seed` with the engine and the reference, month by month, and
/// returns the months with the engine's results once every line, score, balance and basis
/// entry agrees.
fn agree(seed: u64) -> Result<Vec<(Period, EvalResult)>, TestCaseError> {
    let mut r = Rng::new(seed);
    let months: Vec<String> = random_series(&mut r).iter().map(Value::to_string).collect();
    let params = random_params(&mut r);
    let features = Features::random(&mut r);
    let plan = features.plan_text(&params);
    let results = engine(&plan, &months);
    let periods = months.iter().map(|m| parse_period(m.as_bytes()).unwrap().period).collect();
    let mut reference = Reference { params: &params, features: &features, periods, paid: Vec::new() };
    for (m, result) in results.iter().enumerate() {
        let want = reference.month(m);
        let at = &result.period;
        let want_lines: Vec<String> = want.lines.iter().map(|(who, p, c, a)| format!("{who} {p} {c} {a:.2}")).collect();
        prop_assert_eq!(rows(result), want_lines, "seed {} {}\n{}", seed, at, plan);
        prop_assert_eq!(score_rows(result), want.scores, "{}", at);
        let balances: BTreeMap<String, Decimal> = result.balances.iter().map(|(k, v)| (k.clone(), v.0)).collect();
        prop_assert_eq!(balances, want.balances, "{}", at);
        // The basis: every month before, by the result recorded for it.
        let basis: Vec<(&str, &str)> = result.basis.iter().map(|b| (&*b.period, &*b.result_hash)).collect();
        let before: Vec<(&str, &str)> = results[..m].iter().map(|r| (&*r.period, &*r.result_hash)).collect();
        prop_assert_eq!(basis, if reference.reads_history(m) { before } else { Vec::new() }, "{}", at);
        reference.paid.push(want.lines);
    }
    Ok(reference.periods.into_iter().zip(results).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The check the issue describes, on random seeds.
    #[test]
    fn series_agree_with_the_reference(seed in any::<u64>()) {
        agree(seed)?;
    }
}

/// The same check on fixed seeds, which between them reach every rule of series.md: a test
/// whose series never bit a cap or recovered a draw would prove little.
#[test]
fn fixed_series_agree_with_the_reference_and_reach_every_rule() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in 0..24 {
        for (period, result) in agree(seed).unwrap_or_else(|e| panic!("{e}")) {
            for line in &result.payouts {
                let absent = !period.participants.iter().any(|p| p.id == line.participant);
                let explain = line.explain.join("\n");
                let rules = [
                    ("cap:period", line.component == "cap:period"),
                    ("cap:series", line.component == "cap:series"),
                    ("clawback", line.policy == "clawback"),
                    ("draw:guarantee", line.component == "draw:guarantee"),
                    ("draw:recoverable", line.component == "draw:recoverable"),
                    ("draw_recovery", line.component == "draw_recovery"),
                    ("a policy cap", explain.contains("capped at")),
                    ("a true-up down", explain.contains("paid before") && line.amount.is_sign_negative()),
                    ("an absent payee", absent),
                ];
                for (rule, hit) in rules {
                    *seen.entry(rule).or_default() += usize::from(hit);
                }
            }
        }
    }
    for rule in [
        "cap:period",
        "cap:series",
        "clawback",
        "draw:guarantee",
        "draw:recoverable",
        "draw_recovery",
        "a policy cap",
        "a true-up down",
        "an absent payee",
    ] {
        assert!(seen[rule] > 0, "no series reached {rule}: {seen:?}");
    }
}
