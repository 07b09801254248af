//! Results as CSV for payroll import: one row per line, or one row per participant.

use payplan_sdk::result::EvalResult;
use std::collections::BTreeMap;

fn finish(writer: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(writer.into_inner().expect("writing to memory cannot fail")).expect("CSV of UTF-8 fields")
}

/// `participant,name,policy,component,amount`, one row per payout line.
pub fn lines(result: &EvalResult, names: &BTreeMap<String, String>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["participant", "name", "policy", "component", "amount"]).expect("in memory");
    for p in &result.payouts {
        let name = names.get(&p.participant).map_or("", String::as_str);
        w.write_record([&p.participant, name, &p.policy, &p.component, &p.amount.to_string()]).expect("in memory");
    }
    finish(w)
}

/// `participant,policy,component,amount,explain`, one row per line of a statement (the
/// explanation's lines joined by newlines, which CSV quotes).
pub fn statement(lines: &[payplan_sdk::result::Payout]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["participant", "policy", "component", "amount", "explain"]).expect("in memory");
    for p in lines {
        w.write_record([&p.participant, &p.policy, &p.component, &p.amount.to_string(), &p.explain.join("\n")])
            .expect("in memory");
    }
    finish(w)
}

/// `participant,name,<policy>…,total`, one row per participant of the period, each policy's sum
/// in plan order.
pub fn summary(result: &EvalResult, names: &BTreeMap<String, String>, policies: &[String]) -> String {
    let mut sums: BTreeMap<(&str, &str), rust_decimal::Decimal> = BTreeMap::new();
    for p in &result.payouts {
        *sums.entry((&p.participant, &p.policy)).or_default() += p.amount;
    }
    let places = result.totals.amount.scale();
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> =
        ["participant", "name"].into_iter().chain(policies.iter().map(String::as_str)).chain(["total"]).collect();
    w.write_record(&header).expect("in memory");
    for (id, total) in &result.totals.participants {
        let mut row = vec![id.clone(), names.get(id).cloned().unwrap_or_default()];
        for policy in policies {
            let sum = sums.get(&(id.as_str(), policy.as_str())).copied().unwrap_or_default();
            row.push(crate::money::fixed(sum, places).to_string());
        }
        row.push(total.0.to_string());
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}

/// `participant,policy,a,b,delta`, one row per changed (participant, policy) of a what-if, then
/// one per changed participant (policy `total`).
pub fn comparison(c: &crate::design::whatif::Comparison) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["participant", "policy", "a", "b", "delta"]).expect("in memory");
    for c in c.lines.iter().chain(c.participants.iter()) {
        let policy = if c.policy.is_empty() { "total" } else { &c.policy };
        w.write_record([&c.participant, policy, &c.a.to_string(), &c.b.to_string(), &c.delta.to_string()])
            .expect("in memory");
    }
    finish(w)
}

/// `period,participant,policy,paid,new,delta`, one row per changed (period, participant, policy)
/// of the publish gate.
pub fn gate(g: &crate::design::gate::Gate) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["period", "participant", "policy", "paid", "new", "delta"]).expect("in memory");
    for c in &g.periods {
        for ch in &c.lines {
            w.write_record([
                &c.period,
                &ch.participant,
                &ch.policy,
                &ch.a.to_string(),
                &ch.b.to_string(),
                &ch.delta.to_string(),
            ])
            .expect("in memory");
        }
    }
    finish(w)
}
