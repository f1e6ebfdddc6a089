//! The vectors as data: one [`Case`] row each (name, description, base scenario, the
//! change that makes it, declared outcome), every positive one first, then one or more
//! negative ones for every error code. One function per file turns rows into JSON.

use mlegit::{Error, Signer, cose};
use serde_json::{Map, Value as Json, json};

use crate::cbor::{V, enc, int, remove, set, text};
use crate::scenario::{
    AUDIENCE, DAY, Key, LIST_URI, ListParts, NOW, Parts, RequestParts, ResponseParts, SigMode,
    TrustEntry, authority_a, authority_b, authority_unknown, issuer_a, issuer_b, issuer_unknown,
    nonce, other_device, verifier_other,
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

/// The bytes of the presentation vector `request_bound`: what the valid response seals.
pub fn request_bound_presentation() -> Vec<u8> {
    let case = PRESENTATION_CASES
        .iter()
        .find(|c| c.name == "request_bound")
        .expect("the vector request_bound");
    case.parts().build().presentation
}

/// A P-256 COSE_Key (spec §5.3) whose point `(x, y)`, every byte `x` and `y`, is not on
/// the curve.
fn off_curve_key(x: u8, y: u8) -> V {
    V::M(vec![
        (V::U(1), V::U(2)),
        (int(-1), V::U(1)),
        (int(-2), V::B(vec![x; 32])),
        (int(-3), V::B(vec![y; 32])),
    ])
}

/// The encrypted response `bytes` with its item `index` (0 protected, 1 unprotected,
/// 2 ciphertext) replaced by `item`.
fn with_response_item(bytes: &[u8], index: usize, item: V) -> Vec<u8> {
    let V::A(mut items) = crate::cbor::dec(bytes) else {
        panic!("a response is an array");
    };
    items[index] = item;
    enc(&V::A(items))
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
        "status": {"uri": parts.status_uri, "idx": parts.status_index},
        "presented_at": parts.presented_at,
        "nonce": hexo(&parts.nonce),
        "audience": parts.audience,
        "request_digest": hexo(&parts.request_digest),
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
        "expected_request_digest": hexo(&s.expected_request_digest),
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
                "status": {"uri": parts.status_uri, "idx": parts.status_index},
                "issuer_kid": hex::encode(parts.issuer.kid()),
                "nonce": hexo(&parts.nonce),
                "audience": parts.audience,
                "request_digest": hexo(&parts.request_digest),
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

fn status_list(name: &str, description: &str, mut parts: ListParts, expect: Expect) -> Json {
    let token = parts.build();
    let expected = match expect {
        Expect::Valid => {
            let value = parts.array().get(parts.index).expect("index in range");
            json!({
                "result": "valid",
                "status": mlegit::ListStatus::from_value(value).as_str(),
                "value": value,
                "sub": parts.sub,
                "iat": parts.iat,
                "exp": parts.exp,
                "ttl": parts.ttl,
                "bits": parts.bits,
                "entries": parts.entries,
                "issuer_kid": hex::encode(parts.issuer.kid()),
            })
        }
        Expect::Invalid(e) => json!({"result": "invalid", "error": e.code()}),
    };
    let v = json!({
        "name": name,
        "description": description,
        "kind": "status_list",
        "inputs": {
            "issuer_keys": [key_json(&parts.issuer)],
            "trust": parts.trust.iter().map(|e| json!({
                "key": e.key.name, "not_before": e.not_before, "not_after": e.not_after,
            })).collect::<Vec<_>>(),
            "list": {"bits": parts.bits, "entries": parts.entries, "set": parts.set},
            "sub": parts.sub,
            "iat": parts.iat,
            "exp": parts.exp,
            "ttl": parts.ttl,
        },
        "trust_list": hex::encode(parts.trust_list()),
        "verifier": {
            "now": parts.now,
            "clock_skew": parts.clock_skew,
            "max_token_size": parts.max_token_size,
            "max_list_size": parts.max_list_size,
            "accepted_algs": [-7],
            "expected_uri": parts.expected_uri,
            "index": parts.index,
        },
        "token": hex::encode(&token),
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
    Case {
        name: "signed_request_bound",
        description: "Answering the cinema's signed request: its SHA-256 signed and expected (P13c).",
        base: Parts::request_bound,
        mutate: |p| {
            let digest = crate::scenario_digest(&crate::scenario::signed_request());
            p.request_digest = Some(digest.clone());
            p.settings.expected_request_digest = Some(digest);
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
        description: "A status-list typ on the credential.",
        base: Parts::base,
        mutate: |p| {
            p.credential_protected_hook = hook(|m| set(m, V::U(16), text(cose::TYP_STATUS_LIST)));
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
        name: "request_mismatch_other_request",
        description: "Bound to another signed request (another nonce's), as a replay to verifier B.",
        base: Parts::request_bound,
        mutate: |p| {
            let mut other = RequestParts::signed();
            other.nonce = vec![0x42; 16];
            p.request_digest = Some(crate::scenario_digest(&other.build()));
            p.settings.expected_request_digest =
                Some(crate::scenario_digest(&crate::scenario::signed_request()));
        },
        expect: Invalid(Error::RequestMismatch),
    },
    Case {
        name: "request_mismatch_unexpected_digest",
        description: "A request digest where the verifier sent an unsigned request.",
        base: Parts::request_bound,
        mutate: |p| {
            p.request_digest = Some(crate::scenario_digest(&crate::scenario::signed_request()));
        },
        expect: Invalid(Error::RequestMismatch),
    },
    Case {
        name: "request_mismatch_missing_digest",
        description: "No request digest where the verifier sent a signed request.",
        base: Parts::request_bound,
        mutate: |p| {
            p.settings.expected_request_digest =
                Some(crate::scenario_digest(&crate::scenario::signed_request()));
        },
        expect: Invalid(Error::RequestMismatch),
    },
    Case {
        name: "invalid_field_status_v1_shape",
        description: "The status reference of spec version 1, {1: uri, 2: index}.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| {
                let old = V::M(vec![(V::U(1), text(LIST_URI)), (V::U(2), V::U(4711))]);
                set(m, V::U(9), old);
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "invalid_field_status_http_uri",
        description: "A status list URI over plain http.",
        base: Parts::base,
        mutate: |p| p.status_uri = "http://issuer.mlegit.example/v1/status-lists/1".into(),
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "invalid_field_status_index_label",
        description: "The status claim with \"index\" instead of \"idx\".",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| {
                let inner = V::M(vec![
                    (text("uri"), text(LIST_URI)),
                    (text("index"), V::U(1)),
                ]);
                set(m, V::U(9), V::M(vec![(text("status_list"), inner)]));
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "invalid_field_status_extra_entry",
        description: "A status claim with a second entry beside status_list.",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| {
                let mut claim = crate::scenario::status_claim(4711, LIST_URI);
                if let V::M(entries) = &mut claim {
                    entries.insert(0, (text("sta"), V::U(0)));
                }
                set(m, V::U(9), claim);
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "unknown_field",
        description: "A presentation payload with key 8.",
        base: Parts::base,
        mutate: |p| {
            p.presentation_payload_hook = hook(|m| m.push((V::U(8), text("x"))));
        },
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "invalid_field_short_request_digest",
        description: "A request digest of 31 bytes (32 required).",
        base: Parts::request_bound,
        mutate: |p| {
            p.request_digest = Some(vec![7; 31]);
            p.settings.expected_request_digest = Some(vec![7; 31]);
        },
        expect: Invalid(Error::InvalidField),
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
        description: "Credential version 1 (spec version 1's status reference is gone).",
        base: Parts::base,
        mutate: |p| {
            p.credential_payload_hook = hook(|m| set(m, V::U(1), V::U(1)));
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

/// Every presentation vector: one row of `PRESENTATION_CASES` each.
pub fn presentation_vectors() -> Vec<Json> {
    PRESENTATION_CASES
        .iter()
        .map(|c| presentation(c.name, c.description, c.parts(), c.expect))
        .collect()
}

const LIST_CASES: &[Case<ListParts>] = &[
    // ---- positive ----
    Case {
        name: "list_entry_valid",
        description: "The credential's entry 4711 of a 2^20-entry one-bit list: 0, valid.",
        base: ListParts::valid,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "list_entry_invalid",
        description: "Entry 4712, set to 1: invalid (revoked). The token verifies; the entry says no.",
        base: ListParts::valid,
        mutate: |p| p.index = 4712,
        expect: Valid,
    },
    Case {
        name: "list_first_and_last_entry",
        description: "Entry 0 of a one-bit list is bit 0 of byte 0; here the last entry, set to 1.",
        base: ListParts::valid,
        mutate: |p| {
            p.set = vec![(0, 1), ((1 << 20) - 1, 1)];
            p.index = (1 << 20) - 1;
        },
        expect: Valid,
    },
    Case {
        name: "list_bits_2_suspended",
        description: "A two-bit list (65,536 entries); entry 4711 is 2: suspended.",
        base: ListParts::valid,
        mutate: |p| {
            p.bits = 2;
            p.entries = 1 << 16;
            p.set = vec![(4710, 1), (4711, 2), (4712, 3)];
        },
        expect: Valid,
    },
    Case {
        name: "list_bits_4",
        description: "A four-bit list; entry 4711 is 1 beside neighbours of 15 and 2.",
        base: ListParts::valid,
        mutate: |p| {
            p.bits = 4;
            p.entries = 1 << 14;
            p.set = vec![(4710, 15), (4711, 1), (4712, 2)];
        },
        expect: Valid,
    },
    Case {
        name: "list_bits_8_unknown",
        description: "An eight-bit list; entry 4711 is 3, a value this profile does not name: unknown, not valid.",
        base: ListParts::valid,
        mutate: |p| {
            p.bits = 8;
            p.entries = 1 << 13;
            p.set = vec![(4711, 3), (4712, 255)];
        },
        expect: Valid,
    },
    Case {
        name: "list_stale_edge",
        description: "now exactly iat + ttl + skew: still fresh.",
        base: ListParts::valid,
        mutate: |p| p.now = p.iat + p.ttl + p.clock_skew,
        expect: Valid,
    },
    Case {
        name: "list_expired_edge",
        description: "now exactly exp + skew (ttl longer than the token's life): accepted.",
        base: ListParts::valid,
        mutate: |p| {
            p.ttl = 2 * DAY;
            p.now = p.exp + p.clock_skew;
        },
        expect: Valid,
    },
    Case {
        name: "list_from_future_edge",
        description: "iat exactly now + skew: accepted.",
        base: ListParts::valid,
        mutate: |p| {
            p.iat = NOW + p.clock_skew;
            p.exp = p.iat + DAY;
        },
        expect: Valid,
    },
    Case {
        name: "list_size_cap_edge",
        description: "The verifier's cap exactly the inflated size (131,072 bytes): accepted.",
        base: ListParts::valid,
        mutate: |p| p.max_list_size = (1 << 20) / 8,
        expect: Valid,
    },
    Case {
        name: "list_retired_key_at_its_edge",
        description: "Signed by a key whose window ends exactly at the token's iat: accepted.",
        base: ListParts::valid,
        mutate: |p| p.trust[0].not_after = p.iat,
        expect: Valid,
    },
    // ---- size, CBOR and COSE ----
    Case {
        name: "list_input_too_large",
        description: "A token one byte over the verifier's token cap.",
        base: ListParts::valid,
        mutate: |p| {
            let len = ListParts::valid().build().len();
            p.max_token_size = len - 1;
        },
        expect: Invalid(Error::InputTooLarge),
    },
    Case {
        name: "list_tagged",
        description: "The token behind CBOR tag 18, as the draft's example: no tags in strict CBOR.",
        base: ListParts::valid,
        mutate: |p| p.token_hook = Some(Box::new(|t| [&[0xd2][..], &t].concat())),
        expect: Invalid(Error::CborUnsupportedType),
    },
    Case {
        name: "list_draft_key_order",
        description: "Payload keys in the draft example's order 2, 6, 4, 65534, 65533: not deterministic.",
        base: ListParts::valid,
        mutate: |p| {
            p.payload_hook = hook(|m| {
                let order = [2u64, 6, 4, 65_534, 65_533];
                m.sort_by_key(|(k, _)| match k {
                    V::U(k) => order.iter().position(|o| o == k),
                    _ => None,
                });
            });
        },
        expect: Invalid(Error::CborUnsortedKeys),
    },
    Case {
        name: "list_kid_unprotected",
        description: "The kid in the unprotected header only, as the draft's example.",
        base: ListParts::valid,
        mutate: |p| {
            let kid = p.issuer.kid();
            p.protected.retain(|(k, _)| *k != V::U(4));
            p.unprotected = vec![(V::U(4), V::B(kid))];
        },
        expect: Invalid(Error::CoseUnprotectedHeader),
    },
    Case {
        name: "list_kid_missing",
        description: "No kid at all.",
        base: ListParts::valid,
        mutate: |p| p.protected.retain(|(k, _)| *k != V::U(4)),
        expect: Invalid(Error::KidMissing),
    },
    Case {
        name: "list_wrong_context",
        description: "typ application/statuslist+jwt, another media type.",
        base: ListParts::valid,
        mutate: |p| {
            set(
                &mut p.protected,
                V::U(16),
                text("application/statuslist+jwt"),
            )
        },
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "list_credential_typ",
        description: "A token with the credential's typ: contexts do not mix.",
        base: ListParts::valid,
        mutate: |p| set(&mut p.protected, V::U(16), text(cose::TYP_CREDENTIAL)),
        expect: Invalid(Error::WrongContext),
    },
    // ---- fields ----
    Case {
        name: "list_unknown_field_iss",
        description: "An iss claim (key 1): not part of the profile.",
        base: ListParts::valid,
        mutate: |p| p.payload_hook = hook(|m| m.insert(0, (V::U(1), text("https://issuer")))),
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "list_missing_ttl",
        description: "No ttl (65534).",
        base: ListParts::valid,
        mutate: |p| p.payload_hook = hook(|m| remove(m, &V::U(65_534))),
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "list_missing_exp",
        description: "No exp (4): the profile requires it.",
        base: ListParts::valid,
        mutate: |p| p.payload_hook = hook(|m| remove(m, &V::U(4))),
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "list_http_sub",
        description: "sub over plain http.",
        base: ListParts::valid,
        mutate: |p| {
            p.sub = "http://issuer.mlegit.example/v1/status-lists/1".into();
            p.expected_uri = p.sub.clone();
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "list_bits_3",
        description: "bits 3 (M1: 1, 2, 4 or 8 only).",
        base: ListParts::valid,
        mutate: |p| {
            p.payload_hook = hook(|m| {
                let lst = ListParts::valid().array().compress();
                let list = V::M(vec![(text("lst"), V::B(lst)), (text("bits"), V::U(3))]);
                set(m, V::U(65_533), list);
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "list_iat_not_before_exp",
        description: "exp equal to iat (M2).",
        base: ListParts::valid,
        mutate: |p| p.exp = p.iat,
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "list_aggregation_uri",
        description: "status_list with the draft's optional aggregation_uri: not in the profile.",
        base: ListParts::valid,
        mutate: |p| {
            p.payload_hook = hook(|m| {
                let lst = ListParts::valid().array().compress();
                let list = V::M(vec![
                    (text("lst"), V::B(lst)),
                    (text("bits"), V::U(1)),
                    (
                        text("aggregation_uri"),
                        text("https://issuer.mlegit.example/lists"),
                    ),
                ]);
                set(m, V::U(65_533), list);
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "list_lst_empty_bytes",
        description: "lst an empty byte string: the field rule wants at least one byte (F4).",
        base: ListParts::valid,
        mutate: |p| p.lst_hook = Some(Box::new(|_| Vec::new())),
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "list_lst_as_text",
        description: "lst as a text string instead of a byte string.",
        base: ListParts::valid,
        mutate: |p| {
            p.payload_hook = hook(|m| {
                let list = V::M(vec![(text("lst"), text("eJzt")), (text("bits"), V::U(1))]);
                set(m, V::U(65_533), list);
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    // ---- key and signature ----
    Case {
        name: "list_unknown_key",
        description: "Signed by a key no trust list holds.",
        base: ListParts::valid,
        mutate: |p| {
            p.issuer = issuer_unknown();
            set(&mut p.protected, V::U(4), V::B(issuer_unknown().kid()));
        },
        expect: Invalid(Error::UnknownKeyId),
    },
    Case {
        name: "list_key_retired_before_iat",
        description: "Signed after the key's not_after: a retired key signs no new list.",
        base: ListParts::valid,
        mutate: |p| p.trust[0].not_after = p.iat - 1,
        expect: Invalid(Error::IssuerKeyNotValid),
    },
    Case {
        name: "list_signature_invalid",
        description: "An entry flipped after signing (lst replaced): the signature fails.",
        base: ListParts::valid,
        mutate: |p| {
            p.tamper = hook(|m| {
                let mut a = ListParts::valid().array();
                a.set(4711, 1).unwrap();
                let list = V::M(vec![
                    (text("lst"), V::B(a.compress())),
                    (text("bits"), V::U(1)),
                ]);
                set(m, V::U(65_533), list);
            });
        },
        expect: Invalid(Error::IssuerSignatureInvalid),
    },
    Case {
        name: "list_signature_high_s",
        description: "The high-S twin of the token's signature.",
        base: ListParts::valid,
        mutate: |p| p.sig = SigMode::HighS,
        expect: Invalid(Error::SignatureMalleable),
    },
    // ---- the list named, and fresh ----
    Case {
        name: "list_uri_mismatch",
        description: "A valid token of list 2 where the credential names list 1.",
        base: ListParts::valid,
        mutate: |p| p.sub = "https://issuer.mlegit.example/v1/status-lists/2".into(),
        expect: Invalid(Error::StatusListUriMismatch),
    },
    Case {
        name: "list_uri_case",
        description: "sub differing from the credential's uri only in case: compared bytewise.",
        base: ListParts::valid,
        mutate: |p| p.sub = "https://ISSUER.mlegit.example/v1/status-lists/1".into(),
        expect: Invalid(Error::StatusListUriMismatch),
    },
    Case {
        name: "list_from_future",
        description: "iat one second beyond now + skew.",
        base: ListParts::valid,
        mutate: |p| {
            p.iat = NOW + p.clock_skew + 1;
            p.exp = p.iat + DAY;
        },
        expect: Invalid(Error::StatusListFromFuture),
    },
    Case {
        name: "list_expired",
        description: "now one second beyond exp + skew.",
        base: ListParts::valid,
        mutate: |p| {
            p.ttl = 2 * DAY;
            p.now = p.exp + p.clock_skew + 1;
        },
        expect: Invalid(Error::StatusListExpired),
    },
    Case {
        name: "list_stale",
        description: "now one second beyond iat + ttl + skew, before exp.",
        base: ListParts::valid,
        mutate: |p| p.now = p.iat + p.ttl + p.clock_skew + 1,
        expect: Invalid(Error::StatusListStale),
    },
    // ---- the array ----
    Case {
        name: "list_lst_truncated",
        description: "lst without its last byte (the Adler-32 cut short).",
        base: ListParts::valid,
        mutate: |p| {
            p.lst_hook = Some(Box::new(|mut l| {
                l.pop();
                l
            }));
        },
        expect: Invalid(Error::StatusListMalformed),
    },
    Case {
        name: "list_lst_trailing_byte",
        description: "A byte after the end of the ZLIB stream.",
        base: ListParts::valid,
        mutate: |p| {
            p.lst_hook = Some(Box::new(|mut l| {
                l.push(0);
                l
            }));
        },
        expect: Invalid(Error::StatusListMalformed),
    },
    Case {
        name: "list_lst_bad_adler",
        description: "The Adler-32 checksum off by one bit.",
        base: ListParts::valid,
        mutate: |p| {
            p.lst_hook = Some(Box::new(|mut l| {
                if let Some(last) = l.last_mut() {
                    *last ^= 1;
                }
                l
            }));
        },
        expect: Invalid(Error::StatusListMalformed),
    },
    Case {
        name: "list_lst_raw_deflate",
        description: "lst as raw DEFLATE without the ZLIB header and checksum.",
        base: ListParts::valid,
        mutate: |p| p.lst_hook = Some(Box::new(|l| l[2..l.len() - 4].to_vec())),
        expect: Invalid(Error::StatusListMalformed),
    },
    Case {
        name: "list_lst_empty",
        description: "A valid ZLIB stream of zero bytes: a list of no entries.",
        base: ListParts::valid,
        mutate: |p| {
            p.lst_hook = Some(Box::new(|_| {
                miniz_oxide::deflate::compress_to_vec_zlib(&[], 9)
            }));
        },
        expect: Invalid(Error::StatusListMalformed),
    },
    Case {
        name: "list_too_large_for_the_cap",
        description: "The verifier's cap one byte under the inflated size.",
        base: ListParts::valid,
        mutate: |p| p.max_list_size = (1 << 20) / 8 - 1,
        expect: Invalid(Error::StatusListTooLarge),
    },
    Case {
        name: "list_too_large_before_a_bad_checksum",
        description: "A bad Adler-32 after more than the cap: inflating stops at the cap, too large.",
        base: ListParts::valid,
        mutate: |p| {
            p.max_list_size = (1 << 20) / 8 - 1;
            p.lst_hook = Some(Box::new(|mut l| {
                if let Some(last) = l.last_mut() {
                    *last ^= 1;
                }
                l
            }));
        },
        expect: Invalid(Error::StatusListTooLarge),
    },
    Case {
        name: "list_zlib_bomb",
        description: "16 MiB of zeros in about 16 KB: stopped at the default cap of 1 MiB.",
        base: ListParts::valid,
        mutate: |p| p.entries = 1 << 27,
        expect: Invalid(Error::StatusListTooLarge),
    },
    Case {
        name: "list_index_out_of_range",
        description: "idx equal to the number of entries.",
        base: ListParts::valid,
        mutate: |p| p.index = 1 << 20,
        expect: Invalid(Error::StatusIndexOutOfRange),
    },
];

/// Every status list vector: one row of `LIST_CASES` each.
pub fn status_list_vectors() -> Vec<Json> {
    LIST_CASES
        .iter()
        .map(|c| status_list(c.name, c.description, c.parts(), c.expect))
        .collect()
}

fn request_vector(name: &str, description: &str, mut parts: RequestParts, expect: Expect) -> Json {
    let bytes = parts.build();
    let key = parts.verifier.signer().public_key();
    let response_key = parts.response_key.as_ref().map(|k| k.signer().public_key());
    let expected = match expect {
        Expect::Valid => {
            let signed = !parts.unsigned;
            let opt = |v: Json| if signed { v } else { Json::Null };
            json!({
                "result": "valid",
                "verifier_name": parts.verifier_name,
                "audience": parts.audience,
                "claims": parts.claims,
                "allowed_claims": opt(json!(parts.cert_claims)),
                "authority_kid": opt(json!(hex::encode(parts.authority.kid()))),
                "verifier_key_x": opt(json!(hex::encode(key.x()))),
                "verifier_key_y": opt(json!(hex::encode(key.y()))),
                "request_digest": opt(json!(hex::encode(crate::scenario_digest(&bytes)))),
                "nonce": hex::encode(&parts.nonce),
                "created_at": parts.created_at,
                "not_before": opt(json!(parts.cert_nbf)),
                "expires": opt(json!(parts.cert_exp)),
                "response_key_x": response_key.as_ref().map(|k| hex::encode(k.x())),
                "response_key_y": response_key.as_ref().map(|k| hex::encode(k.y())),
            })
        }
        Expect::Invalid(e) => json!({"result": "invalid", "error": e.code()}),
    };
    let mut keys = vec![key_json(&parts.authority)];
    for e in &parts.authority_trust {
        if e.key.name != parts.authority.name {
            keys.push(key_json(&e.key));
        }
    }
    let v = json!({
        "name": name,
        "description": description,
        "kind": "request",
        "inputs": {
            "authority_keys": keys,
            "authority": parts.authority.name,
            "authority_trust": parts.authority_trust.iter().map(|e| json!({
                "key": e.key.name, "not_before": e.not_before, "not_after": e.not_after,
            })).collect::<Vec<_>>(),
            "verifier_private_scalar": hex::encode(parts.verifier.scalar),
            "certificate": {
                "name": parts.cert_name,
                "audience": parts.cert_audience,
                "claims": parts.cert_claims,
                "iat": parts.cert_iat,
                "nbf": parts.cert_nbf,
                "exp": parts.cert_exp,
            },
            "request": {
                "nonce": hex::encode(&parts.nonce),
                "audience": parts.audience,
                "verifier_name": parts.verifier_name,
                "claims": parts.claims,
                "created_at": parts.created_at,
                "response_key_scalar": parts.response_key.as_ref().map(|k| hex::encode(k.scalar)),
            },
        },
        "authority_list": hex::encode(parts.authority_list()),
        "holder": {
            "now": parts.now,
            "clock_skew": parts.clock_skew,
            "engagement_key_digest": parts.engagement_key_digest.map(hex::encode),
        },
        "request": hex::encode(&bytes),
        "expected": expected,
    });
    if let Err(why) = crate::run_vector(&v) {
        panic!("vector {name}: the Rust holder disagrees with the declared outcome: {why}");
    }
    v
}

const REQUEST_CASES: &[Case<RequestParts>] = &[
    // ---- positive ----
    Case {
        name: "signed_request_valid",
        description: "The cinema asks for its three certified claims: verified, shown as Kino Muranów.",
        base: RequestParts::signed,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "signed_request_fewer_claims",
        description: "Asking for one of the three certified claims.",
        base: RequestParts::signed,
        mutate: |p| p.claims = vec!["age_over_18".into()],
        expect: Valid,
    },
    Case {
        name: "online_signed_request",
        description: "An online request: the verifier's response key (key 8) in the signed request, named by the QR's key digest (E1-E2).",
        base: RequestParts::online,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "online_unsigned_request_by_code",
        description: "An unsigned online request reached by a typed code: no key digest to compare (E1 only).",
        base: RequestParts::online,
        mutate: |p| {
            p.unsigned = true;
            p.engagement_key_digest = None;
        },
        expect: Valid,
    },
    Case {
        name: "unsigned_request_valid",
        description: "The same request unsigned: R1-R5 pass, shown as not verified.",
        base: RequestParts::unsigned,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "unsigned_request_any_claim",
        description: "An unsigned request may ask for anything (the student decides, not verified).",
        base: RequestParts::unsigned,
        mutate: |p| p.claims = vec!["pesel".into(), "address".into()],
        expect: Valid,
    },
    Case {
        name: "certificate_nbf_skew_edge",
        description: "now + skew exactly the certificate's nbf: accepted.",
        base: RequestParts::signed,
        mutate: |p| {
            p.cert_iat = NOW + 60;
            p.cert_nbf = NOW + 60;
        },
        expect: Valid,
    },
    Case {
        name: "certificate_exp_skew_edge",
        description: "now exactly the certificate's exp + skew: accepted.",
        base: RequestParts::signed,
        mutate: |p| p.cert_exp = NOW - 60,
        expect: Valid,
    },
    Case {
        name: "authority_rotation_new_key",
        description: "Two authority keys; the certificate signed by the new one.",
        base: RequestParts::signed,
        mutate: |p| {
            p.authority = authority_b();
            set(&mut p.cert_protected, V::U(4), V::B(authority_b().kid()));
            p.authority_trust = vec![
                TrustEntry {
                    key: authority_a(),
                    not_before: NOW - 400 * DAY,
                    not_after: NOW - 20 * DAY,
                },
                TrustEntry {
                    key: authority_b(),
                    not_before: NOW - 20 * DAY,
                    not_after: NOW + 400 * DAY,
                },
            ];
        },
        expect: Valid,
    },
    // ---- A1-A3: the request ----
    Case {
        name: "signed_request_too_large",
        description: "A signed request of more than 2048 bytes.",
        base: RequestParts::signed,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|mut b| {
                b.resize(2049, 0);
                b
            }))
        },
        expect: Invalid(Error::InputTooLarge),
    },
    Case {
        name: "signed_request_with_kid",
        description: "A kid in the request's protected header: its key is the certificate's.",
        base: RequestParts::signed,
        mutate: |p| p.request_protected.insert(1, (V::U(4), V::B(vec![1; 8]))),
        expect: Invalid(Error::CoseUnknownHeader),
    },
    Case {
        name: "signed_request_wrong_context",
        description: "A request signed with the presentation's typ.",
        base: RequestParts::signed,
        mutate: |p| {
            set(
                &mut p.request_protected,
                V::U(16),
                text(cose::TYP_PRESENTATION),
            )
        },
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "signed_request_without_certificate",
        description: "A signed request whose payload has no key 7.",
        base: RequestParts::signed,
        mutate: |p| p.request_payload_hook = hook(|m| remove(m, &V::U(7))),
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "signed_request_unknown_claim",
        description: "A signed request asking for a claim the registry does not define.",
        base: RequestParts::signed,
        mutate: |p| p.claims = vec!["nickname".into()],
        expect: Invalid(Error::UnknownClaim),
    },
    Case {
        name: "signed_request_version_2",
        description: "A signed request of version 2.",
        base: RequestParts::signed,
        mutate: |p| p.request_payload_hook = hook(|m| set(m, V::U(1), V::U(2))),
        expect: Invalid(Error::UnsupportedVersion),
    },
    // ---- A4-A5: the certificate ----
    Case {
        name: "certificate_not_cose",
        description: "Key 7 holds a CBOR map, not a COSE_Sign1.",
        base: RequestParts::signed,
        mutate: |p| p.cert_bytes_hook = Some(Box::new(|_| enc(&V::M(vec![(V::U(1), V::U(1))])))),
        expect: Invalid(Error::CoseMalformed),
    },
    Case {
        name: "certificate_empty",
        description: "Key 7 an empty byte string: it passes A3 and is not CBOR at A4.",
        base: RequestParts::signed,
        mutate: |p| p.cert_bytes_hook = Some(Box::new(|_| Vec::new())),
        expect: Invalid(Error::CborMalformed),
    },
    Case {
        name: "certificate_kid_missing",
        description: "A certificate without the authority's kid.",
        base: RequestParts::signed,
        mutate: |p| p.cert_protected.retain(|(k, _)| *k != V::U(4)),
        expect: Invalid(Error::KidMissing),
    },
    Case {
        name: "certificate_wrong_context",
        description: "A credential's typ on the certificate.",
        base: RequestParts::signed,
        mutate: |p| set(&mut p.cert_protected, V::U(16), text(cose::TYP_CREDENTIAL)),
        expect: Invalid(Error::WrongContext),
    },
    Case {
        name: "certificate_unknown_field",
        description: "A certificate payload with key 9.",
        base: RequestParts::signed,
        mutate: |p| p.cert_payload_hook = hook(|m| m.push((V::U(9), V::U(0)))),
        expect: Invalid(Error::UnknownField),
    },
    Case {
        name: "certificate_version_2",
        description: "A certificate of version 2.",
        base: RequestParts::signed,
        mutate: |p| p.cert_payload_hook = hook(|m| set(m, V::U(1), V::U(2))),
        expect: Invalid(Error::UnsupportedVersion),
    },
    Case {
        name: "certificate_duplicate_claim",
        description: "A certificate listing portrait twice.",
        base: RequestParts::signed,
        mutate: |p| p.cert_claims.push("portrait".into()),
        expect: Invalid(Error::DuplicateClaim),
    },
    Case {
        name: "certificate_no_claims",
        description: "A certificate that lists no claim.",
        base: RequestParts::signed,
        mutate: |p| p.cert_claims = vec![],
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "certificate_key_off_curve",
        description: "A verifier key whose point is not on P-256.",
        base: RequestParts::signed,
        mutate: |p| {
            p.cert_payload_hook = hook(|m| {
                set(m, V::U(2), off_curve_key(1, 2));
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "certificate_window_reversed",
        description: "A certificate whose nbf is not before its exp.",
        base: RequestParts::signed,
        mutate: |p| p.cert_exp = p.cert_nbf,
        expect: Invalid(Error::InvalidField),
    },
    // ---- A6-A9: the authority and the window ----
    Case {
        name: "certificate_unknown_authority",
        description: "Signed by an authority key no authority list holds.",
        base: RequestParts::signed,
        mutate: |p| {
            p.authority = authority_unknown();
            set(
                &mut p.cert_protected,
                V::U(4),
                V::B(authority_unknown().kid()),
            );
        },
        expect: Invalid(Error::UnknownAuthority),
    },
    Case {
        name: "certificate_authority_retired",
        description: "Signed after the authority key's not_after.",
        base: RequestParts::signed,
        mutate: |p| p.authority_trust[0].not_after = p.cert_iat - 1,
        expect: Invalid(Error::AuthorityKeyNotValid),
    },
    Case {
        name: "certificate_signature_invalid",
        description: "The certificate's name changed after signing.",
        base: RequestParts::signed,
        mutate: |p| p.cert_tamper = hook(|m| set(m, V::U(3), text("Kino Muranów VIP"))),
        expect: Invalid(Error::CertificateSignatureInvalid),
    },
    Case {
        name: "certificate_signature_high_s",
        description: "The high-S twin of the certificate's signature.",
        base: RequestParts::signed,
        mutate: |p| p.cert_sig = SigMode::HighS,
        expect: Invalid(Error::SignatureMalleable),
    },
    Case {
        name: "certificate_not_yet_valid",
        description: "The certificate's nbf one second beyond now + skew.",
        base: RequestParts::signed,
        mutate: |p| {
            p.cert_iat = NOW + 61;
            p.cert_nbf = NOW + 61;
        },
        expect: Invalid(Error::CertificateNotYetValid),
    },
    Case {
        name: "certificate_expired",
        description: "now one second beyond the certificate's exp + skew.",
        base: RequestParts::signed,
        mutate: |p| p.cert_exp = NOW - 61,
        expect: Invalid(Error::CertificateExpired),
    },
    // ---- A10-A12: the request against its certificate ----
    Case {
        name: "request_signed_by_another_key",
        description: "A request signed by another verifier's key than the certified one.",
        base: RequestParts::signed,
        mutate: |p| p.request_signer = verifier_other(),
        expect: Invalid(Error::RequestSignatureInvalid),
    },
    Case {
        name: "request_signature_high_s",
        description: "The high-S twin of the request's signature.",
        base: RequestParts::signed,
        mutate: |p| p.request_sig = SigMode::HighS,
        expect: Invalid(Error::SignatureMalleable),
    },
    Case {
        name: "request_audience_not_certified",
        description: "The request's audience differs from the certificate's.",
        base: RequestParts::signed,
        mutate: |p| p.audience = "https://other.example/verifier".into(),
        expect: Invalid(Error::RequestCertificateMismatch),
    },
    Case {
        name: "request_name_not_certified",
        description: "The request calls itself Kino Muranów Premium; the certificate says Kino Muranów.",
        base: RequestParts::signed,
        mutate: |p| p.verifier_name = "Kino Muranów Premium".into(),
        expect: Invalid(Error::RequestCertificateMismatch),
    },
    Case {
        name: "online_response_key_off_curve",
        description: "A response key whose point is not on P-256 (R2b/A3b).",
        base: RequestParts::online,
        mutate: |p| {
            p.request_payload_hook = hook(|m| {
                set(m, V::U(8), off_curve_key(3, 4));
            });
        },
        expect: Invalid(Error::InvalidField),
    },
    Case {
        name: "online_response_key_missing",
        description: "A QR names a key but the request carries none (E1).",
        base: RequestParts::online,
        mutate: |p| p.response_key = None,
        expect: Invalid(Error::MissingField),
    },
    Case {
        name: "online_response_key_substituted",
        description: "The relay (or anyone) swapped the request's response key: the QR's digest names another (E2).",
        base: RequestParts::online,
        mutate: |p| p.response_key = Some(verifier_other()),
        expect: Invalid(Error::ResponseKeyMismatch),
    },
    Case {
        name: "request_claim_not_allowed",
        description: "The cinema asks for the PESEL, which its certificate does not list.",
        base: RequestParts::signed,
        mutate: |p| p.claims = vec!["given_names".into(), "pesel".into()],
        expect: Invalid(Error::ClaimNotAllowed),
    },
];

/// Every request vector: one row of `REQUEST_CASES` each.
pub fn request_vectors() -> Vec<Json> {
    REQUEST_CASES
        .iter()
        .map(|c| request_vector(c.name, c.description, c.parts(), c.expect))
        .collect()
}

fn response_vector(
    name: &str,
    description: &str,
    mut parts: ResponseParts,
    expect: Expect,
) -> Json {
    let bytes = parts.build();
    let expected = match expect {
        Expect::Valid => json!({"result": "valid", "plaintext": hex::encode(&parts.plaintext)}),
        Expect::Invalid(e) => json!({"result": "invalid", "error": e.code()}),
    };
    let v = json!({
        "name": name,
        "description": description,
        "kind": "response",
        "inputs": {
            "response_key_scalar": hex::encode(parts.recipient.scalar),
            "sender_ikm": hex::encode(parts.sender_ikm),
            "relay_origin": parts.relay_origin,
            "session_id": hex::encode(parts.session_id),
            "request_digest": hex::encode(parts.request_digest),
            "plaintext": hex::encode(&parts.plaintext),
        },
        "verifier": {
            "response_key_scalar": hex::encode(parts.verifier_key.scalar),
            "relay_origin": parts.verifier_origin,
            "session_id": hex::encode(parts.verifier_session_id),
            "request_digest": hex::encode(parts.verifier_request_digest),
            "max_input_size": parts.max_input_size,
        },
        "response": hex::encode(&bytes),
        "expected": expected,
    });
    if let Err(why) = crate::run_vector(&v) {
        panic!("vector {name}: the Rust verifier disagrees with the declared outcome: {why}");
    }
    v
}

const RESPONSE_CASES: &[Case<ResponseParts>] = &[
    Case {
        name: "response_valid",
        description: "The presentation request_bound, sealed to the response key for the vectors' session: it opens.",
        base: ResponseParts::valid,
        mutate: keep,
        expect: Valid,
    },
    Case {
        name: "response_replayed_to_another_session",
        description: "The same response, opened for another session id: the HPKE info differs (O3).",
        base: ResponseParts::valid,
        mutate: |p| p.verifier_session_id = [0x77; 16],
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_for_another_request",
        description: "Opened with another request's digest in the info (O3).",
        base: ResponseParts::valid,
        mutate: |p| p.verifier_request_digest = [0x11; 32],
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_other_relay",
        description: "Opened as a session of another relay origin (O3).",
        base: ResponseParts::valid,
        mutate: |p| p.verifier_origin = "https://relay.other.example".into(),
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_to_another_key",
        description: "Sealed to another key than the verifier's (O3).",
        base: ResponseParts::valid,
        mutate: |p| p.recipient = verifier_other(),
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_ciphertext_altered",
        description: "The last ciphertext byte flipped: the AEAD tag fails (O3).",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|mut b| {
                if let Some(last) = b.last_mut() {
                    *last ^= 1;
                }
                b
            }));
        },
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_enc_off_curve",
        description: "An encapsulated key of 65 bytes that is no P-256 point (O3).",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|b| {
                let mut bad = vec![4u8];
                bad.extend([1u8; 64]);
                with_response_item(&b, 1, V::M(vec![(int(-4), V::B(bad))]))
            }));
        },
        expect: Invalid(Error::ResponseUndecryptable),
    },
    Case {
        name: "response_wrong_alg",
        description: "A protected header naming ES256 instead of the HPKE suite (O2).",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|b| {
                with_response_item(&b, 0, V::B(enc(&V::M(vec![(V::U(1), int(-7))]))))
            }));
        },
        expect: Invalid(Error::CoseMalformed),
    },
    Case {
        name: "response_protected_empty",
        description: "An empty protected bstr: its content fails strict decoding at D1 (O2 item 3), before the alg is compared.",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|b| with_response_item(&b, 0, V::B(vec![]))));
        },
        expect: Invalid(Error::CborMalformed),
    },
    Case {
        name: "response_tagged",
        description: "The COSE_Encrypt0 tag 16 before the array: tags fail D3 (O2 item 1).",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|b| {
                let mut tagged = vec![0xd0];
                tagged.extend(b);
                tagged
            }));
        },
        expect: Invalid(Error::CborUnsupportedType),
    },
    Case {
        name: "response_short_enc",
        description: "An encapsulated key of 33 bytes (compressed): O2 wants 65.",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|b| {
                with_response_item(&b, 1, V::M(vec![(int(-4), V::B(vec![2; 33]))]))
            }));
        },
        expect: Invalid(Error::CoseMalformed),
    },
    Case {
        name: "response_not_cbor",
        description: "A truncated response.",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|mut b| {
                b.truncate(b.len() / 2);
                b
            }));
        },
        expect: Invalid(Error::CborMalformed),
    },
    Case {
        name: "response_too_large",
        description: "A response of 66,561 bytes, one over the cap (O1): the valid one with zero bytes after it.",
        base: ResponseParts::valid,
        mutate: |p| {
            p.bytes_hook = Some(Box::new(|mut b| {
                b.resize(mlegit::online::MAX_RESPONSE_LEN + 1, 0);
                b
            }));
        },
        expect: Invalid(Error::InputTooLarge),
    },
];

/// Every response vector: one row of `RESPONSE_CASES` each.
pub fn response_vectors() -> Vec<Json> {
    RESPONSE_CASES
        .iter()
        .map(|c| response_vector(c.name, c.description, c.parts(), c.expect))
        .collect()
}
