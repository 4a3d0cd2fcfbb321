//! ClickHouse: the store for a center that outgrows one machine, on a server or a cluster
//! the center already runs (18.16, Debian's package, and later).
//!
//! Over HTTP (port 8123): statements as text, contacts written in batches as `RowBinary`,
//! answers read as `JSONCompact`.
//!
//! Layout (see the README's "ClickHouse"):
//! - `contacts`: `ReplacingMergeTree(_version) ORDER BY (tenant, id)`. A contact written again
//!   is a new row with a higher `_version`; reads say `FINAL`, so each (tenant, id) counts
//!   once, its last version, exactly as DuckDB's upsert keeps it. One partition: a contact
//!   whose time changes on a later import must meet its earlier version in the same merge.
//! - `tenants`: `ReplacingMergeTree(_version) ORDER BY name`, the same way.
//! - `quarantine`: rejected lines with file, line, field and reason, a `ReplacingMergeTree`
//!   keyed by their place (a line rejected again there is kept once).
//! - `ccpulse_schema`: the migrations applied (and the cluster), on every server.
//!
//! On a cluster (`ccpulse store init --cluster NAME`) every table above is `<table>_local` on
//! each server and `<table>` is a `Distributed` table over them, on every server: contacts
//! sharded by `cityHash64(tenant, id)`, so that all versions of a contact live on one shard
//! and `FINAL` there keeps exactly one. Writes go through the `Distributed` table with
//! `insert_distributed_sync` (acknowledged once on the shards).

mod lists;
pub mod local;
mod rowbinary;
mod side;

use std::collections::HashMap;
use std::time::Duration;

use ccpulse_metrics::{compile, Catalog, Dialect, KeyValue, KpiQuery, KpiResult, KpiRow};
use ccpulse_model::{TenantId, DEFAULT_TIMEZONE};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::kpi::{fill_rows, Figures};
use crate::quarantine::NewRejection;
use crate::schema::CONTACT_COLUMNS;
use crate::{ContactRows, RecordBatch, Result, StoreError, Tenant};

/// Schema versions this ccpulse knows.
pub const SCHEMA_VERSION: u32 = 2;

/// Where a ClickHouse store is: `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickHouseUrl {
    pub host: String,
    /// The HTTP port (8123 by default).
    pub port: u16,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl ClickHouseUrl {
    /// Whether `text` names a ClickHouse store.
    pub fn is_clickhouse(text: &str) -> bool {
        text.starts_with("clickhouse://")
    }

    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            StoreError::Invalid(format!(
                "store `{text}`: {why} (expected clickhouse://[user[:password]@]host[:port]/database)"
            ))
        };
        let rest = text
            .strip_prefix("clickhouse://")
            .ok_or_else(|| bad("not a clickhouse:// address"))?;
        let (authority, database) = rest.split_once('/').ok_or_else(|| bad("no database"))?;
        let database = database.trim_end_matches('/');
        if database.is_empty()
            || !database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad("the database is letters, digits and `_`"));
        }
        let (credentials, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (user, password) = match credentials {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
                None => (Some(c.to_owned()), None),
            },
            None => (None, None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad("the port is not a number"))?),
            None => (hostport, 8123),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
            user,
            password,
        })
    }

    /// `clickhouse://host:port/database`, for messages (no credentials).
    pub fn place(&self) -> String {
        format!("clickhouse://{}:{}/{}", self.host, self.port, self.database)
    }

    /// The same store with user and password taken from the configuration where the address
    /// has none.
    pub fn with_credentials(mut self, user: Option<&str>, password: Option<&str>) -> Self {
        if self.user.is_none() {
            self.user = user.map(str::to_owned);
        }
        if self.password.is_none() {
            self.password = password.map(str::to_owned);
        }
        self
    }
}

/// A ClickHouse store. A clone talks to the same database (its own copy of the tenants).
#[derive(Clone)]
pub struct ClickHouseStore {
    agent: ureq::Agent,
    url: ClickHouseUrl,
    /// The cluster the tables are distributed over, when they are.
    cluster: Option<String>,
    tenants: HashMap<String, Tenant>,
    /// The center's own files (the catalog's and standards' additions, names): the data
    /// directory (see [`Self::with_files`]).
    files: std::path::PathBuf,
}

impl std::fmt::Debug for ClickHouseStore {
    /// Its place and cluster: never its credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseStore")
            .field("place", &self.url.place())
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

/// One server's HTTP endpoint.
struct Endpoint<'a> {
    agent: &'a ureq::Agent,
    base: String,
    user: Option<&'a str>,
    password: Option<&'a str>,
}

impl Endpoint<'_> {
    /// Runs `sql` (with `body` as its data, for an INSERT) in `database`; the answer's text.
    fn run(
        &self,
        database: Option<&str>,
        sql: &str,
        body: &[u8],
        settings: &[(&str, &str)],
    ) -> Result<String> {
        let bytes = self.send(database, sql, body, settings)?;
        String::from_utf8(bytes).map_err(|e| {
            StoreError::ClickHouse(format!("{}: an answer that is not text: {e}", self.base))
        })
    }

    /// Runs `sql` in `database`; the answer's bytes (a binary format).
    fn run_bytes(
        &self,
        database: Option<&str>,
        sql: &str,
        settings: &[(&str, &str)],
    ) -> Result<Vec<u8>> {
        self.send(database, sql, &[], settings)
    }

    fn send(
        &self,
        database: Option<&str>,
        sql: &str,
        body: &[u8],
        settings: &[(&str, &str)],
    ) -> Result<Vec<u8>> {
        let mut req = self.agent.post(&self.base);
        if let Some(db) = database {
            req = req.query("database", db);
        }
        // Basic authentication: the password stays out of URLs and the server's query log.
        if let Some(u) = self.user {
            use base64::Engine as _;
            let pair = format!("{u}:{}", self.password.unwrap_or_default());
            let token = base64::engine::general_purpose::STANDARD.encode(pair);
            req = req.header("authorization", &format!("Basic {token}"));
        }
        for (k, v) in settings {
            req = req.query(*k, *v);
        }
        let mut res = if body.is_empty() {
            req.send(sql.as_bytes())
        } else {
            req.query("query", sql).send(body)
        }
        .map_err(|e| StoreError::ClickHouse(format!("{}: {e}", self.base)))?;
        let status = res.status();
        let bytes = res
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()
            .map_err(|e| StoreError::ClickHouse(format!("{}: {e}", self.base)))?;
        if !status.is_success() {
            let first = sql.lines().next().unwrap_or_default();
            return Err(StoreError::ClickHouse(format!(
                "{} ({status}) running `{first}`: {}",
                self.base,
                String::from_utf8_lossy(&bytes).trim()
            )));
        }
        Ok(bytes)
    }
}

