//! The rules across a scenario's matrix axes (every viewer can use every route, show the
//! target and run the steps), which the file and command-line overrides both follow. The
//! matrix itself (the list of runs) is `crate::plan`'s.

use super::access::{AccessError, Route, ViewerKind};
use super::error::CompressionError;
use super::schema::{Compression, Scenario};

/// Axis values that replace the scenario file's, from the command line; see
/// [`Scenario::with_overrides`].
#[derive(Debug, Clone, Default)]
pub struct MatrixOverride {
    /// Replaces the target's compression list (`--compression`).
    pub compression: Option<Vec<Compression>>,
    /// Replaces `[access]` transports × ssh_compression (`--transports`).
    pub routes: Option<Vec<Route>>,
    /// Replaces `[access]` viewers (`--viewers`).
    pub viewers: Option<Vec<ViewerKind>>,
}

/// An override the scenario cannot run, naming its flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// A compression the target cannot take.
    #[error("--compression: {0}")]
    Compression(CompressionError),
    /// A transport none of the viewers can use.
    #[error("--transports: {0}")]
    Transports(String),
    /// A viewer that cannot use a transport, show the target or run the steps.
    #[error("--viewers: {0}")]
    Viewers(String),
}

/// What a rule across the matrix's axes refuses, and which part of the scenario it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MatrixProblem {
    /// A viewer cannot use a route.
    Access(AccessError),
    /// A viewer cannot show the target.
    Target(&'static str),
    /// A viewer cannot run the steps (a prefer step).
    Steps(&'static str),
}

/// Why a viewer cannot run a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerRefusal {
    /// remote-viewer with more than one head.
    MultiHead,
    /// remote-viewer with a `prefer` step.
    Prefer,
    /// remote-viewer without the target's screen size.
    NoGeometry,
}

impl ViewerRefusal {
    /// What to do instead.
    pub fn message(self) -> &'static str {
        match self {
            Self::MultiHead => {
                "remote-viewer shows each head in a window of its own, and spicebench drives \
                 one full-screen window; measure two heads with viewers = [\"spicebench\"] \
                 (our client follows every head), or use heads = 1 with remote-viewer"
            }
            Self::Prefer => {
                "a prefer step is sent by spicebench's own client, and remote-viewer cannot be \
                 told to switch mid-session; measure it with viewers = [\"spicebench\"] (or \
                 remove the step)"
            }
            Self::NoGeometry => {
                "remote-viewer needs the target's screen size; add geometry = \"WIDTHxHEIGHT\" \
                 (e.g. \"1024x768\") to [target]"
            }
        }
    }
}

impl Scenario {
    /// Why `viewer` cannot run this scenario's target or steps, if it cannot.
    pub fn viewer_refusal(&self, viewer: ViewerKind) -> Option<ViewerRefusal> {
        let has_prefer = super::rules::first_prefer(&self.steps).is_some();
        if self.target.heads() > 1 && !viewer.follows_every_head() {
            Some(ViewerRefusal::MultiHead)
        } else if self.target.geometry().is_none() && viewer.needs_screen_size() {
            Some(ViewerRefusal::NoGeometry)
        } else if has_prefer && !viewer.can_switch_preferences() {
            Some(ViewerRefusal::Prefer)
        } else {
            None
        }
    }

    /// The rules across the matrix's axes, the same for the file and for overrides: every
    /// viewer can use every route, show the target and run the steps.
    pub(super) fn matrix_problem(&self) -> Option<MatrixProblem> {
        if let Err(e) = self.access.check() {
            return Some(MatrixProblem::Access(e));
        }
        let placed = self.access.routes.iter().any(|r| r.kind().places_server());
        if placed && !self.target.kind().runs_behind_a_link() {
            return Some(MatrixProblem::Access(AccessError::LanNeedsOwnServer));
        }
        let why = self
            .access
            .viewers
            .iter()
            .find_map(|v| self.viewer_refusal(*v))?;
        Some(match why {
            ViewerRefusal::Prefer => MatrixProblem::Steps(why.message()),
            ViewerRefusal::MultiHead | ViewerRefusal::NoGeometry => {
                MatrixProblem::Target(why.message())
            }
        })
    }

