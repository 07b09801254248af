//! The designer's tools: check a plan, run policy test files, compare two plans on a period, and
//! gate a new plan on the periods a series has paid.

pub mod check;
pub mod gate;
pub mod policy_test;
pub mod whatif;
