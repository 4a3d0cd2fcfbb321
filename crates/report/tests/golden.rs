//! Golden JSON documents of the three reports over a small, fixed center: two months of
//! calls and chats in two queues, outbound calls, surveys and complaints. A change to any
//! figure, key or wording of a report's machine contract shows here as a snapshot diff
//! (`crates/report/tests/snapshots`); review it and accept it with `cargo insta` or
//! `INSTA_UPDATE=always` only when the change is meant.

use ccpulse_metrics::Catalog;
use ccpulse_model::TenantId;
use ccpulse_report::{operations, quality, scorecard, Lang, Period};
use ccpulse_store::{DuckDbStore, StoreConfig};

/// One contact of the fixture, by its number: every figure of it follows from `n`.
fn contact(month: u32, n: u32) -> String {
    let day = 1 + n % 28;
    let hour = 8 + n % 10;
    let queue = if n.is_multiple_of(3) {
        "vip"
    } else {
        "general"
    };
    let channel = if n.is_multiple_of(5) { "chat" } else { "voice" };
    let at =
        |min: u32, sec: u32| format!("2026-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}+08:00");
    let wait = 5 + (n * 7) % 50;
    let (w_min, w_sec) = (wait / 60, wait % 60);
    let base = format!(
        r#""id":"m{month}-{n}","tenant":"bank","channel":"{channel}","queue":"{queue}","business_line":"{line}","category":"{category}","queued_at":"{q}""#,
        line = if n.is_multiple_of(2) {
            "cards"
        } else {
            "loans"
        },
        category = ["balance", "fees", "card_lost", "rates"][(n % 4) as usize],
        q = at(0, 0),
    );
    if n.is_multiple_of(11) {
        // Outbound telemarketing, answered.
        return format!(
            r#"{{"id":"m{month}-{n}","tenant":"bank","channel":"voice","direction":"outbound","agent":"2001","arrived_at":"{a}","answered_at":"{b}","ended_at":"{e}","outcome":"answered","marketing_attempts":1,"marketing_successes":{s}}}"#,
            a = at(0, 0),
            b = at(0, 20),
            e = at(3, 20),
            s = n % 2,
        );
    }
    if n.is_multiple_of(7) {
        return format!(
            r#"{{{base},"direction":"inbound","ended_at":"{e}","outcome":"abandoned"}}"#,
            e = at(w_min, w_sec),
        );
    }
    let score = ["very_satisfied", "satisfied", "neutral", "dissatisfied"][(n % 4) as usize];
    let business = if n.is_multiple_of(13) {
        "complaint"
    } else {
        "consultation"
    };
    format!(
        r#"{{{base},"direction":"inbound","business_type":"{business}","customer":"1380013{n:04}","agent":"{agent}","answered_at":"{b}","ended_at":"{e}","wrap_up_end":"{w}","outcome":"answered","survey":{{"offered":true,"score":"{score}"}}}}"#,
        agent = 1001 + n % 4,
        b = at(w_min, w_sec),
        e = at(w_min + 4, w_sec),
        w = at(w_min + 5, w_sec),
    )
}

fn store(dir: &std::path::Path) -> DuckDbStore {
    let mut store = DuckDbStore::open(dir, &StoreConfig::default()).expect("store");
    store
        .ensure_tenant(&TenantId::new("bank").expect("tenant"))
        .expect("tenant");
    let mut batch = store.begin_contacts().expect("batch");
    let mut line = 0;
    for (month, count) in [(9, 90), (10, 120)] {
        for n in 0..count {
            line += 1;
            let text = contact(month, n);
            let p = ccpulse_ingest::parse_contact_line(text.as_bytes(), line, None)
                .unwrap_or_else(|r| panic!("{text}: {r}"));
            batch.append(&p.contact, p.fingerprint).expect("append");
        }
    }
    batch.commit().expect("commit");
    store
}

fn bank() -> TenantId {
    TenantId::new("bank").expect("tenant")
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("json")
}

#[test]
fn the_reports_json_documents_are_as_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path());
    let catalog: Catalog = store.catalog().expect("catalog");
    let october = Period::parse("2026-10").expect("period");

    let ops = operations::build(
        &store,
        &catalog,
        &bank(),
        &october,
        0,
        Some(operations::DEFAULT_DETAILS),
        Lang::Zh,
    )
    .expect("ops");
    insta::assert_snapshot!("operations_2026_10_zh", pretty(&ops.to_json()));

    let score =
        scorecard::build(&store, &catalog, &bank(), &october, None, Lang::En).expect("scorecard");
    insta::assert_snapshot!("scorecard_2026_10_en", pretty(&score.to_json()));
    let by_queue = scorecard::build(&store, &catalog, &bank(), &october, Some("queue"), Lang::Zh)
        .expect("by queue");
    insta::assert_snapshot!("scorecard_2026_10_by_queue", pretty(&by_queue.to_json()));

    let q = quality::build(&store, &catalog, &bank(), &october, Lang::Zh).expect("quality");
    insta::assert_snapshot!("quality_2026_10_zh", pretty(&q.to_json()));
}

#[test]
fn a_report_of_an_unknown_tenant_or_a_bad_breakdown_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path());
    let catalog = store.catalog().expect("catalog");
    let october = Period::parse("2026-10").expect("period");
    let e = scorecard::build(
        &store,
        &catalog,
        &TenantId::new("nobody").expect("tenant"),
        &october,
        None,
        Lang::En,
    )
    .expect_err("unknown tenant");
    assert!(e.to_string().contains("nobody"), "{e}");
    let e = scorecard::build(
        &store,
        &catalog,
        &bank(),
        &october,
        Some("region"),
        Lang::En,
    )
    .expect_err("by region");
    assert!(e.to_string().contains("queue, agent or team"), "{e}");
}
