//! Day rollups give exactly what the contacts give: every contact metric of the catalog, cut
//! and filtered many ways, over ranges of whole days, before and after contacts are added,
//! changed, moved to another day and deleted.

use ccpulse_metrics::{ByItem, Catalog, Filter, KpiQuery, KpiResult, MetricSpec, Table};
use ccpulse_model::{Channel, Contact, Direction, Outcome, Survey, SurveyScore, TenantId};
use ccpulse_store::{DuckDbStore, StoreConfig};
use jiff::{SignedDuration, Timestamp};

const QUEUES: [&str; 3] = ["general", "vip", "credit_card"];

/// Contact `i` of a pseudo-random but fixed mix: 45 days, three queues, voice and chat, every
/// outcome that matters, waits around the thresholds, surveys and first-contact resolution.
fn contact(tenant: &TenantId, i: u64) -> Contact {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let outcome = match h % 7 {
        0 => Outcome::Abandoned,
        1 => Outcome::SelfService,
        2 => Outcome::AbandonedRing,
        _ => Outcome::Answered,
    };
    let direction = if h.is_multiple_of(11) {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let mut c = Contact::new(tenant.clone(), format!("c{i}"), direction, outcome);
    let start: Timestamp = "2021-01-01T00:00:00Z".parse().expect("time");
    #[allow(clippy::cast_possible_wrap)]
    let at = start + SignedDuration::from_secs(((h / 7) % (45 * 86_400)) as i64);
    c.channel = if h.is_multiple_of(5) {
        Channel::Chat
    } else {
        Channel::Voice
    };
    c.queue = Some(QUEUES[(h % 3) as usize].to_owned());
    c.agent = Some(format!("a{}", h % 4));
    c.region = Some(["河南省/周口市", "云南省/大理白族自治州"][(h % 2) as usize].to_owned());
    c.arrived_at = Some(at);
    if outcome != Outcome::SelfService {
        c.queued_at = Some(at + SignedDuration::from_secs(3));
        #[allow(clippy::cast_possible_wrap)]
        let wait = (h % 41) as i64;
        if outcome == Outcome::Answered {
            let answered = at + SignedDuration::from_secs(3 + wait);
            c.answered_at = Some(answered);
            #[allow(clippy::cast_possible_wrap)]
            let talk = (h % 300) as i64;
            c.ended_at = Some(answered + SignedDuration::from_secs(talk));
            c.wrap_up_end = Some(answered + SignedDuration::from_secs(talk + 20));
            c.hold_s = (h % 13) as f64;
            c.resolved_first = (!h.is_multiple_of(3)).then_some(h.is_multiple_of(2));
            c.survey = Some(Survey {
                offered: !h.is_multiple_of(4),
                score: (!h.is_multiple_of(4)).then(|| {
                    [
                        SurveyScore::VerySatisfied,
                        SurveyScore::Satisfied,
                        SurveyScore::Neutral,
                        SurveyScore::Dissatisfied,
                    ][(h / 3 % 4) as usize]
                }),
                reason: None,
                rating: None,
            });
        } else {
            c.ended_at = Some(at + SignedDuration::from_secs(3 + wait));
        }
    } else {
        c.ended_at = Some(at + SignedDuration::from_secs(40));
    }
    c
}

/// Moves every time of `c` by `d`.
fn shift(c: &mut Contact, d: SignedDuration) {
    for t in [
        &mut c.arrived_at,
        &mut c.queued_at,
        &mut c.answered_at,
        &mut c.ended_at,
        &mut c.wrap_up_end,
    ] {
        *t = t.map(|t| t + d);
    }
}

fn write(store: &mut DuckDbStore, contacts: &[Contact]) {
    let mut batch = store.begin_contacts().expect("batch");
    for (i, c) in contacts.iter().enumerate() {
        batch.append(c, i as u64).expect("append");
    }
    batch.commit().expect("commit");
}

fn day(d: &str) -> jiff::civil::DateTime {
    d.parse().expect("day")
}

/// The catalog's contact metrics: those that add up across days (their questions of whole
/// days have a rollup), and all of them.
fn metric_sets(store: &DuckDbStore, catalog: &Catalog, tenant: &TenantId) -> [Vec<MetricSpec>; 2] {
    // (Those per calendar day need a range; the questions below have some without.)
    let compiled = |m: &MetricSpec| {
        let q = KpiQuery::new(tenant.clone(), vec![m.clone()]);
        store.compile(catalog, &q).ok()
    };
    let all: Vec<MetricSpec> = catalog
        .iter()
        .filter(|m| m.table == Table::Contacts)
        .map(|m| MetricSpec::parse(&m.name).expect("spec"))
        .filter(|m| compiled(m).is_some())
        .collect();
    let additive: Vec<MetricSpec> = all
        .iter()
        .filter(|m| compiled(m).is_some_and(|c| c.rollup.is_some()))
        .cloned()
        .collect();
    assert!(all.len() > 20, "the catalog's contact metrics");
    assert!(additive.len() > 15, "metrics that add up: {additive:?}");
    [additive, all]
}

/// The questions about `metrics`, under several cuts and ranges.
fn questions(metrics: &[MetricSpec], tenant: &TenantId) -> Vec<KpiQuery> {
    let by = |items: &str| ByItem::parse_list(items).expect("by");
    let cuts = [
        (by(""), None),
        (by("month"), None),
        (by("day,queue"), None),
        (
            by("week,channel"),
            Some(Filter::new(ccpulse_metrics::Dimension::Queue, ["vip"])),
        ),
        (by("weekday,province"), None),
        (
            by("quarter,agent"),
            Some(Filter::new(ccpulse_metrics::Dimension::Weekday, ["2", "3"])),
        ),
    ];
    let ranges = [
        (None, None),
        (Some(day("2021-01-10T00:00")), Some(day("2021-02-01T00:00"))),
        (Some(day("2021-02-03T00:00")), None),
    ];
    let mut out = Vec::new();
    for (by, filter) in &cuts {
        for (from, to) in ranges {
            let mut q = KpiQuery::new(tenant.clone(), metrics.to_vec()).by(by.iter().copied());
            q.from = from;
            q.to = to;
            q.filters.extend(filter.iter().cloned());
            out.push(q);
        }
    }
    out
}

fn same(a: &KpiResult, b: &KpiResult, what: &str) {
    assert_eq!(a.rows.len(), b.rows.len(), "{what}: rows");
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.keys, y.keys, "{what}");
        for (i, m) in a.query.metrics.iter().enumerate() {
            let close = |p: Option<f64>, q: Option<f64>| match (p, q) {
                (Some(p), Some(q)) => (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                (p, q) => p == q,
            };
            assert!(
                close(x.values[i], y.values[i])
                    && close(x.numerators[i], y.numerators[i])
                    && close(x.denominators[i], y.denominators[i]),
                "{what}: {} at {:?}: {:?}/{:?}/{:?} from the rollup, {:?}/{:?}/{:?} from the contacts",
                m.written,
                x.keys,
                x.values[i],
                x.numerators[i],
                x.denominators[i],
                y.values[i],
                y.numerators[i],
                y.denominators[i]
            );
        }
    }
}

