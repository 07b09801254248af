//! `payplan token`: a new bearer token, printed once, with the config entry that holds its hash.

use crate::{Outcome, out};
use payplan::api::config::{Role, new_token};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Who will hold it.
    #[arg(long)]
    name: String,
    /// designer, payroll, auditor, admin or participant.
    #[arg(long)]
    role: String,
    /// For a participant token: the participant id whose statements it reads.
    #[arg(long)]
    participant: Option<String>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let role = Role::from_name(&args.role).ok_or_else(|| {
        anyhow::anyhow!("role {:?} is not one of designer, payroll, auditor, admin, participant", args.role)
    })?;
    let participant = match (role, args.participant) {
        (Role::Participant, Some(id)) => format!("participant = {id:?}\n"),
        (Role::Participant, None) => anyhow::bail!("a participant token needs --participant <id>"),
        (_, Some(_)) => anyhow::bail!("--participant is only for --role participant"),
        (_, None) => String::new(),
    };
    let (token, hash) = new_token()?;
    out(&format!(
        "{token}\n\n# add to the service config; the token itself is not stored anywhere\n[[token]]\nname = {:?}\nrole = \"{}\"\nsha256 = \"{hash}\"\n{participant}",
        args.name,
        role.name()
    ))
}
