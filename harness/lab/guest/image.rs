//! `spicebench guest build`: a small Debian desktop guest for QEMU, made once into a cache and
//! reused — a Debian kernel and an initramfs holding a minimal root file system (mmdebstrap)
//! with Xorg (qxl and modesetting drivers), twm, xterm and the lab's picture. It boots to its
//! desktop under TCG in about 15 s, with no disk and no network.
//!
//! The cache entry is named after the recipe (this file's package list, the guest's files and
//! the format), so a changed recipe builds anew and an unchanged one is reused; a build runs in
//! a folder of its own and is renamed into place only when complete, under a lock, so a failed
//! or interrupted build leaves nothing that looks finished and two runs never build at once.

use std::io::BufWriter;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::cpio::{Archive, Entry, Kind};
use crate::cancel::Cancel;
use crate::lab::process::{require, ManagedChild};
use crate::lab::run_lock;
use crate::lab::LabError;

/// The Debian release the guest is made of (the lab machines' own).
const SUITE: &str = "bookworm";
/// Where its packages come from.
const MIRRORS: [&str; 3] = [
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
];
/// What the guest runs: Xorg with the qxl driver (modesetting is in the core), evdev input,
/// fonts twm and xterm need, xwud for the picture, xdpyinfo/xwininfo for the init's readiness
/// checks, and udev (through kmod) to load the drivers.
const PACKAGES: &[&str] = &[
    "xserver-xorg-core",
    "xserver-xorg-video-qxl",
    "xserver-xorg-input-evdev",
    "xfonts-base",
    "twm",
    "xterm",
    "x11-xserver-utils",
    "x11-utils",
    "x11-apps",
    "kmod",
];
/// Kernel modules the guest loads (by udev): display, virtio, input, HID and USB host (the
/// usb-tablet). Everything else of the kernel stays out of the initramfs.
const MODULES: &[&str] = &[
    "drivers/gpu/drm/drm.ko",
    "drivers/gpu/drm/drm_kms_helper.ko",
    "drivers/gpu/drm/drm_ttm_helper.ko",
    "drivers/gpu/drm/drm_shmem_helper.ko",
    "drivers/gpu/drm/ttm",
    "drivers/gpu/drm/qxl",
    "drivers/gpu/drm/virtio",
    "drivers/virtio",
    "drivers/input/evdev.ko",
    "drivers/input/mouse/psmouse.ko",
    "drivers/hid/hid.ko",
    "drivers/hid/hid-generic.ko",
    "drivers/hid/usbhid",
    "drivers/usb/core",
    "drivers/usb/common",
    "drivers/usb/host/uhci-hcd.ko",
    "drivers/usb/host/ehci-hcd.ko",
    "drivers/usb/host/ehci-pci.ko",
    "drivers/usb/host/xhci-hcd.ko",
    "drivers/usb/host/xhci-pci.ko",
];
/// What the root file system does not need: mesa's software renderer and LLVM (pulled in by
/// libglx-mesa0's dependencies; Xorg runs without glamor), ICU, compilers' files, apt's lists
/// and caches, documentation. About half of the tree.
const TRIMMED: &[&str] = &[
    "usr/lib/x86_64-linux-gnu/dri",
    "usr/share/icu",
    "usr/lib/gcc",
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
];
/// Library file name prefixes trimmed from `usr/lib/x86_64-linux-gnu` (see [`TRIMMED`]).
const TRIMMED_LIBRARIES: &[&str] = &["libLLVM", "libz3.so", "libicu"];

const INIT: &str = include_str!("assets/init.sh");
const XORG_QXL: &str = include_str!("assets/xorg-qxl.conf");
const XORG_MODESETTING: &str = include_str!("assets/xorg-modesetting.conf");
const DRAG_WINDOW: &str = include_str!("assets/drag-window.sh");
const TWMRC: &str = include_str!("../assets/twmrc");
/// ImageMagick arguments of the picture (the lab's plasma, as the Xspice desktop shows it),
/// written as an XWD dump so the guest needs no ImageMagick.
const PICTURE: [&str; 6] = [
    "-seed",
    "42",
    "-size",
    "900x640",
    "plasma:fractal",
    "-depth",
];
/// Bumped when the way the image is put together changes without the inputs above changing.
const FORMAT: u32 = 1;
/// Every entry of the initramfs carries this time, so the archive's bytes are reproducible.
const ARCHIVE_MTIME: u32 = 0;

