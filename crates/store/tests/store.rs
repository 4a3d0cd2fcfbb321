//! The DuckDB store on a real database file: local columns, time-zone changes across DST,
//! upserts and the schema version.

use ccpulse_model::{Contact, Direction, Outcome, TenantId};
use ccpulse_store::{DuckDbStore, StoreConfig};
use jiff::Timestamp;

fn contact(tenant: &TenantId, id: &str, at: &str) -> Contact {
    let mut c = Contact::new(
        tenant.clone(),
        id.to_owned(),
        Direction::Inbound,
        Outcome::Answered,
    );
    let t: Timestamp = at.parse().expect("time");
    c.arrived_at = Some(t);
    c.queued_at = Some(t);
    c.answered_at = Some(t + jiff::SignedDuration::from_secs(7));
    c.ended_at = Some(t + jiff::SignedDuration::from_secs(67));
    c
}

type LocalRow = (String, String, String, i8, i16, i8, i32, i32);

fn local_columns(store: &DuckDbStore) -> Vec<LocalRow> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT id, strftime(local_ts, '%Y-%m-%d %H:%M:%S'), CAST(local_date AS VARCHAR), local_hour,
                    local_slot, local_weekday, local_month, local_week
             FROM contacts ORDER BY id",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .expect("query");
    rows.collect::<Result<Vec<_>, _>>().expect("rows")
}

const TIMES: [&str; 5] = [
    "2021-03-14T06:59:59Z", // 01:59:59 EST, just before the spring-forward gap
    "2021-03-14T07:00:00Z", // 03:00:00 EDT
    "2021-11-07T05:30:00Z", // 01:30 EDT, first pass
    "2021-11-07T06:30:00Z", // 01:30 EST, second pass
    "2021-12-31T23:59:59.5Z",
];

fn load(store: &mut DuckDbStore, tenant: &TenantId) {
    let mut batch = store.begin_contacts().expect("batch");
    for (i, t) in TIMES.iter().enumerate() {
        batch
            .append(&contact(tenant, &format!("c{i}"), t), i as u64)
            .expect("append");
    }
    let counts = batch.commit().expect("commit");
    assert_eq!(counts.inserted, 5);
}

#[test]
fn time_zone_change_equals_ingest_in_that_zone_across_dst() {
    let dir = tempfile::tempdir().expect("dir");
    let t = TenantId::new("ny").expect("tenant");

    // Ingested directly in New York time.
    let mut direct =
        DuckDbStore::open(&dir.path().join("a"), &StoreConfig::default()).expect("open");
    direct
        .set_tenant(&t, Some("America/New_York"), None)
        .expect("tenant");
    load(&mut direct, &t);
    let want = local_columns(&direct);
    assert_eq!(want[0].1, "2021-03-14 01:59:59");
    assert_eq!(want[1].1, "2021-03-14 03:00:00");
    assert_eq!(
        (want[2].1.as_str(), want[3].1.as_str()),
        ("2021-11-07 01:30:00", "2021-11-07 01:30:00")
    );
    assert_eq!(
        (want[4].2.as_str(), want[4].6, want[4].7),
        ("2021-12-31", 202112, 202152)
    );

    // Ingested in Shanghai, then moved to New York: the same columns.
    let mut moved =
        DuckDbStore::open(&dir.path().join("b"), &StoreConfig::default()).expect("open");
    load(&mut moved, &t);
    assert_eq!(local_columns(&moved)[4].2, "2022-01-01");
    moved
        .set_tenant(&t, Some("America/New_York"), None)
        .expect("move");
    assert_eq!(local_columns(&moved), want);
}

#[test]
fn reopening_keeps_data_settings_and_schema_version() {
    let dir = tempfile::tempdir().expect("dir");
    let t = TenantId::new("bank").expect("tenant");
    {
        let cfg = StoreConfig {
            memory_limit: Some("512MB".into()),
            threads: Some(1),
            checkpoint_threshold: Some("64MB".into()),
        };
        let mut s = DuckDbStore::open(dir.path(), &cfg).expect("open");
        assert_eq!(s.setting("threads").expect("threads"), "1");
        assert!(
            s.setting("checkpoint_threshold")
                .expect("threshold")
                .contains("MiB"),
            "{}",
            s.setting("checkpoint_threshold").expect("threshold")
        );
        assert!(s.setting("memory_limit").expect("limit").contains("MiB"));
        let settings = ccpulse_metrics::TenantSettings {
            service_level_threshold: 15.0,
            ..Default::default()
        };
        s.set_tenant(&t, Some("Asia/Urumqi"), Some(settings))
            .expect("tenant");
        load(&mut s, &t);
    }
    let s = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("reopen");
    assert_eq!(
        s.count_contacts(&TenantId::new("bank").expect("tenant"))
            .expect("count"),
        5
    );
    let tenant = s.tenant("bank").expect("tenant");
    assert_eq!(tenant.timezone, "Asia/Urumqi");
    assert_eq!(tenant.settings.service_level_threshold, 15.0);
    let version: i64 = s
        .connection()
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, ccpulse_store::schema::current_version());
}

