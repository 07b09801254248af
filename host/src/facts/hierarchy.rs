//! The reporting hierarchy (crediting.md, "Reporting hierarchy"): reports, depth, and the sales of
//! the organisation below a participant, level by level.

use super::{Person, Who};
use rust_decimal::Decimal;

/// Fills each person's `reports`, `depth`, `height` and `org_total` from `managers` (the
/// manager of each participant, by index; validation rules out cycles). Linear in the
/// participants, however deep the hierarchy.
pub(super) fn link(people: &mut [Person], managers: &[Option<Who>]) -> Result<(), String> {
    for (who, manager) in managers.iter().enumerate() {
        if let Some(m) = *manager {
            people[m].reports.push(who);
        }
    }
    // Depth from the root down: each chain is walked once, its depths filled on the way back.
    let mut known = vec![false; people.len()];
    let mut chain = Vec::new();
    for start in 0..people.len() {
        let mut at = start;
        while !known[at] {
            chain.push(at);
            match managers[at] {
                Some(m) => at = m,
                None => break,
            }
        }
        let mut depth = if known[at] { people[at].depth + 1 } else { 0 };
        while let Some(who) = chain.pop() {
            people[who].depth = depth;
            known[who] = true;
            depth += 1;
        }
    }
    // Totals from the deepest up: a report is done before its manager.
    let mut order: Vec<Who> = (0..people.len()).collect();
    order.sort_by_key(|&w| std::cmp::Reverse(people[w].depth));
    for who in order {
        if let Some(m) = managers[who] {
            let (sales, total, height) = (people[who].sales, people[who].org_total, people[who].height);
            let manager = &mut people[m];
            manager.org_total = manager
                .org_total
                .checked_add(sales)
                .and_then(|t| t.checked_add(total))
                .ok_or("the organisation's sales overflow a decimal")?;
            manager.height = manager.height.max(height + 1);
        }
    }
    Ok(())
}

/// The sales of the participants `1..=levels` levels below `who`, level by level (level 1
/// first), not `who`'s own; levels below the deepest report are left out. The walk visits only
/// the people it counts.
pub(super) fn org_levels(people: &[Person], who: Who, levels: usize) -> Result<Vec<Decimal>, String> {
    let mut out = Vec::new();
    let mut level: Vec<Who> = vec![who];
    for _ in 0..levels.min(people[who].height) {
        let next: Vec<Who> = level.iter().flat_map(|&w| people[w].reports.iter().copied()).collect();
        out.push(sum(next.iter().map(|&w| people[w].sales))?);
        level = next;
    }
    Ok(out)
}

/// The sales of the participants down to `levels` below `who` (1: direct reports): the kept
/// total, without a walk, when `levels` reaches the bottom.
pub(super) fn org_sales(people: &[Person], who: Who, levels: usize) -> Result<Decimal, String> {
    let person = &people[who];
    if levels >= person.height {
        return Ok(person.org_total);
    }
    sum(org_levels(people, who, levels)?.into_iter())
}

fn sum(mut items: impl Iterator<Item = Decimal>) -> Result<Decimal, String> {
    items
        .try_fold(Decimal::ZERO, |a, b| a.checked_add(b))
        .ok_or_else(|| "the organisation's sales overflow a decimal".into())
}
