//! tshark as an independent oracle: per-connection packets and bytes, as Wireshark counts
//! them.

use std::collections::BTreeMap;
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

/// Per (client, server) endpoint pair: [up, down] × (frames, frame bytes, tcp payload bytes),
/// summed from tshark's per-frame fields (the exact numbers behind `-z conv,tcp`).
pub type Conv = BTreeMap<(String, String), [(u64, u64, u64); 2]>;

pub fn tshark_conversations(capture: &Path) -> Conv {
    let text = tshark(&[
        "-r",
        capture.to_str().unwrap(),
        "-T",
        "fields",
        "-E",
        "separator=,",
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
    ]);
    // The client of a stream is the sender of its SYN (without ACK).
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut clients: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<String> = line.split(',').map(str::to_string).collect();
        if f.len() < 9 {
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
        let e = conv.entry(key).or_default();
        e[dir].0 += 1;
        e[dir].1 += f[5].parse::<u64>().unwrap();
        e[dir].2 += f[6].parse::<u64>().unwrap_or(0);
    }
    conv
}
