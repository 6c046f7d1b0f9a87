//! Children that are always stopped: by PID, SIGTERM first, SIGKILL after a grace period.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::lab_user::LabUser;
use super::LabError;

/// A started process that is stopped when this value is dropped.
#[derive(Debug)]
pub struct ManagedChild {
    name: String,
    child: Option<Child>,
    log: PathBuf,
    leftovers: Option<Leftovers>,
}

/// Files a program leaves where it should not, removed once it has stopped: the entries of
/// `dir` whose names start with `prefix` and that `uid` owns (LibreOffice's IPC pipe in
/// `/tmp`, which ignores TMPDIR and stays behind when soffice is stopped by a signal).
#[derive(Debug, Clone)]
pub struct Leftovers {
    /// Where they are.
    pub dir: PathBuf,
    /// How their names start.
    pub prefix: String,
    /// Who owns them: only the lab's own account, so nothing of anyone else's is touched.
    pub uid: u32,
}

impl Leftovers {
    fn remove(&self) {
        use std::os::unix::fs::MetadataExt;
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let named = e
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&self.prefix));
            let owned = std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.uid() == self.uid);
            if named && owned {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl ManagedChild {
    /// Starts `cmd` in its own session, with stdout and stderr appended to `log`, and with the
    /// kernel told to SIGTERM it if spicebench dies first.
    pub fn spawn(name: &str, cmd: Command, log: &Path) -> Result<Self, LabError> {
        Self::spawn_as(name, cmd, log, None)
    }

    /// [`ManagedChild::spawn`], running as `user` (no supplementary groups) when given.
    pub fn spawn_as(
        name: &str,
        cmd: Command,
        log: &Path,
        user: Option<&LabUser>,
    ) -> Result<Self, LabError> {
        Self::spawn_full(name, cmd, log, user, None)
    }

    /// [`ManagedChild::spawn`] with `input` on the child's stdin (then end of file): how a
    /// secret reaches a program without a command line or a file on a remote host. `input`
    /// must fit a pipe buffer (64 KiB), which a connection file does by far.
    pub fn spawn_with_input(
        name: &str,
        cmd: Command,
        log: &Path,
        user: Option<&LabUser>,
        input: &[u8],
    ) -> Result<Self, LabError> {
        Self::spawn_full(name, cmd, log, user, Some(input))
    }

    fn spawn_full(
        name: &str,
        mut cmd: Command,
        log: &Path,
        user: Option<&LabUser>,
        input: Option<&[u8]>,
    ) -> Result<Self, LabError> {
        let io = |source| LabError::Io {
            context: format!("creating {}", log.display()),
            source,
        };
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(io)?;
        let err = out.try_clone().map_err(io)?;
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(out)
        .stderr(err);
        // SAFETY: setsid is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        if let Some(u) = user {
            run_as(&mut cmd, u);
        }
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: prctl, getppid and raise are async-signal-safe and touch only the child.
        // pre_exec hooks run in order, so this one follows the uid change, which would clear
        // it. A parent that died before the prctl will never send the signal: stop now.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                if libc::getppid() != parent {
                    libc::raise(libc::SIGTERM);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|source| {
            // SAFETY: geteuid has no preconditions.
            let root = unsafe { libc::geteuid() } == 0;
            if let (Some(u), std::io::ErrorKind::PermissionDenied, false) =
                (user, source.kind(), root)
            {
                return LabError::SwitchUser {
                    program: name.to_string(),
                    user: u.name.clone(),
                    detail: source.to_string(),
                };
            }
            if source.kind() == std::io::ErrorKind::NotFound {
                LabError::Missing {
                    program: name.to_string(),
                    package: package_for(name).to_string(),
                }
            } else {
                LabError::Spawn {
                    program: name.to_string(),
                    source,
                }
            }
        })?;
        let stdin = child.stdin.take();
        let managed = Self {
            name: name.to_string(),
            child: Some(child),
            log: log.to_path_buf(),
            leftovers: None,
        };
        if let (Some(bytes), Some(mut stdin)) = (input, stdin) {
            use std::io::Write;
            // Dropping stdin afterwards gives the child its end of file. A child that did not
            // read it would wait for input forever: that is an error, and `managed` stops it.
            stdin.write_all(bytes).map_err(|source| LabError::Io {
                context: format!("handing `{name}` its input on stdin"),
                source,
            })?;
        }
        Ok(managed)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The exit status if the process has ended.
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// Waits for a program that does one job and ends (a build step): `Ok` when it exited
    /// with status 0, [`LabError::Exited`] with its log otherwise, [`LabError::Cancelled`]
    /// (the program then stopped) once `cancel` is requested.
    pub fn finish(mut self, cancel: &Cancel) -> Result<(), LabError> {
        loop {
            super::cancel::check(cancel)?;
            let Some(child) = self.child.as_mut() else {
                return Ok(());
            };
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(LabError::exited(&self.name, status.to_string(), &self.log))
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => {
                    return Err(LabError::Io {
                        context: format!("waiting for {}", self.name),
                        source: e,
                    })
                }
            }
        }
    }

    /// Fails with [`LabError::Exited`] if the process has ended.
    pub fn check_running(&mut self) -> Result<(), LabError> {
        match self.exited() {
            Some(status) => Err(LabError::exited(&self.name, status, &self.log)),
            None => Ok(()),
        }
    }

    /// Stops the process: SIGTERM, wait up to `grace`, then SIGKILL. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        self.stop_process(grace);
        if let Some(l) = self.leftovers.take() {
            l.remove();
        }
    }

    /// Removes `leftovers` once this process has stopped.
    pub fn leaves(mut self, leftovers: Leftovers) -> Self {
        self.leftovers = Some(leftovers);
        self
    }

    fn stop_process(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let pid = child.id() as libc::pid_t;
        // SAFETY: signalling a child we spawned and have not yet reaped, so the PID is ours.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ManagedChild {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(3));
    }
}

