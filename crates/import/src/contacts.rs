//! `ccpulse import --format contacts`: files in, contacts and rejections out, with a progress bar.
//!
//! A reader thread cuts the input into chunks of lines, parser threads turn them into
//! contacts, and this thread applies them in file order to the store, committing a batch
//! every `BATCH_ROWS` contacts and at the end of each file: the cores share the work, and a
//! crash loses at most the uncommitted batch (never an acknowledged one).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use ccpulse_ingest::{input::OpenedInput, open_input, parse_contact_line, LineReader, Rejection};
use ccpulse_model::TenantId;
use ccpulse_store::{
    ContactBatch, ContactRows, DuckDbStore, Feed, FeedHandle, ImportCounts, NewRejection,
    RecordBatch,
};
use indicatif::ProgressBar;
use jiff::tz::TimeZone;

use crate::progress::progress_bar;

/// Contacts per committed batch (each then checkpointed: see [`DuckDbStore::fold_in`]).
pub const BATCH_ROWS: u64 = 1_000_000;
/// Lines sent from the reader to a parser at a time.
const CHUNK_LINES: usize = 4096;
/// Parser threads: with the writer, enough to keep two cores busy.
const PARSERS: usize = 2;

/// What an import of several files did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub read: u64,
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<String>,
    /// queue_log: calls still waiting for their end after this import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_calls: Option<u64>,
    /// queue_log: agent state intervals written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_intervals: Option<u64>,
    /// queue_log: lines per event word ccpulse does not know (kept, not fatal).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_words: BTreeMap<String, u64>,
    /// Good records that are not customer contacts (calls between extensions, tasks), by why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, u64>,
    /// The first rejections, for the terminal.
    #[serde(skip)]
    pub sample: Vec<(String, Rejection)>,
    /// Rejections from a file's first line on, all failing the same way: (file, how, next line,
    /// how many); said early on stderr when they reach [`EARLY_WARNING`].
    #[serde(skip)]
    streak: Option<(String, String, u64, u64)>,
}

/// Rejected lines at the start of a file, all the same way, that make the import say early
/// that the file may be in another format.
pub const EARLY_WARNING: u64 = 1000;

