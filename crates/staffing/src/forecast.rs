//! Volume and handle time per interval, forecast from the history, with its backtest error.
//!
//! The model: a day's volume is a level that moves in a straight line (the trend) times its
//! weekday's factor; the day's volume spreads over its intervals as that weekday's did; the
//! handle time of an interval is that weekday and interval's, weighted by the calls handled.
//! Level, trend and weekday factors are fitted together (least squares on the days divided by
//! their factors, then each factor as the ratio of its days' volume to the line's, until they
//! settle), so a history that is exactly a line times a weekly pattern is forecast exactly.
//!
//! Special days come from the tenant's calendar: holidays, promotions, recalls. They are left
//! out of the fit, and a forecast day on the calendar takes the shape of the weekday it is
//! `like` and its volume times its `factor`.
//!
//! The backtest predicts the last 4 weeks before the forecast from the weeks before them and
//! compares with what came: MAPE (mean of |forecast − actual| / actual over the intervals, or
//! days, with calls) and WAPE (Σ|forecast − actual| / Σ actual).

use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Weekday};
use jiff::ToSpan as _;
use serde::Serialize;

/// Calls' worth of the weekday's handle time an interval's own is weighed against.
const AHT_PRIOR: f64 = 10.0;

/// What one interval of the history held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    pub date: Date,
    /// The interval's index in its day (0 = from midnight).
    pub slot: usize,
    /// Calls that wanted an agent.
    pub calls: f64,
    /// Calls handled, and their mean handle time.
    pub handled: f64,
    pub aht_s: Option<f64>,
}

/// A day of the calendar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Special {
    pub name: String,
    /// The weekday whose shape the day takes (its own when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub like: Option<String>,
    /// Its volume is the usual times this.
    pub factor: f64,
}

/// The tenant's special days.
pub type Calendar = BTreeMap<Date, Special>;

/// A forecast interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Predicted {
    pub date: Date,
    pub slot: usize,
    pub calls: f64,
    pub aht_s: Option<f64>,
}

/// How good the forecast was on the last 4 weeks, fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Accuracy {
    pub mape_interval: Option<f64>,
    pub wape_interval: Option<f64>,
    pub mape_day: Option<f64>,
    pub wape_day: Option<f64>,
    /// Days compared.
    pub days: usize,
    /// The weeks of history each backtest day was predicted from.
    pub weeks: u32,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    slots: usize,
    origin: Date,
    alpha: f64,
    beta: f64,
    factor: [f64; 7],
    share: [Vec<f64>; 7],
    aht: [Vec<Option<f64>>; 7],
    aht_day: [Option<f64>; 7],
    aht_all: Option<f64>,
    /// Days the fit used.
    pub days: usize,
}

fn weekday_index(d: Date) -> usize {
    usize::from(d.weekday().to_monday_zero_offset().unsigned_abs())
}

/// `monday` .. `sunday` (or `周一` .. `周日`) as a weekday index.
pub fn parse_weekday(s: &str) -> Option<usize> {
    let names = [
        ("monday", "周一", Weekday::Monday),
        ("tuesday", "周二", Weekday::Tuesday),
        ("wednesday", "周三", Weekday::Wednesday),
        ("thursday", "周四", Weekday::Thursday),
        ("friday", "周五", Weekday::Friday),
        ("saturday", "周六", Weekday::Saturday),
        ("sunday", "周日", Weekday::Sunday),
    ];
    let lower = s.trim().to_lowercase();
    names
        .iter()
        .find(|(en, zh, _)| *en == lower || *zh == lower || en[..3] == lower)
        .map(|(_, _, w)| usize::from(w.to_monday_zero_offset().unsigned_abs()))
}

fn days_between(from: Date, to: Date) -> f64 {
    f64::from(from.until(to).map_or(0, |s| s.get_days()))
}

/// Least squares `y = a + b·t`; a flat line when the points span less than two weeks.
fn line(points: &[(f64, f64)]) -> (f64, f64) {
    #[allow(clippy::cast_precision_loss)]
    let n = points.len() as f64;
    if points.is_empty() {
        return (0.0, 0.0);
    }
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    if hi - lo < 13.0 {
        return (mean_y, 0.0);
    }
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_y)).sum();
    let b = sxy / sxx;
    (mean_y - b * mean_t, b)
}

