//! Turns what a viewer recorded into a `spicebench.run/v2` result. Pure: no I/O, no clock.
//!
//! - [`summarize`]: our own client's protocol events (`source: "client"`): channels,
//!   messages, images, a payload timeline, input-to-display latency.
//! - [`summarize_screen`]: remote-viewer's injected inputs and screen damage: end-to-end
//!   latency (`source: "xdamage"`) and settle; its channels come from the capture.

use std::sync::Arc;

use super::switches::image_compression;
use crate::analyze::accounting::{net_test_verdict, Rows, Tally};
use crate::analyze::causal::{self, LatencyEvidence};
use crate::analyze::latency::nearest_rank;
use crate::analyze::{
    build_timeline, measured, rates, Measured, SessionTimes, TrafficSample, BIN_MS,
};
use crate::client::EventLog;
use crate::display_ledger::DisplayLedger;
use crate::probe::stamp::decode;
use crate::probe::{PointerModel, PointerState, Stamp, StampedInput};
use crate::results::{Burst, ChannelStats, DirectionStats, ImageStats, InputStats, Latency};
use crate::results::{Channel, SeriesKey, TimelineUnit, Transport};
use crate::results::{IntervalSource, MeasuredInterval, RunResult, Timeline, Warning, WarningCode};
use crate::scenario::Compression;
use crate::wire::names::Direction;
use crate::wire::ChannelType;
use crate::xclient::{InjectedKind, ScreenLog};

/// Run facts that are not in the event log.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// Bursts of the input plan, as absolute µs since the epoch: (start, end, events).
    pub bursts: Vec<(u64, u64, u64)>,
    /// End of data, µs since the epoch.
    pub end_us: u64,
    /// Most motion messages outstanding at once.
    pub max_unacked_motion: u64,
    /// Motion targets merged while motion-ack pacing held them back.
    pub merged_motion: u64,
    /// Compression name measured (for the "does the wire agree" check).
    pub compression: String,
    /// Whether the input thread ran under SCHED_FIFO.
    pub realtime: Option<bool>,
    /// The idle window before the first input, µs since the epoch.
    pub idle: Option<(u64, u64)>,
    /// Where the plan leaves the pointer.
    pub planned_end: Option<(u32, u32)>,
    /// Whether the target's desktop runs the probe.
    pub probe_expected: bool,
}

/// Below this many display bytes during the input, a run changed (almost) nothing on screen.
const QUIET_DISPLAY_BYTES: f64 = 16.0 * 1024.0;

/// Warnings for a run whose numbers describe nothing: no input, no latency sample, or hardly
/// any display traffic while the input played (over the result's measured interval).
pub fn activity_warnings(result: &RunResult) -> Vec<Warning> {
    let mut w = Vec::new();
    if result.inputs.sent == 0 {
        w.push(Warning::new(
            WarningCode::NoInput,
            "no input was sent: the run measured an idle session only",
        ));
        return w;
    }
    if result.headline_latency().count == 0 {
        w.push(Warning::new(
            WarningCode::NoLatencySamples,
            "no latency samples: no display update followed any input within 1 s, so the \
             input may not have reached the desktop or changed nothing on it",
        ));
    }
    // Without a display series the traffic is unknown (TLS seen only from outside), not zero.
    let display_mean = result
        .rates
        .iter()
        .find(|r| r.key == SeriesKey::DISPLAY_DOWN)
        .map(|r| r.mean_mib_s);
    if let (Some(display_mean), Some((from, to))) = (display_mean, result.measured.map(|m| m.us()))
    {
        let bytes =
            display_mean * crate::results::MIB as f64 * to.saturating_sub(from) as f64 / 1e6;
        if bytes < QUIET_DISPLAY_BYTES {
            w.push(Warning::new(
                WarningCode::QuietDisplay,
                format!(
                    "almost no display traffic while the input played ({bytes:.0} bytes): the \
                     input changed little or nothing on screen, so rates say little"
                ),
            ));
        }
    }
    w
}

/// Input pacing worse than this at the 99th percentile is reported: inputs then leave late
/// enough to shift latency samples by a visible amount.
pub const PACING_P99_LIMIT_US: f64 = 200.0;

