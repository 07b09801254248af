//! The `payplan` command line: one module per command, each a small `run` over its arguments.

mod audit;
mod check;
mod diff;
mod eval;
mod explain;
mod gate;
mod generate;
mod import;
mod period;
mod replay;
mod runs;
mod serve;
mod show;
mod test;
mod token;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use payplan::Error;
use payplan::store::{self, Store};
use std::io::Write;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: payplan::allocator::Counting = payplan::allocator::Counting;

/// payplan: incentive and scoring policies, evaluated exactly and deterministically.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The audit store: a SQLite file, or postgres://… for a shared PostgreSQL store
    /// [default: the service config's `store`, else payplan.db].
    #[arg(long, global = true, env = "PAYPLAN_STORE")]
    store: Option<String>,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a plan against a period and print the result.
    Eval(eval::Args),
    /// Make period JSON from CSV exports: participants and deals (and teams), each with a header.
    Import(import::Args),
    /// Load a plan and compile every policy; report every problem with file, line and column.
    Check(check::Args),
    /// Run policy test files (`*.test.toml`): each case's lines and scores against the expected.
    Test(test::Args),
    /// What-if: evaluate one period under two plans and show who gains and who loses.
    Diff(diff::Args),
    /// The publish gate: what a new plan would have paid on a series' closed periods.
    Gate(gate::Args),
    /// One participant's statement: the facts used, each line with its explanation, the total.
    /// Either evaluate (`--plan` and `--period`) or read a recorded run (`--run`).
    Explain(explain::Args),
    /// List recorded runs.
    Runs(runs::Args),
    /// Print a recorded run's result, byte for byte as stored.
    Show(show::Args),
    /// Re-evaluate a run from the store alone and compare it with what was stored.
    Replay(replay::Args),
    /// Write a generated period (deterministic for a seed) as JSON, for benchmarks and trials.
    Gen(generate::Args),
    /// Serve the HTTP API until SIGTERM (requests in flight finish first).
    Serve(serve::Args),
    /// Make a bearer token for the service: prints the token once, and the config entry (its hash).
    Token(token::Args),
    /// Audit the store.
    Audit {
        #[command(subcommand)]
        command: audit::Command,
    },
    /// Manage periods.
    Period {
        #[command(subcommand)]
        command: period::Command,
    },
}

/// What every command may use: the store's location and the worker threads.
struct Context {
    store: Option<String>,
    threads: usize,
    pool: std::sync::OnceLock<rayon::ThreadPool>,
}

impl Context {
    /// The evaluation threads (made on first use).
    fn pool(&self) -> &rayon::ThreadPool {
        self.pool.get_or_init(|| payplan::runtime::thread_pool(self.threads))
    }

    /// The audit store.
    fn store(&self) -> anyhow::Result<Box<dyn Store>> {
        Ok(store::open(self.store.as_deref().unwrap_or(DEFAULT_STORE))?)
    }
}

/// The store when neither `--store` nor the service config names one.
const DEFAULT_STORE: &str = "payplan.db";

/// What a command decided besides its output: the process's exit status.
enum Outcome {
    /// Exit 0.
    Done,
    /// A finding (a failed test, a replay that differs, a chain that does not verify): exit 1.
    Failed,
    /// Invalid input (a plan with problems): exit 2, as for an input error.
    Invalid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A command runs once and exits: freed memory is kept for its next step. The service runs
    // for months: what a large or hostile request took goes back to the kernel.
    if !matches!(cli.command, Command::Serve(_)) {
        payplan::allocator::keep_freed_memory();
    }
    let context = Context { store: cli.store, threads: cli.threads, pool: std::sync::OnceLock::new() };
    match run(cli.command, &context) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Invalid) => ExitCode::from(2),
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

fn run(command: Command, context: &Context) -> anyhow::Result<Outcome> {
    match command {
        Command::Eval(args) => eval::run(args, context),
        Command::Import(args) => import::run(args),
        Command::Check(args) => check::run(args),
        Command::Test(args) => test::run(args, context),
        Command::Diff(args) => diff::run(args, context),
        Command::Explain(args) => explain::run(args, context),
        Command::Gate(args) => gate::run(args, context),
        Command::Runs(args) => runs::run(args, context),
        Command::Show(args) => show::run(args, context),
        Command::Replay(args) => replay::run(args, context),
        Command::Gen(args) => generate::run(args),
        Command::Serve(args) => serve::run(args, context),
        Command::Token(args) => token::run(args),
        Command::Audit { command } => audit::run(command, context),
        Command::Period { command } => period::run(command, context),
    }
}

/// Evaluates a period; a period of a series whose plan uses series features is paid against its
/// history, read from the store (series.md). The result, and the history's runs for the record.
fn evaluate(
    compiled: &payplan::eval::CompiledPlan,
    input: payplan::input::Input,
    context: &Context,
) -> anyhow::Result<(payplan_sdk::result::EvalResult, Vec<payplan::store::RunRef>)> {
    let history = match compiled.needs_history(&input.period) {
        true => Some(payplan::series::read(context.store()?.as_ref(), &input.period)?),
        false => None,
    };
    let never = payplan::halt::Halt::never();
    let (result, _) = compiled.evaluate_series(input, history.as_ref(), context.pool(), &never)?;
    Ok((result, history.map(|h| h.runs()).unwrap_or_default()))
}

/// How a comparison (`diff`, `gate`) is printed.
#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Compared {
    /// JSON.
    Json,
    /// A readable table.
    Table,
    /// CSV, one row per changed line.
    Csv,
}

/// Writes a command's output to stdout.
fn out(text: &str) -> anyhow::Result<Outcome> {
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing the output")?;
    Ok(Outcome::Done)
}
