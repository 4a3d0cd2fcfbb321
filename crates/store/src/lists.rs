//! Lists of contacts that reports print one by one (complaints, dissatisfied calls), with the
//! customer's number masked.

use ::duckdb::params;
use serde::Serialize;

use ccpulse_model::TenantId;

use crate::{DuckDbStore, Result};

/// Which contacts a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactList {
    /// Contacts whose business type is `complaint`.
    Complaints,
    /// Contacts whose survey score is `dissatisfied`.
    Dissatisfied,
}

impl ContactList {
    /// Which contacts the list holds, as an SQL condition (both stores' SQL).
    pub(crate) fn predicate(self) -> &'static str {
        match self {
            ContactList::Complaints => "business_type = 'complaint'",
            ContactList::Dissatisfied => "survey_offered AND survey_score = 'dissatisfied'",
        }
    }
}

/// One contact of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactLine {
    pub id: String,
    /// Tenant-local time it arrived, `2021-06-03 09:12:44`.
    pub time: String,
    pub channel: Option<String>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    /// Masked: the first three and last four characters kept (`138****5678`).
    pub customer: Option<String>,
    pub business_line: Option<String>,
    pub category: Option<String>,
    pub survey_reason: Option<String>,
    pub talk_s: Option<f64>,
    /// For a complaint ticket: whether it was found valid, escalated and closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// How a customer's number or id leaves the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Not at all (`***`): roles that see no personal data.
    Hidden,
    /// Masked by the tenant's rule (`138****5678`): the default everywhere.
    Masked,
    /// Whole: one contact unmasked for a reason that was logged.
    Shown,
}

/// What a hidden customer reads as.
pub const HIDDEN: &str = "***";

/// `13812345678` → `138****5678`; short identifiers keep only their first character.
pub fn mask_customer(s: &str) -> String {
    mask_keeping(s, [3, 4])
}

/// Masks all but the first `keep[0]` and last `keep[1]` characters; an identifier too short
/// to keep both and hide one keeps only its first character (none when `keep[0]` is 0).
pub fn mask_keeping(s: &str, keep: [usize; 2]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let [head, tail] = keep;
    if n > head + tail {
        let mut out: String = chars[..head].iter().collect();
        out.push_str(&"*".repeat(n - head - tail));
        out.extend(&chars[n - tail..]);
        out
    } else {
        let first = usize::from(head > 0).min(n);
        let mut out: String = chars[..first].iter().collect();
        out.push_str(&"*".repeat(n - first));
        out
    }
}

/// `customer` as it may leave the store by `reveal` and the tenant's rule `keep`.
pub fn reveal_customer(s: &str, reveal: Reveal, keep: [usize; 2]) -> String {
    match reveal {
        Reveal::Hidden => HIDDEN.to_owned(),
        Reveal::Masked => mask_keeping(s, keep),
        Reveal::Shown => s.to_owned(),
    }
}

impl DuckDbStore {
    /// The contacts of `list` that arrived in `[from, to)` (tenant-local `YYYY-MM-DD`), oldest
    /// first, at most `limit` of them, and how many there are in all.
    pub fn contact_list(
        &self,
        tenant: &TenantId,
        list: ContactList,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<(u64, Vec<ContactLine>)> {
        let keep = self.settings_of(tenant).mask_keep;
        let tenant = tenant.as_str();
        let wheres = format!(
            "tenant = ? AND local_ts >= CAST(? AS TIMESTAMP) AND local_ts < CAST(? AS TIMESTAMP) \
             AND {}",
            list.predicate()
        );
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM contacts WHERE {wheres}"),
            params![tenant, from, to],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, strftime(local_ts, '%Y-%m-%d %H:%M:%S'), channel, queue, agent, customer,
                    business_line, category, survey_reason, talk_s
             FROM contacts WHERE {wheres} ORDER BY local_ts, id LIMIT ?"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![tenant, from, to, limit], |r| {
            Ok(ContactLine {
                id: r.get(0)?,
                time: r.get(1)?,
                channel: r.get(2)?,
                queue: r.get(3)?,
                agent: r.get(4)?,
                customer: r
                    .get::<_, Option<String>>(5)?
                    .map(|c| mask_keeping(&c, keep)),
                business_line: r.get(6)?,
                category: r.get(7)?,
                survey_reason: r.get(8)?,
                talk_s: r.get(9)?,
                status: None,
            })
        })?;
        let lines = rows.collect::<std::result::Result<Vec<_>, _>>()?;
        Ok((u64::try_from(total).unwrap_or(0), lines))
    }
}

