//! Tenant-local bucketing: the parts of an instant in the tenant's zone, computed once at ingest.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The tenant-local calendar parts of an instant, as stored beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalParts {
    /// Local wall-clock time.
    pub datetime: DateTime,
    /// Local date.
    pub date: Date,
    /// 0..=23.
    pub hour: i8,
    /// 15-minute slot of the day, 0..=95 (30-minute slot = slot / 2).
    pub slot: i16,
    /// ISO weekday, Monday = 1 .. Sunday = 7.
    pub weekday: i8,
    /// year * 100 + month, e.g. 202101.
    pub month: i32,
    /// ISO week-year * 100 + ISO week, e.g. 202053 for 2021-01-01.
    pub week: i32,
}

impl LocalParts {
    /// The parts of `at` in zone `tz`.
    pub fn of(at: Timestamp, tz: &TimeZone) -> Self {
        let datetime = tz.to_offset(at).to_datetime(at);
        Self::of_local(datetime)
    }

    /// The parts of a local wall-clock time.
    pub fn of_local(datetime: DateTime) -> Self {
        let date = datetime.date();
        let iso = date.iso_week_date();
        Self {
            datetime,
            date,
            hour: datetime.hour(),
            slot: i16::from(datetime.hour()) * 4 + i16::from(datetime.minute()) / 15,
            weekday: date.weekday().to_monday_one_offset(),
            month: i32::from(date.year()) * 100 + i32::from(date.month()),
            week: i32::from(iso.year()) * 100 + i32::from(iso.week()),
        }
    }
}

/// Days since 1970-01-01 of a civil date (DuckDB's DATE representation).
pub fn days_since_epoch(date: Date) -> i32 {
    let epoch = Date::constant(1970, 1, 1);
    // A span in days between two civil dates always fits i32 for years -9999..9999.
    date.since((jiff::Unit::Day, epoch))
        .map(|span| span.get_days())
        .unwrap_or(0)
}

/// Microseconds since the Unix epoch of a local wall-clock time read as if it were UTC
/// (DuckDB's naive TIMESTAMP representation).
pub fn naive_micros(datetime: DateTime) -> i64 {
    datetime
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn february_starts_at_local_midnight_in_shanghai() {
        let tz = TimeZone::get("Asia/Shanghai").expect("zone");
        let at: Timestamp = "2021-01-31T17:00:00Z".parse().expect("ts"); // 2021-02-01T01:00+08:00
        let p = LocalParts::of(at, &tz);
        assert_eq!(p.month, 202102);
        assert_eq!(p.hour, 1);
        assert_eq!(p.slot, 4);
        assert_eq!(p.weekday, 1); // a Monday
        assert_eq!(p.week, 202105);
    }

    #[test]
    fn iso_week_year_differs_from_calendar_year() {
        let p = LocalParts::of_local("2021-01-01T23:59:59".parse().expect("dt"));
        assert_eq!(p.week, 202053);
        assert_eq!(p.slot, 95);
        assert_eq!(days_since_epoch(p.date), 18628);
        assert_eq!(
            naive_micros("1970-01-02T00:00".parse().expect("dt")),
            86_400_000_000
        );
    }
}
