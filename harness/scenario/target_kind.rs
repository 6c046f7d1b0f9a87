//! What each kind of target can do. Validation, preflight and the run ask these questions
//! instead of matching on the kind, so a new kind (a QEMU guest) answers them here, once,
//! and every rule that depends on them follows.

crate::named_enum::named_enum! {
    /// The kinds of `[target]`, as `kind = "…"` names them.
    pub enum TargetKind {
        /// Xspice, which spicebench starts with its desktop for each configuration.
        Xspice = "xspice",
        /// A server someone else runs.
        External = "external",
        /// spicebench's QEMU desktop guest, booted for each configuration.
        Qemu = "qemu",
    }
}

impl TargetKind {
    /// Whether the lab starts the server for each configuration and stops it after (so it
    /// needs the lab's privileges, and nothing of one configuration is left for the next).
    pub fn restarted_per_configuration(self) -> bool {
        match self {
            Self::Xspice | Self::Qemu => true,
            Self::External => false,
        }
    }

    /// Whether the lab can start it on the server side of an emulated link (the `lan` route):
    /// in a network namespace of its own.
    pub fn runs_behind_a_link(self) -> bool {
        match self {
            Self::Xspice => true,
            // QEMU is not started in a namespace yet; an external server is not ours.
            Self::Qemu | Self::External => false,
        }
    }

    /// Whether spicebench sets the server's knobs (its compression and the other server
    /// settings are set where the server starts). Otherwise a client can only ask for
    /// image compression and video codecs.
    pub fn can_set_server_knobs(self) -> bool {
        match self {
            Self::Xspice | Self::Qemu => true,
            Self::External => false,
        }
    }

    /// Whether its desktop is one spicebench sets up and can look at: `[desktop]`,
    /// `wait_for window`, the input probe and the effect checks need one.
    pub fn has_inspectable_desktop(self) -> bool {
        match self {
            Self::Xspice => true,
            // The guest's desktop is fixed (an xterm over a picture); its drag window is read
            // over the guest's control console instead.
            Self::External | Self::Qemu => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(TargetKind::from_name("qemu"), Some(TargetKind::Qemu));
        assert_eq!(TargetKind::from_name("vnc"), None);
    }

    #[test]
    fn only_a_target_the_lab_starts_has_knobs_and_a_desktop() {
        let x = TargetKind::Xspice;
        assert!(x.restarted_per_configuration() && x.can_set_server_knobs());
        assert!(x.has_inspectable_desktop() && x.runs_behind_a_link());
        let q = TargetKind::Qemu;
        assert!(q.restarted_per_configuration() && q.can_set_server_knobs());
        assert!(!q.has_inspectable_desktop() && !q.runs_behind_a_link());
        let e = TargetKind::External;
        assert!(!e.restarted_per_configuration() && !e.can_set_server_knobs());
        assert!(!e.has_inspectable_desktop());
    }
}
