//! The run's events log, `OUT/events/<config>.jsonl`, appended while the run goes (every
//! 250 ms and at the end), so a run that dies still leaves what it saw on disk.
//!
//! One JSON object per line, `t_us` = µs since the run's epoch:
//! `{"t_us":..,"kind":"message","channel":"display","dir":"down","type":304,"bytes":1234}`,
//! `{"kind":"input","t_us":<sent>,"scheduled_us":..,"type":112,"deferred":false}`,
//! `{"kind":"update","t_us":..,"type":304,"images":[[102,5120]]}` (image code, payload bytes),
//! `{"kind":"channel","t_us":0,"channel":"display","id":0,"server":..,"client":..}`,
//! `{"kind":"note","t_us":..,"text":".."}`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::client::events::Recorder;

/// How far into each list of the event log the file has been written.
#[derive(Debug, Default)]
struct Cursor {
    channels: usize,
    traffic: usize,
    inputs: usize,
    updates: usize,
    notes: usize,
}

/// Appends everything new in `recorder` to `out`.
fn append(recorder: &Recorder, cursor: &mut Cursor, out: &mut impl Write) -> std::io::Result<()> {
    let mut lines = Vec::new();
    {
        let log = recorder.lock();
        let names: Vec<String> = log.channels.iter().map(|c| c.channel_type.name()).collect();
        for c in &log.channels[cursor.channels..] {
            lines.push(
                json!({"kind": "channel", "t_us": 0, "channel": c.channel_type.name(),
                "id": c.channel_id, "server": c.server.to_string(), "client": c.local.to_string()}),
            );
        }
        for t in &log.traffic[cursor.traffic..] {
            lines.push(json!({"kind": "message", "t_us": t.at_us,
                "channel": names.get(t.channel).map_or("?", String::as_str),
                "dir": t.direction.as_str(), "type": t.msg_type, "bytes": t.bytes}));
        }
        for i in &log.inputs[cursor.inputs..] {
            lines.push(
                json!({"kind": "input", "t_us": i.sent_us, "scheduled_us": i.scheduled_us,
                "type": i.msg_type, "deferred": i.deferred}),
            );
        }
        for u in &log.updates[cursor.updates..] {
            let images: Vec<(u8, u64)> =
                u.images.iter().map(|i| (i.code, i.payload_bytes)).collect();
            lines.push(
                json!({"kind": "update", "t_us": u.at_us, "type": u.msg_type, "images": images}),
            );
        }
        for n in &log.notes[cursor.notes..] {
            lines.push(json!({"kind": "note", "t_us": null, "text": n}));
        }
        *cursor = Cursor {
            channels: log.channels.len(),
            traffic: log.traffic.len(),
            inputs: log.inputs.len(),
            updates: log.updates.len(),
            notes: log.notes.len(),
        };
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    out.flush()
}

/// A background task writing the events log; stop it with [`EventsFile::finish`].
pub struct EventsFile {
    path: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EventsFile {
    /// Starts writing `recorder`'s events to `path` (created, truncated).
    pub fn start(recorder: Recorder, path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut cursor = Cursor::default();
            loop {
                let done = tokio::select! {
                    _ = &mut stopped => true,
                    _ = tokio::time::sleep(Duration::from_millis(250)) => false,
                };
                append(&recorder, &mut cursor, &mut file)?;
                if done {
                    return Ok(());
                }
            }
        });
        Ok(Self {
            path: path.to_path_buf(),
            stop,
            task,
        })
    }

    /// Writes what is left and closes the file.
    pub async fn finish(self) -> std::io::Result<PathBuf> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(r) => r.map(|()| self.path),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::client::{InputRecord, TrafficRecord};
    use crate::wire::names::Direction;

    #[test]
    fn appends_only_what_is_new() {
        let rec = Recorder::default();
        let mut cursor = Cursor::default();
        let mut out = Vec::new();
        rec.traffic(TrafficRecord {
            at_us: 5,
            channel: 9,
            direction: Direction::Down,
            msg_type: 304,
            bytes: 100,
        });
        append(&rec, &mut cursor, &mut out).unwrap();
        rec.lock().inputs.push(InputRecord {
            scheduled_us: 10,
            sent_us: 12,
            msg_type: 112,
            deferred: false,
        });
        append(&rec, &mut cursor, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "message");
        assert_eq!(lines[0]["channel"], "?");
        assert_eq!(lines[1]["t_us"], 12);
    }
}
