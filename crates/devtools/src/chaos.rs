//! `ccpulse bench-server --chaos`: a soak of the server under everything at once, then a count.
//!
//! `ccpulse serve` runs over a fresh data directory with short client limits (`[server]`:
//! 5 s header and body timeouts, 16 MiB bodies). For `--seconds`:
//! - `--posters` threads post whole calls (JSON arrays); one posts NDJSON batches with bad
//!   lines among the good (broken JSON, an unknown type, a time that is none, one from the
//!   future, a 2 KiB text, an endless hold); one posts 10 MB bodies and bodies over the limit;
//! - loiterers hold connections that send half a header, go idle after a request, or stop
//!   sending a body, reconnecting each time the server cuts them;
//! - a probe times `/healthz` every 200 ms;
//! - halfway, the server is killed (`kill -9`) and started again on the same directory.
//!
//! Every batch is sent again until it is answered (a refused connection, a reset or a 503 are
//! retried; the event ids make a repeat harmless), so at the end every contact sent has been
//! acknowledged, and the tenant's contact count must be exactly their number: none lost, none
//! doubled. Every answer is checked against what it should be (202 for good batches, 400
//! naming exactly the bad lines, 413 for oversize, 408 for a stalled body), and the server's
//! log must hold no panic. The figures: contacts, answers by kind, connections cut, `/healthz`
//! times, the server's peak memory, the time the restart took.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::load::{
    add_bench_user, agent, free_addr, now_ms, percentile, rss_kib, start_server_on, ServerChild,
};

/// What to run.
pub struct ChaosOptions {
    pub seconds: u64,
    /// Threads posting valid calls.
    pub posters: usize,
    pub json: bool,
}

/// The limits the server runs with here (short, so that cuts happen within the run).
const CONFIG: &str = "[server]\nheader_timeout_s = 5\nbody_timeout_s = 5\nmax_body_mb = 16\n";
const MAX_BODY: usize = 16 << 20;

/// Calls in a batch of the valid and the mixed posters, and in a big body.
const CALLS: usize = 100;
const BIG_CALLS: usize = 30_000;

/// Connections of each kind the loiterers hold.
const LOITERERS: usize = 20;

#[derive(Default)]
struct Tally {
    stop: AtomicBool,
    /// Contacts in batches the server acknowledged.
    contacts: AtomicU64,
    events: AtomicU64,
    batches: AtomicU64,
    /// Bad lines refused, each located.
    refused_lines: AtomicU64,
    /// Sends repeated because the server was down, reset the connection or said 503.
    resent: AtomicU64,
    too_large: AtomicU64,
    header_cut: AtomicU64,
    idle_cut: AtomicU64,
    body_cut: AtomicU64,
    turned_away: AtomicU64,
    health_failed: AtomicU64,
    health_ms: Mutex<Vec<f64>>,
    /// Answers that should not have been.
    wrong: Mutex<Vec<String>>,
}

