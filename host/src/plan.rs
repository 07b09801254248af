//! Loading a plan: the TOML, the policy files it names, and the plan's hash (formats.md, "Plan").
//!
//! Numbers in the TOML are read from their text, so `rate = 0.03` is exactly three hundredths.
//! Every problem names the plan file and the line and column.

pub mod limits;
pub mod params;
mod toml;

pub(crate) use toml::Reader;
pub use toml::line_column;

use crate::error::{Error, Located, Position, Result};
use crate::money::{Currency, Rounding};
use limits::Limits;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, Table, Value};

/// A loaded plan: its settings, its policies in order, and the bytes it was made of.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Plan id.
    pub id: String,
    /// The designer's version label.
    pub version: String,
    /// The currency the plan pays in; must be the period's.
    pub currency: Currency,
    /// How lines are rounded.
    pub rounding: Rounding,
    /// Limits for every policy of the plan.
    pub limits: Limits,
    /// Policies, in plan order.
    pub policies: Vec<PolicySpec>,
    /// `[caps] period`: the most a participant's plan-policy lines may total in a period
    /// (series.md, "Caps").
    pub period_cap: Option<Decimal>,
    /// `[caps] series`: the most a participant may be paid over the series to date.
    pub series_cap: Option<Decimal>,
    /// `[clawback] policies` (series.md, "Clawbacks"): the policies whose lines a reversal of a
    /// deal of a closed period claws back.
    pub clawback: Vec<String>,
    /// `[draws] recovery_rate` (series.md, "Draws"): the share of what a participant earns over
    /// their draw that recovers their balance; `Some` when the plan has `[draws]` (1 by default).
    pub recovery_rate: Option<Decimal>,
    /// `sha256:<hex>` over the plan text and every policy file's bytes.
    pub hash: String,
    /// The plan file.
    pub file: PathBuf,
    /// The plan's text, as read.
    pub text: String,
}

/// One `[[policy]]` entry.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    /// Unique within the plan; names the lines it emits.
    pub id: String,
    /// Where the policy's code is, and its bytes.
    pub source: Source,
    /// `[policy.params]`, numbers as exact decimals.
    pub params: Map<String, Json>,
    /// `cap`: the most any one of its lines pays (negative lines are not capped).
    pub cap: Option<Decimal>,
    /// `accumulate`: the window the policy is measured over and paid to date (series.md).
    pub accumulate: Option<Accumulate>,
    /// Where the entry and each param are in the plan's text (1-based line, column).
    pub at: Positions,
}

/// Where a policy entry and its params are written.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    /// The entry (its `id`).
    pub entry: Option<Position>,
    /// Each param's key.
    pub params: std::collections::BTreeMap<String, Position>,
}

/// The pseudo-policy of the lines the plan's own caps emit; they sort after the plan's policies.
pub const CAPS: &str = "caps";
/// The pseudo-policy of clawback lines (series.md, "Clawbacks"); they sort after the caps.
pub const CLAWBACK: &str = "clawback";
/// The pseudo-policy of draw lines (series.md, "Draws"); they sort after the clawbacks.
pub const DRAWS: &str = "draws";

impl Plan {
    /// The policies of `result`'s lines, in payout order: the plan's, then the plan's own
    /// ([`CAPS`], [`CLAWBACK`], [`DRAWS`]) that paid a line.
    pub fn line_policies(&self, result: &payplan_sdk::result::EvalResult) -> Vec<String> {
        let own = [CAPS, CLAWBACK, DRAWS].into_iter().filter(|own| result.payouts.iter().any(|l| l.policy == *own));
        self.policies.iter().map(|p| p.id.clone()).chain(own.map(str::to_owned)).collect()
    }
}

impl PolicySpec {
    /// A params error of this policy as a plan error, at the param it is about (or the entry).
    pub fn params_error(&self, plan_file: &Path, problems: &[crate::plan::params::Mismatch]) -> Error {
        let problems = problems
            .iter()
            .map(|(key, message)| Located {
                position: key.as_ref().and_then(|k| self.at.params.get(k)).or(self.at.entry.as_ref()).copied(),
                message: format!("policy `{}`: {message}", self.id),
            })
            .collect();
        Error::Plan { file: plan_file.into(), problems }
    }
}

/// The window an accumulating policy runs over: its cumulative view, paid to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accumulate {
    /// Every period of the series so far.
    Series,
    /// The periods of the series that start in the same calendar quarter as this one.
    Quarter,
}

impl Accumulate {
    /// Every window, as plans name it.
    const ALL: [Self; 2] = [Self::Series, Self::Quarter];

