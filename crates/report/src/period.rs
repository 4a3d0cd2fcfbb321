//! Report periods: `2021`, `2021-Q3`, `2021-06` or `2021-01-01..2021-07-01`, their rows
//! (months or days) and the periods they are compared with.

use ccpulse_metrics::Bucket;
use jiff::civil::{Date, DateTime};
use jiff::{Span, ToSpan};

use crate::ReportError;

/// How a period is cut into the rows of its tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rows {
    Month,
    Day,
}

impl Rows {
    /// The `--by` bucket and the JSON key of a row.
    pub fn key(self) -> &'static str {
        self.bucket().name()
    }

    /// The KPI bucket of one row.
    pub fn bucket(self) -> Bucket {
        match self {
            Rows::Month => Bucket::Month,
            Rows::Day => Bucket::Day,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Year,
    Quarter,
    Month,
    Range,
}

/// A tenant-local period `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As written: `2021`, `2021-Q3`, `2021-06`, `2021-01-01..2021-07-01`.
    pub label: String,
    pub from: Date,
    /// Exclusive.
    pub to: Date,
    pub rows: Rows,
    kind: Kind,
}

fn bad(s: &str) -> ReportError {
    ReportError::Period(format!(
        "`{s}`: write a year (2021), a quarter (2021-Q3), a month (2021-06) or a range of \
         days (2021-01-01..2021-07-01, the end exclusive)"
    ))
}

fn date(y: i16, m: i8, d: i8, s: &str) -> Result<Date, ReportError> {
    Date::new(y, m, d).map_err(|_| bad(s))
}