/// Warnings about the input itself: pacing worse than [`PACING_P99_LIMIT_US`], inputs merged
/// while waiting for motion acks, and the latency warnings of [`causal::latency_warnings`].
pub fn input_warnings(result: &RunResult) -> Vec<Warning> {
    let mut w = Vec::new();
    let i = &result.inputs;
    if let Some(p99) = i.pacing_error_p99_us.filter(|&p| p > PACING_P99_LIMIT_US) {
        let realtime = match i.realtime {
            Some(false) => {
                " (the input thread did not get SCHED_FIFO: run as root or grant CAP_SYS_NICE)"
            }
            _ => "",
        };
        w.push(Warning::new(
            WarningCode::PacingDegraded,
            format!(
                "input pacing was degraded: 99 % of inputs left within {p99:.0} µs of their \
                 schedule, more than the {PACING_P99_LIMIT_US:.0} µs that keeps latency \
                 samples exact{realtime}"
            ),
        ));
    }
    if i.merged_motion > 0 {
        w.push(Warning::new(
            WarningCode::MotionMerged,
            format!(
                "{} planned pointer moves were merged into later ones while the server's \
                 motion acks were awaited: the server was slower than the plan's rate",
                i.merged_motion
            ),
        ));
    }
    w.extend(causal::latency_warnings(&result.latency));
    w
}

/// Bursts in results form.
fn bursts(facts: &RunFacts) -> Vec<Burst> {
    facts
        .bursts
        .iter()
        .map(|&(s, e, n)| Burst {
            start_s: s as f64 / 1e6,
            end_s: e as f64 / 1e6,
            events: n,
        })
        .collect()
}

/// Fills the viewer-side parts of `result` from a remote-viewer session's screen log:
/// inputs and their pacing, end-to-end latency, settle. Returns the measured interval.
pub fn summarize_screen(
    screen: &ScreenLog,
    facts: &RunFacts,
    result: &mut RunResult,
) -> Option<(u64, u64)> {
    let damage: Vec<u64> = screen.damage.iter().map(|d| d.at_us).collect();
    let (inputs, stamps, others) = screen_evidence(screen);
    let Measured {
        settle_us,
        interval_us: interval,
    } = measured(&SessionTimes {
        inputs: &inputs,
        stamps: &stamps,
        updates: &damage,
        end_us: facts.end_us,
    });
    causal::measure(
        "xdamage",
        &LatencyEvidence {
            inputs: &inputs,
            stamps: &stamps,
            updates: &others,
            idle: facts.idle,
            min_rtt_us: None,
            planned_end: facts.planned_end,
            probe_expected: facts.probe_expected,
        },
    )
    .apply_end_to_end(&mut result.latency);
    result.latency.settle_ms = settle_us.map(|s| s as f64 / 1000.0);
    let mut errors: Vec<u64> = screen
        .inputs
        .iter()
        .map(|i| i.issued_us.saturating_sub(i.scheduled_us))
        .collect();
    errors.sort_unstable();
    let pct = |per_mille: u64| nearest_rank(&errors, per_mille).map(|v| v as f64);
    result.inputs = InputStats {
        sent: screen.inputs.len() as u64,
        motion: screen
            .inputs
            .iter()
            .filter(|i| i.kind == InjectedKind::Motion)
            .count() as u64,
        motion_acks: 0,
        max_unacked_motion: 0,
        pacing_error_p50_us: pct(500),
        pacing_error_p99_us: pct(990),
        realtime: Some(screen.realtime_inputs),
        merged_motion: 0,
    };
    result.bursts = bursts(facts);
    result.duration_s = facts.end_us as f64 / 1e6;
    result.measured = interval.map(|i| MeasuredInterval::from_us(i, IntervalSource::Xdamage));
    interval
}

