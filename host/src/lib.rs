//! payplan: evaluates incentive and scoring policies against a period's sales data, exactly and
//! deterministically. See `README.md` beside this file for a map of the modules.

pub mod allocator;
pub mod api;
pub mod audit;
pub mod chunked;
pub mod design;
pub mod error;
pub mod eval;
pub mod facts;
pub mod halt;
pub mod hash;
pub mod input;
pub mod money;
pub mod plan;
pub mod present;
pub mod runtime;
pub mod series;
pub mod store;

pub use error::{Error, Result};
