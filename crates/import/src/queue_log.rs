//! `ccpulse import --format queue_log`: Asterisk queue_log files into contacts and agent
//! state intervals, each file in one transaction with what it leaves open.

use ccpulse_ingest::queue_log::{
    assemble_streaming, parse_queue_log_line, Assembled, QlEvent, StintContact,
};
use ccpulse_ingest::{LineReader, Rejection};
use ccpulse_model::TenantId;
use std::collections::HashSet;
use std::hash::BuildHasher as _;
use std::sync::{Mutex, PoisonError};

use ccpulse_store::{ContactRows, DuckDbStore, Feed, StoreError, UnknownLine};

use crate::contacts::ImportSummary;
use crate::progress::progress_bar;

/// Lines of one read, parsed, with the rejected ones.
#[derive(Default)]
pub struct ReadLines {
    pub events: Vec<QlEvent>,
    pub rejections: Vec<Rejection>,
}

/// Parses `line` (number `n`); `unterminated` when it had no line ending.
pub fn parse_into(out: &mut ReadLines, bytes: &[u8], n: u64, unterminated: bool) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match parse_queue_log_line(bytes, n) {
        // Asterisk ends every line it writes: a last line without an ending is one still being
        // written, and its last field may be cut (`…|COMPLETECALLER|10|6` for `…|10|60|1`).
        // Its call waits for the complete line (a later import of the file, or `tail`).
        Ok(e) if unterminated => {
            out.rejections.push(Rejection::new(
                n,
                None,
                format!(
                    "last line has no line ending: the file was still being written (its {} \
                     may be cut short); import the file again once it is complete, or follow \
                     it with `ccpulse tail`",
                    e.verb.as_str()
                ),
                bytes,
            ));
        }
        Ok(e) => out.events.push(e),
        Err(mut r) => {
            if unterminated {
                r.reason
                    .push_str(" (last line, no line ending: cut short while being written?)");
            }
            out.rejections.push(r);
        }
    }
}

/// Lines per chunk parsed on one thread.
const PARSE_CHUNK: usize = 65_536;

/// Lines read one after the other into one buffer: (number, where it starts).
#[derive(Default)]
struct RawLines {
    bytes: Vec<u8>,
    lines: Vec<(u64, usize)>,
}

/// Parses one chunk; `unterminated` when its last line is the file's and had no line ending.
fn parse_chunk(chunk: &RawLines, unterminated: bool) -> ReadLines {
    let mut out = ReadLines::default();
    out.events.reserve(chunk.lines.len());
    for (j, &(n, at)) in chunk.lines.iter().enumerate() {
        let end = chunk.lines.get(j + 1).map_or(chunk.bytes.len(), |l| l.1);
        let last_line = j + 1 == chunk.lines.len();
        parse_into(
            &mut out,
            &chunk.bytes[at..end],
            n,
            unterminated && last_line,
        );
    }
    out
}

/// Reads `lines` in chunks and parses them on every core while the rest is read; events and
/// rejections keep the order of the lines. `progress` is called after each chunk read.
fn read_and_parse<R: std::io::BufRead>(
    lines: &mut LineReader<R>,
    summary: &mut ImportSummary,
    progress: impl Fn(),
) -> ReadLines {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let (send, receive) = std::sync::mpsc::sync_channel::<(usize, RawLines, bool)>(threads * 2);
    let receive = Mutex::new(receive);
    let mut parsed: Vec<(usize, ReadLines)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = receive
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .recv();
                        let Ok((i, chunk, unterminated)) = next else {
                            return done;
                        };
                        done.push((i, parse_chunk(&chunk, unterminated)));
                    }
                })
            })
            .collect();
        // A full chunk goes out once the next line is read: only the file's last chunk can end
        // in a line still being written.
        let mut index = 0;
        let mut chunk = RawLines::default();
        loop {
            match lines.append_line(&mut chunk.bytes) {
                Ok(Some((n, at))) => {
                    summary.read += 1;
                    if chunk.lines.len() >= PARSE_CHUNK {
                        // This line begins the next chunk, in a buffer the size of this one
                        // (no growing, no copying as it fills).
                        let mut bytes =
                            Vec::with_capacity(chunk.bytes.len() + chunk.bytes.len() / 8);
                        bytes.extend_from_slice(&chunk.bytes[at..]);
                        chunk.bytes.truncate(at);
                        let mut lines = Vec::with_capacity(PARSE_CHUNK + 1);
                        lines.push((n, 0));
                        let next = RawLines { bytes, lines };
                        let full = std::mem::replace(&mut chunk, next);
                        // No parser left (they cannot fail): nothing more to do.
                        if send.send((index, full, false)).is_err() {
                            break;
                        }
                        index += 1;
                        progress();
                    } else {
                        chunk.lines.push((n, at));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    summary.unreadable.push(e.to_string());
                    break;
                }
            }
        }
        let _ = send.send((index, chunk, lines.last_unterminated()));
        drop(send);
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    parsed.sort_by_key(|(i, _)| *i);
    let mut out = ReadLines::default();
    out.events
        .reserve(parsed.iter().map(|(_, r)| r.events.len()).sum());
    for (_, r) in parsed {
        out.events.extend(r.events);
        out.rejections.extend(r.rejections);
    }
    out
}

