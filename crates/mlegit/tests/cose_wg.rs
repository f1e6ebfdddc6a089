//! The cose-wg COSE_Sign1 / ES256 examples against `mlegit::cose::general`, which shares the
//! profile's `Sig_structure` and its signature check (`crypto::verify_es256`).
//!
//! Data: `test-vectors/third-party/cose-wg-examples/` (cose-wg/Examples, public domain;
//! provenance in `test-vectors/third-party/README.md`). For each example:
//!
//! - the key is read from its JWK (and checked against the private scalar it also carries);
//! - the message is also decoded with ciborium, an independent CBOR decoder, to check that the
//!   failure the JSON names is really where the JSON says it is;
//! - a pass case must verify with the JSON's key and external AAD, return the plaintext, and
//!   produce the `Sig_structure` of `intermediates.ToBeSign_hex`; changing its payload or AAD
//!   must make it fail;
//! - a fail case must be refused for the reason its `failures` entry implies;
//! - `ecdsa-sig-01` (a valid signature with a high S) must be refused for its S and accepted
//!   once S is replaced by n - s.
//!
//! The JSON is read through `deny_unknown_fields` structs, and the directory must hold
//! exactly the expected files, so that nothing is skipped silently.
//!
//! The examples run against every signature backend built (`P256Backend`, and
//! `AwsLcBackend` with the `aws-lc` feature).

use std::path::{Path, PathBuf};

use ciborium::value::Value as Cbor;
use mlegit::cose::general::{self, AlgPlacement, GeneralError};
use mlegit::crypto::SignatureFailure;
use mlegit::{P256Backend, P256Signer, PublicKey, SignatureBackend, Signer};
use serde::Deserialize;

/// The order n of the P-256 group, big-endian.
const ORDER_HEX: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/// Every example file used, relative to `cose-wg-examples/`.
const FILES: &[&str] = &[
    "CWT/A_3.json",
    "RFC8152/Appendix_C_2_1.json",
    "ecdsa-examples/ecdsa-sig-01.json",
    "sign1-tests/sign-fail-01.json",
    "sign1-tests/sign-fail-02.json",
    "sign1-tests/sign-fail-03.json",
    "sign1-tests/sign-fail-04.json",
    "sign1-tests/sign-fail-06.json",
    "sign1-tests/sign-fail-07.json",
    "sign1-tests/sign-pass-01.json",
    "sign1-tests/sign-pass-02.json",
    "sign1-tests/sign-pass-03.json",
];

/// The one example that is valid COSE but carries a high-S signature.
const HIGH_S_EXAMPLE: &str = "ecdsa-examples/ecdsa-sig-01.json";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    title: String,
    #[serde(default)]
    fail: bool,
    input: Input,
    intermediates: Intermediates,
    output: Output,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    plaintext: Option<String>,
    plaintext_hex: Option<String>,
    sign0: Sign0,
    failures: Option<Failure>,
    #[allow(dead_code)]
    rng_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sign0 {
    key: Jwk,
    #[serde(default)]
    protected: Headers,
    unprotected: Headers,
    alg: String,
    /// External AAD, hex.
    external: Option<String>,
}

/// The header parameters the examples name, by their JSON names.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Headers {
    alg: Option<AlgName>,
    kid: Option<String>,
    ctyp: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
