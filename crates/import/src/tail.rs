//! `ccpulse tail --format queue_log FILE`: follows a growing queue_log. Complete lines only
//! are read; each read is assembled and written in one transaction together with the new
//! offset, so after a crash the next start resumes exactly where the last commit ended (no
//! duplicate, no gap). Rotation by rename (the old file's remaining lines are read first,
//! found beside it by its inode) and truncation (read again from the start) are handled.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ccpulse_model::TenantId;
use ccpulse_store::{Checkpoint, DuckDbStore};

use crate::contacts::ImportSummary;
use crate::queue_log::{assemble_and_write, parse_into, ReadLines};

/// Largest read per transaction.
const MAX_READ: u64 = 64 << 20;

/// Bytes at the head of a file whose fingerprint tells a file rewritten in place (truncated
/// and written again to the same length or more) from the one read before.
const HEAD: u64 = 256;

fn file_id(meta: &std::fs::Metadata) -> String {
    format!("{}:{}", meta.dev(), meta.ino())
}

/// `ident#k:hash` of the first `k` bytes of `file` (k = min(HEAD, read so far)).
fn signed_id(ident: &str, file: &Path, read_to: u64) -> std::io::Result<String> {
    let k = read_to.min(HEAD);
    let mut head = Vec::new();
    File::open(file)?.take(k).read_to_end(&mut head)?;
    Ok(format!(
        "{ident}#{k}:{:016x}",
        ccpulse_ingest::fingerprint(&[&head])
    ))
}

/// The identity part of a stored id.
fn ident_of(stored: &str) -> &str {
    stored.split('#').next().unwrap_or(stored)
}

/// The file beside `path` (e.g. `queue_log.1` after a rename) that has identity `id`.
fn find_renamed(path: &Path, id: &str) -> Option<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| file_id(&m) == ident_of(id)))
}

/// Reads complete lines of `file` from `offset`; returns them and the offset after them.
fn read_complete(file: &Path, offset: u64) -> std::io::Result<(Vec<u8>, u64)> {
    let mut f = File::open(file)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::new();
    f.take(MAX_READ).read_to_end(&mut buf)?;
    let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    buf.truncate(complete);
    Ok((buf, offset + complete as u64))
}

/// Where a file has been read to.
#[derive(Debug, Clone, Copy)]
struct Position {
    offset: u64,
    line: u64,
}

/// Imports what `file` has beyond `at`, recording the checkpoint `{key, id, new position}`
/// in the same transaction. `None` when there was no complete line to read.
fn step(
    store: &DuckDbStore,
    tenant: &TenantId,
    key: &str,
    file: &Path,
    id: &str,
    at: Position,
    summary: &mut ImportSummary,
) -> crate::Result<Option<Position>> {
    let (data, end) = read_complete(file, at.offset)?;
    let Some(body) = data.strip_suffix(b"\n") else {
        return Ok(None);
    };
    let mut read = ReadLines::default();
    let mut n = at.line;
    for line in body.split(|b| *b == b'\n') {
        n += 1;
        summary.read += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        parse_into(&mut read, line, n, false);
    }
    let next = Position {
        offset: end,
        line: n,
    };
    let checkpoint = Checkpoint {
        tenant: tenant.clone(),
        path: key.to_owned(),
        file_id: signed_id(ident_of(id), file, next.offset)?,
        byte_offset: next.offset,
        line: next.line,
    };
    assemble_and_write(
        store,
        tenant,
        key,
        read.events,
        read.rejections,
        Some(checkpoint),
        summary,
    )?;
    Ok(Some(next))
}

/// Reads `file` from `at` to its last complete line.
fn drain(
    store: &DuckDbStore,
    tenant: &TenantId,
    key: &str,
    file: &Path,
    id: &str,
    mut at: Position,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    while let Some(next) = step(store, tenant, key, file, id, at, summary)? {
        at = next;
    }
    Ok(())
}

