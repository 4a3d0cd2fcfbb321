//! Erlang C (M/M/n) and Erlang A (M/M/n+M), exact and stable for thousands of agents.
//!
//! Both start from the Erlang B recursion, carried as its reciprocal
//! `I(k) = 1 + k/A · I(k-1)`, `I(0) = 1` (no factorial, no power: `n` steps of one multiply and
//! add, overflowing only to `inf` when B itself is below `f64`'s range, which reads as "no one
//! waits").
//!
//! Erlang C, with `A` the offered traffic in erlangs and `n > A`:
//! `C = n·B / (n − A·(1 − B))`, `P(wait ≤ t) = 1 − C·e^{−(n−A)·t/aht}`, `ASA = C·aht/(n − A)`.
//!
//! Erlang A adds exponential patience (mean `p`, rate `θ = 1/p`). With `a = n·p/aht` and
//! `y = λ·p` the queue's stationary weights are `π(n+k) = π(n)·y^k/(a+1)_k` (a rising
//! factorial), and a caller who finds `k` waiting is served with probability `a/(a+k+1)`.
//! Everything follows from one series, `Σ(x) = Σ_k x^k/(a+1)_{k+1}` (so that
//! `γ(a+1, x) = x^{a+1}·e^{−x}·Σ(x)`, the lower incomplete gamma function):
//! - `S = 1 + y·Σ(y)` (the waiting states' weight over π(n)), `P(wait > 0) = S / (I − 1 + S)`;
//! - `P(served after a wait) = π(n)·a·Σ(y)`, `P(abandon) = π(n)·(1 + (y − a)·Σ(y))`;
//! - the waits of those served after a wait are distributed as `ln(y/U)/θ` with `U` of density
//!   ∝ `u^a·e^{−u}` on `(0, y)`, so `P(served, 0 < wait ≤ t) = P(served after a wait)·
//!   (1 − γ(a+1, y·e^{−θt}) / γ(a+1, y))`;
//! - their mean wait is the series' weighted mean of `Σ_{j=1..k+1} 1/(θ(a+j))`;
//! - the mean wait of all arrivals is `P(abandon)/θ` (abandons leave at rate θ: Little).
//!
//! The series is summed in log space (its terms may pass `f64`'s range when the queue is
//! overloaded) until the terms are falling and below 1e-17 of the sum.

use serde::Serialize;

/// One case: arrivals, handling, agents and the service-level threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case {
    pub calls_per_hour: f64,
    pub aht_s: f64,
    pub agents: u32,
    pub target_s: f64,
}

impl Case {
    /// The offered traffic in erlangs: calls_per_hour · aht_s / 3600.
    pub fn traffic(&self) -> f64 {
        self.calls_per_hour * self.aht_s / 3600.0
    }
}

/// Erlang C's figures of a case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErlangC {
    pub traffic_erlangs: f64,
    /// P(wait > 0).
    pub prob_wait: f64,
    /// P(wait ≤ target).
    pub service_level: f64,
    /// Mean wait over all calls, seconds (infinite when the queue is unstable).
    pub asa_s: f64,
    /// traffic / agents (1 when the queue is unstable).
    pub occupancy: f64,
}

/// Erlang A's figures of a case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErlangA {
    pub traffic_erlangs: f64,
    /// P(an arrival finds all agents busy).
    pub prob_wait: f64,
    pub prob_abandon: f64,
    /// P(answered and waited ≤ target), over all arrivals (an abandon is a failure whatever its
    /// wait).
    pub service_level: f64,
    /// Mean wait of the answered calls, seconds.
    pub asa_s: f64,
    /// Mean wait of all arrivals (the abandoned ones until they hung up), seconds.
    pub mean_wait_all_s: f64,
    /// Busy agents / agents: traffic · (1 − P(abandon)) / agents.
    pub occupancy: f64,
}

/// `1/B(n, A)`, the reciprocal of Erlang B, by its recursion.
fn inverse_erlang_b(n: u32, traffic: f64) -> f64 {
    let mut inv = 1.0;
    for k in 1..=n {
        inv = 1.0 + f64::from(k) / traffic * inv;
        if inv.is_infinite() {
            break;
        }
    }
    inv
}

