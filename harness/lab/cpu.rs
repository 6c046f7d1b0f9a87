//! CPU time of the run's parts, read from `/proc`: a snapshot at each window's edge, and
//! the difference of two snapshots per component ([`crate::results::cpu`]).
//!
//! A component is named by the PIDs of its main processes (the "roots": Xorg, remote-viewer,
//! sshd, ...). Every live process belongs to the component of its nearest root ancestor, so
//! remote-viewer under sshd (`ssh -X`) counts as the viewer, not as sshd. A process's time is
//! its own user + system time plus that of its children that ended and were waited for
//! (`cutime`, `cstime`), so short-lived helpers are not lost. spicebench's own process counts
//! only its own threads: its children are the lab's parts, counted as theirs. A root may
//! also be a thread of spicebench's own process (the link emulator's forwarding threads):
//! its time then counts for its component and not for spicebench.
//!
//! The parsers take text and return numbers (byte-vector tests below, a fuzz target in
//! `fuzz/`); only [`snapshot`] reads files.

use std::collections::{BTreeMap, HashMap};

use crate::results::{Component, ComponentCpu, CpuUsage, CpuWindow, Warning, WarningCode};

/// The share of all cores busy above which the machine counts as saturated: the parts then
/// wait for each other's CPU, and latency measures that too.
pub const SATURATED: f64 = 0.9;

/// The fields of one `/proc/<pid>/stat` line that CPU accounting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Parent PID.
    pub ppid: u32,
    /// User plus system time of the process's own threads, in clock ticks.
    pub own_ticks: u64,
    /// User plus system time of its children that ended and were waited for, in ticks.
    pub children_ticks: u64,
}

/// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may
/// hold spaces and parentheses itself, so the fields are counted from its last `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let after_name = &line[line.rfind(')')? + 1..];
    // Fields from the 3rd (state) on: ppid is the 4th, utime..cstime the 14th..17th.
    let fields: Vec<&str> = after_name.split_ascii_whitespace().take(15).collect();
    let number = |i: usize| fields.get(i - 3)?.parse::<u64>().ok();
    let ticks = |a: usize, b: usize| number(a)?.checked_add(number(b)?);
    Some(ProcStat {
        ppid: u32::try_from(number(4)?).ok()?,
        own_ticks: ticks(14, 15)?,
        children_ticks: ticks(16, 17)?,
    })
}

/// Busy and total ticks of the whole machine, from the first (`cpu `) line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MachineTicks {
    /// Every tick counted (all CPUs).
    pub total: u64,
    /// Ticks not idle and not waiting for I/O.
    pub busy: u64,
}

/// Parses the aggregate `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq
/// steal (guest time is already inside user and nice, so it is not added again).
pub fn parse_machine(text: &str) -> Option<MachineTicks> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_ascii_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    if values.len() < 4 {
        return None;
    }
    let total = values.iter().try_fold(0u64, |a, v| a.checked_add(*v))?;
    let idle = values[3].checked_add(values.get(4).copied().unwrap_or(0))?;
    Some(MachineTicks {
        total,
        busy: total.checked_sub(idle)?,
    })
}

/// Each component's CPU at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Run clock, µs.
    pub at_us: u64,
    /// Per component: (ticks so far, live processes).
    pub components: BTreeMap<Component, (u64, u32)>,
    /// The machine's counters.
    pub machine: MachineTicks,
}

/// Groups `processes` (pid → stat) by the nearest root ancestor in `roots` and adds up
/// their ticks. `own_only` lists PIDs whose children's time is not theirs (spicebench's).
pub fn attribute(
    processes: &HashMap<u32, ProcStat>,
    roots: &[(Component, u32)],
    own_only: &[u32],
) -> BTreeMap<Component, (u64, u32)> {
    let root_of: HashMap<u32, Component> = roots.iter().map(|(c, p)| (*p, *c)).collect();
    let mut sums: BTreeMap<Component, (u64, u32)> = BTreeMap::new();
    for (pid, stat) in processes {
        let (mut at, mut hops) = (*pid, 0);
        // Bounded: /proc can change under the walk, and a PID cycle must not hang it.
        let component = loop {
            if let Some(c) = root_of.get(&at) {
                break Some(*c);
            }
            match processes.get(&at) {
                Some(s) if s.ppid != 0 && hops < 64 => (at, hops) = (s.ppid, hops + 1),
                _ => break None,
            }
        };
        if let Some(c) = component {
            let ticks = match own_only.contains(pid) {
                true => stat.own_ticks,
                false => stat.own_ticks.saturating_add(stat.children_ticks),
            };
            let entry = sums.entry(c).or_default();
            entry.0 = entry.0.saturating_add(ticks);
            entry.1 += 1;
        }
    }
    sums
}