/// How a rejection fails, apart from the values it quotes: `field: ... is not one of ...`.
fn failure_kind(r: &Rejection) -> String {
    let mut out = r.field.clone().unwrap_or_default();
    out.push(':');
    let mut quoted = false;
    for c in r.reason.chars() {
        if c == '`' {
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// Rejections kept for the terminal, the rest only in the quarantine.
const SAMPLE: usize = 20;

impl ImportSummary {
    /// Files `files` opened for reading (the unreadable ones noted) and their total size when
    /// every size is known.
    pub fn open_all(&mut self, files: &[String]) -> (Vec<OpenedInput>, Option<u64>) {
        let mut opened = Vec::new();
        for f in files {
            match open_input(f) {
                Ok(o) => opened.push(o),
                Err(e) => self.unreadable.push(e.to_string()),
            }
        }
        let total = opened.iter().map(|o| o.size).sum();
        (opened, total)
    }

    /// Keeps rejection `r` of `file` for the terminal when it is among the first few.
    pub fn note(&mut self, file: &str, r: &Rejection) {
        if self.sample.len() < SAMPLE {
            self.sample.push((file.to_owned(), r.clone()));
        }
        // The first lines of a file all failing alike: say so now, not after the whole file.
        let kind = failure_kind(r);
        let streak = match self.streak.take() {
            Some((f, k, next, n)) if f == file && k == kind && next == r.line => {
                Some((f, k, next + 1, n + 1))
            }
            _ if r.line == 1 => Some((file.to_owned(), kind, 2, 1)),
            _ => None,
        };
        if let Some((_, _, _, n)) = &streak {
            if *n == EARLY_WARNING {
                let field = r
                    .field
                    .as_deref()
                    .map(|f| format!("field `{f}`: "))
                    .unwrap_or_default();
                eprintln!(
                    "warning: the first {EARLY_WARNING} lines of {file} all fail the same way \
                     ({field}{}); is this the right --format? (going on)",
                    r.reason
                );
            }
        }
        self.streak = streak;
    }

    /// Files rejection `r` of line-based `format` from `file` for `tenant` in `batch`, and
    /// keeps the first few for the terminal.
    pub fn reject(
        &mut self,
        batch: &mut ContactBatch<'_>,
        tenant: String,
        format: &str,
        file: &str,
        r: Rejection,
    ) {
        batch.reject(self.rejection(tenant, format, file, r));
    }

    /// Rejection `r` of line-based `format` from `file` for `tenant`, as the quarantine keeps
    /// it; the first few are kept for the terminal.
    pub fn rejection(
        &mut self,
        tenant: String,
        format: &str,
        file: &str,
        r: Rejection,
    ) -> NewRejection {
        self.note(file, &r);
        NewRejection {
            tenant,
            format: format.to_owned(),
            file: file.to_owned(),
            line: r.line,
            field: r.field,
            reason: r.reason,
            raw: r.raw,
        }
    }
}

/// Raw lines of one chunk: one buffer, each line's number and span in it.
struct RawChunk {
    index: u64,
    data: Vec<u8>,
    lines: Vec<(u64, usize, usize)>,
    /// Set on the last chunk when reading failed.
    failed: Option<String>,
}

/// Reads `opened` into chunks of lines for the parser threads, in the buffers they hand back
/// (`spent`) when there are any: a fresh buffer of a few megabytes is pages the kernel must
/// zero, a tenth of an import's time when every chunk took one.
fn read_chunks(
    opened: OpenedInput,
    tx: &mpsc::SyncSender<RawChunk>,
    spent: &mpsc::Receiver<Vec<u8>>,
) {
    let mut lines = LineReader::new(opened.reader, &opened.name);
    let mut index = 0u64;
    loop {
        let data = spent.try_recv().map_or_else(
            |_| Vec::with_capacity(CHUNK_LINES * 700),
            |mut d| {
                d.clear();
                d
            },
        );
        let mut chunk = RawChunk {
            index,
            data,
            lines: Vec::with_capacity(CHUNK_LINES),
            failed: None,
        };
        let mut done = false;
        while chunk.lines.len() < CHUNK_LINES {
            match lines.append_line(&mut chunk.data) {
                Ok(Some((n, start))) => {
                    if chunk.data[start..].iter().all(u8::is_ascii_whitespace) {
                        chunk.data.truncate(start);
                    } else {
                        chunk.lines.push((n, start, chunk.data.len()));
                    }
                }
                Ok(None) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    chunk.failed = Some(e.to_string());
                    done = true;
                    break;
                }
            }
        }
        if tx.send(chunk).is_err() || done {
            return;
        }
        index += 1;
    }
}

/// Time zones the parsers lay contacts out in: each known tenant's, the default for the rest
/// (a tenant first seen in the data is created with it).
struct Zones {
    known: HashMap<String, TimeZone>,
    default: TimeZone,
}

impl Zones {
    fn of(&self, t: &TenantId) -> &TimeZone {
        self.known.get(t.as_str()).unwrap_or(&self.default)
    }
}

/// Parsed lines of one chunk: the good ones as rows (with `seq`), the rest as rejections.
struct ParsedChunk {
    index: u64,
    /// Lines read, good and bad.
    lines: u64,
    rows: Option<RecordBatch>,
    /// The distinct tenants of the rows, and each row's (index into them, key hash).
    tenants: Vec<TenantId>,
    keys: Vec<(usize, u64)>,
    rejections: Vec<Rejection>,
    failed: Option<String>,
}

/// A contact's key (tenant, id) as a number, for telling whether the import saw it before.
pub(crate) fn key_hash(tenant: &TenantId, id: &str) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one((tenant.as_str(), id))
}

/// Position of line `line` of the `file`-th file of an import: later lines win.
pub(crate) fn seq(file: usize, line: u64) -> i64 {
    i64::try_from(((file as u64) << 40) | line).unwrap_or(i64::MAX)
}

/// Parses one chunk into rows.
fn parse_chunk(
    chunk: RawChunk,
    data: &[u8],
    tenant: Option<&TenantId>,
    zones: &Zones,
    file: usize,
) -> ParsedChunk {
    let mut rows = ContactRows::default();
    let mut tenants: Vec<TenantId> = Vec::new();
    let mut keys = Vec::with_capacity(chunk.lines.len());
    let mut rejections = Vec::new();
    for (n, a, b) in &chunk.lines {
        let bytes = &data[*a..*b];
        match parse_contact_line(bytes, *n, tenant) {
            Ok(p) => {
                let c = &p.contact;
                if let Err(e) = rows.push(c, p.fingerprint, zones.of(&c.tenant), seq(file, *n)) {
                    rejections.push(Rejection::new(*n, None, e.to_string(), bytes));
                    continue;
                }
                let t = match tenants.iter().position(|t| t == &c.tenant) {
                    Some(i) => i,
                    None => {
                        tenants.push(c.tenant.clone());
                        tenants.len() - 1
                    }
                };
                keys.push((t, key_hash(&c.tenant, &c.id)));
            }
            Err(r) => rejections.push(r),
        }
    }
    let rows = if rows.is_empty() {
        None
    } else {
        match rows.finish() {
            Ok(b) => Some(b),
            Err(e) => {
                // Not expected (the columns are built together); the lines are not lost.
                for (n, a, b) in &chunk.lines {
                    rejections.push(Rejection::new(*n, None, e.to_string(), &data[*a..*b]));
                }
                keys.clear();
                None
            }
        }
    };
    ParsedChunk {
        index: chunk.index,
        lines: chunk.lines.len() as u64,
        rows,
        tenants,
        keys,
        rejections,
        failed: chunk.failed,
    }
}

/// Parses chunks until the reader is done, handing each chunk's buffer back to the reader.
fn parse_chunks(
    rx: &Mutex<mpsc::Receiver<RawChunk>>,
    (tx, spent): (&mpsc::SyncSender<ParsedChunk>, &mpsc::Sender<Vec<u8>>),
    tenant: Option<&TenantId>,
    zones: &Zones,
    file: usize,
) {
    loop {
        let next = rx.lock().map(|r| r.recv());
        let Ok(Ok(mut chunk)) = next else { return };
        let data = std::mem::take(&mut chunk.data);
        let parsed = parse_chunk(chunk, &data, tenant, zones, file);
        // The reader may have finished: then the buffer is simply dropped.
        let _ = spent.send(data);
        if tx.send(parsed).is_err() {
            return;
        }
    }
}

/// The tenant a rejected line names, when it names a valid one; else `default`.
pub(crate) fn rejection_tenant(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| v.get("tenant")?.as_str().map(str::to_owned))
        .filter(|t| TenantId::new(t).is_ok())
        .unwrap_or_else(|| ccpulse_model::DEFAULT_TENANT.to_owned())
}

