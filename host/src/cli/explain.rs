//! `payplan explain`: one participant's statement, from an evaluation or a recorded run.

use crate::{Context, Outcome, out};
use payplan::eval::CompiledPlan;
use payplan::{audit, input, plan};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plan (TOML).
    #[arg(long, requires = "period", conflicts_with = "run")]
    plan: Option<PathBuf>,
    /// The period (JSON).
    #[arg(long, requires = "plan")]
    period: Option<PathBuf>,
    /// A recorded run instead.
    #[arg(long, required_unless_present = "plan")]
    run: Option<i64>,
    /// The participant's id.
    #[arg(long)]
    participant: String,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let pool = context.pool();
    let (input, rounding, result) = match (args.plan, args.period, args.run) {
        (Some(plan), Some(period), _) => {
            let (_, input) = pool.install(|| input::read_period(&period))?;
            let plan = plan::load(&plan)?;
            let rounding = plan.rounding;
            let (result, _) = crate::evaluate(&CompiledPlan::new(plan)?, input.clone(), context)?;
            (input, rounding, result)
        }
        (_, _, Some(seq)) => {
            let store = context.store()?;
            let run = audit::stored_run(store.as_ref(), seq)?;
            let r = &run.stored.record;
            let whose = format!("run {seq}");
            let plan = audit::stored_plan(store.as_ref(), &r.plan_file, &r.plan_blob, &r.scripts, &whose)?;
            (audit::stored_period(store.as_ref(), &run.stored)?, plan.rounding, run.result)
        }
        _ => anyhow::bail!("explain needs --plan and --period, or --run"),
    };
    let facts = payplan::facts::Facts::new(input, rounding, pool)?;
    out(&payplan::present::statement::statement(&facts, &result, &args.participant)?)
}
