//! `spicebench audit` against real servers: an insecure lab Xspice (no ticket, 0.0.0.0 inside
//! a network namespace this test creates, no TLS) has high findings; a ticketed TLS one
//! passes; a ticketed plain one on 127.0.0.1 only is info, with the SSH-tunnel advice; an sshd
//! config without PermitOpen is flagged, the managed sshd's own is not.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use spicebench::lab::{Xspice, XspiceConfig};
use spicebench::secret::Secret;

fn audit(args: &[&str], netns: Option<&str>) -> (Output, serde_json::Value) {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns])
                .arg(env!("CARGO_BIN_EXE_spicebench"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_spicebench")),
    };
    let out = cmd
        .arg("audit")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap_or("").to_string(),
                        f["severity"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A network namespace of this test's own, removed when dropped.
struct Netns(String);

impl Netns {
    fn create() -> Self {
        let name = format!("spb-audit-{}", std::process::id());
        let ok = |args: &[&str]| {
            let o = Command::new("ip").args(args).output().unwrap();
            assert!(
                o.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        ok(&["netns", "add", &name]);
        ok(&["-n", &name, "link", "set", "lo", "up"]);
        Self(name)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

#[test]
fn an_open_xspice_is_high_and_a_ticketed_tls_one_passes() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        let ns = Netns::create();
        let open = Xspice::start(
            &XspiceConfig {
                ticket: Secret::default(),
                listen: "0.0.0.0".into(),
                netns: Some(ns.0.clone()),
                ..XspiceConfig::default()
            },
            &dir.path().join("open"),
        )
        .unwrap();
        let target = format!("spice://127.0.0.1:{}", open.port());
        let (out, report) = audit(&[&target], Some(&ns.0));
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = findings(&report);
        for want in ["no-ticket", "plain-port", "listens-beyond-loopback"] {
            assert!(
                f.contains(&(want.into(), "high".into())),
                "{want} missing: {f:?}"
            );
        }
        assert_eq!(report["schema"], "spicebench.audit/v1");
        drop(open);

        let tls = Xspice::start(
            &XspiceConfig {
                tls: true,
                ..XspiceConfig::default()
            },
            &dir.path().join("tls"),
        )
        .unwrap();
        let target = format!("spice+tls://127.0.0.1:{}", tls.port());
        let ca = dir.path().join("tls/x509/ca-cert.pem");
        let (out, report) = audit(&[&target, "--ca-file", ca.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = findings(&report);
        assert!(f.iter().all(|(_, s)| s == "info"), "{f:?}");
        assert!(
            f.contains(&("ticket-required".into(), "info".into())),
            "{f:?}"
        );
        assert!(f.contains(&("tls-ok".into(), "info".into())), "{f:?}");
        // Against a CA that did not sign it, the same server is untrusted.
        let other = spicebench::lab::x509::generate(&dir.path().join("other")).unwrap();
        let (out, report) = audit(
            &[
                &target,
                "--ca-file",
                other.dir.join("ca-cert.pem").to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(findings(&report).contains(&("tls-untrusted".into(), "high".into())));
    }
    common::assert_nothing_left(dir.path());
}

#[test]
fn a_plain_port_on_loopback_only_is_info_with_the_tunnel_advice() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        // Ticketed, plain, 127.0.0.1 only: what the lab itself serves.
        let server = Xspice::start(&XspiceConfig::default(), &dir.path().join("lo")).unwrap();
        let target = format!("spice://127.0.0.1:{}", server.port());
        let (out, report) = audit(&[&target], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = findings(&report);
        assert!(
            f.contains(&("plain-port-loopback".into(), "info".into())),
            "{f:?}"
        );
        assert!(f.iter().all(|(id, _)| id != "plain-port"), "{f:?}");
        assert!(
            f.iter().all(|(id, _)| id != "listens-beyond-loopback"),
            "{f:?}"
        );
        let port = server.port();
        let plain = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "plain-port-loopback")
            .unwrap();
        assert_eq!(
            plain["detail"],
            format!(
                "port {port} speaks SPICE without TLS and listens only on 127.0.0.1; from \
                 another host: ssh -N -L {port}:127.0.0.1:{port} user@this-host"
            )
        );
        // The table shows the advice although the finding is info.
        let table = Command::new(env!("CARGO_BIN_EXE_spicebench"))
            .args(["audit", &target])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(
            text.contains("tip:  viewers on other hosts reach it through an SSH tunnel"),
            "{text}"
        );
        assert!(!text.contains("cross the network"), "{text}");
    }
    common::assert_nothing_left(dir.path());
}

fn host_key(dir: &Path) {
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.join("host_ed25519"))
        .output()
        .unwrap();
    assert!(o.status.success());
}

#[test]
fn an_sshd_without_permit_open_is_flagged_and_the_managed_one_is_not() {
    use spicebench::lab::sshd::{server_config, SshdJob};
    let dir = tempfile::tempdir().unwrap();
    host_key(dir.path());
    let managed = server_config(
        dir.path(),
        dir.path(),
        "spicebench-viewer",
        2222,
        &SshdJob::Tunnel {
            permit_open: "127.0.0.1:5930".into(),
        },
    );
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let good = write("good_config", &managed);
    let (out, report) = audit(
        &[
            "--sshd-config",
            good.to_str().unwrap(),
            "--ssh-user",
            "spicebench-viewer",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(findings(&report), Vec::<(String, String)>::new());

    let open = managed
        .replace("PermitOpen 127.0.0.1:5930\n", "")
        .replace("AllowTcpForwarding local", "AllowTcpForwarding yes");
    let bad = write("open_config", &open);
    let (out, report) = audit(
        &[
            "--sshd-config",
            bad.to_str().unwrap(),
            "--ssh-user",
            "spicebench-viewer",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        findings(&report).contains(&("ssh-forwarding-unrestricted".into(), "high".into())),
        "{report}"
    );
    // Without a user, sshd's per-user settings cannot be evaluated: a clear error.
    let o = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["audit", "--sshd-config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--ssh-user"));
}