/// A built guest: what QEMU boots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestImage {
    /// The kernel (`-kernel`).
    pub kernel: PathBuf,
    /// The initramfs (`-initrd`).
    pub initrd: PathBuf,
    /// The kernel's version, e.g. `6.1.0-57-amd64`.
    pub kernel_version: String,
    /// The recipe's key, the cache entry's name.
    pub key: String,
}

/// The cache folder of guests: `/var/cache/spicebench/guest` for root, else under
/// `$XDG_CACHE_HOME` (or `~/.cache`).
pub fn cache_root() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/cache/spicebench/guest");
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("spicebench/guest")
}

/// The recipe's key: a digest of everything that decides the guest's contents.
pub fn recipe_key() -> String {
    let mut h = Sha1::new();
    for part in [SUITE, INIT, XORG_QXL, XORG_MODESETTING, TWMRC, DRAG_WINDOW]
        .into_iter()
        .chain(MIRRORS)
        .chain(PACKAGES.iter().copied())
        .chain(MODULES.iter().copied())
        .chain(PICTURE)
    {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(FORMAT.to_le_bytes());
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The guest in `root` for the current recipe, if one was built.
pub fn cached(root: &Path) -> Option<GuestImage> {
    let dir = root.join(recipe_key());
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    let image: GuestImage = serde_json::from_str(&manifest).ok()?;
    (image.kernel.is_file() && image.initrd.is_file()).then_some(image)
}

/// The guest for the current recipe: the cached one, or one built now into `root` (about a
/// minute; `progress` gets a line per step). Waits while another run builds the same one.
pub fn ensure(
    root: &Path,
    progress: &dyn Fn(&str),
    cancel: &Cancel,
) -> Result<GuestImage, LabError> {
    if let Some(image) = cached(root) {
        return Ok(image);
    }
    std::fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
    let key = recipe_key();
    let _lock = run_lock::lock(&format!("guest-build-{key}"), cancel)?;
    // Another run may have finished it while this one waited.
    if let Some(image) = cached(root) {
        return Ok(image);
    }
    remove_unfinished(root, &key)?;
    build(root, &key, progress, cancel)
}

/// Removes what builds of `key` that were killed left (the lock is held, so none is running):
/// first detaching anything still mounted inside (mmdebstrap mounts /proc, /sys and /dev into
/// the tree while it installs), so the removal never reaches into the machine's own /dev.
fn remove_unfinished(root: &Path, key: &str) -> Result<(), LabError> {
    let prefix = format!("{key}.building-");
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let dir = e.path();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut mounts = mounts_under(&mountinfo, &dir);
        // Deepest first.
        mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
        for m in &mounts {
            let Ok(c) = std::ffi::CString::new(m.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            // SAFETY: a valid NUL-terminated path; MNT_DETACH only detaches.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
        let still = mounts_under(
            &std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
            &dir,
        );
        if !still.is_empty() {
            return Err(failed(
                "removing an unfinished build",
                format!(
                    "{} is still mounted; unmount it (umount -R) and remove {}",
                    still[0].display(),
                    dir.display()
                ),
                None,
            ));
        }
        std::fs::remove_dir_all(&dir).map_err(io(format!("removing {}", dir.display())))?;
    }
    Ok(())
}

/// The mount points at or under `dir` in a `/proc/self/mountinfo` text (field 5; spaces and
/// other odd bytes escaped as `\ooo`).
pub fn mounts_under(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(crate::lab::containment::unescape_mount_path(p)))
        .filter(|p| p.starts_with(dir))
        .collect()
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> LabError {
    move |source| LabError::Io { context, source }
}

fn failed(step: &str, detail: impl Into<String>, log: Option<&Path>) -> LabError {
    LabError::GuestBuild {
        step: step.to_string(),
        detail: detail.into(),
        log: log.map_or(String::new(), |l| format!("; its log: {}", l.display())),
    }
}

/// Runs one build step's program to its end, output in `log`.
fn run_step(step: &str, cmd: Command, log: &Path, cancel: &Cancel) -> Result<(), LabError> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let child = ManagedChild::spawn(&name, cmd, log)?;
    match child.finish(cancel) {
        Err(LabError::Exited { status, .. }) => Err(failed(step, status, Some(log))),
        other => other,
    }
}

fn build(
    root: &Path,
    key: &str,
    progress: &dyn Fn(&str),
    cancel: &Cancel,
) -> Result<GuestImage, LabError> {
    require("/usr/bin/mmdebstrap")?;
    require("/usr/bin/convert")?;
    let work = tempfile::Builder::new()
        .prefix(&format!("{key}.building-"))
        .tempdir_in(root)
        .map_err(io(format!("creating a build folder in {}", root.display())))?;
    let dir = work.path();
    let rootfs = dir.join("rootfs");

    progress("guest: installing Debian into a root file system (mmdebstrap, about 45 s)");
    let mut cmd = Command::new("/usr/bin/mmdebstrap");
    cmd.arg("--variant=minbase")
        .arg(format!("--include={}", PACKAGES.join(",")))
        .args([
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            "--dpkgopt=path-exclude=/usr/share/info/*",
        ])
        .arg(SUITE)
        .arg(&rootfs)
        .args(MIRRORS);
    run_step(
        "installing Debian (mmdebstrap)",
        cmd,
        &dir.join("mmdebstrap.log"),
        cancel,
    )?;

    progress("guest: fetching the Debian kernel");
    let kernel_deb = download_kernel(dir, cancel)?;
    let unpacked = dir.join("kernel");
    let mut cmd = Command::new("dpkg-deb");
    cmd.arg("-x").arg(&kernel_deb).arg(&unpacked);
    run_step(
        "unpacking the kernel",
        cmd,
        &dir.join("dpkg-deb.log"),
        cancel,
    )?;
    let (kernel_version, vmlinuz) = kernel_files(&unpacked)?;

    progress("guest: trimming, adding the kernel's modules and the desktop's files");
    trim(&rootfs)?;
    add_modules(&unpacked, &rootfs, &kernel_version, dir, cancel)?;
    add_desktop_files(&rootfs, dir, cancel)?;

    progress("guest: packing the initramfs");
    let final_dir = root.join(key);
    let image = GuestImage {
        kernel: final_dir.join("vmlinuz"),
        initrd: final_dir.join("desktop.cpio"),
        kernel_version,
        key: key.to_string(),
    };
    std::fs::copy(&vmlinuz, dir.join("vmlinuz")).map_err(io("copying the kernel".into()))?;
    pack(&rootfs, &dir.join("desktop.cpio"))?;
    // Only what QEMU boots stays; the tree and the packages go.
    for leftover in [&rootfs, &unpacked] {
        std::fs::remove_dir_all(leftover)
            .map_err(io(format!("removing {}", leftover.display())))?;
    }
    std::fs::remove_file(&kernel_deb).map_err(io("removing the kernel package".into()))?;
    let manifest = serde_json::to_string_pretty(&image).unwrap_or_default();
    std::fs::write(dir.join("manifest.json"), manifest)
        .map_err(io("writing the guest's manifest".into()))?;
    let built = work.keep();
    std::fs::rename(&built, &final_dir).map_err(io(format!(
        "moving the built guest to {}",
        final_dir.display()
    )))?;
    remove_other_recipes(root, key);
    progress(&format!("guest: ready in {}", final_dir.display()));
    Ok(image)
}

/// Removes the guests of other recipes (an older spicebench's): each is about 230 MB, and
/// a changed recipe never uses them again. Best effort: a guest QEMU booted has its files
/// loaded already.
fn remove_other_recipes(root: &Path, key: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let finished = name.len() == key.len() && name.bytes().all(|b| b.is_ascii_hexdigit());
        if finished && name != key && e.path().join("manifest.json").is_file() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Downloads the newest `linux-image-<version>-amd64` the host's apt knows into `dir`; when the
/// package lists are too old to have one that still exists, updates them once and retries.
fn download_kernel(dir: &Path, cancel: &Cancel) -> Result<PathBuf, LabError> {
    for attempt in 0..2 {
        if attempt == 1 {
            let mut cmd = Command::new("apt-get");
            cmd.args(["update", "-q"]);
            run_step(
                "updating apt's package lists",
                cmd,
                &dir.join("apt-update.log"),
                cancel,
            )?;
        }
        let Some(package) = newest_kernel_package()? else {
            continue;
        };
        let mut cmd = Command::new("apt-get");
        cmd.args(["download", "-q", &package]).current_dir(dir);
        let log = dir.join("apt-download.log");
        match run_step("downloading the kernel", cmd, &log, cancel) {
            Ok(()) => {
                return find_file(dir, |n| n.starts_with(&package) && n.ends_with(".deb"))
                    .ok_or_else(|| {
                        failed("downloading the kernel", "no .deb arrived", Some(&log))
                    });
            }
            Err(e) if attempt == 1 => return Err(e),
            Err(_) => {}
        }
    }
    Err(failed(
        "looking for a kernel",
        "apt knows no linux-image-<version>-amd64 package",
        None,
    ))
}

/// The newest versioned `linux-image-…-amd64` package in apt's lists (the newest ABI).
fn newest_kernel_package() -> Result<Option<String>, LabError> {
    let out = Command::new("apt-cache")
        .args([
            "search",
            "--names-only",
            "^linux-image-[0-9.]+-[0-9]+-amd64$",
        ])
        .output()
        .map_err(|source| LabError::Spawn {
            program: "apt-cache".into(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(newest_kernel(&text))
}

/// The newest kernel package of an `apt-cache search` listing, by its version numbers.
pub fn newest_kernel(listing: &str) -> Option<String> {
    let version = |name: &str| -> Vec<u64> {
        name.trim_start_matches("linux-image-")
            .trim_end_matches("-amd64")
            .split(['.', '-'])
            .map(|n| n.parse().unwrap_or(0))
            .collect()
    };
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| {
            // A versioned image (`linux-image-6.1.0-57-amd64`), not the `linux-image-amd64`
            // metapackage.
            n.strip_prefix("linux-image-")
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                && n.ends_with("-amd64")
        })
        .max_by_key(|n| version(n))
        .map(str::to_string)
}

fn find_file(dir: &Path, wanted: impl Fn(&str) -> bool) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        wanted(&name).then(|| e.path())
    })
}

/// The kernel's version and its vmlinuz in an unpacked kernel package.
fn kernel_files(unpacked: &Path) -> Result<(String, PathBuf), LabError> {
    let modules = unpacked.join("lib/modules");
    let version = std::fs::read_dir(&modules)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .ok_or_else(|| {
            failed(
                "unpacking the kernel",
                "no lib/modules/<version> in it",
                None,
            )
        })?;
    let vmlinuz = unpacked.join(format!("boot/vmlinuz-{version}"));
    if !vmlinuz.is_file() {
        return Err(failed(
            "unpacking the kernel",
            format!("no boot/vmlinuz-{version} in it"),
            None,
        ));
    }
    Ok((version, vmlinuz))
}

fn trim(rootfs: &Path) -> Result<(), LabError> {
    for path in TRIMMED {
        let p = rootfs.join(path);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(io(format!("trimming {}", p.display())))?;
        }
    }
    let libs = rootfs.join("usr/lib/x86_64-linux-gnu");
    if let Ok(entries) = std::fs::read_dir(&libs) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if TRIMMED_LIBRARIES.iter().any(|p| name.starts_with(p)) {
                std::fs::remove_file(e.path()).map_err(io(format!("trimming {name}")))?;
            }
        }
    }
    Ok(())
}

