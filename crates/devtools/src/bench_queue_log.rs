//! `ccpulse bench --queue-log N`: a generated Asterisk queue_log of about N lines (a contact
//! center's day after day: calls through five queues, answered, abandoned, timed out, rung
//! without answer; agents logging in, pausing and wrapping up), then the figures issue 4 sets
//! targets for: parsing alone on one core (lines/s), assembling, and `import --format
//! queue_log` end to end (lines/s), with the peak RSS.

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use ccpulse_ingest::queue_log::{assemble, parse_queue_log_line};
use ccpulse_model::TenantId;
use rand::{Rng as _, SeedableRng as _};

use ccpulse_store::StoreConfig;

const QUEUES: [&str; 5] = ["general", "vip", "billing", "broadband", "mobile"];
const AGENTS: u32 = 60;

/// Writes about `n` lines of queue_log to `path`; returns the number written.
fn generate(path: &Path, n: u64) -> anyhow::Result<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let written = std::cell::Cell::new(0u64);
    let line = |out: &mut BufWriter<std::fs::File>, s: String| -> anyhow::Result<()> {
        out.write_all(s.as_bytes())?;
        out.write_all(b"\n")?;
        written.set(written.get() + 1);
        Ok(())
    };
    // 2021-01-04 00:00 Shanghai.
    let mut day_start: u64 = 1_609_689_600;
    let mut call = 0u64;
    'days: loop {
        for a in 1..=AGENTS {
            let t = day_start + 8 * 3600 + u64::from(a) * 7;
            line(
                &mut out,
                format!("{t}|NONE|NONE|Agent/{a}|AGENTLOGIN|SIP/{a}-0000"),
            )?;
            let p = t + 4 * 3600;
            line(&mut out, format!("{p}|NONE|NONE|Agent/{a}|PAUSEALL|lunch"))?;
            line(
                &mut out,
                format!("{}|NONE|NONE|Agent/{a}|UNPAUSEALL|", p + 3600),
            )?;
        }
        // Calls from 08:00 to 20:00, about one every 2 s.
        let mut t = day_start + 8 * 3600;
        while t < day_start + 20 * 3600 {
            call += 1;
            let q = QUEUES[rng.random_range(0..QUEUES.len())];
            let id = format!("{t}.{call}");
            let caller = format!(
                "1{}{:08}",
                rng.random_range(30..90),
                rng.random_range(0..100_000_000u64)
            );
            line(
                &mut out,
                format!("{t}|{id}|{q}|NONE|ENTERQUEUE||{caller}|1"),
            )?;
            let wait = rng.random_range(0..90u64);
            let roll = rng.random_range(0..100);
            let agent = rng.random_range(1..=AGENTS);
            if roll < 12 {
                line(
                    &mut out,
                    format!("{}|{id}|{q}|NONE|ABANDON|1|1|{wait}", t + wait),
                )?;
            } else if roll < 14 {
                line(
                    &mut out,
                    format!("{}|{id}|{q}|NONE|EXITWITHTIMEOUT|1|1|{wait}", t + wait),
                )?;
            } else {
                if roll < 30 {
                    line(
                        &mut out,
                        format!("{}|{id}|{q}|Agent/{agent}|RINGNOANSWER|15000", t + wait / 2),
                    )?;
                }
                let ring = rng.random_range(1..8u64);
                let talk = rng.random_range(20..600u64);
                let at = t + wait;
                line(
                    &mut out,
                    format!("{at}|{id}|{q}|Agent/{agent}|CONNECT|{wait}|{id}.b|{ring}"),
                )?;
                let verb = if roll % 2 == 0 {
                    "COMPLETECALLER"
                } else {
                    "COMPLETEAGENT"
                };
                line(
                    &mut out,
                    format!(
                        "{}|{id}|{q}|Agent/{agent}|{verb}|{wait}|{talk}|1",
                        at + talk
                    ),
                )?;
                if roll % 3 == 0 {
                    line(
                        &mut out,
                        format!("{}|{id}|{q}|Agent/{agent}|WRAPUPSTART|30", at + talk),
                    )?;
                }
            }
            if written.get() >= n {
                break 'days;
            }
            t += rng.random_range(1..4u64);
        }
        for a in 1..=AGENTS {
            let t = day_start + 20 * 3600 + 600 + u64::from(a);
            line(
                &mut out,
                format!("{t}|NONE|NONE|Agent/{a}|AGENTLOGOFF|SIP/{a}-0000|43200"),
            )?;
        }
        day_start += 86_400;
    }
    out.flush()?;
    Ok(written.get())
}

