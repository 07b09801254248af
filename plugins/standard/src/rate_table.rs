//! Rate table (`policies/rate_table.rhai`): each credit is paid the rate of the most specific row
//! that matches its deal (rows give a `segment`, a `kind`, an `attribute` with its `value`, or
//! none; the row giving the most keys wins, the first row among equals), no rate without a match.
//! One line per participant with deals, component `component` (default `commission`).

use crate::each;
use payplan_sdk::view::{Out, Paid, Params, View, decimal, text};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A row: its rate and the keys it gives.
struct Row<'a> {
    rate: Decimal,
    segment: Option<&'a str>,
    kind: Option<&'a str>,
    attribute: Option<(&'a str, Cow<'a, str>)>,
}

impl Row<'_> {
    /// How many keys the row gives, when it matches `deal`.
    fn matches<V: View>(&self, view: &V, deal: usize) -> Option<usize> {
        let field = |want: Option<&str>, have: Option<&str>| want.is_none_or(|w| have == Some(w));
        let attribute =
            self.attribute.as_ref().is_none_or(|(name, value)| view.attribute(deal, name).is_some_and(|x| x == *value));
        (field(self.segment, view.segment(deal)) && field(self.kind, view.kind(deal)) && attribute).then(|| {
            usize::from(self.segment.is_some())
                + usize::from(self.kind.is_some())
                + usize::from(self.attribute.is_some())
        })
    }
}

/// The rule. Reads the deals.
pub fn rate_table<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let component = params.text("component", "commission")?;
    let bad = "params.rates must be a list of { rate, segment?, kind?, attribute?, value? }";
    let rows: Vec<Row> = params
        .list("rates")
        .map_err(|_| bad)?
        .iter()
        .map(|r| {
            let key = |k: &str| r.get(k).and_then(|v| v.as_str());
            let rate = r.get("rate").and_then(decimal).ok_or(bad)?;
            let attribute = match (key("attribute"), r.get("value")) {
                (Some(a), Some(v)) => Some((a, text(v))),
                (None, None) => None,
                _ => return Err("params.rates: attribute and value go together"),
            };
            Ok(Row { rate, segment: key("segment"), kind: key("kind"), attribute })
        })
        .collect::<Result<_, _>>()?;
    let lines = each(view, |who| {
        if view.credits(who).next().is_none() {
            return Ok(Vec::new());
        }
        let mut credited = vec![None::<Decimal>; rows.len()];
        let mut unmatched = Decimal::ZERO;
        for (deal, credit) in view.credits(who) {
            let best = rows
                .iter()
                .enumerate()
                .filter_map(|(i, row)| Some((row.matches(view, deal)?, i)))
                .max_by_key(|m| (m.0, std::cmp::Reverse(m.1)));
            match best {
                Some((_, i)) => *credited[i].get_or_insert(Decimal::ZERO) += credit,
                None => unmatched += credit,
            }
        }
        let mut total = Decimal::ZERO;
        let mut explain = Vec::new();
        for (row, sum) in rows.iter().zip(&credited) {
            if let Some(sum) = sum {
                total += sum * row.rate;
                explain.push(format!("{} × {}", view.round(*sum), row.rate));
            }
        }
        if !unmatched.is_zero() {
            explain.push(format!("no matching row: {} × 0", view.round(unmatched)));
        }
        explain.push(format!("total {}", view.round(total)));
        Ok(vec![Paid { who, component: component.into(), amount: total, explain }])
    })?;
    Ok(Out { lines, scores: Vec::new() })
}
