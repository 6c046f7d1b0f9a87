//! Turns a finished [`Analyzer`] into a `spicebench.run/v2` result with wire numbers.
//! Pure: the same analyser state always gives the same result.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use super::accounting::{net_test_verdict, Tally};
use super::causal::{measure, LatencyEvidence, LatencyOutcome};
use super::flows::{dir_index, max_timeline_bins, Analyzer, Flow};
use super::interval::{measured, SessionTimes};
use super::rates::{mean_and_peak, rates};
use super::spice_stream::Resync;
use super::transport::Transport;
use crate::display_ledger::DisplayLedger;
use crate::probe::{Stamp, StampedInput};
use crate::results::{
    rfc3339, Attribution, CaptureInfo, Channel, ChannelStats, DirectionStats, IntervalSource,
    Latency, Leg, MeasuredInterval, NetworkStats, RunResult, Series, SeriesKey, ServerInfo,
    Timeline, TimelineUnit, TransportStats, Warning, WarningCode,
};
use crate::wire::names::Direction;
use crate::wire::ChannelType;

/// The channel a flow is in results: its SPICE channel, or its transport.
pub fn flow_channel(f: &Flow) -> Channel {
    match (&f.spice, f.transport) {
        (Some(s), _) => match (s.channel(), s.obs.guessed_channel) {
            (Some((t, _)), _) | (None, Some(t)) => Channel::Spice(t),
            (None, None) => Channel::Transport(Transport::Unknown),
        },
        (None, Some(t)) => Channel::Transport(t),
        (None, None) => Channel::Transport(Transport::Unknown),
    }
}

/// Capture holes per flow described one by one in the warnings; the rest are summed up.
const LISTED_RESYNCS: usize = 3;

