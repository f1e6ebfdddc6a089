//! Keys, key ids, signers and signature verification backends (spec §3.5, §3.8).
//!
//! ES256 (ECDSA P-256 with SHA-256) is the only algorithm of version 1. Signatures travel
//! as 64 bytes `r || s`. Signers go through the [`Signer`] trait so that an issuer key can
//! live in an HSM and a device key in a phone's secure element; verification goes through
//! [`SignatureBackend`] so that a server can plug in a faster implementation.

use alloc::vec::Vec;
use core::fmt;

use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::point::AffineCoordinates as _;
use p256::{AffinePoint, FieldBytes};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

use crate::error::SignerError;

#[cfg(feature = "aws-lc")]
pub mod aws_lc;
mod curve;

/// Half the order of the P-256 group, big-endian: an `s` above it is "high" (spec §3.6).
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

/// The order n of the P-256 group, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Length of a key id computed by [`PublicKey::key_id`].
pub const KEY_ID_LEN: usize = 8;

/// A P-256 public key: the affine coordinates of a point on the curve.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    x: [u8; 32],
    y: [u8; 32],
}

impl PublicKey {
    /// A key from its affine coordinates (32 bytes each, big-endian); `None` unless both
    /// are below the field's prime and the point is on the curve.
    ///
    /// The check is the curve equation (`crypto/curve.rs`), without SEC1 parsing or point
    /// decompression: a verifier that leaves the signature arithmetic to another backend
    /// (the WebAssembly build's, to WebCrypto) links nothing of P-256 but it.
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Option<Self> {
        let x: [u8; 32] = x.try_into().ok()?;
        let y: [u8; 32] = y.try_into().ok()?;
        curve::on_curve(&x, &y).then_some(Self { x, y })
    }

    /// A key from its 65-byte uncompressed SEC1 encoding `0x04 || x || y` only.
    pub fn from_uncompressed(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [4, point @ ..] if point.len() == 64 => {
                let (x, y) = point.split_at(32);
                Self::from_coordinates(x, y)
            }
            _ => None,
        }
    }

    /// A key from SEC1 bytes (compressed or uncompressed).
    pub fn from_sec1(bytes: &[u8]) -> Option<Self> {
        let key = VerifyingKey::from_sec1_bytes(bytes).ok()?;
        Some(Self::from_verifying_key(key))
    }

    /// Wraps a `p256` verifying key.
    pub fn from_verifying_key(key: VerifyingKey) -> Self {
        let point = key.to_sec1_point(false);
        let bytes = point.as_bytes();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        // An uncompressed SEC1 point is 0x04 || x || y: 65 bytes.
        if let (Some(xs), Some(ys)) = (bytes.get(1..33), bytes.get(33..65)) {
            x.copy_from_slice(xs);
            y.copy_from_slice(ys);
        }
        Self { x, y }
    }

    /// The x coordinate, big-endian.
    pub fn x(&self) -> &[u8; 32] {
        &self.x
    }

    /// The y coordinate, big-endian.
    pub fn y(&self) -> &[u8; 32] {
        &self.y
    }

    /// The 65-byte uncompressed SEC1 encoding `0x04 || x || y`.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 4;
        out[1..33].copy_from_slice(&self.x);
        out[33..].copy_from_slice(&self.y);
        out
    }

    /// The key id of spec §3.8: the first 8 bytes of SHA-256 over the uncompressed point.
    pub fn key_id(&self) -> Vec<u8> {
        let digest = Sha256::digest(self.to_sec1_uncompressed());
        digest
            .get(..KEY_ID_LEN)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// The `p256` verifying key of the point, built from its coordinates.
    pub fn verifying_key(&self) -> VerifyingKey {
        // Never `None`: the coordinates are a point of the curve, checked when made.
        self.to_verifying_key()
            .unwrap_or_else(|| unreachable!("a PublicKey is a point on the curve"))
    }

    /// The `p256` verifying key, `None` only if the coordinates were not a point.
    fn to_verifying_key(&self) -> Option<VerifyingKey> {
        let point: Option<AffinePoint> =
            AffinePoint::from_coordinates(&FieldBytes::from(self.x), &FieldBytes::from(self.y))
                .into();
        VerifyingKey::from_affine(point?).ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for b in self.key_id() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Something that signs with a P-256 key: a key in memory, an HSM, a secure element.
///
/// `sign` receives the complete COSE `Sig_structure` and returns the ES256 signature
/// `r || s`. The library normalises `s` to its low form after signing, so a signer that
/// returns high-S signatures still produces valid objects.
pub trait Signer {
    /// The public key of the signing key.
    fn public_key(&self) -> PublicKey;
    /// Signs `message` (ECDSA P-256, SHA-256 of the message).
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for alloc::boxed::Box<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        (**self).sign(message)
    }
}

/// A key shared between threads (`Arc<dyn Signer + Send + Sync>`, say, for a server
/// whose key lives in an HSM) signs as the key it holds.
impl<S: Signer + ?Sized> Signer for alloc::sync::Arc<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        (**self).sign(message)
    }
}

