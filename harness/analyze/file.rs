//! Analysing a whole packet source: a recorded pcap/pcapng file, a live capture's file, or
//! in-memory frames. A capture cut short (a truncated last block) still gives a result, with a
//! warning that says how far it got.

use std::path::Path;

use super::capture_result::capture_result;
use super::flows::{AnalyzeOptions, Analyzer};
use crate::capture::{open_file, CaptureError, PacketSource};
use crate::results::{
    CaptureInfo, ConfigTransport, ConfigViewer, RunResult, Transport, Warning, WarningCode,
};
use crate::scenario::TransportKind;

/// Feeds every packet of `source` to a new analyser. A truncated source ends the feed early
/// and is returned as the second value so the caller can warn.
pub fn analyze_source(
    source: &mut dyn PacketSource,
    opts: AnalyzeOptions,
) -> Result<(Analyzer, Option<CaptureError>), CaptureError> {
    let mut analyzer = Analyzer::new(opts);
    let cut = loop {
        match source.next_packet() {
            Ok(Some(p)) => analyzer.feed(&p),
            Ok(None) => break None,
            Err(e @ CaptureError::Truncated { .. }) => break Some(e),
            Err(e) => return Err(e),
        }
    };
    analyzer.finish();
    Ok((analyzer, cut))
}

/// Analyses the capture file at `path` into a result (scenario/config left empty).
pub fn analyze_file(path: &Path, opts: AnalyzeOptions) -> Result<RunResult, CaptureError> {
    let mut source = open_file(path)?;
    let (analyzer, cut) = analyze_source(source.as_mut(), opts)?;
    let mut result = capture_result(
        &analyzer,
        CaptureInfo {
            file: path.display().to_string(),
            from_s: opts.from_ns.map(|n| n as f64 / 1e9),
            to_s: opts.to_ns.map(|n| n as f64 / 1e9),
            ..CaptureInfo::default()
        },
    );
    if let Some(e) = cut {
        result.warnings.insert(
            0,
            Warning::new(
                WarningCode::PartialCapture,
                format!(
                    "partial result: {e}; the numbers cover the {} packets before that point",
                    analyzer.packets
                ),
            ),
        );
    }
    if analyzer.packets == 0 {
        result.warnings.push(Warning::new(
            WarningCode::EmptyCapture,
            "the capture holds no packets",
        ));
    } else {
        result.warnings.extend(no_spice_warning(&result));
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    result.config.name = stem;
    result.config.target = "capture".into();
    result.config.transport = dominant_transport(&result);
    result.config.compression = "unknown".into();
    result.config.compression_mechanism = "unknown".into();
    result.config.viewer = ConfigViewer::Unknown;
    Ok(result)
}

/// A capture without a readable SPICE connection: say so, and why when the reason shows.
fn no_spice_warning(r: &RunResult) -> Option<Warning> {
    let has = |t: Transport| r.transports.iter().any(|s| s.transport == t);
    if has(Transport::Spice) {
        return None;
    }
    let seen: Vec<&str> = r.transports.iter().map(|t| t.transport.as_str()).collect();
    Some(if has(Transport::Tls) {
        Warning::new(
            WarningCode::CaptureOnlyTls,
            "the capture holds no plain SPICE connection, only TLS: spicebench cannot see inside \
         TLS, so there are no channels, messages or latency; capture the plaintext side, or \
         use `spicebench run`, whose own client knows its channels",
        )
    } else if has(Transport::Ssh) {
        Warning::new(
            WarningCode::CaptureOnlySsh,
            "the capture holds no plain SPICE connection, only SSH: capture the tunnel's \
             local side (the viewer's connection to the forwarded port) as well",
        )
    } else {
        Warning::new(
            WarningCode::CaptureNoSpice,
            format!(
                "the capture holds no SPICE connection (transports seen: {}); was it taken on the \
             SPICE port, and does it include each connection's start?",
                if seen.is_empty() {
                    "none".to_string()
                } else {
                    seen.join(", ")
                }
            ),
        )
    })
}

/// How the capture's viewer reached the server, in `config.transport`'s terms: SSH with X11
/// inside is `ssh-x`, SSH alone `ssh-tunnel`, plain SPICE `direct`.
fn dominant_transport(r: &RunResult) -> ConfigTransport {
    let has = |t: Transport| r.transports.iter().any(|s| s.transport == t);
    if has(Transport::Ssh) && has(Transport::X11) {
        ConfigTransport::Access(TransportKind::SshX)
    } else if has(Transport::Ssh) {
        ConfigTransport::Access(TransportKind::SshTunnel)
    } else if has(Transport::Spice) {
        ConfigTransport::Access(TransportKind::Direct)
    } else {
        ConfigTransport::Seen(
            r.transports
                .first()
                .map_or(Transport::Unknown, |t| t.transport),
        )
    }
}
