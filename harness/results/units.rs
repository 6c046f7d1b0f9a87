//! Unit helpers shared by result writers and reports: MiB and RFC 3339 timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bytes in one MiB; every `*_mib_s` figure divides by this.
pub const MIB: u64 = 1 << 20;

/// `bytes` in MiB (1 MiB = 1,048,576 bytes).
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// Last millisecond RFC 3339 can show with a four-digit year (9999-12-31T23:59:59.999Z).
const MAX_RFC3339: Duration = Duration::from_millis(253_402_300_799_999);

/// `t` as RFC 3339 UTC with milliseconds, e.g. `2024-05-01T12:00:00.250Z`.
///
/// Times outside 1970..=9999 are clamped to the nearest representable one, because
/// humantime panics before the Unix epoch and fails after year 9999, and a bad clock
/// must not take a finished run's results down with it.
pub fn rfc3339(t: SystemTime) -> String {
    let since_epoch = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(MAX_RFC3339);
    humantime::format_rfc3339_millis(UNIX_EPOCH + since_epoch).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mib_divides_by_two_to_the_twenty() {
        assert_eq!(mib(1_048_576), 1.0);
        assert_eq!(mib(524_288), 0.5);
        assert_eq!(mib(0), 0.0);
    }

    #[test]
    fn rfc3339_has_milliseconds_and_utc() {
        let t = UNIX_EPOCH + Duration::from_micros(1_714_564_800_250_999);
        assert_eq!(rfc3339(t), "2024-05-01T12:00:00.250Z");
    }

    #[test]
    fn rfc3339_clamps_instead_of_panicking() {
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(300_000_000_000)),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
