//! The COSE_Sign1 profile of mlegit (spec §3): untagged, ES256, every header protected.
//!
//! ```text
//! COSE_Sign1 = [ protected: bstr .cbor {1: alg, ?4: kid, 16: typ}, unprotected: {},
//!                payload: bstr, signature: bstr .size 64 ]
//! ```
//!
//! Verification runs over the protected header and payload bytes exactly as received.

use alloc::vec::Vec;

use crate::cbor::{self, Encoder, Value};
use crate::crypto::{self, PublicKey, SignatureBackend, Signer};
use crate::error::{Error, SignerError};

pub mod general;

/// COSE header label `alg`.
pub const HEADER_ALG: u64 = crate::wire::header::ALG.key as u64;
/// COSE header label `kid`.
pub const HEADER_KID: u64 = crate::wire::header::KID.key as u64;
/// COSE header label `typ` (RFC 9596), the domain-separation context string.
pub const HEADER_TYP: u64 = crate::wire::header::TYP.key as u64;

/// `typ` of a credential.
pub const TYP_CREDENTIAL: &str = "application/mlegit.credential+cose";
/// `typ` of a presentation.
pub const TYP_PRESENTATION: &str = "application/mlegit.presentation+cose";
/// `typ` of a verifier certificate (spec §7.4).
pub const TYP_VERIFIER: &str = "application/mlegit.verifier+cose";
/// `typ` of a signed presentation request (spec §7.5).
pub const TYP_REQUEST: &str = "application/mlegit.request+cose";
/// `typ` of a status list token: the media type draft-ietf-oauth-status-list registers.
pub const TYP_STATUS_LIST: &str = "application/statuslist+cwt";
/// `typ` of a device's proof of possession at activation (used by the reference server).
pub const TYP_ACTIVATION: &str = "application/mlegit.activation+cose";

/// Signature algorithms (COSE algorithm identifiers).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (COSE -7), the only algorithm of version 1.
    Es256,
}

impl Algorithm {
    /// The COSE identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::Es256 => -7,
        }
    }

    /// The algorithm with this COSE identifier, if mlegit implements it.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -7 => Some(Algorithm::Es256),
            _ => None,
        }
    }
}

/// Whether a key id is expected in the protected header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KidRule {
    /// Credentials and status list tokens (the issuer key id), verifier certificates (the
    /// authority key id): a kid is required.
    Required,
    /// Presentations (the device key comes from the credential), signed requests (the
    /// verifier key comes from the certificate), activation proofs: a kid is not allowed.
    Forbidden,
}

/// A decoded COSE_Sign1 of the mlegit profile, borrowing from the input.
#[derive(Clone, Debug)]
pub struct Sign1<'a> {
    /// The protected header bytes, as received.
    pub protected: &'a [u8],
    /// The algorithm from the protected header.
    pub alg: Algorithm,
    /// The key id from the protected header.
    pub kid: Option<&'a [u8]>,
    /// The payload bytes, as received.
    pub payload: &'a [u8],
    /// The signature `r || s`.
    pub signature: [u8; 64],
}

