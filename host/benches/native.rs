//! The nine standard policies as native Rust over the engine's facts: the floor the Rhai and
//! WASM runtimes are measured against. They emit the same lines (the benchmark checks it) and
//! explanations of the same shape.

use payplan::error::{Location, Result};
use payplan::facts::{Facts, Who};
use payplan::plan::PolicySpec;
use payplan::runtime::{Env, Line, Output, Policy, ScoreLine};
use payplan_sdk::allocate::allocate;
use payplan_sdk::exact::parse_decimal;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn dec(v: &Value) -> Decimal {
    parse_decimal(v.to_string().trim_matches('"')).expect("a decimal param")
}

/// A native policy: a function over the facts and the params.
pub(crate) struct Native {
    id: String,
    params: serde_json::Map<String, Value>,
    rule: fn(&Env, &serde_json::Map<String, Value>, &mut Output),
}

impl Native {
    /// The native twin of a standard policy, chosen by its script's file name.
    pub(crate) fn of(spec: &PolicySpec) -> Box<dyn Policy> {
        let name = spec.source.file().file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let rule: fn(&Env, &serde_json::Map<String, Value>, &mut Output) = match name {
            "tiered_commission" => commission,
            "excess_pool" => excess,
            "team_bonus" => team,
            "mentor_bonus" => mentor,
            "group_pk" => pk,
            "scorecard" => scorecard,
            "performance_bonus" => bonus,
            "manager_override" => manager_override,
            "rate_table" => rate_table,
            other => panic!("no native twin for {other}"),
        };
        Box::new(Self { id: spec.id.clone(), params: spec.params.clone(), rule })
    }
}

impl Policy for Native {
    fn id(&self) -> &str {
        &self.id
    }
    fn location(&self) -> Location {
        Location { file: "native".into(), position: None }
    }
    fn run(&self, env: &Env, pool: &rayon::ThreadPool) -> Result<Output> {
        let mut out = Output::new(&self.id);
        pool.install(|| (self.rule)(env, &self.params, &mut out));
        Ok(out)
    }
}

fn pay(out: &mut Output, who: Who, component: &str, amount: Decimal, explain: Vec<String>) {
    out.lines.push(Line { who, component: component.into(), amount, explain });
}

fn money(env: &Env, x: Decimal) -> String {
    env.round(x).to_string()
}

/// Runs `f` for every participant in parallel, in id order.
fn each(env: &Env, out: &mut Output, f: impl Fn(Who, &mut Vec<Line>) + Sync) {
    let lines: Vec<Vec<Line>> = (0..env.facts.participants.len())
        .into_par_iter()
        .with_min_len(256)
        .map(|who| {
            let mut lines = Vec::new();
            f(who, &mut lines);
            lines
        })
        .collect();
    out.lines.extend(lines.into_iter().flatten());
}

fn commission(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let tiers: Vec<(Decimal, Decimal)> =
        params["tiers"].as_array().unwrap().iter().map(|t| (dec(&t["at"]), dec(&t["rate"]))).collect();
    let whole = params.get("method").and_then(Value::as_str).unwrap_or("whole") == "whole";
    let f: &Facts = &env.facts;
    each(env, out, |who, lines| {
        let Some(target) = f.target(who) else { return };
        let sales = f.people[who].sales;
        let mut why = vec![format!("sales {} of target {}", money(env, sales), money(env, target))];
        let amount = if whole {
            match tiers.iter().rev().find(|(at, _)| f.reaches(who, *at)) {
                Some((at, rate)) => {
                    why.push(format!("reaches tier {at} → rate {rate}"));
                    sales * rate
                }
                None => Decimal::ZERO,
            }
        } else {
            let mut sum = Decimal::ZERO;
            for (k, (at, rate)) in tiers.iter().enumerate() {
                let high = tiers.get(k + 1).map_or(sales, |(next, _)| sales.min(*next * target));
                let slice = high - *at * target;
                if slice > Decimal::ZERO {
                    sum += *rate * slice;
                    why.push(format!("tier {at}: {} × {rate}", money(env, slice)));
                }
            }
            sum
        };
        why.push(format!("= {}", money(env, amount)));
        lines.push(Line { who, component: "commission".into(), amount, explain: why });
    });
}

