//! An sshd configuration as the server would apply it to one user (`sshd -T -C user=...`,
//! Match blocks included), checked for what a SPICE tunnel user must not be allowed.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::Path;
use std::process::Command;

use super::finding::{Check, Finding, Severity};
use super::AuditError;

/// sshd's effective settings: lowercase keyword → its values (a keyword may repeat).
pub type Settings = BTreeMap<String, Vec<String>>;

/// Parses `sshd -T` output: one `keyword value...` per line.
pub fn parse(text: &str) -> Settings {
    let mut s = Settings::new();
    for line in text.lines() {
        let mut parts = line.splitn(2, char::is_whitespace);
        let (Some(k), Some(v)) = (parts.next(), parts.next()) else {
            continue;
        };
        s.entry(k.to_ascii_lowercase())
            .or_default()
            .push(v.trim().to_string());
    }
    s
}

/// Findings for `settings` of a user whose login shell is `shell` (when known).
pub fn check(settings: &Settings, shell: Option<&str>) -> Vec<Finding> {
    let get = |k: &str| {
        settings
            .get(k)
            .map(|v| v.join(" ").to_ascii_lowercase())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let forwarding = get("allowtcpforwarding");
    let open = get("permitopen");
    if matches!(forwarding.as_str(), "yes" | "all" | "local") && (open.is_empty() || open == "any")
    {
        out.push(Finding::new(
            Check::SshForwardingUnrestricted,
            Severity::High,
            format!(
                "AllowTcpForwarding {forwarding}, PermitOpen {}",
                if open.is_empty() { "any" } else { &open }
            ),
        ));
    }
    let gateway = get("gatewayports");
    if !gateway.is_empty() && gateway != "no" {
        out.push(Finding::new(
            Check::SshGatewayPorts,
            Severity::High,
            format!("GatewayPorts {gateway}"),
        ));
    }
    if get("x11forwarding") == "yes" {
        out.push(Finding::new(
            Check::SshX11Forwarding,
            Severity::Medium,
            "X11Forwarding yes",
        ));
    }
    let forced = get("forcecommand");
    let real_shell = shell.is_some_and(|s| !(s.ends_with("/nologin") || s.ends_with("/false")));
    if (forced.is_empty() || forced == "none") && real_shell {
        out.push(Finding::new(
            Check::SshLoginShell,
            Severity::Medium,
            format!("login shell {}, no ForceCommand", shell.unwrap_or("?")),
        ));
    }
    for (key, check, severity) in [
        (
            "passwordauthentication",
            Check::SshPasswordAuth,
            Severity::Medium,
        ),
        (
            "allowagentforwarding",
            Check::SshAgentForwarding,
            Severity::Low,
        ),
    ] {
        if get(key) == "yes" {
            out.push(Finding::new(check, severity, format!("{key} yes")));
        }
    }
    let tunnel = get("permittunnel");
    if !tunnel.is_empty() && tunnel != "no" {
        out.push(Finding::new(
            Check::SshTunnelDevice,
            Severity::Medium,
            format!("PermitTunnel {tunnel}"),
        ));
    }
    out
}

/// The login shell of `user`, from the password database.
fn shell_of(user: &str) -> Option<String> {
    let name = CString::new(user).ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; the shell string is
    // copied out before any other call could overwrite it.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() || (*pw).pw_shell.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_shell)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Runs `sshd -T` on `config` for `user` and checks the result.
pub fn audit(config: &Path, user: &str) -> Result<Vec<Finding>, AuditError> {
    crate::lab::process::require(crate::lab::sshd::SSHD)
        .map_err(|e| AuditError::Sshd(e.to_string()))?;
    // sshd -T refuses to run without its privilege-separation directory.
    let _ = std::fs::create_dir_all("/run/sshd");
    let out = Command::new(crate::lab::sshd::SSHD)
        .arg("-T")
        .arg("-f")
        .arg(config)
        .arg("-C")
        .arg(format!("user={user},host=localhost,addr=127.0.0.1"))
        .output()
        .map_err(|e| AuditError::Sshd(format!("running sshd -T: {e}")))?;
    if !out.status.success() {
        return Err(AuditError::Sshd(format!(
            "sshd -T -f {} could not evaluate it: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let settings = parse(&String::from_utf8_lossy(&out.stdout));
    Ok(check(&settings, shell_of(user).as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.check.id()).collect()
    }

    #[test]
    fn a_tunnel_only_user_passes_and_an_open_one_does_not() {
        // Keywords as OpenSSH 9.2's sshd -T prints them.
        let tight = parse(
            "port 2222\nallowtcpforwarding local\npermitopen 127.0.0.1:5930\nx11forwarding no\n\
             gatewayports no\nforcecommand echo no\npasswordauthentication no\npermittunnel no\n",
        );
        assert_eq!(ids(&check(&tight, Some("/bin/sh"))), Vec::<&str>::new());
        let open = parse(
            "allowtcpforwarding yes\npermitopen any\nx11forwarding yes\ngatewayports clientspecified\n\
             passwordauthentication yes\nallowagentforwarding yes\npermittunnel yes\n",
        );
        let found = check(&open, Some("/bin/bash"));
        assert_eq!(
            ids(&found),
            [
                "ssh-forwarding-unrestricted",
                "ssh-gateway-ports",
                "ssh-x11-forwarding",
                "ssh-login-shell",
                "ssh-password-auth",
                "ssh-agent-forwarding",
                "ssh-tunnel-device"
            ]
        );
        assert_eq!(found[0].severity, Severity::High);
        // A nologin shell is not a login shell.
        assert!(!ids(&check(&open, Some("/usr/sbin/nologin"))).contains(&"ssh-login-shell"));
    }

    #[test]
    fn odd_lines_are_skipped() {
        let s = parse("\nsingleword\nKey  Value With Spaces\n");
        assert_eq!(s["key"], vec!["Value With Spaces".to_string()]);
        assert_eq!(s.len(), 1);
    }
}
