//! The command line: every command, flag and default of `ccpulse` (clap derive). What each
//! command does is in `commands/`.

use std::path::PathBuf;

use ccpulse_model::TenantId;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::kpi::Format;

#[derive(Parser)]
#[command(
    name = "ccpulse",
    version,
    about = "Contact-center operations analytics"
)]
pub struct Cli {
    /// Data directory (holds ccpulse.duckdb and an optional ccpulse.toml).
    #[arg(
        long,
        global = true,
        env = "CCPULSE_DATA",
        default_value = "./ccpulse-data"
    )]
    pub data: PathBuf,
    /// Configuration file (default: ccpulse.toml in the data directory).
    #[arg(long, global = true, env = "CCPULSE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the data lives: the embedded DuckDB file in the data directory (default), or a
    /// ClickHouse server or cluster, `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE`
    /// (set it up with `ccpulse store init`).
    #[arg(long, global = true, env = "CCPULSE_STORE")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
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
pub enum TailFormat {
    #[value(name = "queue_log")]
    QueueLog,
}

#[derive(Subcommand)]
pub enum Command {
    /// Import records from files (`-` for stdin, `.gz` accepted).
    Import(ImportArgs),
    /// Follow a growing file, importing each complete line as it is written. Every read is
    /// committed with its offset: after a crash or kill, the next start resumes exactly where
    /// the last commit ended. Rotation by rename and truncation are followed.
    Tail(TailArgs),
    /// Inspect rejected records.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Set up the store: the data directory's DuckDB file, or the tables of a ClickHouse
    /// store (`--store clickhouse://...`), on one server or distributed over a cluster.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// List the metric catalog.
    Metrics(MetricsArgs),
    /// KPIs by any period and dimension.
    Kpi(KpiArgs),
    /// The contacts behind a figure (drill-down), or one contact whole with `--id`.
    Contacts(ContactsArgs),
    /// Agents against the median of their team or queue: robust z-scores and flags.
    Agents(AgentsArgs),
    /// The audit log: who asked what (list), and whether it is intact (verify).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Hot topics: categories of contacts and complaints ranked by volume, their change on
    /// the previous period, the biggest risers.
    Topics(TopicsArgs),
    /// Channel efficiency: requests, resolution in the channel, satisfaction, AHT and cost
    /// share per service channel (IVR, voice bot, agent, chat ...).
    Channels(ChannelsArgs),
    /// Erlang C or Erlang A: one case, the fewest agents for a service level
    /// (`--target-sl`), or a CSV of cases (`--input`) with the figures appended.
    Erlang(ErlangArgs),
    /// A queue's calls and handle time per interval, forecast from its history (weekday and
    /// time of day, trend, the tenant's calendar of special days), with the error the same
    /// method made on the last 4 weeks.
    Forecast(ForecastArgs),
    /// A day's staffing plan for a queue: per interval the forecast, the agents required for
    /// the service level (Erlang C, or Erlang A with `--patience`), what they would give, and
    /// the heads to schedule after shrinkage.
    Staffing(StaffingArgs),
    /// Generate a demo tenant and show this month's KPIs per queue.
    Demo(DemoArgs),
    /// Measure import and query speed on generated contacts.
    Bench(BenchArgs),
    /// Load benchmark of the server: events/s, time to 202, delivery to many event streams,
    /// memory over time (starts `ccpulse serve` on loopback over a temporary directory).
    BenchServer(BenchServerArgs),
    /// Print the effective configuration.
    Config,
    /// Serve the API, the live wallboard and alerts (http://127.0.0.1:8080 by default).
    Serve(ServeArgs),
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
    /// Saved views of the explore page: list, show, save, run for a period, delete.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// Reports the running server generates for every past period (missed runs caught up).
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    /// Tenant of records that name none; records naming another tenant are rejected.
    #[arg(long, value_parser = TenantId::new)]
    pub tenant: Option<TenantId>,
    /// Exit 1 when any record was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Mapping (TOML; see mappings/): columns to fields for `--format csv` and `xlsx`
    /// (required), contexts to directions for `asterisk-cdr`, attributes to fields for
    /// `connect-ctr`.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[arg(required = true)]
    pub files: Vec<String>,
}

