//! `ccpulse serve` end to end, through the real binary on a loopback port: events posted come
//! back on the server-sent-event stream (also after a reconnect with Last-Event-ID), and a
//! `kill -9` in the middle of a stream of posts loses no event that got its 202.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Cli;
use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

/// A test that fails midway leaves no server behind (it would hold the test runner's output
/// open).
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    fn start(cli: &Cli) -> Self {
        let (child, addr) = cli.serve(&[]);
        Self { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then wait for a graceful exit.
    fn stop(mut self) {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn setup() -> (Cli, String) {
    let cli = Cli::new();
    let out = cli.run_stdin(
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        b"root-password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = cli.ok(&["token", "create", "--user", "root"]);
    let token = token.lines().last().unwrap().trim().to_owned();
    // The tenants the tests watch exist before their first event (an unknown one is 404).
    for t in ["floor1", "floor2"] {
        cli.ok(&["tenant", "set", t]);
    }
    (cli, token)
}

fn agent(token: &str) -> ureq::Agent {
    let _ = token;
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn post(
    server: &Server,
    token: &str,
    tenant: &str,
    events: &Value,
) -> Result<(u16, Value), String> {
    let mut res = agent(token)
        .post(&server.url(&format!("/api/v1/events?tenant={tenant}")))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(events.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    Ok((status, body))
}

fn get(server: &Server, token: &str, path: &str) -> Value {
    let mut res = agent(token)
        .get(&server.url(path))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap()
}

fn at(offset_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + offset_ms)
        .unwrap()
        .to_string()
}

/// A whole answered call as three events.
fn call_events(n: usize) -> Value {
    json!([
        {"id": format!("q{n}"), "type": "queued", "contact_id": format!("c{n}"), "at": at(-3000), "queue": "vip"},
        {"id": format!("a{n}"), "type": "answered", "contact_id": format!("c{n}"), "at": at(-2000), "agent": "1001"},
        {"id": format!("e{n}"), "type": "ended", "contact_id": format!("c{n}"), "at": at(-1000)},
    ])
}

/// Opens the stream and hands every SSE frame (event, id, data) to the channel.
fn stream(
    server: &Server,
    token: &str,
    tenant: &str,
    last_id: Option<&str>,
) -> mpsc::Receiver<(String, String, String)> {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    let last = last_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    write!(
        s,
        "GET /api/v1/live/stream?tenant={tenant} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n{last}\r\n",
        server.addr
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(s);
        let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            // Chunked transfer encoding puts size lines between frames; they have no colon.
            if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = v.to_owned();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            } else if line.is_empty()
                && !event.is_empty()
                && tx
                    .send((
                        std::mem::take(&mut event),
                        std::mem::take(&mut id),
                        std::mem::take(&mut data),
                    ))
                    .is_err()
            {
                return;
            }
        }
    });
    rx
}

fn until(
    rx: &mpsc::Receiver<(String, String, String)>,
    what: &str,
    pred: impl Fn(&str, &str) -> bool,
) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (event, id, data) = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {what} on the stream within 10 s"));
        if pred(&event, &data) {
            return (id, data);
        }
    }
}

