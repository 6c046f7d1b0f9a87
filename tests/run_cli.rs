//! `spicebench run` as a user runs it, against a real Xspice: the matrix, the results files,
//! the table, and the error paths (each with a message that says what to do).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spicebench::results::{
    Channel, ConfigTransport, ConfigViewer, Direction, RunResult, SeriesKey, TimelineUnit,
};
use spicebench::scenario::{TransportKind, ViewerKind};

fn spicebench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_measures_each_compression_and_off_costs_more_than_glz() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &common::drag_scenario("cli", &["off", "glz"]),
    );
    let out = dir.path().join("out");
    let run = spicebench()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // Progress lines name each configuration; the table has one row each.
    assert!(stderr.contains("[1/2] off: done"), "{stderr}");
    assert!(stderr.contains("[2/2] glz: done"), "{stderr}");
    assert!(stdout.contains("display MiB"), "{stdout}");
    let off = RunResult::read(out.join("runs/off.json")).unwrap();
    let glz = RunResult::read(out.join("runs/glz.json")).unwrap();
    assert_eq!(off.schema, "spicebench.run/v2");
    assert_eq!(off.config.compression, "off");
    assert_eq!(off.config.compression_mechanism, "server-setting");
    // Versions of what was measured, for the report's "what was run".
    assert_eq!(off.config.viewer, ConfigViewer::Kind(ViewerKind::Native));
    assert_eq!(
        off.config.transport,
        ConfigTransport::Access(TransportKind::Direct)
    );
    let version = off.config.viewer_version.as_deref().unwrap_or_default();
    assert!(version.starts_with("spicebench "), "{version}");
    let software = off.server.software.as_deref().unwrap_or_default();
    assert!(software.contains("libspice-server1"), "{software:?}");
    let names: Vec<&Channel> = off.channels.iter().map(|c| &c.channel).collect();
    for want in [
        Channel::MAIN,
        Channel::DISPLAY,
        Channel::INPUTS,
        Channel::CURSOR,
    ] {
        assert!(names.contains(&&want), "{names:?}");
    }
    // What each mode put on the wire.
    assert!(off
        .images
        .iter()
        .any(|i| i.image_type == "BITMAP" && i.count > 0));
    assert!(glz
        .images
        .iter()
        .any(|i| i.image_type == "GLZ_RGB" && i.count > 0));
    assert!(
        off.display_down_bytes() as f64 > 1.5 * glz.display_down_bytes() as f64,
        "off {} vs glz {}",
        off.display_down_bytes(),
        glz.display_down_bytes()
    );
    for r in [&off, &glz] {
        assert_eq!(r.inputs.sent, 153);
        assert!(r.latency.input_to_display.count > 100);
        // Not a number the machine's speed sets: no sample faster than the link allows, and
        // the samples are not what idle redraws alone would give.
        let sanity = r.latency.sanity.as_ref().expect("latency sanity");
        assert_eq!(sanity.impossible_samples, 0, "{sanity:?}");
        assert!(!sanity.likely_chance, "{sanity:?}");
        assert!(r
            .rates
            .iter()
            .any(|x| x.key == SeriesKey::DISPLAY_DOWN && x.peak_1s_mib_s > 0.0));
        assert_eq!(r.bursts.len(), 1);
        assert!(r
            .timeline
            .series
            .iter()
            .any(|s| s.key == SeriesKey::DISPLAY_DOWN));
    }
    // Settle, derived by hand from the events log: never shorter than the display's first
    // update after the last input.
    for name in ["off", "glz"] {
        let r = RunResult::read(out.join(format!("runs/{name}.json"))).unwrap();
        let events: Vec<serde_json::Value> =
            std::fs::read_to_string(out.join(format!("events/{name}.jsonl")))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        let t = |e: &serde_json::Value| e["t_us"].as_u64().unwrap();
        let last_input = events
            .iter()
            .filter(|e| e["kind"] == "input")
            .map(t)
            .max()
            .unwrap();
        let first_reply = events
            .iter()
            .filter(|e| e["kind"] == "update")
            .map(t)
            .filter(|&u| u > last_input)
            .min()
            .expect("the display answered the last input");
        let settle_us = (r.latency.settle_ms.expect("settle") * 1000.0).round() as u64;
        assert!(
            settle_us >= first_reply - last_input,
            "{name}: settle {settle_us} µs, reply {} µs",
            first_reply - last_input
        );
    }
    // The capture: wire numbers per channel, no kernel drops, and `spicebench analyze` of the
    // run's own pcapng gives exactly the same wire numbers.
    for (name, r) in [("off", &off), ("glz", &glz)] {
        let cap = r.capture.as_ref().expect("capture info");
        assert_eq!(cap.kernel_dropped, Some(0));
        let pcap = out.join(format!("captures/{name}.pcapng"));
        let analysed = spicebench()
            .args(["analyze", pcap.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        assert!(analysed.status.success());
        let a: RunResult = serde_json::from_slice(&analysed.stdout).unwrap();
        for c in &r.channels {
            let w = a
                .channels
                .iter()
                .find(|w| w.client == c.client)
                .unwrap_or_else(|| panic!("{} not in the analysis", c.channel));
            assert_eq!(w.channel, c.channel);
            assert_eq!(
                (
                    w.down.wire_bytes,
                    w.up.wire_bytes,
                    w.down.packets,
                    w.up.packets
                ),
                (
                    c.down.wire_bytes,
                    c.up.wire_bytes,
                    c.down.packets,
                    c.up.packets
                )
            );
            assert!(c.down.wire_bytes.unwrap() > c.down.payload_bytes);
            // The capture sees every byte the client wrote, and every byte it read; beyond
            // that only whole messages the server sent after the client stopped reading.
            assert_eq!(w.up.payload_bytes, c.up.payload_bytes, "{} up", c.channel);
            let extra = w.down.payload_bytes.checked_sub(c.down.payload_bytes);
            let message_bytes = |r: &RunResult| -> u64 {
                r.messages
                    .iter()
                    .filter(|m| m.channel == c.channel && m.direction == Direction::Down)
                    .map(|m| m.bytes)
                    .sum()
            };
            assert_eq!(
                extra,
                message_bytes(&a).checked_sub(message_bytes(r)),
                "{} down: capture {} vs client {}",
                c.channel,
                w.down.payload_bytes,
                c.down.payload_bytes
            );
        }
        // The same connections; every message the client wrote, the capture saw, type by
        // type; of what it read, the capture saw at least as much (see above), images too.
        assert_eq!(a.channels.len(), r.channels.len());
        for m in &r.messages {
            let seen = a
                .messages
                .iter()
                .find(|x| {
                    (&x.channel, &x.direction, x.msg_type) == (&m.channel, &m.direction, m.msg_type)
                })
                .map_or(0, |x| x.count);
            if m.direction == Direction::Up {
                assert_eq!(seen, m.count, "{m:?}");
            } else {
                assert!(seen >= m.count, "{m:?}: capture {seen}");
            }
        }
        for i in &r.images {
            let seen = a
                .images
                .iter()
                .find(|x| x.code == i.code)
                .map_or(0, |x| x.count);
            assert!(seen >= i.count, "{i:?}: capture {seen}");
        }
        // The capture's own latency is measured at the wire, before the client reads an
        // update and after it sent its input: never slower than the client's.
        let wire = r.latency.capture.as_ref().unwrap();
        assert!(
            wire.p50_ms.unwrap() <= r.latency.input_to_display.p50_ms.unwrap(),
            "wire {wire:?} vs client {:?}",
            r.latency.input_to_display
        );
        let wire_lat = r.latency.capture.as_ref().expect("wire latency");
        assert_eq!(wire_lat.source, "capture");
        assert!(wire_lat.count > 100);
        assert_eq!(r.timeline.unit, Some(TimelineUnit::Wire));
    }
    // The report is written as the matrix goes and covers both configurations.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    for name in ["off", "glz"] {
        assert!(html.contains(&format!(">{name}<")), "no cell names {name}");
    }
    assert!(html.contains("<svg"));
    // No temporary files left next to the results.
    let files: Vec<_> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    common::assert_nothing_left(dir.path());
}

