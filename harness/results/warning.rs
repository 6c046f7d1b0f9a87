//! A result's warnings: a stable code for programs, a severity, and a text for people.
//!
//! Codes are part of the results contract (`docs/warnings.md` documents each, with its
//! severity and what to do): `check`, `--strict` and the run's own filters decide by code,
//! never by a warning's text, so a text can be reworded without breaking them. A code is
//! never renamed or reused for another meaning; a new kind of warning gets a new code.

use serde::{Deserialize, Serialize};

/// How far a warning undermines the result's numbers. Ordered: a higher severity is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context for reading the numbers; they stand as measured.
    Info,
    /// Something was incomplete or not as planned: the numbers are right for what was
    /// measured, but that may be less, or other, than what was meant.
    Warning,
    /// A number named in the text should not be trusted as it stands.
    Untrusted,
}

/// Defines [`WarningCode`] and [`WarningCode::ALL`] from one list, so no code can be left out
/// of the list that docs and tests walk.
macro_rules! codes {
    ($($(#[$doc:meta])* $code:ident,)*) => {
        /// Every kind of warning a result can carry. Serialised in snake_case; see
        /// `docs/warnings.md` for what each means and what to do. A code a newer spicebench
        /// wrote reads as [`WarningCode::Unknown`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum WarningCode {
            $($(#[$doc])* $code,)*
            /// A code this spicebench does not know (written by a newer one).
            #[serde(other)]
            Unknown,
        }

        impl WarningCode {
            /// Every code, in declaration order (docs and tests walk it).
            pub const ALL: &'static [WarningCode] = &[$(WarningCode::$code,)* WarningCode::Unknown];
        }
    };
}

codes! {
    // --- The capture and its analysis (`spicebench analyze`, and a run's capture). ---
    /// The capture ends in a damaged packet: the numbers cover the packets before it.
    PartialCapture,
    /// The capture holds no packets.
    EmptyCapture,
    /// The capture holds SPICE only inside TLS, which the analyser cannot read.
    CaptureOnlyTls,
    /// The capture holds SPICE only inside SSH.
    CaptureOnlySsh,
    /// The capture holds no SPICE connection at all.
    CaptureNoSpice,
    /// Several SPICE sessions had inputs; latency is that of the busiest.
    OtherSessions,
    /// sshd held the server's data back (Nagle) before passing it to the ssh client.
    SshHold,
    /// Frames that were not TCP (or not decodable) were skipped.
    NonTcpFrames,
    /// A flow's start was not captured; its channel is guessed from its messages.
    FlowChannelGuessed,
    /// A flow's start was not captured; it has no channel attribution.
    FlowStartMissing,
    /// Bytes of a flow are missing from the capture.
    CaptureGap,
    /// TCP retransmitted bytes of a flow.
    Retransmissions,
    /// The message walk of a flow stopped at something it could not parse.
    MessageWalkStopped,
    /// The server refused a flow's link.
    LinkRefused,
    /// The rest of a flow is opaque (SASL) and not parsed.
    StreamOpaque,
    /// Capture holes cost a flow's message walk its place; it resynchronised.
    MessageWalkResync,
    /// Messages lost part of their body to capture holes; their images were not read.
    DamagedBodies,

    // --- Latency that should not be trusted as it stands. ---
    /// Many pointer inputs showed no effect in the probe.
    ProbeInputsLost,
    /// The last probe stamp is not where the plan ends.
    ProbeEndMismatch,
    /// The screen was not quiet while idle: latency samples may be idle updates.
    IdleUpdates,
    /// Latency samples shorter than half the round trip.
    ImpossibleLatencySamples,

    // --- The run: session, viewer, input and its effect. ---
    /// The server's TLS certificate was not checked.
    TlsUnverified,
    /// The server is in server mouse mode (relative, accelerated pointer).
    ServerMouseMode,
    /// The display never went quiet before `settle_timeout_s`.
    NotSettled,
    /// The viewer could not apply the preferred image compression.
    CompressionNotApplied,
    /// The XTest input thread ran without SCHED_FIFO.
    InputNotRealtime,
    /// The events log could not be completed.
    EventsLogIncomplete,
    /// A SPICE channel of our client ended during the run.
    ChannelEnded,
    /// A display message could not be fully parsed.
    DisplayUnparsed,
    /// The server sent a notice.
    ServerNotice,
    /// The server announced it is disconnecting a channel.
    ServerDisconnecting,
    /// Too many video streams were created to keep all their times.
    StreamTimesFull,
    /// The drags did not move the window they should have.
    DragMissed,
    /// The drags did not change the screen where they should have.
    RegionUnchanged,
    /// A `prefer` switch sends nothing the previous setting did not: its moment is unmarked.
    SwitchIndistinct,
    /// A `prefer` switch never showed on the wire.
    SwitchNotSeen,
    /// A transport leg runs off this machine and is not captured.
    LegNotCaptured,
    /// Nothing was captured: the session does not run over loopback.
    NoCapture,
    /// Only one interface was captured; legs on others were not.
    InterfacesNotCaptured,
    /// No input was sent.
    NoInput,
    /// No display update followed any input.
    NoLatencySamples,
    /// Almost no display traffic while the input played.
    QuietDisplay,
    /// Input pacing was worse than the limit that keeps latency samples exact.
    PacingDegraded,
    /// Planned pointer moves were merged while motion acks were awaited.
    MotionMerged,
    /// The run is labelled with a compression whose images never showed on the wire.
    CompressionNotSeen,
    /// The viewer sent fewer pointer motions than it was given.
    MotionCoalesced,
    /// The kernel dropped packets during the capture.
    KernelDropped,
    /// The capture holds no connection for one of the client's channels.
    CaptureMissingChannel,
    /// The capture saw fewer payload bytes on a channel than the client did.
    CaptureUndercount,
    /// The machine's cores were (almost) all busy while the plan played: the parts competed
    /// for CPU, and latency and rates include that contention.
    CpuSaturated,

    // --- Read from files. ---
    /// A `spicebench.run/v1` warning, which had a text and no code.
    Legacy,
}

impl WarningCode {
    /// How far a warning of this code undermines the numbers: the one table of severities.
    pub fn severity(self) -> Severity {
        use WarningCode::*;
        match self {
            OtherSessions | NonTcpFrames | StreamOpaque | ServerMouseMode | InputNotRealtime
            | ServerNotice | StreamTimesFull | SwitchIndistinct | MotionCoalesced => {
                Severity::Info
            }
            IdleUpdates | ImpossibleLatencySamples | NotSettled | NoLatencySamples
            | QuietDisplay | PacingDegraded | CompressionNotSeen | KernelDropped
            | CaptureUndercount => Severity::Untrusted,
            PartialCapture | EmptyCapture | CaptureOnlyTls | CaptureOnlySsh | CaptureNoSpice
            | SshHold | FlowChannelGuessed | FlowStartMissing | CaptureGap | Retransmissions
            | MessageWalkStopped | LinkRefused | MessageWalkResync | DamagedBodies
            | ProbeInputsLost | ProbeEndMismatch | TlsUnverified | CompressionNotApplied
            | EventsLogIncomplete | ChannelEnded | DisplayUnparsed | ServerDisconnecting
            | DragMissed | RegionUnchanged | SwitchNotSeen | LegNotCaptured | NoCapture
            | InterfacesNotCaptured | NoInput | MotionMerged | CaptureMissingChannel
            | CpuSaturated
            // A warning whose kind is not known is not assumed harmless.
            | Legacy | Unknown => Severity::Warning,
        }
    }
}

/// Writes a unit variant as results spell it: serde's name is the one definition of it.
fn write_name(value: &impl Serialize, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => f.write_str(&s),
        // A unit variant always serialises to a string.
        _ => f.write_str("unknown"),
    }
}

impl std::fmt::Display for WarningCode {
    /// The code as written in results, e.g. `kernel_dropped`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_name(self, f)
    }
}

impl std::fmt::Display for Severity {
    /// The severity as written in results, e.g. `untrusted`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_name(self, f)
    }
}

