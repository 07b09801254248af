//! `payplan gen`: a generated period (deterministic for a seed), for benchmarks and trials.

use crate::Outcome;
use payplan::input::generate::{Shape, write_period};
use std::io::Write;

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
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    write_period(&mut stdout, Shape { participants: args.participants, deals_per: args.deals_per, seed: args.seed })?;
    stdout.flush()?;
    Ok(Outcome::Done)
}
