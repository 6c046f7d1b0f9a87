//! The HTML report of the three real drag results, rendered by headless Chromium: it
//! must load without console errors, paint a non-trivial page, and its DOM must hold
//! every configuration and every plot.
//!
//! Needs Debian's `chromium` package (CI installs it); without /usr/bin/chromium the test
//! prints a note and passes. Set SPICEBENCH_REPORT_DIR to keep index.html and shot.png
//! there for a look.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use spicebench::export::{report_html, ReportOptions};
use spicebench::results::RunResult;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromium can hang on a broken machine; no single run may take longer than this.
const DEADLINE: Duration = Duration::from_secs(120);

fn results() -> Vec<RunResult> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results");
    ["off", "auto_glz", "glz"]
        .iter()
        .map(|n| RunResult::read(dir.join(format!("{n}.json"))).expect("fixture"))
        .collect()
}

/// Runs Chromium headless on `page` with `extra` arguments, killing it (by its own pid)
/// after [`DEADLINE`].
fn chromium(profile: &Path, page: &Path, extra: &[String]) -> Output {
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    // Drain both pipes on threads so a chatty Chromium never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Fails on any console message (the report has no script, so any is a problem, such
/// as a resource that failed to load) or uncaught error.
fn assert_quiet(stderr: &[u8]) {
    let text = String::from_utf8_lossy(stderr);
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(bad.is_empty(), "console output from the report: {bad:#?}");
}

#[test]
fn report_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        // CI installs it (scripts/install-deps.sh); there a missing browser is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} is missing in CI: scripts/install-deps.sh must install chromium"
        );
        eprintln!("note: {CHROMIUM} absent, report_chromium skipped (apt-get install chromium)");
        return;
    }
    let runs = results();
    let opts = ReportOptions {
        title: "drag on Xspice: compression modes".into(),
        baseline: Some("off".into()),
        generated_at: "2026-11-28T08:00:00Z".into(),
        machine: vec![
            ("cores".into(), "2".into()),
            ("memory".into(), "24 GiB".into()),
        ],
        failed: vec![spicebench::export::FailedRun {
            name: "lz".into(),
            error: "the session ended during the run: Xspice exited".into(),
        }],
    };
    let html = report_html(&runs, &opts);
    // A configuration that failed is on the page as failed, with its error.
    assert!(
        html.contains("FAILED: the session ended during the run: Xspice exited"),
        "failed configuration missing"
    );

    let temp = tempfile::tempdir().expect("temp dir");
    let dir: PathBuf = std::env::var_os("SPICEBENCH_REPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("report dir");
    let page = dir.join("index.html");
    std::fs::write(&page, &html).expect("write report");
    let shot = dir.join("shot.png");
    let _ = std::fs::remove_file(&shot);

    let out = chromium(
        &temp.path().join("profile-shot"),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,3000".into(),
        ],
    );
    assert!(
        out.status.success(),
        "chromium --screenshot failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_quiet(&out.stderr);
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 20 * 1024, "screenshot only {} bytes", png.len());

    let out = chromium(
        &temp.path().join("profile-dom"),
        &page,
        &["--dump-dom".into()],
    );
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        out.status
    );
    assert_quiet(&out.stderr);
    let dom = String::from_utf8_lossy(&out.stdout);
    for r in &runs {
        assert!(dom.contains(&r.config.name), "DOM lacks {}", r.config.name);
    }
    // Bars (2) and the latency CDF of all configurations, then per configuration its
    // timeline, latency histogram and CDF.
    assert_eq!(dom.matches("<svg").count(), 3 + 3 * runs.len());
    assert!(dom.contains("</html>"));
}
