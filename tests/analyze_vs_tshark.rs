//! `spicebench analyze` against Wireshark's own dissector on real captures: every connection's
//! packets, wire bytes, TCP payload and retransmitted bytes per direction must equal what
//! tshark counts; the SPICE channel of every connection must equal tshark's
//! `spice.channel_type`; the message counts per channel, direction and type, and the image-type
//! counts, must equal what tshark's dissector decodes (`spice.message_type`,
//! `spice.image_type`) on the connections spicebench counts; the SSH overhead ratio must equal
//! the one tshark's numbers give.
//!
//! Captures: every recording in `recordings/`, the sample from `shared/captures` (copied to
//! tests/data) and a tunnel run with a loopback retransmission (tests/data). Needs tshark (CI
//! installs it); without it the test fails rather than passing nothing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::tshark::{
    tshark, tshark_conversations, tshark_loses_step_at_link_result, tshark_spice_counts,
};

use spicebench::results::{Channel, Leg, RunResult, Transport};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    check_except(capture, expect_ssh, &[])
}

/// [`check`], with the message counts of the (channel, direction) pairs in `blind` taken as
/// ours: tshark's dissector cannot follow them (said where it is used).
fn check_except(capture: &Path, expect_ssh: bool, blind: &[(&str, &str)]) -> RunResult {
    let ours = common::analyze_json(capture);
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
        common::tshark::assert_connection_matches(c, t, &format!("{}: {key:?}", capture.display()));
    }
    // tshark labels every SPICE connection's link message with its channel type.
    let labels = channel_types(capture);
    for c in ours
        .channels
        .iter()
        .filter(|c| c.transport == Transport::Spice)
    {
        let client = c.client.clone().unwrap();
        assert_eq!(
            Some(c.channel_type),
            labels.get(&client).copied(),
            "{}: channel of {client}",
            capture.display()
        );
    }
    check_messages_and_images(capture, &ours, blind);
    let ssh: Vec<_> = ours
        .channels
        .iter()
        .filter(|c| c.transport == Transport::Ssh)
        .collect();
    if expect_ssh {
        assert_eq!(ssh.len(), 1, "one SSH connection carries the tunnel");
        let t = ours
            .transports
            .iter()
            .find(|t| t.transport == Transport::Ssh)
            .unwrap();
        // SSH wire bytes over the SPICE payload of the viewer's leg, from tshark's numbers.
        let side = |c: &&spicebench::results::ChannelStats| {
            theirs[&(c.client.clone().unwrap(), c.server.clone())]
        };
        let ssh_wire: u64 = side(&ssh[0]).iter().map(|s| s.frame_bytes).sum();
        let spice_payload: u64 = ours
            .channels
            .iter()
            .filter(|c| c.transport == Transport::Spice && c.leg.is_none())
            .map(|c| side(&c).iter().map(|s| s.payload).sum::<u64>())
            .sum();
        let ratio = t.overhead_ratio.expect("ssh overhead ratio");
        let want = ssh_wire as f64 / spice_payload as f64;
        assert!(
            (ratio - want).abs() < 1e-9,
            "ssh overhead ratio {ratio}, tshark's {want}"
        );
    } else {
        assert!(ssh.is_empty());
    }
    ours
}