/// Where the walk of a flow captured from its middle found its first message boundaries.
fn joined(f: &Flow) -> String {
    let Some(s) = &f.spice else {
        return String::new();
    };
    let parts: Vec<String> = s
        .obs
        .resyncs
        .iter()
        .filter(|r| r.gap == 0 && r.lost_at == 0)
        .map(|r| match r.regained_at {
            Some(at) => format!("{} at byte {at}", r.dir.as_str()),
            None => format!("{}: none found", r.dir.as_str()),
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn counted(f: &Flow) -> bool {
    f.counters.iter().any(|c| c.packets > 0)
}

/// Builds the result. `capture` describes the source; the scenario/config parts are left for
/// the caller to fill (a live run knows them; `spicebench analyze` does not).
pub fn capture_result(a: &Analyzer, capture: CaptureInfo) -> RunResult {
    let t0 = a.t0_ns.unwrap_or(0);
    let t_end = a.t_end_ns.max(t0);
    let mut r = RunResult {
        started_at: rfc3339(UNIX_EPOCH + Duration::from_nanos(t0)),
        duration_s: (t_end - t0) as f64 / 1e9,
        ..RunResult::default()
    };
    let flows: Vec<&Flow> = a.flows.iter().filter(|f| counted(f)).collect();

    let mut tally = Tally::default();
    let mut transports: BTreeMap<Transport, TransportStats> = BTreeMap::new();
    let mut spice_payload = 0u64;
    for f in &flows {
        let channel = flow_channel(f);
        let transport = f.transport.unwrap_or(Transport::Unknown);
        let guessed = f.spice.as_ref().and_then(|s| s.obs.guessed_channel);
        let (ctype, cid) = f
            .spice
            .as_ref()
            .and_then(|s| s.channel())
            .or(guessed.map(|t| (t, 0)))
            .map_or((0, 0), |(t, id)| (t.0, id));
        let msgs = |d: Direction| -> u64 {
            f.spice.as_ref().map_or(0, |s| {
                s.obs
                    .messages
                    .iter()
                    .filter(|((dir, _), _)| *dir == d)
                    .map(|(_, (c, _))| c)
                    .sum()
            })
        };
        let stats = |d: Direction| {
            let c = f.counters[dir_index(d)];
            DirectionStats {
                payload_bytes: c.payload_bytes,
                wire_bytes: Some(c.wire_bytes),
                messages: msgs(d),
                packets: Some(c.packets),
                retransmitted_bytes: Some(c.retransmitted_bytes),
            }
        };
        r.channels.push(ChannelStats {
            channel: channel.clone(),
            channel_type: ctype,
            channel_id: cid,
            server: f.server.to_string(),
            transport,
            client: Some(f.client.to_string()),
            leg: f.relay.then_some(Leg::Relay),
            attribution: guessed.map(|_| Attribution::Guessed),
            down: stats(Direction::Down),
            up: stats(Direction::Up),
        });
        let t = transports
            .entry(transport)
            .or_insert_with(|| TransportStats {
                transport,
                ..TransportStats::default()
            });
        t.flows += 1;
        t.down_wire_bytes += f.counters[1].wire_bytes;
        t.up_wire_bytes += f.counters[0].wire_bytes;
        t.payload_bytes += f.counters[0].payload_bytes + f.counters[1].payload_bytes;
        r.warnings.extend(flow_warnings(f, &channel));
        if f.relay {
            continue;
        }
        if let Some(s) = &f.spice {
            if transport == Transport::Spice {
                spice_payload += f.counters[0].payload_bytes + f.counters[1].payload_bytes;
            }
            for (&(d, ty), &counts) in &s.obs.messages {
                tally.messages(&channel, ChannelType(ctype), d, ty, counts);
            }
            for (&code, &counts) in &s.obs.images {
                tally.images(code, counts);
            }
            if ChannelType(ctype) == ChannelType::DISPLAY {
                // A display channel that sent nothing still has (no) heads and streams.
                let none = DisplayLedger::default();
                let ledger = s.obs.display.as_ref().unwrap_or(&none);
                tally.display(cid, Some(f.client.to_string()), ledger);
            }
            if let Some(w) = s.obs.ack_window {
                if s.channel().map(|(t, _)| t) == Some(ChannelType::DISPLAY) {
                    r.server.net_test = Some(net_test_verdict(w));
                }
            }
        }
    }
    if let Some(main) = flows.iter().filter(|f| !f.relay).find(|f| {
        f.spice
            .as_ref()
            .and_then(|s| s.channel())
            .is_some_and(|(t, _)| t == ChannelType::MAIN)
    }) {
        r.server = ServerInfo {
            address: main.server.to_string(),
            ..r.server
        };
    }
    let rows = tally.rows();
    (r.messages, r.images) = (rows.messages, rows.images);
    (r.displays, r.streams) = (rows.displays, rows.streams);
    r.transports = transports
        .into_values()
        .map(|mut t| {
            if t.transport == Transport::Ssh && spice_payload > 0 {
                t.overhead_ratio =
                    Some((t.down_wire_bytes + t.up_wire_bytes) as f64 / spice_payload as f64);
            }
            t
        })
        .collect();

    r.timeline = timeline(&flows, a.options().bin_ms, t0, t_end);
    r.timeline.anchor(UNIX_EPOCH + Duration::from_nanos(t0));
    let own = own_interval_ns(a, t_end);
    let (from, to) = own
        .or(a.options().fallback_measured_ns)
        .map_or((t0, t_end), |(from, to)| {
            (from.max(t0), to.max(from.max(t0)))
        });
    let relative_us = ((from - t0) / 1000, (to - t0) / 1000);
    r.rates = rates(&r.timeline, relative_us.0, relative_us.1);
    // Only an interval of the capture's own times is the capture's to state; a fallback is
    // the caller's, who states it.
    r.measured = own.map(|_| MeasuredInterval::from_us(relative_us, IntervalSource::Capture));
    r.network = network(&flows, a.options().bin_ms, t0, t_end, (from, to));
    r.latency = Latency::default();
    capture_latency(a).apply(&mut r.latency);
    if let Some((_, _, others)) = a.measured_session().filter(|(_, _, n)| *n > 0) {
        r.warnings.push(Warning::new(
            WarningCode::OtherSessions,
            format!(
                "{others} other SPICE sessions in the capture had inputs too; latency is that \
                 of the session with the most inputs"
            ),
        ));
    }
    r.warnings.extend(a.ssh_hold.summary().warning());
    if a.non_tcp > 0 {
        r.warnings.push(Warning::new(
            WarningCode::NonTcpFrames,
            format!(
                "{} frames were not TCP (or could not be decoded) and were skipped",
                a.non_tcp
            ),
        ));
    }
    let spice: Vec<&Flow> = a.flows.iter().filter(|f| f.spice.is_some()).collect();
    r.capture = Some(CaptureInfo {
        packets: a.packets,
        bytes: a.bytes,
        missing_bytes: spice.iter().map(|f| f.gap_bytes).sum(),
        unparsed_bytes: spice
            .iter()
            .flat_map(|f| f.spice.iter().flat_map(|s| &s.obs.resyncs))
            .map(|r| r.skipped)
            .sum(),
        ..capture
    });
    r
}

/// Latency of the capture's measured session by both methods, on packet times (µs since the
/// Unix epoch). The idle window runs from the display's MARK to the first input.
fn capture_latency(a: &Analyzer) -> LatencyOutcome {
    let Some((_, s, _)) = a.measured_session() else {
        return measure("capture", &LatencyEvidence::default());
    };
    let us = |ns: u64| ns / 1000;
    let (inputs, stamps) = inputs_and_stamps_us(s);
    let updates: Vec<u64> = s.updates.iter().map(|&t| us(t)).collect();
    let first_input = inputs.first().map(|i| i.sent);
    let idle = match (s.mark.map(us), first_input) {
        (Some(mark), Some(first)) if first > mark => Some((mark, first)),
        _ => None,
    };
    measure(
        "capture",
        &LatencyEvidence {
            inputs: &inputs,
            stamps: &stamps,
            updates: &updates,
            idle,
            min_rtt_us: a.min_handshake_rtt_ns().map(us),
            planned_end: None,
            // A capture alone does not say whether the target ran a probe.
            probe_expected: false,
        },
    )
}

/// What a network between viewer and server would carry: the SSH flows when there are any
/// (they carry everything else), else TLS, else the first-leg SPICE flows.
fn network(
    flows: &[&Flow],
    bin_ms: u32,
    t0: u64,
    t_end: u64,
    (from, to): (u64, u64),
) -> Option<NetworkStats> {
    let has = |t: Transport| flows.iter().any(|f| f.transport == Some(t));
    let outer = [Transport::Ssh, Transport::Tls, Transport::Spice]
        .into_iter()
        .find(|t| has(*t))?;
    let carried: Vec<&&Flow> = flows
        .iter()
        .filter(|f| f.transport == Some(outer) && !f.relay)
        .collect();
    let spice_payload: u64 = flows
        .iter()
        .filter(|f| f.transport == Some(Transport::Spice) && !f.relay)
        .map(|f| f.counters[0].payload_bytes + f.counters[1].payload_bytes)
        .sum();
    let bin_ns = u64::from(bin_ms.max(1)) * 1_000_000;
    let bins = (((t_end - t0) / bin_ns + 1) as usize).min(max_timeline_bins(bin_ms));
    let mut both = vec![0u64; bins];
    for f in &carried {
        for &(i, b) in f.bins.iter().flatten() {
            if let Some(slot) = both.get_mut(i as usize) {
                *slot += b;
            }
        }
    }
    let (mean_mib_s, peak_1s_mib_s) =
        mean_and_peak(&both, bin_ms, 0.0, (from - t0) / 1000, (to - t0) / 1000);
    let down: u64 = carried.iter().map(|f| f.counters[1].wire_bytes).sum();
    let up: u64 = carried.iter().map(|f| f.counters[0].wire_bytes).sum();
    Some(NetworkStats {
        transport: outer,
        flows: carried.len() as u64,
        down_wire_bytes: down,
        up_wire_bytes: up,
        mean_mib_s,
        peak_1s_mib_s,
        spice_payload_bytes: spice_payload,
        ratio_to_spice: (spice_payload > 0).then(|| (down + up) as f64 / spice_payload as f64),
    })
}

/// The measured interval ([`super::interval`]) of the capture's measured session, from its own
/// packet times, ns since the Unix epoch; `None` when the capture shows no input. The rule
/// runs on whole µs since the Unix epoch, as latency does, so the interval does not depend on
/// where the timeline starts.
fn own_interval_ns(a: &Analyzer, t_end: u64) -> Option<(u64, u64)> {
    let (_, s, _) = a.measured_session()?;
    let us = |ns: u64| ns / 1000;
    let (inputs, stamps) = inputs_and_stamps_us(s);
    // Every display update, probe frames included, as the client's log has them.
    let updates: Vec<u64> = s
        .updates
        .iter()
        .map(|&t| us(t))
        .chain(stamps.iter().map(|st| st.at))
        .collect();
    let m = measured(&SessionTimes {
        inputs: &inputs,
        stamps: &stamps,
        updates: &updates,
        end_us: us(t_end),
    });
    m.interval_us
        .map(|(from, to)| (from.saturating_mul(1000), to.saturating_mul(1000)))
}

/// A session's inputs and probe stamps on the µs clock the latency and interval rules use
/// (the capture keeps ns since the Unix epoch).
fn inputs_and_stamps_us(s: &super::flows::SessionEvidence) -> (Vec<StampedInput>, Vec<Stamp>) {
    let us = |ns: u64| ns / 1000;
    let inputs = s
        .inputs
        .iter()
        .map(|i| StampedInput {
            sent: us(i.sent),
            state: i.state,
        })
        .collect();
    let stamps = s
        .stamps
        .iter()
        .map(|st| Stamp {
            at: us(st.at),
            state: st.state,
        })
        .collect();
    (inputs, stamps)
}

fn timeline(flows: &[&Flow], bin_ms: u32, t0: u64, t_end: u64) -> Timeline {
    let bin_ns = u64::from(bin_ms.max(1)) * 1_000_000;
    let bins = (((t_end - t0) / bin_ns + 1) as usize).min(max_timeline_bins(bin_ms));
    // Keyed by the key's text: series are sorted by it (`Timeline::series`).
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for f in flows.iter().filter(|f| !f.relay) {
        let channel = flow_channel(f);
        for d in [Direction::Down, Direction::Up] {
            let src = &f.bins[dir_index(d)];
            if src.iter().all(|&(_, b)| b == 0) {
                continue;
            }
            let key = SeriesKey::new(channel.clone(), d);
            let dst = &mut series
                .entry(key.to_string())
                .or_insert_with(|| Series {
                    key,
                    bytes: vec![0; bins],
                })
                .bytes;
            for &(i, b) in src {
                if let Some(slot) = dst.get_mut(i as usize) {
                    *slot += b;
                }
            }
        }
    }
    Timeline {
        unit: Some(TimelineUnit::Wire),
        bin_ms: bin_ms.max(1),
        start: String::new(),
        start_offset_s: 0.0,
        series: series.into_values().collect(),
    }
}

/// What capture holes cost a flow's message walk: the first [`LISTED_RESYNCS`] one by one
/// (where each was lost and found), then one line that sums up the rest. An overloaded
/// capture loses hundreds of pieces; hundreds of lines would bury every other warning.
fn resync_warnings(id: &str, holes: &[&Resync]) -> Vec<Warning> {
    let resync = |text: String| Warning::new(WarningCode::MessageWalkResync, text);
    let (listed, rest) = holes.split_at(holes.len().min(LISTED_RESYNCS));
    let mut w: Vec<Warning> = listed
        .iter()
        .map(|r| {
            let found = match r.regained_at {
                Some(at) => format!(
                    "found the next message boundary at byte {at}, {} captured bytes later, \
                     and counted everything after it",
                    r.skipped
                ),
                None => format!(
                    "found no message boundary in the {} bytes that followed",
                    r.skipped
                ),
            };
            resync(format!(
                "{id}: {} bytes missing ({}) from stream byte {} cost the message walk its \
                 place; it {found}",
                r.gap,
                r.dir.as_str(),
                r.lost_at
            ))
        })
        .collect();
    if !rest.is_empty() {
        let missing: u64 = rest.iter().map(|r| r.gap).sum();
        let skipped: u64 = rest.iter().map(|r| r.skipped).sum();
        let lost = rest.iter().filter(|r| r.regained_at.is_none()).count();
        w.push(resync(format!(
            "{id}: {} more holes ({missing} bytes missing) cost the message walk its place; \
             it skipped {skipped} captured bytes in all to find the next message boundaries{}",
            rest.len(),
            if lost > 0 {
                format!(", and after {lost} of them found none")
            } else {
                String::new()
            }
        )));
    }
    w
}

fn flow_warnings(f: &Flow, channel: &Channel) -> Vec<Warning> {
    let id = format!("{channel} flow {} → {}", f.client, f.server);
    let mut w = Vec::new();
    let mut push = |code, text: String| w.push(Warning::new(code, text));
    let guessed = f.spice.as_ref().and_then(|s| s.obs.guessed_channel);
    match guessed {
        Some(channel) => push(
            WarningCode::FlowChannelGuessed,
            format!(
                "{id}: its start was not captured; its messages say it is a {} channel (a guess: \
             attribution \"{}\", channel id unknown), walked from the first message \
             boundary on{}; without its link message it belongs to no known session, so it \
             gives no latency samples",
                channel.name(),
                Attribution::Guessed,
                joined(f)
            ),
        ),
        None if !f.syn_seen => push(
            WarningCode::FlowStartMissing,
            format!(
                "{id}: its start was not captured; counted as `{}` without channel attribution",
                f.transport.unwrap_or(Transport::Unknown).as_str()
            ),
        ),
        None => {}
    }
    if f.gap_bytes > 0 {
        push(
            WarningCode::CaptureGap,
            format!("{id}: {} bytes missing from the capture", f.gap_bytes),
        );
    }
    let retransmitted: u64 = f.counters.iter().map(|c| c.retransmitted_bytes).sum();
    if retransmitted > 0 {
        // On loopback nothing is lost on a wire: the receiver's queue overflowed, which says
        // the machine was too busy while it was measuring.
        push(
            WarningCode::Retransmissions,
            format!(
            "{id}: {retransmitted} payload bytes were sent again (TCP retransmissions; in wire \
             bytes, not in payload bytes){}",
            if f.server.ip().is_loopback() {
                ": on loopback this means the machine was overloaded, and latency suffers"
            } else {
                ""
            }
        ),
        );
    }
    if let Some(s) = &f.spice {
        if let Some(d) = &s.obs.desync {
            push(
                WarningCode::MessageWalkStopped,
                format!("{id}: message walk stopped: {d}"),
            );
        }
        if let Some(e) = &s.obs.link_error {
            push(
                WarningCode::LinkRefused,
                format!("{id}: the server refused the link ({e})"),
            );
        }
        if let Some(o) = &s.obs.opaque {
            push(WarningCode::StreamOpaque, format!("{id}: {o}"));
        }
        // Records without missing bytes are where a mid-stream walk joined (see `joined`).
        let holes: Vec<&Resync> = s.obs.resyncs.iter().filter(|r| r.gap > 0).collect();
        for r in resync_warnings(&id, &holes) {
            push(r.code, r.text);
        }
        if s.obs.damaged_bodies > 0 {
            push(
                WarningCode::DamagedBodies,
                format!(
                    "{id}: {} messages lost part of their body to capture holes: counted, \
                     their images not read",
                    s.obs.damaged_bodies
                ),
            );
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hole(lost_at: u64, gap: u64, regained: Option<u64>, skipped: u64) -> Resync {
        Resync {
            dir: Direction::Down,
            lost_at,
            gap,
            regained_at: regained,
            skipped,
        }
    }

    #[test]
    fn three_holes_are_told_one_by_one_and_the_rest_summed() {
        let holes = [
            hole(100, 10, Some(150), 40),
            hole(1_000, 20, None, 5),
            hole(2_000, 30, Some(2_100), 70),
            hole(3_000, 40, Some(3_050), 10),
            hole(4_000, 50, None, 7),
        ];
        let refs: Vec<&Resync> = holes.iter().collect();
        let w = resync_warnings("capture: display flow a → b", &refs);
        assert_eq!(w.len(), 4, "{w:#?}");
        assert!(w.iter().all(|w| w.code == WarningCode::MessageWalkResync));
        assert_eq!(
            w[0].text,
            "capture: display flow a → b: 10 bytes missing (down) from stream byte 100 cost the \
             message walk its place; it found the next message boundary at byte 150, 40 \
             captured bytes later, and counted everything after it"
        );
        assert!(w[1]
            .text
            .ends_with("found no message boundary in the 5 bytes that followed"));
        assert_eq!(
            w[3].text,
            "capture: display flow a → b: 2 more holes (90 bytes missing) cost the message walk \
             its place; it skipped 17 captured bytes in all to find the next message \
             boundaries, and after 1 of them found none"
        );
        // Three or fewer: no summary line.
        assert_eq!(resync_warnings("f", &refs[..3]).len(), 3);
        assert!(resync_warnings("f", &[]).is_empty());
    }
}
