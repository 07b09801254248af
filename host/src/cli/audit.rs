//! `payplan audit verify`: every record, link and blob against its hash.

use crate::{Context, Outcome, out};

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Check every record, link and blob against its hash.
    Verify,
}

pub(crate) fn run(command: Command, context: &Context) -> anyhow::Result<Outcome> {
    let Command::Verify = command;
    let store = context.store()?;
    let v = payplan::audit::verify(store.as_ref())?;
    if v.problems.is_empty() {
        return out(&format!("OK {} runs, {} blobs\n", v.runs, v.blobs));
    }
    let mut text = format!("FAILED {} problem(s) in {} runs, {} blobs\n", v.problems.len(), v.runs, v.blobs);
    for p in &v.problems {
        text += &format!("  {p}\n");
    }
    out(&text)?;
    Ok(Outcome::Failed)
}
