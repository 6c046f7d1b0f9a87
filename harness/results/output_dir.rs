//! The layout of a run's output directory, in one place: every writer (`run`), reader
//! (`report`, `record`) and the messages that name a file ask this type for the path.
//!
//! ```text
//! <out>/runs/<config>.json        the result of each configuration
//! <out>/captures/<config>.pcapng  its capture (unless --no-capture)
//! <out>/events/<config>.jsonl     what the viewer saw, as it went
//! <out>/lab/<config>/             the lab's configs and logs
//! <out>/index.html, summary.md, summary.csv   the report
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// A run's (or a report's) output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    root: PathBuf,
}

/// The folder of results files inside an output directory.
const RUNS: &str = "runs";

impl OutputDir {
    /// The output directory at `root` (nothing is created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `reports/drag/glz` → the directory `reports/drag` and the configuration `glz`, as
    /// `spicebench record` names a configuration of a run; `None` without a last component.
    pub fn of_configuration(path: &Path) -> Option<(Self, String)> {
        let config = path.file_name()?.to_string_lossy().to_string();
        let root = path.parent().unwrap_or(Path::new("."));
        Some((Self::new(root), config))
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `runs/`: the results files.
    pub fn runs(&self) -> PathBuf {
        self.root.join(RUNS)
    }

    /// `runs/<config>.json`.
    pub fn result(&self, config: &str) -> PathBuf {
        self.runs().join(format!("{config}.json"))
    }

    /// `captures/<config>.pcapng`.
    pub fn capture(&self, config: &str) -> PathBuf {
        self.root.join("captures").join(format!("{config}.pcapng"))
    }

    /// `events/<config>.jsonl`.
    pub fn events(&self, config: &str) -> PathBuf {
        self.root.join("events").join(format!("{config}.jsonl"))
    }

    /// `lab/<config>/`, absolute, because the lab runs tools in other working directories.
    pub fn lab(&self, config: &str) -> PathBuf {
        let dir = self.root.join("lab").join(config);
        std::path::absolute(&dir).unwrap_or(dir)
    }

    /// `index.html`: the report.
    pub fn index_html(&self) -> PathBuf {
        self.root.join("index.html")
    }

    /// `summary.md`: the report's table in Markdown (also what a lost terminal table points to).
    pub fn summary_md(&self) -> PathBuf {
        self.root.join("summary.md")
    }

    /// `summary.csv`: the report's table in CSV.
    pub fn summary_csv(&self) -> PathBuf {
        self.root.join("summary.csv")
    }
}

/// The folder of results files a directory given on the command line stands for: a run's
/// output directory means its `runs/`; any other directory, itself.
pub fn results_folder(dir: &Path) -> PathBuf {
    let runs = OutputDir::new(dir).runs();
    if runs.is_dir() {
        runs
    } else {
        dir.to_path_buf()
    }
}

/// The results files (`*.json`) in `folder`, sorted by name.
pub fn json_files(folder: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    found.sort();
    Ok(found)
}

/// The run directory a results file came from, for telling apart configurations of the same
/// name: `reports/<run>/runs/<config>.json` → `<run>`; otherwise the file's own directory.
pub fn origin_of(result: &Path) -> Option<&Path> {
    result
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == RUNS))
        .and_then(Path::parent)
        .or(result.parent())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let out = OutputDir::new("reports/drag");
        assert_eq!(out.result("glz"), Path::new("reports/drag/runs/glz.json"));
        assert_eq!(
            out.capture("glz"),
            Path::new("reports/drag/captures/glz.pcapng")
        );
        assert_eq!(
            out.events("glz"),
            Path::new("reports/drag/events/glz.jsonl")
        );
        assert!(out.lab("glz").is_absolute());
        assert!(out.lab("glz").ends_with("reports/drag/lab/glz"));
        assert_eq!(out.summary_md(), Path::new("reports/drag/summary.md"));
    }

    #[test]
    fn a_configuration_path_names_its_run() {
        let (out, config) = OutputDir::of_configuration(Path::new("reports/drag/glz")).unwrap();
        assert_eq!(
            (out.root(), config.as_str()),
            (Path::new("reports/drag"), "glz")
        );
        let (out, _) = OutputDir::of_configuration(Path::new("glz")).unwrap();
        assert_eq!(out.root(), Path::new(""));
        assert!(OutputDir::of_configuration(Path::new("/")).is_none());
    }

    #[test]
    fn origin_is_the_run_not_runs() {
        assert_eq!(
            origin_of(Path::new("reports/day1/runs/glz.json")),
            Some(Path::new("reports/day1"))
        );
        assert_eq!(
            origin_of(Path::new("elsewhere/glz.json")),
            Some(Path::new("elsewhere"))
        );
    }
}
