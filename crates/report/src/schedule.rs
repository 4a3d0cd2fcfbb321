//! Scheduled reports: which periods a schedule owes a report for, and generating one.
//!
//! A schedule `every month --day 1 --at 06:00` owes, for each month, that month's report on
//! the 1st of the next month at 06:00 tenant-local. Every period whose due time lies between
//! the schedule's creation and now is owed until its report is recorded, so runs missed while
//! the server was down are caught up on the next start.

use std::path::PathBuf;

use ccpulse_metrics::Catalog;
use ccpulse_model::TenantId;
use ccpulse_store::{DuckDbStore, ReportSchedule};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::{operations, quality, scorecard, Format, Lang, Period, ReportError};

/// Reports a schedule can make.
pub const REPORTS: [&str; 3] = ["operations", "scorecard", "quality"];
/// A schedule's `report` that names a template (`template:NAME`) runs that saved view.
pub const TEMPLATE_PREFIX: &str = "template:";
/// Periods a schedule can step by.
pub const EVERY: [&str; 5] = ["day", "week", "month", "quarter", "year"];

/// Periods owed at most per schedule in one round (a long downtime catches up in rounds).
const CATCH_UP: usize = 36;

/// Checks a schedule's words before it is stored.
pub fn validate(s: &ReportSchedule) -> Result<(), ReportError> {
    let bad = |m: String| Err(ReportError::Invalid(m));
    let template = s.report.strip_prefix(TEMPLATE_PREFIX);
    if template.is_some_and(str::is_empty)
        || (template.is_none() && !REPORTS.contains(&s.report.as_str()))
    {
        return bad(format!(
            "--report {}: one of {}, or {TEMPLATE_PREFIX}NAME for a saved view",
            s.report,
            REPORTS.join(", ")
        ));
    }
    if !EVERY.contains(&s.every.as_str()) {
        return bad(format!("--every {}: one of {}", s.every, EVERY.join(", ")));
    }
    if !(1..=28).contains(&s.day) {
        return bad(format!("--day {}: 1 to 28 (every month has it)", s.day));
    }
    if s.at.parse::<Time>().is_err() {
        return bad(format!("--at {}: a time like 06:00", s.at));
    }
    Format::parse(&s.format)?;
    if let Err(e) = ccpulse_model::check_name("schedule id", &s.id) {
        return bad(e);
    }
    Ok(())
}

/// Where a schedule may write and call: its folder inside `reports_dir` (a relative `to` is
/// taken inside it; `..` is refused), its webhook starting with one of `webhook_allow`.
/// Returns the folder to store.
pub fn check_destination(
    to: &str,
    webhook: Option<&str>,
    reports_dir: &std::path::Path,
    webhook_allow: &[String],
) -> Result<PathBuf, ReportError> {
    use std::path::Component;
    let bad = |m: String| Err(ReportError::Invalid(m));
    let given = std::path::Path::new(to);
    if given
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return bad(format!(
            "--to {to}: `..` is not allowed in a reports folder"
        ));
    }
    let root = std::path::absolute(reports_dir).unwrap_or_else(|_| reports_dir.to_owned());
    let folder = if given.is_absolute() {
        given.to_owned()
    } else {
        root.join(given)
    };
    if !folder.starts_with(&root) {
        return bad(format!(
            "--to {to}: reports are written inside {} (set `reports_dir` in ccpulse.toml to move it)",
            root.display()
        ));
    }
    if let Some(url) = webhook {
        let web = url.starts_with("https://") || url.starts_with("http://");
        if !web
            || !webhook_allow
                .iter()
                .any(|a| !a.is_empty() && url.starts_with(a.as_str()))
        {
            return bad(format!(
                "--webhook {url}: not in the allow-list (`webhook_allow` in ccpulse.toml: {})",
                if webhook_allow.is_empty() {
                    "empty".to_owned()
                } else {
                    webhook_allow.join(", ")
                }
            ));
        }
    }
    Ok(folder)
}

/// The period of kind `every` that contains `d`.
pub fn period_of(every: &str, d: Date) -> Result<Period, ReportError> {
    let range = |from: Date, to: Date| Period::parse(&format!("{from}..{to}"));
    match every {
        "day" => range(
            d,
            d.tomorrow()
                .map_err(|e| ReportError::Period(e.to_string()))?,
        ),
        "week" => {
            let monday = d
                .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
                .map_err(|e| ReportError::Period(e.to_string()))?;
            range(
                monday,
                monday
                    .checked_add(7.days())
                    .map_err(|e| ReportError::Period(e.to_string()))?,
            )
        }
        "month" => Period::parse(&format!("{}-{:02}", d.year(), d.month())),
        "quarter" => Period::parse(&format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)),
        "year" => Period::parse(&format!("{}", d.year())),
        other => Err(ReportError::Invalid(format!("--every {other}"))),
    }
}