    /// The window's name in a plan (`accumulate = "…"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Series => "series",
            Self::Quarter => "quarter",
        }
    }
}

/// A policy's code.
#[derive(Debug, Clone)]
pub enum Source {
    /// A Rhai script.
    Script {
        /// The file (resolved against the plan's folder).
        file: PathBuf,
        /// Its text.
        text: String,
    },
    /// A WASM plugin.
    Plugin {
        /// The file (resolved against the plan's folder).
        file: PathBuf,
        /// The module's bytes.
        bytes: Vec<u8>,
    },
}

impl Source {
    /// The file the code came from.
    pub fn file(&self) -> &Path {
        match self {
            Self::Script { file, .. } | Self::Plugin { file, .. } => file,
        }
    }

    /// The code's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Script { text, .. } => text.as_bytes(),
            Self::Plugin { bytes, .. } => bytes,
        }
    }
}

/// Reads a plan file and every policy file it names.
pub fn load(file: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.into(), source })?;
    parse(file, &text, |path| std::fs::read(path).map_err(|e| e.to_string()))
}

/// Parses plan text; `read` fetches a policy file's bytes (relative paths are resolved against
/// the plan's folder first).
pub fn parse(file: &Path, text: &str, read: impl Fn(&Path) -> Result<Vec<u8>, String>) -> Result<Plan> {
    let reader = Reader { file, text };
    let doc = Document::parse(text).map_err(|e| reader.error(e.span(), e.message().trim_end()))?;
    let top = doc.as_table();
    let keys = ["id", "version", "currency", "rounding", "limits", "caps", "clawback", "draws", "policy"];
    reader.known_keys(top, &keys)?;
    let id = reader.string(top, "id", None)?;
    let version = match top.get("version") {
        Some(Item::Value(Value::Integer(n))) => n.value().to_string(),
        _ => reader.string(top, "version", None)?,
    };
    let code = reader.string(top, "currency", None)?;
    let currency = Currency::from_code(&code).ok_or_else(|| {
        reader.error(top.get("currency").and_then(Item::span), format!("{code:?} is not an ISO 4217 currency code"))
    })?;
    let rounding = reader.string(top, "rounding", Some("half_up"))?;
    let rounding = Rounding::parse(&rounding).ok_or_else(|| {
        reader.error(
            top.get("rounding").and_then(Item::span),
            format!("rounding {rounding:?} is not one of half_up, half_even"),
        )
    })?;
    let limits = match top.get("limits") {
        None => Limits::default(),
        Some(item) => {
            let json = reader.json(item)?;
            serde_json::from_value(json).map_err(|e| reader.error(item.span(), format!("limits: {e}")))?
        }
    };
    let (period_cap, series_cap) = caps(&reader, top)?;
    let recovery_rate = draws(&reader, top)?;
    let entries = match top.get("policy") {
        Some(Item::ArrayOfTables(list)) => list.iter().collect::<Vec<_>>(),
        Some(other) => {
            return Err(reader.error(other.span(), "`policy` must be an array of tables ([[policy]])"));
        }
        None => return Err(reader.error(None, "the plan has no [[policy]]")),
    };
    let mut hasher = Sha256::new();
    hash_part(&mut hasher, text.as_bytes());
    let mut policies: Vec<PolicySpec> = Vec::new();
    for entry in entries {
        let policy = reader.policy(entry, &policies, &read)?;
        hash_part(&mut hasher, policy.source.bytes());
        policies.push(policy);
    }
    let clawback = clawback(&reader, top, &policies)?;
    Ok(Plan {
        id,
        version,
        currency,
        rounding,
        limits,
        policies,
        clawback,
        period_cap,
        series_cap,
        recovery_rate,
        hash: crate::hash::hex_digest(hasher),
        file: file.into(),
        text: text.into(),
    })
}

