//! Facts every policy needs, computed once natively: per-participant credits and sales, first
//! deals, mentees, the reporting hierarchy, effective (prorated) targets, and team and group
//! aggregates (policies.md, "Shared definitions"; crediting.md).
//!
//! Participants, teams and deals are held sorted by id and groups by name, so every list a
//! policy sees has a defined order.

mod credit;
mod hierarchy;

use crate::error::{Error, InputProblem, Result};
use crate::input::{Input, input_hash};
use crate::money::{Currency, Rounding};
use payplan_sdk::period::{Deal, Participant, Period, PeriodInfo, Team};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Index of a participant in [`Facts::participants`].
pub type Who = usize;

/// The period with its derived facts. Immutable once built; shared by every policy call.
#[derive(Debug)]
pub struct Facts {
    /// Period id, dates, currency.
    pub info: payplan_sdk::period::PeriodInfo,
    /// The currency's rules.
    pub currency: Currency,
    /// `sha256:<hex>` of the canonical period.
    pub input_hash: String,
    /// Participants sorted by id.
    pub participants: Vec<Participant>,
    /// Facts per participant, index for index with `participants`.
    pub people: Vec<Person>,
    /// Teams sorted by id.
    pub teams: Vec<Team>,
    /// Facts per team, index for index with `teams`.
    pub team_facts: Vec<TeamFacts>,
    /// Groups sorted by name.
    pub groups: Vec<Group>,
    /// Deals sorted by id.
    pub deals: Vec<Deal>,
    by_id: HashMap<String, Who>,
    team_by_id: HashMap<String, usize>,
    /// These facts in plugin ABI version 2's encoding, without the deals and with them: made
    /// when the first plugin that reads them runs, then shared by the others.
    pub(crate) encoded: Encoded,
}

/// [`Facts::encoded`]: its bytes are not printed.
#[derive(Default)]
pub(crate) struct Encoded(pub(crate) [std::sync::OnceLock<Result<Vec<Vec<u8>>, String>>; 2]);

impl std::fmt::Debug for Encoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encoded")
    }
}

/// What is known of one participant.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Sum of the participant's credits (refunds count negative).
    pub sales: Decimal,
    /// The deals that credit the participant, by (`closed_on`, `id`).
    pub deals: Vec<Credit>,
    /// The earliest deal with a credit > 0, by (`closed_on`, `id`): an index into `deals`.
    pub first_deal: Option<usize>,
    /// The participant's team, an index into [`Facts::teams`].
    pub team: Option<usize>,
    /// Participants whose mentor this one is, by id.
    pub mentees: Vec<Who>,
    /// The effective target: the written one, prorated when the active days are fewer than the
    /// period's (crediting.md); `None` when absent.
    pub target: Option<Decimal>,
    /// Days from `active_from` to `active_to`, inclusive.
    pub active_days: i64,
    /// Direct reports, by id.
    pub reports: Vec<Who>,
    /// Levels of managers above (0 at a root).
    pub depth: usize,
    /// Levels of reports below (0 without reports).
    height: usize,
    /// Sales of everyone below, at any level.
    org_total: Decimal,
}

/// A deal that credits a participant, and the credit.
#[derive(Debug, Clone, Copy)]
pub struct Credit {
    /// Index into [`Facts::deals`].
    pub deal: usize,
    /// The participant's credit: the whole amount, a split's share or an overlay's.
    pub credit: Decimal,
}

/// Aggregates of one team.
#[derive(Debug, Clone, Default)]
pub struct TeamFacts {
    /// Members, by id.
    pub members: Vec<Who>,
    /// Sum of the members' sales.
    pub sales: Decimal,
}

/// A group: the participants sharing a `group` value.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group value.
    pub id: String,
    /// Members, by id.
    pub members: Vec<Who>,
    /// Sum of the members' sales.
    pub sales: Decimal,
    /// Sum of the members' effective targets (absent counts 0).
    pub target: Decimal,
}

/// What [`Facts`] derives from the period's lists.
struct Derived {
    people: Vec<Person>,
    team_facts: Vec<TeamFacts>,
    groups: Vec<Group>,
    by_id: HashMap<String, Who>,
    team_by_id: HashMap<String, usize>,
}