/// Fits the model on the `weeks` weeks before `before` (from `first`, the history's first
/// day, if that is later); days the calendar names are left out. `None` without a week of
/// history.
pub fn fit(
    observed: &[Observed],
    calendar: &Calendar,
    slots: usize,
    first: Date,
    before: Date,
    weeks: u32,
) -> Option<Fitted> {
    let start = before
        .checked_sub((i64::from(weeks) * 7).days())
        .ok()?
        .max(first);
    if days_between(start, before) < 7.0 {
        return None;
    }
    // Each day's volume and intervals (days without a row had no calls).
    let mut by_day: HashMap<Date, Vec<Observed>> = HashMap::new();
    for o in observed {
        if o.date >= start && o.date < before && !calendar.contains_key(&o.date) && o.slot < slots {
            by_day.entry(o.date).or_default().push(*o);
        }
    }
    let mut days: Vec<(Date, f64)> = Vec::new();
    let mut d = start;
    while d < before {
        if !calendar.contains_key(&d) {
            let total = by_day
                .get(&d)
                .map_or(0.0, |v| v.iter().map(|o| o.calls).sum());
            days.push((d, total));
        }
        d = d.tomorrow().ok()?;
    }
    if days.is_empty() {
        return None;
    }
    let origin = before;
    let t = |d: Date| days_between(origin, d);
    // Weekday factors and the line, fitted in turn until they settle.
    let mut factor = [0.0; 7];
    let mut count = [0usize; 7];
    for (d, v) in &days {
        factor[weekday_index(*d)] += v;
        count[weekday_index(*d)] += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    for w in 0..7 {
        if count[w] > 0 {
            factor[w] /= count[w] as f64;
        }
    }
    let normalize = |f: &mut [f64; 7]| {
        let present: Vec<f64> = (0..7).filter(|w| count[*w] > 0).map(|w| f[w]).collect();
        #[allow(clippy::cast_precision_loss)]
        let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
        if mean > 0.0 {
            f.iter_mut().for_each(|x| *x /= mean);
        }
        mean
    };
    normalize(&mut factor);
    let (mut alpha, mut beta) = (0.0, 0.0);
    for _ in 0..50 {
        let points: Vec<(f64, f64)> = days
            .iter()
            .filter(|(d, _)| factor[weekday_index(*d)] > 0.0)
            .map(|(d, v)| (t(*d), v / factor[weekday_index(*d)]))
            .collect();
        (alpha, beta) = line(&points);
        let mut next = [0.0; 7];
        let mut level = [0.0; 7];
        for (d, v) in &days {
            let w = weekday_index(*d);
            next[w] += v;
            level[w] += (alpha + beta * t(*d)).max(0.0);
        }
        for w in 0..7 {
            next[w] = if level[w] > 0.0 {
                next[w] / level[w]
            } else {
                0.0
            };
        }
        let m = normalize(&mut next);
        alpha *= m;
        beta *= m;
        let moved = (0..7)
            .map(|w| (next[w] - factor[w]).abs())
            .fold(0.0, f64::max);
        factor = next;
        if moved < 1e-12 {
            break;
        }
    }
    // Intraday shares and handle times per weekday.
    let mut calls: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; slots]);
    let mut total = [0.0; 7];
    let mut talk: [Vec<(f64, f64)>; 7] = std::array::from_fn(|_| vec![(0.0, 0.0); slots]);
    for (d, _) in &days {
        let w = weekday_index(*d);
        for o in by_day.get(d).into_iter().flatten() {
            calls[w][o.slot] += o.calls;
            total[w] += o.calls;
            if let Some(a) = o.aht_s.filter(|_| o.handled > 0.0) {
                talk[w][o.slot].0 += a * o.handled;
                talk[w][o.slot].1 += o.handled;
            }
        }
    }
    let share = std::array::from_fn(|w| {
        calls[w]
            .iter()
            .map(|c| if total[w] > 0.0 { c / total[w] } else { 0.0 })
            .collect()
    });
    let aht_day: [Option<f64>; 7] = std::array::from_fn(|w| {
        let (s, n) = talk[w]
            .iter()
            .fold((0.0, 0.0), |(s, n), (a, b)| (s + a, n + b));
        (n > 0.0).then(|| s / n)
    });
    // An interval's handle time from a handful of calls is mostly noise: it is pulled towards
    // its weekday's by AHT_PRIOR calls' worth (a quiet night interval takes the day's, a
    // busy one keeps its own).
    let aht = std::array::from_fn(|w| {
        talk[w]
            .iter()
            .map(|(s, n)| match aht_day[w] {
                Some(day) => Some((s + AHT_PRIOR * day) / (n + AHT_PRIOR)),
                None => (*n > 0.0).then(|| s / n),
            })
            .collect()
    });
    let (s, n) = talk
        .iter()
        .flatten()
        .fold((0.0, 0.0), |(s, n), (a, b)| (s + a, n + b));
    Some(Fitted {
        slots,
        origin,
        alpha,
        beta,
        factor,
        share,
        aht,
        aht_day,
        aht_all: (n > 0.0).then(|| s / n),
        days: days.len(),
    })
}

