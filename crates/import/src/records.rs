//! `ccpulse import --format tickets|subscribers|agents|agent-states`: the canonical JSON Lines
//! of tickets, the subscriber base, agents and agent state intervals. Volumes are small (thousands a month), so each file is one
//! transaction with its rejections.

use ccpulse_ingest::{
    open_input, parse_agent_line, parse_agent_state_line, parse_subscribers_line,
    parse_ticket_line, LineReader, Rejection,
};
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, NewRejection};

use crate::contacts::ImportSummary;

/// Which records the files hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tickets,
    Subscribers,
    Agents,
    AgentStates,
}

impl Kind {
    fn format(self) -> &'static str {
        match self {
            Kind::Tickets => "tickets",
            Kind::Subscribers => "subscribers",
            Kind::Agents => "agents",
            Kind::AgentStates => "agent-states",
        }
    }
}

/// Imports `files` of `kind`.
pub fn import(
    store: &mut DuckDbStore,
    files: &[String],
    kind: Kind,
    tenant: Option<&TenantId>,
) -> crate::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let rejection_tenant =
        tenant.map_or(ccpulse_model::DEFAULT_TENANT.to_owned(), |t| t.to_string());
    for f in files {
        let input = match open_input(f) {
            Ok(i) => i,
            Err(e) => {
                summary.unreadable.push(e.to_string());
                continue;
            }
        };
        let name = input.name.clone();
        let mut lines = LineReader::new(input.reader, &name);
        let mut buf = Vec::new();
        let mut tickets = Vec::new();
        let mut subscribers = Vec::new();
        let mut agents = Vec::new();
        let mut intervals = Vec::new();
        let mut rejections = Vec::new();
        let mut reject = |summary: &mut ImportSummary, r: Rejection| {
            summary.note(&name, &r);
            rejections.push(NewRejection {
                tenant: rejection_tenant.clone(),
                format: kind.format().to_owned(),
                file: name.clone(),
                line: r.line,
                field: r.field,
                reason: r.reason,
                raw: r.raw,
            });
        };
        loop {
            buf.clear();
            let n = match lines.next_line(&mut buf) {
                Ok(Some(n)) => n,
                Ok(None) => break,
                Err(e) => {
                    summary.unreadable.push(format!("{name}: {e}"));
                    break;
                }
            };
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            summary.read += 1;
            match kind {
                Kind::Tickets => match parse_ticket_line(&buf, n, tenant) {
                    Ok(t) => tickets.push(t),
                    Err(r) => reject(&mut summary, r),
                },
                Kind::Subscribers => match parse_subscribers_line(&buf, n, tenant) {
                    Ok(s) => subscribers.push(s),
                    Err(r) => reject(&mut summary, r),
                },
                Kind::Agents => match parse_agent_line(&buf, n, tenant) {
                    Ok(a) => agents.push(a),
                    Err(r) => reject(&mut summary, r),
                },
                Kind::AgentStates => match parse_agent_state_line(&buf, n, tenant) {
                    Ok(i) => intervals.push(i),
                    Err(r) => reject(&mut summary, r),
                },
            }
        }
        let counts = match kind {
            Kind::Tickets => store.put_tickets(&tickets, &rejections)?,
            Kind::Subscribers => store.put_subscribers(&subscribers, &rejections)?,
            Kind::Agents => store.put_agents(&agents, &rejections)?,
            Kind::AgentStates => {
                // Intervals go where queue_log's go, upserted by agent, state and start.
                for i in &intervals {
                    store.ensure_tenant(&i.tenant)?;
                }
                *summary.agent_intervals.get_or_insert(0) += intervals.len() as u64;
                let mut batch = store.begin_contacts()?;
                batch.sources().intervals.extend(intervals);
                for r in rejections {
                    batch.reject(r);
                }
                batch.commit()?
            }
        };
        summary.counts.inserted += counts.inserted;
        summary.counts.updated += counts.updated;
        summary.counts.unchanged += counts.unchanged;
        summary.counts.rejected += counts.rejected;
    }
    Ok(summary)
}
