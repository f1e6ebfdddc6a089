//! The vectors as data: one [`Case`] row each (name, description, base scenario, the
//! change that makes it, declared outcome), every positive one first, then one or more
//! negative ones for every error code. One function per file turns rows into JSON.

use mlegit::{Error, Signer, cose};
use serde_json::{Map, Value as Json, json};

use crate::cbor::{V, enc, int, remove, set, text};
use crate::scenario::{
    AUDIENCE, DAY, Key, NOW, Parts, SigMode, StatusParts, TrustEntry, issuer_a, issuer_b,
    issuer_unknown, nonce, other_device,
};

/// The outcome a vector declares.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Accepted, with the disclosed claims the parts imply.
    Valid,
    /// Rejected for this reason.
    Invalid(Error),
}

use Expect::{Invalid, Valid};

/// One vector as data: its name and description, the scenario it starts from, the
/// change that makes it (a positive edge or one defect), and the outcome it declares.
/// The generator checks each declared outcome against the Rust verifier as it writes it.
pub struct Case<P> {
    /// The vector's name (unique in its file).
    pub name: &'static str,
    /// One sentence: what is special about it.
    pub description: &'static str,
    /// The scenario it starts from.
    pub base: fn() -> P,
    /// The change to the scenario.
    pub mutate: fn(&mut P),
    /// The declared outcome.
    pub expect: Expect,
}

impl<P> Case<P> {
    /// The scenario with the change made.
    pub fn parts(&self) -> P {
        let mut p = (self.base)();
        (self.mutate)(&mut p);
        p
    }
}

/// The change of a vector that is its scenario as it is.
fn keep<P>(_: &mut P) {}

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

