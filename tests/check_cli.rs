//! `spicebench check` on the committed recordings, and on damaged copies of one: a perturbed
//! expectation, a truncated capture, missing metadata, and the `--update` round trip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spicebench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(args)
        .output()
        .unwrap()
}

fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings")
}

/// A library with one recording copied from the committed ones.
fn library_with(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join(name);
    std::fs::create_dir_all(&rec).unwrap();
    for f in ["capture.pcapng", "recording.toml", "expected.json"] {
        std::fs::copy(recordings().join(name).join(f), rec.join(f)).unwrap();
    }
    (dir, rec)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn committed_recordings_pass() {
    let out = spicebench(&["check", recordings().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("rv-ssh-tunnel-auto_glz")
            && t.contains("sb-drag-glz")
            && t.contains("sb-drag-probe-auto_glz")
            && t.contains("sb-lodraw-auto_glz")
            && t.contains("sb-video-stream-all"),
        "{t}"
    );
    assert!(t.contains("check: 8 passed, 0 failed"), "{t}");
}

#[test]
fn a_perturbed_expectation_fails_with_a_readable_table_and_update_round_trips() {
    let (lib, rec) = library_with("sb-drag-glz");
    let path = rec.join("expected.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let glz = v["images"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["type"] == "GLZ_RGB")
        .unwrap();
    let count = glz["count"].as_u64().unwrap();
    glz["count"] = (count + 1).into();
    let rate = &mut v["rates"][0]["mean_mib_s"];
    *rate = (rate.as_f64().unwrap() * 1.5).into();
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();

    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("sb-drag-glz") && t.contains("MOVED  2 metric(s)"),
        "{t}"
    );
    let row = t
        .lines()
        .find(|l| l.contains("image GLZ_RGB.count"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(
        row.contains(&format!("expected {:>16}", count + 1))
            && row.contains(&format!("got {count:>16}"))
            && row.contains("delta           -1"),
        "{row}"
    );
    assert!(t.contains("check: 0 passed, 1 failed"), "{t}");

    // --update rewrites only expected.json, and check passes again.
    let before: Vec<Vec<u8>> = ["capture.pcapng", "recording.toml"]
        .iter()
        .map(|f| std::fs::read(rec.join(f)).unwrap())
        .collect();
    let up = spicebench(&["check", lib.path().to_str().unwrap(), "--update"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let after: Vec<Vec<u8>> = ["capture.pcapng", "recording.toml"]
        .iter()
        .map(|f| std::fs::read(rec.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    let files: Vec<_> = std::fs::read_dir(&rec).unwrap().flatten().collect();
    assert_eq!(files.len(), 3, "no stray files: {files:?}");
    let again = spicebench(&["check", lib.path().to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    // Back to what the committed expectation says, apart from the capture file path.
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(recordings().join("sb-drag-glz/expected.json")).unwrap(),
    )
    .unwrap();
    let mut updated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    updated["capture"]["file"] = committed["capture"]["file"].clone();
    assert_eq!(updated, committed);
}

#[test]
fn a_truncated_capture_is_an_error_naming_the_file() {
    let (lib, rec) = library_with("rv-direct-auto_glz");
    let capture = rec.join("capture.pcapng");
    let bytes = std::fs::read(&capture).unwrap();
    std::fs::write(&capture, &bytes[..bytes.len() / 2]).unwrap();
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("ERROR") && t.contains("capture.pcapng is truncated"),
        "{t}"
    );
    assert!(t.contains("record it again"), "{t}");
}

#[test]
fn missing_metadata_is_an_error_naming_the_file() {
    let (lib, rec) = library_with("rv-direct-auto_glz");
    std::fs::remove_file(rec.join("recording.toml")).unwrap();
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("recording.toml: missing"), "{t}");
}

#[test]
fn a_warning_that_appears_or_goes_away_is_a_regression() {
    // The expectation lacks a warning the analysis gives and holds one of a code it no
    // longer gives: both directions fail, named by code and count.
    let (lib, rec) = library_with("sb-drag-glz");
    let path = rec.join("expected.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let warnings = v["warnings"].as_array_mut().unwrap();
    assert!(!warnings.is_empty(), "the recording carries a warning");
    let removed = warnings.remove(0);
    warnings.push(serde_json::json!({
        "code": "kernel_dropped",
        "severity": "untrusted",
        "text": "an old warning the analyser no longer gives"
    }));
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("warning kernel_dropped.count"), "{t}");
    let code = removed["code"].as_str().unwrap();
    assert!(t.contains(&format!("warning {code}.count")), "{t}");
    // No text is compared: neither warning's text is part of the report.
    assert!(!t.contains("an old warning"), "{t}");
}

#[test]
fn a_reworded_warning_of_the_same_code_is_no_regression() {
    // Texts may change between versions; the code is the contract.
    let (lib, rec) = library_with("sb-drag-glz");
    let path = rec.join("expected.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for w in v["warnings"].as_array_mut().unwrap() {
        w["text"] = serde_json::json!("said another way");
    }
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_v1_expectation_still_reads_and_its_warnings_count_as_legacy() {
    // An expected.json as written before coded warnings: it reads (no schema error), and
    // its bare-text warnings, coded `legacy`, differ from the analysis's coded ones.
    let (lib, rec) = library_with("sb-drag-glz");
    let path = rec.join("expected.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["schema"] = serde_json::json!("spicebench.run/v1");
    for w in v["warnings"].as_array_mut().unwrap() {
        *w = w["text"].clone();
    }
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("warning legacy.count"), "{t}");
    assert!(!t.contains("schema"), "{t}");
    // --update rewrites it as v2, after which it passes.
    let up = spicebench(&["check", "--update", lib.path().to_str().unwrap()]);
    assert!(up.status.success(), "{}", text(&up));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["schema"], "spicebench.run/v2");
    assert!(v["warnings"][0]["code"].is_string());
    let out = spicebench(&["check", lib.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_tolerance_file_loosens_what_it_names_and_a_bad_one_says_where() {
    // A 3 % change of a rate fails at the default 1 %, passes with the file's 5 %; image
    // counts stay exact whatever the file says about rates.
    let (lib, rec) = library_with("sb-drag-glz");
    let path = rec.join("expected.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rate = &mut v["rates"][0]["mean_mib_s"];
    *rate = serde_json::json!(rate.as_f64().unwrap() * 1.03);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let lib_path = lib.path().to_str().unwrap();
    let strict = spicebench(&["check", lib_path]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
    let tol = lib.path().join("tolerances.toml");
    std::fs::write(&tol, "[relative]\n\"rate \" = 0.05\n").unwrap();
    let loose = spicebench(&["check", lib_path, "--tolerance-file", tol.to_str().unwrap()]);
    assert_eq!(loose.status.code(), Some(0), "{}", text(&loose));
    // A tolerance that is not a number names the file and the key.
    std::fs::write(&tol, "[relative]\n\"rate \" = \"lots\"\n").unwrap();
    let bad = spicebench(&["check", lib_path, "--tolerance-file", tol.to_str().unwrap()]);
    let t = text(&bad);
    assert_eq!(bad.status.code(), Some(2), "{t}");
    assert!(t.contains("tolerances.toml") && t.contains("rate"), "{t}");
}
