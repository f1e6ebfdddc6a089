//! The holder (spec §5.7, §8): a wallet holding one credential, all its disclosures and
//! the device key, which checks what it receives and presents only what the student picks.

use alloc::vec::Vec;
use core::fmt;

use crate::cbor::Encoder;
use crate::claims::ClaimName;
use crate::cose::{self, Algorithm};
use crate::credential::{CredentialInfo, PRESENTATION_VERSION as VERSION};
use crate::crypto::Signer;
use crate::disclosure::Disclosure;
use crate::error::{Error, PresentError};
use crate::request::PresentationRequest;
use crate::wire::presentation as f;

/// The holder's side: a credential, all its disclosures and the device key that may
/// present it.
pub struct Wallet<S: Signer> {
    credential: Vec<u8>,
    info: CredentialInfo,
    disclosures: Vec<Disclosure>,
    signer: S,
}

impl<S: Signer> fmt::Debug for Wallet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("claims", &self.claims().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<S: Signer> Wallet<S> {
    /// Takes a credential as issued: the holder checks of spec §5.7. Checks that it decodes
    /// (with its validity window and lifetime), that it is bound to this signer's key, that
    /// every disclosure is in its digest set ([`Error::DigestMismatch`]), and that no claim
    /// is disclosed twice ([`Error::DuplicateClaim`]: an issuer fault that no verifier can
    /// see, spec §6.2). The issuer signature is not verified here (a wallet need not hold
    /// the trust list).
    pub fn new(
        credential: Vec<u8>,
        disclosures: Vec<Disclosure>,
        signer: S,
    ) -> Result<Self, Error> {
        let info = CredentialInfo::decode_unverified(&credential)?;
        if info.device_key != signer.public_key() {
            return Err(Error::InvalidDeviceKey);
        }
        for (i, d) in disclosures.iter().enumerate() {
            if !info.digests.contains(&d.digest()) {
                return Err(Error::DigestMismatch);
            }
            if disclosures.iter().take(i).any(|e| e.name() == d.name()) {
                return Err(Error::DuplicateClaim);
            }
        }
        Ok(Self {
            credential,
            info,
            disclosures,
            signer,
        })
    }

    /// The credential bytes as issued.
    pub fn credential(&self) -> &[u8] {
        &self.credential
    }

    /// What the credential says outside its claims.
    pub fn info(&self) -> &CredentialInfo {
        &self.info
    }

    /// The claims the wallet can disclose.
    pub fn claims(&self) -> impl Iterator<Item = ClaimName> + '_ {
        self.disclosures.iter().map(Disclosure::name)
    }

    /// The disclosures.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// Presents the selected claims at `now`, bound to `request` when there is one
    /// (its nonce and audience are signed, and only claims it asked for may be selected);
    /// without a request, the signed `presented_at` is what limits replay (spec §8.2, §14.1).
    pub fn present(
        &self,
        selection: &[ClaimName],
        request: Option<&PresentationRequest>,
        now: u64,
    ) -> Result<Vec<u8>, PresentError> {
        self.sign_presentation(selection, request, None, now)
    }

    /// Presents the selected claims at `now` in answer to a request the holder checked
    /// ([`crate::RequestChecker`]): bound to its nonce and audience and, for a signed
    /// request, to the request itself (its SHA-256, spec §8.1), so that the presentation
    /// is good for that verifier only. Only requested claims may be selected.
    pub fn answer(
        &self,
        selection: &[ClaimName],
        checked: &crate::CheckedRequest,
        now: u64,
    ) -> Result<Vec<u8>, PresentError> {
        self.sign_presentation(selection, Some(checked.request()), checked.digest(), now)
    }

    fn sign_presentation(
        &self,
        selection: &[ClaimName],
        request: Option<&PresentationRequest>,
        digest: Option<&[u8; 32]>,
        now: u64,
    ) -> Result<Vec<u8>, PresentError> {
        if let Some(r) = request {
            // A request built in code rather than decoded: hold it to the same bounds, so
            // that the holder never signs what every verifier would refuse (spec §7.1).
            let audience_ok = !r.audience.is_empty()
                && r.audience.len() <= 128
                && crate::claims::clean_text(&r.audience);
            if !(16..=32).contains(&r.nonce.len()) || !audience_ok {
                return Err(PresentError::Request(Error::InvalidField));
            }
        }
        let mut chosen: Vec<&Disclosure> = Vec::with_capacity(selection.len());
        for (i, name) in selection.iter().enumerate() {
            if selection.iter().take(i).any(|n| n == name) {
                return Err(PresentError::DuplicateSelection(*name));
            }
            if request.is_some_and(|r| !r.claims.contains(name)) {
                return Err(PresentError::NotRequested(*name));
            }
            let d = self
                .disclosures
                .iter()
                .find(|d| d.name() == *name)
                .ok_or(PresentError::ClaimNotHeld(*name))?;
            chosen.push(d);
        }
        let size: usize = chosen.iter().map(|d| d.as_bytes().len() + 3).sum();
        let mut e = Encoder::with_capacity(self.credential.len() + size + 96);
        e.map(4 + 2 * usize::from(request.is_some()) + usize::from(digest.is_some()));
        e.i64(f::VERSION.key).u64(VERSION);
        e.i64(f::CREDENTIAL.key).bytes(&self.credential);
        e.i64(f::DISCLOSURES.key).array(chosen.len());
        for d in &chosen {
            e.bytes(d.as_bytes());
        }
        e.i64(f::PRESENTED_AT.key).u64(now);
        if let Some(r) = request {
            e.i64(f::NONCE.key).bytes(&r.nonce);
            e.i64(f::AUDIENCE.key).text(&r.audience);
        }
        if let Some(d) = digest {
            e.i64(f::REQUEST_DIGEST.key).bytes(d);
        }
        let protected = cose::protected_header(Algorithm::Es256, None, cose::TYP_PRESENTATION);
        cose::sign1(&protected, &e.into_bytes(), &self.signer).map_err(|_| PresentError::Signer)
    }
}
