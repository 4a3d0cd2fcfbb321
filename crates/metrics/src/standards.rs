//! The KPI standards a tenant is scored by (seed 002): the catalog's bands, with the tenant's
//! overrides from `standards.toml` (`[TENANT]` tables mapping a metric to its bands, best
//! first, e.g. `answer_rate = [{ points = 5, gt = 0.90 }, { points = 3, gt = 0.85 },
//! { points = 1 }]`). Pure: the store reads and writes the file.

use std::collections::BTreeMap;

use ccpulse_model::TenantId;

use crate::{Band, Catalog};

/// The file in the data directory with per-tenant standards.
pub const STANDARDS_FILE: &str = "standards.toml";

/// Standards that cannot be read or saved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct StandardsError(pub String);

/// One tenant's table of the file: metrics' bands, and `baseline`, the values agents are
/// judged against instead of their team's median (`[bank.baseline]` `aht = 180`).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
struct TenantStandards {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    baseline: BTreeMap<String, f64>,
    /// What a request costs in each service channel (`[bank.channel_cost]` `agent = 12.5`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    channel_cost: BTreeMap<String, f64>,
    #[serde(flatten)]
    bands: BTreeMap<String, Vec<Band>>,
}

/// Every tenant's overrides, as the file holds them.
type Overrides = BTreeMap<String, TenantStandards>;

/// The standards a tenant is scored by.
#[derive(Debug, Clone, PartialEq)]
pub struct Standards {
    pub bands: BTreeMap<String, Vec<Band>>,
    /// Metrics whose bands come from the tenant's overrides.
    pub overridden: Vec<String>,
    /// The tenant's own baselines for judging agents, by metric.
    pub baselines: BTreeMap<String, f64>,
    /// What one request costs, by service channel (`ivr`, `voice_bot`, `agent`, `chat`...).
    pub channel_cost: BTreeMap<String, f64>,
}

fn read(text: &str, origin: &str) -> Result<Overrides, StandardsError> {
    toml::from_str(text).map_err(|e| StandardsError(format!("{origin}: {e}")))
}

impl Standards {
    /// The catalog's bands overridden by `[tenant]` of the standards file `text` (if any;
    /// `origin` names it in errors).
    pub fn new(
        catalog: &Catalog,
        file: Option<(&str, &str)>,
        tenant: &TenantId,
    ) -> Result<Self, StandardsError> {
        let mut bands: BTreeMap<String, Vec<Band>> = catalog
            .iter()
            .filter(|m| !m.bands.is_empty())
            .map(|m| (m.name.clone(), m.bands.clone()))
            .collect();
        let mut overridden = Vec::new();
        let mut baselines = BTreeMap::new();
        let mut channel_cost = BTreeMap::new();
        if let Some((origin, text)) = file {
            if let Some(mine) = read(text, origin)?.remove(tenant.as_str()) {
                for (channel, cost) in mine.channel_cost {
                    if !(cost.is_finite() && cost >= 0.0) {
                        return Err(StandardsError(format!(
                            "{origin}: [{tenant}.channel_cost] {channel}: a cost of at least 0"
                        )));
                    }
                    channel_cost.insert(channel, cost);
                }
                for (metric, value) in mine.baseline {
                    if catalog.get(&metric).is_none() {
                        return Err(StandardsError(format!(
                            "{origin}: [{tenant}.baseline] {metric}: no such metric in the catalog"
                        )));
                    }
                    if !value.is_finite() {
                        return Err(StandardsError(format!(
                            "{origin}: [{tenant}.baseline] {metric}: not a number"
                        )));
                    }
                    baselines.insert(metric, value);
                }
                for (metric, b) in mine.bands {
                    if catalog.get(&metric).is_none() {
                        return Err(StandardsError(format!(
                            "{origin}: [{tenant}] {metric}: no such metric in the catalog"
                        )));
                    }
                    overridden.push(metric.clone());
                    bands.insert(metric, b);
                }
            }
        }
        Ok(Self {
            bands,
            overridden,
            baselines,
            channel_cost,
        })
    }

    /// Points for `value` of `metric` by these standards.
    pub fn score(&self, metric: &str, value: Option<f64>) -> Option<u8> {
        let v = value?;
        self.bands
            .get(metric)?
            .iter()
            .find(|b| b.holds(v))
            .map(|b| b.points)
    }

