//! The mlegit test vectors: how they are made (`scenario`), which ones exist (`vectors`),
//! and how one is run against the Rust verifier ([`run_vector`]).
//!
//! `cargo run -p mlegit-vectors --bin generate-vectors` writes `test-vectors/*.json`;
//! `cargo test -p mlegit-vectors` regenerates them in memory, fails if the committed files
//! differ, runs every vector through the crate, and checks that every error code of
//! [`mlegit::Error`] has a negative vector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cbor;
pub mod scenario;
pub mod vectors;

use mlegit::{
    Algorithm, ClaimValue, CredentialStatus, Error, StatusContext, TrustList, Verifier,
    VerifyContext,
};
use serde_json::{Map, Value as Json, json};

/// The files the generator writes, relative to `test-vectors/`, with their contents.
pub fn generate() -> Vec<(&'static str, String)> {
    let files = [
        ("presentations.json", vectors::presentation_vectors()),
        ("status.json", vectors::status_vectors()),
    ];
    files
        .into_iter()
        .map(|(name, vectors)| {
            let doc = json!({
                "version": 1,
                "generator": "cargo run -p mlegit-vectors --bin generate-vectors",
                "spec": "spec/mlegit.md, version 1",
                "vectors": vectors,
            });
            let mut text = serde_json::to_string_pretty(&doc).expect("JSON");
            text.push('\n');
            (name, text)
        })
        .collect()
}

/// SHA-256 of a disclosure.
pub fn scenario_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// A claim value as the vectors write it (test-vectors/README.md).
pub fn claim_json(value: &ClaimValue) -> Json {
    match value {
        ClaimValue::Text(t) => json!(t),
        ClaimValue::Date(d) => json!(d.to_string()),
        ClaimValue::Bytes(b) => json!({ "bstr": hex::encode(b) }),
        ClaimValue::Bool(b) => json!(b),
        _ => panic!("claim value type unknown to the vectors"),
    }
}

fn hex_field(v: &Json, key: &str) -> Vec<u8> {
    hex::decode(
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string")),
    )
    .expect("hex")
}

fn opt_hex(v: &Json, key: &str) -> Option<Vec<u8>> {
    match &v[key] {
        Json::Null => None,
        Json::String(s) => Some(hex::decode(s).expect("hex")),
        other => panic!("{key}: unexpected {other}"),
    }
}

fn num(v: &Json, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an unsigned integer"))
}

/// Runs one vector against the Rust crate: `Ok` if the outcome is the expected one.
pub fn run_vector(v: &Json) -> Result<(), String> {
    let expected = &v["expected"];
    let outcome = match v["kind"].as_str() {
        Some("presentation") => run_presentation(v).map(|ok| expected_eq(expected, &ok)),
        Some("status") => run_status(v).map(|ok| expected_eq(expected, &ok)),
        other => return Err(format!("unknown kind {other:?}")),
    };
    match (expected["result"].as_str(), outcome) {
        (Some("valid"), Ok(Ok(()))) => Ok(()),
        (Some("valid"), Ok(Err(diff))) => Err(format!("accepted with other output: {diff}")),
        (Some("valid"), Err(e)) => Err(format!("rejected with {}", e.code())),
        (Some("invalid"), Err(e)) if Some(e.code()) == expected["error"].as_str() => Ok(()),
        (Some("invalid"), Err(e)) => Err(format!(
            "rejected with {} instead of {}",
            e.code(),
            expected["error"]
        )),
        (Some("invalid"), Ok(_)) => Err(format!("accepted, expected {}", expected["error"])),
        (other, _) => Err(format!("unknown expected result {other:?}")),
    }
}

fn expected_eq(expected: &Json, actual: &Json) -> Result<(), String> {
    if expected["result"] != "valid" {
        return Ok(());
    }
    let mut want = expected.as_object().cloned().unwrap_or_default();
    want.remove("result");
    if Json::Object(want.clone()) == *actual {
        Ok(())
    } else {
        Err(format!("expected {} got {}", Json::Object(want), actual))
    }
}

fn verifier_for(trust_hex: &[u8], s: &Json) -> Result<Verifier, Error> {
    let trust = TrustList::from_slice(trust_hex)?;
    let algs: Vec<Algorithm> = s["accepted_algs"]
        .as_array()
        .expect("accepted_algs")
        .iter()
        .filter_map(|a| Algorithm::from_cose_id(a.as_i64().expect("alg")))
        .collect();
    let mut verifier = Verifier::new(trust)
        .accepted_algorithms(&algs)
        .clock_skew(num(s, "clock_skew"))
        .max_input_size(usize::try_from(num(s, "max_input_size")).expect("size"));
    if s.get("max_age").is_some() {
        verifier = verifier.max_presentation_age(num(s, "max_age"));
    }
    Ok(verifier)
}

fn run_presentation(v: &Json) -> Result<Json, Error> {
    let s = &v["verifier"];
    let verifier = verifier_for(&hex_field(v, "trust_list"), s)?;
    let nonce = opt_hex(s, "expected_nonce");
    let audience = s["expected_audience"].as_str();
    let ctx = VerifyContext::new(num(s, "now"), nonce.as_deref(), audience);
    let p = verifier.verify(&hex_field(v, "presentation"), &ctx)?;
    let mut claims = Map::new();
    for (name, value) in p.claims() {
        claims.insert(name.as_str().into(), claim_json(value));
    }
    Ok(json!({
        "claims": claims,
        "presented_at": p.presented_at(),
        "not_before": p.not_before(),
        "expires": p.expires(),
        "credential_id": hex::encode(p.credential_id()),
        "status": {"uri": p.status().uri, "index": p.status().index},
        "issuer_kid": hex::encode(p.issuer_kid()),
        "nonce": p.nonce().map(hex::encode),
        "audience": p.audience(),
    }))
}

fn run_status(v: &Json) -> Result<Json, Error> {
    let s = &v["verifier"];
    let verifier = verifier_for(&hex_field(v, "trust_list"), s)?;
    let cid = hex_field(s, "expected_credential_id");
    let kid = hex_field(s, "expected_credential_kid");
    let nonce = opt_hex(s, "expected_nonce");
    let ctx = StatusContext::new(num(s, "now"), &cid, &kid, nonce.as_deref());
    let st = verifier.verify_status(&hex_field(v, "status_response"), &ctx)?;
    let reason = match st.body().status {
        CredentialStatus::Revoked(r) => json!(r.as_str()),
        _ => Json::Null,
    };
    Ok(json!({
        "credential_id": hex::encode(&st.body().credential_id),
        "status": st.body().status.as_str(),
        "reason": reason,
        "checked_at": st.body().checked_at,
        "cache_for": st.body().cache_for,
        "nonce": st.body().nonce.as_ref().map(hex::encode),
        "issuer_kid": hex::encode(st.issuer_kid()),
    }))
}
