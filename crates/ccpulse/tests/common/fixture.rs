//! The hand-computed fixture: thirty contacts covering every outcome and edge (see
//! `kpi_fixture.rs`, which checks every metric over them by hand).
//!
//! Tenant `fx`, Asia/Shanghai, service level 20 s, short abandon 5 s. Contact k arrives at
//! 2021-01-04T09:00+08:00 plus 10 (k-1) minutes, spends 10 s in the IVR, then queues.
#![allow(dead_code, clippy::unwrap_used)]

use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn plus(t: Timestamp, s: f64) -> Timestamp {
    t + SignedDuration::from_secs_f64(s)
}

fn t(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
}

#[derive(Default, Clone)]
struct C {
    dir: &'static str,
    outcome: &'static str,
    wait: f64,
    talk: f64,
    hold: f64,
    acw: f64,
    survey: Option<(bool, Option<&'static str>, Option<&'static str>)>,
    resolved: Option<bool>,
    qa: Option<f64>,
    transfer: Option<bool>,
    marketing: (u32, u32),
    queue: &'static str,
    channel: &'static str,
    start: Option<&'static str>,
    no_ivr: bool,
}

fn inbound(outcome: &'static str, wait: f64, talk: f64) -> C {
    C {
        dir: "inbound",
        outcome,
        wait,
        talk,
        queue: "q1",
        channel: "voice",
        ..C::default()
    }
}

fn contacts() -> Vec<C> {
    let sv = |score: &'static str| Some((true, Some(score), None));
    vec![
        /* c01 */
        C {
            acw: 10.0,
            survey: sv("very_satisfied"),
            resolved: Some(true),
            ..inbound("answered", 5.0, 100.0)
        },
        /* c02 */
        C {
            hold: 20.0,
            acw: 20.0,
            survey: sv("satisfied"),
            resolved: Some(true),
            ..inbound("answered", 20.0, 200.0)
        },
        /* c03 */
        C {
            survey: sv("neutral"),
            resolved: Some(false),
            ..inbound("answered", 20.5, 60.0)
        },
        /* c04 */
        C {
            survey: Some((true, Some("dissatisfied"), Some("service_attitude"))),
            resolved: Some(true),
            ..inbound("answered", 30.0, 8.0)
        },
        /* c05 */
        C {
            hold: 30.0,
            acw: 30.0,
            survey: Some((true, None, None)),
            resolved: Some(true),
            ..inbound("answered", 15.0, 300.0)
        },
        /* c06 */
        C {
            survey: Some((true, Some("dissatisfied"), Some("long_wait"))),
            resolved: Some(true),
            qa: Some(92.0),
            ..inbound("answered", 10.0, 120.0)
        },
        /* c07 */
        C {
            survey: Some((false, None, None)),
            resolved: Some(false),
            qa: Some(86.0),
            transfer: Some(true),
            ..inbound("answered", 0.0, 45.0)
        },
        /* c08 */
        C {
            resolved: Some(true),
            transfer: Some(false),
            marketing: (2, 1),
            ..inbound("answered", 60.0, 90.0)
        },
        /* c09 */ inbound("abandoned", 4.9, 0.0),
        /* c10 */ inbound("abandoned", 5.0, 0.0),
        /* c11 */ inbound("abandoned", 25.0, 0.0),
        /* c12 */ inbound("abandoned_ring", 12.0, 0.0),
        /* c13 */ inbound("timeout", 120.0, 0.0),
        /* c14 */ inbound("self_service", 0.0, 0.0),
        /* c15 */ inbound("self_service", 0.0, 0.0),
        /* c16 */ inbound("voicemail", 40.0, 0.0),
        /* c17 */ inbound("callback", 50.0, 0.0),
        /* c18 */
        C {
            dir: "outbound",
            marketing: (1, 1),
            ..inbound("answered", 0.0, 150.0)
        },
        /* c19 */
        C {
            dir: "outbound",
            marketing: (1, 0),
            ..inbound("answered", 0.0, 50.0)
        },
        /* c20 */
        C {
            dir: "outbound",
            ..inbound("not_connected", 0.0, 0.0)
        },
        /* c21 */
        C {
            dir: "outbound",
            ..inbound("not_connected", 0.0, 0.0)
        },
        /* c22 */
        C {
            start: Some("2021-01-04T23:59:50+08:00"),
            no_ivr: true,
            survey: sv("very_satisfied"),
            resolved: Some(true),
            ..inbound("answered", 8.0, 122.0)
        },
        /* c23 */
        C {
            start: Some("2021-02-01T01:00:00+08:00"),
            ..inbound("answered", 3.0, 30.0)
        },
        /* c24 */
        C {
            queue: "q2",
            channel: "chat",
            survey: sv("satisfied"),
            resolved: Some(true),
            ..inbound("answered", 2.0, 600.0)
        },
        /* c25 */
        C {
            queue: "q2",
            channel: "chat",
            ..inbound("abandoned", 70.0, 0.0)
        },
        /* c26 */
        C {
            queue: "q2",
            survey: sv("very_satisfied"),
            resolved: Some(false),
            ..inbound("answered", 25.0, 11.0)
        },
        /* c27 */
        C {
            resolved: Some(true),
            ..inbound("answered", 1.0, 30.0)
        },
        /* c28 */
        C {
            dir: "callback",
            ..inbound("answered", 0.0, 70.0)
        },
        /* c29 */
        C {
            acw: 5.0,
            survey: sv("very_satisfied"),
            resolved: Some(true),
            qa: Some(100.0),
            ..inbound("answered", 40.0, 200.0)
        },
        /* c30 */
        C {
            queue: "q2",
            ..inbound("abandoned", 3.0, 0.0)
        },
    ]
}

