//! The metric catalog: metrics declared as data, compiled by [`crate::sql`].

use std::collections::BTreeMap;

use serde::Deserialize;

/// The catalog shipped with ccpulse.
pub const EMBEDDED_CATALOG: &str = include_str!("../catalog.toml");

/// What a metric's value measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Ratio,
    Seconds,
    Minutes,
    Hours,
    Score,
    Per100k,
}

impl Unit {
    /// The unit's name as written in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Score => "score",
            Unit::Per100k => "per_100k",
        }
    }
}

/// What a metric is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// One row per contact.
    #[default]
    Contacts,
    /// Agent state intervals, cut into tenant-local 15-minute slots: one row per interval
    /// and slot with `secs`, the interval's seconds inside the slot; columns agent, queue,
    /// state, reason and the local_* bucket columns.
    AgentStates,
    /// How many agents were logged in at once: logged-in intervals cut into the same slots,
    /// each piece a +1 at its start and a -1 at its end (`t`, `delta`, `slot_start`). A
    /// metric over it sees `logged_in`, the running count in its slot within the query's
    /// filters and `--by` keys, at every instant it changes (and at each slot's start).
    AgentPresence,
    /// One row per ticket, bucketed by its tenant-local creation time; columns kind,
    /// business_line, category, channel, customer, valid, escalated, escalated_via, refund,
    /// satisfaction and `is_repeat` (same customer and leaf category after the earlier
    /// complaint was closed).
    Tickets,
    /// The subscriber base: one row per month and business line (`subscribers`), bucketed on
    /// the month's first day.
    Subscribers,
    /// Agents over the query's range (which it needs): `left_in_range`, `at_start`, `at_end`
    /// (employed on the first day and on the day after the last), by team.
    Agents,
    /// The calendar of the query's range (which it needs): one row per tenant-local day and
    /// quarter hour, whether or not anything happened, with the local_* bucket columns. A
    /// denominator of averages per day (`days`): only the time of day, the weekday and the
    /// buckets cut or filter it; other dimensions leave the number of days as it is.
    Days,
    /// Surveyed contacts that waited, with their wait's and their score's rank among the
    /// query's group (`wait_rank`, `score_rank`: average ranks, ties sharing theirs), for
    /// rank correlations. Every dimension of contacts cuts it.
    SurveyRanks,
    /// Each inbound contact once per service channel it used (`service_channel`): `ivr` or
    /// `voice_bot` for a voice contact with an IVR stage or that ended in self service,
    /// `agent` for one that asked for an agent, `chat`, `email`, `video`; `resolved_here`
    /// when it ended there (self service without asking for an agent; answered without a
    /// transfer and not marked unresolved). Every dimension of contacts cuts it.
    ChannelLegs,
}

impl Table {
    /// The table's name as written in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Contacts => "contacts",
            Table::AgentStates => "agent_states",
            Table::AgentPresence => "agent_presence",
            Table::Tickets => "tickets",
            Table::Subscribers => "subscribers",
            Table::Agents => "agents",
            Table::Days => "days",
            Table::SurveyRanks => "survey_ranks",
            Table::ChannelLegs => "channel_legs",
        }
    }
}

/// Whether a higher value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
    Neutral,
}

impl Direction {
    /// The direction's name as written in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Neutral => "neutral",
        }
    }
}

/// A scoring band: `points` when the value satisfies every condition given.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub points: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub le: Option<f64>,
}

impl Band {
    /// Whether `value` falls in this band.
    pub fn holds(&self, value: f64) -> bool {
        self.gt.is_none_or(|b| value > b)
            && self.ge.is_none_or(|b| value >= b)
            && self.lt.is_none_or(|b| value < b)
            && self.le.is_none_or(|b| value <= b)
    }

    /// The band's condition in words, e.g. `> 0.95`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (">", self.gt),
            (">=", self.ge),
            ("<", self.lt),
            ("<=", self.le),
        ]
        .iter()
        .filter_map(|(op, b)| b.map(|b| format!("{op} {b}")))
        .collect();
        if parts.is_empty() {
            "otherwise".to_owned()
        } else {
            parts.join(" and ")
        }
    }
}

/// One way to compute a metric (a metric has one, or several named variants).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formula {
    pub formula: Option<String>,
    pub numerator: String,
    pub denominator: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    name: String,
    #[serde(default)]
    table: Table,
    zh: String,
    en: String,
    unit: Unit,
    direction: Direction,
    formula: Option<String>,
    /// The formula in words in zh-CN (the wall's tooltips); the English one when absent.
    formula_zh: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    scale: Option<f64>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    variants: BTreeMap<String, Formula>,
    #[serde(default)]
    bands: Vec<Band>,
    /// A ratio of two catalog metrics that may live in different tables:
    /// `of = ["valid_complaints", "answered"]`.
    of: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    predicates: BTreeMap<String, String>,
    #[serde(default)]
    metric: Vec<RawMetric>,
}

