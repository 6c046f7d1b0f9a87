//! A libvirt domain's `<graphics type='spice'>` (libvirt's formatdomain: `listen`, `passwd`,
//! `defaultMode`, `tlsPort`, `<listen>` and `<channel>` children), checked for a console
//! others can reach or watch.
//!
//! Every listen type counts: `address` (checked against loopback), `network` (an address the
//! XML does not give, so never taken for loopback), `socket` and `none` (local), and the legacy
//! `listen=` attribute. Each finding names its `<graphics>` (place, line, ports), since a
//! domain can have several.

use std::net::IpAddr;

use roxmltree::{Document, Node};

use super::finding::{Check, Finding, Severity};

/// Whether a listen address is reachable only from this host.
fn loopback_only(address: &str) -> bool {
    address == "localhost" || address.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where one listen setting of a `<graphics>` puts the console.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// This host only: a loopback address, a Unix socket, or no listener at all.
    Local,
    /// An address other hosts can reach; the text says which setting.
    Exposed(String),
    /// An address the XML does not give; the text says which setting and why.
    Unverified(String),
}

/// The XML line `node` starts on, for findings a user can find in the file.
fn line(doc: &Document, node: Node) -> u32 {
    doc.text_pos_at(node.range().start).row
}

/// One `<listen>` child (libvirt's formatdomain: types address, network, socket, none).
fn listen_child(doc: &Document, listen: Node) -> Reach {
    let at = line(doc, listen);
    let address = listen.attribute("address");
    match (listen.attribute("type"), address) {
        // Without an address, libvirt uses qemu.conf's spice_listen, 127.0.0.1 unless changed
        // (as with no listen at all).
        (Some("address") | None, None) => Reach::Local,
        (Some("address") | None, Some(a)) if loopback_only(a) => Reach::Local,
        (Some("address") | None, Some(a)) => Reach::Exposed(format!(
            "<listen type='address' address='{a}'> at line {at}"
        )),
        // The address is whatever the named network's is (libvirt writes it into a running
        // domain's XML, but the network's definition can change it on the next start).
        (Some("network"), _) => Reach::Unverified(format!(
            "<listen type='network' network='{}'{}> at line {at}: the address comes from that \
             libvirt network",
            listen.attribute("network").unwrap_or("?"),
            address.map_or(String::new(), |a| format!(" address='{a}'")),
        )),
        (Some("socket" | "none"), _) => Reach::Local,
        (Some(other), _) => Reach::Unverified(format!(
            "<listen type='{other}'> at line {at}: a listen type spicebench does not know \
             (address, network, socket, none)"
        )),
    }
}

/// Every listen setting of `g`: its `<listen>` children and the legacy `listen=` attribute.
fn reaches(doc: &Document, g: Node) -> Vec<Reach> {
    let children: Vec<Node> = g.children().filter(|c| c.has_tag_name("listen")).collect();
    let mut out: Vec<Reach> = children.iter().map(|c| listen_child(doc, *c)).collect();
    if let Some(a) = g.attribute("listen") {
        // libvirt mirrors the first <listen>'s address into the attribute: the same setting.
        let mirrored = children.iter().any(|c| c.attribute("address") == Some(a));
        if !mirrored && !loopback_only(a) {
            out.push(Reach::Exposed(format!("listen='{a}'")));
        }
    }
    out
}

/// Names a `<graphics>` element so that two in one domain give distinguishable findings:
/// its place among the domain's `<graphics>` (1-based), its XML line and its ports.
fn name(doc: &Document, g: Node, index: usize) -> String {
    let mut text = format!("graphics #{index} (line {}", line(doc, g));
    for attr in ["port", "tlsPort", "autoport"] {
        if let Some(v) = g.attribute(attr) {
            text.push_str(&format!(", {attr}={v}"));
        }
    }
    text.push(')');
    text
}

