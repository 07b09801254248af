//! A policy written once in Rust, run natively or as a plugin: the facts it reads through
//! [`View`], its [`Params`], and the lines and scores it emits in an [`Out`].
//!
//! The host implements [`View`] over its own facts (a native policy reads them in place); a
//! plugin of ABI version 2 reads the same facts from the host's binary encoding
//! ([`abi::v2`](crate::abi::v2)). A rule generic over [`View`] is therefore the same code in both,
//! and `plugins/standard` holds the standard policies so.
//!
//! Participants, teams, groups and deals are numbered from 0 in the period's order (by id,
//! groups by name); a [`Who`] is such a participant's number.

use crate::rounding::Rounding;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A participant's number: its index in the period's participants, sorted by id.
pub type Who = usize;

/// The facts of a period as a policy reads them.
pub trait View: Sync {
    /// Decimal places of the currency's minor unit.
    fn places(&self) -> u32;
    /// The plan's rounding mode.
    fn rounding(&self) -> Rounding;

    /// The number of participants.
    fn participants(&self) -> usize;
    /// A participant's id.
    fn id(&self, who: Who) -> &str;
    /// The sum of its credits (refunds negative).
    fn sales(&self, who: Who) -> Decimal;
    /// Its effective target, when it has one (present and > 0).
    fn target(&self, who: Who) -> Option<Decimal>;
    /// Its mentor.
    fn mentor(&self, who: Who) -> Option<Who>;
    /// Its hiring date.
    fn hired_on(&self, who: Who) -> Option<NaiveDate>;
    /// Its deals before the period.
    fn prior_deals(&self, who: Who) -> u64;
    /// Its metrics, by name.
    fn metrics(&self, who: Who) -> impl Iterator<Item = (&str, Decimal)> + '_;
    /// Its direct reports.
    fn reports(&self, who: Who) -> impl Iterator<Item = Who> + '_;

    /// The deals that credit `who`, by (`closed_on`, id): the deal's number and the credit.
    /// Empty for a plugin that does not read deals.
    fn credits(&self, who: Who) -> impl Iterator<Item = (usize, Decimal)> + '_;
    /// The earliest of [`credits`](Self::credits) with a credit > 0: its position there.
    fn first_credit(&self, who: Who) -> Option<usize>;
    /// The number of deals (0 for a plugin that does not read deals).
    fn deals(&self) -> usize;
    /// A deal's id.
    fn deal_id(&self, deal: usize) -> &str;
    /// Its closing date.
    fn closed_on(&self, deal: usize) -> NaiveDate;
    /// Its segment.
    fn segment(&self, deal: usize) -> Option<&str>;
    /// Its kind.
    fn kind(&self, deal: usize) -> Option<&str>;
    /// Its attributes by name, each as text (a string as it is, anything else as JSON).
    fn attributes(&self, deal: usize) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_;

    /// The number of teams.
    fn teams(&self) -> usize;
    /// A team's id.
    fn team_id(&self, team: usize) -> &str;
    /// Its target, when it has one (present and not 0).
    fn team_target(&self, team: usize) -> Option<Decimal>;
    /// The sum of its members' sales.
    fn team_sales(&self, team: usize) -> Decimal;
    /// Its members, by id.
    fn team_members(&self, team: usize) -> impl Iterator<Item = Who> + '_;

    /// The number of groups.
    fn groups(&self) -> usize;
    /// A group's name.
    fn group_id(&self, group: usize) -> &str;
    /// The sum of its members' sales.
    fn group_sales(&self, group: usize) -> Decimal;
    /// The sum of its members' effective targets (absent counts 0).
    fn group_target(&self, group: usize) -> Decimal;
    /// Its members, by id.
    fn group_members(&self, group: usize) -> impl Iterator<Item = Who> + '_;

    /// The score and grade an earlier policy gave `who`. None for a plugin that does not read
    /// earlier policies.
    fn score(&self, policy: &str, who: Who) -> Option<(Decimal, &str)>;

    /// `f` of every participant, in order; the host runs it in parallel. A plugin run
    /// [`split`](crate::abi::v2::reads::SPLIT) runs it for its range of participants only.
    fn each<T: Send>(&self, f: impl Fn(Who) -> T + Sync + Send) -> Vec<T> {
        (0..self.participants()).map(f).collect()
    }