impl Derived {
    fn of(period: &Period, currency: Currency, rounding: Rounding) -> Result<Self> {
        // Validation leaves the lists sorted by id.
        let Period { teams, participants, deals, .. } = period;
        let by_id: HashMap<String, Who> = participants.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let team_by_id: HashMap<String, usize> = teams.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();

        let overflow = |path: String, why: &str| Error::Input {
            file: "period".into(),
            problems: vec![InputProblem { path, position: None, message: why.into() }],
        };
        let sum_overflows = "the sum overflows a decimal";
        let mut people = vec![Person::default(); participants.len()];
        for (d, deal) in deals.iter().enumerate() {
            let credits =
                credit::credits(deal, currency, rounding).map_err(|why| overflow(format!("deals[{d}]"), &why))?;
            for (id, credit) in credits {
                let person = &mut people[by_id[id]];
                person.sales = person
                    .sales
                    .checked_add(credit)
                    .ok_or_else(|| overflow(format!("sales of {id}"), sum_overflows))?;
                person.deals.push(Credit { deal: d, credit });
            }
        }
        let mut team_facts = vec![TeamFacts::default(); teams.len()];
        let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
        for (who, p) in participants.iter().enumerate() {
            let person = &mut people[who];
            person.deals.sort_by(|a, b| {
                let (a, b) = (&deals[a.deal], &deals[b.deal]);
                (a.closed_on, &a.id).cmp(&(b.closed_on, &b.id))
            });
            person.first_deal = person.deals.iter().position(|c| c.credit > Decimal::ZERO);
            person.active_days = active_days(p, &period.period);
            person.target = effective_target(p, &period.period, currency, rounding)
                .map_err(|why| overflow(format!("target of {}", p.id), why))?;
            let (sales, target) = (person.sales, person.target);
            if let Some(team) = &p.team {
                let t = team_by_id[team];
                people[who].team = Some(t);
                let facts = &mut team_facts[t];
                facts.members.push(who);
                facts.sales = facts
                    .sales
                    .checked_add(sales)
                    .ok_or_else(|| overflow(format!("sales of team {team}"), sum_overflows))?;
            }
            if let Some(mentor) = &p.mentor {
                people[by_id[mentor]].mentees.push(who);
            }
            if let Some(name) = &p.group {
                let g = groups.entry(name).or_insert_with(|| Group {
                    id: name.clone(),
                    members: Vec::new(),
                    sales: Decimal::ZERO,
                    target: Decimal::ZERO,
                });
                g.members.push(who);
                g.sales = g
                    .sales
                    .checked_add(sales)
                    .ok_or_else(|| overflow(format!("sales of group {name}"), sum_overflows))?;
                g.target = g
                    .target
                    .checked_add(target.unwrap_or_default())
                    .ok_or_else(|| overflow(format!("target of group {name}"), sum_overflows))?;
            }
        }
        let managers: Vec<Option<Who>> = participants.iter().map(|p| p.manager.as_ref().map(|m| by_id[m])).collect();
        hierarchy::link(&mut people, &managers).map_err(|why| overflow("participants".into(), &why))?;
        let groups = groups.into_values().collect();
        Ok(Self { people, team_facts, groups, by_id, team_by_id })
    }
}

/// Days from `active_from` to `active_to`, both included (the period's ends by default).
fn active_days(p: &Participant, info: &PeriodInfo) -> i64 {
    (p.active_to.unwrap_or(info.end) - p.active_from.unwrap_or(info.start)).num_days() + 1
}

/// The effective target of `p` in the period `info` (crediting.md, "Proration of targets"): the
/// written one, or `round(target × active days / period days)` with `rounding` when the
/// participant was active fewer days than the period has.
pub fn effective_target(
    p: &Participant,
    info: &PeriodInfo,
    currency: Currency,
    rounding: Rounding,
) -> std::result::Result<Option<Decimal>, &'static str> {
    let (active, days) = (active_days(p, info), (info.end - info.start).num_days() + 1);
    match p.target {
        Some(t) if active != days => {
            let exact = t.checked_mul(Decimal::from(active)).ok_or("the prorated target overflows a decimal")?;
            Ok(Some(rounding.round(exact / Decimal::from(days), currency.places())))
        }
        written => Ok(written),
    }
}

impl Facts {
    /// Computes the facts of a validated period, and its `input_hash` alongside them on `pool`
    /// (both only read the period; hashing it is as long as the rest). `rounding` is the plan's:
    /// overlay credits and prorated targets are rounded with it.
    pub fn new(input: Input, rounding: Rounding, pool: &rayon::ThreadPool) -> Result<Self> {
        let (hash, derived) =
            pool.join(|| input_hash(&input.period), || Derived::of(&input.period, input.currency, rounding));
        Self::of(input, hash, derived?)
    }

    /// The facts of a period no one sent, made by the engine (an accumulating policy's view, a
    /// period without its reversals): the same facts, without the hash of a canonical form that
    /// no result reports (`input_hash` is empty).
    pub fn derived(input: Input, rounding: Rounding) -> Result<Self> {
        let derived = Derived::of(&input.period, input.currency, rounding)?;
        Self::of(input, String::new(), derived)
    }

    fn of(input: Input, hash: String, derived: Derived) -> Result<Self> {
        let Derived { people, team_facts, groups, by_id, team_by_id } = derived;
        let Input { period, currency } = input;
        let Period { period: info, teams, participants, deals, .. } = period;
        Ok(Self {
            info,
            currency,
            input_hash: hash,
            participants,
            people,
            teams,
            team_facts,
            groups,
            deals,
            by_id,
            team_by_id,
            encoded: Encoded::default(),
        })
    }

    /// The participant with this id.
    pub fn who(&self, id: &str) -> Option<Who> {
        self.by_id.get(id).copied()
    }

    /// The team with this id, an index into [`Facts::teams`].
    pub fn team(&self, id: &str) -> Option<usize> {
        self.team_by_id.get(id).copied()
    }

    /// The effective target of `who` when it has one (present and > 0).
    pub fn target(&self, who: Who) -> Option<Decimal> {
        self.people[who].target.filter(|t| *t > Decimal::ZERO)
    }

    /// The number of days of the period, both ends included.
    pub fn period_days(&self) -> i64 {
        (self.info.end - self.info.start).num_days() + 1
    }

    /// The sales of the participants down to `levels` levels below `who` (1: direct reports),
    /// not `who`'s own.
    pub fn org_sales(&self, who: Who, levels: usize) -> std::result::Result<Decimal, String> {
        hierarchy::org_sales(&self.people, who, levels)
    }

    /// [`org_sales`](Self::org_sales) level by level (level 1 first), down to the deepest
    /// report within `levels`.
    pub fn org_levels(&self, who: Who, levels: usize) -> std::result::Result<Vec<Decimal>, String> {
        hierarchy::org_levels(&self.people, who, levels)
    }

    /// Whether `who` reaches `ratio` of its target: it has a target and
    /// `sales >= ratio * target` (by multiplication, never a rounded division).
    pub fn reaches(&self, who: Who, ratio: Decimal) -> bool {
        match self.target(who) {
            Some(target) => ratio.checked_mul(target).is_some_and(|bar| self.people[who].sales >= bar),
            None => false,
        }
    }
}