/// Runs the queue_log benchmark over about `n` lines in `dir`.
pub fn run(
    n: u64,
    as_json: bool,
    dir: &Path,
    cfg: &StoreConfig,
) -> anyhow::Result<serde_json::Value> {
    let say = |s: String| {
        if !as_json {
            eprintln!("{s}");
        }
    };
    let file = dir.join("queue_log");
    let lines = generate(&file, n).context("generating a queue_log")?;
    let bytes = std::fs::read(&file)?;
    say(format!(
        "generated a queue_log of {lines} lines ({:.0} MB)",
        bytes.len() as f64 / 1e6
    ));

    // Parsing alone, one core, from memory.
    let t = Instant::now();
    let mut events = Vec::with_capacity(usize::try_from(lines).unwrap_or(0));
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if l.is_empty() {
            continue;
        }
        if let Ok(e) = parse_queue_log_line(l, i as u64 + 1) {
            events.push(e);
        }
    }
    let parse_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        events.len() as u64 == lines,
        "parsed {} of {lines}",
        events.len()
    );
    #[allow(clippy::cast_precision_loss)]
    let parse_rate = lines as f64 / parse_s;
    say(format!(
        "parse only (one core): {parse_s:.2} s, {parse_rate:.0} lines/s"
    ));

    // Assembling alone: calls and agent sessions out of the events.
    let tenant = TenantId::new("bench")?;
    let t = Instant::now();
    let assembled = assemble(&tenant, "queue_log", events, Vec::new(), &[]);
    let assemble_s = t.elapsed().as_secs_f64();
    let contacts = assembled.contacts.len();
    drop(assembled);
    #[allow(clippy::cast_precision_loss)]
    let assemble_rate = lines as f64 / assemble_s;
    say(format!(
        "assemble: {assemble_s:.2} s ({contacts} contacts), {assemble_rate:.0} lines/s"
    ));

    let mut store = crate::bench::fresh_store(&dir.join("store-queue-log"), cfg)?;
    let (summary, import_s) = timed_import(&mut store, &file, &tenant, !as_json)?;
    #[allow(clippy::cast_precision_loss)]
    let import_rate = lines as f64 / import_s;
    say(format!(
        "import --format queue_log: {import_s:.2} s, {import_rate:.0} lines/s \
         ({} contacts, {} agent intervals)",
        summary.counts.inserted,
        summary.agent_intervals.unwrap_or(0)
    ));
    drop(store);

    // The daily case: a rotated log's newer half into a tenant that holds the older half
    // (every contact matched against the stored ones, calls open across the cut completed).
    let (older, newer) = split_at_line(&bytes, bytes.len() / 2);
    let (older_path, newer_path) = (dir.join("queue_log.1"), dir.join("queue_log.2"));
    std::fs::write(&older_path, older)?;
    std::fs::write(&newer_path, newer)?;
    let newer_lines = newer.iter().filter(|b| **b == b'\n').count();
    drop(bytes);
    let mut store = crate::bench::fresh_store(&dir.join("store-queue-log-2"), cfg)?;
    timed_import(&mut store, &older_path, &tenant, false)?;
    let (further, further_s) = timed_import(&mut store, &newer_path, &tenant, !as_json)?;
    drop(store);
    #[allow(clippy::cast_precision_loss)]
    let further_rate = newer_lines as f64 / further_s;
    say(format!(
        "import of a further file into a tenant with data: {newer_lines} lines in \
         {further_s:.2} s, {further_rate:.0} lines/s ({} new contacts, {} updated)",
        further.counts.inserted, further.counts.updated
    ));
    let (tail_median, tail_max) = tail_visibility(dir, 10)?;
    say(format!(
        "tail -> kpi (another process): a new call visible after {:.0} ms (median of 10), {:.0} ms at most",
        tail_median * 1e3,
        tail_max * 1e3
    ));
    Ok(serde_json::json!({
        "tail_visible_median_s": tail_median,
        "tail_visible_max_s": tail_max,
        "lines": lines,
        "parse_s": parse_s,
        "parse_lines_per_s": parse_rate,
        "assemble_s": assemble_s,
        "import_s": import_s,
        "import_lines_per_s": import_rate,
        "further_import_lines": newer_lines,
        "further_import_s": further_s,
        "further_import_lines_per_s": further_rate,
        "contacts": summary.counts.inserted,
    }))
}

