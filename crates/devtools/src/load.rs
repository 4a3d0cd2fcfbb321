//! `ccpulse bench-server`: a load benchmark of the server on loopback, bounded in time.
//!
//! It starts `ccpulse serve` as a child process over a fresh data directory, then for
//! `--seconds`: poster threads send batches of events (whole calls and agent state changes)
//! as fast as the server answers, recording each request's time to 202; `--clients` event
//! streams stay open; once a second a probe posts one marked call and every stream records
//! when the change reaches it; the server's resident memory is sampled every 10 s. It prints
//! events/s, the time-to-202 percentiles, the streams' delivery percentiles and the memory
//! curve.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ccpulse_store::{DuckDbStore, StoreConfig, User};
use serde_json::{json, Value};

/// One stream's sightings: probe number and when its frame arrived.
type Sightings = Vec<(usize, Instant)>;

/// What to run.
pub struct LoadOptions {
    pub seconds: u64,
    pub posters: usize,
    pub batch: usize,
    pub clients: usize,
    /// Events a second in all, when paced.
    pub rate: Option<u64>,
    pub json: bool,
}

pub(crate) struct ServerChild {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    crate::bench::proc_status_kib(&pid.to_string(), "VmRSS")
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A free loopback address.
pub(crate) fn free_addr() -> anyhow::Result<String> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    Ok(format!("127.0.0.1:{port}"))
}

fn start_server(dir: &Path, token: &str) -> anyhow::Result<ServerChild> {
    start_server_on(dir, token, &free_addr()?, Stdio::inherit())
}