#[test]
fn invalid_scenario_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::drag_scenario("bad", &["glz"]).replace("rate_hz = 100", "rate_hz = 0");
    let scenario = write(dir.path(), "bad.toml", &text);
    let run = spicebench()
        .args(["run", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    let line = text.lines().position(|l| l.starts_with("rate_hz")).unwrap() + 1;
    assert!(
        stderr.contains(&format!("bad.toml:{line}")) && stderr.contains("steps[0].rate_hz"),
        "{stderr}"
    );
}

#[test]
fn unknown_compression_flag_lists_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", &common::drag_scenario("c", &["glz"]));
    let run = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--compression", "zstd"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--compression") && stderr.contains("auto_glz"),
        "{stderr}"
    );
}

#[test]
fn overrides_follow_the_files_rules_and_name_their_flag() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", &common::drag_scenario("o", &["glz"]));
    for (flag, value, says) in [
        (
            "--compression",
            "lz4",
            "--compression: `lz4` is only a client preference",
        ),
        (
            "--transports",
            "ssh-x",
            "--transports: ssh-x runs remote-viewer on the server side",
        ),
        ("--viewers", "bogus", "--viewers: unknown viewer `bogus`"),
    ] {
        let run = spicebench()
            .args(["run", scenario.to_str().unwrap(), flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{flag}: {stderr}");
    }
}

fn external_scenario(port: u16, password_env: &str) -> String {
    common::drag_scenario("ext", &["glz"])
        .replace(
            "kind = \"xspice\"",
            &format!("kind = \"external\"\nuri = \"spice://127.0.0.1:{port}\"\npassword_env = \"{password_env}\""),
        )
}

#[test]
fn closed_port_fails_the_configuration_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let port = spicebench::lab::ports::free_loopback_port().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &external_scenario(port, "SPICEBENCH_TEST_PW"),
    );
    let run = spicebench()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .env("SPICEBENCH_TEST_PW", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("glz: FAILED"), "{stderr}");
    assert!(
        stderr.contains(&format!("could not connect to 127.0.0.1:{port}"))
            && stderr.contains("is a SPICE server listening there?"),
        "{stderr}"
    );
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn wrong_password_is_permission_denied_with_advice() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        let xspice = common::server_with_ticket(dir.path(), "right-one");
        let scenario = write(
            dir.path(),
            "s.toml",
            &external_scenario(xspice.port(), "SPICEBENCH_TEST_PW"),
        );
        let run = |pw: &str| {
            spicebench()
                .args([
                    "run",
                    scenario.to_str().unwrap(),
                    "--out",
                    dir.path().join("o").to_str().unwrap(),
                ])
                .env("SPICEBENCH_TEST_PW", pw)
                .output()
                .unwrap()
        };
        let wrong = run("wrong-one");
        let stderr = String::from_utf8_lossy(&wrong.stderr);
        assert_eq!(wrong.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("PERMISSION_DENIED"), "{stderr}");
        assert!(stderr.contains("password_file / password_env"), "{stderr}");
        // The right password links (the desktop is bare, but the session and the result work),
        // and the compression is then the client's preference.
        let right = run("right-one");
        let stderr = String::from_utf8_lossy(&right.stderr);
        assert_eq!(right.status.code(), Some(0), "{stderr}");
        let r = RunResult::read(dir.path().join("o/runs/glz.json")).unwrap();
        assert_eq!(r.config.target, "external");
        assert_eq!(r.config.compression_mechanism, "client-preference");
    }
    common::assert_nothing_left(dir.path());
}

