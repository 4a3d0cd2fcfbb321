//! The audit log: who asked what, append-only and hash-chained, in `<data dir>/audit.jsonl`.
//!
//! Each line is one JSON object: `seq` (1, 2, ...), `at`, `actor`, `action`, `tenant`,
//! `detail`, `prev_hash` (the previous record's `hash`; 64 zeros for the first) and `hash`, the
//! SHA-256 of `prev_hash`, a newline and the record's JSON without `hash`. Changing, removing
//! or inserting a line breaks the chain at that line. The head (the last `seq` and `hash`) is
//! also kept in `audit.head`, so a log cut short is noticed too. Writers of several processes
//! take the file's lock; each record is written in one call and flushed before the caller
//! answers.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The log's file in the data directory.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// The head's file in the data directory.
pub const AUDIT_HEAD_FILE: &str = "audit.head";
/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit log that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("audit log {path}: line {line}: {reason}")]
    Broken {
        path: String,
        line: u64,
        reason: String,
    },
}

/// One record as the file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub tenant: Option<String>,
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The part of a record its hash covers, in the file's field order.
#[derive(Serialize)]
struct Unsigned<'a> {
    seq: u64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    tenant: Option<&'a str>,
    detail: &'a Value,
    prev_hash: &'a str,
}

impl AuditRecord {
    /// The hash the record should carry.
    fn expected_hash(&self) -> String {
        let unsigned = Unsigned {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            tenant: self.tenant.as_deref(),
            detail: &self.detail,
            prev_hash: &self.prev_hash,
        };
        let body = serde_json::to_string(&unsigned).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(body.as_bytes());
        hex(&h.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The last record written: its seq and hash, and the log's length after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

/// The log of one data directory.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    head_path: PathBuf,
    /// Serializes this process's writers (other processes: the file lock).
    write: Mutex<()>,
}

/// What the log holds, found intact.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub records: u64,
    pub head_hash: String,
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Records at or after this RFC 3339 time (compared as text: the log writes UTC `Z`).
    pub since: Option<String>,
    pub actor: Option<String>,
    /// Records whose action contains this.
    pub action: Option<String>,
    pub tenant: Option<String>,
    /// The newest this many.
    pub limit: Option<usize>,
}

impl AuditLog {
    /// The log of the data directory `dir` (created on the first record).
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join(AUDIT_FILE),
            head_path: dir.join(AUDIT_HEAD_FILE),
            write: Mutex::new(()),
        }
    }

    fn io(&self, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Appends a record and flushes it; the caller answers only after this returns.
    pub fn record(
        &self,
        actor: &str,
        action: &str,
        tenant: Option<&str>,
        detail: Value,
    ) -> Result<AuditRecord, AuditError> {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        let result = (|| {
            let (last_seq, prev_hash) = match last_line(&mut file).map_err(|e| self.io(e))? {
                None => (0, GENESIS.to_owned()),
                Some(line) => {
                    let last: AuditRecord =
                        serde_json::from_str(&line).map_err(|e| AuditError::Broken {
                            path: self.path.display().to_string(),
                            line: 0,
                            reason: format!("the last record cannot be read: {e}"),
                        })?;
                    (last.seq, last.hash)
                }
            };
            // Numbering goes on from the highest seq ever written, so a log cut short stays
            // visibly cut (a gap) after the next record. Without a head beside a non-empty log
            // the head stays missing: `verify` keeps saying so until someone looks.
            let head = self.read_head()?;
            let keep_head = head.is_some() || last_seq == 0;
            let seq = head.map_or(last_seq, |h| h.seq.max(last_seq));
            let mut rec = AuditRecord {
                seq: seq + 1,
                at: jiff::Timestamp::now()
                    .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string(),
                actor: actor.to_owned(),
                action: action.to_owned(),
                tenant: tenant.map(str::to_owned),
                detail,
                prev_hash,
                hash: String::new(),
            };
            rec.hash = rec.expected_hash();
            let mut line = serde_json::to_string(&rec).unwrap_or_default();
            line.push('\n');
            file.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
            file.flush().map_err(|e| self.io(e))?;
            if keep_head {
                self.write_head(&Head {
                    seq: rec.seq,
                    hash: rec.hash.clone(),
                })?;
            }
            Ok(rec)
        })();
        let _ = file.unlock();
        result
    }

    /// The head, written in place (fixed length, one write): the seq and hash of the last
    /// record.
    fn write_head(&self, head: &Head) -> Result<(), AuditError> {
        let mut text = serde_json::to_string(head).unwrap_or_default();
        // Padded to a fixed length so that a shorter head never leaves a longer one's tail.
        while text.len() < 127 {
            text.push(' ');
        }
        text.push('\n');
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&self.head_path)
            .map_err(|e| self.io(e))?;
        f.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        f.flush().map_err(|e| self.io(e))
    }

    /// The seq of the last record written (0 before the first), from the head.
    pub fn last_seq(&self) -> Result<u64, AuditError> {
        Ok(self.read_head()?.map_or(0, |h| h.seq))
    }

    fn read_head(&self) -> Result<Option<Head>, AuditError> {
        match std::fs::read_to_string(&self.head_path) {
            Ok(text) => {
                serde_json::from_str(text.trim())
                    .map(Some)
                    .map_err(|e| AuditError::Broken {
                        path: self.head_path.display().to_string(),
                        line: 1,
                        reason: format!("the head cannot be read: {e}"),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Checks every record's seq, chain and hash, and the head against the last record.
    pub fn verify(&self) -> Result<Verified, AuditError> {
        let broken = |line: u64, reason: String| AuditError::Broken {
            path: self.path.display().to_string(),
            line,
            reason,
        };
        let mut prev = GENESIS.to_owned();
        let mut seq = 0u64;
        let file = match File::open(&self.path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(e)),
        };
        if let Some(file) = file {
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let n = i as u64 + 1;
                let line = line.map_err(|e| self.io(e))?;
                let rec: AuditRecord = serde_json::from_str(&line)
                    .map_err(|e| broken(n, format!("not a record ({e})")))?;
                if rec.seq != seq + 1 {
                    return Err(broken(
                        n,
                        format!(
                            "record {} expected, found {}: records were removed or inserted here",
                            seq + 1,
                            rec.seq
                        ),
                    ));
                }
                if rec.prev_hash != prev {
                    return Err(broken(
                        n,
                        format!(
                            "record {} does not follow record {seq}: its prev_hash is not that record's hash (a record before it was changed, or this one was)",
                            rec.seq
                        ),
                    ));
                }
                if rec.hash != rec.expected_hash() {
                    return Err(broken(
                        n,
                        format!(
                            "record {} was changed: its hash does not match its content",
                            rec.seq
                        ),
                    ));
                }
                prev = rec.hash;
                seq = rec.seq;
            }
        }
        match self.read_head()? {
            None if seq == 0 => {}
            None => {
                return Err(broken(
                    seq,
                    format!("the head ({AUDIT_HEAD_FILE}) is missing: the log cannot be checked for a cut tail"),
                ))
            }
            Some(h) if h.seq > seq => {
                return Err(broken(
                    seq,
                    format!(
                        "the log was cut: it ends at record {seq}, the head says {}",
                        h.seq
                    ),
                ))
            }
            Some(h) if h.seq < seq => {
                return Err(broken(
                    h.seq,
                    format!(
                        "records after {} were added behind the head's back, or the writer stopped between a record and its head (the log ends at {seq})",
                        h.seq
                    ),
                ))
            }
            Some(h) if h.hash != prev => {
                return Err(broken(
                    seq,
                    format!("the last record {seq} is not the one the head recorded"),
                ))
            }
            Some(_) => {}
        }
        Ok(Verified {
            records: seq,
            head_hash: prev,
        })
    }

    /// Records matching `filter`, oldest first (the newest `limit` of them).
    pub fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, AuditError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut out = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| self.io(e))?;
            let rec: AuditRecord = serde_json::from_str(&line).map_err(|e| AuditError::Broken {
                path: self.path.display().to_string(),
                line: i as u64 + 1,
                reason: format!("not a record ({e})"),
            })?;
            let keep = filter.since.as_deref().is_none_or(|s| rec.at.as_str() >= s)
                && filter.actor.as_deref().is_none_or(|a| rec.actor == a)
                && filter
                    .action
                    .as_deref()
                    .is_none_or(|a| rec.action.contains(a))
                && filter
                    .tenant
                    .as_deref()
                    .is_none_or(|t| rec.tenant.as_deref() == Some(t));
            if keep {
                out.push(rec);
            }
        }
        if let Some(n) = filter.limit {
            let skip = out.len().saturating_sub(n);
            out.drain(..skip);
        }
        Ok(out)
    }
}

