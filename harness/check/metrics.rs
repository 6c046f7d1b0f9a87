//! A result flattened into named numbers, so two results compare metric by metric and a
//! difference can be printed as "metric, expected, got".

use std::collections::BTreeMap;

use crate::results::{LatencyMethod, LatencySummary, RunResult, WarningCode};

/// Every number `check` compares, by a stable name.
pub fn metrics(r: &RunResult) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    let mut put = |k: String, v: f64| {
        m.insert(k, v);
    };
    for c in &r.channels {
        // The client port identifies a connection within one capture and is stable on replay.
        let id = format!(
            "channel {} {}→{}",
            c.channel,
            c.client.as_deref().unwrap_or("?"),
            c.server
        );
        for (dir, d) in [("down", &c.down), ("up", &c.up)] {
            put(format!("{id} {dir}.payload_bytes"), d.payload_bytes as f64);
            put(format!("{id} {dir}.messages"), d.messages as f64);
            if let Some(w) = d.wire_bytes {
                put(format!("{id} {dir}.wire_bytes"), w as f64);
            }
            if let Some(p) = d.packets {
                put(format!("{id} {dir}.packets"), p as f64);
            }
            if let Some(b) = d.retransmitted_bytes {
                put(format!("{id} {dir}.retransmitted_bytes"), b as f64);
            }
        }
    }
    if let Some(c) = &r.capture {
        put("capture missing_bytes".into(), c.missing_bytes as f64);
        put("capture unparsed_bytes".into(), c.unparsed_bytes as f64);
    }
    // A warning says a number should not be trusted: one that appears or goes away is a
    // change like any other. Compared by code and count, never by text: a reworded text is
    // no regression, and the numbers a text quotes are compared as metrics of their own.
    let mut per_code: BTreeMap<WarningCode, u64> = BTreeMap::new();
    for w in &r.warnings {
        *per_code.entry(w.code).or_default() += 1;
    }
    for (code, n) in per_code {
        put(format!("warning {code}.count"), n as f64);
    }
    for msg in &r.messages {
        let id = format!("message {}/{}/{}", msg.channel, msg.direction, msg.name);
        put(format!("{id}.count"), msg.count as f64);
        put(format!("{id}.bytes"), msg.bytes as f64);
    }
    for i in &r.images {
        put(format!("image {}.count", i.image_type), i.count as f64);
        put(format!("image {}.bytes", i.image_type), i.bytes as f64);
    }
    // Heads and streams: counts and bytes, exact like messages and images.
    for d in &r.displays {
        let id = format!(
            "display {} {}",
            d.channel_id,
            d.client.as_deref().unwrap_or("?")
        );
        put(format!("{id}.updates"), d.updates as f64);
        put(format!("{id}.update_bytes"), d.update_bytes as f64);
        put(
            format!("{id} unattributed.updates"),
            d.unattributed.updates as f64,
        );
        put(
            format!("{id} unattributed.bytes"),
            d.unattributed.bytes as f64,
        );
        for h in &d.heads {
            let head = format!(
                "{id} head {} {}x{}+{}+{}",
                h.id, h.width, h.height, h.x, h.y
            );
            put(format!("{head}.updates"), h.updates as f64);
            put(format!("{head}.bytes"), h.bytes as f64);
        }
    }
    if let Some(s) = &r.streams {
        for (name, v) in [
            ("created", s.created),
            ("destroyed", s.destroyed),
            ("flaps", s.flaps),
            ("frames", s.frames),
            ("frame_bytes", s.frame_bytes),
        ] {
            put(format!("streams {name}"), v as f64);
        }
        for c in &s.by_codec {
            for (name, v) in [
                ("streams", c.streams),
                ("frames", c.frames),
                ("bytes", c.bytes),
                ("data_bytes", c.data_bytes),
            ] {
                put(format!("stream codec {}.{name}", c.codec), v as f64);
            }
        }
    }
    for t in &r.transports {
        put(
            format!("transport {}.wire_bytes", t.transport),
            (t.down_wire_bytes + t.up_wire_bytes) as f64,
        );
        if let Some(ratio) = t.overhead_ratio {
            put(
                format!("rate transport {}.overhead_ratio", t.transport),
                ratio,
            );
        }
    }
    for rate in &r.rates {
        put(format!("rate {}.mean_mib_s", rate.key), rate.mean_mib_s);
        put(
            format!("rate {}.peak_1s_mib_s", rate.key),
            rate.peak_1s_mib_s,
        );
    }
    latency(
        &mut put,
        "latency input_to_display",
        &r.latency.input_to_display,
    );
    if let Some(c) = &r.latency.capture {
        latency(&mut put, "latency capture", c);
    }
    if let Some(f) = &r.latency.first_update_after {
        latency(&mut put, "latency first_update_after", f);
    }
    // Which method the headline used, and what the probe showed: exact, so a change to the
    // stamp reader or the matcher shows up as a regression.
    put(
        "probe headline".into(),
        f64::from(u8::from(
            r.latency.input_to_display.method == LatencyMethod::Probe,
        )),
    );
    if let Some(p) = &r.latency.probe {
        for (name, v) in [
            ("stamps", p.stamps),
            ("expected", p.expected),
            ("answered", p.answered),
            ("missing", p.missing),
            ("foreign_stamps", p.foreign_stamps),
        ] {
            put(format!("probe {name}"), v as f64);
        }
    }
    if let Some(s) = &r.latency.sanity {
        put("sanity idle_updates".into(), s.idle_updates as f64);
        put(
            "sanity impossible_samples".into(),
            s.impossible_samples as f64,
        );
    }
    m
}

