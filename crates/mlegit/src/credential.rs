//! The credential (spec §5): its payload, how it is encoded and decoded, and what a
//! holder may read of it before verifying ([`CredentialInfo`]). The issuer is in
//! [`crate::issuer`].
//!
//! ```text
//! CredentialPayload = {
//!   1: version (2), 2: doctype ("mlegit.school-id.1"), 3: issuer_kid, 4: credential_id,
//!   5: iat, 6: nbf, 7: exp, 8: device_key (COSE_Key),
//!   9: status {"status_list": {"idx": uint, "uri": https URI}},
//!   10: digest_alg (-16, SHA-256), 11: digests [32 * bstr .size 32, ascending]
//! }
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::cbor::{self, Encoder, Value};
use crate::cose::{self, Algorithm, KidRule, Sign1};
use crate::crypto::PublicKey;
use crate::disclosure::{DIGEST_SET_SIZE, Digest32};
use crate::error::Error;
use crate::wire::{self as fields, credential as f, status_reference as sr};

/// The document type of the school ID, schema v1.
pub const DOCTYPE: &str = "mlegit.school-id.1";
/// The version of the credential payload (spec §5.2): 2 since the Token Status List's
/// status claim (spec version 2).
pub const VERSION: u64 = 2;
/// The version of the presentation (spec §8.1) and of the presentation request (§7.1).
pub const PRESENTATION_VERSION: u64 = 1;
/// COSE algorithm identifier of SHA-256, the digest algorithm of version 1.
pub const DIGEST_ALG_SHA256: i64 = -16;
/// Longest lifetime of a credential, `exp - iat`, in seconds: 400 days (spec §5.6, step
/// P10b). Counted from `iat`, so that a credential signed today is never valid after
/// `iat` + 400 days, whatever its `nbf`.
pub const MAX_CREDENTIAL_LIFETIME: u64 = 400 * 86_400;

/// Steps P10a and P10b (spec §12.2): `iat <= nbf < exp` and `exp - iat` within
/// [`MAX_CREDENTIAL_LIFETIME`].
pub(crate) fn check_validity(iat: u64, nbf: u64, exp: u64) -> Result<(), Error> {
    // P10a (spec §12.2): iat <= nbf < exp.
    if !(iat <= nbf && nbf < exp) {
        return Err(Error::InvalidValidityWindow);
    }
    // P10b (spec §12.2, §5.6): exp - iat at most 400 days.
    if exp - iat > MAX_CREDENTIAL_LIFETIME {
        return Err(Error::CredentialLifetimeTooLong);
    }
    Ok(())
}

/// Where the issuer publishes the credential's status (spec §5.4): entry `index` (`idx`
/// on the wire) of the status list whose `sub` is `uri`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReference {
    /// The status list's URI, `https://` (for example
    /// `https://issuer.example/v1/status-lists/1`).
    pub uri: String,
    /// The credential's entry in that list.
    pub index: u64,
}

/// True if `uri` may be a status list's URI (spec §5.4): 1..=256 bytes, no excluded code
/// point, `https://`.
pub(crate) fn valid_status_uri(uri: &str) -> bool {
    fields::https_uri(uri)
}

/// A credential payload decoded at the field level (spec §4), before its semantic checks.
pub(crate) struct CredentialPayload<'a> {
    version: u64,
    doctype: &'a str,
    issuer_kid: &'a [u8],
    pub credential_id: &'a [u8],
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    device_key: &'a [(Value<'a>, Value<'a>)],
    pub status: StatusReference,
    digest_alg: i64,
    digests: &'a [Value<'a>],
}

/// The semantic view of a credential payload once every check of spec §5.5 (steps K1-K6) passed.
pub(crate) struct CheckedCredential<'a> {
    pub device_key: PublicKey,
    pub digests: DigestSet<'a>,
}

/// A checked digest set (K5), borrowed from the decoded payload: 32 byte strings of 32
/// bytes, strictly ascending. Kept as a view rather than copied into a `[[u8; 32]; 32]`,
/// which moved 1 KiB through each stack frame from decoding to the disclosure checks
/// (on a Cortex-M4 the verifier's stack peaked at 11 KB with the copies).
#[derive(Clone, Copy)]
pub(crate) struct DigestSet<'a>(&'a [Value<'a>]);

impl DigestSet<'_> {
    /// The position of `digest` in the set, by binary search.
    pub fn position(&self, digest: &Digest32) -> Option<usize> {
        self.0
            .binary_search_by(|v| v.as_bytes().unwrap_or_default().cmp(&digest[..]))
            .ok()
    }

    /// The digests, copied.
    pub fn to_vec(self) -> Vec<Digest32> {
        self.0
            .iter()
            .filter_map(|v| v.as_bytes().and_then(|b| Digest32::try_from(b).ok()))
            .collect()
    }
}

