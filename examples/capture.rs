//! Captures live traffic with spicebench's own capture path (`LiveCapture`: libpcap in
//! immediate mode, a capture thread writing pcapng) for a fixed time, then prints what it
//! recorded and what the kernel dropped. Used by `benches/live-capture.sh`; needs root.
//!
//! ```text
//! cargo build --release --example capture
//! target/release/examples/capture [--iface lo] [--filter 'tcp port 5201'] [--seconds 10]
//!     [--snaplen 262144] [--buffer-mib 64] [--out capture.pcapng]
//! ```
//!
//! `--out /dev/null` measures the capture path without the disk. The last line is
//! `packets=N bytes=N kernel_dropped=N interface_dropped=N seconds=S`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use spicebench::capture::{LiveCapture, DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN};

fn main() {
    let mut iface = "lo".to_string();
    let mut filter = "tcp port 5201".to_string();
    let mut seconds = 10.0f64;
    let mut snaplen = DEFAULT_SNAPLEN;
    let mut buffer_bytes = DEFAULT_BUFFER_BYTES;
    let mut out = PathBuf::from("capture.pcapng");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--iface" => iface = value(),
            "--filter" => filter = value(),
            "--seconds" => seconds = parse(&flag, &value()),
            "--snaplen" => snaplen = parse(&flag, &value()),
            "--buffer-mib" => buffer_bytes = parse::<u32>(&flag, &value()).saturating_mul(1 << 20),
            "--out" => out = PathBuf::from(value()),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }

    let cap = LiveCapture::open(&iface, &filter, snaplen, buffer_bytes).unwrap_or_else(|e| {
        eprintln!("capture: {e}");
        std::process::exit(1)
    });
    let started = Instant::now();
    let handle = cap.spawn_to_file(&out).unwrap_or_else(|e| {
        eprintln!("capture: {e}");
        std::process::exit(1)
    });
    eprintln!(
        "capture: capturing `{filter}` on {iface} for {seconds} s (snaplen {snaplen}, buffer {} MiB) into {}",
        buffer_bytes >> 20,
        out.display()
    );
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let stats = handle.stop().unwrap_or_else(|e| {
        eprintln!("capture: {e}");
        std::process::exit(1)
    });
    let opt = |v: Option<u64>| v.map_or("unknown".to_string(), |v| v.to_string());
    println!(
        "packets={} bytes={} kernel_dropped={} interface_dropped={} seconds={:.2}",
        stats.packets,
        stats.bytes,
        opt(stats.kernel_dropped),
        opt(stats.interface_dropped),
        started.elapsed().as_secs_f64()
    );
}

fn parse<T: std::str::FromStr>(flag: &str, v: &str) -> T {
    v.parse()
        .unwrap_or_else(|_| usage(&format!("{flag}: `{v}` is not a valid value")))
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("capture: {why}");
    }
    eprintln!(
        "usage: capture [--iface lo] [--filter 'tcp port 5201'] [--seconds 10] [--snaplen 262144] [--buffer-mib 64] [--out FILE]"
    );
    std::process::exit(2)
}
