//! `ccpulse import`: files in, contacts and rejections out, with a progress bar.
//!
//! A reader thread cuts the input into chunks of lines, parser threads turn them into
//! contacts, and this thread applies them in file order to the store, committing a batch
//! every `BATCH_ROWS` contacts and at the end of each file: the cores share the work, and a
//! crash loses at most the uncommitted batch (never an acknowledged one).

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ccpulse_ingest::{
    input::OpenedInput, open_input, parse_contact_line, LineReader, ParsedContact, Rejection,
};
use ccpulse_model::TenantId;
use ccpulse_store::{ContactBatch, DuckDbStore, ImportCounts, NewRejection};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Contacts per committed batch.
pub const BATCH_ROWS: u64 = 500_000;
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
        self.note(file, &r);
        batch.reject(NewRejection {
            tenant,
            format: format.to_owned(),
            file: file.to_owned(),
            line: r.line,
            field: r.field,
            reason: r.reason,
            raw: r.raw,
        });
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

/// Parsed lines of one chunk, in line order.
struct ParsedChunk {
    index: u64,
    items: Vec<Result<ParsedContact, Rejection>>,
    failed: Option<String>,
}

/// Reads `opened` into chunks of lines for the parser threads.
fn read_chunks(opened: OpenedInput, tx: &mpsc::SyncSender<RawChunk>) {
    let mut lines = LineReader::new(opened.reader, &opened.name);
    let mut index = 0u64;
    loop {
        let mut chunk = RawChunk {
            index,
            data: Vec::with_capacity(CHUNK_LINES * 700),
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

/// Parses chunks until the reader is done.
fn parse_chunks(
    rx: &Mutex<mpsc::Receiver<RawChunk>>,
    tx: &mpsc::SyncSender<ParsedChunk>,
    tenant: Option<&TenantId>,
) {
    loop {
        let next = rx.lock().map(|r| r.recv());
        let Ok(Ok(chunk)) = next else { return };
        let items = chunk
            .lines
            .iter()
            .map(|(n, a, b)| parse_contact_line(&chunk.data[*a..*b], *n, tenant))
            .collect();
        let parsed = ParsedChunk {
            index: chunk.index,
            items,
            failed: chunk.failed,
        };
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

pub(crate) fn progress_bar(total: Option<u64>, show: bool) -> ProgressBar {
    let bar = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    if !show || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Imports canonical contact files into `store`.
pub fn import_contacts(
    store: &mut DuckDbStore,
    files: &[String],
    tenant: Option<&TenantId>,
    show_progress: bool,
) -> anyhow::Result<ImportSummary> {
    if let Some(t) = tenant {
        store.ensure_tenant(t)?;
    }
    let mut summary = ImportSummary::default();
    let (opened, total) = summary.open_all(files);
    let bar = progress_bar(total, show_progress);
    let mut done_bytes = 0u64;
    for input in opened {
        let name = input.name.clone();
        let size = input.size.unwrap_or(0);
        let consumed = std::sync::Arc::clone(&input.consumed);
        bar.set_message(name.clone());
        let (raw_tx, raw_rx) = mpsc::sync_channel::<RawChunk>(PARSERS * 2);
        let (parsed_tx, parsed_rx) = mpsc::sync_channel::<ParsedChunk>(PARSERS * 2);
        let raw_rx = Arc::new(Mutex::new(raw_rx));
        let reader = std::thread::spawn(move || read_chunks(input, &raw_tx));
        let parsers: Vec<_> = (0..PARSERS)
            .map(|_| {
                let rx = Arc::clone(&raw_rx);
                let tx = parsed_tx.clone();
                let tenant = tenant.cloned();
                std::thread::spawn(move || parse_chunks(&rx, &tx, tenant.as_ref()))
            })
            .collect();
        drop(parsed_tx);
        let mut batch = store.begin_contacts()?;
        // Chunks arrive in any order from the parsers; they are applied in file order so that
        // a later line for the same contact wins.
        let mut waiting: BTreeMap<u64, ParsedChunk> = BTreeMap::new();
        let mut next = 0u64;
        for chunk in parsed_rx {
            waiting.insert(chunk.index, chunk);
            while let Some(chunk) = waiting.remove(&next) {
                next += 1;
                for item in chunk.items {
                    summary.read += 1;
                    match item {
                        Ok(p) => batch.append(&p.contact, p.fingerprint)?,
                        Err(r) => {
                            let owner = match tenant {
                                Some(t) => t.to_string(),
                                None => rejection_tenant(&r.raw),
                            };
                            summary.reject(&mut batch, owner, "contacts", &name, r);
                        }
                    }
                }
                if let Some(reason) = chunk.failed {
                    summary.unreadable.push(reason);
                }
                if batch.len() >= BATCH_ROWS {
                    summary.counts += batch.commit()?;
                    batch = store.begin_contacts()?;
                }
                bar.set_position(done_bytes + consumed.load(Ordering::Relaxed));
            }
        }
        summary.counts += batch.commit()?;
        let _ = reader.join();
        for p in parsers {
            let _ = p.join();
        }
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    Ok(summary)
}
