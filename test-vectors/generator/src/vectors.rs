//! The vectors: each positive one, then one or more negative ones for every error code.

use mlegit::{Error, Signer, cose};
use serde_json::{Map, Value as Json, json};

use crate::cbor::{V, enc, int, remove, set, text};
use crate::scenario::{
    AUDIENCE, DAY, Key, NOW, Parts, SigMode, StatusParts, TrustEntry, issuer_a, issuer_b,
    issuer_unknown, nonce, other_device,
};

/// The outcome a vector declares.
pub enum Expect {
    /// Accepted, with the disclosed claims the parts imply.
    Valid,
    /// Rejected for this reason.
    Invalid(Error),
}

fn value_json(v: &V) -> Json {
    match v {
        V::T(t) => json!(t),
        V::Bool(b) => json!(b),
        V::B(b) => json!({ "bstr": hex::encode(b) }),
        other => json!({ "cbor": hex::encode(enc(other)) }),
    }
}

fn hexo(v: &Option<Vec<u8>>) -> Json {
    v.as_ref().map_or(Json::Null, |b| json!(hex::encode(b)))
}

fn key_json(k: &Key) -> Json {
    let pk = k.signer().public_key();
    json!({
        "name": k.name,
        "kid": hex::encode(k.kid()),
        "private_scalar": hex::encode(k.scalar),
        "public_x": hex::encode(pk.x()),
        "public_y": hex::encode(pk.y()),
    })
}

/// Builds the JSON of one presentation vector, and checks the Rust verifier agrees.
fn presentation(name: &str, description: &str, parts: Parts, expect: Expect) -> Json {
    let mut keys = vec![key_json(&parts.issuer)];
    for e in &parts.trust {
        if e.key.name != parts.issuer.name {
            keys.push(key_json(&e.key));
        }
    }
    let mut claims = Map::new();
    for (n, v) in &parts.claims {
        claims.insert(n.clone(), value_json(v));
    }
    let inputs = json!({
        "issuer_keys": keys,
        "issuer": parts.issuer.name,
        "trust": parts.trust.iter().map(|e| json!({
            "key": e.key.name, "not_before": e.not_before, "not_after": e.not_after,
        })).collect::<Vec<_>>(),
        "device_private_scalar": hex::encode(parts.device.scalar),
        "presenting_private_scalar": hex::encode(parts.presenter.scalar),
        "salt_secret": hex::encode(parts.salt_secret),
        "credential_id": hex::encode(&parts.credential_id),
        "claims": claims,
        "iat": parts.iat, "nbf": parts.nbf, "exp": parts.exp,
        "status": {"uri": parts.status_uri, "index": parts.status_index},
        "presented_at": parts.presented_at,
        "nonce": hexo(&parts.nonce),
        "audience": parts.audience,
        "disclosed": parts.disclosed,
    });
    let s = &parts.settings;
    let verifier = json!({
        "now": s.now,
        "clock_skew": s.clock_skew,
        "max_age": s.max_age,
        "max_input_size": s.max_input_size,
        "accepted_algs": s.accepted_algs,
        "expected_nonce": hexo(&s.expected_nonce),
        "expected_audience": s.expected_audience,
    });
    let expected = match expect {
        Expect::Valid => {
            let mut disclosed = Map::new();
            for n in &parts.disclosed {
                let (_, v) = parts.claims.iter().find(|(c, _)| c == n).expect("issued");
                disclosed.insert(n.clone(), value_json(v));
            }
            json!({
                "result": "valid",
                "claims": disclosed,
                "presented_at": parts.presented_at,
                "not_before": parts.nbf,
                "expires": parts.exp,
                "credential_id": hex::encode(&parts.credential_id),
                "status": {"uri": parts.status_uri, "index": parts.status_index},
                "issuer_kid": hex::encode(parts.issuer.kid()),
                "nonce": hexo(&parts.nonce),
                "audience": parts.audience,
            })
        }
        Expect::Invalid(e) => json!({"result": "invalid", "error": e.code()}),
    };
    let built = parts.build();
    let outputs = json!({
        "credential": hex::encode(&built.credential),
        "disclosures": built.disclosures.iter().map(|(c, d)| json!({
            "claim": c,
            "bytes": hex::encode(d),
            "digest": hex::encode(crate::scenario_digest(d)),
        })).collect::<Vec<_>>(),
        "digests": built.digests.iter().map(hex::encode).collect::<Vec<_>>(),
    });
    let v = json!({
        "name": name,
        "description": description,
        "kind": "presentation",
        "inputs": inputs,
        "outputs": outputs,
        "trust_list": hex::encode(&built.trust_list),
        "verifier": verifier,
        "presentation": hex::encode(&built.presentation),
        "expected": expected,
    });
    if let Err(why) = crate::run_vector(&v) {
        panic!("vector {name}: the Rust verifier disagrees with the declared outcome: {why}");
    }
    v
}

