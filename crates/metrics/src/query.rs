//! What a KPI question is: metrics, by what, over which range, filtered how.

use jiff::civil::DateTime;

use ccpulse_model::TenantId;

use crate::{MetricSpec, QueryError};

/// A time bucket of `--by`, always in the tenant's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Min15,
    Min30,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Bucket {
    /// Every bucket with its `--by` name.
    pub const ALL: &'static [(&'static str, Bucket)] = &[
        ("15min", Bucket::Min15),
        ("30min", Bucket::Min30),
        ("hour", Bucket::Hour),
        ("day", Bucket::Day),
        ("week", Bucket::Week),
        ("month", Bucket::Month),
        ("quarter", Bucket::Quarter),
        ("year", Bucket::Year),
    ];

    /// The `--by` name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("", |(n, _)| n)
    }

    /// The start of the bucket holding `t`.
    pub fn floor(self, t: DateTime) -> DateTime {
        let d = t.date();
        let midnight = |d: jiff::civil::Date| d.to_datetime(jiff::civil::Time::midnight());
        let at = |h: i8, m: i8| d.to_datetime(jiff::civil::time(h, m, 0, 0));
        match self {
            Bucket::Min15 => at(t.hour(), t.minute() / 15 * 15),
            Bucket::Min30 => at(t.hour(), t.minute() / 30 * 30),
            Bucket::Hour => at(t.hour(), 0),
            Bucket::Day => midnight(d),
            Bucket::Week => midnight(
                d.checked_sub(
                    jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset())),
                )
                .unwrap_or(d),
            ),
            Bucket::Month => midnight(d.first_of_month()),
            Bucket::Quarter => {
                midnight(jiff::civil::date(d.year(), (d.month() - 1) / 3 * 3 + 1, 1))
            }
            Bucket::Year => midnight(jiff::civil::date(d.year(), 1, 1)),
        }
    }

    /// The length of one bucket.
    fn step(self) -> jiff::Span {
        match self {
            Bucket::Min15 => jiff::Span::new().minutes(15),
            Bucket::Min30 => jiff::Span::new().minutes(30),
            Bucket::Hour => jiff::Span::new().hours(1),
            Bucket::Day => jiff::Span::new().days(1),
            Bucket::Week => jiff::Span::new().weeks(1),
            Bucket::Month => jiff::Span::new().months(1),
            Bucket::Quarter => jiff::Span::new().months(3),
            Bucket::Year => jiff::Span::new().years(1),
        }
    }

    /// The label of the bucket starting at `t`, as the store writes it.
    pub fn label(self, t: DateTime) -> String {
        match self {
            Bucket::Min15 | Bucket::Min30 | Bucket::Hour => {
                t.strftime("%Y-%m-%dT%H:%M").to_string()
            }
            Bucket::Day => t.strftime("%Y-%m-%d").to_string(),
            Bucket::Week => {
                let w = t.date().iso_week_date();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Bucket::Month => t.strftime("%Y-%m").to_string(),
            Bucket::Quarter => format!("{}-Q{}", t.year(), (t.month() - 1) / 3 + 1),
            Bucket::Year => t.year().to_string(),
        }
    }

    /// Labels of every bucket that overlaps `[from, to)`, in order.
    pub fn labels(self, from: DateTime, to: DateTime) -> Vec<String> {
        let mut out = Vec::new();
        let mut t = self.floor(from);
        while t < to {
            out.push(self.label(t));
            match t.checked_add(self.step()) {
                Ok(next) => t = next,
                Err(_) => break,
            }
        }
        out
    }
}

/// A dimension of `--by` and `--filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Channel,
    Source,
    Direction,
    EntryPoint,
    Queue,
    Agent,
    /// The agent's team, from the agents table.
    Team,
    Region,
    /// The province of `region` (its part before `/`).
    Province,
    BusinessLine,
    Category,
    BusinessType,
    Outcome,
    ExitReason,
    CallId,
    HourOfDay,
    Weekday,
    /// The tenant-local quarter hour of the day (`09:15`), for arrival patterns.
    TimeOfDay,
    /// The wait in bands of seconds (`0-10`, `10-20`, ..., `300+`; no wait: null), the bands
    /// per tenant.
    WaitBand,
    /// A handled call's talk: `ultra_short`, `ultra_long` (against its queue's 95th
    /// percentile over the 30 days where the range ends) or `none`.
    Anomaly,
    /// The service channel: `ivr` or `voice_bot` (self service), `agent` (a voice contact
    /// that asked for an agent), `chat`, `email`, `video`. On contacts, the channel that
    /// served the contact last; on channel legs (`channel_requests`, `resolution_rate`),
    /// every channel it used.
    ServiceChannel,
}

