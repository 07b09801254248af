//! `payplan replay`: re-evaluate a run from the store alone; MATCH, or what differs (exit 1).

use crate::{Context, Outcome, out};
use payplan::audit::{self, Replay};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The run number.
    run: i64,
}

/// How many differing lines the report shows.
const SHOWN: usize = 20;

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let store = context.store()?;
    let replay = audit::replay(store.as_ref(), args.run, context.pool())?;
    if replay.matches() {
        return out(&format!("MATCH {}\n", replay.stored.result_hash));
    }
    out(&mismatch(&replay))?;
    Ok(Outcome::Failed)
}

fn mismatch(replay: &Replay) -> String {
    let mut text = format!("DIFFER stored {} replayed {}\n", replay.stored.result_hash, replay.replayed.result_hash);
    if replay.differences.is_empty() {
        text += "every amount and score agrees; explanations or totals differ\n";
        return text;
    }
    let mut rows = vec![["participant", "policy", "component", "stored", "replayed"].map(String::from)];
    let none = || "-".to_string();
    for d in replay.differences.iter().take(SHOWN) {
        let before = d.before.clone().unwrap_or_else(none);
        let after = d.after.clone().unwrap_or_else(none);
        rows.push([d.participant.clone(), d.policy.clone(), d.component.clone(), before, after]);
    }
    text += &payplan::present::table::columns(&rows);
    if replay.differences.len() > SHOWN {
        text += &format!("… and {} more\n", replay.differences.len() - SHOWN);
    }
    text
}