#[test]
fn an_external_server_compresses_as_the_client_prefers() {
    // Xspice set to auto_glz, with a desktop that sends images during the drag; the scenario
    // asks for `off`: only if the client's PREFERRED_COMPRESSION reached the server do the
    // images come as plain bitmaps, and not one as GLZ.
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        let xspice = common::server_with_ticket(dir.path(), "pw");
        assert_eq!(xspice_default_compression(), "auto_glz");
        let _desktop =
            spicebench::lab::Desktop::start(&xspice.display(), 1024, 768, dir.path()).unwrap();
        let scenario = write(
            dir.path(),
            "s.toml",
            &external_scenario(xspice.port(), "SPICEBENCH_TEST_PW")
                .replace("compression = [\"glz\"]", "compression = [\"off\"]"),
        );
        let run = spicebench()
            .args(["run", scenario.to_str().unwrap(), "--out"])
            .arg(dir.path().join("o"))
            .env("SPICEBENCH_TEST_PW", "pw")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{stderr}");
        let r = RunResult::read(dir.path().join("o/runs/off.json")).unwrap();
        assert_eq!(r.config.compression_mechanism, "client-preference");
        let bitmaps = r
            .images
            .iter()
            .filter(|i| i.image_type == "BITMAP")
            .map(|i| i.count)
            .sum::<u64>();
        assert!(bitmaps > 100, "{:?}", r.images);
        assert!(
            r.images.iter().all(|i| i.image_type == "BITMAP"),
            "{:?}",
            r.images
        );
    }
    common::assert_nothing_left(dir.path());
}

