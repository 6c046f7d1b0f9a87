//! Capture analysis throughput: `analyze_source` (flows, reassembly, SPICE message walk, image
//! accounting) over real captures held in memory, so the numbers leave out the disk and the
//! page cache. Target from the issue: ≥ 1 GB/s single-threaded for the whole analysis.
//!
//! Run: `cargo bench --bench analyze` (about a minute). Criterion reports the throughput
//! in bytes of capture file per second. Two benchmarks per capture:
//! - `read`: the pcapng reader alone (every packet pulled, nothing analysed), the floor;
//! - `analyze`: the reader plus the whole analyser, as `spicebench analyze` runs it (without
//!   building and printing the result model, which is per flow, not per byte).
//!
//! Timings are measured, never asserted.

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spicebench::analyze::{analyze_source, AnalyzeOptions};
use spicebench::capture::{from_reader, PacketSource};

/// Captures measured: (label, path from the crate root).
const CAPTURES: &[(&str, &str)] = &[
    (
        "xspice-remote-viewer",
        "tests/data/xspice-remote-viewer.pcapng",
    ),
    ("sb-drag-off", "recordings/sb-drag-off/capture.pcapng"),
];

/// The file's bytes, read once and kept for the whole run, so each iteration's source reads
/// from memory without copying the file again.
fn load(rel: &str) -> &'static [u8] {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Box::leak(bytes.into_boxed_slice())
}

fn source(bytes: &'static [u8], name: &str) -> Box<dyn PacketSource> {
    from_reader(Cursor::new(bytes), Path::new(name)).expect("a capture")
}

fn bench(c: &mut Criterion) {
    for &(label, rel) in CAPTURES {
        let bytes = load(rel);
        // Say once what one iteration covers, so the throughput can be read in context.
        let (analyzer, cut) =
            analyze_source(source(bytes, rel).as_mut(), AnalyzeOptions::default()).unwrap();
        assert!(cut.is_none(), "{rel} is truncated");
        eprintln!(
            "{label}: {} bytes, {} packets, {} flows",
            bytes.len(),
            analyzer.packets,
            analyzer.flows.len()
        );

        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));
        group.bench_function("read", |b| {
            b.iter(|| {
                let mut src = source(bytes, rel);
                let mut n = 0u64;
                while let Some(p) = src.next_packet().unwrap() {
                    n += p.data.len() as u64;
                }
                black_box(n)
            })
        });
        group.bench_function("analyze", |b| {
            b.iter(|| {
                let mut src = source(bytes, rel);
                let (analyzer, _) =
                    analyze_source(src.as_mut(), AnalyzeOptions::default()).expect("analysis");
                black_box(analyzer)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
