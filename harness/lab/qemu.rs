//! QEMU with a SPICE display, booting spicebench's desktop guest ([`super::guest`]) for one
//! configuration: the accelerator, display device, guest X driver and pointer device as asked,
//! SPICE on a leased loopback port (or a Unix socket) with a ticket, the guest's progress read
//! from its serial console, and a stop by PID (the monitor's `quit`, then signals).
//!
//! The ticket reaches QEMU in a file only root can read (`-object secret,file=`), never on the
//! command line, which every local user can read in `/proc`.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::guest::GuestImage;
use super::ports::{reserve_port, PortLease};
use super::process::{wait_listening, wait_ready, ManagedChild};
use super::LabError;
use crate::scenario::{Accel, Compression, Gpu, PointerDevice, QemuMachine};
use crate::secret::Secret;

/// The QEMU program on PATH, when the system has one.
const ON_PATH: &str = "qemu-system-x86_64";
/// Where `scripts/install-deps.sh` unpacks Debian's QEMU when installing the package would
/// remove other packages (`shared/LAB.md` §9).
const UNPACKED: &str = "/opt/spicebench/qemu";
/// The serial line the guest prints once its desktop is up.
pub const READY_LINE: &str = "SPB DESKTOP-READY";
/// The title of the guest's xterm, the window drags move.
pub const DRAG_WINDOW_TITLE: &str = "spicebench-drag";
/// The serial line the guest prints when its X server died (its log follows).
pub const XORG_DIED_LINE: &str = "SPB XORG-DIED";
/// How long a query over the guest's control console may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the monitor's `quit` may take before signals follow.
const QUIT_GRACE: Duration = Duration::from_secs(3);

/// A QEMU to start: the program and what it needs beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuBinary {
    /// `qemu-system-x86_64`.
    pub program: PathBuf,
    /// `QEMU_MODULE_DIR` for an unpacked QEMU (its display devices and SPICE are modules).
    pub module_dir: Option<PathBuf>,
    /// Firmware folders (`-L`): the BIOS and option ROMs.
    pub firmware_dirs: Vec<PathBuf>,
}

impl QemuBinary {
    /// The system's QEMU, or the one `install-deps.sh` unpacked.
    pub fn find() -> Result<Self, LabError> {
        let on_path = std::env::var_os("PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(ON_PATH))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.is_file());
        if let Some(program) = on_path {
            return Ok(Self {
                program,
                module_dir: None,
                firmware_dirs: Vec::new(),
            });
        }
        let root = Path::new(UNPACKED);
        let program = root.join("usr/bin/qemu-system-x86_64");
        if program.is_file() {
            return Ok(Self {
                program,
                module_dir: Some(root.join("usr/lib/x86_64-linux-gnu/qemu")),
                firmware_dirs: vec![
                    root.join("usr/share/qemu"),
                    "/usr/share/seabios".into(),
                    "/usr/lib/ipxe/qemu".into(),
                ],
            });
        }
        Err(LabError::Missing {
            program: ON_PATH.into(),
            package: format!(
                "qemu-system-x86; or run scripts/install-deps.sh, which unpacks it into {UNPACKED}"
            ),
        })
    }
}

/// Whether `/dev/kvm` is a hardware accelerator QEMU can use: the device exists and the
/// Intel or AMD KVM module is loaded. (Some clouds give a `/dev/kvm` of a nested
/// paravirtual kind on which guests stall; `shared/LAB.md` §9.)
pub fn kvm_usable() -> bool {
    Path::new("/dev/kvm").exists()
        && (Path::new("/sys/module/kvm_intel").exists()
            || Path::new("/sys/module/kvm_amd").exists())
}

/// The accelerator `asked` comes to on this machine: `auto` is KVM where usable, else TCG.
pub fn resolve_accel(asked: Accel) -> Result<Accel, LabError> {
    match (asked, kvm_usable()) {
        (Accel::Auto, true) | (Accel::Kvm, true) => Ok(Accel::Kvm),
        (Accel::Auto, false) | (Accel::Tcg, _) => Ok(Accel::Tcg),
        (Accel::Kvm, false) => Err(LabError::KvmUnusable),
    }
}

/// Where the SPICE server listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// A leased TCP port on 127.0.0.1.
    Tcp,
    /// A Unix socket in the configuration's folder.
    Unix,
}

/// Where a started QEMU's SPICE server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpiceAddress {
    /// 127.0.0.1 and this port.
    Tcp(u16),
    /// This socket.
    Unix(PathBuf),
}