fn xspice_default_compression() -> String {
    spicebench::lab::XspiceConfig::default().image_compression
}

#[test]
fn server_rejecting_its_compression_is_a_clear_lab_error() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let err = spicebench::lab::Xspice::start(
        &spicebench::lab::XspiceConfig {
            image_compression: "bogus".into(),
            ..Default::default()
        },
        dir.path(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("invalid image compression: bogus"), "{text}");
    assert!(text.contains("Xorg.log"), "{text}");
    common::assert_nothing_left(dir.path());
}

/// The PID of an Xorg whose command line mentions `needle`.
fn xorg_under(needle: &Path) -> Option<u32> {
    common::processes_under(needle)
        .into_iter()
        .find(|(_, cmd)| cmd.contains("Xorg"))
        .map(|(pid, _)| pid)
}

/// Starts `spicebench run` of a two-configuration (glz, off) drag scenario in the background.
fn start_two_configurations(dir: &Path, name: &str) -> (std::process::Child, std::path::PathBuf) {
    let scenario = write(dir, "s.toml", &common::drag_scenario(name, &["glz", "off"]));
    let out = dir.join("out");
    let child = spicebench()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, out)
}

/// Waits until the first configuration is done and the second one's Xspice runs.
fn second_xorg(out: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if out.join("runs/glz.json").exists() {
            if let Some(pid) = xorg_under(&out.join("lab/off")) {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "second configuration never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn xspice_killed_mid_run_fails_that_configuration_and_keeps_the_others() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let (child, out) = start_two_configurations(dir.path(), "kill");
    // Let the second configuration's drag start, then kill its Xspice.
    let victim = second_xorg(&out);
    common::wait_for_event(&out.join("events/off.jsonl"), "input");
    // SAFETY: SIGKILL to an Xorg this test's spicebench started (found by its run directory).
    unsafe {
        libc::kill(victim as i32, libc::SIGKILL);
    }
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("off: FAILED"), "{stderr}");
    assert!(
        stderr.contains("the session ended during the run"),
        "{stderr}"
    );
    assert!(RunResult::read(out.join("runs/glz.json")).is_ok());
    assert!(!out.join("runs/off.json").exists());
    // Nothing lost: what the client saw before the server died is in the events log, and the
    // capture file is there too.
    let events = std::fs::read_to_string(out.join("events/off.jsonl")).unwrap();
    let kinds: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        kinds.iter().any(|e| e["kind"] == "update"),
        "no display updates logged"
    );
    assert!(
        kinds.iter().any(|e| e["kind"] == "input"),
        "no inputs logged"
    );
    assert!(out.join("captures/off.pcapng").metadata().unwrap().len() > 100_000);
    common::assert_nothing_left(dir.path());
}

#[test]
fn ctrl_c_stops_everything_and_keeps_finished_results() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let (child, out) = start_two_configurations(dir.path(), "int");
    second_xorg(&out);
    common::wait_for_event(&out.join("events/off.jsonl"), "input");
    // SAFETY: SIGINT (what Ctrl-C sends) to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted (SIGINT): 1 configuration(s) finished and kept, 1 not run"),
        "{stderr}"
    );
    assert!(stdout.contains("not run (interrupted)"), "{stdout}");
    assert!(RunResult::read(out.join("runs/glz.json")).is_ok());
    // The report keeps the finished configuration and names the one the signal stopped.
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("glz"), "{summary}");
    assert!(
        summary.contains("not run: interrupted (SIGINT)"),
        "{summary}"
    );
    common::assert_nothing_left(dir.path());
}

