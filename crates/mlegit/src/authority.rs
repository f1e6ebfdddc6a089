//! The authority that registers verifiers: it signs verifier certificates (spec §7.4),
//! which the holder checks against its authority list before it shows who asks (§7.6).
//!
//! ```text
//! VerifierCertificate = COSE_Sign1, typ "application/mlegit.verifier+cose", kid required
//! payload = { 1: version (1), 2: verifier_key (COSE_Key), 3: name, 4: audience,
//!             5: [1*16 claim names], 6: iat, 7: nbf, 8: exp }
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::cbor::{self, Encoder, Value};
use crate::claims::{ClaimName, clean_text};
use crate::cose::{self, Algorithm, KidRule};
use crate::credential::{decode_cose_key, encode_cose_key};
use crate::crypto::{PublicKey, SignatureBackend, SignatureFailure, Signer};
use crate::error::{Error, IssueError};
use crate::request::claim_list;
use crate::trust::{TrustList, TrustedKey};
use crate::wire::{self, certificate as f};

/// The version of the verifier certificate.
pub const CERTIFICATE_VERSION: u64 = 1;

/// What an authority certifies about one verifier (spec §7.4).
#[derive(Clone, Copy, Debug)]
pub struct CertificateParts<'a> {
    /// The verifier's P-256 key: the key its signed requests verify with.
    pub verifier_key: &'a PublicKey,
    /// The name the holder shows (1 to 128 bytes of clean text).
    pub name: &'a str,
    /// The verifier's identifier: its requests' audience (1 to 128 bytes of clean text).
    pub audience: &'a str,
    /// The claims it may ask for: 1 to 16, distinct.
    pub claims: &'a [ClaimName],
    /// When the authority signs (`iat`).
    pub issued_at: u64,
    /// Valid from (`nbf`), at or after `issued_at`.
    pub not_before: u64,
    /// Valid until (`exp`), after `not_before`.
    pub expires: u64,
}

impl CertificateParts<'_> {
    /// The issuer-side rules of spec §7.4: name and audience 1 to 128 bytes of clean text,
    /// 1 to 16 distinct claims, `iat <= nbf < exp`.
    pub fn check(&self) -> Result<(), IssueError> {
        let distinct = self
            .claims
            .iter()
            .enumerate()
            .all(|(i, c)| !self.claims.iter().take(i).any(|d| d == c));
        let ok = text_ok(self.name)
            && text_ok(self.audience)
            && (1..=16).contains(&self.claims.len())
            && distinct
            && self.issued_at <= self.not_before
            && self.not_before < self.expires;
        if ok {
            Ok(())
        } else {
            Err(IssueError::InvalidVerifierCertificate)
        }
    }
}

/// An authority key: signs verifier certificates.
pub struct Authority<S: Signer> {
    signer: S,
    kid: Vec<u8>,
}

impl<S: Signer> core::fmt::Debug for Authority<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authority")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn text_ok(t: &str) -> bool {
    !t.is_empty() && t.len() <= 128 && clean_text(t)
}

impl<S: Signer> Authority<S> {
    /// An authority signing with `signer`, key id as spec §3.8 derives it.
    pub fn new(signer: S) -> Self {
        let kid = signer.public_key().key_id();
        Self { signer, kid }
    }

    /// The authority key's id.
    pub fn key_id(&self) -> &[u8] {
        &self.kid
    }

    /// Its entry for a holder's authority list, valid for certificates issued from
    /// `not_before` to `not_after`.
    pub fn trusted_key(&self, not_before: u64, not_after: u64) -> TrustedKey {
        TrustedKey {
            kid: self.kid.clone(),
            key: self.signer.public_key(),
            not_before,
            not_after,
        }
    }

    /// Signs a verifier certificate.
    pub fn certificate(&self, parts: &CertificateParts<'_>) -> Result<Vec<u8>, IssueError> {
        parts.check()?;
        let mut e = Encoder::with_capacity(192 + 16 * parts.claims.len());
        e.map(8);
        e.i64(f::VERSION.key).u64(CERTIFICATE_VERSION);
        e.i64(f::VERIFIER_KEY.key);
        encode_cose_key(&mut e, parts.verifier_key);
        e.i64(f::NAME.key).text(parts.name);
        e.i64(f::AUDIENCE.key).text(parts.audience);
        e.i64(f::CLAIMS.key).array(parts.claims.len());
        for c in parts.claims {
            e.text(c.as_str());
        }
        e.i64(f::IAT.key).u64(parts.issued_at);
        e.i64(f::NBF.key).u64(parts.not_before);
        e.i64(f::EXP.key).u64(parts.expires);
        let protected =
            cose::protected_header(Algorithm::Es256, Some(&self.kid), cose::TYP_VERIFIER);
        cose::sign1(&protected, &e.into_bytes(), &self.signer).map_err(|_| IssueError::Signer)
    }
}

