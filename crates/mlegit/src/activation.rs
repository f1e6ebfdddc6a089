//! The activation proof of possession (spec §19): how a phone proves, when it activates at
//! the issuer, that it holds every device key of the batch of credentials it asks for.
//!
//! The phone makes `N` device keys (1 to [`MAX_BATCH`]; [`DEFAULT_BATCH`] by default), one
//! per credential of the batch. Each key signs one proof, a COSE_Sign1 of the mlegit
//! profile (spec §3) with protected header `{1: -7 (ES256), 16:
//! "application/mlegit.activation+cose"}` (no kid: the keys travel beside the proofs), an
//! empty unprotected header, and the same payload for all `N`: [`payload`]`(activation_id,
//! challenge, keys_digest)`, the deterministic CBOR map `{1: activation_id (text), 2:
//! challenge (bytes), 3: keys_digest (32 bytes)}`, where [`keys_digest`] is the SHA-256 of
//! the deterministic CBOR array of the `N` keys (each the 65-byte uncompressed SEC1 point
//! as a byte string), in the order sent. So each proof names the whole batch: no key can
//! be added, dropped or moved without every proof failing. The challenge is the issuer's
//! (fresh, expiring, bound to the activation), so a set of proofs is good for one attempt.
//!
//! A wallet needs only this module (and an HTTP client) to activate: [`sign_all`] makes
//! the proofs; the issuer checks them with [`verify`] (steps B1 to B5 of spec §19.3)
//! before it looks at the code, so bad proofs never cost one of the code's five attempts.

use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};

use crate::cbor::Encoder;
use crate::cose::{self, Algorithm, KidRule};
use crate::crypto::{PublicKey, SignatureBackend, Signer};
use crate::error::SignerError;

/// The proof's `typ` (spec §3.4's registry: "activation proof of possession").
pub const TYP: &str = cose::TYP_ACTIVATION;

/// The longest proof accepted: a proof of the profile is under 250 bytes plus the
/// activation id and challenge; anything longer is refused before it is decoded.
pub const MAX_PROOF_LEN: usize = 4096;

/// The most device keys (credentials) in one batch (spec §19.1).
pub const MAX_BATCH: usize = 64;

/// The batch a wallet asks for unless told otherwise (spec §19.1): in the range that mdoc
/// deployments use (10 to 30 and a little over), a few weeks of daily use.
pub const DEFAULT_BATCH: usize = 32;

/// The digest that binds a batch's keys (spec §19.2): SHA-256 of the deterministic CBOR
/// array of the keys' uncompressed SEC1 points (`[* bstr .size 65]`), in order.
pub fn keys_digest(keys: &[PublicKey]) -> [u8; 32] {
    let mut e = Encoder::with_capacity(keys.len() * 67 + 3);
    e.array(keys.len());
    for key in keys {
        e.bytes(&key.to_sec1_uncompressed());
    }
    Sha256::digest(e.into_bytes()).into()
}

/// The payload every key of the batch signs: `{1: activation_id, 2: challenge, 3:
/// keys_digest}`, deterministic CBOR (spec §19.2).
pub fn payload(activation_id: &str, challenge: &[u8], keys_digest: &[u8; 32]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(activation_id.len() + challenge.len() + 44);
    e.map(3)
        .u64(1)
        .text(activation_id)
        .u64(2)
        .bytes(challenge)
        .u64(3)
        .bytes(keys_digest);
    e.into_bytes()
}

/// One proof: `device`'s signature over the batch's [`payload`]. `keys` is the whole
/// batch in the order it is sent, `device`'s own key among them.
pub fn sign(
    activation_id: &str,
    challenge: &[u8],
    keys: &[PublicKey],
    device: &dyn Signer,
) -> Result<Vec<u8>, SignerError> {
    let protected = cose::protected_header(Algorithm::Es256, None, TYP);
    let payload = payload(activation_id, challenge, &keys_digest(keys));
    cose::sign1(&protected, &payload, device)
}

