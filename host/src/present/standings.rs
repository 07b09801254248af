//! Where everyone stands in a run, from the engine's own facts of its stored period: each
//! participant's and team's sales against target, the PK's groups ranked by the plan's metric
//! (ties shown as ties, with the prizes the run paid them), the plan's tier lines; and the
//! champions of the period and of its quarter, with each one's sales over the series' periods.

use crate::facts::Facts;
use crate::money::{fixed, percent};
use crate::plan::Plan;
use chrono::{Datelike, NaiveDate};
use payplan_sdk::result::{EvalResult, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Everyone's standing in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standings {
    /// The period.
    pub period: String,
    /// The plan's tier lines, as percentages of target (`tiers[].at` of its policies), ascending.
    pub tiers: Vec<String>,
    /// Each participant, by id.
    pub participants: Vec<Standing>,
    /// Each team with a target, by id.
    pub teams: Vec<Standing>,
    /// What the PK ranks groups by: `sales` or `attainment` (the plan's `group_pk` metric;
    /// `sales` when the plan has none).
    pub pk_metric: String,
    /// The PK's groups, best first.
    pub groups: Vec<GroupStanding>,
}

/// One participant's or team's sales against target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standing {
    /// Participant or team id.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A participant's team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// A participant's group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Credited sales.
    pub sales: Money,
    /// Effective target; absent when there is none (or it is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Money>,
    /// Sales as a percentage of target, 2 places (half up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attainment: Option<String>,
    /// Sales less target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deviation: Option<Money>,
}

/// A group of the PK.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupStanding {
    /// The group.
    pub id: String,
    /// 1 for the best; groups tied on the metric share a rank.
    pub rank: usize,
    /// Whether another group has the same rank.
    pub tied: bool,
    /// Members.
    pub members: usize,
    /// The members' sales and targets.
    #[serde(flatten)]
    pub standing: Standing,
    /// What the run paid the members in the PK's lines.
    pub prize: Money,
    /// How the prize was split: each member the PK's lines paid, by id.
    pub split: Vec<Share>,
}

/// What one member of a PK group was paid of its prize.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Share {
    /// The member.
    pub participant: String,
    /// The sum of their PK lines.
    pub amount: Money,
}

/// The champions of a run's period and of its quarter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Champions {
    /// The periods of the series up to the run's, oldest first: the curves' points.
    pub periods: Vec<String>,
    /// The run's period's top participants by sales, and by attainment.
    pub period: Podium,
    /// The quarter's (the series' periods in the run's calendar quarter), summed.
    pub quarter: Podium,
}

/// Top participants by sales and by attainment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Podium {
    /// By sales, highest first (ties by id).
    pub by_sales: Vec<Champion>,
    /// By attainment, highest first (ties by id); only participants with a target.
    pub by_attainment: Vec<Champion>,
}

/// A champion: their standing and their sales in each period of the series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Champion {
    /// Sales, target, attainment.
    #[serde(flatten)]
    pub standing: Standing,
    /// Sales in each of [`Champions::periods`] (0 where absent).
    pub curve: Vec<Money>,
}

fn standing(id: &str, name: Option<&str>, sales: Decimal, target: Option<Decimal>, places: u32) -> Standing {
    let target = target.filter(|t| *t > Decimal::ZERO);
    Standing {
        id: id.to_owned(),
        name: name.map(str::to_owned),
        team: None,
        group: None,
        sales: Money(fixed(sales, places)),
        target: target.map(|t| Money(fixed(t, places))),
        attainment: target.map(|t| percent(sales / t).to_string()),
        deviation: target.map(|t| Money(fixed(sales - t, places))),
    }
}

/// The standings of a run: its facts, its plan, its result.
pub fn standings(facts: &Facts, plan: &Plan, result: &EvalResult) -> Standings {
    let places = facts.currency.places();
    let participants = facts
        .participants
        .iter()
        .zip(&facts.people)
        .map(|(p, person)| Standing {
            team: p.team.clone(),
            group: p.group.clone(),
            ..standing(&p.id, p.name.as_deref(), person.sales, person.target, places)
        })
        .collect();
    let teams = facts
        .teams
        .iter()
        .zip(&facts.team_facts)
        .filter(|(t, _)| t.target.is_some_and(|x| x > Decimal::ZERO))
        .map(|(t, f)| standing(&t.id, t.name.as_deref(), f.sales, t.target, places))
        .collect();
    let pk = plan.policies.iter().find(|p| p.params.contains_key("prizes"));
    let metric = pk.and_then(|p| p.params.get("metric")).and_then(|m| m.as_str()).unwrap_or("sales");
    let prizes: BTreeMap<&str, Decimal> = pk.map_or_else(BTreeMap::new, |pk| {
        let mut sums = BTreeMap::new();
        for line in result.payouts.iter().filter(|l| l.policy == pk.id) {
            *sums.entry(line.participant.as_str()).or_default() += line.amount;
        }
        sums
    });
    let by_attainment = metric == "attainment";
    let mut groups: Vec<(Decimal, GroupStanding)> = facts
        .groups
        .iter()
        .filter(|g| !by_attainment || g.target > Decimal::ZERO)
        .map(|g| {
            let mut paid: Vec<(&str, Decimal)> = g
                .members
                .iter()
                .filter_map(|m| {
                    let id = facts.participants[*m].id.as_str();
                    prizes.get(id).map(|amount| (id, *amount))
                })
                .collect();
            paid.sort_unstable_by_key(|(id, _)| *id);
            let prize: Decimal = paid.iter().map(|(_, amount)| amount).sum();
            let split = paid
                .into_iter()
                .map(|(id, amount)| Share { participant: id.to_owned(), amount: Money(fixed(amount, places)) })
                .collect();
            let key = if by_attainment { g.sales / g.target } else { g.sales };
            let standing = standing(&g.id, None, g.sales, Some(g.target), places);
            let group = GroupStanding {
                id: g.id.clone(),
                rank: 0,
                tied: false,
                members: g.members.len(),
                standing,
                prize: Money(fixed(prize, places)),
                split,
            };
            (key, group)
        })
        .collect();
    groups.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    // Sorted: a group ties with its neighbours only, and shares the rank of the first of them.
    let keys: Vec<Decimal> = groups.iter().map(|g| g.0).collect();
    let mut rank = 0;
    for (i, (_, group)) in groups.iter_mut().enumerate() {
        let after_same = i > 0 && keys[i - 1] == keys[i];
        rank = if after_same { rank } else { i + 1 };
        group.rank = rank;
        group.tied = after_same || keys.get(i + 1) == Some(&keys[i]);
    }
    Standings {
        period: facts.info.id.clone(),
        tiers: tiers(plan),
        participants,
        teams,
        pk_metric: metric.to_owned(),
        groups: groups.into_iter().map(|g| g.1).collect(),
    }
}