/// A P-256 signing key in memory, signing deterministically (RFC 6979).
///
/// The scalar is zeroised on drop (by `p256`) and never shown by `Debug`.
#[derive(Clone)]
pub struct P256Signer {
    key: SigningKey,
}

impl P256Signer {
    /// A fresh key from a cryptographically secure RNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self {
            key: SigningKey::generate_from_rng(rng),
        }
    }

    /// A key from its 32-byte big-endian scalar; `None` if it is zero or not below the order.
    pub fn from_scalar(scalar: &[u8]) -> Option<Self> {
        SigningKey::from_slice(scalar).ok().map(|key| Self { key })
    }

    /// Wraps a `p256` signing key.
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self { key }
    }

    /// The `p256` signing key (for storing it, for example as PKCS#8).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

impl fmt::Debug for P256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("P256Signer")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl Signer for P256Signer {
    fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(*self.key.verifying_key())
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        let signature: Signature = self.key.try_sign(message).map_err(|_| SignerError)?;
        Ok(signature.normalize_s().to_bytes().into())
    }
}

/// Returns `signature` with `s` in its low form (spec §3.6).
pub(crate) fn normalize_low_s(signature: [u8; 64]) -> Result<[u8; 64], SignerError> {
    let parsed = Signature::from_slice(&signature).map_err(|_| SignerError)?;
    Ok(parsed.normalize_s().to_bytes().into())
}

/// True if `s` (the second half of `r || s`) is above n/2.
pub(crate) fn is_high_s(signature: &[u8; 64]) -> bool {
    signature.get(32..).is_some_and(|s| s > &HALF_ORDER[..])
}

/// Why an ES256 signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// Not 64 bytes.
    Length,
    /// `s` above n/2: the malleable twin of a signature (spec §3.6).
    HighS,
    /// Does not verify (including `r` or `s` zero or not below the order).
    Invalid,
}