/// What the routing thread tells the store's thread, batch by batch.
enum ToStore {
    /// Insert what `feed` brings, in a new transaction.
    Begin(FeedHandle),
    /// The batch's feed is closed; write the rest and commit.
    End {
        matched: Vec<RecordBatch>,
        rejections: Vec<NewRejection>,
        new_tenants: BTreeSet<TenantId>,
    },
}

/// The store's side of an import: one transaction per batch, holding the rows inserted from the
/// feed (DuckDB's threads convert and write them while the file is still being parsed), the
/// matched rows, the rejections and any tenant first seen.
fn write_batches(
    store: &mut DuckDbStore,
    rx: &mpsc::Receiver<ToStore>,
) -> crate::Result<ImportCounts> {
    let mut total = ImportCounts::default();
    while let Ok(msg) = rx.recv() {
        let ToStore::Begin(feed) = msg else {
            return Err(crate::ImportError::Stopped(
                "an import batch ended before it began".into(),
            ));
        };
        let tx = store.transaction()?;
        let inserted = store.insert_feed("contacts", feed)?;
        let Ok(ToStore::End {
            matched,
            rejections,
            new_tenants,
        }) = rx.recv()
        else {
            // The import stopped mid-batch: nothing of the batch is kept.
            return Ok(total);
        };
        store.add_default_tenants(&new_tenants)?;
        let mut counts = ImportCounts {
            inserted,
            ..ImportCounts::default()
        };
        if !matched.is_empty() || !rejections.is_empty() {
            let mut batch = store.begin_contacts()?;
            for b in matched {
                batch.append_rows(b)?;
            }
            for r in rejections {
                batch.reject(r);
            }
            counts += batch.write(&tx)?;
        }
        tx.commit()?;
        tracing::debug!(
            inserted = counts.inserted,
            updated = counts.updated,
            unchanged = counts.unchanged,
            rejected = counts.rejected,
            "committed an import batch"
        );
        // A crash from here on keeps the batch: the checkpoint only folds it into the file.
        store.fold_in();
        total += counts;
    }
    store.load_tenants()?;
    Ok(total)
}

