//! Configuration: defaults < `ccpulse.toml` (in the data directory, or `--config`) <
//! environment (`CCPULSE_…`) < flags.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

/// The settings a `ccpulse.toml` may hold; unknown keys are an error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// DuckDB memory limit, e.g. `2GB`.
    pub memory_limit: Option<String>,
    /// DuckDB worker threads.
    pub threads: Option<u32>,
    /// DuckDB's `checkpoint_threshold`: the write-ahead log size at which a commit folds it
    /// into the database file, e.g. `256MB`.
    pub checkpoint_threshold: Option<String>,
    /// Default output language, `zh-CN` or `en`.
    pub lang: Option<String>,
    /// The folder report schedules write inside (default: `reports` in the data directory).
    pub reports_dir: Option<PathBuf>,
    /// URL prefixes a report schedule's webhook may start with (default: none allowed).
    #[serde(default)]
    pub webhook_allow: Vec<String>,
    /// How far ahead of the server's clock a posted event may be, seconds (default 300).
    pub max_clock_skew: Option<u64>,
    /// The longest duration (`hold_s`, the span of a contact's times) a record may report,
    /// seconds (default 604800: 7 days); longer is a located rejection.
    pub max_duration_s: Option<u64>,
    /// The longest text field, bytes (default 1024).
    pub max_text_bytes: Option<usize>,
    /// The server's limits on clients: timeouts, connections, body size and memory.
    #[serde(default)]
    pub server: ServerLimitsFile,
    /// Where the data lives (as `--store`): a `clickhouse://` address; default the data
    /// directory's DuckDB file.
    pub store: Option<String>,
    /// ClickHouse's user and password, when the `clickhouse://` address does not carry them.
    pub clickhouse_user: Option<String>,
    pub clickhouse_password: Option<String>,
}

/// `[server]` in `ccpulse.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerLimitsFile {
    /// Seconds a client has to send a request's head once the connection is ready for one
    /// (a new connection, or an idle keep-alive one): default 10.
    pub header_timeout_s: Option<u64>,
    /// Seconds a client has to send a request's whole body: default 60.
    pub body_timeout_s: Option<u64>,
    /// Connections open at once (default 1024, at most the open-file limit less 64); past
    /// it a new connection is answered 503 and closed.
    pub max_connections: Option<usize>,
    /// The largest request body, MiB (default 64).
    pub max_body_mb: Option<usize>,
    /// Request bodies held in memory at once, MiB (default 256): past it a request waits
    /// for others to finish (up to the body timeout, then 503).
    pub body_memory_mb: Option<usize>,
}

/// The effective configuration.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Config {
    pub data: PathBuf,
    /// Where the file layer came from, if any.
    pub config_file: Option<PathBuf>,
    pub memory_limit: Option<String>,
    pub threads: Option<u32>,
    pub checkpoint_threshold: Option<String>,
    pub lang: String,
    pub reports_dir: PathBuf,
    pub webhook_allow: Vec<String>,
    /// Seconds a posted event may be ahead of the server's clock.
    pub max_clock_skew: u64,
    /// Bounds on values: the longest duration (s) and text field (bytes).
    pub max_duration_s: u64,
    pub max_text_bytes: usize,
    /// The server's limits on clients.
    pub server: ServerLimitsFile,
    /// A `clickhouse://` store, when the data lives there (`--store`, `CCPULSE_STORE`, `store`);
    /// not printed (it may hold a password).
    #[serde(skip)]
    pub store_url: Option<String>,
    pub clickhouse_user: Option<String>,
    #[serde(skip)]
    pub clickhouse_password: Option<String>,
}

