//! Xspice: Xorg with the spiceqxl driver, started directly (one PID) with the fixed config
//! from `shared/LAB.md` §2 (three buffer sizes and `NumHeads 1`, without which it crashes).

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cancel::Cancel;
use super::display_claim::{start_on_claimed_display, DisplayClaim};
use super::ports::{reserve_port, PortLease};
use super::process::{wait_listening, ManagedChild};
use super::x11;
use super::xauth::{create_authority, XDisplay};
use super::LabError;
use crate::secret::Secret;

/// The Xorg binary of Debian's xserver-xorg-core (which xserver-xspice depends on).
pub const XORG: &str = "/usr/lib/xorg/Xorg";
/// First display number tried (the viewer's Xvfb starts at 120).
const FIRST_DISPLAY: u32 = 20;
const CONF_TEMPLATE: &str = include_str!("assets/xspice.conf");

/// What to start.
#[derive(Debug, Clone)]
pub struct XspiceConfig {
    /// Screen width.
    pub width: u32,
    /// Screen height.
    pub height: u32,
    /// Heads (outputs `qxl-0` …): the desktop arranges them side by side, each
    /// `width / heads` wide.
    pub heads: u32,
    /// Server image compression setting (`off`, `auto_glz`, `auto_lz`, `quic`, `glz`, `lz`).
    pub image_compression: String,
    /// SPICE ticket; empty disables ticketing (only for tests of that very case).
    pub ticket: Secret,
    /// Address the SPICE port listens on.
    pub listen: String,
    /// Serve SPICE on a TLS port only, with certificates made for this run.
    pub tls: bool,
    /// Run inside this network namespace (one of `ip netns`'s, entered with setns before
    /// exec, so the PID is Xorg's), e.g. the server side of an emulated link. X clients of
    /// other namespaces still connect: the X socket's file is shared (its abstract socket is
    /// not, and Xlib falls back to the file).
    pub netns: Option<String>,
    /// Further `XSPICE_*` settings (e.g. `XSPICE_JPEG_WAN_COMPRESSION`).
    pub extra_env: Vec<(String, String)>,
    /// How long start-up may take.
    pub timeout: Duration,
    /// The run's stop token: start-up gives up once it is requested.
    pub cancel: Cancel,
}

impl Default for XspiceConfig {
    fn default() -> Self {
        Self {
            width: 1024,
            height: 768,
            heads: 1,
            image_compression: "auto_glz".into(),
            ticket: Secret::random_ticket(),
            listen: "127.0.0.1".into(),
            tls: false,
            netns: None,
            extra_env: Vec::new(),
            timeout: Duration::from_secs(15),
            cancel: Cancel::new(),
        }
    }
}

/// A running Xspice; stopped when dropped.
#[derive(Debug)]
pub struct Xspice {
    display: XDisplay,
    port: u16,
    ticket: Secret,
    certificates: Option<super::x509::LabCertificates>,
    xorg: ManagedChild,
    log: PathBuf,
    /// Held until Xorg has stopped (fields drop in order), as is the claim.
    _port: PortLease,
    claim: Option<DisplayClaim>,
}

/// The config file for a screen of `width`×`height`: the tested template plus the mode line and
/// a frame buffer large enough for it (the template's 16 MiB only fits up to 1920x1080).
///
/// With more than one head the driver needs `NumHeads` and a frame buffer for the whole
/// screen (LAB.md §2: 64 MiB for two 1920x1200 heads; 16 MiB fails in RRSetScreenSize), and
/// starts at the first head's mode: the desktop then sets the heads up with xrandr.
pub fn render_config(width: u32, height: u32, heads: u32) -> String {
    let heads = heads.max(1);
    let fb_mib = (u64::from(width) * u64::from(height) * 4).div_ceil(1 << 20) + 4;
    let fb_mib = if heads > 1 {
        fb_mib.max(64)
    } else {
        fb_mib.max(16)
    };
    let first_width = width / heads;
    CONF_TEMPLATE
        .replace(
            "Option \"NumHeads\"          \"1\"",
            &format!("Option \"NumHeads\"          \"{heads}\""),
        )
        .replace(
            "Option \"FrameBufferSize\"   \"16\"",
            &format!("Option \"FrameBufferSize\"   \"{fb_mib}\""),
        )
        .replace(
            "    DefaultDepth 24\n",
            &format!(
                "    DefaultDepth 24\n    SubSection \"Display\"\n        Modes \"{first_width}x{height}\"\n    EndSubSection\n"
            ),
        )
}

impl Xspice {
    /// Starts Xspice on a free display and a free 127.0.0.1 port, with files in `dir`, and
    /// waits until the X socket accepts connections and the SPICE port listens.
    ///
    /// The X server only admits clients holding its cookie (`-auth`, a 0600 file in `dir`);
    /// the SPICE ticket travels in the environment, never on the command line, where any
    /// user could read it in `/proc/*/cmdline`.
    pub fn start(config: &XspiceConfig, dir: &Path) -> Result<Self, LabError> {
        crate::lab::process::require(XORG)?;
        let io = |context: String| move |source| LabError::Io { context, source };
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let (mut xspice, claim) =
            start_on_claimed_display(FIRST_DISPLAY, |claim| Self::start_on(config, dir, claim))?;
        xspice.claim = Some(claim);
        Ok(xspice)
    }