fn status(name: &str, description: &str, mut parts: StatusParts, expect: Expect) -> Json {
    let bytes = parts.build();
    let field = |k: u64| {
        parts
            .payload
            .iter()
            .find(|(key, _)| *key == V::U(k))
            .map(|(_, v)| v.clone())
    };
    let expected = match expect {
        Expect::Valid => {
            let status = match field(3) {
                Some(V::U(0)) => "valid",
                Some(V::U(1)) => "revoked",
                Some(V::U(2)) => "suspended",
                Some(V::U(3)) => "expired",
                other => panic!("status {other:?}"),
            };
            let reason = match field(4) {
                Some(V::U(r)) => json!(
                    mlegit::RevocationReason::from_code(r)
                        .expect("reason")
                        .as_str()
                ),
                _ => Json::Null,
            };
            let as_hex = |v: Option<V>| match v {
                Some(V::B(b)) => json!(hex::encode(b)),
                _ => Json::Null,
            };
            let as_u = |v: Option<V>| match v {
                Some(V::U(n)) => json!(n),
                other => panic!("{other:?}"),
            };
            json!({
                "result": "valid",
                "credential_id": as_hex(field(2)),
                "status": status,
                "reason": reason,
                "checked_at": as_u(field(5)),
                "cache_for": as_u(field(7)),
                "nonce": as_hex(field(6)),
                "issuer_kid": hex::encode(parts.issuer.kid()),
            })
        }
        Expect::Invalid(e) => json!({"result": "invalid", "error": e.code()}),
    };
    let v = json!({
        "name": name,
        "description": description,
        "kind": "status",
        "inputs": {
            "issuer_keys": [key_json(&parts.issuer)],
            "trust": parts.trust.iter().map(|e| json!({
                "key": e.key.name, "not_before": e.not_before, "not_after": e.not_after,
            })).collect::<Vec<_>>(),
        },
        "trust_list": hex::encode(parts.trust_list()),
        "verifier": {
            "now": parts.now,
            "clock_skew": parts.clock_skew,
            "max_input_size": parts.max_input_size,
            "accepted_algs": [-7],
            "expected_credential_id": hex::encode(&parts.expected_credential_id),
            "expected_credential_kid": hex::encode(&parts.expected_credential_kid),
            "expected_nonce": hexo(&parts.expected_nonce),
        },
        "status_response": hex::encode(&bytes),
        "expected": expected,
    });
    if let Err(why) = crate::run_vector(&v) {
        panic!("vector {name}: the Rust verifier disagrees with the declared outcome: {why}");
    }
    v
}

fn all_claim_names(p: &Parts) -> Vec<String> {
    p.claims.iter().map(|(n, _)| n.clone()).collect()
}

/// Wraps an edit of a map.
fn hook(f: impl FnOnce(&mut Vec<(V, V)>) + 'static) -> Option<crate::scenario::MapHook> {
    Some(Box::new(f))
}

/// `[salt, claim, value]`, encoded: a disclosure made by hand.
fn raw_disclosure(salt: Vec<u8>, claim: &str, value: V) -> Vec<u8> {
    enc(&V::A(vec![V::B(salt), text(claim), value]))
}

/// Issues `disclosure` of `claim` (its digest goes in the set; `outputs.disclosures` lists
/// it after the regular ones) and sends it alone.
fn issue_and_send(p: &mut Parts, claim: &str, disclosure: Vec<u8>) {
    p.extra_issued = vec![(claim.into(), disclosure.clone())];
    p.disclosed = vec![];
    p.extra_sent = vec![disclosure];
}

