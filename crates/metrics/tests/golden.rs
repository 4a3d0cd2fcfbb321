//! Golden SQL per dialect: every catalog metric, asked by month and queue over a quarter for
//! two queues, compiled for DuckDB and for ClickHouse, compared with
//! `golden/<dialect>/<metric>.sql`. A change in the SQL a metric compiles to shows in review
//! as a change of these files. `CCPULSE_BLESS=1 cargo test --release --workspace --test golden`
//! writes them anew.

use std::path::PathBuf;

use ccpulse_metrics::{compile, Catalog, Dialect, KpiQuery, KpiText, TenantSettings};
use ccpulse_model::TenantId;

/// The SQL, or why the dialect cannot ask it, with "now" (agent intervals still open run to
/// it) written as `{now}`.
fn golden(catalog: &Catalog, metric: &str, dialect: Dialect) -> String {
    let filters = ["queue=vip,general".to_owned()];
    let query = KpiQuery::parse(
        TenantId::new("default").expect("tenant"),
        &KpiText {
            metrics: metric,
            by: Some("month,queue"),
            from: Some("2024-01-01"),
            to: Some("2024-04-01"),
            filters: &filters,
        },
    )
    .expect("query");
    // Metrics without queues go by month alone; the agents' headcount by team alone.
    let other = |by: &str| {
        KpiQuery::parse(
            TenantId::new("default").expect("tenant"),
            &KpiText {
                metrics: metric,
                by: Some(by),
                from: Some("2024-01-01"),
                to: Some("2024-04-01"),
                filters: &[],
            },
        )
        .expect("query")
    };
    let settings = TenantSettings::default();
    let compiled = compile(catalog, &query, &settings, dialect)
        .or_else(|_| compile(catalog, &other("month"), &settings, dialect))
        .or_else(|_| compile(catalog, &other("team"), &settings, dialect));
    match compiled {
        Ok(q) => {
            let mut sql = without_now(&q.sql);
            if !q.params.is_empty() {
                sql.push_str("\n-- params: ");
                sql.push_str(&q.params.join(" | "));
            }
            sql.push('\n');
            sql
        }
        Err(e) => format!("-- not compiled: {e}\n"),
    }
}

/// `TIMESTAMP '2026-12-04 10:00:00.123456'` (the only literal with microseconds) as `{now}`.
fn without_now(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(at) = rest.find("TIMESTAMP '") {
        let after = &rest[at + 11..];
        let end = after.find('\'').unwrap_or(0);
        let lit = &after[..end];
        out.push_str(&rest[..at]);
        if lit.len() == 26 && lit.as_bytes()[19] == b'.' {
            out.push_str("TIMESTAMP '{now}'");
        } else {
            out.push_str(&rest[at..at + 11 + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_metric_compiles_to_its_golden_sql_in_each_dialect() {
    let catalog = Catalog::embedded().expect("catalog");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
    let bless = std::env::var_os("CCPULSE_BLESS").is_some();
    let mut differ = Vec::new();
    let mut compiled = [0usize; 2];
    for (d, (dialect, dir)) in [
        (Dialect::DuckDb, "duckdb"),
        (Dialect::ClickHouse, "clickhouse"),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir).expect("golden dir");
        for name in &catalog.order {
            let sql = golden(&catalog, name, dialect);
            if !sql.starts_with("-- not compiled") {
                compiled[d] += 1;
            }
            let path = dir.join(format!("{name}.sql"));
            if bless {
                std::fs::write(&path, &sql).expect("write golden");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(sql.as_str()) {
                differ.push(path.display().to_string());
            }
        }
    }
    assert!(
        differ.is_empty(),
        "SQL differs from the golden files (CCPULSE_BLESS=1 to accept): {differ:?}"
    );
    // Every metric compiles for DuckDB; ClickHouse has the contact metrics so far.
    assert_eq!(compiled[0], catalog.order.len());
    assert!(
        compiled[1] >= 50,
        "ClickHouse compiles {} metrics",
        compiled[1]
    );
}