/// Reads `/proc` now: every process's stat line, attributed to `roots`, plus this process
/// (own threads only) as [`Component::Spicebench`], and the machine's counters.
pub fn snapshot(roots: &[(Component, u32)], at_us: u64) -> Snapshot {
    let mut processes = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // A process may end between the listing and the read: it is then not counted.
            if let Some(stat) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|l| parse_stat(&l))
            {
                processes.insert(pid, stat);
            }
        }
    }
    let me = std::process::id();
    let own_thread = |&(_, id): &(Component, u32)| {
        id != me && std::path::Path::new(&format!("/proc/self/task/{id}")).exists()
    };
    let (threads, mut all_roots): (Vec<_>, Vec<_>) = roots.iter().copied().partition(own_thread);
    all_roots.push((Component::Spicebench, me));
    let machine = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|t| parse_machine(&t))
        .unwrap_or_default();
    let mut components = attribute(&processes, &all_roots, &[me]);
    for (component, tid) in threads {
        // A thread that ended took its time out of the process's count too.
        let Some(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
            .ok()
            .and_then(|l| parse_stat(&l))
        else {
            continue;
        };
        if let Some(ours) = components.get_mut(&Component::Spicebench) {
            ours.0 = ours.0.saturating_sub(stat.own_ticks);
        }
        let entry = components.entry(component).or_default();
        entry.0 = entry.0.saturating_add(stat.own_ticks);
        entry.1 += 1;
    }
    Snapshot {
        at_us,
        components,
        machine,
    }
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// What happened between `before` and `after`. A component's processes that ended (and were
/// not waited for by another counted process) take their time with them, so a difference
/// never goes below zero.
pub fn window(before: &Snapshot, after: &Snapshot, hz: f64) -> CpuWindow {
    let duration_s = after.at_us.saturating_sub(before.at_us) as f64 / 1e6;
    let components = after
        .components
        .iter()
        .map(|(component, (ticks, processes))| {
            let earlier = before.components.get(component).map_or(0, |(t, _)| *t);
            let cpu_s = ticks.saturating_sub(earlier) as f64 / hz;
            ComponentCpu {
                component: *component,
                cpu_s,
                cores_used: if duration_s > 0.0 {
                    cpu_s / duration_s
                } else {
                    0.0
                },
                processes: *processes,
            }
        })
        .collect();
    let total = after.machine.total.saturating_sub(before.machine.total);
    let busy = after.machine.busy.saturating_sub(before.machine.busy);
    CpuWindow {
        duration_s,
        machine_busy: if total > 0 {
            busy as f64 / total as f64
        } else {
            0.0
        },
        components,
    }
}

/// [`WarningCode::CpuSaturated`] when the machine was [`SATURATED`] while the plan played,
/// naming the busiest components.
pub fn saturation_warning(usage: &CpuUsage) -> Option<Warning> {
    let active = &usage.active;
    if active.machine_busy < SATURATED {
        return None;
    }
    let mut parts: Vec<&ComponentCpu> = active.components.iter().collect();
    parts.sort_by(|a, b| b.cpu_s.total_cmp(&a.cpu_s));
    let parts: Vec<String> = parts
        .iter()
        .take(3)
        .map(|c| format!("{} {:.2}", component_name(c.component), c.cores_used))
        .collect();
    Some(Warning::new(
        WarningCode::CpuSaturated,
        format!(
            "the machine's {} core(s) were {:.0}% busy while the plan played (cores used: {}):              server, viewer, SSH and capture competed for CPU, so latency and rates include              that contention; run fewer things beside spicebench, or compare only runs made              under the same load",
            usage.cores,
            active.machine_busy * 100.0,
            parts.join(", ")
        ),
    ))
}

/// A component as results spell it (serde's name).
fn component_name(c: Component) -> String {
    match serde_json::to_value(c) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{c:?}"),
    }
}

