//! `spicebench analyze` against Wireshark's own dissector on real captures: every connection's
//! packets, wire bytes and TCP payload bytes per direction must equal what tshark counts, and
//! the SPICE channel of each connection must equal tshark's `spice.channel_type`.
//!
//! Captures: the sample from `shared/captures` (copied to tests/data), a tunnel run with a
//! loopback retransmission (tests/data) and the recordings of
//! real remote-viewer sessions, direct and through an `ssh -L` tunnel (whose SSH connection
//! must come out as transport `ssh`). Needs tshark (CI installs it); without it the test
//! says so and passes nothing silently: it fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tshark::{tshark, tshark_conversations};

use spicebench::results::RunResult;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spicebench_analyze(capture: &Path) -> RunResult {
    let out = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["analyze", capture.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "spicebench analyze failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn channel_types(capture: &Path) -> BTreeMap<String, u8> {
    // tshark labels the client's link message with the channel type.
    let text = tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-Y",
        "spice.channel_type",
        "-T",
        "fields",
        "-E",
        "separator=,",
        "-e",
        "ip.src",
        "-e",
        "tcp.srcport",
        "-e",
        "spice.channel_type",
    ]);
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 3 {
            if let Ok(t) = f[2].parse::<u8>() {
                // Only client-side labels (from the link message) name a client endpoint.
                m.entry(format!("{}:{}", f[0], f[1])).or_insert(t);
            }
        }
    }
    m
}

fn check(capture: &Path, expect_ssh: bool) -> RunResult {
    let ours = spicebench_analyze(capture);
    let theirs = tshark_conversations(capture);
    assert_eq!(
        ours.channels.len(),
        theirs.len(),
        "{}: connection count",
        capture.display()
    );
    for c in &ours.channels {
        let key = (c.client.clone().unwrap(), c.server.clone());
        let t = theirs
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} not in tshark's conversations {theirs:?}"));
        for (dir, d) in [(0, &c.up), (1, &c.down)] {
            let t = t[dir];
            assert_eq!(
                (
                    d.packets,
                    d.wire_bytes,
                    d.payload_bytes,
                    d.retransmitted_bytes
                ),
                (
                    Some(t.frames),
                    Some(t.frame_bytes),
                    t.payload,
                    Some(t.retransmitted)
                ),
                "{}: {key:?} direction {dir} (packets, wire, payload, retransmitted bytes)",
                capture.display()
            );
        }
    }
    let labels = channel_types(capture);
    for c in ours.channels.iter().filter(|c| c.transport == "spice") {
        let client = c.client.clone().unwrap();
        if let Some(&t) = labels.get(&client) {
            assert_eq!(
                c.channel_type,
                t,
                "{}: channel of {client}",
                capture.display()
            );
        }
    }
    let ssh: Vec<_> = ours
        .channels
        .iter()
        .filter(|c| c.transport == "ssh")
        .collect();
    if expect_ssh {
        assert_eq!(ssh.len(), 1, "one SSH connection carries the tunnel");
        let t = ours
            .transports
            .iter()
            .find(|t| t.transport == "ssh")
            .unwrap();
        let ratio = t.overhead_ratio.expect("ssh overhead ratio");
        assert!(ratio > 0.3 && ratio < 3.0, "ssh overhead ratio {ratio}");
    } else {
        assert!(ssh.is_empty());
    }
    ours
}

#[test]
fn sample_capture_matches_tshark_and_has_four_channels() {
    let r = check(
        &root().join("tests/data/xspice-remote-viewer.pcapng"),
        false,
    );
    let mut names: Vec<&str> = r.channels.iter().map(|c| c.channel.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["cursor", "display", "inputs", "main"]);
    assert!(
        r.warnings
            .iter()
            .all(|w| !w.contains("message walk stopped")),
        "{:?}",
        r.warnings
    );
    assert!(r.images.iter().any(|i| i.image_type == "GLZ_RGB"));
}

#[test]
fn remote_viewer_direct_recording_matches_tshark() {
    let r = check(
        &root().join("recordings/rv-direct-auto_glz/capture.pcapng"),
        false,
    );
    // The drag went through remote-viewer's inputs channel: wire latency samples exist.
    assert!(r.latency.input_to_display.count > 50, "{:?}", r.latency);
    assert!(r.latency.input_to_display.p50_ms.unwrap() < 100.0);
}

#[test]
fn remote_viewer_ssh_tunnel_recording_matches_tshark() {
    let r = check(
        &root().join("recordings/rv-ssh-tunnel-auto_glz/capture.pcapng"),
        true,
    );
    // Both plaintext legs (viewer → tunnel, sshd → Xspice) are attributed to channels.
    let displays = r.channels.iter().filter(|c| c.channel == "display").count();
    assert_eq!(displays, 2, "display on both plaintext legs");
    let relays = r
        .channels
        .iter()
        .filter(|c| c.leg.as_deref() == Some("relay"))
        .count();
    assert_eq!(
        relays, 4,
        "the sshd → Xspice leg of each of the 4 channels is a relay leg"
    );
}

#[test]
fn spicebench_own_recording_matches_tshark() {
    let r = check(&root().join("recordings/sb-drag-glz/capture.pcapng"), false);
    // Recorded by `spicebench run` with its own client: inputs crossed the wire.
    assert!(r.latency.input_to_display.count > 400, "{:?}", r.latency);
    assert!(r.images.iter().any(|i| i.image_type == "GLZ_RGB"));
}

#[test]
fn a_loopback_retransmission_counts_on_the_wire_and_once_in_the_stream() {
    // A real `ssh -L` run on a machine kept busy by two spinning processes: the kernel
    // dropped one 32 KiB display segment at the receiver and TCP sent it again.
    let r = check(
        &root().join("tests/data/ssh-tunnel-retransmitted.pcapng"),
        true,
    );
    let display = r
        .channels
        .iter()
        .find(|c| c.channel == "display" && c.leg.is_none())
        .unwrap();
    assert_eq!(display.down.retransmitted_bytes, Some(32768));
    // The relay leg carries the same stream without the repeat: payload equal, byte for byte.
    let relay = r
        .channels
        .iter()
        .find(|c| c.channel == "display" && c.leg.is_some())
        .unwrap();
    assert_eq!(relay.down.retransmitted_bytes, Some(0));
    assert_eq!(display.down.payload_bytes, relay.down.payload_bytes);
    assert_eq!(display.down.messages, relay.down.messages);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("32768 payload bytes were sent again")),
        "{:?}",
        r.warnings
    );
}
