//! The designer's tools: check a plan, run policy test files, compare two plans on a period.

pub mod check;
pub mod policy_test;
pub mod whatif;
