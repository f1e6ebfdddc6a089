//! The activation proof of possession: how a phone proves, when it activates a credential
//! at the reference server (`crates/mlegit-server/API.md`, "Activation"), that it holds
//! the device key it asks the credential to be bound to.
//!
//! The proof is a COSE_Sign1 of the mlegit profile (spec §3) by the device key, with
//! protected header `{1: -7 (ES256), 16: "application/mlegit.activation+cose"}` (no kid:
//! the key travels beside the proof), an empty unprotected header, and the payload
//! [`payload`]`(activation_id, challenge)`: the deterministic CBOR map
//! `{1: activation_id (text), 2: challenge (bytes)}`. The signature is `r || s` with low
//! S. The challenge is the server's (fresh, expiring, bound to the activation), so a
//! proof is good for one activation attempt.
//!
//! A wallet needs only this module (and an HTTP client) to activate: [`sign`] makes the
//! proof; the server checks it with [`verify`] before it looks at the code, so a bad proof
//! never costs one of the code's five attempts.

use alloc::vec::Vec;
use core::fmt;

use crate::cbor::Encoder;
use crate::cose::{self, Algorithm, KidRule};
use crate::crypto::{PublicKey, SignatureBackend, Signer};
use crate::error::SignerError;

/// The proof's `typ` (spec §3.3's registry: "activation proof of possession").
pub const TYP: &str = cose::TYP_ACTIVATION;

/// The longest proof accepted: a proof of the profile is under 200 bytes plus the
/// activation id and challenge; anything longer is refused before it is decoded.
pub const MAX_PROOF_LEN: usize = 4096;

/// The payload the device signs: `{1: activation_id, 2: challenge}`, deterministic CBOR.
pub fn payload(activation_id: &str, challenge: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(activation_id.len() + challenge.len() + 8);
    e.map(2).u64(1).text(activation_id).u64(2).bytes(challenge);
    e.into_bytes()
}

/// The proof for `activation_id` and the server's `challenge`, signed by `device`.
pub fn sign(
    activation_id: &str,
    challenge: &[u8],
    device: &dyn Signer,
) -> Result<Vec<u8>, SignerError> {
    let protected = cose::protected_header(Algorithm::Es256, None, TYP);
    cose::sign1(&protected, &payload(activation_id, challenge), device)
}

/// Why a proof was refused. The server answers every one the same way
/// (`activation_proof_invalid`); the kinds are for logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// Longer than [`MAX_PROOF_LEN`].
    TooLarge,
    /// Not a COSE_Sign1 of the profile with this `typ`, ES256 and no kid (the code of the
    /// first check that failed, spec §13).
    Malformed(&'static str),
    /// Signed over another activation id or challenge.
    WrongPayload,
    /// The signature does not verify with the device key (or is the high-S twin of one
    /// that does).
    BadSignature,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::TooLarge => f.write_str("activation proof too large"),
            ProofError::Malformed(code) => write!(f, "activation proof malformed ({code})"),
            ProofError::WrongPayload => {
                f.write_str("activation proof over another activation or challenge")
            }
            ProofError::BadSignature => f.write_str("activation proof signature invalid"),
        }
    }
}

impl core::error::Error for ProofError {}

/// Checks `proof` for `activation_id` and `challenge` against `device_key`: size, the
/// COSE checks of spec §3.2 and §3.3 (typ [`TYP`], ES256 only, kid forbidden), the
/// payload byte for byte, then the signature (V1 to V3 of spec §3.9, low S).
pub fn verify(
    proof: &[u8],
    activation_id: &str,
    challenge: &[u8],
    device_key: &PublicKey,
    backend: &dyn SignatureBackend,
) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::TooLarge);
    }
    let sign1 = cose::decode_sign1(proof, TYP, &[Algorithm::Es256], KidRule::Forbidden)
        .map_err(|e| ProofError::Malformed(e.code()))?;
    if sign1.payload != payload(activation_id, challenge).as_slice() {
        return Err(ProofError::WrongPayload);
    }
    sign1
        .verify(backend, device_key)
        .map_err(|_| ProofError::BadSignature)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::crypto::{P256Backend, P256Signer};

    fn device(b: u8) -> P256Signer {
        P256Signer::from_scalar(&[b; 32]).expect("a scalar")
    }

    #[test]
    fn payload_is_the_two_entry_map() {
        // {1: "ab", 2: h'0102'}
        assert_eq!(
            payload("ab", &[1, 2]),
            [0xa2, 0x01, 0x62, b'a', b'b', 0x02, 0x42, 0x01, 0x02]
        );
    }

    #[test]
    fn a_proof_verifies_for_its_activation_and_challenge_only() {
        let dev = device(7);
        let key = dev.public_key();
        let proof = sign("act1", b"challenge", &dev).expect("signs");
        assert_eq!(
            verify(&proof, "act1", b"challenge", &key, &P256Backend),
            Ok(())
        );
        assert_eq!(
            verify(&proof, "act2", b"challenge", &key, &P256Backend),
            Err(ProofError::WrongPayload)
        );
        assert_eq!(
            verify(&proof, "act1", b"other", &key, &P256Backend),
            Err(ProofError::WrongPayload)
        );
        assert_eq!(
            verify(
                &proof,
                "act1",
                b"challenge",
                &device(8).public_key(),
                &P256Backend
            ),
            Err(ProofError::BadSignature)
        );
        assert_eq!(
            verify(
                &[0u8; MAX_PROOF_LEN + 1],
                "act1",
                b"challenge",
                &key,
                &P256Backend
            ),
            Err(ProofError::TooLarge)
        );
        assert!(matches!(
            verify(&proof[1..], "act1", b"challenge", &key, &P256Backend),
            Err(ProofError::Malformed(_))
        ));
    }

    #[test]
    fn a_proof_with_another_typ_is_malformed() {
        let dev = device(9);
        let protected = cose::protected_header(
            Algorithm::Es256,
            None,
            "application/mlegit.presentation+cose",
        );
        let proof = cose::sign1(&protected, &payload("a", b"c"), &dev).expect("signs");
        assert!(matches!(
            verify(&proof, "a", b"c", &dev.public_key(), &P256Backend),
            Err(ProofError::Malformed(_))
        ));
    }
}
