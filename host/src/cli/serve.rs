//! `payplan serve`: the HTTP API until SIGTERM.

use crate::{Context, DEFAULT_STORE, Outcome, out};
use anyhow::Context as _;
use payplan::api::{self, config::Config};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Address to listen on [default: the config's `listen`, else 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// The service config: tokens, limits, store (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
}

pub(crate) fn run(args: Args, context: &Context) -> anyhow::Result<Outcome> {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match &args.config {
        Some(file) => Config::load(file)?,
        None => Config::default(),
    };
    if config.tokens.is_empty() {
        tracing::warn!("no tokens configured (--config): every /v1 request will be refused with 401");
    }
    let location = context.store.clone().or_else(|| config.store.clone()).unwrap_or_else(|| DEFAULT_STORE.into());
    let store = payplan::store::open(&location)?.into();
    let state = Arc::new(api::AppState::new(store, &config, context.threads).map_err(anyhow::Error::msg)?);
    let listen = args.listen.unwrap_or_else(|| config.listen.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr()?;
        out(&format!("listening on http://{address}\n"))?;
        tracing::info!(%address, store = %location, "serving");
        api::serve(listener, state, &config).await.context("serving")
    })?;
    Ok(Outcome::Done)
}
