//! Entry points for the fuzz targets in `fuzz/` (not a stable API).
//!
//! Each function takes bytes an attacker controls, must not panic on any of them, and
//! asserts the invariants the spec promises about what it accepts: strict CBOR has exactly
//! one encoding per value (§2.4), so whatever decodes re-encodes to the same bytes; a
//! verified presentation satisfies every check of §12.2. The asserts are the point: a
//! violated invariant is a bug the fuzzer reports as a crash. Nothing here unwraps input.
//!
//! The functions that need internals (the presentation and status list decoders below read
//! the objects field by field without checking signatures, so that the fuzzer reaches the
//! parsers behind them) live here; the structure-aware generator and the differential
//! comparison with ciborium need dependencies the core does not have and live in `fuzz/src`.
#![allow(clippy::panic)] // asserts are how an entry point reports a broken invariant

use crate::cbor::{self, Value};
use crate::claims;
use crate::cose::{self, Algorithm, KidRule};
use crate::credential::{self, CredentialInfo};
use crate::disclosure::{self, Disclosure, MAX_SALT_LEN, MIN_SALT_LEN};
use crate::error::Error;
use crate::presentation::MAX_DISCLOSURES;
use crate::request::PresentationRequest;
use crate::status_list::{self, StatusBits};
use crate::trust::TrustList;
use crate::verifier::{StatusListContext, VerifiedPresentation, Verifier, VerifyContext};
use crate::wire;

/// Strict CBOR: decodes `data`; whatever is accepted re-encodes to exactly `data` (§2.4).
/// Returns the value so that the differential target can compare it with ciborium.
pub fn cbor(data: &[u8]) -> Option<Value<'_>> {
    let value = cbor::decode(data).ok()?;
    assert_eq!(
        cbor::encode(&value),
        data,
        "accepted a non-canonical encoding"
    );
    assert!(
        depth(&value) <= cbor::MAX_DEPTH,
        "accepted nesting beyond MAX_DEPTH"
    );
    Some(value)
}

