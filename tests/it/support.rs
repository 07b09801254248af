//! Helpers shared by the tests: the binary, the repository's files, in-process evaluation.

use payplan::eval::CompiledPlan;
use payplan::runtime::thread_pool;
use payplan::{input, plan};
use payplan_sdk::result::EvalResult;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is inside the repository").to_path_buf()
}

/// Runs the `payplan` binary with these arguments, from the repository root.
pub(crate) fn payplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_payplan")).args(args).current_dir(repo()).output().expect("payplan runs")
}

/// Standard output as text.
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// Standard error as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 output")
}

/// Writes `text` to `dir/name` and returns the path as text.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A plan's text with the usual header; `body` holds the `[[policy]]` tables, whose scripts are
/// named relative to `policies/` (e.g. `script = "tiered_commission.rhai"`).
pub(crate) fn plan_text(rounding: &str, body: &str) -> String {
    format!("id = \"test\"\nversion = \"1\"\ncurrency = \"CNY\"\nrounding = \"{rounding}\"\n{body}")
}

/// Evaluates plan text (scripts resolved against `policies/`) against period JSON, in process.
pub(crate) fn evaluate(plan_text: &str, period: &str, threads: usize) -> payplan::Result<EvalResult> {
    evaluate_at(&repo().join("policies").join("plan.toml"), plan_text, period, threads)
}

/// Evaluates plan text as if it were the file `plan_file` (scripts resolved against its folder).
pub(crate) fn evaluate_at(
    plan_file: &Path,
    plan_text: &str,
    period: &str,
    threads: usize,
) -> payplan::Result<EvalResult> {
    let plan = plan::parse(plan_file, plan_text, |p| std::fs::read(p).map_err(|e| e.to_string()))?;
    let pool = thread_pool(threads);
    let input = pool
        .install(|| input::parse_period(period.as_bytes()))
        .map_err(|problems| payplan::Error::Input { file: "period.json".into(), problems })?;
    CompiledPlan::new(plan)?.evaluate(input, &pool)
}

/// The payouts as `participant policy component amount` rows, for compact assertions.
pub(crate) fn rows(result: &EvalResult) -> Vec<String> {
    result.payouts.iter().map(|p| format!("{} {} {} {}", p.participant, p.policy, p.component, p.amount)).collect()
}

/// The scores as `participant policy score grade` rows.
pub(crate) fn score_rows(result: &EvalResult) -> Vec<String> {
    result.scores.iter().map(|s| format!("{} {} {} {}", s.participant, s.policy, s.score, s.grade)).collect()
}