/// Erlang C of `case`.
pub fn erlang_c(case: &Case) -> ErlangC {
    let a = case.traffic();
    let n = f64::from(case.agents);
    if a.is_nan() || a <= 0.0 {
        return ErlangC {
            traffic_erlangs: a.max(0.0),
            prob_wait: 0.0,
            service_level: 1.0,
            asa_s: 0.0,
            occupancy: 0.0,
        };
    }
    if n <= a {
        return ErlangC {
            traffic_erlangs: a,
            prob_wait: 1.0,
            service_level: 0.0,
            asa_s: f64::INFINITY,
            occupancy: 1.0,
        };
    }
    let inv_b = inverse_erlang_b(case.agents, a);
    let b = 1.0 / inv_b;
    let c = n * b / (n - a * (1.0 - b));
    ErlangC {
        traffic_erlangs: a,
        prob_wait: c,
        service_level: 1.0 - c * (-(n - a) * case.target_s / case.aht_s).exp(),
        asa_s: c * case.aht_s / (n - a),
        occupancy: a / n,
    }
}

/// `ln Σ_k x^k/(a+1)_{k+1}` and the weighted mean of `h_k = Σ_{j=1..k+1} 1/(a+j)` under the
/// same terms.
fn log_series(a: f64, x: f64) -> (f64, f64) {
    let ln_x = x.ln();
    // The term of k = 0: 1/(a+1), its h: 1/(a+1).
    let mut lt = -(a + 1.0).ln();
    let mut h = 1.0 / (a + 1.0);
    let mut max = lt;
    let (mut sum, mut weighted) = (1.0, h);
    let mut k = 0.0;
    loop {
        k += 1.0;
        let next = a + k + 1.0;
        if x <= 0.0 {
            break;
        }
        lt += ln_x - next.ln();
        h += 1.0 / next;
        if lt > max {
            let scale = (max - lt).exp();
            sum = sum * scale + 1.0;
            weighted = weighted * scale + h;
            max = lt;
        } else {
            let w = (lt - max).exp();
            sum += w;
            weighted += w * h;
            // Falling (the ratio x/next is below 1 from here on) and negligible.
            if next > x && w < 1e-17 * sum {
                break;
            }
        }
    }
    (max + sum.ln(), weighted / sum)
}

/// Erlang A of `case` with callers' mean patience `patience_s`.
pub fn erlang_a(case: &Case, patience_s: f64) -> ErlangA {
    let traffic = case.traffic();
    if traffic.is_nan() || traffic <= 0.0 {
        return ErlangA {
            traffic_erlangs: traffic.max(0.0),
            prob_wait: 0.0,
            prob_abandon: 0.0,
            service_level: 1.0,
            asa_s: 0.0,
            mean_wait_all_s: 0.0,
            occupancy: 0.0,
        };
    }
    let theta = 1.0 / patience_s;
    let lambda = case.calls_per_hour / 3600.0;
    let n = f64::from(case.agents);
    let a = n * patience_s / case.aht_s;
    let y = lambda * patience_s;
    // I − 1 = (1 − B)/B: the weight of the states below n over π(n).
    let below = if case.agents == 0 {
        0.0
    } else {
        inverse_erlang_b(case.agents, traffic) - 1.0
    };
    let (ln_sy, mean_h) = log_series(a, y);
    // S = 1 + y·Σ(y), in logs: ln S = ln(1 + e^{ln y + ln Σ}).
    let ln_ysy = y.ln() + ln_sy;
    let ln_s = if ln_ysy > 0.0 {
        ln_ysy + (-ln_ysy).exp().ln_1p()
    } else {
        ln_ysy.exp().ln_1p()
    };
    // P(wait > 0) = S/(below + S) = 1/(below/S + 1).
    let prob_wait = 1.0 / ((below.ln() - ln_s).exp() + 1.0);
    // π(n)·a·Σ(y) = P(wait>0) · a·Σ(y)/S.
    let served_after_wait = if a > 0.0 {
        prob_wait * (a.ln() + ln_sy - ln_s).exp()
    } else {
        0.0
    };
    let prob_abandon = (prob_wait - served_after_wait).clamp(0.0, 1.0);
    // γ(a+1, x)/γ(a+1, y) with x = y·e^{−θt}: (x/y)^{a+1}·e^{y−x}·Σ(x)/Σ(y).
    let x = y * (-theta * case.target_s).exp();
    let ratio = if case.target_s > 0.0 {
        let (ln_sx, _) = log_series(a, x);
        (-(theta * case.target_s) * (a + 1.0) + (y - x) + ln_sx - ln_sy).exp()
    } else {
        1.0
    };
    let service_level = ((1.0 - prob_wait) + served_after_wait * (1.0 - ratio)).clamp(0.0, 1.0);
    let answered = 1.0 - prob_abandon;
    let asa_s = if answered > 0.0 {
        served_after_wait * mean_h / theta / answered
    } else {
        0.0
    };
    ErlangA {
        traffic_erlangs: traffic,
        prob_wait,
        prob_abandon,
        service_level,
        asa_s,
        mean_wait_all_s: prob_abandon / theta,
        occupancy: if n > 0.0 {
            (traffic * answered / n).min(1.0)
        } else {
            0.0
        },
    }
}

