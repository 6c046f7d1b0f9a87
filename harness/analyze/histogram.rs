//! The latency histogram stored in results: HdrHistogram in µs, V2 format, base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hdrhistogram::serialization::{DeserializeError, Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;

/// Lowest discernible latency, µs.
pub const LOWEST_US: u64 = 1;
/// Highest trackable latency, µs (60 s); larger samples are recorded as this.
pub const HIGHEST_US: u64 = 60_000_000;
/// Significant decimal digits kept.
pub const SIGFIG: u8 = 3;

/// Uncompressed V2 cookie; the compressed variant is refused because its inner length
/// cannot be checked before the decoder allocates it.
const V2_COOKIE: u32 = 0x1c84_9313;
/// Cookie, payload length, offset, digits, low, high, ratio.
const V2_HEADER_LEN: usize = 40;

/// Why a stored histogram could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    /// The text is not standard-alphabet base64.
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The bytes are not an uncompressed V2 HdrHistogram.
    #[error("histogram is not an uncompressed V2 HdrHistogram")]
    NotV2,
    /// The header promises more payload than there is.
    #[error("histogram is truncated: header says {expected} payload bytes, {actual} present")]
    Truncated {
        /// Payload bytes the header announces.
        expected: usize,
        /// Payload bytes actually present.
        actual: usize,
    },
    /// The V2 decoder refused the payload.
    #[error("histogram cannot be decoded: {0}")]
    Decode(#[from] DeserializeError),
}

/// An empty histogram with the bounds every stored latency histogram uses, so that
/// histograms of different runs can be added together.
pub fn latency_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (a unit test pins this), so this
    // cannot fail at run time.
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG)
        .expect("constant latency histogram bounds are valid")
}

/// `h` V2-serialized and base64-encoded (standard alphabet, padded).
///
/// Serializing into memory cannot fail in practice; if hdrhistogram ever reports an
/// error the result is an empty string, which [`decode_histogram`] rejects, rather than
/// a panic that would lose the whole run.
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    match V2Serializer::new().serialize(h, &mut buf) {
        Ok(_) => STANDARD.encode(&buf),
        Err(_) => String::new(),
    }
}

/// Reads back a histogram written by [`encode_histogram`].
pub fn decode_histogram(b64: &str) -> Result<Histogram<u64>, HistogramError> {
    let bytes = STANDARD.decode(b64.trim())?;
    if bytes.len() < V2_HEADER_LEN || read_u32(&bytes, 0) != V2_COOKIE {
        return Err(HistogramError::NotV2);
    }
    let expected = read_u32(&bytes, 4) as usize;
    let actual = bytes.len() - V2_HEADER_LEN;
    if expected > actual {
        return Err(HistogramError::Truncated { expected, actual });
    }
    Ok(Deserializer::new().deserialize(&mut bytes.as_slice())?)
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_counts_and_bounds() {
        let mut h = latency_histogram();
        for v in [3_000, 25_000, 10_000, 10_000, 1] {
            h.record(v).unwrap();
        }
        let back = decode_histogram(&encode_histogram(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 5);
        assert_eq!(back.count_at(10_000), 2);
        assert_eq!(back.low(), 1);
        assert_eq!(back.high(), 60_000_000);
        assert_eq!(back.sigfig(), 3);
    }

    #[test]
    fn empty_histogram_round_trips() {
        let s = encode_histogram(&latency_histogram());
        // The V2 cookie 0x1c849313 in base64.
        assert!(s.starts_with("HISTEw"), "{s}");
        let back = decode_histogram(&s).unwrap();
        assert_eq!(back.len(), 0);
        assert_eq!(back.high(), 60_000_000);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            decode_histogram("%%%"),
            Err(HistogramError::Base64(_))
        ));
        assert!(matches!(decode_histogram(""), Err(HistogramError::NotV2)));
        assert!(matches!(
            decode_histogram("AAAA"),
            Err(HistogramError::NotV2)
        ));

        let mut h = latency_histogram();
        h.record(42).unwrap();
        let mut bytes = STANDARD.decode(encode_histogram(&h)).unwrap();
        // A length field claiming 4 GiB must not make the decoder allocate it.
        bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = decode_histogram(&STANDARD.encode(&bytes)).unwrap_err();
        assert!(matches!(err, HistogramError::Truncated { .. }), "{err}");
        // Impossible bounds (low 0) are the decoder's to refuse.
        let mut bytes = STANDARD.decode(encode_histogram(&h)).unwrap();
        bytes[16..24].copy_from_slice(&0u64.to_be_bytes());
        assert!(matches!(
            decode_histogram(&STANDARD.encode(&bytes)),
            Err(HistogramError::Decode(_))
        ));
    }
}
