//! Progress bars for `spicebench run` on a terminal (indicatif): one bar for the matrix and
//! one for the configuration in progress. Kept lines (a configuration done or failed) print
//! above the bars. On a non-terminal stderr the bars draw nothing and lines go to the log.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use spicebench::run::progress::{Phase, Progress};

/// Bars on standard error.
pub struct BarProgress {
    multi: MultiProgress,
    matrix: ProgressBar,
    current: Mutex<Option<ProgressBar>>,
    terminal: bool,
}

impl BarProgress {
    /// Bars for a matrix of `total` configurations.
    pub fn new(total: usize) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let multi = MultiProgress::with_draw_target(if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let matrix = multi.add(ProgressBar::new(total as u64));
        matrix.set_style(
            ProgressStyle::with_template(
                "matrix  [{bar:30}] {pos}/{len} configurations  {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Self {
            multi,
            matrix,
            current: Mutex::new(None),
            terminal,
        }
    }
}

impl Progress for BarProgress {
    fn line(&self, text: &str) {
        if self.terminal {
            let _ = self.multi.println(text);
        } else {
            spicebench::errln!("{text}");
        }
    }

    fn config_started(&self, _index: usize, _total: usize, name: &str) {
        let bar = self.multi.add(ProgressBar::new(1));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn phase(&self, phase: Phase) {
        if let Some(bar) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            if let Phase::Inputs { sent, total } = phase {
                bar.set_length(total.max(1));
                bar.set_position(sent);
            }
            bar.set_message(phase.label());
        }
    }

    fn config_finished(&self) {
        if let Some(bar) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.matrix.inc(1);
    }
}

impl Drop for BarProgress {
    fn drop(&mut self) {
        self.matrix.finish_and_clear();
    }
}