impl Reader<'_> {
    /// One `[[policy]]` entry (after the `earlier` ones): its id, its file read, its params and
    /// where each of them is.
    fn policy(
        &self,
        entry: &Table,
        earlier: &[PolicySpec],
        read: impl Fn(&Path) -> Result<Vec<u8>, String>,
    ) -> Result<PolicySpec> {
        self.known_keys(entry, &["id", "script", "plugin", "params", "cap", "accumulate"])?;
        let id = self.string(entry, "id", None)?;
        let reserved = [CAPS, CLAWBACK, DRAWS].contains(&id.as_str());
        if id.is_empty() || reserved || earlier.iter().any(|p| p.id == id) {
            let why = if id.is_empty() {
                "a policy id must not be empty".into()
            } else if reserved {
                format!("policy id {id:?} is reserved for the lines the plan itself emits (caps, clawback, draws)")
            } else {
                format!("duplicate policy id {id:?}")
            };
            return Err(self.error(entry.get("id").and_then(Item::span), why));
        }
        let (key, plugin) = match (entry.contains_key("script"), entry.contains_key("plugin")) {
            (true, false) => ("script", false),
            (false, true) => ("plugin", true),
            _ => {
                return Err(
                    self.error(entry.span(), format!("policy {id:?} needs exactly one of `script` or `plugin`"))
                );
            }
        };
        let name = self.string(entry, key, None)?;
        let path = lexical(&self.file.parent().unwrap_or(Path::new(".")).join(&name));
        let span = entry.get(key).and_then(Item::span);
        let bytes =
            read(&path).map_err(|why| self.error(span.clone(), format!("cannot read {}: {why}", path.display())))?;
        let source = if plugin {
            Source::Plugin { file: path, bytes }
        } else {
            let text = String::from_utf8(bytes)
                .map_err(|_| self.error(span, format!("{} is not UTF-8 text", path.display())))?;
            Source::Script { file: path, text }
        };
        let params = match entry.get("params") {
            None => Map::new(),
            Some(item) => match self.json(item)? {
                Json::Object(map) => map,
                _ => return Err(self.error(item.span(), "`params` must be a table")),
            },
        };
        let cap = self.amount(entry, "cap")?;
        let accumulate = match entry.get("accumulate") {
            None => None,
            Some(item) => {
                let name = self.string(entry, "accumulate", None)?;
                match Accumulate::ALL.into_iter().find(|a| a.name() == name) {
                    Some(window) => Some(window),
                    None => {
                        let why = format!("accumulate {name:?} is not one of series, quarter");
                        return Err(self.error(item.span(), why));
                    }
                }
            }
        };
        Ok(PolicySpec { id, source, params, cap, accumulate, at: self.positions(entry) })
    }

    /// Where a policy entry's id and each of its params are.
    fn positions(&self, entry: &Table) -> Positions {
        let position = |span: Option<Range<usize>>| span.map(|s| line_column(self.text, s.start));
        let keys: Vec<(String, Option<Range<usize>>)> = match entry.get("params") {
            Some(Item::Table(t)) => t.iter().map(|(k, _)| (k.to_owned(), t.key(k).and_then(|k| k.span()))).collect(),
            Some(Item::Value(Value::InlineTable(t))) => {
                t.iter().map(|(k, _)| (k.to_owned(), t.key(k).and_then(|k| k.span()))).collect()
            }
            _ => Vec::new(),
        };
        Positions {
            entry: position(entry.get("id").and_then(Item::span)),
            params: keys.into_iter().filter_map(|(key, span)| Some((key, position(span)?))).collect(),
        }
    }
}

/// `[caps]`: `period` and `series`, each an amount.
fn caps(reader: &Reader, top: &Table) -> Result<(Option<Decimal>, Option<Decimal>)> {
    let Some(item) = top.get("caps") else { return Ok((None, None)) };
    let Some(caps) = item.as_table() else { return Err(reader.error(item.span(), "`caps` must be a table ([caps])")) };
    reader.known_keys(caps, &["period", "series"])?;
    Ok((reader.amount(caps, "period")?, reader.amount(caps, "series")?))
}

/// `[clawback]`: `policies`, ids of the plan's policies that do not accumulate (an accumulating
/// policy's true-up already accounts for a refund).
fn clawback(reader: &Reader, top: &Table, policies: &[PolicySpec]) -> Result<Vec<String>> {
    let Some(item) = top.get("clawback") else { return Ok(Vec::new()) };
    let Some(table) = item.as_table() else {
        return Err(reader.error(item.span(), "`clawback` must be a table ([clawback])"));
    };
    reader.known_keys(table, &["policies"])?;
    let item = table.get("policies").ok_or_else(|| reader.error(table.span(), "`policies` is required"))?;
    let ids = match reader.json(item)? {
        Json::Array(ids) => ids,
        _ => return Err(reader.error(item.span(), "`policies` must be a list of policy ids")),
    };
    ids.into_iter()
        .map(|id| {
            let id = id.as_str().unwrap_or_default().to_owned();
            match policies.iter().find(|p| p.id == id) {
                None => {
                    Err(reader.error(item.span(), format!("clawback names {id:?}, which is not a policy of the plan")))
                }
                Some(p) if p.accumulate.is_some() => Err(reader.error(
                    item.span(),
                    format!("clawback names {id:?}, which accumulates: its true-up already accounts for a refund"),
                )),
                Some(_) => Ok(id),
            }
        })
        .collect()
}

