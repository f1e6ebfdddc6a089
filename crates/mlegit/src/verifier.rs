//! The verifier (spec §9.3 and §10.3): bytes in, a [`VerifiedPresentation`] or the reason out.

use alloc::string::String;
use alloc::vec::Vec;

use crate::cbor::{self, Value};
use crate::claims::{ClaimName, ClaimValue};
use crate::cose::{self, Algorithm, KidRule};
use crate::credential::{self, StatusReference, VERSION};
use crate::crypto::{P256Backend, SignatureBackend};
use crate::disclosure::{self, Digest32};
use crate::error::Error;
use crate::fields;
use crate::presentation::{self, MAX_DISCLOSURES};
use crate::status::{StatusBody, VerifiedStatus};
use crate::trust::TrustList;

/// Default clock skew tolerated, in seconds.
pub const DEFAULT_CLOCK_SKEW: u64 = 60;
/// Default maximum age of a presentation, in seconds.
pub const DEFAULT_MAX_AGE: u64 = 300;
/// Default cap on the size of a presentation or status response, in bytes.
pub const DEFAULT_MAX_INPUT: usize = 65_536;

/// What the verifier expects of one presentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyContext<'a> {
    /// The verifier's current time (NumericDate seconds).
    pub now: u64,
    /// The nonce of the request the verifier sent; `None` for an offline presentation.
    pub expected_nonce: Option<&'a [u8]>,
    /// The verifier's own identifier, when it sent a request.
    pub expected_audience: Option<&'a str>,
}

/// What the verifier expects of one status response.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatusContext<'a> {
    /// The verifier's current time.
    pub now: u64,
    /// The credential it asked about.
    pub credential_id: &'a [u8],
    /// The nonce it sent, if any.
    pub expected_nonce: Option<&'a [u8]>,
}

/// A presentation that passed every check. It holds only what was disclosed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPresentation {
    /// The disclosed claims, in the order presented.
    pub claims: Vec<(ClaimName, ClaimValue)>,
    /// When the holder presented (NumericDate seconds, signed by the device key).
    pub presented_at: u64,
    /// The credential's `nbf`.
    pub not_before: u64,
    /// The credential's `exp`.
    pub expires: u64,
    /// The credential id, for an online status check.
    pub credential_id: Vec<u8>,
    /// Where the credential's status is published.
    pub status: StatusReference,
    /// The issuer key that signed the credential.
    pub issuer_kid: Vec<u8>,
    /// The nonce the presentation answered, if any.
    pub nonce: Option<Vec<u8>>,
    /// The audience it was bound to, if any.
    pub audience: Option<String>,
}

