//! The configuration matrix: a scenario's axes (compression × server knobs × compositor ×
//! route × viewer × repeat, after any command-line override) as the list of runs a
//! measurement makes, each with a name unique within the scenario and the server knobs it
//! runs with.

use crate::scenario::{
    Access, Compression, KnobAxes, Route, Scenario, StreamingVideo, VideoCodecList, ViewerKind,
    WanCompression,
};

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

/// One value of each server knob: what one configuration runs with. `None` leaves the
/// server's own default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ServerKnobs {
    /// `jpeg_wan_compression`.
    pub jpeg_wan: Option<WanCompression>,
    /// `zlib_glz_wan_compression`.
    pub zlib_glz_wan: Option<WanCompression>,
    /// `streaming_video`.
    pub streaming_video: Option<StreamingVideo>,
    /// `video_codecs`: the server's list (Xspice), or the client's preference (external).
    pub video_codecs: Option<VideoCodecList>,
    /// `playback_compression`.
    pub playback_compression: Option<bool>,
}

impl ServerKnobs {
    /// The parts of a configuration name these knobs add, e.g. `["stream-all"]`, for the
    /// knobs whose axis has more than one value (`varies`).
    pub fn name_parts(&self, varies: &KnobAxes) -> Vec<String> {
        let mut parts = Vec::new();
        if let (Some(v), true) = (self.jpeg_wan, varies.jpeg_wan.len() > 1) {
            parts.push(format!("jpeg-{}", v.as_str()));
        }
        if let (Some(v), true) = (self.zlib_glz_wan, varies.zlib_glz_wan.len() > 1) {
            parts.push(format!("zlib-{}", v.as_str()));
        }
        if let (Some(v), true) = (self.streaming_video, varies.streaming_video.len() > 1) {
            parts.push(format!("stream-{}", v.as_str()));
        }
        if let (Some(v), true) = (&self.video_codecs, varies.video_codecs.len() > 1) {
            parts.push(v.label());
        }
        if let (Some(v), true) = (self.playback_compression, varies.playback.len() > 1) {
            parts.push(format!("playback-{}", if v { "on" } else { "off" }));
        }
        parts
    }

    /// The knobs as `(scenario key, value)` pairs, for results and reports.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.jpeg_wan {
            out.push(("jpeg_wan_compression", v.as_str().to_string()));
        }
        if let Some(v) = self.zlib_glz_wan {
            out.push(("zlib_glz_wan_compression", v.as_str().to_string()));
        }
        if let Some(v) = self.streaming_video {
            out.push(("streaming_video", v.as_str().to_string()));
        }
        if let Some(v) = &self.video_codecs {
            out.push(("video_codecs", v.to_string()));
        }
        if let Some(v) = self.playback_compression {
            out.push((
                "playback_compression",
                if v { "on" } else { "off" }.to_string(),
            ));
        }
        out
    }
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
        for knobs in knob_combinations(axes) {
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

/// Every combination of the knob axes, first axis slowest.
pub fn knob_combinations(axes: &KnobAxes) -> Vec<ServerKnobs> {
    fn axis<T: Clone>(values: &[T]) -> Vec<Option<T>> {
        if values.is_empty() {
            vec![None]
        } else {
            values.iter().cloned().map(Some).collect()
        }
    }
    let mut out = Vec::new();
    for jpeg_wan in axis(&axes.jpeg_wan) {
        for zlib_glz_wan in axis(&axes.zlib_glz_wan) {
            for streaming_video in axis(&axes.streaming_video) {
                for video_codecs in axis(&axes.video_codecs) {
                    for playback_compression in axis(&axes.playback) {
                        out.push(ServerKnobs {
                            jpeg_wan,
                            zlib_glz_wan,
                            streaming_video,
                            video_codecs: video_codecs.clone(),
                            playback_compression,
                        });
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

    #[test]
    fn knob_axes_multiply_and_name_only_what_varies() {
        let axes = KnobAxes {
            streaming_video: vec![StreamingVideo::Off, StreamingVideo::All],
            jpeg_wan: vec![WanCompression::Always],
            ..KnobAxes::default()
        };
        let all = knob_combinations(&axes);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].streaming_video, Some(StreamingVideo::All));
        assert_eq!(all[1].zlib_glz_wan, None);
        assert_eq!(all[1].name_parts(&axes), ["stream-all"]);
        assert_eq!(
            all[0].settings(),
            [
                ("jpeg_wan_compression", "always".to_string()),
                ("streaming_video", "off".to_string())
            ]
        );
        assert_eq!(
            knob_combinations(&KnobAxes::default()),
            [ServerKnobs::default()]
        );
    }
}
