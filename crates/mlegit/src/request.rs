//! The presentation request a verifier shows as a QR code (spec §7): unsigned (§7.1), or
//! signed by the verifier's key and carrying its certificate (§7.5), which the holder's
//! [`RequestChecker`] checks (§7.6) before it shows who asks.
//!
//! ```text
//! PresentationRequest = { 1: version (1), 2: nonce (16..32 bytes), 3: audience,
//!                         4: verifier_name, 5: [1*16 claim names], 6: created_at }
//! SignedRequest = COSE_Sign1, typ "application/mlegit.request+cose", no kid,
//!                 payload = PresentationRequest's fields + { 7: certificate (bstr) }
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest as _, Sha256};

use crate::authority::{VerifierCertificate, check_certificate};
use crate::cbor::{self, Encoder, Value};
use crate::claims::ClaimName;
use crate::cose::{self, Algorithm, KidRule};
use crate::credential::PRESENTATION_VERSION as VERSION;
use crate::credential::{decode_cose_key, encode_cose_key};
use crate::crypto::{P256Backend, PublicKey, SignatureBackend, SignatureFailure, Signer};
use crate::error::{Error, SignerError};
use crate::trust::TrustList;
use crate::wire::{self as fields, request as f, signed_request as sf};

/// Largest encoded (unsigned) request accepted: it has to fit a QR code comfortably.
pub const MAX_REQUEST_LEN: usize = 1024;
/// Largest signed request accepted (spec §7.6, A1).
pub const MAX_SIGNED_REQUEST_LEN: usize = 2048;

/// R4, R5 (spec §7.3), also A5's claims rule: 1 to 16 elements, each a text string naming
/// a registry claim, none repeated.
pub(crate) fn claim_list(items: &[Value<'_>]) -> Result<Vec<ClaimName>, Error> {
    if items.is_empty() || items.len() > 16 {
        return Err(Error::InvalidField);
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_text().ok_or(Error::InvalidField)?;
        let name = ClaimName::from_name(name).ok_or(Error::UnknownClaim)?;
        if names.contains(&name) {
            return Err(Error::DuplicateClaim);
        }
        names.push(name);
    }
    Ok(names)
}

/// What a verifier asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentationRequest {
    /// A fresh random nonce, 16 to 32 bytes.
    pub nonce: Vec<u8>,
    /// The verifier's identifier; the presentation is bound to it.
    pub audience: String,
    /// The name the holder's screen shows.
    pub verifier_name: String,
    /// The claims asked for.
    pub claims: Vec<ClaimName>,
    /// When the request was made (NumericDate seconds).
    pub created_at: u64,
    /// The verifier's ephemeral key, to which the holder encrypts its answer when it sends
    /// it over the network (spec §18); `None` for a request answered in person.
    pub response_key: Option<PublicKey>,
}

impl PresentationRequest {
    /// Encodes the request (spec §7.1): the unsigned form.
    pub fn to_vec(&self) -> Vec<u8> {
        self.encode(None)
    }

    /// Signs the request with the verifier key that `certificate` (a verifier
    /// certificate, spec §7.4) certifies: the signed form of spec §7.5. The request's
    /// audience and verifier name must be the certificate's, and its claims among the
    /// certificate's, or holders refuse it (A11, A12).
    pub fn sign(&self, signer: &dyn Signer, certificate: &[u8]) -> Result<Vec<u8>, SignerError> {
        let payload = self.encode(Some(certificate));
        let protected = cose::protected_header(Algorithm::Es256, None, cose::TYP_REQUEST);
        cose::sign1(&protected, &payload, signer)
    }

    fn encode(&self, certificate: Option<&[u8]>) -> Vec<u8> {
        let extra = certificate.map_or(0, <[u8]>::len);
        let mut e =
            Encoder::with_capacity(64 + self.audience.len() + self.verifier_name.len() + extra);
        e.map(6 + usize::from(certificate.is_some()) + usize::from(self.response_key.is_some()));
        e.i64(f::VERSION.key).u64(VERSION);
        e.i64(f::NONCE.key).bytes(&self.nonce);
        e.i64(f::AUDIENCE.key).text(&self.audience);
        e.i64(f::VERIFIER_NAME.key).text(&self.verifier_name);
        e.i64(f::CLAIMS.key).array(self.claims.len());
        for c in &self.claims {
            e.text(c.as_str());
        }
        e.i64(f::CREATED_AT.key).u64(self.created_at);
        if let Some(c) = certificate {
            e.i64(sf::CERTIFICATE.key).bytes(c);
        }
        if let Some(k) = &self.response_key {
            e.i64(f::RESPONSE_KEY.key);
            encode_cose_key(&mut e, k);
        }
        e.into_bytes()
    }

