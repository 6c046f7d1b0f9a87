//! Network namespaces spicebench creates, owns and removes: each name embeds the run's
//! [`Owner`] (`spb-p<pid>s<start>.<k>-srv`), so a later run proves the owner dead and removes
//! what a SIGKILL left ([`sweep_abandoned`]).
//!
//! The namespaces are made and removed with iproute2's `ip netns` (which keeps each one alive
//! by a bind mount under `/run/netns`, where other tools find it by name). Code enters one in
//! two ways, both by `setns(2)` on the namespace's file, so nothing runs through a wrapper
//! process and a child's PID stays the program's own:
//! - [`Netns::enter`]: a child process [`Command`] starts inside it;
//! - [`Netns::run_in`]: a closure runs on a fresh thread inside it, so sockets (and TUN
//!   devices) it creates belong to the namespace, and can then be used from any thread.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::owner::Owner;
use super::LabError;

/// Where `ip netns` keeps its namespaces, one bind-mounted file per name.
const NETNS_DIR: &str = "/run/netns";

/// The start of every namespace name spicebench owns; the owner follows it.
pub const PREFIX: &str = "spb-";

/// A network namespace of this run; removed (`ip netns del`) when dropped, which also removes
/// every device inside it.
#[derive(Debug)]
pub struct Netns {
    name: String,
    /// The namespace's file, held open so `enter` and `run_in` need no lookup by name.
    file: File,
}

impl Netns {
    /// Creates the namespace `name` (it must start with [`PREFIX`] and the current owner, so
    /// a sweep never takes another run's) with its loopback device up.
    pub fn create(name: &str) -> Result<Self, LabError> {
        if owner_of(name) != Some(Owner::current()) {
            return Err(LabError::Netns {
                action: format!("create the network namespace {name}"),
                detail: format!(
                    "spicebench names its namespaces {PREFIX}{}…, so that no sweep takes a live run's",
                    Owner::current()
                ),
            });
        }
        ip(
            &["netns", "add", name],
            &format!("create the network namespace {name}"),
        )?;
        let path = Path::new(NETNS_DIR).join(name);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(source) => {
                let _ = ip(&["netns", "del", name], "");
                return Err(LabError::Io {
                    context: format!("opening {}", path.display()),
                    source,
                });
            }
        };
        let ns = Self {
            name: name.to_string(),
            file,
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Its name, as `ip netns` lists it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n <name> args…`, failing with what `ip` said.
    pub fn ip(&self, args: &[&str]) -> Result<(), LabError> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(
            &all,
            &format!("run `ip {}` in {}", args.join(" "), self.name),
        )
    }

    /// Makes `cmd`'s process enter this namespace before it execs. Call it before
    /// [`run_as`](super::process::run_as) (setns needs root, which that drops).
    pub fn enter(&self, cmd: &mut Command) {
        let fd = self.file.as_raw_fd();
        // SAFETY: setns is async-signal-safe; the file stays open in the child until exec
        // (close-on-exec) and the parent keeps it open while it spawns.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Runs `f` on a new thread inside this namespace and returns its result: sockets and
    /// devices `f` creates belong to the namespace. The calling thread stays where it is.
    pub fn run_in<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, LabError> {
        let fd = self.file.as_raw_fd();
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    // SAFETY: setns on a descriptor `self` keeps open; it moves this thread
                    // only, which ends with the scope.
                    if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
                        return Err(LabError::Netns {
                            action: format!("enter the network namespace {}", self.name),
                            detail: std::io::Error::last_os_error().to_string(),
                        });
                    }
                    Ok(f())
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(LabError::Netns {
                        action: format!("run code in {}", self.name),
                        detail: "it panicked".to_string(),
                    })
                })
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name], "");
    }
}

/// Makes `cmd`'s process enter the namespace `name` (one of `ip netns`'s) before it execs, as
/// [`Netns::enter`] does, for code that knows the namespace by its name only. The namespace's
/// file goes with `cmd`, so it stays open until `cmd` is spawned or dropped.
pub fn enter_named(name: &str, cmd: &mut Command) -> Result<(), LabError> {
    let path = Path::new(NETNS_DIR).join(name);
    let file = File::open(&path).map_err(|source| LabError::Io {
        context: format!(
            "opening the network namespace {} (does `ip netns list` show it?)",
            path.display()
        ),
        source,
    })?;
    // SAFETY: setns is async-signal-safe; the closure owns the file, which is close-on-exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

/// Whether the namespace `name` exists.
pub fn exists(name: &str) -> bool {
    Path::new(NETNS_DIR).join(name).exists()
}

/// The names of spicebench's namespaces now on this machine (of every run).
pub fn owned_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(NETNS_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(PREFIX))
        .collect();
    names.sort();
    names
}

/// The run that owns the namespace `name`, if it is one of spicebench's.
pub fn owner_of(name: &str) -> Option<Owner> {
    Owner::parse_prefix(name.strip_prefix(PREFIX)?)
}

/// Removes the namespaces of runs whose owner is provably dead (a SIGKILLed spicebench never
/// dropped them; its TUN devices went with its descriptors, the namespaces stay). Returns
/// how many it removed.
pub fn sweep_abandoned() -> usize {
    owned_names()
        .into_iter()
        .filter(|name| owner_of(name).is_some_and(|o| !o.is_alive()))
        .filter(|name| ip(&["netns", "del", name], "").is_ok())
        .count()
}

/// iproute2's `ip`, found where Debian puts it (`/usr/sbin` is not on every user's PATH).
pub fn ip_program() -> Result<PathBuf, LabError> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join("ip"))
        .find(|p| p.is_file())
        .ok_or_else(|| LabError::Missing {
            program: "ip".to_string(),
            package: super::process::package_for("ip").to_string(),
        })
}

/// Runs `ip args…` and fails with its own words when it fails (`action` says what for).
fn ip(args: &[&str], action: &str) -> Result<(), LabError> {
    let out = Command::new(ip_program()?)
        .args(args)
        .output()
        .map_err(|source| LabError::Spawn {
            program: "ip".to_string(),
            source,
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(LabError::Netns {
        action: action.to_string(),
        detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_from_spicebench_names_only() {
        let me = Owner::current();
        assert_eq!(owner_of(&format!("spb-{me}.3-srv")), Some(me));
        for other in ["p1s2-srv", "spb-srv", "netns-p1s2", "spb-"] {
            assert_eq!(owner_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_name_without_this_run_as_its_owner_is_refused_before_anything_is_made() {
        for name in ["spb-p1s2.0-srv", "spb-srv", "other"] {
            let err = Netns::create(name).unwrap_err();
            assert!(
                err.to_string().contains("names its namespaces spb-p"),
                "{err}"
            );
            assert!(!exists(name));
        }
    }
}
