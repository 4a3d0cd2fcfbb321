//! Alert rules and their firing/resolved state.
//!
//! A rule is one line a supervisor can read:
//!
//! ```text
//! service_level < 0.80 over 15m for queue vip
//! waiting > 10
//! longest_wait > 60s
//! agents_idle = 0 while waiting > 0
//! abandon_rate >= 5% for channel chat
//! ```
//!
//! `METRIC OP VALUE [over Nm] [for queue Q | for channel C] [while METRIC OP VALUE]`. The
//! metric is a figure of now (`waiting`, `longest_wait`, `agents_idle`, ...) or a catalog KPI of
//! today (`service_level`, `asa`, ...); `over Nm` takes the KPI over the last N minutes instead.
//! Values take `s`, `m` (seconds) and `%` suffixes. A rule with no value to compare (no calls
//! yet) does not fire.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::floor::Scope;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            _ => return None,
        })
    }

    /// Whether `value OP threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        const EPS: f64 = 1e-9;
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold + EPS,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold - EPS,
            Op::Eq => (value - threshold).abs() <= EPS,
            Op::Ne => (value - threshold).abs() > EPS,
        }
    }
}

/// One comparison of a figure with a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub metric: String,
    pub op: Op,
    pub threshold: f64,
    /// Minutes to look back for a KPI (`over 15m`); `None` for today / now.
    pub window_minutes: Option<u32>,
}

impl Condition {
    /// Whether it compares a figure of now (the floor's), not a KPI of today or of a window.
    pub fn is_now(&self) -> bool {
        self.window_minutes.is_none() && crate::floor::Now::FIGURES.contains(&self.metric.as_str())
    }
}

/// An alert rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// A stable id: given by the file or API, else the rule's own text.
    pub id: String,
    /// The rule as written.
    pub text: String,
    pub when: Condition,
    #[serde(skip)]
    pub scope: Scope,
    /// `all`, `queue:vip`, `channel:chat`.
    #[serde(rename = "scope")]
    pub scope_key: String,
    /// A second condition that must hold as well (`while waiting > 0`).
    pub also: Option<Condition>,
}

impl Rule {
    /// Whether every condition is a figure of now: such a rule is evaluated on every change of
    /// the floor, without a query.
    pub fn on_floor(&self) -> bool {
        self.when.is_now() && self.also.as_ref().is_none_or(Condition::is_now)
    }

    /// The rule's conditions.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        std::iter::once(&self.when).chain(self.also.as_ref())
    }
}

/// Why a rule could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule `{rule}`: {reason}")]
pub struct RuleError {
    pub rule: String,
    pub reason: String,
}

