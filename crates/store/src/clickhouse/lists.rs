//! What reports list one by one, from ClickHouse: contacts of a list (complaints,
//! dissatisfied calls), complaint tickets, the subscriber base (see [`crate::lists`]).

use ccpulse_metrics::clickhouse::literal;
use ccpulse_model::TenantId;
use serde_json::Value;

use super::{number, ClickHouseStore};
use crate::lists::{mask_keeping, ticket_status, ContactLine, ContactList};
use crate::{Result, StoreError};

/// A tenant-local bound given as `YYYY-MM-DD` (or a date and time) as a ClickHouse time.
fn bound(text: &str) -> Result<String> {
    let t: jiff::civil::DateTime = text
        .parse()
        .map_err(|e| StoreError::Invalid(format!("`{text}` is not a date: {e}")))?;
    Ok(format!(
        "toDateTime({}, 'UTC')",
        literal(&t.strftime("%Y-%m-%d %H:%M:%S").to_string())
    ))
}

fn text(row: &[Value], i: usize) -> Option<String> {
    row.get(i).and_then(Value::as_str).map(str::to_owned)
}

fn flag(row: &[Value], i: usize) -> Option<bool> {
    row.get(i).and_then(number).map(|n| n != 0.0)
}

impl ClickHouseStore {
    /// As [`crate::DuckDbStore::contact_list`].
    pub fn contact_list(
        &self,
        tenant: &TenantId,
        list: ContactList,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<(u64, Vec<ContactLine>)> {
        let keep = self.settings_of(tenant).mask_keep;
        let wheres = format!(
            "tenant = {} AND local_ts >= {} AND local_ts < {} AND {}",
            literal(tenant.as_str()),
            bound(from)?,
            bound(to)?,
            list.predicate()
        );
        let total = self.count(&format!(
            "SELECT count() FROM contacts FINAL WHERE {wheres}"
        ))?;
        let rows = self.rows(&format!(
            "SELECT id, formatDateTime(local_ts, '%Y-%m-%d %H:%M:%S'), channel, queue, agent,
                    customer, business_line, category, survey_reason, talk_s
             FROM contacts FINAL WHERE {wheres} ORDER BY local_ts, id LIMIT {limit}"
        ))?;
        let lines = rows
            .iter()
            .map(|r| ContactLine {
                id: text(r, 0).unwrap_or_default(),
                time: text(r, 1).unwrap_or_default(),
                channel: text(r, 2),
                queue: text(r, 3),
                agent: text(r, 4),
                customer: text(r, 5).map(|c| mask_keeping(&c, keep)),
                business_line: text(r, 6),
                category: text(r, 7),
                survey_reason: text(r, 8),
                talk_s: r.get(9).and_then(number),
                status: None,
            })
            .collect();
        Ok((total, lines))
    }

    /// As [`crate::DuckDbStore::complaint_tickets`].
    pub fn complaint_tickets(
        &self,
        tenant: &TenantId,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Option<(u64, Vec<ContactLine>)>> {
        let keep = self.settings_of(tenant).mask_keep;
        let tenant = literal(tenant.as_str());
        if self.count(&format!(
            "SELECT count() FROM tickets FINAL WHERE tenant = {tenant}"
        ))? == 0
        {
            return Ok(None);
        }
        let wheres = format!(
            "tenant = {tenant} AND kind = 'complaint' AND local_ts >= {} AND local_ts < {}",
            bound(from)?,
            bound(to)?
        );
        let total = self.count(&format!("SELECT count() FROM tickets FINAL WHERE {wheres}"))?;
        let rows = self.rows(&format!(
            "SELECT id, formatDateTime(local_ts, '%Y-%m-%d %H:%M:%S'), channel, customer,
                    business_line, category, valid, escalated, escalated_via, closed_us IS NOT NULL
             FROM tickets FINAL WHERE {wheres} ORDER BY local_ts, id LIMIT {limit}"
        ))?;
        let lines = rows
            .iter()
            .map(|r| ContactLine {
                id: text(r, 0).unwrap_or_default(),
                time: text(r, 1).unwrap_or_default(),
                channel: text(r, 2),
                queue: None,
                agent: None,
                customer: text(r, 3).map(|c| mask_keeping(&c, keep)),
                business_line: text(r, 4),
                category: text(r, 5),
                survey_reason: None,
                talk_s: None,
                status: Some(ticket_status(
                    flag(r, 6),
                    flag(r, 7).unwrap_or(false),
                    text(r, 8),
                    flag(r, 9).unwrap_or(false),
                )),
            })
            .collect();
        Ok(Some((total, lines)))
    }

    /// As [`crate::DuckDbStore::subscribers`].
    pub fn subscribers(&self, tenant: &TenantId, month: &str) -> Result<Vec<(String, u64)>> {
        Ok(self
            .rows(&format!(
                "SELECT business_line, subscribers FROM subscribers FINAL
                 WHERE tenant = {} AND month = {} ORDER BY business_line",
                literal(tenant.as_str()),
                literal(month)
            ))?
            .iter()
            .map(|r| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = r.get(1).and_then(number).unwrap_or(0.0) as u64;
                (text(r, 0).unwrap_or_default(), n)
            })
            .collect())
    }
}
