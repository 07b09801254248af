//! `payplan eval`: evaluate a plan against a period; print the result, record it, or record an
//! adjustment of a closed period and print what it changes.

use crate::{Context, Outcome, out};
use clap::ValueEnum;
use payplan::audit::{self, Delta};
use payplan::eval::{CompiledPlan, to_json};
use payplan::present::{csv, table};
use payplan::store::Kind;
use payplan::{input, plan};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plan (TOML).
    #[arg(long)]
    plan: PathBuf,
    /// The period (JSON).
    #[arg(long)]
    period: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Record the run in the audit store.
    #[arg(long)]
    record: bool,
    /// Record an adjustment of a closed period and print the changes against its final run.
    #[arg(long)]
    adjust: bool,
    /// Who asks (kept in the record).
    #[arg(long, env = "PAYPLAN_CALLER", default_value = "cli")]
    caller: String,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    /// JSON (formats.md).
    Json,
    /// A readable table.
    Table,
    /// CSV, one row per line, for payroll import.
    Csv,
    /// CSV, one row per participant: each policy's sum and the total.
    CsvSummary,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let pool = context.pool();
    let (bytes, input) = pool.install(|| input::read_period(&args.period))?;
    let compiled = CompiledPlan::new(plan::load(&args.plan)?)?;
    let names = input.period.participants.iter().map(|p| (p.id.clone(), p.name.clone().unwrap_or_default())).collect();
    let (result, basis) = crate::evaluate(&compiled, input, context)?;
    if args.adjust {
        let store = context.store()?;
        let stored = pool.install(|| {
            let how =
                audit::Recording { basis: basis.clone(), ..audit::Recording::new(&args.caller, Kind::Adjustment) };
            audit::record(store.as_ref(), &bytes, &compiled.plan, &result, how)
        })?;
        let final_run = stored.record.adjusts.expect("an adjustment names the run it adjusts");
        let before = audit::stored_run(store.as_ref(), final_run)?.result;
        eprintln!("recorded run {} (adjustment of run {final_run})", stored.record.seq);
        return out(&deltas(stored.record.seq, final_run, &audit::deltas(&before, &result), args.format));
    }
    if args.record {
        let store = context.store()?;
        let stored = pool.install(|| {
            let how = audit::Recording { basis, ..audit::Recording::new(&args.caller, Kind::Run) };
            audit::record(store.as_ref(), &bytes, &compiled.plan, &result, how)
        })?;
        eprintln!("recorded run {} ({})", stored.record.seq, stored.hash);
    }
    let policies = compiled.plan.line_policies(&result);
    out(&match args.format {
        Format::Json => pool.install(|| to_json(&result)),
        Format::Table => table::render(&result, &names),
        Format::Csv => csv::lines(&result, &names),
        Format::CsvSummary => csv::summary(&result, &names, &policies),
    })
}

/// What an adjustment changes, participant by participant.
fn deltas(run: i64, final_run: i64, deltas: &[Delta], format: Format) -> String {
    if format == Format::Json {
        let items: Vec<serde_json::Value> = deltas
            .iter()
            .map(|d| {
                serde_json::json!({"participant": d.participant, "final": d.before.to_string(),
                    "adjusted": d.after.to_string(), "delta": (d.after - d.before).to_string()})
            })
            .collect();
        let doc = serde_json::json!({"run": run, "adjusts": final_run, "deltas": items});
        return serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n";
    }
    let mut rows = vec![["participant", "final", "adjusted", "delta"].map(String::from)];
    for d in deltas {
        rows.push([d.participant.clone(), d.before.to_string(), d.after.to_string(), (d.after - d.before).to_string()]);
    }
    format!("run {run} adjusts run {final_run}\n{}", table::columns(&rows))
}
