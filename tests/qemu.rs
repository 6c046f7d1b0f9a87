//! The QEMU guest, live: built into the cache (about a minute the first time), booted under
//! the accelerator this machine has (TCG here), measured over SPICE with spicebench's own
//! client as an external target would be, and stopped by PID with nothing left behind.
//! Needs root, mmdebstrap and QEMU (scripts/install-deps.sh installs both).

mod common;

use std::path::Path;
use std::process::Command;

use spicebench::cancel::Cancel;
use spicebench::lab::guest;
use spicebench::lab::qemu::{resolve_accel, Qemu, QemuBinary, QemuConfig, SpiceAddress};
use spicebench::scenario::{Accel, Compression, Gpu, QemuMachine, XDriver};

fn image() -> guest::GuestImage {
    let progress = |line: &str| eprintln!("{line}");
    guest::ensure(&guest::cache_root(), &progress, &Cancel::new()).expect("the guest builds")
}

/// The machine with this device and X driver, on the accelerator this machine has.
fn machine(gpu: Gpu, x_driver: XDriver) -> QemuMachine {
    QemuMachine {
        accel: resolve_accel(Accel::Auto).unwrap(),
        gpu,
        x_driver,
        ..QemuMachine::default()
    }
}

fn boot(config: QemuConfig, dir: &Path) -> Qemu {
    let binary = QemuBinary::find().expect("QEMU (scripts/install-deps.sh)");
    Qemu::start(&binary, &image(), &config, dir).expect("the guest boots to its desktop")
}

#[test]
fn a_qxl_guest_boots_and_a_run_measures_its_display() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let config = QemuConfig {
        machine: machine(Gpu::Qxl, XDriver::Qxl),
        image_compression: Compression::AutoGlz,
        ..QemuConfig::default()
    };
    let qemu = boot(config, &dir.path().join("qemu"));
    let serial = std::fs::read_to_string(qemu.serial_log()).unwrap();
    for step in [
        "SPB INIT",
        "SPB UDEV-SETTLED",
        "SPB X-UP",
        "SPB DESKTOP-READY",
    ] {
        assert!(
            serial.contains(step),
            "{step} missing from the serial log:\n{serial}"
        );
    }
    // The guest answers over its control console: the xterm's frame, where twm put it
    // (the xterm asks for +50+50; the frame's border sits a few pixels up and left).
    let answer = qemu
        .query("/usr/local/bin/spb-drag-window")
        .expect("the guest answers");
    let frame = qemu
        .drag_window()
        .unwrap_or_else(|| panic!("no drag window in the guest's answer {answer:?}"));
    assert!(
        (40..=55).contains(&frame.x) && (25..=55).contains(&frame.y),
        "{frame:?}"
    );
    assert!(frame.width > 400 && frame.height > 300, "{frame:?}");
    let SpiceAddress::Tcp(port) = qemu.address().clone() else {
        panic!("a TCP port was asked for");
    };
    let pid = qemu.pid().expect("QEMU runs");

    // The guest as an external target: ticket from QEMU's own secret file (no newline).
    let scenario = dir.path().join("qemu.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"qemu\"\nidle_before_s = 0.5\nsettle_timeout_s = 3.0\n\
             [target]\nkind = \"external\"\nuri = \"spice://127.0.0.1:{port}\"\n\
             password_file = \"{}\"\ngeometry = \"1024x768\"\ncompression = [\"auto_glz\"]\n\
             [[steps]]\nkind = \"click\"\nat = [500, 400]\n",
            dir.path().join("qemu/spice-ticket").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let result = spicebench::results::RunResult::read(out.join("runs/auto_glz.json")).unwrap();
    let display: u64 = result
        .channels
        .iter()
        .filter(|c| c.channel == spicebench::results::Channel::DISPLAY)
        .map(|c| c.down.payload_bytes)
        .sum();
    // The guest's whole 1024x768 screen reached the client at connect.
    assert!(display > 100_000, "display bytes {display}");

    drop(qemu);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "QEMU {pid} outlived its handle"
    );
    common::assert_nothing_left(dir.path());
}

#[test]
fn a_virtio_guest_boots_with_modesetting() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let config = QemuConfig {
        machine: machine(Gpu::Virtio, XDriver::Modesetting),
        image_compression: Compression::Off,
        ..QemuConfig::default()
    };
    let qemu = boot(config, &dir.path().join("qemu"));
    let serial = std::fs::read_to_string(qemu.serial_log()).unwrap();
    assert!(serial.contains("SPB DESKTOP-READY"), "{serial}");
    let booted = qemu.booted_in();
    eprintln!("virtio guest booted in {booted:?}");
    drop(qemu);
    common::assert_nothing_left(dir.path());
}

#[test]
fn a_qemu_scenario_runs_and_checks_that_its_drag_moved_the_guests_window() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/qemu.toml");
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args([
            "run",
            shipped.to_str().unwrap(),
            "--compression",
            "auto_glz",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let result = spicebench::results::RunResult::read(out.join("runs/auto_glz.json")).unwrap();
    let effect = result.effect.expect("the guest's drag window was read");
    assert!(
        effect.ok,
        "the drag did not move the guest's xterm: {effect:?}"
    );
    assert!(
        result.rates.iter().any(|r| r.key == spicebench::results::SeriesKey::DISPLAY_DOWN
            && r.peak_1s_mib_s > 0.0),
        "{:?}",
        result.rates
    );
    let cpu = result.cpu.expect("CPU per component");
    let server = cpu
        .active
        .component(spicebench::results::Component::Server)
        .expect("QEMU counted as the server");
    assert_eq!(server.processes, 1);
    assert!(server.cpu_s > 0.0);
    // The VM's identity as QEMU sent it on the main channel.
    assert_eq!(
        result.server.vm_name.as_deref(),
        Some("spicebench-auto_glz")
    );
    let uuid = result.server.vm_uuid.clone().expect("the VM's UUID");
    assert_eq!((uuid.len(), uuid.matches('-').count()), (36, 4), "{uuid}");
    assert!(
        result
            .server
            .software
            .as_deref()
            .unwrap_or("")
            .contains("qxl + qxl X driver"),
        "{:?}",
        result.server.software
    );
    common::assert_nothing_left(dir.path());
}