/// Fills the measured parts of `result` from `log`. Returns the measured interval (first input
/// → end of settle, µs since the epoch) that rates are averaged over, if there were inputs.
pub fn summarize(log: &EventLog, facts: &RunFacts, result: &mut RunResult) -> Option<(u64, u64)> {
    let names: Vec<Channel> = log
        .channels
        .iter()
        .map(|c| Channel::Spice(c.channel_type))
        .collect();
    result.channels = channel_stats(log, &names);
    let rows = tally(log, &names);
    (result.messages, result.images) = (rows.messages, rows.images);
    (result.displays, result.streams) = (rows.displays, rows.streams);

    let keys: Vec<[Arc<SeriesKey>; 2]> = names
        .iter()
        .map(|n| {
            [
                Arc::new(SeriesKey::new(n.clone(), Direction::Down)),
                Arc::new(SeriesKey::new(n.clone(), Direction::Up)),
            ]
        })
        .collect();
    let samples: Vec<TrafficSample> = log
        .traffic
        .iter()
        .filter_map(|t| {
            let k = keys.get(t.channel)?;
            Some(TrafficSample {
                at_us: t.at_us,
                key: k[(t.direction == Direction::Up) as usize].clone(),
                bytes: t.bytes,
            })
        })
        .collect();
    let mut timeline: Timeline = build_timeline(&samples, 0, facts.end_us.max(1), BIN_MS);
    timeline.start_offset_s = 0.0;
    timeline.unit = Some(TimelineUnit::Payload);

    // An input's time is when the client began writing it (InputRecord::issued_us).
    let updates: Vec<u64> = log.updates.iter().map(|u| u.at_us).collect();
    let (inputs, stamps, others) = latency_evidence(log);
    let Measured {
        settle_us,
        interval_us: interval,
    } = measured(&SessionTimes {
        inputs: &inputs,
        stamps: &stamps,
        updates: &updates,
        end_us: facts.end_us,
    });
    result.rates = match interval {
        Some((from, to)) => rates(&timeline, from, to),
        None => Vec::new(),
    };
    result.measured = interval.map(|i| MeasuredInterval::from_us(i, IntervalSource::Client));
    result.timeline = timeline;
    result.latency = Latency {
        settle_ms: settle_us.map(|s| s as f64 / 1000.0),
        ..Latency::default()
    };
    causal::measure(
        "client",
        &LatencyEvidence {
            inputs: &inputs,
            stamps: &stamps,
            updates: &others,
            idle: facts.idle,
            min_rtt_us: log.min_rtt_us,
            planned_end: facts.planned_end,
            probe_expected: facts.probe_expected,
        },
    )
    .apply(&mut result.latency);
    result.bursts = bursts(facts);
    result.inputs = input_stats(log, facts);
    result
        .warnings
        .extend(compression_warnings(&facts.compression, &result.images));
    if let Some(verdict) = display_verdict(log) {
        result.server.net_test = Some(verdict);
    }
    result.duration_s = facts.end_us as f64 / 1e6;
    interval
}

/// remote-viewer's injected inputs with the stamps they should cause (guest coordinates), the
/// probe square's changes in its window, and the other damage reports' times.
fn screen_evidence(screen: &ScreenLog) -> (Vec<StampedInput>, Vec<Stamp>, Vec<u64>) {
    let mut held = 0u32;
    let inputs = screen
        .inputs
        .iter()
        .map(|i| {
            match i.kind {
                InjectedKind::Press(_) => held += 1,
                InjectedKind::Release(_) => held = held.saturating_sub(1),
                InjectedKind::Motion | InjectedKind::KeyPress(_) | InjectedKind::KeyRelease(_) => {}
            }
            StampedInput {
                sent: i.issued_us,
                state: Some(PointerState {
                    x: i.guest.0,
                    y: i.guest.1,
                    pressed: held > 0,
                }),
            }
        })
        .collect();
    let stamps = screen
        .stamps
        .iter()
        .map(|s| Stamp {
            at: s.at_us,
            state: decode(s.colour),
        })
        .collect();
    let others = screen
        .damage
        .iter()
        .filter(|d| !d.probe_only)
        .map(|d| d.at_us)
        .collect();
    (inputs, stamps, others)
}

/// The client's inputs with the stamps they should cause, the probe frames, and the other
/// display updates' times (what [`causal::measure`] takes).
pub fn latency_evidence(log: &EventLog) -> (Vec<StampedInput>, Vec<Stamp>, Vec<u64>) {
    let mut model = PointerModel::default();
    let inputs = log
        .inputs
        .iter()
        .map(|i| StampedInput {
            sent: i.issued_us,
            state: model.apply(&i.message),
        })
        .collect();
    let stamps = log
        .updates
        .iter()
        .filter_map(|u| {
            u.probe.map(|colour| Stamp {
                at: u.at_us,
                state: decode(colour),
            })
        })
        .collect();
    let others = log
        .updates
        .iter()
        .filter(|u| u.probe.is_none())
        .map(|u| u.at_us)
        .collect();
    (inputs, stamps, others)
}

