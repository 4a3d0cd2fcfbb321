//! The explore page in a real headless browser (Debian's chromium, driven by playwright-core
//! from web/): a viewer signs in, builds a cross-tab of abandons by queue and hour of day,
//! clicks the worst cell and gets exactly the contacts it counted (masked), opens one
//! contact's card, saves the view as a template, reloads it from its URL, exports it, and
//! finds the template on the reports page. Screenshots go to the test's output directory.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::Cli;
use jiff::ToSpan;

#[test]
fn a_manager_explores_drills_down_and_saves_a_template() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup (the README's test command does)"
    );
    let cli = Cli::new();
    cli.ok(&["demo", "--tenant", "demo", "--days", "14", "--daily", "400"]);
    let out = cli.run_stdin(
        &["user", "add", "mgr", "--role", "viewer", "--password-stdin"],
        b"explore-password\n",
    );
    assert!(out.status.success());
    let mut server = cli
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("ccpulse is serving on ")
        .and_then(|s| s.strip_suffix("/wall"))
        .unwrap()
        .to_owned();
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let from = today.checked_sub(20.days()).unwrap().to_string();
    let to = today.checked_add(2.days()).unwrap().to_string();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explore.png");
    let _ = std::fs::remove_file(&shot);
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let status = Command::new("node")
        .current_dir(&web)
        .args([
            "e2e/explore.mjs",
            &url,
            "mgr",
            "explore-password",
            "demo",
            &from,
            &to,
        ])
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .status()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.success(), "the browser check failed");
    let size = std::fs::metadata(&shot).unwrap().len();
    assert!(
        size > 20_000,
        "screenshot {} is only {size} bytes",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
}