#[test]
fn capture_without_privilege_says_what_to_do() {
    // An unprivileged user (nobody, all capabilities dropped) runs an external-target scenario:
    // the live capture is the only thing that needs privilege, refused before the run starts.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &external_scenario(5999, "SPICEBENCH_TEST_PW"),
    );
    std::fs::set_permissions(
        &scenario,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    // A copy the unprivileged user can execute wherever the checkout lives (e.g. under a
    // home directory nobody may enter).
    let binary = dir.path().join("spicebench");
    std::fs::copy(env!("CARGO_BIN_EXE_spicebench"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .arg(&binary)
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .env("SPICEBENCH_TEST_PW", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(!dir.path().join("o").exists(), "{stderr}");
    assert!(
        stderr.contains("needs root or CAP_NET_RAW+CAP_NET_ADMIN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("setcap cap_net_raw,cap_net_admin+ep"),
        "{stderr}"
    );
    assert!(
        stderr.contains("analyse an existing capture file"),
        "{stderr}"
    );
    assert!(stderr.contains("spicebench run --no-capture"), "{stderr}");
}

#[test]
fn report_compares_results_from_two_separate_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results");
    for day in ["day1", "day2"] {
        let runs = dir.path().join(day).join("runs");
        std::fs::create_dir_all(&runs).unwrap();
        for f in ["off.json", "glz.json"] {
            std::fs::copy(data.join(f), runs.join(f)).unwrap();
        }
    }
    let out = dir.path().join("report");
    let run = spicebench()
        .arg("report")
        .arg(dir.path().join("day1"))
        .arg(dir.path().join("day2/runs/glz.json"))
        .args(["--out", out.to_str().unwrap(), "--baseline", "off"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    for name in ["off", "glz (day1)", "glz (day2)"] {
        assert!(html.contains(name), "{name} missing from the report");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| glz (day")).count(),
        2,
        "{md}"
    );
    assert!(md.contains("baseline"), "{md}");
    // A baseline that is not there is an error that lists what is.
    let bad = spicebench()
        .arg("report")
        .arg(dir.path().join("day1"))
        .args(["--out", out.to_str().unwrap(), "--baseline", "zzz"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--baseline zzz") && stderr.contains("glz"),
        "{stderr}"
    );
}

#[test]
fn quiet_run_with_a_compression_override_then_record_and_check_it() {
    // `--compression glz` replaces the scenario's [off, glz]; `--quiet` prints the table and
    // nothing else; `record` promotes the run's capture into a library that `check` passes,
    // and whose expectation is the analysis of that capture.
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &common::drag_scenario("quiet", &["off", "glz"]),
    );
    let out = dir.path().join("out");
    let run = spicebench()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--quiet",
            "--compression",
            "glz",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "quiet, yet: {stderr}");
    assert!(
        stdout.contains("display MiB") && stdout.contains("glz"),
        "{stdout}"
    );
    let runs: Vec<String> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(runs, ["glz.json"]);

    let lib = dir.path().join("lib");
    let rec = spicebench()
        .args(["record", "--name", "mine", "--recordings"])
        .arg(&lib)
        .arg(out.join("glz"))
        .output()
        .unwrap();
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(lib.join("mine"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["capture.pcapng", "expected.json", "recording.toml"]);
    let check = spicebench().arg("check").arg(&lib).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{text}");
    assert!(text.contains("check: 1 passed, 0 failed"), "{text}");
    // The expectation is the capture's analysis: the same display bytes as the run's own
    // capture numbers.
    let expected = RunResult::read(lib.join("mine/expected.json")).unwrap();
    let measured = RunResult::read(out.join("runs/glz.json")).unwrap();
    let wire = |r: &RunResult| -> Vec<Option<u64>> {
        r.channels.iter().map(|c| c.down.wire_bytes).collect()
    };
    assert_eq!(wire(&expected), wire(&measured));
    common::assert_nothing_left(dir.path());
}