fn excess(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let (threshold, pool) = (dec(&params["threshold"]), env.round(dec(&params["pool"])));
    let f = &env.facts;
    for (t, team) in f.team_facts.iter().enumerate() {
        let qualifiers: Vec<Who> = team.members.iter().copied().filter(|&w| f.reaches(w, threshold)).collect();
        if qualifiers.is_empty() {
            continue;
        }
        let ids: Vec<&str> = qualifiers.iter().map(|&w| f.participants[w].id.as_str()).collect();
        let weights: Vec<Decimal> =
            qualifiers.iter().map(|&w| f.people[w].sales - threshold * f.target(w).unwrap_or_default()).collect();
        for ((&w, share), weight) in
            qualifiers.iter().zip(allocate(pool, f.currency.places(), &ids, &weights).unwrap()).zip(&weights)
        {
            let why = vec![
                format!("team {} pool {} among {}", f.teams[t].id, money(env, pool), ids.len()),
                format!("excess {} → {}", money(env, *weight), money(env, share)),
            ];
            pay(out, w, "excess", share, why);
        }
    }
}

fn team(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let (rate, min) = (dec(&params["pool_rate"]), dec(&params["min_attainment"]));
    let f = &env.facts;
    for (t, team) in f.team_facts.iter().enumerate() {
        let Some(target) = f.teams[t].target.filter(|x| *x > Decimal::ZERO) else { continue };
        if team.sales < target {
            continue;
        }
        let eligible: Vec<Who> = team.members.iter().copied().filter(|&w| f.reaches(w, min)).collect();
        if eligible.is_empty() {
            continue;
        }
        let pool = env.round(rate * team.sales);
        let ids: Vec<&str> = eligible.iter().map(|&w| f.participants[w].id.as_str()).collect();
        let shares = allocate(pool, f.currency.places(), &ids, &vec![Decimal::ONE; ids.len()]).unwrap();
        for (&w, share) in eligible.iter().zip(shares) {
            let why = vec![
                format!("team {} pool {}", f.teams[t].id, money(env, pool)),
                format!("equal share {}", money(env, share)),
            ];
            pay(out, w, "team", share, why);
        }
    }
}

fn mentor(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let window = dec(&params["window_days"]);
    let (to_mentor, to_mentee, rate) =
        (dec(&params["mentor_amount"]), dec(&params["mentee_amount"]), dec(&params["override_rate"]));
    let f = &env.facts;
    each(env, out, |who, lines| {
        let p = &f.participants[who];
        let Some(mentor) = p.mentor.as_deref().and_then(|m| f.who(m)) else { return };
        let hired = p.hired_on.expect("generated mentees have a hiring date");
        let in_window = |d: usize| {
            let days = Decimal::from((f.deals[d].closed_on - hired).num_days());
            days >= Decimal::ZERO && days <= window
        };
        let person = &f.people[who];
        if p.prior_deals() == 0
            && let Some(first) = person.first_deal.map(|i| person.deals[i].deal).filter(|&d| in_window(d))
        {
            let why = format!("first deal {} on {}", f.deals[first].id, f.deals[first].closed_on);
            lines.push(Line {
                who: mentor,
                component: format!("first_deal:{}", p.id),
                amount: to_mentor,
                explain: vec![why.clone()],
            });
            lines.push(Line { who, component: "first_deal".into(), amount: to_mentee, explain: vec![why] });
        }
        let sum: Decimal = person.deals.iter().filter(|c| in_window(c.deal)).map(|c| c.credit).sum();
        if !sum.is_zero() {
            let why = vec![format!("in-window deals sum to {}", money(env, sum))];
            lines.push(Line { who: mentor, component: format!("override:{}", p.id), amount: rate * sum, explain: why });
        }
    });
}