/// Assembles a file's events (`events`, with what earlier reads left open for the tenant) and
/// writes the result, its rejections and `checkpoint` in one transaction; adds the counts to
/// `summary`. The assembly runs on a thread of its own and hands its contacts over as it makes
/// them, so that they are written while the rest is assembled.
pub fn assemble_and_write(
    store: &DuckDbStore,
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    rejections: Vec<Rejection>,
    checkpoint: Option<ccpulse_store::Checkpoint>,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    // What an earlier reading of these lines left in the quarantine is settled by this one:
    // a line read again (known by its time, call, queue, agent and event, whatever its data
    // fields say now) leaves it, and whatever this reading rejects is recorded afresh.
    let resolved = resolved_quarantine(store, tenant, &events)?;
    let open_stints = store.open_stints(tenant)?;
    let open_intervals = store.open_intervals(tenant)?;
    // A tenant with nothing stored (a first import) takes the file straight into its tables;
    // otherwise each contact is matched against the stored ones (insert, update, unchanged).
    let fresh = !store.tenant_has_rows(tenant)?;
    let tx = store.transaction()?;
    let (assembled, mut batch) = if fresh {
        let (assembled, repeated, inserted) =
            assemble_into_feed(store, tenant, file, events, open_stints, &open_intervals)?;
        summary.counts.inserted += inserted;
        // A stint the file holds twice: the later one replaces the first.
        let mut batch = store.begin_contacts()?;
        for (c, fp, _) in &repeated {
            batch.append(c, *fp)?;
        }
        (assembled, batch)
    } else {
        let mut batch = store.begin_contacts()?;
        let assembled = std::thread::scope(|scope| -> crate::Result<Assembled> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<StintContact>>(8);
            let assembly = scope.spawn(move || {
                // A closed channel (the writer failed) only means nobody wants the rest.
                let sink = |chunk| drop(send.send(chunk));
                assemble_streaming(tenant, file, events, open_stints, &open_intervals, &sink)
            });
            for chunk in receive {
                // A stint rebuilt from its end alone never replaces what a fuller reading
                // stored.
                let rebuilt: Vec<&str> = chunk
                    .iter()
                    .filter(|(_, _, r)| *r)
                    .map(|(c, _, _)| c.id.as_str())
                    .collect();
                let known = store.existing_contacts(tenant, &rebuilt)?;
                for (c, fp, r) in &chunk {
                    if *r && known.contains(&c.id) {
                        summary.counts.unchanged += 1;
                    } else {
                        batch.append(c, *fp)?;
                    }
                }
            }
            assembly
                .join()
                .map_err(|_| crate::ImportError::Stopped(format!("assembling {file} failed")))
        })?;
        (assembled, batch)
    };
    for r in rejections.into_iter().chain(assembled.rejections) {
        summary.reject(&mut batch, tenant.to_string(), "queue_log", file, r);
    }
    for e in &assembled.unknown {
        *summary
            .unknown_words
            .entry(e.verb.as_str().to_owned())
            .or_default() += 1;
    }
    *summary.agent_intervals.get_or_insert(0) += assembled.intervals.len() as u64;
    let state = batch.sources();
    state.open_add = assembled.open;
    state.open_remove = assembled.closed_open;
    state.intervals = assembled.intervals;
    state.intervals_closed = assembled.closed_intervals;
    // Nothing stored to match: no interval of the file is stored, none open to close.
    state.intervals_known = fresh;
    state.unknown = assembled
        .unknown
        .into_iter()
        .map(|e| UnknownLine {
            tenant: tenant.clone(),
            file: file.to_owned(),
            line: e.line,
            at: e.at,
            call_id: Some(e.call_id.to_string()).filter(|c| !c.is_empty() && c != "NONE"),
            queue: e.queue.as_ref().map(ToString::to_string),
            agent: e.agent.as_ref().map(ToString::to_string),
            verb: e.verb.as_str().to_owned(),
            data: e.data.as_deref().unwrap_or_default().to_owned(),
        })
        .collect();
    state.checkpoint = checkpoint;
    state.quarantine_resolved = resolved;
    let started = std::time::Instant::now();
    summary.counts += batch.write(&tx)?;
    let written = started.elapsed();
    tx.commit()?;
    tracing::debug!(
        file,
        write_ms = written.as_millis(),
        commit_ms = (started.elapsed() - written).as_millis(),
        "wrote a queue_log file's intervals, open stints and rejections"
    );
    Ok(())
}

