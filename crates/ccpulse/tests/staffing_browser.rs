//! The staffing page in a real headless browser (Debian's chromium, driven by playwright-core
//! from web/): a manager signs in, reads the day's plan for the busiest queue, finds the table
//! equal to the API's plan, raises the service level and gets more agent hours, downloads the
//! workbook and reads the page in English. The screenshot goes to the test's output directory.
#![allow(clippy::unwrap_used)]

mod common;

use common::{browser_check, Cli};

#[test]
fn a_manager_plans_a_day_in_the_browser() {
    let cli = Cli::new();
    cli.ok(&["demo", "--tenant", "demo", "--days", "60", "--daily", "400"]);
    let out = cli.run_stdin(
        &[
            "user",
            "add",
            "planner",
            "--role",
            "manager",
            "--password-stdin",
        ],
        b"staffing-password\n",
    );
    assert!(out.status.success());
    browser_check(
        &cli,
        "staffing.mjs",
        &["planner", "staffing-password", "demo"],
        "staffing.png",
    );
}