/// Copies [`MODULES`] from the kernel package into the tree and indexes them with `depmod`,
/// so udev finds each by its alias.
fn add_modules(
    unpacked: &Path,
    rootfs: &Path,
    version: &str,
    dir: &Path,
    cancel: &Cancel,
) -> Result<(), LabError> {
    let from = unpacked.join("lib/modules").join(version);
    let to = rootfs.join("lib/modules").join(version);
    if to.exists() {
        std::fs::remove_dir_all(&to).map_err(io(format!("clearing {}", to.display())))?;
    }
    std::fs::create_dir_all(to.join("kernel")).map_err(io("creating the modules folder".into()))?;
    for file in [
        "modules.builtin",
        "modules.builtin.modinfo",
        "modules.order",
    ] {
        std::fs::copy(from.join(file), to.join(file)).map_err(io(format!("copying {file}")))?;
    }
    for module in MODULES {
        copy_tree(
            &from.join("kernel").join(module),
            &to.join("kernel").join(module),
        )?;
    }
    let mut cmd = Command::new("chroot");
    cmd.arg(rootfs).args(["depmod", "-a", version]);
    run_step(
        "indexing the kernel modules (depmod)",
        cmd,
        &dir.join("depmod.log"),
        cancel,
    )
}

/// Copies a file, or a folder with everything in it.
fn copy_tree(from: &Path, to: &Path) -> Result<(), LabError> {
    let meta = std::fs::metadata(from).map_err(io(format!("reading {}", from.display())))?;
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    if meta.is_dir() {
        std::fs::create_dir_all(to).map_err(io(format!("creating {}", to.display())))?;
        let entries = std::fs::read_dir(from).map_err(io(format!("reading {}", from.display())))?;
        for e in entries.flatten() {
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(io(format!("copying {}", from.display())))
    }
}

/// The init, the X configs, twm's config and the picture.
fn add_desktop_files(rootfs: &Path, dir: &Path, cancel: &Cancel) -> Result<(), LabError> {
    let write = |path: &str, text: &str, mode: u32| -> Result<(), LabError> {
        let p = rootfs.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io(format!("creating {}", parent.display())))?;
        }
        std::fs::write(&p, text).map_err(io(format!("writing {}", p.display())))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(io(format!("setting the mode of {}", p.display())))
    };
    write("init", INIT, 0o755)?;
    write("etc/X11/xorg-qxl.conf", XORG_QXL, 0o644)?;
    write("etc/X11/xorg-modesetting.conf", XORG_MODESETTING, 0o644)?;
    write("etc/spicebench/twmrc", TWMRC, 0o644)?;
    write("usr/local/bin/spb-drag-window", DRAG_WINDOW, 0o755)?;
    let mut cmd = Command::new("/usr/bin/convert");
    cmd.args(PICTURE)
        .args(["8", "-type", "TrueColor"])
        .arg(format!(
            "xwd:{}",
            rootfs.join("etc/spicebench/plasma.xwd").display()
        ));
    run_step(
        "drawing the picture (convert)",
        cmd,
        &dir.join("convert.log"),
        cancel,
    )
}

