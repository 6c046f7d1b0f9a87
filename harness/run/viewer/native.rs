//! spicebench's own client as the viewer: it links every channel, plays the plan over the
//! inputs channel from its paced thread and records every message on its own clock.

use tokio::sync::watch;

use super::{
    on_own_thread, with_input_progress, BoxFuture, CancelOnDrop, ProtocolReport, Viewer,
    ViewerContext, ViewerReport,
};
use crate::client::{ClientError, PointerStep, ScheduledStep, Session, SessionConfig};
use crate::plan::{InputAction, InputPlan};
use crate::results::{Warning, WarningCode};
use crate::run::progress::Progress;
use crate::run::RunError;

/// A linked session of our own client.
pub struct NativeViewer {
    session: Session,
    compression_note: Option<String>,
    realtime: Option<bool>,
}

impl NativeViewer {
    /// Links every channel through `ctx.endpoint`, asking for the target's compression
    /// preference when it has one.
    pub async fn connect(ctx: ViewerContext<'_>) -> Result<Self, RunError> {
        let config = SessionConfig {
            preferred_compression: ctx.target.preferred_compression().map(|c| c.wire_code()),
            preferred_video_codecs: ctx.target.preferred_video_codecs(),
            tls: ctx.target.tls(),
            connector: ctx.transport.viewer_connector(),
            ..SessionConfig::new(ctx.endpoint.to_string(), ctx.target.ticket().expose())
        };
        let session = Session::connect(&config, ctx.clock)
            .await
            .map_err(|e| explain_refusal(e, ctx.target.ticket().is_empty()))?;
        let compression_note = session.compression_note().map(str::to_string);
        Ok(Self {
            session,
            compression_note,
            realtime: None,
        })
    }

    /// The session (for the events log).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

/// A refused ticket when none was given means the scenario lacks a password source, not that
/// the password is wrong: say that instead.
fn explain_refusal(e: ClientError, no_ticket: bool) -> RunError {
    match e {
        ClientError::LinkRefused {
            error: crate::wire::link::LinkError::PermissionDenied,
            ..
        } if no_ticket => RunError::Viewer(
            "the server asks for a SPICE ticket (password) and the scenario gives none: add \
             password_env = \"VARIABLE\" or password_file = \"path\" to its [target]"
                .into(),
        ),
        e => e.into(),
    }
}

/// Converts the plan to timed pointer steps starting at `start_us`.
pub fn schedule(plan: &InputPlan, start_us: u64) -> Vec<ScheduledStep> {
    let mut held: u16 = 0;
    plan.events
        .iter()
        .map(|e| {
            let at_us = start_us + e.at.as_micros() as u64;
            let step = match e.action {
                InputAction::MoveTo { x, y, buttons } => PointerStep::MoveTo { x, y, buttons },
                InputAction::Press { button, .. } => {
                    held |= button.mask();
                    PointerStep::Press {
                        button: button.spice_code(),
                        buttons: held,
                    }
                }
                InputAction::Release { button, .. } => {
                    held &= !button.mask();
                    PointerStep::Release {
                        button: button.spice_code(),
                        buttons: held,
                    }
                }
                InputAction::Key { key, down: true } => PointerStep::KeyDown(key.down_code()),
                InputAction::Key { key, down: false } => PointerStep::KeyUp(key.up_code()),
            };
            ScheduledStep { at_us, step }
        })
        .collect()
}

impl Viewer for NativeViewer {
    fn play<'a>(
        &'a mut self,
        plan: &'a InputPlan,
        start_us: u64,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let steps = schedule(plan, start_us);
            let total = steps.len() as u64;
            let runner = self.session.script_runner();
            let thread_runner = runner.clone();
            let handle = on_own_thread("inputs", move || thread_runner.run(&steps));
            let mut guard = CancelOnDrop(Some(move || runner.cancel()));
            let recorder = self.session.recorder().clone();
            let report =
                with_input_progress(handle, progress, || recorder.inputs().len() as u64, total)
                    .await;
            guard.disarm();
            let r = report?;
            self.realtime = Some(r.realtime);
            r.error.map_or(Ok(()), Err)
        })
    }

    fn prefer(&mut self, preference: &crate::scenario::Preference) -> Result<u64, String> {
        use crate::scenario::Preference;
        match preference {
            Preference::Compression(c) => self.session.prefer_compression(c.wire_code()),
            Preference::VideoCodecs(list) => {
                let codes: Vec<u8> = list.codec_types().iter().map(|c| c.wire_code()).collect();
                self.session.prefer_video_codecs(&codes)
            }
        }
    }

    fn updates(&self) -> watch::Receiver<Option<u64>> {
        self.session.updates()
    }

    fn events(&self) -> crate::run::events_file::Appender {
        crate::run::events_file::protocol_appender(self.session.recorder().clone())
    }

    fn failure(&self) -> Option<String> {
        self.session.failure()
    }

    fn finish(self: Box<Self>) -> BoxFuture<'static, ViewerReport> {
        Box::pin(async move {
            let failure = self.session.failure();
            let mouse_mode = self.session.mouse_mode();
            let (vm_name, vm_uuid) = {
                let state = self.session.state();
                let s = state.borrow();
                (s.vm_name.clone(), s.vm_uuid.clone())
            };
            let server = self.session.server().to_string();
            let pacing = self.session.input_gate().pacing_stats();
            let log = self.session.close().await;
            ViewerReport {
                version: format!("spicebench {}", env!("CARGO_PKG_VERSION")),
                protocol: Some(ProtocolReport {
                    log,
                    server,
                    mouse_mode,
                    max_unacked_motion: pacing.max_unacked,
                    merged_motion: pacing.merged,
                    realtime: self.realtime,
                    vm_name,
                    vm_uuid,
                }),
                screen: None,
                notes: self
                    .compression_note
                    .into_iter()
                    .map(|n| Warning::new(WarningCode::CompressionNotApplied, n))
                    .collect(),
                failure,
            }
        })
    }
}
