//! Tenants: their time zone and metric defaults.

use std::collections::{HashMap, HashSet};

use ccpulse_metrics::TenantSettings;
use ccpulse_model::{TenantId, DEFAULT_TIMEZONE};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::{DuckDbStore, Result, StoreError};

/// A tenant as stored.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub name: TenantId,
    /// IANA name.
    pub timezone: String,
    pub tz: TimeZone,
    pub settings: TenantSettings,
}

/// A tenant's health: counts and the newest arrivals (UTC), nothing of any contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantHealth {
    pub tenant: String,
    pub contacts: i64,
    pub newest_contact: Option<String>,
    pub events: i64,
    pub newest_event: Option<String>,
    pub quarantined: i64,
}

fn zone(name: &str) -> Result<TimeZone> {
    TimeZone::get(name).map_err(|_| StoreError::TimeZone(name.to_owned()))
}

/// Creates tenant `name` with the defaults (Asia/Shanghai, 20 s, 5 s) unless it exists.
pub(crate) fn insert_default_tenant(conn: &::duckdb::Connection, name: &TenantId) -> Result<()> {
    let defaults = TenantSettings::default();
    conn.execute(
        "INSERT INTO tenants (name, timezone, service_level_threshold, short_abandon)
         VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        ::duckdb::params![
            name.as_str(),
            DEFAULT_TIMEZONE,
            defaults.service_level_threshold,
            defaults.short_abandon
        ],
    )?;
    Ok(())
}

