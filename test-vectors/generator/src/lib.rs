//! The mlegit test vectors: how they are made (`scenario`), which ones exist (`vectors`),
//! and how one is run against the Rust verifier ([`run_vector`]).
//!
//! `cargo run -p mlegit-vectors --bin generate-vectors` writes `test-vectors/*.json`;
//! `cargo test -p mlegit-vectors` regenerates them in memory, fails if the committed files
//! differ, runs every vector through the crate, and checks that every error code of
//! [`mlegit::Error`] has a negative vector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod activation;
pub mod cbor;
pub mod read;
pub mod scenario;
pub mod vectors;

use mlegit::{
    Algorithm, ClaimValue, Error, P256Backend, RequestChecker, SignatureBackend, StatusListContext,
    StatusReference, TrustList, Verifier, VerifyContext,
};
use serde_json::{Map, Value as Json, json};

/// The files the generator writes, relative to `test-vectors/`, with their contents.
pub fn generate() -> Vec<(&'static str, String)> {
    let files = [
        ("presentations.json", vectors::presentation_vectors()),
        ("status-lists.json", vectors::status_list_vectors()),
        ("requests.json", vectors::request_vectors()),
        ("responses.json", vectors::response_vectors()),
        ("activations.json", activation::activation_vectors()),
    ];
    files
        .into_iter()
        .map(|(name, vectors)| {
            let doc = json!({
                "version": 5,
                "generator": "cargo run -p mlegit-vectors --bin generate-vectors",
                "spec": "spec/mlegit.md, version 5",
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

/// Runs one vector (as the generator holds it) against the Rust crate: read through the
/// typed schema of [`read`] first, so the generator cannot write a field the runner
/// would drop.
pub fn run_vector(v: &Json) -> Result<(), String> {
    let typed: read::Vector =
        serde_json::from_value(v.clone()).map_err(|e| format!("not in the schema: {e}"))?;
    run(&typed)
}

/// Runs one vector against the Rust crate: `Ok` if the outcome is the expected one.
pub fn run(v: &read::Vector) -> Result<(), String> {
    run_with(v, P256Backend)
}

/// [`run`] with the signatures verified by `backend` (the WebAssembly build's tests run
/// every vector with the backend of its rounds).
pub fn run_with<B: SignatureBackend + Copy>(v: &read::Vector, backend: B) -> Result<(), String> {
    let outcome = match v.kind {
        read::Kind::Presentation => run_presentation(v, backend),
        read::Kind::StatusList => run_status_list(v, backend),
        read::Kind::Request => run_request(v, backend),
        read::Kind::Response => run_response(v),
    }
    .map(|ok| expected_eq(&v.expected, &ok));
    let expected_error = v.expected.error.as_deref();
    match (v.expected.result.as_str(), outcome) {
        ("valid", Ok(Ok(()))) => Ok(()),
        ("valid", Ok(Err(diff))) => Err(format!("accepted with other output: {diff}")),
        ("valid", Err(e)) => Err(format!("rejected with {}", e.code())),
        ("invalid", Err(e)) if Some(e.code()) == expected_error => Ok(()),
        ("invalid", Err(e)) => Err(format!(
            "rejected with {} instead of {expected_error:?}",
            e.code()
        )),
        ("invalid", Ok(_)) => Err(format!("accepted, expected {expected_error:?}")),
        (other, _) => Err(format!("unknown expected result {other:?}")),
    }
}

fn expected_eq(expected: &read::Expected, actual: &Json) -> Result<(), String> {
    if expected.result != "valid" {
        return Ok(());
    }
    let mut want = match serde_json::to_value(expected) {
        Ok(Json::Object(map)) => map,
        _ => return Err("expected is not an object".into()),
    };
    want.remove("result");
    if Json::Object(want.clone()) == *actual {
        Ok(())
    } else {
        Err(format!("expected {} got {}", Json::Object(want), actual))
    }
}

fn hex(text: &str, what: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|_| panic!("{what} is not hex"))
}

fn run_request<B: SignatureBackend>(v: &read::Vector, backend: B) -> Result<Json, Error> {
    let holder = v.holder.as_ref().expect("a request vector's holder");
    let list = hex(
        v.authority_list.as_deref().expect("authority_list"),
        "authority_list",
    );
    let checker = RequestChecker::with_backend(TrustList::from_slice(&list)?, backend)
        .clock_skew(holder.clock_skew);
    let bytes = hex(
        v.request.as_deref().expect("a request vector's bytes"),
        "request",
    );
    let checked = checker.check(&bytes, holder.now)?;
    // E1, E2 (spec §18.1) for a request fetched through an engagement URI.
    if let Some(Some(digest)) = &holder.engagement_key_digest {
        let digest: [u8; 16] = hex(digest, "engagement_key_digest")
            .try_into()
            .expect("a 16-byte key digest");
        mlegit::online::check_key(&checked, Some(&digest))?;
    }
    let r = checked.request();
    let cert = checked.verifier();
    let names = |c: &[mlegit::ClaimName]| c.iter().map(|n| n.as_str()).collect::<Vec<_>>();
    Ok(json!({
        "verifier_name": r.verifier_name,
        "audience": r.audience,
        "claims": names(&r.claims),
        "allowed_claims": cert.map(|c| names(c.claims())),
        "authority_kid": cert.map(|c| hex::encode(c.authority_kid())),
        "verifier_key_x": cert.map(|c| hex::encode(c.verifier_key().x())),
        "verifier_key_y": cert.map(|c| hex::encode(c.verifier_key().y())),
        "request_digest": checked.digest().map(hex::encode),
        "nonce": hex::encode(&r.nonce),
        "created_at": r.created_at,
        "not_before": cert.map(|c| c.not_before()),
        "expires": cert.map(|c| c.expires()),
        "response_key_x": r.response_key.as_ref().map(|k| hex::encode(k.x())),
        "response_key_y": r.response_key.as_ref().map(|k| hex::encode(k.y())),
    }))
}

fn run_response(v: &read::Vector) -> Result<Json, Error> {
    let s = v.verifier.as_ref().expect("a response vector's verifier");
    assert_eq!(
        s.max_input_size,
        Some(mlegit::online::MAX_RESPONSE_LEN as u64),
        "O1's cap is fixed (spec §18.3)"
    );
    let field = |f: &Option<String>, what: &str| hex(f.as_deref().expect(what), what);
    let key = mlegit::online::ResponseKey::from_scalar(&field(
        &s.response_key_scalar,
        "response_key_scalar",
    ))
    .expect("a response key scalar");
    let session_id: [u8; 16] = field(&s.session_id, "session_id")
        .try_into()
        .expect("16 bytes");
    let request_digest: [u8; 32] = field(&s.request_digest, "request_digest")
        .try_into()
        .expect("32 bytes");
    let binding = mlegit::online::SessionBinding {
        relay_origin: s.relay_origin.as_deref().expect("relay_origin"),
        session_id: &session_id,
        request_digest: &request_digest,
    };
    let plaintext = key.open(&field(&v.response, "response"), &binding)?;
    Ok(json!({ "plaintext": hex::encode(plaintext) }))
}

fn verifier_for<B: SignatureBackend>(
    trust: &[u8],
    s: &read::VerifierSettings,
    backend: B,
) -> Result<Verifier<B>, Error> {
    let trust = TrustList::from_slice(trust)?;
    let algs: Vec<Algorithm> = s
        .accepted_algs
        .as_deref()
        .expect("accepted_algs")
        .iter()
        .filter_map(|a| Algorithm::from_cose_id(*a))
        .collect();
    let size = |n: u64| usize::try_from(n).expect("size");
    let mut verifier = Verifier::with_backend(trust, backend)
        .accepted_algorithms(&algs)
        .clock_skew(s.clock_skew.expect("clock_skew"));
    if let Some(n) = s.max_input_size {
        verifier = verifier.max_input_size(size(n));
    }
    if let Some(age) = s.max_age {
        verifier = verifier.max_presentation_age(age);
    }
    if let Some(n) = s.max_token_size {
        verifier = verifier.max_status_list_token_size(size(n));
    }
    if let Some(n) = s.max_list_size {
        verifier = verifier.max_status_list_size(size(n));
    }
    Ok(verifier)
}

fn run_presentation<B: SignatureBackend>(v: &read::Vector, backend: B) -> Result<Json, Error> {
    let s = v
        .verifier
        .as_ref()
        .expect("a presentation vector's verifier");
    let trust = v
        .trust_list
        .as_deref()
        .expect("a presentation vector's trust list");
    let verifier = verifier_for(&hex(trust, "trust_list"), s, backend)?;
    let nonce = s
        .expected_nonce
        .as_deref()
        .map(|n| hex(n, "expected_nonce"));
    let digest = s
        .expected_request_digest
        .as_deref()
        .map(|d| hex(d, "expected_request_digest"));
    let ctx = VerifyContext::new(
        s.now.expect("now"),
        nonce.as_deref(),
        s.expected_audience.as_deref(),
    )
    .with_request_digest(digest.as_deref());
    let presentation = v
        .presentation
        .as_deref()
        .expect("a presentation vector's bytes");
    let p = verifier.verify(&hex(presentation, "presentation"), &ctx)?;
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
        "status": {"uri": p.status().uri, "idx": p.status().index},
        "issuer_kid": hex::encode(p.issuer_kid()),
        "nonce": p.nonce().map(hex::encode),
        "audience": p.audience(),
        "request_digest": p.request_digest().map(hex::encode),
    }))
}

fn run_status_list<B: SignatureBackend>(v: &read::Vector, backend: B) -> Result<Json, Error> {
    let s = v
        .verifier
        .as_ref()
        .expect("a status list vector's verifier");
    let trust = v
        .trust_list
        .as_deref()
        .expect("a status list vector's trust list");
    let verifier = verifier_for(&hex(trust, "trust_list"), s, backend)?;
    let uri = s.expected_uri.as_deref().expect("expected_uri");
    let index = s.index.expect("index");
    let token = v.token.as_deref().expect("a status list vector's token");
    let list = verifier.verify_status_list(
        &hex(token, "token"),
        &StatusListContext::new(s.now.expect("now"), uri),
    )?;
    let reference = StatusReference {
        uri: uri.into(),
        index,
    };
    let status = verifier.check_status(&list, &reference, s.now.expect("now"))?;
    Ok(json!({
        "status": status.as_str(),
        "value": status.value(),
        "sub": list.uri(),
        "iat": list.issued_at(),
        "exp": list.expires(),
        "ttl": list.ttl(),
        "bits": list.entries().bits(),
        "entries": list.entries().len(),
        "issuer_kid": hex::encode(list.issuer_kid()),
    }))
}