/// Message counts per channel and direction, and image-type counts, as tshark's dissector
/// decodes them on the connections spicebench counts (relay legs are listed, not counted).
fn check_messages_and_images(capture: &Path, ours: &RunResult, blind: &[(&str, &str)]) {
    let messages = tshark_spice_counts(capture, "spice.message_type");
    let images = tshark_spice_counts(capture, "spice.image_type");
    let tshark_lost = tshark_loses_step_at_link_result(capture);
    let mut want_messages: BTreeMap<(String, &str, u16), u64> = BTreeMap::new();
    let mut want_images: BTreeMap<u16, u64> = BTreeMap::new();
    let mut skipped = Vec::new();
    for c in ours
        .channels
        .iter()
        .filter(|c| c.transport == Transport::Spice && c.leg.is_none())
    {
        let client = c.client.clone().unwrap();
        for (dir, key) in [
            ("down", (c.server.clone(), client.clone())),
            ("up", (client.clone(), c.server.clone())),
        ] {
            // tshark names channels and directions in text: ours are compared by name.
            if blind.contains(&(c.channel.name().as_str(), dir)) {
                for m in ours
                    .messages
                    .iter()
                    .filter(|m| m.channel == c.channel && m.direction.as_str() == dir)
                {
                    want_messages.insert((m.channel.name(), dir, m.msg_type), m.count);
                }
                continue;
            }
            if tshark_lost.contains(&key) {
                // Not comparable: ours are taken as they are (the display stream, which the
                // test needs compared, never falls here: see below).
                skipped.push(c.channel.clone());
                for m in ours
                    .messages
                    .iter()
                    .filter(|m| m.channel == c.channel && m.direction.as_str() == dir)
                {
                    want_messages.insert((m.channel.name(), dir, m.msg_type), m.count);
                }
                continue;
            }
            for (&t, &n) in messages.get(&key).into_iter().flatten() {
                *want_messages.entry((c.channel.name(), dir, t)).or_default() += n;
            }
            for (&t, &n) in images.get(&key).into_iter().flatten() {
                *want_images.entry(t).or_default() += n;
            }
        }
    }
    let got_messages: BTreeMap<(String, &str, u16), u64> = ours
        .messages
        .iter()
        .map(|m| {
            (
                (m.channel.name(), m.direction.as_str(), m.msg_type),
                m.count,
            )
        })
        .collect();
    let got_images: BTreeMap<u16, u64> = ours
        .images
        .iter()
        .map(|i| (u16::from(i.code), i.count))
        .collect();
    assert!(
        !skipped.contains(&Channel::DISPLAY),
        "{}: tshark cannot check the display stream",
        capture.display()
    );
    assert_eq!(
        got_messages,
        want_messages,
        "{}: messages",
        capture.display()
    );
    assert_eq!(
        got_images,
        want_images,
        "{}: image types",
        capture.display()
    );
}

#[test]
fn sample_capture_matches_tshark_and_has_four_channels() {
    let r = check(
        &root().join("tests/data/xspice-remote-viewer.pcapng"),
        false,
    );
    let mut names: Vec<String> = r.channels.iter().map(|c| c.channel.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["cursor", "display", "inputs", "main"]);
    assert!(
        r.warnings
            .iter()
            .all(|w| w.code != spicebench::results::WarningCode::MessageWalkStopped),
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
    let sanity = r.latency.sanity.as_ref().unwrap();
    assert_eq!(sanity.impossible_samples, 0, "{sanity:?}");
}

#[test]
fn remote_viewer_ssh_tunnel_recording_matches_tshark() {
    let r = check(
        &root().join("recordings/rv-ssh-tunnel-auto_glz/capture.pcapng"),
        true,
    );
    // Both plaintext legs (viewer → tunnel, sshd → Xspice) are attributed to channels.
    let displays = r
        .channels
        .iter()
        .filter(|c| c.channel == Channel::DISPLAY)
        .count();
    assert_eq!(displays, 2, "display on both plaintext legs");
    let relays = r
        .channels
        .iter()
        .filter(|c| c.leg == Some(Leg::Relay))
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
        .find(|c| c.channel == Channel::DISPLAY && c.leg.is_none())
        .unwrap();
    assert_eq!(display.down.retransmitted_bytes, Some(32768));
    // The relay leg carries the same stream without the repeat: payload equal, byte for byte.
    let relay = r
        .channels
        .iter()
        .find(|c| c.channel == Channel::DISPLAY && c.leg.is_some())
        .unwrap();
    assert_eq!(relay.down.retransmitted_bytes, Some(0));
    assert_eq!(display.down.payload_bytes, relay.down.payload_bytes);
    assert_eq!(display.down.messages, relay.down.messages);
    assert!(
        r.warnings.iter().any(
            |w| w.code == spicebench::results::WarningCode::Retransmissions
                && w.text.contains("32768 payload bytes were sent again")
        ),
        "{:?}",
        r.warnings
    );
}

#[test]
fn every_recording_matches_tshark() {
    let mut checked = 0;
    for e in std::fs::read_dir(root().join("recordings"))
        .unwrap()
        .flatten()
    {
        let capture = e.path().join("capture.pcapng");
        if capture.exists() {
            let name = e.file_name().to_string_lossy().to_string();
            check(&capture, name.contains("ssh-tunnel"));
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} recordings");
}

#[test]
fn two_heads_and_streams_captures_match_tshark() {
    // Made with `spicebench run` against hand-started Xspice (tests/data/README.md).
    // Our client asks external targets for its compression (PREFERRED_COMPRESSION, a 1-byte
    // body); tshark's dissector loses step there (it shows the next segment as a partial
    // "TCP segment data") and decodes nothing else the client sends on the display channel.
    // Everything else is compared.
    for name in ["xspice-two-heads.pcapng", "xspice-streams-mjpeg.pcapng"] {
        let r = check_except(
            &root().join("tests/data").join(name),
            false,
            &[("display", "up")],
        );
        assert_eq!(r.displays.len(), 1, "{name}");
    }
}
