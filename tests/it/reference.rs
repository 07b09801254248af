//! An independent implementation of ../shared/spec/policies.md and crediting.md in plain Rust,
//! written from the spec (not from the scripts or the engine's facts), to cross-check the Rhai
//! policies on random periods.

use payplan_sdk::period::{Deal, Participant, Period};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// A tier or KPI list and every other param of the seven standard policies, as one plan.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub rounding: &'static str,
    pub tiers: Vec<(Decimal, Decimal)>,
    pub method: &'static str,
    pub threshold: Decimal,
    pub pool: Decimal,
    pub pool_rate: Decimal,
    pub min_attainment: Decimal,
    pub window_days: i64,
    pub mentor_amount: Decimal,
    pub mentee_amount: Decimal,
    pub override_rate: Decimal,
    pub metric: &'static str,
    pub prizes: Vec<Decimal>,
    pub split: &'static str,
    pub min_members: usize,
    pub kpis: Vec<Kpi>,
    pub grades: Vec<(Decimal, &'static str)>,
    pub base: Decimal,
    pub multipliers: Vec<(&'static str, Decimal)>,
    /// manager_override: the rate of each level, level 1 first.
    pub levels: Vec<Decimal>,
    pub include_own: bool,
    /// rate_table: its rows.
    pub rates: Vec<Row>,
}

/// A rate table row: the keys it gives and its rate.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub rate: Decimal,
    pub segment: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub attribute: Option<(&'static str, &'static str)>,
}

impl Row {
    fn toml(&self) -> String {
        let mut s = format!("{{ rate = {}", self.rate);
        if let Some(x) = self.segment {
            s += &format!(", segment = \"{x}\"");
        }
        if let Some(x) = self.kind {
            s += &format!(", kind = \"{x}\"");
        }
        if let Some((a, v)) = self.attribute {
            s += &format!(", attribute = \"{a}\", value = \"{v}\"");
        }
        s + " }"
    }

    /// How many keys it gives, when it matches the deal.
    fn matches(&self, deal: &Deal) -> Option<usize> {
        let mut keys = 0;
        if let Some(x) = self.segment {
            (deal.segment.as_deref() == Some(x)).then_some(())?;
            keys += 1;
        }
        if let Some(x) = self.kind {
            (deal.kind.as_deref() == Some(x)).then_some(())?;
            keys += 1;
        }
        if let Some((a, v)) = self.attribute {
            (deal.attributes.get(a).and_then(|x| x.as_str()) == Some(v)).then_some(())?;
            keys += 1;
        }
        Some(keys)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Kpi {
    pub name: &'static str,
    pub measure: &'static str,
    pub target: Option<Decimal>,
    pub weight: Decimal,
    pub cap: Option<Decimal>,
}

impl Params {
    /// The plan TOML for these params, policies in the order of policies.md.
    pub(crate) fn plan_text(&self) -> String {
        let list = |v: &[Decimal]| v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        let tiers: Vec<String> =
            self.tiers.iter().map(|(at, rate)| format!("{{ at = {at}, rate = {rate} }}")).collect();
        let kpis: Vec<String> = self
            .kpis
            .iter()
            .map(|k| {
                let mut s = format!("{{ name = \"{}\", measure = \"{}\", weight = {}", k.name, k.measure, k.weight);
                if let Some(t) = k.target {
                    s += &format!(", target = {t}");
                }
                if let Some(c) = k.cap {
                    s += &format!(", cap = {c}");
                }
                s + " }"
            })
            .collect();
        let grades: Vec<String> =
            self.grades.iter().map(|(m, g)| format!("{{ min = {m}, grade = \"{g}\" }}")).collect();
        let multipliers: Vec<String> = self.multipliers.iter().map(|(g, m)| format!("{g} = {m}")).collect();
        let levels: Vec<String> = self.levels.iter().map(|r| format!("{{ rate = {r} }}")).collect();
        let rates: Vec<String> = self.rates.iter().map(Row::toml).collect();
        format!(
            r#"id = "random"
version = "1"
currency = "CNY"
rounding = "{rounding}"

[[policy]]
id = "commission"
script = "tiered_commission.rhai"
[policy.params]
method = "{method}"
tiers = [ {tiers} ]

[[policy]]
id = "excess"
script = "excess_pool.rhai"
[policy.params]
threshold = {threshold}
pool = {pool}

[[policy]]
id = "team"
script = "team_bonus.rhai"
[policy.params]
pool_rate = {pool_rate}
min_attainment = {min_attainment}

[[policy]]
id = "mentor"
script = "mentor_bonus.rhai"
[policy.params]
window_days = {window_days}
mentor_amount = {mentor_amount}
mentee_amount = {mentee_amount}
override_rate = {override_rate}

[[policy]]
id = "pk"
script = "group_pk.rhai"
[policy.params]
metric = "{metric}"
prizes = [ {prizes} ]
split = "{split}"
min_members = {min_members}

[[policy]]
id = "scorecard"
script = "scorecard.rhai"
[policy.params]
kpis = [ {kpis} ]
grades = [ {grades} ]

[[policy]]
id = "bonus"
script = "performance_bonus.rhai"
[policy.params]
scorecard = "scorecard"
base = {base}
multipliers = {{ {multipliers} }}

[[policy]]
id = "override"
script = "manager_override.rhai"
[policy.params]
levels = [ {levels} ]
include_own = {include_own}

[[policy]]
id = "rates"
script = "rate_table.rhai"
[policy.params]
rates = [ {rates} ]
"#,
            rounding = self.rounding,
            method = self.method,
            tiers = tiers.join(", "),
            threshold = self.threshold,
            pool = self.pool,
            pool_rate = self.pool_rate,
            min_attainment = self.min_attainment,
            window_days = self.window_days,
            mentor_amount = self.mentor_amount,
            mentee_amount = self.mentee_amount,
            override_rate = self.override_rate,
            metric = self.metric,
            prizes = list(&self.prizes),
            split = self.split,
            min_members = self.min_members,
            kpis = kpis.join(", "),
            grades = grades.join(", "),
            base = self.base,
            multipliers = multipliers.join(", "),
            levels = levels.join(", "),
            include_own = self.include_own,
            rates = rates.join(", "),
        )
    }
}

/// `participant policy component amount` rows (zero amounts left out) and
/// `participant policy score grade` rows, both in result order.
pub(crate) struct Expected {
    pub lines: Vec<String>,
    pub scores: Vec<String>,
}

pub(crate) const POLICIES: [&str; 9] =
    ["commission", "excess", "team", "mentor", "pk", "scorecard", "bonus", "override", "rates"];

struct Ref<'a> {
    period: &'a Period,
    params: &'a Params,
    /// The deals that credit each participant, with the credit.
    credits: BTreeMap<&'a str, Vec<(&'a Deal, Decimal)>>,
    sales: BTreeMap<&'a str, Decimal>,
    lines: Vec<(String, usize, String, Decimal)>,
}

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

