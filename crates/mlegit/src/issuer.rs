//! The issuer (spec §5.6): a signer and its key id, and the builder that turns a
//! student's claims into a signed credential and its disclosures.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use crate::claims::{ClaimName, ClaimValue, StudentClaims};
use crate::cose::{self, Algorithm};
use crate::credential::{PayloadParts, StatusReference, check_validity, encode_payload};
use crate::crypto::{PublicKey, Signer};
use crate::disclosure::{DIGEST_SET_SIZE, Digest32, Disclosure, SaltDeriver};
use crate::error::{Error, IssueError};
use crate::status_list::StatusListToken;

/// A credential's times (NumericDate seconds), named so that they cannot be swapped:
/// `iat`, `nbf` and `exp` of spec §5.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// `iat`: when the issuer signs.
    pub issued_at: u64,
    /// `nbf`: the first second the credential is valid (`>= issued_at`).
    pub not_before: u64,
    /// `exp`: the last second it is valid (`> not_before`): a verifier refuses it once
    /// `now > exp + skew` (spec §12.2 P10d).
    pub expires: u64,
}

impl Validity {
    /// The rounded times of spec §5.6 rule 8 for a credential issued at `now` that must
    /// not be valid after `until` (the last second of the paper ID's expiry day, say):
    /// `iat = nbf` = the UTC midnight at or before `now`, and `exp` = the last second of
    /// the last whole UTC day that ends by `until` and within the 400-day lifetime
    /// ([`crate::MAX_CREDENTIAL_LIFETIME`]). Every credential of a batch, and every
    /// credential issued on the same day with an `until` on the same day, gets the same
    /// three values, so no time in it tells which activation it came from. `None` if no
    /// whole day is left: `until` is before the end of today.
    pub fn rounded(now: u64, until: u64) -> Option<Self> {
        const DAY: u64 = 86_400;
        let iat = now - now % DAY;
        let last = until.min(iat.checked_add(crate::MAX_CREDENTIAL_LIFETIME - 1)?);
        // The last second of the last whole day that ends at or before `last`.
        let exp = (last.checked_add(1)? / DAY * DAY).checked_sub(1)?;
        if exp < iat + DAY - 1 {
            return None;
        }
        Some(Self {
            issued_at: iat,
            not_before: iat,
            expires: exp,
        })
    }

    /// Issued and valid from `from`, for `seconds` (`exp = from + seconds`).
    pub const fn starting_at(from: u64, seconds: u64) -> Self {
        Self {
            issued_at: from,
            not_before: from,
            expires: from.saturating_add(seconds),
        }
    }
}

/// A credential as issued: the signed credential and every disclosure, for the holder.
#[derive(Clone, Debug)]
pub struct IssuedCredential {
    /// The credential (COSE_Sign1 bytes).
    pub credential: Vec<u8>,
    /// All disclosures, one per issued claim.
    pub disclosures: Vec<Disclosure>,
    /// The credential id (what status checks name).
    pub credential_id: Vec<u8>,
}

/// An issuer: a signer and its key id (spec §5.6).
pub struct Issuer<S: Signer> {
    signer: S,
    kid: Vec<u8>,
}

impl<S: Signer> core::fmt::Debug for Issuer<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Issuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl<S: Signer> Issuer<S> {
    /// An issuer whose key id is derived from its public key (spec §3.8).
    pub fn new(signer: S) -> Self {
        let kid = signer.public_key().key_id();
        Self { signer, kid }
    }

    /// An issuer with an explicit key id of 1 to 32 bytes.
    pub fn with_key_id(signer: S, kid: Vec<u8>) -> Result<Self, IssueError> {
        if kid.is_empty() || kid.len() > 32 {
            return Err(IssueError::InvalidKeyId);
        }
        Ok(Self { signer, kid })
    }

    /// The key id.
    pub fn key_id(&self) -> &[u8] {
        &self.kid
    }