/// The `contacts` columns (from the Arrow schema the writers make) with ClickHouse's types,
/// `Nullable` unless DuckDB's table says NOT NULL.
fn contact_columns() -> Result<Vec<(String, String, bool)>> {
    let not_null: Vec<&str> = CONTACT_COLUMNS
        .lines()
        .filter(|l| l.contains("NOT NULL"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    ContactRows::table_schema()
        .fields()
        .iter()
        .map(|f| {
            let nullable = !not_null.contains(&f.name().as_str());
            let t = rowbinary::type_of(f.data_type())?;
            let t = if nullable {
                format!("Nullable({t})")
            } else {
                t.to_owned()
            };
            Ok((f.name().clone(), t, nullable))
        })
        .collect()
}

/// A table of a migration: name, columns, engine and key, sharding key on a cluster.
type TableDef = (&'static str, String, String, &'static str);

/// The tables of schema 2: what is kept beside contacts (see [`side`]).
fn tables_v2() -> Vec<TableDef> {
    side::SIDE_TABLES
        .iter()
        .map(|t| (t.name, t.create_columns(), t.engine(), t.shard))
        .collect()
}

/// The tables of schema 1.
fn tables_v1() -> Result<Vec<TableDef>> {
    let contacts: Vec<String> = contact_columns()?
        .into_iter()
        .map(|(n, t, _)| format!("{n} {t}"))
        .chain(["_version UInt64".to_owned()])
        .collect();
    Ok(vec![
        (
            "tenants",
            "name String, timezone String, service_level_threshold Float64, \
             short_abandon Float64, wait_bands String, ultra_short_talk Float64, \
             ultra_long_factor Float64, repeat_days Float64, mask_keep String, \
             open_limit_minutes Float64, _version UInt64"
                .to_owned(),
            "ReplacingMergeTree(_version) ORDER BY name".to_owned(),
            "cityHash64(name)",
        ),
        (
            "contacts",
            contacts.join(", "),
            "ReplacingMergeTree(_version) ORDER BY (tenant, id)".to_owned(),
            "cityHash64(tenant, id)",
        ),
        (
            "quarantine",
            "tenant String, format String, file String, line UInt64, \
             field Nullable(String), reason String, raw String, rejected_at DateTime('UTC'), \
             qid UInt64 DEFAULT cityHash64(tenant, format, file, line) % 1000000000000"
                .to_owned(),
            // A line rejected again at the same place is kept once, its latest rejection.
            "ReplacingMergeTree(rejected_at) ORDER BY (tenant, qid)".to_owned(),
            "cityHash64(tenant, format, file, line)",
        ),
    ])
}

/// Microseconds since the epoch now: the version of rows written now.
fn now_micros() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_microsecond()).unwrap_or(0)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        // 64-bit integers and non-finite floats may come quoted.
        Value::String(s) => s.parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// A contact's field `name` as read, its customer as `reveal` allows (masked keeping `keep`).
fn cell(
    v: &Value,
    name: &str,
    numeric: bool,
    reveal: crate::Reveal,
    keep: [usize; 2],
) -> ccpulse_metrics::Cell {
    if numeric {
        return ccpulse_metrics::Cell::Num(number(v));
    }
    ccpulse_metrics::Cell::Text(match v {
        Value::Null => None,
        Value::String(s) if name == "customer" => {
            Some(crate::lists::reveal_customer(s, reveal, keep))
        }
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

fn key(v: &Value, kind: ccpulse_metrics::OutputKind) -> KeyValue {
    match (v, kind) {
        (Value::Null, _) => KeyValue::Null,
        (Value::String(s), ccpulse_metrics::OutputKind::Text) => KeyValue::Text(s.clone()),
        (other, ccpulse_metrics::OutputKind::Integer) =>
        {
            #[allow(clippy::cast_possible_truncation)]
            number(other).map_or(KeyValue::Null, |n| KeyValue::Int(n as i64))
        }
        (other, ccpulse_metrics::OutputKind::Text) => KeyValue::Text(other.to_string()),
    }
}

impl ClickHouseStore {
    fn new(url: ClickHouseUrl) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(3600)))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            url,
            cluster: None,
            tenants: HashMap::new(),
            files: std::path::PathBuf::from("."),
        }
    }

    /// The store reading the center's own files (`metrics.toml`, `standards.toml`, names) in
    /// `dir`, the data directory.
    #[must_use]
    pub fn with_files(mut self, dir: &std::path::Path) -> Self {
        dir.clone_into(&mut self.files);
        self
    }

    /// The HTTP address of the store's server.
    fn http_base(&self) -> String {
        format!("http://{}:{}/", self.url.host, self.url.port)
    }

    fn endpoint(&self) -> Endpoint<'_> {
        self.endpoint_at(&self.http_base())
    }

    fn endpoint_at(&self, base: &str) -> Endpoint<'_> {
        Endpoint {
            agent: &self.agent,
            base: base.to_owned(),
            user: self.url.user.as_deref(),
            password: self.url.password.as_deref(),
        }
    }

    /// The rows of `sql` as JSON arrays (`FORMAT JSONCompact`).
    fn rows(&self, sql: &str) -> Result<Vec<Vec<Value>>> {
        self.rows_with(sql, &[])
    }

    /// [`Self::rows`] with more settings for this query.
    fn rows_with(&self, sql: &str, settings: &[(&str, &str)]) -> Result<Vec<Vec<Value>>> {
        let mut all = vec![
            ("output_format_json_quote_64bit_integers", "0"),
            // A bucket one part of a question lacks has NULL figures there, as in DuckDB.
            ("join_use_nulls", "1"),
        ];
        all.extend_from_slice(settings);
        let text = self.endpoint().run(
            Some(&self.url.database),
            &format!("{sql}\nFORMAT JSONCompact"),
            &[],
            &all,
        )?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| StoreError::ClickHouse(format!("an answer that is not JSON: {e}")))?;
        Ok(v.get("data")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|r| r.as_array().cloned().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Creates the database and applies the migrations it lacks, on the server of `url`, or
    /// with `cluster` on every server of that cluster (`nodes`: their HTTP addresses, by
    /// default each shard's host on the address's port).
    pub fn init(url: ClickHouseUrl, cluster: Option<&str>, nodes: &[String]) -> Result<Self> {
        let mut store = Self::new(url);
        let db = store.url.database.clone();
        let mut bases = Vec::new();
        if let Some(name) = cluster {
            let hosts = store.endpoint().run(
                None,
                &format!(
                    "SELECT host_address FROM system.clusters WHERE cluster = {} ORDER BY shard_num, replica_num FORMAT TabSeparated",
                    ccpulse_metrics::clickhouse::literal(name)
                ),
                &[],
                &[],
            )?;
            let hosts: Vec<&str> = hosts.lines().filter(|l| !l.is_empty()).collect();
            if hosts.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "the server knows no cluster `{name}` (remote_servers in its config)"
                )));
            }
            if nodes.is_empty() {
                bases.extend(
                    hosts
                        .iter()
                        .map(|h| format!("http://{h}:{}/", store.url.port)),
                );
            } else if nodes.len() != hosts.len() {
                return Err(StoreError::Invalid(format!(
                    "cluster `{name}` has {} servers, --nodes names {}",
                    hosts.len(),
                    nodes.len()
                )));
            } else {
                bases.extend(nodes.iter().map(|n| {
                    let n = n.trim_end_matches('/');
                    let n = n.strip_prefix("clickhouse://").map_or_else(
                        || n.to_owned(),
                        |rest| format!("http://{}", rest.split('/').next().unwrap_or(rest)),
                    );
                    format!("{n}/")
                }));
            }
        } else {
            bases.push(store.http_base());
        }
        for base in &bases {
            store.migrate_node(base, &db, cluster)?;
        }
        store.cluster = cluster.map(str::to_owned);
        store.load_tenants()?;
        Ok(store)
    }

    fn migrate_node(&self, base: &str, db: &str, cluster: Option<&str>) -> Result<()> {
        let node = self.endpoint_at(base);
        node.run(
            None,
            &format!("CREATE DATABASE IF NOT EXISTS {db}"),
            &[],
            &[],
        )?;
        node.run(
            Some(db),
            "CREATE TABLE IF NOT EXISTS ccpulse_schema (version UInt32, cluster String, \
             applied_at DateTime('UTC')) ENGINE = TinyLog",
            &[],
            &[],
        )?;
        let recorded = node.run(
            Some(db),
            "SELECT max(version), any(cluster) FROM ccpulse_schema FORMAT TabSeparated",
            &[],
            &[],
        )?;
        let (applied, had_cluster) = recorded
            .trim_end_matches('\n')
            .split_once('\t')
            .unwrap_or_default();
        let applied: u32 = applied.parse().unwrap_or(0);
        if applied > 0 && had_cluster != cluster.unwrap_or("") {
            return Err(StoreError::Invalid(format!(
                "{base}{db} was set up {} and cannot change to {}",
                if had_cluster.is_empty() {
                    "on one server".to_owned()
                } else {
                    format!("on cluster `{had_cluster}`")
                },
                cluster.map_or("one server".to_owned(), |c| format!("cluster `{c}`"))
            )));
        }
        if applied > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: i64::from(applied),
                known: i64::from(SCHEMA_VERSION),
            });
        }
        let migrations = [(1, tables_v1()?), (2, tables_v2())];
        for (version, tables) in migrations {
            if applied >= version {
                continue;
            }
            for (name, columns, engine, shard) in tables {
                let create = |name: &str, engine: &str| {
                    node.run(
                        Some(db),
                        &format!("CREATE TABLE IF NOT EXISTS {name} ({columns}) ENGINE = {engine}"),
                        &[],
                        &[],
                    )
                };
                match cluster {
                    None => create(name, &engine)?,
                    Some(c) => {
                        create(&format!("{name}_local"), &engine)?;
                        create(
                            name,
                            &format!("Distributed({c}, {db}, {name}_local, {shard})"),
                        )?
                    }
                };
            }
            if version == 2 {
                // Contacts keep their time in microseconds beside the DateTime (seconds), for
                // the gaps between a customer's contacts; a quarantine row may say its place
                // was settled (a replay).
                for (table, column, definition) in [
                    (
                        "contacts",
                        "bucket_us",
                        "Int64 DEFAULT toInt64(bucket_at) * 1000000",
                    ),
                    ("quarantine", "resolved", "UInt8 DEFAULT 0"),
                ] {
                    self.add_column(&node, db, cluster, (table, column, definition))?;
                }
            }
            node.run(
                Some(db),
                &format!(
                    "INSERT INTO ccpulse_schema VALUES ({version}, {}, now())",
                    ccpulse_metrics::clickhouse::literal(cluster.unwrap_or(""))
                ),
                &[],
                &[],
            )?;
        }
        Ok(())
    }

    /// Adds `column` to `table` on `node` (to its local table and its `Distributed` one on
    /// a cluster) unless it is there (18.16 has no `ADD COLUMN IF NOT EXISTS`).
    fn add_column(
        &self,
        node: &Endpoint<'_>,
        db: &str,
        cluster: Option<&str>,
        (table, column, definition): (&str, &str, &str),
    ) -> Result<()> {
        use ccpulse_metrics::clickhouse::literal;
        let local = format!("{table}_local");
        let tables: Vec<&str> = if cluster.is_some() {
            vec![&local, table]
        } else {
            vec![table]
        };
        for t in tables {
            let has = node.run(
                Some(db),
                &format!(
                    "SELECT count() FROM system.columns WHERE database = {} AND table = {} \
                     AND name = {} FORMAT TabSeparated",
                    literal(db),
                    literal(t),
                    literal(column)
                ),
                &[],
                &[],
            )?;
            if has.trim() == "0" {
                node.run(
                    Some(db),
                    &format!("ALTER TABLE {t} ADD COLUMN {column} {definition}"),
                    &[],
                    &[],
                )?;
            }
        }
        Ok(())
    }

    /// Opens a store set up by [`Self::init`] (`ccpulse store init`).
    pub fn open(url: ClickHouseUrl) -> Result<Self> {
        let mut store = Self::new(url);
        let rows = store
            .rows("SELECT max(version), any(cluster) FROM ccpulse_schema")
            .map_err(|e| match e {
                StoreError::ClickHouse(m) if m.contains("doesn't exist") || m.contains("UNKNOWN") => {
                    StoreError::Invalid(format!(
                        "{} is not set up: run `ccpulse --store clickhouse://... store init` first ({m})",
                        store.place()
                    ))
                }
                other => other,
            })?;
        let row = rows.first().cloned().unwrap_or_default();
        let version = row.first().and_then(number).unwrap_or(0.0);
        if version < f64::from(SCHEMA_VERSION) {
            return Err(StoreError::Invalid(format!(
                "{} has schema {version}, this ccpulse needs {SCHEMA_VERSION}: run `ccpulse store init` (with --cluster if it is on one)",
                store.place()
            )));
        }
        if version > f64::from(SCHEMA_VERSION) {
            #[allow(clippy::cast_possible_truncation)]
            let found = version as i64;
            return Err(StoreError::NewerSchema {
                found,
                known: i64::from(SCHEMA_VERSION),
            });
        }
        store.cluster = row
            .get(1)
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        store.load_tenants()?;
        Ok(store)
    }

    /// `clickhouse://host:port/database`, for messages (no credentials).
    pub fn place(&self) -> String {
        self.url.place()
    }

    /// The cluster the tables are distributed over, if any.
    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// Reads the tenants again.
    pub fn load_tenants(&mut self) -> Result<()> {
        let rows = self.rows(
            "SELECT name, timezone, service_level_threshold, short_abandon, wait_bands,
                    ultra_short_talk, ultra_long_factor, repeat_days, mask_keep,
                    open_limit_minutes FROM tenants FINAL",
        )?;
        let mut tenants = HashMap::new();
        for r in rows {
            let text = |i: usize| r.get(i).and_then(Value::as_str).unwrap_or_default();
            let num = |i: usize| r.get(i).and_then(number).unwrap_or(0.0);
            let name = TenantId::new(text(0)).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let timezone = text(1).to_owned();
            let tz =
                TimeZone::get(&timezone).map_err(|_| StoreError::TimeZone(timezone.clone()))?;
            let settings = ccpulse_metrics::TenantSettings {
                service_level_threshold: num(2),
                short_abandon: num(3),
                wait_bands: ccpulse_metrics::TenantSettings::parse_wait_bands(text(4))
                    .map_err(StoreError::Invalid)?,
                ultra_short_talk: num(5),
                ultra_long_factor: num(6),
                repeat_days: num(7),
                mask_keep: ccpulse_metrics::TenantSettings::parse_mask(text(8))
                    .map_err(StoreError::Invalid)?,
                open_limit_minutes: num(9),
            };
            tenants.insert(
                name.to_string(),
                Tenant {
                    name,
                    timezone,
                    tz,
                    settings,
                },
            );
        }
        self.tenants = tenants;
        Ok(())
    }

    /// The tenants, by name.
    pub fn tenants(&self) -> Vec<Tenant> {
        let mut all: Vec<Tenant> = self.tenants.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.get(name)
    }

    /// Creates or changes tenant `name`. A tenant's time zone is fixed once it has contacts
    /// here (their local columns were computed in it).
    pub fn set_tenant(
        &mut self,
        name: &TenantId,
        timezone: Option<&str>,
        settings: Option<ccpulse_metrics::TenantSettings>,
    ) -> Result<Tenant> {
        let before = self.tenants.get(name.as_str()).cloned();
        let tz_name = timezone
            .map(str::to_owned)
            .or_else(|| before.as_ref().map(|t| t.timezone.clone()))
            .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
        TimeZone::get(&tz_name).map_err(|_| StoreError::TimeZone(tz_name.clone()))?;
        if let Some(b) = &before {
            if b.timezone != tz_name && self.count_contacts(name)? > 0 {
                return Err(StoreError::Invalid(format!(
                    "tenant {name} has contacts in {}; changing its time zone on ClickHouse is not supported yet",
                    b.timezone
                )));
            }
        }
        let s = settings
            .or_else(|| before.map(|t| t.settings))
            .unwrap_or_default();
        let row = serde_json::json!({
            "name": name.as_str(),
            "timezone": tz_name,
            "service_level_threshold": s.service_level_threshold,
            "short_abandon": s.short_abandon,
            "wait_bands": s.wait_bands_text(),
            "ultra_short_talk": s.ultra_short_talk,
            "ultra_long_factor": s.ultra_long_factor,
            "repeat_days": s.repeat_days,
            "mask_keep": s.mask_text(),
            "open_limit_minutes": s.open_limit_minutes,
            "_version": now_micros(),
        });
        self.insert("tenants", "JSONEachRow", row.to_string().as_bytes())?;
        self.load_tenants()?;
        self.tenants
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| StoreError::UnknownTenant(name.to_string()))
    }

    /// The tenant `name`, created with the defaults if new.
    pub fn ensure_tenant(&mut self, name: &TenantId) -> Result<Tenant> {
        match self.tenants.get(name.as_str()) {
            Some(t) => Ok(t.clone()),
            None => self.set_tenant(name, None, None),
        }
    }

    /// `body` in `format` into `table` (with its column list, if any); on a cluster
    /// acknowledged once on the shards.
    fn insert(&self, table: &str, format: &str, body: &[u8]) -> Result<()> {
        let sync: &[(&str, &str)] = if self.cluster.is_some() {
            &[("insert_distributed_sync", "1")]
        } else {
            &[]
        };
        self.endpoint().run(
            Some(&self.url.database),
            &format!("INSERT INTO {table} FORMAT {format}"),
            body,
            sync,
        )?;
        Ok(())
    }

    /// Writes contacts (a batch in the columns of [`ContactRows::table_schema`]) as one
    /// insert; a later row of the same (tenant, id) wins over an earlier one, in the batch
    /// and over what is stored.
    pub fn write_contacts(&self, batch: &RecordBatch) -> Result<u64> {
        if batch.num_rows() == 0 {
            return Ok(0);
        }
        let columns = contact_columns()?;
        let nullable: Vec<bool> = columns.iter().map(|c| c.2).collect();
        let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
        let base = now_micros();
        let bucket_at = batch
            .column_by_name("bucket_at")
            .and_then(|c| {
                c.as_any()
                    .downcast_ref::<::duckdb::arrow::array::TimestampMicrosecondArray>()
            })
            .ok_or_else(|| {
                StoreError::Invalid("a contact batch without its bucket_at times".to_owned())
            })?;
        let mut body = Vec::with_capacity(batch.num_rows() * 256);
        rowbinary::encode(
            batch,
            &nullable,
            |row, out| {
                out.extend_from_slice(&(base + row as u64).to_le_bytes());
                out.extend_from_slice(&bucket_at.value(row).to_le_bytes());
            },
            &mut body,
        )?;
        self.insert(
            &format!("contacts ({}, _version, bucket_us)", names.join(", ")),
            "RowBinary",
            &body,
        )?;
        Ok(batch.num_rows() as u64)
    }

    /// Copies every tenant of `from` (settings and contacts) here: what moves a center from
    /// the embedded store to ClickHouse, or brings an import staged there. Contacts are
    /// counted against what is stored here, as an import counts them.
    pub fn copy_from(&mut self, from: &crate::DuckDbStore) -> Result<crate::ImportCounts> {
        let mut counts = crate::ImportCounts::default();
        for t in from.tenants() {
            let (contacts, records) = self.copy_tenant(from, &t)?;
            counts += contacts;
            counts += records;
        }
        Ok(counts)
    }

    /// Copies tenant `t` of `from` (settings, contacts, agents, tickets, the subscriber base,
    /// agent intervals) here; the contacts and the other records counted as an import
    /// counts.
    pub fn copy_tenant(
        &mut self,
        from: &crate::DuckDbStore,
        t: &Tenant,
    ) -> Result<(crate::ImportCounts, crate::ImportCounts)> {
        let mut counts = crate::ImportCounts::default();
        self.sync_tenant(t)?;
        from.contact_batches(&t.name, |batch| {
            counts += self.merge_contacts(&batch)?;
            Ok(())
        })?;
        Ok((counts, self.copy_side_tables(from, &t.name)?))
    }

    /// Makes tenant `t` here what it is there (time zone and settings), when it differs.
    pub fn sync_tenant(&mut self, t: &Tenant) -> Result<()> {
        if self
            .tenant(t.name.as_str())
            .map(|h| (&h.timezone, &h.settings))
            != Some((&t.timezone, &t.settings))
        {
            self.set_tenant(&t.name, Some(&t.timezone), Some(t.settings.clone()))?;
        }
        Ok(())
    }

    /// Brings what the server wrote to `from` lately here: the contacts of `tenant` among
    /// `ids` (those stored there), and, given `since`, its agent intervals open or ended
    /// since then.
    pub fn forward(
        &mut self,
        from: &crate::DuckDbStore,
        tenant: &TenantId,
        ids: &[String],
        since: Option<jiff::Timestamp>,
    ) -> Result<crate::ImportCounts> {
        let t = from
            .tenant(tenant.as_str())
            .cloned()
            .ok_or_else(|| StoreError::UnknownTenant(tenant.to_string()))?;
        self.sync_tenant(&t)?;
        let mut counts = crate::ImportCounts::default();
        from.contacts_among(tenant, ids, |batch| {
            counts += self.merge_contacts(&batch)?;
            Ok(())
        })?;
        if let Some(since) = since {
            self.copy_recent_states(from, tenant, since)?;
        }
        Ok(counts)
    }

    /// Writes the contacts of `batch` (one row per contact) that are new or changed here,
    /// counted inserted, updated or unchanged by their stored fingerprints.
    pub fn merge_contacts(&self, batch: &RecordBatch) -> Result<crate::ImportCounts> {
        use ::duckdb::arrow::array::{Array, AsArray, BooleanArray};
        use ::duckdb::arrow::datatypes::UInt64Type;
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                StoreError::Invalid(format!("a contact batch without its `{name}` column"))
            })
        };
        let (tenants, ids, fps) = (column("tenant")?, column("id")?, column("fingerprint")?);
        let (tenants, ids) = (tenants.as_string::<i32>(), ids.as_string::<i32>());
        let fps = fps.as_primitive::<UInt64Type>();
        let stored = self.stored_fingerprints(
            (0..batch.num_rows()).map(|row| (tenants.value(row), ids.value(row))),
        )?;
        let mut counts = crate::ImportCounts::default();
        let keep: BooleanArray = (0..batch.num_rows())
            .map(|row| {
                let key = (tenants.value(row).to_owned(), ids.value(row).to_owned());
                let fp = (!fps.is_null(row)).then(|| fps.value(row));
                Some(match stored.get(&key) {
                    Some(s) if Some(*s) == fp => {
                        counts.unchanged += 1;
                        false
                    }
                    Some(_) => {
                        counts.updated += 1;
                        true
                    }
                    None => {
                        counts.inserted += 1;
                        true
                    }
                })
            })
            .collect();
        let changed = ::duckdb::arrow::compute::filter_record_batch(batch, &keep)
            .map_err(|e| StoreError::Invalid(format!("arrow filter: {e}")))?;
        self.write_contacts(&changed)?;
        Ok(counts)
    }

    /// The tenants that have contacts here.
    pub fn tenants_with_contacts(&self) -> Result<std::collections::HashSet<TenantId>> {
        self.rows("SELECT DISTINCT tenant FROM contacts")?
            .into_iter()
            .filter_map(|r| r.first().and_then(Value::as_str).map(str::to_owned))
            .map(|t| TenantId::new(&t).map_err(|e| StoreError::Invalid(e.to_string())))
            .collect()
    }

    /// The stored fingerprints (of their last versions) of the contacts among `keys`
    /// (tenant, id) that are stored.
    pub fn stored_fingerprints<'k>(
        &self,
        keys: impl IntoIterator<Item = (&'k str, &'k str)>,
    ) -> Result<HashMap<(String, String), u64>> {
        use ccpulse_metrics::clickhouse::literal;
        let mut by_tenant: HashMap<&str, Vec<&str>> = HashMap::new();
        for (tenant, id) in keys {
            by_tenant.entry(tenant).or_default().push(id);
        }
        let mut out = HashMap::new();
        for (tenant, ids) in by_tenant {
            for chunk in ids.chunks(20_000) {
                let list: Vec<String> = chunk.iter().map(|id| literal(id)).collect();
                let rows = self.rows_with(
                    &format!(
                        "SELECT id, fingerprint FROM contacts FINAL WHERE tenant = {} AND id IN ({})",
                        literal(tenant),
                        list.join(",")
                    ),
                    // The list of ids is longer than a query's default limit (256 KiB).
                    &[("max_query_size", "1073741824")],
                )?;
                for r in rows {
                    let (Some(id), Some(fp)) = (
                        r.first().and_then(Value::as_str),
                        r.get(1).and_then(Value::as_u64),
                    ) else {
                        return Err(StoreError::ClickHouse(format!(
                            "a stored fingerprint that is not (id, number): {r:?}"
                        )));
                    };
                    out.insert((tenant.to_owned(), id.to_owned()), fp);
                }
            }
        }
        Ok(out)
    }

    /// Keeps rejected lines in the quarantine.
    pub fn quarantine(&self, rejections: &[NewRejection]) -> Result<()> {
        let now = jiff::Timestamp::now();
        self.put_quarantine(rejections.iter().map(|r| (r, now, false)))
    }

    /// Writes quarantine rows: each rejection at its time, or its removal (`resolved`, a row
    /// that hides the place's earlier ones: the table keeps a place's latest row).
    fn put_quarantine<'r>(
        &self,
        rows: impl Iterator<Item = (&'r NewRejection, jiff::Timestamp, bool)>,
    ) -> Result<()> {
        let mut body = String::new();
        for (r, at, resolved) in rows {
            body.push_str(
                &serde_json::json!({
                    "tenant": r.tenant, "format": r.format, "file": r.file, "line": r.line,
                    "field": r.field, "reason": r.reason, "raw": r.raw,
                    "rejected_at": at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                    "resolved": u8::from(resolved),
                })
                .to_string(),
            );
            body.push('\n');
        }
        if body.is_empty() {
            return Ok(());
        }
        // The columns named: 18.16 computes `qid`'s DEFAULT for a column left out of the
        // list, not for a field left out of a JSON row (that would be 0 for every row).
        self.insert(
            "quarantine (tenant, format, file, line, field, reason, raw, rejected_at, resolved)",
            "JSONEachRow",
            body.as_bytes(),
        )
    }

    /// Settles replayed entries: those `resolved` leave the quarantine, the others are kept
    /// with their (new) field and reason. Written a second past the entry's time at least,
    /// so the new row is the place's latest.
    pub fn settle_quarantined(&self, settled: &[(crate::QuarantineEntry, bool)]) -> Result<()> {
        let now = jiff::Timestamp::now();
        let rows: Vec<(NewRejection, jiff::Timestamp, bool)> = settled
            .iter()
            .map(|(e, resolved)| {
                let before = e
                    .rejected_at
                    .parse::<jiff::Timestamp>()
                    .map_or(now, |t| t + jiff::SignedDuration::from_secs(1));
                (NewRejection::from(e.clone()), now.max(before), *resolved)
            })
            .collect();
        self.put_quarantine(rows.iter().map(|(r, at, resolved)| (r, *at, *resolved)))
    }

    /// The rejected records (of `tenant`), oldest first; a record's id is a number of its
    /// place (tenant, format, file, line), the same each time it is rejected there.
    pub fn quarantine_entries(
        &self,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<crate::QuarantineEntry>> {
        let wheres = tenant.map_or_else(String::new, |t| {
            format!(
                " AND tenant = {}",
                ccpulse_metrics::clickhouse::literal(t.as_str())
            )
        });
        self.rows(&format!(
            "SELECT qid, tenant, format, file, line, field, reason, raw,
                    formatDateTime(rejected_at, '%Y-%m-%dT%H:%M:%SZ')
             FROM quarantine FINAL WHERE NOT resolved{wheres} ORDER BY rejected_at, tenant, file, line"
        ))?
        .into_iter()
        .map(|r| {
            let text = |i: usize| {
                r.get(i)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let int = |i: usize| r.get(i).and_then(number).unwrap_or(0.0) as u64;
            Ok(crate::QuarantineEntry {
                id: i64::try_from(int(0)).unwrap_or(i64::MAX),
                tenant: text(1),
                format: text(2),
                file: text(3),
                line: int(4),
                field: r.get(5).and_then(Value::as_str).map(str::to_owned),
                reason: text(6),
                raw: text(7),
                rejected_at: text(8),
            })
        })
        .collect()
    }

    /// How many contacts `tenant` has (each once).
    pub fn count_contacts(&self, tenant: &TenantId) -> Result<u64> {
        self.count(&format!(
            "SELECT count() FROM contacts FINAL WHERE tenant = {}",
            ccpulse_metrics::clickhouse::literal(tenant.as_str())
        ))
    }

    fn count(&self, sql: &str) -> Result<u64> {
        let n = self
            .rows(sql)?
            .first()
            .and_then(|r| r.first())
            .and_then(number)
            .unwrap_or(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = n as u64;
        Ok(n)
    }

    /// The tenant's metric defaults; the defaults' defaults for a tenant not stored yet.
    fn settings_of(&self, tenant: &TenantId) -> ccpulse_metrics::TenantSettings {
        self.tenants
            .get(tenant.as_str())
            .map(|t| t.settings.clone())
            .unwrap_or_default()
    }

    /// The question compiled for ClickHouse with the tenant's settings, not run.
    pub fn compile(
        &self,
        catalog: &Catalog,
        query: &KpiQuery,
    ) -> Result<ccpulse_metrics::CompiledQuery> {
        let settings = self.settings_of(&query.tenant);
        let mut compiled = compile(catalog, query, &settings, Dialect::ClickHouse)?;
        if compiled.table == ccpulse_metrics::Table::AgentStates {
            // The slots are the tenant's: its local bounds in UTC, its wall clock.
            let tenant = self
                .tenants
                .get(query.tenant.as_str())
                .ok_or_else(|| StoreError::UnknownTenant(query.tenant.to_string()))?;
            let utc = |local: Option<DateTime>| {
                local
                    .map(|l| {
                        tenant
                            .tz
                            .to_timestamp(l)
                            .map(|t| t.as_microsecond())
                            .map_err(|e| StoreError::Invalid(format!("{l}: {e}")))
                    })
                    .transpose()
            };
            let (from, to) = (utc(query.from)?, utc(query.to)?);
            let now = jiff::Timestamp::now().as_microsecond();
            for sql in [
                &mut compiled.sql,
                &mut compiled.empty_sql,
                &mut compiled.range_sql,
            ] {
                *sql = ccpulse_metrics::clickhouse::bind_agent_states(
                    sql,
                    from,
                    to,
                    now,
                    &tenant.timezone,
                );
            }
        }
        Ok(compiled)
    }

    /// Answers a KPI question, as [`crate::DuckDbStore::ask`] does.
    pub fn ask(&self, catalog: &Catalog, query: &KpiQuery) -> Result<KpiResult> {
        let compiled = self.compile(catalog, query)?;
        let m = compiled.metrics.len();
        let b = compiled.by.len();
        let mut rows = Vec::new();
        for r in self.rows(&compiled.sql)? {
            let cell = |i: usize| r.get(i).unwrap_or(&Value::Null);
            rows.push(KpiRow {
                keys: compiled
                    .by
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| key(cell(i), *kind))
                    .collect(),
                values: (0..m).map(|i| number(cell(b + i))).collect(),
                numerators: (0..m).map(|i| number(cell(b + m + i))).collect(),
                denominators: (0..m).map(|i| number(cell(b + 2 * m + i))).collect(),
            });
        }
        let mut result = KpiResult {
            rows,
            query: compiled,
        };
        if query.fill {
            fill_rows(
                &mut result,
                |q| self.data_range(q),
                |q| self.empty_figures(q),
            )?;
        }
        Ok(result)
    }

    /// The contacts behind `q`'s figure: how many, and the page asked for; customers as
    /// `reveal` allows (masked by the tenant's rule), as [`crate::DuckDbStore::drill`].
    pub fn drill(
        &self,
        catalog: &Catalog,
        q: &ccpulse_metrics::DrillQuery,
        reveal: crate::Reveal,
    ) -> Result<ccpulse_metrics::Drilled> {
        let settings = self.settings_of(&q.tenant);
        let c = ccpulse_metrics::compile_drill_for(catalog, q, &settings, Dialect::ClickHouse)?;
        let total = self.count(&c.count_sql)?;
        let fields = ccpulse_metrics::drill::FIELDS;
        let rows = self
            .rows(&c.rows_sql)?
            .into_iter()
            .map(|r| {
                fields
                    .iter()
                    .zip(r.iter().chain(std::iter::repeat(&Value::Null)))
                    .map(|(f, v)| cell(v, f.name, f.numeric, reveal, settings.mask_keep))
                    .collect()
            })
            .collect();
        Ok(ccpulse_metrics::Drilled { total, rows })
    }

    /// One contact of `tenant` with every field and its timeline (its own times: events are
    /// not kept in ClickHouse), as [`crate::DuckDbStore::contact_card`] gives it; `None` when
    /// there is no such contact.
    pub fn contact_card(
        &self,
        tenant: &TenantId,
        id: &str,
        reveal: crate::Reveal,
    ) -> Result<Option<crate::ContactCard>> {
        use ccpulse_metrics::clickhouse::{expr, literal};
        let keep = self.settings_of(tenant).mask_keep;
        let columns: Vec<(&'static str, &str, bool)> = ccpulse_metrics::drill::FIELDS
            .iter()
            .map(|f| (f.name, f.sql, f.numeric))
            .chain(crate::drill::CARD_EXTRA.iter().copied())
            .collect();
        let sql = columns
            .iter()
            .map(|(name, sql, _)| {
                // Booleans read as DuckDB writes them.
                match sql
                    .strip_prefix("CAST(")
                    .and_then(|s| s.strip_suffix(" AS VARCHAR)"))
                {
                    Some(col) => Ok(format!(
                        "multiIf({col} IS NULL, NULL, {col} = 1, 'true', 'false') AS {name}"
                    )),
                    None => expr(sql).map(|e| format!("{e} AS {name}")),
                }
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let rows = self.rows(&format!(
            "SELECT {} FROM contacts FINAL WHERE tenant = {} AND id = {}",
            sql.join(", "),
            literal(tenant.as_str()),
            literal(id)
        ))?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let fields: Vec<(&'static str, ccpulse_metrics::Cell)> = columns
            .iter()
            .zip(row.iter().chain(std::iter::repeat(&Value::Null)))
            .map(|((name, _, numeric), v)| (*name, cell(v, name, *numeric, reveal, keep)))
            .collect();
        let timeline = crate::drill::moments_of(&fields);
        Ok(Some(crate::ContactCard {
            fields,
            timeline_source: "contact",
            timeline,
        }))
    }

    fn empty_figures(
        &self,
        q: &ccpulse_metrics::CompiledQuery,
    ) -> Result<(Figures, Figures, Figures)> {
        let m = q.metrics.len();
        let row = self
            .rows(&q.empty_sql)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let at = |i: usize| row.get(i).and_then(number);
        Ok((
            (0..m).map(at).collect(),
            (0..m).map(|i| at(m + i)).collect(),
            (0..m).map(|i| at(2 * m + i)).collect(),
        ))
    }

    fn data_range(
        &self,
        q: &ccpulse_metrics::CompiledQuery,
    ) -> Result<(Option<DateTime>, Option<DateTime>)> {
        let rows = self.rows(&format!(
            "SELECT formatDateTime(lo, '%Y-%m-%dT%H:%M:%S'), formatDateTime(hi + 1, '%Y-%m-%dT%H:%M:%S')
             FROM ({}) WHERE cnt > 0",
            q.range_sql.replacen(
                "SELECT min(local_ts), max(local_ts)",
                "SELECT min(local_ts) AS lo, max(local_ts) AS hi, count() AS cnt",
                1
            )
        ))?;
        let parse = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|s| s.parse::<DateTime>().ok())
        };
        Ok(rows
            .first()
            .map_or((None, None), |r| (parse(r.first()), parse(r.get(1)))))
    }
}

impl crate::Store for ClickHouseStore {
    fn tenants(&self) -> Vec<Tenant> {
        ClickHouseStore::tenants(self)
    }
    fn tenant(&self, name: &str) -> Option<&Tenant> {
        ClickHouseStore::tenant(self, name)
    }
    fn ensure_tenant(&mut self, name: &TenantId) -> Result<Tenant> {
        ClickHouseStore::ensure_tenant(self, name)
    }
    fn set_tenant(
        &mut self,
        name: &TenantId,
        timezone: Option<&str>,
        settings: Option<ccpulse_metrics::TenantSettings>,
    ) -> Result<Tenant> {
        ClickHouseStore::set_tenant(self, name, timezone, settings)
    }
    fn count_contacts(&self, tenant: &TenantId) -> Result<u64> {
        ClickHouseStore::count_contacts(self, tenant)
    }
    fn compile(
        &self,
        catalog: &Catalog,
        query: &KpiQuery,
    ) -> Result<ccpulse_metrics::CompiledQuery> {
        ClickHouseStore::compile(self, catalog, query)
    }
    fn ask(&self, catalog: &Catalog, query: &KpiQuery) -> Result<KpiResult> {
        ClickHouseStore::ask(self, catalog, query)
    }
    fn drill(
        &self,
        catalog: &Catalog,
        query: &ccpulse_metrics::DrillQuery,
        reveal: crate::Reveal,
    ) -> Result<ccpulse_metrics::Drilled> {
        ClickHouseStore::drill(self, catalog, query, reveal)
    }
    fn contact_card(
        &self,
        tenant: &TenantId,
        id: &str,
        reveal: crate::Reveal,
    ) -> Result<Option<crate::ContactCard>> {
        ClickHouseStore::contact_card(self, tenant, id, reveal)
    }
    fn quarantine_entries(&self, tenant: Option<&TenantId>) -> Result<Vec<crate::QuarantineEntry>> {
        ClickHouseStore::quarantine_entries(self, tenant)
    }
    fn files_dir(&self) -> &std::path::Path {
        &self.files
    }
    crate::forward_lists!(ClickHouseStore);
}