/// A verifier certificate whose steps A4–A9 passed (spec §7.6): made only by the holder's
/// [`RequestChecker`](crate::RequestChecker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierCertificate {
    key: PublicKey,
    name: String,
    audience: String,
    claims: Vec<ClaimName>,
    issued_at: u64,
    not_before: u64,
    expires: u64,
    authority_kid: Vec<u8>,
}

impl VerifierCertificate {
    /// The verifier's key.
    pub fn verifier_key(&self) -> &PublicKey {
        &self.key
    }
    /// The name the authority registered: what the holder shows.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The verifier's identifier (its requests' audience).
    pub fn audience(&self) -> &str {
        &self.audience
    }
    /// The claims it may ask for.
    pub fn claims(&self) -> &[ClaimName] {
        &self.claims
    }
    /// When the authority signed it.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }
    /// Valid from.
    pub fn not_before(&self) -> u64 {
        self.not_before
    }
    /// Valid until.
    pub fn expires(&self) -> u64 {
        self.expires
    }
    /// The key id of the authority key that signed it.
    pub fn authority_kid(&self) -> &[u8] {
        &self.authority_kid
    }
}

/// A4–A9 (spec §7.6): the certificate bytes of a signed request, checked against the
/// authority list at `now`.
pub(crate) fn check_certificate(
    bytes: &[u8],
    authorities: &TrustList,
    now: u64,
    skew: u64,
    backend: &impl SignatureBackend,
) -> Result<VerifierCertificate, Error> {
    // A4 (spec §7.6): C1-C7 and H1-H5, typ verifier, kid required.
    let sign1 = cose::decode_sign1(
        bytes,
        cose::TYP_VERIFIER,
        &[Algorithm::Es256],
        KidRule::Required,
    )?;
    // A5, F1 (spec §7.6, §4): the payload as strict CBOR.
    let root = cbor::decode(sign1.payload)?;
    // A5 (spec §7.6): F2-F5 with the table of §7.4.
    let [version, key, name, audience, claims, iat, nbf, exp] = wire::decode(&root, &f::FIELDS)?;
    // A5 (spec §7.6): version 1.
    if wire::uint(version) != CERTIFICATE_VERSION {
        return Err(Error::UnsupportedVersion);
    }
    // A5 (spec §7.6): 1 to 16 claims, each a registry name, none repeated.
    let Some(Value::Array(items)) = claims else {
        return Err(Error::InvalidField);
    };
    let claims = claim_list(items)?;
    // A5 (spec §7.6): the verifier key an exact P-256 COSE_Key on the curve.
    let Some(Value::Map(entries)) = key else {
        return Err(Error::InvalidField);
    };
    let key = decode_cose_key(entries).ok_or(Error::InvalidField)?;
    // A5 (spec §7.6): iat <= nbf < exp.
    let (iat, nbf, exp) = (wire::uint(iat), wire::uint(nbf), wire::uint(exp));
    if !(iat <= nbf && nbf < exp) {
        return Err(Error::InvalidField);
    }
    // A6 (spec §7.6): the kid names an authority-list key.
    let kid = sign1.kid.ok_or(Error::KidMissing)?;
    let trusted = authorities.find(kid).ok_or(Error::UnknownAuthority)?;
    // A7 (spec §7.6): iat within that key's window.
    if !trusted.valid_at(iat) {
        return Err(Error::AuthorityKeyNotValid);
    }
    // A8 (spec §7.6): V1-V3 on the certificate with that key.
    match sign1.verify(backend, &trusted.key) {
        Ok(()) => {}
        Err(SignatureFailure::HighS) => return Err(Error::SignatureMalleable),
        Err(_) => return Err(Error::CertificateSignatureInvalid),
    }
    // A9a (spec §7.6): not before nbf, beyond the skew.
    if u128::from(now) + u128::from(skew) < u128::from(nbf) {
        return Err(Error::CertificateNotYetValid);
    }
    // A9b (spec §7.6): not after exp, beyond the skew.
    if u128::from(now) > u128::from(exp) + u128::from(skew) {
        return Err(Error::CertificateExpired);
    }
    Ok(VerifierCertificate {
        key,
        name: wire::text(name).into(),
        audience: wire::text(audience).into(),
        claims,
        issued_at: iat,
        not_before: nbf,
        expires: exp,
        authority_kid: kid.to_vec(),
    })
}
