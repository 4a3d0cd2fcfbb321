//! Builds the browser UI in `web/` (TypeScript + Vite, from the lockfile) and embeds the
//! result: `web_assets.rs` in OUT_DIR lists every built file as `include_bytes!`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let web = web.canonicalize().unwrap_or(web);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let dist = out.join("web-dist");
    for f in [
        "src",
        "login.html",
        "wall.html",
        "explore.html",
        "reports.html",
        "staffing.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(f).display());
    }
    println!("cargo:rerun-if-env-changed=CCPULSE_NPM");
    let npm = std::env::var("CCPULSE_NPM").unwrap_or_else(|_| "npm".into());
    let lock = web.join("package-lock.json");
    let stamp = web.join("node_modules/.package-lock.json");
    let stale = match (modified(&lock), modified(&stamp)) {
        (Some(l), Some(s)) => l > s,
        _ => true,
    };
    if stale {
        // `npm ci` installs exactly the lockfile. Some npm versions leave other platforms'
        // optional packages out of the lockfile and then refuse `ci`; `install --no-save`
        // still follows the lockfile and writes nothing back.
        if !try_run(&npm, &["ci", "--no-audit", "--no-fund"], &web) {
            run(
                &npm,
                &["install", "--no-save", "--no-audit", "--no-fund"],
                &web,
            );
        }
    }
    let out_dir = dist.display().to_string();
    run(
        &npm,
        &["run", "build", "--", "--outDir", &out_dir, "--emptyOutDir"],
        &web,
    );
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every built web file: (URL path, bytes).\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (url, path) in files {
        code.push_str(&format!(
            "    ({url:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("web_assets.rs"), code).expect("write web_assets.rs");
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn try_run(npm: &str, args: &[&str], dir: &Path) -> bool {
    Command::new(npm)
        .args(args)
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success())
}

fn run(npm: &str, args: &[&str], dir: &Path) {
    let status = Command::new(npm).args(args).current_dir(dir).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`{npm} {}` in {} failed ({s}); the web UI cannot be built",
            args.join(" "),
            dir.display()
        ),
        Err(e) => panic!(
            "cannot run `{npm}` ({e}): building ccpulse's web UI needs Node.js 18+ and npm \
             (Debian: `apt-get install nodejs npm`, or run `scripts/setup`)"
        ),
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let url = format!("/{}", rel.display()).replace('\\', "/");
            out.push((url, p));
        }
    }
}