enum AlgName {
    Id(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Jwk {
    kty: String,
    crv: String,
    #[allow(dead_code)]
    kid: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<String>,
    x_hex: Option<String>,
    y_hex: Option<String>,
    d_hex: Option<String>,
}

/// What the example generator changed after signing (one entry per example).
#[derive(Debug, Deserialize)]
enum Failure {
    /// The tag is replaced by this number.
    #[serde(rename = "ChangeCBORTag")]
    ChangeCborTag(u64),
    /// The tag is removed (the value is always 1).
    #[serde(rename = "RemoveCBORTag")]
    RemoveCborTag(u64),
    /// Named "Change signature" in the title; the bytes show a changed payload (always 1).
    ChangeTag(u64),
    /// A protected attribute gets another value.
    ChangeAttr(Headers),
    /// A protected attribute is added after signing.
    AddProtected(Headers),
    /// A protected attribute is removed after signing.
    RemoveProtected(Headers),
    /// The protected header bytes are replaced by these (hex).
    ChangeProtected(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Intermediates {
    #[serde(rename = "ToBeSign_hex")]
    to_be_signed_hex: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Output {
    #[allow(dead_code)]
    cbor_diag: String,
    cbor: String,
}

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors/third-party/cose-wg-examples")
}

fn load(name: &str) -> Example {
    let text = std::fs::read_to_string(examples_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json_files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, &format!("{prefix}{name}/"), out);
        } else if name.ends_with(".json") {
            out.push(format!("{prefix}{name}"));
        }
    }
}

/// Base64url without padding (RFC 7515 §2), as JWKs use it.
fn base64url(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {text}"),
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn jwk_field(b64: &Option<String>, hex_value: &Option<String>) -> Option<Vec<u8>> {
    match (b64, hex_value) {
        (Some(b), None) => Some(base64url(b)),
        (None, Some(h)) => Some(hex::decode(h).unwrap()),
        (None, None) => None,
        _ => panic!("a JWK field in both base64url and hex"),
    }
}

/// The public key of the JWK, checked against the private key it carries.
fn key(jwk: &Jwk) -> PublicKey {
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("EC", "P-256"));
    let x = jwk_field(&jwk.x, &jwk.x_hex).unwrap();
    let y = jwk_field(&jwk.y, &jwk.y_hex).unwrap();
    let key = PublicKey::from_coordinates(&x, &y).expect("JWK point on the curve");
    if let Some(d) = jwk_field(&jwk.d, &jwk.d_hex) {
        assert_eq!(P256Signer::from_scalar(&d).unwrap().public_key(), key);
    }
    key
}

/// The message as ciborium sees it.
struct Parts {
    tag: Option<u64>,
    protected: Vec<u8>,
    protected_map: Vec<(Cbor, Cbor)>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

fn parts(bytes: &[u8]) -> Parts {
    let value: Cbor = ciborium::de::from_reader(bytes).unwrap();
    let (tag, array) = match value {
        Cbor::Tag(tag, inner) => (Some(tag), *inner),
        other => (None, other),
    };
    let Cbor::Array(items) = array else {
        panic!("not an array")
    };
    let [
        Cbor::Bytes(protected),
        Cbor::Map(_),
        Cbor::Bytes(payload),
        Cbor::Bytes(signature),
    ] = <[Cbor; 4]>::try_from(items).unwrap()
    else {
        panic!("not a COSE_Sign1")
    };
    let protected_map = if protected.is_empty() {
        Vec::new()
    } else {
        match ciborium::de::from_reader::<Cbor, _>(protected.as_slice()).unwrap() {
            Cbor::Map(entries) => entries,
            other => panic!("protected header {other:?}"),
        }
    };
    Parts {
        tag,
        protected,
        protected_map,
        payload,
        signature,
    }
}

/// The protected header parameter with this integer label.
fn protected_param(parts: &Parts, label: i64) -> Option<&Cbor> {
    parts
        .protected_map
        .iter()
        .find(|(l, _)| l.as_integer() == Some(label.into()))
        .map(|(_, v)| v)
}

fn order() -> [u8; 32] {
    hex::decode(ORDER_HEX).unwrap().try_into().unwrap()
}

/// True if `s` of the 64-byte signature is above n/2, computed here as `2s > n`.
fn independent_high_s(signature: &[u8]) -> bool {
    let s: [u8; 32] = signature[32..].try_into().unwrap();
    // 2s as a 257-bit number, compared with n.
    let mut doubled = [0u8; 33];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let v = u16::from(s[i]) * 2 + carry;
        doubled[i + 1] = v as u8;
        carry = v >> 8;
    }
    doubled[0] = carry as u8;
    let mut n = [0u8; 33];
    n[1..].copy_from_slice(&order());
    doubled > n
}

/// The message with its signature's S replaced by n - S; the signature is its last item.
fn with_normalised_s(bytes: &[u8]) -> Vec<u8> {
    let len = bytes.len();
    assert_eq!(&bytes[len - 66..len - 64], &[0x58, 0x40], "signature last");
    let n = order();
    let mut out = bytes.to_vec();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(n[i]) - i16::from(bytes[len - 32 + i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[len - 32 + i] = d as u8;
    }
    assert_eq!(borrow, 0);
    out
}

fn plaintext(input: &Input) -> Vec<u8> {
    match (&input.plaintext, &input.plaintext_hex) {
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(h)) => hex::decode(h).unwrap(),
        _ => panic!("plaintext missing or given twice"),
    }
}

/// ctyp (content type) is COSE header label 3.
const LABEL_CTYP: i64 = 3;

/// Every signature backend of this build.
fn backends() -> Vec<(&'static str, Box<dyn SignatureBackend>)> {
    #[cfg_attr(not(feature = "aws-lc"), allow(unused_mut))]
    let mut backends: Vec<(&'static str, Box<dyn SignatureBackend>)> =
        vec![("p256", Box::new(P256Backend))];
    #[cfg(feature = "aws-lc")]
    backends.push(("aws-lc", Box::new(mlegit::AwsLcBackend)));
    backends
}

#[test]
fn cose_wg_sign1_examples() {
    for (name, backend) in backends() {
        eprintln!("cose-wg examples with the {name} backend");
        check_examples(backend.as_ref());
    }
}

fn check_examples(backend: &dyn SignatureBackend) {
    let mut found = Vec::new();
    json_files(&examples_dir(), "", &mut found);
    found.sort();
    assert_eq!(
        found, FILES,
        "example files differ from the list this test covers"
    );

    let mut pass_verified = Vec::new();
    let mut fail_rejected = Vec::new();
    let mut high_s_checked = Vec::new();
    for &name in FILES {
        let example = load(name);
        let sign0 = &example.input.sign0;
        assert_eq!(sign0.alg, "ES256", "{name}");
        let key = key(&sign0.key);
        let aad = sign0
            .external
            .as_deref()
            .map(|h| hex::decode(h).unwrap())
            .unwrap_or_default();
        let bytes = hex::decode(&example.output.cbor).unwrap();
        let parts = parts(&bytes);
        let signed = hex::decode(&example.intermediates.to_be_signed_hex).unwrap();
        let plaintext = plaintext(&example.input);
        // sign-pass-01 puts alg in the unprotected header only.
        let placement = if sign0.protected.alg.is_none() && sign0.unprotected.alg.is_some() {
            AlgPlacement::ProtectedOrUnprotected
        } else {
            AlgPlacement::Protected
        };
        let verify = |bytes: &[u8], aad: &[u8]| {
            general::verify_with(bytes, &key, aad, placement, backend).map(<[u8]>::to_vec)
        };
        let high_s = independent_high_s(&parts.signature);
        assert_eq!(parts.signature.len(), 64, "{name}");

        if !example.fail && high_s {
            // Valid COSE, refused by the low-S rule of the spec (`signature_malleable`).
            assert_eq!(name, HIGH_S_EXAMPLE);
            assert!(example.input.failures.is_none());
            let sign1 = general::decode(&bytes, placement).unwrap();
            assert_eq!(sign1.to_be_signed(&aad), signed, "{name}: Sig_structure");
            assert_eq!(
                verify(&bytes, &aad),
                Err(GeneralError::Signature(SignatureFailure::HighS)),
                "{name}"
            );
            assert_eq!(verify(&with_normalised_s(&bytes), &aad), Ok(plaintext));
            high_s_checked.push(name);
            continue;
        }

        if !example.fail {
            // Where the JSON says the generator changed something, the bytes agree.
            match &example.input.failures {
                None => assert_eq!(parts.tag, Some(18), "{name}"),
                Some(Failure::RemoveCborTag(flag)) => {
                    assert_eq!(*flag, 1);
                    assert_eq!(parts.tag, None, "{name}");
                }
                Some(Failure::ChangeProtected(h)) => {
                    assert_eq!(parts.protected, hex::decode(h).unwrap(), "{name}");
                    // An empty map as h'a0': with alg only unprotected, refused by default.
                    assert!(parts.protected_map.is_empty());
                    assert_eq!(
                        general::verify(&bytes, &key, &aad, backend),
                        Err(GeneralError::AlgNotProtected),
                        "{name}"
                    );
                }
                Some(other) => panic!("{name}: pass case with failure {other:?}"),
            }
            let sign1 = general::decode(&bytes, placement).unwrap();
            assert_eq!(sign1.to_be_signed(&aad), signed, "{name}: Sig_structure");
            assert_eq!(verify(&bytes, &aad), Ok(plaintext.clone()), "{name}");
            // A negative for every positive: the payload's last byte, then the AAD.
            let mut changed = bytes.clone();
            let at = bytes.len() - 67;
            assert_eq!(
                changed[at],
                *plaintext.last().unwrap(),
                "{name}: payload end"
            );
            changed[at] ^= 1;
            let invalid = Err(GeneralError::Signature(SignatureFailure::Invalid));
            assert_eq!(verify(&changed, &aad), invalid, "{name}: payload changed");
            let other_aad = if aad.is_empty() { vec![0] } else { Vec::new() };
            assert_eq!(verify(&bytes, &other_aad), invalid, "{name}: aad changed");
            pass_verified.push(name);
            continue;
        }

        let failure = example
            .input
            .failures
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: fail case without failures"));
        let sign0_protected = &sign0.protected;
        // The reason the injected change must be refused for, after checking that the
        // change is where the JSON says it is.
        let expected = match failure {
            Failure::ChangeCborTag(tag) => {
                assert_eq!(parts.tag, Some(*tag), "{name}");
                GeneralError::UnexpectedTag(*tag)
            }
            Failure::ChangeTag(flag) => {
                assert_eq!(*flag, 1);
                // Everything is as in the signed original except the payload.
                assert_ne!(parts.payload, plaintext, "{name}: payload unchanged");
                assert_eq!(parts.payload.len(), plaintext.len());
                assert_eq!(parts.tag, Some(18));
                GeneralError::Signature(SignatureFailure::Invalid)
            }
            Failure::ChangeAttr(headers) => {
                let alg = headers.alg.as_ref().expect("only alg is changed");
                let found = protected_param(&parts, 1).unwrap();
                match alg {
                    AlgName::Id(id) => assert_eq!(found.as_integer(), Some((*id).into())),
                    AlgName::Name(n) => assert_eq!(found.as_text(), Some(n.as_str())),
                }
                GeneralError::AlgNotAllowed
            }
            Failure::AddProtected(headers) => {
                let ctyp = headers.ctyp.expect("only ctyp is added");
                assert_eq!(sign0_protected.ctyp, None);
                let found = protected_param(&parts, LABEL_CTYP).unwrap();
                assert_eq!(found.as_integer(), Some(ctyp.into()), "{name}");
                GeneralError::Signature(SignatureFailure::Invalid)
            }
            Failure::RemoveProtected(headers) => {
                assert!(headers.ctyp.is_some(), "only ctyp is removed");
                assert_eq!(sign0_protected.ctyp, headers.ctyp);
                assert!(protected_param(&parts, LABEL_CTYP).is_none(), "{name}");
                GeneralError::Signature(SignatureFailure::Invalid)
            }
            other => panic!("{name}: fail case with {other:?}"),
        };
        let mut outcome = verify(&bytes, &aad);
        if expected == GeneralError::Signature(SignatureFailure::Invalid) {
            // The change is covered by the signature: the Sig_structure differs from the
            // one that was signed.
            let sign1 = general::decode(&bytes, placement).unwrap();
            assert_ne!(sign1.to_be_signed(&aad), signed, "{name}");
            if high_s {
                // Refused for its high S before the signature is checked; with S
                // normalised, the injected change must still be caught.
                assert_eq!(
                    outcome,
                    Err(GeneralError::Signature(SignatureFailure::HighS)),
                    "{name}"
                );
                outcome = verify(&with_normalised_s(&bytes), &aad);
                high_s_checked.push(name);
            }
        }
        assert_eq!(outcome, Err(expected), "{name}: {}", example.title);
        fail_rejected.push(format!("{name} ({expected:?})"));
    }

    eprintln!(
        "cose-wg: pass cases verified {}: {pass_verified:?}",
        pass_verified.len()
    );
    eprintln!(
        "cose-wg: fail cases rejected {}: {fail_rejected:?}",
        fail_rejected.len()
    );
    eprintln!(
        "cose-wg: refused for high S, then checked with n - s ({}): {high_s_checked:?}",
        high_s_checked.len()
    );
    assert_eq!(pass_verified.len(), 5);
    assert_eq!(fail_rejected.len(), 6);
    assert_eq!(
        high_s_checked,
        [HIGH_S_EXAMPLE, "sign1-tests/sign-fail-07.json"]
    );
}

/// The mlegit profile decoder is stricter than COSE: it refuses these examples outright.
#[test]
fn profile_decoder_refuses_general_cose() {
    use mlegit::cose::{self, KidRule, TYP_CREDENTIAL};
    use mlegit::{Algorithm, Error};
    let decode = |name: &str| {
        let bytes = hex::decode(load(name).output.cbor).unwrap();
        cose::decode_sign1(
            &bytes,
            TYP_CREDENTIAL,
            &[Algorithm::Es256],
            KidRule::Required,
        )
        .map(|_| ())
    };
    // Tag 18.
    assert_eq!(
        decode("RFC8152/Appendix_C_2_1.json"),
        Err(Error::CborUnsupportedType)
    );
    // Untagged, but kid in the unprotected header.
    assert_eq!(
        decode("sign1-tests/sign-pass-03.json"),
        Err(Error::CoseUnprotectedHeader)
    );
}
