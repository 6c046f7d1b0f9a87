//! `spicebench run` as an unprivileged user (`setpriv` to nobody): a scenario whose parts need
//! root is refused at once, exit status 2, with what needs root and what to do, before any
//! output or lab folder exists. No lab is started.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOBODY: u32 = 65534;

/// A folder nobody can read, with a copy of the binary nobody can run (the build's target
/// folder may sit under a private one).
struct Setup {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let open = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        open(dir.path(), 0o755);
        let bin = dir.path().join("spicebench");
        std::fs::copy(env!("CARGO_BIN_EXE_spicebench"), &bin).unwrap();
        open(&bin, 0o755);
        Self { dir, bin }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        p
    }

    /// An empty output folder nobody owns, so only the preflight can stop the run early.
    fn out(&self) -> PathBuf {
        let out = self.dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::chown(&out, Some(NOBODY), Some(NOBODY)).unwrap();
        out
    }

    fn run_as_nobody(&self, args: &[&str]) -> Output {
        Command::new("setpriv")
            .args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
            ])
            .arg(&self.bin)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}

#[test]
fn an_xspice_run_without_root_is_refused_before_anything_starts() {
    let s = Setup::new();
    let scenario = s.file("s.toml", &common::drag_scenario("nobody", &["glz"]));
    let out = s.out();
    let o = s.run_as_nobody(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for want in [
        "needs root and runs as uid 65534",
        "starts Xorg as root",
        "spicebench-lab",
        "CAP_NET_RAW+CAP_NET_ADMIN",
        "sudo spicebench run",
        "--viewers spicebench --no-capture",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    assert!(!stderr.contains("Operation not permitted"), "{stderr}");
    // Nothing was created: no lab/, runs/ or report.
    assert_eq!(entries(&out), Vec::<String>::new());
}

#[test]
fn remote_viewer_and_the_managed_sshd_are_named_too() {
    let s = Setup::new();
    let scenario = s.file(
        "s.toml",
        &common::drag_scenario("nobody", &["glz"]).replace(
            "[[steps]]",
            "[access]\ntransports = [\"ssh-tunnel\"]\nviewers = [\"remote-viewer\"]\n\n[[steps]]",
        ),
    );
    let out = s.out();
    let o = s.run_as_nobody(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-capture",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("remote-viewer runs"), "{stderr}");
    assert!(stderr.contains("spicebench's own sshd"), "{stderr}");
    // --no-capture: the capture is not among the reasons.
    assert!(!stderr.contains("libpcap"), "{stderr}");
    assert_eq!(entries(&out), Vec::<String>::new());
}

#[test]
fn an_external_target_with_capture_needs_only_the_capture_capabilities() {
    let s = Setup::new();
    let scenario = s.file(
        "s.toml",
        &common::drag_scenario("nobody", &["glz"]).replace(
            "kind = \"xspice\"",
            "kind = \"external\"\nuri = \"spice://127.0.0.1:1\"",
        ),
    );
    let out = s.out();
    let o = s.run_as_nobody(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs root or CAP_NET_RAW+CAP_NET_ADMIN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("setcap cap_net_raw,cap_net_admin+ep"),
        "{stderr}"
    );
    assert!(stderr.contains("--no-capture"), "{stderr}");
    assert!(!stderr.contains("needs root and"), "{stderr}");
    assert_eq!(entries(&out), Vec::<String>::new());
}
