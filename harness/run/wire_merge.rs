//! Puts a run's capture numbers next to the viewer's own: wire bytes and packets per channel
//! (matched by the client's own socket address), the legs the viewer does not know of (relay
//! legs, the SSH connection, X11), transports, the network view, the wire timeline and rates,
//! and the wire-level latency. The capture side comes from the same analyser
//! `spicebench analyze` uses, so a run and a later analysis of its pcapng agree exactly.
//!
//! For remote-viewer, which spicebench does not see from inside, the capture is the only
//! source of channels, messages and images.

use std::path::Path;
use std::time::UNIX_EPOCH;

use super::summarize::compression_warnings;
use super::RunError;
use crate::analyze::{analyze_file, AnalyzeOptions};
use crate::capture::SourceStats;
use crate::client::Clock;
use crate::results::{Attribution, Channel, Direction, RunResult, SeriesKey, Transport};
use crate::results::{Warning, WarningCode};

/// Analyses the run's capture at `pcap` and merges it into `result`. The capture is anchored
/// at the run's epoch (on the timeline's bin grid, as `spicebench analyze` anchors it) and
/// its rates are taken over the measured interval of its own packet times, by the one rule
/// of `analyze::interval`; `interval_us` (the viewer's, µs since the epoch) only stands in
/// when the capture shows no input (SPICE inside TLS).
pub fn merge_capture(
    result: &mut RunResult,
    pcap: &Path,
    stats: SourceStats,
    clock: Clock,
    interval_us: Option<(u64, u64)>,
) -> Result<(), RunError> {
    let epoch_ns = clock
        .wall_at_epoch()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let wire = analyze_file(
        pcap,
        AnalyzeOptions {
            t0_ns: Some(epoch_ns),
            fallback_measured_ns: interval_us
                .map(|(f, t)| (epoch_ns + f * 1000, epoch_ns + t * 1000)),
            ..AnalyzeOptions::default()
        },
    )?;
    merge(result, wire, stats);
    Ok(())
}

/// Merges `capture` (the analysis of this run's pcapng) into `result`.
pub fn merge(result: &mut RunResult, capture: RunResult, stats: SourceStats) {
    if result.channels.is_empty() {
        // Nothing from the viewer itself: the capture is the only account of the session.
        result.channels = capture.channels;
        if result.config.tls {
            // TLS connections to a TLS target are SPICE; their channels stay unknown.
            for c in &mut result.channels {
                if c.transport == Transport::Tls {
                    c.transport = Transport::SpiceTls;
                }
            }
        }
        result.messages = capture.messages;
        result.images = capture.images;
        result.displays = capture.displays;
        result.streams = capture.streams;
        result.server.net_test = capture.server.net_test;
        let compression = result.config.compression.clone();
        result
            .warnings
            .extend(compression_warnings(&compression, &result.images));
        result.warnings.extend(coalescing_note(result));
    } else {
        merge_channels(result, &capture);
    }
    result.transports = capture.transports;
    result.network = capture.network;
    // The capture's timeline has per-channel series only where it could read the channels;
    // inside TLS it cannot, and the client's own (payload) timeline is the better account.
    let capture_sees_channels = capture
        .timeline
        .series
        .iter()
        .any(|s| s.key == SeriesKey::DISPLAY_DOWN);
    let client_sees_channels = result
        .timeline
        .series
        .iter()
        .any(|s| s.key == SeriesKey::DISPLAY_DOWN);
    // A capture that lost packets under load undercounts every bin it lost them in; the
    // client's own counters saw every byte it read.
    let capture_lost_packets = stats.kernel_dropped.unwrap_or(0) > 0;
    let keep_client_timeline =
        client_sees_channels && (!capture_sees_channels || capture_lost_packets);
    if !keep_client_timeline {
        result.timeline = capture.timeline;
        result.rates = capture.rates;
        // The rates are the capture's, over the interval of its own times when it has one.
        if capture.measured.is_some() {
            result.measured = capture.measured;
        }
    }
    if let Some(net) = result
        .network
        .as_mut()
        .filter(|n| n.spice_payload_bytes == 0)
    {
        // SPICE inside TLS: its payload is what the client itself sent and received.
        let payload: u64 = result
            .channels
            .iter()
            .filter(|c| c.attribution == Some(Attribution::Client))
            .map(|c| c.down.payload_bytes + c.up.payload_bytes)
            .sum();
        if payload > 0 {
            net.spice_payload_bytes = payload;
            net.ratio_to_spice =
                Some((net.down_wire_bytes + net.up_wire_bytes) as f64 / payload as f64);
        }
    }
    result.latency.capture = Some(capture.latency.input_to_display);
    if let Some(mut info) = capture.capture {
        info.kernel_dropped = stats.kernel_dropped;
        info.interface_dropped = stats.interface_dropped;
        if info.kernel_dropped.unwrap_or(0) > 0 {
            result.warnings.push(Warning::new(
                WarningCode::KernelDropped,
                format!(
                    "the kernel dropped {} packets during the capture: wire numbers are low{}",
                    info.kernel_dropped.unwrap_or(0),
                    if keep_client_timeline {
                        "; the timeline and the MiB/s rates are the client's own payload counts"
                    } else {
                        ""
                    }
                ),
            ));
        }
        result.capture = Some(info);
    }
    let tls = result.config.tls;
    result.warnings.extend(
        capture
            .warnings
            .into_iter()
            // A run that chose TLS knows the capture cannot see inside it.
            .filter(|w| !(tls && w.code == WarningCode::CaptureOnlyTls))
            .map(|w| w.prefixed("capture: ")),
    );
}

