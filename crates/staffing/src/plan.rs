//! A day's staffing plan: per interval, the agents a forecast needs and what they would give.

use serde::Serialize;

use crate::erlang::{required_agents, Model};
use crate::forecast::Predicted;

/// What the plan aims at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// Fraction of calls answered within `threshold_s` (0.8).
    pub target_sl: f64,
    pub threshold_s: f64,
    pub model: Model,
    /// Fraction of paid time agents are not on the phones (breaks, training, absence).
    pub shrinkage: f64,
    pub max_occupancy: f64,
    /// Minutes in an interval.
    pub interval_min: u32,
}

/// One interval of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub slot: usize,
    pub calls: f64,
    pub aht_s: Option<f64>,
    pub required_agents: u32,
    pub service_level: Option<f64>,
    pub asa_s: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub occupancy: Option<f64>,
    /// Agents to schedule: required / (1 − shrinkage), rounded up.
    pub scheduled_agents: u32,
}

/// The plan of the forecast intervals `day`.
pub fn plan(day: &[Predicted], goal: &Goal) -> Vec<Interval> {
    let per_hour = 60.0 / f64::from(goal.interval_min.max(1));
    day.iter()
        .map(|p| {
            let empty = Interval {
                slot: p.slot,
                calls: p.calls,
                aht_s: p.aht_s,
                required_agents: 0,
                service_level: None,
                asa_s: None,
                abandon_rate: None,
                occupancy: None,
                scheduled_agents: 0,
            };
            let Some(aht) = p.aht_s.filter(|a| *a > 0.0 && p.calls > 0.0) else {
                return empty;
            };
            match required_agents(
                p.calls * per_hour,
                aht,
                goal.threshold_s,
                goal.target_sl,
                goal.max_occupancy,
                goal.model,
            ) {
                Some((n, f)) => {
                    let keep = (1.0 - goal.shrinkage).clamp(0.05, 1.0);
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let scheduled = (f64::from(n) / keep - 1e-9).ceil().max(0.0) as u32;
                    Interval {
                        required_agents: n,
                        service_level: Some(f.service_level),
                        asa_s: Some(f.asa_s),
                        abandon_rate: Some(f.prob_abandon),
                        occupancy: Some(f.occupancy),
                        scheduled_agents: scheduled,
                        ..empty
                    }
                }
                None => empty,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn each_interval_gets_the_fewest_agents_and_its_heads_after_shrinkage() {
        let d = date(2026, 11, 23);
        let day = [
            Predicted {
                date: d,
                slot: 0,
                calls: 0.0,
                aht_s: None,
            },
            // 50 calls in 15 minutes = 200 an hour, 180 s: 14 agents for 80 % in 20 s.
            Predicted {
                date: d,
                slot: 36,
                calls: 50.0,
                aht_s: Some(180.0),
            },
        ];
        let goal = Goal {
            target_sl: 0.8,
            threshold_s: 20.0,
            model: Model::C,
            shrinkage: 0.3,
            max_occupancy: 1.0,
            interval_min: 15,
        };
        let p = plan(&day, &goal);
        assert_eq!((p[0].required_agents, p[0].scheduled_agents), (0, 0));
        assert_eq!(p[1].required_agents, 14);
        // 14 / 0.7 = 20 exactly: no extra head for the rounding.
        assert_eq!(p[1].scheduled_agents, 20);
        assert!(p[1]
            .service_level
            .is_some_and(|s| (s - 0.8884).abs() < 1e-4));
        let a = plan(
            &day,
            &Goal {
                model: Model::A(60.0),
                ..goal
            },
        );
        assert!(a[1].required_agents <= 14 && a[1].abandon_rate.is_some_and(|r| r > 0.0));
    }
}
