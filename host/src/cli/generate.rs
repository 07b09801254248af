//! `payplan gen`: a generated period (deterministic for a seed), for benchmarks and trials.

use crate::Outcome;
use anyhow::Context as _;
use payplan::input::generate::{Shape, write_month, write_period};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Participants.
    #[arg(long)]
    participants: u64,
    /// Deals per participant, on average.
    #[arg(long, default_value_t = 20)]
    deals_per: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the first N months of 2026 as a series (FY2026), one file each, into `--out`.
    #[arg(long, requires = "out", value_parser = clap::value_parser!(u32).range(1..=12))]
    months: Option<u32>,
    /// The folder the months are written to (`2026-01.json`, …).
    #[arg(long, requires = "months")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let shape = Shape { participants: args.participants, deals_per: args.deals_per, seed: args.seed };
    if let (Some(months), Some(folder)) = (args.months, &args.out) {
        std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        for month in 1..=months {
            let file = folder.join(format!("2026-{month:02}.json"));
            let mut out = std::io::BufWriter::new(
                std::fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?,
            );
            write_month(&mut out, shape, month, true)?;
            out.flush()?;
        }
        return Ok(Outcome::Done);
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    write_period(&mut stdout, shape)?;
    stdout.flush()?;
    Ok(Outcome::Done)
}