/// A complaint ticket's status as its line says it: `valid, escalated via regulator, closed`.
pub(crate) fn ticket_status(
    valid: Option<bool>,
    escalated: bool,
    via: Option<String>,
    closed: bool,
) -> String {
    let mut status = vec![match valid {
        Some(true) => "valid",
        Some(false) => "not valid",
        None => "unassessed",
    }
    .to_owned()];
    if escalated {
        status.push(via.map_or("escalated".to_owned(), |v| format!("escalated via {v}")));
    }
    status.push(if closed { "closed" } else { "open" }.to_owned());
    status.join(", ")
}

impl DuckDbStore {
    /// Complaint tickets created in `[from, to)` (tenant-local `YYYY-MM-DD`), oldest first, at
    /// most `limit`, and how many there are; `None` when the tenant keeps no tickets at all
    /// (its complaints are then the contacts whose business type is `complaint`).
    pub fn complaint_tickets(
        &self,
        tenant: &TenantId,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Option<(u64, Vec<ContactLine>)>> {
        let keep = self.settings_of(tenant).mask_keep;
        let tenant = tenant.as_str();
        let any: i64 = self.conn.query_row(
            "SELECT count(*) FROM tickets WHERE tenant = ?",
            params![tenant],
            |r| r.get(0),
        )?;
        if any == 0 {
            return Ok(None);
        }
        let wheres = "tenant = ? AND kind = 'complaint' AND local_ts >= CAST(? AS TIMESTAMP) \
                      AND local_ts < CAST(? AS TIMESTAMP)";
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM tickets WHERE {wheres}"),
            params![tenant, from, to],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, strftime(local_ts, '%Y-%m-%d %H:%M:%S'), channel, customer, business_line,
                    category, valid, escalated, escalated_via, closed_at IS NOT NULL
             FROM tickets WHERE {wheres} ORDER BY local_ts, id LIMIT ?"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![tenant, from, to, limit], |r| {
            let valid: Option<bool> = r.get(6)?;
            let escalated: bool = r.get(7)?;
            let via: Option<String> = r.get(8)?;
            let closed: bool = r.get(9)?;
            Ok(ContactLine {
                id: r.get(0)?,
                time: r.get(1)?,
                channel: r.get(2)?,
                queue: None,
                agent: None,
                customer: r
                    .get::<_, Option<String>>(3)?
                    .map(|c| mask_keeping(&c, keep)),
                business_line: r.get(4)?,
                category: r.get(5)?,
                survey_reason: None,
                talk_s: None,
                status: Some(ticket_status(valid, escalated, via, closed)),
            })
        })?;
        let lines = rows.collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Some((u64::try_from(total).unwrap_or(0), lines)))
    }
}

#[cfg(test)]
mod tests {
    use super::{mask_customer, mask_keeping, reveal_customer, Reveal, HIDDEN};

    #[test]
    fn numbers_keep_their_ends() {
        assert_eq!(mask_customer("13812345678"), "138****5678");
        assert_eq!(mask_customer("08586139818"), "085****9818");
        assert_eq!(mask_customer("u17"), "u**");
        assert_eq!(mask_customer(""), "");
        assert_eq!(mask_keeping("13812345678", [0, 4]), "*******5678");
        assert_eq!(mask_keeping("13812345678", [3, 0]), "138********");
        assert_eq!(mask_keeping("abc", [0, 4]), "***");
        assert_eq!(
            reveal_customer("13812345678", Reveal::Hidden, [3, 4]),
            HIDDEN
        );
        assert_eq!(
            reveal_customer("13812345678", Reveal::Shown, [3, 4]),
            "13812345678"
        );
    }
}