impl VerifiedPresentation {
    /// The value of a disclosed claim.
    pub fn claim(&self, name: ClaimName) -> Option<&ClaimValue> {
        self.claims.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// A verifier: trust anchors and policy. Holds no clock: time comes with each call.
#[derive(Clone, Debug)]
pub struct Verifier<B: SignatureBackend = P256Backend> {
    trust: TrustList,
    algorithms: Vec<Algorithm>,
    clock_skew: u64,
    max_age: u64,
    max_input: usize,
    backend: B,
}

impl Verifier<P256Backend> {
    /// A verifier with the default policy (ES256, 60 s skew, 300 s maximum age, 64 KiB cap).
    pub fn new(trust: TrustList) -> Self {
        Self::with_backend(trust, P256Backend)
    }
}

impl<B: SignatureBackend> Verifier<B> {
    /// A verifier with the default policy and another signature backend.
    pub fn with_backend(trust: TrustList, backend: B) -> Self {
        Self {
            trust,
            algorithms: alloc::vec![Algorithm::Es256],
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_age: DEFAULT_MAX_AGE,
            max_input: DEFAULT_MAX_INPUT,
            backend,
        }
    }

    /// The accepted signature algorithms.
    #[must_use]
    pub fn accepted_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// The clock skew tolerated, in seconds.
    #[must_use]
    pub fn clock_skew(mut self, seconds: u64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// The maximum age of a presentation, in seconds.
    #[must_use]
    pub fn max_presentation_age(mut self, seconds: u64) -> Self {
        self.max_age = seconds;
        self
    }

    /// The cap on input size, in bytes.
    #[must_use]
    pub fn max_input_size(mut self, bytes: usize) -> Self {
        self.max_input = bytes;
        self
    }

    /// The trust list.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// Verifies a presentation (spec §9.3, steps 1 to 14 in order).
    pub fn verify(
        &self,
        bytes: &[u8],
        ctx: &VerifyContext<'_>,
    ) -> Result<VerifiedPresentation, Error> {
        // 1. size cap
        if bytes.len() > self.max_input {
            return Err(Error::InputTooLarge);
        }
        // 2. the presentation's COSE_Sign1 and headers
        let outer = cose::decode_sign1(
            bytes,
            cose::TYP_PRESENTATION,
            &self.algorithms,
            KidRule::Forbidden,
        )?;
        // 3. its payload
        let outer_root = cbor::decode(outer.payload)?;
        let [version, cred, discl, presented_at, nonce, audience] =
            fields::decode(&outer_root, &presentation::FIELDS)?;
        if fields::uint(version) != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        let Some(Value::Array(disclosures)) = discl else {
            return Err(Error::InvalidField);
        };
        if disclosures.len() > MAX_DISCLOSURES || disclosures.iter().any(|d| d.as_bytes().is_none())
        {
            return Err(Error::InvalidField);
        }
        let presented_at = fields::uint(presented_at);
        let nonce = nonce.and_then(Value::as_bytes);
        let audience = audience.and_then(Value::as_text);
        // 4, 5. the credential's COSE_Sign1, headers and payload
        let inner = credential::decode(fields::bytes(cred), &self.algorithms)?;
        let inner_root = cbor::decode(inner.payload)?;
        let payload = credential::decode_payload(&inner_root)?;
        // 6, 7, 8. issuer key and signature
        let kid = inner.kid.ok_or(Error::KidMissing)?;
        let trusted = self.trust.find(kid).ok_or(Error::UnknownKeyId)?;
        if !trusted.valid_at(payload.iat) {
            return Err(Error::IssuerKeyNotValid);
        }
        inner.verify(&self.backend, &trusted.key, Error::IssuerSignatureInvalid)?;
        // 9. the credential's content
        let checked = payload.check(inner.kid)?;
        // 10. its validity window and the clock
        let (nbf, exp) = (payload.nbf, payload.exp);
        if !(payload.iat <= nbf && nbf < exp) {
            return Err(Error::InvalidValidityWindow);
        }
        if ctx.now.saturating_add(self.clock_skew) < nbf {
            return Err(Error::CredentialNotYetValid);
        }
        if ctx.now > exp.saturating_add(self.clock_skew) {
            return Err(Error::CredentialExpired);
        }
        // 11. the device signature, with the key the issuer bound
        outer.verify(
            &self.backend,
            &checked.device_key,
            Error::DeviceSignatureInvalid,
        )?;
        // 12. presentation time
        if presented_at > ctx.now.saturating_add(self.clock_skew) {
            return Err(Error::PresentationFromFuture);
        }
        if presented_at.saturating_add(self.max_age) < ctx.now {
            return Err(Error::PresentationTooOld);
        }
        if presented_at < nbf || presented_at > exp {
            return Err(Error::PresentedOutsideValidity);
        }
        // 13. binding to the request
        if nonce != ctx.expected_nonce {
            return Err(Error::NonceMismatch);
        }
        if audience != ctx.expected_audience {
            return Err(Error::AudienceMismatch);
        }
        // 14. disclosures
        let claims = check_disclosures(disclosures, &checked.digests)?;
        Ok(VerifiedPresentation {
            claims,
            presented_at,
            not_before: nbf,
            expires: exp,
            credential_id: payload.credential_id.to_vec(),
            status: payload.status,
            issuer_kid: kid.to_vec(),
            nonce: nonce.map(<[u8]>::to_vec),
            audience: audience.map(String::from),
        })
    }

    /// Verifies a status response (spec §10.3, in order).
    pub fn verify_status(
        &self,
        bytes: &[u8],
        ctx: &StatusContext<'_>,
    ) -> Result<VerifiedStatus, Error> {
        if bytes.len() > self.max_input {
            return Err(Error::InputTooLarge);
        }
        let sign1 =
            cose::decode_sign1(bytes, cose::TYP_STATUS, &self.algorithms, KidRule::Required)?;
        let root = cbor::decode(sign1.payload)?;
        let (version, body) = StatusBody::decode(&root)?;
        let kid = sign1.kid.ok_or(Error::KidMissing)?;
        let trusted = self.trust.find(kid).ok_or(Error::UnknownKeyId)?;
        if !trusted.valid_at(body.checked_at) {
            return Err(Error::IssuerKeyNotValid);
        }
        sign1.verify(&self.backend, &trusted.key, Error::IssuerSignatureInvalid)?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        if body.credential_id != ctx.credential_id {
            return Err(Error::StatusCredentialMismatch);
        }
        if body.nonce.as_deref() != ctx.expected_nonce {
            return Err(Error::NonceMismatch);
        }
        if body.checked_at > ctx.now.saturating_add(self.clock_skew) {
            return Err(Error::StatusFromFuture);
        }
        let fresh_until = body
            .checked_at
            .saturating_add(body.cache_for)
            .saturating_add(self.clock_skew);
        if ctx.now > fresh_until {
            return Err(Error::StatusStale);
        }
        Ok(VerifiedStatus {
            body,
            issuer_kid: kid.to_vec(),
        })
    }
}

/// Spec §9.3 step 14: each disclosure decoded, matched against the digest set, unique,
/// of a known claim, seen once, and of its claim's type.
fn check_disclosures(
    disclosures: &[Value<'_>],
    digests: &[Digest32],
) -> Result<Vec<(ClaimName, ClaimValue)>, Error> {
    let mut seen: Vec<Digest32> = Vec::with_capacity(disclosures.len());
    let mut claims: Vec<(ClaimName, ClaimValue)> = Vec::with_capacity(disclosures.len());
    for d in disclosures {
        let bytes = d.as_bytes().ok_or(Error::InvalidField)?;
        let (name, value) = disclosure::parse_structure(bytes)?;
        let digest = disclosure::digest(bytes);
        // The set is sorted (checked in step 9): binary search.
        if digests.binary_search(&digest).is_err() {
            return Err(Error::DigestMismatch);
        }
        if seen.contains(&digest) {
            return Err(Error::DuplicateDisclosure);
        }
        seen.push(digest);
        let name = ClaimName::from_name(name).ok_or(Error::UnknownClaim)?;
        if claims.iter().any(|(n, _)| *n == name) {
            return Err(Error::DuplicateClaim);
        }
        let value = crate::claims::validate(name, &value).ok_or(Error::InvalidClaimValue)?;
        claims.push((name, value));
    }
    Ok(claims)
}
