//! The configuration matrix of a scenario: one run per compression × server knobs ×
//! compositor × route × viewer × repeat.

use super::access::{Route, ViewerKind};
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

/// Axis values that replace the scenario file's, e.g. from command-line flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct MatrixOverride<'a> {
    /// Replaces the target's compression list (vet it with
    /// [`super::Target::check_compression`] first).
    pub compression: Option<&'a [Compression]>,
    /// Replaces `[access]` transports × ssh_compression.
    pub routes: Option<&'a [Route]>,
    /// Replaces `[access]` viewers.
    pub viewers: Option<&'a [ViewerKind]>,
}

/// Why a viewer cannot run a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerRefusal {
    /// remote-viewer with more than one head.
    MultiHead,
    /// remote-viewer with a `prefer` step.
    Prefer,
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
        }
    }
}

/// Why `viewer` cannot run a scenario with `heads` heads (and `prefer` steps or not).
pub(super) fn viewer_refusal(
    heads: u32,
    has_prefer: bool,
    viewer: ViewerKind,
) -> Option<ViewerRefusal> {
    if heads > 1 && !viewer.follows_every_head() {
        Some(ViewerRefusal::MultiHead)
    } else if has_prefer && !viewer.can_switch_preferences() {
        Some(ViewerRefusal::Prefer)
    } else {
        None
    }
}

impl Scenario {
    /// Why `viewer` cannot run this scenario's target or steps, if it cannot: the check for a
    /// `--viewers` override (the file's own list was checked when it was loaded).
    pub fn viewer_refusal(&self, viewer: ViewerKind) -> Option<ViewerRefusal> {
        let has_prefer = super::rules::first_prefer(&self.steps).is_some();
        viewer_refusal(self.target.heads(), has_prefer, viewer)
    }

    /// Every run, compression-major, then route, viewer and repeat.
    ///
    /// Combinations that cannot work (see [`super::Access::refusal`]) were refused when the
    /// file was loaded; overridden axes are filtered the same way here, so vet overrides with
    /// [`super::Access::check`] to tell the user. Every run replays the scenario's seed, so
    /// runs differ only in what is measured, never in the input.
    pub fn configurations(&self, overrides: MatrixOverride<'_>) -> Vec<Configuration> {
        let compressions = overrides
            .compression
            .unwrap_or_else(|| self.target.compression());
        let routes = overrides.routes.unwrap_or(&self.access.routes);
        let viewers = overrides.viewers.unwrap_or(&self.access.viewers);
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
        let c = scenario("").configurations(MatrixOverride::default());
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["off", "glz"]);
        assert_eq!(c[1].compression, Compression::Glz);
        assert_eq!(c[1].repeat_index, 1);
        assert!(c.iter().all(|c| c.seed == 9));
    }

    #[test]
    fn repeats_are_numbered_from_one_inside_each_compression() {
        let c = scenario("repeat = 2").configurations(MatrixOverride::default());
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
    fn override_replaces_the_file_list() {
        let quic = MatrixOverride {
            compression: Some(&[Compression::Quic]),
            ..Default::default()
        };
        let c = scenario("").configurations(quic);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "quic");
        let none = MatrixOverride {
            compression: Some(&[]),
            ..Default::default()
        };
        assert!(scenario("").configurations(none).is_empty());
    }

    #[test]
    fn names_say_every_axis_that_varies_and_skip_impossible_pairs() {
        let s = scenario(
            "[access]\ntransports = [\"direct\", \"ssh-tunnel\"]\nssh_compression = [false, true]\n\
             viewers = [\"remote-viewer\"]",
        );
        let names: Vec<String> = s
            .configurations(MatrixOverride::default())
            .into_iter()
            .map(|c| c.name)
            .collect();
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
        // An override that pairs our client with ssh-x leaves that pair out.
        let routes: Vec<Route> = vec!["ssh-x".parse().unwrap(), Route::DIRECT];
        let viewers = [ViewerKind::Native, ViewerKind::RemoteViewer];
        let c = s.configurations(MatrixOverride {
            compression: Some(&[Compression::Glz]),
            routes: Some(&routes),
            viewers: Some(&viewers),
        });
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
