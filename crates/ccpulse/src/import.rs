//! `ccpulse import`: files in, contacts and rejections out, with a progress bar.
//!
//! A reader thread reads and parses lines; this thread appends them to the store and commits
//! a batch every `BATCH_ROWS` contacts and at the end of each file, so the two cores share
//! the work and a crash loses at most the uncommitted batch (never an acknowledged one).

use std::io::IsTerminal as _;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use ccpulse_ingest::{
    input::OpenedInput, open_input, parse_contact_line, LineReader, ParsedContact, Rejection,
};
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, ImportCounts, NewRejection};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Contacts per committed batch.
pub const BATCH_ROWS: u64 = 500_000;
/// Lines sent from the reader to the writer at a time.
const CHUNK_LINES: usize = 4096;

/// What an import of several files did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub read: u64,
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<String>,
    /// The first rejections, for the terminal.
    #[serde(skip)]
    pub sample: Vec<(String, Rejection)>,
}

enum Msg {
    Lines(Vec<Result<ParsedContact, Rejection>>),
    FileDone,
    Failed(String),
}

fn reader_thread(opened: OpenedInput, tenant: Option<TenantId>, tx: &mpsc::SyncSender<Msg>) {
    let mut lines = LineReader::new(opened.reader, &opened.name);
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    loop {
        match lines.next_line(&mut buf) {
            Ok(Some(n)) => {
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                chunk.push(parse_contact_line(&buf, n, tenant.as_ref()));
                if chunk.len() == CHUNK_LINES {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_LINES));
                    if tx.send(Msg::Lines(full)).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Msg::Lines(chunk));
                let _ = tx.send(Msg::Failed(e.to_string()));
                return;
            }
        }
    }
    let _ = tx.send(Msg::Lines(chunk));
    let _ = tx.send(Msg::FileDone);
}

fn progress_bar(total: Option<u64>, show: bool) -> ProgressBar {
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
    let mut opened = Vec::new();
    let mut summary = ImportSummary::default();
    for f in files {
        match open_input(f) {
            Ok(o) => opened.push(o),
            Err(e) => summary.unreadable.push(e.to_string()),
        }
    }
    let total: Option<u64> = opened.iter().map(|o| o.size).sum();
    let bar = progress_bar(total, show_progress);
    let mut done_bytes = 0u64;
    for input in opened {
        let name = input.name.clone();
        let size = input.size.unwrap_or(0);
        let consumed = std::sync::Arc::clone(&input.consumed);
        bar.set_message(name.clone());
        let (tx, rx) = mpsc::sync_channel::<Msg>(8);
        let thread_tenant = tenant.cloned();
        let reader = std::thread::spawn(move || reader_thread(input, thread_tenant, &tx));
        let mut batch = store.begin_contacts()?;
        let default_tenant = tenant.map_or("default".to_owned(), ToString::to_string);
        for msg in rx {
            match msg {
                Msg::Lines(lines) => {
                    for item in lines {
                        summary.read += 1;
                        match item {
                            Ok(p) => batch.append(&p.contact, p.fingerprint)?,
                            Err(r) => {
                                if summary.sample.len() < 20 {
                                    summary.sample.push((name.clone(), r.clone()));
                                }
                                batch.reject(NewRejection {
                                    tenant: default_tenant.clone(),
                                    format: "contacts".into(),
                                    file: name.clone(),
                                    line: r.line,
                                    field: r.field,
                                    reason: r.reason,
                                    raw: r.raw,
                                });
                            }
                        }
                    }
                    if batch.len() >= BATCH_ROWS {
                        summary.counts += batch.commit()?;
                        batch = store.begin_contacts()?;
                    }
                    bar.set_position(done_bytes + consumed.load(Ordering::Relaxed));
                }
                Msg::FileDone => {}
                Msg::Failed(reason) => summary.unreadable.push(reason),
            }
        }
        summary.counts += batch.commit()?;
        let _ = reader.join();
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    Ok(summary)
}