/// What the tail last committed of the followed file: its identity and size then. While the
/// file is unchanged the store is not opened at all.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    id: String,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Seen {
    fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            id: file_id(meta),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// Follows `path` (once through when `once`; else until the process is stopped: every read
/// is committed whole, so stopping it at any moment loses nothing). The store is opened by
/// `open` only while there is something to import and closed again, so that `ccpulse kpi`
/// and the other commands can open it between two reads: a new line is visible to them as
/// soon as it is committed.
pub fn tail(
    open: &dyn Fn() -> crate::Result<DuckDbStore>,
    path: &str,
    tenant: &TenantId,
    poll: Duration,
    once: bool,
) -> crate::Result<ImportSummary> {
    {
        let mut store = open()?;
        store.ensure_tenant(tenant)?;
    }
    let key = std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_owned());
    let mut summary = ImportSummary::default();
    let mut seen: Option<Seen> = None;
    loop {
        match std::fs::metadata(path) {
            Err(error) if once => {
                return Err(crate::ImportError::Io {
                    path: path.to_owned(),
                    error,
                })
            }
            Err(_) => {} // Between a rename and the new file: wait for it.
            Ok(meta) => {
                if seen.as_ref() != Some(&Seen::of(&meta)) {
                    match open() {
                        Ok(store) => {
                            seen = follow_now(&store, tenant, &key, path, &mut summary)?;
                        }
                        // The store is busy for long (a `serve`, a long report): try again
                        // at the next poll; the checkpoint keeps the place.
                        Err(e) if !once && format!("{e:#}").contains("Could not set lock") => {
                            tracing::warn!(error = %e, "the store is busy: reading later");
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if once {
            break;
        }
        std::thread::sleep(poll);
    }
    if summary.open_calls.is_none() {
        summary.open_calls = Some(open()?.open_stints(tenant)?.len() as u64);
    }
    Ok(summary)
}

/// One round with the store open: the file as it is now (it may have been rotated while the
/// store was awaited) is followed. Returns what to skip at the next poll while unchanged:
/// the file as seen before reading it, when its checkpoint is now this file's.
fn follow_now(
    store: &DuckDbStore,
    tenant: &TenantId,
    key: &str,
    path: &str,
    summary: &mut ImportSummary,
) -> crate::Result<Option<Seen>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    let now = Seen::of(&meta);
    follow(store, tenant, key, path, &meta, summary)?;
    summary.open_calls = Some(store.open_stints(tenant)?.len() as u64);
    let read_this = store
        .checkpoint(tenant, key)?
        .is_some_and(|c| ident_of(&c.file_id) == now.id);
    Ok(read_this.then_some(now))
}

/// One round: the rotated-away rest of the file read before, then `path` from its checkpoint.
fn follow(
    store: &DuckDbStore,
    tenant: &TenantId,
    key: &str,
    path: &str,
    meta: &std::fs::Metadata,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    let id = file_id(meta);
    let mut at = Position { offset: 0, line: 0 };
    match store.checkpoint(tenant, key)? {
        Some(c) if ident_of(&c.file_id) == id => {
            at = Position {
                offset: c.byte_offset,
                line: c.line,
            };
            let rewritten =
                meta.len() < at.offset || signed_id(&id, Path::new(path), at.offset)? != c.file_id;
            if rewritten {
                tracing::info!(path, "file truncated: reading it from the start");
                at = Position { offset: 0, line: 0 };
            }
        }
        Some(c) => {
            // Renamed away: finish the old file where it now lives first.
            if let Some(old) = find_renamed(Path::new(path), &c.file_id) {
                let was = Position {
                    offset: c.byte_offset,
                    line: c.line,
                };
                drain(store, tenant, key, &old, &c.file_id, was, summary)?;
                tracing::info!(old = %old.display(), "finished the rotated file");
            }
        }
        None => {}
    }
    drain(store, tenant, key, Path::new(path), &id, at, summary)
}
