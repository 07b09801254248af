//! `payplan import`: a period from the CSV files CRMs export — participants and deals (and
//! optionally teams), each with a header row — written as period JSON.
//!
//! Columns are the period format's field names (`id`, `participant`, `amount`, `closed_on`, …);
//! `metric:<name>` columns of participants become metrics, other columns attributes. A deal's
//! `splits` and `overlay` cells list `participant:share` pairs separated by spaces or semicolons
//! (`p002:0.6 p005:0.4`). An empty cell is an absent value. The period is validated as any other, and each problem is reported at its
//! file, row and column.

use crate::error::{Error, InputProblem, Result};
use crate::input::parse_period;
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};

/// The period's own fields, given on the command line.
pub struct Header {
    /// Period id.
    pub id: String,
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// One CSV file as read: its rows as JSON objects, and where each came from.
struct Sheet {
    file: PathBuf,
    columns: Vec<String>,
    /// The file's line number of each row (the header is line 1).
    lines: Vec<u64>,
    rows: Vec<Json>,
}

fn read(file: &Path, numeric: &[&str]) -> Result<Sheet> {
    let problem = |line: u64, message: String| Error::Input {
        file: file.into(),
        problems: vec![InputProblem { path: format!("row {line}"), position: None, message }],
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| Error::Io { path: file.into(), source: std::io::Error::other(e) })?;
    let columns: Vec<String> =
        reader.headers().map_err(|e| problem(1, e.to_string()))?.iter().map(str::to_owned).collect();
    let (mut lines, mut rows) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| problem(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let mut row = Map::new();
        let mut metrics = Map::new();
        for (column, cell) in columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            // Whole numbers stay numbers where the format wants one (prior_deals); the rest are
            // text, decimals included, so nothing passes through a float.
            let value = match cell.parse::<u64>() {
                Ok(n) if numeric.contains(&column.as_str()) => json!(n),
                _ if ["splits", "overlay"].contains(&column.as_str()) => shares(cell),
                _ => Json::String(cell.to_owned()),
            };
            match column.strip_prefix("metric:") {
                Some(name) => {
                    metrics.insert(name.to_owned(), value);
                }
                None => {
                    row.insert(column.clone(), value);
                }
            }
        }
        if !metrics.is_empty() {
            row.insert("metrics".into(), Json::Object(metrics));
        }
        lines.push(line);
        rows.push(Json::Object(row));
    }
    Ok(Sheet { file: file.into(), columns, lines, rows })
}

/// A `splits` or `overlay` cell, `p002:0.6 p005:0.4`, as the period's list of shares (a pair
/// without its share is kept without one, for validation to name).
fn shares(cell: &str) -> Json {
    let pairs = cell.split(|c: char| c.is_whitespace() || c == ';').filter(|p| !p.is_empty());
    Json::Array(
        pairs
            .map(|pair| match pair.split_once(':') {
                Some((who, share)) => json!({"participant": who, "share": share}),
                None => json!({ "participant": pair }),
            })
            .collect(),
    )
}

/// Reads the CSV files into period JSON (pretty, as written for `eval --period`), after
/// validating it; every problem names the CSV file, row and column.
pub fn period(header: &Header, participants: &Path, deals: &Path, teams: Option<&Path>) -> Result<String> {
    let sheets = [
        Some(("participants", read(participants, &["prior_deals"])?)),
        Some(("deals", read(deals, &[])?)),
        teams.map(|t| read(t, &[]).map(|s| ("teams", s))).transpose()?,
    ];
    let mut doc = json!({
        "period": { "id": header.id, "start": header.start, "end": header.end, "currency": header.currency },
    });
    for (list, sheet) in sheets.iter().flatten() {
        doc[*list] = Json::Array(sheet.rows.clone());
    }
    if doc.get("teams").is_none() {
        doc["teams"] = json!([]);
    }
    let text = serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n";
    if let Err(problems) = parse_period(text.as_bytes()) {
        let problems = problems.into_iter().map(|p| locate(&sheets, p)).collect();
        return Err(Error::Input { file: "CSV import".into(), problems });
    }
    Ok(text)
}

/// A problem at `deals[3].amount` as one at the deals file's row and column.
fn locate(sheets: &[Option<(&str, Sheet)>], problem: InputProblem) -> InputProblem {
    let path = problem.path.clone();
    for (list, sheet) in sheets.iter().flatten() {
        let Some(rest) = path.strip_prefix(&format!("{list}[")) else { continue };
        let Some((index, field)) = rest.split_once(']') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        let field = field.trim_start_matches('.');
        let column_name = match field.split_once('.') {
            Some(("metrics", metric)) => format!("metric:{metric}"),
            // `splits[1].share`: the cell of the whole list.
            _ => field.split(['.', '[']).next().unwrap_or(field).to_owned(),
        };
        let row = sheet.lines.get(index).copied().unwrap_or_default();
        let file = sheet.file.display();
        let place = match sheet.columns.iter().position(|c| *c == column_name) {
            Some(column) => format!("{file}: row {row}, column {} ({column_name})", column + 1),
            None if field.is_empty() => format!("{file}: row {row}"),
            None => format!("{file}: row {row}, no column {field:?}"),
        };
        return InputProblem { path: place, ..problem };
    }
    problem
}