    /// [`Xspice::start`] on the claimed display.
    fn start_on(config: &XspiceConfig, dir: &Path, claim: &DisplayClaim) -> Result<Self, LabError> {
        let io = |context: String| move |source| LabError::Io { context, source };
        let display = claim.number();
        let lease = reserve_port("Xspice's SPICE port")?;
        let port = lease.port();
        let conf = dir.join("xspice.conf");
        std::fs::write(
            &conf,
            render_config(config.width, config.height, config.heads),
        )
        .map_err(io(format!("writing {}", conf.display())))?;
        let log = dir.join("Xorg.log");
        let out = dir.join("xorg.out");
        // Each attempt's own words: an earlier attempt's failure must not be read as this one's.
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(&out);
        let display = create_authority(&dir.join("xspice.xauth"), display)?;

        let mut cmd = Command::new(XORG);
        if let Some(ns) = &config.netns {
            super::netns::enter_named(ns, &mut cmd)?;
        }
        cmd.arg("-config")
            .arg(&conf)
            .args(["-noreset", "-nolisten", "tcp", "-auth"])
            .arg(&display.authority)
            .arg("-logfile")
            .arg(&log)
            .arg(display.name())
            .env("XSPICE_ADDR", &config.listen)
            .env("XSPICE_IMAGE_COMPRESSION", &config.image_compression);
        // TLS only: Xspice has no way to require TLS per channel, so the plain port stays shut
        // (XSPICE_CACERT_FILE is not used: the driver ignores it; XSPICE_X509_DIR works).
        let certificates = match config.tls {
            true => {
                let certs = super::x509::generate(&dir.join("x509"))?;
                cmd.env("XSPICE_PORT", "0")
                    .env("XSPICE_TLS_PORT", port.to_string())
                    .env("XSPICE_X509_DIR", &certs.dir);
                Some(certs)
            }
            false => {
                cmd.env("XSPICE_PORT", port.to_string());
                None
            }
        };
        if config.ticket.is_empty() {
            cmd.env("XSPICE_DISABLE_TICKETING", "1");
        } else {
            cmd.env("XSPICE_PASSWORD", config.ticket.expose());
        }
        for (k, v) in &config.extra_env {
            cmd.env(k, v);
        }
        let mut xorg = ManagedChild::spawn(XORG, cmd, &out)?;
        let socket = display.socket();
        let ready = wait_listening(
            "Xspice",
            port,
            config.timeout,
            &mut xorg,
            &config.cancel,
            || UnixStream::connect(&socket).is_ok(),
        );
        if let Err(e) = ready {
            return Err(explain_failure(e, &log, &out));
        }
        let xspice = Self {
            display,
            port,
            ticket: config.ticket.clone(),
            certificates,
            xorg,
            log,
            _port: lease,
            claim: None,
        };
        xspice.display.check_closed("Xspice")?;
        let first_head = config.width / config.heads.max(1);
        if let Some((w, h)) = x11::screen_size(&xspice.display) {
            if (w, h) != (first_head, config.height) {
                return Err(LabError::Geometry {
                    wanted: format!("{first_head}x{}", config.height),
                    got: format!("{w}x{h}"),
                });
            }
        }
        Ok(xspice)
    }

    /// The X display and its cookie.
    pub fn display(&self) -> XDisplay {
        self.display.clone()
    }

    /// The SPICE ticket clients must present.
    pub fn ticket(&self) -> &Secret {
        &self.ticket
    }

    /// The CA that signed the TLS port's certificate (PEM), when the port is a TLS port.
    pub fn tls_ca(&self) -> Option<&str> {
        self.certificates.as_ref().map(|c| c.ca_pem.as_str())
    }

    /// SPICE port on 127.0.0.1 (a TLS port with [`XspiceConfig::tls`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Xorg's PID.
    pub fn pid(&self) -> Option<u32> {
        self.xorg.pid()
    }

    /// Xorg's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Whether Xorg is still running.
    pub fn is_running(&mut self) -> bool {
        self.xorg.exited().is_none()
    }

    /// Stops Xorg now (drop does the same).
    pub fn stop(&mut self) {
        self.xorg.stop(Duration::from_secs(5));
    }
}

/// Installed versions of the Xspice server packages, as dpkg knows them ("" off Debian).
pub fn package_versions() -> String {
    ["xserver-xspice", "libspice-server1"]
        .iter()
        .filter_map(|p| {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f=${Version}", p])
                .output()
                .ok()?;
            let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !v.is_empty()).then(|| format!("{p} {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns "Xorg exited" into the reason the log gives, when it gives one.
fn explain_failure(e: LabError, log: &Path, out: &Path) -> LabError {
    let text = [log, out]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(line) = text.lines().find(|l| l.contains("spice: invalid")) {
        return LabError::Rejected {
            line: line.trim().to_string(),
            log: log.to_path_buf(),
        };
    }
    e
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn config_sets_mode_and_buffer() {
        let c = render_config(1920, 1200, 1);
        assert!(c.contains("Modes \"1920x1200\""));
        assert!(c.contains("Option \"FrameBufferSize\"   \"16\""), "{c}");
        let big = render_config(2560, 1600, 1);
        assert!(big.contains("Option \"FrameBufferSize\"   \"20\""), "{big}");
        assert!(big.contains("NumHeads"));
        let two = render_config(3840, 1200, 2);
        assert!(two.contains("Option \"NumHeads\"          \"2\""), "{two}");
        assert!(two.contains("Modes \"1920x1200\""));
        assert!(two.contains("Option \"FrameBufferSize\"   \"64\""));
    }
}
