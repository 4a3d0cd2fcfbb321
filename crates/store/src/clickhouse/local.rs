//! ClickHouse servers of our own for tests and benchmarks: Debian's `clickhouse-server`
//! started on free loopback ports with its data in a directory of the caller's, stopped when
//! dropped. Two or more make a cluster (`ccpulse_test`, one shard each) over loopback.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, StoreError};

/// A user with a password on the local servers, beside `default` (which has none).
pub const LOCAL_USER: &str = "ccpulse";
pub const LOCAL_PASSWORD: &str = "local-secret";

/// The cluster a group of local servers forms.
pub const LOCAL_CLUSTER: &str = "ccpulse_test";

/// A running server.
pub struct LocalServer {
    child: Child,
    pub http_port: u16,
    pub tcp_port: u16,
    pub dir: PathBuf,
}

/// The server binary: `$CCPULSE_CLICKHOUSE_SERVER`, Debian's `/usr/sbin/clickhouse-server`,
/// or `clickhouse-server` on the PATH.
pub fn server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CCPULSE_CLICKHOUSE_SERVER") {
        return Some(PathBuf::from(p));
    }
    let debian = PathBuf::from("/usr/sbin/clickhouse-server");
    if debian.exists() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("clickhouse-server"))
            .find(|p| p.exists())
    })
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| StoreError::Invalid(format!("no free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| StoreError::Invalid(format!("no free port: {e}")))
}

fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("{what}: {e}"))
}

/// The server's configuration: loopback only, the user `default` without a password and
/// [`LOCAL_USER`] with [`LOCAL_PASSWORD`], data
/// under `dir`, and `cluster` (tcp ports of its shards) as `ccpulse_test`.
fn config(dir: &Path, http: u16, tcp: u16, cluster: &[u16]) -> String {
    let d = dir.display();
    let shards: String = cluster
        .iter()
        .map(|p| {
            format!("<shard><replica><host>127.0.0.1</host><port>{p}</port></replica></shard>")
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <{LOCAL_USER}><password>{LOCAL_PASSWORD}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></{LOCAL_USER}>
  </users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
  <remote_servers><{LOCAL_CLUSTER}>{shards}</{LOCAL_CLUSTER}></remote_servers>
</yandex>
"#
    )
}

impl LocalServer {
    /// Starts one server with its data in `dir` (created), waiting until it answers.
    pub fn start(dir: &Path) -> Result<Self> {
        Ok(Self::cluster(dir, 1)?.remove(0))
    }

    /// Starts `n` servers in subdirectories of `dir`, each knowing all of them as the shards
    /// of cluster [`LOCAL_CLUSTER`].
    pub fn cluster(dir: &Path, n: usize) -> Result<Vec<Self>> {
        let binary = server_binary().ok_or_else(|| {
            StoreError::Invalid(
                "clickhouse-server is not installed (scripts/setup installs it)".to_owned(),
            )
        })?;
        let mut ports = Vec::new();
        while ports.len() < 2 * n {
            let p = free_port()?;
            if !ports.contains(&p) {
                ports.push(p);
            }
        }
        let tcp: Vec<u16> = ports[n..].to_vec();
        let mut servers = Vec::new();
        for i in 0..n {
            let own = dir.join(format!("clickhouse-{i}"));
            std::fs::create_dir_all(&own).map_err(|e| io("server directory", e))?;
            let file = own.join("config.xml");
            std::fs::write(&file, config(&own, ports[i], tcp[i], &tcp))
                .map_err(|e| io("server config", e))?;
            let child = Command::new(&binary)
                .arg(format!("--config-file={}", file.display()))
                .current_dir(&own)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| io(&binary.display().to_string(), e))?;
            servers.push(LocalServer {
                child,
                http_port: ports[i],
                tcp_port: tcp[i],
                dir: own,
            });
        }
        for s in &mut servers {
            s.wait_ready()?;
        }
        Ok(servers)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{}/ping", self.http_port);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        while started.elapsed() < Duration::from_secs(60) {
            if agent.get(&url).call().is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.join("server.err.log")).unwrap_or_default();
                return Err(StoreError::Invalid(format!(
                    "clickhouse-server exited ({status}): {}",
                    log.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(StoreError::Invalid(
            "clickhouse-server did not answer within 60 s".to_owned(),
        ))
    }

    /// `clickhouse://127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("clickhouse://127.0.0.1:{}/{database}", self.http_port)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
