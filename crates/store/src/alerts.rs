//! Alert rules per tenant and the history of their firing and resolving.

use ::duckdb::params;
use jiff::Timestamp;

use ccpulse_model::TenantId;

use crate::sources::ts;
use crate::{DuckDbStore, Result, StoreError};

/// One firing or resolving of a rule (as JSON: `rule` is the id, `text` the rule).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlertRecord {
    pub seq: i64,
    pub tenant: String,
    #[serde(rename = "rule")]
    pub rule_id: String,
    #[serde(rename = "text")]
    pub rule: String,
    pub scope: String,
    pub state: String,
    pub value: Option<f64>,
    pub at: Timestamp,
}

impl DuckDbStore {
    /// The rules of `tenant`: (id, rule text), by id.
    pub fn alert_rules(&self, tenant: &TenantId) -> Result<Vec<(String, String)>> {
        let tenant = tenant.as_str();
        let mut stmt = self
            .conn
            .prepare("SELECT id, rule FROM alert_rules WHERE tenant = ? ORDER BY id")?;
        let rows = stmt.query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Adds or replaces a rule.
    pub fn put_alert_rule(&self, tenant: &TenantId, id: &str, rule: &str) -> Result<()> {
        let tenant = tenant.as_str();
        self.conn.execute(
            "INSERT OR REPLACE INTO alert_rules (tenant, id, rule) VALUES (?, ?, ?)",
            params![tenant, id, rule],
        )?;
        Ok(())
    }

    /// Removes a rule; whether it existed.
    pub fn delete_alert_rule(&self, tenant: &TenantId, id: &str) -> Result<bool> {
        self.delete_row("alert_rules", tenant, id)
    }

    /// Appends firing / resolved events to the history.
    pub fn add_alert_records(&self, records: &[AlertRecord]) -> Result<()> {
        for r in records {
            self.conn.execute(
                "INSERT INTO alert_history (tenant, rule_id, rule, scope, state, value, event_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    r.tenant,
                    r.rule_id,
                    r.rule,
                    r.scope,
                    r.state,
                    r.value,
                    ts(r.at)
                ],
            )?;
        }
        Ok(())
    }

    /// The rules of `tenant` whose latest history entry is `firing` (they were firing when the
    /// server stopped), with since when: (rule id, time).
    pub fn firing_alerts(&self, tenant: &TenantId) -> Result<Vec<(String, Timestamp)>> {
        let tenant = tenant.as_str();
        let mut stmt = self.conn.prepare(
            "SELECT rule_id, epoch_us(arg_max(event_at, seq)) FROM alert_history
             WHERE tenant = ? GROUP BY rule_id
             HAVING arg_max(state, seq) = 'firing' ORDER BY rule_id",
        )?;
        let rows = stmt.query_map([tenant], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, micros) = row?;
            let at = Timestamp::from_microsecond(micros)
                .map_err(|e| StoreError::Invalid(format!("alert time: {e}")))?;
            out.push((id, at));
        }
        Ok(out)
    }

    /// The latest `limit` history entries of `tenant` (all tenants when `None`), newest first.
    pub fn alert_history(&self, tenant: Option<&TenantId>, limit: u32) -> Result<Vec<AlertRecord>> {
        let tenant = tenant.map(TenantId::as_str);
        let mut stmt = self.conn.prepare(
            "SELECT seq, tenant, rule_id, rule, scope, state, value, epoch_us(event_at)
             FROM alert_history WHERE ? IS NULL OR tenant = ?
             ORDER BY seq DESC LIMIT ?",
        )?;
        let rows = stmt.query_map(params![tenant, tenant, limit], |r| {
            Ok((
                AlertRecord {
                    seq: r.get(0)?,
                    tenant: r.get(1)?,
                    rule_id: r.get(2)?,
                    rule: r.get(3)?,
                    scope: r.get(4)?,
                    state: r.get(5)?,
                    value: r.get(6)?,
                    at: Timestamp::UNIX_EPOCH,
                },
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, micros) = row?;
            rec.at = Timestamp::from_microsecond(micros)
                .map_err(|e| StoreError::Invalid(format!("alert time: {e}")))?;
            out.push(rec);
        }
        Ok(out)
    }
}
