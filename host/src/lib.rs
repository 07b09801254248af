//! payplan: evaluates incentive and scoring policies against a period's sales data, exactly and
//! deterministically. See `README.md` beside this file for a map of the modules.

pub mod allocator;
pub mod api;
pub mod audit;
pub mod check;
pub mod chunked;
pub mod csv_out;
pub mod error;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod generate;
pub mod halt;
pub mod hash;
pub mod import;
pub mod input;
pub mod limits;
pub mod money;
pub mod params;
pub mod plan;
pub mod policy_test;
pub mod runtime;
pub mod store;
pub mod table;
pub mod whatif;

pub use error::{Error, Result};
