//! `spicebench analyze` as a user runs it: time windows, formats, and damaged files (clear
//! errors or partial results with warnings, never a panic).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use spicebench::results::{Channel, RunResult, WarningCode};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xspice-remote-viewer.pcapng")
}

fn analyze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> RunResult {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn wire_total(r: &RunResult) -> u64 {
    r.channels
        .iter()
        .map(|c| c.down.wire_bytes.unwrap_or(0) + c.up.wire_bytes.unwrap_or(0))
        .sum()
}

#[test]
fn table_names_every_connection() {
    let out = analyze(&[sample().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for ch in ["main", "display", "inputs", "cursor"] {
        assert!(text.contains(ch), "{text}");
    }
    assert!(text.contains("127.0.0.1:41648 → 127.0.0.1:5930"), "{text}");
}

#[test]
fn a_time_window_counts_only_what_happened_inside_it() {
    let whole = json(&analyze(&[sample().to_str().unwrap(), "--format", "json"]));
    let start: f64 = humantime::parse_rfc3339(&whole.started_at)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // The first 0.5 s hold the main channel's link stage and its 256 KB net test, before the
    // display channel connects (0.72 s into the capture).
    let early = json(&analyze(&[
        sample().to_str().unwrap(),
        "--format",
        "json",
        "--to",
        &format!("{:.6}", start + 0.5),
    ]));
    let late = json(&analyze(&[
        sample().to_str().unwrap(),
        "--format",
        "json",
        "--from",
        &format!("{:.6}", start + 0.5),
    ]));
    assert_eq!(wire_total(&early) + wire_total(&late), wire_total(&whole));
    let early_display = early
        .channels
        .iter()
        .find(|c| c.channel == Channel::DISPLAY);
    assert!(early_display.is_none(), "{:?}", early.channels);
    assert!(late.images.iter().map(|i| i.count).sum::<u64>() > 0);
    // The display flow started before the late window, yet its messages are still attributed.
    assert!(late.channels.iter().any(|c| c.channel == Channel::DISPLAY));
    let bad = analyze(&[sample().to_str().unwrap(), "--from", "10", "--to", "5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from must be earlier"));
}

#[test]
fn truncated_capture_gives_a_partial_result_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let r = json(&analyze(&[cut.to_str().unwrap(), "--format", "json"]));
    assert!(
        r.warnings[0].code == WarningCode::PartialCapture
            && r.warnings[0].text.contains("cut.pcapng"),
        "{:?}",
        r.warnings
    );
    assert!(wire_total(&r) > 0);
}

#[test]
fn empty_corrupt_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        ("empty.pcapng", Vec::new()),
        (
            "text.pcapng",
            b"this is not a capture file at all\n".to_vec(),
        ),
        ("corrupt.pcapng", {
            let mut b = std::fs::read(sample()).unwrap();
            // The first block's length field, made absurd.
            b[4..8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
            b
        }),
    ];
    for (name, data) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        let out = analyze(&[path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let missing = analyze(&[dir.path().join("nope.pcap").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.pcap"));
}

#[test]
fn a_capture_without_spice_says_so() {
    // The SSH connection of a real tunnelled session, without its plaintext legs (cut out
    // by tshark, an independent tool).
    let dir = tempfile::tempdir().unwrap();
    let only_ssh = dir.path().join("ssh-only.pcapng");
    let rec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/rv-ssh-tunnel-auto_glz/capture.pcapng");
    let cut = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&rec)
        .args(["-Y", "tcp.port == 2241", "-w"])
        .arg(&only_ssh)
        .output()
        .expect("tshark must be installed (scripts/install-deps.sh installs it)");
    assert!(
        cut.status.success(),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    let r = json(&analyze(&[only_ssh.to_str().unwrap(), "--format", "json"]));
    assert_eq!(r.transports.len(), 1, "{:?}", r.transports);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == WarningCode::CaptureOnlySsh),
        "{:?}",
        r.warnings
    );
    // A capture with SPICE in it carries no such warning.
    let r = json(&analyze(&[sample().to_str().unwrap(), "--format", "json"]));
    assert!(!r.warnings.iter().any(|w| matches!(
        w.code,
        WarningCode::CaptureOnlySsh | WarningCode::CaptureOnlyTls | WarningCode::CaptureNoSpice
    )));
}

#[test]
fn analyze_out_writes_the_file_and_prints_nothing_else() {
    let capture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/sb-drag-glz/capture.pcapng");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/analysis.json");
    let out = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args([
            "analyze",
            capture.to_str().unwrap(),
            "--format",
            "json",
            "--out",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["analyze", capture.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(written, printed);
}
