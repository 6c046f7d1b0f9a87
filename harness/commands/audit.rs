//! `spicebench audit`: who else can reach a SPICE console; exit 1 on a high finding.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::Format;

/// The command's options, as given.
pub struct Request {
    pub target: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub sshd_config: Option<PathBuf>,
    pub ssh_user: Option<String>,
    pub libvirt_xml: Option<PathBuf>,
}

pub async fn audit(request: Request, format: Format) -> anyhow::Result<u8> {
    let target = request
        .target
        .map(|t| {
            t.parse::<spicebench::scenario::SpiceUri>()
                .with_context(|| format!("audit target `{t}`"))
        })
        .transpose()?;
    let request = spicebench::audit::AuditRequest {
        target,
        ca_file: request.ca_file,
        sshd_config: request.sshd_config,
        ssh_user: request.ssh_user,
        libvirt_xml: request.libvirt_xml,
    };
    let report = spicebench::audit::audit(&request).await?;
    match format {
        Format::Table => spicebench::out!("{}", spicebench::export::audit::audit_table(&report)),
        Format::Json => spicebench::outln!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(u8::from(report.has_high()))
}
