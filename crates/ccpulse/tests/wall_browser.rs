//! The wallboard in a real headless browser (Debian's chromium, driven by playwright-core from
//! web/): log in through the page, open /wall, post events, see the numbers change, and keep
//! a screenshot (`wall.png` in the test's output directory, target/tmp); a supervisor of one
//! queue sees the floor cut to it (`wall-vip.png`), an analyst lands on explore.
//! `scripts/setup` installs chromium; the README's test command runs it first.
#![allow(clippy::unwrap_used)]

mod common;

use common::{browser_check, Cli};

#[test]
fn the_wall_logs_in_and_moves_with_posted_events() {
    let cli = Cli::new();
    let out = cli.run_stdin(
        &["user", "add", "boss", "--role", "admin", "--password-stdin"],
        b"wall-password\n",
    );
    assert!(out.status.success());
    for (name, role, scope) in [
        ("vipsup", "supervisor", ["--queues", "vip"]),
        ("numbers", "analyst", ["--tenants", "wallco"]),
        ("pbx", "ingest", ["--tenants", "wallco"]),
    ] {
        let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
        args.extend(scope);
        assert!(cli.run_stdin(&args, b"floor-password\n").status.success());
    }
    cli.ok(&["tenant", "set", "wallco"]);
    let token = cli.ok(&["token", "create", "--user", "boss"]);
    let token = token.lines().last().unwrap().trim().to_owned();
    browser_check(
        &cli,
        "wall.mjs",
        &[
            "boss",
            "wall-password",
            &token,
            "wallco",
            "vipsup",
            "numbers",
            "floor-password",
        ],
        "wall.png",
    );
}
