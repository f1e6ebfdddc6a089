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

/// How often one credential of a batch has been shown, and when last (spec §19.5): what a
/// wallet keeps beside the batch to pick the next credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uses {
    /// Presentations made with it.
    pub count: u32,
    /// The `presented_at` of the last one (0 if none).
    pub last: u64,
}

/// The credential a presentation of a [`Batch`] used, by its position in the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Never shown before: nothing in the presentation links it to another one.
    Fresh(usize),
    /// Every credential was shown before: this one, the least recently shown, links the
    /// presentation to the earlier ones made with it. Tell the student (spec §19.5).
    Reused(usize),
}

impl Pick {
    /// The credential's position in the batch.
    pub fn index(self) -> usize {
        match self {
            Pick::Fresh(i) | Pick::Reused(i) => i,
        }
    }
}

/// Why credentials cannot form one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchError {
    /// No credential, or more than [`crate::activation::MAX_BATCH`].
    Size,
    /// Credential `index` has the credential id of an earlier one.
    RepeatedCredential(usize),
    /// Credential `index` is bound to the device key of an earlier one.
    RepeatedKey(usize),
    /// Credential `index` holds other claims than the first.
    OtherClaims(usize),
    /// Credential `index` differs from the first in its issuer key, `iat`, `nbf`, `exp` or
    /// status list URI: fields that every credential of a batch shares (spec §19.5), and
    /// that would otherwise let an issuer tag a batch.
    OtherFields(usize),
    /// The usage record is not one entry per credential.
    Uses,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Size => write!(
                f,
                "a batch holds 1 to {} credentials",
                crate::activation::MAX_BATCH
            ),
            BatchError::RepeatedCredential(i) => {
                write!(
                    f,
                    "credential {i} repeats the credential id of an earlier one"
                )
            }
            BatchError::RepeatedKey(i) => {
                write!(
                    f,
                    "credential {i} is bound to the device key of an earlier one"
                )
            }
            BatchError::OtherClaims(i) => {
                write!(f, "credential {i} holds other claims than the first")
            }
            BatchError::OtherFields(i) => write!(
                f,
                "credential {i} differs from the first in its issuer key, validity or status list"
            ),
            BatchError::Uses => f.write_str("the usage record is not one entry per credential"),
        }
    }
}

impl core::error::Error for BatchError {}

/// Whether a batch with this usage record is running low (spec §19.5 rule 3): fewer than a
/// quarter of its credentials were never shown. For a wallet that keeps the record without
/// opening the batch's keys.
pub fn running_low(uses: &[Uses]) -> bool {
    uses.iter().filter(|u| u.count == 0).count() * 4 < uses.len()
}

/// A batch of single-use credentials of one student (spec §19): each [`Wallet`] with its
/// own device key, credential id, salts, status entry and signature, and a usage record.
/// Each presentation takes the next credential never shown ([`Batch::next`]), so that no
/// two presentations share anything but the claims they disclose and the fields every
/// credential of the issuer has; once all are used, the least recently shown one.
///
/// The usage record lives with the batch: a wallet that forgets it (a restored backup)
/// shows credentials again, and those presentations link.
pub struct Batch<S: Signer> {
    credentials: Vec<Wallet<S>>,
    uses: Vec<Uses>,
}

impl<S: Signer> fmt::Debug for Batch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.credentials.len())
            .field("unused", &self.unused())
            .finish_non_exhaustive()
    }
}