/// A process that is not our child (a descendant of a server we started), held by a pidfd so
/// that a PID reused after it exited can never be signalled by mistake.
#[derive(Debug)]
pub struct Descendant {
    fd: std::os::fd::OwnedFd,
}

impl Descendant {
    /// A handle on `pid`, if it still exists.
    pub fn open(pid: i32) -> Option<Self> {
        use std::os::fd::FromRawFd;
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        (fd >= 0).then(|| Self {
            // SAFETY: a fresh fd we own.
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) },
        })
    }

    fn signal(&self, sig: libc::c_int) {
        use std::os::fd::AsRawFd;
        // SAFETY: pidfd_send_signal on a pidfd we own; a null siginfo is allowed.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }

    /// Whether the process has exited (its pidfd turns readable).
    fn gone(&self, wait: Duration) -> bool {
        use std::os::fd::AsRawFd;
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on a pidfd we own.
        unsafe { libc::poll(&mut pfd, 1, wait.as_millis().min(i32::MAX as u128) as i32) > 0 }
    }
}

/// Stops `processes`: SIGTERM to all, up to `grace` for them to go, SIGKILL to the rest.
pub fn stop_all(processes: &[Descendant], grace: Duration) {
    for p in processes {
        p.signal(libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    for p in processes {
        if !p.gone(deadline.saturating_duration_since(Instant::now())) {
            p.signal(libc::SIGKILL);
        }
    }
}

/// Makes `cmd` run as `user`, with no supplementary groups, inside the cgroup of `user`'s
/// home (joined first, while the process may still move itself).
pub fn run_as(cmd: &mut Command, user: &LabUser) {
    user.enclose(cmd);
    let (uid, gid) = user.ids();
    // SAFETY: setgroups, setgid and setuid are async-signal-safe and touch only the child.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Fails with [`LabError::Missing`] (naming the package) unless `program` exists.
pub fn require(program: &str) -> Result<(), LabError> {
    if Path::new(program).exists() {
        return Ok(());
    }
    Err(LabError::Missing {
        program: program.to_string(),
        package: package_for(program).to_string(),
    })
}

/// The Debian package that provides a program we start.
pub fn package_for(program: &str) -> &'static str {
    match Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program)
    {
        "Xorg" => "xserver-xspice",
        "twm" => "twm",
        "xterm" => "xterm",
        "convert" | "display" | "animate" => "imagemagick",
        "soffice" => "libreoffice-draw",
        "picom" => "picom",
        "xrandr" => "x11-xserver-utils",
        "xwininfo" | "xdpyinfo" => "x11-utils",
        "xdotool" => "xdotool",
        "remote-viewer" => "virt-viewer",
        "Xvfb" => "xvfb",
        "sshd" => "openssh-server",
        "evilwm" => "evilwm",
        "ssh" | "ssh-keygen" => "openssh-client",
        "xauth" => "xauth",
        "xclock" => "x11-apps",
        "mmdebstrap" => "mmdebstrap",
        "apt-get" | "apt-cache" => "apt",
        "dpkg-deb" | "dpkg" => "dpkg",
        "xsetroot" => "x11-xserver-utils",
        "ip" => "iproute2",
        _ => "the package that provides it",
    }
}

/// Waits until `child` itself listens on 127.0.0.1:`port` (and `also` holds), failing early
/// if it exits, or if another process holds the port (a local user could take a port between
/// our reservation and the server's bind, and pose as our server).
pub fn wait_listening(
    what: &str,
    port: u16,
    timeout: Duration,
    child: &mut ManagedChild,
    cancel: &Cancel,
    mut also: impl FnMut() -> bool,
) -> Result<(), LabError> {
    let pid = child.pid().unwrap_or(0);
    let mut taken = false;
    wait_ready(
        what,
        timeout,
        child,
        cancel,
        || match super::ports::listener(port, pid) {
            super::ports::Listener::Ours => also(),
            super::ports::Listener::Other => {
                taken = true;
                true
            }
            super::ports::Listener::Nobody => false,
        },
    )?;
    if taken {
        return Err(LabError::PortTaken {
            what: what.to_string(),
            port,
        });
    }
    Ok(())
}

/// The command name of `pid` (`/proc/<pid>/comm`, at most 15 bytes), if it runs.
pub fn command_name(pid: u32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end_matches('\n').to_string())
}