/// Logical CPUs this process may run on.
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read off this machine: Xorg's line, and a viewer whose name holds ") (" and spaces.
    const XORG: &str = "4242 (Xorg) S 4200 4242 4242 0 -1 4194560 9052 0 30 0 1234 567 89 \
                        10 20 0 1 0 7711 297603072 11032 18446744073709551615 1 1 0 0 0 0 0 \
                        4096 1098933995 0 0 0 17 1 0 0 0 0 0";
    const ODD: &str = "77 (a) (b c) R 4242 77 4242 0 -1 4194304 0 0 0 0 5 6 7 8 20 0 1 0 9 0 \
                       0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";

    #[test]
    fn stat_lines_give_parent_and_ticks_whatever_the_name() {
        let x = parse_stat(XORG).unwrap();
        assert_eq!(
            x,
            ProcStat {
                ppid: 4200,
                own_ticks: 1234 + 567,
                children_ticks: 89 + 10,
            }
        );
        let odd = parse_stat(ODD).unwrap();
        assert_eq!(
            (odd.ppid, odd.own_ticks, odd.children_ticks),
            (4242, 11, 15)
        );
        for bad in [
            "",
            "1 (x",
            "1 (x) S",
            "1 (x) S -1 1 1",
            "1 (x) S 1 2 3 4 5 6 7 8 9 10 a 1",
        ] {
            assert_eq!(parse_stat(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn this_machines_own_stat_lines_parse() {
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        let s = parse_stat(&me).expect("our own stat line");
        assert_eq!(s.ppid, std::os::unix::process::parent_id());
        assert!(parse_machine(&std::fs::read_to_string("/proc/stat").unwrap()).is_some());
    }

    #[test]
    fn the_machine_line_counts_idle_and_iowait_as_not_busy() {
        let text = "cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1\n";
        let m = parse_machine(text).unwrap();
        assert_eq!(m.total, 100 + 5 + 50 + 800 + 40 + 3 + 2);
        assert_eq!(m.busy, 100 + 5 + 50 + 3 + 2);
        assert_eq!(parse_machine("cpu0 1 2 3 4\n"), None);
        assert_eq!(parse_machine("cpu  1 2 x 4\n"), None);
    }

    fn stat(ppid: u32, own: u64, children: u64) -> ProcStat {
        ProcStat {
            ppid,
            own_ticks: own,
            children_ticks: children,
        }
    }

    #[test]
    fn a_process_counts_for_its_nearest_root() {
        // 10 sshd → 11 session shell → 12 remote-viewer → 13 its helper; 20 Xorg; 30 us, whose
        // child 20 is Xorg (its time is the server's, not ours); 40 someone else's.
        let procs: HashMap<u32, ProcStat> = [
            (10, stat(1, 5, 0)),
            (11, stat(10, 1, 2)),
            (12, stat(11, 100, 0)),
            (13, stat(12, 7, 0)),
            (20, stat(30, 300, 0)),
            (30, stat(1, 50, 999)),
            (40, stat(1, 1000, 0)),
        ]
        .into();
        let roots = [
            (Component::SshServer, 10),
            (Component::Viewer, 12),
            (Component::Server, 20),
            (Component::Spicebench, 30),
        ];
        let sums = attribute(&procs, &roots, &[30]);
        assert_eq!(sums[&Component::SshServer], (5 + 1 + 2, 2));
        assert_eq!(sums[&Component::Viewer], (107, 2));
        assert_eq!(sums[&Component::Server], (300, 1));
        assert_eq!(sums[&Component::Spicebench], (50, 1));
        assert_eq!(sums.len(), 4, "the stranger is nobody's");
    }

    #[test]
    fn a_saturated_machine_warns_with_its_busiest_parts() {
        let part = |component, cpu_s| ComponentCpu {
            component,
            cpu_s,
            cores_used: cpu_s / 2.0,
            processes: 1,
        };
        let window = |busy| CpuWindow {
            duration_s: 2.0,
            machine_busy: busy,
            components: vec![
                part(Component::Server, 1.8),
                part(Component::Viewer, 1.2),
                part(Component::Spicebench, 0.6),
                part(Component::SshClient, 0.1),
            ],
        };
        let usage = |busy| CpuUsage {
            cores: 2,
            idle: window(0.1),
            active: window(busy),
        };
        assert_eq!(saturation_warning(&usage(0.5)), None);
        let w = saturation_warning(&usage(0.95)).expect("saturated");
        assert_eq!(w.code, WarningCode::CpuSaturated);
        assert!(w.text.contains("2 core(s) were 95% busy"), "{}", w.text);
        assert!(
            w.text
                .contains("server 0.90, viewer 0.60, spicebench 0.30)"),
            "{}",
            w.text
        );
    }

    #[test]
    fn a_parent_cycle_ends_the_walk() {
        let procs: HashMap<u32, ProcStat> = [(5, stat(6, 1, 0)), (6, stat(5, 1, 0))].into();
        assert!(attribute(&procs, &[(Component::Server, 99)], &[]).is_empty());
    }

    #[test]
    fn a_window_is_the_difference_per_component_and_of_the_machine() {
        let snap = |at_us, server, machine: (u64, u64)| Snapshot {
            at_us,
            components: [(Component::Server, (server, 3))].into(),
            machine: MachineTicks {
                total: machine.0,
                busy: machine.1,
            },
        };
        let w = window(
            &snap(0, 100, (1000, 100)),
            &snap(2_000_000, 250, (1400, 340)),
            100.0,
        );
        assert_eq!(w.duration_s, 2.0);
        assert_eq!(w.components.len(), 1);
        assert_eq!(w.components[0].cpu_s, 1.5);
        assert_eq!(w.components[0].cores_used, 0.75);
        assert_eq!(w.components[0].processes, 3);
        assert_eq!(w.machine_busy, 0.6);
        // Processes that ended took their time along: never below zero.
        let w = window(&snap(0, 500, (10, 5)), &snap(1, 100, (10, 5)), 100.0);
        assert_eq!(w.components[0].cpu_s, 0.0);
        assert_eq!(w.machine_busy, 0.0);
    }
}
