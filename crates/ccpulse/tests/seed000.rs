//! Seed 000: a rural bank hotline's 2021, whose monthly table ccpulse must reproduce.
//!
//! The seed gives per month: offered (呼入量), answered (呼入接听量), abandoned (呼损数),
//! self-service (自助语音数), average talk (平均通话时长), outbound (呼出量), outbound average
//! talk, and inbound / outbound / total minutes. We build a year of contacts with those counts.
//! Talk durations are fractional seconds: each month's inbound talk total is a value inside
//! the interval where its average, its inbound minutes and its total minutes all round to the
//! seed's figures (worked out by hand from the three constraints, and the year's sum chosen so
//! that 1374.40, 133.01 and 1392.96 hold too).
//!
//! Outbound: the seed's outbound average is over connected calls (January: 2 dialled, one of
//! 41 s, 0.68 minutes). The seed's own outbound minutes for June (1.66) and November (2.89)
//! disagree with its averages (100 s over 1 call = 1.67; 173 s over 2 = 2.88); we match the
//! averages, and so the year's outbound minutes are 18.57 (the seed adds its rounded months to
//! 18.56).
#![allow(clippy::unwrap_used)]

mod common;

use common::seed000::{year_file, SEED};
use common::{num, Cli};

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[test]
fn reproduces_the_seed_000_monthly_table() {
    let cli = Cli::new();
    let file = cli.write("bank-2021.jsonl", &year_file());
    let out = cli.ok(&[
        "import",
        "--format",
        "contacts",
        "--tenant",
        "bank",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("read 1049, inserted 1049"), "{out}");

    let range = [
        "--tenant",
        "bank",
        "--from",
        "2021-01-01",
        "--to",
        "2022-01-01",
    ];
    let kpi = |extra: &[&str]| {
        let mut a = range.to_vec();
        a.extend_from_slice(extra);
        cli.kpi(&a)
    };
    let all = kpi(&[
        "--metrics",
        "offered,answered,abandoned,self_service,outbound,talk_minutes",
        "--by",
        "month",
    ]);
    let inbound = kpi(&[
        "--metrics",
        "avg_talk,talk_minutes",
        "--by",
        "month",
        "--filter",
        "direction=inbound",
    ]);
    let outbound = kpi(&[
        "--metrics",
        "avg_talk,talk_minutes",
        "--by",
        "month",
        "--filter",
        "direction=outbound",
        "--fill",
    ]);
    assert_eq!((all.len(), inbound.len(), outbound.len()), (12, 12, 12));
    for (i, s) in SEED.iter().enumerate() {
        let (
            month,
            offered,
            answered,
            abandoned,
            ss,
            avg,
            out_n,
            out_avg,
            in_min,
            out_min,
            total_min,
        ) = *s;
        assert_eq!(all[i]["month"], month);
        assert_eq!(all[i]["offered"], offered, "{month} offered");
        assert_eq!(all[i]["answered"], answered, "{month} answered");
        assert_eq!(all[i]["abandoned"], abandoned, "{month} abandoned");
        assert_eq!(all[i]["self_service"], ss, "{month} self-service");
        assert_eq!(all[i]["outbound"], out_n, "{month} outbound");
        assert_eq!(
            round2(num(&inbound[i], "avg_talk")),
            avg,
            "{month} average talk"
        );
        assert_eq!(
            round2(num(&inbound[i], "talk_minutes")),
            in_min,
            "{month} inbound minutes"
        );
        assert_eq!(
            round2(num(&outbound[i], "talk_minutes")),
            out_min,
            "{month} outbound minutes"
        );
        assert_eq!(
            round2(outbound[i]["avg_talk"].as_f64().unwrap_or(0.0)),
            out_avg,
            "{month} outbound average"
        );
        assert_eq!(
            round2(num(&all[i], "talk_minutes")),
            total_min,
            "{month} total minutes"
        );
    }

    // The year: 1049 contacts, 1392.96 minutes, 1036 inbound, 382 self-service, 34 abandoned,
    // 1374.40 inbound minutes, 13 outbound.
    let year = kpi(&[
        "--metrics",
        "contacts,offered,answered,abandoned,self_service,outbound,talk_minutes",
        "--by",
        "year",
    ]);
    assert_eq!(
        (
            year[0]["year"].as_str(),
            year[0]["contacts"].as_u64(),
            year[0]["offered"].as_u64(),
            year[0]["answered"].as_u64()
        ),
        (Some("2021"), Some(1049), Some(1036), Some(620))
    );
    assert_eq!(
        (
            year[0]["abandoned"].as_u64(),
            year[0]["self_service"].as_u64(),
            year[0]["outbound"].as_u64()
        ),
        (Some(34), Some(382), Some(13))
    );
    assert_eq!(round2(num(&year[0], "talk_minutes")), 1392.96);
    let year_in = kpi(&[
        "--metrics",
        "avg_talk,talk_minutes",
        "--filter",
        "direction=inbound",
    ]);
    assert_eq!(round2(num(&year_in[0], "avg_talk")), 133.01);
    assert_eq!(round2(num(&year_in[0], "talk_minutes")), 1374.40);
    let year_out = kpi(&[
        "--metrics",
        "avg_talk,talk_minutes",
        "--filter",
        "direction=outbound",
    ]);
    assert_eq!(round2(num(&year_out[0], "avg_talk")), 92.83);
    assert_eq!(round2(num(&year_out[0], "talk_minutes")), 18.57);

    // Satisfaction breakdown: shares of the 219 surveys offered.
    let s = kpi(&[
        "--metrics",
        "survey_offered,very_satisfied,satisfied,neutral,dissatisfied,unrated",
    ]);
    assert_eq!(s[0]["survey_offered"], 219);
    assert_eq!(
        [
            round2(num(&s[0], "very_satisfied") * 100.0),
            round2(num(&s[0], "satisfied") * 100.0),
            round2(num(&s[0], "neutral") * 100.0),
            round2(num(&s[0], "dissatisfied") * 100.0),
            round2(num(&s[0], "unrated") * 100.0)
        ],
        [64.38, 0.46, 0.0, 0.0, 35.16]
    );
}