/// One guest to boot.
#[derive(Debug, Clone)]
pub struct QemuConfig {
    /// The machine; its accelerator resolved ([`Accel::Kvm`] or [`Accel::Tcg`], see
    /// [`resolve_accel`]).
    pub machine: QemuMachine,
    /// SPICE's `image-compression`.
    pub image_compression: Compression,
    /// Further `-spice` options as QEMU spells them (`jpeg-wan-compression=always`, …).
    pub spice_options: Vec<(String, String)>,
    /// The SPICE ticket (never empty: QEMU's port is always ticketed).
    pub ticket: Secret,
    /// TCP or a Unix socket.
    pub listen: Listen,
    /// How long boot may take, up to the desktop.
    pub timeout: Duration,
    /// The run's stop token.
    pub cancel: Cancel,
    /// The VM's name (`-name`), which SPICE sends to clients.
    pub vm_name: String,
}

impl Default for QemuConfig {
    fn default() -> Self {
        Self {
            machine: QemuMachine {
                accel: Accel::Tcg,
                ..QemuMachine::default()
            },
            image_compression: Compression::AutoGlz,
            spice_options: Vec::new(),
            ticket: Secret::random_ticket(),
            listen: Listen::Tcp,
            // TCG boots in about 15 s; a machine busy with the rest of the run is slower.
            timeout: Duration::from_secs(180),
            cancel: Cancel::new(),
            vm_name: "spicebench-guest".into(),
        }
    }
}

/// A running guest; stopped when dropped.
#[derive(Debug)]
pub struct Qemu {
    process: ManagedChild,
    monitor: PathBuf,
    /// The socket of the guest's control console (its second serial port).
    control: PathBuf,
    serial: PathBuf,
    address: SpiceAddress,
    booted_in: Duration,
    /// Held until QEMU has stopped (fields drop in order).
    _port: Option<PortLease>,
}

impl Qemu {
    /// Boots `image` as `config` says, files in `dir`, and waits until the guest's desktop is
    /// up (its serial console says so) and SPICE listens.
    pub fn start(
        binary: &QemuBinary,
        image: &GuestImage,
        config: &QemuConfig,
        dir: &Path,
    ) -> Result<Self, LabError> {
        let io = |context: String| move |source| LabError::Io { context, source };
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let secret = dir.join("spice-ticket");
        // QEMU takes the file's bytes as they are: no trailing newline.
        super::xauth::write_private(&secret, config.ticket.expose().as_bytes(), None)?;
        let serial = dir.join("guest-serial.log");
        let monitor = dir.join("qemu-monitor.sock");
        let control = dir.join("guest-control.sock");
        for stale in [&serial, &monitor, &control] {
            let _ = std::fs::remove_file(stale);
        }
        let (port, address) = match config.listen {
            Listen::Tcp => {
                let lease = reserve_port("QEMU's SPICE port")?;
                let port = lease.port();
                (Some(lease), SpiceAddress::Tcp(port))
            }
            Listen::Unix => (None, SpiceAddress::Unix(dir.join("spice.sock"))),
        };
        let mut cmd = Command::new(&binary.program);
        if let Some(m) = &binary.module_dir {
            cmd.env("QEMU_MODULE_DIR", m);
        }
        let uuid = random_uuid();
        let files = Files {
            secret: &secret,
            serial: &serial,
            monitor: &monitor,
            control: &control,
            uuid: &uuid,
        };
        cmd.args(arguments(binary, image, config, &address, &files));
        let started = Instant::now();
        let mut process = ManagedChild::spawn("qemu-system-x86_64", cmd, &dir.join("qemu.log"))?;
        if let SpiceAddress::Tcp(port) = address {
            wait_listening(
                "QEMU's SPICE port",
                port,
                Duration::from_secs(30),
                &mut process,
                &config.cancel,
                || true,
            )?;
        }
        let mut died = false;
        wait_ready(
            "the QEMU guest's desktop",
            config.timeout,
            &mut process,
            &config.cancel,
            || {
                let text = std::fs::read_to_string(&serial).unwrap_or_default();
                died = text.contains(XORG_DIED_LINE);
                died || text.contains(READY_LINE)
            },
        )?;
        if died {
            return Err(LabError::GuestFailed {
                what: "its X server died".into(),
                log: serial,
            });
        }
        Ok(Self {
            process,
            monitor,
            control,
            serial,
            address,
            booted_in: started.elapsed(),
            _port: port,
        })
    }

    /// Where its SPICE server listens.
    pub fn address(&self) -> &SpiceAddress {
        &self.address
    }

    /// QEMU's PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// The guest's serial console log.
    pub fn serial_log(&self) -> &Path {
        &self.serial
    }

    /// From QEMU's start to the guest's desktop.
    pub fn booted_in(&self) -> Duration {
        self.booted_in
    }