fn channel_stats(log: &EventLog, names: &[Channel]) -> Vec<ChannelStats> {
    log.channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (link_down, link_up) = log.link_bytes.get(i).copied().unwrap_or_default();
            let mut down = DirectionStats {
                payload_bytes: link_down,
                wire_bytes: None,
                messages: 0,
                packets: None,
                retransmitted_bytes: None,
            };
            let mut up = DirectionStats {
                payload_bytes: link_up,
                wire_bytes: None,
                messages: 0,
                packets: None,
                retransmitted_bytes: None,
            };
            for t in log.traffic.iter().filter(|t| t.channel == i) {
                let d = if t.direction == Direction::Down {
                    &mut down
                } else {
                    &mut up
                };
                d.payload_bytes += t.bytes;
                d.messages += 1;
            }
            ChannelStats {
                channel: names[i].clone(),
                channel_type: c.channel_type.0,
                channel_id: c.channel_id,
                server: c.server.to_string(),
                transport: Transport::Spice,
                client: Some(c.local.to_string()),
                leg: None,
                attribution: None,
                down,
                up,
            }
        })
        .collect()
}

/// The client's messages, images, heads and streams, grouped as the capture analysis groups
/// its own.
fn tally(log: &EventLog, names: &[Channel]) -> Rows {
    let mut tally = Tally::default();
    for t in &log.traffic {
        let ct = log.channels[t.channel].channel_type;
        tally.messages(&names[t.channel], ct, t.direction, t.msg_type, (1, t.bytes));
    }
    for img in log.updates.iter().flat_map(|u| &u.images) {
        tally.images(img.code, (1, img.payload_bytes));
    }
    let none = DisplayLedger::default();
    for (i, c) in log.channels.iter().enumerate() {
        if c.channel_type == ChannelType::DISPLAY {
            let ledger = log.displays.get(&i).unwrap_or(&none);
            tally.display(c.channel_id, Some(c.local.to_string()), ledger);
        }
    }
    tally.rows()
}

fn input_stats(log: &EventLog, facts: &RunFacts) -> InputStats {
    let motion = log.inputs.iter().filter(|i| i.message.is_motion()).count() as u64;
    let errors = pacing_errors_us(log);
    let pct = |per_mille: u64| nearest_rank(&errors, per_mille).map(|v| v as f64);
    InputStats {
        sent: log.inputs.len() as u64,
        motion,
        motion_acks: log.motion_acks.len() as u64,
        max_unacked_motion: facts.max_unacked_motion,
        pacing_error_p50_us: pct(500),
        pacing_error_p99_us: pct(990),
        realtime: facts.realtime,
        merged_motion: facts.merged_motion,
    }
}

/// How late each input left compared with its schedule (µs, sorted), for the inputs sent at
/// their own slot (those held back by motion-ack pacing are not pacing samples).
pub fn pacing_errors_us(log: &EventLog) -> Vec<u64> {
    let mut errors: Vec<u64> = log
        .inputs
        .iter()
        .filter(|i| !i.deferred)
        .map(|i| i.issued_us.saturating_sub(i.scheduled_us))
        .collect();
    errors.sort_unstable();
    errors
}

