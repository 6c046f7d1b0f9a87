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

/// Which values of a field that occurs several times in a frame tshark prints.
#[derive(Clone, Copy)]
pub enum Occurrence {
    /// The first one (e.g. the outer TCP header of a frame).
    First,
    /// All of them, comma-separated (e.g. every SPICE message of a frame).
    All,
}

/// tshark's `-T fields` output for `capture`, frames matching `filter`, one row per frame
/// with one string per field (rows without every field are left out).
pub fn fields(
    capture: &Path,
    filter: Option<&str>,
    occurrence: Occurrence,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut args = vec!["-r", capture.to_str().unwrap()];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend(["-T", "fields", "-E", "separator=;", "-E", "aggregator=,"]);
    args.extend(match occurrence {
        Occurrence::First => ["-E", "occurrence=f"],
        Occurrence::All => ["-E", "occurrence=a"],
    });
    for f in fields {
        args.extend(["-e", f]);
    }
    tshark(&args)
        .lines()
        .map(|line| line.split(';').map(str::to_string).collect::<Vec<_>>())
        .filter(|row| row.len() == fields.len())
        .collect()
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
    let rows = fields(
        capture,
        None,
        Occurrence::First,
        &[
            "tcp.stream",
            "ip.src",
            "tcp.srcport",
            "ip.dst",
            "tcp.dstport",
            "frame.len",
            "tcp.len",
            "tcp.flags.syn",
            "tcp.flags.ack",
            "tcp.analysis.retransmission",
            "tcp.analysis.fast_retransmission",
            "tcp.analysis.spurious_retransmission",
        ],
    );
    // The client of a stream is the sender of its SYN (without ACK).
    let mut clients: BTreeMap<String, String> = BTreeMap::new();
    for f in &rows {
        let src = format!("{}:{}", f[1], f[2]);
        if (f[7] == "1" || f[7] == "True") && (f[8] == "0" || f[8] == "False") {
            clients.entry(f[0].clone()).or_insert(src);
        }
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
    let rows = fields(
        capture,
        Some(field),
        Occurrence::All,
        &["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", field],
    );
    let mut counts: BTreeMap<(String, String), BTreeMap<u16, u64>> = BTreeMap::new();
    for f in rows {
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
    let rows = fields(
        capture,
        Some("spice.ticket_server && tcp.len > 4"),
        Occurrence::First,
        &["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport"],
    );
    rows.into_iter()
        .map(|f| (format!("{}:{}", f[0], f[1]), format!("{}:{}", f[2], f[3])))
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