    /// The signer.
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// This issuer's key as a verifier's trust list holds it (spec §10), trusted for
    /// credentials issued from `not_before` to `not_after` (`0, u64::MAX`: always).
    pub fn trusted_key(&self, not_before: u64, not_after: u64) -> crate::TrustedKey {
        crate::TrustedKey {
            kid: self.kid.clone(),
            key: self.signer.public_key(),
            not_before,
            not_after,
        }
    }

    /// Starts a credential.
    pub fn credential(&self) -> CredentialBuilder<'_, S> {
        CredentialBuilder {
            issuer: self,
            claims: None,
            device_key: None,
            validity: (0, 0, 0),
            status: None,
        }
    }

    /// Signs a status list token (spec §9) with this issuer's key: `sub` the list's URI,
    /// the array compressed with ZLIB. Sign with the current key (its trust-list window must
    /// contain `issued_at`, spec §12.4 step L5).
    pub fn status_list_token(&self, token: &StatusListToken<'_>) -> Result<Vec<u8>, IssueError> {
        let protected =
            cose::protected_header(Algorithm::Es256, Some(&self.kid), cose::TYP_STATUS_LIST);
        let payload = token.encode()?;
        cose::sign1(&protected, &payload, &self.signer).map_err(|_| IssueError::Signer)
    }
}

/// Builds one credential (spec §5.6).
#[must_use]
pub struct CredentialBuilder<'i, S: Signer> {
    issuer: &'i Issuer<S>,
    claims: Option<StudentClaims>,
    device_key: Option<PublicKey>,
    validity: (u64, u64, u64),
    status: Option<StatusReference>,
}

impl<S: Signer> core::fmt::Debug for CredentialBuilder<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CredentialBuilder").finish_non_exhaustive()
    }
}

impl<S: Signer> CredentialBuilder<'_, S> {
    /// The student's claims.
    pub fn claims(mut self, claims: StudentClaims) -> Self {
        self.claims = Some(claims);
        self
    }

    /// The holder's device key, which will sign presentations.
    pub fn device_key(mut self, key: PublicKey) -> Self {
        self.device_key = Some(key);
        self
    }

    /// When the credential is issued and valid (spec §5.6): `iat <= nbf < exp` and
    /// `exp - iat` at most [`MAX_CREDENTIAL_LIFETIME`](crate::MAX_CREDENTIAL_LIFETIME), else [`Self::issue`] fails.
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = (validity.issued_at, validity.not_before, validity.expires);
        self
    }

    /// Where the credential's status is published.
    pub fn status(mut self, status: StatusReference) -> Self {
        self.status = Some(status);
        self
    }

    /// Issues with a fresh random credential id and salt secret.
    pub fn issue<R: CryptoRng + ?Sized>(self, rng: &mut R) -> Result<IssuedCredential, IssueError> {
        let mut credential_id = [0u8; 16];
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut credential_id);
        rng.fill_bytes(secret.as_mut());
        self.issue_from(&credential_id, &secret)
    }

    /// **Hazmat, for reproducible test vectors only** (feature `test-vectors`): issues with
    /// the given credential id and salt secret (spec §6.3).
    ///
    /// Both MUST be fresh random values in production ([`Self::issue`] draws them), and
    /// the secret never leaves the issuer: whoever has it can confirm guesses of every
    /// undisclosed claim, and a reused credential id links credentials.
    #[cfg(any(test, feature = "test-vectors"))]
    pub fn issue_with_secret(
        self,
        credential_id: &[u8],
        salt_secret: &[u8; 32],
    ) -> Result<IssuedCredential, IssueError> {
        self.issue_from(credential_id, salt_secret)
    }

    fn issue_from(
        self,
        credential_id: &[u8],
        salt_secret: &[u8; 32],
    ) -> Result<IssuedCredential, IssueError> {
        let (iat, nbf, exp) = self.validity;
        check_validity(iat, nbf, exp).map_err(|e| match e {
            Error::CredentialLifetimeTooLong => IssueError::CredentialLifetimeTooLong,
            _ => IssueError::InvalidValidityWindow,
        })?;
        if !(16..=32).contains(&credential_id.len()) {
            return Err(IssueError::InvalidCredentialId);
        }
        let status = self.status.ok_or(IssueError::InvalidStatusReference)?;
        if !crate::credential::valid_status_uri(&status.uri) {
            return Err(IssueError::InvalidStatusReference);
        }
        let device_key = self.device_key.ok_or(IssueError::MissingDeviceKey)?;
        let claims: Vec<(ClaimName, ClaimValue)> = self
            .claims
            .as_ref()
            .ok_or(IssueError::MissingClaims)?
            .to_claims(iat)?;
        let deriver = SaltDeriver::new(credential_id, salt_secret);
        let disclosures: Vec<Disclosure> = claims
            .iter()
            .map(|(name, value)| Disclosure::new(&deriver.salt(*name), *name, value))
            .collect();
        let payload = encode_payload(&PayloadParts {
            kid: &self.issuer.kid,
            credential_id,
            validity: (iat, nbf, exp),
            device_key: &device_key,
            status: &status,
            digests: &digest_set(&disclosures, &deriver),
        });
        let protected = cose::protected_header(
            Algorithm::Es256,
            Some(&self.issuer.kid),
            cose::TYP_CREDENTIAL,
        );
        let credential = cose::sign1(&protected, &payload, &self.issuer.signer)
            .map_err(|_| IssueError::Signer)?;
        Ok(IssuedCredential {
            credential,
            disclosures,
            credential_id: credential_id.to_vec(),
        })
    }
}