impl<S: Signer> Batch<S> {
    /// A batch of credentials each checked on receipt ([`Wallet::new`]), none shown yet:
    /// 1 to [`crate::activation::MAX_BATCH`] of them, no credential id or device key twice,
    /// the same claims (by name, in order) in each, and the same issuer key, times and
    /// status list URI.
    pub fn new(credentials: Vec<Wallet<S>>) -> Result<Self, BatchError> {
        if credentials.is_empty() || credentials.len() > crate::activation::MAX_BATCH {
            return Err(BatchError::Size);
        }
        for (i, w) in credentials.iter().enumerate() {
            let earlier = credentials.iter().take(i);
            for e in earlier {
                if e.info.credential_id == w.info.credential_id {
                    return Err(BatchError::RepeatedCredential(i));
                }
                if e.info.device_key == w.info.device_key {
                    return Err(BatchError::RepeatedKey(i));
                }
            }
            if let Some(first) = credentials.first() {
                if !first.claims().eq(w.claims()) {
                    return Err(BatchError::OtherClaims(i));
                }
                let (a, b) = (&first.info, &w.info);
                if (&a.issuer_kid, a.iat, a.nbf, a.exp, &a.status.uri)
                    != (&b.issuer_kid, b.iat, b.nbf, b.exp, &b.status.uri)
                {
                    return Err(BatchError::OtherFields(i));
                }
            }
        }
        let uses = alloc::vec![Uses::default(); credentials.len()];
        Ok(Self { credentials, uses })
    }

    /// The same batch with a usage record kept from before (one entry per credential).
    pub fn with_uses(mut self, uses: Vec<Uses>) -> Result<Self, BatchError> {
        if uses.len() != self.credentials.len() {
            return Err(BatchError::Uses);
        }
        self.uses = uses;
        Ok(self)
    }

    /// The credentials, in the order issued.
    pub fn credentials(&self) -> &[Wallet<S>] {
        &self.credentials
    }

    /// The usage record, one entry per credential.
    pub fn uses(&self) -> &[Uses] {
        &self.uses
    }

    /// How many credentials were never shown.
    pub fn unused(&self) -> usize {
        self.uses.iter().filter(|u| u.count == 0).count()
    }

    /// Whether the wallet should tell the student to ask the school for a new batch
    /// (spec §19.5): [`running_low`] of its usage record.
    pub fn running_low(&self) -> bool {
        running_low(&self.uses)
    }

    /// The credential the next presentation uses: the first never shown, else the least
    /// recently shown (the first of those if several were last shown at the same second).
    pub fn next(&self) -> Pick {
        if let Some(i) = self.uses.iter().position(|u| u.count == 0) {
            return Pick::Fresh(i);
        }
        let lru = self
            .uses
            .iter()
            .enumerate()
            .min_by_key(|(i, u)| (u.last, *i))
            .map_or(0, |(i, _)| i);
        Pick::Reused(lru)
    }

    /// [`Wallet::present`] with the [`Batch::next`] credential, recorded as used at `now`
    /// once signed.
    pub fn present(
        &mut self,
        selection: &[ClaimName],
        request: Option<&PresentationRequest>,
        now: u64,
    ) -> Result<(Vec<u8>, Pick), PresentError> {
        self.with_next(now, |w| w.present(selection, request, now))
    }

    /// [`Wallet::answer`] with the [`Batch::next`] credential, recorded as used at `now`
    /// once signed.
    pub fn answer(
        &mut self,
        selection: &[ClaimName],
        checked: &crate::CheckedRequest,
        now: u64,
    ) -> Result<(Vec<u8>, Pick), PresentError> {
        self.with_next(now, |w| w.answer(selection, checked, now))
    }

    /// `make` with the [`Batch::next`] credential's wallet; the pick recorded as used at
    /// `now` once `make` has signed.
    fn with_next(
        &mut self,
        now: u64,
        make: impl FnOnce(&Wallet<S>) -> Result<Vec<u8>, PresentError>,
    ) -> Result<(Vec<u8>, Pick), PresentError> {
        let pick = self.next();
        let bytes = make(self.wallet(pick)?)?;
        self.record(pick, now);
        Ok((bytes, pick))
    }

    fn wallet(&self, pick: Pick) -> Result<&Wallet<S>, PresentError> {
        self.credentials
            .get(pick.index())
            .ok_or(PresentError::Signer)
    }

    fn record(&mut self, pick: Pick, now: u64) {
        if let Some(u) = self.uses.get_mut(pick.index()) {
            u.count = u.count.saturating_add(1);
            u.last = now;
        }
    }
}
