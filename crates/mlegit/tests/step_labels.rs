//! Every step of the spec (spec/mlegit.md) is labelled in the code that implements it.
//!
//! A step label comment is a plain `//` line that starts with a list of labels and the
//! section, `// P8 (spec §12.2): ...` or `// F3, F4 (spec §4): ...`, directly above the
//! code. A reviewer searches for "P8" and lands on it. This test keeps the labels and the
//! spec's step tables in step: each label of the spec appears in such a comment under
//! `src/`, and each label such a comment names is one of the spec's (a typo such as "P15"
//! or "P10e" fails).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Letters, digits and an optional lowercase letter: `D1`, `P10a`, `L12`. At most two
/// letters and two digits, so that names such as `ES256` or `P256` are not labels.
fn is_label(token: &str, families: &BTreeSet<String>) -> bool {
    let letters: String = token.chars().take_while(char::is_ascii_uppercase).collect();
    let rest = &token[letters.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[digits.len()..];
    (1..=2).contains(&letters.len())
        && (1..=2).contains(&digits.len())
        && (tail.is_empty() || (tail.len() == 1 && tail.chars().all(|c| c.is_ascii_lowercase())))
        && (families.is_empty() || families.contains(&letters))
}

/// The labels of the spec's step tables: the first cell of every table row that is a label.
fn spec_labels() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/mlegit.md");
    let spec = fs::read_to_string(path).expect("spec/mlegit.md");
    let mut labels = BTreeSet::new();
    for line in spec.lines() {
        let Some(row) = line.strip_prefix("| ") else {
            continue;
        };
        let Some((cell, _)) = row.split_once('|') else {
            continue;
        };
        let cell = cell.trim();
        if is_label(cell, &BTreeSet::new()) {
            labels.insert(cell.to_owned());
        }
    }
    labels
}

fn families(labels: &BTreeSet<String>) -> BTreeSet<String> {
    labels
        .iter()
        .map(|l| l.chars().take_while(char::is_ascii_uppercase).collect())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The label list at the start of a plain `//` comment line, if the line starts with a
/// label: `(labels, well_formed)`, where well formed means the list is followed by
/// ` (spec §`.
fn leading_labels(line: &str, families: &BTreeSet<String>) -> Option<(Vec<String>, bool)> {
    let comment = line.trim_start().strip_prefix("//")?;
    if comment.starts_with('/') || comment.starts_with('!') {
        return None;
    }
    let mut rest = comment.trim_start();
    let mut labels = Vec::new();
    loop {
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let token = &rest[..end];
        if !is_label(token, families) {
            break;
        }
        labels.push(token.to_owned());
        rest = &rest[end..];
        match rest.strip_prefix(", ") {
            Some(next) => rest = next,
            None => break,
        }
    }
    if labels.is_empty() {
        return None;
    }
    Some((labels, rest.starts_with(" (spec §")))
}

/// Every label comment under `src/`: label → where it occurs; and the malformed ones.
fn source_labels(families: &BTreeSet<String>) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut malformed = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read source");
        let name = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&file)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            let Some((labels, well_formed)) = leading_labels(line, families) else {
                continue;
            };
            let place = format!("{name}:{}", n + 1);
            if !well_formed {
                malformed.push(format!("{place}: {}", line.trim()));
                continue;
            }
            for label in labels {
                found.entry(label).or_default().push(place.clone());
            }
        }
    }
    (found, malformed)
}

#[test]
fn the_spec_has_step_tables() {
    let labels = spec_labels();
    for expected in [
        "D1", "D17", "C7", "H5", "V3", "F5", "K6", "X9", "R5", "P10a", "M2",
    ] {
        assert!(
            labels.contains(expected),
            "{expected} not parsed from the spec"
        );
    }
    for expected in ["L12", "T7", "P14", "P3c", "P13b"] {
        assert!(
            labels.contains(expected),
            "{expected} not parsed from the spec"
        );
    }
    // Lettered steps have no unlettered parent.
    assert!(!labels.contains("P10"), "P10 is P10a..P10d");
}

#[test]
fn every_step_of_the_spec_is_labelled_in_the_code() {
    let labels = spec_labels();
    let (found, _) = source_labels(&families(&labels));
    let missing: Vec<&String> = labels.iter().filter(|l| !found.contains_key(*l)).collect();
    assert!(
        missing.is_empty(),
        "steps of spec/mlegit.md with no `// LABEL (spec §N): ...` comment under \
         crates/mlegit/src: {missing:?}"
    );
}

#[test]
fn every_label_in_the_code_is_a_step_of_the_spec() {
    let labels = spec_labels();
    let (found, malformed) = source_labels(&families(&labels));
    let unknown: Vec<String> = found
        .iter()
        .filter(|(l, _)| !labels.contains(*l))
        .map(|(l, places)| format!("{l} at {}", places.join(", ")))
        .collect();
    assert!(
        unknown.is_empty(),
        "labels that spec/mlegit.md has no step for: {unknown:?}"
    );
    assert!(
        malformed.is_empty(),
        "comments that start with a step label but not `LABEL, LABEL (spec §N): ...`: \
         {malformed:?}"
    );
}

#[test]
fn labels_are_whole_words() {
    let families: BTreeSet<String> = ["P".to_owned()].into();
    let line = "    // P10a, P1 (spec §12.2): x";
    assert_eq!(
        leading_labels(line, &families),
        Some((vec!["P10a".to_owned(), "P1".to_owned()], true))
    );
    // "P10" is one token: it does not contain "P1".
    let (labels, _) = leading_labels("// P10 (spec §12.2): x", &families).expect("label");
    assert_eq!(labels, ["P10"]);
    assert_eq!(leading_labels("/// P1 (spec §12.2): doc", &families), None);
    assert_eq!(leading_labels("// P256 points", &families), None);
    assert_eq!(leading_labels("// ES256 only", &families), None);
    assert_eq!(
        leading_labels("// P1 missing its section", &families),
        Some((vec!["P1".to_owned()], false))
    );
}
