//! SPICE over TLS against the lab's real Xspice on a TLS-only port: our client's per-channel
//! plaintext against what the wire carried (tshark's per-connection counts, an independent
//! tool), nothing of SPICE in the clear, and remote-viewer over the same TLS port.

mod common;

use std::path::Path;
use std::process::Command;

use spicebench::results::{Attribution, RunResult, SeriesKey, Transport};

fn tls_scenario(dir: &Path, viewers: &str) -> std::path::PathBuf {
    let text = common::drag_scenario("tls", &["auto_glz"])
        .replace(
            "geometry = \"1024x768\"",
            "geometry = \"1024x768\"\ntls = true",
        )
        .replace(
            "\n[[steps]]",
            &format!("\n[access]\nviewers = [{viewers}]\n\n[[steps]]"),
        );
    let p = dir.join("tls.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_tls_run_carries_only_tls_and_its_channels_match_the_wire_within_record_overhead() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run"])
        .arg(tls_scenario(
            dir.path(),
            "\"spicebench\", \"remote-viewer\"",
        ))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");

    let native = RunResult::read(out.join("runs/auto_glz.spicebench.json")).unwrap();
    assert!(native.config.tls);
    let capture = out.join("captures/auto_glz.spicebench.pcapng");
    // Nothing of SPICE in the clear: no link magic in any frame, one ClientHello per channel.
    let clear = common::tshark::tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-Y",
        "frame contains \"REDQ\"",
    ]);
    assert_eq!(clear.lines().count(), 0, "REDQ on the wire:\n{clear}");
    let hellos = common::tshark::tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-Y",
        "tls.handshake.type == 1",
    ]);
    assert_eq!(hellos.lines().count(), native.channels.len());

    // Each channel: known by our client's socket, its wire numbers tshark's, its TLS payload
    // the plaintext plus at most the record overhead (handshake, and ~22-29 bytes a record).
    let conv = common::tshark::tshark_conversations(&capture);
    for c in &native.channels {
        assert_eq!(c.transport, Transport::SpiceTls, "{c:?}");
        assert_eq!(c.attribution, Some(Attribution::Client));
        let t = &conv[&(c.client.clone().unwrap(), c.server.clone())];
        for (dir, plain, wire, side) in [
            ("up", c.up.payload_bytes, c.up.wire_bytes, t[0]),
            ("down", c.down.payload_bytes, c.down.wire_bytes, t[1]),
        ] {
            assert_eq!(wire, Some(side.frame_bytes), "{} {dir}", c.channel);
            let tls_payload = side.payload;
            assert!(
                tls_payload > plain,
                "{} {dir}: {tls_payload} ≤ {plain}",
                c.channel
            );
            let overhead = tls_payload - plain;
            assert!(
                overhead <= 8192 + plain / 10,
                "{} {dir}: {overhead} bytes of TLS over {plain} plaintext",
                c.channel
            );
        }
    }
    let net = native.network.as_ref().unwrap();
    assert_eq!(net.transport, Transport::Tls);
    assert!(native.display_down_bytes() > 0);
    assert!(native
        .rates
        .iter()
        .any(|r| r.key == SeriesKey::DISPLAY_DOWN));

    // remote-viewer over the same TLS port: per connection, without channels.
    let rv = RunResult::read(out.join("runs/auto_glz.remote-viewer.json")).unwrap();
    assert!(rv.config.tls);
    assert_eq!(rv.channels.len(), 4, "{:?}", rv.channels);
    assert!(rv
        .channels
        .iter()
        .all(|c| c.transport == Transport::SpiceTls));
    assert!(!rv.has_display_channel());
    assert_eq!(
        rv.effect.as_ref().map(|e| e.ok),
        Some(true),
        "{:?}",
        rv.effect
    );
    assert!(rv.latency.end_to_end.as_ref().unwrap().count > 0);
    common::assert_lab_clean(dir.path(), &homes);
}