/// `x` to `places` with the plan's rounding mode (`half_up` or `half_even`).
pub(crate) fn round_to(x: Decimal, places: u32, rounding: &str) -> Decimal {
    let mode = if rounding == "half_even" {
        RoundingStrategy::MidpointNearestEven
    } else {
        RoundingStrategy::MidpointAwayFromZero
    };
    x.round_dp_with_strategy(places, mode)
}

/// The effective target (crediting.md): prorated by the active days when they are fewer than
/// the period's.
pub(crate) fn effective_target(period: &Period, p: &Participant, rounding: &str) -> Option<Decimal> {
    let info = &period.period;
    let days = |from: chrono::NaiveDate, to: chrono::NaiveDate| d((to - from).num_days() + 1);
    let active = days(p.active_from.unwrap_or(info.start), p.active_to.unwrap_or(info.end));
    let whole = days(info.start, info.end);
    p.target.map(|t| if active == whole { t } else { round_to(t * active / whole, 2, rounding) })
}

impl<'a> Ref<'a> {
    fn round_to(&self, x: Decimal, places: u32) -> Decimal {
        round_to(x, places, self.params.rounding)
    }

    fn round(&self, x: Decimal) -> Decimal {
        self.round_to(x, 2)
    }

    fn sales(&self, p: &Participant) -> Decimal {
        self.sales.get(p.id.as_str()).copied().unwrap_or_default()
    }

    fn effective_target(&self, p: &Participant) -> Option<Decimal> {
        effective_target(self.period, p, self.params.rounding)
    }

    fn target(&self, p: &Participant) -> Option<Decimal> {
        self.effective_target(p).filter(|t| *t > Decimal::ZERO)
    }

    fn reaches(&self, p: &Participant, r: Decimal) -> bool {
        self.target(p).is_some_and(|t| self.sales(p) >= r * t)
    }

    fn pay(&mut self, who: &str, policy: usize, component: String, amount: Decimal) {
        self.lines.push((who.to_string(), policy, component, amount));
    }

