//! `payplan show`: a recorded run's result, byte for byte as stored.

use crate::{Context, Outcome};
use anyhow::Context as _;
use std::io::Write;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run number.
    run: i64,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let store = context.store()?;
    let bytes = payplan::audit::stored_run(store.as_ref(), args.run)?.bytes;
    std::io::stdout().lock().write_all(&bytes).context("writing the output")?;
    Ok(Outcome::Done)
}