fn to_json(k: usize, c: &C) -> Value {
    let base = at("2021-01-04T09:00:00+08:00");
    let start = c.start.map_or_else(|| plus(base, 600.0 * k as f64), at);
    let id = format!("c{:02}", k + 1);
    // c27 calls again from c01's number; c14 has no number.
    let customer = match k + 1 {
        27 => Some("13800000001".to_owned()),
        14 => None,
        n => Some(format!("138000000{n:02}")),
    };
    let mut v = json!({
        "id": id, "channel": c.channel, "direction": c.dir, "outcome": c.outcome,
        "queue": c.queue, "customer": customer, "arrived_at": t(start),
        "agent": if c.outcome == "answered" { Some(format!("a{}", k % 3)) } else { None },
    });
    if c.dir != "inbound" {
        v["ring_start"] = json!(t(start));
        if c.outcome == "answered" {
            let answered = plus(start, 10.0);
            v["answered_at"] = json!(t(answered));
            v["ended_at"] = json!(t(plus(answered, c.talk)));
        } else {
            v["ended_at"] = json!(t(plus(start, 30.0)));
        }
    } else {
        let queued = if c.no_ivr {
            start
        } else {
            let ivr_end = plus(
                start,
                if c.outcome == "self_service" {
                    30.0
                } else {
                    10.0
                },
            );
            v["ivr_start"] = json!(t(start));
            v["ivr_end"] = json!(t(ivr_end));
            ivr_end
        };
        if c.outcome == "self_service" {
            v["ended_at"] = json!(t(queued));
        } else {
            v["queued_at"] = json!(t(queued));
            if c.outcome == "answered" {
                let answered = plus(queued, c.wait);
                let ended = plus(answered, c.talk);
                v["answered_at"] = json!(t(answered));
                v["ended_at"] = json!(t(ended));
                if c.acw > 0.0 {
                    v["wrap_up_end"] = json!(t(plus(ended, c.acw)));
                }
            } else {
                v["ended_at"] = json!(t(plus(queued, c.wait)));
            }
        }
    }
    v["hold_s"] = json!(c.hold);
    if let Some((offered, score, reason)) = c.survey {
        v["survey"] = json!({"offered": offered, "score": score, "reason": reason});
    }
    v["resolved_first"] = json!(c.resolved);
    v["qa_score"] = json!(c.qa);
    if let Some(correct) = c.transfer {
        v["transfers"] = json!(1);
        v["transfer_correct"] = json!(correct);
    }
    v["marketing_attempts"] = json!(c.marketing.0);
    v["marketing_successes"] = json!(c.marketing.1);
    v
}

/// The fixture as contact JSON Lines.
pub fn lines() -> Vec<String> {
    contacts()
        .iter()
        .enumerate()
        .map(|(k, c)| to_json(k, c).to_string())
        .collect()
}
