//! The desktop's content beyond the small xterm: a large photo-and-text window, LibreOffice
//! Draw with the repo's shapes document, a looping animation for the streaming knobs, and a
//! compositing manager. Each is a program of the lab user, started and awaited here.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::lab_user::LabHome;
use super::process::{require, wait_ready, Leftovers, ManagedChild};
use super::x11;
use super::xauth::XDisplay;
use super::LabError;
use crate::rng::SplitMix64;

/// Title of the large window.
pub const PHOTO_WINDOW_TITLE: &str = "spicebench-photo";
/// Size of the large window's picture: about a browser window.
pub const PHOTO_SIZE: (u32, u32) = (1200, 800);
/// Where the large window's frame is placed.
pub const PHOTO_ORIGIN: (i32, i32) = (60, 60);
/// Title of the animation window.
pub const VIDEO_WINDOW_TITLE: &str = "spicebench-video";
/// Where the animation window is placed, and its size.
pub const VIDEO_GEOMETRY: (i32, i32, u32, u32) = (200, 200, 320, 240);
/// Frames in the animation loop, and the time between them (25 frames/s).
const VIDEO_FRAMES: u32 = 25;
const VIDEO_DELAY_CS: u32 = 4;
/// Part of the Draw window's title (`shapes - LibreOffice Draw`).
pub const LODRAW_WINDOW_TITLE: &str = "LibreOffice Draw";
/// The shapes document shipped in the repo.
const SHAPES_DOCUMENT: &[u8] = include_bytes!("../../scenarios/assets/shapes.fodg");
/// LibreOffice takes a few seconds to start on a cold disk; under CI load more.
const LODRAW_START_TIMEOUT: Duration = Duration::from_secs(90);

/// Words of the large window's text column, drawn in a seeded order.
const WORDS: &[&str] = &[
    "remote",
    "desktop",
    "bandwidth",
    "latency",
    "display",
    "channel",
    "image",
    "compression",
    "quarterly",
    "report",
    "server",
    "client",
    "window",
    "moved",
    "across",
    "screen",
    "pixels",
    "frames",
    "per",
    "second",
    "network",
    "tunnel",
    "the",
    "a",
    "of",
    "and",
    "with",
    "for",
];

/// The ImageMagick arguments that draw the large window's picture: a plasma "photo" on the
/// left, a page of text on the right. Deterministic for a seed.
fn photo_arguments(seed: u64, out: &Path) -> Vec<String> {
    let (w, h) = PHOTO_SIZE;
    let mut args: Vec<String> = vec![
        "-seed".into(),
        seed.to_string(),
        "-size".into(),
        format!("{w}x{h}"),
        "plasma:fractal".into(),
        "-fill".into(),
        "#f4f1ea".into(),
        "-draw".into(),
        format!("rectangle {} 30 {} {}", w / 2, w - 30, h - 30),
        "-fill".into(),
        "#202020".into(),
        "-pointsize".into(),
        "15".into(),
    ];
    let mut rng = SplitMix64::new(seed);
    let mut y = 60;
    while y < h - 50 {
        let words: Vec<&str> = (0..8)
            .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
            .collect();
        args.push("-draw".into());
        args.push(format!("text {},{y} '{}'", w / 2 + 20, words.join(" ")));
        y += 22;
    }
    args.push(out.to_string_lossy().into_owned());
    args
}

// Each starter takes the display as root sees it (`display`, for readiness checks) and
// `env`, which gives a command the lab user's display, cookie and folder.

/// Makes the large window's picture and shows it with `display` at [`PHOTO_ORIGIN`]; ready
/// when twm has framed it.
pub fn start_photo_window(
    display: &XDisplay,
    home: &LabHome,
    dir: &Path,
    env: impl Fn(&mut Command),
) -> Result<ManagedChild, LabError> {
    let picture = home.file("photo.png");
    convert(&photo_arguments(7, &picture), dir)?;
    home.adopt("photo.png")?;
    let (x, y) = PHOTO_ORIGIN;
    let mut cmd = Command::new("display");
    cmd.args([
        "-geometry",
        &format!("+{x}+{y}"),
        "-title",
        PHOTO_WINDOW_TITLE,
    ])
    .arg(&picture);
    env(&mut cmd);
    spawn_framed(
        display,
        home,
        cmd,
        &dir.join("photo.log"),
        PHOTO_WINDOW_TITLE,
    )
}

/// Starts `cmd` as the lab user and waits until twm has framed its window `title`.
fn spawn_framed(
    display: &XDisplay,
    home: &LabHome,
    cmd: Command,
    log: &Path,
    title: &str,
) -> Result<ManagedChild, LabError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = ManagedChild::spawn_as(&program, cmd, log, Some(home.user()))?;
    wait_ready(
        &format!("the window \"{title}\" of {program} (framed by twm)"),
        Duration::from_secs(20),
        &mut child,
        home.cancel(),
        || x11::is_framed(display, title),
    )?;
    Ok(child)
}

/// Runs ImageMagick's `convert` with `args` (the last one the output file).
pub fn convert(args: &[String], dir: &Path) -> Result<(), LabError> {
    // Another `convert` may come first on PATH on these machines (LAB.md §1).
    let out = Command::new("/usr/bin/convert")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => LabError::Missing {
                program: "/usr/bin/convert".into(),
                package: "imagemagick".into(),
            },
            _ => LabError::Spawn {
                program: "convert".into(),
                source,
            },
        })?;
    let target = args.last().map(String::as_str).unwrap_or_default();
    if !out.status.success() || !Path::new(target).exists() {
        return Err(LabError::Io {
            context: format!("drawing {target} with convert"),
            source: std::io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        });
    }
    Ok(())
}