const PRESENTATION_CASES: &[Case<Parts>] = &[
    // ---- positive ----
    Case {
        name: "minimal_age_over_18",
        description: "Minimal disclosure: age_over_18 only, offline.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec!["age_over_18".into()];
        },
        expect: Valid,
    },
    Case {
        name: "typical_names_portrait",
        description: "Typical: given names, family name and a 2048-byte portrait, offline.",
        base: Parts::typical,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "all_claims",
        description: "Every claim of schema v1 disclosed (16 claims).",
        base: Parts::typical,
        mutate: |p| {
            p.disclosed = all_claim_names(p);
        },
        expect: Valid,
    },
    Case {
        name: "request_bound",
        description: "Answering a request: nonce and audience signed and expected.",
        base: Parts::request_bound,
        mutate: |p| {
            p.claims = crate::scenario::student_claims(Some(2048));
            p.disclosed = vec![
                "given_names".into(),
                "age_over_18".into(),
                "portrait".into(),
            ];
        },
        expect: Valid,
    },
    Case {
        name: "offline_timestamp_only",
        description: "Offline: no request, only presented_at limits replay.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec!["family_name".into(), "school_name".into()];
        },
        expect: Valid,
    },
    Case {
        name: "presented_at_skew_edge",
        description: "presented_at exactly now + clock skew: accepted.",
        base: Parts::base,
        mutate: |p| {
            p.presented_at = NOW + p.settings.clock_skew;
        },
        expect: Valid,
    },
    Case {
        name: "presented_at_max_age_edge",
        description: "presented_at exactly now - max age: accepted.",
        base: Parts::base,
        mutate: |p| {
            p.presented_at = NOW - p.settings.max_age;
        },
        expect: Valid,
    },
    Case {
        name: "not_before_skew_edge",
        description: "nbf exactly now + skew (presented at nbf): accepted.",
        base: Parts::base,
        mutate: |p| {
            p.nbf = NOW + 60;
            p.iat = NOW - DAY;
            p.presented_at = NOW + 60;
            p.settings.now = NOW;
        },
        expect: Valid,
    },
    Case {
        name: "expiry_skew_edge",
        description: "exp exactly now - skew (presented at exp): accepted.",
        base: Parts::base,
        mutate: |p| {
            p.exp = NOW - 60;
            p.presented_at = NOW - 60;
        },
        expect: Valid,
    },
    Case {
        name: "credential_lifetime_edge",
        description: "exp - iat exactly 400 days, nbf later than iat: accepted.",
        base: Parts::base,
        mutate: |p| {
            p.nbf = NOW - DAY;
            p.exp = p.iat + mlegit::MAX_CREDENTIAL_LIFETIME;
        },
        expect: Valid,
    },
    Case {
        name: "key_rotation_new_key",
        description: "Two issuer keys trusted; the credential is signed by the new one.",
        base: Parts::base,
        mutate: |p| {
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
        },
        expect: Valid,
    },
    Case {
        name: "key_rotation_retired_key",
        description: "Signed by the retired key while it was valid (iat inside its window): accepted.",
        base: Parts::base,
        mutate: |p| {
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
        },
        expect: Valid,
    },
    Case {
        name: "text_format_characters",
        description: "Names with a soft hyphen and a zero-width joiner (format characters): accepted.",
        base: Parts::base,
        mutate: |p| {
            p.claims[0].1 = text("Nowak\u{ad}Kowalska");
            p.claims[1].1 = text("Anna\u{200d}Maria");
        },
        expect: Valid,
    },
    Case {
        name: "no_claims",
        description: "A presentation that discloses nothing proves possession and validity only.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec![];
        },
        expect: Valid,
    },
    // ---- size and CBOR ----
    Case {
        name: "input_too_large",
        description: "Presentation over the verifier's 2000-byte cap (2 KiB portrait).",
        base: Parts::typical,
        mutate: |p| {
            p.settings.max_input_size = 2000;
        },
        expect: Invalid(Error::InputTooLarge),
    },
    Case {
        name: "cbor_truncated",
        description: "The last byte of the presentation is missing.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_bytes_hook = Some(Box::new(|mut b| {
                b.pop();
                b
            }));
        },
        expect: Invalid(Error::CborMalformed),
    },
    Case {
        name: "cbor_trailing_bytes",
        description: "A zero byte after the presentation.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_bytes_hook = Some(Box::new(|mut b| {
                b.push(0);
                b
            }));
        },
        expect: Invalid(Error::CborTrailingBytes),
    },
    Case {
        name: "cbor_indefinite_length",
        description: "The disclosures array in indefinite-length form (re-signed).",
        base: Parts::base,
        mutate: |p| {
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
        },
        expect: Invalid(Error::CborIndefiniteLength),
    },
    Case {
        name: "cbor_non_shortest_integer",
        description: "presented_at in 8 bytes where 4 suffice (re-signed).",
        base: Parts::base,
        mutate: |p| {
            let at = p.presented_at;
            p.presentation_payload_hook = hook(move |m| {
                let mut raw = vec![0x1b];
                raw.extend(at.to_be_bytes());
                set(m, V::U(4), V::Raw(raw));
            });
        },
        expect: Invalid(Error::CborNonShortest),
    },
    Case {
        name: "cbor_duplicate_map_key",
        description: "presented_at twice in the payload map (re-signed).",
        base: Parts::base,
        mutate: |p| {
            let at = p.presented_at;
            p.presentation_payload_hook = hook(move |m| m.push((V::U(4), V::U(at))));
        },
        expect: Invalid(Error::CborDuplicateKey),
    },
    Case {
        name: "cbor_unsorted_map_keys",
        description: "Payload keys in the order 1, 2, 4, 3 (re-signed).",
        base: Parts::base,
        mutate: |p| {
            p.presentation_payload_hook = hook(|m| m.swap(2, 3));
        },
        expect: Invalid(Error::CborUnsortedKeys),
    },
    Case {
        name: "cbor_depth_exceeded",
        description: "A payload entry nested ten levels deep (re-signed).",
        base: Parts::base,
        mutate: |p| {
            p.presentation_payload_hook = hook(|m| {
                let mut deep = V::U(0);
                for _ in 0..9 {
                    deep = V::A(vec![deep]);
                }
                m.push((V::U(7), deep));
            });
        },
        expect: Invalid(Error::CborDepthExceeded),
    },
    Case {
        name: "cbor_tag_epoch_date",
        description: "presented_at as tag 1 (epoch date), which the spec forbids.",
        base: Parts::base,
        mutate: |p| {
            let at = p.presented_at;
            p.presentation_payload_hook = hook(move |m| {
                let mut raw = vec![0xc1, 0x1a];
                raw.extend((at as u32).to_be_bytes());
                set(m, V::U(4), V::Raw(raw));
            });
        },
        expect: Invalid(Error::CborUnsupportedType),
    },
    Case {
        name: "cbor_float_time",
        description: "presented_at as a float, which NumericDate forbids here.",
        base: Parts::base,
        mutate: |p| {
            let at = p.presented_at;
            p.presentation_payload_hook = hook(move |m| {
                let mut raw = vec![0xfb];
                raw.extend((at as f64).to_be_bytes());
                set(m, V::U(4), V::Raw(raw));
            });
        },
        expect: Invalid(Error::CborUnsupportedType),
    },
    // ---- COSE ----
    Case {
        name: "cose_three_elements",
        description: "A COSE_Sign1 of three elements.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_bytes_hook = Some(Box::new(|mut b| {
                b[0] = 0x83; // array of 3: drop the signature
                let sig_start = b.len() - 66;
                b.truncate(sig_start);
                b
            }));
        },
        expect: Invalid(Error::CoseMalformed),
    },
    // signature bstr of 64 -> 63 bytes
    Case {
        name: "cose_short_signature",
        description: "A 63-byte signature.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_bytes_hook = Some(Box::new(|mut b| {
                let at = b.len() - 65;
                b[at - 1] = 0x58;
                b[at] = 63;
                b.pop();
                b
            }));
        },
        expect: Invalid(Error::CoseMalformed),
    },
    Case {
        name: "cose_tagged",
        description: "COSE_Sign1 with tag 18: mlegit objects are untagged.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_bytes_hook = Some(Box::new(|b| {
                let mut t = vec![0xd2];
                t.extend(b);
                t
            }));
        },
        expect: Invalid(Error::CborUnsupportedType),
    },
    Case {
        name: "cose_unknown_header",
        description: "A content type (label 3) in the protected header.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_protected_hook = hook(|m| set(m, V::U(3), text("application/cbor")));
        },
        expect: Invalid(Error::CoseUnknownHeader),
    },
    Case {
        name: "cose_kid_on_presentation",
        description: "A kid in the presentation's protected header.",
        base: Parts::base,
        mutate: |p| {
            let kid = crate::scenario::device().kid();
            p.presentation_protected_hook = hook(move |m| set(m, V::U(4), V::B(kid)));
        },
        expect: Invalid(Error::CoseUnknownHeader),
    },
    Case {
        name: "cose_unprotected_header",
        description: "An IV (label 5) in the unprotected header.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_unprotected = vec![(V::U(5), V::B(vec![0; 12]))];
        },
        expect: Invalid(Error::CoseUnprotectedHeader),
    },
    Case {
        name: "alg_missing",
        description: "No alg anywhere.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_protected_hook = hook(|m| remove(m, &V::U(1)));
        },
        expect: Invalid(Error::AlgMissing),
    },
    Case {
        name: "alg_only_unprotected",
        description: "The credential's alg only in its unprotected header.",
        base: Parts::base,
        mutate: |p| {
            p.credential_protected_hook = hook(|m| remove(m, &V::U(1)));
            p.credential_unprotected = vec![(V::U(1), int(-7))];
        },
        expect: Invalid(Error::AlgNotProtected),
    },
    Case {
        name: "alg_disallowed_eddsa",
        description: "alg EdDSA (-8) on the presentation.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_protected_hook = hook(|m| set(m, V::U(1), int(-8)));
        },
        expect: Invalid(Error::AlgNotAllowed),
    },
    Case {
        name: "alg_not_accepted_by_policy",
        description: "A verifier that accepts no algorithm.",
        base: Parts::base,
        mutate: |p| {
            p.settings.accepted_algs = vec![];
        },
        expect: Invalid(Error::AlgNotAllowed),
    },
    Case {
        name: "wrong_context_string",
        description: "The presentation signed under the credential's typ.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_protected_hook = hook(|m| set(m, V::U(16), text(cose::TYP_CREDENTIAL)));
        },
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "wrong_context_credential",
        description: "A status-response typ on the credential.",
        base: Parts::base,
        mutate: |p| {
            p.credential_protected_hook = hook(|m| set(m, V::U(16), text(cose::TYP_STATUS)));
        },
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "kid_missing",
        description: "A credential without a kid.",
        base: Parts::base,
        mutate: |p| {
            p.credential_protected_hook = hook(|m| remove(m, &V::U(4)));
        },
        expect: Invalid(Error::KidMissing),
    },
    Case {
        name: "unknown_key_id",
        description: "A credential signed by a key the trust list does not hold.",
        base: Parts::base,
        mutate: |p| {
            p.issuer = issuer_unknown();
        },
        expect: Invalid(Error::UnknownKeyId),
    },
    Case {
        name: "issuer_signature_high_s",
        description: "The issuer signature's high-S twin.",
        base: Parts::base,
        mutate: |p| {
            p.credential_sig = SigMode::HighS;
        },
        expect: Invalid(Error::SignatureMalleable),
    },
    Case {
        name: "device_signature_high_s",
        description: "The device signature's high-S twin.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_sig = SigMode::HighS;
        },
        expect: Invalid(Error::SignatureMalleable),
    },
    Case {
        name: "issuer_signature_tampered_payload",
        description: "exp extended by a year after the issuer signed.",
        base: Parts::base,
        mutate: |p| {
            let exp = p.exp;
            p.credential_tamper_hook = hook(move |m| set(m, V::U(7), V::U(exp + 365 * DAY)));
        },
        expect: Invalid(Error::IssuerSignatureInvalid),
    },
    Case {
        name: "device_signature_other_key",
        description: "The presentation signed by a key other than the credential's device key.",
        base: Parts::base,
        mutate: |p| {
            p.presenter = other_device();
        },
        expect: Invalid(Error::DeviceSignatureInvalid),
    },
    // ---- fields ----
    Case {
        name: "missing_field_status",
        description: "A credential without its status reference.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| remove(m, &V::U(9)));
        },
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "unknown_field",
        description: "A presentation payload with key 7.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_payload_hook = hook(|m| m.push((V::U(7), text("x"))));
        },
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "invalid_field_short_nonce",
        description: "An 8-byte nonce (16 to 32 required).",
        base: Parts::request_bound,
        mutate: |p| {
            p.nonce = Some(vec![1; 8]);
            p.settings.expected_nonce = Some(vec![1; 8]);
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "invalid_field_short_credential_id",
        description: "An 8-byte credential id.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| set(m, V::U(4), V::B(vec![7; 8])));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "unsupported_version_presentation",
        description: "Presentation version 2.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_payload_hook = hook(|m| set(m, V::U(1), V::U(2)));
        },
        expect: Invalid(Error::UnsupportedVersion),
    },
    Case {
        name: "unsupported_version_credential",
        description: "Credential version 2.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| set(m, V::U(1), V::U(2)));
        },
        expect: Invalid(Error::UnsupportedVersion),
    },
    Case {
        name: "wrong_doctype",
        description: "A credential of another document type.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| set(m, V::U(2), text("org.iso.18013.5.1.mDL")));
        },
        expect: Invalid(Error::WrongDoctype),
    },
    Case {
        name: "kid_mismatch",
        description: "The payload names another issuer kid than the header.",
        base: Parts::base,
        mutate: |p| {
            let other = issuer_b().kid();
            p.credential_payload_hook = hook(move |m| set(m, V::U(3), V::B(other)));
        },
        expect: Invalid(Error::KidMismatch),
    },
    Case {
        name: "unsupported_digest_alg",
        description: "Digest algorithm SHA-384 (-43).",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| set(m, V::U(10), int(-43)));
        },
        expect: Invalid(Error::UnsupportedDigestAlg),
    },
    Case {
        name: "digest_set_31",
        description: "31 digests instead of 32.",
        base: Parts::base,
        mutate: |p| {
            p.digests_hook = Some(Box::new(|d| {
                d.pop();
            }));
        },
        expect: Invalid(Error::DigestSetInvalid),
    },
    Case {
        name: "digest_set_unsorted",
        description: "The first two digests swapped.",
        base: Parts::base,
        mutate: |p| {
            p.digests_hook = Some(Box::new(|d| d.swap(0, 1)));
        },
        expect: Invalid(Error::DigestSetInvalid),
    },
    Case {
        name: "invalid_device_key",
        description: "A device key whose point is not on P-256.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| {
                if let Some((_, V::M(key))) = m.iter_mut().find(|(k, _)| *k == V::U(8)) {
                    key[3].1 = V::B(vec![0x11; 32]);
                }
            });
        },
        expect: Invalid(Error::InvalidDeviceKey),
    },
    // ---- time ----
    Case {
        name: "issuer_key_outside_validity",
        description: "The issuer key's window ended a second before iat.",
        base: Parts::base,
        mutate: |p| {
            p.trust[0].not_after = p.iat - 1;
        },
        expect: Invalid(Error::IssuerKeyNotValid),
    },
    Case {
        name: "invalid_validity_window",
        description: "nbf before iat.",
        base: Parts::base,
        mutate: |p| {
            p.nbf = p.iat - 1;
        },
        expect: Invalid(Error::InvalidValidityWindow),
    },
    Case {
        name: "credential_lifetime_too_long",
        description: "exp - iat one second over 400 days.",
        base: Parts::base,
        mutate: |p| {
            p.exp = p.iat + mlegit::MAX_CREDENTIAL_LIFETIME + 1;
        },
        expect: Invalid(Error::CredentialLifetimeTooLong),
    },
    Case {
        name: "credential_lifetime_exp_max",
        description: "exp = 2^64 - 1, nbf later than iat: no credential lives that long.",
        base: Parts::base,
        mutate: |p| {
            p.nbf = NOW - DAY;
            p.exp = u64::MAX;
        },
        expect: Invalid(Error::CredentialLifetimeTooLong),
    },
    Case {
        name: "credential_not_yet_valid",
        description: "nbf one second beyond now + skew.",
        base: Parts::base,
        mutate: |p| {
            p.iat = NOW - DAY;
            p.nbf = NOW + 61;
        },
        expect: Invalid(Error::CredentialNotYetValid),
    },
    Case {
        name: "credential_expired",
        description: "exp one second before now - skew.",
        base: Parts::base,
        mutate: |p| {
            p.exp = NOW - 61;
            p.presented_at = NOW - 61;
        },
        expect: Invalid(Error::CredentialExpired),
    },
    Case {
        name: "presentation_from_future",
        description: "presented_at one second beyond now + skew.",
        base: Parts::base,
        mutate: |p| {
            p.presented_at = NOW + p.settings.clock_skew + 1;
        },
        expect: Invalid(Error::PresentationFromFuture),
    },
    Case {
        name: "presentation_too_old",
        description: "presented_at one second older than the maximum age.",
        base: Parts::base,
        mutate: |p| {
            p.presented_at = NOW - p.settings.max_age - 1;
        },
        expect: Invalid(Error::PresentationTooOld),
    },
    Case {
        name: "presented_before_nbf",
        description: "Presented five seconds before the credential's nbf.",
        base: Parts::base,
        mutate: |p| {
            p.iat = NOW - 15;
            p.nbf = NOW - 15;
            p.presented_at = NOW - 20;
        },
        expect: Invalid(Error::PresentedOutsideValidity),
    },
    // ---- request binding ----
    Case {
        name: "wrong_nonce",
        description: "The presentation answers another request's nonce.",
        base: Parts::request_bound,
        mutate: |p| {
            p.settings.expected_nonce = Some(vec![0x42; 16]);
        },
        expect: Invalid(Error::NonceMismatch),
    },
    Case {
        name: "missing_nonce",
        description: "The verifier expects a nonce; an offline presentation has none.",
        base: Parts::base,
        mutate: |p| {
            p.settings.expected_nonce = Some(nonce());
            p.settings.expected_audience = Some(AUDIENCE.into());
        },
        expect: Invalid(Error::NonceMismatch),
    },
    Case {
        name: "wrong_audience",
        description: "The presentation was made for another verifier.",
        base: Parts::request_bound,
        mutate: |p| {
            p.settings.expected_audience = Some("https://other.example/verifier".into());
        },
        expect: Invalid(Error::AudienceMismatch),
    },
    // ---- disclosures ----
    Case {
        name: "tampered_claim_value",
        description: "given_names changed to another name, salt kept.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec![];
            let mut forged = Parts::base();
            forged.claims = vec![("given_names".into(), text("Zofia"))];
            let forged_bytes = forged.disclosure("given_names", &text("Zofia"));
            p.extra_sent = vec![forged_bytes];
        },
        expect: Invalid(Error::DigestMismatch),
    },
    Case {
        name: "wrong_salt",
        description: "family_name with its true value and a wrong salt.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec![];
            let salt = vec![0u8; 16];
            p.extra_sent = vec![raw_disclosure(salt, "family_name", text("Kowalska"))];
        },
        expect: Invalid(Error::DigestMismatch),
    },
    Case {
        name: "disclosure_from_other_credential",
        description: "A disclosure issued in another credential.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec![];
            let mut other = Parts::base();
            other.credential_id = vec![0x99; 16];
            p.extra_sent = vec![other.disclosure("family_name", &text("Kowalska"))];
        },
        expect: Invalid(Error::DigestMismatch),
    },
    Case {
        name: "duplicate_disclosure",
        description: "The same disclosure twice.",
        base: Parts::base,
        mutate: |p| {
            p.disclosed = vec!["family_name".into(), "family_name".into()];
        },
        expect: Invalid(Error::DuplicateDisclosure),
    },
    Case {
        name: "duplicate_claim",
        description: "Two issued disclosures of family_name, both sent.",
        base: Parts::base,
        mutate: |p| {
            let second = raw_disclosure(vec![0x5a; 16], "family_name", text("Nowak"));
            p.extra_issued = vec![("family_name".into(), second.clone())];
            p.disclosed = vec!["family_name".into()];
            p.extra_sent = vec![second];
        },
        expect: Invalid(Error::DuplicateClaim),
    },
    Case {
        name: "disclosure_short_salt",
        description: "A 15-byte salt (its digest is in the set).",
        base: Parts::base,
        mutate: |p| {
            let short = raw_disclosure(vec![1; 15], "family_name", text("Kowalska"));
            issue_and_send(p, "family_name", short);
        },
        expect: Invalid(Error::DisclosureMalformed),
    },
    Case {
        name: "disclosure_two_elements",
        description: "A disclosure [salt, claim] without a value.",
        base: Parts::base,
        mutate: |p| {
            let two = enc(&V::A(vec![V::B(vec![1; 16]), text("family_name")]));
            issue_and_send(p, "family_name", two);
        },
        expect: Invalid(Error::DisclosureMalformed),
    },
    Case {
        name: "unknown_claim",
        description: "A claim schema v1 does not define (its digest is in the set).",
        base: Parts::base,
        mutate: |p| {
            let unknown = raw_disclosure(vec![2; 16], "nickname", text("Ania"));
            issue_and_send(p, "nickname", unknown);
        },
        expect: Invalid(Error::UnknownClaim),
    },
    Case {
        name: "invalid_claim_pesel_checksum",
        description: "A PESEL whose check digit is wrong (issued and signed).",
        base: Parts::base,
        mutate: |p| {
            let bad = raw_disclosure(vec![3; 16], "pesel", text("08231412343"));
            issue_and_send(p, "pesel", bad);
        },
        expect: Invalid(Error::InvalidClaimValue),
    },
    Case {
        name: "invalid_claim_age_false",
        description: "age_over_18 = false, which is never issued.",
        base: Parts::base,
        mutate: |p| {
            let bad = raw_disclosure(vec![4; 16], "age_over_18", V::Bool(false));
            issue_and_send(p, "age_over_18", bad);
        },
        expect: Invalid(Error::InvalidClaimValue),
    },
    Case {
        name: "invalid_claim_control_character",
        description: "A name with an ANSI escape (a control character).",
        base: Parts::base,
        mutate: |p| {
            let bad = raw_disclosure(vec![5; 16], "given_names", text("Anna\u{1b}[2J"));
            issue_and_send(p, "given_names", bad);
        },
        expect: Invalid(Error::InvalidClaimValue),
    },
    Case {
        name: "invalid_claim_line_separator",
        description: "A family_name holding U+2028 LINE SEPARATOR (category Zl: a newline).",
        base: Parts::base,
        mutate: |p| {
            let bad = raw_disclosure(vec![6; 16], "family_name", text("Kowalska\u{2028}Nowak"));
            issue_and_send(p, "family_name", bad);
        },
        expect: Invalid(Error::InvalidClaimValue),
    },
    Case {
        name: "invalid_claim_bidi_override",
        description: "given_names holding U+202E RIGHT-TO-LEFT OVERRIDE, which reorders the display.",
        base: Parts::base,
        mutate: |p| {
            let bad = raw_disclosure(vec![7; 16], "given_names", text("Anna \u{202e}airaM"));
            issue_and_send(p, "given_names", bad);
        },
        expect: Invalid(Error::InvalidClaimValue),
    },
    Case {
        name: "invalid_field_audience_isolate",
        description: "An audience holding the bidirectional isolates U+2066 and U+2069.",
        base: Parts::request_bound,
        mutate: |p| {
            let audience = "https://kino.example/\u{2066}verifier\u{2069}".to_string();
            p.audience = Some(audience.clone());
            p.settings.expected_audience = Some(audience);
        },
        expect: Invalid(Error::InvalidField),
    },
];

