//! `payplan test`: policy test files (`*.test.toml`, beside the policy they test), each case a
//! small period, params and the exact lines (and scores) the policy must emit.
//!
//! ```toml
//! script = "tiered_commission.rhai"   # default: this file's name, .test.toml → .rhai
//! [period]                             # defaults for every case (these are the defaults)
//! id = "2026-03"
//! start = "2026-03-01"
//! end = "2026-03-31"
//! currency = "CNY"
//!
//! [[test]]
//! name = "exactly at 80% pays the first tier"
//! rounding = "half_up"                 # or half_even; default half_up
//! params = { tiers = [ { at = 0.80, rate = 0.03 } ] }
//! teams = [ { id = "t1", target = 1000 } ]
//! participants = [ { id = "a", team = "t1", target = 1000 } ]
//! deals = [ { participant = "a", amount = 800 } ]   # id d001…, closed_on the period's start
//! before = [ { id = "kpi", script = "scorecard.rhai", params = { } } ]   # policies run first
//! expect = ["a commission 24.00"]      # participant component amount: every line, in order
//! scores = ["a 101.33 A"]              # participant score grade: every score (when given)
//! # or, instead of `expect`: fails = "part of the error message"
//! ```

use crate::error::{Error, Result};
use crate::eval::CompiledPlan;
use crate::input::parse_period;
use crate::money::{Currency, Rounding};
use crate::plan::limits::Limits;
use crate::plan::{Plan, PolicySpec, Reader, Source};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, Table};

/// One test case, ready to run.
pub struct Case {
    /// The test file.
    pub file: PathBuf,
    /// The case's name.
    pub name: String,
    plan: Plan,
    period: Vec<u8>,
    policy: String,
    expect: Vec<String>,
    scores: Option<Vec<String>>,
    fails: Option<String>,
}

/// The test files in `path`: the file itself, or every `*.test.toml` under the folder, sorted.
pub fn files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let entries = std::fs::read_dir(path).map_err(|source| Error::Io { path: path.into(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io { path: path.into(), source })?.path();
        if entry.is_dir() {
            found.extend(files(&entry)?);
        } else if entry.to_string_lossy().ends_with(".test.toml") {
            found.push(entry);
        }
    }
    found.sort();
    Ok(found)
}

/// Reads a test file: every case, or the first problem with its line and column.
pub fn load(file: &Path) -> Result<Vec<Case>> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.into(), source })?;
    let r = Reader { file, text: &text };
    let doc = Document::parse(text.as_str()).map_err(|e| r.error(e.span(), e.message().trim_end()))?;
    let top = doc.as_table();
    r.known_keys(top, &["script", "period", "test"])?;
    let stem = file.file_name().unwrap_or_default().to_string_lossy().trim_end_matches(".test.toml").to_owned();
    let script = r.string(top, "script", Some(&format!("{stem}.rhai")))?;
    let folder = file.parent().unwrap_or(Path::new("."));
    let mut period = Map::new();
    for (key, default) in [("id", "2026-03"), ("start", "2026-03-01"), ("end", "2026-03-31"), ("currency", "CNY")] {
        period.insert(key.into(), Json::String(default.into()));
    }
    match top.get("period") {
        Some(Item::Table(t)) => {
            r.known_keys(t, &["id", "start", "end", "currency"])?;
            if let Json::Object(given) = r.json(&Item::Table(t.clone()))? {
                period.extend(given);
            }
        }
        Some(other) => return Err(r.error(other.span(), "`period` must be a table")),
        None => {}
    }
    let Some(Item::ArrayOfTables(tests)) = top.get("test") else {
        return Err(r.error(None, "no [[test]] in the file"));
    };
    tests.iter().map(|t| case(&r, folder, &script, &stem, &period, t)).collect()
}

