//! `--output-mode` through the binary: `report --out` and `analyze --out` write privately by
//! default (files 0600, folders 0700) like `run`, take the same option, and every command
//! refuses a mode that would lock the owner out of its own outputs.
//!
//! No lab is started: report reads stored results, analyze a stored capture.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The binary under the usual umask 022, so what it writes is private only because it made
/// it so.
fn spicebench(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_spicebench"))
        .args(args)
        .output()
        .unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn report_out_is_private_by_default_and_follows_output_mode() {
    let dir = tempfile::tempdir().unwrap();
    let results = data("results");
    let out = dir.path().join("new/report");
    ok(&spicebench(&[
        "report",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    for f in ["index.html", "summary.md", "summary.csv"] {
        assert_eq!(mode(&out.join(f)), 0o600, "{f}");
    }
    // Both folders it created.
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);

    let shared = dir.path().join("shared");
    ok(&spicebench(&[
        "report",
        results.to_str().unwrap(),
        "--out",
        shared.to_str().unwrap(),
        "--output-mode",
        "0640",
    ]));
    assert_eq!(mode(&shared.join("index.html")), 0o640);
    assert_eq!(mode(&shared), 0o750);
}

#[test]
fn analyze_out_is_private_by_default_and_follows_output_mode() {
    let dir = tempfile::tempdir().unwrap();
    let capture = data("xspice-remote-viewer.pcapng");
    let out = dir.path().join("analyses/a.json");
    ok(&spicebench(&[
        "analyze",
        capture.to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(mode(&out), 0o600);
    assert_eq!(mode(&dir.path().join("analyses")), 0o700);

    let open = dir.path().join("open/a.txt");
    ok(&spicebench(&[
        "analyze",
        capture.to_str().unwrap(),
        "--out",
        open.to_str().unwrap(),
        "--output-mode",
        "0644",
    ]));
    assert_eq!(mode(&open), 0o644);
    assert_eq!(mode(&dir.path().join("open")), 0o755);
}

#[test]
fn a_mode_without_the_owners_read_and_write_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let capture = data("xspice-remote-viewer.pcapng");
    let results = data("results");
    for mode in ["0200", "0000", "0400", "01600"] {
        for args in [
            vec!["run", "missing.toml"],
            vec!["report", results.to_str().unwrap()],
            vec!["analyze", capture.to_str().unwrap()],
        ] {
            let mut args = args.clone();
            args.extend(["--out", out.to_str().unwrap(), "--output-mode", mode]);
            let o = spicebench(&args);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(mode), "{args:?}: {stderr}");
            assert!(stderr.contains("use e.g. 0600"), "{args:?}: {stderr}");
            assert!(!out.exists(), "{args:?} wrote {}", out.display());
        }
    }
}
