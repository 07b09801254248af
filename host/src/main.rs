//! The `payplan` command line.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use payplan::audit::{self, Delta};
use payplan::eval::{CompiledPlan, thread_pool, to_json};
use payplan::store::{self, Store};
use payplan::{Error, input, plan, table};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// payplan: incentive and scoring policies, evaluated exactly and deterministically.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The audit store: a SQLite file, or postgres://… for a shared PostgreSQL store.
    #[arg(long, global = true, env = "PAYPLAN_STORE", default_value = "payplan.db")]
    store: String,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a plan against a period and print the result.
    Eval {
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
    },
    /// List recorded runs.
    Runs {
        /// Only this period's runs.
        #[arg(long)]
        period: Option<String>,
    },
    /// Print a recorded run's result, byte for byte as stored.
    Show {
        /// The run number.
        run: i64,
    },
    /// Re-evaluate a run from the store alone and compare it with what was stored.
    Replay {
        /// The run number.
        run: i64,
    },
    /// Write a generated period (deterministic for a seed) as JSON, for benchmarks and trials.
    Gen {
        /// Participants.
        #[arg(long)]
        participants: u64,
        /// Deals per participant, on average.
        #[arg(long, default_value_t = 20)]
        deals_per: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Audit the store.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage periods.
    Period {
        #[command(subcommand)]
        command: PeriodCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every record, link and blob against its hash.
    Verify,
}

#[derive(Subcommand)]
enum PeriodCommand {
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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    /// JSON (formats.md).
    Json,
    /// A readable table.
    Table,
}

/// What a command decided besides its output: success, or a finding that exits 1.
enum Outcome {
    Done,
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            let status = match err.downcast_ref::<Error>() {
                Some(e) if e.is_input() => 2,
                _ => 1,
            };
            eprintln!("error: {err:#}");
            ExitCode::from(status)
        }
    }
}

fn out(text: &str) -> anyhow::Result<()> {
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing the output")
}

fn open(location: &str) -> anyhow::Result<Box<dyn Store>> {
    Ok(store::open(location)?)
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let pool = thread_pool(cli.threads);
    match cli.command {
        Command::Eval { plan, period, format, record, adjust, caller } => {
            let (bytes, input) = input::read_period(&period)?;
            let plan = plan::load(&plan)?;
            let compiled = CompiledPlan::new(plan)?;
            let names =
                input.period.participants.iter().map(|p| (p.id.clone(), p.name.clone().unwrap_or_default())).collect();
            let result = compiled.evaluate(input, &pool)?;
            if adjust {
                let store = open(&cli.store)?;
                let Some(final_run) = store.closed(&result.period)? else {
                    anyhow::bail!("period {} is not closed: record an ordinary run (--record)", result.period);
                };
                let stored = audit::record(store.as_ref(), &bytes, &compiled.plan, &result, &caller, Some(final_run))?;
                let (_, before) = audit::stored_result(store.as_ref(), final_run)?;
                eprintln!("recorded run {} (adjustment of run {final_run})", stored.record.seq);
                out(&render_deltas(stored.record.seq, final_run, &audit::deltas(&before, &result), format))?;
                return Ok(Outcome::Done);
            }
            if record {
                let store = open(&cli.store)?;
                let stored = audit::record(store.as_ref(), &bytes, &compiled.plan, &result, &caller, None)?;
                eprintln!("recorded run {} ({})", stored.record.seq, stored.hash);
            }
            out(&match format {
                Format::Json => to_json(&result),
                Format::Table => table::render(&result, &names),
            })?;
        }
        Command::Gen { participants, deals_per, seed } => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            payplan::generate::write_period(&mut stdout, payplan::generate::Shape { participants, deals_per, seed })?;
            stdout.flush()?;
        }
        Command::Runs { period } => {
            let store = open(&cli.store)?;
            let mut rows = vec![["run", "period", "kind", "plan", "result", "caller", "recorded"].map(String::from)];
            for s in store.runs(period.as_deref())? {
                let r = s.record;
                let kind = match (r.kind, r.adjusts) {
                    (_, Some(of)) => format!("adjusts {of}"),
                    _ if store.closed(&r.period)? == Some(r.seq) => "final".into(),
                    _ => "run".into(),
                };
                let plan = format!("{} v{}", r.plan.id, r.plan.version);
                rows.push([r.seq.to_string(), r.period, kind, plan, r.result_hash, r.caller, r.recorded_at]);
            }
            out(&table::columns(&rows))?;
        }
        Command::Show { run } => {
            let store = open(&cli.store)?;
            let (bytes, _) = audit::stored_result(store.as_ref(), run)?;
            std::io::stdout().lock().write_all(&bytes)?;
        }
        Command::Replay { run } => {
            let store = open(&cli.store)?;
            let replay = audit::replay(store.as_ref(), run, &pool)?;
            if replay.matches() {
                out(&format!("MATCH {}\n", replay.stored.result_hash))?;
                return Ok(Outcome::Done);
            }
            out(&render_mismatch(&replay))?;
            return Ok(Outcome::Failed);
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let store = open(&cli.store)?;
            let v = audit::verify(store.as_ref())?;
            if v.problems.is_empty() {
                out(&format!("OK {} runs, {} blobs\n", v.runs, v.blobs))?;
                return Ok(Outcome::Done);
            }
            let mut text = format!("FAILED {} problem(s) in {} runs, {} blobs\n", v.problems.len(), v.runs, v.blobs);
            for p in &v.problems {
                text += &format!("  {p}\n");
            }
            out(&text)?;
            return Ok(Outcome::Failed);
        }
        Command::Period { command: PeriodCommand::Close { period, run, caller } } => {
            let store = open(&cli.store)?;
            let stored = store.run(run)?.ok_or(Error::NoRun(run))?;
            if stored.record.period != period {
                anyhow::bail!("run {run} is of period {}, not {period}", stored.record.period);
            }
            if let Some(final_run) = store.closed(&period)? {
                anyhow::bail!("period {period} is already closed with run {final_run}");
            }
            let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            store.close(&period, run, &caller, &at)?;
            out(&format!("closed {period} with run {run}\n"))?;
        }
    }
    Ok(Outcome::Done)
}

fn render_mismatch(replay: &audit::Replay) -> String {
    let mut text = format!("DIFFER stored {} replayed {}\n", replay.stored.result_hash, replay.replayed.result_hash);
    if replay.differences.is_empty() {
        text += "every amount and score agrees; explanations or totals differ\n";
        return text;
    }
    let mut rows = vec![["participant", "policy", "component", "stored", "replayed"].map(String::from)];
    let none = || "-".to_string();
    for d in replay.differences.iter().take(20) {
        let before = d.before.clone().unwrap_or_else(none);
        let after = d.after.clone().unwrap_or_else(none);
        rows.push([d.participant.clone(), d.policy.clone(), d.component.clone(), before, after]);
    }
    text += &table::columns(&rows);
    if replay.differences.len() > 20 {
        text += &format!("… and {} more\n", replay.differences.len() - 20);
    }
    text
}

fn render_deltas(run: i64, final_run: i64, deltas: &[Delta], format: Format) -> String {
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