impl Tally {
    fn wrong(&self, what: String) {
        if let Ok(mut w) = self.wrong.lock() {
            if w.len() < 20 {
                w.push(what);
            }
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// `calls` whole answered calls, their contact ids `<tag>-<k>`.
fn calls(tag: &str, calls: usize) -> Vec<Value> {
    let mut events = Vec::with_capacity(calls * 3);
    for k in 0..calls {
        let c = format!("{tag}-{k}");
        let agent = format!("{}", 1000 + k % 40);
        events.push(json!({"id": format!("{c}q"), "type": "queued", "contact_id": c, "queue": "general", "at": now_ms(-60_000)}));
        events.push(json!({"id": format!("{c}a"), "type": "answered", "contact_id": c, "agent": agent, "at": now_ms(-50_000)}));
        events.push(
            json!({"id": format!("{c}e"), "type": "ended", "contact_id": c, "at": now_ms(-1_000)}),
        );
    }
    events
}

/// Lines every mixed batch carries besides its calls, each refused on its own.
fn bad_lines(tag: &str) -> Vec<String> {
    let c = format!("{tag}-bad");
    vec![
        format!("{{\"id\":\"{c}1\",\"type\":\"queued\""),
        json!({"id": format!("{c}2"), "type": "teleported", "contact_id": c, "at": now_ms(0)}).to_string(),
        json!({"id": format!("{c}3"), "type": "queued", "contact_id": c, "queue": "general", "at": "yesterday"}).to_string(),
        json!({"id": format!("{c}4"), "type": "queued", "contact_id": c, "queue": "general", "at": now_ms(86_400_000)}).to_string(),
        json!({"id": format!("{c}5"), "type": "queued", "contact_id": c, "queue": "x".repeat(2048), "at": now_ms(0)}).to_string(),
        json!({"id": format!("{c}6"), "type": "held", "contact_id": c, "hold_s": 1e308, "at": now_ms(0)}).to_string(),
        "[1, 2, 3]".to_owned(),
    ]
}

/// Posts `body` until it is answered (a connection error or a 503 is sent again); the status
/// and the answer.
fn post_until_answered(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: &[u8],
    t: &Tally,
) -> Option<(u16, Value)> {
    let started = Instant::now();
    loop {
        let res = agent
            .post(url)
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(body);
        match res {
            Ok(mut r) if r.status().as_u16() != 503 => {
                let status = r.status().as_u16();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                return Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
            }
            _ => {
                add(&t.resent, 1);
                if started.elapsed() > Duration::from_secs(120) {
                    t.wrong("a batch was not answered within 120 s".into());
                    return None;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Mixed,
    Big,
}

fn poster(addr: &str, token: &str, p: usize, kind: Kind, t: &Tally) {
    let url = format!("http://{addr}/api/v1/events?tenant=load");
    let agent = agent();
    let mut n = 0u64;
    while !t.stopped() {
        n += 1;
        let tag = format!("p{p}-{n}");
        let (body, contacts, bad) = match kind {
            Kind::Valid => (Value::Array(calls(&tag, CALLS)).to_string(), CALLS, 0),
            Kind::Mixed => {
                let mut lines: Vec<String> =
                    calls(&tag, CALLS).iter().map(Value::to_string).collect();
                let bad = bad_lines(&tag);
                // The bad lines spread among the good.
                for (i, b) in bad.iter().enumerate() {
                    lines.insert(i * 40 + 1, b.clone());
                }
                (lines.join("\n"), CALLS, bad.len())
            }
            Kind::Big => (
                Value::Array(calls(&tag, BIG_CALLS)).to_string(),
                BIG_CALLS,
                0,
            ),
        };
        let Some((status, answer)) = post_until_answered(&agent, &url, token, body.as_bytes(), t)
        else {
            continue;
        };
        let taken =
            answer["accepted"].as_u64().unwrap_or(0) + answer["duplicates"].as_u64().unwrap_or(0);
        let located = answer["errors"].as_array().map_or(0, Vec::len);
        let expected_status = if bad > 0 { 400 } else { 202 };
        if status != expected_status || taken != (contacts * 3) as u64 || located != bad {
            t.wrong(format!(
                "batch {tag}: {status}, {taken} of {} events taken, {located} of {bad} bad lines located: {}",
                contacts * 3,
                answer.to_string().chars().take(300).collect::<String>()
            ));
        }
        add(&t.contacts, contacts);
        add(&t.events, contacts * 3);
        add(&t.batches, 1);
        add(&t.refused_lines, located);
        if kind == Kind::Big {
            oversize(addr, token, t);
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

/// A request that says its body is over the limit: 413 before the body is read.
fn oversize(addr: &str, token: &str, t: &Tally) {
    let head = format!(
        "POST /api/v1/events?tenant=load HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n[",
        MAX_BODY * 2
    );
    if let Some((_, answer)) = exchange(addr, head.as_bytes()) {
        if answer.starts_with("HTTP/1.1 413") {
            add(&t.too_large, 1);
        } else if !answer.is_empty() && !answer.starts_with("HTTP/1.1 503") {
            t.wrong(format!("oversize body: {}", first_line(&answer)));
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Sends `head` on a new connection and reads until the server closes it: how long that took
/// and what came back; `None` when the server could not be reached.
fn exchange(addr: &str, head: &[u8]) -> Option<(Duration, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
    let started = Instant::now();
    s.write_all(head).ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    Some((
        started.elapsed(),
        String::from_utf8_lossy(&got).into_owned(),
    ))
}

/// One loiterer: again and again, a connection that sends half a header (`0`), goes idle
/// after one request (`1`) or stops sending its body (`2`), until the server cuts it.
fn loiter(addr: &str, token: &str, how: usize, t: &Tally) {
    let head = match how {
        0 => "GET /healthz HTTP/1.1\r\nHost: x\r\n".to_owned(),
        1 => "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
        _ => format!(
            "POST /api/v1/events?tenant=load HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{{\"id\":"
        ),
    };
    while !t.stopped() {
        let Some((took, answer)) = exchange(addr, head.as_bytes()) else {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        if answer.starts_with("HTTP/1.1 503") {
            add(&t.turned_away, 1);
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        // Cut, within the 5 s timeout and a margin (or by the kill, when the answer is short).
        let in_time = took < Duration::from_secs(10);
        match how {
            0 if answer.is_empty() || answer.starts_with("HTTP/1.1 408") => add(&t.header_cut, 1),
            1 if answer.starts_with("HTTP/1.1 200") => add(&t.idle_cut, 1),
            2 if answer.starts_with("HTTP/1.1 408") => add(&t.body_cut, 1),
            // The kill ended the connection before its answer.
            _ if answer.is_empty() => {}
            _ => t.wrong(format!("loiterer {how}: {}", first_line(&answer))),
        }
        if !in_time {
            t.wrong(format!("loiterer {how} held {took:?}"));
        }
    }
}

/// `/healthz` every 200 ms: its times, and the failures (while the server is down).
fn probe_health(addr: &str, t: &Tally) {
    while !t.stopped() {
        let started = Instant::now();
        match exchange(
            addr,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            Some((_, a)) if a.starts_with("HTTP/1.1 200") => {
                if let Ok(mut h) = t.health_ms.lock() {
                    h.push(started.elapsed().as_secs_f64() * 1e3);
                }
            }
            _ => add(&t.health_failed, 1),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The tenant's contacts, as the KPI query counts them.
fn counted(addr: &str, token: &str) -> anyhow::Result<u64> {
    let mut res = agent()
        .get(format!(
            "http://{addr}/api/v1/kpi?tenant=load&metrics=contacts&from=2000-01-01&to=2100-01-01"
        ))
        .header("authorization", &format!("Bearer {token}"))
        .call()?;
    let k: Value = serde_json::from_str(&res.body_mut().read_to_string()?)?;
    k["rows"][0]["contacts"]
        .as_u64()
        .with_context(|| format!("no contact count in {k}"))
}

fn peak_kib(server: &ServerChild) -> u64 {
    crate::bench::proc_status_kib(&server.child.id().to_string(), "VmHWM").unwrap_or(0)
}

/// Runs the soak; its figures, and whether everything held (nothing lost or doubled, every
/// answer as it should be, no panic).
pub fn run(opts: &ChaosOptions) -> anyhow::Result<bool> {
    let dir = tempfile::tempdir()?;
    let token = "chaos-token-0123456789";
    add_bench_user(dir.path(), token)?;
    std::fs::write(dir.path().join("ccpulse.toml"), CONFIG)?;
    let log_path = dir.path().join("serve.log");
    let log = || -> anyhow::Result<Stdio> {
        Ok(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?
            .into())
    };
    let addr = free_addr()?;
    let mut server = start_server_on(dir.path(), token, &addr, log()?)?;
    let say = |s: String| {
        if !opts.json {
            eprintln!("{s}");
        }
    };
    say(format!(
        "chaos on {addr} for {} s: {} posters of calls, 1 of bad lines among good, 1 of 10 MB and \
         oversize bodies, {} loiterers, a kill -9 halfway",
        opts.seconds,
        opts.posters,
        LOITERERS * 3
    ));
    // The tenant, before anything else.
    let t = Arc::new(Tally::default());
    post_until_answered(
        &agent(),
        &format!("http://{addr}/api/v1/events?tenant=load"),
        token,
        Value::Array(calls("first", 1)).to_string().as_bytes(),
        &t,
    );
    add(&t.contacts, 1);

    let mut threads = Vec::new();
    let kinds = (0..opts.posters)
        .map(|_| Kind::Valid)
        .chain([Kind::Mixed, Kind::Big]);
    for (p, kind) in kinds.enumerate() {
        let (t, addr) = (Arc::clone(&t), addr.clone());
        threads.push(std::thread::spawn(move || {
            poster(&addr, token, p, kind, &t)
        }));
    }
    for i in 0..LOITERERS * 3 {
        let (t, addr) = (Arc::clone(&t), addr.clone());
        threads.push(std::thread::spawn(move || loiter(&addr, token, i % 3, &t)));
    }
    {
        let (t, addr) = (Arc::clone(&t), addr.clone());
        threads.push(std::thread::spawn(move || probe_health(&addr, &t)));
    }

    let started = Instant::now();
    let mut peak_rss = 0u64;
    let mut peaks = Vec::new();
    let mut restart_s = None;
    while started.elapsed() < Duration::from_secs(opts.seconds) {
        std::thread::sleep(Duration::from_millis(250));
        peak_rss = peak_rss.max(rss_kib(server.child.id()).unwrap_or(0));
        if restart_s.is_none() && started.elapsed() >= Duration::from_secs(opts.seconds / 2) {
            peaks.push(peak_kib(&server));
            say(format!(
                "{:>4.0} s: kill -9 with {} contacts acknowledged",
                started.elapsed().as_secs_f64(),
                t.contacts.load(Ordering::Relaxed)
            ));
            let killed = Instant::now();
            server.child.kill()?;
            server.child.wait()?;
            drop(server);
            server = start_server_on(dir.path(), token, &addr, log()?)?;
            restart_s = Some(killed.elapsed().as_secs_f64());
            say(format!(
                "        answering again after {:.1} s",
                killed.elapsed().as_secs_f64()
            ));
        }
    }
    t.stop.store(true, Ordering::Relaxed);
    for th in threads {
        let _ = th.join();
    }
    peaks.push(peak_kib(&server));
    let count = counted(&addr, token)?;
    drop(server);
    let sent = t.contacts.load(Ordering::Relaxed);
    let log_text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let panics = log_text.matches("panicked").count();
    let wrong = t.wrong.lock().map(|w| w.clone()).unwrap_or_default();
    let mut health = t.health_ms.lock().map(|h| h.clone()).unwrap_or_default();
    health.sort_by(f64::total_cmp);
    let ok = count == sent && wrong.is_empty() && panics == 0;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let figures = json!({
        "ok": ok,
        "seconds": started.elapsed().as_secs_f64(),
        "contacts_acknowledged": sent,
        "contacts_counted": count,
        "lost": sent.saturating_sub(count),
        "doubled": count.saturating_sub(sent),
        "events": load(&t.events),
        "batches": load(&t.batches),
        "bad_lines_refused": load(&t.refused_lines),
        "sent_again": load(&t.resent),
        "oversize_413": load(&t.too_large),
        "cut_half_header": load(&t.header_cut),
        "cut_idle": load(&t.idle_cut),
        "cut_stalled_body_408": load(&t.body_cut),
        "turned_away_503": load(&t.turned_away),
        "healthz_ms": {"p50": percentile(&health, 0.5), "p99": percentile(&health, 0.99), "max": health.last().copied().unwrap_or(0.0), "n": health.len(), "failed": load(&t.health_failed)},
        "restart_s": restart_s,
        "server_peak_rss_mib": peaks.iter().map(|k| k / 1024).collect::<Vec<_>>(),
        "server_rss_max_sampled_mib": peak_rss / 1024,
        "panics": panics,
        "wrong_answers": wrong,
    });
    if opts.json {
        println!("{figures}");
    } else {
        println!(
            "{}: {sent} contacts acknowledged, {count} counted ({} lost, {} doubled); {} events in \
             {} batches, {} bad lines refused, {} sends repeated",
            if ok { "held" } else { "FAILED" },
            figures["lost"],
            figures["doubled"],
            figures["events"],
            figures["batches"],
            figures["bad_lines_refused"],
            figures["sent_again"]
        );
        println!(
            "cut: {} half headers, {} idle connections, {} stalled bodies (408); {} oversize (413), \
             {} connections turned away (503)",
            figures["cut_half_header"],
            figures["cut_idle"],
            figures["cut_stalled_body_408"],
            figures["oversize_413"],
            figures["turned_away_503"]
        );
        println!(
            "/healthz: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} failed while the server was down); \
             restart {:.1} s; server peak RSS {} MiB (before the kill, after)",
            percentile(&health, 0.5),
            percentile(&health, 0.99),
            health.last().copied().unwrap_or(0.0),
            figures["healthz_ms"]["failed"],
            restart_s.unwrap_or(0.0),
            peaks
                .iter()
                .map(|k| (k / 1024).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for w in &wrong {
            println!("wrong: {w}");
        }
        for line in log_text.lines().filter(|l| l.contains("panicked")).take(5) {
            println!("server: {line}");
        }
    }
    Ok(ok)
}
