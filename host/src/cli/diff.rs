//! `payplan diff`: a what-if of one period under two plans.

use crate::{Compared, Context, Outcome, out};
use payplan::design::whatif;
use payplan::eval::CompiledPlan;
use payplan::present::{csv, table};
use payplan::{input, plan};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Plan A, then plan B (`--plan A.toml --plan B.toml`).
    #[arg(long, num_args = 1, required = true)]
    plan: Vec<PathBuf>,
    /// The period (JSON).
    #[arg(long)]
    period: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Compared::Table)]
    format: Compared,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let [a, b] = &args.plan[..] else { anyhow::bail!("diff takes exactly two plans: --plan A.toml --plan B.toml") };
    let pool = context.pool();
    let (_, input) = pool.install(|| input::read_period(&args.period))?;
    let evaluate = |file: &PathBuf| -> anyhow::Result<_> {
        Ok(CompiledPlan::new(plan::load(file)?)?.evaluate(input.clone(), pool)?)
    };
    let comparison = whatif::compare(&evaluate(a)?, &evaluate(b)?);
    out(&match args.format {
        Compared::Json => serde_json::to_string_pretty(&comparison)? + "\n",
        Compared::Table => table::comparison(&comparison),
        Compared::Csv => csv::comparison(&comparison),
    })
}
