//! Structure-aware verification: `arbitrary` picks a well-formed presentation (offline or
//! request-bound, which claims are disclosed, how old it is) and one mutation of a field
//! behind the signatures; the test-vector builder (`mlegit_vectors::scenario::Parts`)
//! encodes it and signs it again with the fixed test keys. Random bytes never get past a
//! signature check; these inputs do, so the fuzzer reaches steps P9–P14 of spec §12.2.
//!
//! The oracle: each mutation implies a verdict at one step of §12.2 (a changed claim value
//! must fail with `digest_mismatch` at P14, a changed `alg` with `alg_not_allowed` at P2,
//! ...). The verifier must return the verdict of the earliest step that fails, or accept
//! with exactly the claims disclosed when nothing does.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use mlegit::{ClaimName, ClaimValue, Error, TrustList, Verifier, VerifyContext, claims};
use mlegit_vectors::cbor::{V, enc, int, set};
use mlegit_vectors::scenario::{
    DAY, NOW, Parts, SigMode, issuer_a, issuer_b, other_device, student_claims,
};

const SKEW: u64 = mlegit::DEFAULT_CLOCK_SKEW;
const MAX_AGE: u64 = mlegit::DEFAULT_MAX_AGE;

/// One generated presentation.
#[derive(Arbitrary, Debug)]
pub struct Scenario {
    /// Bound to the vectors' request (nonce and audience) or offline.
    pub bound: bool,
    /// Issue a (1 KiB) portrait too.
    pub portrait: bool,
    /// Claims disclosed: indices into the issued claims (duplicates dropped).
    pub disclosed: Vec<u8>,
    /// Presented `age % 400` seconds before NOW (over 300 is too old).
    pub age: u16,
    /// What is changed before signing.
    pub mutation: Mutation,
}

/// A value of any type a claim might be given.
#[derive(Arbitrary, Debug, Clone)]
pub enum Val {
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    Uint(u64),
    Neg(u64),
    Null,
}

impl Val {
    fn v(&self) -> V {
        match self {
            Val::Text(t) => V::T(t.clone()),
            Val::Bytes(b) => V::B(b.clone()),
            Val::Bool(b) => V::Bool(*b),
            Val::Uint(n) => V::U(*n),
            Val::Neg(n) => V::N(*n),
            Val::Null => V::Raw(vec![0xf6]),
        }
    }
}

/// A change to a protected or unprotected header.
#[derive(Arbitrary, Debug)]
pub enum HeaderChange {
    Alg(i64),
    DropAlg,
    AlgToUnprotected,
    Typ(String),
    DropTyp,
    Extra(u64),
    Unprotected(u64),
    Kid(Vec<u8>),
}

/// One mutation; each implies a verdict (see `expect` in [`run`]).
#[derive(Arbitrary, Debug)]
pub enum Mutation {
    None,
    ClaimValue {
        which: u8,
        value: Val,
    },
    Salt {
        which: u8,
        salt: Vec<u8>,
    },
    DuplicateDisclosure {
        which: u8,
    },
    ExtraDisclosure {
        name: String,
        value: Val,
    },
    PresentedAt(i32),
    Validity {
        iat: i32,
        nbf: i32,
        exp: i32,
    },
    Nonce(Option<Vec<u8>>),
    Audience(Option<String>),
    /// The presentation's request digest (key 7) and the verifier's expected one, each
    /// 32 copies of a byte or absent (P13c).
    RequestDigest {
        sent: Option<u8>,
        expected: Option<u8>,
    },
    DropDigest(u8),
    SwapDigests(u8),
    ReplaceDigest {
        which: u8,
        digest: [u8; 32],
    },
    CredentialVersion(u64),
    PresentationVersion(u64),
    Doctype(String),
    DigestAlg(i64),
    CredentialId(Vec<u8>),
    StatusUri(String),
    UnknownField {
        credential: bool,
        key: u64,
    },
    Header {
        credential: bool,
        change: HeaderChange,
    },
    /// Both the credential's header kid and its payload `issuer_kid`.
    CredentialKid(Vec<u8>),
    /// Only the payload `issuer_kid`.
    PayloadKid(Vec<u8>),
    /// Issuer B signs under issuer A's kid.
    WrongIssuerKey,
    /// Issuer B signs under its own kid, which the trust list lacks.
    UntrustedIssuer,
    /// Another phone's key signs the presentation.
    WrongPresenter,
    /// The credential binds another phone's key.
    OtherDeviceBound,
    HighS {
        credential: bool,
    },
    /// Flip one bit of `r` (so the signature stays low-S and merely wrong).
    CorruptR {
        credential: bool,
        bit: u8,
    },
}

