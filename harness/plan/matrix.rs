//! The configuration matrix: a scenario's axes (compression × server knobs × compositor ×
//! route × viewer × repeat, after any command-line override) as the list of runs a
//! measurement makes, each with a name unique within the scenario.

use crate::scenario::{Access, Compression, Route, Scenario, ServerKnobs, ViewerKind};

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
    /// Seed of the run's input plan (see [`super::run_plan`]).
    pub seed: u64,
}

/// Every run of `scenario`, compression-major, then knobs, compositor, route, viewer and
/// repeat.
///
/// Combinations that cannot work (see [`Access::refusal`]) were refused when the file was
/// loaded (or overridden, [`Scenario::with_overrides`]); they are skipped here too. Every run
/// replays the scenario's seed, so runs differ only in what is measured, never in the input.
pub fn configurations(scenario: &Scenario) -> Vec<Configuration> {
    let routes = &scenario.access.routes;
    let viewers = &scenario.access.viewers;
    let repeat = scenario.repeat.max(1);
    let name_route = routes.len() > 1 || routes.iter().any(|r| *r != Route::DIRECT);
    let name_viewer = viewers.len() > 1 || viewers.iter().any(|v| *v != ViewerKind::Native);
    let axes = scenario.target.knobs();
    let compositors = &scenario.desktop.compositor;
    let mut out = Vec::new();
    for &compression in scenario.target.compression() {
        for knobs in axes.combinations() {
            for &compositor in compositors {
                for &route in routes {
                    for &viewer in viewers {
                        if Access::refusal(route, viewer).is_some() {
                            continue;
                        }
                        let mut parts = vec![compression.to_string()];
                        parts.extend(knobs.name_parts(axes));
                        if compositors.len() > 1 || compositor {
                            let c = if compositor {
                                "compositor"
                            } else {
                                "no-compositor"
                            };
                            parts.push(c.to_string());
                        }
                        if name_route {
                            parts.push(route.label());
                        }
                        if name_viewer {
                            parts.push(viewer.to_string());
                        }
                        let base = parts.join(".");
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
                                seed: scenario.seed,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::MatrixOverride;
    use std::path::{Path, PathBuf};

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "name = \"m\"\nseed = 9\n{extra}\n[target]\nkind = \"xspice\"\ncompression = [\"off\", \"glz\"]\n\
             [[steps]]\nkind = \"pause\"\nduration_s = 1\n"
        );
        Scenario::parse(&text, Path::new("m.toml")).unwrap()
    }

    fn names(s: &Scenario) -> Vec<String> {
        configurations(s).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn single_repeat_uses_bare_compression_names() {
        let c = configurations(&scenario(""));
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["off", "glz"]);
        assert_eq!(c[1].compression, Compression::Glz);
        assert_eq!(c[1].repeat_index, 1);
        assert!(c.iter().all(|c| c.seed == 9));
    }

    #[test]
    fn repeats_are_numbered_from_one_inside_each_compression() {
        let c = configurations(&scenario("repeat = 2"));
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
    fn an_override_replaces_the_files_axis() {
        let quic = MatrixOverride {
            compression: Some(vec![Compression::Quic]),
            ..Default::default()
        };
        assert_eq!(names(&scenario("").with_overrides(quic).unwrap()), ["quic"]);
    }

    #[test]
    fn names_say_every_axis_that_varies_and_skip_impossible_pairs() {
        let s = scenario(
            "[access]\ntransports = [\"direct\", \"ssh-tunnel\"]\nssh_compression = [false, true]\n\
             viewers = [\"remote-viewer\"]",
        );
        assert_eq!(
            names(&s),
            [
                "off.direct.remote-viewer",
                "off.ssh-tunnel.remote-viewer",
                "off.ssh-tunnel-C.remote-viewer",
                "glz.direct.remote-viewer",
                "glz.ssh-tunnel.remote-viewer",
                "glz.ssh-tunnel-C.remote-viewer",
            ]
        );
        // A matrix that pairs our client with ssh-x (which the file's rules refuse) leaves
        // that pair out.
        let text = "name = \"m\"\n[target]\nkind = \"xspice\"\ncompression = [\"glz\"]\n\
                    [[steps]]\nkind = \"pause\"\nduration_s = 1\n";
        let mut s = Scenario::parse(text, Path::new("m.toml")).unwrap();
        s.access.routes = vec!["ssh-x".parse().unwrap(), Route::DIRECT];
        s.access.viewers = vec![ViewerKind::Native, ViewerKind::RemoteViewer];
        assert_eq!(
            names(&s),
            [
                "glz.ssh-x.remote-viewer",
                "glz.direct.spicebench",
                "glz.direct.remote-viewer"
            ]
        );
    }

    #[test]
    fn the_shipped_drag_scenario_measures_three_compressions() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/drag.toml");
        let s = Scenario::load(&path).unwrap();
        assert_eq!(names(&s), ["off", "auto_glz", "glz"]);
    }

    #[test]
    fn desktop_and_knob_axes_multiply() {
        let text = "name = \"m\"\n[target]\nkind = \"xspice\"\n\
                    streaming_video = [\"off\", \"all\"]\njpeg_wan_compression = \"never\"\n\
                    video_codecs = [\"spice:mjpeg\", \"gstreamer:vp8\"]\n\
                    [desktop]\ncompositor = [false, true]\n\
                    [[steps]]\nkind = \"pause\"\nduration_s = 1\n";
        let s = Scenario::parse(text, Path::new("m.toml")).unwrap();
        // 2 streaming × 2 codec lists × 2 compositors; the single jpeg value does not multiply.
        assert_eq!(configurations(&s).len(), 8);
        assert_eq!(
            names(&s)[0],
            "auto_glz.stream-off.spice-mjpeg.no-compositor"
        );
    }
}
