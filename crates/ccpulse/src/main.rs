//! The `ccpulse` command: contact-center analytics over an embedded store.
//!
//! - `config`: layered configuration; `import`: files into the store with a progress bar;
//!   `kpi`: KPI queries and their output; `demo`: a synthetic center; `bench`: the
//!   performance figures of the foundation.
#![allow(clippy::print_stdout)]

mod bench;
mod bench_queue_log;
mod config;
mod demo;
mod import;
mod kpi;
mod load;
mod mapped;
mod queue_log;
mod replay;
mod report;
mod serve;
mod simulate;
mod tail;
mod tickets;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use ccpulse_model::TenantId;
use ccpulse_store::DuckDbStore;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;

/// mimalloc: see the workspace Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ccpulse",
    version,
    about = "Contact-center operations analytics"
)]
struct Cli {
    /// Data directory (holds ccpulse.duckdb and an optional ccpulse.toml).
    #[arg(
        long,
        global = true,
        env = "CCPULSE_DATA",
        default_value = "./ccpulse-data"
    )]
    data: PathBuf,
    /// Configuration file (default: ccpulse.toml in the data directory).
    #[arg(long, global = true, env = "CCPULSE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ImportFormat {
    /// The canonical contact JSON Lines of SPEC.md.
    Contacts,
    /// Asterisk's queue_log (also Wazo, FreeSWITCH bridges, Issabel, VICIdial).
    #[value(name = "queue_log")]
    QueueLog,
    /// A CSV export of any system, read through `--mapping`.
    Csv,
    /// An Excel workbook (.xlsx), read through `--mapping`.
    Xlsx,
    /// Asterisk call detail records (Master.csv); `--mapping` maps contexts to directions
    /// (default: mappings/asterisk-cdr.toml).
    #[value(name = "asterisk-cdr")]
    AsteriskCdr,
    /// Amazon Connect contact trace records (JSON, JSON Lines or Firehose output);
    /// `--mapping` may name contact attributes holding business line, category, ...
    #[value(name = "connect-ctr")]
    ConnectCtr,
    /// Tickets (complaints, suggestions, demands, refunds) as JSON Lines.
    Tickets,
    /// The subscriber base per month and business line as JSON Lines.
    Subscribers,
    /// Agents (name, team, skill groups, hire and leave dates) as JSON Lines.
    Agents,
    /// Agent state intervals (logged_in, busy, acw, break with reason, ...) as JSON Lines.
    #[value(name = "agent-states")]
    AgentStates,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TailFormat {
    #[value(name = "queue_log")]
    QueueLog,
}

