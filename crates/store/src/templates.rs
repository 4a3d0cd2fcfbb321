//! Templates: saved views of the explore page (a KPI question without its period, and how it
//! is shown), per tenant, shared with everyone who may see the tenant or kept by their owner.

use ::duckdb::params;
use ccpulse_model::TenantId;
use jiff::Timestamp;
use serde::Serialize;

use crate::sources::ts;
use crate::{DuckDbStore, Result, StoreError};

/// A saved view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub tenant: String,
    pub name: String,
    pub owner: String,
    pub shared: bool,
    /// The view as the explore page keeps it (JSON text: metrics, by, filters, period, ...).
    pub view: String,
    /// UTC, RFC 3339.
    pub updated_at: String,
}

impl DuckDbStore {
    /// Saves `t` (replacing a template of the same name); `Err` when a template of that name
    /// belongs to someone else.
    pub fn put_template(&self, tenant: &TenantId, t: &Template, now: Timestamp) -> Result<()> {
        // A template's name becomes part of the file names its scheduled runs write.
        ccpulse_model::check_name("template name", &t.name).map_err(StoreError::Invalid)?;
        if let Some(old) = self.template(tenant, &t.name, None)? {
            if old.owner != t.owner {
                return Err(StoreError::Invalid(format!(
                    "template `{}` belongs to {}; choose another name",
                    t.name, old.owner
                )));
            }
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO templates (tenant, name, owner, shared, view, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
            params![tenant.as_str(), t.name, t.owner, t.shared, t.view, ts(now)],
        )?;
        Ok(())
    }

    /// The templates of `tenant` that `user` sees (shared ones and its own; every one when
    /// `user` is `None`), by name.
    pub fn templates(&self, tenant: &TenantId, user: Option<&str>) -> Result<Vec<Template>> {
        let mut stmt = self.conn.prepare(
            "SELECT tenant, name, owner, shared, view,
                    strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ')
             FROM templates
             WHERE tenant = ? AND (CAST(? AS VARCHAR) IS NULL OR shared OR owner = ?)
             ORDER BY name",
        )?;
        let rows = stmt.query_map(params![tenant.as_str(), user, user], |r| {
            Ok(Template {
                tenant: r.get(0)?,
                name: r.get(1)?,
                owner: r.get(2)?,
                shared: r.get(3)?,
                view: r.get(4)?,
                updated_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// One template `user` sees (any when `None`).
    pub fn template(
        &self,
        tenant: &TenantId,
        name: &str,
        user: Option<&str>,
    ) -> Result<Option<Template>> {
        Ok(self
            .templates(tenant, user)?
            .into_iter()
            .find(|t| t.name == name))
    }

    /// Removes `user`'s template (any template when `None`); whether there was one.
    pub fn delete_template(
        &self,
        tenant: &TenantId,
        name: &str,
        user: Option<&str>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM templates
             WHERE tenant = ? AND name = ? AND (CAST(? AS VARCHAR) IS NULL OR owner = ?)",
            params![tenant.as_str(), name, user, user],
        )?;
        Ok(n > 0)
    }
}
