//! The access methods as a user runs them, against the real parts: an SSH tunnel through the
//! managed sshd (attribution checked against tshark), remote-viewer driven with XTest (the
//! window's move checked with xwininfo, not with our own client), remote-viewer under
//! `ssh -X`, and what is left after a success, a failure and Ctrl-C: nothing. Also the
//! messages for an SSH server that cannot be reached, refuses the key, or refuses the forward.
//!
//! Needs root, openssh-server, xvfb, virt-viewer, evilwm and tshark (what `.ci/run` installs)
//! and the `spicebench-lab` user that `scripts/install-deps.sh` creates.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use spicebench::results::{
    Channel, ConfigTransport, ConfigViewer, LatencyMethod, Leg, RunResult, Transport,
};
use spicebench::scenario::{TransportKind, ViewerKind};

fn spicebench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
}

/// `drag_scenario` with an `[access]` table.
fn scenario_with(dir: &Path, name: &str, access: &str) -> PathBuf {
    let text = common::drag_scenario(name, &["auto_glz"])
        .replace("\n[[steps]]", &format!("\n[access]\n{access}\n\n[[steps]]"));
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn run(scenario: &Path, out: &Path) -> std::process::Output {
    spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// The one result of a single-configuration run.
fn only_result(out: &Path) -> RunResult {
    let runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    RunResult::read(&runs[0]).unwrap()
}

fn only_capture(out: &Path) -> PathBuf {
    let caps: Vec<PathBuf> = std::fs::read_dir(out.join("captures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(caps.len(), 1, "{caps:?}");
    caps[0].clone()
}

#[test]
fn tunnel_attribution_equals_tsharks_and_the_relay_leg_counts_once() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with(dir.path(), "tunnel", "transports = [\"ssh-tunnel\"]");
    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    let result = only_result(&out);
    assert_eq!(result.config.name, "auto_glz.ssh-tunnel");
    assert_eq!(
        result.config.transport,
        ConfigTransport::Access(TransportKind::SshTunnel)
    );

    // Every connection spicebench lists, byte for byte as tshark counts it, and only loopback.
    let conv = common::tshark::tshark_conversations(&only_capture(&out));
    for c in &result.channels {
        let client = c.client.clone().unwrap();
        assert!(client.starts_with("127.0.0.1:"), "{client}");
        assert!(c.server.starts_with("127.0.0.1:"), "{}", c.server);
        let t = conv
            .get(&(client.clone(), c.server.clone()))
            .unwrap_or_else(|| panic!("tshark has no connection {client} → {}", c.server));
        // Loopback retransmits under load: those frames count on the wire, once in the
        // stream.
        common::tshark::assert_connection_matches(c, t, "tunnel");
    }
    assert_eq!(conv.len(), result.channels.len(), "connections tshark sees");

    // Three legs: the viewer's 4 channels, the SSH connection, the 4 relayed channels.
    let ssh: Vec<_> = result
        .channels
        .iter()
        .filter(|c| c.transport == Transport::Ssh)
        .collect();
    assert_eq!(ssh.len(), 1);
    let relays: Vec<_> = result
        .channels
        .iter()
        .filter(|c| c.leg == Some(Leg::Relay))
        .collect();
    assert_eq!(relays.len(), 4, "{:?}", result.channels);
    let first_display: u64 = result
        .channels
        .iter()
        .filter(|c| c.channel == Channel::DISPLAY && c.leg.is_none())
        .map(|c| c.down.payload_bytes)
        .sum();
    let relay_display: u64 = relays
        .iter()
        .filter(|c| c.channel == Channel::DISPLAY)
        .map(|c| c.down.payload_bytes)
        .sum();
    assert!(relay_display > 0);
    assert_eq!(result.display_down_bytes(), first_display);

    // What crosses the network is the SSH connection, carrying all of the SPICE payload plus
    // its own framing.
    let net = result.network.as_ref().expect("network view");
    assert_eq!(net.transport, Transport::Ssh);
    assert_eq!(
        net.down_wire_bytes + net.up_wire_bytes,
        ssh[0].down.wire_bytes.unwrap() + ssh[0].up.wire_bytes.unwrap()
    );
    let spice_first_leg: u64 = result
        .channels
        .iter()
        .filter(|c| c.transport == Transport::Spice && c.leg.is_none())
        .map(|c| c.down.payload_bytes + c.up.payload_bytes)
        .sum();
    assert_eq!(net.spice_payload_bytes, spice_first_leg);
    assert!(
        ssh[0].down.payload_bytes > first_display,
        "the tunnel carries the display channel"
    );
    assert_eq!(
        result.effect.as_ref().map(|e| e.ok),
        Some(true),
        "{:?}",
        result.effect
    );
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn remote_viewer_drags_the_window_by_the_planned_distance_and_times_its_screen() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with(dir.path(), "rv", "viewers = [\"remote-viewer\"]");
    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let result = only_result(&out);
    assert_eq!(
        result.config.viewer,
        ConfigViewer::Kind(ViewerKind::RemoteViewer)
    );
    let version = result.config.viewer_version.clone().unwrap_or_default();
    assert!(version.starts_with("remote-viewer "), "{version}");
    // xwininfo on the Xspice display, before and after: the XTest drag through remote-viewer
    // moved the xterm by exactly the dragged distance.
    let effect = result.effect.clone().expect("effect check");
    assert_eq!(effect.expected_move, [300, 180]);
    assert_eq!(effect.observed_move, Some([300, 180]));
    // Every input was injected, and at least 90 % of them have a causal end-to-end sample:
    // the probe square in the viewer's window (read after each XDamage report) showed their
    // pointer state. remote-viewer merges motion, so a later stamp answers the merged ones.
    assert_eq!(result.inputs.sent, 153);
    let e2e = result
        .latency
        .end_to_end
        .clone()
        .expect("end-to-end latency");
    assert_eq!(e2e.source, "xdamage");
    assert_eq!(e2e.method, LatencyMethod::Probe, "{e2e:?}");
    let probe = result.latency.probe.clone().expect("probe stats");
    assert_eq!(probe.expected, 153);
    assert!(probe.answered * 10 >= probe.expected * 9, "{probe:?}");
    assert_eq!(e2e.count, probe.answered);
    assert_eq!(probe.final_pointer, Some([420, 238]), "{probe:?}");
    assert!(e2e.p50_ms.unwrap() > 0.0);
    // On the wire too (the capture): remote-viewer's own inputs matched to the stamps the
    // server sent it.
    let wire = result.latency.capture.clone().expect("capture latency");
    assert_eq!(wire.method, LatencyMethod::Probe, "{wire:?}");
    assert!(
        wire.p50_ms.unwrap() <= e2e.p50_ms.unwrap(),
        "{wire:?} vs {e2e:?}"
    );
    // The events log has what the viewer side saw.
    let events = std::fs::read_to_string(out.join("events/auto_glz.remote-viewer.jsonl")).unwrap();
    assert_eq!(events.matches("\"kind\":\"xinput\"").count(), 153);
    assert!(events.contains("\"kind\":\"damage\""));
    // The session itself, from the capture: remote-viewer linked the same four channels.
    let names: Vec<&Channel> = result.channels.iter().map(|c| &c.channel).collect();
    for want in [
        Channel::MAIN,
        Channel::DISPLAY,
        Channel::INPUTS,
        Channel::CURSOR,
    ] {
        assert!(names.contains(&&want), "{names:?}");
    }
    assert!(result.latency.capture.as_ref().unwrap().count > 0);
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn ssh_x_carries_x11_inside_ssh() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with(
        dir.path(),
        "sshx",
        "transports = [\"ssh-x\"]\nviewers = [\"remote-viewer\"]",
    );
    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let result = only_result(&out);
    assert_eq!(result.config.name, "auto_glz.ssh-x.remote-viewer");
    let flows = |t: Transport| {
        result
            .transports
            .iter()
            .find(|x| x.transport == t)
            .map_or(0, |x| x.flows)
    };
    // remote-viewer ↔ Xspice (4 SPICE channels), remote-viewer ↔ sshd's X11 listener, and the
    // one SSH connection that carries the X11 to the client's display.
    assert_eq!(flows(Transport::Spice), 4);
    assert!(flows(Transport::X11) >= 1);
    assert_eq!(flows(Transport::Ssh), 1);
    let net = result.network.as_ref().unwrap();
    assert_eq!(net.transport, Transport::Ssh);
    let x11 = result
        .transports
        .iter()
        .find(|t| t.transport == Transport::X11)
        .unwrap();
    // Without compression the SSH connection carries at least the X11 it forwards.
    assert!(net.down_wire_bytes + net.up_wire_bytes >= x11.payload_bytes);
    assert!(net.down_wire_bytes + net.up_wire_bytes > net.spice_payload_bytes);
    assert_eq!(result.effect.as_ref().map(|e| e.ok), Some(true));
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn ctrl_c_in_an_ssh_x_run_and_a_server_killed_in_a_tunnel_run_leave_nothing() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();

    let scenario = scenario_with(
        dir.path(),
        "int",
        "transports = [\"ssh-x\"]\nviewers = [\"remote-viewer\"]",
    );
    let out = dir.path().join("int");
    let child = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_for_event(&out.join("events"), "xinput");
    // SAFETY: SIGINT (what Ctrl-C sends) to the spicebench process this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{stderr}");
    common::assert_lab_clean(dir.path(), &homes);

    let scenario = scenario_with(
        dir.path(),
        "kill",
        "transports = [\"ssh-tunnel\"]\nviewers = [\"remote-viewer\"]",
    );
    let out = dir.path().join("kill");
    let child = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_for_event(&out.join("events"), "xinput");
    let xorg = common::processes_under(&out)
        .into_iter()
        .find(|(_, cmd)| cmd.contains("Xorg"))
        .map(|(pid, _)| pid)
        .expect("the run's Xorg");
    // SAFETY: SIGKILL to the Xorg this test's spicebench started (found by its run folder).
    unsafe {
        libc::kill(xorg as i32, libc::SIGKILL);
    }
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("FAILED"), "{stderr}");
    common::assert_lab_clean(dir.path(), &homes);
}

/// A client config for `alias` → 127.0.0.1:`port` as the lab user with `key`.
fn ssh_config(dir: &Path, alias: &str, port: u16, key: &Path) -> PathBuf {
    let path = dir.join(format!("{alias}.ssh_config"));
    std::fs::write(
        &path,
        format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User spicebench-viewer\n  \
             IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking no\n  LogLevel ERROR\n",
            key.display()
        ),
    )
    .unwrap();
    path
}

/// Runs a tunnel scenario against the user's own SSH server `alias` (via `config`).
fn external_tunnel(dir: &Path, name: &str, alias: &str, config: &Path) -> (i32, String) {
    let scenario = scenario_with(
        dir,
        name,
        &format!(
            "transports = [\"ssh-tunnel\"]\nssh = \"{alias}\"\nssh_config = \"{}\"",
            config.display()
        ),
    );
    let r = run(&scenario, &dir.join(name));
    (
        r.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

#[test]
fn ssh_failures_say_which_and_what_to_do() {
    use spicebench::lab::sshd::{Sshd, SshdJob};
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();

    // Nothing listens: the host cannot be reached.
    let closed = spicebench::lab::ports::free_loopback_port().unwrap();
    let key = dir.path().join("nobody_key");
    let cfg = ssh_config(dir.path(), "spb-closed", closed, &key);
    let (code, stderr) = external_tunnel(dir.path(), "closed", "spb-closed", &cfg);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot reach the SSH server spb-closed")
            && stderr.contains("Connection refused"),
        "{stderr}"
    );

    // A server that permits a forward to port 1 only.
    let sshd_dir = dir.path().join("sshd");
    let lease = spicebench::lab::ports::reserve_port("a test's sshd").unwrap();
    let port = lease.port();
    let sshd = Sshd::start(
        SshdJob::Tunnel {
            permit_open: "127.0.0.1:1".into(),
        },
        &sshd_dir,
        lease,
        &spicebench::cancel::Cancel::new(),
    )
    .unwrap();

    // A key it does not know.
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let cfg = ssh_config(dir.path(), "spb-stranger", port, &key);
    let (code, stderr) = external_tunnel(dir.path(), "stranger", "spb-stranger", &cfg);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refused the login") && stderr.contains("authorized_keys"),
        "{stderr}"
    );

    // Its own key, but a forward to the run's Xspice, which it does not permit.
    let cfg = ssh_config(
        dir.path(),
        "spb-narrow",
        port,
        &sshd_dir.join("client_ed25519"),
    );
    let (code, stderr) = external_tunnel(dir.path(), "narrow", "spb-narrow", &cfg);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("refuses to forward to 127.0.0.1:") && stderr.contains("PermitOpen"),
        "{stderr}"
    );
    drop(sshd);
    common::assert_lab_clean(dir.path(), &homes);
}
