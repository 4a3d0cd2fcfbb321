//! A user's data scope (queues, provinces, one agent) applied where the data is read: as
//! filters added to every question about contacts, as a test of one contact's card, and as a
//! cut of the live floor to the scope's queues.

use std::collections::BTreeMap;

use ccpulse_metrics::{Dimension, Filter};
use ccpulse_store::DataScope;
use serde_json::{json, Value};

/// The filters `scope` adds to every question about contacts.
pub fn filters(scope: &DataScope) -> Vec<Filter> {
    let mut f = Vec::new();
    if let Some(q) = &scope.queues {
        f.push(Filter {
            dimension: Dimension::Queue,
            values: q.clone(),
        });
    }
    if let Some(r) = &scope.regions {
        f.push(Filter {
            dimension: Dimension::Province,
            values: r.clone(),
        });
    }
    if let Some(a) = &scope.agent {
        f.push(Filter {
            dimension: Dimension::Agent,
            values: vec![a.clone()],
        });
    }
    f
}

/// Whether one contact (as its card shows it) lies in `scope`.
pub fn sees(scope: &DataScope, contact: &Value) -> bool {
    let field = |k: &str| contact[k].as_str().map(str::to_owned);
    let province = field("region").map(|r| r.split('/').next().unwrap_or_default().to_owned());
    scope
        .queues
        .as_ref()
        .is_none_or(|q| field("queue").is_some_and(|v| q.contains(&v)))
        && scope
            .regions
            .as_ref()
            .is_none_or(|r| province.is_some_and(|v| r.contains(&v)))
        && scope
            .agent
            .as_ref()
            .is_none_or(|a| field("agent").as_deref() == Some(a.as_str()))
}

/// Why the live floor cannot be cut to `scope`, if it cannot: the floor knows each contact's
/// queue and each agent's, not the caller's province.
pub fn floor_refusal(scope: &DataScope) -> Option<&'static str> {
    if scope.regions.is_some() || scope.agent.is_some() {
        Some(
            "the live floor is cut by queue only; your access is limited to provinces or an \
             agent: ask for figures and contacts (kpi, contacts, explore)",
        )
    } else {
        None
    }
}

/// Why a caller with `scope` (its filters) may not have the staffing plan of `queue`: a plan
/// is of a whole queue, so a scope of provinces or one agent cannot be cut into it, and a
/// queue outside the caller's queues is not theirs.
pub fn staffing_refusal(scope: &[Filter], queue: &str) -> Result<(), crate::ApiError> {
    if scope.iter().any(|f| f.dimension != Dimension::Queue) {
        return Err(crate::ApiError::Forbidden(
            "a staffing plan is of a whole queue; your access is limited to provinces or an \
             agent: ask for figures and contacts (kpi, contacts, explore)"
                .into(),
        ));
    }
    if !ccpulse_report::staffing::scope_allows_queue(scope, queue) {
        return Err(crate::ApiError::Forbidden(format!(
            "queue `{queue}` is outside your access"
        )));
    }
    Ok(())
}

/// A floor snapshot cut to `queues`: their tiles and agents only; `all` becomes the sum of
/// those queues (each contact and each agent counts in one queue, so the sum is exact) with
/// today's figures when there is one queue; channel tiles, the tenant's trend and its
/// alerts are left out.
pub fn cut_floor(mut snap: Value, queues: &[String]) -> Value {
    let keys: Vec<String> = queues.iter().map(|q| format!("queue:{q}")).collect();
    let mut kept: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(scopes) = snap["scopes"].as_object() {
        for (k, v) in scopes {
            if keys.contains(k) {
                kept.insert(k.clone(), v.clone());
            }
        }
    }
    let mut all = json!({ "now": sum_now(kept.values().map(|v| &v["now"])) });
    if let [only] = keys.as_slice() {
        if let Some(today) = kept.get(only).map(|v| v["today"].clone()) {
            all["today"] = today;
        }
    }
    kept.insert("all".into(), all);
    snap["scopes"] = json!(kept);
    if let Some(agents) = snap["agents"].as_array_mut() {
        agents.retain(|a| {
            a["queue"]
                .as_str()
                .is_some_and(|q| queues.iter().any(|s| s == q))
        });
    }
    snap["trend"] = json!([]);
    snap["alerts"] = json!([]);
    snap["cut_to"] = json!(queues);
    snap
}

