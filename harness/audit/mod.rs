//! `spicebench audit`: what stands between a SPICE console and anyone who can reach it.
//!
//! It probes a SPICE endpoint the user names (does the plain port take a link without a
//! ticket, is TLS offered, what does its certificate say), looks at which addresses a local
//! server listens on, and reads an sshd configuration (`sshd -T`) and a libvirt domain's
//! `<graphics>` for the settings that open a console to others. Every finding has a severity
//! and the fix; the output is a table or `spicebench.audit/v1` JSON (docs/audit.md).
//!
//! # Layout
//! - [`finding`]: the closed set of checks, their severity, title and fix.
//! - [`spice`]: probing a plain or TLS SPICE port.
//! - [`cert`]: what a TLS certificate says (issuer, validity, key).
//! - [`listen`]: the addresses a local port listens on.
//! - [`sshd`]: `sshd -T` output → findings.
//! - [`libvirt`]: a domain XML's SPICE graphics → findings.

pub mod cert;
pub mod finding;
pub mod libvirt;
pub mod listen;
pub mod spice;
pub mod sshd;

use std::path::PathBuf;

use serde::Serialize;

pub use finding::{Check, Finding, Severity};

/// The schema string of `--format json`.
pub const SCHEMA: &str = "spicebench.audit/v1";

/// What to audit.
#[derive(Debug, Clone, Default)]
pub struct AuditRequest {
    /// A SPICE endpoint to probe.
    pub target: Option<crate::scenario::SpiceUri>,
    /// The CA that should have signed a TLS target's certificate.
    pub ca_file: Option<PathBuf>,
    /// An sshd configuration to read (with `ssh_user`).
    pub sshd_config: Option<PathBuf>,
    /// The account that logs in for SSH tunnels.
    pub ssh_user: Option<String>,
    /// A libvirt domain definition.
    pub libvirt_xml: Option<PathBuf>,
}

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What was looked at, e.g. `spice://127.0.0.1:5930`, `sshd_config /etc/ssh/sshd_config`.
    pub audited: Vec<String>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// Whether any finding is high: the command exits 1.
    pub fn has_high(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::High)
    }
}

/// Why an audit could not be made at all (as opposed to a finding).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Nothing was given to audit.
    #[error("nothing to audit: give a SPICE endpoint (spice://host:port or spice+tls://host:port), --sshd-config FILE with --ssh-user USER, or --libvirt-xml FILE")]
    Nothing,
    /// --sshd-config without --ssh-user.
    #[error(
        "--sshd-config needs --ssh-user USER: sshd's settings can differ per user (Match blocks)"
    )]
    NoSshUser,
    /// The endpoint could not be probed.
    #[error("{0}")]
    Probe(String),
    /// sshd could not evaluate the configuration.
    #[error("{0}")]
    Sshd(String),
    /// The libvirt XML could not be read.
    #[error("{0}")]
    Libvirt(String),
}

/// Runs every audit `request` asks for.
pub async fn audit(request: &AuditRequest) -> Result<AuditReport, AuditError> {
    if request.target.is_none() && request.sshd_config.is_none() && request.libvirt_xml.is_none() {
        return Err(AuditError::Nothing);
    }
    let mut audited = Vec::new();
    let mut findings = Vec::new();
    if let Some(target) = &request.target {
        audited.push(target.to_string());
        findings.extend(spice::probe(target, request.ca_file.as_deref()).await?);
    }
    if let Some(config) = &request.sshd_config {
        let user = request.ssh_user.as_deref().ok_or(AuditError::NoSshUser)?;
        audited.push(format!("sshd_config {} for {user}", config.display()));
        findings.extend(sshd::audit(config, user)?);
    }
    if let Some(xml) = &request.libvirt_xml {
        audited.push(format!("libvirt domain {}", xml.display()));
        let text = std::fs::read_to_string(xml)
            .map_err(|e| AuditError::Libvirt(format!("{}: cannot read: {e}", xml.display())))?;
        findings.extend(
            libvirt::audit(&text)
                .map_err(|e| AuditError::Libvirt(format!("{}: {e}", xml.display())))?,
        );
    }
    findings.sort_by_key(|f| f.severity);
    Ok(AuditReport {
        schema: SCHEMA.to_string(),
        audited,
        findings,
    })
}