/// Polls `ready` every 50 ms until it returns true, failing early if `child` exits or the
/// run asks to stop (`cancel`).
pub fn wait_ready(
    what: &str,
    timeout: Duration,
    child: &mut ManagedChild,
    cancel: &Cancel,
    mut ready: impl FnMut() -> bool,
) -> Result<(), LabError> {
    let deadline = Instant::now() + timeout;
    loop {
        super::cancel::check(cancel)?;
        if ready() {
            return Ok(());
        }
        child.check_running()?;
        if Instant::now() >= deadline {
            return Err(LabError::NotReady {
                what: what.to_string(),
                seconds: timeout.as_secs_f64(),
                log: child.log().to_path_buf(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn drop_stops_the_process_by_pid() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let child = ManagedChild::spawn("sleep", cmd, &dir.path().join("sleep.log")).unwrap();
        let pid = child.pid().unwrap() as libc::pid_t;
        drop(child);
        // SAFETY: signal 0 only checks whether the PID exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        assert!(!alive, "sleep {pid} still running after drop");
    }

    #[test]
    fn missing_program_names_its_package() {
        let dir = tempfile::tempdir().unwrap();
        let err = ManagedChild::spawn(
            "/nonexistent/twm",
            Command::new("/nonexistent/twm"),
            &dir.path().join("x.log"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("apt-get install twm"), "{err}");
    }

    #[test]
    fn every_program_the_lab_needs_names_its_package_when_missing() {
        for (program, package) in [
            ("remote-viewer", "virt-viewer"),
            ("sshd", "openssh-server"),
            ("ssh", "openssh-client"),
            ("ssh-keygen", "openssh-client"),
            ("Xvfb", "xvfb"),
            ("evilwm", "evilwm"),
            ("Xorg", "xserver-xspice"),
            ("soffice", "libreoffice-draw"),
            ("picom", "picom"),
            ("animate", "imagemagick"),
            ("xrandr", "x11-xserver-utils"),
        ] {
            let e = require(&format!("/nonexistent/{program}")).unwrap_err();
            assert!(
                e.to_string()
                    .ends_with(&format!("apt-get install {package}")),
                "{e}"
            );
        }
        assert!(require("/bin/sh").is_ok());
    }

    #[test]
    fn early_exit_is_reported_with_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut child =
            ManagedChild::spawn("false", Command::new("false"), &dir.path().join("f.log")).unwrap();
        let err = wait_ready(
            "never",
            Duration::from_secs(5),
            &mut child,
            &Cancel::new(),
            || false,
        )
        .unwrap_err();
        assert!(matches!(err, LabError::Exited { .. }), "{err}");
        // The message quotes the log's last line.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo first; echo 'cannot composite: reason'; exit 3"]);
        let mut child = ManagedChild::spawn("sh", cmd, &dir.path().join("s.log")).unwrap();
        let err = wait_ready(
            "never",
            Duration::from_secs(5),
            &mut child,
            &Cancel::new(),
            || false,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("(exit status: 3): \"cannot composite: reason\"; its log:"),
            "{err}"
        );
    }

    #[test]
    fn a_stop_of_its_own_run_ends_the_wait_and_another_runs_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let mut child = ManagedChild::spawn("sleep", cmd, &dir.path().join("s.log")).unwrap();
        let (this_run, other_run) = (Cancel::new(), Cancel::new());
        other_run.request();
        let mut polls = 0;
        let err = wait_ready(
            "sleep",
            Duration::from_secs(30),
            &mut child,
            &this_run,
            || {
                polls += 1;
                // Another run's stop has been requested all along; this run's only now.
                if polls == 3 {
                    this_run.request();
                }
                false
            },
        )
        .unwrap_err();
        assert!(matches!(err, LabError::Cancelled), "{err}");
        assert_eq!(
            polls, 3,
            "the wait ended at the first poll after its own run's stop"
        );
    }
}
