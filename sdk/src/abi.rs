//! The WASM plugin ABI, version 1: what crosses the boundary between the host and a plugin.
//! Version 2 ([`v2`]) sends the facts in a binary encoding the guest reads in place, for a rule
//! written once against [`View`](crate::view::View); the host speaks both.
//!
//! # Exports
//! A plugin is a `wasm32-unknown-unknown` module with **no imports** (no WASI, no clock, no
//! randomness) that exports:
//! - `memory`;
//! - `payplan_abi_version() -> i32`: [`ABI_VERSION`]; the host reads it when it loads the module
//!   and refuses any other version;
//! - `payplan_alloc(len: i32) -> i32`: a buffer of `len` bytes in the plugin's memory, which the
//!   plugin owns from then on;
//! - `payplan_evaluate(ptr: i32, len: i32) -> i64`: runs the policy;
//! - optionally, `payplan_reads_earlier() -> i32`: 0 when the plugin never reads
//!   [`PolicyInput::earlier`], which the host then sends empty; without it, or 1, the host sends
//!   every earlier line and score. (At 100k participants, sending them took more than half of
//!   `group_pk`'s time: 1.6 against 0.7 s.)
//!
//! # One call per policy per evaluation
//! The host instantiates the module afresh, asks `payplan_alloc` for a buffer, writes the
//! [`PolicyInput`] there as UTF-8 JSON, and calls `payplan_evaluate` with it. The plugin takes
//! ownership of the input buffer and answers with a [`Reply`] as JSON in a buffer it leaves
//! allocated; the return value packs that buffer as `(ptr << 32) | len`. The instance is then
//! dropped, so nothing needs freeing.
//!
//! # Encoding
//! JSON; every decimal is a string (`"1234.50"`), read exactly. Lists are sorted by id.
//!
//! # Errors
//! A plugin reports a failure as [`Reply::Error`] with a message; a trap (a panic), running out of
//! fuel or memory, an oversized or unreadable reply, or another ABI version fail the evaluation
//! with an error that names the plugin and the cause.
//!
//! A plugin is written with [`export_policy!`](crate::export_policy) and needs no `unsafe`.

pub mod v2;

use crate::allocate::allocate;
use crate::period::{Attributes, Metric};
use crate::rounding::Rounding;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The ABI version this sdk speaks.
pub const ABI_VERSION: u32 = 1;

/// Export names.
pub mod exports {
    /// `() -> i32`.
    pub const ABI_VERSION: &str = "payplan_abi_version";
    /// `(len: i32) -> i32`.
    pub const ALLOC: &str = "payplan_alloc";
    /// `(ptr: i32, len: i32) -> i64`.
    pub const EVALUATE: &str = "payplan_evaluate";
    /// `() -> i32`, optional.
    pub const READS_EARLIER: &str = "payplan_reads_earlier";
    /// The module's memory.
    pub const MEMORY: &str = "memory";
}

/// Everything a plugin sees for one evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInput {
    /// The ABI version the host speaks.
    pub abi: u32,
    /// The policy's id in the plan.
    pub policy: String,
    /// The period id.
    pub period: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Decimal places of the currency's minor unit.
    pub places: u32,
    /// The plan's rounding mode.
    pub rounding: Rounding,
    /// `[policy.params]`; numbers are exact (JSON numbers with their original digits).
    pub params: Map<String, Value>,
    /// Participants with their facts, by id.
    pub participants: Vec<ParticipantView>,
    /// Teams with their aggregates, by id.
    pub teams: Vec<TeamView>,
    /// Groups with their aggregates, by name.
    pub groups: Vec<GroupView>,
    /// What the policies before this one emitted, in plan order; empty for a plugin that says
    /// it does not read it (`payplan_reads_earlier`).
    pub earlier: Vec<EarlierOutput>,
}

/// A participant and the facts the host computed for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Team id.
    pub team: Option<String>,
    /// Group.
    pub group: Option<String>,
    /// Mentor's id.
    pub mentor: Option<String>,
    /// Hiring date.
    pub hired_on: Option<NaiveDate>,
    /// Deals before the period (absent: 0).
    pub prior_deals: u64,
    /// Manager's id (crediting.md, "Reporting hierarchy").
    #[serde(default)]
    pub manager: Option<String>,
    /// Direct reports' ids, sorted.
    #[serde(default)]
    pub reports: Vec<String>,
    /// Levels of managers above (0 at a root).
    #[serde(default)]
    pub depth: u64,
    /// The effective target, when the participant has one (present and > 0): prorated when
    /// the participant was active fewer days than the period has.
    #[serde(with = "crate::exact::option")]
    pub target: Option<Decimal>,
    /// The target as written in the period.
    #[serde(default, with = "crate::exact::option")]
    pub target_written: Option<Decimal>,
    /// Days from `active_from` to `active_to`, inclusive.
    #[serde(default)]
    pub active_days: i64,
    /// Sum of the participant's credits (refunds negative).
    #[serde(with = "crate::exact")]
    pub sales: Decimal,
    /// Number of deals that credit the participant.
    pub deals: u64,
    /// Metrics.
    pub metrics: BTreeMap<String, Metric>,
    /// Unknown input fields.
    pub attributes: Attributes,
}

