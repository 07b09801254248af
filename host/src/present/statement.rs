//! `payplan explain`: one participant's statement — the facts the policies read (credits, sales,
//! target with its proration, attainment, reports and the organisation's sales by level, team and
//! group standing, mentoring), each line and score with its explanation, and the total.

use crate::error::{Error, InputProblem, Result};
use crate::facts::Facts;
use crate::money::Rounding;
use crate::money::pct;
use payplan_sdk::result::EvalResult;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// `part` of `whole` as a percentage, as the policies write it, or `-` without a positive whole.
fn percent(part: Decimal, whole: Decimal) -> String {
    if whole > Decimal::ZERO { pct(part / whole) } else { "-".into() }
}

/// The statement of participant `id` in `result`, with the facts of the period it was computed from.
pub fn statement(facts: &Facts, result: &EvalResult, id: &str) -> Result<String> {
    let who = facts.who(id).ok_or_else(|| Error::NotFound { what: format!("participant {id:?} in the period") })?;
    let p = &facts.participants[who];
    let person = &facts.people[who];
    let money = |d: Decimal| Rounding::HalfUp.round(d, facts.currency.places()).to_string();
    let mut out = String::new();
    let name = p.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{id}{name}: period {}, plan {} version {}\n\nfacts",
        result.period, result.plan.id, result.plan.version
    );
    let _ = writeln!(out, "  sales        {} ({} deals)", money(person.sales), person.deals.len());
    credits(&mut out, facts, who, &money);
    match facts.target(who) {
        Some(target) => {
            let _ = writeln!(out, "  target       {} → attainment {}", money(target), percent(person.sales, target));
        }
        None => {
            let _ = writeln!(out, "  target       none");
        }
    }
    let period_days = facts.period_days();
    if let (Some(written), true) = (p.target, person.active_days != period_days) {
        let (from, to) = (p.active_from.unwrap_or(facts.info.start), p.active_to.unwrap_or(facts.info.end));
        let _ = writeln!(
            out,
            "  prorated     written {} × {} of {period_days} days (active {from} to {to})",
            money(written),
            person.active_days
        );
    }
    hierarchy(&mut out, facts, who, &money)?;
    if let Some(t) = person.team {
        let (team, aggregate) = (&facts.teams[t], &facts.team_facts[t]);
        let target = team.target.filter(|t| *t > Decimal::ZERO).map_or("no target".into(), |target| {
            format!("of target {} ({})", money(target), percent(aggregate.sales, target))
        });
        let members = aggregate.members.len();
        let _ =
            writeln!(out, "  team         {}: sales {} {target}, {members} members", team.id, money(aggregate.sales));
    }
    if let Some(group) = facts.groups.iter().find(|g| g.members.contains(&who)) {
        let _ = writeln!(
            out,
            "  group        {}: sales {} of target {} ({}), {} members",
            group.id,
            money(group.sales),
            money(group.target),
            percent(group.sales, group.target),
            group.members.len()
        );
    }
    if let Some(mentor) = &p.mentor {
        let _ = writeln!(out, "  mentor       {mentor}");
    }
    if !person.mentees.is_empty() {
        let ids: Vec<&str> = person.mentees.iter().map(|m| facts.participants[*m].id.as_str()).collect();
        let _ = writeln!(out, "  mentees      {}", ids.join(", "));
    }
    let payouts: Vec<_> = result.payouts.iter().filter(|l| l.participant == id).collect();
    let _ = writeln!(out, "\nlines");
    if payouts.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for line in payouts {
        let _ = writeln!(out, "  {:<12} {:<20} {:>14}", line.policy, line.component, line.amount);
        for why in &line.explain {
            let _ = writeln!(out, "      {why}");
        }
    }
    let scores: Vec<_> = result.scores.iter().filter(|s| s.participant == id).collect();
    if !scores.is_empty() {
        let _ = writeln!(out, "\nscores");
    }
    for score in scores {
        let _ = writeln!(out, "  {:<12} {} grade {}", score.policy, score.score, score.grade);
        for why in &score.explain {
            let _ = writeln!(out, "      {why}");
        }
    }
    let total = result.totals.participants.get(id).map_or(Decimal::ZERO, |m| m.0);
    let _ = writeln!(out, "\ntotal {} {}", money(total), facts.currency.code());
    if let Some(balance) = result.balances.get(id) {
        let _ =
            writeln!(out, "draw balance {} {} (to be recovered from later earnings)", balance.0, facts.currency.code());
    }
    Ok(out)
}

/// The deals whose credit is split or shared, each with the participant's share (a deal credited
/// whole is only counted in the sales line).
fn credits(out: &mut String, facts: &Facts, who: usize, money: &dyn Fn(Decimal) -> String) {
    let id = facts.participants[who].id.as_str();
    for c in &facts.people[who].deals {
        let deal = &facts.deals[c.deal];
        let split = deal.splits.iter().find(|s| s.participant == id);
        let overlay = deal.overlay.iter().find(|s| s.participant == id);
        let how = match (split, overlay) {
            (Some(s), _) => format!("split {} of", s.share),
            (_, Some(s)) => format!("overlay {} of", s.share),
            _ => continue,
        };
        let _ = writeln!(out, "  credit       {} {how} {} → {}", deal.id, money(deal.amount), money(c.credit));
    }
}

/// The manager, the direct reports, and the organisation's sales level by level.
fn hierarchy(out: &mut String, facts: &Facts, who: usize, money: &dyn Fn(Decimal) -> String) -> Result<()> {
    let (p, person) = (&facts.participants[who], &facts.people[who]);
    if let Some(manager) = &p.manager {
        let _ = writeln!(out, "  manager      {manager} (depth {})", person.depth);
    }
    if person.reports.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = person.reports.iter().map(|r| facts.participants[*r].id.as_str()).collect();
    let _ = writeln!(out, "  reports      {}", ids.join(", "));
    let levels = facts.org_levels(who, usize::MAX).map_err(|message| Error::Input {
        file: "period".into(),
        problems: vec![InputProblem { path: format!("org sales of {}", p.id), position: None, message }],
    })?;
    for (k, sales) in levels.iter().enumerate() {
        let _ = writeln!(out, "  org level {}  sales {}", k + 1, money(*sales));
    }
    Ok(())
}