#[derive(Args)]
pub struct TailArgs {
    #[arg(long, value_enum)]
    pub format: TailFormat,
    #[arg(long, value_parser = TenantId::new)]
    pub tenant: Option<TenantId>,
    /// How often to look for new lines, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
    /// Read what is there now and exit.
    #[arg(long)]
    pub once: bool,
    /// Print the summary as JSON (with --once).
    #[arg(long)]
    pub json: bool,
    pub file: String,
}

#[derive(Args)]
pub struct MetricsArgs {
    #[arg(long)]
    pub lang: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// The range and filters of a question (`kpi`, `contacts`).
#[derive(Args)]
pub struct ScopeArgs {
    /// Inclusive start, tenant-local (2021-01-01 or 2021-01-01T09:00).
    #[arg(long)]
    pub from: Option<String>,
    /// Exclusive end, tenant-local.
    #[arg(long)]
    pub to: Option<String>,
    /// KEY=V1[,V2]; repeatable, all must hold.
    #[arg(long = "filter")]
    pub filters: Vec<String>,
}

#[derive(Args)]
pub struct KpiArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// Comma-separated metrics, e.g. answered,service_level[threshold=15].
    #[arg(
        long,
        default_value = "offered,answered,abandoned,answer_rate,service_level,asa,aht"
    )]
    pub metrics: String,
    /// Buckets (15min, 30min, hour, day, week, month, quarter, year) and dimensions.
    #[arg(long)]
    pub by: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long)]
    pub lang: Option<String>,
    /// Show each metric's formula, parameters, numerator, denominator and the SQL.
    #[arg(long)]
    pub explain: bool,
    /// Give empty buckets a row too.
    #[arg(long)]
    pub fill: bool,
}

#[derive(Args)]
pub struct ContactsArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// The metric whose contacts to list, as `kpi` takes it (service_level[threshold=15]).
    #[arg(long, required_unless_present = "id")]
    pub metric: Option<String>,
    /// numerator (what the metric counts; the default) or denominator (what it divides by).
    #[arg(long)]
    pub part: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// A field to sort by, `-` first for descending (-wait_s); default: arrival.
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Contacts per page (1 to 10,000; default 50).
    #[arg(long)]
    pub limit: Option<String>,
    /// Contacts to skip.
    #[arg(long)]
    pub offset: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// One contact with every field and its timeline (JSON), instead of a list.
    #[arg(long, conflicts_with = "metric")]
    pub id: Option<String>,
    /// Show customers' numbers unmasked; needs --reason, and goes into the audit log.
    #[arg(long, requires = "reason")]
    pub unmask: bool,
    /// Why the numbers are needed unmasked (recorded in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Args)]
pub struct AgentsArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// 2021, 2021-Q3, 2021-06 or 2021-01-01..2021-07-01 (end exclusive).
    #[arg(long)]
    pub period: String,
    /// Compare each agent with their team's or their queue's agents.
    #[arg(long, default_value = "team")]
    pub by: String,
    /// Comma-separated metrics to judge.
    #[arg(long, default_value = ccpulse_report::agents::DEFAULT_METRICS)]
    pub metrics: String,
    /// |z| above this flags an agent (outstanding or needs improvement).
    #[arg(long, default_value_t = 3.0)]
    pub threshold: f64,
    /// Agents with fewer handled contacts are shown but not flagged.
    #[arg(long, default_value_t = 20)]
    pub min_handled: u64,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Args)]
pub struct TopicsArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// 2021, 2021-Q3, 2021-06 or 2021-01-01..2021-07-01 (end exclusive).
    #[arg(long)]
    pub period: String,
    /// How many topics and risers of each kind to show.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Records, oldest first (the newest --limit).
    List {
        /// At or after this time (RFC 3339, UTC: 2026-12-04T08:00:00Z, or a date).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        actor: Option<String>,
        /// Records whose action contains this (`kpi`, `login`, `contacts`, `cli import`).
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Checks every record's chain and hash and the head: exit 0 with the count when intact,
    /// 1 naming the first record changed, removed or inserted, or a cut tail.
    Verify,
}