impl DuckDbStore {
    /// Reads the tenants again (another connection may have added some).
    pub fn load_tenants(&mut self) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT name, timezone, service_level_threshold, short_abandon, wait_bands,
                    ultra_short_talk, ultra_long_factor, repeat_days, mask_keep,
                    open_limit_minutes FROM tenants",
        )?;
        let rows = stmt.query_map([], |r| {
            let name: String = r.get(0)?;
            let timezone: String = r.get(1)?;
            let bands: Option<String> = r.get(4)?;
            let defaults = TenantSettings::default();
            let settings = TenantSettings {
                service_level_threshold: r.get(2)?,
                short_abandon: r.get(3)?,
                wait_bands: bands
                    .and_then(|b| TenantSettings::parse_wait_bands(&b).ok())
                    .unwrap_or(defaults.wait_bands),
                ultra_short_talk: r
                    .get::<_, Option<f64>>(5)?
                    .unwrap_or(defaults.ultra_short_talk),
                ultra_long_factor: r
                    .get::<_, Option<f64>>(6)?
                    .unwrap_or(defaults.ultra_long_factor),
                repeat_days: r.get::<_, Option<f64>>(7)?.unwrap_or(defaults.repeat_days),
                mask_keep: r
                    .get::<_, Option<String>>(8)?
                    .and_then(|m| TenantSettings::parse_mask(&m).ok())
                    .unwrap_or(defaults.mask_keep),
                open_limit_minutes: r
                    .get::<_, Option<f64>>(9)?
                    .unwrap_or(defaults.open_limit_minutes),
            };
            Ok((name, timezone, settings))
        })?;
        let mut loaded = Vec::new();
        for row in rows {
            let (name, timezone, settings) = row?;
            loaded.push(Tenant {
                tz: zone(&timezone)?,
                name: TenantId::new(&name).map_err(|e| StoreError::Invalid(e.to_string()))?,
                timezone,
                settings,
            });
        }
        drop(stmt);
        self.tenants = loaded.into_iter().map(|t| (t.name.clone(), t)).collect();
        Ok(())
    }

    /// All tenants, by name.
    pub fn tenants(&self) -> Vec<Tenant> {
        let mut v: Vec<Tenant> = self.tenants.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The tenant `name`, if it exists.
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.get(name)
    }

    /// The tenant `name`, created with the defaults (Asia/Shanghai, 20 s, 5 s) if new.
    pub fn ensure_tenant(&mut self, name: &TenantId) -> Result<Tenant> {
        if let Some(t) = self.tenants.get(name.as_str()) {
            return Ok(t.clone());
        }
        insert_default_tenant(&self.conn, name)?;
        self.load_tenants()?;
        self.tenants
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| StoreError::UnknownTenant(name.to_string()))
    }

    /// Creates each of `names` that does not exist with the defaults, inside the caller's
    /// transaction if one is open ([`Self::load_tenants`] reads them afterwards).
    pub fn add_default_tenants<'a>(
        &self,
        names: impl IntoIterator<Item = &'a TenantId>,
    ) -> Result<()> {
        for n in names {
            insert_default_tenant(&self.conn, n)?;
        }
        Ok(())
    }

    /// Each known tenant's time zone.
    pub fn tenant_zones(&self) -> HashMap<String, TimeZone> {
        self.tenants
            .iter()
            .map(|(n, t)| (n.to_string(), t.tz.clone()))
            .collect()
    }

    /// Each tenant's health as a platform operator sees it, no contact data: how many
    /// contacts, events and quarantined records it holds and when the newest arrived.
    pub fn tenant_health(&self) -> Result<Vec<TenantHealth>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.name,
                    (SELECT count(*) FROM contacts c WHERE c.tenant = t.name),
                    (SELECT strftime(max(arrived_at), '%Y-%m-%dT%H:%M:%SZ') FROM contacts c
                      WHERE c.tenant = t.name),
                    (SELECT count(*) FROM events e WHERE e.tenant = t.name),
                    (SELECT strftime(max(received_at), '%Y-%m-%dT%H:%M:%SZ') FROM events e
                      WHERE e.tenant = t.name),
                    (SELECT count(*) FROM quarantine q WHERE q.tenant = t.name)
             FROM tenants t ORDER BY t.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TenantHealth {
                tenant: r.get(0)?,
                contacts: r.get(1)?,
                newest_contact: r.get(2)?,
                events: r.get(3)?,
                newest_event: r.get(4)?,
                quarantined: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The tenants that have at least one contact stored.
    pub fn tenants_with_contacts(&self) -> Result<HashSet<String>> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT tenant FROM contacts")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Changes a tenant's settings (creating it if new). A new time zone recomputes every
    /// local column of its contacts in one transaction.
    pub fn set_tenant(
        &mut self,
        name: &TenantId,
        timezone: Option<&str>,
        settings: Option<TenantSettings>,
    ) -> Result<Tenant> {
        let before = self.ensure_tenant(name)?;
        let tz_name = timezone.unwrap_or(&before.timezone).to_owned();
        let tz = zone(&tz_name)?;
        let settings = settings.unwrap_or(before.settings.clone());
        self.in_transaction(|| {
            self.conn.execute(
                "UPDATE tenants SET timezone = ?, service_level_threshold = ?, short_abandon = ?,
                        wait_bands = ?, ultra_short_talk = ?, ultra_long_factor = ?,
                        repeat_days = ?, mask_keep = ?, open_limit_minutes = ?
                 WHERE name = ?",
                ::duckdb::params![
                    tz_name,
                    settings.service_level_threshold,
                    settings.short_abandon,
                    settings.wait_bands_text(),
                    settings.ultra_short_talk,
                    settings.ultra_long_factor,
                    settings.repeat_days,
                    settings.mask_text(),
                    settings.open_limit_minutes,
                    name.as_str()
                ],
            )?;
            if tz_name == before.timezone {
                Ok(())
            } else {
                self.recompute_local(name, &tz)
            }
        })?;
        self.load_tenants()?;
        self.tenants
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| StoreError::UnknownTenant(name.to_string()))
    }

    /// Rewrites the local columns of a tenant's contacts for zone `tz`: the zone's offsets
    /// over the data's span go into a small table, and one UPDATE applies them.
    fn recompute_local(&self, tenant: &TenantId, tz: &TimeZone) -> Result<()> {
        let tenant = tenant.as_str();
        let span: (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT epoch_us(min(t)), epoch_us(max(t)) FROM (
                 SELECT bucket_at AS t FROM contacts WHERE tenant = ?
                 UNION ALL SELECT created_at FROM tickets WHERE tenant = ?)",
            [tenant, tenant],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (Some(min), Some(max)) = span else {
            return Ok(());
        };
        let to_ts = |us: i64| {
            Timestamp::from_microsecond(us).map_err(|e| StoreError::Invalid(e.to_string()))
        };
        let (min, max) = (to_ts(min)?, to_ts(max)?);
        self.conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE tz_ranges (start_us BIGINT, end_us BIGINT, offset_us BIGINT)",
        )?;
        {
            let mut app = self
                .conn
                .appender_to_catalog_and_db("tz_ranges", "temp", "main")?;
            let mut start = Timestamp::MIN;
            let mut offset = tz.to_offset(min);
            for t in tz.following(min) {
                if t.timestamp() > max {
                    break;
                }
                let at = t.timestamp();
                app.append_row(::duckdb::params![
                    start.as_microsecond(),
                    at.as_microsecond(),
                    i64::from(offset.seconds()) * 1_000_000
                ])?;
                start = at;
                offset = t.offset();
            }
            app.append_row(::duckdb::params![
                start.as_microsecond(),
                Timestamp::MAX.as_microsecond(),
                i64::from(offset.seconds()) * 1_000_000
            ])?;
            app.flush()?;
        }
        // Each table's local time from its own instant column.
        for (table, at) in [("tickets", "created_at"), ("contacts", "bucket_at")] {
            self.conn.execute(
                &format!(
                    "UPDATE {table} SET local_ts = make_timestamp(epoch_us({at}) + r.offset_us)
                     FROM tz_ranges r
                     WHERE {table}.tenant = ? AND epoch_us({table}.{at}) >= r.start_us
                       AND epoch_us({table}.{at}) < r.end_us"
                ),
                [tenant],
            )?;
        }
        self.conn.execute(
            "UPDATE contacts SET
                local_date = CAST(local_ts AS DATE),
                local_hour = hour(local_ts),
                local_slot = hour(local_ts) * 4 + minute(local_ts) // 15,
                local_weekday = isodow(local_ts),
                local_month = year(local_ts) * 100 + month(local_ts),
                local_week = isoyear(local_ts) * 100 + week(local_ts)
             WHERE tenant = ?",
            [tenant],
        )?;
        self.conn.execute_batch("DROP TABLE tz_ranges")?;
        Ok(())
    }
}
