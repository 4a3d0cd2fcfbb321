//! PDF (and screenshots) by printing the HTML report with headless Chromium, when installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ReportError;

/// The Chromium to use: `CCPULSE_CHROMIUM`, else the first of `chromium`,
/// `chromium-browser`, `google-chrome` on the PATH.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CCPULSE_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn missing() -> ReportError {
    ReportError::Chromium(
        "PDF needs headless Chromium and none was found: install Debian's `chromium` \
         (`scripts/setup` does) or set CCPULSE_CHROMIUM to its path; the HTML format prints \
         to the same PDF from any browser"
            .to_owned(),
    )
}

fn run(html: &str, out: &Path, what: &str) -> Result<(), ReportError> {
    let browser = chromium().ok_or_else(missing)?;
    let dir = tempfile::tempdir().map_err(|e| ReportError::Io(format!("temporary folder: {e}")))?;
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).map_err(|e| ReportError::Io(format!("{}: {e}", page.display())))?;
    let out_abs = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let profile = dir.path().join("profile");
    let output = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(match what {
            "pdf" => vec![
                "--no-pdf-header-footer".to_owned(),
                format!("--print-to-pdf={}", out_abs.display()),
            ],
            _ => vec![
                "--window-size=1100,1500".to_owned(),
                format!("--screenshot={}", out_abs.display()),
            ],
        })
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| ReportError::Chromium(format!("{}: {e}", browser.display())))?;
    let ok = out_abs.metadata().is_ok_and(|m| m.len() > 0);
    if !output.status.success() || !ok {
        return Err(ReportError::Chromium(format!(
            "{} did not write {}: {}",
            browser.display(),
            out_abs.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Prints `html` to a PDF file at `out` (A4, the report's print stylesheet).
pub fn print_pdf(html: &str, out: &Path) -> Result<(), ReportError> {
    run(html, out, "pdf")
}

/// Saves a PNG of the first screen of `html` (1100 x 1500 px) at `out`.
pub fn screenshot(html: &str, out: &Path) -> Result<(), ReportError> {
    run(html, out, "png")
}