/// A queue_log line's identity, written into `key`: its time as written, call, queue, agent
/// and event (its data fields are what a fix changes).
fn line_key<'k>(e: &QlEvent, key: &'k mut String) -> &'k str {
    key.clear();
    e.write_head(key);
    key
}

/// The quarantine entries of `tenant`'s queue_log imports whose line `events` holds again.
fn resolved_quarantine(
    store: &DuckDbStore,
    tenant: &TenantId,
    events: &[QlEvent],
) -> crate::Result<Vec<i64>> {
    let stored = store.quarantined_raw(tenant, "queue_log")?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let mut key = String::new();
    let mut by_key: std::collections::HashMap<String, Vec<i64>> = std::collections::HashMap::new();
    // A line cut short while being written is a beginning of the complete line: found by its
    // time as written.
    let mut by_epoch: std::collections::HashMap<String, Vec<(i64, String)>> =
        std::collections::HashMap::new();
    for (id, raw) in stored {
        if let Ok(e) = parse_queue_log_line(raw.as_bytes(), 0) {
            by_key
                .entry(line_key(&e, &mut key).to_owned())
                .or_default()
                .push(id);
        }
        let epoch = raw.split('|').next().unwrap_or_default().trim().to_owned();
        by_epoch.entry(epoch).or_default().push((id, raw));
    }
    let mut resolved = std::collections::BTreeSet::new();
    for e in events {
        if let Some(ids) = by_key.remove(line_key(e, &mut key)) {
            resolved.extend(ids);
        }
        if let Some(rows) = by_epoch.get(e.epoch.as_str()) {
            let whole = e.raw();
            resolved.extend(
                rows.iter()
                    .filter(|(_, raw)| whole.starts_with(raw.trim_end()))
                    .map(|(id, _)| *id),
            );
        }
    }
    Ok(resolved.into_iter().collect())
}

/// What a feed of a file's contacts has seen: hashes of the ids it took, the contacts that
/// came again, the first failure.
type FeedSeen = (
    HashSet<u64, foldhash::fast::FixedState>,
    Vec<StintContact>,
    Option<StoreError>,
);

