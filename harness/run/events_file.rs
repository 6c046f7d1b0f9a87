//! The run's events log, `OUT/events/<config>.jsonl`, appended while the run goes (every
//! 250 ms and at the end), so a run that dies still leaves what it saw on disk.
//!
//! One JSON object per line, `t_us` = µs since the run's epoch:
//! `{"t_us":..,"kind":"message","channel":"display","dir":"down","type":304,"bytes":1234}`,
//! `{"kind":"input","t_us":<sent>,"scheduled_us":..,"type":112,"deferred":false,"x":..,"y":..,"buttons":..}`
//! (position inputs carry where they put the pointer),
//! `{"kind":"update","t_us":..,"type":304,"images":[[102,5120]],"area":[l,t,r,b],"probe":..}`
//! (image code, payload bytes; the box it changed; `probe`: the stamp colour when it paints
//! the probe square),
//! `{"kind":"channel","t_us":0,"channel":"display","id":0,"server":..,"client":..}`,
//! `{"kind":"note","t_us":..,"code":"..","text":".."}`; for remote-viewer (its inputs and screen):
//! `{"kind":"xinput","t_us":<sent>,"scheduled_us":..,"issued_us":..,"event":"motion","x":..,"y":..}`,
//! `{"kind":"damage","t_us":..,"x":..,"y":..,"width":..,"height":..}`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::client::events::Recorder;
use crate::wire::inputs::InputMessage;
use crate::xclient::{InjectedKind, ScreenRecorder};

/// Appends whatever is new since its last call: the one thing the events file needs from a
/// viewer.
pub type Appender = Box<dyn FnMut(&mut dyn Write) -> std::io::Result<()> + Send>;

/// The appender of our own client's event log.
pub fn protocol_appender(recorder: Recorder) -> Appender {
    let mut cursor = Cursor::default();
    Box::new(move |out| append(&recorder, &mut cursor, out))
}

/// The appender of remote-viewer's injected inputs and damage.
pub fn screen_appender(recorder: ScreenRecorder) -> Appender {
    let (mut inputs, mut damage) = (0usize, 0usize);
    Box::new(move |out| {
        let new_inputs = recorder.inputs().since(inputs);
        inputs += new_inputs.len();
        let new_damage = {
            let log = recorder.lock();
            let new = log.damage[damage..].to_vec();
            damage = log.damage.len();
            new
        };
        for i in &new_inputs {
            let (event, button) = match i.kind {
                InjectedKind::Motion => ("motion", None),
                InjectedKind::Press(b) => ("press", Some(b)),
                InjectedKind::Release(b) => ("release", Some(b)),
                InjectedKind::KeyPress(k) => ("key_down", Some(k)),
                InjectedKind::KeyRelease(k) => ("key_up", Some(k)),
            };
            let line = json!({"kind": "xinput", "t_us": i.sent_us, "scheduled_us": i.scheduled_us,
                "issued_us": i.issued_us, "event": event, "button": button, "x": i.x, "y": i.y});
            writeln!(out, "{line}")?;
        }
        for d in &new_damage {
            let line = json!({"kind": "damage", "t_us": d.at_us, "x": d.x, "y": d.y,
                "width": d.width, "height": d.height});
            writeln!(out, "{line}")?;
        }
        out.flush()
    })
}

/// How far into each list of the event log the file has been written.
#[derive(Debug, Default)]
struct Cursor {
    channels: usize,
    traffic: usize,
    inputs: usize,
    updates: usize,
    notes: usize,
}

/// Appends everything new in `recorder` to `out`. The lock is held only to copy what is new:
/// the channel readers and the input thread record through the same lock, and formatting JSON
/// under it would stall them.
fn append(recorder: &Recorder, cursor: &mut Cursor, out: &mut dyn Write) -> std::io::Result<()> {
    let inputs = recorder.inputs().since(cursor.inputs);
    let (channels, traffic, updates, notes) = {
        let log = recorder.lock();
        let new = (
            log.channels.clone(),
            log.traffic[cursor.traffic..].to_vec(),
            log.updates[cursor.updates..].to_vec(),
            log.notes[cursor.notes..].to_vec(),
        );
        *cursor = Cursor {
            channels: cursor.channels,
            traffic: log.traffic.len(),
            inputs: cursor.inputs + inputs.len(),
            updates: log.updates.len(),
            notes: log.notes.len(),
        };
        new
    };
    let names: Vec<String> = channels.iter().map(|c| c.channel_type.name()).collect();
    for c in &channels[cursor.channels..] {
        let line = json!({"kind": "channel", "t_us": 0, "channel": c.channel_type.name(),
            "id": c.channel_id, "server": c.server.to_string(), "client": c.local.to_string()});
        writeln!(out, "{line}")?;
    }
    cursor.channels = channels.len();
    for t in &traffic {
        let line = json!({"kind": "message", "t_us": t.at_us,
            "channel": names.get(t.channel).map_or("?", String::as_str),
            "dir": t.direction.as_str(), "type": t.msg_type, "bytes": t.bytes});
        writeln!(out, "{line}")?;
    }
    for i in &inputs {
        let mut line = json!({"kind": "input", "t_us": i.sent_us, "scheduled_us": i.scheduled_us,
            "issued_us": i.issued_us, "type": i.message.msg_type(), "deferred": i.deferred});
        if let InputMessage::Position { x, y, buttons, .. } = i.message {
            line["x"] = x.into();
            line["y"] = y.into();
            line["buttons"] = buttons.into();
        }
        writeln!(out, "{line}")?;
    }
    for u in &updates {
        let images: Vec<(u8, u64)> = u.images.iter().map(|i| (i.code, i.payload_bytes)).collect();
        let mut line =
            json!({"kind": "update", "t_us": u.at_us, "type": u.msg_type, "images": images});
        if let Some(a) = u.area {
            line["area"] = json!([a.left, a.top, a.right, a.bottom]);
        }
        if let Some(colour) = u.probe {
            line["probe"] = colour.into();
        }
        writeln!(out, "{line}")?;
    }
    for n in &notes {
        let note = json!({"kind": "note", "t_us": null, "code": n.code, "text": n.text});
        writeln!(out, "{note}")?;
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
    /// Starts writing what `appender` produces to `path` (created, truncated).
    pub fn start(mut appender: Appender, path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            loop {
                let done = tokio::select! {
                    _ = &mut stopped => true,
                    _ = tokio::time::sleep(Duration::from_millis(250)) => false,
                };
                appender(&mut file)?;
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
        rec.inputs().push(InputRecord {
            scheduled_us: 10,
            issued_us: 11,
            sent_us: 12,
            message: crate::wire::inputs::InputMessage::Position {
                x: 3,
                y: 4,
                buttons: 1,
                display_id: 0,
            },
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