/// Every presentation vector.
pub fn presentation_vectors() -> Vec<Json> {
    use Expect::{Invalid, Valid};
    let mut out = Vec::new();
    let mut push = |name: &str, description: &str, parts: Parts, expect: Expect| {
        out.push(presentation(name, description, parts, expect));
    };

    // ---- positive ----
    let mut p = Parts::base();
    p.disclosed = vec!["age_over_18".into()];
    push(
        "minimal_age_over_18",
        "Minimal disclosure: age_over_18 only, offline.",
        p,
        Valid,
    );

    push(
        "typical_names_portrait",
        "Typical: given names, family name and a 2048-byte portrait, offline.",
        Parts::typical(),
        Valid,
    );

    let mut p = Parts::typical();
    p.disclosed = all_claim_names(&p);
    push(
        "all_claims",
        "Every claim of schema v1 disclosed (16 claims).",
        p,
        Valid,
    );

    let mut p = Parts::request_bound();
    p.claims = crate::scenario::student_claims(Some(2048));
    p.disclosed = vec![
        "given_names".into(),
        "age_over_18".into(),
        "portrait".into(),
    ];
    push(
        "request_bound",
        "Answering a request: nonce and audience signed and expected.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.disclosed = vec!["family_name".into(), "school_name".into()];
    push(
        "offline_timestamp_only",
        "Offline: no request, only presented_at limits replay.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.presented_at = NOW + p.settings.clock_skew;
    push(
        "presented_at_skew_edge",
        "presented_at exactly now + clock skew: accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.presented_at = NOW - p.settings.max_age;
    push(
        "presented_at_max_age_edge",
        "presented_at exactly now - max age: accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.nbf = NOW + 60;
    p.iat = NOW - DAY;
    p.presented_at = NOW + 60;
    p.settings.now = NOW;
    push(
        "not_before_skew_edge",
        "nbf exactly now + skew (presented at nbf): accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.exp = NOW - 60;
    p.presented_at = NOW - 60;
    push(
        "expiry_skew_edge",
        "exp exactly now - skew (presented at exp): accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.nbf = NOW - DAY;
    p.exp = p.iat + mlegit::MAX_CREDENTIAL_LIFETIME;
    push(
        "credential_lifetime_edge",
        "exp - iat exactly 400 days, nbf later than iat: accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.issuer = issuer_b();
    p.trust = vec![
        TrustEntry {
            key: issuer_a(),
            not_before: NOW - 800 * DAY,
            not_after: NOW - 40 * DAY,
        },
        TrustEntry {
            key: issuer_b(),
            not_before: NOW - 40 * DAY,
            not_after: NOW + 800 * DAY,
        },
    ];
    push(
        "key_rotation_new_key",
        "Two issuer keys trusted; the credential is signed by the new one.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.iat = NOW - 50 * DAY;
    p.nbf = NOW - 50 * DAY;
    p.trust = vec![
        TrustEntry {
            key: issuer_a(),
            not_before: NOW - 800 * DAY,
            not_after: NOW - 40 * DAY,
        },
        TrustEntry {
            key: issuer_b(),
            not_before: NOW - 40 * DAY,
            not_after: NOW + 800 * DAY,
        },
    ];
    push(
        "key_rotation_retired_key",
        "Signed by the retired key while it was valid (iat inside its window): accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.claims[0].1 = text("Nowak\u{ad}Kowalska");
    p.claims[1].1 = text("Anna\u{200d}Maria");
    push(
        "text_format_characters",
        "Names with a soft hyphen and a zero-width joiner (format characters): accepted.",
        p,
        Valid,
    );

    let mut p = Parts::base();
    p.disclosed = vec![];
    push(
        "no_claims",
        "A presentation that discloses nothing proves possession and validity only.",
        p,
        Valid,
    );

    // ---- size and CBOR ----
    let mut p = Parts::typical();
    p.settings.max_input_size = 2000;
    push(
        "input_too_large",
        "Presentation over the verifier's 2000-byte cap (2 KiB portrait).",
        p,
        Invalid(Error::InputTooLarge),
    );

    let mut p = Parts::base();
    p.presentation_bytes_hook = Some(Box::new(|mut b| {
        b.pop();
        b
    }));
    push(
        "cbor_truncated",
        "The last byte of the presentation is missing.",
        p,
        Invalid(Error::CborMalformed),
    );

    let mut p = Parts::base();
    p.presentation_bytes_hook = Some(Box::new(|mut b| {
        b.push(0);
        b
    }));
    push(
        "cbor_trailing_bytes",
        "A zero byte after the presentation.",
        p,
        Invalid(Error::CborTrailingBytes),
    );

    let mut p = Parts::base();
    p.presentation_payload_hook = hook(|m| {
        let sent = m
            .iter()
            .find(|(k, _)| *k == V::U(3))
            .map(|(_, v)| v.clone());
        if let Some(V::A(items)) = sent {
            let mut raw = vec![0x9f];
            for i in &items {
                raw.extend(enc(i));
            }
            raw.push(0xff);
            set(m, V::U(3), V::Raw(raw));
        }
    });
    push(
        "cbor_indefinite_length",
        "The disclosures array in indefinite-length form (re-signed).",
        p,
        Invalid(Error::CborIndefiniteLength),
    );

    let mut p = Parts::base();
    let at = p.presented_at;
    p.presentation_payload_hook = hook(move |m| {
        let mut raw = vec![0x1b];
        raw.extend(at.to_be_bytes());
        set(m, V::U(4), V::Raw(raw));
    });
    push(
        "cbor_non_shortest_integer",
        "presented_at in 8 bytes where 4 suffice (re-signed).",
        p,
        Invalid(Error::CborNonShortest),
    );

    let mut p = Parts::base();
    let at = p.presented_at;
    p.presentation_payload_hook = hook(move |m| m.push((V::U(4), V::U(at))));
    push(
        "cbor_duplicate_map_key",
        "presented_at twice in the payload map (re-signed).",
        p,
        Invalid(Error::CborDuplicateKey),
    );

    let mut p = Parts::base();
    p.presentation_payload_hook = hook(|m| m.swap(2, 3));
    push(
        "cbor_unsorted_map_keys",
        "Payload keys in the order 1, 2, 4, 3 (re-signed).",
        p,
        Invalid(Error::CborUnsortedKeys),
    );

    let mut p = Parts::base();
    p.presentation_payload_hook = hook(|m| {
        let mut deep = V::U(0);
        for _ in 0..9 {
            deep = V::A(vec![deep]);
        }
        m.push((V::U(7), deep));
    });
    push(
        "cbor_depth_exceeded",
        "A payload entry nested ten levels deep (re-signed).",
        p,
        Invalid(Error::CborDepthExceeded),
    );

    let mut p = Parts::base();
    let at = p.presented_at;
    p.presentation_payload_hook = hook(move |m| {
        let mut raw = vec![0xc1, 0x1a];
        raw.extend((at as u32).to_be_bytes());
        set(m, V::U(4), V::Raw(raw));
    });
    push(
        "cbor_tag_epoch_date",
        "presented_at as tag 1 (epoch date), which the spec forbids.",
        p,
        Invalid(Error::CborUnsupportedType),
    );

    let mut p = Parts::base();
    let at = p.presented_at;
    p.presentation_payload_hook = hook(move |m| {
        let mut raw = vec![0xfb];
        raw.extend((at as f64).to_be_bytes());
        set(m, V::U(4), V::Raw(raw));
    });
    push(
        "cbor_float_time",
        "presented_at as a float, which NumericDate forbids here.",
        p,
        Invalid(Error::CborUnsupportedType),
    );

    // ---- COSE ----
    let mut p = Parts::base();
    p.presentation_bytes_hook = Some(Box::new(|mut b| {
        b[0] = 0x83; // array of 3: drop the signature
        let sig_start = b.len() - 66;
        b.truncate(sig_start);
        b
    }));
    push(
        "cose_three_elements",
        "A COSE_Sign1 of three elements.",
        p,
        Invalid(Error::CoseMalformed),
    );

    let mut p = Parts::base();
    p.presentation_bytes_hook = Some(Box::new(|mut b| {
        // signature bstr of 64 -> 63 bytes
        let at = b.len() - 65;
        b[at - 1] = 0x58;
        b[at] = 63;
        b.pop();
        b
    }));
    push(
        "cose_short_signature",
        "A 63-byte signature.",
        p,
        Invalid(Error::CoseMalformed),
    );

    let mut p = Parts::base();
    p.presentation_bytes_hook = Some(Box::new(|b| {
        let mut t = vec![0xd2];
        t.extend(b);
        t
    }));
    push(
        "cose_tagged",
        "COSE_Sign1 with tag 18: mlegit objects are untagged.",
        p,
        Invalid(Error::CborUnsupportedType),
    );

    let mut p = Parts::base();
    p.presentation_protected_hook = hook(|m| set(m, V::U(3), text("application/cbor")));
    push(
        "cose_unknown_header",
        "A content type (label 3) in the protected header.",
        p,
        Invalid(Error::CoseUnknownHeader),
    );

    let mut p = Parts::base();
    let kid = crate::scenario::device().kid();
    p.presentation_protected_hook = hook(move |m| set(m, V::U(4), V::B(kid)));
    push(
        "cose_kid_on_presentation",
        "A kid in the presentation's protected header.",
        p,
        Invalid(Error::CoseUnknownHeader),
    );

    let mut p = Parts::base();
    p.presentation_unprotected = vec![(V::U(5), V::B(vec![0; 12]))];
    push(
        "cose_unprotected_header",
        "An IV (label 5) in the unprotected header.",
        p,
        Invalid(Error::CoseUnprotectedHeader),
    );

    let mut p = Parts::base();
    p.presentation_protected_hook = hook(|m| remove(m, &V::U(1)));
    push(
        "alg_missing",
        "No alg anywhere.",
        p,
        Invalid(Error::AlgMissing),
    );

    let mut p = Parts::base();
    p.credential_protected_hook = hook(|m| remove(m, &V::U(1)));
    p.credential_unprotected = vec![(V::U(1), int(-7))];
    push(
        "alg_only_unprotected",
        "The credential's alg only in its unprotected header.",
        p,
        Invalid(Error::AlgNotProtected),
    );

    let mut p = Parts::base();
    p.presentation_protected_hook = hook(|m| set(m, V::U(1), int(-8)));
    push(
        "alg_disallowed_eddsa",
        "alg EdDSA (-8) on the presentation.",
        p,
        Invalid(Error::AlgNotAllowed),
    );

    let mut p = Parts::base();
    p.settings.accepted_algs = vec![];
    push(
        "alg_not_accepted_by_policy",
        "A verifier that accepts no algorithm.",
        p,
        Invalid(Error::AlgNotAllowed),
    );

    let mut p = Parts::base();
    p.presentation_protected_hook = hook(|m| set(m, V::U(16), text(cose::TYP_CREDENTIAL)));
    push(
        "wrong_context_string",
        "The presentation signed under the credential's typ.",
        p,
        Invalid(Error::WrongContext),
    );

    let mut p = Parts::base();
    p.credential_protected_hook = hook(|m| set(m, V::U(16), text(cose::TYP_STATUS)));
    push(
        "wrong_context_credential",
        "A status-response typ on the credential.",
        p,
        Invalid(Error::WrongContext),
    );

    let mut p = Parts::base();
    p.credential_protected_hook = hook(|m| remove(m, &V::U(4)));
    push(
        "kid_missing",
        "A credential without a kid.",
        p,
        Invalid(Error::KidMissing),
    );

    let mut p = Parts::base();
    p.issuer = issuer_unknown();
    push(
        "unknown_key_id",
        "A credential signed by a key the trust list does not hold.",
        p,
        Invalid(Error::UnknownKeyId),
    );

    let mut p = Parts::base();
    p.credential_sig = SigMode::HighS;
    push(
        "issuer_signature_high_s",
        "The issuer signature's high-S twin.",
        p,
        Invalid(Error::SignatureMalleable),
    );

    let mut p = Parts::base();
    p.presentation_sig = SigMode::HighS;
    push(
        "device_signature_high_s",
        "The device signature's high-S twin.",
        p,
        Invalid(Error::SignatureMalleable),
    );

    let mut p = Parts::base();
    let exp = p.exp;
    p.credential_tamper_hook = hook(move |m| set(m, V::U(7), V::U(exp + 365 * DAY)));
    push(
        "issuer_signature_tampered_payload",
        "exp extended by a year after the issuer signed.",
        p,
        Invalid(Error::IssuerSignatureInvalid),
    );

    let mut p = Parts::base();
    p.presenter = other_device();
    push(
        "device_signature_other_key",
        "The presentation signed by a key other than the credential's device key.",
        p,
        Invalid(Error::DeviceSignatureInvalid),
    );

    // ---- fields ----
    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| remove(m, &V::U(9)));
    push(
        "missing_field_status",
        "A credential without its status reference.",
        p,
        Invalid(Error::MissingField),
    );

    let mut p = Parts::base();
    p.presentation_payload_hook = hook(|m| m.push((V::U(7), text("x"))));
    push(
        "unknown_field",
        "A presentation payload with key 7.",
        p,
        Invalid(Error::UnknownField),
    );

    let mut p = Parts::request_bound();
    p.nonce = Some(vec![1; 8]);
    p.settings.expected_nonce = Some(vec![1; 8]);
    push(
        "invalid_field_short_nonce",
        "An 8-byte nonce (16 to 32 required).",
        p,
        Invalid(Error::InvalidField),
    );

    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| set(m, V::U(4), V::B(vec![7; 8])));
    push(
        "invalid_field_short_credential_id",
        "An 8-byte credential id.",
        p,
        Invalid(Error::InvalidField),
    );

    let mut p = Parts::base();
    p.presentation_payload_hook = hook(|m| set(m, V::U(1), V::U(2)));
    push(
        "unsupported_version_presentation",
        "Presentation version 2.",
        p,
        Invalid(Error::UnsupportedVersion),
    );

    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| set(m, V::U(1), V::U(2)));
    push(
        "unsupported_version_credential",
        "Credential version 2.",
        p,
        Invalid(Error::UnsupportedVersion),
    );

    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| set(m, V::U(2), text("org.iso.18013.5.1.mDL")));
    push(
        "wrong_doctype",
        "A credential of another document type.",
        p,
        Invalid(Error::WrongDoctype),
    );

    let mut p = Parts::base();
    let other = issuer_b().kid();
    p.credential_payload_hook = hook(move |m| set(m, V::U(3), V::B(other)));
    push(
        "kid_mismatch",
        "The payload names another issuer kid than the header.",
        p,
        Invalid(Error::KidMismatch),
    );

    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| set(m, V::U(10), int(-43)));
    push(
        "unsupported_digest_alg",
        "Digest algorithm SHA-384 (-43).",
        p,
        Invalid(Error::UnsupportedDigestAlg),
    );

    let mut p = Parts::base();
    p.digests_hook = Some(Box::new(|d| {
        d.pop();
    }));
    push(
        "digest_set_31",
        "31 digests instead of 32.",
        p,
        Invalid(Error::DigestSetInvalid),
    );

    let mut p = Parts::base();
    p.digests_hook = Some(Box::new(|d| d.swap(0, 1)));
    push(
        "digest_set_unsorted",
        "The first two digests swapped.",
        p,
        Invalid(Error::DigestSetInvalid),
    );

    let mut p = Parts::base();
    p.credential_payload_hook = hook(|m| {
        if let Some((_, V::M(key))) = m.iter_mut().find(|(k, _)| *k == V::U(8)) {
            key[3].1 = V::B(vec![0x11; 32]);
        }
    });
    push(
        "invalid_device_key",
        "A device key whose point is not on P-256.",
        p,
        Invalid(Error::InvalidDeviceKey),
    );

    // ---- time ----
    let mut p = Parts::base();
    p.trust[0].not_after = p.iat - 1;
    push(
        "issuer_key_outside_validity",
        "The issuer key's window ended a second before iat.",
        p,
        Invalid(Error::IssuerKeyNotValid),
    );

    let mut p = Parts::base();
    p.nbf = p.iat - 1;
    push(
        "invalid_validity_window",
        "nbf before iat.",
        p,
        Invalid(Error::InvalidValidityWindow),
    );

    let mut p = Parts::base();
    p.exp = p.iat + mlegit::MAX_CREDENTIAL_LIFETIME + 1;
    push(
        "credential_lifetime_too_long",
        "exp - iat one second over 400 days.",
        p,
        Invalid(Error::CredentialLifetimeTooLong),
    );

    let mut p = Parts::base();
    p.nbf = NOW - DAY;
    p.exp = u64::MAX;
    push(
        "credential_lifetime_exp_max",
        "exp = 2^64 - 1, nbf later than iat: no credential lives that long.",
        p,
        Invalid(Error::CredentialLifetimeTooLong),
    );

    let mut p = Parts::base();
    p.iat = NOW - DAY;
    p.nbf = NOW + 61;
    push(
        "credential_not_yet_valid",
        "nbf one second beyond now + skew.",
        p,
        Invalid(Error::CredentialNotYetValid),
    );

    let mut p = Parts::base();
    p.exp = NOW - 61;
    p.presented_at = NOW - 61;
    push(
        "credential_expired",
        "exp one second before now - skew.",
        p,
        Invalid(Error::CredentialExpired),
    );

    let mut p = Parts::base();
    p.presented_at = NOW + p.settings.clock_skew + 1;
    push(
        "presentation_from_future",
        "presented_at one second beyond now + skew.",
        p,
        Invalid(Error::PresentationFromFuture),
    );

    let mut p = Parts::base();
    p.presented_at = NOW - p.settings.max_age - 1;
    push(
        "presentation_too_old",
        "presented_at one second older than the maximum age.",
        p,
        Invalid(Error::PresentationTooOld),
    );

    let mut p = Parts::base();
    p.iat = NOW - 15;
    p.nbf = NOW - 15;
    p.presented_at = NOW - 20;
    push(
        "presented_before_nbf",
        "Presented five seconds before the credential's nbf.",
        p,
        Invalid(Error::PresentedOutsideValidity),
    );

    // ---- request binding ----
    let mut p = Parts::request_bound();
    p.settings.expected_nonce = Some(vec![0x42; 16]);
    push(
        "wrong_nonce",
        "The presentation answers another request's nonce.",
        p,
        Invalid(Error::NonceMismatch),
    );

    let mut p = Parts::base();
    p.settings.expected_nonce = Some(nonce());
    p.settings.expected_audience = Some(AUDIENCE.into());
    push(
        "missing_nonce",
        "The verifier expects a nonce; an offline presentation has none.",
        p,
        Invalid(Error::NonceMismatch),
    );

    let mut p = Parts::request_bound();
    p.settings.expected_audience = Some("https://other.example/verifier".into());
    push(
        "wrong_audience",
        "The presentation was made for another verifier.",
        p,
        Invalid(Error::AudienceMismatch),
    );

    // ---- disclosures ----
    let mut p = Parts::base();
    p.disclosed = vec![];
    let mut forged = Parts::base();
    forged.claims = vec![("given_names".into(), text("Zofia"))];
    let forged_bytes = forged.disclosure("given_names", &text("Zofia"));
    p.extra_sent = vec![forged_bytes];
    push(
        "tampered_claim_value",
        "given_names changed to another name, salt kept.",
        p,
        Invalid(Error::DigestMismatch),
    );

    let mut p = Parts::base();
    p.disclosed = vec![];
    let salt = vec![0u8; 16];
    p.extra_sent = vec![raw_disclosure(salt, "family_name", text("Kowalska"))];
    push(
        "wrong_salt",
        "family_name with its true value and a wrong salt.",
        p,
        Invalid(Error::DigestMismatch),
    );

    let mut p = Parts::base();
    p.disclosed = vec![];
    let mut other = Parts::base();
    other.credential_id = vec![0x99; 16];
    p.extra_sent = vec![other.disclosure("family_name", &text("Kowalska"))];
    push(
        "disclosure_from_other_credential",
        "A disclosure issued in another credential.",
        p,
        Invalid(Error::DigestMismatch),
    );

    let mut p = Parts::base();
    p.disclosed = vec!["family_name".into(), "family_name".into()];
    push(
        "duplicate_disclosure",
        "The same disclosure twice.",
        p,
        Invalid(Error::DuplicateDisclosure),
    );

    let mut p = Parts::base();
    let second = raw_disclosure(vec![0x5a; 16], "family_name", text("Nowak"));
    p.extra_issued = vec![("family_name".into(), second.clone())];
    p.disclosed = vec!["family_name".into()];
    p.extra_sent = vec![second];
    push(
        "duplicate_claim",
        "Two issued disclosures of family_name, both sent.",
        p,
        Invalid(Error::DuplicateClaim),
    );

    let mut p = Parts::base();
    let short = raw_disclosure(vec![1; 15], "family_name", text("Kowalska"));
    issue_and_send(&mut p, "family_name", short);
    push(
        "disclosure_short_salt",
        "A 15-byte salt (its digest is in the set).",
        p,
        Invalid(Error::DisclosureMalformed),
    );

    let mut p = Parts::base();
    let two = enc(&V::A(vec![V::B(vec![1; 16]), text("family_name")]));
    issue_and_send(&mut p, "family_name", two);
    push(
        "disclosure_two_elements",
        "A disclosure [salt, claim] without a value.",
        p,
        Invalid(Error::DisclosureMalformed),
    );

    let mut p = Parts::base();
    let unknown = raw_disclosure(vec![2; 16], "nickname", text("Ania"));
    issue_and_send(&mut p, "nickname", unknown);
    push(
        "unknown_claim",
        "A claim schema v1 does not define (its digest is in the set).",
        p,
        Invalid(Error::UnknownClaim),
    );

    let mut p = Parts::base();
    let bad = raw_disclosure(vec![3; 16], "pesel", text("08231412343"));
    issue_and_send(&mut p, "pesel", bad);
    push(
        "invalid_claim_pesel_checksum",
        "A PESEL whose check digit is wrong (issued and signed).",
        p,
        Invalid(Error::InvalidClaimValue),
    );

    let mut p = Parts::base();
    let bad = raw_disclosure(vec![4; 16], "age_over_18", V::Bool(false));
    issue_and_send(&mut p, "age_over_18", bad);
    push(
        "invalid_claim_age_false",
        "age_over_18 = false, which is never issued.",
        p,
        Invalid(Error::InvalidClaimValue),
    );

    let mut p = Parts::base();
    let bad = raw_disclosure(vec![5; 16], "given_names", text("Anna\u{1b}[2J"));
    issue_and_send(&mut p, "given_names", bad);
    push(
        "invalid_claim_control_character",
        "A name with an ANSI escape (a control character).",
        p,
        Invalid(Error::InvalidClaimValue),
    );

    let mut p = Parts::base();
    let bad = raw_disclosure(vec![6; 16], "family_name", text("Kowalska\u{2028}Nowak"));
    issue_and_send(&mut p, "family_name", bad);
    push(
        "invalid_claim_line_separator",
        "A family_name holding U+2028 LINE SEPARATOR (category Zl: a newline).",
        p,
        Invalid(Error::InvalidClaimValue),
    );

    let mut p = Parts::base();
    let bad = raw_disclosure(vec![7; 16], "given_names", text("Anna \u{202e}airaM"));
    issue_and_send(&mut p, "given_names", bad);
    push(
        "invalid_claim_bidi_override",
        "given_names holding U+202E RIGHT-TO-LEFT OVERRIDE, which reorders the display.",
        p,
        Invalid(Error::InvalidClaimValue),
    );

    let mut p = Parts::request_bound();
    let audience = "https://kino.example/\u{2066}verifier\u{2069}".to_string();
    p.audience = Some(audience.clone());
    p.settings.expected_audience = Some(audience);
    push(
        "invalid_field_audience_isolate",
        "An audience holding the bidirectional isolates U+2066 and U+2069.",
        p,
        Invalid(Error::InvalidField),
    );

    out
}

/// Every status vector.
pub fn status_vectors() -> Vec<Json> {
    use Expect::{Invalid, Valid};
    let mut out = Vec::new();
    let mut push = |name: &str, description: &str, parts: StatusParts, expect: Expect| {
        out.push(status(name, description, parts, expect));
    };
    push(
        "status_valid",
        "Valid, nonce echoed.",
        StatusParts::valid(),
        Valid,
    );
    for reason in mlegit::RevocationReason::ALL {
        let mut p = StatusParts::valid();
        set(&mut p.payload, V::U(3), V::U(1));
        set(&mut p.payload, V::U(4), V::U(reason.code()));
        push(
            &format!("status_revoked_{}", reason.as_str()),
            &format!("Revoked, reason {}.", reason.as_str()),
            p,
            Valid,
        );
    }
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(2));
    push("status_suspended", "Suspended.", p, Valid);
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(3));
    push("status_expired", "Past its exp.", p, Valid);
    let mut p = StatusParts::valid();
    remove(&mut p.payload, &V::U(6));
    p.expected_nonce = None;
    push(
        "status_without_nonce",
        "No nonce asked, none echoed.",
        p,
        Valid,
    );
    let mut p = StatusParts::valid();
    p.trust[0].not_after = NOW - 21;
    push(
        "status_key_past_not_after",
        "Signed by the credential's key after its not_after (it no longer issues): accepted.",
        p,
        Valid,
    );

    let mut p = StatusParts::valid();
    p.expected_credential_id = vec![0x77; 16];
    push(
        "status_other_credential",
        "A response about another credential.",
        p,
        Invalid(Error::StatusCredentialMismatch),
    );
    let mut p = StatusParts::valid();
    p.expected_nonce = Some(vec![0x42; 16]);
    push(
        "status_wrong_nonce",
        "A response echoing another nonce (replayed).",
        p,
        Invalid(Error::NonceMismatch),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(5), V::U(NOW + 61));
    push(
        "status_from_future",
        "checked_at one second beyond now + skew.",
        p,
        Invalid(Error::StatusFromFuture),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(5), V::U(NOW - 300 - 61));
    push(
        "status_stale",
        "Older than cache_for plus skew by one second.",
        p,
        Invalid(Error::StatusStale),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(1));
    set(&mut p.payload, V::U(4), V::U(1));
    p.tamper = Some(Box::new(|m: &mut Vec<(V, V)>| {
        set(m, V::U(3), V::U(0));
        remove(m, &V::U(4));
    }));
    push(
        "status_revoked_turned_valid",
        "A revoked response edited to valid after signing.",
        p,
        Invalid(Error::IssuerSignatureInvalid),
    );
    let mut p = StatusParts::valid();
    p.sig = SigMode::HighS;
    push(
        "status_high_s",
        "The status signature's high-S twin.",
        p,
        Invalid(Error::SignatureMalleable),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(1));
    push(
        "status_revoked_without_reason",
        "Revoked with no reason.",
        p,
        Invalid(Error::InvalidField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(4), V::U(2));
    push(
        "status_valid_with_reason",
        "Valid with a revocation reason.",
        p,
        Invalid(Error::InvalidField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(7), V::U(86_401));
    push(
        "status_cache_over_a_day",
        "cache_for over 86400 s.",
        p,
        Invalid(Error::InvalidField),
    );
    // The order of F3-F5 and Q1-Q2 (spec §9.2): field rules first, then the ranges.
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(7));
    p.payload.push((V::U(8), V::U(0)));
    push(
        "status_unknown_value_and_unknown_key",
        "status 7 and an unknown key 8: F3 (unknown key) comes before Q1 (status range).",
        p,
        Invalid(Error::UnknownField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(7));
    push(
        "status_unknown_value",
        "status 7, a uint outside 0..=3: Q1.",
        p,
        Invalid(Error::InvalidField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(1));
    set(&mut p.payload, V::U(4), V::U(9));
    remove(&mut p.payload, &V::U(7));
    push(
        "status_unknown_reason_without_cache_for",
        "Revoked with reason 9 and no cache_for: F5 (missing key) comes before Q1 (reason range).",
        p,
        Invalid(Error::MissingField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), V::U(1));
    set(&mut p.payload, V::U(4), V::U(9));
    push(
        "status_unknown_reason",
        "Revoked with reason 9, outside 1..=4: Q1.",
        p,
        Invalid(Error::InvalidField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(3), text("valid"));
    p.payload.push((V::U(8), V::U(0)));
    push(
        "status_text_and_unknown_key",
        "status as a text string and an unknown key 8: F4 on key 3 comes before F3 on key 8.",
        p,
        Invalid(Error::InvalidField),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(7), V::U(86_401));
    p.payload.push((V::U(8), V::U(0)));
    push(
        "status_cache_over_a_day_and_unknown_key",
        "cache_for 86401 and an unknown key 8: F3 comes before Q2.",
        p,
        Invalid(Error::UnknownField),
    );
    let mut p = StatusParts::valid();
    p.issuer = issuer_b();
    p.trust.push(TrustEntry {
        key: issuer_b(),
        not_before: NOW - 400 * DAY,
        not_after: NOW + 400 * DAY,
    });
    set(&mut p.protected, V::U(4), V::B(issuer_b().kid()));
    push(
        "status_key_mismatch",
        "Signed by issuer B, trusted, about a credential that issuer A signed.",
        p,
        Invalid(Error::StatusKeyMismatch),
    );
    let mut p = StatusParts::valid();
    p.issuer = issuer_unknown();
    let kid = issuer_unknown().kid();
    set(&mut p.protected, V::U(4), V::B(kid));
    push(
        "status_unknown_key",
        "Signed by a key the trust list does not hold.",
        p,
        Invalid(Error::UnknownKeyId),
    );
    let mut p = StatusParts::valid();
    set(&mut p.protected, V::U(16), text(cose::TYP_CREDENTIAL));
    push(
        "status_wrong_context",
        "A status response under the credential typ.",
        p,
        Invalid(Error::WrongContext),
    );
    let mut p = StatusParts::valid();
    set(&mut p.payload, V::U(1), V::U(2));
    push(
        "status_unsupported_version",
        "Status version 2.",
        p,
        Invalid(Error::UnsupportedVersion),
    );
    let mut p = StatusParts::valid();
    p.max_input_size = 64;
    push(
        "status_input_too_large",
        "A response over a 64-byte cap.",
        p,
        Invalid(Error::InputTooLarge),
    );
    let mut p = StatusParts::valid();
    p.trust = vec![TrustEntry {
        key: issuer_b(),
        not_before: 0,
        not_after: NOW + DAY,
    }];
    push(
        "status_trust_list_without_signer",
        "Trust list holds only another key.",
        p,
        Invalid(Error::UnknownKeyId),
    );
    out
}
