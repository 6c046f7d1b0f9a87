//! A writer of `newc` cpio archives, the format Linux unpacks an initramfs from
//! (`Documentation/driver-api/early-userspace/buffer-format.rst`): per entry a 110-byte ASCII
//! header (`070701` and thirteen 8-digit hex fields), the NUL-terminated name padded to 4
//! bytes, the data padded to 4 bytes; a `TRAILER!!!` entry ends the archive.
//!
//! Written here because the host has no `cpio` (Debian's is not installed by default), and so
//! the archive is reproducible: inode numbers count up from 1, every time is `mtime`, and
//! hard links are written as separate files (the kernel accepts either).

use std::io::{self, Write};

/// The file types an initramfs holds, with their mode bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder.
    Dir,
    /// A regular file (its bytes follow the header).
    File,
    /// A symbolic link (its target follows the header, as its data).
    Symlink,
    /// A character device `(major, minor)`, e.g. `/dev/console`, which the kernel opens for
    /// init's first output before init can mount devtmpfs.
    CharDevice(u32, u32),
    /// A block device `(major, minor)`.
    BlockDevice(u32, u32),
}

impl Kind {
    fn type_bits(self) -> u32 {
        match self {
            Self::Dir => 0o040000,
            Self::File => 0o100000,
            Self::Symlink => 0o120000,
            Self::CharDevice(..) => 0o020000,
            Self::BlockDevice(..) => 0o060000,
        }
    }
}

/// One entry's metadata; the data is passed beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path inside the archive, relative, without a leading `/` (e.g. `usr/bin/xterm`).
    pub name: &'a str,
    /// What it is.
    pub kind: Kind,
    /// Permission bits (`0o755`; setuid and sticky bits kept).
    pub permissions: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// Writes entries to `out` in `newc` format; [`Archive::finish`] writes the trailer.
pub struct Archive<W: Write> {
    out: W,
    next_inode: u32,
    /// Seconds since the epoch written as every entry's modification time.
    mtime: u32,
    written: u64,
}

impl<W: Write> Archive<W> {
    /// An archive whose entries all carry `mtime` (a fixed time keeps the bytes reproducible).
    pub fn new(out: W, mtime: u32) -> Self {
        Self {
            out,
            next_inode: 1,
            mtime,
            written: 0,
        }
    }

    /// Appends `entry` with `data` (a file's bytes, a link's target; empty otherwise).
    pub fn append(&mut self, entry: &Entry<'_>, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: larger than the 4 GiB a newc entry holds", entry.name),
            )
        })?;
        if entry.name.is_empty() || entry.name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{:?}: not a name an archive entry can have", entry.name),
            ));
        }
        let (rdev_major, rdev_minor) = match entry.kind {
            Kind::CharDevice(a, b) | Kind::BlockDevice(a, b) => (a, b),
            _ => (0, 0),
        };
        let inode = self.next_inode;
        self.next_inode += 1;
        let nlink = if entry.kind == Kind::Dir { 2 } else { 1 };
        let mode = entry.kind.type_bits() | (entry.permissions & 0o7777);
        self.header(
            &[
                inode, mode, entry.uid, entry.gid, nlink, self.mtime, size, 0, 0, rdev_major,
                rdev_minor,
            ],
            entry.name,
        )?;
        self.write_padded(data)
    }

    /// Writes the trailer and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.header(&[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], "TRAILER!!!")?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The fields from ino to rdevminor, then namesize and a zero check, then the name.
    fn header(&mut self, fields: &[u32; 11], name: &str) -> io::Result<()> {
        let mut h = String::with_capacity(110);
        h.push_str("070701");
        for f in fields {
            h.push_str(&format!("{f:08X}"));
        }
        let name_size = name.len() + 1;
        h.push_str(&format!("{name_size:08X}{:08X}", 0));
        let mut bytes = h.into_bytes();
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        self.write_padded(&bytes)
    }

    /// `bytes`, then NULs to the next multiple of 4 of everything written so far.
    fn write_padded(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        let pad = (4 - (self.written % 4) as usize) % 4;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.written += pad as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: Kind, permissions: u32) -> Entry<'_> {
        Entry {
            name,
            kind,
            permissions,
            uid: 0,
            gid: 0,
        }
    }

    #[test]
    fn a_file_and_the_trailer_byte_for_byte() {
        let mut a = Archive::new(Vec::new(), 0x5F5E1000);
        a.append(&entry("init", Kind::File, 0o755), b"#!/bin/sh\n")
            .unwrap();
        let bytes = a.finish().unwrap();
        // 110-byte header + "init\0" = 115, padded to 116; 10 data bytes padded to 12.
        let expected = [
            "070701",
            "00000001",
            "000081ED",
            "00000000",
            "00000000",
            "00000001",
            "5F5E1000",
            "0000000A",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000005",
            "00000000",
            "init\0",
            "\0",
            "#!/bin/sh\n",
            "\0\0",
            // The trailer at 128: namesize 11, 110 + 11 = 121 bytes, padded to 124.
            "070701",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000001",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "0000000B",
            "00000000",
            "TRAILER!!!\0",
            "\0\0\0",
        ]
        .concat();
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[test]
    fn folders_links_and_devices_carry_their_type_and_numbers() {
        let mut a = Archive::new(Vec::new(), 0);
        a.append(&entry("dev", Kind::Dir, 0o755), b"").unwrap();
        a.append(&entry("dev/console", Kind::CharDevice(5, 1), 0o600), b"")
            .unwrap();
        a.append(&entry("sbin", Kind::Symlink, 0o777), b"usr/sbin")
            .unwrap();
        let text = String::from_utf8(a.finish().unwrap()).unwrap();
        let headers: Vec<&str> = text
            .match_indices("070701")
            .map(|(i, _)| &text[i..])
            .collect();
        assert_eq!(headers.len(), 4);
        let field = |h: &str, i: usize| u32::from_str_radix(&h[6 + 8 * i..14 + 8 * i], 16).unwrap();
        // mode, nlink, filesize, rdevmajor, rdevminor
        let summary = |h: &str| {
            (
                field(h, 1),
                field(h, 4),
                field(h, 6),
                field(h, 9),
                field(h, 10),
            )
        };
        assert_eq!(summary(headers[0]), (0o040755, 2, 0, 0, 0));
        assert_eq!(summary(headers[1]), (0o020600, 1, 0, 5, 1));
        assert_eq!(summary(headers[2]), (0o120777, 1, 8, 0, 0));
        // Inodes count up from 1; every entry starts on a 4-byte boundary.
        assert_eq!((field(headers[0], 0), field(headers[2], 0)), (1, 3));
        assert!(text.match_indices("070701").all(|(i, _)| i % 4 == 0));
    }

    #[test]
    fn names_an_archive_cannot_hold_are_refused() {
        let mut a = Archive::new(Vec::new(), 0);
        assert!(a.append(&entry("", Kind::File, 0o644), b"").is_err());
        assert!(a.append(&entry("a\0b", Kind::File, 0o644), b"").is_err());
    }
}