/// The queueing model a plan uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    C,
    /// With callers' mean patience, seconds.
    A(f64),
}

/// The service level, ASA, abandon rate and occupancy of `case` under `model`.
pub fn figures(case: &Case, model: Model) -> Figures {
    match model {
        Model::C => {
            let c = erlang_c(case);
            Figures {
                service_level: c.service_level,
                asa_s: c.asa_s,
                prob_abandon: 0.0,
                occupancy: c.occupancy,
            }
        }
        Model::A(p) => {
            let r = erlang_a(case, p);
            Figures {
                service_level: r.service_level,
                asa_s: r.asa_s,
                prob_abandon: r.prob_abandon,
                occupancy: r.occupancy,
            }
        }
    }
}

/// What a plan needs of either model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub service_level: f64,
    pub asa_s: f64,
    pub prob_abandon: f64,
    pub occupancy: f64,
}

/// The fewest agents whose service level reaches `target_sl` and whose occupancy is at most
/// `max_occupancy`, with their figures; `None` past 100,000 agents.
pub fn required_agents(
    calls_per_hour: f64,
    aht_s: f64,
    target_s: f64,
    target_sl: f64,
    max_occupancy: f64,
    model: Model,
) -> Option<(u32, Figures)> {
    let traffic = calls_per_hour * aht_s / 3600.0;
    if traffic.is_nan() || traffic <= 0.0 {
        return Some((
            0,
            Figures {
                service_level: 1.0,
                asa_s: 0.0,
                prob_abandon: 0.0,
                occupancy: 0.0,
            },
        ));
    }
    // Erlang C needs more agents than erlangs; both need traffic/max_occupancy.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let floor = match model {
        Model::C => traffic.floor() as u32 + 1,
        Model::A(_) => 1,
    }
    .max((traffic / max_occupancy.clamp(0.01, 1.0)).ceil() as u32);
    // Doubling, then halving: the figures grow with the agents.
    let meets = |n: u32| {
        let f = figures(
            &Case {
                calls_per_hour,
                aht_s,
                agents: n,
                target_s,
            },
            model,
        );
        (
            f.service_level >= target_sl && f.occupancy <= max_occupancy,
            f,
        )
    };
    let (mut lo, mut hi) = (floor.saturating_sub(1), floor);
    while !meets(hi).0 {
        lo = hi;
        hi = hi.saturating_mul(2).max(hi + 1);
        if hi > 100_000 {
            return None;
        }
    }
    // lo fails (or is below the floor), hi meets.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid).0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some((hi, meets(hi).1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(calls_per_hour: f64, aht_s: f64, agents: u32, target_s: f64) -> Case {
        Case {
            calls_per_hour,
            aht_s,
            agents,
            target_s,
        }
    }

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!(
            (got - want).abs() <= tol,
            "{what}: {got} != {want} (± {tol})"
        );
    }

    /// The case by hand: A = 200·180/3600 = 10 erlangs on 14 agents.
    /// B(14, 10) by the recursion = 0.05088; C = 14·B/(14 − 10·(1 − B)) = 0.1741;
    /// SL = 1 − C·e^{−4·20/180} = 0.8884; ASA = C·180/4 = 7.84 s; occupancy 10/14 = 0.714.
    #[test]
    fn erlang_c_by_hand() {
        let c = erlang_c(&case(200.0, 180.0, 14, 20.0));
        close(c.traffic_erlangs, 10.0, 1e-12, "traffic");
        close(c.prob_wait, 0.1741, 5e-5, "prob_wait");
        close(c.service_level, 0.8884, 5e-5, "service_level");
        close(c.asa_s, 7.84, 5e-3, "asa");
        close(c.occupancy, 0.714, 5e-4, "occupancy");
        // The same from the textbook sum form, term by term.
        let (a, n) = (10.0_f64, 14u32);
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..n {
            term *= a / f64::from(k);
            sum += term;
        }
        let last = term * a / f64::from(n) * f64::from(n) / (f64::from(n) - a);
        close(c.prob_wait, last / (sum + last), 1e-12, "sum form");
    }

    #[test]
    fn erlang_c_unstable_and_empty() {
        let c = erlang_c(&case(200.0, 180.0, 10, 20.0));
        assert_eq!((c.prob_wait, c.service_level, c.occupancy), (1.0, 0.0, 1.0));
        assert!(c.asa_s.is_infinite());
        let c = erlang_c(&case(0.0, 180.0, 3, 20.0));
        assert_eq!((c.prob_wait, c.service_level), (0.0, 1.0));
    }

    /// 10,000 calls an hour of 300 s: 833.3 erlangs. Finite, in range, monotone in the agents.
    #[test]
    fn large_n_is_stable() {
        let mut last_sl = 0.0;
        for n in [834u32, 840, 850, 870, 900, 1000, 5000] {
            let c = erlang_c(&case(10_000.0, 300.0, n, 20.0));
            assert!(
                c.prob_wait.is_finite() && (0.0..=1.0).contains(&c.prob_wait),
                "{n}: {c:?}"
            );
            assert!(c.service_level >= last_sl, "{n}: {c:?}");
            last_sl = c.service_level;
            let a = erlang_a(&case(10_000.0, 300.0, n, 20.0), 120.0);
            assert!(
                a.service_level.is_finite() && a.prob_abandon.is_finite() && a.asa_s.is_finite(),
                "{n}: {a:?}"
            );
        }
        assert!(last_sl > 0.999_999);
        // Overloaded by far: Erlang A still has figures, most callers abandon.
        let a = erlang_a(&case(10_000.0, 300.0, 100, 20.0), 120.0);
        assert!(a.prob_abandon > 0.85 && a.prob_wait > 0.999, "{a:?}");
        close(a.occupancy, 1.0, 1e-3, "overloaded occupancy");
    }

    /// A second method for Erlang A: the birth-death chain solved state by state (truncated far
    /// out), abandons from the mean queue (θ·E[Q]/λ), and the service level from the transient
    /// of each waiting caller's position (uniformized), summed over what they found.
    fn erlang_a_by_states(c: &Case, patience: f64) -> (f64, f64, f64, f64) {
        let lambda = c.calls_per_hour / 3600.0;
        let mu = 1.0 / c.aht_s;
        let theta = 1.0 / patience;
        let n = c.agents as usize;
        let top = n + 4000;
        let mut p = vec![1.0_f64; top + 1];
        for j in 1..=top {
            let out = if j <= n {
                j as f64 * mu
            } else {
                n as f64 * mu + (j - n) as f64 * theta
            };
            p[j] = p[j - 1] * lambda / out;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= total);
        let wait: f64 = p[n..].iter().sum();
        let queue: f64 = p[n..].iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        let abandon = theta * queue / lambda;
        // A caller finding k waiting: served within t iff the k+1 stages (rates nμ + iθ, i = k..0)
        // end before its patience and before t. Per k, uniformize the chain of (stages left,
        // still patient).
        let t = c.target_s;
        let mut sl = 1.0 - wait;
        for (k, pk) in p[n..].iter().enumerate().take(400) {
            if *pk < 1e-16 {
                continue;
            }
            let stages = k + 1;
            let rate = |i: usize| n as f64 * mu + i as f64 * theta;
            let big = rate(stages - 1) + theta;
            // prob[s] = P(s stages left, still waiting); done = reached an agent.
            let mut prob = vec![0.0; stages + 1];
            prob[stages] = 1.0;
            let steps = (big * t + 12.0 * (big * t).sqrt() + 30.0) as usize;
            let mut poisson = (-big * t).exp();
            let mut reached = 0.0;
            let mut done = 0.0;
            for m in 0..=steps {
                reached += poisson * done;
                // One uniformized step.
                let mut next = vec![0.0; stages + 1];
                let mut finished = 0.0;
                for s in 1..=stages {
                    let i = s - 1; // callers ahead
                    let go = rate(i) / big;
                    let quit = theta / big;
                    next[s] += prob[s] * (1.0 - go - quit);
                    if s == 1 {
                        finished += prob[s] * go;
                    } else {
                        next[s - 1] += prob[s] * go;
                    }
                }
                done += finished;
                prob = next;
                poisson *= big * t / (m + 1) as f64;
            }
            sl += pk * reached;
        }
        let served_wait: f64 = p[n..]
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let a = n as f64 * mu / theta;
                let served = a / (a + k as f64 + 1.0);
                let mean: f64 = (1..=k + 1).map(|j| 1.0 / (theta * (a + j as f64))).sum();
                v * served * mean
            })
            .sum();
        (wait, abandon, sl, served_wait / (1.0 - abandon))
    }

    #[test]
    fn erlang_a_agrees_with_the_state_by_state_solution() {
        for (cph, aht, n, t, patience) in [
            (200.0, 180.0, 14, 20.0, 60.0),
            (200.0, 180.0, 10, 20.0, 120.0),
            (200.0, 180.0, 8, 30.0, 90.0),
            (600.0, 240.0, 45, 15.0, 200.0),
            (50.0, 300.0, 2, 20.0, 30.0),
        ] {
            let c = case(cph, aht, n, t);
            let a = erlang_a(&c, patience);
            let (wait, abandon, sl, asa) = erlang_a_by_states(&c, patience);
            let what = format!("{cph}/h {aht}s {n} agents {t}s patience {patience}");
            close(a.prob_wait, wait, 1e-9, &format!("{what} prob_wait"));
            close(
                a.prob_abandon,
                abandon,
                1e-9,
                &format!("{what} prob_abandon"),
            );
            close(a.service_level, sl, 1e-6, &format!("{what} service_level"));
            close(a.asa_s, asa, 1e-6, &format!("{what} asa"));
            close(
                a.mean_wait_all_s,
                abandon * patience,
                1e-9,
                &format!("{what} mean wait"),
            );
        }
    }

    /// As patience grows without bound Erlang A becomes Erlang C.
    #[test]
    fn erlang_a_tends_to_erlang_c() {
        let c = case(200.0, 180.0, 14, 20.0);
        let ec = erlang_c(&c);
        let ea = erlang_a(&c, 1e7);
        close(ea.prob_wait, ec.prob_wait, 1e-4, "prob_wait");
        close(ea.service_level, ec.service_level, 1e-4, "service_level");
        close(ea.prob_abandon, 0.0, 1e-4, "abandon");
        // ASA over answered calls = Erlang C's over all calls when nobody abandons.
        close(ea.asa_s, ec.asa_s, 1e-2, "asa");
        // And less patience, fewer waits answered late: the service level only rises as
        // callers leave the queue, and abandons grow.
        let impatient = erlang_a(&c, 30.0);
        assert!(impatient.prob_abandon > ea.prob_abandon);
        assert!(impatient.asa_s < ea.asa_s);
    }

    #[test]
    fn required_agents_is_the_fewest_and_monotone_in_the_target() {
        let (n, f) =
            required_agents(200.0, 180.0, 20.0, 0.8, 1.0, Model::C).unwrap_or_default_case();
        assert_eq!(n, 14, "{f:?}");
        assert!(f.service_level >= 0.8);
        let below = erlang_c(&case(200.0, 180.0, n - 1, 20.0));
        assert!(below.service_level < 0.8, "{below:?}");
        let mut last = 0;
        for target in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99] {
            for model in [Model::C, Model::A(120.0)] {
                let (n, _) = required_agents(1000.0, 240.0, 20.0, target, 1.0, model)
                    .unwrap_or_default_case();
                if model == Model::C {
                    assert!(n >= last, "{target}: {n} < {last}");
                    last = n;
                }
            }
        }
        // The occupancy cap adds agents when the service level alone would load them more.
        let (capped, f) =
            required_agents(2000.0, 300.0, 60.0, 0.5, 0.85, Model::C).unwrap_or_default_case();
        assert_eq!(capped, 197, "ceil(166.7 / 0.85): {f:?}");
        assert!(f.occupancy <= 0.85);
    }

    trait OrCase {
        fn unwrap_or_default_case(self) -> (u32, Figures);
    }

    impl OrCase for Option<(u32, Figures)> {
        fn unwrap_or_default_case(self) -> (u32, Figures) {
            self.unwrap_or_else(|| panic!("no staffing found"))
        }
    }
}
