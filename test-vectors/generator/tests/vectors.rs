//! The committed vectors are exactly what the generator writes, every vector gives its
//! declared outcome in the Rust crate, and every error code has a negative vector.

use std::collections::BTreeSet;
use std::path::Path;

use mlegit_vectors::read::Vector;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_files_match_the_generator_byte_for_byte() {
    for (name, text) in mlegit_vectors::generate() {
        let committed = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| {
            panic!("{name}: {e}; run cargo run -p mlegit-vectors --bin generate-vectors")
        });
        assert!(
            committed == text,
            "{name} differs from the generator's output; run cargo run -p mlegit-vectors --bin generate-vectors"
        );
    }
}

/// Reads a committed file through the typed schema: an unknown field anywhere fails.
fn load(name: &str) -> Vec<Vector> {
    let text = std::fs::read_to_string(dir().join(name)).expect("vector file");
    let file = mlegit_vectors::read::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(file.version, 5, "{name}");
    file.vectors
}

#[test]
fn every_vector_gives_its_declared_outcome() {
    let mut failures = Vec::new();
    let mut counts = (0, 0);
    for file in [
        "presentations.json",
        "status-lists.json",
        "requests.json",
        "responses.json",
    ] {
        for v in load(file) {
            match v.expected.result.as_str() {
                "valid" => counts.0 += 1,
                "invalid" => counts.1 += 1,
                other => panic!("{}: result {other:?}", v.name),
            }
            if let Err(why) = mlegit_vectors::run(&v) {
                failures.push(format!("{}: {why}", v.name));
            }
        }
    }
    eprintln!("vectors: {} positive, {} negative", counts.0, counts.1);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(counts.0 >= 20 && counts.1 >= 60, "{counts:?}");
}

#[test]
fn every_activation_vector_gives_its_declared_outcome() {
    let text = std::fs::read_to_string(dir().join("activations.json")).expect("activations.json");
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        version: u64,
        generator: String,
        spec: String,
        vectors: Vec<mlegit_vectors::activation::ActivationVector>,
    }
    let file: File = serde_json::from_str(&text).expect("in the schema");
    assert_eq!(file.version, 5);
    assert!(file.generator.starts_with("cargo run"));
    assert_eq!(file.spec, "spec/mlegit.md, version 5");
    let mut names = BTreeSet::new();
    let failures: Vec<String> = file
        .vectors
        .iter()
        .filter_map(|v| {
            assert!(names.insert(v.name.clone()), "{} twice", v.name);
            mlegit_vectors::activation::run(v)
                .err()
                .map(|e| format!("{}: {e}", v.name))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // Every step of B1-B5 fails in some vector, and some batches are valid.
    let steps: BTreeSet<&str> = file
        .vectors
        .iter()
        .filter_map(|v| v.expected.step.as_deref())
        .collect();
    assert_eq!(steps, BTreeSet::from(["B1", "B2", "B3", "B4", "B5"]));
    assert!(
        file.vectors
            .iter()
            .filter(|v| v.expected.result == "valid")
            .count()
            >= 3
    );
}

#[test]
fn every_error_code_has_a_negative_vector() {
    let mut seen = BTreeSet::new();
    for file in [
        "presentations.json",
        "status-lists.json",
        "requests.json",
        "responses.json",
    ] {
        for v in load(file) {
            if let Some(code) = v.expected.error.as_deref() {
                assert!(
                    mlegit::Error::from_code(code).is_some(),
                    "unknown code {code}"
                );
                seen.insert(code.to_string());
            }
        }
    }
    let missing: Vec<&str> = mlegit::Error::ALL
        .iter()
        .map(|e| e.code())
        .filter(|c| !seen.contains(*c))
        .collect();
    eprintln!(
        "error codes covered: {} of {}",
        seen.len(),
        mlegit::Error::ALL.len()
    );
    assert!(
        missing.is_empty(),
        "error codes without a negative vector: {missing:?}"
    );
}

#[test]
fn an_unknown_field_anywhere_fails_the_read() {
    let text = std::fs::read_to_string(dir().join("status-lists.json")).unwrap();
    assert!(mlegit_vectors::read::parse(&text).is_ok());
    for (from, to) in [
        ("\"version\": 5,", "\"version\": 5, \"extra\": 0,"),
        (
            "\"kind\": \"status_list\",",
            "\"kind\": \"status_list\", \"note\": \"x\",",
        ),
        ("\"now\":", "\"nwo\": 0, \"now\":"),
        ("\"result\":", "\"reslt\": 0, \"result\":"),
        ("\"not_before\":", "\"not_befor\": 0, \"not_before\":"),
    ] {
        assert!(text.contains(from), "{from}");
        let edited = text.replacen(from, to, 1);
        assert!(
            mlegit_vectors::read::parse(&edited).is_err(),
            "{to} was accepted"
        );
    }
}

/// Spec §5.7 item 3 and §6.2: a wallet refuses, at receipt, a credential whose disclosures
/// hold one claim twice, whether two issued disclosures (an issuer fault, which no verifier
/// can see) or the same disclosure given twice.
#[test]
fn a_wallet_refuses_two_disclosures_of_one_claim() {
    use mlegit::{Disclosure, Error, Wallet};
    use mlegit_vectors::cbor::{V, enc, text};
    use mlegit_vectors::scenario::{Parts, device};

    let wallet = |parts: Parts, repeat_first: bool| {
        let built = parts.build();
        let mut disclosures: Vec<Disclosure> = built
            .disclosures
            .iter()
            .map(|(_, bytes)| Disclosure::from_bytes(bytes.clone()).expect("a disclosure"))
            .collect();
        if repeat_first {
            disclosures.push(disclosures[0].clone());
        }
        Wallet::new(built.credential, disclosures, device().signer()).map(|_| ())
    };
    assert_eq!(wallet(Parts::base(), false), Ok(()));
    assert_eq!(wallet(Parts::base(), true), Err(Error::DuplicateClaim));
    let mut p = Parts::base();
    let second = enc(&V::A(vec![
        V::B(vec![0x5a; 16]),
        text("family_name"),
        text("Nowak"),
    ]));
    p.extra_issued = vec![("family_name".into(), second)];
    assert_eq!(wallet(p, false), Err(Error::DuplicateClaim));
}