/// The batch being routed.
struct Routed {
    feed: Feed,
    rows: u64,
    matched: Vec<RecordBatch>,
    rejections: Vec<NewRejection>,
    new_tenants: BTreeSet<TenantId>,
}

/// Sends each parsed chunk, in file order, where it goes.
///
/// Rows of tenants that had no contacts when the import began, whose contacts this import has
/// not seen before, cannot be stored yet: they go straight into the table through the feed. A
/// chunk with any other row (a tenant with stored contacts, a contact repeated in the import)
/// is matched against the store instead, after the feed's rows, so a later line still wins.
struct Router {
    to_store: mpsc::SyncSender<ToStore>,
    stored: HashSet<String>,
    known: HashSet<String>,
    seen: HashSet<u64, foldhash::fast::FixedState>,
    open: Option<Routed>,
}

impl Router {
    fn batch(&mut self) -> crate::Result<&mut Routed> {
        if self.open.is_none() {
            let feed = Feed::new(ContactRows::table_schema());
            self.to_store
                .send(ToStore::Begin(feed.handle()))
                .map_err(|_| crate::ImportError::Stopped("the store stopped".into()))?;
            self.open = Some(Routed {
                feed,
                rows: 0,
                matched: Vec::new(),
                rejections: Vec::new(),
                new_tenants: BTreeSet::new(),
            });
        }
        self.open
            .as_mut()
            .ok_or_else(|| crate::ImportError::Stopped("no open batch".into()))
    }

    fn route(
        &mut self,
        chunk: ParsedChunk,
        summary: &mut ImportSummary,
        tenant: Option<&TenantId>,
        name: &str,
    ) -> crate::Result<()> {
        summary.read += chunk.lines;
        let fresh: Vec<bool> = chunk
            .tenants
            .iter()
            .map(|t| !self.stored.contains(t.as_str()))
            .collect();
        let new: Vec<TenantId> = chunk
            .tenants
            .iter()
            .filter(|t| !self.known.contains(t.as_str()))
            .cloned()
            .collect();
        let mut direct = fresh.iter().all(|f| *f);
        for (t, k) in &chunk.keys {
            if fresh[*t] && !self.seen.insert(*k) {
                direct = false;
            }
        }
        let batch = self.batch()?;
        batch.new_tenants.extend(new);
        for r in chunk.rejections {
            let owner = match tenant {
                Some(t) => t.to_string(),
                None => rejection_tenant(&r.raw),
            };
            batch
                .rejections
                .push(summary.rejection(owner, "contacts", name, r));
        }
        if let Some(rows) = chunk.rows {
            batch.rows += rows.num_rows() as u64;
            if direct {
                batch.feed.push(ContactRows::without_seq(rows))?;
            } else {
                batch.matched.push(rows);
            }
        }
        if let Some(reason) = chunk.failed {
            summary.unreadable.push(reason);
        }
        Ok(())
    }

    /// Ends the open batch, if any: its transaction commits once the store has the rest.
    fn end(&mut self) -> crate::Result<()> {
        let Some(b) = self.open.take() else {
            return Ok(());
        };
        b.feed.close();
        self.known
            .extend(b.new_tenants.iter().map(ToString::to_string));
        self.to_store
            .send(ToStore::End {
                matched: b.matched,
                rejections: b.rejections,
                new_tenants: b.new_tenants,
            })
            .map_err(|_| crate::ImportError::Stopped("the store stopped".into()))
    }
}