/// The batch's keys and one proof by each, in the order of `devices` (the order the
/// issuer binds them to the credentials it returns).
pub fn sign_all<S: Signer>(
    activation_id: &str,
    challenge: &[u8],
    devices: &[S],
) -> Result<(Vec<PublicKey>, Vec<Vec<u8>>), SignerError> {
    let keys: Vec<PublicKey> = devices.iter().map(Signer::public_key).collect();
    let protected = cose::protected_header(Algorithm::Es256, None, TYP);
    let payload = payload(activation_id, challenge, &keys_digest(&keys));
    let proofs = devices
        .iter()
        .map(|d| cose::sign1(&protected, &payload, d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((keys, proofs))
}

/// Why a batch of proofs was refused. The reference server checks the batch's shape
/// itself first (422 `invalid_batch_size`, `duplicate_device_key`) and answers every
/// failure here as 403 `proof_invalid`; the kinds are for logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// No key, more than [`MAX_BATCH`], or not one proof per key (B1).
    BatchSize,
    /// Key `index` equals an earlier one (B2).
    DuplicateKey {
        /// Its position in the batch.
        index: usize,
    },
    /// Proof `index` is longer than [`MAX_PROOF_LEN`] (B3).
    TooLarge {
        /// Its position in the batch.
        index: usize,
    },
    /// Proof `index` is not a COSE_Sign1 of the profile with this `typ`, ES256 and no
    /// kid (the code of the first check that failed, spec §13) (B3).
    Malformed {
        /// Its position in the batch.
        index: usize,
        /// The error code of the failed COSE check.
        code: &'static str,
    },
    /// Proof `index` signs another payload: another activation, challenge or batch (B4).
    WrongPayload {
        /// Its position in the batch.
        index: usize,
    },
    /// Proof `index` does not verify with key `index` (or is the high-S twin of one that
    /// does) (B5).
    BadSignature {
        /// Its position in the batch.
        index: usize,
    },
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::BatchSize => write!(
                f,
                "activation batch: 1 to {MAX_BATCH} device keys, one proof for each"
            ),
            ProofError::DuplicateKey { index } => {
                write!(
                    f,
                    "activation batch: device key {index} repeats an earlier one"
                )
            }
            ProofError::TooLarge { index } => write!(f, "activation proof {index} too large"),
            ProofError::Malformed { index, code } => {
                write!(f, "activation proof {index} malformed ({code})")
            }
            ProofError::WrongPayload { index } => write!(
                f,
                "activation proof {index} signs another activation, challenge or batch"
            ),
            ProofError::BadSignature { index } => {
                write!(f, "activation proof {index}: signature invalid")
            }
        }
    }
}

impl core::error::Error for ProofError {}