/// Findings for every SPICE graphics device in the domain XML `text`.
pub fn audit(text: &str) -> Result<Vec<Finding>, String> {
    let doc = Document::parse(text).map_err(|e| format!("not XML: {e}"))?;
    let graphics: Vec<(usize, Node)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("graphics"))
        .enumerate()
        .filter(|(_, n)| n.attribute("type") == Some("spice"))
        .collect();
    if graphics.is_empty() {
        return Err("no <graphics type='spice'> in this domain".into());
    }
    let mut out = Vec::new();
    for (i, g) in graphics {
        let which = name(&doc, g, i + 1);
        let password = g.attribute("passwd").is_some_and(|p| !p.is_empty());
        let open = if password {
            Severity::Medium
        } else {
            Severity::High
        };
        let mut reachable = false;
        for reach in reaches(&doc, g) {
            let (check, what) = match reach {
                Reach::Local => continue,
                Reach::Exposed(what) => (Check::LibvirtListensBeyondLoopback, what),
                Reach::Unverified(what) => (Check::LibvirtListenUnverified, what),
            };
            reachable = true;
            out.push(Finding::new(check, open, format!("{which}: {what}")));
        }
        if !password {
            out.push(Finding::new(
                Check::LibvirtNoPassword,
                if reachable {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!("{which}: no passwd attribute"),
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
                format!("{which}: {detail}"),
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
        assert_eq!(
            f[0].detail,
            "graphics #1 (line 1, port=5900, tlsPort=5901): channels inputs mode='insecure'"
        );
    }

    /// A domain with one SPICE graphics holding `listen` and, when `passwd`, a password.
    fn one(listen: &str, passwd: bool) -> Vec<Finding> {
        let passwd = if passwd { " passwd='s3cret'" } else { "" };
        audit(&format!(
            "<domain><devices><graphics type='spice' port='5900'{passwd} \
             defaultMode='secure'>{listen}</graphics></devices></domain>"
        ))
        .unwrap()
    }

    #[test]
    fn every_listen_type_is_checked() {
        // A libvirt network's address is not in the XML: never taken for loopback, even
        // with the address a running domain's XML shows.
        let network = "<listen type='network' network='default'/>";
        assert_eq!(
            ids(&one(network, true)),
            [("libvirt-listen-unverified", Severity::Medium)]
        );
        assert_eq!(
            ids(&one(network, false)),
            [
                ("libvirt-listen-unverified", Severity::High),
                ("libvirt-no-password", Severity::High)
            ]
        );
        let live = one(
            "<listen type='network' network='default' address='127.0.0.1'/>",
            true,
        );
        assert_eq!(
            ids(&live),
            [("libvirt-listen-unverified", Severity::Medium)]
        );
        assert!(
            live[0]
                .detail
                .contains("network='default' address='127.0.0.1'"),
            "{}",
            live[0].detail
        );
        // A Unix socket, no listener, a loopback address, and the default: local.
        for local in [
            "<listen type='socket' socket='/run/spice.sock'/>",
            "<listen type='socket'/>",
            "<listen type='none'/>",
            "<listen type='address' address='127.0.0.1'/>",
            "<listen type='address' address='::1'/>",
            "<listen type='address'/>",
            "",
        ] {
            assert_eq!(ids(&one(local, true)), [], "{local}");
            assert_eq!(
                ids(&one(local, false)),
                [("libvirt-no-password", Severity::Medium)],
                "{local}"
            );
        }
        assert_eq!(
            ids(&one("<listen type='address' address='192.0.2.5'/>", true)),
            [("libvirt-listens-beyond-loopback", Severity::Medium)]
        );
        // A type this code does not know is not assumed local.
        let odd = one("<listen type='vsock'/>", true);
        assert_eq!(ids(&odd), [("libvirt-listen-unverified", Severity::Medium)]);
        assert!(odd[0].detail.contains("type='vsock'"), "{}", odd[0].detail);
    }

    #[test]
    fn the_legacy_listen_attribute_counts_unless_it_mirrors_a_listen_element() {
        let legacy = audit(
            "<domain><devices><graphics type='spice' port='5900' listen='0.0.0.0' \
             passwd='x' defaultMode='secure'/></devices></domain>",
        )
        .unwrap();
        assert_eq!(
            ids(&legacy),
            [("libvirt-listens-beyond-loopback", Severity::Medium)]
        );
        assert_eq!(
            legacy[0].detail,
            "graphics #1 (line 1, port=5900): listen='0.0.0.0'"
        );
        // libvirt writes the resolved address of a network listen into the attribute too:
        // one setting, one finding.
        let mirrored = audit(
            "<domain><devices><graphics type='spice' listen='192.168.122.1' passwd='x' \
             defaultMode='secure'><listen type='network' network='default' \
             address='192.168.122.1'/></graphics></devices></domain>",
        )
        .unwrap();
        assert_eq!(
            ids(&mirrored),
            [("libvirt-listen-unverified", Severity::Medium)]
        );
    }

    #[test]
    fn two_graphics_give_findings_that_say_which_one() {
        let xml = "<domain>\n<devices>\n\
            <graphics type='vnc' port='5909'/>\n\
            <graphics type='spice' port='5900' passwd='x' defaultMode='secure'>\n\
              <listen type='address' address='0.0.0.0'/>\n\
            </graphics>\n\
            <graphics type='spice' autoport='yes' passwd='x' defaultMode='secure'>\n\
              <listen type='address' address='0.0.0.0'/>\n\
            </graphics>\n\
            </devices>\n</domain>";
        let f = audit(xml).unwrap();
        let details: Vec<&str> = f.iter().map(|f| f.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "graphics #2 (line 4, port=5900): <listen type='address' address='0.0.0.0'> \
                 at line 5",
                "graphics #3 (line 7, autoport=yes): <listen type='address' address='0.0.0.0'> \
                 at line 8",
            ]
        );
    }

    #[test]
    fn no_spice_or_no_xml_is_an_error_not_a_panic() {
        assert!(audit("<domain><devices><graphics type='vnc'/></devices></domain>").is_err());
        assert!(audit("not xml <").is_err());
        assert!(audit("").is_err());
    }
}
