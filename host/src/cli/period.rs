//! `payplan period close`: make a run its period's final one.

use crate::{Context, Outcome, out};

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Make a run the final one of its period; later changes must be adjustments.
    Close {
        /// The period id.
        period: String,
        /// The run that becomes final.
        #[arg(long)]
        run: i64,
        /// Who closes it.
        #[arg(long, env = "PAYPLAN_CALLER", default_value = "cli")]
        caller: String,
    },
}

pub(crate) fn run(command: Command, context: &Context) -> anyhow::Result<Outcome> {
    let Command::Close { period, run, caller } = command;
    let store = context.store()?;
    payplan::audit::close(store.as_ref(), &period, run, &caller)?;
    out(&format!("closed {period} with run {run}\n"))
}