fn case(r: &Reader, folder: &Path, script: &str, id: &str, period: &Map<String, Json>, t: &Table) -> Result<Case> {
    let keys = ["name", "rounding", "params", "teams", "participants", "deals", "before", "expect", "scores", "fails"];
    r.known_keys(t, &keys)?;
    let name = r.string(t, "name", None)?;
    let at = |key: &str| t.get(key).and_then(Item::span).or_else(|| t.span());
    let rounding = r.string(t, "rounding", Some("half_up"))?;
    let rounding = Rounding::parse(&rounding)
        .ok_or_else(|| r.error(at("rounding"), format!("rounding {rounding:?} is not one of half_up, half_even")))?;
    let list = |key: &str| -> Result<Vec<Json>> {
        match t.get(key).map(|item| r.json(item)).transpose()? {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => Ok(items),
            Some(_) => Err(r.error(at(key), format!("`{key}` must be a list"))),
        }
    };
    let strings = |key: &str| -> Result<Vec<String>> {
        list(key)?
            .into_iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| r.error(at(key), format!("`{key}` lists strings"))))
            .collect()
    };
    let mut deals = list("deals")?;
    for (i, deal) in deals.iter_mut().enumerate() {
        let Json::Object(deal) = deal else { return Err(r.error(at("deals"), "each deal is a table")) };
        deal.entry("id").or_insert_with(|| Json::String(format!("d{:03}", i + 1)));
        deal.entry("closed_on").or_insert_with(|| period["start"].clone());
    }
    let period_json = serde_json::json!({
        "period": period, "teams": list("teams")?, "participants": list("participants")?, "deals": deals,
    });
    let code = period["currency"].as_str().unwrap_or_default();
    let currency = Currency::from_code(code).ok_or_else(|| r.error(None, format!("{code:?} is not a currency")))?;

    let mut policies = Vec::new();
    for before in list("before")? {
        let field = |key: &str| before.get(key).and_then(Json::as_str).map(str::to_owned);
        let (Some(id), Some(file)) = (field("id"), field("script")) else {
            return Err(r.error(at("before"), "each `before` policy needs an `id` and a `script`"));
        };
        let params = before.get("params").and_then(Json::as_object).cloned().unwrap_or_default();
        policies.push(spec(r, at("before"), id, folder.join(file), params)?);
    }
    let params = match t.get("params").map(|item| r.json(item)).transpose()? {
        None => Map::new(),
        Some(Json::Object(map)) => map,
        Some(_) => return Err(r.error(at("params"), "`params` must be a table")),
    };
    policies.push(spec(r, at("name"), id.to_owned(), folder.join(script), params)?);
    let plan = Plan {
        id: "test".into(),
        version: name.clone(),
        currency,
        rounding,
        limits: Limits::default(),
        policies,
        clawback: Vec::new(),
        period_cap: None,
        series_cap: None,
        recovery_rate: None,
        hash: crate::hash::sha256(r.text.as_bytes()),
        file: r.file.into(),
        text: r.text.into(),
    };
    let scores = if t.contains_key("scores") { Some(strings("scores")?) } else { None };
    let fails = if t.contains_key("fails") { Some(r.string(t, "fails", None)?) } else { None };
    if fails.is_none() && !t.contains_key("expect") {
        return Err(r.error(t.span(), format!("test {name:?} needs `expect` (the lines) or `fails` (an error)")));
    }
    Ok(Case {
        file: r.file.into(),
        name,
        plan,
        period: period_json.to_string().into_bytes(),
        policy: id.to_owned(),
        expect: strings("expect")?,
        scores,
        fails,
    })
}

fn spec(
    r: &Reader,
    at: Option<std::ops::Range<usize>>,
    id: String,
    file: PathBuf,
    params: Map<String, Json>,
) -> Result<PolicySpec> {
    let text =
        std::fs::read_to_string(&file).map_err(|e| r.error(at, format!("cannot read {}: {e}", file.display())))?;
    Ok(PolicySpec {
        id,
        source: Source::Script { file, text },
        params,
        cap: None,
        accumulate: None,
        at: Default::default(),
    })
}

impl Case {
    /// Runs the case: `None` when it passes, else what differs (or the error).
    pub fn run(&self, pool: &rayon::ThreadPool) -> Option<String> {
        let evaluated = parse_period(&self.period)
            .map_err(|problems| Error::Input { file: format!("test {:?}", self.name).into(), problems })
            .and_then(|input| CompiledPlan::new(self.plan.clone())?.evaluate(input, pool));
        let result = match (evaluated, &self.fails) {
            (Ok(result), None) => result,
            (Err(e), None) => return Some(format!("  error: {e}\n")),
            (Err(e), Some(expected)) if e.to_string().contains(expected.as_str()) => return None,
            (Err(e), Some(expected)) => return Some(format!("  expected an error with {expected:?}, got: {e}\n")),
            (Ok(_), Some(expected)) => return Some(format!("  expected an error with {expected:?}; it succeeded\n")),
        };
        let mine = |policy: &String| *policy == self.policy;
        let lines: Vec<String> = result
            .payouts
            .iter()
            .filter(|l| mine(&l.policy))
            .map(|l| format!("{} {} {}", l.participant, l.component, l.amount))
            .collect();
        let mut report = diff("lines", &self.expect, &lines);
        if let Some(expected) = &self.scores {
            let scores: Vec<String> = result
                .scores
                .iter()
                .filter(|s| mine(&s.policy))
                .map(|s| format!("{} {} {}", s.participant, s.score, s.grade))
                .collect();
            report += &diff("scores", expected, &scores);
        }
        (!report.is_empty()).then_some(report)
    }
}

/// A readable diff of two lists (expected `-`, got `+`), empty when they are equal.
fn diff(what: &str, expected: &[String], got: &[String]) -> String {
    if expected == got {
        return String::new();
    }
    let mut out = format!("  {what}: - expected, + got\n");
    let (expected, got): (Vec<&str>, Vec<&str>) =
        (expected.iter().map(String::as_str).collect(), got.iter().map(String::as_str).collect());
    for change in similar::TextDiff::from_slices(&expected, &got).iter_all_changes() {
        let mark = match change.tag() {
            similar::ChangeTag::Equal => ' ',
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
        };
        out += &format!("    {mark} {}\n", change.value());
    }
    out
}