/// When the report of `p` is due: `day` days into the next period, at `at`, tenant-local.
fn due(p: &Period, s: &ReportSchedule, tz: &TimeZone) -> Option<Timestamp> {
    let at: Time = s.at.parse().ok()?;
    // `day` counts into the next period; a day has one, a week seven.
    let offset = match s.every.as_str() {
        "day" => 0,
        "week" => (i64::from(s.day) - 1).min(6),
        _ => i64::from(s.day) - 1,
    };
    let day = p.to.checked_add(offset.days()).ok()?;
    tz.to_timestamp(day.to_datetime(at)).ok()
}

/// The periods `s` owes a report for at `now` (oldest first), whether or not already made.
pub fn owed(s: &ReportSchedule, tz: &TimeZone, now: Timestamp) -> Result<Vec<Period>, ReportError> {
    let today = now.to_zoned(tz.clone()).date();
    let mut p = period_of(&s.every, today)?;
    let mut out = Vec::new();
    for _ in 0..CATCH_UP * 2 {
        let Some(prev_day) = p.from.yesterday().ok() else {
            break;
        };
        p = period_of(&s.every, prev_day)?;
        let Some(d) = due(&p, s, tz) else { break };
        if d < s.created_at {
            break;
        }
        if d <= now {
            out.push(p.clone());
        }
        if out.len() >= CATCH_UP {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Html => "html",
        Format::Xlsx => "xlsx",
        Format::Json => "json",
        Format::Pdf => "pdf",
    }
}

/// How a report is asked beyond its name and period.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The asking user's scope (a template's report is cut to it; the others refuse one).
    pub scope: &'a [ccpulse_metrics::Filter],
    /// Contacts the operations report lists one by one (`None`: all).
    pub details: Option<usize>,
}

impl Default for Asked<'_> {
    fn default() -> Self {
        Self {
            scope: &[],
            details: Some(operations::DEFAULT_DETAILS),
        }
    }
}

/// The document and JSON of report `name` (one of [`REPORTS`], or `template:NAME`) for
/// `period`, as a schedule, the command line and the reports page make it.
pub fn build(
    store: &DuckDbStore,
    catalog: &Catalog,
    tenant: &TenantId,
    name: &str,
    period: &Period,
    asked: Asked<'_>,
    lang: Lang,
) -> Result<(crate::doc::Document, serde_json::Value), ReportError> {
    let scope = asked.scope;
    if !scope.is_empty() && !name.starts_with(TEMPLATE_PREFIX) {
        return Err(ReportError::Invalid(format!(
            "report `{name}` covers the whole tenant; a user limited to some queues, regions \
             or an agent runs templates ({TEMPLATE_PREFIX}NAME), figures and contacts"
        )));
    }
    let (mut doc, json) = match name {
        "operations" => {
            let r = operations::build(store, catalog, tenant, period, 0, asked.details, lang)?;
            (r.document(), r.to_json())
        }
        "scorecard" => {
            let r = scorecard::build(store, catalog, tenant, period, None, lang)?;
            (r.document(), r.to_json())
        }
        "quality" => {
            let r = quality::build(store, catalog, tenant, period, lang)?;
            (r.document(), r.to_json())
        }
        other => match other.strip_prefix(TEMPLATE_PREFIX) {
            Some(t) => {
                let saved = store.template(tenant, t, None)?.ok_or_else(|| {
                    ReportError::Invalid(format!("no template `{t}` in tenant {tenant}"))
                })?;
                crate::view::run_template(store, catalog, tenant, &saved, period, scope, lang)?
            }
            None => {
                return Err(ReportError::Invalid(format!(
                    "unknown report `{other}` ({}, or {TEMPLATE_PREFIX}NAME)",
                    REPORTS.join(", ")
                )))
            }
        },
    };
    crate::finish(store, catalog, tenant, period, &mut doc, lang)?;
    Ok((doc, json))
}

/// The file name of report `name` of `tenant` for `period`:
/// `operations-bank-2021-06.html`, `template-NAME-bank-2021-Q3.xlsx`.
pub fn file_name(name: &str, tenant: &str, period: &Period, format: Format) -> String {
    format!(
        "{}-{tenant}-{}.{}",
        name.replace(TEMPLATE_PREFIX, "template-"),
        period.label.replace("..", "_"),
        extension(format)
    )
}

