//! Report schedules and the reports they produced.

use ::duckdb::params;
use jiff::Timestamp;
use serde::Serialize;

use ccpulse_model::TenantId;

use crate::sources::ts;
use crate::{DuckDbStore, Result, StoreError};

/// A report to generate for every past period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSchedule {
    pub tenant: String,
    pub id: String,
    /// operations, scorecard or quality.
    pub report: String,
    /// day, week, month, quarter or year.
    pub every: String,
    /// Day of the next period the report is due on (1 = its first day).
    pub day: u32,
    /// Tenant-local time it is due at, `06:00`.
    pub at: String,
    /// Folder the files go to.
    pub out_dir: String,
    /// html, xlsx, json or pdf.
    pub format: String,
    pub lang: String,
    pub webhook: Option<String>,
    /// Periods due before this are not owed.
    pub created_at: Timestamp,
}

/// A generated report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRun {
    pub tenant: String,
    pub schedule: String,
    pub period: String,
    pub path: String,
    pub generated_at: Timestamp,
}

fn when(us: i64) -> std::result::Result<Timestamp, ::duckdb::Error> {
    Timestamp::from_microsecond(us).map_err(|e| {
        ::duckdb::Error::FromSqlConversionFailure(0, ::duckdb::types::Type::BigInt, Box::new(e))
    })
}

/// A `report_runs` row (tenant, schedule_id, period, path, epoch_us(generated_at)).
fn run_of(r: &::duckdb::Row<'_>) -> ::duckdb::Result<ReportRun> {
    Ok(ReportRun {
        tenant: r.get(0)?,
        schedule: r.get(1)?,
        period: r.get(2)?,
        path: r.get(3)?,
        generated_at: when(r.get(4)?)?,
    })
}

impl DuckDbStore {
    /// Adds or replaces a schedule.
    pub fn put_schedule(&self, s: &ReportSchedule) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO report_schedules
             (tenant, id, report, every, day, at_time, out_dir, format, lang, webhook, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                s.tenant,
                s.id,
                s.report,
                s.every,
                s.day,
                s.at,
                s.out_dir,
                s.format,
                s.lang,
                s.webhook,
                ts(s.created_at)
            ],
        )?;
        Ok(())
    }

    /// Schedules, of one tenant or all, by tenant and id.
    pub fn schedules(&self, tenant: Option<&TenantId>) -> Result<Vec<ReportSchedule>> {
        let tenant = tenant.map(TenantId::as_str);
        let mut stmt = self.conn.prepare(
            "SELECT tenant, id, report, every, day, at_time, out_dir, format, lang, webhook,
                    epoch_us(created_at)
             FROM report_schedules WHERE ? IS NULL OR tenant = ? ORDER BY tenant, id",
        )?;
        let rows = stmt.query_map(params![tenant, tenant], |r| {
            Ok(ReportSchedule {
                tenant: r.get(0)?,
                id: r.get(1)?,
                report: r.get(2)?,
                every: r.get(3)?,
                day: r.get(4)?,
                at: r.get(5)?,
                out_dir: r.get(6)?,
                format: r.get(7)?,
                lang: r.get(8)?,
                webhook: r.get(9)?,
                created_at: when(r.get(10)?)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Removes a schedule (its reports stay); whether it existed.
    pub fn delete_schedule(&self, tenant: &TenantId, id: &str) -> Result<bool> {
        self.delete_row("report_schedules", tenant, id)
    }

    /// Records a generated report.
    pub fn add_report_run(&self, run: &ReportRun) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO report_runs VALUES (?, ?, ?, ?, ?)",
            params![
                run.tenant,
                run.schedule,
                run.period,
                run.path,
                ts(run.generated_at)
            ],
        )?;
        Ok(())
    }

    /// Generated reports, newest first.
    pub fn report_runs(&self, tenant: Option<&TenantId>, limit: u32) -> Result<Vec<ReportRun>> {
        let tenant = tenant.map(TenantId::as_str);
        let mut stmt = self.conn.prepare(
            "SELECT tenant, schedule_id, period, path, epoch_us(generated_at) FROM report_runs
             WHERE ? IS NULL OR tenant = ? ORDER BY generated_at DESC, period DESC LIMIT ?",
        )?;
        let rows = stmt.query_map(params![tenant, tenant, limit], run_of)?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(StoreError::from)
    }

    /// The report `schedule` made for `period`, if it made one.
    pub fn report_run(
        &self,
        tenant: &TenantId,
        schedule: &str,
        period: &str,
    ) -> Result<Option<ReportRun>> {
        let mut stmt = self.conn.prepare(
            "SELECT tenant, schedule_id, period, path, epoch_us(generated_at) FROM report_runs
             WHERE tenant = ? AND schedule_id = ? AND period = ?",
        )?;
        let mut rows = stmt.query_map(params![tenant.as_str(), schedule, period], run_of)?;
        Ok(rows.next().transpose()?)
    }

    /// Whether `schedule` already produced its report for `period`.
    pub fn has_report_run(&self, tenant: &TenantId, schedule: &str, period: &str) -> Result<bool> {
        let tenant = tenant.as_str();
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM report_runs WHERE tenant = ? AND schedule_id = ? AND period = ?",
            params![tenant, schedule, period],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }
}
