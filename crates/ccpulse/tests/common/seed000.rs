//! Seed 000's year as contacts: a rural bank hotline's 2021 (see tests/seed000.rs for how the
//! talk totals were chosen), and the seed's own table.
#![allow(dead_code, clippy::unwrap_used)]

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

/// month, offered, answered, abandoned, self-service, inbound talk seconds, outbound dialled,
/// outbound talks of the connected calls.
pub type Month = (i8, u32, u32, u32, u32, f64, u32, &'static [f64]);

pub const YEAR: [Month; 12] = [
    (1, 118, 70, 2, 46, 8490.663, 2, &[41.0]),
    (2, 125, 67, 8, 50, 9099.032, 3, &[133.0, 133.0, 134.0]),
    (3, 83, 35, 8, 40, 4813.818, 0, &[]),
    (4, 91, 51, 1, 39, 7152.015, 1, &[197.0]),
    (5, 93, 67, 2, 24, 6727.883, 0, &[]),
    (6, 75, 49, 3, 23, 6475.623, 1, &[100.0]),
    (7, 89, 61, 2, 26, 7626.017, 0, &[]),
    (8, 78, 44, 2, 32, 6361.006, 0, &[]),
    (9, 67, 45, 1, 21, 7276.824, 0, &[]),
    (10, 61, 34, 1, 26, 5521.804, 3, &[65.0, 66.0, 66.0]),
    (11, 81, 52, 2, 27, 6217.321, 2, &[86.0, 87.0]),
    (12, 75, 45, 2, 28, 6701.799, 1, &[6.0]),
];

/// The seed's table: month, offered, answered, abandoned, self-service, average talk,
/// outbound, outbound average talk, inbound minutes, outbound minutes, total minutes.
pub type SeedRow = (
    &'static str,
    u32,
    u32,
    u32,
    u32,
    f64,
    u32,
    f64,
    f64,
    f64,
    f64,
);

pub const SEED: [SeedRow; 12] = [
    (
        "2021-01", 118, 70, 2, 46, 121.30, 2, 41.00, 141.51, 0.68, 142.19,
    ),
    (
        "2021-02", 125, 67, 8, 50, 135.81, 3, 133.33, 151.65, 6.67, 158.32,
    ),
    ("2021-03", 83, 35, 8, 40, 137.54, 0, 0.0, 80.23, 0.00, 80.23),
    (
        "2021-04", 91, 51, 1, 39, 140.24, 1, 197.00, 119.20, 3.28, 122.48,
    ),
    (
        "2021-05", 93, 67, 2, 24, 100.42, 0, 0.0, 112.13, 0.0, 112.13,
    ),
    (
        "2021-06", 75, 49, 3, 23, 132.16, 1, 100.00, 107.93, 1.67, 109.59,
    ), // seed: 1.66
    (
        "2021-07", 89, 61, 2, 26, 125.02, 0, 0.0, 127.10, 0.0, 127.10,
    ),
    (
        "2021-08", 78, 44, 2, 32, 144.57, 0, 0.0, 106.02, 0.0, 106.02,
    ),
    (
        "2021-09", 67, 45, 1, 21, 161.71, 0, 0.0, 121.28, 0.0, 121.28,
    ),
    (
        "2021-10", 61, 34, 1, 26, 162.41, 3, 65.67, 92.03, 3.28, 95.31,
    ),
    (
        "2021-11", 81, 52, 2, 27, 119.56, 2, 86.50, 103.62, 2.88, 106.51,
    ), // seed: 2.89
    (
        "2021-12", 75, 45, 2, 28, 148.93, 1, 6.00, 111.70, 0.10, 111.80,
    ),
];

fn ts(month: i8, day: i8, hour: i8, minute: i8) -> Timestamp {
    format!("2021-{month:02}-{day:02}T{hour:02}:{minute:02}:00+08:00")
        .parse()
        .unwrap()
}

fn plus(t: Timestamp, s: f64) -> Timestamp {
    t + SignedDuration::from_secs_f64(s)
}

fn fmt(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
}

pub fn year_file() -> String {
    let mut lines = Vec::new();
    let mut n = 0u32;
    let mut surveys = 0u32;
    for (month, offered, answered, abandoned, self_service, talk, dialled, out_talks) in YEAR {
        assert_eq!(offered, answered + abandoned + self_service);
        let mut next = |hour: i8| {
            n += 1;
            let day = (n % 28) as i8 + 1;
            (format!("y{n:05}"), ts(month, day, hour, (n % 60) as i8))
        };
        // Answered calls share the month's talk: equal thousandths, the last takes the rest.
        let each = (talk / f64::from(answered) * 1000.0).floor() / 1000.0;
        for i in 0..answered {
            let (id, start) = next(8 + (i % 16) as i8);
            let this = if i + 1 == answered {
                talk - each * f64::from(answered - 1)
            } else {
                each
            };
            let queued = plus(start, 12.0);
            let answered_at = plus(queued, 6.0);
            // 219 surveys: 141 very satisfied, 1 satisfied, 77 unrated (seed 000).
            surveys += 1;
            let survey = match surveys {
                1..=141 => json!({"offered": true, "score": "very_satisfied"}),
                142 => json!({"offered": true, "score": "satisfied"}),
                143..=219 => json!({"offered": true, "score": null}),
                _ => json!(null),
            };
            lines.push(json!({
                "id": id, "direction": "inbound", "outcome": "answered", "queue": "hotline",
                "arrived_at": fmt(start), "ivr_start": fmt(start), "ivr_end": fmt(queued),
                "queued_at": fmt(queued), "answered_at": fmt(answered_at),
                "ended_at": fmt(plus(answered_at, this)), "survey": survey,
            }));
        }
        for i in 0..abandoned {
            // Abandons concentrate in 8:00-12:00 and 14:00-16:00.
            let (id, start) = next([9, 10, 14, 15][(i % 4) as usize]);
            let queued = plus(start, 15.0);
            lines.push(json!({
                "id": id, "direction": "inbound", "outcome": "abandoned", "queue": "hotline",
                "arrived_at": fmt(start), "queued_at": fmt(queued), "ended_at": fmt(plus(queued, 30.0)),
            }));
        }
        for i in 0..self_service {
            let (id, start) = next(8 + (i % 16) as i8);
            lines.push(json!({
                "id": id, "direction": "inbound", "outcome": "self_service",
                "arrived_at": fmt(start), "ivr_start": fmt(start), "ivr_end": fmt(plus(start, 40.0)),
                "ended_at": fmt(plus(start, 40.0)),
            }));
        }
        for i in 0..dialled {
            let (id, start) = next(10);
            let line = match out_talks.get(i as usize) {
                Some(talk) => json!({
                    "id": id, "direction": "outbound", "outcome": "answered", "queue": "hotline",
                    "arrived_at": fmt(start), "answered_at": fmt(plus(start, 8.0)),
                    "ended_at": fmt(plus(start, 8.0 + talk)),
                }),
                None => json!({
                    "id": id, "direction": "outbound", "outcome": "not_connected",
                    "arrived_at": fmt(start), "ended_at": fmt(plus(start, 30.0)),
                }),
            };
            lines.push(line);
        }
    }
    assert_eq!(surveys, 620);
    lines.iter().map(|l| l.to_string() + "\n").collect()
}
