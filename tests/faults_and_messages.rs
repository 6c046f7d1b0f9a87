//! What a user sees when something goes wrong: one test per message (each names what is wrong
//! and what to do, once), and per fault (SIGTERM mid-run, a report that cannot be written, a
//! run that measured nothing), each with its exit status and nothing left behind.
//!
//! Fake servers appear only for error paths (a VNC-like and a silent server); everything
//! measured runs against a real Xspice.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use spicebench::results::RunResult;

fn spicebench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_scenario(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_missing_scenario_prints_the_os_error_once() {
    let o = spicebench()
        .args(["run", "/nonexistent/s.toml"])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert!(
        e.contains("/nonexistent/s.toml: cannot read scenario file"),
        "{e}"
    );
}

#[test]
fn analyze_names_a_missing_capture_once() {
    let o = spicebench()
        .args(["analyze", "/nonexistent/c.pcapng"])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("/nonexistent/c.pcapng").count(), 1, "{e}");
}

#[test]
fn a_scenario_that_is_not_utf8_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.toml");
    std::fs::write(&p, b"name = \"x\"\ndescription = \"caf\xe9\"\n").unwrap();
    let o = spicebench()
        .args(["run", p.to_str().unwrap()])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("latin1.toml:2: not UTF-8 at byte 29; save the scenario as UTF-8"),
        "{e}"
    );
}

#[test]
fn a_huge_scenario_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = common::drag_scenario("big", &["glz"]);
    text.insert_str(0, &format!("description = \"{}\"\n", "x".repeat(2 << 20)));
    let p = write(dir.path(), "big.toml", &text);
    let o = spicebench()
        .args(["run", p.to_str().unwrap()])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("too large for a scenario file"), "{e}");
}

#[test]
fn an_empty_compression_list_for_xspice_does_not_offer_lz4() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        common::drag_scenario("c", &["glz"]).replace("compression = [\"glz\"]", "compression = []");
    let p = write(dir.path(), "c.toml", &text);
    let o = spicebench()
        .args(["run", p.to_str().unwrap()])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("target.compression: the compression list is empty"),
        "{e}"
    );
    assert!(
        e.contains("off, auto_glz, auto_lz, quic, glz, lz") && !e.contains("lz4"),
        "{e}"
    );
}

#[test]
fn a_result_with_a_wrong_type_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = serde_json::to_value(RunResult::default()).unwrap();
    v["inputs"]["sent"] = serde_json::json!("many");
    let p = write(
        dir.path(),
        "r.json",
        &serde_json::to_string_pretty(&v).unwrap(),
    );
    let o = spicebench()
        .arg("report")
        .arg(&p)
        .arg("--out")
        .arg(dir.path().join("rep"))
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("field `inputs.sent`") && e.contains("expected u64"),
        "{e}"
    );
}

#[test]
fn an_output_directory_that_cannot_be_made_fails_once_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &common::drag_scenario("o", &["off", "glz"]),
    );
    // A file where a folder should be: not even root can create the output directory.
    let blocker = write(dir.path(), "file", "");
    let o = run_scenario(&scenario, &blocker.join("out"), &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("choose another with --out").count(), 1, "{e}");
    assert!(!e.contains("starting"), "nothing may start: {e}");
}

/// A server on loopback that answers every connection with `greeting` (or, when empty,
/// with silence), for as long as the test runs.
fn fake_server(greeting: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut s in listener.incoming().flatten() {
            let _ = s.write_all(greeting);
            held.push(s);
        }
    });
    port
}

/// A server that accepts each connection and closes it at once, as a TLS-only SPICE port does
/// with a plain link (OpenSSL closes without an alert).
fn closing_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut first = [0u8; 16];
            let _ = std::io::Read::read(&mut &s, &mut first);
            drop(s);
        }
    });
    port
}

fn external_scenario(dir: &Path, port: u16) -> PathBuf {
    let text = common::drag_scenario("ext", &["glz"]).replace(
        "kind = \"xspice\"",
        &format!("kind = \"external\"\nuri = \"spice://127.0.0.1:{port}\""),
    );
    write(dir, "ext.toml", &text)
}

#[test]
fn a_server_that_is_not_spice_is_told_apart_from_a_slow_one() {
    let dir = tempfile::tempdir().unwrap();
    let vnc = fake_server(b"RFB 003.008\n");
    let o = run_scenario(
        &external_scenario(dir.path(), vnc),
        &dir.path().join("a"),
        &["--no-capture"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("answered with \"RFB 003.008.\"") && e.contains("not a SPICE port"),
        "{e}"
    );
    assert!(
        e.contains("FAILED after 0."),
        "told at once, not after a timeout: {e}"
    );
    let closing = closing_server();
    let o = run_scenario(
        &external_scenario(dir.path(), closing),
        &dir.path().join("c"),
        &["--no-capture"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("before its link reply, without a word") && e.contains("spice+tls://"),
        "a closed link points at TLS: {e}"
    );
    let silent = fake_server(b"");
    let o = run_scenario(
        &external_scenario(dir.path(), silent),
        &dir.path().join("b"),
        &["--no-capture"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("accepted the connection but sent nothing back; is it a SPICE port"),
        "{e}"
    );
}

#[test]
fn a_ticketed_server_and_a_scenario_without_password_says_add_one() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        let xspice = spicebench::lab::Xspice::start(
            &spicebench::lab::XspiceConfig::default(),
            &dir.path().join("lab"),
        )
        .unwrap();
        let o = run_scenario(
            &external_scenario(dir.path(), xspice.port()),
            &dir.path().join("o"),
            &["--no-capture"],
        );
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains("asks for a SPICE ticket (password) and the scenario gives none")
                && e.contains("password_env"),
            "{e}"
        );
    }
    common::assert_nothing_left(dir.path());
}

