//! Nobody else can enter a running lab: as uid `nobody`, during a real run, the lab's X display
//! refuses connections, its SPICE port refuses a link without the ticket, and no output file
//! can be read; the desktop's shell is not root's.
//!
//! The output folder's parent is world-searchable, so only spicebench's own modes protect it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `args` as uid/gid 65534 with no groups and no capabilities.
fn as_nobody(args: &[&str]) -> Output {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .args(args)
        .env_remove("XAUTHORITY")
        .output()
        .unwrap()
}

/// The environment of process `pid` as key=value strings.
fn environ(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| {
            b.split(|c| *c == 0)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push(p.clone());
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn nobody_can_enter_a_running_lab_or_read_its_outputs() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A copy of spicebench that nobody may run, wherever the checkout lives.
    let binary = dir.path().join("spicebench");
    std::fs::copy(env!("CARGO_BIN_EXE_spicebench"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text =
        common::drag_scenario("closed", &["glz"]).replace("duration_s = 1.5", "duration_s = 6");
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Wait until the drag plays: the lab is fully up.
    let events = out.join("events/glz.jsonl");
    common::wait_for_event(&events, "input");
    let (xorg, cmdline) = common::processes_under(&out)
        .into_iter()
        .find(|(_, c)| c.contains("Xorg"))
        .expect("the lab's Xorg");
    let display = cmdline
        .split_whitespace()
        .find(|a| a.starts_with(':'))
        .expect("display argument")
        .to_string();
    let port = environ(xorg)
        .into_iter()
        .find_map(|v| v.strip_prefix("XSPICE_PORT=").map(str::to_string))
        .expect("XSPICE_PORT");

    // 1. The X display: refused without the cookie, and the cookie file is unreadable.
    let x = as_nobody(&["env", &format!("DISPLAY={display}"), "xdpyinfo"]);
    assert!(!x.status.success(), "nobody reached {display}");
    let cookie = out.join("lab/glz/xspice.xauth");
    let x = as_nobody(&[
        "env",
        &format!("DISPLAY={display}"),
        &format!("XAUTHORITY={}", cookie.display()),
        "xdpyinfo",
    ]);
    assert!(
        !x.status.success(),
        "nobody reached {display} with the lab's cookie path"
    );

    // 2. The SPICE port: a link without the ticket is refused.
    let a = as_nobody(&[
        binary.to_str().unwrap(),
        "audit",
        &format!("spice://127.0.0.1:{port}"),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&a.stdout)
        .unwrap_or_else(|_| panic!("audit: {}", String::from_utf8_lossy(&a.stderr)));
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"ticket-required") && !ids.contains(&"no-ticket"),
        "{ids:?}"
    );

    // 3. Outputs: nobody can list the folder or read what it holds so far.
    let ls = as_nobody(&["ls", out.to_str().unwrap()]);
    assert!(!ls.status.success(), "nobody listed the output folder");
    let cat = as_nobody(&["cat", events.to_str().unwrap()]);
    assert!(!cat.status.success(), "nobody read the events log");

    // 4. The desktop's shell belongs to the lab's guest account, not root.
    let shells: Vec<(u32, String)> = common::lab_processes_of_run(child.id());
    assert!(
        shells.iter().any(|(_, c)| c.starts_with("/bin/sh")),
        "the xterm's shell runs as a lab account: {shells:?}"
    );

    let done = child.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    // And when it is over, every output is private: 0600 files, 0700 folders.
    for p in files_under(&out) {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", p.display());
    }
    common::assert_lab_clean(dir.path(), &homes);
}
