//! Developer tools: a synthetic contact center and the benchmarks.
//!
//! - [`demo`]: the demo center's contacts, complaints and subscriber base ([`demo::Generator`]).
//! - [`simulate`]: the live demo center of `serve --demo`, posting events through the
//!   server's own ingestion path.
//! - [`bench`]: `bench --contacts N` (import against DuckDB's read_json, the catalog's queries
//!   against hand-written SQL, a year's report, peak memory) and the demo's history.
//! - [`bench_clickhouse`]: `bench --store clickhouse://...` (import and query (a) on DuckDB and
//!   ClickHouse side by side, the answers compared).
//! - [`bench_queue_log`]: `bench --queue-log N` (parse, assemble, import, tail to kpi).
//! - [`load`]: `bench-server` (events/s, time to 202, delivery to many event streams, memory).
//! - [`chaos`]: `bench-server --chaos` (valid, bad, oversize and slow clients and a `kill -9`;
//!   then every acknowledged contact counted once).
#![allow(clippy::print_stdout)]

pub mod bench;
pub mod bench_clickhouse;
pub mod bench_explore;
pub mod bench_queue_log;
pub mod chaos;
pub mod demo;
pub mod load;
pub mod simulate;
