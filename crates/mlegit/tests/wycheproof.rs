//! Wycheproof ECDSA P-256 / SHA-256 (IEEE P1363 signatures) against `crypto::verify_es256`,
//! the signature check every mlegit verifier goes through.
//!
//! Data: `test-vectors/third-party/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json`
//! (C2SP/wycheproof, Apache-2.0; provenance in `test-vectors/third-party/README.md`).
//!
//! mlegit must agree with every verdict, with one deliberate exception: Wycheproof marks
//! high-S signatures `valid` (plain ECDSA accepts both `s` and `n - s`), while the spec
//! refuses them as malleable. The test recognises those cases on its own (comparing `s` with
//! n/2 computed here, not with the crate's constant), requires that exactly they are refused,
//! with [`SignatureFailure::HighS`], and that their low-S twins `(r, n - s)` are accepted.
//!
//! This file has no `acceptable` cases; the test requires that, so that a data update with
//! some forces a decision on what mlegit should do with them.
//!
//! Every field of the file is read through `deny_unknown_fields` structs and every flag must
//! be described in `notes`, so that a format change fails loudly instead of skipping cases.
//!
//! The whole file runs against every signature backend built (`P256Backend`, and
//! `AwsLcBackend` with the `aws-lc` feature), each through both entry points: the message in
//! one piece ([`crypto::verify_es256`]) and in two ([`crypto::verify_es256_parts`], the path
//! of the verifier, which hashes the `Sig_structure` in place).

use std::collections::BTreeMap;
use std::path::PathBuf;

use mlegit::crypto::{self, SignatureFailure};
use mlegit::{P256Backend, PublicKey, SignatureBackend};
use serde::Deserialize;

