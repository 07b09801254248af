//! `payplan runs`: the recorded runs, as a table.

use crate::{Context, Outcome, out};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Only this period's runs.
    #[arg(long)]
    period: Option<String>,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let store = context.store()?;
    let mut rows = vec![["run", "period", "kind", "plan", "result", "caller", "recorded", "stale"].map(String::from)];
    // A period of its history adjusted since: the run no longer follows from it.
    let stale = payplan::audit::stale(&store.runs(None)?);
    for s in store.runs(args.period.as_deref())? {
        let stale = if stale.contains(&s.record.seq) { "stale" } else { "" };
        let r = s.record;
        let kind = match r.adjusts {
            Some(of) => format!("adjusts {of}"),
            None if store.closed(&r.period)? == Some(r.seq) => "final".into(),
            None => "run".into(),
        };
        let plan = format!("{} v{}", r.plan.id, r.plan.version);
        rows.push([r.seq.to_string(), r.period, kind, plan, r.result_hash, r.caller, r.recorded_at, stale.into()]);
    }
    out(&payplan::present::table::columns(&rows))
}
