//! The `ccpulse` command: contact-center analytics over an embedded store. A shell over the
//! library crates: `cli` holds the flags, `commands/` one file per command group, `config`
//! the layered configuration.
#![allow(clippy::print_stdout)]

mod cli;
mod commands;
mod config;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::cli::{Cli, Command};
use crate::commands as cmd;
use crate::config::Config;

/// mimalloc: see the workspace Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    sigpipe::reset();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CCPULSE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Parsed once: the audit record names the subcommands from the same matches.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli, &matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> cmd::Done {
    let mut cfg = Config::load(&cli.data, cli.config.as_deref())?;
    if cli.store.is_some() {
        cfg.store_url = cli.store.clone();
    }
    if cfg.clickhouse()?.is_some() {
        cmd::store::check_clickhouse_serves(&cli.command)?;
    }
    ccpulse_ingest::contacts::limits::set(cfg.max_duration_s, cfg.max_text_bytes);
    if !matches!(
        cli.command,
        Command::Config
            | Command::Metrics(_)
            | Command::Bench(_)
            | Command::BenchServer(_)
            | Command::Erlang(_)
    ) {
        cmd::audit::record_invocation(&cfg, matches)?;
    }
    match cli.command {
        Command::Config => cmd::config::run(&cfg),
        Command::Import(a) => cmd::import::import(&cfg, a),
        Command::Tail(a) => cmd::import::tail(&cfg, a),
        Command::Quarantine { command } => cmd::quarantine::run(&cfg, command),
        Command::Tenant { command } => cmd::tenant::run(&cfg, command),
        Command::Store { command } => cmd::store::run(&cfg, command),
        Command::Metrics(a) => cmd::kpi::metrics(&cfg, a),
        Command::Kpi(a) => cmd::kpi::kpi(&cfg, a),
        Command::Contacts(a) => cmd::contacts::contacts(&cfg, a),
        Command::Agents(a) => cmd::agents::agents(&cfg, a),
        Command::Topics(a) => cmd::topics::topics(&cfg, a),
        Command::Audit { command } => cmd::audit::run(&cfg, command),
        Command::Channels(a) => cmd::topics::channels(&cfg, a),
        Command::Report { command } => cmd::report::run(&cfg, command),
        Command::Schedule { command } => cmd::schedule::run(&cfg, command),
        Command::Template { command } => cmd::template::run(&cfg, command),
        Command::Serve(a) => cmd::serve::serve(&cfg, a),
        Command::User { command } => cmd::user::user(&cfg, command),
        Command::Token { command } => cmd::user::token(&cfg, command),
        Command::Alerts { command } => cmd::alerts::run(&cfg, command),
        Command::Erlang(a) => cmd::staffing::erlang(a),
        Command::Forecast(a) => cmd::staffing::forecast(&cfg, a),
        Command::Staffing(a) => cmd::staffing::staffing(&cfg, a),
        Command::Demo(a) => cmd::bench::demo(&cfg, a),
        Command::Bench(a) => cmd::bench::bench(&cfg, a),
        Command::BenchServer(a) => cmd::bench::bench_server(a),
    }
}
