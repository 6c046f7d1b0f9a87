//! Which metrics may move and by how much. Counts and byte totals must match exactly (the
//! analyser is deterministic); derived rates and latency percentiles may move within a relative
//! tolerance, so a deliberate change to, say, binning does not fail every recording.
//!
//! Tolerance file (TOML):
//! ```toml
//! # metric-name prefix = largest allowed relative change (0.02 = 2 %); longest prefix wins
//! [relative]
//! "rate " = 0.01
//! "latency " = 0.05
//! "latency capture.max_ms" = 0.2
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::recording::CheckError;

/// Relative tolerances by metric-name prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances {
    relative: BTreeMap<String, f64>,
}

impl Default for Tolerances {
    /// Rates ±1 %, latency percentiles ±5 %, everything else exact. Latency counts are
    /// counts and stay exact: the `.count` rule below overrides the `latency ` prefix.
    fn default() -> Self {
        let mut relative = BTreeMap::new();
        relative.insert("rate ".to_string(), 0.01);
        relative.insert("latency ".to_string(), 0.05);
        relative.insert("latency input_to_display.count".to_string(), 0.0);
        relative.insert("latency capture.count".to_string(), 0.0);
        relative.insert("latency first_update_after.count".to_string(), 0.0);
        Self { relative }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    relative: BTreeMap<String, f64>,
}

impl Tolerances {
    /// Reads a tolerance file; its rules are added to (and override) the defaults.
    pub fn load(path: &Path) -> Result<Self, CheckError> {
        let text = std::fs::read_to_string(path).map_err(|source| CheckError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: File = toml::from_str(&text).map_err(|e| CheckError::Tolerances {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut t = Self::default();
        for (k, v) in file.relative {
            if !(0.0..=10.0).contains(&v) {
                return Err(CheckError::Tolerances {
                    path: path.to_path_buf(),
                    reason: format!("`{k}` = {v}: a relative tolerance is between 0 and 10"),
                });
            }
            t.relative.insert(k, v);
        }
        Ok(t)
    }

    /// The relative tolerance for `metric` (0 = exact).
    pub fn for_metric(&self, metric: &str) -> f64 {
        self.relative
            .iter()
            .filter(|(prefix, _)| metric.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(0.0, |(_, v)| *v)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_counts_are_exact() {
        let t = Tolerances::default();
        assert_eq!(t.for_metric("rate display/down.mean_mib_s"), 0.01);
        assert_eq!(t.for_metric("latency capture.p99_ms"), 0.05);
        assert_eq!(t.for_metric("latency capture.count"), 0.0);
        assert_eq!(t.for_metric("image GLZ_RGB.bytes"), 0.0);
    }

    #[test]
    fn file_overrides_defaults_and_bad_values_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, "[relative]\n\"rate \" = 0.1\n\"image \" = 0.02\n").unwrap();
        let t = Tolerances::load(&p).unwrap();
        assert_eq!(t.for_metric("rate x"), 0.1);
        assert_eq!(t.for_metric("image QUIC.bytes"), 0.02);
        std::fs::write(&p, "[relative]\n\"rate \" = -1\n").unwrap();
        let e = Tolerances::load(&p).unwrap_err().to_string();
        assert!(e.contains("`rate `") && e.contains("t.toml"), "{e}");
        std::fs::write(&p, "[relativ]\n").unwrap();
        assert!(Tolerances::load(&p).is_err());
    }
}
