//! `spicebench audit`'s table: one block per finding, most severe first. Pure.

use crate::audit::finding::NOTHING_TO_DO;
use crate::audit::{AuditReport, Severity};

/// The report as text for a terminal.
pub fn audit_table(report: &AuditReport) -> String {
    let mut out = format!("audited: {}\n", report.audited.join("; "));
    if report.findings.is_empty() {
        out.push_str("no findings\n");
        return out;
    }
    for f in &report.findings {
        out.push_str(&format!(
            "{:<6} {:<8} {}\n       seen: {}\n",
            f.severity.as_str().to_uppercase(),
            f.area,
            f.title,
            f.detail
        ));
        // An info finding has nothing to fix, but some carry advice worth reading (how to
        // reach a loopback-only port from elsewhere).
        if f.severity != Severity::Info {
            out.push_str(&format!("       fix:  {}\n", f.fix));
        } else if f.fix != NOTHING_TO_DO {
            out.push_str(&format!("       tip:  {}\n", f.fix));
        }
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{} high, {} medium, {} low, {} info\n",
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        count(Severity::Info)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Check, Finding, SCHEMA};

    #[test]
    fn high_findings_come_with_their_fix_and_info_without() {
        let report = AuditReport {
            schema: SCHEMA.into(),
            audited: vec!["spice://127.0.0.1:5930".into()],
            findings: vec![
                Finding::new(Check::NoTicket, Severity::High, "accepted"),
                Finding::new(Check::SaslOffered, Severity::Info, "cap"),
            ],
        };
        let t = audit_table(&report);
        assert!(
            t.starts_with(
                "audited: spice://127.0.0.1:5930\nHIGH   spice    the SPICE port accepts"
            ),
            "{t}"
        );
        assert!(t.contains("fix:  set a password"), "{t}");
        assert_eq!(t.matches("fix:").count(), 1, "{t}");
        assert!(t.ends_with("1 high, 0 medium, 0 low, 1 info\n"), "{t}");
    }

    #[test]
    fn an_info_finding_with_advice_shows_it_as_a_tip() {
        let report = AuditReport {
            schema: SCHEMA.into(),
            audited: vec!["spice://127.0.0.1:5930".into()],
            findings: vec![
                Finding::new(Check::PlainPortLoopback, Severity::Info, "on 127.0.0.1"),
                Finding::new(Check::TicketRequired, Severity::Info, "refused"),
            ],
        };
        let t = audit_table(&report);
        assert!(
            t.contains("INFO   spice    a plain SPICE port is open on loopback only"),
            "{t}"
        );
        assert!(
            t.contains("tip:  viewers on other hosts reach it through an SSH tunnel"),
            "{t}"
        );
        // "nothing to do" is no tip.
        assert_eq!(t.matches("tip:").count(), 1, "{t}");
        assert!(!t.contains("fix:"), "{t}");
    }
}