impl Period {
    /// Parses a period as written on the command line.
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        let t = s.trim();
        if let Some((a, b)) = t.split_once("..") {
            let from: Date = a.trim().parse().map_err(|_| bad(s))?;
            let to: Date = b.trim().parse().map_err(|_| bad(s))?;
            if to <= from {
                return Err(ReportError::Period(format!(
                    "`{s}`: the end must come after the start"
                )));
            }
            return Ok(Self::range(from, to));
        }
        let year = |y: &str| -> Result<i16, ReportError> {
            if y.len() == 4 {
                y.parse().map_err(|_| bad(s))
            } else {
                Err(bad(s))
            }
        };
        match t.split('-').collect::<Vec<_>>()[..] {
            [y] => {
                let y = year(y)?;
                Ok(Self::year(y, s)?)
            }
            [y, q] if q.starts_with(['Q', 'q']) => {
                let y = year(y)?;
                let q: i8 = q[1..].parse().map_err(|_| bad(s))?;
                if !(1..=4).contains(&q) {
                    return Err(bad(s));
                }
                Self::quarter(y, q, s)
            }
            [y, m] => {
                let y = year(y)?;
                let m: i8 = m.parse().map_err(|_| bad(s))?;
                Self::month(y, m, s)
            }
            _ => Err(bad(s)),
        }
    }

    fn year(y: i16, s: &str) -> Result<Self, ReportError> {
        Ok(Self {
            label: format!("{y}"),
            from: date(y, 1, 1, s)?,
            to: date(y, 1, 1, s)?
                .checked_add(1.year())
                .map_err(|_| bad(s))?,
            rows: Rows::Month,
            kind: Kind::Year,
        })
    }

    fn quarter(y: i16, q: i8, s: &str) -> Result<Self, ReportError> {
        let from = date(y, (q - 1) * 3 + 1, 1, s)?;
        Ok(Self {
            label: format!("{y}-Q{q}"),
            from,
            to: from.checked_add(3.months()).map_err(|_| bad(s))?,
            rows: Rows::Month,
            kind: Kind::Quarter,
        })
    }

    fn month(y: i16, m: i8, s: &str) -> Result<Self, ReportError> {
        let from = date(y, m, 1, s)?;
        Ok(Self {
            label: format!("{y}-{m:02}"),
            from,
            to: from.checked_add(1.month()).map_err(|_| bad(s))?,
            rows: Rows::Day,
            kind: Kind::Month,
        })
    }

    fn range(from: Date, to: Date) -> Self {
        // Up to a month of days reads as days; longer ranges as months.
        let days = from.until(to).map_or(0, |sp| sp.get_days());
        Self {
            label: format!("{from}..{to}"),
            from,
            to,
            rows: if days <= 31 { Rows::Day } else { Rows::Month },
            kind: Kind::Range,
        }
    }

    /// The period before this one as a sentence calls it (上月, last month, ...).
    pub fn previous_words(&self, lang: crate::Lang) -> &'static str {
        match (self.kind, lang) {
            (Kind::Month, crate::Lang::Zh) => "上月",
            (Kind::Quarter, crate::Lang::Zh) => "上季度",
            (Kind::Year, crate::Lang::Zh) => "上年",
            (Kind::Range, crate::Lang::Zh) => "上期",
            (Kind::Month, crate::Lang::En) => "last month",
            (Kind::Quarter, crate::Lang::En) => "last quarter",
            (Kind::Year, crate::Lang::En) => "last year",
            (Kind::Range, crate::Lang::En) => "the previous period",
        }
    }

    /// The line under a report's title: `统计区间 2021-01-01 – 2021-12-31`.
    pub fn subtitle(&self, lang: crate::Lang) -> String {
        format!(
            "{} {} – {}",
            lang.pick("统计区间", "Period"),
            self.from,
            self.to.yesterday().unwrap_or(self.to)
        )
    }

    /// The last month of the period (`2021-02`): whose subscriber base rates complaints.
    pub fn last_month(&self) -> String {
        let d = self.to.yesterday().unwrap_or(self.to);
        format!("{}-{:02}", d.year(), d.month())
    }

    /// `[from, to)` as tenant-local times (midnights), the KPI question's range.
    pub fn local_range(&self) -> (DateTime, DateTime) {
        let midnight = |d: Date| d.to_datetime(jiff::civil::Time::midnight());
        (midnight(self.from), midnight(self.to))
    }

    /// `from` as text (the JSON's `from`, the contact lists' range).
    pub fn from_arg(&self) -> String {
        self.from.to_string()
    }

    /// `to` (exclusive) as text (the JSON's `to`, the contact lists' range).
    pub fn to_arg(&self) -> String {
        self.to.to_string()
    }

    fn shifted(&self, by: Span) -> Option<Self> {
        let from = self.from.checked_add(by).ok()?;
        let to = self.to.checked_add(by).ok()?;
        let label = match self.kind {
            Kind::Year => format!("{}", from.year()),
            Kind::Quarter => format!("{}-Q{}", from.year(), (from.month() - 1) / 3 + 1),
            Kind::Month => format!("{}-{:02}", from.year(), from.month()),
            Kind::Range => format!("{from}..{to}"),
        };
        Some(Self {
            label,
            from,
            to,
            rows: self.rows,
            kind: self.kind,
        })
    }

    /// The same period `n` years earlier.
    pub fn years_back(&self, n: i16) -> Option<Self> {
        self.shifted((-i64::from(n)).years())
    }

    /// The period just before this one: the previous month, quarter or year; for a range, the
    /// range of the same number of days that ends where this one starts.
    pub fn previous(&self) -> Option<Self> {
        match self.kind {
            Kind::Year => self.shifted((-1).years()),
            Kind::Quarter => self.shifted((-3).months()),
            Kind::Month => self.shifted((-1).months()),
            Kind::Range => {
                let days = self.from.until(self.to).ok()?.get_days();
                self.shifted((-i64::from(days)).days())
            }
        }
    }

    /// The label of every row of the period, in order (`2021-01` or `2021-06-01`).
    pub fn row_labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = self.from;
        while at < self.to {
            match self.rows {
                Rows::Month => {
                    out.push(format!("{}-{:02}", at.year(), at.month()));
                    at = match at.first_of_month().checked_add(1.month()) {
                        Ok(d) => d,
                        Err(_) => break,
                    };
                }
                Rows::Day => {
                    out.push(at.to_string());
                    at = match at.tomorrow() {
                        Ok(d) => d,
                        Err(_) => break,
                    };
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn periods_parse_into_ranges_and_rows() {
        let y = p("2021");
        assert_eq!(
            (y.from_arg(), y.to_arg(), y.rows),
            ("2021-01-01".into(), "2022-01-01".into(), Rows::Month)
        );
        assert_eq!(y.row_labels().len(), 12);
        let q = p("2021-Q3");
        assert_eq!(
            (q.from_arg(), q.to_arg()),
            ("2021-07-01".into(), "2021-10-01".into())
        );
        assert_eq!(q.row_labels(), ["2021-07", "2021-08", "2021-09"]);
        let m = p("2021-02");
        assert_eq!((m.to_arg(), m.rows), ("2021-03-01".into(), Rows::Day));
        assert_eq!(m.row_labels().len(), 28);
        let r = p("2021-01-01..2021-07-01");
        assert_eq!((r.rows, r.row_labels().len()), (Rows::Month, 6));
        let w = p("2021-06-07..2021-06-14");
        assert_eq!((w.rows, w.row_labels().len()), (Rows::Day, 7));
        for bad in [
            "21",
            "2021-Q5",
            "2021-13",
            "2021-06-01..2021-05-01",
            "last year",
            "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn previous_periods_step_back_by_their_own_length() {
        assert_eq!(p("2021").previous().map(|x| x.label), Some("2020".into()));
        assert_eq!(
            p("2021-Q1").previous().map(|x| x.label),
            Some("2020-Q4".into())
        );
        assert_eq!(
            p("2021-01").previous().map(|x| x.label),
            Some("2020-12".into())
        );
        assert_eq!(
            p("2021-06-07..2021-06-14").previous().map(|x| x.label),
            Some("2021-05-31..2021-06-07".into())
        );
        assert_eq!(
            p("2021-06").years_back(1).map(|x| x.label),
            Some("2020-06".into())
        );
        assert_eq!(
            p("2021").years_back(2).map(|x| x.label),
            Some("2019".into())
        );
    }
}
