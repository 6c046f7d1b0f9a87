//! Reading a file a user named, with a size limit: `/dev/zero`, a FIFO that never ends or a
//! huge file given by mistake must end in a clear error, not in memory exhaustion (where the
//! kernel's OOM killer may pick another process on a shared machine).

use std::io::Read;
use std::path::Path;

/// The bytes of `path`, failing with [`std::io::ErrorKind::FileTooLarge`] once it holds more
/// than `max` bytes. Reads at most `max + 1` bytes whatever the file is (a device or a pipe
/// has no size to check first).
pub fn read_limited(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it holds more than {max} bytes, more than such a file ever needs; is it the right file?"),
        ));
    }
    Ok(bytes)
}

/// [`read_limited`] as UTF-8 text.
pub fn read_limited_text(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_limited(path, max)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn an_endless_device_is_cut_at_the_limit() {
        let err = read_limited(Path::new("/dev/zero"), 4096).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("more than 4096 bytes"), "{err}");
    }

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), b"12345").unwrap();
        assert_eq!(read_limited(f.path(), 5).unwrap(), b"12345");
        assert!(read_limited(f.path(), 4).is_err());
        assert_eq!(read_limited_text(f.path(), 5).unwrap(), "12345");
        std::fs::write(f.path(), [0xff, 0xfe]).unwrap();
        assert_eq!(
            read_limited_text(f.path(), 5).unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
    }
}
