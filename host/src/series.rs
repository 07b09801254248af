//! Periods in a series (series.md): the history a period is evaluated against, read from the
//! store, and the cumulative view an accumulating policy runs on.

mod history;
mod view;

pub use history::{History, Past, effective, read, recorded};
pub use view::window_view;
