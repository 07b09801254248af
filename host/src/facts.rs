//! Facts every policy needs, computed once natively: per-participant sales and deals, first
//! deals, mentees, and team and group aggregates (policies.md, "Shared definitions").
//!
//! Participants, teams and deals are held sorted by id and groups by name, so every list a
//! policy sees has a defined order.

use crate::error::{Error, InputProblem, Result};
use crate::input::{Input, input_hash};
use crate::money::Currency;
use payplan_sdk::period::{Deal, Participant, Period, Team};
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
}

/// What is known of one participant.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Sum of the amounts of the participant's deals (refunds count negative).
    pub sales: Decimal,
    /// Indexes into [`Facts::deals`], by (`closed_on`, `id`).
    pub deals: Vec<usize>,
    /// The earliest deal with amount > 0, by (`closed_on`, `id`).
    pub first_deal: Option<usize>,
    /// The participant's team, an index into [`Facts::teams`].
    pub team: Option<usize>,
    /// Participants whose mentor this one is, by id.
    pub mentees: Vec<Who>,
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
    /// Sum of the members' targets (absent counts 0).
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
    fn of(period: &Period) -> Result<Self> {
        // Validation leaves the lists sorted by id.
        let Period { teams, participants, deals, .. } = period;
        let by_id: HashMap<String, Who> = participants.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let team_by_id: HashMap<String, usize> = teams.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();

        let overflow = |path: String| Error::Input {
            file: "period".into(),
            problems: vec![InputProblem { path, position: None, message: "the sum overflows a decimal".into() }],
        };
        let mut people = vec![Person::default(); participants.len()];
        for (d, deal) in deals.iter().enumerate() {
            let who = by_id[&deal.participant];
            let person = &mut people[who];
            person.sales = person
                .sales
                .checked_add(deal.amount)
                .ok_or_else(|| overflow(format!("sales of {}", deal.participant)))?;
            person.deals.push(d);
        }
        let mut team_facts = vec![TeamFacts::default(); teams.len()];
        let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
        for (who, p) in participants.iter().enumerate() {
            let person = &mut people[who];
            person.deals.sort_by(|&a, &b| (deals[a].closed_on, &deals[a].id).cmp(&(deals[b].closed_on, &deals[b].id)));
            person.first_deal = person.deals.iter().copied().find(|&d| deals[d].amount > Decimal::ZERO);
            let sales = person.sales;
            if let Some(team) = &p.team {
                let t = team_by_id[team];
                people[who].team = Some(t);
                let facts = &mut team_facts[t];
                facts.members.push(who);
                facts.sales =
                    facts.sales.checked_add(sales).ok_or_else(|| overflow(format!("sales of team {team}")))?;
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
                g.sales = g.sales.checked_add(sales).ok_or_else(|| overflow(format!("sales of group {name}")))?;
                g.target = g
                    .target
                    .checked_add(p.target.unwrap_or_default())
                    .ok_or_else(|| overflow(format!("target of group {name}")))?;
            }
        }
        let groups = groups.into_values().collect();
        Ok(Self { people, team_facts, groups, by_id, team_by_id })
    }
}

impl Facts {
    /// Computes the facts of a validated period, and its `input_hash` alongside them on `pool`
    /// (both only read the period; hashing it is as long as the rest).
    pub fn new(input: Input, pool: &rayon::ThreadPool) -> Result<Self> {
        let (hash, derived) = pool.join(|| input_hash(&input.period), || Derived::of(&input.period));
        let Derived { people, team_facts, groups, by_id, team_by_id } = derived?;
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

    /// Whether `who` reaches `ratio` of its target: it has a target and
    /// `sales >= ratio * target` (by multiplication, never a rounded division).
    pub fn reaches(&self, who: Who, ratio: Decimal) -> bool {
        match self.participants[who].target() {
            Some(target) => ratio.checked_mul(target).is_some_and(|bar| self.people[who].sales >= bar),
            None => false,
        }
    }
}