impl Dimension {
    /// Every dimension with its name (which is also its column, for the text ones).
    pub const ALL: &'static [(&'static str, Dimension)] = &[
        ("channel", Dimension::Channel),
        ("source", Dimension::Source),
        ("direction", Dimension::Direction),
        ("entry_point", Dimension::EntryPoint),
        ("queue", Dimension::Queue),
        ("agent", Dimension::Agent),
        ("team", Dimension::Team),
        ("region", Dimension::Region),
        ("province", Dimension::Province),
        ("business_line", Dimension::BusinessLine),
        ("category", Dimension::Category),
        ("business_type", Dimension::BusinessType),
        ("outcome", Dimension::Outcome),
        ("exit_reason", Dimension::ExitReason),
        ("call_id", Dimension::CallId),
        ("hour_of_day", Dimension::HourOfDay),
        ("weekday", Dimension::Weekday),
        ("time_of_day", Dimension::TimeOfDay),
        ("wait_band", Dimension::WaitBand),
        ("anomaly", Dimension::Anomaly),
        ("service_channel", Dimension::ServiceChannel),
    ];

    /// The dimension's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("", |(n, _)| n)
    }

    /// All names, comma-separated, for error messages.
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The dimension called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    /// Whether its values are integers (hour of day 0-23, ISO weekday 1-7).
    pub fn is_numeric(self) -> bool {
        matches!(self, Dimension::HourOfDay | Dimension::Weekday)
    }
}

/// One item of `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByItem {
    Bucket(Bucket),
    Dimension(Dimension),
}

impl ByItem {
    /// Parses a `--by` item.
    pub fn parse(name: &str) -> Result<Self, QueryError> {
        let name = name.trim();
        if let Some((_, b)) = Bucket::ALL.iter().find(|(n, _)| *n == name) {
            return Ok(ByItem::Bucket(*b));
        }
        Dimension::parse(name)
            .map(ByItem::Dimension)
            .ok_or_else(|| QueryError::UnknownBy(name.to_owned()))
    }

    /// Parses a comma-separated `--by` list.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, QueryError> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Self::parse)
            .collect()
    }

    /// The output key of this item.
    pub fn name(self) -> &'static str {
        match self {
            ByItem::Bucket(b) => b.name(),
            ByItem::Dimension(d) => d.name(),
        }
    }
}

/// `--filter KEY=V1,V2`: the dimension takes one of the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub dimension: Dimension,
    pub values: Vec<String>,
}

impl Filter {
    /// `dimension` takes one of `values`.
    pub fn new<S: Into<String>>(dimension: Dimension, values: impl IntoIterator<Item = S>) -> Self {
        Self {
            dimension,
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `dimension` takes one of the comma-separated `values` (blanks around them dropped).
    pub fn listed(dimension: Dimension, values: &str) -> Self {
        Self::new(
            dimension,
            values.split(',').map(str::trim).filter(|v| !v.is_empty()),
        )
    }

    /// Parses `KEY=V1[,V2...]`.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let (key, values) = text
            .split_once('=')
            .ok_or_else(|| QueryError::BadFilter(text.to_owned()))?;
        let dimension = Dimension::parse(key.trim())
            .ok_or_else(|| QueryError::UnknownFilter(key.to_owned()))?;
        let filter = Self::listed(dimension, values);
        if filter.values.is_empty() {
            return Err(QueryError::BadFilter(text.to_owned()));
        }
        if dimension.is_numeric() && filter.values.iter().any(|v| v.parse::<i64>().is_err()) {
            return Err(QueryError::BadFilter(text.to_owned()));
        }
        Ok(filter)
    }
}

/// Per-tenant defaults of metric parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSettings {
    /// Service-level threshold N in seconds (default 20).
    pub service_level_threshold: f64,
    /// Abandons shorter than this many seconds are short abandons (default 5).
    pub short_abandon: f64,
    /// The upper bounds in seconds of the `wait_band` dimension's bands, ascending; the last
    /// band is open (default 10, 20, 30, 60, 120, 300).
    pub wait_bands: Vec<f64>,
    /// Handled calls that talked less than this many seconds are `ultra_short` (default 10).
    pub ultra_short_talk: f64,
    /// Handled calls that talked more than this many times their queue's 95th percentile of
    /// talk are `ultra_long` (default 3).
    pub ultra_long_factor: f64,
    /// A contact is a repeat when the same customer came about the same category this many
    /// days before or less (default 7).
    pub repeat_days: f64,
    /// How customers' numbers are masked: the first and last characters kept (default 3
    /// and 4: `138****5678`).
    pub mask_keep: [usize; 2],
    /// A contact in progress with no step for this many minutes is taken off the live floor
    /// and quarantined as abandoned-unknown (default 240: its end never came).
    pub open_limit_minutes: f64,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            service_level_threshold: 20.0,
            short_abandon: 5.0,
            wait_bands: DEFAULT_WAIT_BANDS.to_vec(),
            ultra_short_talk: 10.0,
            ultra_long_factor: 3.0,
            repeat_days: 7.0,
            mask_keep: [3, 4],
            open_limit_minutes: 240.0,
        }
    }
}