#[derive(Subcommand)]
enum Command {
    /// Import records from files (`-` for stdin, `.gz` accepted).
    Import {
        #[arg(long, value_enum)]
        format: ImportFormat,
        /// Tenant of records that name none; records naming another tenant are rejected.
        #[arg(long)]
        tenant: Option<String>,
        /// Exit 1 when any record was rejected.
        #[arg(long)]
        strict: bool,
        /// Mapping (TOML; see mappings/): columns to fields for `--format csv` and `xlsx`
        /// (required), contexts to directions for `asterisk-cdr`, attributes to fields for
        /// `connect-ctr`.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Follow a growing file, importing each complete line as it is written. Every read is
    /// committed with its offset: after a crash or kill, the next start resumes exactly where
    /// the last commit ended. Rotation by rename and truncation are followed.
    Tail {
        #[arg(long, value_enum)]
        format: TailFormat,
        #[arg(long)]
        tenant: Option<String>,
        /// How often to look for new lines, in milliseconds.
        #[arg(long, default_value_t = 200)]
        poll_ms: u64,
        /// Read what is there now and exit.
        #[arg(long)]
        once: bool,
        /// Print the summary as JSON (with --once).
        #[arg(long)]
        json: bool,
        file: String,
    },
    /// Inspect rejected records.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// List the metric catalog.
    Metrics {
        #[arg(long)]
        lang: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// KPIs by any period and dimension.
    Kpi {
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Comma-separated metrics, e.g. answered,service_level[threshold=15].
        #[arg(
            long,
            default_value = "offered,answered,abandoned,answer_rate,service_level,asa,aht"
        )]
        metrics: String,
        /// Buckets (15min, 30min, hour, day, week, month, quarter, year) and dimensions.
        #[arg(long)]
        by: Option<String>,
        /// Inclusive start, tenant-local (2021-01-01 or 2021-01-01T09:00).
        #[arg(long)]
        from: Option<String>,
        /// Exclusive end, tenant-local.
        #[arg(long)]
        to: Option<String>,
        /// KEY=V1[,V2]; repeatable, all must hold.
        #[arg(long = "filter")]
        filters: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: kpi::Format,
        #[arg(long)]
        lang: Option<String>,
        /// Show each metric's formula, parameters, numerator, denominator and the SQL.
        #[arg(long)]
        explain: bool,
        /// Give empty buckets a row too.
        #[arg(long)]
        fill: bool,
    },
    /// Generate a demo tenant and show this month's KPIs per queue.
    Demo {
        #[arg(long, default_value = "demo")]
        tenant: String,
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Contacts on a typical weekday.
        #[arg(long, default_value_t = 1500.0)]
        daily: f64,
    },
    /// Measure import and query speed on generated contacts.
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// Instead: a queue_log of about this many lines (parse, assemble, import).
        #[arg(long)]
        queue_log: Option<u64>,
        #[arg(long)]
        json: bool,
        /// Work here instead of a temporary directory (kept afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Load benchmark of the server: events/s, time to 202, delivery to many event streams,
    /// memory over time (starts `ccpulse serve` on loopback over a temporary directory).
    BenchServer {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Threads posting events, each as fast as the server answers it (more posters make
        /// bigger group commits and longer waits: 4 x 500 events in flight is 100 ms of
        /// queue at 20,000 events/s).
        #[arg(long, default_value_t = 4)]
        posters: usize,
        /// Events per request.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Open event streams (SSE clients).
        #[arg(long, default_value_t = 500)]
        clients: usize,
        /// Post at most this many events a second in all (paced evenly over the posters),
        /// to measure the server at a given load rather than at its limit.
        #[arg(long)]
        rate: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Print the effective configuration.
    Config,
    /// Serve the API, the live wallboard and alerts (http://127.0.0.1:8080 by default).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Create the demo tenant (30 days of history) and user `demo` if missing, and run a
        /// live simulator of the demo center.
        #[arg(long)]
        demo: bool,
        /// POST firing and resolved alerts to this URL (besides `webhook` in alerts.toml).
        #[arg(long)]
        webhook: Option<String>,
    },
    /// Users of the server.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Alert history.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
    /// Reports: the operations report, the KPI scorecard, the quality analysis.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Reports the running server generates for every past period (missed runs caught up).
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Add (or replace) a schedule; prints its id.
    Add {
        /// operations, scorecard or quality.
        #[arg(long)]
        report: String,
        #[arg(long, default_value = "default")]
        tenant: String,
        /// day, week, month, quarter or year: the period of each report.
        #[arg(long)]
        every: String,
        /// Due on this day of the next period (1-28).
        #[arg(long, default_value_t = 1)]
        day: u32,
        /// Due at this tenant-local time.
        #[arg(long, default_value = "06:00")]
        at: String,
        /// Folder the reports are written to.
        #[arg(long)]
        to: PathBuf,
        /// html, xlsx, json or pdf.
        #[arg(long, default_value = "html")]
        format: String,
        #[arg(long)]
        lang: Option<String>,
        /// POST {tenant, schedule, report, period, path} here after each report.
        #[arg(long)]
        webhook: Option<String>,
        /// Name of the schedule (default REPORT-EVERY).
        #[arg(long)]
        id: Option<String>,
    },
    /// List schedules and the reports they made.
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a schedule (its reports stay).
    Remove {
        #[arg(long, default_value = "default")]
        tenant: String,
        id: String,
    },
}

/// What every report takes.
#[derive(clap::Args)]
struct ReportArgs {
    #[arg(long, default_value = "default")]
    tenant: String,
    /// 2021, 2021-Q3, 2021-06 or 2021-01-01..2021-07-01 (end exclusive).
    #[arg(long)]
    period: String,
    /// html, xlsx, json or pdf (default: from --out's extension; JSON on stdout without --out).
    #[arg(long)]
    format: Option<String>,
    #[arg(long)]
    out: Option<PathBuf>,
    /// zh-CN (default) or en.
    #[arg(long)]
    lang: Option<String>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Seed 000's operations report: summary, monthly (or daily) table, complaints,
    /// dissatisfied calls, satisfaction, trends.
    Operations {
        #[command(flatten)]
        args: ReportArgs,
        /// Add the same table for the N previous years.
        #[arg(long, default_value_t = 0)]
        compare: u16,
    },
    /// Seed 004's service-quality analysis: volume, KPI changes in words, complaints per
    /// 10,000 users, hot consultation topics, outbound telemarketing.
    Quality {
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Seed 002's KPI scorecard: value, band, points, total and change against the previous
    /// period.
    Scorecard {
        #[command(flatten)]
        args: ReportArgs,
        /// queue, agent or team.
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (or change its role and password).
    Add {
        name: String,
        /// admin, supervisor, viewer or ingest.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Tenants the user may see, comma-separated (default: all).
        #[arg(long)]
        tenants: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints it (once) on the last line.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: Option<String>,
    },
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Alerts that fired and resolved, newest first.
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// List rejected records with file, line, field and reason.
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One rejected record, whole (its raw text too).
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Read rejected records again: what parses now is imported and leaves the quarantine.
    Replay {
        /// Only this record.
        #[arg(long)]
        id: Option<i64>,
        #[arg(long)]
        tenant: Option<String>,
        /// Only records of this import format.
        #[arg(long)]
        format: Option<String>,
        /// The (fixed) mapping for csv, xlsx, asterisk-cdr and connect-ctr records; csv and
        /// xlsx records wait without one, CDRs and CTRs use the default.
        #[arg(long)]
        mapping: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create or change a tenant; a new time zone recomputes its local columns.
    Set {
        name: String,
        #[arg(long)]
        timezone: Option<String>,
        /// Default service-level threshold, seconds.
        #[arg(long)]
        service_level_threshold: Option<f64>,
        /// Abandons shorter than this are short abandons, seconds.
        #[arg(long)]
        short_abandon: Option<f64>,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// DuckDB's `memory_limit` for `serve` when the configuration sets none. 512MB holds the
/// load benchmark's rate (19,100 events/s over 10 minutes, as with 1GB) with its RSS in a
/// flat 400-770 MiB band from the second minute on, where 1GB kept rising to 1.1 GB.
const SERVE_MEMORY_LIMIT: &str = "512MB";

/// DuckDB's `checkpoint_threshold` for `serve` when the configuration sets none. A commit that
/// finds the write-ahead log past it folds the log into the file before it returns, and
/// under a steady stream of events that stall is what the slowest acknowledgements wait for:
/// at DuckDB's 16 MB it came every 2-3 s at 20,000 events/s (p99 of the time to 202: 560-820
/// ms); at 256 MB it comes every few minutes.
const SERVE_CHECKPOINT_THRESHOLD: &str = "256MB";

fn open(cfg: &Config) -> anyhow::Result<DuckDbStore> {
    DuckDbStore::open(&cfg.data, &cfg.store())
        .with_context(|| format!("cannot open the store in {}", cfg.data.display()))
}

/// Prints what an import or a tail did: rejections and unreadable files on stderr, the
/// summary (JSON with `json`) on stdout.
fn report(
    s: &import::ImportSummary,
    json: bool,
    elapsed: std::time::Duration,
) -> anyhow::Result<()> {
    for (file, r) in &s.sample {
        eprintln!("rejected: {file}: {r}");
    }
    if s.counts.rejected > s.sample.len() as u64 {
        eprintln!(
            "... {} more; see `ccpulse quarantine list`",
            s.counts.rejected - s.sample.len() as u64
        );
    }
    for u in &s.unreadable {
        eprintln!("error: {u}");
    }
    if json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!(
            "read {}, inserted {}, updated {}, unchanged {}, rejected {} ({:.1} s)",
            s.read,
            s.counts.inserted,
            s.counts.updated,
            s.counts.unchanged,
            s.counts.rejected,
            elapsed.as_secs_f64()
        );
        if let Some(open) = s.open_calls.filter(|n| *n > 0) {
            println!("{open} calls still open: they complete when a later file brings their end");
        }
        if let Some(n) = s.agent_intervals {
            println!("agent state intervals: {n}");
        }
        for (why, n) in &s.skipped {
            println!("skipped {n}: {why}");
        }
        for (word, n) in &s.unknown_words {
            println!("unknown event {word}: {n} lines kept");
        }
    }
    Ok(())
}

fn tenant_id(name: &str) -> anyhow::Result<TenantId> {
    Ok(TenantId::new(name)?)
}

fn main() -> ExitCode {
    sigpipe::reset();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CCPULSE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&cli.data, cli.config.as_deref())?;
    let lang_of = |l: &Option<String>| -> anyhow::Result<String> {
        let l = l.clone().unwrap_or_else(|| cfg.lang.clone());
        if !matches!(l.as_str(), "zh-CN" | "en") {
            bail!("--lang `{l}`: use zh-CN or en");
        }
        Ok(l)
    };
    match cli.command {
        Command::Config => {
            let mut shown = serde_json::to_value(&cfg)?;
            if let Some(obj) = shown.as_object_mut() {
                let store = open(&cfg)?;
                obj.insert(
                    "effective_memory_limit".into(),
                    store.setting("memory_limit")?.into(),
                );
                obj.insert("effective_threads".into(), store.setting("threads")?.into());
                obj.insert(
                    "effective_checkpoint_threshold".into(),
                    store.setting("checkpoint_threshold")?.into(),
                );
                obj.insert("tenants".into(), store.tenants().len().into());
            }
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            format,
            tenant,
            strict,
            mapping,
            json,
            files,
        } => {
            let tenant = tenant.as_deref().map(tenant_id).transpose()?;
            let mut store = open(&cfg)?;
            let started = std::time::Instant::now();
            let s = match format {
                ImportFormat::Contacts => {
                    import::import_contacts(&mut store, &files, tenant.as_ref(), true)?
                }
                ImportFormat::QueueLog => {
                    let tenant = match tenant {
                        Some(t) => t,
                        None => tenant_id(ccpulse_model::DEFAULT_TENANT)?,
                    };
                    queue_log::import_queue_log(&mut store, &files, &tenant, true)?
                }
                ImportFormat::Csv
                | ImportFormat::Xlsx
                | ImportFormat::AsteriskCdr
                | ImportFormat::ConnectCtr => {
                    // The format's name as on the command line.
                    let word = format
                        .to_possible_value()
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default();
                    let source = mapped::Source::new(&word, mapping.as_deref())?;
                    let tenant = match tenant {
                        Some(t) => t,
                        None => tenant_id(ccpulse_model::DEFAULT_TENANT)?,
                    };
                    mapped::import_converted(&mut store, &files, &source, &tenant, true)?
                }
                ImportFormat::Tickets => {
                    tickets::import(&mut store, &files, tickets::Kind::Tickets, tenant.as_ref())?
                }
                ImportFormat::Agents => {
                    tickets::import(&mut store, &files, tickets::Kind::Agents, tenant.as_ref())?
                }
                ImportFormat::AgentStates => tickets::import(
                    &mut store,
                    &files,
                    tickets::Kind::AgentStates,
                    tenant.as_ref(),
                )?,
                ImportFormat::Subscribers => tickets::import(
                    &mut store,
                    &files,
                    tickets::Kind::Subscribers,
                    tenant.as_ref(),
                )?,
            };
            report(&s, json, started.elapsed())?;
            Ok(if !s.unreadable.is_empty() {
                ExitCode::from(2)
            } else if strict && s.counts.rejected > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Tail {
            format: TailFormat::QueueLog,
            tenant,
            poll_ms,
            once,
            json,
            file,
        } => {
            let tenant = tenant_id(tenant.as_deref().unwrap_or(ccpulse_model::DEFAULT_TENANT))?;
            if !once {
                eprintln!(
                    "following {file} for tenant {tenant} (Ctrl-C to stop; nothing read is lost)"
                );
            }
            let started = std::time::Instant::now();
            let s = tail::tail(
                &|| open(&cfg),
                &file,
                &tenant,
                std::time::Duration::from_millis(poll_ms),
                once,
            )?;
            report(&s, json, started.elapsed())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Quarantine {
            command: QuarantineCommand::List { tenant, json },
        } => {
            let store = open(&cfg)?;
            let entries = store.quarantine(tenant.as_deref())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "entries": entries }))?
                );
            } else if entries.is_empty() {
                println!("the quarantine is empty");
            } else {
                for e in &entries {
                    let field = e
                        .field
                        .as_deref()
                        .map(|f| format!(": field `{f}`"))
                        .unwrap_or_default();
                    println!(
                        "#{} [{}/{}] {}:{}{}: {}",
                        e.id, e.tenant, e.format, e.file, e.line, field, e.reason
                    );
                }
                println!("{} rejected record(s)", entries.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Quarantine {
            command: QuarantineCommand::Show { id, json },
        } => {
            let store = open(&cfg)?;
            let Some(e) = store.quarantine_entry(id)? else {
                bail!("no rejected record #{id} (see `ccpulse quarantine list`)");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                println!(
                    "#{} [{}/{}] rejected {}",
                    e.id, e.tenant, e.format, e.rejected_at
                );
                println!("where:  {} line {}", e.file, e.line);
                if let Some(f) = &e.field {
                    println!("field:  {f}");
                }
                println!("reason: {}", e.reason);
                println!("raw:    {}", e.raw);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Quarantine {
            command:
                QuarantineCommand::Replay {
                    id,
                    tenant,
                    format,
                    mapping,
                    json,
                },
        } => {
            let mut store = open(&cfg)?;
            let entries: Vec<_> = store
                .quarantine(tenant.as_deref())?
                .into_iter()
                .filter(|e| id.is_none_or(|i| e.id == i))
                .filter(|e| format.as_deref().is_none_or(|f| e.format == f))
                .collect();
            if id.is_some() && entries.is_empty() {
                bail!(
                    "no rejected record #{} (see `ccpulse quarantine list`)",
                    id.unwrap_or(0)
                );
            }
            let r = replay::replay(&mut store, &entries, mapping.as_deref())?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("imported {}, still rejected {}", r.imported, r.rejected);
                if r.skipped > 0 {
                    println!(
                        "{} record(s) are not customer contacts under this mapping: removed",
                        r.skipped
                    );
                }
                if r.need_mapping > 0 {
                    println!(
                        "{} csv/xlsx record(s) wait: replay them with --mapping FILE.toml",
                        r.need_mapping
                    );
                }
                for file in &r.reread_files {
                    println!("read {file} again for its quarantined queue_log lines");
                }
                for (format, n) in &r.reimport_from_file {
                    println!(
                        "{n} {format} record(s) are read with their file, which is not where \
                         it was imported from: import the file again"
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant { command } => {
            let mut store = open(&cfg)?;
            match command {
                TenantCommand::Set {
                    name,
                    timezone,
                    service_level_threshold,
                    short_abandon,
                } => {
                    let id = tenant_id(&name)?;
                    let before = store.ensure_tenant(&id)?;
                    let mut settings = before.settings.clone();
                    if let Some(t) = service_level_threshold {
                        settings.service_level_threshold = t;
                    }
                    if let Some(s) = short_abandon {
                        settings.short_abandon = s;
                    }
                    let t = store.set_tenant(&id, timezone.as_deref(), Some(settings))?;
                    println!(
                        "tenant {}: time zone {}, service-level threshold {} s, short abandon {} s",
                        t.name,
                        t.timezone,
                        t.settings.service_level_threshold,
                        t.settings.short_abandon
                    );
                }
                TenantCommand::List { json } => {
                    let tenants = store.tenants();
                    if json {
                        let v: Vec<_> = tenants
                            .iter()
                            .map(|t| {
                                serde_json::json!({
                                    "name": t.name, "timezone": t.timezone,
                                    "service_level_threshold": t.settings.service_level_threshold,
                                    "short_abandon": t.settings.short_abandon,
                                })
                            })
                            .collect();
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({ "tenants": v }))?
                        );
                    } else {
                        for t in tenants {
                            println!(
                                "{}\t{}\t{} s\t{} s",
                                t.name,
                                t.timezone,
                                t.settings.service_level_threshold,
                                t.settings.short_abandon
                            );
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Metrics { lang, json } => {
            let lang = lang_of(&lang)?;
            let store = open(&cfg)?;
            let catalog = kpi::load_catalog(&store)?;
            println!("{}", kpi::list_metrics(&catalog, &lang, json));
            Ok(ExitCode::SUCCESS)
        }
        Command::Kpi {
            tenant,
            metrics,
            by,
            from,
            to,
            filters,
            format,
            lang,
            explain,
            fill,
        } => {
            let lang = lang_of(&lang)?;
            let store = open(&cfg)?;
            if store.tenant(&tenant).is_none() {
                bail!("unknown tenant `{tenant}` (see `ccpulse tenant list`)");
            }
            let catalog = kpi::load_catalog(&store)?;
            let args = kpi::KpiArgs {
                tenant: &tenant,
                metrics: &metrics,
                by: by.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                filters: &filters,
            };
            let q = kpi::build(&store, &catalog, &args)?;
            let r = store.run_kpi(&q, fill)?;
            match format {
                kpi::Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&kpi::to_json(&q, &r, &lang, explain))?
                ),
                kpi::Format::Csv => print!("{}", kpi::to_csv(&q, &r)?),
                kpi::Format::Table => {
                    println!("{}", kpi::to_table(&q, &r, &lang));
                    if explain {
                        println!("{}", kpi::explain_text(&q, &r, &lang));
                    }
                }
            }
            if explain && format == kpi::Format::Csv {
                eprintln!("{}", kpi::explain_text(&q, &r, &lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            tenant,
            days,
            daily,
        } => {
            let lang = cfg.lang.clone();
            let mut store = open(&cfg)?;
            bench::run_demo(&mut store, &tenant_id(&tenant)?, days, daily, &lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            demo,
            webhook,
        } => {
            // A long-running server keeps DuckDB's cache bounded unless told otherwise, so
            // its memory stays flat as the store grows.
            let mut store_cfg = cfg.store();
            store_cfg
                .memory_limit
                .get_or_insert_with(|| SERVE_MEMORY_LIMIT.to_owned());
            store_cfg
                .checkpoint_threshold
                .get_or_insert_with(|| SERVE_CHECKPOINT_THRESHOLD.to_owned());
            let store = DuckDbStore::open(&cfg.data, &store_cfg)
                .with_context(|| format!("cannot open the store in {}", cfg.data.display()))?;
            serve::run(store, &listen, demo, webhook)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let store = open(&cfg)?;
            match command {
                UserCommand::Add {
                    name,
                    role,
                    password_stdin,
                    tenants,
                } => serve::add_user(&store, &name, &role, password_stdin, tenants.as_deref())?,
                UserCommand::List => {
                    for u in store.users()? {
                        let tenants = u.tenants.map_or("all tenants".into(), |t| t.join(","));
                        println!("{}\t{}\t{tenants}", u.name, u.role);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Create { user, label },
        } => {
            let store = open(&cfg)?;
            let token = serve::create_token(&store, &user, label.as_deref())?;
            eprintln!("token for `{user}` (shown once; send it as `Authorization: Bearer TOKEN`):");
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Alerts {
            command:
                AlertsCommand::List {
                    tenant,
                    limit,
                    json,
                },
        } => {
            let store = open(&cfg)?;
            let records = store.alert_history(tenant.as_deref(), limit)?;
            if json {
                println!("{}", serde_json::json!({ "alerts": records }));
            } else if records.is_empty() {
                println!("no alerts");
            } else {
                for r in records {
                    let value = r.value.map_or("-".into(), |v| format!("{v:.3}"));
                    // The rule's id where it has one of its own.
                    let rule = if r.rule_id == r.rule {
                        r.rule.clone()
                    } else {
                        format!("{}: {}", r.rule_id, r.rule)
                    };
                    println!(
                        "{}  {}  {:8}  {rule}  ({}, value {value})",
                        r.at, r.tenant, r.state, r.scope
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command } => {
            let store = open(&cfg)?;
            let args = match &command {
                ReportCommand::Operations { args, .. }
                | ReportCommand::Quality { args }
                | ReportCommand::Scorecard { args, .. } => args,
            };
            let lang = lang_of(&args.lang)?;
            let common = report::Common {
                tenant: &args.tenant,
                period: &args.period,
                format: args.format.as_deref(),
                out: args.out.as_deref(),
                lang: &lang,
            };
            match &command {
                ReportCommand::Operations { compare, .. } => {
                    report::operations(&store, &common, *compare)?;
                }
                ReportCommand::Quality { .. } => report::quality(&store, &common)?,
                ReportCommand::Scorecard { by, .. } => {
                    report::scorecard(&store, &common, by.as_deref())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule { command } => {
            let mut store = open(&cfg)?;
            match command {
                ScheduleCommand::Add {
                    report,
                    tenant,
                    every,
                    day,
                    at,
                    to,
                    format,
                    lang,
                    webhook,
                    id,
                } => {
                    let tenant = tenant_id(&tenant)?;
                    store.ensure_tenant(&tenant)?;
                    let to = std::path::absolute(&to).unwrap_or(to);
                    let s = ccpulse_store::ReportSchedule {
                        tenant: tenant.to_string(),
                        id: id.unwrap_or_else(|| format!("{report}-{every}")),
                        report,
                        every,
                        day,
                        at,
                        out_dir: to.display().to_string(),
                        format,
                        lang: lang_of(&lang)?,
                        webhook,
                        created_at: jiff::Timestamp::now(),
                    };
                    ccpulse_report::schedule::validate(&s)?;
                    store.put_schedule(&s)?;
                    eprintln!(
                        "the running server (`ccpulse serve`) writes each {} report of `{}` to {}",
                        s.every, s.tenant, s.out_dir
                    );
                    println!("{}", s.id);
                }
                ScheduleCommand::List { tenant, json } => {
                    let schedules = store.schedules(tenant.as_deref())?;
                    let runs = store.report_runs(tenant.as_deref(), 100)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "schedules": schedules, "reports": runs })
                        );
                    } else {
                        for s in &schedules {
                            println!(
                                "{}\t{}\t{} every {} (day {} at {}) as {} to {}",
                                s.tenant, s.id, s.report, s.every, s.day, s.at, s.format, s.out_dir
                            );
                        }
                        for r in &runs {
                            println!(
                                "{}\t{}\t{}\t{}\t{}",
                                r.generated_at, r.tenant, r.schedule, r.period, r.path
                            );
                        }
                        if schedules.is_empty() {
                            println!("no schedules");
                        }
                    }
                }
                ScheduleCommand::Remove { tenant, id } => {
                    if !store.delete_schedule(&tenant, &id)? {
                        bail!("no schedule `{id}` for tenant `{tenant}`");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchServer {
            seconds,
            posters,
            batch,
            clients,
            rate,
            json,
        } => {
            load::run(&load::LoadOptions {
                seconds,
                posters,
                batch,
                clients,
                rate,
                json,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            contacts: _,
            queue_log: Some(lines),
            json,
            dir,
        } => {
            let tmp = tempfile::tempdir()?;
            let dir = dir.unwrap_or_else(|| tmp.path().to_owned());
            std::fs::create_dir_all(&dir)?;
            let mut figures = bench_queue_log::run(lines, json, &dir, &cfg)?;
            let rss = bench::peak_rss_bytes();
            figures["peak_rss_bytes"] = rss.into();
            if json {
                println!("{figures}");
            } else if let Some(b) = rss {
                eprintln!("peak RSS: {:.2} GiB", b as f64 / f64::from(1u32 << 30));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            contacts,
            queue_log: None,
            json,
            dir,
        } => {
            bench::run_bench(contacts, json, dir.as_deref(), &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