/// Asks each question both ways; how many had a rollup.
fn compare(rolled: &DuckDbStore, plain: &DuckDbStore, catalog: &Catalog, qs: &[KpiQuery]) -> usize {
    let mut used = 0;
    for q in qs {
        let what = format!("{:?} {:?}..{:?} {:?}", q.by, q.from, q.to, q.filters);
        // A cut some metric does not have is refused both ways.
        let Ok(b) = plain.ask(catalog, q) else {
            assert!(rolled.ask(catalog, q).is_err(), "{what}");
            continue;
        };
        let a = rolled.ask(catalog, q).expect("rolled");
        used += usize::from(a.query.rollup.is_some());
        same(&a, &b, &what);
    }
    used
}

#[test]
fn rollups_give_what_the_contacts_give_as_they_change() {
    let dir = tempfile::tempdir().expect("dir");
    let tenant = TenantId::default_tenant();
    let mut store = DuckDbStore::open(dir.path(), &StoreConfig::default()).expect("open");
    let all: Vec<Contact> = (0..6000).map(|i| contact(&tenant, i)).collect();
    write(&mut store, &all);
    let catalog = store.catalog().expect("catalog");
    let plain = store.reader().expect("reader");
    let mut rolled = store.reader().expect("reader");
    rolled.use_rollups(true);

    // Questions of whole days about metrics that add up use the rollup; with a metric that
    // does not (a percentile, an average of rows), the contacts are asked straight.
    let [additive, every_metric] = metric_sets(&plain, &catalog, &tenant);
    let (summed, every) = (
        questions(&additive, &tenant),
        questions(&every_metric, &tenant),
    );
    assert_eq!(compare(&rolled, &plain, &catalog, &summed), summed.len());
    let shapes = |store: &DuckDbStore| -> i64 {
        store
            .connection()
            .query_row(
                "SELECT count(*) FROM ccpulse_rollup.shapes WHERE worth",
                [],
                |r| r.get(0),
            )
            .expect("shapes")
    };
    assert_eq!(
        shapes(&rolled),
        6,
        "one shape per cut and filter, whatever the range"
    );
    assert_eq!(compare(&rolled, &plain, &catalog, &every), 0);

    // Changes: an answered call becomes abandoned, one moves to another day, a new day gets
    // contacts, one is deleted.
    let mut changed = all[10].clone();
    changed.outcome = Outcome::Abandoned;
    changed.answered_at = None;
    changed.survey = None;
    let mut moved = all[11].clone();
    shift(&mut moved, SignedDuration::from_hours(24 * 9));
    let mut new: Vec<Contact> = (0..40)
        .map(|i| {
            let mut c = contact(&tenant, 100_000 + i);
            let at: Timestamp = "2021-02-20T08:00:00Z".parse().expect("time");
            let d = c
                .arrived_at
                .map(|a| at.duration_since(a))
                .unwrap_or_default();
            shift(&mut c, d);
            c
        })
        .collect();
    new.extend([changed, moved]);
    write(&mut store, &new);
    store
        .execute_batch("DELETE FROM contacts WHERE id = 'c12'")
        .expect("delete");
    // The same shapes, their changed days taken again.
    assert_eq!(compare(&rolled, &plain, &catalog, &summed), summed.len());
    assert_eq!(shapes(&rolled), 6);

    // The metrics that add up, one at a time, cut by queue: each has its rollup; at most 32
    // shapes are kept.
    for m in &additive {
        let q = KpiQuery::new(tenant.clone(), vec![m.clone()])
            .by(ByItem::parse_list("month,queue").expect("by"));
        assert_eq!(compare(&rolled, &plain, &catalog, &[q]), 1, "{}", m.written);
    }
    assert_eq!(shapes(&rolled), 32.min(6 + additive.len() as i64));

    // A question with a time of day in its range asks the contacts; buckets within a day too.
    let straight = |q: &KpiQuery| rolled.ask(&catalog, q).expect("ask").query.rollup.is_none();
    let mut q = KpiQuery::of(tenant.clone(), &["offered"]).expect("q");
    q.from = Some(day("2021-01-10T09:00"));
    assert!(straight(&q));
    let q = KpiQuery::of(tenant, &["offered"])
        .expect("q")
        .by(ByItem::parse_list("hour").expect("by"));
    assert!(straight(&q));
}
