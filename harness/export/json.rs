//! All results as one pretty JSON array of `spicebench.run/v2` documents.

use crate::results::RunResult;

/// The results as a pretty-printed JSON array (each element exactly as in a result
/// file, so `RunResult::read`'s model reads them back), ending with a newline.
pub fn json(results: &[RunResult]) -> String {
    // serde_json fails only on maps with non-string keys and on failing writers; the
    // model has neither, so the fallback is unreachable. It still beats a panic in a
    // function whose contract is never to panic.
    let mut out = serde_json::to_string_pretty(results).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_handles_empty() {
        assert_eq!(json(&[]), "[]\n");
        let runs = vec![RunResult::default(), RunResult::default()];
        let back: Vec<RunResult> = serde_json::from_str(&json(&runs)).unwrap();
        assert_eq!(back, runs);
    }
}