/// A metric of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    /// What it is computed over.
    pub table: Table,
    /// zh-CN label; may contain `{param}`.
    pub zh: String,
    /// English label; may contain `{param}`.
    pub en: String,
    pub unit: Unit,
    pub direction: Direction,
    /// Parameter defaults; `tenant.*` values come from the tenant's settings.
    pub params: BTreeMap<String, String>,
    /// Named ways to compute it; a metric without variants has one named `default`.
    pub variants: BTreeMap<String, Formula>,
    /// Multiplies the value (e.g. seconds to minutes).
    pub scale: f64,
    /// Scoring bands, best first; empty when the metric has no standard.
    pub bands: Vec<Band>,
    /// For a ratio of two catalog metrics: (numerator metric, denominator metric).
    pub of: Option<(String, String)>,
    /// The formula in words in zh-CN, when the catalog gives it.
    pub formula_zh: Option<String>,
}

impl Metric {
    /// Points for `value` by the bands, `None` without bands or value.
    pub fn score(&self, value: Option<f64>) -> Option<u8> {
        let value = value?;
        self.bands.iter().find(|b| b.holds(value)).map(|b| b.points)
    }

    /// The variant called `name` (or one of its aliases).
    pub fn variant(&self, name: &str) -> Option<(&str, &Formula)> {
        self.variants
            .iter()
            .find(|(k, f)| *k == name || f.aliases.iter().any(|a| a == name))
            .map(|(k, f)| (k.as_str(), f))
    }

    /// The label in `lang` (`en` or anything else for zh-CN).
    pub fn label(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.en
        } else {
            &self.zh
        }
    }
}

/// A catalog that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("{origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("{origin}: metric `{metric}`: {message}")]
    Metric {
        origin: String,
        metric: String,
        message: String,
    },
}

/// All metrics and the predicates their formulas use.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub predicates: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, Metric>,
    /// Names in declaration order, for listings.
    pub order: Vec<String>,
}

impl Catalog {
    /// The embedded catalog alone.
    pub fn embedded() -> Result<Self, CatalogError> {
        Self::load(None)
    }

    /// The embedded catalog extended (and overridden by name) by a user file's text.
    pub fn load(user: Option<(&str, &str)>) -> Result<Self, CatalogError> {
        let mut cat = Catalog {
            predicates: BTreeMap::new(),
            metrics: BTreeMap::new(),
            order: Vec::new(),
        };
        cat.merge("catalog.toml", EMBEDDED_CATALOG)?;
        if let Some((origin, text)) = user {
            cat.merge(origin, text)?;
        }
        cat.check()?;
        Ok(cat)
    }

