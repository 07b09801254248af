//! The `payplan` command line.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use payplan::audit::{self, Delta};
use payplan::eval::{CompiledPlan, thread_pool, to_json};
use payplan::store::{self, Store};
use payplan::{Error, api, check, csv_out, input, plan, table, whatif};
use std::io::Write;
use std::path::PathBuf;
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
    /// Make period JSON from CSV exports: participants and deals (and teams), each with a header.
    Import {
        /// Period id.
        #[arg(long)]
        period_id: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        start: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        end: String,
        /// ISO 4217 currency code.
        #[arg(long)]
        currency: String,
        /// Participants CSV (id, name, team, group, hired_on, mentor, prior_deals, target,
        /// metric:<name>…, other columns as attributes).
        #[arg(long)]
        participants: PathBuf,
        /// Deals CSV (id, participant, amount, closed_on, customer, segment, kind, …).
        #[arg(long)]
        deals: PathBuf,
        /// Teams CSV (id, name, target).
        #[arg(long)]
        teams: Option<PathBuf>,
    },
    /// Load a plan and compile every policy; report every problem with file, line and column.
    Check {
        /// The plan (TOML).
        plan: PathBuf,
    },
    /// Run policy test files (`*.test.toml`): each case's lines and scores against the expected.
    Test {
        /// A test file, or a folder to search for `*.test.toml`.
        #[arg(default_value = "policies")]
        path: PathBuf,
    },
    /// What-if: evaluate one period under two plans and show who gains and who loses.
    Diff {
        /// Plan A, then plan B (`--plan A.toml --plan B.toml`).
        #[arg(long, num_args = 1, required = true)]
        plan: Vec<PathBuf>,
        /// The period (JSON).
        #[arg(long)]
        period: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
        format: DiffFormat,
    },
    /// One participant's statement: the facts used, each line with its explanation, the total.
    /// Either evaluate (`--plan` and `--period`) or read a recorded run (`--run`).
    Explain {
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
    /// Serve the HTTP API until SIGTERM (requests in flight finish first).
    Serve {
        /// Address to listen on [default: the config's `listen`, else 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
        /// The service config: tokens, limits, store (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Make a bearer token for the service: prints the token once, and the config entry (its hash).
    Token {
        /// Who will hold it.
        #[arg(long)]
        name: String,
        /// designer, payroll, auditor or admin.
        #[arg(long)]
        role: String,
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
    /// CSV, one row per line, for payroll import.
    Csv,
    /// CSV, one row per participant: each policy's sum and the total.
    CsvSummary,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum DiffFormat {
    /// JSON.
    Json,
    /// A readable table.
    Table,
    /// CSV, one row per changed (participant, policy).
    Csv,
}

/// What a command decided besides its output: success, or a finding that exits 1.
enum Outcome {
    Done,
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A command runs once and exits: freed memory is kept for its next step. The service runs
    // for months: what a large or hostile request took goes back to the kernel.
    if !matches!(cli.command, Command::Serve { .. }) {
        payplan::allocator::keep_freed_memory();
    }
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

fn open(location: &Option<String>) -> anyhow::Result<Box<dyn Store>> {
    Ok(store::open(location.as_deref().unwrap_or(DEFAULT_STORE))?)
}

const DEFAULT_STORE: &str = "payplan.db";

fn serve(store: Option<String>, listen: Option<String>, config: Option<PathBuf>, threads: usize) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match &config {
        Some(file) => api::config::Config::load(file)?,
        None => api::config::Config::default(),
    };
    if config.tokens.is_empty() {
        tracing::warn!("no tokens configured (--config): every /v1 request will be refused with 401");
    }
    let location = store.or_else(|| config.store.clone()).unwrap_or_else(|| DEFAULT_STORE.into());
    let store: std::sync::Arc<dyn Store> = store::open(&location)?.into();
    let state = std::sync::Arc::new(api::AppState::new(store, &config, threads).map_err(anyhow::Error::msg)?);
    let listen = listen.unwrap_or_else(|| config.listen.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr()?;
        out(&format!("listening on http://{address}\n"))?;
        tracing::info!(%address, store = %location, "serving");
        api::serve(listener, state, &config).await.context("serving")
    })
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let pool = thread_pool(cli.threads);
    match cli.command {
        Command::Eval { plan, period, format, record, adjust, caller } => {
            let (bytes, input) = pool.install(|| input::read_period(&period))?;
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
                let stored = pool.install(|| {
                    audit::record(store.as_ref(), &bytes, &compiled.plan, &result, &caller, Some(final_run), None)
                })?;
                let before = audit::stored_run(store.as_ref(), final_run)?.result;
                eprintln!("recorded run {} (adjustment of run {final_run})", stored.record.seq);
                out(&render_deltas(stored.record.seq, final_run, &audit::deltas(&before, &result), format))?;
                return Ok(Outcome::Done);
            }
            if record {
                let store = open(&cli.store)?;
                let stored = pool
                    .install(|| audit::record(store.as_ref(), &bytes, &compiled.plan, &result, &caller, None, None))?;
                eprintln!("recorded run {} ({})", stored.record.seq, stored.hash);
            }
            let policies: Vec<String> = compiled.plan.policies.iter().map(|p| p.id.clone()).collect();
            out(&match format {
                Format::Json => pool.install(|| to_json(&result)),
                Format::Table => table::render(&result, &names),
                Format::Csv => csv_out::lines(&result, &names),
                Format::CsvSummary => csv_out::summary(&result, &names, &policies),
            })?;
        }
        Command::Import { period_id, start, end, currency, participants, deals, teams } => {
            let header = payplan::import::Header { id: period_id, start, end, currency };
            out(&payplan::import::period(&header, &participants, &deals, teams.as_deref())?)?;
        }
        Command::Check { plan } => {
            let report = check::check(&plan);
            if report.problems.is_empty() {
                let plan = report.plan.expect("a plan without problems loaded");
                let plugins =
                    plan.policies.iter().filter(|p| matches!(p.source, payplan::plan::Source::Plugin { .. })).count();
                out(&format!(
                    "OK plan {} version {}: {} policies ({} scripts, {plugins} plugins)\n",
                    plan.id,
                    plan.version,
                    plan.policies.len(),
                    plan.policies.len() - plugins
                ))?;
                return Ok(Outcome::Done);
            }
            for problem in &report.problems {
                eprintln!("error: {problem}\n");
            }
            eprintln!("{} problem(s) in {}", report.problems.len(), plan.display());
            std::process::exit(2);
        }
        Command::Test { path } => {
            let (mut passed, mut failed) = (0, 0);
            let mut text = String::new();
            for file in payplan::policy_test::files(&path)? {
                for case in payplan::policy_test::load(&file)? {
                    match case.run(&pool) {
                        None => {
                            passed += 1;
                            text += &format!("ok   {}: {}\n", file.display(), case.name);
                        }
                        Some(report) => {
                            failed += 1;
                            text += &format!("FAIL {}: {}\n{report}", file.display(), case.name);
                        }
                    }
                }
            }
            if passed + failed == 0 {
                anyhow::bail!("no *.test.toml with a [[test]] in {}", path.display());
            }
            out(&format!("{text}{passed} passed, {failed} failed\n"))?;
            if failed > 0 {
                return Ok(Outcome::Failed);
            }
        }
        Command::Diff { plan, period, format } => {
            let [a, b] = &plan[..] else { anyhow::bail!("diff takes exactly two plans: --plan A.toml --plan B.toml") };
            let (_, input) = pool.install(|| input::read_period(&period))?;
            let evaluate = |file: &PathBuf| -> anyhow::Result<_> {
                Ok(CompiledPlan::new(plan::load(file)?)?.evaluate(input.clone(), &pool)?)
            };
            let comparison = whatif::compare(&evaluate(a)?, &evaluate(b)?);
            out(&match format {
                DiffFormat::Json => serde_json::to_string_pretty(&comparison)? + "\n",
                DiffFormat::Table => render_comparison(&comparison),
                DiffFormat::Csv => {
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record(["participant", "policy", "a", "b", "delta"])?;
                    for c in comparison.lines.iter().chain(comparison.participants.iter()) {
                        let policy = if c.policy.is_empty() { "total" } else { &c.policy };
                        w.write_record([
                            &c.participant,
                            policy,
                            &c.a.to_string(),
                            &c.b.to_string(),
                            &c.delta.to_string(),
                        ])?;
                    }
                    String::from_utf8(w.into_inner()?)?
                }
            })?;
        }
        Command::Serve { listen, config } => serve(cli.store, listen, config, cli.threads)?,
        Command::Token { name, role } => {
            let role: api::config::Role = serde_json::from_value(serde_json::Value::String(role.clone()))
                .map_err(|_| anyhow::anyhow!("role {role:?} is not one of designer, payroll, auditor, admin"))?;
            let (token, hash) = api::config::new_token()?;
            out(&format!(
                "{token}\n\n# add to the service config; the token itself is not stored anywhere\n[[token]]\nname = {name:?}\nrole = \"{}\"\nsha256 = \"{hash}\"\n",
                role.name()
            ))?;
        }
        Command::Explain { plan, period, run, participant } => {
            let (input, result) = match (plan, period, run) {
                (Some(plan), Some(period), _) => {
                    let (_, input) = pool.install(|| input::read_period(&period))?;
                    let result = CompiledPlan::new(plan::load(&plan)?)?.evaluate(input.clone(), &pool)?;
                    (input, result)
                }
                (_, _, Some(run)) => {
                    let store = open(&cli.store)?;
                    let run = audit::stored_run(store.as_ref(), run)?;
                    (audit::stored_period(store.as_ref(), &run.stored)?, run.result)
                }
                _ => anyhow::bail!("explain needs --plan and --period, or --run"),
            };
            let facts = payplan::facts::Facts::new(input, &pool)?;
            out(&payplan::explain::statement(&facts, &result, &participant)?)?;
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
            std::io::stdout().lock().write_all(&audit::stored_run(store.as_ref(), run)?.bytes)?;
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
            audit::close(store.as_ref(), &period, run, &caller)?;
            out(&format!("closed {period} with run {run}\n"))?;
        }
    }
    Ok(Outcome::Done)
}

fn render_comparison(c: &whatif::Comparison) -> String {
    let mut text = format!(
        "what-if {}: A = {} version {}, B = {} version {}\n\n",
        c.period, c.a.id, c.a.version, c.b.id, c.b.version
    );
    let mut rows = vec![["participant", "policy", "A", "B", "delta"].map(String::from)];
    for ch in &c.lines {
        rows.push([
            ch.participant.clone(),
            ch.policy.clone(),
            ch.a.to_string(),
            ch.b.to_string(),
            ch.delta.to_string(),
        ]);
    }
    text += &table::columns(&rows);
    text += &format!(
        "\ntotal A {} B {} delta {}; {} gain, {} lose\n",
        c.totals.a, c.totals.b, c.totals.delta, c.gainers, c.losers
    );
    if !c.largest_movers.is_empty() {
        let movers: Vec<String> = c.largest_movers.iter().map(|m| format!("{} {:+}", m.participant, m.delta)).collect();
        text += &format!("largest movers: {}\n", movers.join(", "));
    }
    text
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