    /// Largest-remainder split in whole cents, with i128 arithmetic.
    fn allocate(&self, pool: Decimal, ids: &[&str], weights: &[Decimal]) -> Vec<Decimal> {
        let weights: Vec<Decimal> =
            if weights.iter().all(|w| w.is_zero()) { vec![Decimal::ONE; ids.len()] } else { weights.to_vec() };
        let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
        let ints: Vec<i128> = weights
            .iter()
            .map(|w| {
                let mut w = *w;
                w.rescale(scale);
                w.mantissa()
            })
            .collect();
        let total: i128 = ints.iter().sum();
        let cents = (pool.abs() * d(100)).trunc().mantissa();
        let mut shares: Vec<i128> = ints.iter().map(|w| cents * w / total).collect();
        let rems: Vec<i128> = ints.iter().map(|w| cents * w % total).collect();
        let left = cents - shares.iter().sum::<i128>();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(ids[a].cmp(ids[b])));
        for &i in order.iter().take(left as usize) {
            shares[i] += 1;
        }
        let sign = if pool < Decimal::ZERO { -Decimal::ONE } else { Decimal::ONE };
        shares.into_iter().map(|s| sign * Decimal::from_i128_with_scale(s, 2)).collect()
    }

    fn commission(&mut self) {
        let p = self.params;
        for person in &self.period.participants {
            let Some(target) = self.target(person) else { continue };
            let sales = self.sales(person);
            let amount = if p.method == "whole" {
                match p.tiers.iter().rev().find(|(at, _)| sales >= *at * target) {
                    Some((_, rate)) => self.round(sales * rate),
                    None => Decimal::ZERO,
                }
            } else {
                let mut sum = Decimal::ZERO;
                for (k, (at, rate)) in p.tiers.iter().enumerate() {
                    let high = p.tiers.get(k + 1).map_or(sales, |(next, _)| sales.min(*next * target));
                    sum += *rate * (high - *at * target).max(Decimal::ZERO);
                }
                self.round(sum)
            };
            self.pay(&person.id, 0, "commission".into(), amount);
        }
    }

    fn excess(&mut self) {
        let pool = self.round(self.params.pool);
        for team in &self.period.teams {
            let qualifiers: Vec<&Participant> = self
                .period
                .participants
                .iter()
                .filter(|p| p.team.as_deref() == Some(&team.id) && self.reaches(p, self.params.threshold))
                .collect();
            if qualifiers.is_empty() {
                continue;
            }
            let ids: Vec<&str> = qualifiers.iter().map(|p| p.id.as_str()).collect();
            let weights: Vec<Decimal> = qualifiers
                .iter()
                .map(|p| self.sales(p) - self.params.threshold * self.target(p).expect("a qualifier has a target"))
                .collect();
            for (id, share) in ids.iter().zip(self.allocate(pool, &ids, &weights)) {
                self.pay(id, 1, "excess".into(), share);
            }
        }
    }

    fn team(&mut self) {
        for team in &self.period.teams {
            let Some(target) = team.target.filter(|t| *t > Decimal::ZERO) else { continue };
            let members: Vec<&Participant> =
                self.period.participants.iter().filter(|p| p.team.as_deref() == Some(&team.id)).collect();
            let team_sales: Decimal = members.iter().map(|p| self.sales(p)).sum();
            if team_sales < target {
                continue;
            }
            let pool = self.round(self.params.pool_rate * team_sales);
            let ids: Vec<&str> =
                members.iter().filter(|p| self.reaches(p, self.params.min_attainment)).map(|p| p.id.as_str()).collect();
            if ids.is_empty() {
                continue;
            }
            let weights = vec![Decimal::ONE; ids.len()];
            for (id, share) in ids.iter().zip(self.allocate(pool, &ids, &weights)) {
                self.pay(id, 2, "team".into(), share);
            }
        }
    }

    fn mentor(&mut self) {
        let p = self.params;
        for mentee in &self.period.participants {
            let Some(mentor) = &mentee.mentor else { continue };
            let hired = mentee.hired_on.expect("the generator gives every mentee a hiring date");
            let in_window = |day: chrono::NaiveDate| {
                let days = (day - hired).num_days();
                days >= 0 && days <= p.window_days
            };
            let mut deals = self.credits.get(mentee.id.as_str()).cloned().unwrap_or_default();
            deals.sort_by(|a, b| (a.0.closed_on, &a.0.id).cmp(&(b.0.closed_on, &b.0.id)));
            if mentee.prior_deals.unwrap_or(0) == 0
                && let Some(first) = deals.iter().find(|x| x.1 > Decimal::ZERO)
                && in_window(first.0.closed_on)
            {
                self.pay(mentor, 3, format!("first_deal:{}", mentee.id), self.round(p.mentor_amount));
                self.pay(&mentee.id, 3, "first_deal".into(), self.round(p.mentee_amount));
            }
            let sum: Decimal = deals.iter().filter(|x| in_window(x.0.closed_on)).map(|x| x.1).sum();
            self.pay(mentor, 3, format!("override:{}", mentee.id), self.round(p.override_rate * sum));
        }
    }

    fn pk(&mut self) {
        let p = self.params;
        let mut groups: BTreeMap<&str, Vec<&Participant>> = BTreeMap::new();
        for person in &self.period.participants {
            if let Some(g) = &person.group {
                groups.entry(g).or_default().push(person);
            }
        }
        // (group, sales, target) of the competing groups.
        let mut competing: Vec<(&str, Decimal, Decimal)> = groups
            .iter()
            .filter(|(_, m)| m.len() >= p.min_members)
            .map(|(g, m)| {
                let sales = m.iter().map(|x| self.sales(x)).sum();
                let target = m.iter().map(|x| self.effective_target(x).unwrap_or_default()).sum();
                (*g, sales, target)
            })
            .filter(|(_, _, target)| p.metric == "sales" || *target > Decimal::ZERO)
            .collect();
        let cmp = |a: &(&str, Decimal, Decimal), b: &(&str, Decimal, Decimal)| {
            if p.metric == "sales" { b.1.cmp(&a.1) } else { (b.1 * a.2).cmp(&(a.1 * b.2)) }
        };
        competing.sort_by(|a, b| cmp(a, b).then(a.0.cmp(b.0)));
        let mut i = 0;
        while i < competing.len() {
            let mut j = i;
            while j + 1 < competing.len() && cmp(&competing[i], &competing[j + 1]).is_eq() {
                j += 1;
            }
            let prize: Decimal = (i..=j).filter_map(|rank| p.prizes.get(rank)).sum();
            let block: Vec<&str> = competing[i..=j].iter().map(|g| g.0).collect();
            let shares = self.allocate(self.round(prize), &block, &vec![Decimal::ONE; block.len()]);
            for (g, group_prize) in block.iter().zip(shares) {
                let members = &groups[g];
                let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
                let weights: Vec<Decimal> = if p.split == "equal" {
                    vec![Decimal::ONE; ids.len()]
                } else {
                    members.iter().map(|m| self.sales(m).max(Decimal::ZERO)).collect()
                };
                for (id, share) in ids.iter().zip(self.allocate(group_prize, &ids, &weights)) {
                    self.pay(id, 4, "pk".into(), share);
                }
            }
            i = j + 1;
        }
    }

    fn scorecard(&self) -> Vec<(String, Decimal, &'static str)> {
        let p = self.params;
        self.period
            .participants
            .iter()
            .map(|person| {
                let mut sum = Decimal::ZERO;
                for kpi in &p.kpis {
                    let ratio = if kpi.measure == "attainment" {
                        self.target(person).map_or(Decimal::ZERO, |t| self.sales(person) / t)
                    } else {
                        let name = kpi.measure.strip_prefix("metric:").expect("a metric measure");
                        let value = person.metrics.as_ref().and_then(|m| m.get(name));
                        value.map_or(Decimal::ZERO, |v| v.0 / kpi.target.expect("a metric kpi has a target"))
                    };
                    let ratio = ratio.max(Decimal::ZERO);
                    let ratio = kpi.cap.map_or(ratio, |cap| ratio.min(cap));
                    sum += kpi.weight * ratio;
                }
                let score = self.round_to(d(100) * sum, 2);
                let grade = p.grades.iter().find(|(min, _)| *min <= score).unwrap_or(p.grades.last().unwrap()).1;
                (person.id.clone(), score, grade)
            })
            .collect()
    }
}