impl ParticipantView {
    /// Has a target and `sales >= ratio × target` (by multiplication).
    pub fn reaches(&self, ratio: Decimal) -> bool {
        self.target.is_some_and(|t| ratio.checked_mul(t).is_some_and(|bar| self.sales >= bar))
    }
}

/// A team and its aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// The target, when the team has one (present and > 0).
    #[serde(with = "crate::exact::option")]
    pub target: Option<Decimal>,
    /// Sum of the members' sales.
    #[serde(with = "crate::exact")]
    pub sales: Decimal,
    /// Member ids.
    pub members: Vec<String>,
}

/// A group and its aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// The group value.
    pub id: String,
    /// Sum of the members' sales.
    #[serde(with = "crate::exact")]
    pub sales: Decimal,
    /// Sum of the members' targets (absent counts 0).
    #[serde(with = "crate::exact")]
    pub target: Decimal,
    /// Member ids.
    pub members: Vec<String>,
}

/// An earlier policy's lines and scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierOutput {
    /// Its id.
    pub policy: String,
    /// Its money lines (rounded).
    pub lines: Vec<LineOut>,
    /// Its scores.
    pub scores: Vec<ScoreOut>,
}

/// A money line a policy emits; the host rounds the amount once, with the plan's mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineOut {
    /// Participant id.
    pub participant: String,
    /// Component.
    pub component: String,
    /// Amount, exact.
    #[serde(with = "crate::exact")]
    pub amount: Decimal,
    /// Why.
    pub explain: Vec<String>,
}

/// A score a policy emits; the host rounds it to 2 places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreOut {
    /// Participant id.
    pub participant: String,
    /// Score.
    #[serde(with = "crate::exact")]
    pub score: Decimal,
    /// Grade.
    pub grade: String,
    /// Why.
    pub explain: Vec<String>,
}

/// What a policy emits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyOutput {
    /// Money lines.
    pub lines: Vec<LineOut>,
    /// Scores.
    pub scores: Vec<ScoreOut>,
}

impl PolicyOutput {
    /// Adds a money line.
    pub fn pay(&mut self, participant: &str, component: &str, amount: Decimal, explain: Vec<String>) {
        self.lines.push(LineOut { participant: participant.into(), component: component.into(), amount, explain });
    }
}

/// A plugin's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The policy ran.
    Ok(PolicyOutput),
    /// The policy failed, and why.
    Error(String),
}

impl PolicyInput {
    /// Rounds to the currency's minor unit with the plan's mode.
    pub fn round(&self, x: Decimal) -> Decimal {
        self.rounding.round(x, self.places)
    }

    /// Splits a rounded pool exactly among recipients by weight (see [`allocate`]).
    pub fn allocate(&self, pool: Decimal, recipients: &[&str], weights: &[Decimal]) -> Result<Vec<Decimal>, String> {
        allocate(pool, self.places, recipients, weights)
    }

    /// A param as a decimal: an error names the param when it is missing or not a number.
    pub fn decimal(&self, name: &str) -> Result<Decimal, String> {
        let value = self.params.get(name).ok_or_else(|| format!("params.{name} is required"))?;
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(format!("params.{name} must be a number")),
        };
        crate::exact::parse_decimal(&text).ok_or_else(|| format!("params.{name}: {text} is not a decimal"))
    }

    /// A param as text, or `default` when absent.
    pub fn text<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, String> {
        match self.params.get(name) {
            None => Ok(default),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(format!("params.{name} must be a string")),
        }
    }

    /// A participant by id.
    pub fn participant(&self, id: &str) -> Option<&ParticipantView> {
        self.participants.binary_search_by(|p| p.id.as_str().cmp(id)).ok().map(|i| &self.participants[i])
    }

    /// The sales of the participants below `id`, level by level (level 1: direct reports),
    /// down to `levels` levels or the deepest report; not `id`'s own.
    pub fn org_levels(&self, id: &str, levels: usize) -> Result<Vec<Decimal>, String> {
        let mut out = Vec::new();
        let mut level: Vec<&ParticipantView> = self.participant(id).into_iter().collect();
        while out.len() < levels {
            let next: Vec<&ParticipantView> = level
                .iter()
                .flat_map(|p| &p.reports)
                .map(|r| self.participant(r).ok_or_else(|| format!("unknown report {r:?}")))
                .collect::<Result<_, _>>()?;
            if next.is_empty() {
                break;
            }
            let sum = next.iter().try_fold(Decimal::ZERO, |sum, p| sum.checked_add(p.sales));
            out.push(sum.ok_or("the organisation's sales overflow a decimal")?);
            level = next;
        }
        Ok(out)
    }
}