    fn merge(&mut self, origin: &str, text: &str) -> Result<(), CatalogError> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| CatalogError::Toml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        self.predicates.extend(raw.predicates);
        for m in raw.metric {
            let err = |message: &str| CatalogError::Metric {
                origin: origin.to_owned(),
                metric: m.name.clone(),
                message: message.to_owned(),
            };
            let mut variants = m.variants.clone();
            let of = match m.of.as_deref() {
                None => None,
                Some([num, den]) => {
                    if m.numerator.is_some() || !variants.is_empty() {
                        return Err(err("give either `of` or a numerator, not both"));
                    }
                    variants.insert(
                        "default".to_owned(),
                        Formula {
                            formula: m.formula.clone(),
                            numerator: String::new(),
                            denominator: None,
                            aliases: Vec::new(),
                        },
                    );
                    Some((num.clone(), den.clone()))
                }
                Some(_) => return Err(err("`of` names two metrics: [numerator, denominator]")),
            };
            match (&m.numerator, variants.is_empty()) {
                _ if of.is_some() => {}
                (Some(numerator), true) => {
                    variants.insert(
                        "default".to_owned(),
                        Formula {
                            formula: m.formula.clone(),
                            numerator: numerator.clone(),
                            denominator: m.denominator.clone(),
                            aliases: Vec::new(),
                        },
                    );
                }
                (None, false) => {
                    if !variants.contains_key("default") {
                        return Err(err("variants need one named `default`"));
                    }
                }
                (Some(_), false) => return Err(err("give either numerator or variants, not both")),
                (None, true) => return Err(err("needs a numerator")),
            }
            let mut params = m.params.clone();
            if variants.len() > 1 {
                params
                    .entry("variant".to_owned())
                    .or_insert_with(|| "default".to_owned());
            }
            if !self.metrics.contains_key(&m.name) {
                self.order.push(m.name.clone());
            }
            self.metrics.insert(
                m.name.clone(),
                Metric {
                    name: m.name,
                    table: m.table,
                    zh: m.zh,
                    en: m.en,
                    unit: m.unit,
                    direction: m.direction,
                    params,
                    variants,
                    scale: m.scale.unwrap_or(1.0),
                    bands: m.bands,
                    of,
                    formula_zh: m.formula_zh,
                },
            );
        }
        Ok(())
    }

    /// Every formula must expand with default parameters: catches typos at load time.
    fn check(&self) -> Result<(), CatalogError> {
        let settings = crate::TenantSettings::default();
        for m in self.metrics.values() {
            for name in m.variants.keys() {
                let spec = crate::MetricSpec {
                    written: m.name.clone(),
                    name: m.name.clone(),
                    params: [("variant".to_owned(), name.clone())]
                        .into_iter()
                        .filter(|_| m.variants.len() > 1)
                        .collect(),
                };
                crate::sql::resolve(self, &spec, &settings).map_err(|e| CatalogError::Metric {
                    origin: "catalog".to_owned(),
                    metric: m.name.clone(),
                    message: e.to_string(),
                })?;
            }
        }
        Ok(())
    }

    /// The metric called `name`.
    pub fn get(&self, name: &str) -> Option<&Metric> {
        self.metrics.get(name)
    }

    /// Metrics in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &Metric> {
        self.order.iter().filter_map(|n| self.metrics.get(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_has_every_contact_metric_of_the_issue() {
        let cat = Catalog::embedded().expect("catalog");
        for name in [
            "contacts",
            "offered",
            "outbound",
            "outbound_connected",
            "self_service",
            "agent_requests",
            "answered",
            "abandoned",
            "short_abandoned",
            "answer_rate",
            "service_level",
            "answered_within",
            "asa",
            "avg_wait",
            "longest_wait",
            "p90_wait",
            "avg_talk",
            "talk_minutes",
            "aht",
            "survey_offered",
            "very_satisfied",
            "satisfied",
            "neutral",
            "dissatisfied",
            "unrated",
            "satisfaction",
            "survey_participation",
            "fcr",
            "defect_rate",
            "marketing_success",
            "qa_score",
            "transfer_accuracy",
            "outbound_connect_rate",
            "outbound_success_rate",
            "distinct_customers",
        ] {
            let m = cat.get(name).unwrap_or_else(|| panic!("missing {name}"));
            assert!(!m.zh.is_empty() && !m.en.is_empty());
        }
        let sl = cat.get("service_level").expect("sl");
        for v in [
            "default",
            "answered_and_abandoned",
            "abandons_within_met",
            "removed_within",
            "all_queued",
            "amazon",
        ] {
            assert!(sl.variant(v).is_some(), "variant {v}");
        }
    }

    #[test]
    fn seed_002_bands() {
        let cat = Catalog::embedded().expect("catalog");
        let ar = cat.get("answer_rate").expect("answer_rate");
        assert_eq!(ar.score(Some(0.951)), Some(5));
        assert_eq!(ar.score(Some(0.95)), Some(4));
        assert_eq!(ar.score(Some(0.93)), Some(3));
        assert_eq!(ar.score(Some(0.90)), Some(2));
        assert_eq!(ar.score(None), None);
        let dr = cat.get("defect_rate").expect("defect_rate");
        assert_eq!(dr.score(Some(0.002)), Some(5));
        assert_eq!(dr.score(Some(0.0041)), Some(3));
        assert_eq!(dr.score(Some(0.007)), Some(2));
        let ms = cat.get("marketing_success").expect("ms");
        assert_eq!(ms.score(Some(0.30)), Some(4));
        assert!(cat.get("contacts").expect("contacts").bands.is_empty());
    }

    #[test]
    fn user_file_adds_and_overrides() {
        let user = r#"
[predicates]
vip = "queue = 'vip'"

[[metric]]
name = "vip_answered"
zh = "VIP接通量"
en = "VIP answered"
unit = "count"
direction = "higher"
numerator = "count(*) FILTER (WHERE {answered} AND {vip})"
"#;
        let cat = Catalog::load(Some(("metrics.toml", user))).expect("catalog");
        assert!(cat.get("vip_answered").is_some());
        let bad = user.replace("{vip}", "{nope}");
        let err = Catalog::load(Some(("metrics.toml", &bad))).expect_err("typo");
        assert!(err.to_string().contains("nope"), "{err}");
        let err = Catalog::load(Some(("metrics.toml", "[[metric]]\nname=1"))).expect_err("toml");
        assert!(err.to_string().starts_with("metrics.toml:"), "{err}");
    }
}