#[test]
fn upsert_counts() {
    let dir = tempfile::tempdir().expect("dir");
    let t = TenantId::default_tenant();
    let mut s = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("open");
    load(&mut s, &t);
    let mut batch = s.begin_contacts().expect("batch");
    // c0 unchanged (same fingerprint), c1 changed, c9 new, c9 again in the same batch.
    batch.append(&contact(&t, "c0", TIMES[0]), 0).expect("c0");
    batch.append(&contact(&t, "c1", TIMES[0]), 99).expect("c1");
    batch.append(&contact(&t, "c9", TIMES[0]), 5).expect("c9");
    batch
        .append(&contact(&t, "c9", TIMES[1]), 6)
        .expect("c9 again");
    let counts = batch.commit().expect("commit");
    assert_eq!(
        (counts.inserted, counts.updated, counts.unchanged),
        (1, 2, 1)
    );
    assert_eq!(
        s.count_contacts(&TenantId::new("default").expect("tenant"))
            .expect("count"),
        6
    );
    let c9: String = s
        .connection()
        .query_row(
            "SELECT strftime(arrived_at, '%H:%M:%S') FROM contacts WHERE id = 'c9'",
            [],
            |r| r.get(0),
        )
        .expect("c9");
    assert_eq!(c9, "07:00:00");
}

/// More contacts than DuckDB's appender holds before it flushes on its own (204,800), matched
/// inside the caller's transaction beside a batch appended straight to the table: every row
/// lands, and the counts say so. (A staging table made with `CREATE .. AS SELECT .. LIMIT 0`
/// inside the transaction lost them all.)
#[test]
fn a_large_batch_inside_a_transaction_keeps_every_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("open");
    let t = TenantId::new("big").expect("tenant");
    store.ensure_tenant(&t).expect("tenant");
    let n = 210_000;
    let base = Timestamp::from_second(1_600_000_000).expect("time");
    let at = |i: i64| (base + jiff::SignedDuration::from_secs(i)).to_string();
    {
        let tx = store.transaction().expect("tx");
        let mut direct = store.begin_known_contacts(&tx).expect("direct");
        direct
            .append_new(&contact(&t, "first", &at(0)), 1)
            .expect("append");
        let mut matched = store.begin_contacts().expect("matched");
        for i in 0..n {
            matched
                .append(&contact(&t, &format!("c{i}"), &at(i)), 7)
                .expect("append");
        }
        // A later line for the contact appended straight to the table replaces it.
        matched
            .append(&contact(&t, "first", &at(5)), 2)
            .expect("append");
        let direct_counts = direct.write(&tx).expect("write");
        let counts = matched.write(&tx).expect("write");
        tx.commit().expect("commit");
        assert_eq!((direct_counts.inserted, direct_counts.updated), (1, 0));
        assert_eq!((counts.inserted, counts.updated), (n as u64, 1));
    }
    let rows: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, n + 1);
    let fp: u64 = store
        .connection()
        .query_row(
            "SELECT fingerprint FROM contacts WHERE id = 'first'",
            [],
            |r| r.get(0),
        )
        .expect("first");
    assert_eq!(fp, 2);
}

/// The event log keeps one entry per (tenant, id) without an index: an event the caller
/// cannot rule out is looked up, whether it comes again as it was (same time), with another
/// time, or under another tenant (a different event); surely new ones are appended as they are.
#[test]
fn the_event_log_takes_each_id_once() {
    use ccpulse_store::NewEvent;
    let dir = tempfile::tempdir().expect("tmp");
    let store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("open");
    let (a, b) = (
        TenantId::new("a").expect("a"),
        TenantId::new("b").expect("b"),
    );
    let at = |s: i64| Timestamp::from_second(1_700_000_000 + s).expect("time");
    let event = |t: &TenantId, id: &str, s: i64| NewEvent {
        tenant: t.clone(),
        event_id: id.into(),
        kind: "queued".into(),
        contact_id: Some(format!("c-{id}")),
        agent: None,
        at: at(s),
        body: format!("{{\"id\":\"{id}\"}}"),
    };
    let log = |events: &[NewEvent], sure: &[bool]| {
        let tx = store.transaction().expect("tx");
        let fresh = store.log_events(&tx, events, sure).expect("log");
        tx.commit().expect("commit");
        let mut ids: Vec<String> = fresh
            .into_iter()
            .map(|(t, id)| format!("{t}/{id}"))
            .collect();
        ids.sort();
        ids
    };
    let first: Vec<NewEvent> = (0..5).map(|i| event(&a, &format!("e{i}"), i)).collect();
    assert_eq!(log(&first, &[true; 5]).len(), 5);
    // Again as they were, with another time, under another tenant, and one never logged.
    let again = vec![
        event(&a, "e0", 0),
        event(&a, "e1", 999),
        event(&b, "e2", 2),
        event(&a, "e9", 9),
    ];
    assert_eq!(log(&again, &[false; 4]), vec!["a/e9", "b/e2"]);
    assert_eq!(store.count_events(&a).expect("a"), 6);
    assert_eq!(store.count_events(&b).expect("b"), 1);
    // Nothing new the second time.
    assert!(log(&again, &[false; 4]).is_empty());
    assert_eq!(store.count_events(&a).expect("a"), 6);
}
