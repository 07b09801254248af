//! A validated period: the facts an evaluation reads (formats.md, "Period").
//!
//! The host builds these from the period JSON after checking every field; a value of these types
//! is always consistent (ids unique, references resolve, dates inside the period).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fields the format does not know, kept as given and visible to policies. On the wire they are
/// keys of their record beside the known ones (so the OpenAPI schemas leave this field out and
/// allow other properties).
pub type Attributes = BTreeMap<String, serde_json::Value>;

/// One period of sales data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// The period's identity and currency.
    pub period: PeriodInfo,
    /// Teams, sorted by id (absent or null: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub teams: Vec<Team>,
    /// Participants, sorted by id (absent or null: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub participants: Vec<Participant>,
    /// Deals, sorted by id (absent or null: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub deals: Vec<Deal>,
    /// Unknown top-level fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
}

/// `period`: id, dates and currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodInfo {
    /// Period id, e.g. `2026-03`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub id: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period (inclusive).
    pub end: NaiveDate,
    /// ISO 4217 code, e.g. `CNY`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$", example = "CNY"))]
    pub currency: String,
    /// The series the period belongs to (series.md), when it is one of several paid in turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// Unknown fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
}

/// A series of periods paid one after another (series.md, "Series").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Series {
    /// Series id, e.g. `FY2026`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub id: String,
    /// Its first day: the history of a period covers every day from here to the day before it.
    pub start: NaiveDate,
}

/// A team (a region, a branch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    /// Unique team id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Team sales target; `None`: the team has no target.
    #[serde(default, with = "crate::exact::option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::exact::DecimalIn>))]
    pub target: Option<Decimal>,
    /// Unknown fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
}

/// A person who can be paid or scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Participant {
    /// Unique participant id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the participant's team (declared in `teams`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Free group label; groups need not be declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Hiring date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired_on: Option<NaiveDate>,
    /// Id of another participant who mentors this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentor: Option<String>,
    /// Deals closed before this period, when given (absent means 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_deals: Option<u64>,
    /// Id of the participant's manager (crediting.md, "Reporting hierarchy").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// First active day, inside the period (absent: the period's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_from: Option<NaiveDate>,
    /// Last active day, inside the period (absent: the period's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_to: Option<NaiveDate>,
    /// A draw paid in this period when the participant earns less (series.md, "Draws").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<Draw>,
    /// Sales target for the period, as written; absent or 0 means no target. Prorated by the
    /// active days when they are fewer than the period's (crediting.md, "Proration of targets").
    #[serde(default, with = "crate::exact::option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::exact::DecimalIn>))]
    pub target: Option<Decimal>,
    /// Named metrics (visits, csat, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<BTreeMap<String, Metric>>,
    /// Unknown fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
}

impl Participant {
    /// Prior deals, absent read as 0.
    pub fn prior_deals(&self) -> u64 {
        self.prior_deals.unwrap_or(0)
    }
}

/// A metric value, an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = crate::exact::DecimalIn))]
#[serde(transparent)]
pub struct Metric(#[serde(with = "crate::exact")] pub Decimal);

/// A closed deal (or a refund, when the amount is negative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deal {
    /// Unique deal id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub id: String,
    /// Id of the participant credited with the deal; with `splits`, one of the split
    /// participants (a label only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    /// Amount; negative for a refund or clawback.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::exact::DecimalIn))]
    pub amount: Decimal,
    /// Closing date, inside the period.
    pub closed_on: NaiveDate,
    /// Customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Segment label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Kind label (new, renewal, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Credit splits: shares in (0, 1] summing to exactly 1, sorted by participant (absent: the
    /// deal credits its `participant` whole).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub splits: Vec<Share>,
    /// Overlay credit that takes from nobody: shares in (0, 10], sorted by participant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlay: Vec<Share>,
    /// The id of a deal of an earlier period of the series whose credits this one reverses (a
    /// refund after that period closed; series.md, "Clawbacks"); its amount is negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverses: Option<String>,
    /// Unknown fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
}

/// A draw: an amount a participant is paid at least, kept (a guarantee) or recovered later from
/// what they earn over it (recoverable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Draw {
    /// `guarantee` or `recoverable`.
    pub kind: DrawKind,
    /// The amount, >= 0.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::exact::DecimalIn))]
    pub amount: Decimal,
}

/// Whether a draw is kept or recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DrawKind {
    /// Paid up to the amount, never recovered.
    Guarantee,
    /// Paid up to the amount, recovered from later earnings.
    Recoverable,
}

/// A participant's share of a deal's credit (`splits` and `overlay`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    /// Participant id.
    pub participant: String,
    /// The share, a decimal.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::exact::DecimalIn))]
    pub share: Decimal,
}