fn pk(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let metric = params["metric"].as_str().unwrap();
    let prizes: Vec<Decimal> = params["prizes"].as_array().unwrap().iter().map(dec).collect();
    let by_sales = params.get("split").and_then(Value::as_str) == Some("by_sales");
    let min_members = params.get("min_members").map_or(Decimal::ONE, dec);
    let f = &env.facts;
    let mut competing: Vec<usize> = (0..f.groups.len())
        .filter(|&g| {
            Decimal::from(f.groups[g].members.len()) >= min_members
                && (metric == "sales" || f.groups[g].target > Decimal::ZERO)
        })
        .collect();
    let ahead = |a: usize, b: usize| {
        let (a, b) = (&f.groups[a], &f.groups[b]);
        if metric == "sales" { b.sales.cmp(&a.sales) } else { (b.sales * a.target).cmp(&(a.sales * b.target)) }
    };
    competing.sort_by(|&a, &b| ahead(a, b).then_with(|| f.groups[a].id.cmp(&f.groups[b].id)));
    let mut i = 0;
    while i < competing.len() {
        let mut j = i;
        while j + 1 < competing.len() && ahead(competing[i], competing[j + 1]).is_eq() {
            j += 1;
        }
        let prize = env.round((i..=j).filter_map(|r| prizes.get(r)).sum());
        let ids: Vec<&str> = competing[i..=j].iter().map(|&g| f.groups[g].id.as_str()).collect();
        let shares = allocate(prize, f.currency.places(), &ids, &vec![Decimal::ONE; ids.len()]).unwrap();
        for (&g, group_prize) in competing[i..=j].iter().zip(shares) {
            if group_prize.is_zero() {
                continue;
            }
            let members = &f.groups[g].members;
            let ids: Vec<&str> = members.iter().map(|&w| f.participants[w].id.as_str()).collect();
            let weights: Vec<Decimal> = if by_sales {
                members.iter().map(|&w| f.people[w].sales.max(Decimal::ZERO)).collect()
            } else {
                vec![Decimal::ONE; ids.len()]
            };
            for (&w, share) in members.iter().zip(allocate(group_prize, f.currency.places(), &ids, &weights).unwrap()) {
                let why =
                    vec![format!("group {} rank {}", f.groups[g].id, i + 1), format!("share {}", money(env, share))];
                pay(out, w, "pk", share, why);
            }
        }
        i = j + 1;
    }
}