/// When the viewer sent the server fewer pointer motions than it was given, says so: the
/// server then draws fewer intermediate positions, and display bytes differ from a viewer
/// that sends every move (ours does). remote-viewer merges motion to GTK's frame clock.
fn coalescing_note(result: &RunResult) -> Option<Warning> {
    use crate::wire::inputs::client::{MOUSE_MOTION, MOUSE_POSITION};
    let given = result.inputs.motion;
    let sent: u64 = result
        .messages
        .iter()
        .filter(|m| m.channel == Channel::INPUTS && m.direction == Direction::Up)
        .filter(|m| m.msg_type == MOUSE_POSITION || m.msg_type == MOUSE_MOTION)
        .map(|m| m.count)
        .sum();
    // No inputs message seen at all means they were not visible (TLS), not that none left.
    (given > 0 && sent > 0 && sent < given).then(|| {
        Warning::new(
            WarningCode::MotionCoalesced,
            format!(
            "{} sent the server {sent} pointer-motion messages for the {given} pointer moves it \
             was given ({:.0} %): it merges motion (remote-viewer: to GTK's frame clock), so \
             the server drew fewer intermediate positions than a viewer that sends every move",
            result.config.viewer,
            100.0 * sent as f64 / given as f64
        ),
        )
    })
}