    /// This scenario with the axes of `o` in place of the file's, checked by the same rules
    /// as the file: each error names the flag to change.
    pub fn with_overrides(mut self, o: MatrixOverride) -> Result<Scenario, OverrideError> {
        if let Some(list) = o.compression {
            for &c in &list {
                (self.target.check_compression(c)).map_err(OverrideError::Compression)?;
            }
            self.target.set_compression(list);
        }
        let viewers_given = o.viewers.is_some();
        if let Some(routes) = o.routes {
            // A lan route from the command line runs over the file's link, if it has one.
            let link = self.access.lan_link().unwrap_or_default();
            self.access.routes = routes.into_iter().map(|r| r.with_lan_link(link)).collect();
        }
        if let Some(viewers) = o.viewers {
            self.access.viewers = viewers;
        }
        match self.matrix_problem() {
            None => Ok(self),
            Some(MatrixProblem::Access(e)) if !viewers_given => {
                Err(OverrideError::Transports(e.to_string()))
            }
            Some(MatrixProblem::Access(e)) => Err(OverrideError::Viewers(e.to_string())),
            Some(MatrixProblem::Target(m) | MatrixProblem::Steps(m)) => {
                Err(OverrideError::Viewers(m.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "name = \"m\"\nseed = 9\n{extra}\n[target]\nkind = \"xspice\"\ncompression = [\"off\", \"glz\"]\n\
             [[steps]]\nkind = \"pause\"\nduration_s = 1\n"
        );
        Scenario::parse(&text, Path::new("m.toml")).unwrap()
    }

    #[test]
    fn overrides_replace_the_file_lists_under_the_files_rules() {
        let quic = MatrixOverride {
            compression: Some(vec![Compression::Quic]),
            ..Default::default()
        };
        let s = scenario("").with_overrides(quic).unwrap();
        assert_eq!(s.target.compression(), [Compression::Quic]);
        let lz4 = MatrixOverride {
            compression: Some(vec![Compression::Lz4]),
            ..Default::default()
        };
        let e = scenario("").with_overrides(lz4).unwrap_err();
        assert_eq!(e, OverrideError::Compression(CompressionError::Lz4OnXspice));
        assert!(
            e.to_string().starts_with("--compression: `lz4` is only"),
            "{e}"
        );
        // Our client over ssh-x: the flag that brought the pair in is named.
        let ssh_x = || Some(vec!["ssh-x".parse::<Route>().unwrap()]);
        let routes = MatrixOverride {
            routes: ssh_x(),
            ..Default::default()
        };
        let e = scenario("").with_overrides(routes).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--transports: ssh-x runs remote-viewer"),
            "{e}"
        );
        let both = MatrixOverride {
            routes: ssh_x(),
            viewers: Some(vec![ViewerKind::Native]),
            ..Default::default()
        };
        let e = scenario("").with_overrides(both).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--viewers: ssh-x runs remote-viewer"),
            "{e}"
        );
        // remote-viewer follows one head only, as when the file asks for it.
        let rv = MatrixOverride {
            viewers: Some(vec![ViewerKind::RemoteViewer]),
            ..Default::default()
        };
        let e = scenario("").with_overrides(rv.clone()).map(|_| ());
        assert_eq!(e, Ok(()));
        let two_heads = Scenario::parse(
            "name = \"m\"\n[target]\nkind = \"xspice\"\nheads = 2\n[[steps]]\nkind = \"pause\"\n\
             duration_s = 1\n",
            Path::new("m.toml"),
        )
        .unwrap();
        let e = two_heads.with_overrides(rv).unwrap_err();
        assert_eq!(
            e,
            OverrideError::Viewers(ViewerRefusal::MultiHead.message().into())
        );
    }
}