    /// Decodes and checks a request: strict CBOR, the field rules of spec §4, version 1,
    /// 1 to 16 known claim names without duplicates. A request that is not a map is
    /// [`Error::InvalidField`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        // R1 (spec §7.3): at most 1024 bytes.
        if bytes.len() > MAX_REQUEST_LEN {
            return Err(Error::InputTooLarge);
        }
        // R2, F1 (spec §7.3, §4): the request as strict CBOR.
        let root = cbor::decode(bytes)?;
        // R2, F2 (spec §7.3, §4): a request that is not a map is invalid_field.
        if !matches!(root, Value::Map(_)) {
            return Err(Error::InvalidField);
        }
        // R2 (spec §7.3): F3-F5 with the table of §7.1.
        let [version, nonce, audience, name, claims, created_at, key] =
            fields::decode(&root, &f::FIELDS)?;
        Self::from_fields([version, nonce, audience, name, claims, created_at], key)
    }

    /// The request inside a signed request, read WITHOUT checking its certificate or its
    /// signature (steps A1–A3 only): for the verifier that made it and reads it back, to
    /// know which nonce, audience and digest to expect. A holder checks requests with
    /// [`RequestChecker::check`] instead.
    pub fn from_signed_unverified(bytes: &[u8]) -> Result<Self, Error> {
        let (_, root) = decode_signed(bytes)?;
        // A3 (spec §7.6): F2-F5 with the table of §7.5, then R3-R5.
        let [
            version,
            nonce,
            audience,
            name,
            claims,
            created_at,
            _certificate,
            key,
        ] = fields::decode(&root, &sf::FIELDS)?;
        Self::from_fields([version, nonce, audience, name, claims, created_at], key)
    }

    /// R2b and R3-R5 (spec §7.3) on decoded fields (also A3 and A3b of a signed request).
    fn from_fields(
        slots: [Option<&Value<'_>>; 6],
        response_key: Option<&Value<'_>>,
    ) -> Result<Self, Error> {
        let [version, nonce, audience, name, claims, created_at] = slots;
        // R2b, A3b (spec §7.3, §7.6): a response key is an exact P-256 COSE_Key on the curve,
        // right after F5 and before R3.
        let response_key = match response_key {
            None => None,
            Some(Value::Map(entries)) => Some(decode_cose_key(entries).ok_or(Error::InvalidField)?),
            Some(_) => return Err(Error::InvalidField),
        };
        // R3 (spec §7.3): version 1.
        if fields::uint(version) != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        // R4, R5 (spec §7.3): 1 to 16 claims, each a registry name, none repeated.
        let Some(Value::Array(items)) = claims else {
            return Err(Error::InvalidField);
        };
        let names = claim_list(items)?;
        Ok(Self {
            nonce: fields::bytes(nonce).to_vec(),
            audience: fields::text(audience).into(),
            verifier_name: fields::text(name).into(),
            claims: names,
            created_at: fields::uint(created_at),
            response_key,
        })
    }
}

/// A1, A2, A3's F1 (spec §7.6): the size cap, the COSE_Sign1 and its headers, the payload
/// as strict CBOR.
fn decode_signed(bytes: &[u8]) -> Result<(cose::Sign1<'_>, Value<'_>), Error> {
    // A1 (spec §7.6): at most 2048 bytes.
    if bytes.len() > MAX_SIGNED_REQUEST_LEN {
        return Err(Error::InputTooLarge);
    }
    // A2 (spec §7.6): C1-C7 and H1-H5, typ request, kid absent.
    let sign1 = cose::decode_sign1(
        bytes,
        cose::TYP_REQUEST,
        &[Algorithm::Es256],
        KidRule::Forbidden,
    )?;
    // A3, F1 (spec §7.6, §4): the payload as strict CBOR.
    let root = cbor::decode(sign1.payload)?;
    Ok((sign1, root))
}

/// The holder's check of a request (spec §7.3, §7.6): its authority list and policy.
///
/// Signatures (the certificate's, A8, and the request's, A10) go through a
/// [`SignatureBackend`], [`P256Backend`] unless [`RequestChecker::with_backend`] names
/// another, as for [`Verifier`](crate::Verifier).
#[derive(Clone, Debug)]
pub struct RequestChecker<B: SignatureBackend = P256Backend> {
    authorities: TrustList,
    clock_skew: u64,
    allow_outside: bool,
    backend: B,
}

/// A request that passed the holder's checks: R1–R5 (unsigned) or A1–A12 (signed). Only
/// [`RequestChecker::check`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedRequest {
    request: PresentationRequest,
    verifier: Option<VerifierCertificate>,
    digest: Option<[u8; 32]>,
    outside: Vec<ClaimName>,
}