    /// A metric's value.
    fn metric(&self, who: Who, name: &str) -> Option<Decimal> {
        self.metrics(who).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// One of a deal's attributes as text.
    fn attribute(&self, deal: usize, name: &str) -> Option<Cow<'_, str>> {
        self.attributes(deal).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Rounds to the currency's minor unit with the plan's mode.
    fn round(&self, x: Decimal) -> Decimal {
        self.rounding().round(x, self.places())
    }

    /// Has a target and `sales >= ratio × target` (by multiplication).
    fn reaches(&self, who: Who, ratio: Decimal) -> bool {
        self.target(who).is_some_and(|t| ratio.checked_mul(t).is_some_and(|bar| self.sales(who) >= bar))
    }

    /// The sales of the participants below `who`, level by level (level 1: direct reports), down
    /// to `levels` levels or the deepest report; not `who`'s own.
    fn org_levels(&self, who: Who, levels: usize) -> Result<Vec<Decimal>, String> {
        let mut out = Vec::new();
        let mut level = vec![who];
        while out.len() < levels {
            let next: Vec<Who> = level.iter().flat_map(|&p| self.reports(p)).collect();
            if next.is_empty() {
                break;
            }
            let sum = next.iter().try_fold(Decimal::ZERO, |sum, &p| sum.checked_add(self.sales(p)));
            out.push(sum.ok_or("the organisation's sales overflow a decimal")?);
            level = next;
        }
        Ok(out)
    }

    /// Splits a rounded pool exactly among `recipients` by weight
    /// ([`allocate`](crate::allocate::allocate)).
    fn allocate(&self, pool: Decimal, recipients: &[Who], weights: &[Decimal]) -> Result<Vec<Decimal>, String> {
        let ids: Vec<&str> = recipients.iter().map(|&w| self.id(w)).collect();
        crate::allocate::allocate(pool, self.places(), &ids, weights)
    }
}

/// A money line: who, what for, the exact amount (the host rounds it), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Paid {
    /// Who is paid.
    pub who: Who,
    /// The component.
    pub component: String,
    /// The amount, exact.
    pub amount: Decimal,
    /// Why.
    pub explain: Vec<String>,
}

/// A score: who, the score (the host rounds it to 2 places), the grade, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Who is scored.
    pub who: Who,
    /// The score.
    pub score: Decimal,
    /// The grade.
    pub grade: String,
    /// Why.
    pub explain: Vec<String>,
}

/// What a policy emits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Out {
    /// Money lines.
    pub lines: Vec<Paid>,
    /// Scores.
    pub scores: Vec<Scored>,
}

impl Out {
    /// Adds a money line.
    pub fn pay(&mut self, who: Who, component: impl Into<String>, amount: Decimal, explain: Vec<String>) {
        self.lines.push(Paid { who, component: component.into(), amount, explain });
    }
}

/// A rule written against [`View`]: the facts and the params, to lines and scores or a reason.
pub type Rule<V> = fn(&V, &Params) -> Result<Out, String>;

/// A policy's `[policy.params]`, with readers that name the param in their errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// The param, when present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A required number.
    pub fn decimal(&self, name: &str) -> Result<Decimal, String> {
        let value = self.get(name).ok_or_else(|| format!("params.{name} is required"))?;
        decimal(value).ok_or_else(|| format!("params.{name} must be a number"))
    }

    /// A number, or `default` when absent.
    pub fn decimal_or(&self, name: &str, default: Decimal) -> Result<Decimal, String> {
        if self.get(name).is_some() { self.decimal(name) } else { Ok(default) }
    }

    /// Text, or `default` when absent.
    pub fn text<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, String> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(format!("params.{name} must be text")),
        }
    }

    /// A flag, or `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("params.{name} must be true or false")),
        }
    }

    /// A required non-empty list.
    pub fn list(&self, name: &str) -> Result<&[Value], String> {
        match self.get(name) {
            Some(Value::Array(items)) if !items.is_empty() => Ok(items),
            _ => Err(format!("params.{name} must be a non-empty list")),
        }
    }
}

/// A JSON number (or a string of one) as an exact decimal.
pub fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => crate::exact::parse_decimal(&n.to_string()),
        Value::String(s) => crate::exact::parse_decimal(s),
        _ => None,
    }
}

/// A JSON value as text: a string as it is, anything else as JSON.
pub fn text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}