/// Decodes a credential payload at the field level.
pub(crate) fn decode_payload<'a>(root: &'a Value<'a>) -> Result<CredentialPayload<'a>, Error> {
    // P5 (spec §12.2): F2-F5 with the credential's field table (§5.2).
    let s = fields::decode(root, &f::FIELDS)?;
    let [
        version,
        doctype,
        kid,
        cid,
        iat,
        nbf,
        exp,
        device,
        status,
        alg,
        digests,
    ] = s;
    let (Some(Value::Map(device_key)), Some(Value::Array(digests))) = (device, digests) else {
        return Err(Error::InvalidField);
    };
    // The status rule (F4) matched {"status_list": {"idx": uint, "uri": tstr}} exactly.
    let status = match status {
        Some(Value::Map(outer)) => match outer.as_slice() {
            [(_, Value::Map(inner))] => match inner.as_slice() {
                [(_, Value::Unsigned(index)), (_, Value::Text(uri))] => StatusReference {
                    uri: (*uri).into(),
                    index: *index,
                },
                _ => return Err(Error::InvalidField),
            },
            _ => return Err(Error::InvalidField),
        },
        _ => return Err(Error::InvalidField),
    };
    Ok(CredentialPayload {
        version: fields::uint(version),
        doctype: fields::text(doctype),
        issuer_kid: fields::bytes(kid),
        credential_id: fields::bytes(cid),
        iat: fields::uint(iat),
        nbf: fields::uint(nbf),
        exp: fields::uint(exp),
        device_key,
        status,
        digest_alg: alg.and_then(Value::as_i64).unwrap_or(0),
        digests,
    })
}

impl<'a> CredentialPayload<'a> {
    /// The semantic checks of spec §5.5 (steps K1-K6), in order.
    pub(crate) fn check(&self, header_kid: Option<&[u8]>) -> Result<CheckedCredential<'a>, Error> {
        // K1 (spec §5.5): version 2.
        if self.version != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        // K2 (spec §5.5): the school-ID doctype.
        if self.doctype != DOCTYPE {
            return Err(Error::WrongDoctype);
        }
        // K3 (spec §5.5): issuer_kid equals the protected kid.
        if Some(self.issuer_kid) != header_kid {
            return Err(Error::KidMismatch);
        }
        // K4 (spec §5.5): digest_alg -16 (SHA-256).
        if self.digest_alg != DIGEST_ALG_SHA256 {
            return Err(Error::UnsupportedDigestAlg);
        }
        // K5 (spec §5.5): the digest set.
        let digests = check_digest_set(self.digests)?;
        // K6 (spec §5.5, §5.3): the device key.
        let device_key = decode_cose_key(self.device_key).ok_or(Error::InvalidDeviceKey)?;
        Ok(CheckedCredential {
            device_key,
            digests,
        })
    }
}

// K5 (spec §5.5): exactly 32 bstrs of 32 bytes, strictly ascending.
fn check_digest_set<'a>(values: &'a [Value<'a>]) -> Result<DigestSet<'a>, Error> {
    if values.len() != DIGEST_SET_SIZE {
        return Err(Error::DigestSetInvalid);
    }
    for (i, value) in values.iter().enumerate() {
        let digest = value
            .as_bytes()
            .filter(|b| b.len() == 32)
            .ok_or(Error::DigestSetInvalid)?;
        // Strictly ascending: sorted and free of duplicates.
        if i > 0 && values.get(i - 1).and_then(Value::as_bytes) >= Some(digest) {
            return Err(Error::DigestSetInvalid);
        }
    }
    Ok(DigestSet(values))
}

/// `{1: 2 (EC2), -1: 1 (P-256), -2: x, -3: y}`, exactly, with a point on the curve.
// K6 (spec §5.3, §5.5): exactly the four COSE_Key entries, and a point on the curve.
pub(crate) fn decode_cose_key(entries: &[(Value<'_>, Value<'_>)]) -> Option<PublicKey> {
    match entries {
        [
            (Value::Unsigned(1), Value::Unsigned(2)),
            (Value::Negative(0), Value::Unsigned(1)),
            (Value::Negative(1), Value::Bytes(x)),
            (Value::Negative(2), Value::Bytes(y)),
        ] => PublicKey::from_coordinates(x, y),
        _ => None,
    }
}

/// Writes the device key as `{1: 2, -1: 1, -2: x, -3: y}`.
pub(crate) fn encode_cose_key(e: &mut Encoder, key: &PublicKey) {
    e.map(4)
        .u64(1)
        .u64(2)
        .i64(-1)
        .u64(1)
        .i64(-2)
        .bytes(key.x())
        .i64(-3)
        .bytes(key.y());
}

/// A credential decoded and checked except for its issuer signature: what a wallet or an
/// inspector reads. Verifiers use [`crate::Verifier`], which checks everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialInfo {
    /// The issuer key id.
    pub issuer_kid: Vec<u8>,
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// Issued at.
    pub iat: u64,
    /// Not valid before.
    pub nbf: u64,
    /// Not valid after.
    pub exp: u64,
    /// The holder's device key.
    pub device_key: PublicKey,
    /// Where its status is published.
    pub status: StatusReference,
    /// The digest set.
    pub digests: Vec<Digest32>,
}