impl Ref<'_> {
    /// manager_override.rhai: each manager's rate per level on the sales that many levels below.
    fn manager_override(&mut self) {
        let people = &self.period.participants;
        for manager in people {
            let mut level: Vec<&str> = vec![manager.id.as_str()];
            let mut sum = Decimal::ZERO;
            let mut any = false;
            for rate in &self.params.levels {
                level = people
                    .iter()
                    .filter(|p| p.manager.as_deref().is_some_and(|m| level.contains(&m)))
                    .map(|p| p.id.as_str())
                    .collect();
                any |= !level.is_empty();
                sum += *rate * level.iter().map(|id| self.sales.get(id).copied().unwrap_or_default()).sum::<Decimal>();
            }
            if !any {
                continue;
            }
            if self.params.include_own {
                sum += self.params.levels[0] * self.sales(manager);
            }
            self.pay(&manager.id, 7, "override".into(), self.round(sum));
        }
    }

    /// rate_table.rhai: each credit at the rate of its deal's most specific matching row.
    fn rate_table(&mut self) {
        for person in &self.period.participants {
            let Some(credits) = self.credits.get(person.id.as_str()) else { continue };
            let mut sum = Decimal::ZERO;
            for (deal, credit) in credits {
                let best =
                    self.params.rates.iter().filter_map(|row| Some((row.matches(deal)?, row.rate))).max_by_key(|m| m.0);
                sum += *credit * best.map_or(Decimal::ZERO, |b| b.1);
            }
            self.pay(&person.id, 8, "commission".into(), self.round(sum));
        }
    }
}

