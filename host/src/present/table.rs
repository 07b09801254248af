//! The readable per-participant table of a result (`--format table`).

use payplan_sdk::result::EvalResult;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Renders a result as a table: each participant's lines and total, then the scores.
pub fn render(result: &EvalResult, names: &BTreeMap<String, String>) -> String {
    let mut rows: Vec<[String; 5]> = vec![["participant", "name", "policy", "component", "amount"].map(String::from)];
    let mut last = None;
    for line in &result.payouts {
        let first = last != Some(&line.participant);
        if let Some(previous) = last.filter(|_| first) {
            rows.push(total_row(result, previous));
        }
        last = Some(&line.participant);
        let (who, name) = if first {
            (line.participant.clone(), names.get(&line.participant).cloned().unwrap_or_default())
        } else {
            (String::new(), String::new())
        };
        rows.push([who, name, line.policy.clone(), line.component.clone(), line.amount.to_string()]);
    }
    if let Some(who) = last {
        rows.push(total_row(result, who));
    }
    let mut out = format!("period {} · plan {} version {}\n\n", result.period, result.plan.id, result.plan.version);
    write_rows(&mut out, &rows, 4);
    if !result.scores.is_empty() {
        let mut rows: Vec<[String; 5]> = vec![["participant", "name", "policy", "score", "grade"].map(String::from)];
        for s in &result.scores {
            let name = names.get(&s.participant).cloned().unwrap_or_default();
            rows.push([s.participant.clone(), name, s.policy.clone(), s.score.to_string(), s.grade.clone()]);
        }
        out.push('\n');
        write_rows(&mut out, &rows, 3);
    }
    let _ = writeln!(out, "\ntotal {} over {} lines", result.totals.amount, result.payouts.len());
    let _ = writeln!(out, "result {}", result.result_hash);
    out
}

fn total_row(result: &EvalResult, who: &str) -> [String; 5] {
    let total = result.totals.participants.get(who).map(|m| m.0.to_string()).unwrap_or_default();
    [String::new(), String::new(), String::new(), "total".into(), total]
}

/// Rows as left-aligned columns, the first row a header.
pub fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut out = String::new();
    write_rows(&mut out, rows, N);
    out
}

/// Writes rows as columns; `right` is the index of the first right-aligned column.
fn write_rows<const N: usize>(out: &mut String, rows: &[[String; N]], right: usize) {
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..N).map(width).collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c >= right {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// A what-if as a table: each changed (participant, policy), the totals, who gains and loses, and
/// the largest movers.
pub fn comparison(c: &crate::design::whatif::Comparison) -> String {
    let mut text = format!(
        "what-if {}: A = {} version {}, B = {} version {}\n\n",
        c.period, c.a.id, c.a.version, c.b.id, c.b.version
    );
    let mut rows = vec![["participant", "policy", "A", "B", "delta"].map(String::from)];
    rows.extend(c.lines.iter().map(cells));
    text += &columns(&rows);
    text += &format!(
        "\ntotal A {} B {} delta {}; {} gain, {} lose\n",
        c.totals.a, c.totals.b, c.totals.delta, c.gainers, c.losers
    );
    text += &movers(&c.largest_movers);
    text
}

/// The publish gate: each period's totals paid and new, the changed lines, the totals, the
/// increase and the largest movers.
pub fn gate(g: &crate::design::gate::Gate) -> String {
    let mut text = format!("gate on series {}\n\n", g.series);
    let mut rows = vec![["period", "participant", "policy", "paid", "new", "delta"].map(String::from)];
    for c in &g.periods {
        rows.push([
            c.period.clone(),
            String::new(),
            "total".into(),
            c.totals.a.to_string(),
            c.totals.b.to_string(),
            c.totals.delta.to_string(),
        ]);
        rows.extend(c.lines.iter().map(|ch| {
            let [participant, policy, a, b, delta] = cells(ch);
            [String::new(), participant, policy, a, b, delta]
        }));
    }
    text += &columns(&rows);
    let increase = g.increase_percent.map_or_else(|| "-".to_string(), |p| format!("{p:+}%"));
    text += &format!("\ntotal paid {} new {} delta {} ({increase})\n", g.totals.a, g.totals.b, g.totals.delta);
    text += &movers(&g.largest_movers);
    text
}

/// A changed amount as table cells: participant, policy, A, B, delta.
fn cells(ch: &crate::design::whatif::Change) -> [String; 5] {
    [ch.participant.clone(), ch.policy.clone(), ch.a.to_string(), ch.b.to_string(), ch.delta.to_string()]
}

/// `largest movers: p006 +6933.30, …` (nothing when there are none).
fn movers(list: &[crate::design::whatif::Change]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let movers: Vec<String> = list.iter().map(|m| format!("{} {:+}", m.participant, m.delta)).collect();
    format!("largest movers: {}\n", movers.join(", "))
}
