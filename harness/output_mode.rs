//! `--output-mode`: the file mode of everything a command writes (`run`, `report`, `analyze`),
//! private by default, applied through the process's umask so every file and folder created
//! afterwards gets it, whichever module creates it.

/// The `--output-mode` option, shared by every command that writes files.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct OutputMode {
    /// File mode of everything written (results, captures, events, logs, reports, analyses);
    /// folders get the matching search bits. The default keeps outputs private to their
    /// user, since captures and events hold the whole desktop session.
    #[arg(long = "output-mode", default_value = "0600", value_parser = parse)]
    pub mode: u32,
}

impl OutputMode {
    /// Sets the umask so files are created with the mode and folders with the mode plus a
    /// search bit wherever it has a read bit; returns the file mode.
    pub fn apply(self) -> u32 {
        // SAFETY: umask only changes this process's file creation mask.
        unsafe {
            libc::umask((0o777 & !dir_mode(self.mode)) as libc::mode_t);
        }
        self.mode
    }
}

/// The folder mode that goes with file mode `mode`: a search bit wherever it has a read bit.
pub fn dir_mode(mode: u32) -> u32 {
    mode | ((mode & 0o444) >> 2)
}

/// An `--output-mode` that cannot be used; each message says what to give instead.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutputModeError {
    /// Not octal digits.
    #[error("`{0}` is not an octal file mode; use e.g. 0600 or 0640")]
    NotOctal(String),
    /// Setuid, setgid or sticky bits, or beyond.
    #[error(
        "`{0}` has bits beyond 0777 (setuid, setgid, sticky); give permission bits only: use \
         e.g. 0600, 0640 or 0644"
    )]
    Special(String),
    /// Execute bits.
    #[error(
        "`{0}`: give read/write bits only (e.g. 0600, 0640, 0644); folders get the matching \
         search bits"
    )]
    Execute(String),
    /// Group or others may write.
    #[error(
        "`{0}`: outputs must not be writable by group or others (root reads them back); use \
         e.g. 0600, 0640 or 0644"
    )]
    OthersWrite(String),
    /// The owner could not read or write (or, for folders, search) its own outputs.
    #[error(
        "`{0}`: the owner must keep read and write (6 in the first digit): spicebench rewrites \
         its outputs as it goes and reads them back, and folders without the owner's read bit \
         could not be searched; use e.g. 0600, 0640 or 0644"
    )]
    OwnerCannot(String),
}

/// Parses `--output-mode`: an octal file mode such as 0600 or 0640 that keeps the owner's
/// read and write, with nothing beyond read for group and others.
pub fn parse(s: &str) -> Result<u32, OutputModeError> {
    let mode = u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .map_err(|_| OutputModeError::NotOctal(s.to_string()))?;
    if mode & !0o777 != 0 {
        return Err(OutputModeError::Special(s.to_string()));
    }
    if mode & 0o111 != 0 {
        return Err(OutputModeError::Execute(s.to_string()));
    }
    // Root later reads what it wrote there (the lab's configs, logs it appends to): a folder
    // others may write to would let them hand root a config or a symlink.
    if mode & 0o022 != 0 {
        return Err(OutputModeError::OthersWrite(s.to_string()));
    }
    // 0200 or 0000 would give folders the owner cannot search: the run would fail on its own
    // outputs half-way (or leave files its user cannot read), so say so at once.
    if mode & 0o600 != 0o600 {
        return Err(OutputModeError::OwnerCannot(s.to_string()));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_group_readable_modes_are_accepted() {
        assert_eq!(parse("0600"), Ok(0o600));
        assert_eq!(parse("640"), Ok(0o640));
        assert_eq!(parse("0o644"), Ok(0o644));
        assert_eq!(dir_mode(0o600), 0o700);
        assert_eq!(dir_mode(0o640), 0o750);
        assert_eq!(dir_mode(0o644), 0o755);
    }

    #[test]
    fn modes_the_owner_cannot_use_are_refused_with_what_to_use() {
        for s in ["0200", "0000", "0400", "0040", "0440", "0244"] {
            let e = parse(s).unwrap_err();
            assert_eq!(e, OutputModeError::OwnerCannot(s.into()));
            assert!(e.to_string().contains("use e.g. 0600"), "{e}");
        }
    }

    #[test]
    fn other_bad_modes_say_why() {
        assert_eq!(
            parse("01600"),
            Err(OutputModeError::Special("01600".into()))
        );
        assert_eq!(
            parse("04600"),
            Err(OutputModeError::Special("04600".into()))
        );
        assert_eq!(parse("0700"), Err(OutputModeError::Execute("0700".into())));
        assert_eq!(
            parse("0620"),
            Err(OutputModeError::OthersWrite("0620".into()))
        );
        assert_eq!(parse("rw"), Err(OutputModeError::NotOctal("rw".into())));
        assert_eq!(parse(""), Err(OutputModeError::NotOctal("".into())));
        assert_eq!(
            parse("7777777777777"),
            Err(OutputModeError::NotOctal("7777777777777".into()))
        );
    }
}