/// Generates the report of `s` for `period` into its folder; the file's path.
pub fn generate(
    store: &DuckDbStore,
    catalog: &Catalog,
    s: &ReportSchedule,
    period: &Period,
) -> Result<PathBuf, ReportError> {
    let format = Format::parse(&s.format)?;
    let lang = Lang::parse(&s.lang);
    let tenant = TenantId::new(&s.tenant).map_err(|e| ReportError::Invalid(e.to_string()))?;
    let (doc, json) = build(
        store,
        catalog,
        &tenant,
        &s.report,
        period,
        Asked::default(),
        lang,
    )?;
    let path = PathBuf::from(&s.out_dir).join(file_name(&s.report, &s.tenant, period, format));
    crate::write(&doc, &json, format, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every: &str, created: &str) -> ReportSchedule {
        ReportSchedule {
            tenant: "bank".into(),
            id: "monthly".into(),
            report: "operations".into(),
            every: every.into(),
            day: 1,
            at: "06:00".into(),
            out_dir: "/tmp".into(),
            format: "html".into(),
            lang: "zh-CN".into(),
            webhook: None,
            created_at: created.parse().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn labels(s: &ReportSchedule, now: &str) -> Vec<String> {
        let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
        owed(s, &tz, now.parse().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|p| p.label)
            .collect()
    }

    #[test]
    fn a_monthly_schedule_owes_each_month_from_its_creation() {
        let s = schedule("month", "2021-03-15T00:00:00Z");
        // Before 06:00 Shanghai time on 1 April nothing is due yet.
        assert!(labels(&s, "2021-03-31T21:59:00Z").is_empty());
        assert_eq!(labels(&s, "2021-03-31T22:00:00Z"), ["2021-03"]);
        // Down for two months: April and May are caught up, oldest first.
        assert_eq!(
            labels(&s, "2021-06-02T00:00:00Z"),
            ["2021-03", "2021-04", "2021-05"]
        );
    }

    #[test]
    fn the_due_day_counts_into_the_next_period() {
        let mut s = schedule("month", "2021-03-15T00:00:00Z");
        s.day = 15;
        // March is due on 15 April, 06:00 Shanghai (14 April 22:00 UTC).
        assert!(labels(&s, "2021-04-14T21:59:00Z").is_empty());
        assert_eq!(labels(&s, "2021-04-14T22:00:00Z"), ["2021-03"]);
        let mut w = schedule("week", "2021-06-01T00:00:00Z");
        w.day = 9;
        // A week's due day stops at its seventh: Sunday 13 June, 06:00 Shanghai (12 June
        // 22:00 UTC) for the week of 31 May (the week before was due on 6 June, after the
        // schedule was made).
        assert_eq!(
            labels(&w, "2021-06-12T21:59:00Z"),
            ["2021-05-24..2021-05-31"]
        );
        assert_eq!(
            labels(&w, "2021-06-12T22:00:00Z"),
            ["2021-05-24..2021-05-31", "2021-05-31..2021-06-07"]
        );
    }

    #[test]
    fn other_periods_step_by_their_length() {
        let s = schedule("quarter", "2021-01-01T00:00:00Z");
        assert_eq!(labels(&s, "2021-07-05T00:00:00Z"), ["2021-Q1", "2021-Q2"]);
        let d = schedule("day", "2021-06-01T00:00:00Z");
        assert_eq!(
            labels(&d, "2021-06-03T00:00:00Z"),
            ["2021-06-01..2021-06-02", "2021-06-02..2021-06-03"]
        );
        let w = schedule("week", "2021-06-01T00:00:00Z");
        // 2021-06-07 is a Monday: the week of 31 May is due then at 06:00.
        assert_eq!(
            labels(&w, "2021-06-07T01:00:00Z"),
            ["2021-05-31..2021-06-07"]
        );
    }

    #[test]
    fn schedules_are_checked() {
        let mut s = schedule("month", "2021-01-01T00:00:00Z");
        assert!(validate(&s).is_ok());
        s.every = "fortnight".into();
        assert!(validate(&s).is_err());
        s.every = "month".into();
        s.at = "25:00".into();
        assert!(validate(&s).is_err());
        s.at = "06:00".into();
        s.report = "template:abandons by queue".into();
        assert!(validate(&s).is_ok(), "a saved view");
        s.report = "template:".into();
        assert!(validate(&s).is_err(), "a template needs a name");
        s.report = "weather".into();
        assert!(validate(&s).is_err());
    }
}