/// One problem noticed in a run or an analysis that did not stop it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredWarning")]
pub struct Warning {
    /// What kind of problem: stable, documented in `docs/warnings.md`.
    pub code: WarningCode,
    /// How far it undermines the numbers (the code's, when written by this spicebench).
    pub severity: Severity,
    /// What happened, with its numbers, for people; may span lines. Never matched on.
    pub text: String,
}

impl Warning {
    /// A warning of `code`, with the code's severity.
    pub fn new(code: WarningCode, text: impl Into<String>) -> Self {
        Warning {
            code,
            severity: code.severity(),
            text: text.into(),
        }
    }

    /// The same warning with `prefix` before its text (e.g. `capture: `).
    pub fn prefixed(self, prefix: &str) -> Self {
        Warning {
            text: format!("{prefix}{}", self.text),
            ..self
        }
    }

    /// Whether it makes `--strict` fail: anything worse than a note.
    pub fn is_problem(&self) -> bool {
        self.severity > Severity::Info
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A warning as stored: an object in `spicebench.run/v2`, a bare text in v1.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredWarning {
    Coded {
        code: WarningCode,
        /// Absent only if hand-written; the code's own severity then stands.
        #[serde(default)]
        severity: Option<Severity>,
        text: String,
    },
    Legacy(String),
}

impl From<StoredWarning> for Warning {
    fn from(s: StoredWarning) -> Self {
        match s {
            StoredWarning::Coded {
                code,
                severity,
                text,
            } => Warning {
                code,
                severity: severity.unwrap_or(code.severity()),
                text,
            },
            StoredWarning::Legacy(text) => Warning::new(WarningCode::Legacy, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_round_trip() {
        let w = Warning::new(WarningCode::KernelDropped, "dropped 3");
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": "kernel_dropped", "severity": "untrusted", "text": "dropped 3"})
        );
        assert_eq!(serde_json::from_value::<Warning>(v).unwrap(), w);
        assert_eq!(WarningCode::NoInput.to_string(), "no_input");
        assert_eq!(Severity::Untrusted.to_string(), "untrusted");
    }

    #[test]
    fn a_v1_text_reads_as_a_legacy_warning() {
        let w: Warning = serde_json::from_str("\"capture: something\"").unwrap();
        assert_eq!(w.code, WarningCode::Legacy);
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.text, "capture: something");
    }

    #[test]
    fn an_unknown_code_keeps_its_text_and_severity() {
        let w: Warning =
            serde_json::from_str(r#"{"code": "from_the_future", "severity": "info", "text": "t"}"#)
                .unwrap();
        assert_eq!(w.code, WarningCode::Unknown);
        assert_eq!(w.severity, Severity::Info);
        assert!(!w.is_problem());
    }

    #[test]
    fn every_code_has_a_distinct_name_and_is_documented() {
        let docs = include_str!("../../docs/warnings.md");
        let mut names: Vec<String> = WarningCode::ALL.iter().map(|c| c.to_string()).collect();
        for n in &names {
            assert!(
                docs.contains(&format!("`{n}`")),
                "docs/warnings.md lacks `{n}`"
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), WarningCode::ALL.len());
    }
}