#[derive(Args)]
pub struct ChannelsArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// 2021, 2021-Q3, 2021-06 or 2021-01-01..2021-07-01 (end exclusive).
    #[arg(long)]
    pub period: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "demo", value_parser = TenantId::new)]
    pub tenant: TenantId,
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Contacts on a typical weekday.
    #[arg(long, default_value_t = 1500.0)]
    pub daily: f64,
}

/// The queueing model of `erlang`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErlangModel {
    /// Erlang C (M/M/n): callers wait as long as it takes.
    C,
    /// Erlang A (M/M/n+M): callers hang up after an exponential patience (`--patience`).
    A,
}

#[derive(Args)]
pub struct ErlangArgs {
    #[arg(long, value_enum, default_value = "c")]
    pub model: ErlangModel,
    /// Arrivals an hour.
    #[arg(long)]
    pub calls_per_hour: Option<f64>,
    /// Average handle time, seconds.
    #[arg(long)]
    pub aht: Option<f64>,
    /// Agents answering.
    #[arg(long)]
    pub agents: Option<u32>,
    /// The service level's threshold, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub target: f64,
    /// Callers' mean patience, seconds (Erlang A).
    #[arg(long)]
    pub patience: Option<f64>,
    /// Instead of `--agents`: the fewest agents whose service level reaches this (0.8 = 80 %).
    #[arg(long)]
    pub target_sl: Option<f64>,
    /// With `--target-sl`: and whose occupancy is at most this.
    #[arg(long, default_value_t = 1.0)]
    pub max_occupancy: f64,
    /// A CSV of cases: columns calls_per_hour, aht_s, agents, target_s (and mean_patience_s
    /// for Erlang A); printed back with the figures appended.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args)]
pub struct ForecastArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    #[arg(long)]
    pub queue: String,
    /// The first day forecast (tenant-local, YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// 15min, 30min or hour.
    #[arg(long, default_value = "15min")]
    pub interval: String,
    /// Weeks of history the forecast is fitted on.
    #[arg(long, default_value_t = 8)]
    pub weeks: u32,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Output formats of `staffing`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StaffingFormat {
    Table,
    Json,
    Csv,
    /// A workbook with the plan and its charts (needs --out).
    Xlsx,
    /// A page with the plan and its charts (needs --out).
    Html,
}

#[derive(Args)]
pub struct StaffingArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    #[arg(long)]
    pub queue: String,
    /// The day planned (tenant-local, YYYY-MM-DD).
    #[arg(long)]
    pub date: String,
    /// Fraction of calls to answer within --threshold.
    #[arg(long, default_value_t = 0.8)]
    pub target_sl: f64,
    /// Seconds.
    #[arg(long, default_value_t = 20.0)]
    pub threshold: f64,
    /// Callers' mean patience in seconds for Erlang A, or `auto` for the queue's own (its
    /// waits over its abandons); without it, Erlang C.
    #[arg(long)]
    pub patience: Option<String>,
    /// Fraction of paid time agents are off the phones (breaks, training, absence).
    #[arg(long, default_value_t = 0.3)]
    pub shrinkage: f64,
    #[arg(long, default_value_t = 0.85)]
    pub max_occupancy: f64,
    /// 15min, 30min or hour.
    #[arg(long, default_value = "15min")]
    pub interval: String,
    /// Weeks of history the forecast is fitted on.
    #[arg(long, default_value_t = 8)]
    pub weeks: u32,
    #[arg(long, value_enum, default_value = "table")]
    pub format: StaffingFormat,
    /// Where xlsx or html goes.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// zh-CN or en (default: the configuration's).
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Args)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: u64,
    /// Instead: a queue_log of about this many lines (parse, assemble, import).
    #[arg(long)]
    pub queue_log: Option<u64>,
    #[arg(long)]
    pub json: bool,
    /// Work here instead of a temporary directory (kept afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Against ClickHouse: start this many local servers from Debian's clickhouse-server in
    /// the bench's directory (1: one server; 2 or more: a cluster with a shard on each) and
    /// compare them with DuckDB, as `--store clickhouse://...` does with a server of yours.
    #[arg(long)]
    pub local_clickhouse: Option<usize>,
}