/// Wire numbers onto the client's channels; the capture's other flows appended after them.
fn merge_channels(result: &mut RunResult, capture: &RunResult) {
    for c in &mut result.channels {
        let Some(w) = capture
            .channels
            .iter()
            .find(|w| w.client.is_some() && w.client == c.client)
        else {
            result.warnings.push(Warning::new(
                WarningCode::CaptureMissingChannel,
                format!(
                    "the capture holds no connection for the {} channel ({})",
                    c.channel,
                    c.client.as_deref().unwrap_or("?")
                ),
            ));
            continue;
        };
        c.down.wire_bytes = w.down.wire_bytes;
        c.down.packets = w.down.packets;
        c.up.wire_bytes = w.up.wire_bytes;
        c.up.packets = w.up.packets;
        c.down.retransmitted_bytes = w.down.retransmitted_bytes;
        c.up.retransmitted_bytes = w.up.retransmitted_bytes;
        if w.transport == Transport::Tls {
            // The capture sees only TLS records; which channel this is, the client knows.
            c.transport = Transport::SpiceTls;
            c.attribution = Some(Attribution::Client);
            continue;
        }
        // The client counts exactly the TCP payload it read and wrote, as the capture counts
        // each stream byte once. A capture that saw less lost packets; one that saw more also
        // saw what arrived after the client stopped reading at close, which is not a problem.
        if w.down.payload_bytes < c.down.payload_bytes || w.up.payload_bytes < c.up.payload_bytes {
            result.warnings.push(Warning::new(
                WarningCode::CaptureUndercount,
                format!(
                    "{} channel: the capture saw {}/{} payload bytes down/up, the client {}/{}",
                    c.channel,
                    w.down.payload_bytes,
                    w.up.payload_bytes,
                    c.down.payload_bytes,
                    c.up.payload_bytes
                ),
            ));
        }
    }
    let known: Vec<Option<String>> = result.channels.iter().map(|c| c.client.clone()).collect();
    result.channels.extend(
        capture
            .channels
            .iter()
            .filter(|w| !known.contains(&w.client))
            .cloned(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ChannelStats, DirectionStats, Leg, TimelineUnit};

    fn channel(channel: Channel, client: &str, leg: Option<Leg>, down: u64) -> ChannelStats {
        ChannelStats {
            channel,
            client: Some(client.into()),
            leg,
            transport: Transport::Spice,
            down: DirectionStats {
                payload_bytes: down,
                wire_bytes: Some(down + 66),
                packets: Some(3),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn client_channels_get_wire_numbers_and_other_legs_are_listed_once() {
        let mut r = RunResult::default();
        let mut mine = channel(Channel::DISPLAY, "127.0.0.1:4000", None, 1000);
        mine.down.wire_bytes = None;
        r.channels.push(mine);
        let capture = RunResult {
            channels: vec![
                channel(Channel::DISPLAY, "127.0.0.1:4000", None, 1000),
                channel(Channel::DISPLAY, "127.0.0.1:5000", Some(Leg::Relay), 1000),
                channel(
                    Channel::Transport(Transport::Ssh),
                    "127.0.0.1:6000",
                    None,
                    1200,
                ),
            ],
            ..RunResult::default()
        };
        merge(&mut r, capture, SourceStats::default());
        assert_eq!(r.channels.len(), 3);
        assert_eq!(r.channels[0].down.wire_bytes, Some(1066));
        // The relay leg is listed but the display bytes are counted once.
        assert_eq!(r.display_down_bytes(), 1000);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn without_client_channels_the_capture_is_the_account() {
        let mut r = RunResult::default();
        r.config.compression = "glz".into();
        let capture = RunResult {
            channels: vec![channel(Channel::DISPLAY, "127.0.0.1:4000", None, 5000)],
            images: vec![crate::results::ImageStats {
                image_type: "QUIC".into(),
                code: 1,
                count: 4,
                bytes: 100,
            }],
            ..RunResult::default()
        };
        merge(&mut r, capture, SourceStats::default());
        assert_eq!(r.display_down_bytes(), 5000);
        assert_eq!(r.images.len(), 1);
        // A glz run whose wire shows no GLZ image is flagged, for remote-viewer too.
        assert!(
            r.warnings
                .iter()
                .any(|w| w.code == WarningCode::CompressionNotSeen
                    && w.text.contains("labelled `glz`")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn an_ssh_tunnel_runs_result_carries_sshds_hold() {
        // The capture of a real remote-viewer run over `ssh -L`, merged as a run merges its own.
        let pcap = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("recordings/rv-ssh-tunnel-auto_glz/capture.pcapng");
        let capture = analyze_file(&pcap, AnalyzeOptions::default()).unwrap();
        let mut r = RunResult::default();
        r.config.transport =
            crate::results::ConfigTransport::Access(crate::scenario::TransportKind::SshTunnel);
        merge(&mut r, capture, SourceStats::default());
        assert!(
            r.warnings.iter().any(|w| w.code == WarningCode::SshHold
                && w.text.starts_with(
                    "capture: ssh tunnel: sshd held the server's data for a median of 16.2 ms"
                )),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn a_tls_run_drops_only_the_captures_only_tls_warning_by_its_code() {
        let capture = || RunResult {
            warnings: vec![
                // The text does not matter: a reworded one is still dropped, and another
                // warning that mentions TLS is kept.
                Warning::new(WarningCode::CaptureOnlyTls, "reworded"),
                Warning::new(WarningCode::CaptureOnlySsh, "only TLS, says this text"),
            ],
            ..RunResult::default()
        };
        let mut r = RunResult::default();
        r.config.tls = true;
        merge(&mut r, capture(), SourceStats::default());
        let codes: Vec<WarningCode> = r.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, [WarningCode::CaptureOnlySsh]);
        assert_eq!(r.warnings[0].text, "capture: only TLS, says this text");
        // A run without TLS keeps both: the capture's blindness is news to it.
        let mut r = RunResult::default();
        merge(&mut r, capture(), SourceStats::default());
        assert_eq!(r.warnings.len(), 2);
    }

    #[test]
    fn a_capture_that_dropped_packets_leaves_the_clients_timeline_in_place() {
        let series = |key: SeriesKey, bytes: Vec<u64>| crate::results::Series { key, bytes };
        let timeline = |unit: TimelineUnit, bytes: Vec<u64>| crate::results::Timeline {
            unit: Some(unit),
            bin_ms: 100,
            series: vec![series(SeriesKey::DISPLAY_DOWN, bytes)],
            ..Default::default()
        };
        let client = || {
            let mut r = RunResult::default();
            r.channels
                .push(channel(Channel::DISPLAY, "127.0.0.1:4000", None, 1000));
            r.timeline = timeline(TimelineUnit::Payload, vec![600, 400]);
            r
        };
        let capture = || RunResult {
            channels: vec![channel(Channel::DISPLAY, "127.0.0.1:4000", None, 700)],
            timeline: timeline(TimelineUnit::Wire, vec![600, 100]),
            capture: Some(Default::default()),
            ..RunResult::default()
        };
        // No drops: the wire timeline.
        let mut r = client();
        merge(&mut r, capture(), SourceStats::default());
        assert_eq!(r.timeline.unit, Some(TimelineUnit::Wire));
        // Drops: the client's, and the warning says so.
        let mut r = client();
        let stats = SourceStats {
            kernel_dropped: Some(12),
            ..Default::default()
        };
        merge(&mut r, capture(), stats);
        assert_eq!(r.timeline.unit, Some(TimelineUnit::Payload));
        assert_eq!(r.timeline.series[0].bytes, [600, 400]);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.code == WarningCode::KernelDropped
                    && w.text.contains("dropped 12 packets")
                    && w.text.contains("the client's own payload counts")),
            "{:?}",
            r.warnings
        );
    }
}