/// Every presentation vector: one row of [`PRESENTATION_CASES`] each.
pub fn presentation_vectors() -> Vec<Json> {
    PRESENTATION_CASES
        .iter()
        .map(|c| presentation(c.name, c.description, c.parts(), c.expect))
        .collect()
}

const STATUS_CASES: &[Case<StatusParts>] = &[
    Case {
        name: "status_valid",
        description: "Valid, nonce echoed.",
        base: StatusParts::valid,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "status_suspended",
        description: "Suspended.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(2));
        },
        expect: Valid,
    },
    Case {
        name: "status_expired",
        description: "Past its exp.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(3));
        },
        expect: Valid,
    },
    Case {
        name: "status_without_nonce",
        description: "No nonce asked, none echoed.",
        base: StatusParts::valid,
        mutate: |p| {
            remove(&mut p.payload, &V::U(6));
            p.expected_nonce = None;
        },
        expect: Valid,
    },
    Case {
        name: "status_key_past_not_after",
        description: "Signed by the credential's key after its not_after (it no longer issues): accepted.",
        base: StatusParts::valid,
        mutate: |p| {
            p.trust[0].not_after = NOW - 21;
        },
        expect: Valid,
    },
    Case {
        name: "status_other_credential",
        description: "A response about another credential.",
        base: StatusParts::valid,
        mutate: |p| {
            p.expected_credential_id = vec![0x77; 16];
        },
        expect: Invalid(Error::StatusCredentialMismatch),
    },
    Case {
        name: "status_wrong_nonce",
        description: "A response echoing another nonce (replayed).",
        base: StatusParts::valid,
        mutate: |p| {
            p.expected_nonce = Some(vec![0x42; 16]);
        },
        expect: Invalid(Error::NonceMismatch),
    },
    Case {
        name: "status_from_future",
        description: "checked_at one second beyond now + skew.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(5), V::U(NOW + 61));
        },
        expect: Invalid(Error::StatusFromFuture),
    },
    Case {
        name: "status_stale",
        description: "Older than cache_for plus skew by one second.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(5), V::U(NOW - 300 - 61));
        },
        expect: Invalid(Error::StatusStale),
    },
    Case {
        name: "status_revoked_turned_valid",
        description: "A revoked response edited to valid after signing.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(1));
            set(&mut p.payload, V::U(4), V::U(1));
            p.tamper = Some(Box::new(|m: &mut Vec<(V, V)>| {
                set(m, V::U(3), V::U(0));
                remove(m, &V::U(4));
            }));
        },
        expect: Invalid(Error::IssuerSignatureInvalid),
    },
    Case {
        name: "status_high_s",
        description: "The status signature's high-S twin.",
        base: StatusParts::valid,
        mutate: |p| {
            p.sig = SigMode::HighS;
        },
        expect: Invalid(Error::SignatureMalleable),
    },
    Case {
        name: "status_revoked_without_reason",
        description: "Revoked with no reason.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(1));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "status_valid_with_reason",
        description: "Valid with a revocation reason.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(4), V::U(2));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "status_cache_over_a_day",
        description: "cache_for over 86400 s.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(7), V::U(86_401));
        },
        expect: Invalid(Error::InvalidField),
    },
    // The order of F3-F5 and Q1-Q2 (spec §9.2): field rules first, then the ranges.
    Case {
        name: "status_unknown_value_and_unknown_key",
        description: "status 7 and an unknown key 8: F3 (unknown key) comes before Q1 (status range).",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(7));
            p.payload.push((V::U(8), V::U(0)));
        },
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "status_unknown_value",
        description: "status 7, a uint outside 0..=3: Q1.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(7));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "status_unknown_reason_without_cache_for",
        description: "Revoked with reason 9 and no cache_for: F5 (missing key) comes before Q1 (reason range).",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(1));
            set(&mut p.payload, V::U(4), V::U(9));
            remove(&mut p.payload, &V::U(7));
        },
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "status_unknown_reason",
        description: "Revoked with reason 9, outside 1..=4: Q1.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), V::U(1));
            set(&mut p.payload, V::U(4), V::U(9));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "status_text_and_unknown_key",
        description: "status as a text string and an unknown key 8: F4 on key 3 comes before F3 on key 8.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(3), text("valid"));
            p.payload.push((V::U(8), V::U(0)));
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "status_cache_over_a_day_and_unknown_key",
        description: "cache_for 86401 and an unknown key 8: F3 comes before Q2.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(7), V::U(86_401));
            p.payload.push((V::U(8), V::U(0)));
        },
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "status_key_mismatch",
        description: "Signed by issuer B, trusted, about a credential that issuer A signed.",
        base: StatusParts::valid,
        mutate: |p| {
            p.issuer = issuer_b();
            p.trust.push(TrustEntry {
                key: issuer_b(),
                not_before: NOW - 400 * DAY,
                not_after: NOW + 400 * DAY,
            });
            set(&mut p.protected, V::U(4), V::B(issuer_b().kid()));
        },
        expect: Invalid(Error::StatusKeyMismatch),
    },
    Case {
        name: "status_unknown_key",
        description: "Signed by a key the trust list does not hold.",
        base: StatusParts::valid,
        mutate: |p| {
            p.issuer = issuer_unknown();
            let kid = issuer_unknown().kid();
            set(&mut p.protected, V::U(4), V::B(kid));
        },
        expect: Invalid(Error::UnknownKeyId),
    },
    Case {
        name: "status_wrong_context",
        description: "A status response under the credential typ.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.protected, V::U(16), text(cose::TYP_CREDENTIAL));
        },
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "status_unsupported_version",
        description: "Status version 2.",
        base: StatusParts::valid,
        mutate: |p| {
            set(&mut p.payload, V::U(1), V::U(2));
        },
        expect: Invalid(Error::UnsupportedVersion),
    },
    Case {
        name: "status_input_too_large",
        description: "A response over a 64-byte cap.",
        base: StatusParts::valid,
        mutate: |p| {
            p.max_input_size = 64;
        },
        expect: Invalid(Error::InputTooLarge),
    },
    Case {
        name: "status_trust_list_without_signer",
        description: "Trust list holds only another key.",
        base: StatusParts::valid,
        mutate: |p| {
            p.trust = vec![TrustEntry {
                key: issuer_b(),
                not_before: 0,
                not_after: NOW + DAY,
            }];
        },
        expect: Invalid(Error::UnknownKeyId),
    },
];

/// Every status vector: the first row of [`STATUS_CASES`], one revoked response per
/// reason of the registry (spec §9.1), then the other rows.
pub fn status_vectors() -> Vec<Json> {
    let (first, rest) = STATUS_CASES.split_at(1);
    let revoked = mlegit::RevocationReason::ALL.iter().map(|reason| {
        let mut p = StatusParts::valid();
        set(&mut p.payload, V::U(3), V::U(1));
        set(&mut p.payload, V::U(4), V::U(reason.code()));
        status(
            &format!("status_revoked_{}", reason.as_str()),
            &format!("Revoked, reason {}.", reason.as_str()),
            p,
            Valid,
        )
    });
    let row = |c: &Case<StatusParts>| status(c.name, c.description, c.parts(), c.expect);
    first
        .iter()
        .map(row)
        .chain(revoked)
        .chain(rest.iter().map(row))
        .collect()
}
