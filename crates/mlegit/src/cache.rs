//! An opt-in cache of issuer signatures already verified.
//!
//! Every presentation of a credential carries the same credential bytes, so a verifier that
//! sees one student many times (a school gate, a canteen) checks the same issuer signature
//! again and again: half of the cost of each verification. [`IssuerSignatureCache`]
//! remembers the credentials whose issuer signature passed steps V1–V3 (spec §3.9), and
//! [`Verifier::verify_cached`](crate::Verifier::verify_cached) skips only that signature
//! for them.
//!
//! What the cache does and does not change:
//!
//! - An entry is keyed by SHA-256 of the ENTIRE credential COSE_Sign1 as received (protected
//!   header, payload and signature), never by the signature bytes alone: any other bytes,
//!   even with the same signature, miss and are verified in full.
//! - An entry also records the issuer key that verified it, and it hits only while the trust
//!   list maps the credential's kid to that same key. Removing the key from the trust list
//!   (or rotating the kid to another key) invalidates its entries: they are never used again,
//!   and [`IssuerSignatureCache::retain_trusted`] drops them.
//! - Only successes are stored. A failed signature is not remembered, so a bad credential
//!   costs a full verification each time, as it does without a cache.
//! - Every other step still runs on every call, in the spec's order: size, decoding, the
//!   kid lookup and the key's validity at `iat` (P6, P7), the credential's content (P9),
//!   its validity window against the clock (P10), the device signature (P11), the time,
//!   nonce and audience checks (P12, P13) and every disclosure digest (P14). The error a
//!   presentation gets is the one it would get without a cache.
//!
//! The cache has a fixed capacity `N` chosen at compile time and allocates nothing, so it
//! works without `std` (and without a heap). It is a plain value: the caller owns it and
//! passes `&mut` to each call, so a multi-threaded server wraps it in its own lock (or keeps
//! one per thread).

use sha2::{Digest as _, Sha256};

use crate::crypto::PublicKey;
use crate::trust::TrustList;

/// How many consecutive slots a lookup probes, from the slot the digest points to.
const PROBES: usize = 8;

/// SHA-256 of a credential's COSE_Sign1 bytes: what the cache is keyed by.
pub type CredentialDigest = [u8; 32];

#[derive(Clone, Copy)]
struct Entry {
    credential: CredentialDigest,
    /// The issuer key that verified it: `x || y`.
    key: [u8; 64],
}

impl Entry {
    fn key_bytes(key: &PublicKey) -> [u8; 64] {
        let mut out = [0u8; 64];
        let (x, y) = out.split_at_mut(32);
        x.copy_from_slice(key.x());
        y.copy_from_slice(key.y());
        out
    }
}

/// A bounded cache of issuer signatures already verified (see the [module docs](self)).
///
/// `N` entries of 96 bytes each. A lookup probes at most 8 slots, so its cost does not grow
/// with `N`; when those slots are full, one of them is replaced.
///
/// ```
/// use mlegit::IssuerSignatureCache;
/// // 256 entries (24 KiB): one per credential a busy verifier sees within a while.
/// let mut cache: IssuerSignatureCache<256> = IssuerSignatureCache::new();
/// assert!(cache.is_empty());
/// # let _ = &mut cache;
/// ```
#[derive(Clone)]
pub struct IssuerSignatureCache<const N: usize = 64> {
    slots: [Option<Entry>; N],
    len: usize,
    /// Rotates the slot replaced when every probed slot is taken.
    victim: usize,
}