/// The wait bands seed 001 compares satisfaction over, in seconds.
pub const DEFAULT_WAIT_BANDS: [f64; 6] = [10.0, 20.0, 30.0, 60.0, 120.0, 300.0];

impl TenantSettings {
    /// Wait bands from `10,20,30`: ascending positive numbers.
    pub fn parse_wait_bands(text: &str) -> Result<Vec<f64>, String> {
        let bands: Vec<f64> = text
            .split(',')
            .map(|b| {
                b.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        format!("wait bands `{text}`: `{b}` is not a number of seconds > 0")
                    })
            })
            .collect::<Result<_, _>>()?;
        if bands.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("wait bands `{text}`: the bounds must ascend"));
        }
        if bands.len() > 20 {
            return Err(format!("wait bands `{text}`: at most 20 bounds"));
        }
        Ok(bands)
    }

    /// A masking rule from `3,4`: the characters kept at the start and at the end (each at
    /// most 8).
    pub fn parse_mask(text: &str) -> Result<[usize; 2], String> {
        let parts: Vec<Option<usize>> = text
            .split(',')
            .map(|p| p.trim().parse::<usize>().ok().filter(|n| *n <= 8))
            .collect();
        match parts.as_slice() {
            [Some(head), Some(tail)] => Ok([*head, *tail]),
            _ => Err(format!(
                "mask `{text}`: give the characters kept at the start and at the end, each 0 \
                 to 8 (`3,4` masks 13812345678 as 138****5678)"
            )),
        }
    }

    /// The masking rule as written: `3,4`.
    pub fn mask_text(&self) -> String {
        format!("{},{}", self.mask_keep[0], self.mask_keep[1])
    }

    /// The wait bands as written: `10,20,30`.
    pub fn wait_bands_text(&self) -> String {
        self.wait_bands
            .iter()
            .map(|b| format!("{b}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A KPI question: the one way every caller (the command line, the API, the wallboard, the
/// reports, the benchmarks) asks the store for figures.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiQuery {
    pub tenant: TenantId,
    pub metrics: Vec<MetricSpec>,
    pub by: Vec<ByItem>,
    /// Inclusive, tenant-local.
    pub from: Option<DateTime>,
    /// Exclusive, tenant-local.
    pub to: Option<DateTime>,
    pub filters: Vec<Filter>,
    /// Buckets without contacts get a row too (counts 0, ratios null), between `from` and
    /// `to` or the data's first and last bucket.
    pub fill: bool,
}

/// A KPI question as text, the way the command line and the API receive it.
#[derive(Debug, Clone, Copy, Default)]
pub struct KpiText<'a> {
    /// Comma-separated metric references, `answered,service_level[threshold=15]`.
    pub metrics: &'a str,
    /// Comma-separated buckets and dimensions.
    pub by: Option<&'a str>,
    /// Tenant-local, inclusive (`2021-01-01` or `2021-01-01T09:00`).
    pub from: Option<&'a str>,
    /// Tenant-local, exclusive.
    pub to: Option<&'a str>,
    /// `KEY=V1[,V2]` each.
    pub filters: &'a [String],
}

impl KpiQuery {
    /// Whether the question cuts or filters by `d`.
    pub fn uses(&self, d: Dimension) -> bool {
        self.by.contains(&ByItem::Dimension(d)) || self.filters.iter().any(|f| f.dimension == d)
    }

    /// `metrics` of `tenant` over all of its history, not broken down.
    pub fn new(tenant: TenantId, metrics: Vec<MetricSpec>) -> Self {
        Self {
            tenant,
            metrics,
            by: Vec::new(),
            from: None,
            to: None,
            filters: Vec::new(),
            fill: false,
        }
    }

    /// Metrics named as written in code (`"offered"`, `"answered_within[threshold=15]"`).
    pub fn of(tenant: TenantId, metrics: &[&str]) -> Result<Self, QueryError> {
        if metrics.is_empty() {
            return Err(crate::SpecError::Empty.into());
        }
        let specs = metrics
            .iter()
            .map(|m| MetricSpec::parse(m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(tenant, specs))
    }

    /// Reads a question given as text; every error says which part is wrong.
    pub fn parse(tenant: TenantId, text: &KpiText<'_>) -> Result<Self, QueryError> {
        let mut q = Self::new(tenant, MetricSpec::parse_list(text.metrics)?);
        q.by = text
            .by
            .map(ByItem::parse_list)
            .transpose()?
            .unwrap_or_default();
        (q.from, q.to, q.filters) = parse_scope(text.from, text.to, text.filters)?;
        Ok(q)
    }

    /// Broken down by `items`, in order.
    #[must_use]
    pub fn by(mut self, items: impl IntoIterator<Item = ByItem>) -> Self {
        self.by.extend(items);
        self
    }

    /// Over `[from, to)`, tenant-local.
    #[must_use]
    pub fn between(mut self, from: DateTime, to: DateTime) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }

    /// Only contacts that pass `filter` too.
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Every bucket of the range gets a row, with or without contacts.
    #[must_use]
    pub fn filled(mut self) -> Self {
        self.fill = true;
        self
    }
}

/// A question's range (from, to) and filters.
pub(crate) type Scope = (Option<DateTime>, Option<DateTime>, Vec<Filter>);

/// The range and filters of a question given as text (a KPI question's or a drill-down's).
pub(crate) fn parse_scope(
    from: Option<&str>,
    to: Option<&str>,
    filters: &[String],
) -> Result<Scope, QueryError> {
    let (start, end) = (
        from.map(parse_local_time).transpose()?,
        to.map(parse_local_time).transpose()?,
    );
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(QueryError::BackwardRange {
                from: from.unwrap_or_default().trim().to_owned(),
                to: to.unwrap_or_default().trim().to_owned(),
            });
        }
    }
    Ok((
        start,
        end,
        filters
            .iter()
            .map(|f| Filter::parse(f))
            .collect::<Result<_, _>>()?,
    ))
}

