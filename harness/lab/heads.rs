//! Two or more heads on Xspice (`shared/LAB.md` §2 "Two heads"): the driver starts with every
//! output but the first disconnected and without the heads' mode, so the lab adds the mode
//! with xrandr, switches each output on and places them left to right.

use std::path::Path;
use std::process::Command;

use super::lab_user::LabUser;
use super::process::{package_for, run_as};
use super::xauth::XDisplay;
use super::LabError;

/// A 60 Hz mode line for a `width`×`height` head: xrandr needs one for sizes the driver does
/// not list. The outputs are virtual, so only the visible size matters; the blanking follows
/// CVT's proportions (for 1920x1200 the totals of `cvt`'s line in LAB.md, 2592 × 1245).
fn mode_line(width: u32, height: u32) -> Vec<String> {
    let h_total = width + (width * 7 / 20).div_ceil(8) * 8;
    let v_total = height + 45;
    let clock_khz = u64::from(h_total) * u64::from(v_total) * 60 / 1000;
    // Pixel clocks step by 250 kHz.
    let clock_mhz = (clock_khz / 250) as f64 * 0.25;
    let h_sync_start = width + 136;
    let h_sync_end = h_sync_start + 200;
    vec![
        format!("{width}x{height}_spicebench"),
        format!("{clock_mhz:.2}"),
        width.to_string(),
        h_sync_start.to_string(),
        h_sync_end.to_string(),
        h_total.to_string(),
        height.to_string(),
        (height + 3).to_string(),
        (height + 9).to_string(),
        v_total.to_string(),
        "-hsync".into(),
        "+vsync".into(),
    ]
}

fn xrandr(display: &XDisplay, user: &LabUser, dir: &Path, args: &[String]) -> Result<(), LabError> {
    let mut cmd = Command::new("xrandr");
    cmd.args(args).current_dir(dir);
    display.apply(&mut cmd);
    run_as(&mut cmd, user);
    let out = cmd.output().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => LabError::Missing {
            program: "xrandr".into(),
            package: package_for("xrandr").into(),
        },
        _ => LabError::Spawn {
            program: "xrandr".into(),
            source,
        },
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(LabError::Io {
        context: format!("setting up the heads with xrandr {}", args.join(" ")),
        source: std::io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
    })
}

/// Gives outputs `qxl-0` … `qxl-{heads-1}` a `width`×`height` mode each, side by side from
/// the left, as `user` on `display` (the user's own cookie).
pub fn arrange(
    display: &XDisplay,
    user: &LabUser,
    dir: &Path,
    heads: u32,
    width: u32,
    height: u32,
) -> Result<(), LabError> {
    let line = mode_line(width, height);
    let name = line[0].clone();
    let mut newmode = vec!["--newmode".to_string()];
    newmode.extend(line);
    xrandr(display, user, dir, &newmode)?;
    let mut layout = Vec::new();
    for head in 0..heads {
        let output = format!("qxl-{head}");
        xrandr(
            display,
            user,
            dir,
            &["--addmode".into(), output.clone(), name.clone()],
        )?;
        layout.extend([
            "--output".into(),
            output.clone(),
            "--mode".into(),
            name.clone(),
        ]);
        if head > 0 {
            layout.extend(["--right-of".into(), format!("qxl-{}", head - 1)]);
        }
    }
    xrandr(display, user, dir, &layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_line_of_the_seeds_heads_has_cvts_totals() {
        assert_eq!(
            mode_line(1920, 1200)[1..].join(" "),
            "193.50 1920 2056 2256 2592 1200 1203 1209 1245 -hsync +vsync"
        );
    }
}
