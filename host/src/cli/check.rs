//! `payplan check`: load a plan and compile every policy, reporting every problem.

use crate::{Outcome, out};
use payplan::plan::Source;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plan (TOML).
    plan: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let report = payplan::design::check::check(&args.plan);
    if let (Some(plan), true) = (&report.plan, report.problems.is_empty()) {
        let plugins = plan.policies.iter().filter(|p| matches!(p.source, Source::Plugin { .. })).count();
        let scripts = plan.policies.len() - plugins;
        return out(&format!(
            "OK plan {} version {}: {} policies ({scripts} scripts, {plugins} plugins)\n",
            plan.id,
            plan.version,
            plan.policies.len(),
        ));
    }
    for problem in &report.problems {
        eprintln!("error: {problem}\n");
    }
    eprintln!("{} problem(s) in {}", report.problems.len(), args.plan.display());
    Ok(Outcome::Invalid)
}
