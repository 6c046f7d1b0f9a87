//! Helpers shared by the integration tests that start real parts (Xspice, twm, xterm).
//!
//! These tests need what `.ci/run` installs (xserver-xspice, twm, xterm, imagemagick,
//! x11-utils) and root (Xorg). They take a process-wide lock so only one Xspice runs at a time
//! on the two cores, and they check that nothing they started outlives them.

#![allow(dead_code)]

pub mod tshark;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

static LAB: Mutex<()> = Mutex::new(());

/// Serialises tests that start a real Xspice.
pub fn lab_lock() -> MutexGuard<'static, ()> {
    LAB.lock().unwrap_or_else(|e| e.into_inner())
}

/// PIDs and command lines of processes whose command line or working directory mentions
/// `dir`: what a test started there and should have stopped.
pub fn processes_under(dir: &Path) -> Vec<(u32, String)> {
    let needle = dir.to_string_lossy().to_string();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cwd = std::fs::read_link(e.path().join("cwd"))
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        // Zombies have an empty command line; they are already dead.
        if !cmdline.is_empty() && (cmdline.contains(&needle) || cwd.starts_with(&needle)) {
            found.push((pid, cmdline));
        }
    }
    found
}

/// Fails if anything started under `dir` is still running (after a short grace period for
/// processes that are exiting).
pub fn assert_nothing_left(dir: &Path) {
    for _ in 0..50 {
        if processes_under(dir).is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("processes left behind: {:?}", processes_under(dir));
}

/// Uids of the lab's unprivileged accounts that exist.
pub fn lab_uids() -> Vec<u32> {
    use spicebench::lab::{LabUser, Role};
    [Role::Guest, Role::Viewer]
        .into_iter()
        .filter_map(|r| LabUser::lookup(r).ok().map(|u| u.uid))
        .collect()
}

/// Processes of the lab accounts that this test process's labs left: those in cgroups this
/// process owns (tests hold the lab lock, so none belongs to another test now), and those no
/// live run owns (what a `spicebench run` the test started left behind). Processes of another
/// spicebench running on the machine meanwhile are its own, not this test's.
pub fn lab_user_processes() -> Vec<(u32, String)> {
    use spicebench::lab::containment::{run_owner, strays};
    use spicebench::lab::owner::Owner;
    let me = Owner::current();
    let stray: Vec<u32> = strays(&lab_uids()).into_iter().map(|s| s.pid).collect();
    lab_processes(|pid| run_owner(pid) == Some(me) || stray.contains(&pid))
}

/// Processes of the lab accounts in the cgroups of the spicebench process `run` (a run the
/// test started and that is still going).
pub fn lab_processes_of_run(run: u32) -> Vec<(u32, String)> {
    use spicebench::lab::containment::run_owner;
    lab_processes(|pid| run_owner(pid).is_some_and(|o| o.pid() == run))
}

/// Live processes of the lab accounts that `wanted` accepts, with their command lines.
fn lab_processes(wanted: impl Fn(u32) -> bool) -> Vec<(u32, String)> {
    let uids = lab_uids();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let real_uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok());
        // Zombies are already dead; their parent reaps them.
        let zombie = status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'));
        if real_uid.is_some_and(|u| uids.contains(&u)) && !zombie && wanted(pid) {
            let cmd = std::fs::read(e.path().join("cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            found.push((pid, cmd));
        }
    }
    found
}

/// What the labs keep in the temporary folder now: the lab users' private folders
/// (`/tmp/spicebench-lab-*`) and anything else a lab account owns there (a program that
/// ignored its TMPDIR would leave its files there). Homes of another live spicebench and the
/// lock files of live X servers are theirs, not leftovers.
pub fn lab_homes() -> Vec<std::path::PathBuf> {
    use spicebench::lab::owner::Owner;
    use std::os::unix::fs::MetadataExt;
    let uids = lab_uids();
    let me = Owner::current();
    let tmp = std::env::temp_dir();
    let live_elsewhere = |name: &str| {
        if let Some(owner) = name
            .strip_prefix("spicebench-lab-")
            .and_then(Owner::parse_prefix)
        {
            return owner != me && owner.is_alive();
        }
        // `.X<n>-lock` holds its server's PID.
        name.starts_with(".X") && name.ends_with("-lock") && {
            let pid = std::fs::read_to_string(tmp.join(name)).unwrap_or_default();
            pid.trim()
                .parse::<u32>()
                .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists())
        }
    };
    std::fs::read_dir(&tmp)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let named = name.starts_with("spicebench-lab-");
            let owned = std::fs::symlink_metadata(p).is_ok_and(|m| uids.contains(&m.uid()));
            (named || owned) && !live_elsewhere(name)
        })
        .collect()
}