    /// The standards file with `tenant`'s overrides replaced by `overrides` (other tenants'
    /// kept); an empty map returns the tenant to the catalog's bands.
    pub fn replaced(
        catalog: &Catalog,
        file: Option<(&str, &str)>,
        tenant: &TenantId,
        overrides: &BTreeMap<String, Vec<Band>>,
    ) -> Result<String, StandardsError> {
        for (metric, bands) in overrides {
            if catalog.get(metric).is_none() {
                return Err(StandardsError(format!(
                    "{metric}: no such metric in the catalog"
                )));
            }
            if bands.is_empty() {
                return Err(StandardsError(format!("{metric}: give at least one band")));
            }
        }
        let mut all = match file {
            Some((origin, text)) => read(text, origin)?,
            None => Overrides::new(),
        };
        // The tenant's baselines and channel costs stay as they are.
        let mut mine = all.remove(tenant.as_str()).unwrap_or_default();
        mine.bands = overrides.clone();
        if !mine.bands.is_empty() || !mine.baseline.is_empty() || !mine.channel_cost.is_empty() {
            all.insert(tenant.to_string(), mine);
        }
        toml::to_string(&all).map_err(|e| StandardsError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tid(name: &str) -> TenantId {
        TenantId::new(name).expect("tenant")
    }

    #[test]
    fn a_tenants_overrides_replace_the_catalogs_bands_and_nothing_else() {
        let cat = Catalog::embedded().expect("catalog");
        let file = "[bank]\nanswer_rate = [{ points = 5, gt = 0.9 }, { points = 1 }]\n";
        let bank =
            Standards::new(&cat, Some(("standards.toml", file)), &tid("bank")).expect("bank");
        assert_eq!(bank.overridden, vec!["answer_rate"]);
        assert_eq!(bank.score("answer_rate", Some(0.95)), Some(5));
        assert_eq!(bank.score("answer_rate", Some(0.5)), Some(1));
        assert_eq!(bank.score("answer_rate", None), None);
        let other = Standards::new(&cat, Some(("standards.toml", file)), &tid("tel")).expect("tel");
        assert!(other.overridden.is_empty());
        assert_eq!(
            other.bands,
            Standards::new(&cat, None, &tid("tel")).expect("none").bands
        );
        let bad = Standards::new(&cat, Some(("s.toml", "[bank]\nnope = []\n")), &tid("bank"));
        assert!(bad.is_err_and(|e| e.0.contains("no such metric")));

        let text = Standards::replaced(&cat, Some(("s", file)), &tid("tel"), &bank.bands)
            .expect("replaced");
        let again = Standards::new(&cat, Some(("s", &text)), &tid("bank")).expect("bank kept");
        assert_eq!(again.overridden, vec!["answer_rate"]);
        let cleared = Standards::replaced(&cat, Some(("s", file)), &tid("bank"), &BTreeMap::new())
            .expect("cleared");
        assert!(!cleared.contains("bank"));
        let with_baseline = format!("{file}\n[bank.baseline]\naht = 180.5\n");
        let bank = Standards::new(&cat, Some(("s", &with_baseline)), &tid("bank")).expect("bank");
        assert_eq!(bank.baselines.get("aht"), Some(&180.5));
        assert_eq!(bank.overridden, vec!["answer_rate"]);
        let kept = Standards::replaced(
            &cat,
            Some(("s", &with_baseline)),
            &tid("bank"),
            &BTreeMap::new(),
        )
        .expect("replaced");
        let kept = Standards::new(&cat, Some(("s", &kept)), &tid("bank")).expect("kept");
        assert!(kept.overridden.is_empty());
        assert_eq!(
            kept.baselines.get("aht"),
            Some(&180.5),
            "bands cleared, baseline kept"
        );
        let bad = "[bank.baseline]\nnope = 1\n";
        assert!(Standards::new(&cat, Some(("s", bad)), &tid("bank")).is_err());
        let empty = BTreeMap::from([("answer_rate".to_owned(), Vec::new())]);
        assert!(Standards::replaced(&cat, None, &tid("bank"), &empty).is_err());
    }
}
