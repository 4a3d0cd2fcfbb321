//! Running the real `ccpulse` binary against a temporary data directory.
#![allow(dead_code, clippy::unwrap_used)]

pub mod fixture;
pub mod seed000;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary data directory and the binary to run against it.
pub struct Cli {
    pub dir: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `ccpulse GLOBAL... serve --listen 127.0.0.1:0` started, its errors on ours; the process
    /// and its address (`127.0.0.1:PORT`), from the first line it prints.
    pub fn serve(&self, global: &[&str]) -> (std::process::Child, String) {
        use std::io::BufRead as _;
        let mut args = global.to_vec();
        args.extend(["serve", "--listen", "127.0.0.1:0"]);
        let mut child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("ccpulse is serving on http://")
            .and_then(|s| s.strip_suffix("/wall"))
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        (child, addr)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ccpulse"));
        c.arg("--data").arg(self.data()).args(args);
        c.env_remove("CCPULSE_DATA")
            .env_remove("CCPULSE_CONFIG")
            .env_remove("CCPULSE_LANG");
        c
    }

    /// Runs and returns the output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with `stdin` as standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ccpulse {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `kpi ... --format json` and returns its rows.
    pub fn kpi(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["kpi", "--format", "json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["rows"].as_array().unwrap().clone()
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

/// Writes `text` to `name` in the test directory and imports it as tenant `pbx`'s queue_log;
/// the import's JSON summary.
pub fn import_queue_log(cli: &Cli, name: &str, text: &str) -> serde_json::Value {
    let p = cli.write(name, text);
    let out = cli.ok(&[
        "import",
        "--format",
        "queue_log",
        "--tenant",
        "pbx",
        "--json",
        p.to_str().unwrap(),
    ]);
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

/// `value` as f64, panicking with context when it is not a number.
pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// Asserts two figures agree to 1e-9.
pub fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() < 1e-9, "{what}: got {got}, want {want}");
}

/// The reference data of `../shared/data` (never copied into the repository): from
/// `CCPULSE_SHARED_DATA`, else the first `shared/data` beside an ancestor of this crate (a
/// clone anywhere under the workspace), else `/work/shared/data`.
pub fn shared_data() -> PathBuf {
    if let Some(dir) = std::env::var_os("CCPULSE_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for ancestor in manifest.ancestors() {
        let candidate = ancestor.join("shared/data");
        if candidate.join("README.md").is_file() {
            return candidate;
        }
    }
    let fallback = PathBuf::from("/work/shared/data");
    assert!(
        fallback.is_dir(),
        "reference data not found: set CCPULSE_SHARED_DATA to the shared/data directory"
    );
    fallback
}

/// Serves `cli`'s store on loopback and runs the browser script `web/e2e/<script>` in
/// Debian's chromium as `node e2e/<script> URL ARGS... SCREENSHOT`; asserts that it passed
/// and left a screenshot (`<shot>` in the tests' output directory), whose path it returns.
/// Every sheet of the workbook `xlsx` converted by LibreOffice to UTF-8 CSV
/// (`<name>-<sheet>.csv` in the folder returned), the conversion asserted clean; `None` when
/// LibreOffice is not installed (scripts/setup installs it).
pub fn libreoffice_csv(cli: &Cli, xlsx: &Path) -> Option<PathBuf> {
    let Some(soffice) = ["soffice", "libreoffice"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("LibreOffice is not installed (scripts/setup installs it): conversion skipped");
        return None;
    };
    let conv = cli.dir.path().join("csv");
    let profile = cli.dir.path().join("lo-profile");
    let o = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to"])
        // UTF-8 CSV, every sheet to its own file (the last token, -1).
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1")
        .arg("--outdir")
        .arg(&conv)
        .arg(xlsx)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "soffice: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(conv)
}

pub fn browser_check(cli: &Cli, script: &str, args: &[&str], shot: &str) -> PathBuf {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup (the README's test command does)"
    );
    let (mut server, addr) = cli.serve(&[]);
    let url = format!("http://{addr}");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(shot);
    let _ = std::fs::remove_file(&shot);
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let status = Command::new("node")
        .current_dir(&web)
        .arg(format!("e2e/{script}"))
        .arg(&url)
        .args(args)
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .status()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.success(), "the browser check {script} failed");
    let size = std::fs::metadata(&shot).unwrap().len();
    assert!(
        size > 20_000,
        "screenshot {} is only {size} bytes",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
    shot
}