/// Packs the tree into a `newc` initramfs at `out`, entries in name order.
fn pack(rootfs: &Path, out: &Path) -> Result<(), LabError> {
    let file = std::fs::File::create(out).map_err(io(format!("creating {}", out.display())))?;
    let mut archive = Archive::new(BufWriter::with_capacity(1 << 20, file), ARCHIVE_MTIME);
    let mut paths = Vec::new();
    collect(rootfs, rootfs, &mut paths)?;
    paths.sort();
    for relative in &paths {
        let path = rootfs.join(relative);
        let meta =
            std::fs::symlink_metadata(&path).map_err(io(format!("reading {}", path.display())))?;
        let ft = meta.file_type();
        let rdev = || {
            let r = meta.rdev();
            (libc::major(r), libc::minor(r))
        };
        let (kind, data) = if ft.is_dir() {
            (Kind::Dir, Vec::new())
        } else if ft.is_symlink() {
            let target =
                std::fs::read_link(&path).map_err(io(format!("reading {}", path.display())))?;
            (Kind::Symlink, target.into_os_string().into_encoded_bytes())
        } else if ft.is_char_device() {
            (Kind::CharDevice(rdev().0, rdev().1), Vec::new())
        } else if ft.is_block_device() {
            (Kind::BlockDevice(rdev().0, rdev().1), Vec::new())
        } else if ft.is_file() {
            let bytes = std::fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
            (Kind::File, bytes)
        } else {
            // Sockets and pipes mean nothing in an archive.
            continue;
        };
        let name = relative.to_string_lossy();
        let entry = Entry {
            name: &name,
            kind,
            permissions: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        };
        archive
            .append(&entry, &data)
            .map_err(io(format!("packing {name}")))?;
    }
    archive
        .finish()
        .map_err(io(format!("writing {}", out.display())))?;
    Ok(())
}

