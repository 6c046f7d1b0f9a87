//! Tests of the scenario rules at the top level, `[target]` and the drag and pause steps. Each
//! error must name the file, the line and the key, and say what to write instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::scenario::{Button, Drag, DragPath, KnobAxes};

type Result<T> = std::result::Result<T, ScenarioError>;

const HEAD: &str = "name = \"t\"\n[target]\nkind = \"xspice\"\n";
// Lines 4..=10 after HEAD.
const DRAG: &str = "[[steps]]\nkind = \"drag\"\nfrom = [10, 10]\nto = [20, 20]\nduration_s = 1.0\nrate_hz = 100\nbutton = \"left\"\n";

pub(in crate::scenario) fn parse(text: &str) -> Result<Scenario> {
    Scenario::parse(text, Path::new("scenarios/t.toml"))
}

/// Asserts that `text` (as `scenarios/t.toml`) fails with this line, key and a fragment
/// of the message.
#[track_caller]
pub(in crate::scenario) fn fails(text: &str, line: usize, key: &str, fragment: &str) {
    let e = parse(text).expect_err("expected a validation error");
    let msg = e.to_string();
    assert_eq!(e.line(), Some(line), "{msg}");
    assert_eq!(e.key(), Some(key), "{msg}");
    assert!(
        msg.starts_with(&format!("scenarios/t.toml:{line}: {key}: ")),
        "{msg}"
    );
    assert!(msg.contains(fragment), "{msg:?} lacks {fragment:?}");
}

