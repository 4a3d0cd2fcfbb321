//! The wallboard in a real headless browser (Debian's chromium, driven by playwright-core from
//! web/): log in through the page, open /wall, post events, see the numbers change, and keep
//! a screenshot (`wall.png` in the test's output directory, target/tmp).
//! `scripts/setup` installs chromium; the README's test command runs it first.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::Cli;

#[test]
fn the_wall_logs_in_and_moves_with_posted_events() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup (the README's test command does)"
    );
    let cli = Cli::new();
    let out = cli.run_stdin(
        &["user", "add", "boss", "--role", "admin", "--password-stdin"],
        b"wall-password\n",
    );
    assert!(out.status.success());
    let token = cli.ok(&["token", "create", "--user", "boss"]);
    let token = token.lines().last().unwrap().trim().to_owned();
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
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wall.png");
    let _ = std::fs::remove_file(&shot);
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let status = Command::new("node")
        .current_dir(&web)
        .args([
            "e2e/wall.mjs",
            &url,
            "boss",
            "wall-password",
            &token,
            "wallco",
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