/// Makes the animation's frames (seeded plasma, each different) and loops them with
/// ImageMagick's `animate` at 25 frames/s: every frame repaints the whole window, as a video
/// player does, which is what spice-server's stream detection looks for.
pub fn start_video(
    display: &XDisplay,
    home: &LabHome,
    dir: &Path,
    env: impl Fn(&mut Command),
) -> Result<ManagedChild, LabError> {
    let (x, y, w, h) = VIDEO_GEOMETRY;
    let mut frames = Vec::new();
    for i in 0..VIDEO_FRAMES {
        let name = format!("frame-{i:02}.png");
        let frame = home.file(&name);
        convert(
            &[
                "-seed".into(),
                (1000 + i).to_string(),
                "-size".into(),
                format!("{w}x{h}"),
                "plasma:fractal".into(),
                frame.to_string_lossy().into_owned(),
            ],
            dir,
        )?;
        home.adopt(&name)?;
        frames.push(frame);
    }
    let mut cmd = Command::new("animate");
    cmd.args(["-delay", &VIDEO_DELAY_CS.to_string(), "-loop", "0"])
        .args([
            "-geometry",
            &format!("+{x}+{y}"),
            "-title",
            VIDEO_WINDOW_TITLE,
        ])
        .args(&frames);
    env(&mut cmd);
    spawn_framed(
        display,
        home,
        cmd,
        &dir.join("video.log"),
        VIDEO_WINDOW_TITLE,
    )
}

/// Starts LibreOffice Draw on a copy of the shapes document with a fresh profile in the lab
/// user's folder (no first-start dialogs), and waits for its window.
pub fn start_lodraw(
    display: &XDisplay,
    home: &LabHome,
    dir: &Path,
    env: impl Fn(&mut Command),
) -> Result<ManagedChild, LabError> {
    require("/usr/bin/soffice")?;
    let document = home.write("shapes.fodg", SHAPES_DOCUMENT)?;
    let profile = home.file("lo-profile");
    home.make_dir("lo-profile/user")?;
    home.write(
        "lo-profile/user/registrymodifications.xcu",
        LODRAW_SETTINGS.as_bytes(),
    )?;
    let mut cmd = Command::new("/usr/bin/soffice");
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        profile.display()
    ))
    .args([
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--draw",
    ])
    .arg(&document);
    env(&mut cmd);
    // soffice is a wrapper whose child is soffice.bin: stop the whole group (LAB.md §10).
    let mut child =
        ManagedChild::spawn_as("soffice", cmd, &dir.join("lodraw.log"), Some(home.user()))?.leaves(
            Leftovers {
                dir: "/tmp".into(),
                prefix: format!("OSL_PIPE_{}_", home.user().uid),
                uid: home.user().uid,
            },
        );
    wait_ready(
        "LibreOffice Draw's window",
        LODRAW_START_TIMEOUT,
        &mut child,
        home.cancel(),
        || {
            crate::xclient::window_titles(display)
                .iter()
                .any(|t| t.contains(LODRAW_WINDOW_TITLE))
        },
    )?;
    Ok(child)
}

/// LibreOffice settings for a quiet start: no tip of the day, no "what's new" bar.
const LODRAW_SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="LastTimeGetInvolvedShown" oor:op="fuse"><value>9999999999</value></prop></item>
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="LastTimeDonateShown" oor:op="fuse"><value>9999999999</value></prop></item>
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" oor:op="fuse"><value>99.0</value></prop></item>
</oor:items>
"#;

/// Starts a compositing manager (picom, X Render backend: Xspice has no GL), which makes
/// every window an off-screen picture the compositor paints onto the screen, as compositing
/// desktops do.
pub fn start_compositor(
    display: &XDisplay,
    home: &LabHome,
    dir: &Path,
    env: impl Fn(&mut Command),
) -> Result<ManagedChild, LabError> {
    require("/usr/bin/picom")?;
    // An empty config of its own: picom's defaults, whatever the user's ~/.config holds.
    let config = home.write("picom.conf", b"")?;
    let mut cmd = Command::new("/usr/bin/picom");
    cmd.args(["--backend", "xrender", "--config"]).arg(&config);
    env(&mut cmd);
    let mut child =
        ManagedChild::spawn_as("picom", cmd, &dir.join("picom.log"), Some(home.user()))?;
    // Ready when it owns the compositing manager selection; it exits at once when it cannot
    // composite (another compositor, a missing extension, an unreadable config).
    wait_ready(
        "the compositor (picom)",
        Duration::from_secs(10),
        &mut child,
        home.cancel(),
        || crate::xclient::compositor_running(display),
    )?;
    Ok(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_photo_is_the_same_for_a_seed_and_differs_between_seeds() {
        let a = photo_arguments(7, Path::new("/x.png"));
        assert_eq!(a, photo_arguments(7, Path::new("/x.png")));
        assert_ne!(a, photo_arguments(8, Path::new("/x.png")));
        // A page of text: a line every 22 px down the 800 px picture.
        assert!(a.iter().filter(|x| x.starts_with("text ")).count() >= 30);
        assert_eq!(a.last().map(String::as_str), Some("/x.png"));
    }
}