/// Parses a tenant-local `2021-01-04`, `2021-01-04T09:00` or `2021-01-04 09:00:00`.
pub fn parse_local_time(text: &str) -> Result<DateTime, QueryError> {
    let t = text.trim();
    if t.len() == 10 {
        if let Ok(d) = t.parse::<jiff::civil::Date>() {
            return Ok(d.to_datetime(jiff::civil::Time::midnight()));
        }
    }
    t.replacen(' ', "T", 1)
        .parse::<DateTime>()
        .map_err(|_| QueryError::BadTime(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_filters_and_times() {
        assert_eq!(
            ByItem::parse_list("month,queue").expect("by"),
            vec![
                ByItem::Bucket(Bucket::Month),
                ByItem::Dimension(Dimension::Queue)
            ]
        );
        assert!(matches!(
            ByItem::parse("colour"),
            Err(QueryError::UnknownBy(_))
        ));
        let f = Filter::parse("queue=vip,general").expect("filter");
        assert_eq!(f.values, vec!["vip", "general"]);
        assert!(Filter::parse("hour_of_day=nine").is_err());
        assert!(Filter::parse("queue").is_err());
        assert_eq!(
            parse_local_time("2021-02-01").expect("date").to_string(),
            "2021-02-01T00:00:00"
        );
        assert_eq!(
            parse_local_time("2021-02-01 09:30")
                .expect("time")
                .to_string(),
            "2021-02-01T09:30:00"
        );
        assert!(parse_local_time("yesterday").is_err());
    }

    #[test]
    fn bucket_labels_cover_the_range() {
        let t = |s: &str| parse_local_time(s).expect("time");
        assert_eq!(
            Bucket::Min15.labels(t("2021-01-04T09:10"), t("2021-01-04T09:45")),
            vec!["2021-01-04T09:00", "2021-01-04T09:15", "2021-01-04T09:30"]
        );
        assert_eq!(
            Bucket::Week.labels(t("2021-01-01"), t("2021-01-05")),
            vec!["2020-W53", "2021-W01"]
        );
        assert_eq!(
            Bucket::Quarter.labels(t("2021-02-01"), t("2021-07-01")),
            vec!["2021-Q1", "2021-Q2"]
        );
        assert_eq!(
            Bucket::Month.labels(t("2021-01-31"), t("2021-03-01")),
            vec!["2021-01", "2021-02"]
        );
        assert_eq!(
            Bucket::Year.labels(t("2021-01-01"), t("2022-01-01")),
            vec!["2021"]
        );
    }
}