/// The real digests padded with decoys to [`DIGEST_SET_SIZE`], sorted (spec §6.2, §6.4).
fn digest_set(disclosures: &[Disclosure], deriver: &SaltDeriver) -> Vec<Digest32> {
    let mut digests: Vec<Digest32> = disclosures.iter().map(Disclosure::digest).collect();
    let mut index = 0u8;
    while digests.len() < DIGEST_SET_SIZE {
        let decoy = deriver.decoy(index);
        index = index.wrapping_add(1);
        if !digests.contains(&decoy) {
            digests.push(decoy);
        }
    }
    digests.sort_unstable();
    digests
}

#[cfg(test)]
mod tests {
    use super::Validity;
    use crate::MAX_CREDENTIAL_LIFETIME;

    const DAY: u64 = 86_400;
    /// 2026-12-01T00:00:00Z.
    const MIDNIGHT: u64 = 1_796_083_200;

    #[test]
    fn rounded_times_are_whole_days() {
        let until = MIDNIGHT + 200 * DAY - 1; // the end of a day
        let a = Validity::rounded(MIDNIGHT + 1, until);
        let b = Validity::rounded(MIDNIGHT + DAY - 1, until);
        assert_eq!(a, b, "one day, one set of times");
        let a = a.unwrap_or(Validity::starting_at(0, 0));
        assert_eq!(a.issued_at, MIDNIGHT);
        assert_eq!(a.not_before, MIDNIGHT);
        assert_eq!(a.expires, until);
        // `until` inside a day: that day is not whole, so the day before ends it.
        let mid = Validity::rounded(MIDNIGHT + 5, until - 3600).map(|v| v.expires);
        assert_eq!(mid, Some(until - DAY));
        // The lifetime caps it, to a whole day.
        let far = Validity::rounded(MIDNIGHT + 5, u64::MAX / 2).map(|v| v.expires);
        assert_eq!(far, Some(MIDNIGHT + MAX_CREDENTIAL_LIFETIME - 1));
        // Today is the last day: still issued, valid to its end.
        let today = Validity::rounded(MIDNIGHT + 5, MIDNIGHT + DAY - 1).map(|v| v.expires);
        assert_eq!(today, Some(MIDNIGHT + DAY - 1));
        // Nothing whole left.
        assert_eq!(Validity::rounded(MIDNIGHT + 5, MIDNIGHT + DAY - 2), None);
        assert_eq!(Validity::rounded(MIDNIGHT + 5, 0), None);
        assert_eq!(Validity::rounded(u64::MAX, u64::MAX), None);
    }
}