/// HEAD and DRAG with `line` (1-based) of the DRAG part replaced.
fn drag_with(line_in_drag: usize, replacement: &str) -> String {
    let lines: Vec<String> = DRAG
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line_in_drag {
                replacement.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    format!("{HEAD}{}\n", lines.join("\n"))
}

#[test]
fn minimal_scenario_gets_defaults() {
    let s = parse(&format!("{HEAD}{DRAG}")).unwrap();
    assert_eq!(s.name, "t");
    assert_eq!(s.description, None);
    assert_eq!(s.seed, 1);
    assert_eq!(s.repeat, 1);
    assert_eq!(s.idle_before, Duration::from_secs(1));
    assert_eq!(s.settle_timeout, Duration::from_secs(5));
    assert_eq!(s.source, PathBuf::from("scenarios/t.toml"));
    assert_eq!(
        s.target,
        Target::Xspice {
            geometry: Geometry::default(),
            heads: 1,
            knobs: KnobAxes::default(),
            compression: vec![Compression::AutoGlz],
            tls: false,
            idle_activity: IdleActivity::None,
        }
    );
}

#[test]
fn all_top_level_keys_are_read() {
    let text = format!(
        "schema = \"spicebench.scenario/v1\"\nname = \"a.B_c-1\"\ndescription = \"d\"\nseed = 9223372036854775807\n\
         repeat = 100\nidle_before_s = 0\nsettle_timeout_s = 0.1\n{}",
        &HEAD[11..]
    ) + DRAG;
    let s = parse(&text).unwrap();
    assert_eq!(s.name, "a.B_c-1");
    assert_eq!(s.description.as_deref(), Some("d"));
    assert_eq!(s.seed, i64::MAX as u64);
    assert_eq!(s.repeat, 100);
    assert_eq!(s.idle_before, Duration::ZERO);
    assert_eq!(s.settle_timeout, Duration::from_millis(100));
}

#[test]
fn syntax_errors_name_file_and_line() {
    let e = parse("name = \"t\"\nseed = \n").unwrap_err();
    assert!(matches!(e, ScenarioError::Syntax { .. }));
    assert_eq!(e.line(), Some(2));
    assert!(
        e.to_string()
            .starts_with("scenarios/t.toml:2: TOML syntax error: "),
        "{e}"
    );
    assert!(!e.to_string().contains('\n'), "{e}");
    let dup = parse("name = \"t\"\nname = \"u\"\n").unwrap_err();
    assert_eq!(dup.line(), Some(2), "{dup}");
}

#[test]
fn unknown_keys_are_named_with_the_allowed_ones() {
    fails(
        &format!("{HEAD}colour = 1\n{DRAG}"),
        4,
        "target.colour",
        "unknown field `colour`, expected one of `kind`, `geometry`, `compression`",
    );
    fails(
        &format!("nmae = \"t\"\n{HEAD}{DRAG}"),
        1,
        "nmae",
        "expected one of `schema`, `name`, `description`",
    );
    fails(
        &drag_with(7, "buton = \"left\""),
        10,
        "steps[0].buton",
        "button",
    );
    fails(
        &drag_with(4, "path = { kind = \"erratic\", size = 3 }"),
        7,
        "steps[0].path.size",
        "expected `kind` or `step_px`",
    );
    fails(
        &format!("{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 1\nrate_hz = 3\n"),
        7,
        "steps[0].rate_hz",
        "`rate_hz` is not a key of a pause step; remove it",
    );
    fails(
        "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:1\"\nhost = \"h\"\n[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
        5,
        "target.host",
        "`password_env`, `password_file`",
    );
}

#[test]
fn schema_must_be_v1() {
    fails(
        &format!("schema = \"spicebench.scenario/v2\"\n{HEAD}{DRAG}"),
        1,
        "schema",
        "reads \"spicebench.scenario/v1\"",
    );
}

#[test]
fn name_is_required_and_file_name_safe() {
    fails(
        &format!("{}{DRAG}", &HEAD[11..]),
        1,
        "name",
        "missing; add name =",
    );
    fails(
        &format!("seed = 1\nname = \"my drag\"\n{}{DRAG}", &HEAD[11..]),
        2,
        "name",
        "got `my drag`",
    );
    fails(
        &format!("name = \"\"\n{}{DRAG}", &HEAD[11..]),
        1,
        "name",
        "file names",
    );
    fails(
        &format!("name = \"..\"\n{}{DRAG}", &HEAD[11..]),
        1,
        "name",
        "must not be `..`",
    );
    fails(
        &format!("name = 3\n{}{DRAG}", &HEAD[11..]),
        1,
        "name",
        "`name` must be a string, got the integer 3; write e.g. name = \"3\"",
    );
}

#[test]
fn top_level_numbers_are_range_checked() {
    let with = |line: &str| format!("name = \"t\"\n{line}\n{}{DRAG}", &HEAD[11..]);
    fails(
        &with("seed = -1"),
        2,
        "seed",
        "must be between 0 and 9223372036854775807, got -1",
    );
    fails(
        &with("seed = 1.5"),
        2,
        "seed",
        "`seed` must be an integer (a whole number), got the float 1.5; write e.g. seed = 2",
    );
    fails(
        &with("repeat = 0"),
        2,
        "repeat",
        "must be between 1 and 100, got 0",
    );
    fails(&with("repeat = 101"), 2, "repeat", "got 101");
    fails(
        &with("idle_before_s = -0.5"),
        2,
        "idle_before_s",
        "between 0 and 60 seconds, got -0.5",
    );
    fails(&with("idle_before_s = 61"), 2, "idle_before_s", "got 61");
    fails(&with("idle_before_s = nan"), 2, "idle_before_s", "got NaN");
    fails(
        &with("settle_timeout_s = 0.05"),
        2,
        "settle_timeout_s",
        "between 0.1 and 60 seconds",
    );
    fails(
        &with("settle_timeout_s = inf"),
        2,
        "settle_timeout_s",
        "got inf",
    );
    fails(
        &with("settle_timeout_s = \"5\""),
        2,
        "settle_timeout_s",
        "`settle_timeout_s` must be a number, got the string \"5\"; write e.g. settle_timeout_s = 5.0",
    );
    fails(
        &with("description = 1"),
        2,
        "description",
        "`description` must be a string, got the integer 1",
    );
}

#[test]
fn remote_viewer_on_an_external_target_needs_its_geometry() {
    let text = "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:1\"\n\
                [access]\nviewers = [\"remote-viewer\"]\n[[steps]]\nkind = \"pause\"\n\
                duration_s = 1\n";
    fails(
        text,
        3,
        "target",
        "remote-viewer needs the target's screen size",
    );
    let ok = text.replace(
        "uri = \"spice://h:1\"",
        "uri = \"spice://h:1\"\ngeometry = \"800x600\"",
    );
    assert!(parse(&ok).is_ok());
}

#[test]
fn target_is_required_and_kind_known() {
    fails(
        &format!("name = \"t\"\n{DRAG}"),
        1,
        "target",
        "missing; add a [target] table",
    );
    fails(
        &format!("name = \"t\"\ntarget = 3\n{DRAG}"),
        2,
        "target",
        "`target` must be a table, got the integer 3; write e.g. target = { kind = \"xspice\" }",
    );
    fails(
        &format!("name = \"t\"\n[target]\ngeometry = \"64x64\"\n{DRAG}"),
        3,
        "target.kind",
        "missing",
    );
    fails(
        &format!("name = \"t\"\n[target]\nkind = \"vnc\"\n{DRAG}"),
        3,
        "target.kind",
        "unknown variant `vnc`, expected one of `xspice`, `external`, `qemu`",
    );
}

#[test]
fn dotted_target_keys_work_and_fall_back_to_a_line() {
    let s = parse(&format!(
        "name = \"t\"\ntarget.kind = \"xspice\"\ntarget.geometry = \"800x600\"\n{DRAG}"
    ))
    .unwrap();
    assert_eq!(
        s.target.geometry(),
        Some(Geometry {
            width: 800,
            height: 600
        })
    );
    fails(
        &format!("name = \"t\"\ntarget.kind = \"xspice\"\ntarget.size = 1\n{DRAG}"),
        3,
        "target.size",
        "unknown field `size`",
    );
}

#[test]
fn geometry_is_checked() {
    fails(
        &format!("{HEAD}geometry = \"1024\"\n{DRAG}"),
        4,
        "target.geometry",
        "expected WIDTHxHEIGHT",
    );
    fails(
        &format!("{HEAD}geometry = \"32x32\"\n{DRAG}"),
        4,
        "target.geometry",
        "between 64 and 8192",
    );
}

#[test]
fn compression_list_is_checked() {
    fails(
        &format!("{HEAD}compression = [\n  \"off\",\n  \"zip\",\n]\n{DRAG}"),
        6,
        "target.compression[1]",
        "unknown variant `zip`, expected one of `off`, `auto_glz`",
    );
    fails(
        &format!("{HEAD}compression = []\n{DRAG}"),
        4,
        "target.compression",
        "is empty",
    );
    fails(
        &format!("{HEAD}compression = \"glz\"\n{DRAG}"),
        4,
        "target.compression",
        "`compression` must be an array, got the string \"glz\"; write e.g. compression = [\"glz\"]",
    );
    fails(
        &format!("{HEAD}compression = [\"glz\", \"glz\"]\n{DRAG}"),
        4,
        "target.compression[1]",
        "listed twice",
    );
    fails(
        &format!("{HEAD}compression = [1]\n{DRAG}"),
        4,
        "target.compression[0]",
        "each item of `compression` must be a string, one of \"off\"",
    );
}

#[test]
fn tls_targets_say_how_to_trust_the_server() {
    use crate::scenario::TlsTrustSpec;
    let ext = |extra: &str| {
        format!(
            "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice+tls://h:5901\"\n{extra}\n{DRAG}"
        )
    };
    fails(&ext(""), 3, "target", "a TLS target needs ca_file");
    let s = parse(&ext("ca_file = \"ca.pem\"")).unwrap();
    assert!(matches!(
        s.target,
        Target::External { tls: Some(TlsTrustSpec::CaFile(ref p)), ref uri, .. }
            if p == Path::new("scenarios/ca.pem") && uri.tls && uri.port == 5901
    ));
    let s = parse(&ext("insecure_skip_verify = true")).unwrap();
    assert!(matches!(
        s.target,
        Target::External {
            tls: Some(TlsTrustSpec::InsecureSkipVerify),
            ..
        }
    ));
    fails(
        &ext("ca_file = \"ca.pem\"\ninsecure_skip_verify = true"),
        6,
        "target.insecure_skip_verify",
        "not both",
    );
    // tls_port turns a plain URI into a TLS one; ca_file without TLS is refused.
    let plain = |extra: &str| {
        format!(
            "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:5900\"\n{extra}\n{DRAG}"
        )
    };
    let s = parse(&plain("tls_port = 5901\ninsecure_skip_verify = true")).unwrap();
    assert!(matches!(s.target, Target::External { ref uri, .. } if uri.tls && uri.port == 5901));
    fails(
        &plain("ca_file = \"ca.pem\""),
        5,
        "target.ca_file",
        "only applies to a TLS target",
    );
    // The lab's Xspice: tls = true.
    let s = parse(&format!("{HEAD}tls = true\n{DRAG}")).unwrap();
    assert!(matches!(s.target, Target::Xspice { tls: true, .. }));
}

#[test]
fn idle_activity_names_what_keeps_the_desktop_busy() {
    let s = parse(&format!(
        "{HEAD}idle_activity = \"blinking_cursor\"\n{DRAG}"
    ))
    .unwrap();
    assert!(matches!(
        s.target,
        Target::Xspice {
            idle_activity: IdleActivity::BlinkingCursor,
            ..
        }
    ));
    let s = parse(&format!("{HEAD}{DRAG}")).unwrap();
    assert!(matches!(
        s.target,
        Target::Xspice {
            idle_activity: IdleActivity::None,
            ..
        }
    ));
    fails(
        &format!("{HEAD}idle_activity = \"screensaver\"\n{DRAG}"),
        4,
        "target.idle_activity",
        "unknown variant `screensaver`, expected one of `none`, `blinking_cursor`, `clock`",
    );
}

#[test]
fn lz4_is_rejected_for_xspice_only() {
    fails(
        &format!("{HEAD}compression = [\"glz\", \"lz4\"]\n{DRAG}"),
        4,
        "target.compression[1]",
        "lz4` is only a client preference for external targets",
    );
    let ext = format!(
        "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:5900\"\ncompression = [\"lz4\"]\n{DRAG}"
    );
    assert_eq!(
        parse(&ext).unwrap().target.compression(),
        &[Compression::Lz4]
    );
}

const EXT: &str = "name = \"t\"\n[target]\nkind = \"external\"\n";

#[test]
fn external_target_reads_all_keys() {
    let s = parse(&format!(
        "{EXT}uri = \"spice://lab:5930\"\npassword_file = \"secret.txt\"\ngeometry = \"800x600\"\ncompression = [\"quic\"]\n{DRAG}"
    ))
    .unwrap();
    assert_eq!(
        s.target,
        Target::External {
            knobs: KnobAxes::default(),
            uri: SpiceUri {
                host: "lab".into(),
                port: 5930,
                tls: false,
            },
            password: PasswordSource::File(PathBuf::from("scenarios/secret.txt")),
            geometry: Some(Geometry {
                width: 800,
                height: 600
            }),
            compression: vec![Compression::Quic],
            tls: None,
        }
    );
    let s = parse(&format!(
        "{EXT}uri = \"spice://lab:1\"\npassword_env = \"SPICE_PW\"\n{DRAG}"
    ))
    .unwrap();
    assert!(
        matches!(s.target, Target::External { password: PasswordSource::Env(ref v), geometry: None, .. } if v == "SPICE_PW")
    );
    assert_eq!(s.target.compression(), &[Compression::AutoGlz]);
    let abs = parse(&format!(
        "{EXT}uri = \"spice://lab:1\"\npassword_file = \"/run/pw\"\n{DRAG}"
    ))
    .unwrap();
    assert!(
        matches!(abs.target, Target::External { password: PasswordSource::File(ref p), .. } if p == Path::new("/run/pw"))
    );
}

#[test]
fn external_uri_is_required_and_checked() {
    fails(
        &format!("{EXT}{DRAG}"),
        3,
        "target.uri",
        "missing; add uri = \"spice://host:port\"",
    );
    fails(
        &format!("{EXT}uri = \"spice://h:0\"\n{DRAG}"),
        4,
        "target.uri",
        "port must be a number",
    );
    fails(
        &format!("{EXT}uri = \"h:5900\"\n{DRAG}"),
        4,
        "target.uri",
        "start with spice://",
    );
}

#[test]
fn password_literals_are_refused() {
    fails(
        &format!("{EXT}uri = \"spice://h:1\"\npassword = \"hunter2\"\n{DRAG}"),
        5,
        "target.password",
        "use password_env = \"VARIABLE\" or password_file",
    );
    fails(
        &format!("{HEAD}password = \"x\"\n{DRAG}"),
        4,
        "target.password",
        "password_env",
    );
}

#[test]
fn password_sources_are_checked() {
    fails(
        &format!("{EXT}uri = \"spice://h:1\"\npassword_env = \"A\"\npassword_file = \"f\"\n{DRAG}"),
        6,
        "target.password_file",
        "only one of password_env and password_file",
    );
    fails(
        &format!("{EXT}uri = \"spice://h:1\"\npassword_env = \"A=B\"\n{DRAG}"),
        5,
        "target.password_env",
        "not an environment variable name",
    );
    fails(
        &format!("{EXT}uri = \"spice://h:1\"\npassword_file = \"\"\n{DRAG}"),
        5,
        "target.password_file",
        "must not be empty",
    );
}

#[test]
fn steps_are_required() {
    fails(
        HEAD,
        1,
        "steps",
        "missing; add at least one [[steps]] table",
    );
    fails(
        &format!("steps = []\n{HEAD}"),
        1,
        "steps",
        "needs at least one step",
    );
    fails(
        &format!("steps = 1\n{HEAD}"),
        1,
        "steps",
        "`steps` must be an array, got the integer 1; write e.g. [[steps]] tables",
    );
    fails(
        &format!("steps = [1]\n{HEAD}"),
        1,
        "steps[0]",
        "each item of `steps` must be a table, got the integer 1",
    );
}

#[test]
fn step_kind_is_required_and_known() {
    fails(
        &drag_with(2, "# no kind"),
        4,
        "steps[0].kind",
        "missing; add kind = one of \"drag\", \"click\"",
    );
    fails(
        &drag_with(2, "kind = \"swipe\""),
        5,
        "steps[0].kind",
        "unknown variant `swipe`, expected one of `drag`, `click`, `key`",
    );
}

#[test]
fn second_step_errors_name_its_index() {
    let text = format!("{HEAD}{DRAG}[[steps]]\nkind = \"pause\"\nduration_s = 0\n");
    fails(
        &text,
        13,
        "steps[1].duration_s",
        "greater than 0 and at most 600 seconds, got 0",
    );
}

#[test]
fn drag_points_are_checked() {
    fails(
        &drag_with(3, "# no from"),
        4,
        "steps[0].from",
        "missing; add from = [x, y]",
    );
    fails(
        &drag_with(3, "from = [1, 2, 3]"),
        6,
        "steps[0].from",
        "expected a point [x, y], got an array of 3",
    );
    fails(
        &drag_with(3, "from = [-1, 2]"),
        6,
        "steps[0].from[0]",
        "must be between 0 and 8191, got -1",
    );
    fails(
        &drag_with(3, "from = [1, 1.5]"),
        6,
        "steps[0].from[1]",
        "each item of `from` must be an integer (a whole number), got the float 1.5",
    );
    fails(
        &drag_with(3, "from = \"1,2\""),
        6,
        "steps[0].from",
        "`from` must be an array, got the string \"1,2\"; write e.g. from = [100, 200]",
    );
    fails(
        &drag_with(4, "to = [1024, 10]"),
        7,
        "steps[0].to",
        "[1024, 10] lies outside the target geometry 1024x768; x must be below 1024 and y below 768",
    );
    fails(
        &drag_with(4, "to = [10, 768]"),
        7,
        "steps[0].to",
        "outside the target geometry",
    );
}

#[test]
fn points_without_geometry_only_need_to_fit_the_largest_screen() {
    let ext = format!("{EXT}uri = \"spice://h:1\"\n");
    let ok = ext.clone() + &DRAG.replace("to = [20, 20]", "to = [8191, 5000]");
    assert!(parse(&ok).is_ok());
    let bad = ext + &DRAG.replace("to = [20, 20]", "to = [8192, 5000]");
    fails(&bad, 8, "steps[0].to[0]", "between 0 and 8191, got 8192");
}

#[test]
fn drag_needs_exactly_one_of_to_and_path() {
    fails(
        &drag_with(4, "# neither"),
        4,
        "steps[0]",
        "a drag needs either to = [x, y] or path",
    );
    fails(
        &drag_with(5, "path = { kind = \"erratic\" }"),
        8,
        "steps[0].path",
        "give either `to` or `path`, not both",
    );
}

#[test]
fn erratic_path_is_checked() {
    let s = parse(&drag_with(4, "path = { kind = \"erratic\" }")).unwrap();
    assert!(matches!(
        &s.steps[0],
        Step::Drag(Drag {
            path: DragPath::Erratic { step_px: 10 },
            ..
        })
    ));
    fails(
        &drag_with(4, "path = { step_px = 3 }"),
        7,
        "steps[0].path",
        "missing field `kind`",
    );
    fails(
        &drag_with(4, "path = { kind = \"circle\" }"),
        7,
        "steps[0].path.kind",
        "unknown variant `circle`, expected `erratic`",
    );
    fails(
        &drag_with(4, "path = { kind = \"erratic\", step_px = 0 }"),
        7,
        "steps[0].path.step_px",
        "between 1 and 200, got 0",
    );
    fails(
        &drag_with(4, "path = { kind = \"erratic\", step_px = 201 }"),
        7,
        "steps[0].path.step_px",
        "got 201",
    );
    fails(
        &drag_with(4, "path = \"erratic\""),
        7,
        "steps[0].path",
        "`path` must be a table, got the string \"erratic\"; write e.g. path = { kind = \"erratic\" }",
    );
}

#[test]
fn drag_timing_is_checked() {
    fails(
        &drag_with(5, "# none"),
        4,
        "steps[0].duration_s",
        "missing; add duration_s",
    );
    fails(
        &drag_with(5, "duration_s = 0"),
        8,
        "steps[0].duration_s",
        "greater than 0 and at most 600 seconds, got 0",
    );
    fails(
        &drag_with(5, "duration_s = 600.5"),
        8,
        "steps[0].duration_s",
        "got 600.5",
    );
    fails(
        &drag_with(6, "# none"),
        4,
        "steps[0].rate_hz",
        "missing; add rate_hz",
    );
    fails(
        &drag_with(6, "rate_hz = 0"),
        9,
        "steps[0].rate_hz",
        "must be between 1 and 1000, got 0",
    );
    fails(
        &drag_with(6, "rate_hz = 1001"),
        9,
        "steps[0].rate_hz",
        "got 1001",
    );
    fails(
        &drag_with(6, "rate_hz = 100.0"),
        9,
        "steps[0].rate_hz",
        "got the float 100.0; write e.g. rate_hz = 100",
    );
    let s = parse(&drag_with(5, "duration_s = 600")).unwrap();
    assert!(matches!(&s.steps[0], Step::Drag(d) if d.duration == Duration::from_secs(600)));
}

#[test]
fn drag_button_is_checked_and_defaults_to_left() {
    fails(
        &drag_with(7, "button = \"side\""),
        10,
        "steps[0].button",
        "unknown variant `side`, expected one of `left`",
    );
    let s = parse(&drag_with(7, "")).unwrap();
    assert!(matches!(&s.steps[0], Step::Drag(d) if d.button == Button::Left));
    let s = parse(&drag_with(7, "button = \"middle\"")).unwrap();
    assert!(matches!(&s.steps[0], Step::Drag(d) if d.button == Button::Middle));
}

#[test]
fn pause_needs_a_positive_duration() {
    fails(
        &format!("{HEAD}[[steps]]\nkind = \"pause\"\n"),
        4,
        "steps[0].duration_s",
        "missing",
    );
    fails(
        &format!("{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 601\n"),
        6,
        "steps[0].duration_s",
        "got 601",
    );
    let s = parse(&format!(
        "{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 2\n"
    ))
    .unwrap();
    assert_eq!(s.steps, [Step::Pause(Duration::from_secs(2))]);
}

#[test]
fn dates_are_type_errors_not_crashes() {
    fails(
        &format!("name = \"t\"\nseed = 1979-05-27\n{}{DRAG}", &HEAD[11..]),
        2,
        "seed",
        "`seed` must be an integer (a whole number), got the date 1979-05-27",
    );
}

#[test]
fn arbitrary_garbage_never_panics() {
    let base = format!("{HEAD}{DRAG}");
    // Every prefix of a valid file, and every line removed in turn.
    for cut in 0..=base.len() {
        if let Some(prefix) = base.get(..cut) {
            let _ = parse(prefix);
        }
    }
    let lines: Vec<&str> = base.lines().collect();
    for skip in 0..lines.len() {
        let text: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let _ = parse(&text.join("\n"));
    }
    for odd in [
        "\u{0}",
        "[[steps]]\n[steps]\n",
        "a.b.c.d = 1\n[a]\n",
        "[target]\n[target.kind]\n",
        "steps = [{kind=\"drag\"}]",
    ] {
        let _ = parse(odd);
    }
}

#[test]
fn a_dotted_key_inside_a_step_reads_like_an_inline_table() {
    let head = "name = \"x\"\n[target]\nkind = \"xspice\"\n[[steps]]\nkind = \"drag\"\n";
    let dotted = "from = [1, 1]\npath.kind = \"erratic\"\npath.step_px = 7\nduration_s = 1.0\n\
                  rate_hz = 100";
    let s = parse(&format!("{head}{dotted}")).unwrap();
    assert!(matches!(
        &s.steps[0],
        Step::Drag(Drag {
            path: DragPath::Erratic { step_px: 7 },
            ..
        })
    ));
    // Its errors still point at the key's line.
    let bad = "from = [1, 1]\npath.kind = \"erratic\"\npath.step_px = 0\nduration_s = 1.0\n\
               rate_hz = 100";
    fails(
        &format!("{head}{bad}"),
        8,
        "steps[0].path.step_px",
        "between 1 and 200",
    );
    let both = "from = [1, 1]\nto = [2, 2]\npath.kind = \"erratic\"\nduration_s = 1.0\nrate_hz = 1";
    fails(
        &format!("{head}{both}"),
        8,
        "steps[0].path",
        "either `to` or `path`",
    );
}

#[test]
fn type_errors_speak_toml_with_an_example() {
    let step = |body: &str| format!("name = \"x\"\n[target]\nkind = \"xspice\"\n[[steps]]\n{body}");
    let drag = "kind = \"drag\"\nfrom = [1, 1]\nto = [2, 2]\n";
    fails(
        &step(&format!("{drag}duration_s = 1.0\nrate_hz = 1.5")),
        9,
        "steps[0].rate_hz",
        "`rate_hz` must be an integer (a whole number), got the float 1.5; write e.g. rate_hz = 2",
    );
    fails(
        &step(&format!("{drag}duration_s = \"1\"\nrate_hz = 100")),
        8,
        "steps[0].duration_s",
        "`duration_s` must be a number, got the string \"1\"; write e.g. duration_s = 1.0",
    );
    fails(
        &step(&format!("{drag}duration_s = 1979-05-27\nrate_hz = 100")),
        8,
        "steps[0].duration_s",
        "got the date 1979-05-27",
    );
    fails(
        &step(&format!(
            "{drag}duration_s = 1.0\nrate_hz = 100\nbutton = 3"
        )),
        10,
        "steps[0].button",
        "`button` must be a string, one of \"left\", \"middle\", \"right\", got the integer 3; \
         write e.g. button = \"left\"",
    );
    fails(
        &step("kind = \"pause\"\nduration_s = true"),
        6,
        "steps[0].duration_s",
        "got the boolean true",
    );
    fails(
        &step("kind = \"click\"\nat = [1, 1.5]"),
        6,
        "steps[0].at[1]",
        "each item of `at` must be an integer (a whole number), got the float 1.5; write e.g. 2",
    );
    let access = "name = \"x\"\n[target]\nkind = \"xspice\"\n[access]\ntransports = \"direct\"\n";
    fails(
        access,
        5,
        "access.transports",
        "`transports` must be an array, got the string \"direct\"; write e.g. transports = [\"direct\"]",
    );
    for e in [
        parse(&step(&format!("{drag}duration_s = 1.0\nrate_hz = 1.5"))),
        parse(access),
        parse("name = \"x\"\ntarget = 1"),
    ] {
        let msg = e.unwrap_err().to_string();
        for rust in ["i64", "f64", "sequence", "map", "wanted"] {
            assert!(!msg.contains(rust), "{msg}");
        }
    }
}

#[test]
fn a_qemu_target_takes_its_machine_keys_and_refuses_the_rest() {
    let head = "name = \"t\"\n[target]\nkind = \"qemu\"\n";
    let s = parse(&format!(
        "{head}gpu = \"virtio\"\nmemory_mib = 1024\n{DRAG}"
    ))
    .unwrap();
    let Target::Qemu { machine, .. } = &s.target else {
        panic!("{:?}", s.target);
    };
    // The X driver follows the device unless given.
    assert_eq!(
        (
            machine.gpu,
            machine.x_driver,
            machine.memory_mib,
            machine.cpus
        ),
        (
            crate::scenario::Gpu::Virtio,
            crate::scenario::XDriver::Modesetting,
            1024,
            1
        )
    );
    assert_eq!(
        s.target.geometry().map(|g| (g.width, g.height)),
        Some((1024, 768))
    );
    fails(
        &format!("{head}gpu = \"virtio\"\nx_driver = \"qxl\"\n{DRAG}"),
        5,
        "target.x_driver",
        "needs the qxl device",
    );
    fails(
        &format!("{head}cpus = 0\n{DRAG}"),
        4,
        "target.cpus",
        "between 1 and 64",
    );
    fails(
        &format!("{head}heads = 2\n{DRAG}"),
        4,
        "target.heads",
        "does not apply to kind = \"qemu\"",
    );
    fails(
        &format!("{head}[access]\ntransports = [\"lan\"]\n{DRAG}"),
        5,
        "access.transports",
        "QEMU guests are not placed yet",
    );
    // Points are checked against the guest's screen.
    let far = DRAG.replace("to = [20, 20]", "to = [2000, 20]");
    fails(&format!("{head}{far}"), 7, "steps[0].to", "1024x768");
}

#[test]
fn ranges_checked_while_reading_name_the_values_line_and_key() {
    let ext = "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:5900\"\n";
    fails(
        &format!("{ext}tls_port = 0\n{DRAG}"),
        5,
        "target.tls_port",
        "must be between 1 and 65535, got 0",
    );
    let qemu = "name = \"t\"\n[target]\nkind = \"qemu\"\n";
    fails(
        &format!("{qemu}memory_mib = 100\n{DRAG}"),
        4,
        "target.memory_mib",
        "must be between 256 and 65536, got 100",
    );
    fails(
        &drag_with(7, "hold_s = 11"),
        10,
        "steps[0].hold_s",
        "must be between 0 and 10 seconds, got 11",
    );
    let wait = "[[steps]]\nkind = \"wait_for\"\nquiet_ms = 0\ntimeout_s = 0\n";
    fails(
        &format!("{HEAD}{wait}"),
        6,
        "steps[0].quiet_ms",
        "must be between 1 and 60000, got 0",
    );
    let wait = "[[steps]]\nkind = \"wait_for\"\nquiet_ms = 5\ntimeout_s = 0\n";
    fails(
        &format!("{HEAD}{wait}"),
        7,
        "steps[0].timeout_s",
        "greater than 0 and at most 600 seconds, got 0",
    );
    let nested = "[[steps]]\nkind = \"repeat\"\ncount = 2\n[[steps.steps]]\nkind = \"pause\"\n\
                  duration_s = 700\n";
    fails(
        &format!("{HEAD}{nested}"),
        9,
        "steps[0].steps[0].duration_s",
        "at most 600 seconds, got 700",
    );
}
