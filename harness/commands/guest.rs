//! `spicebench guest build`: the QEMU desktop guest, built into its cache with a line of
//! progress per step, or found there.

use std::path::PathBuf;

use anyhow::Context;

use spicebench::cancel::Cancel;
use spicebench::lab::guest;

pub fn build(cache: Option<PathBuf>) -> anyhow::Result<u8> {
    let root = cache.unwrap_or_else(guest::cache_root);
    if let Some(image) = guest::cached(&root) {
        spicebench::outln!(
            "guest {} (kernel {}) is built: {}",
            image.key,
            image.kernel_version,
            image.initrd.display()
        );
        return Ok(0);
    }
    let progress = |line: &str| spicebench::errln!("{line}");
    let image = guest::ensure(&root, &progress, &Cancel::new())
        .with_context(|| format!("building the guest in {}", root.display()))?;
    spicebench::outln!(
        "guest {} (kernel {}) built: {}",
        image.key,
        image.kernel_version,
        image.initrd.display()
    );
    Ok(0)
}
