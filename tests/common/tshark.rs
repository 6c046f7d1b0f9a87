//! tshark as an independent oracle: per-connection packets and bytes, as Wireshark counts
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Runs tshark and returns its standard output; fails the test if tshark is missing or fails.
pub fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark must be installed (scripts/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One direction of one connection as tshark counts it, from its per-frame fields (the exact
/// numbers behind `-z conv,tcp`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub frames: u64,
    pub frame_bytes: u64,
    /// `tcp.len` of the frames tshark does not mark as a retransmission.
    pub payload: u64,
    /// `tcp.len` of the frames tshark marks as a (fast, spurious) retransmission.
    pub retransmitted: u64,
}

/// Per (client, server) endpoint pair: [up, down].
pub type Conv = BTreeMap<(String, String), [Side; 2]>;

pub fn tshark_conversations(capture: &Path) -> Conv {
    let text = tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-T",
        "fields",
        "-E",
        "separator=;",
        "-E",
        "occurrence=f",
        "-e",
        "tcp.stream",
        "-e",
        "ip.src",
        "-e",
        "tcp.srcport",
        "-e",
        "ip.dst",
        "-e",
        "tcp.dstport",
        "-e",
        "frame.len",
        "-e",
        "tcp.len",
        "-e",
        "tcp.flags.syn",
        "-e",
        "tcp.flags.ack",
        "-e",
        "tcp.analysis.retransmission",
        "-e",
        "tcp.analysis.fast_retransmission",
        "-e",
        "tcp.analysis.spurious_retransmission",
    ]);
    // The client of a stream is the sender of its SYN (without ACK).
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut clients: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<String> = line.split(';').map(str::to_string).collect();
        if f.len() < 12 {
            continue;
        }
        let src = format!("{}:{}", f[1], f[2]);
        if (f[7] == "1" || f[7] == "True") && (f[8] == "0" || f[8] == "False") {
            clients.entry(f[0].clone()).or_insert(src);
        }
        rows.push(f);
    }
    let mut conv = Conv::new();
    for f in rows {
        let src = format!("{}:{}", f[1], f[2]);
        let dst = format!("{}:{}", f[3], f[4]);
        let client = clients.get(&f[0]).cloned().unwrap_or_else(|| src.clone());
        let (key, dir) = if src == client {
            ((src, dst), 0)
        } else {
            ((dst, src), 1)
        };
        let e = &mut conv.entry(key).or_default()[dir];
        e.frames += 1;
        e.frame_bytes += f[5].parse::<u64>().unwrap();
        let len = f[6].parse::<u64>().unwrap_or(0);
        if f[9..12].iter().any(|flag| !flag.is_empty()) {
            e.retransmitted += len;
        } else {
            e.payload += len;
        }
    }
    conv
}

/// Per (source, destination) endpoint pair, how many of each value of the per-message field
/// `field` (`spice.message_type`, `spice.image_type`) tshark's SPICE dissector decodes.
pub fn tshark_spice_counts(
    capture: &Path,
    field: &str,
) -> BTreeMap<(String, String), BTreeMap<u16, u64>> {
    let text = tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-Y",
        field,
        "-T",
        "fields",
        "-E",
        "separator=;",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
        "-e",
        "ip.src",
        "-e",
        "tcp.srcport",
        "-e",
        "ip.dst",
        "-e",
        "tcp.dstport",
        "-e",
        field,
    ]);
    let mut counts: BTreeMap<(String, String), BTreeMap<u16, u64>> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(';').collect();
        if f.len() < 5 {
            continue;
        }
        let key = (format!("{}:{}", f[0], f[1]), format!("{}:{}", f[2], f[3]));
        let e = counts.entry(key).or_default();
        for v in f[4].split(',').filter(|v| !v.is_empty()) {
            *e.entry(v.parse().unwrap()).or_default() += 1;
        }
    }
    counts
}

/// The (server, client) directions whose link result tshark's dissector reads from a segment
/// that also carries the first messages: it dissects the 4-byte result and drops the rest of
/// the segment, so its message counts for that direction are short (or, once it reads a
/// body as headers, garbage). Seen on connections through `ssh -L`, where sshd writes the
/// link result and the first messages in one go.
pub fn tshark_loses_step_at_link_result(capture: &Path) -> BTreeSet<(String, String)> {
    let text = tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-Y",
        "spice.ticket_server && tcp.len > 4",
        "-T",
        "fields",
        "-E",
        "separator=;",
        "-e",
        "ip.src",
        "-e",
        "tcp.srcport",
        "-e",
        "ip.dst",
        "-e",
        "tcp.dstport",
    ]);
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(';').collect();
            (f.len() == 4).then(|| (format!("{}:{}", f[0], f[1]), format!("{}:{}", f[2], f[3])))
        })
        .collect()
}

/// Fails unless both directions of our connection `c` count what tshark counts for it:
/// packets, frame bytes, payload once and retransmitted payload. `what` names it.
pub fn assert_connection_matches(c: &spicebench::results::ChannelStats, t: &[Side; 2], what: &str) {
    for (dir, d, t) in [("up", &c.up, t[0]), ("down", &c.down, t[1])] {
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
            "{what} {} {dir} (packets, wire, payload, retransmitted bytes)",
            c.channel
        );
    }
}