/// `ccpulse serve` over `dir` on `addr`, once it answers `token`'s requests; its standard
/// error goes to `stderr`.
pub(crate) fn start_server_on(
    dir: &Path,
    token: &str,
    addr: &str,
    stderr: Stdio,
) -> anyhow::Result<ServerChild> {
    let child = Command::new(std::env::current_exe()?)
        .arg("--data")
        .arg(dir)
        .args(["serve", "--listen", addr])
        // Quiet unless asked (CCPULSE_LOG=ccpulse_server=debug shows each group commit).
        .env(
            "CCPULSE_LOG",
            std::env::var("CCPULSE_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .context("starting ccpulse serve")?;
    let mut server = ServerChild {
        child,
        addr: addr.to_owned(),
    };
    let started = Instant::now();
    loop {
        if let Ok(mut s) = TcpStream::connect(&server.addr) {
            let _ = write!(
                s,
                "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            );
            let mut first = String::new();
            if BufReader::new(s).read_line(&mut first).is_ok() && first.contains("200") {
                return Ok(server);
            }
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!("ccpulse serve exited with {status} before it answered");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the server did not come up on {}", server.addr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub(crate) fn now_ms(offset: i64) -> String {
    jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + offset)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string()
}

/// `batch` events: whole answered calls (queued, answered, ended) and an agent state change.
fn batch(poster: usize, n: u64, size: usize) -> Value {
    let mut events = Vec::with_capacity(size);
    let mut k = 0;
    while events.len() < size {
        let c = format!("p{poster}-{n}-{k}");
        let agent = format!("{}", 1000 + (k % 40));
        let queue = ["general", "vip", "sales"][k % 3];
        events.push(json!({"id": format!("{c}q"), "type": "queued", "contact_id": c, "queue": queue, "at": now_ms(-60_000)}));
        events.push(json!({"id": format!("{c}a"), "type": "answered", "contact_id": c, "agent": agent, "at": now_ms(-50_000)}));
        events.push(
            json!({"id": format!("{c}e"), "type": "ended", "contact_id": c, "at": now_ms(-1_000)}),
        );
        if k % 10 == 0 {
            events.push(json!({"id": format!("{c}s"), "type": "agent_state", "agent": agent, "state": "idle", "at": now_ms(0)}));
        }
        k += 1;
    }
    events.truncate(size);
    Value::Array(events)
}

/// The benchmark's admin user and its API token, in a fresh store at `dir`.
pub(crate) fn add_bench_user(dir: &Path, token: &str) -> anyhow::Result<()> {
    let store = DuckDbStore::open(dir, &StoreConfig::default())?;
    store.put_user(&User {
        name: "bench".into(),
        role: "admin".into(),
        password_hash: ccpulse_server::auth::hash_password("bench-password")
            .map_err(anyhow::Error::msg)?,
        tenants: None,
        ..Default::default()
    })?;
    store.add_token(&ccpulse_server::auth::secret_hash(token), "bench", None)?;
    Ok(())
}

/// One event stream: records when it first saw each probe (`probe-<n>` in a frame) until
/// `stop`.
fn follow_stream(
    addr: &str,
    token: &str,
    stop: &AtomicBool,
    arrivals: &Mutex<Vec<Sightings>>,
    connected: &AtomicU64,
) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = write!(
        s,
        "GET /api/v1/live/stream?tenant=load HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    connected.fetch_add(1, Ordering::Relaxed);
    let mut mine = Vec::new();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    while !stop.load(Ordering::Relaxed) {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => continue,
        }
        if !line.starts_with("data: ") {
            continue;
        }
        let arrived = Instant::now();
        let mut rest = line.as_str();
        while let Some(i) = rest.find("\"probe-") {
            rest = &rest[i + 7..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<usize>() {
                mine.push((n, arrived));
            }
        }
    }
    if let Ok(mut a) = arrivals.lock() {
        a.push(mine);
    }
}

/// What a poster sends: where, as whom, how many events a request.
struct Poster<'a> {
    url: &'a str,
    token: &'a str,
    size: usize,
}

/// Posts batches until `stop`, each as soon as the last is answered or, paced, at its
/// `(interval, first offset)`; counts accepted events, times each 202, counts failures.
fn post_until(
    poster: &Poster<'_>,
    pace: Option<(Duration, Duration)>,
    p: usize,
    stop: &AtomicBool,
    accepted: &AtomicU64,
    latencies: &Mutex<Vec<f64>>,
    errors: &AtomicU64,
) {
    let agent = agent();
    let mut n = 0u64;
    let mut due = pace.map(|(_, offset)| Instant::now() + offset);
    let interval = pace.map(|(i, _)| i);
    while !stop.load(Ordering::Relaxed) {
        if let (Some(at), Some(i)) = (due.as_mut(), interval) {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            *at += i;
        }
        n += 1;
        let body = batch(p, n, poster.size).to_string();
        let t = Instant::now();
        let res = agent
            .post(poster.url)
            .header("authorization", &format!("Bearer {}", poster.token))
            .header("content-type", "application/json")
            .send(body.as_bytes());
        let took = t.elapsed().as_secs_f64();
        match res {
            Ok(r) if r.status().as_u16() == 202 => {
                accepted.fetch_add(poster.size as u64, Ordering::Relaxed);
                if let Ok(mut l) = latencies.lock() {
                    l.push(took);
                }
            }
            _ => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Runs the benchmark and prints its figures.
pub fn run(opts: &LoadOptions) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let token = "bench-token-0123456789";
    add_bench_user(dir.path(), token)?;
    let server = start_server(dir.path(), token)?;
    let pid = server.child.id();
    let say = |s: String| {
        if !opts.json {
            eprintln!("{s}");
        }
    };
    say(format!(
        "server on {} (pid {pid}); {} posters x {} events a request{}, {} streams, {} s",
        server.addr,
        opts.posters,
        opts.batch,
        opts.rate
            .map(|r| format!(" paced at {r} events/s"))
            .unwrap_or_default(),
        opts.clients,
        opts.seconds
    ));
    let url = format!("http://{}/api/v1/events?tenant=load", server.addr);
    // One event first, so the tenant exists before the streams open.
    agent()
        .post(&url)
        .header("authorization", &format!("Bearer {token}"))
        .send(batch(99, 0, 1).to_string().as_bytes())?;

    let stop = Arc::new(AtomicBool::new(false));
    // The streams stop after the posters (and after the last probes had time to arrive).
    let streams_stop = Arc::new(AtomicBool::new(false));
    // Streams: each records when it first saw each probe (`probe-<n>` in a frame).
    let arrivals: Arc<Mutex<Vec<Sightings>>> = Arc::new(Mutex::new(Vec::new()));
    let connected = Arc::new(AtomicU64::new(0));
    let mut streams = Vec::new();
    for _ in 0..opts.clients {
        let (addr, stop, arrivals, connected) = (
            server.addr.clone(),
            streams_stop.clone(),
            arrivals.clone(),
            connected.clone(),
        );
        streams.push(std::thread::spawn(move || {
            follow_stream(&addr, token, &stop, &arrivals, &connected);
        }));
    }
    while connected.load(Ordering::Relaxed) < opts.clients as u64 {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));

    let accepted = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    // Paced: each poster sends its request every `interval`, the posters spread over it.
    let interval = opts.rate.filter(|r| *r > 0).map(|r| {
        #[allow(clippy::cast_precision_loss)]
        Duration::from_secs_f64((opts.posters * opts.batch) as f64 / r as f64)
    });
    let mut posters = Vec::new();
    for p in 0..opts.posters {
        let opts_posters = opts.posters;
        let (url, stop, accepted, latencies, errors, size) = (
            url.clone(),
            stop.clone(),
            accepted.clone(),
            latencies.clone(),
            errors.clone(),
            opts.batch,
        );
        posters.push(std::thread::spawn(move || {
            let pace = interval.map(|i| (i, i.mul_f64(p as f64 / opts_posters as f64)));
            post_until(
                &Poster {
                    url: &url,
                    token,
                    size,
                },
                pace,
                p,
                &stop,
                &accepted,
                &latencies,
                &errors,
            );
        }));
    }
    // The probe and the memory samples, on this thread.
    let (acked, memory) = probe_and_sample(
        &Poster {
            url: &url,
            token,
            size: 1,
        },
        pid,
        opts.seconds,
        &accepted,
        &say,
    );
    let probe_n = acked.len();
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for p in posters {
        let _ = p.join();
    }
    // Let the last probes arrive, then close the streams.
    std::thread::sleep(Duration::from_secs(2));
    streams_stop.store(true, Ordering::Relaxed);
    drop(server);
    for s in streams {
        let _ = s.join();
    }
    let events = accepted.load(Ordering::Relaxed);
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let mut del = delivery_times(
        &arrivals.lock().map(|a| a.clone()).unwrap_or_default(),
        &acked,
    );
    del.sort_by(f64::total_cmp);
    let expected = probe_n * opts.clients;
    let within_1s = del.iter().filter(|d| **d <= 1.0).count();
    #[allow(clippy::cast_precision_loss)]
    let rate = events as f64 / elapsed;
    let figures = json!({
        "seconds": elapsed,
        "events": events,
        "events_per_s": rate,
        "requests": lat.len(),
        "failed_requests": errors.load(Ordering::Relaxed),
        "batch": opts.batch,
        "posters": opts.posters,
        "rate": opts.rate,
        "time_to_202_ms": {"p50": percentile(&lat, 0.5) * 1e3, "p90": percentile(&lat, 0.9) * 1e3, "p99": percentile(&lat, 0.99) * 1e3, "max": lat.last().copied().unwrap_or(0.0) * 1e3},
        "streams": opts.clients,
        "probes": probe_n,
        "deliveries": del.len(),
        "deliveries_expected": expected,
        "delivered_within_1s": within_1s,
        "delivery_ms": {"p50": percentile(&del, 0.5) * 1e3, "p99": percentile(&del, 0.99) * 1e3, "max": del.last().copied().unwrap_or(0.0) * 1e3},
        "server_rss_kib": memory.iter().map(|(s, r)| json!({"at_s": s, "kib": r})).collect::<Vec<_>>(),
    });
    print_figures(opts, &figures);
    Ok(())
}

/// Once a second until `seconds` have passed since now: posts a marked call (`probe-<n>`)
/// and notes when its 202 came; every 10 s samples the server's memory and says the rate.
/// The probes' acknowledgements and the memory samples (seconds, KiB).
fn probe_and_sample(
    probe: &Poster<'_>,
    pid: u32,
    seconds: u64,
    accepted: &AtomicU64,
    say: &dyn Fn(String),
) -> (Vec<Instant>, Vec<(u64, u64)>) {
    let started = Instant::now();
    let probe_agent = agent();
    let mut memory = vec![(0u64, rss_kib(pid).unwrap_or(0))];
    let mut probe_n = 0usize;
    let mut acked: Vec<Instant> = Vec::new();
    let mut last_accepted = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        let id = format!("probe-{probe_n}");
        let body = json!([{"id": id, "type": "queued", "contact_id": id, "queue": "probe", "at": now_ms(0)}]);
        let res = probe_agent
            .post(probe.url)
            .header("authorization", &format!("Bearer {}", probe.token))
            .send(body.to_string().as_bytes());
        if res.is_ok_and(|r| r.status().as_u16() == 202) {
            acked.push(Instant::now());
            probe_n += 1;
        }
        let secs = started.elapsed().as_secs();
        if secs / 10 > memory.last().map_or(0, |m| m.0) / 10 {
            memory.push((secs, rss_kib(pid).unwrap_or(0)));
            let now = accepted.load(Ordering::Relaxed);
            say(format!(
                "{secs:>4} s: {:.0} events/s, server RSS {} MiB",
                (now - last_accepted) as f64 / 10.0,
                memory.last().map_or(0, |m| m.1) / 1024
            ));
            last_accepted = now;
        }
    }
    (acked, memory)
}

/// Delivery: from a probe's 202 to each stream's first sight of it (a frame that came before
/// the 202 counts as 0), in seconds.
fn delivery_times(all: &[Sightings], acked: &[Instant]) -> Vec<f64> {
    let mut del: Vec<f64> = Vec::new();
    for mine in all {
        // A probe named in several frames of one stream counts at its first.
        let mut counted = std::collections::HashSet::new();
        for (n, at) in mine {
            if let (Some(ack), true) = (acked.get(*n), counted.insert(*n)) {
                del.push(at.saturating_duration_since(*ack).as_secs_f64());
            }
        }
    }
    del
}

/// The figures as JSON, or for people.
fn print_figures(opts: &LoadOptions, f: &Value) {
    if opts.json {
        println!("{f}");
        return;
    }
    let n = |v: &Value| v.as_f64().unwrap_or(0.0);
    println!(
        "{} events in {:.1} s: {:.0} events/s; time to 202 p50 {:.0} ms, p99 {:.0} ms ({} requests of {}, {} failed)",
        f["events"],
        n(&f["seconds"]),
        n(&f["events_per_s"]),
        n(&f["time_to_202_ms"]["p50"]),
        n(&f["time_to_202_ms"]["p99"]),
        f["requests"],
        opts.batch,
        f["failed_requests"]
    );
    println!(
        "{} streams, {} probes: {} of {} deliveries, {} within 1 s; delivery p50 {:.0} ms, p99 {:.0} ms",
        opts.clients,
        f["probes"],
        f["deliveries"],
        f["deliveries_expected"],
        f["delivered_within_1s"],
        n(&f["delivery_ms"]["p50"]),
        n(&f["delivery_ms"]["p99"])
    );
    let mem: Vec<String> = f["server_rss_kib"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    format!(
                        "{}s {} MiB",
                        m["at_s"],
                        m["kib"].as_u64().unwrap_or(0) / 1024
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    println!("server RSS: {}", mem.join(", "));
}

/// `bench-server --big-bodies`: the server's memory under the largest requests it takes. One
/// 60 MB request of events, then three of 50 MB at once, against a fresh server with the
/// default limits (64 MiB bodies, a 256 MiB body allowance, DuckDB capped at 512 MB); its
/// resident memory before, and its peak after each.
pub fn big_bodies(json: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let token = "bench-token-0123456789";
    add_bench_user(dir.path(), token)?;
    let server = start_server(dir.path(), token)?;
    let pid = server.child.id();
    let url = format!("http://{}/api/v1/events?tenant=load", server.addr);
    let peak = || crate::bench::proc_status_kib(&pid.to_string(), "VmHWM").unwrap_or(0) / 1024;
    let post = |tag: usize, mb: usize| -> anyhow::Result<(u16, f64)> {
        // About 113 bytes an event.
        let events = mb * (1 << 20) / 113;
        let body = batch(tag, 1, events).to_string();
        let t = Instant::now();
        let res = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .new_agent()
            .post(&url)
            .header("authorization", &format!("Bearer {token}"))
            .send(body.as_bytes())?;
        Ok((res.status().as_u16(), t.elapsed().as_secs_f64()))
    };
    let before = rss_kib(pid).unwrap_or(0) / 1024;
    let (one, one_s) = post(1, 60)?;
    let after_one = peak();
    let answers: Vec<anyhow::Result<(u16, f64)>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3).map(|i| s.spawn(move || post(10 + i, 50))).collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a poster panicked")))
            })
            .collect()
    });
    let after_three = peak();
    let statuses: Vec<u16> = answers
        .iter()
        .map(|a| a.as_ref().map_or(0, |(s, _)| *s))
        .collect();
    let figures = json!({
        "rss_before_mib": before,
        "one_60mb": {"status": one, "seconds": one_s, "peak_rss_mib": after_one},
        "three_50mb": {"statuses": statuses, "peak_rss_mib": after_three},
    });
    if json {
        println!("{figures}");
    } else {
        println!(
            "server RSS {before} MiB; one 60 MB request ({one}, {one_s:.1} s): peak {after_one} MiB; \
             three 50 MB at once ({statuses:?}): peak {after_three} MiB"
        );
    }
    Ok(())
}