/// Every path under `dir`, relative to `base`.
fn collect(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LabError> {
    let entries = std::fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?;
    for e in entries.flatten() {
        let path = e.path();
        if let Ok(relative) = path.strip_prefix(base) {
            out.push(relative.to_path_buf());
        }
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            collect(base, &path, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_kernel_is_picked_by_its_numbers_not_its_text() {
        let listing = "linux-image-6.1.0-9-amd64 - Linux 6.1 for 64-bit PCs (signed)\n\
                       linux-image-6.1.0-57-amd64 - Linux 6.1 for 64-bit PCs (signed)\n\
                       linux-image-6.1.0-10-amd64 - Linux 6.1 for 64-bit PCs (signed)\n";
        assert_eq!(
            newest_kernel(listing).as_deref(),
            Some("linux-image-6.1.0-57-amd64")
        );
        assert_eq!(newest_kernel(""), None);
        assert_eq!(newest_kernel("linux-image-amd64 - meta\n"), None);
    }

    #[test]
    fn mounts_inside_an_unfinished_build_are_found_escapes_and_all() {
        let info = "22 1 0:21 / /proc rw - proc proc rw\n\
                    90 80 0:5 / /var/cache/g/k.building-1/rootfs/dev rw - devtmpfs udev rw\n\
                    91 80 0:22 / /var/cache/g/k.building-1/rootfs/my\\040dir rw - tmpfs t rw\n\
                    92 80 0:23 / /var/cache/g/k.building-10 rw - tmpfs t rw\n";
        let found = mounts_under(info, Path::new("/var/cache/g/k.building-1"));
        assert_eq!(
            found,
            [
                PathBuf::from("/var/cache/g/k.building-1/rootfs/dev"),
                PathBuf::from("/var/cache/g/k.building-1/rootfs/my dir"),
            ]
        );
    }

    #[test]
    fn the_recipe_key_is_stable_and_names_a_folder() {
        let key = recipe_key();
        assert_eq!(key, recipe_key());
        assert_eq!(key.len(), 16);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn a_tree_packs_into_an_archive_with_its_links_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("bin")).unwrap();
        std::fs::write(tree.join("bin/init"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            tree.join("bin/init"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("bin/init", tree.join("init")).unwrap();
        let out = dir.path().join("a.cpio");
        pack(&tree, &out).unwrap();
        let text = String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned();
        // In name order: bin, bin/init, init; then the trailer.
        let names: Vec<&str> = ["bin\0", "bin/init\0", "init\0", "TRAILER!!!\0"]
            .into_iter()
            .filter(|n| text.contains(n))
            .collect();
        assert_eq!(names.len(), 4, "{text:?}");
        assert!(text.find("bin/init\0").unwrap() < text.find("\0init\0").unwrap_or(usize::MAX));
        assert!(text.contains("000081ED"), "the script keeps its 0755 mode");
        assert!(text.contains("0000A1FF"), "the link is a link");
    }
}
