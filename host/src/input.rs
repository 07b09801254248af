//! Reading a period: parse leniently, validate everything, canonicalise and hash.

mod canonical;
pub mod raw;
mod validate;

use crate::error::{Error, Problem, Result};
use crate::money::Currency;
use payplan_sdk::period::Period;
use std::path::Path;

pub use canonical::input_hash;

/// A validated period with what the engine derives from it.
#[derive(Debug, Clone)]
pub struct Input {
    /// The period.
    pub period: Period,
    /// Its currency's money rules.
    pub currency: Currency,
    /// `sha256:<hex>` of the canonical period.
    pub hash: String,
}

/// Reads and validates a period file; returns its bytes as read too (what an audit record keeps).
pub fn read_period(path: &Path) -> Result<(Vec<u8>, Input)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    let input = parse_period(&bytes).map_err(|problems| Error::Input { file: path.into(), problems })?;
    Ok((bytes, input))
}

/// Parses and validates period JSON; on failure, every problem found.
pub fn parse_period(bytes: &[u8]) -> std::result::Result<Input, Vec<Problem>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: raw::Document = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            // Text that is not JSON, or not an object: where in the text, not where in the data.
            let text = inner.to_string();
            let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m).to_owned();
            return vec![Problem { path: format!("line {}, column {}", inner.line(), inner.column()), message }];
        }
        vec![Problem { path, message: inner.to_string() }]
    })?;
    de.end().map_err(|e| vec![Problem { path: String::new(), message: e.to_string() }])?;
    let (period, currency) = validate::validate(doc)?;
    let hash = input_hash(&period);
    Ok(Input { period, currency, hash })
}
