//! The library's modules form layers, and no `crate::` path runs up them (or across one):
//! each layer reads and tests without those above it, and there is no cycle. The same order is
//! written in `harness/lib.rs`'s doc; change both together.
//!
//! The check reads the source, not the compiler's view: every `crate::X` path (and each name
//! of a `crate::{X, Y}` group) outside comments, in every `harness/**/*.rs` that belongs to
//! the library. Comments are left out because an intra-doc link to a higher layer documents,
//! it does not depend. Paths through `super::` stay inside one top-level module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lowest first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    // Leaves: no `crate::` path at all.
    &[
        "bounded_read",
        "cancel",
        "clock",
        "console",
        "journal",
        "keyboard",
        "named_enum",
        "rng",
        "secret",
        "timing",
    ],
    // The SPICE wire format; the link emulator.
    &["wire", "link"],
    // Formats: packets, scenarios (whose compressions are the wire's).
    &["capture", "scenario"],
    // The results model: it records a scenario's configuration and the wire's channels and
    // directions in their own types, so it sits above both. The plan: a scenario's
    // configuration matrix, and its steps as timed input events.
    &["results", "plan"],
    // Sans-IO rules over the wire format.
    &["probe", "display_ledger"],
    // The SPICE and X clients.
    &["client", "xclient"],
    // The capture analyser; the parts the lab starts.
    &["analyze", "lab"],
    // Findings about a console; regression checks of recordings.
    &["audit", "check"],
    // Results and findings to files.
    &["export"],
    // The whole measurement.
    &["run"],
];

/// Arrows allowed against the order, each with why: (from, to, reason). Empty: every cycle the
/// issue named was broken by moving the type to its layer. Add one only with the reason and
/// the plan to remove it.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The library's top-level modules, from `harness/lib.rs`.
fn library_modules(root: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules `code` names through `crate::` (one line, comments removed).
fn crate_targets(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `spicebench_crate::` and the like are other names.
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| is_ident(c) && c != '$') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each item at depth 0.
            let (mut depth, mut item_start) = (0, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => {
                        let name: String =
                            group[i..].chars().take_while(|&c| is_ident(c)).collect();
                        found.push(name);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = after.chars().take_while(|&c| is_ident(c)).collect();
            found.push(name);
        }
    }
    found
}

/// Every arrow between top-level modules: (from, to) → the files that draw it.
fn arrows() -> BTreeMap<(String, String), Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness");
    let modules = library_modules(&root);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut arrows: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        // main.rs, cli.rs, commands/...: the binary, which uses the library as `spicebench::`.
        if !modules.contains(&top) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for to in crate_targets(line) {
                // Macros exported at the crate root (`crate::errln!`) are the console's.
                let to = if modules.contains(&to) {
                    to
                } else {
                    "console".to_string()
                };
                if to != top {
                    let files = arrows.entry((top.clone(), to)).or_default();
                    if !files.contains(&rel) {
                        files.push(rel.clone());
                    }
                }
            }
        }
    }
    arrows
}

#[test]
fn every_library_module_has_a_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness");
    let missing: Vec<String> = library_modules(&root)
        .into_iter()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "give {missing:?} a layer in tests/layers.rs and harness/lib.rs"
    );
}

#[test]
fn no_module_uses_its_own_layer_or_one_above() {
    let mut wrong = Vec::new();
    for ((from, to), files) in arrows() {
        let (Some(f), Some(t)) = (layer_of(&from), layer_of(&to)) else {
            continue; // reported by every_library_module_has_a_layer
        };
        let excepted = EXCEPTIONS.iter().any(|(a, b, _)| *a == from && *b == to);
        if t >= f && !excepted {
            wrong.push(format!(
                "{from} (layer {f}) → {to} (layer {t}) in {}",
                files.join(", ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows against the layer order (move the type down to where both can use it):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_exception_is_still_needed() {
    let arrows = arrows();
    for (from, to, _) in EXCEPTIONS {
        assert!(
            arrows.contains_key(&(from.to_string(), to.to_string())),
            "{from} → {to} is gone: remove its exception"
        );
    }
}

#[test]
fn paths_are_read_from_uses_groups_and_expressions() {
    assert_eq!(crate_targets("use crate::wire::Packet;"), ["wire"]);
    assert_eq!(
        crate_targets("use crate::{results::{A, B}, wire, probe::x};"),
        ["results", "wire", "probe"]
    );
    assert_eq!(crate_targets("if crate::cancel::requested() {"), ["cancel"]);
    assert_eq!(crate_targets("$crate::console::emit()"), ["console"]);
    assert!(crate_targets("use spicebench_crate::x;").is_empty());
}
