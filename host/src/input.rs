//! Reading a period: parse, validate everything, and put the lists in canonical order (the
//! canonical form's hash, [`input_hash`], is taken with the facts).
//!
//! A valid period is read in one pass ([`stream`]); only a period with problems is read again,
//! leniently, to report every problem with its path ([`raw`], then [`validate`]).

mod canonical;
pub mod generate;
pub mod import;
pub mod raw;
mod scan;
mod stream;
mod validate;

use crate::error::{Error, InputProblem, Position, Result};
use crate::money::Currency;
use payplan_sdk::period::Period;
use serde::Deserialize;
use std::path::Path;

pub use canonical::input_hash;

/// A validated period and its currency. Its hash ([`input_hash`]) is computed with the facts,
/// in parallel with them.
#[derive(Debug, Clone)]
pub struct Input {
    /// The period.
    pub period: Period,
    /// Its currency's money rules.
    pub currency: Currency,
}

/// Reads and validates a period file; returns its bytes as read too (what an audit record keeps).
pub fn read_period(path: &Path) -> Result<(Vec<u8>, Input)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    let input = parse_period(&bytes).map_err(|problems| Error::Input { file: path.into(), problems })?;
    Ok((bytes, input))
}

/// Parses and validates period JSON; on failure, every problem found.
pub fn parse_period(bytes: &[u8]) -> std::result::Result<Input, Vec<InputProblem>> {
    let (period, currency) = match stream::read(bytes) {
        Some(valid) => valid,
        None => validate::validate(parse_document(bytes)?)?,
    };
    Ok(Input { period, currency })
}

/// Reads period JSON by both paths: the fast one ([`stream`], `None` when it declines) and the
/// lenient one ([`raw`], then [`validate`]). They must give one verdict and one period (the
/// property tests hold them to it); [`parse_period`] takes the first that answers.
pub fn read_both(bytes: &[u8]) -> (Option<Period>, std::result::Result<Period, Vec<InputProblem>>) {
    let fast = stream::read(bytes).map(|(period, _)| period);
    let lenient = parse_document(bytes).and_then(validate::validate).map(|(period, _)| period);
    (fast, lenient)
}

/// Period JSON to the lenient document (only a wrong shape fails here). A document that fails is
/// parsed again to name the path.
fn parse_document(bytes: &[u8]) -> std::result::Result<raw::Document, Vec<InputProblem>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match raw::Document::deserialize(&mut de).and_then(|doc| de.end().map(|()| doc)) {
        Ok(doc) => Ok(doc),
        Err(_) => Err(vec![shape_problem(bytes)]),
    }
}

/// Where and why a document that does not parse fails.
fn shape_problem(bytes: &[u8]) -> InputProblem {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let e = match serde_path_to_error::deserialize::<_, raw::Document>(&mut de) {
        Ok(_) => match de.end() {
            Ok(()) => unreachable!("a document that failed to parse parses"),
            Err(e) => return InputProblem { path: String::new(), position: None, message: e.to_string() },
        },
        Err(e) => e,
    };
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() || path == "." {
        // Text that is not JSON, or not an object: where in the text, not where in the data.
        let text = inner.to_string();
        let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m).to_owned();
        let (line, column) = (inner.line(), inner.column());
        return InputProblem {
            path: format!("line {line}, column {column}"),
            position: Some(Position { line, column }),
            message,
        };
    }
    InputProblem { path, position: None, message: inner.to_string() }
}