    /// Whether QEMU still runs.
    pub fn is_running(&mut self) -> bool {
        self.process.exited().is_none()
    }

    /// Runs `command` in the guest's control shell and returns what it printed: a query of
    /// the guest's state that nothing polls for.
    pub fn query(&self, command: &str) -> Result<String, LabError> {
        let io = |source| LabError::Io {
            context: format!(
                "asking the guest `{command}` over {}",
                self.control.display()
            ),
            source,
        };
        let mut console = UnixStream::connect(&self.control).map_err(io)?;
        console
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(io)?;
        // The answer lies between two markers the shell prints; they are assembled by printf,
        // so the command's echo (a console may still echo what came before its shell turned
        // echo off) never contains them.
        let nonce = Secret::random_ticket();
        let (begin, end) = (
            format!("SPB-BEGIN-{}\n", nonce.expose()),
            format!("SPB-END-{}", nonce.expose()),
        );
        let line = format!(
            "printf 'SPB-%s-%s\\n' BEGIN {n}; {command}; printf '\\nSPB-%s-%s\\n' END {n}\n",
            n = nonce.expose()
        );
        console.write_all(line.as_bytes()).map_err(io)?;
        let deadline = Instant::now() + QUERY_TIMEOUT;
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match std::io::Read::read(&mut console, &mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(io(e)),
            }
            let text = String::from_utf8_lossy(&answer).replace('\r', "");
            if let Some(between) = text
                .split_once(&begin)
                .and_then(|(_, rest)| rest.split_once(&end))
                .map(|(inside, _)| inside.to_string())
            {
                return Ok(between);
            }
        }
        Err(LabError::GuestFailed {
            what: format!(
                "it did not answer `{command}` within {} s",
                QUERY_TIMEOUT.as_secs()
            ),
            log: self.serial.clone(),
        })
    }

    /// The frame of the guest's drag window (the xterm), read in the guest.
    pub fn drag_window(&self) -> Option<super::x11::WindowGeometry> {
        super::x11::geometry(&self.query("/usr/local/bin/spb-drag-window").ok()?)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        // `quit` lets QEMU close SPICE's connections itself; signals follow if it does not go.
        if let Ok(mut monitor) = UnixStream::connect(&self.monitor) {
            let _ = monitor.write_all(b"quit\n");
            let deadline = Instant::now() + QUIT_GRACE;
            while self.process.exited().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.process.stop(Duration::from_millis(1500));
        let _ = std::fs::remove_file(&self.monitor);
        let _ = std::fs::remove_file(&self.control);
        if let SpiceAddress::Unix(socket) = &self.address {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// A fresh random (version 4) UUID in 8-4-4-4-12 form, for QEMU's `-uuid`: SPICE sends it to
/// clients, and results name the VM by it.
pub fn random_uuid() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    crate::wire::main_channel::format_uuid(&b)
}

/// The files a QEMU uses in its folder.
struct Files<'a> {
    /// The SPICE ticket.
    secret: &'a Path,
    /// The guest's console log.
    serial: &'a Path,
    /// The monitor's socket.
    monitor: &'a Path,
    /// The guest control console's socket.
    control: &'a Path,
    /// The VM's UUID.
    uuid: &'a str,
}

/// QEMU's command line for `config` (no secret in it: the ticket is in a file).
fn arguments(
    binary: &QemuBinary,
    image: &GuestImage,
    config: &QemuConfig,
    address: &SpiceAddress,
    files: &Files<'_>,
) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for dir in &binary.firmware_dirs {
        args.extend(["-L".into(), dir.display().to_string()]);
    }
    let machine = &config.machine;
    let accel = match machine.accel {
        Accel::Kvm => "kvm",
        Accel::Tcg | Accel::Auto => "tcg",
    };
    let mut spice = match address {
        SpiceAddress::Tcp(port) => format!("port={port},addr=127.0.0.1"),
        SpiceAddress::Unix(path) => format!("unix=on,addr={}", path.display()),
    };
    spice.push_str(&format!(
        ",password-secret=spiceticket,image-compression={}",
        config.image_compression
    ));
    for (k, v) in &config.spice_options {
        spice.push_str(&format!(",{k}={v}"));
    }
    args.extend(
        [
            "-name",
            &config.vm_name,
            "-uuid",
            files.uuid,
            "-accel",
            accel,
            "-m",
            &machine.memory_mib.to_string(),
            "-smp",
            &machine.cpus.max(1).to_string(),
            "-kernel",
            &image.kernel.display().to_string(),
            "-initrd",
            &image.initrd.display().to_string(),
            "-append",
            &format!("console=ttyS0 quiet xdrv={}", machine.x_driver),
            "-object",
            &format!("secret,id=spiceticket,file={}", files.secret.display()),
            "-spice",
            &spice,
            "-display",
            "none",
            "-nic",
            "none",
            "-serial",
            &format!("file:{}", files.serial.display()),
            "-monitor",
            &format!("unix:{},server,nowait", files.monitor.display()),
            // The guest's second serial port: its control console.
            "-chardev",
            &format!(
                "socket,id=control,path={},server=on,wait=off",
                files.control.display()
            ),
            "-device",
            "isa-serial,chardev=control",
        ]
        .map(String::from),
    );
    match machine.gpu {
        Gpu::Qxl => args.extend(["-vga", "qxl"].map(String::from)),
        Gpu::Virtio => args.extend(["-vga", "none", "-device", "virtio-vga"].map(String::from)),
    }
    if machine.pointer == PointerDevice::Tablet {
        args.extend(["-usb", "-device", "usb-tablet"].map(String::from));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> GuestImage {
        GuestImage {
            kernel: "/cache/k/vmlinuz".into(),
            initrd: "/cache/k/desktop.cpio".into(),
            kernel_version: "6.1.0-57-amd64".into(),
            key: "k".into(),
        }
    }

    fn args_for(config: &QemuConfig, address: SpiceAddress) -> String {
        let binary = QemuBinary {
            program: "qemu".into(),
            module_dir: None,
            firmware_dirs: vec!["/fw".into()],
        };
        let files = Files {
            secret: Path::new("/d/spice-ticket"),
            serial: Path::new("/d/serial"),
            monitor: Path::new("/d/mon"),
            control: Path::new("/d/ctl"),
            uuid: "5b3f1c2a-9011-4e2b-8c4d-001122334455",
        };
        arguments(&binary, &image(), config, &address, &files).join(" ")
    }

    #[test]
    fn the_command_line_carries_the_devices_and_never_the_ticket() {
        let config = QemuConfig {
            ticket: Secret::new("s3cret-ticket"),
            spice_options: vec![("jpeg-wan-compression".into(), "always".into())],
            ..QemuConfig::default()
        };
        let line = args_for(&config, SpiceAddress::Tcp(5931));
        for part in [
            "-L /fw",
            "-name spicebench-guest -uuid 5b3f1c2a-9011-4e2b-8c4d-001122334455 -accel tcg",
            "-kernel /cache/k/vmlinuz -initrd /cache/k/desktop.cpio",
            "-append console=ttyS0 quiet xdrv=qxl",
            "-object secret,id=spiceticket,file=/d/spice-ticket",
            "-spice port=5931,addr=127.0.0.1,password-secret=spiceticket,image-compression=auto_glz,jpeg-wan-compression=always",
            "-vga qxl",
            "-usb -device usb-tablet",
            "-serial file:/d/serial -monitor unix:/d/mon,server,nowait",
            "-chardev socket,id=control,path=/d/ctl,server=on,wait=off -device isa-serial,chardev=control",
        ] {
            assert!(line.contains(part), "{part} missing from {line}");
        }
        assert!(
            !line.contains("s3cret"),
            "the ticket is on the command line: {line}"
        );
    }

    #[test]
    fn virtio_ps2_and_a_unix_socket() {
        let config = QemuConfig {
            machine: QemuMachine {
                accel: Accel::Tcg,
                gpu: Gpu::Virtio,
                x_driver: crate::scenario::XDriver::Modesetting,
                pointer: PointerDevice::Ps2,
                ..QemuMachine::default()
            },
            image_compression: Compression::Off,
            ..QemuConfig::default()
        };
        let line = args_for(&config, SpiceAddress::Unix("/d/spice.sock".into()));
        assert!(line.contains("-vga none -device virtio-vga"), "{line}");
        assert!(line.contains("xdrv=modesetting"), "{line}");
        assert!(
            line.contains("-spice unix=on,addr=/d/spice.sock,password-secret"),
            "{line}"
        );
        assert!(line.contains("image-compression=off"), "{line}");
        assert!(!line.contains("usb-tablet"), "{line}");
    }

    #[test]
    fn kvm_is_refused_where_unusable_and_auto_falls_back() {
        let tcg = resolve_accel(Accel::Tcg).unwrap();
        assert_eq!(tcg, Accel::Tcg);
        let auto = resolve_accel(Accel::Auto).unwrap();
        if kvm_usable() {
            assert_eq!(auto, Accel::Kvm);
        } else {
            assert_eq!(auto, Accel::Tcg);
            let e = resolve_accel(Accel::Kvm).unwrap_err();
            assert!(e.to_string().contains("accel = \"tcg\""), "{e}");
        }
    }
}