fn scorecard(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let kpis = params["kpis"].as_array().unwrap().clone();
    let grades: Vec<(Decimal, String)> = params["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (dec(&g["min"]), g["grade"].as_str().unwrap().into()))
        .collect();
    let f = &env.facts;
    let scores: Vec<ScoreLine> = (0..f.participants.len())
        .into_par_iter()
        .with_min_len(256)
        .map(|who| {
            let (p, person) = (&f.participants[who], &f.people[who]);
            let mut sum = Decimal::ZERO;
            let mut why = Vec::new();
            for kpi in &kpis {
                let measure = kpi["measure"].as_str().unwrap();
                let ratio = if measure == "attainment" {
                    f.target(who).map_or(Decimal::ZERO, |t| person.sales / t)
                } else {
                    let value = p.metrics.as_ref().and_then(|m| m.get(&measure[7..]));
                    value.map_or(Decimal::ZERO, |v| v.0 / dec(&kpi["target"]))
                };
                let ratio = ratio.max(Decimal::ZERO);
                let ratio = kpi.get("cap").map_or(ratio, |cap| ratio.min(dec(cap)));
                sum += dec(&kpi["weight"]) * ratio;
                why.push(format!(
                    "{}: {} × {}",
                    kpi["name"],
                    env.rounding.round(Decimal::ONE_HUNDRED * ratio, 2),
                    kpi["weight"]
                ));
            }
            let score = env.rounding.round(Decimal::ONE_HUNDRED * sum, 2);
            let grade = grades.iter().find(|(min, _)| *min <= score).unwrap_or(grades.last().unwrap()).1.clone();
            ScoreLine { who, score, grade, explain: why }
        })
        .collect();
    for s in scores {
        out.score_of.insert(s.who, out.scores.len());
        out.scores.push(s);
    }
}

fn bonus(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let scores = env.earlier(params["scorecard"].as_str().unwrap()).expect("the scorecard ran");
    let base = dec(&params["base"]);
    let multipliers = params["multipliers"].as_object().unwrap();
    each(env, out, |who, lines| {
        let Some(&i) = scores.score_of.get(&who) else { return };
        let s = &scores.scores[i];
        let multiplier = multipliers.get(&s.grade).map_or(Decimal::ZERO, dec);
        let why =
            vec![format!("score {} → grade {}", s.score, s.grade), format!("{} × {multiplier}", money(env, base))];
        lines.push(Line { who, component: "bonus".into(), amount: base * multiplier, explain: why });
    });
}

fn manager_override(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let rates: Vec<Decimal> = params["levels"].as_array().unwrap().iter().map(|l| dec(&l["rate"])).collect();
    let own = params.get("include_own").and_then(Value::as_bool).unwrap_or(false);
    let f = &env.facts;
    each(env, out, |who, lines| {
        let levels = f.org_levels(who, rates.len()).expect("generated sales do not overflow");
        if levels.is_empty() {
            return;
        }
        let mut total = Decimal::ZERO;
        let mut explain = Vec::with_capacity(levels.len() + 2);
        for (k, (sales, rate)) in levels.iter().zip(&rates).enumerate() {
            total += rate * sales;
            explain.push(format!("level {}: sales {} × {rate}", k + 1, money(env, *sales)));
        }
        if own {
            total += rates[0] * f.people[who].sales;
            explain.push(format!("own sales {} × {}", money(env, f.people[who].sales), rates[0]));
        }
        explain.push(format!("override {}", money(env, total)));
        lines.push(Line { who, component: "override".into(), amount: total, explain });
    });
}

/// A deal field as text, for a rate table row to compare.
fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// A rate table row: its rate and the keys it gives (segment, kind, attribute and value).
type Row<'a> = (Decimal, Option<&'a str>, Option<&'a str>, Option<(&'a str, String)>);

fn rate_table(env: &Env, params: &serde_json::Map<String, Value>, out: &mut Output) {
    let component = params.get("component").and_then(Value::as_str).unwrap_or("commission");
    let rows: Vec<Row> = params["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = |k: &str| r.get(k).and_then(Value::as_str);
            let attribute = key("attribute").map(|a| (a, text(&r["value"])));
            (dec(&r["rate"]), key("segment"), key("kind"), attribute)
        })
        .collect();
    let f = &env.facts;
    each(env, out, |who, lines| {
        let person = &f.people[who];
        if person.deals.is_empty() {
            return;
        }
        let mut credited = vec![None::<Decimal>; rows.len()];
        for c in &person.deals {
            let deal = &f.deals[c.deal];
            let matches = |(_, segment, kind, attribute): &Row| {
                let field =
                    |want: Option<&str>, have: Option<&String>| want.is_none_or(|w| have.is_some_and(|h| h == w));
                let attr =
                    attribute.as_ref().is_none_or(|(a, v)| deal.attributes.get(*a).is_some_and(|x| text(x) == *v));
                (field(*segment, deal.segment.as_ref()) && field(*kind, deal.kind.as_ref()) && attr).then(|| {
                    usize::from(segment.is_some()) + usize::from(kind.is_some()) + usize::from(attribute.is_some())
                })
            };
            let best = rows
                .iter()
                .enumerate()
                .filter_map(|(i, row)| Some((matches(row)?, i)))
                .max_by_key(|m| (m.0, std::cmp::Reverse(m.1)));
            if let Some((_, i)) = best {
                *credited[i].get_or_insert(Decimal::ZERO) += c.credit;
            }
        }
        let mut total = Decimal::ZERO;
        let mut explain = Vec::new();
        for (row, sum) in rows.iter().zip(&credited) {
            if let Some(sum) = sum {
                total += sum * row.0;
                explain.push(format!("{} × {}", money(env, *sum), row.0));
            }
        }
        explain.push(format!("total {}", money(env, total)));
        lines.push(Line { who, component: component.into(), amount: total, explain });
    });
}