impl Config {
    /// Builds the configuration for data directory `data` and an optional explicit file.
    pub fn load(data: &Path, explicit: Option<&Path>) -> anyhow::Result<Self> {
        let default_file = data.join("ccpulse.toml");
        let file = match explicit {
            Some(p) => Some(p.to_owned()),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        let read = match &file {
            Some(p) => ccpulse_store::files::read_optional(p)?
                .with_context(|| format!("{}: cannot read: no such file", p.display()))
                .map(Some)?,
            None => None,
        };
        let from_file = match read {
            Some((origin, text)) => toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("{origin}: invalid configuration"))?,
            None => FileConfig::default(),
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let threads = match env("CCPULSE_THREADS") {
            Some(t) => Some(
                t.parse()
                    .with_context(|| format!("CCPULSE_THREADS=`{t}` is not a number"))?,
            ),
            None => from_file.threads,
        };
        let lang = env("CCPULSE_LANG")
            .or(from_file.lang)
            .unwrap_or_else(|| "zh-CN".to_owned());
        if !matches!(lang.as_str(), "zh-CN" | "en") {
            bail!("language `{lang}` is not zh-CN or en");
        }
        Ok(Self {
            data: data.to_owned(),
            config_file: file,
            memory_limit: env("CCPULSE_MEMORY_LIMIT").or(from_file.memory_limit),
            threads,
            checkpoint_threshold: env("CCPULSE_CHECKPOINT_THRESHOLD")
                .or(from_file.checkpoint_threshold),
            lang,
            reports_dir: from_file
                .reports_dir
                .unwrap_or_else(|| data.join("reports")),
            webhook_allow: from_file.webhook_allow,
            max_clock_skew: from_file.max_clock_skew.unwrap_or(300),
            max_duration_s: from_file
                .max_duration_s
                .unwrap_or(ccpulse_ingest::contacts::limits::DEFAULT_MAX_DURATION_S),
            max_text_bytes: from_file
                .max_text_bytes
                .unwrap_or(ccpulse_ingest::contacts::limits::DEFAULT_MAX_TEXT),
            server: from_file.server,
            store_url: from_file.store,
            clickhouse_user: from_file.clickhouse_user,
            clickhouse_password: from_file.clickhouse_password,
        })
    }

    /// The server's limits: the file's, the rest defaults.
    pub fn server_limits(&self) -> ccpulse_server::Limits {
        let d = ccpulse_server::Limits::default();
        let s = &self.server;
        let secs = |v: Option<u64>, d: std::time::Duration| {
            v.map_or(d, |v| std::time::Duration::from_secs(v.max(1)))
        };
        let mib = |v: Option<usize>, d: usize| v.map_or(d, |v| v.max(1).saturating_mul(1 << 20));
        ccpulse_server::Limits {
            header_timeout: secs(s.header_timeout_s, d.header_timeout),
            body_timeout: secs(s.body_timeout_s, d.body_timeout),
            max_connections: s.max_connections.unwrap_or(d.max_connections).max(1),
            max_body: mib(s.max_body_mb, d.max_body),
            body_memory: mib(s.body_memory_mb, d.body_memory),
        }
    }

    /// The store settings of this configuration.
    /// The ClickHouse store configured, if the data lives in one.
    pub fn clickhouse(&self) -> anyhow::Result<Option<ccpulse_store::ClickHouseUrl>> {
        let Some(url) = self
            .store_url
            .as_deref()
            .filter(|u| !u.is_empty() && *u != "duckdb")
        else {
            return Ok(None);
        };
        if !ccpulse_store::ClickHouseUrl::is_clickhouse(url) {
            bail!("--store `{url}`: use clickhouse://HOST:8123/DATABASE, or leave it out for the data directory's DuckDB file");
        }
        Ok(Some(
            ccpulse_store::ClickHouseUrl::parse(url)?.with_credentials(
                self.clickhouse_user.as_deref(),
                self.clickhouse_password.as_deref(),
            ),
        ))
    }

    pub fn store(&self) -> ccpulse_store::StoreConfig {
        ccpulse_store::StoreConfig {
            memory_limit: self.memory_limit.clone(),
            threads: self.threads,
            checkpoint_threshold: self.checkpoint_threshold.clone(),
        }
    }
}
