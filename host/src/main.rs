//! The `payplan` command line.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use payplan::eval::{CompiledPlan, thread_pool};
use payplan::{Error, input, plan, table};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// payplan: incentive and scoring policies, evaluated exactly and deterministically.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
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
        /// Worker threads (0: one per core). The result does not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The result JSON (formats.md).
    Json,
    /// A readable per-participant table.
    Table,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Eval { plan, period, format, threads } => {
            let input = input::read_period(&period)?;
            let compiled = CompiledPlan::new(plan::load(&plan)?)?;
            let names =
                input.period.participants.iter().map(|p| (p.id.clone(), p.name.clone().unwrap_or_default())).collect();
            let result = compiled.evaluate(input, &thread_pool(threads))?;
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&result)? + "\n",
                Format::Table => table::render(&result, &names),
            };
            std::io::stdout().lock().write_all(text.as_bytes()).context("writing the result")?;
        }
    }
    Ok(())
}