/// The signature check every COSE signature of mlegit goes through (spec §4.6), in order:
/// exactly 64 bytes `r || s`; `r` and `s` in `[1, n-1]` (else invalid); `s <= n/2` (else
/// [`SignatureFailure::HighS`]); then ES256 verification by `backend`.
pub fn verify_es256(
    backend: &dyn SignatureBackend,
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureFailure> {
    // V1, V2 (spec §3.9): r and s in range, s low.
    let signature = check_encoding(signature)?;
    // V3 (spec §3.9): ECDSA P-256 verification.
    if backend.verify_es256(key, message, signature) {
        Ok(())
    } else {
        Err(SignatureFailure::Invalid)
    }
}

/// [`verify_es256`] over the concatenation of `parts`, which is never assembled when the
/// backend hashes incrementally (COSE verifies the `Sig_structure` this way: spec §3.7).
pub fn verify_es256_parts(
    backend: &dyn SignatureBackend,
    key: &PublicKey,
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<(), SignatureFailure> {
    // V1, V2 (spec §3.9): r and s in range, s low.
    let signature = check_encoding(signature)?;
    // V3 (spec §3.9): ECDSA P-256 verification.
    if backend.verify_es256_parts(key, parts, signature) {
        Ok(())
    } else {
        Err(SignatureFailure::Invalid)
    }
}

/// Steps V1 and V2 of spec §3.9: the checks that come before any curve arithmetic.
fn check_encoding(signature: &[u8]) -> Result<&[u8; 64], SignatureFailure> {
    let signature: &[u8; 64] = signature.try_into().map_err(|_| SignatureFailure::Length)?;
    // V1 (spec §3.9): r and s in 1..=n-1.
    let in_range = |x: &[u8]| x.iter().any(|b| *b != 0) && x < &ORDER[..];
    let (r, s) = signature.split_at(32);
    if !in_range(r) || !in_range(s) {
        return Err(SignatureFailure::Invalid);
    }
    // V2 (spec §3.9): s at most (n-1)/2.
    if is_high_s(signature) {
        return Err(SignatureFailure::HighS);
    }
    Ok(signature)
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Verifies ES256 signatures. Callers go through [`verify_es256`] or
/// [`verify_es256_parts`], which have already rejected high-S signatures, `r` or `s`
/// out of range, and wrong lengths.
pub trait SignatureBackend {
    /// True if `signature` (`r || s`) is a valid ES256 signature by `key` over `message`.
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool;

    /// [`SignatureBackend::verify_es256`] over the concatenation of `parts`.
    ///
    /// The default assembles the message; a backend that can verify a SHA-256 digest
    /// overrides it to hash the parts in place (ES256 signs SHA-256 of the message).
    fn verify_es256_parts(&self, key: &PublicKey, parts: &[&[u8]], signature: &[u8; 64]) -> bool {
        self.verify_es256(key, &parts.concat(), signature)
    }
}

/// The default backend: the pure-Rust `p256` crate (no_std).
#[derive(Clone, Copy, Debug, Default)]
pub struct P256Backend;

impl SignatureBackend for P256Backend {
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
        match (key.to_verifying_key(), Signature::from_slice(signature)) {
            (Some(key), Ok(signature)) => key.verify(message, &signature).is_ok(),
            _ => false,
        }
    }

    fn verify_es256_parts(&self, key: &PublicKey, parts: &[&[u8]], signature: &[u8; 64]) -> bool {
        // `verify` is `verify_prehash` of SHA-256(message) for P-256: same result, no copy.
        match (key.to_verifying_key(), Signature::from_slice(signature)) {
            (Some(key), Ok(signature)) => {
                key.verify_prehash(&sha256_parts(parts), &signature).is_ok()
            }
            _ => false,
        }
    }
}

// The types a server shares between threads are Send + Sync: checked at compile time, so
// that a change that loses it fails here rather than in a user's build.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<P256Signer>();
    send_sync::<PublicKey>();
    send_sync::<P256Backend>();
    send_sync::<crate::Issuer<P256Signer>>();
    send_sync::<crate::Verifier>();
    send_sync::<crate::VerifiedPresentation>();
    send_sync::<crate::StatusList>();
    send_sync::<crate::TrustList>();
    send_sync::<crate::Wallet<P256Signer>>();
    send_sync::<crate::Error>();
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn signer() -> P256Signer {
        P256Signer::from_scalar(&[7u8; 32]).unwrap()
    }

    #[test]
    fn shared_and_boxed_signers_sign_as_the_key_they_hold() {
        let key = signer();
        let shared: alloc::sync::Arc<dyn Signer + Send + Sync> = alloc::sync::Arc::new(signer());
        let boxed: alloc::boxed::Box<dyn Signer> = alloc::boxed::Box::new(signer());
        let by_ref: &dyn Signer = &key;
        // RFC 6979: the same key signs the same message the same way.
        let want = key.sign(b"m").unwrap();
        assert_eq!(shared.sign(b"m").unwrap(), want);
        assert_eq!(boxed.sign(b"m").unwrap(), want);
        assert_eq!(by_ref.sign(b"m").unwrap(), want);
        assert_eq!(shared.public_key(), key.public_key());
        let issuer = crate::Issuer::new(shared);
        assert_eq!(issuer.signer().public_key(), key.public_key());
    }

    #[test]
    fn signatures_are_low_s_and_verify() {
        let s = signer();
        for i in 0..32u8 {
            let msg = [i; 10];
            let sig = s.sign(&msg).unwrap();
            assert!(!is_high_s(&sig));
            assert!(P256Backend.verify_es256(&s.public_key(), &msg, &sig));
            assert!(!P256Backend.verify_es256(&s.public_key(), &[i; 11], &sig));
        }
    }

    #[test]
    fn parts_verify_as_their_concatenation() {
        let s = signer();
        let message = b"Signature1 protected payload";
        let sig = s.sign(message).unwrap();
        let parts: [&[u8]; 3] = [b"Signature1", b" protected", b" payload"];
        assert!(P256Backend.verify_es256_parts(&s.public_key(), &parts, &sig));
        assert!(verify_es256_parts(&P256Backend, &s.public_key(), &parts, &sig).is_ok());
        let other: [&[u8]; 2] = [b"Signature1", b" protected payload!"];
        assert!(!P256Backend.verify_es256_parts(&s.public_key(), &other, &sig));
    }

    #[test]
    fn high_s_twin_is_detected() {
        let s = signer();
        let sig = s.sign(b"m").unwrap();
        // n - s is the malleable twin: p256 still verifies it; our check must catch it.
        let parsed = Signature::from_slice(&sig).unwrap();
        let (r, low) = parsed.split_scalars();
        let high = -*low;
        let twin = Signature::from_scalars(r.to_bytes(), high.to_bytes()).unwrap();
        let twin: [u8; 64] = twin.to_bytes().into();
        assert!(is_high_s(&twin));
        assert!(P256Backend.verify_es256(&s.public_key(), b"m", &twin));
        assert_eq!(normalize_low_s(twin).unwrap(), sig);
    }

    #[test]
    fn debug_hides_the_scalar() {
        let text = alloc::format!("{:?}", signer());
        assert!(!text.contains("0707"));
        assert!(text.starts_with("P256Signer"));
    }

    #[test]
    fn points_off_the_curve_are_refused() {
        assert!(PublicKey::from_coordinates(&[1u8; 32], &[2u8; 32]).is_none());
        let pk = signer().public_key();
        assert_eq!(
            PublicKey::from_coordinates(pk.x(), pk.y()),
            Some(pk.clone())
        );
        assert_eq!(pk.key_id().len(), KEY_ID_LEN);
    }
}
