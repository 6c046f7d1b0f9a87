//! remote-viewer as the viewer: an Xvfb the size of the guest, remote-viewer full screen on
//! it (started where the transport says: here, or on the server side for ssh-x), the input
//! plan injected with XTest, and every change of its pixels timed with XDamage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{
    on_own_thread, with_input_progress, BoxFuture, CancelOnDrop, Viewer, ViewerContext,
    ViewerReport,
};
use crate::cancel::Cancel;
use crate::client::Clock;
use crate::lab::process::ManagedChild;
use crate::lab::remote_viewer::{self, connection_file, REMOTE_VIEWER, WINDOW_CLASS};
use crate::lab::xvfb::Xvfb;
use crate::lab::{LabHome, LabUser, Role, XDisplay};
use crate::plan::InputPlan;
use crate::results::{Component, Warning, WarningCode};
use crate::run::progress::Progress;
use crate::run::transport::ViewerProgram;
use crate::run::RunError;
use crate::scenario::{Geometry, ViewerSide};
use crate::xclient::damage::{DamageWatch, ProbeArea};
use crate::xclient::injector::{self, Mapping};
use crate::xclient::window::wait_for_window;
use crate::xclient::ScreenRecorder;

/// How long remote-viewer may take to open its window and draw the first screen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait for the first damage after the window appeared.
const FIRST_DAMAGE_WAIT: Duration = Duration::from_secs(5);

/// A running remote-viewer session on its own Xvfb.
pub struct RemoteViewer {
    // Drop order: the watcher, the viewer, the window manager, its folder, its X server.
    damage: DamageWatch,
    process: std::sync::Mutex<ManagedChild>,
    _wm: ManagedChild,
    _home: LabHome,
    xvfb: Xvfb,
    display: XDisplay,
    mapping: Mapping,
    clock: Clock,
    recorder: ScreenRecorder,
    cancel: Arc<AtomicBool>,
    version: String,
    log: std::path::PathBuf,
    /// What `process` is: remote-viewer itself ([`Component::Viewer`]) or, when the
    /// transport runs the viewer on the server's side, the ssh client that carries it.
    process_is: Component,
}

impl RemoteViewer {
    /// Starts Xvfb (the guest's size), its window manager and remote-viewer; waits until the
    /// main channel is open, the window covers the screen 1:1, and the first screen has been
    /// drawn (the display went quiet after the first damage).
    pub async fn connect(ctx: ViewerContext<'_>, cancel: &Cancel) -> Result<Self, RunError> {
        crate::lab::process::require(REMOTE_VIEWER)?;
        let tls_ca = match ctx.target.tls().map(|t| t.trust) {
            None => None,
            Some(crate::client::TlsTrust::CaPem(pem)) => Some(pem),
            Some(crate::client::TlsTrust::CaFile(path)) => {
                Some(std::fs::read_to_string(&path).map_err(|e| {
                    RunError::Viewer(format!(
                        "reading the CA file {} for remote-viewer: {e}",
                        path.display()
                    ))
                })?)
            }
            Some(crate::client::TlsTrust::InsecureSkipVerify) => {
                return Err(RunError::Viewer(
                    "remote-viewer cannot skip certificate checks: give the target's ca_file \
                     instead of insecure_skip_verify"
                        .into(),
                ))
            }
        };
        let guest = ctx.target.geometry().unwrap_or_default();
        let Geometry { width, height } = guest;
        let dir = ctx.lab_dir.join("viewer");
        let home = LabHome::create(LabUser::lookup(Role::Viewer)?, cancel)?;
        let user = home.user().clone();
        let xvfb = Xvfb::start(width, height, &dir, &home)?;
        let display = xvfb.display().clone();
        let wm = xvfb.start_window_manager(&home, &dir.join("evilwm.log"))?;
        let log = dir.join("remote-viewer.log");
        let program = ViewerProgram {
            name: "remote-viewer".into(),
            program: REMOTE_VIEWER.into(),
            args: remote_viewer::ARGS.iter().map(Into::into).collect(),
            connection: crate::secret::Secret::new(connection_file(
                &ctx.endpoint.host,
                ctx.endpoint.port,
                ctx.target.ticket().expose(),
                "spicebench",
                tls_ca.as_deref(),
            )),
            display: display.clone(),
            user,
            home: home.dir().to_path_buf(),
            log: log.clone(),
        };
        // A transport that runs the viewer on the server's side hands back its own client
        // (`ssh -X`), which carries the viewer's window: counted as that client.
        let process_is = match ctx.transport.route().kind().viewer_side() {
            ViewerSide::Client => Component::Viewer,
            ViewerSide::Server => Component::SshClient,
        };
        let mut process = ctx.transport.launch_viewer(&program)?;
        let cancel = cancel.clone();
        let (process, window) = tokio::task::spawn_blocking(move || {
            remote_viewer::wait_connected(&log, START_TIMEOUT, &cancel, || process.exited())?;
            let placed = wait_for_window(
                &display,
                WINDOW_CLASS,
                START_TIMEOUT,
                &cancel,
                |p| (p.x, p.y, p.width, p.height) == (0, 0, width, height),
                &log.display().to_string(),
            )
            .map_err(|e| RunError::Viewer(e.to_string()))?;
            Ok::<_, RunError>((process, placed))
        })
        .await
        .map_err(|e| RunError::Viewer(format!("waiting for remote-viewer: {e}")))??;
        let display = xvfb.display().clone();
        // Watch its pixels at once: what it draws from now on must not be missed.
        let recorder = ScreenRecorder::default();
        let mapping = Mapping::fit(
            window.x,
            window.y,
            (window.width, window.height),
            (width, height),
        );
        let damage = DamageWatch::start(
            &display,
            window.window,
            probe_area(&mapping, window.x, window.y),
            ctx.clock,
            recorder.clone(),
        )
        .map_err(|e| RunError::Viewer(e.to_string()))?;
        // remote-viewer drops the first pointer event after the pointer enters its window.
        injector::warm_up(&display, mapping, guest).map_err(RunError::Viewer)?;
        let mut viewer = Self {
            damage,
            process: std::sync::Mutex::new(process),
            _wm: wm,
            _home: home,
            xvfb,
            display,
            mapping,
            clock: ctx.clock,
            recorder,
            cancel: Arc::new(AtomicBool::new(false)),
            version: remote_viewer::version().unwrap_or_else(|| "remote-viewer".into()),
            log: dir.join("remote-viewer.log"),
            process_is,
        };
        viewer.wait_for_first_screen().await?;
        Ok(viewer)
    }

