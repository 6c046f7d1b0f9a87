//! The configuration matrix of a scenario: one run per compression × server knobs ×
//! compositor × route × viewer × repeat.

use super::access::{AccessError, Route, ViewerKind};
use super::error::CompressionError;
use super::schema::{Compression, Scenario};
use super::workload::ServerKnobs;

/// One run of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// Unique within the scenario and usable in file names; it names every axis that varies
    /// or differs from the default: `auto_glz`, `auto_glz.ssh-tunnel-C.remote-viewer`,
    /// `auto_glz-r2` when the scenario repeats.
    pub name: String,
    /// The compression measured.
    pub compression: Compression,
    /// The other server knobs (or, for an external target, the client's video codecs).
    pub knobs: ServerKnobs,
    /// Whether the lab's desktop runs a compositing manager.
    pub compositor: bool,
    /// How the viewer reaches the server.
    pub route: Route,
    /// Which viewer shows the session.
    pub viewer: ViewerKind,
    /// Which repeat this is, 1-based like the `-rN` suffix of `name`.
    pub repeat_index: u32,
    /// Seed of the run's input plan (see `crate::plan::run_plan`).
    pub seed: u64,
}

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
        if placed && !self.target.kind().restarted_per_configuration() {
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

    /// Every run, compression-major, then route, viewer and repeat.
    ///
    /// Combinations that cannot work (see [`super::Access::refusal`]) were refused when the
    /// file was loaded (or overridden, [`Scenario::with_overrides`]); they are skipped here
    /// too. Every run replays the scenario's seed, so runs differ only in what is measured,
    /// never in the input.
    pub fn configurations(&self) -> Vec<Configuration> {
        let compressions = self.target.compression();
        let routes = &self.access.routes;
        let viewers = &self.access.viewers;
        let repeat = self.repeat.max(1);
        let name_route = routes.len() > 1 || routes.iter().any(|r| *r != Route::DIRECT);
        let name_viewer = viewers.len() > 1 || viewers.iter().any(|v| *v != ViewerKind::Native);
        let axes = self.target.knobs();
        let compositors = &self.desktop.compositor;
        let mut out = Vec::new();
        for &compression in compressions {
            for knobs in axes.combinations() {
                for &compositor in compositors {
                    for &route in routes {
                        for &viewer in viewers {
                            if super::access::Access::refusal(route, viewer).is_some() {
                                continue;
                            }
                            let mut base = compression.as_str().to_owned();
                            for part in knobs.name_parts(axes) {
                                base = format!("{base}.{part}");
                            }
                            if compositors.len() > 1 || compositor {
                                let c = if compositor {
                                    "compositor"
                                } else {
                                    "no-compositor"
                                };
                                base = format!("{base}.{c}");
                            }
                            if name_route {
                                base = format!("{base}.{}", route.label());
                            }
                            if name_viewer {
                                base = format!("{base}.{viewer}");
                            }
                            for repeat_index in 1..=repeat {
                                out.push(Configuration {
                                    name: if repeat == 1 {
                                        base.clone()
                                    } else {
                                        format!("{base}-r{repeat_index}")
                                    },
                                    compression,
                                    knobs: knobs.clone(),
                                    compositor,
                                    route,
                                    viewer,
                                    repeat_index,
                                    seed: self.seed,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
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
    fn single_repeat_uses_bare_compression_names() {
        let c = scenario("").configurations();
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["off", "glz"]);
        assert_eq!(c[1].compression, Compression::Glz);
        assert_eq!(c[1].repeat_index, 1);
        assert!(c.iter().all(|c| c.seed == 9));
    }

    #[test]
    fn repeats_are_numbered_from_one_inside_each_compression() {
        let c = scenario("repeat = 2").configurations();
        let got: Vec<(&str, Compression, u32)> = c
            .iter()
            .map(|c| (c.name.as_str(), c.compression, c.repeat_index))
            .collect();
        assert_eq!(
            got,
            [
                ("off-r1", Compression::Off, 1),
                ("off-r2", Compression::Off, 2),
                ("glz-r1", Compression::Glz, 1),
                ("glz-r2", Compression::Glz, 2),
            ]
        );
    }

    #[test]
    fn overrides_replace_the_file_lists_under_the_files_rules() {
        let quic = MatrixOverride {
            compression: Some(vec![Compression::Quic]),
            ..Default::default()
        };
        let c = scenario("").with_overrides(quic).unwrap().configurations();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "quic");
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

    #[test]
    fn names_say_every_axis_that_varies_and_skip_impossible_pairs() {
        let s = scenario(
            "[access]\ntransports = [\"direct\", \"ssh-tunnel\"]\nssh_compression = [false, true]\n\
             viewers = [\"remote-viewer\"]",
        );
        let names: Vec<String> = s.configurations().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "off.direct.remote-viewer",
                "off.ssh-tunnel.remote-viewer",
                "off.ssh-tunnel-C.remote-viewer",
                "glz.direct.remote-viewer",
                "glz.ssh-tunnel.remote-viewer",
                "glz.ssh-tunnel-C.remote-viewer",
            ]
        );
        // A matrix that pairs our client with ssh-x leaves that pair out.
        let mut s = s;
        s.target.set_compression(vec![Compression::Glz]);
        s.access.routes = vec!["ssh-x".parse().unwrap(), Route::DIRECT];
        s.access.viewers = vec![ViewerKind::Native, ViewerKind::RemoteViewer];
        let c = s.configurations();
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "glz.ssh-x.remote-viewer",
                "glz.direct.spicebench",
                "glz.direct.remote-viewer"
            ]
        );
    }
}
