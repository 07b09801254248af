//! What a plugin is sent: the period's facts as the ABI's views (`payplan_sdk::abi`).

use super::super::Env;
use crate::facts::Facts;
use payplan_sdk::abi::{
    ABI_VERSION, EarlierOutput, GroupView, LineOut, ParticipantView, PolicyInput, ScoreOut, TeamView,
};
use serde_json::{Map, Value};

/// The input of one call of policy `policy` with its `params`; earlier policies' output only
/// when the plugin reads it.
pub(super) fn policy_input(policy: &str, params: &Map<String, Value>, reads_earlier: bool, env: &Env) -> PolicyInput {
    let facts = &env.facts;
    PolicyInput {
        abi: ABI_VERSION,
        policy: policy.to_owned(),
        period: facts.info.id.clone(),
        currency: facts.currency.code().into(),
        places: facts.currency.places(),
        rounding: env.rounding,
        params: params.clone(),
        participants: participants(facts),
        teams: teams(facts),
        groups: groups(facts),
        earlier: if reads_earlier { earlier(env) } else { Vec::new() },
    }
}

/// Participant ids of indexes into the period's participants.
fn ids(facts: &Facts, who: &[usize]) -> Vec<String> {
    who.iter().map(|&w| facts.participants[w].id.clone()).collect()
}

fn participants(facts: &Facts) -> Vec<ParticipantView> {
    facts
        .participants
        .iter()
        .zip(&facts.people)
        .map(|(p, person)| ParticipantView {
            id: p.id.clone(),
            name: p.name.clone(),
            team: p.team.clone(),
            group: p.group.clone(),
            mentor: p.mentor.clone(),
            hired_on: p.hired_on,
            prior_deals: p.prior_deals(),
            manager: p.manager.clone(),
            reports: ids(facts, &person.reports),
            depth: person.depth as u64,
            target: person.target.filter(|t| *t > rust_decimal::Decimal::ZERO),
            target_written: p.target,
            active_days: person.active_days,
            sales: person.sales,
            deals: person.deals.len() as u64,
            metrics: p.metrics.clone().unwrap_or_default(),
            attributes: p.attributes.clone(),
        })
        .collect()
}

fn teams(facts: &Facts) -> Vec<TeamView> {
    facts
        .teams
        .iter()
        .zip(&facts.team_facts)
        .map(|(t, f)| TeamView {
            id: t.id.clone(),
            name: t.name.clone(),
            target: t.target.filter(|x| !x.is_zero()),
            sales: f.sales,
            members: ids(facts, &f.members),
        })
        .collect()
}

fn groups(facts: &Facts) -> Vec<GroupView> {
    facts
        .groups
        .iter()
        .map(|g| GroupView { id: g.id.clone(), sales: g.sales, target: g.target, members: ids(facts, &g.members) })
        .collect()
}

/// What the policies before this one emitted.
fn earlier(env: &Env) -> Vec<EarlierOutput> {
    let who = |w: usize| env.facts.participants[w].id.clone();
    env.earlier
        .iter()
        .map(|o| EarlierOutput {
            policy: o.policy.clone(),
            lines: o
                .lines
                .iter()
                .map(|l| LineOut {
                    participant: who(l.who),
                    component: l.component.clone(),
                    amount: l.amount,
                    explain: l.explain.clone(),
                })
                .collect(),
            scores: o
                .scores
                .iter()
                .map(|s| ScoreOut {
                    participant: who(s.who),
                    score: s.score,
                    grade: s.grade.clone(),
                    explain: s.explain.clone(),
                })
                .collect(),
        })
        .collect()
}