/// Assembles `events` of a tenant with nothing stored on a thread of its own, its contacts
/// inserted through a [`Feed`] (on DuckDB's threads) as they are made; returns the rest of the
/// assembly, the contacts whose id came again (for the caller to match), and the rows inserted.
fn assemble_into_feed(
    store: &DuckDbStore,
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    open_stints: Vec<ccpulse_model::OpenStint>,
    open_intervals: &[ccpulse_model::AgentInterval],
) -> crate::Result<(Assembled, Vec<StintContact>, u64)> {
    let zone = match store.tenant_zones().remove(tenant.as_str()) {
        Some(z) => z,
        None => jiff::tz::TimeZone::get(ccpulse_model::DEFAULT_TIMEZONE)?,
    };
    let feed = Feed::new(ContactRows::table_schema());
    let handle = feed.handle();
    std::thread::scope(|scope| {
        let assembly = scope.spawn(move || {
            // Hashes of the ids this file has made, the contacts that repeated one, the first
            // failure. (Two ids of one hash only send the second to be matched by its id.)
            let hasher = foldhash::fast::FixedState::with_seed(0x1d5);
            let seen: Mutex<FeedSeen> =
                Mutex::new((HashSet::with_hasher(hasher), Vec::new(), None));
            let sink = |chunk: Vec<StintContact>| {
                let mut fresh = Vec::with_capacity(chunk.len());
                {
                    let mut s = seen.lock().unwrap_or_else(PoisonError::into_inner);
                    if s.2.is_some() {
                        return;
                    }
                    for sc in chunk {
                        if s.0.insert(hasher.hash_one(sc.0.id.as_str())) {
                            fresh.push(sc);
                        } else {
                            s.1.push(sc);
                        }
                    }
                }
                let mut rows = ContactRows::default();
                let pushed = fresh
                    .iter()
                    .try_for_each(|(c, fp, _)| rows.push(c, *fp, &zone, 0))
                    .and_then(|()| rows.finish())
                    .and_then(|b| feed.push(ContactRows::without_seq(b)));
                if let Err(e) = pushed {
                    seen.lock().unwrap_or_else(PoisonError::into_inner).2 = Some(e);
                }
            };
            let assembled =
                assemble_streaming(tenant, file, events, open_stints, open_intervals, &sink);
            // Closed: the insert ends with what it has.
            drop(feed);
            let assembled_at = std::time::Instant::now();
            let (_, repeated, failed) = seen.into_inner().unwrap_or_else(PoisonError::into_inner);
            (assembled, repeated, failed, assembled_at)
        });
        let inserted = store.insert_feed("contacts", handle);
        let inserted_at = std::time::Instant::now();
        let (assembled, repeated, failed, assembled_at) = assembly
            .join()
            .map_err(|_| crate::ImportError::Stopped(format!("assembling {file} failed")))?;
        tracing::debug!(
            insert_after_assembly_ms = inserted_at
                .saturating_duration_since(assembled_at)
                .as_millis(),
            "inserted a queue_log file's contacts"
        );
        let inserted = inserted?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        Ok((assembled, repeated, inserted))
    })
}

/// Imports queue_log files for `tenant`, in the order given (a rotated log's older file first).
pub fn import_queue_log(
    store: &mut DuckDbStore,
    files: &[String],
    tenant: &TenantId,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    store.with_import_memory(|store| import_files(store, files, tenant, show_progress))
}

fn import_files(
    store: &mut DuckDbStore,
    files: &[String],
    tenant: &TenantId,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    store.ensure_tenant(tenant)?;
    let mut summary = ImportSummary::default();
    let (opened, total) = summary.open_all(files);
    let bar = progress_bar(total, show_progress);
    let mut done_bytes = 0u64;
    for input in opened {
        let name = input.name.clone();
        let size = input.size.unwrap_or(0);
        let consumed = std::sync::Arc::clone(&input.consumed);
        bar.set_message(name.clone());
        let started = std::time::Instant::now();
        let mut lines = LineReader::new(input.reader, &name);
        let read = read_and_parse(&mut lines, &mut summary, || {
            bar.set_position(done_bytes + consumed.load(std::sync::atomic::Ordering::Relaxed));
        });
        let read_ms = started.elapsed().as_millis();
        assemble_and_write(
            store,
            tenant,
            &name,
            read.events,
            read.rejections,
            None,
            &mut summary,
        )?;
        tracing::debug!(
            file = name,
            read_ms,
            write_ms = started.elapsed().as_millis() - read_ms,
            "imported a queue_log file"
        );
        store.fold_in();
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    summary.open_calls = Some(store.open_stints(tenant)?.len() as u64);
    Ok(summary)
}