/// The order n of the P-256 group (SEC 2 §2.4.2), big-endian.
const ORDER_HEX: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/// The first 26 bytes of a DER SubjectPublicKeyInfo of an uncompressed P-256 key.
const SPKI_PREFIX_HEX: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestFile {
    algorithm: String,
    schema: String,
    number_of_tests: usize,
    #[allow(dead_code)]
    header: Vec<String>,
    notes: BTreeMap<String, Note>,
    test_groups: Vec<TestGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Note {
    bug_type: String,
    description: String,
    effect: Option<String>,
    cves: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestGroup {
    #[serde(rename = "type")]
    kind: String,
    source: Source,
    public_key: EcPublicKey,
    public_key_der: String,
    #[allow(dead_code)]
    public_key_pem: String,
    /// Absent where the key has no JWK form in the generator (edge-case keys).
    #[allow(dead_code)]
    public_key_jwk: Option<Jwk>,
    sha: String,
    tests: Vec<TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EcPublicKey {
    #[serde(rename = "type")]
    kind: String,
    curve: String,
    key_size: usize,
    uncompressed: String,
    /// Big-endian, as an ASN.1 INTEGER body: a leading 00 or leading zeros dropped.
    wx: String,
    wy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Jwk {
    kty: String,
    crv: String,
    kid: String,
    x: String,
    y: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestCase {
    tc_id: u32,
    comment: String,
    flags: Vec<String>,
    msg: String,
    sig: String,
    result: Verdict,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Valid,
    Invalid,
    Acceptable,
}

fn vector_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors/third-party/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json")
}

/// A coordinate in ASN.1 INTEGER form as exactly 32 bytes.
fn coordinate(hex_value: &str) -> [u8; 32] {
    let bytes = hex::decode(hex_value).unwrap();
    let digits = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => &[][..],
    };
    assert!(digits.len() <= 32, "coordinate {hex_value} too long");
    let mut out = [0u8; 32];
    out[32 - digits.len()..].copy_from_slice(digits);
    out
}

fn order() -> [u8; 32] {
    hex::decode(ORDER_HEX).unwrap().try_into().unwrap()
}

/// n / 2 (rounded down), by shifting the order right by one bit.
fn half_order() -> [u8; 32] {
    let n = order();
    let mut half = [0u8; 32];
    let mut carry = 0u8;
    for (h, b) in half.iter_mut().zip(n) {
        *h = (b >> 1) | (carry << 7);
        carry = b & 1;
    }
    half
}

/// `a - b` for 256-bit big-endian numbers with `a >= b`.
fn sub(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0, "subtraction underflow");
    out
}

/// True if `sig` is 64 bytes and its `s` is above n/2 (big-endian comparison).
fn independent_high_s(sig: &[u8]) -> bool {
    sig.len() == 64 && sig[32..] > half_order()[..]
}

#[derive(Default, Debug)]
struct Counts {
    total: usize,
    valid_accepted: usize,
    invalid_rejected: usize,
    valid_high_s_rejected: usize,
    valid_high_s_expected: usize,
    acceptable: usize,
    invalid_by_reason: BTreeMap<String, usize>,
}

/// Every signature backend of this build.
fn backends() -> Vec<(&'static str, Box<dyn SignatureBackend>)> {
    #[cfg_attr(not(feature = "aws-lc"), allow(unused_mut))]
    let mut backends: Vec<(&'static str, Box<dyn SignatureBackend>)> =
        vec![("p256", Box::new(P256Backend))];
    #[cfg(feature = "aws-lc")]
    backends.push(("aws-lc", Box::new(mlegit::AwsLcBackend)));
    backends
}

/// One way of calling the signature check.
type Verify<'a> = &'a dyn Fn(&PublicKey, &[u8], &[u8]) -> Result<(), SignatureFailure>;

#[test]
fn wycheproof_ecdsa_p256_sha256_p1363() {
    for (name, backend) in backends() {
        let backend = backend.as_ref();
        let whole =
            |key: &PublicKey, msg: &[u8], sig: &[u8]| crypto::verify_es256(backend, key, msg, sig);
        let parts = |key: &PublicKey, msg: &[u8], sig: &[u8]| {
            let (a, b) = msg.split_at(msg.len() / 2);
            crypto::verify_es256_parts(backend, key, &[a, b], sig)
        };
        check(&format!("{name}, whole message"), &whole);
        check(&format!("{name}, message in parts"), &parts);
    }
}

fn check(backend: &str, verify: Verify<'_>) {
    let text = std::fs::read_to_string(vector_path()).unwrap();
    let file: TestFile = serde_json::from_str(&text).unwrap();
    assert_eq!(file.algorithm, "ECDSA");
    assert_eq!(file.schema, "ecdsa_p1363_verify_schema_v1.json");

    let half = half_order();
    assert_eq!(
        hex::encode(half),
        "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8"
    );
    let n = order();
    let spki_prefix = hex::decode(SPKI_PREFIX_HEX).unwrap();

    let mut counts = Counts::default();
    let mut disagreements = Vec::new();
    for group in &file.test_groups {
        assert_eq!(group.kind, "EcdsaP1363Verify");
        assert_eq!(group.sha, "SHA-256");
        assert!(
            matches!(
                group.source.name.as_str(),
                "google-wycheproof"
                    | "github/davidben/ecdsa-r-s-edge-cases"
                    | "github/davidben/ecdsa-s-pow2"
            ),
            "unknown source {} {}",
            group.source.name,
            group.source.version
        );
        let pk = &group.public_key;
        assert_eq!(
            (pk.kind.as_str(), pk.curve.as_str(), pk.key_size),
            ("EcPublicKey", "secp256r1", 256)
        );
        let uncompressed = hex::decode(&pk.uncompressed).unwrap();
        // The three encodings of the key in the file must agree.
        assert_eq!(
            hex::decode(&group.public_key_der).unwrap(),
            [spki_prefix.as_slice(), uncompressed.as_slice()].concat()
        );
        let key = PublicKey::from_sec1(&uncompressed).expect("every key of the file is valid");
        assert_eq!(
            PublicKey::from_coordinates(&coordinate(&pk.wx), &coordinate(&pk.wy)).as_ref(),
            Some(&key)
        );

        for case in &group.tests {
            counts.total += 1;
            for flag in &case.flags {
                assert!(
                    file.notes.contains_key(flag),
                    "tcId {}: flag {flag} not in notes",
                    case.tc_id
                );
            }
            let msg = hex::decode(&case.msg).unwrap();
            let sig = hex::decode(&case.sig).unwrap();
            let outcome = verify(&key, &msg, &sig);
            let high_s = independent_high_s(&sig);
            let id = format!("tcId {} ({})", case.tc_id, case.comment);
            // Counted apart from the crate's verdict, which the match below compares with.
            if case.result == Verdict::Valid && high_s {
                counts.valid_high_s_expected += 1;
            }
            match (case.result, outcome) {
                (Verdict::Valid, Ok(())) if !high_s => counts.valid_accepted += 1,
                (Verdict::Valid, Err(SignatureFailure::HighS)) if high_s => {
                    counts.valid_high_s_rejected += 1;
                    // The low-S twin (r, n - s) is the same signature and must be accepted.
                    let s: [u8; 32] = sig[32..].try_into().unwrap();
                    let twin = [&sig[..32], &sub(&n, &s)[..]].concat();
                    if verify(&key, &msg, &twin).is_err() {
                        disagreements.push(format!("{id}: low-S twin refused"));
                    }
                }
                (Verdict::Valid, other) => {
                    disagreements.push(format!("{id}: valid, high_s={high_s}, got {other:?}"));
                }
                (Verdict::Invalid, Err(reason)) => {
                    counts.invalid_rejected += 1;
                    *counts
                        .invalid_by_reason
                        .entry(format!("{reason:?}"))
                        .or_default() += 1;
                }
                (Verdict::Invalid, Ok(())) => {
                    disagreements.push(format!("{id}: invalid, accepted"));
                }
                (Verdict::Acceptable, outcome) => {
                    counts.acceptable += 1;
                    disagreements.push(format!(
                        "{id}: acceptable (got {outcome:?}): decide, document and assert \
                         mlegit's verdict for acceptable cases before using this data"
                    ));
                }
            }
        }
    }

    eprintln!("wycheproof ecdsa_secp256r1_sha256_p1363 ({backend}): {counts:?}");
    eprintln!(
        "wycheproof: total cases {}, valid accepted {}, invalid rejected {}, \
         valid-but-high-S rejected {} (independently counted {}), acceptable {}",
        counts.total,
        counts.valid_accepted,
        counts.invalid_rejected,
        counts.valid_high_s_rejected,
        counts.valid_high_s_expected,
        counts.acceptable
    );
    assert!(
        disagreements.is_empty(),
        "{backend}: {} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(counts.total, file.number_of_tests);
    assert_eq!(counts.valid_high_s_rejected, counts.valid_high_s_expected);
    assert_eq!(counts.acceptable, 0);
    assert_eq!(
        counts.valid_accepted + counts.valid_high_s_rejected + counts.invalid_rejected,
        counts.total
    );
    // Pinned for this copy of the file: a changed file must be looked at, not absorbed.
    assert_eq!(
        (
            counts.total,
            counts.valid_accepted,
            counts.valid_high_s_rejected,
            counts.invalid_rejected
        ),
        (262, 103, 70, 89)
    );
}