impl Fitted {
    /// The forecast of `date`'s intervals.
    pub fn predict(&self, date: Date, calendar: &Calendar) -> Vec<Predicted> {
        let special = calendar.get(&date);
        let w = special
            .and_then(|s| s.like.as_deref())
            .and_then(parse_weekday)
            .unwrap_or_else(|| weekday_index(date));
        let level = (self.alpha + self.beta * days_between(self.origin, date)).max(0.0);
        let day = level * self.factor[w] * special.map_or(1.0, |s| s.factor.max(0.0));
        (0..self.slots)
            .map(|slot| Predicted {
                date,
                slot,
                calls: day * self.share[w][slot],
                aht_s: self.aht[w][slot].or(self.aht_day[w]).or(self.aht_all),
            })
            .collect()
    }

    /// The day's forecast volume.
    pub fn day_total(&self, date: Date, calendar: &Calendar) -> f64 {
        self.predict(date, calendar).iter().map(|p| p.calls).sum()
    }
}

/// The forecast of `days` days from `from`, fitted on the `weeks` weeks before `from`.
pub fn forecast(
    observed: &[Observed],
    calendar: &Calendar,
    slots: usize,
    first: Date,
    from: Date,
    days: u32,
    weeks: u32,
) -> Option<Vec<Predicted>> {
    let model = fit(observed, calendar, slots, first, from, weeks)?;
    let mut out = Vec::new();
    let mut d = from;
    for _ in 0..days {
        out.extend(model.predict(d, calendar));
        d = d.tomorrow().ok()?;
    }
    Some(out)
}

