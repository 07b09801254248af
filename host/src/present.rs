//! Presentation: results and statements as people read them (a table, CSV for payroll, one
//! participant's statement). The engine never uses it; the CLI and the service do.

pub mod credits;
pub mod csv;
pub mod standings;
pub mod statement;
pub mod table;