fn latency(put: &mut dyn FnMut(String, f64), prefix: &str, l: &LatencySummary) {
    put(format!("{prefix}.count"), l.count as f64);
    for (name, v) in [
        ("p50_ms", l.p50_ms),
        ("p90_ms", l.p90_ms),
        ("p99_ms", l.p99_ms),
        ("p99_9_ms", l.p99_9_ms),
        ("max_ms", l.max_ms),
    ] {
        if let Some(v) = v {
            put(format!("{prefix}.{name}"), v);
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::results::{ChannelStats, DirectionStats, Rate};

    #[test]
    fn names_every_counted_number() {
        let mut r = RunResult::default();
        r.channels.push(ChannelStats {
            channel: crate::results::Channel::DISPLAY,
            client: Some("127.0.0.1:4000".into()),
            server: "127.0.0.1:5930".into(),
            down: DirectionStats {
                payload_bytes: 10,
                wire_bytes: Some(20),
                messages: 2,
                packets: Some(3),
                retransmitted_bytes: Some(4),
            },
            ..ChannelStats::default()
        });
        for text in [
            "flow a: 4 payload bytes were sent again",
            "flow b: 1 byte again",
        ] {
            r.warnings.push(crate::results::Warning::new(
                WarningCode::Retransmissions,
                text,
            ));
        }
        r.rates.push(Rate {
            key: crate::results::SeriesKey::DISPLAY_DOWN,
            mean_mib_s: 0.5,
            peak_1s_mib_s: 1.0,
        });
        r.latency.input_to_display.count = 7;
        r.latency.input_to_display.p50_ms = Some(1.5);
        r.displays.push(crate::results::DisplayHeads {
            client: Some("127.0.0.1:4000".into()),
            updates: 3,
            update_bytes: 300,
            heads: vec![crate::results::HeadStats {
                id: 1,
                x: 1920,
                width: 1920,
                height: 1200,
                updates: 2,
                bytes: 250,
                ..Default::default()
            }],
            ..Default::default()
        });
        r.streams = Some(crate::results::StreamStats {
            created: 1,
            by_codec: vec![crate::results::CodecStats {
                codec: "mjpeg".into(),
                code: 1,
                frames: 9,
                ..Default::default()
            }],
            ..Default::default()
        });
        let m = metrics(&r);
        assert_eq!(
            m["display 0 127.0.0.1:4000 head 1 1920x1200+1920+0.bytes"],
            250.0
        );
        assert_eq!(m["display 0 127.0.0.1:4000.update_bytes"], 300.0);
        assert_eq!(m["streams created"], 1.0);
        assert_eq!(m["stream codec mjpeg.frames"], 9.0);
        assert_eq!(
            m["channel display 127.0.0.1:4000→127.0.0.1:5930 down.wire_bytes"],
            20.0
        );
        assert_eq!(m["rate display/down.peak_1s_mib_s"], 1.0);
        assert_eq!(m["latency input_to_display.p50_ms"], 1.5);
        assert_eq!(m["latency input_to_display.count"], 7.0);
        assert!(!m.contains_key("latency input_to_display.p99_ms"));
        assert_eq!(
            m["channel display 127.0.0.1:4000→127.0.0.1:5930 down.retransmitted_bytes"],
            4.0
        );
        // Warnings by code and count; no metric names a warning's text.
        assert_eq!(m["warning retransmissions.count"], 2.0);
        assert!(!m.keys().any(|k| k.contains("sent again")));
    }
}