/// The sum of floor figures: counts add, the longest wait is the longest, breaks add by
/// reason.
fn sum_now<'a>(nows: impl Iterator<Item = &'a Value>) -> Value {
    let mut out = serde_json::Map::new();
    let mut breaks: BTreeMap<String, u64> = BTreeMap::new();
    for now in nows {
        let Some(fields) = now.as_object() else {
            continue;
        };
        for (k, v) in fields {
            if k == "breaks" {
                for (reason, n) in v.as_object().into_iter().flatten() {
                    *breaks.entry(reason.clone()).or_default() += n.as_u64().unwrap_or(0);
                }
            } else if k == "longest_wait" {
                let best = out.get(k).and_then(Value::as_f64).unwrap_or(0.0);
                out.insert(k.clone(), json!(best.max(v.as_f64().unwrap_or(0.0))));
            } else {
                let sum = out.get(k).and_then(Value::as_u64).unwrap_or(0);
                out.insert(k.clone(), json!(sum + v.as_u64().unwrap_or(0)));
            }
        }
    }
    for k in ccpulse_live::Now::FIGURES {
        out.entry((*k).to_owned()).or_insert(json!(0));
    }
    out.insert("breaks".into(), json!(breaks));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_cut_to_queues_sums_them_and_drops_the_rest() {
        let snap = json!({
            "scopes": {
                "all": {"now": {"waiting": 9, "longest_wait": 99.0}},
                "channel:voice": {"now": {"waiting": 9}},
                "queue:vip": {"now": {"waiting": 2, "longest_wait": 30.0, "agents_idle": 1,
                              "breaks": {"lunch": 1}}, "today": {"offered": 5}},
                "queue:gold": {"now": {"waiting": 1, "longest_wait": 45.0, "agents_idle": 2,
                               "breaks": {"lunch": 2, "": 1}}},
                "queue:general": {"now": {"waiting": 6, "longest_wait": 99.0}},
            },
            "agents": [{"agent": "a", "queue": "vip"}, {"agent": "b", "queue": "general"},
                       {"agent": "c", "queue": null}],
            "trend": [1, 2], "alerts": [{"rule": "waiting > 5"}],
        });
        let cut = cut_floor(snap.clone(), &["vip".into(), "gold".into()]);
        let scopes = cut["scopes"].as_object().expect("scopes");
        let mut keys: Vec<&String> = scopes.keys().collect();
        keys.sort();
        assert_eq!(keys, ["all", "queue:gold", "queue:vip"]);
        assert_eq!(cut["scopes"]["all"]["now"]["waiting"], 3);
        assert_eq!(cut["scopes"]["all"]["now"]["longest_wait"], 45.0);
        assert_eq!(cut["scopes"]["all"]["now"]["agents_idle"], 3);
        assert_eq!(cut["scopes"]["all"]["now"]["talking"], 0);
        assert_eq!(
            cut["scopes"]["all"]["now"]["breaks"],
            json!({"lunch": 3, "": 1})
        );
        assert!(cut["scopes"]["all"].get("today").is_none());
        assert_eq!(cut["agents"], json!([{"agent": "a", "queue": "vip"}]));
        assert_eq!(cut["trend"], json!([]));
        assert_eq!(cut["alerts"], json!([]));
        let one = cut_floor(snap, &["vip".into()]);
        assert_eq!(one["scopes"]["all"]["today"]["offered"], 5);
    }

    #[test]
    fn a_card_is_seen_only_inside_every_part_of_the_scope() {
        let card = json!({"queue": "vip", "region": "广东/深圳", "agent": "1001"});
        let scope = |q: Option<&str>, r: Option<&str>, a: Option<&str>| DataScope {
            queues: q.map(|q| vec![q.to_owned()]),
            regions: r.map(|r| vec![r.to_owned()]),
            agent: a.map(str::to_owned),
        };
        assert!(sees(&DataScope::default(), &card));
        assert!(sees(&scope(Some("vip"), Some("广东"), Some("1001")), &card));
        assert!(!sees(&scope(Some("general"), None, None), &card));
        assert!(!sees(&scope(None, Some("北京"), None), &card));
        assert!(!sees(&scope(None, None, Some("1002")), &card));
        assert_eq!(filters(&scope(Some("vip"), None, Some("1001"))).len(), 2);
    }
}