impl<const N: usize> Default for IssuerSignatureCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Debug for IssuerSignatureCache<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerSignatureCache")
            .field("capacity", &N)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<const N: usize> IssuerSignatureCache<N> {
    /// An empty cache of `N` entries.
    pub const fn new() -> Self {
        Self {
            slots: [None; N],
            len: 0,
            victim: 0,
        }
    }

    /// The number of entries it can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number of entries it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.slots = [None; N];
        self.len = 0;
    }

    /// Keeps only the entries whose key is still in `trust` (under any kid); call it after
    /// removing keys from a trust list to free their slots. Entries of a removed key are
    /// never used even without this call: a hit needs the key the trust list has now.
    pub fn retain_trusted(&mut self, trust: &TrustList) {
        for slot in &mut self.slots {
            let keep = slot.is_some_and(|e| {
                trust
                    .keys()
                    .iter()
                    .any(|t| Entry::key_bytes(&t.key) == e.key)
            });
            if !keep && slot.take().is_some() {
                self.len -= 1;
            }
        }
    }

    /// The slots a digest may live in: up to [`PROBES`] consecutive ones, wrapping.
    fn probe(credential: &CredentialDigest) -> impl Iterator<Item = usize> {
        // The digest is uniformly distributed: its first bytes make a good slot number.
        let mut start = [0u8; 8];
        start.copy_from_slice(credential.get(..8).unwrap_or(&[0; 8]));
        let start = usize::try_from(u64::from_le_bytes(start) % (N.max(1) as u64)).unwrap_or(0);
        (0..PROBES.min(N)).map(move |i| (start + i) % N)
    }

    /// True if the credential with this digest was verified with `key`. An entry for the
    /// same credential under another key (the kid now names a different key) is dropped.
    pub(crate) fn contains(&mut self, credential: &CredentialDigest, key: &PublicKey) -> bool {
        let key = Entry::key_bytes(key);
        for i in Self::probe(credential) {
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if let Some(entry) = slot
                && entry.credential == *credential
            {
                if entry.key == key {
                    return true;
                }
                *slot = None;
                self.len -= 1;
                return false;
            }
        }
        false
    }

    /// Records that the credential with this digest passed V1–V3 with `key`.
    pub(crate) fn insert(&mut self, credential: CredentialDigest, key: &PublicKey) {
        if N == 0 {
            return;
        }
        let entry = Entry {
            credential,
            key: Entry::key_bytes(key),
        };
        let mut free = None;
        for i in Self::probe(&credential) {
            match self.slots.get(i) {
                Some(Some(e)) if e.credential == credential => {
                    free = Some(i);
                    break;
                }
                Some(None) if free.is_none() => free = Some(i),
                _ => {}
            }
        }
        let index = match free {
            Some(i) => i,
            None => {
                // Every probed slot holds another credential: replace them in turn.
                self.victim = (self.victim + 1) % PROBES.min(N);
                let mut slots = Self::probe(&credential);
                slots.nth(self.victim).unwrap_or(0)
            }
        };
        if let Some(slot) = self.slots.get_mut(index) {
            if slot.is_none() {
                self.len += 1;
            }
            *slot = Some(entry);
        }
    }
}

