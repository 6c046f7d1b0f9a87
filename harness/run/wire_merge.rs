//! Puts a run's capture numbers next to its client numbers: wire bytes and packets per
//! channel (matched by the client's own socket address), transports, the wire timeline and
//! rates, and the wire-level latency. The capture side comes from the same analyser
//! `spicebench analyze` uses, so a run and a later analysis of its pcapng agree exactly.

use crate::analyze::rates;
use crate::capture::SourceStats;
use crate::results::RunResult;

/// Merges `capture` (the analysis of this run's pcapng, anchored at the run's epoch) into
/// `result`; `interval_us` is the run's measured interval for rates.
pub fn merge_capture(
    result: &mut RunResult,
    capture: RunResult,
    stats: SourceStats,
    interval_us: Option<(u64, u64)>,
) {
    for c in &mut result.channels {
        let Some(w) = capture
            .channels
            .iter()
            .find(|w| w.client.is_some() && w.client == c.client)
        else {
            result.warnings.push(format!(
                "the capture holds no connection for the {} channel ({})",
                c.channel,
                c.client.as_deref().unwrap_or("?")
            ));
            continue;
        };
        c.down.wire_bytes = w.down.wire_bytes;
        c.down.packets = w.down.packets;
        c.up.wire_bytes = w.up.wire_bytes;
        c.up.packets = w.up.packets;
        // The client counts exactly the TCP payload it read and wrote. A capture that saw less
        // lost packets; one that saw more also saw what arrived after the client stopped
        // reading at close (or retransmissions), which is not a problem.
        if w.down.payload_bytes < c.down.payload_bytes || w.up.payload_bytes < c.up.payload_bytes {
            result.warnings.push(format!(
                "{} channel: the capture saw {}/{} payload bytes down/up, the client {}/{}",
                c.channel,
                w.down.payload_bytes,
                w.up.payload_bytes,
                c.down.payload_bytes,
                c.up.payload_bytes
            ));
        }
    }
    result.transports = capture.transports;
    result.timeline = capture.timeline;
    if let Some((from, to)) = interval_us {
        result.rates = rates(&result.timeline, from, to);
    }
    result.latency.capture = Some(capture.latency.input_to_display);
    if let Some(mut info) = capture.capture {
        info.kernel_dropped = stats.kernel_dropped;
        info.interface_dropped = stats.interface_dropped;
        if info.kernel_dropped.unwrap_or(0) > 0 {
            result.warnings.push(format!(
                "the kernel dropped {} packets during the capture: wire numbers are low",
                info.kernel_dropped.unwrap_or(0)
            ));
        }
        result.capture = Some(info);
    }
    result.warnings.extend(
        capture
            .warnings
            .into_iter()
            .map(|w| format!("capture: {w}")),
    );
}
