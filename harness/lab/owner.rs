//! Which spicebench process owns a lab resource, written into the resource's name, so that a
//! later run can prove the owner dead and clean up what a SIGKILL left behind.
//!
//! A PID alone proves nothing (PIDs are reused); the PID with the process's start time (in
//! clock ticks since boot, field 22 of `/proc/PID/stat`) names one process for the life of the
//! machine.

use std::fmt;

/// A process, named by PID and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    pid: u32,
    start: u64,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    }

    /// The owner named at the start of `name` (`p<pid>s<start>`, then anything that does not
    /// continue the start time's digits); `None` when `name` does not begin with one.
    pub fn parse_prefix(name: &str) -> Option<Self> {
        let rest = name.strip_prefix('p')?;
        let (pid, rest) = split_digits(rest)?;
        let rest = rest.strip_prefix('s')?;
        let (start, _) = split_digits(rest)?;
        Some(Self {
            pid: pid.parse().ok()?,
            start: start.parse().ok()?,
        })
    }

    /// The owner's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the owner still runs: its PID exists and started at the same tick. A process
    /// that ended (and any later process that reuses its PID) is not alive.
    pub fn is_alive(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}s{}", self.pid, self.start)
    }
}

/// The leading ASCII digits of `s` (at least one) and the rest.
fn split_digits(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// The start time of `pid` in clock ticks since boot, if it exists (zombies included: a
/// zombie's owner has not been reaped, so what it owns is not yet provably abandoned).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the
    // last ')'. starttime is field 22, so the 20th after it (state is field 3).
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn this_process_is_alive_and_round_trips_through_a_name() {
        let me = Owner::current();
        assert!(me.is_alive());
        assert_ne!(me.start, 0, "start time read from /proc");
        let name = format!("{me}-x7Yq");
        assert_eq!(Owner::parse_prefix(&name), Some(me));
        assert_eq!(me.pid(), std::process::id());
    }

    #[test]
    fn an_ended_process_and_a_reused_pid_are_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let started = start_time(pid);
        child.wait().unwrap();
        let gone = Owner {
            pid,
            start: started.unwrap_or(1),
        };
        assert!(!gone.is_alive());
        // Same PID as this process, another start time: a reuse, not the owner.
        let impostor = Owner {
            pid: std::process::id(),
            start: Owner::current().start + 1,
        };
        assert!(!impostor.is_alive());
    }

    #[test]
    fn names_without_an_owner_are_not_parsed() {
        for name in [
            "", "p", "p12", "p12s", "ps1", "x12s3", "p12x3", "abcdef", "p-1s2",
        ] {
            assert_eq!(Owner::parse_prefix(name), None, "{name:?}");
        }
        assert_eq!(
            Owner::parse_prefix("p12s345.7"),
            Some(Owner {
                pid: 12,
                start: 345
            })
        );
        // Digits that overflow are not a name either.
        assert_eq!(Owner::parse_prefix("p99999999999s1-a"), None);
    }
}