/// `[draws]`: `recovery_rate` in (0, 1], 1 when not given.
fn draws(reader: &Reader, top: &Table) -> Result<Option<Decimal>> {
    let Some(item) = top.get("draws") else { return Ok(None) };
    let Some(draws) = item.as_table() else {
        return Err(reader.error(item.span(), "`draws` must be a table ([draws])"));
    };
    reader.known_keys(draws, &["recovery_rate"])?;
    match reader.amount(draws, "recovery_rate")? {
        None => Ok(Some(Decimal::ONE)),
        Some(rate) if !rate.is_zero() && rate <= Decimal::ONE => Ok(Some(rate)),
        Some(rate) => Err(reader
            .error(draws.get("recovery_rate").and_then(Item::span), format!("recovery_rate {rate} is not in (0, 1]"))),
    }
}

/// Each part of the plan's identity, length-prefixed so that no two different plans hash alike.
fn hash_part(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// `a/b/../c` as `a/c`, without asking the file system (messages stay short and stable).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan> {
        parse(Path::new("plan.toml"), text, |_| Ok(b"fn evaluate(ctx) {}".to_vec()))
    }

    const GOOD: &str = r#"
id = "east"
version = "3"
currency = "CNY"
[[policy]]
id = "commission"
script = "c.rhai"
[policy.params]
tiers = [ { at = 0.80, rate = 0.03 }, { at = 1.00, rate = 0.05 } ]
pool = 1_000
big = 12345678901234567890.123456789
"#;

    #[test]
    fn numbers_are_exact_decimals() {
        let p = plan(GOOD).unwrap();
        let params = Json::Object(p.policies[0].params.clone());
        assert_eq!(params["tiers"][0]["at"].to_string(), "0.80");
        assert_eq!(params["tiers"][1]["rate"].to_string(), "0.05");
        assert_eq!(params["pool"].to_string(), "1000");
        assert_eq!(params["big"].to_string(), "12345678901234567890.123456789");
        assert_eq!(p.rounding, Rounding::HalfUp);
    }

    #[test]
    fn hash_covers_plan_and_script_bytes() {
        let a = plan(GOOD).unwrap().hash;
        let b = plan(&GOOD.replace("0.03", "0.04")).unwrap().hash;
        let c = parse(Path::new("plan.toml"), GOOD, |_| Ok(b"fn evaluate(ctx) { }".to_vec())).unwrap().hash;
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, plan(GOOD).unwrap().hash);
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = plan(&GOOD.replace("currency = \"CNY\"", "currency = \"CNY\"\ncolour = 1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "plan.toml: 5:1: unknown key `colour` (expected one of id, version, currency, rounding, limits, caps, clawback, draws, policy)"
        );
        let err = plan(&GOOD.replace("version = \"3\"", "version = \"3\"\nrounding = \"down\"")).unwrap_err();
        assert!(err.to_string().starts_with("plan.toml: 4:12: rounding \"down\""), "{err}");
        let err = plan("id = \n").unwrap_err();
        assert!(err.to_string().starts_with("plan.toml: 1:6: "), "{err}");
        let err = plan(&GOOD.replace("[[policy]]", "[limits]\ngas = 3\n[[policy]]")).unwrap_err();
        assert!(err.to_string().contains("unknown field `gas`"), "{err}");
    }

    #[test]
    fn caps_are_amounts() {
        let p = plan(&GOOD.replace("script = \"c.rhai\"", "script = \"c.rhai\"\ncap = \"100.50\"")).unwrap();
        assert_eq!(p.policies[0].cap, Some("100.5".parse().unwrap()));
        assert_eq!(p.period_cap, None);
        let p = plan(&GOOD.replace("[[policy]]", "[caps]\nperiod = 0\n[[policy]]")).unwrap();
        assert_eq!(p.period_cap, Some(Decimal::ZERO));
        let err = plan(&GOOD.replace("script = \"c.rhai\"", "script = \"c.rhai\"\ncap = -1")).unwrap_err();
        assert_eq!(err.to_string(), "plan.toml: 8:7: `cap` must be an amount >= 0");
        let p = plan(&GOOD.replace("[[policy]]", "[caps]\nseries = 400000\n[[policy]]")).unwrap();
        assert_eq!(p.series_cap, Some(Decimal::from(400000)));
        let err = plan(&GOOD.replace("[[policy]]", "[caps]\nyear = 1\n[[policy]]")).unwrap_err();
        assert!(err.to_string().contains("unknown key `year` (expected one of period, series)"), "{err}");
        let err = plan(&GOOD.replace("id = \"commission\"", "id = \"caps\"")).unwrap_err();
        assert!(err.to_string().contains("policy id \"caps\" is reserved"), "{err}");
    }
}