/// Flags a run whose wire shows none of the codec it is labelled with (DESIGN.md).
pub fn compression_warnings(compression: &str, images: &[ImageStats]) -> Vec<Warning> {
    let has = |codes: &[u8]| {
        images
            .iter()
            .any(|i| codes.contains(&i.code) && i.count > 0)
    };
    // A label that names no compression (a capture analysed alone: "unknown") claims nothing.
    let Ok(labelled) = compression.parse::<Compression>() else {
        return Vec::new();
    };
    let expected: Vec<u8> = image_compression(labelled)
        .signature()
        .iter()
        .map(|t| t.code())
        .collect();
    if images.is_empty() || has(&expected) {
        return Vec::new();
    }
    vec![Warning::new(
        WarningCode::CompressionNotSeen,
        format!(
            "labelled `{}` but no image of that codec was seen on the wire (types seen: {})",
            compression,
            images
                .iter()
                .map(|i| i.image_type.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )]
}

/// The display channel's ack window reveals the server's net-test verdict (§4.3).
fn display_verdict(log: &EventLog) -> Option<String> {
    let (_, window) = log.ack_windows.iter().find(|(ch, _)| {
        log.channels
            .get(*ch)
            .is_some_and(|c| c.channel_type == crate::wire::ChannelType::DISPLAY)
    })?;
    Some(net_test_verdict(*window))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::client::events::ChannelInfo;
    use crate::client::{InputRecord, TrafficRecord, UpdateRecord};
    use crate::wire::display::ImageInfo;
    use crate::wire::ChannelType;

    fn log() -> EventLog {
        let addr = "127.0.0.1:5930".parse().unwrap();
        let mut log = EventLog::default();
        for t in [ChannelType::MAIN, ChannelType::DISPLAY, ChannelType::INPUTS] {
            log.channels.push(ChannelInfo {
                channel_type: t,
                channel_id: 0,
                server: addr,
                local: addr,
            });
            log.link_bytes.push((206, 174));
        }
        log.ack_windows.push((1, 20));
        for (at, bytes) in [
            (100_000u64, 1000u64),
            (1_050_000, 2_000),
            (1_100_000, 3_000),
        ] {
            log.traffic.push(TrafficRecord {
                at_us: at,
                channel: 1,
                direction: Direction::Down,
                msg_type: 304,
                bytes,
            });
            log.updates.push(UpdateRecord {
                at_us: at,
                msg_type: 304,
                surface_id: Some(0),
                area: None,
                images: vec![ImageInfo {
                    code: 102,
                    width: 1,
                    height: 1,
                    payload_bytes: bytes - 100,
                }],
                stream_bytes: 0,
                probe: None,
            });
        }
        for (s, at) in [(1_000_000u64, 1_000_050u64), (1_090_000, 1_090_100)] {
            log.inputs.push(InputRecord {
                scheduled_us: s,
                issued_us: at - 10,
                sent_us: at,
                message: crate::wire::inputs::InputMessage::Position {
                    x: 10,
                    y: 10,
                    buttons: 0,
                    display_id: 0,
                },
                deferred: false,
            });
            log.traffic.push(TrafficRecord {
                at_us: at,
                channel: 2,
                direction: Direction::Up,
                msg_type: 112,
                bytes: 17,
            });
        }
        log
    }

    #[test]
    fn heads_and_streams_follow_the_rule_the_capture_analysis_uses() {
        use crate::analyze::spice_stream::SpiceStream;
        use crate::client::events::Recorder;
        use crate::wire::{Framer, HeaderKind};
        // The real display stream of the sample capture, read by our client's recorder and by
        // the capture observer: the same heads, updates and bytes.
        let read = |n: &str| {
            std::fs::read(format!(
                "{}/tests/data/streams/{n}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let (c2s, s2c) = (read("display.c2s"), read("display.s2c"));
        let recorder = Recorder::default();
        let addr = "127.0.0.1:5930".parse().unwrap();
        let info = ChannelInfo {
            channel_type: ChannelType::DISPLAY,
            channel_id: 0,
            server: addr,
            local: addr,
        };
        let index = recorder.add_channel(info, 0, 0);
        let mut framer = Framer::new(HeaderKind::Mini);
        framer.push(&s2c[16 + 186 + 4..]);
        while let Some(m) = framer.pop().unwrap() {
            let bytes = m.stream_len(HeaderKind::Mini) as u64;
            recorder.display_message(index, 0, m.msg_type(), &m.body, bytes);
        }
        let mut r = RunResult::default();
        summarize(&recorder.snapshot(), &RunFacts::default(), &mut r);

        let mut observer = SpiceStream::default();
        observer.feed(Direction::Up, 0, &c2s, &mut |_| {});
        observer.feed(Direction::Down, 1, &s2c, &mut |_| {});
        let ledger = observer.obs.display.as_ref().unwrap();
        assert_eq!(r.displays, vec![ledger.heads(0, Some(addr.to_string()))]);
        let d = &r.displays[0];
        assert!(d.announced, "remote-viewer's session had MONITORS_CONFIG");
        assert_eq!(
            (d.heads.len(), d.heads[0].width, d.heads[0].height),
            (1, 1024, 768)
        );
        assert_eq!(d.heads[0].bytes + d.unattributed.bytes, d.update_bytes);
        assert!(d.updates > 0);
        assert_eq!(r.streams, Some(crate::results::StreamStats::default()));
    }

    #[test]
    fn summarizes_bytes_messages_images_and_latency() {
        let facts = RunFacts {
            bursts: vec![(1_000_000, 1_090_000, 2)],
            end_us: 2_000_000,
            max_unacked_motion: 2,
            compression: "glz".into(),
            realtime: Some(true),
            ..RunFacts::default()
        };
        let mut r = RunResult::default();
        summarize(&log(), &facts, &mut r);
        let display = &r.channels[1];
        assert_eq!(display.channel, Channel::DISPLAY);
        assert_eq!(display.down.payload_bytes, 206 + 6000);
        assert_eq!(display.down.messages, 3);
        assert_eq!(r.channels[2].up.payload_bytes, 174 + 34);
        let draw = r.messages.iter().find(|m| m.msg_type == 304).unwrap();
        assert_eq!(
            (draw.name.as_str(), draw.count, draw.bytes),
            ("DRAW_COPY", 3, 6000)
        );
        assert_eq!(r.images.len(), 1);
        assert_eq!(
            (r.images[0].image_type.as_str(), r.images[0].bytes),
            ("GLZ_RGB", 5700)
        );
        // Inputs count from when their write began (10 µs before it returned here): issued
        // at 1.000040 s → update at 1.050 s; issued at 1.090090 s → update at 1.1 s.
        assert_eq!(r.latency.input_to_display.count, 2);
        assert_eq!(r.latency.input_to_display.max_ms, Some(49.96));
        assert_eq!(r.latency.input_to_display.p50_ms, Some(9.91));
        // Last input 1.09009 s, last update 1.1 s, quiet afterwards.
        assert_eq!(r.latency.settle_ms, Some(9.91));
        // Pacing error too: 1.090090 − 1.090000 s.
        assert_eq!(r.inputs.pacing_error_p99_us, Some(90.0));
        assert_eq!(r.bursts[0].events, 2);
        assert_eq!(r.timeline.bins(), 20);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(
            r.server.net_test.as_deref(),
            Some("high-bandwidth (display ack window 20)")
        );
    }

    #[test]
    fn a_run_that_measured_nothing_says_so() {
        let mut r = RunResult::default();
        assert_eq!(activity_warnings(&r)[0].code, WarningCode::NoInput);
        r.inputs.sent = 10;
        r.rates.push(crate::results::Rate {
            key: SeriesKey::DISPLAY_DOWN,
            mean_mib_s: 0.001,
            peak_1s_mib_s: 0.001,
        });
        // 0.001 MiB/s for 2 s is about 2 KiB: almost nothing; and no latency sample.
        r.measured = Some(MeasuredInterval::from_us(
            (1_000_000, 3_000_000),
            IntervalSource::Client,
        ));
        let w = activity_warnings(&r);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].code, WarningCode::NoLatencySamples);
        assert_eq!(w[1].code, WarningCode::QuietDisplay);
        assert!(w[1].text.contains("2097 bytes"), "{w:?}");
        // A busy run with samples is quiet.
        r.rates[0].mean_mib_s = 1.0;
        r.latency.input_to_display.count = 5;
        assert!(activity_warnings(&r).is_empty());
    }

    #[test]
    fn the_label_check_reads_the_wires_one_table() {
        let image = |code: u8| ImageStats {
            image_type: crate::wire::names::image_type_name(code)
                .unwrap_or("?")
                .into(),
            code,
            count: 3,
            bytes: 100,
        };
        let alpha = [image(crate::wire::display::image_type::JPEG_ALPHA)];
        // JPEG with alpha is QUIC's (with the WAN knobs): not a wrong label.
        assert!(compression_warnings("quic", &alpha).is_empty());
        // ... but it does not show GLZ in force under auto_glz, and no label is no claim.
        assert_eq!(compression_warnings("auto_glz", &alpha).len(), 1);
        assert!(compression_warnings("unknown", &alpha).is_empty());
    }

    #[test]
    fn flags_a_label_the_wire_does_not_show() {
        let facts = RunFacts {
            end_us: 2_000_000,
            compression: "off".into(),
            ..Default::default()
        };
        let mut r = RunResult::default();
        summarize(&log(), &facts, &mut r);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].code, WarningCode::CompressionNotSeen);
        assert!(r.warnings[0].text.contains("GLZ_RGB"), "{:?}", r.warnings);
    }
}
