//! The payplan data contract, shared by the host and by policy plugins.
//!
//! - [`period`]: what happened in a period (teams, participants, deals), already validated.
//! - [`result`]: what an evaluation owes and why (payouts, scores, totals, hashes).
//! - [`allocate`] and [`rounding`]: the one exact implementation of the money helpers, used by
//!   the host and by plugins alike.
//! - [`view`]: a policy written once against the facts, run natively or as a plugin.
//! - [`abi`]: the WASM plugin contract (exports, memory ownership, encoding, errors, version),
//!   and [`export_policy!`] to write a plugin without `unsafe`.
//! - [`exact`]: serde helpers that carry decimals exactly: written as strings, read from a
//!   string or a JSON number without a trip through `f64`.
#![warn(missing_docs)]

pub mod abi;
pub mod allocate;
pub mod exact;
#[doc(hidden)]
pub mod guest;
pub mod period;
pub mod result;
pub mod rounding;
pub mod view;

pub use rust_decimal::Decimal;
