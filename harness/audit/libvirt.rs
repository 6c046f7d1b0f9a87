//! A libvirt domain's `<graphics type='spice'>` (libvirt's formatdomain: `listen`, `passwd`,
//! `defaultMode`, `tlsPort`, `<listen>` and `<channel>` children), checked for a console
//! others can reach or watch.

use std::net::IpAddr;

use super::finding::{Check, Finding, Severity};

/// Whether a listen address is reachable only from this host.
fn loopback_only(address: &str) -> bool {
    address == "localhost" || address.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Findings for every SPICE graphics device in the domain XML `text`.
pub fn audit(text: &str) -> Result<Vec<Finding>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not XML: {e}"))?;
    let graphics: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("graphics") && n.attribute("type") == Some("spice"))
        .collect();
    if graphics.is_empty() {
        return Err("no <graphics type='spice'> in this domain".into());
    }
    let mut out = Vec::new();
    for g in graphics {
        // libvirt's default listen address (no listen at all) is qemu.conf's spice_listen,
        // 127.0.0.1 unless changed.
        let mut addresses: Vec<String> = g
            .attribute("listen")
            .map(str::to_string)
            .into_iter()
            .collect();
        addresses.extend(
            g.children()
                .filter(|c| c.has_tag_name("listen"))
                .filter_map(|c| c.attribute("address").map(str::to_string)),
        );
        let exposed: Vec<&String> = addresses.iter().filter(|a| !loopback_only(a)).collect();
        let password = g.attribute("passwd").is_some_and(|p| !p.is_empty());
        if !exposed.is_empty() {
            out.push(Finding::new(
                Check::LibvirtListensBeyondLoopback,
                if password {
                    Severity::Medium
                } else {
                    Severity::High
                },
                format!(
                    "listen={}",
                    exposed
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !password {
            out.push(Finding::new(
                Check::LibvirtNoPassword,
                if exposed.is_empty() {
                    Severity::Medium
                } else {
                    Severity::High
                },
                "no passwd attribute",
            ));
        }
        let mode = g.attribute("defaultMode").unwrap_or("any");
        let insecure_channels: Vec<&str> = g
            .children()
            .filter(|c| c.has_tag_name("channel") && c.attribute("mode") == Some("insecure"))
            .filter_map(|c| c.attribute("name"))
            .collect();
        if mode != "secure" || !insecure_channels.is_empty() {
            let detail = if insecure_channels.is_empty() {
                format!("defaultMode='{mode}'")
            } else {
                format!("channels {} mode='insecure'", insecure_channels.join(", "))
            };
            out.push(Finding::new(
                Check::LibvirtInsecureChannels,
                Severity::Medium,
                detail,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.check.id(), f.severity)).collect()
    }

    #[test]
    fn an_open_console_and_a_closed_one() {
        let open = "<domain type='kvm'><devices>\
            <graphics type='spice' autoport='yes' listen='0.0.0.0' defaultMode='insecure'>\
            <listen type='address' address='0.0.0.0'/></graphics></devices></domain>";
        assert_eq!(
            ids(&audit(open).unwrap()),
            [
                ("libvirt-listens-beyond-loopback", Severity::High),
                ("libvirt-no-password", Severity::High),
                ("libvirt-insecure-channels", Severity::Medium)
            ]
        );
        let closed = "<domain><devices><graphics type='spice' port='5900' tlsPort='5901' \
            listen='127.0.0.1' passwd='s3cret' defaultMode='secure'>\
            <listen type='address' address='127.0.0.1'/></graphics></devices></domain>";
        assert_eq!(ids(&audit(closed).unwrap()), []);
        let one_plain = closed.replace(
            "</graphics>",
            "<channel name='inputs' mode='insecure'/></graphics>",
        );
        let f = audit(&one_plain).unwrap();
        assert_eq!(f[0].detail, "channels inputs mode='insecure'");
    }

    #[test]
    fn no_spice_or_no_xml_is_an_error_not_a_panic() {
        assert!(audit("<domain><devices><graphics type='vnc'/></devices></domain>").is_err());
        assert!(audit("not xml <").is_err());
        assert!(audit("").is_err());
    }
}