/// The last 4 weeks before `from` predicted from the `weeks` weeks before them, against what
/// came. `None` when there is not a week of history before those 4 weeks.
pub fn backtest(
    observed: &[Observed],
    calendar: &Calendar,
    slots: usize,
    first: Date,
    from: Date,
    weeks: u32,
) -> Option<Accuracy> {
    let cutoff = from.checked_sub(28.days()).ok()?;
    let model = fit(observed, calendar, slots, first, cutoff, weeks)?;
    let mut actual: HashMap<(Date, usize), f64> = HashMap::new();
    for o in observed {
        if o.date >= cutoff && o.date < from {
            *actual.entry((o.date, o.slot)).or_default() += o.calls;
        }
    }
    let (mut ape_i, mut n_i, mut abs_i, mut sum_i) = (0.0, 0usize, 0.0, 0.0);
    let (mut ape_d, mut n_d, mut abs_d, mut sum_d) = (0.0, 0usize, 0.0, 0.0);
    let mut days = 0;
    let mut d = cutoff;
    while d < from {
        if d >= first {
            days += 1;
            let (mut f_day, mut a_day) = (0.0, 0.0);
            for p in model.predict(d, calendar) {
                let a = actual.get(&(d, p.slot)).copied().unwrap_or(0.0);
                let err = (p.calls - a).abs();
                abs_i += err;
                sum_i += a;
                if a > 0.0 {
                    ape_i += err / a;
                    n_i += 1;
                }
                f_day += p.calls;
                a_day += a;
            }
            let err = (f_day - a_day).abs();
            abs_d += err;
            sum_d += a_day;
            if a_day > 0.0 {
                ape_d += err / a_day;
                n_d += 1;
            }
        }
        d = d.tomorrow().ok()?;
    }
    #[allow(clippy::cast_precision_loss)]
    let mean = |s: f64, n: usize| (n > 0).then(|| s / n as f64);
    let ratio = |a: f64, s: f64| (s > 0.0).then(|| a / s);
    Some(Accuracy {
        mape_interval: mean(ape_i, n_i),
        wape_interval: ratio(abs_i, sum_i),
        mape_day: mean(ape_d, n_d),
        wape_day: ratio(abs_d, sum_d),
        days,
        weeks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const FACTOR: [f64; 7] = [1.3, 1.2, 1.1, 1.1, 1.0, 0.7, 0.6];

    /// A day's share of its volume at each of 96 intervals: a bell over the day, narrower on
    /// weekends.
    fn shape(w: usize) -> Vec<f64> {
        let width = if w >= 5 { 10.0 } else { 16.0 };
        let raw: Vec<f64> = (0..96)
            .map(|s| (-((s as f64 - 48.0) / width).powi(2)).exp())
            .collect();
        let total: f64 = raw.iter().sum();
        raw.iter().map(|r| r / total).collect()
    }

    /// 12 weeks of a line (2000 calls a day, +15 a day) times a weekly pattern, its intervals
    /// shaped by weekday, AHT 180 s in the morning and 240 s after noon; a holiday in it.
    fn history(from: Date) -> (Vec<Observed>, Date) {
        let first = from.checked_sub(84.days()).unwrap_or(from);
        let mean: f64 = FACTOR.iter().sum::<f64>() / 7.0;
        let mut out = Vec::new();
        let mut d = first;
        while d < from {
            let w = weekday_index(d);
            let t = days_between(from, d);
            let mut total = (2000.0 + 15.0 * t) * FACTOR[w] / mean;
            if d == date(2026, 10, 1) {
                total *= 0.2;
            }
            for (slot, s) in shape(w).iter().enumerate() {
                out.push(Observed {
                    date: d,
                    slot,
                    calls: total * s,
                    handled: total * s,
                    aht_s: Some(if slot < 48 { 180.0 } else { 240.0 }),
                });
            }
            d = d.tomorrow().unwrap_or(d);
        }
        (out, first)
    }

    fn holiday() -> Calendar {
        let mut c = Calendar::new();
        c.insert(
            date(2026, 10, 1),
            Special {
                name: "国庆节".into(),
                like: Some("sunday".into()),
                factor: 0.4,
            },
        );
        c
    }

    #[test]
    fn a_line_times_a_weekly_pattern_is_forecast_exactly() {
        let from = date(2026, 11, 2);
        let (obs, first) = history(from);
        let cal = holiday();
        let acc = backtest(&obs, &cal, 96, first, from, 8).unwrap_or_else(|| panic!("no backtest"));
        assert_eq!(acc.days, 28);
        for e in [
            acc.mape_interval,
            acc.wape_interval,
            acc.mape_day,
            acc.wape_day,
        ] {
            assert!(e.is_some_and(|e| e < 1e-9), "{acc:?}");
        }
        let f = forecast(&obs, &cal, 96, first, from, 7, 8).unwrap_or_default();
        assert_eq!(f.len(), 7 * 96);
        let mean: f64 = FACTOR.iter().sum::<f64>() / 7.0;
        for day in 0..7 {
            let d = from.checked_add((day as i64).days()).unwrap_or(from);
            let w = weekday_index(d);
            let want = (2000.0 + 15.0 * day as f64) * FACTOR[w] / mean;
            let got: f64 = f[day * 96..(day + 1) * 96].iter().map(|p| p.calls).sum();
            assert!((got - want).abs() < 1e-6, "{d}: {got} != {want}");
            let p9 = f[day * 96 + 36];
            assert!((p9.calls - want * shape(w)[36]).abs() < 1e-9);
            // A busy interval keeps (nearly) its own handle time.
            assert!(p9.aht_s.is_some_and(|a| (a - 180.0).abs() < 3.0), "{p9:?}");
            let p15 = f[day * 96 + 60];
            assert!(
                p15.aht_s.is_some_and(|a| (a - 240.0).abs() < 3.0),
                "{p15:?}"
            );
        }
        // A special day ahead: the shape of a Sunday, 0.4 of its volume.
        let mut cal = cal;
        let day = date(2026, 11, 4);
        cal.insert(
            day,
            Special {
                name: "recall".into(),
                like: Some("sunday".into()),
                factor: 0.4,
            },
        );
        let model = fit(&obs, &cal, 96, first, from, 8).unwrap_or_else(|| panic!("no fit"));
        let want = (2000.0 + 15.0 * 2.0) * FACTOR[6] / mean * 0.4;
        assert!((model.day_total(day, &cal) - want).abs() < 1e-6);
        let p = model.predict(day, &cal);
        assert!((p[48].calls - want * shape(6)[48]).abs() < 1e-9);
    }

    #[test]
    fn without_a_week_of_history_there_is_no_forecast() {
        let from = date(2026, 11, 2);
        let (obs, _) = history(from);
        let first = from.checked_sub(5.days()).unwrap_or(from);
        assert!(fit(&obs, &Calendar::new(), 96, first, from, 8).is_none());
        assert!(backtest(&obs, &Calendar::new(), 96, first, from, 8).is_none());
        assert_eq!(parse_weekday("Sun"), Some(6));
        assert_eq!(parse_weekday("周一"), Some(0));
    }
}