/// Checks a batch (spec §19.3, steps B1 to B5 in order): 1 to [`MAX_BATCH`] keys and one
/// proof per key (B1), no key twice (B2), then for each proof in order: its size and the
/// COSE checks of spec §3.2 and §3.3 (typ [`TYP`], ES256 only, kid forbidden) (B3), the
/// payload byte for byte (B4), and the signature with the key at the same position (V1 to
/// V3 of spec §3.9, low S) (B5).
pub fn verify<P: AsRef<[u8]>>(
    proofs: &[P],
    activation_id: &str,
    challenge: &[u8],
    keys: &[PublicKey],
    backend: &dyn SignatureBackend,
) -> Result<(), ProofError> {
    // B1 (spec §19.3): 1 to MAX_BATCH keys, one proof per key.
    if keys.is_empty() || keys.len() > MAX_BATCH || proofs.len() != keys.len() {
        return Err(ProofError::BatchSize);
    }
    // B2 (spec §19.3): no key twice.
    for (index, key) in keys.iter().enumerate() {
        if keys.iter().take(index).any(|k| k == key) {
            return Err(ProofError::DuplicateKey { index });
        }
    }
    let expected = payload(activation_id, challenge, &keys_digest(keys));
    for (index, (proof, key)) in proofs.iter().zip(keys).enumerate() {
        let proof = proof.as_ref();
        // B3 (spec §19.3): the size cap, then C1-C7 and H1-H5 with typ activation, kid forbidden.
        if proof.len() > MAX_PROOF_LEN {
            return Err(ProofError::TooLarge { index });
        }
        let sign1 = cose::decode_sign1(proof, TYP, &[Algorithm::Es256], KidRule::Forbidden)
            .map_err(|e| ProofError::Malformed {
                index,
                code: e.code(),
            })?;
        // B4 (spec §19.3): the payload, byte for byte.
        if sign1.payload != expected.as_slice() {
            return Err(ProofError::WrongPayload { index });
        }
        // B5 (spec §19.3): V1-V3 with the key at the same position.
        sign1
            .verify(backend, key)
            .map_err(|_| ProofError::BadSignature { index })?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::crypto::{P256Backend, P256Signer};

    fn device(b: u8) -> P256Signer {
        P256Signer::from_scalar(&[b; 32]).expect("a scalar")
    }

    fn batch(n: u8) -> Vec<P256Signer> {
        (1..=n).map(device).collect()
    }

    #[test]
    fn payload_is_the_three_entry_map() {
        // {1: "ab", 2: h'0102', 3: h'00...00'}
        let mut want = alloc::vec![0xa3, 0x01, 0x62, b'a', b'b', 0x02, 0x42, 0x01, 0x02];
        want.extend_from_slice(&[0x03, 0x58, 0x20]);
        want.extend_from_slice(&[0; 32]);
        assert_eq!(payload("ab", &[1, 2], &[0; 32]), want);
    }

    #[test]
    fn keys_digest_hashes_the_array_of_points() {
        let keys: Vec<PublicKey> = batch(2).iter().map(Signer::public_key).collect();
        let mut array = alloc::vec![0x82];
        for k in &keys {
            array.extend_from_slice(&[0x58, 0x41]);
            array.extend_from_slice(&k.to_sec1_uncompressed());
        }
        let want: [u8; 32] = Sha256::digest(&array).into();
        assert_eq!(keys_digest(&keys), want);
        // The order matters.
        let swapped = [keys[1].clone(), keys[0].clone()];
        assert_ne!(keys_digest(&swapped), want);
    }

    #[test]
    fn a_batch_verifies_for_its_activation_challenge_and_keys_only() {
        let devices = batch(3);
        let (keys, proofs) = sign_all("act1", b"challenge", &devices).expect("signs");
        let check = |proofs: &[Vec<u8>], id: &str, challenge: &[u8], keys: &[PublicKey]| {
            verify(proofs, id, challenge, keys, &P256Backend)
        };
        assert_eq!(check(&proofs, "act1", b"challenge", &keys), Ok(()));
        assert_eq!(
            check(&proofs, "act2", b"challenge", &keys),
            Err(ProofError::WrongPayload { index: 0 })
        );
        assert_eq!(
            check(&proofs, "act1", b"other", &keys),
            Err(ProofError::WrongPayload { index: 0 })
        );
        // A key dropped, swapped or replaced changes the digest every proof signs.
        assert_eq!(
            check(&proofs[..2], "act1", b"challenge", &keys[..2]),
            Err(ProofError::WrongPayload { index: 0 })
        );
        let swapped = [keys[1].clone(), keys[0].clone(), keys[2].clone()];
        let swapped_proofs = [proofs[1].clone(), proofs[0].clone(), proofs[2].clone()];
        assert_eq!(
            check(&swapped_proofs, "act1", b"challenge", &swapped),
            Err(ProofError::WrongPayload { index: 0 })
        );
        // A proof by another key of the batch, at the wrong position.
        let mixed = [proofs[0].clone(), proofs[0].clone(), proofs[2].clone()];
        assert_eq!(
            check(&mixed, "act1", b"challenge", &keys),
            Err(ProofError::BadSignature { index: 1 })
        );
    }

    #[test]
    fn the_shape_of_the_batch_is_checked_first() {
        let devices = batch(2);
        let (keys, proofs) = sign_all("a", b"c", &devices).expect("signs");
        assert_eq!(
            verify::<Vec<u8>>(&[], "a", b"c", &[], &P256Backend),
            Err(ProofError::BatchSize)
        );
        assert_eq!(
            verify(&proofs[..1], "a", b"c", &keys, &P256Backend),
            Err(ProofError::BatchSize)
        );
        let twice = [keys[0].clone(), keys[0].clone()];
        assert_eq!(
            verify(&proofs, "a", b"c", &twice, &P256Backend),
            Err(ProofError::DuplicateKey { index: 1 })
        );
        let many: Vec<PublicKey> = (0..=MAX_BATCH).map(|_| keys[0].clone()).collect();
        let many_proofs: Vec<Vec<u8>> = many.iter().map(|_| proofs[0].clone()).collect();
        assert_eq!(
            verify(&many_proofs, "a", b"c", &many, &P256Backend),
            Err(ProofError::BatchSize)
        );
        let too_large = [proofs[0].clone(), alloc::vec![0u8; MAX_PROOF_LEN + 1]];
        assert_eq!(
            verify(&too_large, "a", b"c", &keys, &P256Backend),
            Err(ProofError::TooLarge { index: 1 })
        );
        let cut = [proofs[0][1..].to_vec(), proofs[1].clone()];
        assert!(matches!(
            verify(&cut, "a", b"c", &keys, &P256Backend),
            Err(ProofError::Malformed { index: 0, .. })
        ));
    }

    #[test]
    fn a_proof_with_another_typ_is_malformed() {
        let dev = device(9);
        let keys = [dev.public_key()];
        let protected = cose::protected_header(
            Algorithm::Es256,
            None,
            "application/mlegit.presentation+cose",
        );
        let proof =
            cose::sign1(&protected, &payload("a", b"c", &keys_digest(&keys)), &dev).expect("signs");
        assert!(matches!(
            verify(&[proof], "a", b"c", &keys, &P256Backend),
            Err(ProofError::Malformed { index: 0, .. })
        ));
        // `sign` with the batch's keys is what `sign_all` makes.
        let one = sign("a", b"c", &keys, &dev).expect("signs");
        assert_eq!(verify(&[one], "a", b"c", &keys, &P256Backend), Ok(()));
    }
}
