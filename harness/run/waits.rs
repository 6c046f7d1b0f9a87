//! A scenario's `wait_for` steps during a run: a window appearing on the target's desktop, or
//! the viewer's display going quiet, each within its timeout.

use std::time::Duration;

use super::target::Target;
use super::viewer::Viewer;
use crate::client::Clock;
use crate::scenario::{WaitCondition, WaitFor};

/// How often the desktop's windows are looked at while waiting for one.
const WINDOW_POLL: Duration = Duration::from_millis(100);

/// Why a wait ended without its condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: wait_for: {problem}")]
pub struct WaitFailed {
    /// The scenario file.
    pub file: String,
    /// The step's line.
    pub line: usize,
    /// What did not happen, and what to do.
    pub problem: String,
}

/// Waits until `wait` holds, at most its timeout.
pub async fn wait(
    wait: &WaitFor,
    scenario_file: &str,
    target: &dyn Target,
    viewer: &dyn Viewer,
    clock: Clock,
) -> Result<(), WaitFailed> {
    let fail = |problem: String| WaitFailed {
        file: scenario_file.to_string(),
        line: wait.line,
        problem,
    };
    let give_up = tokio::time::Instant::now() + wait.timeout;
    match &wait.condition {
        WaitCondition::Window(title) => {
            let Some(desktop) = target.desktop() else {
                return Err(fail(
                    "this target has no desktop spicebench can look at; wait with quiet_ms".into(),
                ));
            };
            loop {
                if desktop.has_window(title) {
                    return Ok(());
                }
                if let Some(why) = viewer.failure() {
                    return Err(fail(format!("the session broke while waiting: {why}")));
                }
                if tokio::time::Instant::now() >= give_up {
                    let seen = desktop.window_titles();
                    return Err(fail(format!(
                        "no window titled \"…{title}…\" appeared within {:.1} s; the desktop \
                         shows {}. Raise timeout_s if the program is slow to start, or fix the \
                         title",
                        wait.timeout.as_secs_f64(),
                        if seen.is_empty() {
                            "no titled windows".to_string()
                        } else {
                            seen.iter()
                                .map(|t| format!("\"{t}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    )));
                }
                tokio::time::sleep(WINDOW_POLL).await;
            }
        }
        WaitCondition::Quiet(quiet) => {
            let mut updates = viewer.updates();
            loop {
                let last = *updates.borrow_and_update();
                let now = clock.now_us();
                let quiet_us = quiet.as_micros() as u64;
                let quiet_since = last.unwrap_or(0);
                if now.saturating_sub(quiet_since) >= quiet_us {
                    return Ok(());
                }
                let wake = tokio::time::Instant::now()
                    + Duration::from_micros(quiet_since + quiet_us - now);
                tokio::select! {
                    changed = updates.changed() => {
                        if changed.is_err() {
                            return Err(fail("the viewer stopped reporting updates".into()));
                        }
                    }
                    _ = tokio::time::sleep_until(wake.min(give_up)) => {}
                }
                if tokio::time::Instant::now() >= give_up {
                    return Err(fail(format!(
                        "the display never stayed quiet for {} ms within {:.1} s; something on \
                         screen keeps changing (a clock, a video?): lower quiet_ms or raise \
                         timeout_s",
                        quiet.as_millis(),
                        wait.timeout.as_secs_f64()
                    )));
                }
            }
        }
    }
}