/// The file's last line (without its line end), if any.
fn last_line(file: &mut File) -> std::io::Result<Option<String>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    // Read backwards in growing windows until a line start is found.
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(pos) = body.iter().rposition(|b| *b == b'\n') {
            return Ok(Some(String::from_utf8_lossy(&body[pos + 1..]).into_owned()));
        }
        if start == 0 {
            return Ok(Some(String::from_utf8_lossy(body).into_owned()));
        }
        window *= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(AUDIT_FILE))
            .expect("log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(dir: &Path, lines: &[String]) {
        std::fs::write(dir.join(AUDIT_FILE), lines.join("\n") + "\n").expect("write");
    }

    fn logged(n: u64) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().expect("dir");
        let log = AuditLog::new(dir.path());
        for i in 0..n {
            log.record(
                "ann",
                "GET kpi",
                Some("bank"),
                json!({"metrics": "offered", "i": i}),
            )
            .expect("record");
        }
        (dir, log)
    }

    #[test]
    fn records_chain_and_verify() {
        let (dir, log) = logged(5);
        assert_eq!(log.verify().expect("intact").records, 5);
        let l = lines(dir.path());
        let third: AuditRecord = serde_json::from_str(&l[2]).expect("record");
        let second: AuditRecord = serde_json::from_str(&l[1]).expect("record");
        assert_eq!(third.seq, 3);
        assert_eq!(third.prev_hash, second.hash);
        assert_eq!(
            log.list(&AuditFilter {
                limit: Some(2),
                ..Default::default()
            })
            .expect("list")
            .len(),
            2
        );
        assert_eq!(
            log.list(&AuditFilter {
                actor: Some("bob".into()),
                ..Default::default()
            })
            .expect("list")
            .len(),
            0
        );
        // An empty directory is an empty, intact log.
        let empty = tempfile::tempdir().expect("dir");
        assert_eq!(
            AuditLog::new(empty.path()).verify().expect("empty").records,
            0
        );
    }

    #[test]
    fn an_edited_line_is_named() {
        let (dir, log) = logged(5);
        let mut l = lines(dir.path());
        l[2] = l[2].replace("offered", "answered");
        write(dir.path(), &l);
        let e = log.verify().expect_err("edited").to_string();
        assert!(
            e.contains("line 3") && e.contains("record 3 was changed"),
            "{e}"
        );
    }

    #[test]
    fn a_removed_or_inserted_line_is_named() {
        let (dir, log) = logged(5);
        let mut l = lines(dir.path());
        l.remove(1);
        write(dir.path(), &l);
        let e = log.verify().expect_err("removed").to_string();
        assert!(
            e.contains("line 2") && e.contains("record 2 expected, found 3"),
            "{e}"
        );
        let (dir, log) = logged(3);
        let mut l = lines(dir.path());
        l.insert(1, l[1].clone());
        write(dir.path(), &l);
        let e = log.verify().expect_err("inserted").to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn a_cut_tail_is_noticed() {
        let (dir, log) = logged(5);
        let mut l = lines(dir.path());
        l.truncate(3);
        write(dir.path(), &l);
        let e = log.verify().expect_err("cut").to_string();
        assert!(
            e.contains("cut") && e.contains("ends at record 3, the head says 5"),
            "{e}"
        );
        // The next record does not hide the cut: numbering goes on from the head.
        log.record("ann", "x", None, json!({})).expect("record");
        let e = log.verify().expect_err("still cut").to_string();
        assert!(
            e.contains("line 4") && e.contains("record 4 expected, found 6"),
            "{e}"
        );
        // A removed head stays missing however many records follow.
        let (dir, log) = logged(2);
        std::fs::remove_file(dir.path().join(AUDIT_HEAD_FILE)).expect("rm");
        log.record("ann", "x", None, json!({})).expect("record");
        let e = log.verify().expect_err("no head").to_string();
        assert!(e.contains("head") && e.contains("missing"), "{e}");
    }
}