/// Fails if anything a lab started is left: processes under `dir`, processes of the lab user,
/// or lab folders that were not there in `homes_before`.
pub fn assert_lab_clean(dir: &Path, homes_before: &[std::path::PathBuf]) {
    assert_nothing_left(dir);
    for _ in 0..50 {
        if lab_user_processes().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(lab_user_processes(), Vec::new(), "lab user processes left");
    let new: Vec<_> = lab_homes()
        .into_iter()
        .filter(|h| !homes_before.contains(h))
        .collect();
    assert!(new.is_empty(), "lab folders left behind: {new:?}");
}

/// A short drag scenario for a real Xspice: the xterm's title bar dragged by (300, 180).
pub fn drag_scenario(name: &str, compression: &[&str]) -> String {
    let list = compression
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"name = "{name}"
seed = 7
idle_before_s = 0.5
settle_timeout_s = 3.0

[target]
kind = "xspice"
geometry = "1024x768"
compression = [{list}]

[[steps]]
kind = "drag"
from = [120, 58]
to = [420, 238]
duration_s = 1.5
rate_hz = 100
button = "left"
"#
    )
}

/// The input plan of a one-step linear drag from `from` to `to` on a 1024x768 screen, made by
/// the real scenario planner, scheduled to start at `start_us`.
pub fn drag_steps(
    from: (u32, u32),
    to: (u32, u32),
    duration_s: f64,
    rate_hz: u32,
    start_us: u64,
) -> Vec<spicebench::client::ScheduledStep> {
    let text = format!(
        "name = \"t\"\n[target]\nkind = \"xspice\"\n[[steps]]\nkind = \"drag\"\nfrom = [{}, {}]\nto = [{}, {}]\nduration_s = {duration_s}\nrate_hz = {rate_hz}\n",
        from.0, from.1, to.0, to.1
    );
    let scenario = spicebench::scenario::Scenario::parse(&text, Path::new("test.toml")).unwrap();
    spicebench::run::viewer::native::schedule(
        &spicebench::plan::input_plan(&scenario, scenario.seed),
        start_us,
    )
}

/// Waits until the run's events log at `path` (one configuration's `.jsonl`, or the whole
/// `events/` folder, any configuration) holds an event of `kind`; the log is appended every
/// 250 ms while the run goes. For `"input"` (our client) or `"xinput"` (remote-viewer), the
/// drag is being played. 90 s hang guard.
pub fn wait_for_event(path: &Path, kind: &str) {
    let needle = format!("\"kind\":\"{kind}\"");
    let holds = |file: &Path| std::fs::read_to_string(file).is_ok_and(|t| t.contains(&needle));
    let seen = || match std::fs::read_dir(path) {
        Ok(dir) => dir.flatten().any(|e| holds(&e.path())),
        Err(_) => holds(path),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !seen() {
        assert!(
            std::time::Instant::now() < deadline,
            "no {kind} event in {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `spicebench analyze CAPTURE --format json`, which must succeed, read as a result.
pub fn analyze_json(capture: &Path) -> spicebench::results::RunResult {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["analyze", &capture.to_string_lossy(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "spicebench analyze {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A lab Xspice that stands in for someone else's server (a scenario reaches it as an
/// `external` target): its SPICE port takes `ticket`, its files go in `dir/lab`.
pub fn server_with_ticket(dir: &Path, ticket: &str) -> spicebench::lab::Xspice {
    spicebench::lab::Xspice::start(
        &spicebench::lab::XspiceConfig {
            ticket: spicebench::secret::Secret::new(ticket),
            ..Default::default()
        },
        &dir.join("lab"),
    )
    .unwrap()
}
