//! `payplan gate`: what a new plan would have paid on the closed periods of a series.

use crate::{Compared, Context, Outcome, out};
use payplan::design::gate;
use payplan::eval::CompiledPlan;
use payplan::present::{csv, table};
use rust_decimal::Decimal;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The new plan (TOML).
    #[arg(long)]
    plan: PathBuf,
    /// The series (needed when the store holds several).
    #[arg(long)]
    series: Option<String>,
    /// Compare only the last N closed periods (the earlier ones still make their history).
    #[arg(long)]
    last: Option<usize>,
    /// Exit 1 when the new plan costs more than this many percent over what was paid.
    #[arg(long, value_name = "PCT")]
    max_increase: Option<Decimal>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Compared::Table)]
    format: Compared,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let store = context.store()?;
    let new = CompiledPlan::new(payplan::plan::load(&args.plan)?)?;
    let gate = gate::gate(store.as_ref(), &new, args.series.as_deref(), args.last, context.pool())?;
    out(&match args.format {
        Compared::Json => serde_json::to_string_pretty(&gate)? + "\n",
        Compared::Table => table::gate(&gate),
        Compared::Csv => csv::gate(&gate),
    })?;
    match (args.max_increase, gate.increase_percent) {
        (Some(max), Some(increase)) if increase > max => {
            let _ = writeln!(
                std::io::stderr(),
                "the new plan costs {increase}% more than was paid, over the {max}% allowed"
            );
            Ok(Outcome::Failed)
        }
        _ => Ok(Outcome::Done),
    }
}