/// Imports the queue_log `file` for `tenant`: its summary and the seconds it took (an error
/// when a line was rejected: the generated files have none).
fn timed_import(
    store: &mut ccpulse_store::DuckDbStore,
    file: &Path,
    tenant: &TenantId,
    progress: bool,
) -> anyhow::Result<(ccpulse_import::ImportSummary, f64)> {
    let t = Instant::now();
    let summary =
        ccpulse_import::import_queue_log(store, &[file.display().to_string()], tenant, progress)?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.counts.rejected == 0,
        "{}: {} lines rejected",
        file.display(),
        summary.counts.rejected
    );
    Ok((summary, secs))
}

/// `bytes` cut at the first line ending at or after `at`: the lines before, the lines after.
fn split_at_line(bytes: &[u8], at: usize) -> (&[u8], &[u8]) {
    let cut = bytes[at.min(bytes.len())..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| at + i + 1);
    bytes.split_at(cut)
}

/// Runs `ccpulse tail` on a growing queue_log in `dir` and, from another process, `ccpulse
/// kpi` until each of `calls` appended calls shows: the median and the longest time (s)
/// from the write of a call's last line to a `kpi` that counts it.
fn tail_visibility(dir: &Path, calls: u64) -> anyhow::Result<(f64, f64)> {
    use std::process::{Command, Stdio};
    let data = dir.join("store-tail");
    let _ = std::fs::remove_dir_all(&data);
    let log = dir.join("queue_log.live");
    std::fs::write(&log, "")?;
    let exe = std::env::current_exe()?;
    let mut tail = Command::new(&exe)
        .arg("--data")
        .arg(&data)
        .args([
            "tail",
            "--format",
            "queue_log",
            "--tenant",
            "bench",
            "--poll-ms",
            "100",
        ])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting ccpulse tail")?;
    let counted = || -> anyhow::Result<u64> {
        let out = Command::new(&exe)
            .arg("--data")
            .arg(&data)
            .args(["kpi", "--tenant", "bench", "--metrics", "contacts"])
            .args([
                "--from",
                "2000-01-01",
                "--to",
                "2100-01-01",
                "--format",
                "json",
            ])
            .stderr(Stdio::null())
            .output()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        Ok(v["rows"][0]["contacts"].as_u64().unwrap_or(0))
    };
    let mut took = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for k in 1..=calls {
            let t = jiff::Timestamp::now().as_second() - 70;
            let text = format!(
                "{t}|live{k}|general|NONE|ENTERQUEUE||13800138000|1\n\
                 {}|live{k}|general|Agent/1001|CONNECT|4|b{k}|2\n\
                 {}|live{k}|general|Agent/1001|COMPLETECALLER|4|60|1\n",
                t + 4,
                t + 64
            );
            let mut f = std::fs::OpenOptions::new().append(true).open(&log)?;
            f.write_all(text.as_bytes())?;
            drop(f);
            let started = Instant::now();
            loop {
                if counted()? >= k {
                    took.push(started.elapsed().as_secs_f64());
                    break;
                }
                anyhow::ensure!(
                    started.elapsed().as_secs() < 30,
                    "call {k} did not show in 30 s"
                );
            }
        }
        Ok(())
    })();
    let _ = tail.kill();
    let _ = tail.wait();
    result?;
    took.sort_by(f64::total_cmp);
    Ok((took[took.len() / 2], took[took.len() - 1]))
}
