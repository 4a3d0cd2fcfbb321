//! Hot topics (seed 001 高频咨询问题, 咨询热点): what customers came about, ranked by volume,
//! each with its change on the previous period, and the biggest risers; the same for the
//! categories of complaints.

use ccpulse_metrics::{ByItem, Catalog, Dimension};
use ccpulse_model::TenantId;
use ccpulse_store::Store;
use serde_json::{json, Value};

use crate::query::Ask;
use crate::{Lang, Period, ReportError};

/// One category of one period against the previous.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    /// The category; `None` for contacts without one.
    pub category: Option<String>,
    pub volume: f64,
    pub previous: f64,
    /// Of all the period's volume.
    pub share: f64,
}

impl Topic {
    /// More (or fewer) than the previous period.
    pub fn delta(&self) -> f64 {
        self.volume - self.previous
    }

    /// The change as a fraction of the previous period; `None` when it had none (new).
    pub fn change(&self) -> Option<f64> {
        (self.previous > 0.0).then(|| self.volume / self.previous - 1.0)
    }

    fn to_json(&self) -> Value {
        json!({
            "category": self.category, "volume": self.volume, "previous": self.previous,
            "delta": self.delta(), "change": self.change(), "share": self.share,
        })
    }
}

/// Categories of one kind (contacts or complaints): ranked, and the risers.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// By volume, most first; those of the previous period only come last with volume 0.
    pub topics: Vec<Topic>,
    /// The categories that grew the most (by count), most first; at most `limit`.
    pub risers: Vec<Topic>,
}