/// Decodes `bytes` as a COSE_Sign1 of the profile and runs the header checks of spec §3.2 and §3.3
/// in their order: structure, protected map, alg placement, empty unprotected header,
/// `typ`, accepted algorithms, kid.
pub fn decode_sign1<'a>(
    bytes: &'a [u8],
    typ: &str,
    accepted: &[Algorithm],
    kid_rule: KidRule,
) -> Result<Sign1<'a>, Error> {
    // C1 (spec §3.2): the bytes as strict CBOR.
    let value = cbor::decode(bytes)?;
    // C2 (spec §3.2): an array of exactly 4 elements.
    let Value::Array(items) = value else {
        return Err(Error::CoseMalformed);
    };
    let [protected, unprotected, payload, signature] = items.as_slice() else {
        return Err(Error::CoseMalformed);
    };
    // C3 (spec §3.2): bstr, map, bstr, bstr, checked in this order.
    let (
        Value::Bytes(protected),
        Value::Map(unprotected),
        Value::Bytes(payload),
        Value::Bytes(signature),
    ) = (protected, unprotected, payload, signature)
    else {
        return Err(Error::CoseMalformed);
    };
    // C4 (spec §3.2): a signature of 64 bytes.
    let signature: [u8; 64] = (*signature).try_into().map_err(|_| Error::CoseMalformed)?;

    // C5, C6 (spec §3.2): the protected bstr's content as strict CBOR, and a map.
    let Value::Map(headers) = cbor::decode(protected)? else {
        return Err(Error::CoseMalformed);
    };
    let mut alg = None;
    let mut kid = None;
    let mut found_typ = None;
    // C7 (spec §3.2): each protected label 1, 4 or 16, with a value of its type.
    for (label, value) in &headers {
        match label.as_u64() {
            // Any integer is well-typed; one outside i64 is simply not an accepted alg.
            Some(HEADER_ALG) => match value {
                Value::Unsigned(_) | Value::Negative(_) => alg = Some(value.as_i64()),
                _ => return Err(Error::CoseMalformed),
            },
            Some(HEADER_KID) => {
                let k = value.as_bytes().ok_or(Error::CoseMalformed)?;
                if k.is_empty() || k.len() > 32 {
                    return Err(Error::CoseMalformed);
                }
                kid = Some(k);
            }
            Some(HEADER_TYP) => found_typ = Some(value.as_text().ok_or(Error::CoseMalformed)?),
            _ => return Err(Error::CoseUnknownHeader),
        }
    }
    // H1 (spec §3.3): alg in the protected header (alg_not_protected if only unprotected).
    let Some(alg) = alg else {
        let in_unprotected = unprotected
            .iter()
            .any(|(k, _)| k.as_u64() == Some(HEADER_ALG));
        return Err(if in_unprotected {
            Error::AlgNotProtected
        } else {
            Error::AlgMissing
        });
    };
    // H2 (spec §3.3): the unprotected header is empty.
    if !unprotected.is_empty() {
        return Err(Error::CoseUnprotectedHeader);
    }
    // H3 (spec §3.3): typ present and the expected one.
    if found_typ != Some(typ) {
        return Err(Error::WrongContext);
    }
    // H4 (spec §3.3): alg in the accepted set.
    let alg = alg
        .and_then(Algorithm::from_cose_id)
        .filter(|a| accepted.contains(a))
        .ok_or(Error::AlgNotAllowed)?;
    // H5 (spec §3.3): kid required, or forbidden for a presentation.
    match (kid_rule, kid) {
        (KidRule::Required, None) => return Err(Error::KidMissing),
        (KidRule::Forbidden, Some(_)) => return Err(Error::CoseUnknownHeader),
        _ => {}
    }
    Ok(Sign1 {
        protected,
        alg,
        kid,
        payload,
        signature,
    })
}

impl Sign1<'_> {
    /// The `Sig_structure` bytes this signature covers (spec §3.7).
    pub fn to_be_signed(&self) -> Vec<u8> {
        to_be_signed(self.protected, self.payload)
    }

    /// Verifies the signature with `key` over the `Sig_structure`, saying why it failed:
    /// [`SignatureFailure::HighS`](crypto::SignatureFailure::HighS) is the malleable twin
    /// of a valid signature (spec `signature_malleable`), any other failure an invalid
    /// signature. The caller maps them to its own error (the issuer's or the device's).
    pub fn verify(
        &self,
        backend: &dyn SignatureBackend,
        key: &PublicKey,
    ) -> Result<(), crypto::SignatureFailure> {
        // V1, V2, V3 (spec §3.9): the signature over the Sig_structure, with `key`.
        crypto::verify_es256(backend, key, &self.to_be_signed(), &self.signature)
    }
}

/// `Sig_structure = ["Signature1", protected, external_aad = h'', payload]`.
pub fn to_be_signed(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(protected.len() + payload.len() + 24);
    e.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(&[])
        .bytes(payload);
    e.into_bytes()
}

/// The protected header `{1: alg, ?4: kid, 16: typ}`.
pub fn protected_header(alg: Algorithm, kid: Option<&[u8]>, typ: &str) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(if kid.is_some() { 3 } else { 2 });
    e.u64(HEADER_ALG).i64(alg.cose_id());
    if let Some(kid) = kid {
        e.u64(HEADER_KID).bytes(kid);
    }
    e.u64(HEADER_TYP).text(typ);
    e.into_bytes()
}

/// Signs `payload` under `protected` and returns the encoded COSE_Sign1.
pub fn sign1(
    protected: &[u8],
    payload: &[u8],
    signer: &dyn Signer,
) -> Result<Vec<u8>, SignerError> {
    let signature = crypto::normalize_low_s(signer.sign(&to_be_signed(protected, payload))?)?;
    Ok(encode_sign1(protected, payload, &signature))
}

/// Encodes a COSE_Sign1 from its parts (no signing: for tests and vectors).
pub fn encode_sign1(protected: &[u8], payload: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(protected.len() + payload.len() + signature.len() + 16);
    e.array(4)
        .bytes(protected)
        .map(0)
        .bytes(payload)
        .bytes(signature);
    e.into_bytes()
}
