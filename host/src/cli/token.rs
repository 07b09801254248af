//! `payplan token`: a new bearer token, printed once, with the config entry that holds its hash.

use crate::{Outcome, out};
use payplan::api::config::{Role, new_token};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Who will hold it.
    #[arg(long)]
    name: String,
    /// designer, payroll, auditor or admin.
    #[arg(long)]
    role: String,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let role = Role::from_name(&args.role)
        .ok_or_else(|| anyhow::anyhow!("role {:?} is not one of designer, payroll, auditor, admin", args.role))?;
    let (token, hash) = new_token()?;
    out(&format!(
        "{token}\n\n# add to the service config; the token itself is not stored anywhere\n[[token]]\nname = {:?}\nrole = \"{}\"\nsha256 = \"{hash}\"\n",
        args.name,
        role.name()
    ))
}