impl CredentialInfo {
    /// Decodes a credential and runs every check that needs no trust list or clock.
    /// The issuer signature is NOT verified.
    pub fn decode_unverified(bytes: &[u8]) -> Result<Self, Error> {
        // P4 (spec §5.7, §12.2): C1-C7 and H1-H5, typ credential, kid required, ES256 only.
        let sign1 = cose::decode_sign1(
            bytes,
            cose::TYP_CREDENTIAL,
            &[Algorithm::Es256],
            KidRule::Required,
        )?;
        // P5, F1 (spec §5.7, §12.2, §4): the payload as strict CBOR, then F2-F5.
        let root = cbor::decode(sign1.payload)?;
        let payload = decode_payload(&root)?;
        // K1, K2, K3, K4, K5, K6 (spec §5.5, §5.7): the credential's content.
        let checked = payload.check(sign1.kid)?;
        // P10a, P10b (spec §5.7, §12.2): the validity window and lifetime.
        check_validity(payload.iat, payload.nbf, payload.exp)?;
        Ok(Self {
            issuer_kid: payload.issuer_kid.to_vec(),
            credential_id: payload.credential_id.to_vec(),
            iat: payload.iat,
            nbf: payload.nbf,
            exp: payload.exp,
            device_key: checked.device_key,
            status: payload.status.clone(),
            digests: checked.digests.to_vec(),
        })
    }
}

/// Decodes a credential's COSE_Sign1 and payload (used by the verifier).
pub(crate) fn decode<'a>(bytes: &'a [u8], accepted: &[Algorithm]) -> Result<Sign1<'a>, Error> {
    // P4 (spec §12.2): C1-C7 and H1-H5, typ credential, kid required.
    cose::decode_sign1(bytes, cose::TYP_CREDENTIAL, accepted, KidRule::Required)
}

/// The parts of a credential payload, for [`encode_payload`].
pub(crate) struct PayloadParts<'a> {
    pub kid: &'a [u8],
    pub credential_id: &'a [u8],
    pub validity: (u64, u64, u64),
    pub device_key: &'a PublicKey,
    pub status: &'a StatusReference,
    pub digests: &'a [Digest32],
}

/// Encodes a credential payload, keys in ascending order.
pub(crate) fn encode_payload(p: &PayloadParts<'_>) -> Vec<u8> {
    let mut e = Encoder::with_capacity(256 + 34 * p.digests.len());
    e.map(11);
    e.i64(f::VERSION.key).u64(VERSION);
    e.i64(f::DOCTYPE.key).text(DOCTYPE);
    e.i64(f::ISSUER_KID.key).bytes(p.kid);
    e.i64(f::CREDENTIAL_ID.key).bytes(p.credential_id);
    e.i64(f::IAT.key).u64(p.validity.0);
    e.i64(f::NBF.key).u64(p.validity.1);
    e.i64(f::EXP.key).u64(p.validity.2);
    e.i64(f::DEVICE_KEY.key);
    encode_cose_key(&mut e, p.device_key);
    e.i64(f::STATUS.key).map(1).text(sr::STATUS_LIST).map(2);
    e.text(sr::IDX).u64(p.status.index);
    e.text(sr::URI).text(&p.status.uri);
    e.i64(f::DIGEST_ALG.key).i64(DIGEST_ALG_SHA256);
    e.i64(f::DIGESTS.key).array(p.digests.len());
    for d in p.digests {
        e.bytes(d);
    }
    e.into_bytes()
}