impl Ranking {
    fn to_json(&self, limit: usize) -> Value {
        json!({
            "topics": self.topics.iter().take(limit).map(Topic::to_json).collect::<Vec<_>>(),
            "categories": self.topics.len(),
            "risers": self.risers.iter().map(Topic::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The hot topics of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicsView {
    pub tenant: String,
    pub period: String,
    pub previous: String,
    pub lang: Lang,
    pub limit: usize,
    /// Inbound contacts by category.
    pub contacts: Ranking,
    /// Complaints (tickets) by category.
    pub complaints: Ranking,
}

/// Volume by category of `metric` over a period.
fn volumes(
    ask: &Ask<'_>,
    metric: &str,
    period: &Period,
) -> Result<Vec<(Option<String>, f64)>, ReportError> {
    Ok(ask
        .by(
            &[metric],
            Some(ByItem::Dimension(Dimension::Category)),
            period,
            &[],
            false,
        )?
        .into_iter()
        .map(|(category, f)| (category, f.get(metric).unwrap_or(0.0)))
        .filter(|(_, v)| *v > 0.0)
        .collect())
}

/// Ranks `now` against `before`; the risers are those that grew, most first.
fn rank(now: &[(Option<String>, f64)], before: &[(Option<String>, f64)], limit: usize) -> Ranking {
    let total: f64 = now.iter().map(|(_, v)| v).sum();
    let prev = |c: &Option<String>| before.iter().find(|(k, _)| k == c).map_or(0.0, |(_, v)| *v);
    let mut topics: Vec<Topic> = now
        .iter()
        .map(|(c, v)| Topic {
            category: c.clone(),
            volume: *v,
            previous: prev(c),
            share: if total > 0.0 { v / total } else { 0.0 },
        })
        .collect();
    topics.extend(
        before
            .iter()
            .filter(|(c, _)| !now.iter().any(|(k, _)| k == c))
            .map(|(c, v)| Topic {
                category: c.clone(),
                volume: 0.0,
                previous: *v,
                share: 0.0,
            }),
    );
    topics.sort_by(|a, b| {
        b.volume
            .total_cmp(&a.volume)
            .then_with(|| b.previous.total_cmp(&a.previous))
            .then_with(|| a.category.cmp(&b.category))
    });
    let mut risers: Vec<Topic> = topics.iter().filter(|t| t.delta() > 0.0).cloned().collect();
    risers.sort_by(|a, b| {
        b.delta()
            .total_cmp(&a.delta())
            .then_with(|| a.category.cmp(&b.category))
    });
    risers.truncate(limit);
    Ranking { topics, risers }
}

/// The hot topics of `tenant` over `period` (of the contacts in `scope`): at most `limit` risers of each kind (and of
/// topics, in JSON and tables).
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    tenant: &TenantId,
    period: &Period,
    scope: &[ccpulse_metrics::Filter],
    limit: usize,
    lang: Lang,
) -> Result<TopicsView, ReportError> {
    let previous = period
        .previous()
        .ok_or_else(|| ReportError::Period(format!("`{}` has no previous period", period.label)))?;
    let ask = Ask::new(store, catalog, tenant).scoped(scope);
    let mut kinds = Vec::new();
    for metric in ["offered", "complaints"] {
        // Complaint tickets carry no queue, province or agent: a scoped caller's ranking of
        // them would be the whole tenant's, so it has none.
        if metric == "complaints" && !scope.is_empty() {
            kinds.push(rank(&[], &[], limit));
            continue;
        }
        let now = volumes(&ask, metric, period)?;
        let before = volumes(&ask, metric, &previous)?;
        kinds.push(rank(&now, &before, limit));
    }
    let complaints = kinds.pop().unwrap_or(Ranking {
        topics: Vec::new(),
        risers: Vec::new(),
    });
    let contacts = kinds.pop().unwrap_or(Ranking {
        topics: Vec::new(),
        risers: Vec::new(),
    });
    Ok(TopicsView {
        tenant: tenant.to_string(),
        period: period.label.clone(),
        previous: previous.label.clone(),
        lang,
        limit,
        contacts,
        complaints,
    })
}

impl TopicsView {
    /// `{"tenant", "period", "previous", "contacts": {"topics": [{category, volume, previous,
    /// delta, change, share}], "categories", "risers": [...]}, "complaints": {...}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "tenant": self.tenant, "period": self.period, "previous": self.previous,
            "contacts": self.contacts.to_json(self.limit),
            "complaints": self.complaints.to_json(self.limit),
        })
    }

    /// A line per category of each kind: kind, rank, category, volume, previous, change.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "kind", "rank", "category", "volume", "previous", "delta", "change", "share",
        ])?;
        for (kind, r) in [
            ("contacts", &self.contacts),
            ("complaints", &self.complaints),
        ] {
            for (i, t) in r.topics.iter().enumerate() {
                w.write_record([
                    kind.to_owned(),
                    (i + 1).to_string(),
                    t.category.clone().unwrap_or_default(),
                    t.volume.to_string(),
                    t.previous.to_string(),
                    t.delta().to_string(),
                    t.change().map(|c| c.to_string()).unwrap_or_default(),
                    t.share.to_string(),
                ])?;
            }
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The change in words: `+12.5%`, `new`, `-3.0%`.
    pub fn change_words(&self, t: &Topic) -> String {
        match t.change() {
            Some(c) => format!("{:+.1}%", c * 100.0),
            None => self.lang.pick("新增", "new").to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(c: &str, n: f64) -> (Option<String>, f64) {
        (Some(c.to_owned()), n)
    }

    #[test]
    fn ranked_by_volume_risers_by_growth() {
        let now = [v("billing", 50.0), v("plans", 30.0), v("roaming", 20.0)];
        let before = [v("billing", 60.0), v("plans", 10.0), v("gone", 5.0)];
        let r = rank(&now, &before, 5);
        let names: Vec<_> = r
            .topics
            .iter()
            .map(|t| t.category.clone().expect("category"))
            .collect();
        assert_eq!(names, ["billing", "plans", "roaming", "gone"]);
        assert_eq!(r.topics[0].share, 0.5);
        assert_eq!(r.topics[0].change(), Some(50.0 / 60.0 - 1.0));
        assert_eq!(r.topics[2].change(), None, "new");
        let risers: Vec<_> = r
            .risers
            .iter()
            .map(|t| (t.category.clone().expect("category"), t.delta()))
            .collect();
        assert_eq!(
            risers,
            [("plans".to_owned(), 20.0), ("roaming".to_owned(), 20.0)]
        );
        assert_eq!(rank(&now, &before, 1).risers.len(), 1);
    }
}