impl CheckedRequest {
    /// What is asked.
    pub fn request(&self) -> &PresentationRequest {
        &self.request
    }
    /// Who asks, as the authority certified it; `None` for an unsigned request, which
    /// the holder shows as "not verified" (spec §7.3, §14.11).
    pub fn verifier(&self) -> Option<&VerifierCertificate> {
        self.verifier.as_ref()
    }
    /// SHA-256 of the signed request's bytes, which the presentation binds (spec §8.1).
    pub fn digest(&self) -> Option<&[u8; 32]> {
        self.digest.as_ref()
    }
    /// Requested claims the certificate does not list: empty unless the holder allowed
    /// them explicitly ([`RequestChecker::allow_claims_outside_certificate`]).
    pub fn outside_certificate(&self) -> &[ClaimName] {
        &self.outside
    }
}

impl RequestChecker<P256Backend> {
    /// A checker trusting the verifier certificates of `authorities` (the authority list,
    /// spec §10.4), 60 s of clock skew, and refusing claims outside a certificate (A12).
    pub fn new(authorities: TrustList) -> Self {
        Self::with_backend(authorities, P256Backend)
    }
}

impl<B: SignatureBackend> RequestChecker<B> {
    /// [`RequestChecker::new`] with its signatures verified by `backend`.
    pub fn with_backend(authorities: TrustList, backend: B) -> Self {
        Self {
            authorities,
            clock_skew: crate::DEFAULT_CLOCK_SKEW,
            allow_outside: false,
            backend,
        }
    }

    /// The clock skew tolerated for certificate validity, in seconds.
    #[must_use]
    pub fn clock_skew(mut self, seconds: u64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// The student's explicit override of A12 for a request: claims outside the
    /// certificate pass, listed in [`CheckedRequest::outside_certificate`] for the screen.
    #[must_use]
    pub fn allow_claims_outside_certificate(mut self, allow: bool) -> Self {
        self.allow_outside = allow;
        self
    }

    /// Checks a request as received, signed (a CBOR array: A1–A12) or not (R1–R5), at
    /// `now`.
    pub fn check(&self, bytes: &[u8], now: u64) -> Result<CheckedRequest, Error> {
        if bytes.first().is_none_or(|b| b >> 5 != 4) {
            return Ok(CheckedRequest {
                request: PresentationRequest::from_slice(bytes)?,
                verifier: None,
                digest: None,
                outside: Vec::new(),
            });
        }
        // A1 (spec §7.6): at most 2048 bytes.
        if bytes.len() > MAX_SIGNED_REQUEST_LEN {
            return Err(Error::InputTooLarge);
        }
        // A2 (spec §7.6): C1-C7 and H1-H5, typ request, kid absent.
        let sign1 = cose::decode_sign1(
            bytes,
            cose::TYP_REQUEST,
            &[Algorithm::Es256],
            KidRule::Forbidden,
        )?;
        // A3, F1 (spec §7.6, §4): the payload as strict CBOR.
        let root = cbor::decode(sign1.payload)?;
        // A3 (spec §7.6): F2-F5 with the table of §7.5, then R3-R5.
        let [
            version,
            nonce,
            audience,
            name,
            claims,
            created_at,
            certificate,
            key,
        ] = fields::decode(&root, &sf::FIELDS)?;
        let request = PresentationRequest::from_fields(
            [version, nonce, audience, name, claims, created_at],
            key,
        )?;
        // A4, A5, A6, A7, A8, A9a, A9b (spec §7.6): the certificate.
        let cert = check_certificate(
            fields::bytes(certificate),
            &self.authorities,
            now,
            self.clock_skew,
            &self.backend,
        )?;
        // A10 (spec §7.6): V1-V3 on the request with the certificate's verifier key.
        match sign1.verify(&self.backend, cert.verifier_key()) {
            Ok(()) => {}
            Err(SignatureFailure::HighS) => return Err(Error::SignatureMalleable),
            Err(_) => return Err(Error::RequestSignatureInvalid),
        }
        // A11 (spec §7.6): the audience and name the certificate's, bytewise.
        if request.audience != cert.audience() || request.verifier_name != cert.name() {
            return Err(Error::RequestCertificateMismatch);
        }
        // A12 (spec §7.6): every requested claim one the certificate lists.
        let outside: Vec<ClaimName> = request
            .claims
            .iter()
            .copied()
            .filter(|c| !cert.claims().contains(c))
            .collect();
        if !outside.is_empty() && !self.allow_outside {
            return Err(Error::ClaimNotAllowed);
        }
        Ok(CheckedRequest {
            request,
            verifier: Some(cert),
            digest: Some(Sha256::digest(bytes).into()),
            outside,
        })
    }
}