#[derive(Args)]
pub struct BenchServerArgs {
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Threads posting events, each as fast as the server answers it (more posters make
    /// bigger group commits and longer waits: 4 x 500 events in flight is 100 ms of
    /// queue at 20,000 events/s).
    #[arg(long, default_value_t = 4)]
    pub posters: usize,
    /// Events per request.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Open event streams (SSE clients).
    #[arg(long, default_value_t = 500)]
    pub clients: usize,
    /// Post at most this many events a second in all (paced evenly over the posters),
    /// to measure the server at a given load rather than at its limit.
    #[arg(long)]
    pub rate: Option<u64>,
    #[arg(long)]
    pub json: bool,
    /// A soak instead: valid posters (`--posters`), bad lines among good, 10 MB and oversize
    /// bodies, slow and idle connections and a `kill -9` with a restart halfway; then checks
    /// that every acknowledged contact is counted once (exit 1 if not).
    #[arg(long)]
    pub chaos: bool,
    /// Instead: the server's peak memory under one 60 MB request and three 50 MB ones at once.
    #[arg(long)]
    pub big_bodies: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Create the demo tenant (30 days of history) and user `demo` if missing, and run a
    /// live simulator of the demo center.
    #[arg(long)]
    pub demo: bool,
    /// POST firing and resolved alerts to this URL (besides `webhook` in alerts.toml).
    #[arg(long)]
    pub webhook: Option<String>,
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// The tenant's templates.
    List {
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
        #[arg(long)]
        json: bool,
    },
    /// One template's view (JSON).
    Show {
        name: String,
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
    },
    /// Save a view under a name (as the explore page does).
    Save {
        name: String,
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
        /// Comma-separated metrics, as `kpi --metrics`.
        #[arg(long)]
        metrics: String,
        /// Buckets and dimensions, as `kpi --by`.
        #[arg(long)]
        by: Option<String>,
        /// KEY=V1[,V2]; repeatable.
        #[arg(long = "filter")]
        filters: Vec<String>,
        /// Visible to everyone who may see the tenant (default: its owner only).
        #[arg(long)]
        shared: bool,
        /// The owner's user name.
        #[arg(long, default_value = "admin")]
        owner: String,
    },
    /// The template's report for a period (as `report`: HTML, XLSX, JSON or PDF).
    Run {
        name: String,
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Remove a template.
    Delete {
        name: String,
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
    },
}

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Add (or replace) a schedule; prints its id.
    Add {
        /// operations, scorecard or quality, or template:NAME for a saved view.
        #[arg(long)]
        report: String,
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
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
        #[arg(long, value_parser = TenantId::new)]
        tenant: Option<TenantId>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a schedule (its reports stay).
    Remove {
        #[arg(long, default_value = "default", value_parser = TenantId::new)]
        tenant: TenantId,
        id: String,
    },
}

/// What every report takes.
#[derive(Args)]
pub struct ReportArgs {
    #[arg(long, default_value = "default", value_parser = TenantId::new)]
    pub tenant: TenantId,
    /// 2021, 2021-Q3, 2021-06 or 2021-01-01..2021-07-01 (end exclusive).
    #[arg(long)]
    pub period: String,
    /// html, xlsx, json or pdf (default: from --out's extension; JSON on stdout without --out).
    #[arg(long)]
    pub format: Option<String>,
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// zh-CN (default) or en.
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Seed 000's operations report: summary, monthly (or daily) table, complaints,
    /// dissatisfied calls, satisfaction, trends.
    Operations {
        #[command(flatten)]
        args: ReportArgs,
        /// Add the same table for the N previous years.
        #[arg(long, default_value_t = 0)]
        compare: u16,
        /// How many complaints and dissatisfied calls to list one by one: a number, or `all`
        /// (default 50; the count of all is always given).
        #[arg(long, default_value = "50")]
        details: String,
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
pub enum UserCommand {
    /// Add a user (or change its role and password).
    Add {
        name: String,
        /// admin, manager, supervisor, analyst, agent, viewer, ingest or operator.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        scope: UserScopeArgs,
    },
    /// Change a user's role or scope (what is not given stays; an empty list, e.g.
    /// `--queues ""`, lifts that limit).
    Set {
        name: String,
        #[arg(long)]
        role: Option<String>,
        #[command(flatten)]
        scope: UserScopeArgs,
    },
    /// Disable a user: they sign in no more and their tokens and sessions open nothing,
    /// until `user enable`.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's password (read from the first line of standard input); their sessions
    /// end.
    Password {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user with their tokens and sessions.
    Remove { name: String },
}

/// What a user may see: tenants, and within them queues, provinces or one agent.
#[derive(clap::Args, Debug, Default)]
pub struct UserScopeArgs {
    /// Tenants the user may see, comma-separated (default: all).
    #[arg(long)]
    pub tenants: Option<String>,
    /// Within them, only the contacts of these queues (comma-separated).
    #[arg(long)]
    pub queues: Option<String>,
    /// ... of callers from these provinces (comma-separated, e.g. 广东,北京).
    #[arg(long)]
    pub regions: Option<String>,
    /// ... handled by this agent (role agent: the agent the user is).
    #[arg(long)]
    pub agent: Option<String>,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; prints it (once) on the last line.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: Option<String>,
        /// The token stops working after this many days (default: until revoked).
        #[arg(long)]
        expires_days: Option<u32>,
        /// The token only reads, whatever the user's role may do.
        #[arg(long)]
        read_only: bool,
    },
    /// Every token: its id (never the token), user, label, when it was made.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (as `token list` shows it).
    Revoke { id: String },
}

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Alerts that fired and resolved, newest first.
    List {
        #[arg(long, value_parser = TenantId::new)]
        tenant: Option<TenantId>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum QuarantineCommand {
    /// List rejected records with file, line, field and reason.
    List {
        #[arg(long, value_parser = TenantId::new)]
        tenant: Option<TenantId>,
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
        #[arg(long, value_parser = TenantId::new)]
        tenant: Option<TenantId>,
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
pub enum StoreCommand {
    /// Create the database and its tables, or bring them to this version's schema; safe to
    /// run again.
    Init {
        /// ClickHouse: distribute every table over this cluster (a `remote_servers` entry of
        /// the servers' configuration): a `<table>_local` on every server, sharded by tenant
        /// and contact id, and a `Distributed` `<table>` over them.
        #[arg(long)]
        cluster: Option<String>,
        /// ClickHouse: the HTTP addresses of the cluster's servers in its order
        /// (`http://host:8123`), when they differ from each shard's host on --store's port.
        #[arg(long, value_delimiter = ',')]
        nodes: Vec<String>,
    },
    /// Copy every tenant (settings and contacts) of the data directory's DuckDB file to a
    /// ClickHouse store set up by `store init`: moving a center to ClickHouse.
    Copy {
        /// The ClickHouse store, `clickhouse://HOST:8123/DATABASE`.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create or change a tenant; a new time zone recomputes its local columns.
    Set {
        #[arg(value_parser = TenantId::new)]
        name: TenantId,
        #[arg(long)]
        timezone: Option<String>,
        /// Default service-level threshold, seconds.
        #[arg(long)]
        service_level_threshold: Option<f64>,
        /// Abandons shorter than this are short abandons, seconds.
        #[arg(long)]
        short_abandon: Option<f64>,
        /// Upper bounds of the wait bands, seconds, ascending (`10,20,30,60,120,300`).
        #[arg(long)]
        wait_bands: Option<String>,
        /// Handled calls shorter than this are ultra-short, seconds (default 10).
        #[arg(long)]
        ultra_short_talk: Option<f64>,
        /// Handled calls longer than this many times their queue's 95th percentile of talk
        /// (over the last 30 days) are ultra-long (default 3).
        #[arg(long)]
        ultra_long_factor: Option<f64>,
        /// A contact is a repeat when the same customer came about the same category this
        /// many days before or less (default 7).
        #[arg(long)]
        repeat_days: Option<f64>,
        /// How customers' numbers are masked wherever they leave the store: the characters
        /// kept at the start and the end (default `3,4`: 138****5678; `0,4`: *******5678).
        #[arg(long)]
        mask: Option<String>,
        /// A contact in progress with no step for this many minutes leaves the live floor and
        /// is quarantined as abandoned-unknown (default 240).
        #[arg(long)]
        open_limit: Option<f64>,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
}
