//! `ccpulse import --format queue_log`: Asterisk queue_log files into contacts and agent
//! state intervals, each file in one transaction with what it leaves open.

use ccpulse_ingest::queue_log::{assemble, parse_queue_log_line, Assembled, QlEvent, Verb};
use ccpulse_ingest::{LineReader, Rejection};
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, UnknownLine};

use crate::import::{progress_bar, ImportSummary};

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
        Ok(e) if unterminated && matches!(e.verb, Verb::Other(_)) => {
            out.rejections.push(Rejection::new(
                n,
                Some("event"),
                format!(
                    "last line has no line ending and an unknown event `{}`: cut short while \
                     being written?",
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

/// Writes what a file assembled to, with its rejections and `extra` (a checkpoint), in one
/// transaction; adds the counts to `summary`.
pub fn write(
    store: &DuckDbStore,
    tenant: &TenantId,
    file: &str,
    assembled: Assembled,
    rejections: Vec<Rejection>,
    checkpoint: Option<ccpulse_store::Checkpoint>,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    // A stint rebuilt from its end alone never replaces what a fuller reading stored.
    let rebuilt: Vec<&str> = assembled
        .contacts
        .iter()
        .filter(|(_, _, r)| *r)
        .map(|(c, _, _)| c.id.as_str())
        .collect();
    let known = store.existing_contacts(tenant, &rebuilt)?;
    let mut batch = store.begin_contacts()?;
    for (c, fp, r) in &assembled.contacts {
        if *r && known.contains(&c.id) {
            summary.counts.unchanged += 1;
            continue;
        }
        batch.append(c, *fp)?;
    }
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
    state.unknown = assembled
        .unknown
        .into_iter()
        .map(|e| UnknownLine {
            tenant: tenant.clone(),
            file: file.to_owned(),
            line: e.line,
            at: e.at,
            call_id: Some(e.call_id.clone()).filter(|c| !c.is_empty() && c != "NONE"),
            queue: e.queue.clone(),
            agent: e.agent.clone(),
            verb: e.verb.as_str().to_owned(),
            data: e.data.join("|"),
        })
        .collect();
    state.checkpoint = checkpoint;
    summary.counts += batch.commit()?;
    Ok(())
}

/// Imports queue_log files for `tenant`, in the order given (a rotated log's older file first).
pub fn import_queue_log(
    store: &mut DuckDbStore,
    files: &[String],
    tenant: &TenantId,
    show_progress: bool,
) -> anyhow::Result<ImportSummary> {
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
        let mut lines = LineReader::new(input.reader, &name);
        let mut read = ReadLines::default();
        let mut buf = Vec::with_capacity(256);
        loop {
            match lines.next_line(&mut buf) {
                Ok(Some(n)) => {
                    summary.read += 1;
                    parse_into(&mut read, &buf, n, lines.last_unterminated());
                    if n % 65536 == 0 {
                        bar.set_position(
                            done_bytes + consumed.load(std::sync::atomic::Ordering::Relaxed),
                        );
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    summary.unreadable.push(e.to_string());
                    break;
                }
            }
        }
        let assembled = assemble(
            tenant,
            &name,
            read.events,
            store.open_stints(tenant)?,
            &store.open_intervals(tenant)?,
        );
        write(
            store,
            tenant,
            &name,
            assembled,
            read.rejections,
            None,
            &mut summary,
        )?;
        done_bytes += size;
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    summary.open_calls = Some(store.open_stints(tenant)?.len() as u64);
    Ok(summary)
}