    /// The session is up once the window has been drawn into and then stayed quiet. A window
    /// that drew its first screen before the watcher started reports no damage at all: after
    /// [`FIRST_DAMAGE_WAIT`] that counts as drawn.
    async fn wait_for_first_screen(&mut self) -> Result<(), RunError> {
        let mut updates = self.damage.updates();
        // `wait_for` hands back a read guard of the watch: keep only whether it came, or the
        // damage thread could never publish again.
        let _ = tokio::time::timeout(FIRST_DAMAGE_WAIT, updates.wait_for(Option::is_some)).await;
        let now = self.clock.now_us();
        super::wait_for_quiet(self, self.clock, now, START_TIMEOUT).await;
        match self.failure() {
            Some(f) => Err(RunError::Viewer(f)),
            None => Ok(()),
        }
    }
}

/// Where the guest's probe square shows in the viewer's window at (`wx`, `wy`).
fn probe_area(mapping: &Mapping, wx: i32, wy: i32) -> Option<ProbeArea> {
    use crate::probe::stamp::{sample_point, SQUARE_ORIGIN, SQUARE_SIZE};
    let (px, py) = sample_point();
    let (cx, cy) = mapping.to_screen(px as u32, py as u32);
    let (ox, oy) = (SQUARE_ORIGIN.0 as u32, SQUARE_ORIGIN.1 as u32);
    let (l, t) = mapping.to_screen(ox, oy);
    let (r, b) = mapping.to_screen(ox + SQUARE_SIZE, oy + SQUARE_SIZE);
    Some(ProbeArea {
        centre: (i16::try_from(cx - wx).ok()?, i16::try_from(cy - wy).ok()?),
        square: (l - wx, t - wy, r - wx, b - wy),
    })
}

impl Viewer for RemoteViewer {
    fn processes(&self) -> Vec<(Component, u32)> {
        let process = self.process.lock().ok().and_then(|p| p.pid());
        [self.xvfb.pid(), self._wm.pid()]
            .into_iter()
            .flatten()
            .map(|p| (Component::Viewer, p))
            .chain(process.map(|p| (self.process_is, p)))
            .collect()
    }

    fn play<'a>(
        &'a mut self,
        plan: &'a InputPlan,
        start_us: u64,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (display, mapping, clock) = (self.display.clone(), self.mapping, self.clock);
            let (recorder, cancel) = (self.recorder.clone(), self.cancel.clone());
            let total = plan.events.len() as u64;
            let plan_copy = plan.clone();
            let thread = on_own_thread("xtest", move || {
                injector::play(
                    &display, mapping, &plan_copy, start_us, clock, &recorder, &cancel,
                )
            });
            let flag = self.cancel.clone();
            let mut guard = CancelOnDrop(Some(move || flag.store(true, Ordering::SeqCst)));
            let counter = self.recorder.clone();
            let r = with_input_progress(thread, progress, || counter.inputs().len() as u64, total)
                .await;
            guard.disarm();
            r?
        })
    }

    fn updates(&self) -> watch::Receiver<Option<u64>> {
        self.damage.updates()
    }

    fn events(&self) -> crate::run::events_file::Appender {
        crate::run::events_file::screen_appender(self.recorder.clone())
    }

    fn failure(&self) -> Option<String> {
        if let Some(status) = self
            .process
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .exited()
        {
            return Some(format!(
                "remote-viewer exited during the run ({status}); its log: {}",
                self.log.display()
            ));
        }
        self.damage.failure()
    }

    fn finish(mut self: Box<Self>) -> BoxFuture<'static, ViewerReport> {
        Box::pin(async move {
            let mut notes = Vec::new();
            let mut failure = self.failure();
            if let Some(why) = self.damage.stop() {
                failure.get_or_insert(why);
            }
            if !self.xvfb.is_running() {
                failure.get_or_insert("Xvfb exited during the run".into());
            }
            let screen = self.recorder.snapshot();
            if !screen.realtime_inputs {
                notes.push(Warning::new(
                    WarningCode::InputNotRealtime,
                    "the XTest input thread ran without SCHED_FIFO (needs root or \
                     CAP_SYS_NICE): pacing is less exact",
                ));
            }
            ViewerReport {
                version: self.version.clone(),
                protocol: None,
                screen: Some(screen),
                notes,
                failure,
            }
        })
    }
}
