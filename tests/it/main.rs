//! End-to-end and cross-checking tests of payplan, as one test binary.

// As the binary's: it counts what a script holds (its memory limit).
#[global_allocator]
static GLOBAL: payplan::allocator::Counting = payplan::allocator::Counting;

mod api;
mod built_plugins;
mod caps;
mod cli;
mod console;
mod crediting;
mod designer;
mod example;
mod hostile;

mod hostile_wasm;
mod plugins;
mod properties;
mod readme;
mod reference;
mod script_api;
mod series;
mod series_reference;
mod service_resilience;
mod store;
mod support;
