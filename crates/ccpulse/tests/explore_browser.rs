//! The explore page in a real headless browser (Debian's chromium, driven by playwright-core
//! from web/): a viewer signs in, builds a cross-tab of abandons by queue and hour of day,
//! clicks the worst cell and gets exactly the contacts it counted (masked), opens one
//! contact's card, compares with the period before, saves the view as a template, reloads
//! it from its URL, exports it, and finds the template on the reports page. Screenshots go
//! to the test's output directory.
#![allow(clippy::unwrap_used)]

mod common;

use common::{browser_check, Cli};
use jiff::ToSpan;

#[test]
fn a_manager_explores_drills_down_and_saves_a_template() {
    let cli = Cli::new();
    cli.ok(&["demo", "--tenant", "demo", "--days", "14", "--daily", "400"]);
    let out = cli.run_stdin(
        &["user", "add", "mgr", "--role", "viewer", "--password-stdin"],
        b"explore-password\n",
    );
    assert!(out.status.success());
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let from = today.checked_sub(20.days()).unwrap().to_string();
    let to = today.checked_add(2.days()).unwrap().to_string();
    browser_check(
        &cli,
        "explore.mjs",
        &["mgr", "explore-password", "demo", &from, &to],
        "explore.png",
    );
}