fn value(text: &str) -> Option<f64> {
    if let Some(p) = text.strip_suffix('%') {
        return p.parse::<f64>().ok().map(|v| v / 100.0);
    }
    if let Some(m) = text.strip_suffix('m') {
        return m.parse::<f64>().ok().map(|v| v * 60.0);
    }
    let t = text.strip_suffix('s').unwrap_or(text);
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn condition(words: &[&str], rule: &str) -> Result<Condition, RuleError> {
    let err = |reason: String| RuleError {
        rule: rule.to_owned(),
        reason,
    };
    let [metric, op, threshold] = words else {
        return Err(err("expected `METRIC OP VALUE`, e.g. `waiting > 10`".into()));
    };
    let op = Op::parse(op).ok_or_else(|| err(format!("`{op}` is not one of < <= > >= = !=")))?;
    let threshold =
        value(threshold).ok_or_else(|| err(format!("`{threshold}` is not a number")))?;
    if !metric
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_[]=,.".contains(c))
    {
        return Err(err(format!("`{metric}` is not a metric name")));
    }
    Ok(Condition {
        metric: (*metric).to_owned(),
        op,
        threshold,
        window_minutes: None,
    })
}

impl Rule {
    /// Parses a rule; `id` defaults to the text.
    pub fn parse(text: &str, id: Option<&str>) -> Result<Self, RuleError> {
        let err = |reason: String| RuleError {
            rule: text.to_owned(),
            reason,
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let cut = |w: &str| words.iter().position(|x| *x == w);
        let (main, also) = match cut("while") {
            Some(i) => (&words[..i], Some(condition(&words[i + 1..], text)?)),
            None => (&words[..], None),
        };
        let mut end = main.len();
        let mut scope = Scope::All;
        if let Some(i) = main.iter().position(|x| *x == "for") {
            scope = match main.get(i + 1..) {
                Some(["queue", q]) => Scope::Queue((*q).to_owned()),
                Some(["channel", c]) => Scope::Channel((*c).to_owned()),
                _ => return Err(err("expected `for queue NAME` or `for channel NAME`".into())),
            };
            end = i;
        }
        let mut window = None;
        if let Some(i) = main[..end].iter().position(|x| *x == "over") {
            let w = main
                .get(i + 1)
                .filter(|_| i + 2 == end)
                .ok_or_else(|| err("expected `over Nm`, e.g. `over 15m`".into()))?;
            let minutes = w
                .strip_suffix('m')
                .and_then(|m| m.parse::<u32>().ok())
                .filter(|m| *m > 0)
                .ok_or_else(|| err(format!("`{w}` is not a number of minutes like 15m")))?;
            window = Some(minutes);
            end = i;
        }
        let mut when = condition(&main[..end], text)?;
        when.window_minutes = window;
        Ok(Rule {
            id: id.unwrap_or(text).to_owned(),
            text: text.to_owned(),
            when,
            scope_key: scope.key(),
            scope,
            also,
        })
    }
}

/// A rule starting or stopping to fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub rule: String,
    pub text: String,
    pub scope: String,
    /// `firing` or `resolved`.
    pub state: &'static str,
    /// The figure when it changed.
    pub value: Option<f64>,
    pub at: Timestamp,
}

/// Which rules fire now.
#[derive(Debug, Default, Clone)]
pub struct AlertBook {
    firing: BTreeMap<String, Timestamp>,
    /// For each firing rule: its text and the value its figure had when last evaluated.
    now: BTreeMap<String, (String, Option<f64>)>,
}

impl AlertBook {
    /// The book as it was: `firing` rules (id, since when), e.g. from the alert history after
    /// a restart, so a rule that still holds is not announced a second time.
    pub fn restore(firing: impl IntoIterator<Item = (String, Timestamp)>) -> Self {
        Self {
            firing: firing.into_iter().collect(),
            now: BTreeMap::new(),
        }
    }

    /// Evaluates every rule with `figure(scope, condition)` and returns what changed; a rule
    /// that is no longer among `rules` stops firing.
    pub fn evaluate(
        &mut self,
        rules: &[Rule],
        figure: &dyn Fn(&Scope, &Condition) -> Option<f64>,
        now: Timestamp,
    ) -> Vec<AlertEvent> {
        let mut out = self.evaluate_some(rules.iter(), figure, now);
        // Rules that were removed stop firing.
        let gone: Vec<String> = self
            .firing
            .keys()
            .filter(|id| !rules.iter().any(|r| &r.id == *id))
            .cloned()
            .collect();
        for id in gone {
            self.firing.remove(&id);
            self.now.remove(&id);
            out.push(AlertEvent {
                rule: id.clone(),
                text: id,
                scope: String::new(),
                state: "resolved",
                value: None,
                at: now,
            });
        }
        out
    }

    /// Evaluates `rules` only (the others keep their state) and returns what changed.
    pub fn evaluate_some<'r>(
        &mut self,
        rules: impl Iterator<Item = &'r Rule>,
        figure: &dyn Fn(&Scope, &Condition) -> Option<f64>,
        now: Timestamp,
    ) -> Vec<AlertEvent> {
        let mut out = Vec::new();
        for r in rules {
            let v = figure(&r.scope, &r.when);
            let main = v.is_some_and(|v| r.when.op.holds(v, r.when.threshold));
            let also = r
                .also
                .as_ref()
                .is_none_or(|c| figure(&r.scope, c).is_some_and(|x| c.op.holds(x, c.threshold)));
            let fires = main && also;
            if fires {
                self.now.insert(r.id.clone(), (r.text.clone(), v));
            } else {
                self.now.remove(&r.id);
            }
            let was = self.firing.contains_key(&r.id);
            if fires == was {
                continue;
            }
            if fires {
                self.firing.insert(r.id.clone(), now);
            } else {
                self.firing.remove(&r.id);
            }
            out.push(AlertEvent {
                rule: r.id.clone(),
                text: r.text.clone(),
                scope: r.scope_key.clone(),
                state: if fires { "firing" } else { "resolved" },
                value: v,
                at: now,
            });
        }
        out
    }

    /// A firing rule's text and its figure's value at the last evaluation (`None` before
    /// the first evaluation after a restart).
    pub fn current(&self, id: &str) -> Option<&(String, Option<f64>)> {
        self.now.get(id)
    }

    /// Ids of the rules firing now, with since when.
    pub fn firing(&self) -> &BTreeMap<String, Timestamp> {
        &self.firing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_examples_parse() {
        let r = Rule::parse("service_level < 0.80 over 15m for queue vip", None).expect("rule");
        assert_eq!(r.when.metric, "service_level");
        assert_eq!(r.when.op, Op::Lt);
        assert!((r.when.threshold - 0.8).abs() < 1e-12);
        assert_eq!(r.when.window_minutes, Some(15));
        assert_eq!(r.scope, Scope::Queue("vip".into()));
        let r = Rule::parse("longest_wait > 60s", None).expect("rule");
        assert!((r.when.threshold - 60.0).abs() < 1e-12);
        let r = Rule::parse("agents_idle = 0 while waiting > 0", None).expect("rule");
        assert_eq!(r.also.as_ref().map(|c| c.metric.as_str()), Some("waiting"));
        let r = Rule::parse("abandon_rate >= 5% for channel chat", Some("chat-ab")).expect("rule");
        assert!((r.when.threshold - 0.05).abs() < 1e-12);
        assert_eq!(
            (r.id.as_str(), r.scope_key.as_str()),
            ("chat-ab", "channel:chat")
        );
        for bad in [
            "waiting >",
            "waiting ~ 3",
            "waiting > many",
            "sl < 0.8 over 15",
            "waiting > 1 for team x",
        ] {
            assert!(Rule::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn fires_once_and_resolves_once() {
        let rules = vec![Rule::parse("agents_idle = 0 while waiting > 0", None).expect("rule")];
        let mut book = AlertBook::default();
        let t = |s: i64| Timestamp::from_second(1_800_000_000 + s).expect("time");
        let figures = |idle: f64, waiting: f64| {
            move |_: &Scope, c: &Condition| match c.metric.as_str() {
                "agents_idle" => Some(idle),
                "waiting" => Some(waiting),
                _ => None,
            }
        };
        assert!(book.evaluate(&rules, &figures(0.0, 0.0), t(0)).is_empty());
        let fired = book.evaluate(&rules, &figures(0.0, 3.0), t(1));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].state, "firing");
        assert!(book.evaluate(&rules, &figures(0.0, 4.0), t(2)).is_empty());
        // While it fires, the wall can say its condition and the value now.
        let id = &rules[0].id;
        assert_eq!(
            book.current(id),
            Some(&("agents_idle = 0 while waiting > 0".to_owned(), Some(0.0)))
        );
        let resolved = book.evaluate(&rules, &figures(1.0, 4.0), t(3));
        assert_eq!(resolved[0].state, "resolved");
        assert!(book.firing().is_empty());
        assert_eq!(book.current(id), None);
    }
}