/// Waits until `path` exists.
fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_mid_run_keeps_what_finished_and_closes_the_capture() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &common::drag_scenario("term", &["glz", "off"]),
    );
    let out = dir.path().join("out");
    let child = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&out.join("runs/glz.json"));
    common::wait_for_event(&out.join("events/off.jsonl"), "input");
    // SAFETY: SIGTERM to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let done = child.wait_with_output().unwrap();
    let e = stderr(&done);
    assert_eq!(done.status.code(), Some(143), "{e}");
    assert!(
        e.contains("terminated (SIGTERM): 1 configuration(s) finished and kept, 1 not run"),
        "{e}"
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("glz"));
    assert!(RunResult::read(out.join("runs/glz.json")).is_ok());
    // The interrupted configuration's capture was closed, not cut: it reads to the end.
    let a = spicebench()
        .args(["analyze", "--format", "json"])
        .arg(out.join("captures/off.pcapng"))
        .output()
        .unwrap();
    assert!(a.status.success(), "{}", stderr(&a));
    let r: RunResult = serde_json::from_slice(&a.stdout).unwrap();
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.code == spicebench::results::WarningCode::PartialCapture),
        "{:?}",
        r.warnings
    );
    // The report of what finished survived too.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("| glz |"), "{md}");
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run_and_leaves_no_temporary_file() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &common::drag_scenario("rep", &["glz"]),
    );
    let out = dir.path().join("out");
    // index.html cannot be replaced: a directory holds its place (as a full disk would fail).
    std::fs::create_dir_all(out.join("index.html/x")).unwrap();
    let o = run_scenario(&scenario, &out, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("error: the report was not written"), "{e}");
    assert!(
        RunResult::read(out.join("runs/glz.json")).is_ok(),
        "the result is kept"
    );
    let temps: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    common::assert_nothing_left(dir.path());
}

#[test]
fn a_drag_that_misses_every_window_warns_and_strict_fails() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    // Bottom right, over the bare root window: nothing there moves or repaints.
    let text = common::drag_scenario("miss", &["glz"])
        .replace("from = [120, 58]", "from = [900, 700]")
        .replace("to = [420, 238]", "to = [1000, 740]");
    let scenario = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("out");
    let o = run_scenario(&scenario, &out, &["--strict"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("--strict: 1 configuration(s) carry warnings of severity"),
        "{e}"
    );
    let r = RunResult::read(out.join("runs/glz.json")).unwrap();
    // Display updates still follow the inputs (the pointer's own repaints), so only the
    // desktop itself, read back with xwininfo, shows that the drag did nothing.
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == spicebench::results::WarningCode::DragMissed),
        "{:?}",
        r.warnings
    );
    let effect = r.effect.expect("effect check");
    assert_eq!(effect.observed_move, Some([0, 0]));
    assert!(!effect.ok);
    common::assert_nothing_left(dir.path());
}

#[test]
fn a_signal_during_start_up_stops_at_once_and_leaves_nothing() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    // remote-viewer over ssh-x: the longest start-up (Xorg, desktop, sshd, Xvfb, login).
    let text = common::drag_scenario("early", &["glz"]).replace(
        "\n[[steps]]",
        "\n[access]\ntransports = [\"ssh-x\"]\nviewers = [\"remote-viewer\"]\n\n[[steps]]",
    );
    let scenario = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("out");
    let child = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As soon as the target's X server exists, well before the session is up.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !common::processes_under(&out)
        .iter()
        .any(|(_, cmd)| cmd.contains("Xorg"))
    {
        assert!(Instant::now() < deadline, "Xorg never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: SIGINT to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let done = child.wait_with_output().unwrap();
    let e = stderr(&done);
    assert_eq!(done.status.code(), Some(130), "{e}");
    assert!(
        e.contains("interrupted (SIGINT): 0 configuration(s) finished"),
        "{e}"
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("not run (interrupted)"));
    // The report survives: written with the configuration listed as not run.
    let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
    assert!(summary.contains("interrupted"), "{summary}");
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(
        html.contains("glz.ssh-x.remote-viewer"),
        "no row for the configuration"
    );
    common::assert_lab_clean(dir.path(), &homes);
}