/// The `at` of every `tiers` param of the plan, as percentages, ascending and once each.
fn tiers(plan: &Plan) -> Vec<String> {
    let mut at: Vec<Decimal> = plan
        .policies
        .iter()
        .filter_map(|p| p.params.get("tiers").and_then(|t| t.as_array()))
        .flatten()
        .filter_map(|tier| tier.get("at").and_then(|a| a.to_string().trim_matches('"').parse().ok()))
        .collect();
    at.sort();
    at.dedup();
    at.into_iter().map(|a| percent(a).to_string()).collect()
}

/// What the champions wall needs of one period: its dates, its series, and everyone's sales and
/// effective target (kept per run, so the wall never reads a stored period twice).
#[derive(Debug, Clone)]
pub struct PeriodFigures {
    /// The period.
    pub id: String,
    /// Its first day.
    pub start: NaiveDate,
    /// Its last day.
    pub end: NaiveDate,
    /// Its series' id.
    pub series: Option<String>,
    /// The currency's places.
    pub places: u32,
    /// Each participant, by id.
    pub people: Vec<Figure>,
}

/// One participant's figures in a period.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Participant id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Credited sales.
    pub sales: Decimal,
    /// Effective target.
    pub target: Option<Decimal>,
}

impl PeriodFigures {
    /// The figures of a period's facts.
    pub fn of(facts: &Facts) -> Self {
        Self {
            id: facts.info.id.clone(),
            start: facts.info.start,
            end: facts.info.end,
            series: facts.info.series.as_ref().map(|s| s.id.clone()),
            places: facts.currency.places(),
            people: facts
                .participants
                .iter()
                .zip(&facts.people)
                .map(|(p, person)| Figure {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    sales: person.sales,
                    target: person.target,
                })
                .collect(),
        }
    }
}

/// A participant's sales and effective target in one period.
type Point = (Decimal, Option<Decimal>);

/// The champions of the last of `series` (its periods' figures, oldest first, this run's last):
/// the top `top` by sales and by attainment, of the period and of its calendar quarter.
pub fn champions(series: &[&PeriodFigures], top: usize) -> Champions {
    let now = series.last().expect("the run's own period is in its series");
    let places = now.places;
    let quarter_of = |f: &PeriodFigures| (f.start.year(), f.start.month0() / 3);
    // Each participant of the series: their name and, per period, their figures when they were in it.
    let mut people: BTreeMap<&str, (Option<&str>, Vec<Option<Point>>)> = BTreeMap::new();
    for (k, figures) in series.iter().enumerate() {
        for person in &figures.people {
            let entry = people.entry(&person.id).or_insert_with(|| (None, vec![None; series.len()]));
            entry.0 = person.name.as_deref().or(entry.0);
            entry.1[k] = Some((person.sales, person.target));
        }
    }
    let last = series.len() - 1;
    let in_quarter: Vec<bool> = series.iter().map(|f| quarter_of(f) == quarter_of(now)).collect();
    let podium = |quarter: bool| {
        let counted = |k: usize| if quarter { in_quarter[k] } else { k == last };
        let mut all: Vec<Champion> = people
            .iter()
            .filter(|(_, (_, facts))| (0..series.len()).any(|k| counted(k) && facts[k].is_some()))
            .map(|(id, (name, facts))| {
                let counted: Vec<Point> = (0..series.len()).filter(|k| counted(*k)).filter_map(|k| facts[k]).collect();
                let sales = counted.iter().map(|f| f.0).sum();
                let target = counted.iter().filter_map(|f| f.1).reduce(|a, b| a + b);
                let curve = facts.iter().map(|f| Money(fixed(f.map_or(Decimal::ZERO, |f| f.0), places))).collect();
                Champion { standing: standing(id, *name, sales, target, places), curve }
            })
            .collect();
        all.sort_by(|a, b| b.standing.sales.0.cmp(&a.standing.sales.0).then(a.standing.id.cmp(&b.standing.id)));
        let by_sales = all.iter().take(top).cloned().collect();
        let ratio = |c: &Champion| c.standing.target.map(|t| c.standing.sales.0 / t.0);
        let mut rated: Vec<&Champion> = all.iter().filter(|c| ratio(c).is_some()).collect();
        rated.sort_by(|a, b| ratio(b).cmp(&ratio(a)).then(a.standing.id.cmp(&b.standing.id)));
        Podium { by_sales, by_attainment: rated.into_iter().take(top).cloned().collect() }
    };
    Champions { periods: series.iter().map(|f| f.id.clone()).collect(), period: podium(false), quarter: podium(true) }
}
