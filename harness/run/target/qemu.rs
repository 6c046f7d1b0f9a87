//! The QEMU target: spicebench's desktop guest booted for one configuration, with the
//! configuration's image compression and knobs as QEMU's own `-spice` options, a fresh random
//! ticket, and QEMU's process counted as the server's CPU.

use std::path::Path;

use super::{Endpoint, Health, Target};
use crate::cancel::Cancel;
use crate::lab::guest;
use crate::lab::qemu::{resolve_accel, Listen, Qemu, QemuBinary, QemuConfig, SpiceAddress};
use crate::plan::{Configuration, ServerKnobs};
use crate::results::Component;
use crate::run::RunError;
use crate::scenario::{Accel, Geometry, QemuMachine, GUEST_SCREEN};
use crate::secret::Secret;

/// QEMU's `-spice` options that set the configuration's knobs, spelled as QEMU spells them;
/// knobs left at the server's default set nothing.
pub fn spice_options(knobs: &ServerKnobs) -> Vec<(String, String)> {
    let mut options = Vec::new();
    let mut set = |k: &str, v: String| options.push((k.to_string(), v));
    if let Some(v) = knobs.jpeg_wan {
        set("jpeg-wan-compression", v.as_str().into());
    }
    if let Some(v) = knobs.zlib_glz_wan {
        set("zlib-glz-wan-compression", v.as_str().into());
    }
    if let Some(v) = knobs.streaming_video {
        set("streaming-video", v.as_str().into());
    }
    if let Some(v) = &knobs.video_codecs {
        set("video-codecs", v.to_string());
    }
    if let Some(v) = knobs.playback_compression {
        set("playback-compression", if v { "on" } else { "off" }.into());
    }
    options
}

/// A booted guest; QEMU stops when this is dropped.
#[derive(Debug)]
pub struct QemuTarget {
    qemu: Qemu,
    endpoint: Endpoint,
    ticket: Secret,
    accel: Accel,
    software: Option<String>,
}

impl QemuTarget {
    /// Builds the guest if the cache has none (once, about a minute), then boots it for
    /// `config`, files in `lab_dir`.
    pub fn start(
        machine: &QemuMachine,
        config: &Configuration,
        lab_dir: &Path,
        cancel: &Cancel,
    ) -> Result<Self, RunError> {
        let binary = QemuBinary::find()?;
        let progress = |line: &str| crate::errln!("{line}");
        let image = guest::ensure(&guest::cache_root(), &progress, cancel)?;
        let accel = resolve_accel(machine.accel)?;
        let ticket = Secret::random_ticket();
        let qemu = Qemu::start(
            &binary,
            &image,
            &QemuConfig {
                machine: QemuMachine { accel, ..*machine },
                image_compression: config.compression,
                spice_options: spice_options(&config.knobs),
                ticket: ticket.clone(),
                listen: Listen::Tcp,
                cancel: cancel.clone(),
                vm_name: format!("spicebench-{}", config.name),
                ..QemuConfig::default()
            },
            &lab_dir.join("qemu"),
        )?;
        let endpoint = match qemu.address() {
            SpiceAddress::Tcp(port) => Endpoint::loopback(*port),
            SpiceAddress::Unix(path) => {
                return Err(RunError::Viewer(format!(
                    "QEMU listens on the Unix socket {}, which viewers cannot reach yet",
                    path.display()
                )))
            }
        };
        let software = Some(format!(
            "QEMU ({}), guest kernel {}, {} + {} X driver, {} accel, booted in {:.1} s",
            binary.program.display(),
            image.kernel_version,
            machine.gpu,
            machine.x_driver,
            accel,
            qemu.booted_in().as_secs_f64()
        ));
        Ok(Self {
            qemu,
            endpoint,
            ticket,
            accel,
            software,
        })
    }

    /// The accelerator the guest ran under.
    pub fn accel(&self) -> Accel {
        self.accel
    }
}

impl Target for QemuTarget {
    fn processes(&self) -> Vec<(Component, u32)> {
        self.qemu
            .pid()
            .map(|p| (Component::Server, p))
            .into_iter()
            .collect()
    }

    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ticket(&self) -> &Secret {
        &self.ticket
    }

    fn geometry(&self) -> Option<Geometry> {
        Some(Geometry {
            width: GUEST_SCREEN.0,
            height: GUEST_SCREEN.1,
        })
    }

    fn software(&self) -> Option<String> {
        self.software.clone()
    }

    fn drag_window(&self) -> Option<crate::lab::x11::WindowGeometry> {
        self.qemu.drag_window()
    }

    fn drag_title(&self) -> Option<&'static str> {
        Some(crate::lab::qemu::DRAG_WINDOW_TITLE)
    }

    fn pointer_tolerance_px(&self) -> u32 {
        // usb-tablet scales positions to 0..32767 and back: the pointer ends a pixel off.
        2
    }

    fn health(&mut self) -> Health {
        if self.qemu.is_running() {
            Health::Running
        } else {
            Health::Exited(format!(
                "QEMU exited; the guest's serial console is {}",
                self.qemu.serial_log().display()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{StreamingVideo, WanCompression};

    #[test]
    fn knobs_become_qemus_own_spice_options() {
        let knobs = ServerKnobs {
            jpeg_wan: Some(WanCompression::Always),
            streaming_video: Some(StreamingVideo::Off),
            playback_compression: Some(false),
            ..ServerKnobs::default()
        };
        assert_eq!(
            spice_options(&knobs),
            [
                ("jpeg-wan-compression".to_string(), "always".to_string()),
                ("streaming-video".into(), "off".into()),
                ("playback-compression".into(), "off".into()),
            ]
        );
        assert!(spice_options(&ServerKnobs::default()).is_empty());
    }
}