/// The cache key of a credential: SHA-256 of its entire COSE_Sign1 bytes.
pub(crate) fn credential_digest(credential: &[u8]) -> CredentialDigest {
    Sha256::digest(credential).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::crypto::{P256Signer, Signer};

    fn key(byte: u8) -> PublicKey {
        P256Signer::from_scalar(&[byte; 32]).unwrap().public_key()
    }

    fn digest(i: u32) -> CredentialDigest {
        credential_digest(&i.to_be_bytes())
    }

    #[test]
    fn hits_only_with_the_same_key() {
        let mut cache: IssuerSignatureCache<16> = IssuerSignatureCache::new();
        let (a, b) = (key(1), key(2));
        assert!(!cache.contains(&digest(0), &a));
        cache.insert(digest(0), &a);
        assert_eq!(cache.len(), 1);
        assert!(cache.contains(&digest(0), &a));
        assert!(!cache.contains(&digest(1), &a));
        // The kid now names another key: a miss, and the stale entry is gone.
        assert!(!cache.contains(&digest(0), &b));
        assert!(cache.is_empty());
        assert!(!cache.contains(&digest(0), &a));
    }

    #[test]
    fn stays_within_capacity() {
        let mut cache: IssuerSignatureCache<8> = IssuerSignatureCache::new();
        let a = key(1);
        for i in 0..100 {
            cache.insert(digest(i), &a);
            assert!(cache.contains(&digest(i), &a), "just inserted {i}");
            assert!(cache.len() <= 8);
        }
        assert_eq!(cache.len(), 8);
        // Inserting the same credential again does not take a second slot.
        cache.insert(digest(99), &a);
        assert_eq!(cache.len(), 8);
        cache.clear();
        assert!(cache.is_empty() && !cache.contains(&digest(99), &a));
    }

    #[test]
    fn capacity_zero_never_hits() {
        let mut cache: IssuerSignatureCache<0> = IssuerSignatureCache::new();
        cache.insert(digest(0), &key(1));
        assert!(!cache.contains(&digest(0), &key(1)));
        assert_eq!(cache.capacity(), 0);
    }

    /// A credential, a presentation of it, and a verifier that trusts its issuer.
    mod through_the_verifier {
        use super::*;
        use crate::claims::ClaimName;
        use crate::credential::StatusReference;
        use crate::error::Error;
        use crate::issuer::Issuer;
        use crate::trust::{TrustList, TrustedKey};
        use crate::verifier::{Verifier, VerifyContext};
        use crate::wallet::Wallet;
        use alloc::vec::Vec;

        const NOW: u64 = 1_790_000_000;

        fn trusted(kid: &[u8], key: PublicKey) -> TrustedKey {
            TrustedKey {
                kid: kid.to_vec(),
                key,
                not_before: 0,
                not_after: u64::MAX,
            }
        }

        /// (presentation, the issuer's kid, the issuer's key)
        fn presentation() -> (Vec<u8>, Vec<u8>, PublicKey) {
            let issuer = Issuer::new(crate::fixtures::issuer_a().signer());
            let device = crate::fixtures::device().signer();
            let student = crate::fixtures::student(None);
            let issued = issuer
                .credential()
                .claims(student)
                .device_key(device.public_key())
                .validity(crate::Validity::starting_at(NOW - 100, 100_100))
                .status(StatusReference {
                    uri: "https://issuer.example/status".into(),
                    index: 1,
                })
                .issue_with_secret(&[0x33; 16], &[0x44; 32])
                .unwrap();
            let wallet = Wallet::new(issued.credential, issued.disclosures, device).unwrap();
            let bytes = wallet.present(&[ClaimName::FamilyName], None, NOW).unwrap();
            (
                bytes,
                issuer.key_id().to_vec(),
                issuer.signer().public_key(),
            )
        }

        fn ctx(now: u64) -> VerifyContext<'static> {
            VerifyContext::offline(now)
        }

        #[test]
        fn a_hit_gives_the_result_of_a_full_verification() {
            let (bytes, kid, key) = presentation();
            let mut trust = TrustList::new();
            trust.add(trusted(&kid, key)).unwrap();
            let verifier = Verifier::new(trust);
            let mut cache: IssuerSignatureCache<4> = IssuerSignatureCache::new();
            let full = verifier.verify(&bytes, &ctx(NOW));
            assert!(full.is_ok());
            assert_eq!(verifier.verify_cached(&bytes, &ctx(NOW), &mut cache), full);
            assert_eq!(cache.len(), 1);
            assert_eq!(verifier.verify_cached(&bytes, &ctx(NOW), &mut cache), full);
            // A hit skips no other check: the clock and the presentation's age still apply.
            for now in [NOW + 100_000 + 61, NOW + 301] {
                assert_eq!(
                    verifier.verify_cached(&bytes, &ctx(now), &mut cache),
                    verifier.verify(&bytes, &ctx(now))
                );
                assert!(verifier.verify(&bytes, &ctx(now)).is_err());
            }
        }

        #[test]
        fn failures_are_not_stored_and_removed_keys_do_not_hit() {
            let (bytes, kid, key) = presentation();
            let mut cache: IssuerSignatureCache<4> = IssuerSignatureCache::new();
            // The kid names another key: the issuer signature fails, nothing is stored.
            let mut wrong = TrustList::new();
            wrong
                .add(trusted(
                    &kid,
                    P256Signer::from_scalar(&[0x77; 32]).unwrap().public_key(),
                ))
                .unwrap();
            let wrong = Verifier::new(wrong);
            for _ in 0..2 {
                assert_eq!(
                    wrong.verify_cached(&bytes, &ctx(NOW), &mut cache),
                    Err(Error::IssuerSignatureInvalid)
                );
                assert!(cache.is_empty());
            }
            // Verified and stored under the right key...
            let mut trust = TrustList::new();
            trust.add(trusted(&kid, key)).unwrap();
            let right = Verifier::new(trust.clone());
            assert!(right.verify_cached(&bytes, &ctx(NOW), &mut cache).is_ok());
            assert_eq!(cache.len(), 1);
            // ...never a hit for a trust list where the kid names another key...
            assert_eq!(
                wrong.verify_cached(&bytes, &ctx(NOW), &mut cache),
                Err(Error::IssuerSignatureInvalid)
            );
            // ...nor once the key is removed.
            trust.remove(&kid);
            let removed = Verifier::new(trust.clone());
            assert_eq!(
                removed.verify_cached(&bytes, &ctx(NOW), &mut cache),
                Err(Error::UnknownKeyId)
            );
            cache.retain_trusted(&trust);
            assert!(cache.is_empty());
        }
    }

    #[test]
    fn retain_trusted_drops_removed_keys() {
        use crate::trust::{TrustList, TrustedKey};
        let (a, b) = (key(1), key(2));
        let mut cache: IssuerSignatureCache<32> = IssuerSignatureCache::new();
        cache.insert(digest(0), &a);
        cache.insert(digest(1), &b);
        let mut trust = TrustList::new();
        for (kid, k) in [(1u8, &a), (2, &b)] {
            trust
                .add(TrustedKey {
                    kid: alloc::vec![kid],
                    key: k.clone(),
                    not_before: 0,
                    not_after: u64::MAX,
                })
                .unwrap();
        }
        cache.retain_trusted(&trust);
        assert_eq!(cache.len(), 2);
        trust.remove(&[1]);
        cache.retain_trusted(&trust);
        assert_eq!(cache.len(), 1);
        assert!(!cache.contains(&digest(0), &a));
        assert!(cache.contains(&digest(1), &b));
    }
}
