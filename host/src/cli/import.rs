//! `payplan import`: period JSON from CSV exports.

use crate::{Outcome, out};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct Args {
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
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let header = payplan::input::import::Header {
        id: args.period_id,
        start: args.start,
        end: args.end,
        currency: args.currency,
    };
    out(&payplan::input::import::period(&header, &args.participants, &args.deals, args.teams.as_deref())?)
}
