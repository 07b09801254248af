//! End-to-end and cross-checking tests of payplan, as one test binary.

mod api;
mod cli;
mod designer;
mod example;
mod plugins;
mod properties;
mod readme;
mod reference;
mod script_api;
mod store;
mod support;