/// The step of §12.2 at which an error is reported, for ordering expected verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    OuterCose = 2,
    OuterFields = 3,
    InnerCose = 4,
    InnerFields = 5,
    KeyLookup = 6,
    KeyWindow = 7,
    IssuerSig = 8,
    Content = 9,
    Validity = 10,
    DeviceSig = 11,
    Times = 12,
    Binding = 13,
    Disclosures = 14,
}

fn clean(t: &str, max: usize) -> bool {
    (1..=max).contains(&t.len()) && claims::clean_text(t)
}

fn at(offset: i32) -> u64 {
    NOW.saturating_add_signed(i64::from(offset))
}

/// Replaces element `index` of the disclosure array (key 3) of a presentation payload.
fn replace_disclosure(payload: &mut [(V, V)], index: usize, bytes: Vec<u8>) {
    for (k, v) in payload.iter_mut() {
        if let (V::U(3), V::A(items)) = (k, v) {
            if let Some(item) = items.get_mut(index) {
                *item = V::B(bytes);
            }
            return;
        }
    }
}

/// Flips bit `bit` of `r` in an encoded COSE_Sign1 (the signature is its last 64 bytes).
fn flip_r(mut bytes: Vec<u8>, bit: u8) -> Vec<u8> {
    let pos = bytes.len() - 64 + usize::from(bit / 8 % 32);
    bytes[pos] ^= 1 << (bit % 8);
    bytes
}