#[test]
fn posted_events_come_back_on_the_stream_and_after_a_reconnect() {
    let (cli, token) = setup();
    let server = Server::start(&cli);
    // The command line says in one line that the server holds the store.
    let out = cli.run(&["kpi", "--tenant", "floor1", "--metrics", "offered"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the server holds the store"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let rx = stream(&server, &token, "floor1", None);
    let (snapshot_id, _) = until(&rx, "snapshot", |e, _| e == "snapshot");
    let started = Instant::now();
    // One caller waits; another already gave up (today's figures change with it).
    let (status, body) = post(&server, &token, "floor1", &json!([
        {"id": "s1", "type": "queued", "contact_id": "waiting-1", "at": at(-1000), "queue": "vip"},
        {"id": "d1", "type": "queued", "contact_id": "gone-1", "at": at(-9000), "queue": "vip"},
        {"id": "d2", "type": "abandoned", "contact_id": "gone-1", "at": at(-8000)},
    ]))
    .unwrap();
    assert_eq!(status, 202, "{body}");
    until(&rx, "the queued contact", |e, d| {
        e == "floor" && d.contains("waiting-1")
    });
    // Pushed, not polled: well within a second of the 202 on an idle machine.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (_, today) = until(&rx, "today's figures", |e, _| e == "today");
    let today: Value = serde_json::from_str(&today).unwrap();
    assert!(today["scopes"].is_object(), "{today}");
    // A stream that comes back with the snapshot's id gets what it missed.
    let again = stream(&server, &token, "floor1", Some(&snapshot_id));
    let (seen_id, _) = until(&again, "the replayed change", |e, d| {
        e == "floor" && d.contains("waiting-1")
    });
    let live = get(&server, &token, "/api/v1/live?tenant=floor1");
    assert_eq!(live["scopes"]["queue:vip"]["now"]["waiting"], 1, "{live}");
    server.stop();

    // After a restart, a stream that comes back with an id of the server's earlier life starts
    // from the whole picture and then follows the changes (its id means nothing any more).
    let server = Server::start(&cli);
    let back = stream(&server, &token, "floor1", Some(&seen_id));
    let (restart_id, snap) = until(&back, "a snapshot after the restart", |e, _| {
        e == "snapshot"
    });
    let snap: Value = serde_json::from_str(&snap).unwrap();
    assert_eq!(snap["scopes"]["queue:vip"]["now"]["waiting"], 1, "{snap}");
    assert!(
        restart_id.parse::<u64>().unwrap() > seen_id.parse::<u64>().unwrap(),
        "ids go on rising across a restart: {restart_id} after {seen_id}"
    );
    let (status, body) = post(&server, &token, "floor1", &json!([
        {"id": "s2", "type": "queued", "contact_id": "waiting-2", "at": at(-500), "queue": "vip"},
    ]))
    .unwrap();
    assert_eq!(status, 202, "{body}");
    until(&back, "a change after the restart", |e, d| {
        e == "floor" && d.contains("waiting-2")
    });
    server.stop();
}

#[test]
fn kill_9_during_a_stream_of_posts_loses_no_acknowledged_event() {
    let (cli, token) = setup();
    const CALLS: usize = 400;
    let server = Server::start(&cli);
    let (done_tx, done_rx) = mpsc::channel();
    let poster = {
        let token = token.clone();
        let addr = server.addr.clone();
        std::thread::spawn(move || {
            let s = Server {
                child: std::process::Command::new("true").spawn().unwrap(),
                addr,
            };
            let mut acked = Vec::new();
            for n in 0..CALLS {
                match post(&s, &token, "crash", &call_events(n)) {
                    Ok((202, body)) => {
                        assert_eq!(body["accepted"], 3, "{body}");
                        acked.push(n);
                        let _ = done_tx.send(acked.len());
                    }
                    Ok((status, body)) => panic!("{status}: {body}"),
                    Err(_) => break,
                }
            }
            acked
        })
    };
    // Let a good part of the stream through, then pull the plug.
    while done_rx.recv_timeout(Duration::from_secs(30)).unwrap() < CALLS / 3 {}
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let acked = poster.join().unwrap();
    assert!(
        acked.len() >= CALLS / 3 && acked.len() < CALLS,
        "acked {}",
        acked.len()
    );

    // Restart and send everything again: what got a 202 is there already (all duplicates),
    // the rest is taken now.
    let server = Server::start(&cli);
    let mut already = 0;
    for n in 0..CALLS {
        let (status, body) = post(&server, &token, "crash", &call_events(n)).unwrap();
        assert_eq!(status, 202, "{body}");
        let dup = body["duplicates"].as_u64().unwrap();
        if n < acked.len() {
            assert_eq!(dup, 3, "call {n} got a 202 before the crash: {body}");
        }
        if dup == 3 {
            already += 1;
        }
    }
    assert!(
        already >= acked.len() && already <= acked.len() + 1,
        "{already} vs {}",
        acked.len()
    );

    // The wall's figures of today are the KPI query's.
    let deadline = Instant::now() + Duration::from_secs(10);
    let live = loop {
        let live = get(&server, &token, "/api/v1/live?tenant=crash");
        if live["scopes"]["all"]["today"]["offered"] == CALLS as u64 || Instant::now() > deadline {
            break live;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let wall = live["scopes"]["all"]["today"].clone();
    server.stop();
    let rows = cli.kpi(&[
        "--tenant",
        "crash",
        "--metrics",
        "offered,answered,asa,service_level,aht",
        "--from",
        live["date"].as_str().unwrap(),
    ]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["offered"], CALLS as u64, "every call exactly once");
    for key in ["offered", "answered", "asa", "service_level", "aht"] {
        assert_eq!(
            wall[key], rows[0][key],
            "{key}: wall {wall} vs kpi {}",
            rows[0]
        );
    }
}

/// The README's run command: `serve --demo` creates the demo center, prints the URL and the
/// demo login, and its simulator feeds the floor through the same ingestion path.
#[test]
fn serve_demo_prints_its_login_and_its_simulator_moves_the_floor() {
    let cli = Cli::new();
    let mut child = cli
        .command(&["serve", "--listen", "127.0.0.1:0", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    let addr = first
        .trim()
        .strip_prefix("ccpulse is serving on http://")
        .and_then(|s| s.strip_suffix("/wall"))
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    assert_eq!(second.trim(), "demo login: user `demo`, password `demo`");
    let server = Server { child, addr };
    // Sign in as the page does: a session cookie.
    let mut res = agent("")
        .post(&server.url("/api/v1/login"))
        .header("content-type", "application/json")
        .send(
            json!({"name": "demo", "password": "demo"})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let _ = res.body_mut().read_to_string();
    let live = |path: &str| -> Value {
        let mut r = agent("")
            .get(&server.url(path))
            .header("cookie", &cookie)
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    };
    // The simulator logs its agents in through the ingestion path: the floor fills.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let snap = live("/api/v1/live?tenant=demo");
        let agents = snap["agents"].as_array().map_or(0, Vec::len);
        if agents == 22 {
            assert_eq!(
                snap["scopes"]["all"]["now"]["agents_logged_in"], 22,
                "{snap}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo floor stayed at {agents} agents: {snap}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Its history is there to see.
    let k = live("/api/v1/kpi?tenant=demo&metrics=contacts&from=2000-01-01&to=2100-01-01");
    assert!(
        k["rows"][0]["contacts"].as_u64().unwrap_or(0) > 10_000,
        "{k}"
    );
    server.stop();
    // The audit log of a server that served the demo (its sign-in, every poll of the floor,
    // the KPI question) and of the command that started it is intact.
    let out = cli.run(&["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(cli.data().join("audit.jsonl")).unwrap();
    for action in ["\"cli serve\"", "\"login\"", "\"GET live\"", "\"GET kpi\""] {
        assert!(log.contains(action), "{action} not in the audit log");
    }
}

/// Rules from `alerts.toml` fire on the running server (judged on the floor's change), and the
/// history is read back with `ccpulse alerts list` once it has stopped.
#[test]
fn a_rule_from_the_alerts_file_fires_and_alerts_list_shows_it() {
    let (cli, token) = setup();
    std::fs::write(
        cli.data().join("alerts.toml"),
        "[[rule]]\ntenant = \"floor2\"\nid = \"anyone-waiting\"\nwhen = \"waiting > 0\"\n",
    )
    .unwrap();
    let server = Server::start(&cli);
    let (status, body) = post(
        &server,
        &token,
        "floor2",
        &json!([
            {"id": "w1", "type": "queued", "contact_id": "x1", "at": at(-1000), "queue": "vip"},
        ]),
    )
    .unwrap();
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = get(&server, &token, "/api/v1/alerts?tenant=floor2");
        if h["alerts"][0]["state"] == "firing" {
            assert_eq!(h["alerts"][0]["rule"], "anyone-waiting", "{h}");
            break;
        }
        assert!(Instant::now() < deadline, "no alert fired: {h}");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.stop();
    let out = cli.ok(&["alerts", "list"]);
    assert!(
        out.contains("anyone-waiting") && out.contains("firing"),
        "{out}"
    );
}

/// Sends `head` on a new connection and reads until the server closes it; how long that took
/// and what came back.
fn held_until_closed(addr: &str, head: &[u8]) -> (Duration, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let started = Instant::now();
    s.write_all(head).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match std::io::Read::read(&mut s, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&got).into_owned(),
    )
}

/// `/healthz` answered while hostile connections are open; its answer and time.
fn healthz(addr: &str) -> (String, Duration) {
    let started = Instant::now();
    let (_, answer) = held_until_closed(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    (answer, started.elapsed())
}

/// Slow, idle and greedy clients are bounded by the `[server]` limits of `ccpulse.toml`: half a
/// header, an idle keep-alive connection and a body that stops coming are cut at their timeouts,
/// connections past the cap are told 503 at once, a body over the limit is 413, and all the
/// while `/healthz` answers at once.
#[test]
fn slow_idle_and_greedy_clients_are_cut_at_the_limits() {
    let (cli, token) = setup();
    std::fs::write(
        cli.data().join("ccpulse.toml"),
        "[server]\nheader_timeout_s = 2\nbody_timeout_s = 2\nmax_connections = 24\nmax_body_mb = 1\n",
    )
    .unwrap();
    let config: Value = serde_json::from_str(&cli.ok(&["config"])).unwrap();
    assert_eq!(
        config["effective_server"]["max_connections"], 24,
        "{config}"
    );
    let server = Server::start(&cli);
    let addr = server.addr.clone();

    // Half a header: closed at the header timeout, and meanwhile the server answers others.
    let slow: Vec<_> = (0..8)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                held_until_closed(&addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (answer, took) = healthz(&addr);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took < Duration::from_secs(1),
        "/healthz took {took:?} beside slow clients"
    );
    for t in slow {
        let (took, answer) = t.join().unwrap();
        assert!(
            took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
            "half a header held {took:?}: {answer}"
        );
        assert!(!answer.contains(" 200 "), "{answer}");
    }

    // An idle keep-alive connection: answered, then closed at the same timeout.
    let (took, answer) = held_until_closed(&addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
        "an idle connection held {took:?}"
    );

    // A body that stops coming: 408 at the body timeout, the connection closed.
    let head = format!(
        "POST /api/v1/events?tenant=floor1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{{\"id\":"
    );
    let (took, answer) = held_until_closed(&addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout_s"), "{answer}");
    assert!(
        took < Duration::from_secs(8),
        "a stalled body held {took:?}"
    );

    // A body over `max_body_mb`: 413 before it is read, saying what to do.
    let head = format!(
        "POST /api/v1/events?tenant=floor1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n[",
        2 << 20
    );
    let (_, answer) = held_until_closed(&addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("max_body_mb") && answer.contains("smaller requests"),
        "{answer}"
    );

    // The cap: 24 silent connections hold every slot; the next is told 503 and closed at once.
    let held: Vec<TcpStream> = (0..24)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (answer, took) = healthz(&addr);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("retry-after: 1") && answer.contains("\"busy\""),
        "{answer}"
    );
    assert!(took < Duration::from_secs(1), "the refusal took {took:?}");
    // They are cut at the header timeout, and the server takes connections again.
    std::thread::sleep(Duration::from_secs(3));
    let (answer, _) = healthz(&addr);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);

    // Through all this the events posted are counted.
    let (status, body) = post(&server, &token, "floor1", &call_events(1)).unwrap();
    assert_eq!(status, 202, "{body}");
    server.stop();
}

/// The soak, short: valid posters, bad lines among good, 10 MB and oversize bodies, slow and
/// idle connections and a `kill -9` halfway; every acknowledged contact is counted once, every
/// answer was the one it should be, and each kind of hostile client was cut.
#[test]
fn chaos_soak_loses_and_doubles_nothing() {
    let cli = Cli::new();
    let out = cli.run(&[
        "bench-server",
        "--chaos",
        "--seconds",
        "12",
        "--posters",
        "2",
        "--json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{f}");
    assert_eq!(f["ok"], true, "{f}");
    assert_eq!(f["lost"], 0, "{f}");
    assert_eq!(f["doubled"], 0, "{f}");
    assert_eq!(f["contacts_acknowledged"], f["contacts_counted"], "{f}");
    assert!(
        f["contacts_counted"].as_u64().unwrap() > 30_000,
        "the big bodies went in: {f}"
    );
    assert_eq!(f["panics"], 0, "{f}");
    for cut in [
        "bad_lines_refused",
        "oversize_413",
        "cut_half_header",
        "cut_idle",
        "cut_stalled_body_408",
    ] {
        assert!(f[cut].as_u64().unwrap() > 0, "no {cut}: {f}");
    }
    assert!(f["restart_s"].as_f64().is_some(), "{f}");
}