/// Nesting depth of arrays and maps (a scalar is 0, `[]` is 1).
pub fn depth(value: &Value<'_>) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| depth(k).max(depth(v)))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// A credential, decoded without its signature; an accepted one satisfies §5.5.
pub fn credential(data: &[u8]) -> Result<CredentialInfo, Error> {
    let info = CredentialInfo::decode_unverified(data)?;
    assert!(
        info.iat <= info.nbf && info.nbf < info.exp,
        "validity window"
    );
    assert_eq!(info.digests.len(), disclosure::DIGEST_SET_SIZE);
    assert!(
        info.digests.windows(2).all(|w| w.first() < w.get(1)),
        "digest set not sorted"
    );
    assert!((16..=32).contains(&info.credential_id.len()));
    Ok(info)
}

/// A disclosure; an accepted one is re-encoded from its parts to the same bytes, which
/// checks that the claim rules of §11 accept exactly one form of each value.
pub fn disclosure(data: &[u8]) -> Result<Disclosure, Error> {
    let d = Disclosure::from_bytes(data.to_vec())?;
    // from_bytes accepted, so the structure is `[salt, name, value]`; read it again to
    // rebuild the disclosure from its typed parts.
    let Ok(Value::Array(items)) = cbor::decode(data) else {
        panic!("accepted disclosure does not decode");
    };
    let [Value::Bytes(salt), Value::Text(_), value] = items.as_slice() else {
        panic!("accepted disclosure is not [bstr, tstr, any]");
    };
    assert!((MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()));
    let Some(typed) = claims::validate(d.name(), value) else {
        panic!("accepted disclosure has an invalid value");
    };
    let rebuilt = Disclosure::new(salt, d.name(), &typed);
    assert_eq!(
        rebuilt.as_bytes(),
        data,
        "claim value has more than one encoding"
    );
    Ok(d)
}

/// A presentation request; an accepted one re-encodes to the same bytes.
pub fn request(data: &[u8]) -> Result<PresentationRequest, Error> {
    let r = PresentationRequest::from_slice(data)?;
    assert_eq!(r.to_vec(), data, "request has more than one encoding");
    Ok(r)
}

/// A request as the holder checks it (spec §7.3, §7.6), signed or not, with `checker` at
/// `now`. What passes satisfies §7.6 from the outside: a signed request names a verifier
/// whose certificate lists every claim asked (unless the checker allows more, and then
/// says which), whose name and audience the request carries, valid at `now`; its digest is
/// the SHA-256 of the input.
pub fn signed_request(
    checker: &crate::RequestChecker,
    skew: u64,
    now: u64,
    data: &[u8],
) -> Result<crate::CheckedRequest, Error> {
    use sha2::Digest as _;
    let checked = checker.check(data, now)?;
    let r = checked.request();
    match checked.verifier() {
        None => {
            assert!(checked.digest().is_none() && checked.outside_certificate().is_empty());
            assert_eq!(r.to_vec(), data, "an unsigned request has one encoding");
        }
        Some(cert) => {
            let digest: [u8; 32] = sha2::Sha256::digest(data).into();
            assert_eq!(checked.digest(), Some(&digest));
            assert_eq!(
                (cert.name(), cert.audience()),
                (r.verifier_name.as_str(), r.audience.as_str())
            );
            for c in &r.claims {
                assert!(
                    cert.claims().contains(c) || checked.outside_certificate().contains(c),
                    "a claim outside the certificate passed unflagged"
                );
            }
            assert!(u128::from(now) + u128::from(skew) >= u128::from(cert.not_before()));
            assert!(u128::from(now) <= u128::from(cert.expires()) + u128::from(skew));
            assert!(cert.issued_at() <= cert.not_before() && cert.not_before() < cert.expires());
        }
    }
    Ok(checked)
}

/// A trust list; an accepted one re-encodes to the same bytes.
pub fn trust_list(data: &[u8]) -> Result<TrustList, Error> {
    let t = TrustList::from_slice(data)?;
    assert_eq!(t.to_vec(), data, "trust list has more than one encoding");
    Ok(t)
}

/// A presentation read field by field, signatures NOT checked: the outer COSE_Sign1, its
/// payload, the embedded credential with its semantic checks (§5.5), and every disclosure
/// (§6.6 X1–X4, X7, X9). Random bytes never carry valid signatures, so this is the only
/// way the fuzzer exercises the parsers behind them.
pub fn presentation(data: &[u8]) -> Result<(), Error> {
    let algs = [Algorithm::Es256];
    let outer = cose::decode_sign1(data, cose::TYP_PRESENTATION, &algs, KidRule::Forbidden)?;
    let root = cbor::decode(outer.payload)?;
    let [_, cred, discl, _, _, _, _] = wire::decode(&root, &wire::presentation::FIELDS)?;
    let Some(Value::Array(disclosures)) = discl else {
        return Err(Error::InvalidField);
    };
    if disclosures.len() > MAX_DISCLOSURES {
        return Err(Error::InvalidField);
    }
    let inner = credential::decode(wire::bytes(cred), &algs)?;
    let inner_root = cbor::decode(inner.payload)?;
    let payload = credential::decode_payload(&inner_root)?;
    let checked = payload.check(inner.kid)?;
    for d in disclosures {
        let bytes = d.as_bytes().ok_or(Error::InvalidField)?;
        let (name, value) = disclosure::parse_structure(bytes)?;
        if let Some(name) = claims::ClaimName::from_name(name) {
            let _ = claims::validate(name, &value);
        }
        // Whether it is in the digest set does not matter here; computing it does.
        let _ = checked.digests.position(&disclosure::digest(bytes));
    }
    Ok(())
}

/// A status list token (§9) read without its signature, then verified with `verifier`.
/// An accepted token also decodes without the signature, names the expected list, and its
/// array holds at most `max_list` bytes (the verifier's cap).
pub fn status_list(
    verifier: &Verifier,
    ctx: &StatusListContext<'_>,
    max_list: usize,
    data: &[u8],
) -> Result<(), Error> {
    // The unsigned array is dropped at once: only one array at a time is held.
    let unsigned = status_list_unsigned(data, max_list).map(drop);
    let list = verifier.verify_status_list(data, ctx)?;
    assert!(
        unsigned.is_ok(),
        "verified a status list token that does not decode"
    );
    assert_eq!(list.uri(), ctx.expected_uri);
    assert!(list.entries().as_bytes().len() <= max_list, "over the cap");
    assert!(list.issued_at() < list.expires());
    Ok(())
}

/// A status list token's payload and array without its signature (§9, L2, L3, L11): the
/// way for the fuzzer to reach the inflater. What inflates stays within `max_list` bytes;
/// the array is returned for [`status_array_round_trip`] (which the caller runs outside
/// its heap bound: the compressor's own tables are some 200 KB).
pub fn status_list_unsigned(data: &[u8], max_list: usize) -> Result<StatusBits, Error> {
    let algs = [Algorithm::Es256];
    let sign1 = cose::decode_sign1(data, cose::TYP_STATUS_LIST, &algs, KidRule::Required)?;
    let root = cbor::decode(sign1.payload)?;
    let payload = status_list::decode_payload(&root)?;
    let bits = StatusBits::decompress(payload.bits, payload.lst, max_list)?;
    assert!(bits.as_bytes().len() <= max_list, "inflated over the cap");
    Ok(bits)
}

/// An inflated array survives a compress and inflate round trip.
pub fn status_array_round_trip(bits: &StatusBits) {
    let limit = bits.as_bytes().len();
    let again = StatusBits::decompress(u64::from(bits.bits()), &bits.compress(), limit);
    assert_eq!(
        again.as_ref(),
        Ok(bits),
        "compress and inflate do not round trip"
    );
}

/// Full verification (§12.2); an accepted presentation satisfies the checks of steps
/// P10–P14 as seen from the outside. `clock_skew` and `max_age` are the verifier's.
pub fn verify(
    verifier: &Verifier,
    ctx: &VerifyContext<'_>,
    clock_skew: u64,
    max_age: u64,
    data: &[u8],
) -> Result<VerifiedPresentation, Error> {
    let p = verifier.verify(data, ctx)?;
    assert!(
        presentation(data).is_ok(),
        "verified a presentation that does not decode"
    );
    assert!(p.not_before() < p.expires());
    assert!(
        ctx.now.saturating_add(clock_skew) >= p.not_before(),
        "not yet valid"
    );
    assert!(ctx.now <= p.expires().saturating_add(clock_skew), "expired");
    assert!(
        p.presented_at() <= ctx.now.saturating_add(clock_skew),
        "from the future"
    );
    assert!(
        p.presented_at().saturating_add(max_age) >= ctx.now,
        "too old"
    );
    assert!(p.not_before() <= p.presented_at() && p.presented_at() <= p.expires());
    assert_eq!(p.nonce(), ctx.expected_nonce);
    assert_eq!(p.audience(), ctx.expected_audience);
    assert_eq!(p.request_digest(), ctx.expected_request_digest);
    assert!(p.claims().len() <= MAX_DISCLOSURES);
    for (i, (name, _)) in p.claims().iter().enumerate() {
        assert!(
            !p.claims().iter().take(i).any(|(n, _)| n == name),
            "claim disclosed twice"
        );
    }
    assert!(verifier.trust_list().find(p.issuer_kid()).is_some());
    Ok(p)
}