/// Builds, mutates, signs and verifies one scenario, and checks the verdict.
pub fn run(s: &Scenario) {
    let mut p = if s.bound {
        Parts::request_bound()
    } else {
        Parts::base()
    };
    if s.portrait {
        p.claims = student_claims(Some(1024));
    }
    let mut disclosed: Vec<(String, V)> = Vec::new();
    for i in &s.disclosed {
        let (name, value) = &p.claims[usize::from(*i) % p.claims.len()];
        if !disclosed.iter().any(|(n, _)| n == name) {
            disclosed.push((name.clone(), value.clone()));
        }
    }
    p.disclosed = disclosed.iter().map(|(n, _)| n.clone()).collect();
    p.presented_at = NOW - u64::from(s.age % 400);
    // A key id costs a scalar multiplication: compute issuer A's once per process.
    static A_KID: OnceLock<Vec<u8>> = OnceLock::new();
    let a_kid = A_KID.get_or_init(|| issuer_a().kid()).clone();
    let trust_window = (NOW - 400 * DAY, NOW + 400 * DAY);

    let mut expected: Vec<(Step, Error)> = Vec::new();
    let mut fail = |step, e| expected.push((step, e));
    // Claims the verifier must return on success, in order.
    let mut claims_out: Vec<(String, V)> = disclosed.clone();
    let mut expected_cid = p.credential_id.clone();
    let mut expected_uri = p.status_uri.clone();
    // ReplaceDigest is judged from the digest set actually built.
    let mut judge_digests = false;

    match &s.mutation {
        Mutation::None => {}
        Mutation::ClaimValue { which, value } if !disclosed.is_empty() => {
            let index = usize::from(*which) % disclosed.len();
            let (name, old) = &disclosed[index];
            let new = p.disclosure(name, &value.v());
            if new != p.disclosure(name, old) {
                fail(Step::Disclosures, Error::DigestMismatch);
                p.presentation_payload_hook =
                    Some(Box::new(move |m| replace_disclosure(m, index, new)));
            }
        }
        Mutation::Salt { which, salt } if !disclosed.is_empty() => {
            let index = usize::from(*which) % disclosed.len();
            let (name, value) = &disclosed[index];
            let new = enc(&V::A(vec![
                V::B(salt.clone()),
                V::T(name.clone()),
                value.clone(),
            ]));
            if !(16..=64).contains(&salt.len()) {
                fail(Step::Disclosures, Error::DisclosureMalformed);
            } else if new != p.disclosure(name, value) {
                fail(Step::Disclosures, Error::DigestMismatch);
            }
            p.presentation_payload_hook =
                Some(Box::new(move |m| replace_disclosure(m, index, new)));
        }
        Mutation::DuplicateDisclosure { which } if !disclosed.is_empty() => {
            let (name, value) = &disclosed[usize::from(*which) % disclosed.len()];
            p.extra_sent.push(p.disclosure(name, value));
            fail(Step::Disclosures, Error::DuplicateDisclosure);
        }
        Mutation::ExtraDisclosure { name, value } => {
            // Issued (its digest is in the set) and sent after the regular ones.
            let bytes = enc(&V::A(vec![
                V::B(vec![0x5a; 16]),
                V::T(name.clone()),
                value.v(),
            ]));
            p.extra_issued.push((name.clone(), bytes.clone()));
            p.extra_sent.push(bytes);
            match ClaimName::from_name(name) {
                None => fail(Step::Disclosures, Error::UnknownClaim),
                Some(_) if disclosed.iter().any(|(n, _)| n == name) => {
                    fail(Step::Disclosures, Error::DuplicateClaim)
                }
                // The claim rules of §11 have unit tests of their own; here they decide
                // only which of the two verdicts the verifier must give.
                Some(c) => match mlegit::cbor::decode(&enc(&value.v())) {
                    Ok(v) if claims::validate(c, &v).is_some() => {
                        claims_out.push((name.clone(), value.v()))
                    }
                    _ => fail(Step::Disclosures, Error::InvalidClaimValue),
                },
            }
        }
        Mutation::PresentedAt(offset) => p.presented_at = at(*offset),
        Mutation::Validity { iat, nbf, exp } => {
            (p.iat, p.nbf, p.exp) = (at(*iat), at(*nbf), at(*exp));
        }
        Mutation::Nonce(nonce) => {
            if nonce
                .as_ref()
                .is_some_and(|n| !(16..=32).contains(&n.len()))
            {
                fail(Step::OuterFields, Error::InvalidField);
            } else if *nonce != p.settings.expected_nonce {
                fail(Step::Binding, Error::NonceMismatch);
            }
            p.nonce = nonce.clone();
        }
        Mutation::Audience(audience) => {
            if audience.as_ref().is_some_and(|a| !clean(a, 128)) {
                fail(Step::OuterFields, Error::InvalidField);
            } else if *audience != p.settings.expected_audience {
                fail(Step::Binding, Error::AudienceMismatch);
            }
            p.audience = audience.clone();
        }
        Mutation::RequestDigest { sent, expected } => {
            let sent = sent.map(|b| vec![b; 32]);
            let expected = expected.map(|b| vec![b; 32]);
            if sent != expected {
                fail(Step::Binding, Error::RequestMismatch);
            }
            p.request_digest = sent;
            p.settings.expected_request_digest = expected;
        }
        Mutation::DropDigest(i) => {
            let i = usize::from(*i) % 32;
            p.digests_hook = Some(Box::new(move |d| {
                d.remove(i);
            }));
            fail(Step::Content, Error::DigestSetInvalid);
        }
        Mutation::SwapDigests(i) => {
            let i = usize::from(*i) % 31;
            p.digests_hook = Some(Box::new(move |d| d.swap(i, i + 1)));
            fail(Step::Content, Error::DigestSetInvalid);
        }
        Mutation::ReplaceDigest { which, digest } => {
            let (i, digest) = (usize::from(*which) % 32, digest.to_vec());
            p.digests_hook = Some(Box::new(move |d| {
                d[i] = digest;
                d.sort();
            }));
            judge_digests = true;
        }
        Mutation::CredentialVersion(v) => {
            let v = *v;
            if v != mlegit::VERSION {
                fail(Step::Content, Error::UnsupportedVersion);
            }
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(1), V::U(v))));
        }
        Mutation::PresentationVersion(v) => {
            let v = *v;
            if v != mlegit::PRESENTATION_VERSION {
                fail(Step::OuterFields, Error::UnsupportedVersion);
            }
            p.presentation_payload_hook = Some(Box::new(move |m| set(m, V::U(1), V::U(v))));
        }
        Mutation::Doctype(d) => {
            if d != mlegit::DOCTYPE {
                fail(Step::Content, Error::WrongDoctype);
            }
            let d = d.clone();
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(2), V::T(d))));
        }
        Mutation::DigestAlg(alg) => {
            if *alg != mlegit::DIGEST_ALG_SHA256 {
                fail(Step::Content, Error::UnsupportedDigestAlg);
            }
            let alg = *alg;
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(10), int(alg))));
        }
        Mutation::CredentialId(cid) => {
            if !(16..=32).contains(&cid.len()) {
                fail(Step::InnerFields, Error::InvalidField);
            }
            expected_cid = cid.clone();
            let cid = cid.clone();
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(4), V::B(cid))));
        }
        Mutation::StatusUri(uri) => {
            // Spec §5.4: a clean text of 1..=256 bytes that starts with https://.
            if !(claims::valid_text(uri) && uri.starts_with("https://")) {
                fail(Step::InnerFields, Error::InvalidField);
            }
            expected_uri = uri.clone();
            let status = mlegit_vectors::scenario::status_claim(p.status_index, uri);
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(9), status)));
        }
        Mutation::UnknownField { credential, key } => {
            // A key the object's wire table lacks (read from the table, so that a field
            // added to the spec does not turn into an "unknown" one here); a known key is
            // left alone.
            let key = *key;
            let fields: &[mlegit::wire::Field] = if *credential {
                &mlegit::wire::credential::FIELDS
            } else {
                &mlegit::wire::presentation::FIELDS
            };
            let known = fields.iter().any(|f| u64::try_from(f.key) == Ok(key));
            if !known && *credential {
                fail(Step::InnerFields, Error::UnknownField);
                p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(key), V::U(0))));
            } else if !known {
                fail(Step::OuterFields, Error::UnknownField);
                p.presentation_payload_hook = Some(Box::new(move |m| set(m, V::U(key), V::U(0))));
            }
        }
        Mutation::Header { credential, change } => {
            let credential = *credential;
            let step = if credential {
                Step::InnerCose
            } else {
                Step::OuterCose
            };
            let typ = if credential {
                mlegit::cose::TYP_CREDENTIAL
            } else {
                mlegit::cose::TYP_PRESENTATION
            };
            let mut unprotected = Vec::new();
            let hook: Box<dyn FnOnce(&mut Vec<(V, V)>)> = match change {
                HeaderChange::Alg(alg) => {
                    if *alg != -7 {
                        fail(step, Error::AlgNotAllowed);
                    }
                    let alg = *alg;
                    Box::new(move |m| set(m, V::U(1), int(alg)))
                }
                HeaderChange::DropAlg => {
                    fail(step, Error::AlgMissing);
                    Box::new(|m| m.retain(|(k, _)| *k != V::U(1)))
                }
                HeaderChange::AlgToUnprotected => {
                    fail(step, Error::AlgNotProtected);
                    unprotected.push((V::U(1), int(-7)));
                    Box::new(|m| m.retain(|(k, _)| *k != V::U(1)))
                }
                HeaderChange::Typ(t) => {
                    if t != typ {
                        fail(step, Error::WrongContext);
                    }
                    let t = t.clone();
                    Box::new(move |m| set(m, V::U(16), V::T(t)))
                }
                HeaderChange::DropTyp => {
                    fail(step, Error::WrongContext);
                    Box::new(|m| m.retain(|(k, _)| *k != V::U(16)))
                }
                HeaderChange::Extra(label)
                    if !mlegit::wire::header::FIELDS
                        .iter()
                        .any(|f| u64::try_from(f.key) == Ok(*label)) =>
                {
                    fail(step, Error::CoseUnknownHeader);
                    let label = *label;
                    Box::new(move |m| set(m, V::U(label), V::U(0)))
                }
                HeaderChange::Extra(_) => Box::new(|_| {}),
                HeaderChange::Unprotected(label) => {
                    fail(step, Error::CoseUnprotectedHeader);
                    unprotected.push((V::U(*label), V::U(0)));
                    Box::new(|_| {})
                }
                HeaderChange::Kid(kid) => {
                    if !(1..=32).contains(&kid.len()) {
                        fail(step, Error::CoseMalformed);
                    } else if !credential {
                        fail(step, Error::CoseUnknownHeader);
                    } else if *kid != a_kid {
                        fail(Step::KeyLookup, Error::UnknownKeyId);
                    }
                    let kid = kid.clone();
                    Box::new(move |m| set(m, V::U(4), V::B(kid)))
                }
            };
            if credential {
                p.credential_protected_hook = Some(hook);
                p.credential_unprotected = unprotected;
            } else {
                p.presentation_protected_hook = Some(hook);
                p.presentation_unprotected = unprotected;
            }
        }
        Mutation::CredentialKid(kid) => {
            if !(1..=32).contains(&kid.len()) {
                fail(Step::InnerCose, Error::CoseMalformed);
            } else if *kid != a_kid {
                fail(Step::KeyLookup, Error::UnknownKeyId);
            }
            let k2 = kid.clone();
            let kid = kid.clone();
            p.credential_protected_hook = Some(Box::new(move |m| set(m, V::U(4), V::B(kid))));
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(3), V::B(k2))));
        }
        Mutation::PayloadKid(kid) => {
            if !(1..=32).contains(&kid.len()) {
                fail(Step::InnerFields, Error::InvalidField);
            } else if *kid != a_kid {
                fail(Step::Content, Error::KidMismatch);
            }
            let kid = kid.clone();
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(3), V::B(kid))));
        }
        Mutation::WrongIssuerKey => {
            p.issuer = issuer_b();
            let (k1, k2) = (a_kid.clone(), a_kid.clone());
            p.credential_protected_hook = Some(Box::new(move |m| set(m, V::U(4), V::B(k1))));
            p.credential_payload_hook = Some(Box::new(move |m| set(m, V::U(3), V::B(k2))));
            fail(Step::IssuerSig, Error::IssuerSignatureInvalid);
        }
        Mutation::UntrustedIssuer => {
            p.issuer = issuer_b();
            fail(Step::KeyLookup, Error::UnknownKeyId);
        }
        Mutation::WrongPresenter => {
            p.presenter = other_device();
            fail(Step::DeviceSig, Error::DeviceSignatureInvalid);
        }
        Mutation::OtherDeviceBound => {
            p.device = other_device();
            fail(Step::DeviceSig, Error::DeviceSignatureInvalid);
        }
        Mutation::HighS { credential: true } => {
            p.credential_sig = SigMode::HighS;
            fail(Step::IssuerSig, Error::SignatureMalleable);
        }
        Mutation::HighS { credential: false } => {
            p.presentation_sig = SigMode::HighS;
            fail(Step::DeviceSig, Error::SignatureMalleable);
        }
        Mutation::CorruptR { credential, bit } => {
            let bit = *bit;
            if *credential {
                p.credential_bytes_hook = Some(Box::new(move |b| flip_r(b, bit)));
                fail(Step::IssuerSig, Error::IssuerSignatureInvalid);
            } else {
                p.presentation_bytes_hook = Some(Box::new(move |b| flip_r(b, bit)));
                fail(Step::DeviceSig, Error::DeviceSignatureInvalid);
            }
        }
        // A mutation of a disclosure when nothing is disclosed: no change.
        _ => {}
    }

    // Steps P7, P10 and P12 follow from the times alone, whatever the mutation.
    let (iat, nbf, exp, pa) = (p.iat, p.nbf, p.exp, p.presented_at);
    if !(trust_window.0 <= iat && iat <= trust_window.1) {
        fail(Step::KeyWindow, Error::IssuerKeyNotValid);
    } else if !(iat <= nbf && nbf < exp) {
        fail(Step::Validity, Error::InvalidValidityWindow);
    } else if exp - iat > mlegit::MAX_CREDENTIAL_LIFETIME {
        fail(Step::Validity, Error::CredentialLifetimeTooLong);
    } else if NOW + SKEW < nbf {
        fail(Step::Validity, Error::CredentialNotYetValid);
    } else if NOW > exp.saturating_add(SKEW) {
        fail(Step::Validity, Error::CredentialExpired);
    } else if pa > NOW + SKEW {
        fail(Step::Times, Error::PresentationFromFuture);
    } else if pa.saturating_add(MAX_AGE) < NOW {
        fail(Step::Times, Error::PresentationTooOld);
    } else if pa < nbf || pa > exp {
        fail(Step::Times, Error::PresentedOutsideValidity);
    }

    let settings = p.settings.clone();
    let built = p.build();
    if judge_digests {
        let d = &built.digests;
        if d.windows(2).any(|w| w[0] == w[1]) {
            fail(Step::Content, Error::DigestSetInvalid);
        } else {
            let sent = disclosed.iter().map(|(n, _)| {
                let (_, bytes) = built
                    .disclosures
                    .iter()
                    .find(|(m, _)| m == n)
                    .expect("issued");
                mlegit_vectors::scenario_digest(bytes)
            });
            if sent.into_iter().any(|digest| !d.contains(&digest)) {
                fail(Step::Disclosures, Error::DigestMismatch);
            }
        }
    }
    let expected = expected
        .iter()
        .min_by_key(|(step, _)| *step)
        .map(|(_, e)| *e);

    // Every scenario trusts the same list (issuer A, NOW ± 400 days): build it once.
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        Verifier::new(TrustList::from_slice(&built.trust_list).expect("vector trust list"))
    });
    let ctx = VerifyContext::new(
        settings.now,
        settings.expected_nonce.as_deref(),
        settings.expected_audience.as_deref(),
    )
    .with_request_digest(settings.expected_request_digest.as_deref());
    let result = mlegit::fuzzing::verify(verifier, &ctx, SKEW, MAX_AGE, &built.presentation);
    match (result, expected) {
        (Err(e), Some(want)) => assert_eq!(e, want, "wrong verdict for {:?}", s.mutation),
        (Err(e), None) => panic!("rejected with {e:?}, expected acceptance"),
        (Ok(_), Some(want)) => panic!("accepted, expected {want:?}"),
        (Ok(v), None) => {
            let names: Vec<&str> = v.claims().iter().map(|(n, _)| n.as_str()).collect();
            let want: Vec<&str> = claims_out.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, want, "disclosed claims");
            for ((_, got), (_, sent)) in v.claims().iter().zip(&claims_out) {
                match (got, sent) {
                    (ClaimValue::Text(g), V::T(t)) => assert_eq!(g, t),
                    (ClaimValue::Date(g), V::T(t)) => assert_eq!(&g.to_string_ymd(), t),
                    (ClaimValue::Bytes(g), V::B(b)) => assert_eq!(g, b),
                    (ClaimValue::Bool(g), V::Bool(b)) => assert_eq!(g, b),
                    (g, s) => panic!("claim value {g:?} for {s:?}"),
                }
            }
            assert_eq!(v.presented_at(), pa);
            assert_eq!(v.credential_id(), expected_cid);
            assert_eq!(v.status().uri, expected_uri);
            assert_eq!(v.issuer_kid(), a_kid);
        }
    }
}
