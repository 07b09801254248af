//! `payplan test`: run policy test files, each case's lines and scores against the expected.

use crate::{Context, Outcome, out};
use payplan::design::policy_test;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A test file, or a folder to search for `*.test.toml`.
    #[arg(default_value = "policies")]
    path: PathBuf,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    let (mut passed, mut failed) = (0, 0);
    let mut text = String::new();
    for file in policy_test::files(&args.path)? {
        for case in policy_test::load(&file)? {
            match case.run(context.pool()) {
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
        anyhow::bail!("no *.test.toml with a [[test]] in {}", args.path.display());
    }
    out(&format!("{text}{passed} passed, {failed} failed\n"))?;
    Ok(if failed > 0 { Outcome::Failed } else { Outcome::Done })
}