/// Each deal's credits, by crediting.md: split by `allocate` on the absolute amount (negated for
/// a refund), overlay rounded with the plan's mode.
fn credits<'a>(r: &Ref<'a>, deal: &'a Deal) -> Vec<(&'a str, Decimal)> {
    let mut out: Vec<(&str, Decimal)> = Vec::new();
    if deal.splits.is_empty() {
        out.push((deal.participant.as_deref().expect("a deal without splits has a participant"), deal.amount));
    } else {
        let ids: Vec<&str> = deal.splits.iter().map(|s| s.participant.as_str()).collect();
        let shares: Vec<Decimal> = deal.splits.iter().map(|s| s.share).collect();
        let parts = r.allocate(deal.amount.abs(), &ids, &shares);
        let sign = if deal.amount < Decimal::ZERO { -Decimal::ONE } else { Decimal::ONE };
        out.extend(ids.into_iter().zip(parts).map(|(id, part)| (id, sign * part)));
    }
    out.extend(deal.overlay.iter().map(|o| (o.participant.as_str(), r.round(deal.amount * o.share))));
    out
}

/// A line owed: participant, policy, component, amount.
pub(crate) type Owed = (String, &'static str, String, Decimal);

/// What the nine standard policies owe (zero lines included, in no particular order) and score
/// on this period, by the spec: `(participant, policy, component, amount)` and
/// `(participant, score, grade)`.
pub(crate) fn owed(period: &Period, params: &Params) -> (Vec<Owed>, Vec<(String, Decimal, &'static str)>) {
    let mut r = Ref { period, params, credits: BTreeMap::new(), sales: BTreeMap::new(), lines: Vec::new() };
    for deal in &period.deals {
        for (id, credit) in credits(&r, deal) {
            r.credits.entry(id).or_default().push((deal, credit));
            *r.sales.entry(id).or_default() += credit;
        }
    }
    r.commission();
    r.excess();
    r.team();
    r.mentor();
    r.pk();
    let scores = r.scorecard();
    for (id, _, grade) in &scores {
        let multiplier = params.multipliers.iter().find(|(g, _)| g == grade).map_or(Decimal::ZERO, |m| m.1);
        let amount = r.round(params.base * multiplier);
        r.pay(id, 6, "bonus".into(), amount);
    }
    r.manager_override();
    r.rate_table();
    let lines = r.lines.into_iter().map(|(who, p, c, a)| (who, POLICIES[p], c, a)).collect();
    (lines, scores)
}

/// A deal's credits, by crediting.md.
pub(crate) fn deal_credits(deal: &Deal, period: &Period, params: &Params) -> Vec<(String, Decimal)> {
    let r = Ref { period, params, credits: BTreeMap::new(), sales: BTreeMap::new(), lines: Vec::new() };
    credits(&r, deal).into_iter().map(|(id, c)| (id.to_owned(), c)).collect()
}

/// Each participant's sales on this period: the sum of their credits (crediting.md).
pub(crate) fn sales(period: &Period, params: &Params) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for deal in &period.deals {
        for (id, credit) in deal_credits(deal, period, params) {
            *out.entry(id).or_default() += credit;
        }
    }
    out
}

/// What the nine standard policies owe and score on this period, by the spec.
pub(crate) fn expected(period: &Period, params: &Params) -> Expected {
    let (mut lines, scores) = owed(period, params);
    let place = |policy: &str| POLICIES.iter().position(|p| *p == policy);
    lines.retain(|l| !l.3.is_zero());
    lines.sort_by(|a, b| (&a.0, place(a.1), &a.2).cmp(&(&b.0, place(b.1), &b.2)));
    let mut scores: Vec<String> = scores.iter().map(|(id, s, g)| format!("{id} scorecard {s:.2} {g}")).collect();
    scores.sort();
    Expected { lines: lines.iter().map(|(who, p, c, a)| format!("{who} {p} {c} {a:.2}")).collect(), scores }
}