/// Imports canonical contact files into `store`.
pub fn import_contacts(
    store: &mut DuckDbStore,
    files: &[String],
    tenant: Option<&TenantId>,
    show_progress: bool,
) -> crate::Result<ImportSummary> {
    if let Some(t) = tenant {
        store.ensure_tenant(t)?;
    }
    let zones = Arc::new(Zones {
        known: store.tenant_zones(),
        default: TimeZone::get(ccpulse_model::DEFAULT_TIMEZONE)?,
    });
    let stored = store.tenants_with_contacts()?;
    let mut summary = ImportSummary::default();
    let (opened, total) = summary.open_all(files);
    let bar = progress_bar(total, show_progress);
    let (to_store, from_router) = mpsc::sync_channel::<ToStore>(2);
    let mut router = Router {
        to_store,
        stored,
        known: zones.known.keys().cloned().collect(),
        seen: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed)),
        open: None,
    };
    let (routed, written) = store.with_import_memory(|store| {
        let writing = &mut *store;
        Ok::<_, crate::ImportError>(std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_batches(writing, &from_router));
            let routed = route_files(&mut router, opened, tenant, &zones, &bar, &mut summary);
            drop(router);
            let written = writer.join().unwrap_or_else(|_| {
                Err(crate::ImportError::Stopped(
                    "the store's thread panicked".into(),
                ))
            });
            (routed, written)
        }))
    })?;
    // The store's own error says more than the router's "the store stopped".
    summary.counts += written?;
    routed?;
    bar.finish_and_clear();
    Ok(summary)
}

/// Reads, parses and routes every file, a batch per `BATCH_ROWS` rows and per file.
fn route_files(
    router: &mut Router,
    opened: Vec<OpenedInput>,
    tenant: Option<&TenantId>,
    zones: &Arc<Zones>,
    bar: &ProgressBar,
    summary: &mut ImportSummary,
) -> crate::Result<()> {
    let mut done_bytes = 0u64;
    for (file, input) in opened.into_iter().enumerate() {
        let name = input.name.clone();
        let size = input.size.unwrap_or(0);
        let consumed = std::sync::Arc::clone(&input.consumed);
        bar.set_message(name.clone());
        let (raw_tx, raw_rx) = mpsc::sync_channel::<RawChunk>(PARSERS * 2);
        let (parsed_tx, parsed_rx) = mpsc::sync_channel::<ParsedChunk>(PARSERS * 2);
        let raw_rx = Arc::new(Mutex::new(raw_rx));
        let (spent_tx, spent_rx) = mpsc::channel::<Vec<u8>>();
        let reader = std::thread::spawn(move || read_chunks(input, &raw_tx, &spent_rx));
        let parsers: Vec<_> = (0..PARSERS)
            .map(|_| {
                let rx = Arc::clone(&raw_rx);
                let tx = parsed_tx.clone();
                let spent = spent_tx.clone();
                let tenant = tenant.cloned();
                let zones = Arc::clone(zones);
                std::thread::spawn(move || {
                    parse_chunks(&rx, (&tx, &spent), tenant.as_ref(), &zones, file);
                })
            })
            .collect();
        drop(spent_tx);
        drop(parsed_tx);
        // Chunks arrive in any order from the parsers; they are routed in file order so that
        // a later line for the same contact wins.
        let mut waiting: BTreeMap<u64, ParsedChunk> = BTreeMap::new();
        let mut next = 0u64;
        for chunk in parsed_rx {
            waiting.insert(chunk.index, chunk);
            while let Some(chunk) = waiting.remove(&next) {
                next += 1;
                router.route(chunk, summary, tenant, &name)?;
                if router.open.as_ref().is_some_and(|b| b.rows >= BATCH_ROWS) {
                    router.end()?;
                }
                bar.set_position(done_bytes + consumed.load(Ordering::Relaxed));
            }
        }
        // Each file ends its transaction: what was read of it is committed.
        router.end()?;
        let _ = reader.join();
        for p in parsers {
            let _ = p.join();
        }
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    Ok(())
}
