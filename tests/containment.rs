//! Nothing a run starts outlives it, tried as a hostile desktop user would: a process typed
//! into the lab's xterm detaches (`setsid … &`), keeps looking for X cookies it can read and
//! opens every display they name. While its run lasts it reaches that run's display (the
//! proof that it works); the run's end kills it, so the next run's display is never opened.
//! Needs root and what `.ci/run` installs (xserver-xspice, twm, xterm, xauth, x11-utils).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The detached process: its PID first, then every display it could open, forever.
const ESCAPE_SCRIPT: &str = r#"echo $$ > REPORT/pid
while :; do
  for f in /tmp/spicebench-lab-*/*; do
    for s in /tmp/.X11-unix/X*; do
      d=${s#/tmp/.X11-unix/X}
      XAUTHORITY="$f" xdpyinfo -display ":$d" >/dev/null 2>&1 && echo ":$d" >> REPORT/opened
    done
  done
  sleep 0.2
done
"#;

/// Types the detaching command into the desktop's xterm, then lets it run for a while.
fn escape_scenario(report: &Path) -> String {
    format!(
        r#"name = "escape"
seed = 1
idle_before_s = 0.3
settle_timeout_s = 1.0

[target]
kind = "xspice"
compression = ["auto_glz"]

[[steps]]
kind = "click"               # twm gives the pointer's window the focus
at = [300, 200]

[[steps]]
kind = "type"
text = "setsid sh {}/escape.sh >/dev/null 2>&1 &\n"
rate_hz = 30

[[steps]]
kind = "pause"
duration_s = 3.0
"#,
        report.display()
    )
}

/// A run that only idles: the next run, whose display the escaped process must not reach.
const NEXT_RUN: &str = r#"name = "next"
seed = 1
idle_before_s = 2.0
settle_timeout_s = 1.0

[target]
kind = "xspice"
compression = ["off"]

[[steps]]
kind = "pause"
duration_s = 2.0
"#;

fn run(scenario: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(out)
        .arg("--no-capture")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Starts `spicebench run scenario --no-capture --quiet --out out` without waiting for it.
fn start_quiet(scenario: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--no-capture", "--quiet"])
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
        !s.lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'))
    })
}

fn opened(report: &Path) -> String {
    std::fs::read_to_string(report.join("opened")).unwrap_or_default()
}

#[test]
fn a_process_detached_from_the_desktop_dies_with_its_run_and_never_reaches_the_next() {
    let _lock = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    // The report folder must be writable by the lab account, and reachable through its parent.
    let report: PathBuf = tempfile::Builder::new()
        .prefix("spicebench-escape-")
        .tempdir()
        .unwrap()
        .keep();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o777)).unwrap();
    let script = ESCAPE_SCRIPT.replace("REPORT", report.to_str().unwrap());
    std::fs::write(report.join("escape.sh"), script).unwrap();
    std::fs::set_permissions(
        report.join("escape.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();

    let first = dir.path().join("escape.toml");
    std::fs::write(&first, escape_scenario(&report)).unwrap();
    run(&first, &dir.path().join("out1"));

    let pid: u32 = std::fs::read_to_string(report.join("pid"))
        .expect("the typed command ran on the desktop and detached")
        .trim()
        .parse()
        .unwrap();
    // Proof that the probe works: while its run lasted, it opened that run's display.
    let during = opened(&report);
    assert!(
        !during.is_empty(),
        "the detached process never reached its own run's display"
    );
    assert!(!alive(pid), "the detached process {pid} outlived its run");

    let second = dir.path().join("next.toml");
    std::fs::write(&second, NEXT_RUN).unwrap();
    run(&second, &dir.path().join("out2"));
    assert_eq!(
        opened(&report),
        during,
        "something opened the next run's display"
    );

    // Give a process that was only being reaped a moment before the lab-wide check.
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&report);
    common::assert_lab_clean(dir.path(), &homes);
}

/// A local user who binds the abstract X sockets of the first display numbers only moves the
/// lab's X server to a later number.
#[test]
fn squatted_display_numbers_are_skipped() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener};
    let _lock = common::lab_lock();
    let squatted: Vec<(u32, UnixListener)> = (20..25)
        .filter_map(|n| {
            let name = format!("/tmp/.X11-unix/X{n}");
            let addr = SocketAddr::from_abstract_name(name.as_bytes()).ok()?;
            UnixListener::bind_addr(&addr).ok().map(|l| (n, l))
        })
        .collect();
    assert!(!squatted.is_empty(), "no display number could be squatted");
    let dir = tempfile::tempdir().unwrap();
    let xspice = spicebench::lab::Xspice::start(
        &spicebench::lab::XspiceConfig::default(),
        &dir.path().join("lab"),
    )
    .expect("Xspice starts on a free number");
    let number = xspice.display().number;
    assert!(
        !squatted.iter().any(|(n, _)| *n == number),
        "Xspice on squatted :{number}"
    );
    assert!(number >= 20);
    drop(xspice);
    common::assert_nothing_left(dir.path());
}

/// Three runs started at the same moment claim three displays and all finish.
#[test]
fn three_runs_started_at_once_all_finish() {
    let _lock = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("next.toml");
    std::fs::write(&scenario, NEXT_RUN).unwrap();
    let runs: Vec<_> = (0..3)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_spicebench"))
                .args(["run", scenario.to_str().unwrap(), "--no-capture", "--out"])
                .arg(dir.path().join(format!("out{i}")))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, run) in runs.into_iter().enumerate() {
        let o = run.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "run {i}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(dir.path().join(format!("out{i}/runs/off.json")).exists());
    }
    common::assert_lab_clean(dir.path(), &homes);
}

/// `spicebench run … 2>&1 | head -2`: once the reader is gone, every write fails. The run
/// must go on through every configuration and write every result and the report.
#[test]
fn a_closed_stdout_and_stderr_do_not_stop_the_run() {
    let _lock = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("two.toml");
    std::fs::write(
        &scenario,
        NEXT_RUN.replace(
            "compression = [\"off\"]",
            "compression = [\"off\", \"glz\"]",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--no-capture", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The readers go away at once, as `head` does after its lines.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    for name in ["off", "glz"] {
        assert!(out.join(format!("runs/{name}.json")).exists(), "{name}");
    }
    assert!(out.join("index.html").exists());
    assert!(out.join("summary.md").exists());
    common::assert_lab_clean(dir.path(), &homes);
}

/// `spicebench analyze … | true`: the table's reader is gone; no panic, exit 0.
#[test]
fn analyze_into_a_closed_pipe_does_not_panic() {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let pcap = std::fs::read_dir(&capture)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pcapng" || e == "pcap"))
        .expect("a capture in tests/data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .arg("analyze")
        .arg(&pcap)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(o.status.code(), Some(0), "{stderr}");
}

/// A run killed outright (SIGKILL: no cleanup runs) leaves its lab homes and desktop
/// processes; the next run removes them, proven abandoned by the dead owner in their names.
#[test]
fn what_a_killed_run_left_is_cleaned_by_the_next() {
    let _lock = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("long.toml");
    std::fs::write(
        &scenario,
        r#"name = "long"
idle_before_s = 0.2

[target]
kind = "xspice"
compression = ["off"]

[[steps]]
kind = "click"
at = [300, 200]

[[steps]]
kind = "pause"
duration_s = 60
"#,
    )
    .unwrap();
    let out = dir.path().join("out1");
    let mut child = start_quiet(&scenario, &out);
    common::wait_for_event(&out.join("events"), "input");
    let pid = child.id();
    let prefix = format!("spicebench-lab-p{pid}s");
    let left = || -> Vec<PathBuf> {
        std::fs::read_dir("/tmp")
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect()
    };
    // SAFETY: SIGKILL to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    child.wait().unwrap();
    assert!(
        !left().is_empty(),
        "the killed run left no lab home to clean"
    );

    let next = dir.path().join("next.toml");
    std::fs::write(&next, NEXT_RUN).unwrap();
    run(&next, &dir.path().join("out2"));
    assert_eq!(
        left(),
        Vec::<PathBuf>::new(),
        "the killed run's homes stayed"
    );
    if let Some(root) = spicebench::lab::containment::cgroup2_root() {
        let cgroup_prefix = format!("p{}s", pid);
        let groups: Vec<_> = std::fs::read_dir(root.join("spicebench"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&cgroup_prefix))
            .map(|e| e.path())
            .collect();
        assert!(
            groups.is_empty(),
            "the killed run's cgroups stayed: {groups:?}"
        );
    }
    common::assert_lab_clean(dir.path(), &homes);
}

/// Sends SIGINT to a run once its viewer logged display updates (the session is up), then
/// waits for it to exit (a hang guard of 30 s, after which it is killed and the test fails).
fn interrupt_once_connected(name: &str, text: &str) {
    let _lock = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join(format!("{name}.toml"));
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    let mut child = start_quiet(&scenario, &out);
    common::wait_for_event(&out.join("events"), "update");
    // SAFETY: SIGINT to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: SIGINT did not stop the run within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "{name}: {status}");
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn a_signal_during_the_idle_baseline_stops_the_run() {
    interrupt_once_connected(
        "idle",
        r#"name = "idle"
idle_before_s = 60

[target]
kind = "xspice"
compression = ["off"]

[[steps]]
kind = "pause"
duration_s = 1
"#,
    );
}

#[test]
fn a_signal_during_a_wait_for_stops_the_run() {
    interrupt_once_connected(
        "wait",
        r#"name = "wait"
idle_before_s = 0

[target]
kind = "xspice"
compression = ["off"]

[[steps]]
kind = "wait_for"
window = "a window that never appears"
timeout_s = 300
"#,
    );
}

#[test]
fn a_signal_during_a_long_pause_stops_the_run() {
    interrupt_once_connected(
        "pause",
        r#"name = "pause"
idle_before_s = 0

[target]
kind = "xspice"
compression = ["off"]

[[steps]]
kind = "pause"
duration_s = 300
"#,
    );
}
