//! What a QEMU guest is made of, as scenario files, results and the lab name it: the
//! accelerator, the display device and the guest's X driver, the pointer device.

crate::named_enum::named_enum! {
    /// How QEMU runs the guest's CPU.
    #[derive(Default)]
    pub enum Accel {
        /// KVM where `/dev/kvm` is a usable hardware accelerator, otherwise TCG.
        #[default]
        Auto = "auto",
        /// Hardware virtualisation.
        Kvm = "kvm",
        /// QEMU's own translator: slow, but works anywhere.
        Tcg = "tcg",
    }
}

crate::named_enum::named_enum! {
    /// The guest's display device.
    #[derive(Default)]
    pub enum Gpu {
        /// QXL, SPICE's paravirtual 2D device.
        #[default]
        Qxl = "qxl",
        /// virtio-vga: a plain framebuffer QEMU sends dirty rectangles of.
        Virtio = "virtio",
    }
}

crate::named_enum::named_enum! {
    /// The guest X server's driver: it decides as much as the device what SPICE sends.
    pub enum XDriver {
        /// xf86-video-qxl: real 2D commands (copies, fills) over QXL.
        Qxl = "qxl",
        /// modesetting without acceleration: a dumb framebuffer on any device.
        Modesetting = "modesetting",
    }
}

crate::named_enum::named_enum! {
    /// The guest's pointer device.
    #[derive(Default)]
    pub enum PointerDevice {
        /// usb-tablet: absolute positions (SPICE's client mouse mode).
        #[default]
        Tablet = "tablet",
        /// The PS/2 mouse only: relative motion (server mouse mode).
        Ps2 = "ps2",
    }
}

/// The guest a `qemu` target boots, whatever the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QemuMachine {
    /// How the CPU runs (as asked; the run resolves `auto`).
    pub accel: Accel,
    /// The display device.
    pub gpu: Gpu,
    /// The guest X server's driver.
    pub x_driver: XDriver,
    /// The pointer device.
    pub pointer: PointerDevice,
    /// Guest memory, MiB.
    pub memory_mib: u32,
    /// Guest CPUs.
    pub cpus: u32,
}

impl Default for QemuMachine {
    fn default() -> Self {
        Self {
            accel: Accel::Auto,
            gpu: Gpu::Qxl,
            x_driver: XDriver::Qxl,
            pointer: PointerDevice::Tablet,
            memory_mib: 2048,
            cpus: 1,
        }
    }
}

/// The guest's screen: the X configs of `spicebench guest build` set one 1024x768 mode.
pub const GUEST_SCREEN: (u32, u32) = (1024, 768);

impl Gpu {
    /// The X driver a guest with this device runs unless told otherwise: the one that
    /// speaks its 2D commands for qxl, modesetting for virtio.
    pub fn default_x_driver(self) -> XDriver {
        match self {
            Self::Qxl => XDriver::Qxl,
            Self::Virtio => XDriver::Modesetting,
        }
    }

    /// Whether the guest can run `driver` on this device (the qxl driver needs the QXL
    /// device).
    pub fn supports(self, driver: XDriver) -> bool {
        !(self == Self::Virtio && driver == XDriver::Qxl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_defaults() {
        assert_eq!(Gpu::from_name("virtio"), Some(Gpu::Virtio));
        assert_eq!(Gpu::default().default_x_driver(), XDriver::Qxl);
        assert!(!Gpu::Virtio.supports(XDriver::Qxl));
        assert!(Gpu::Qxl.supports(XDriver::Modesetting));
        assert_eq!(Accel::default(), Accel::Auto);
        assert_eq!(PointerDevice::Ps2.to_string(), "ps2");
    }
}
