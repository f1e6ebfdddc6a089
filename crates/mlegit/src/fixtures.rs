//! The fixtures every test, example, bench, fuzz target and test vector shares: the
//! student, the named keys, the verifier's clock and the request binding (hazmat, behind
//! the `test-vectors` feature).
//!
//! The keys (issuers, devices, authorities, verifiers) are public by construction (each scalar is the SHA-256 of its name), so
//! nothing signed with them proves anything: they exist so that the vectors of
//! `test-vectors/` can be rebuilt byte for byte by anyone, and so that the student of a
//! failing test is the student of the vectors.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::claims::{Date, StudentClaims};
use crate::crypto::{P256Signer, PublicKey, Signer};

/// The verifier's clock in every vector unless a vector says otherwise: 2026-09-21T14:13:20Z.
pub const NOW: u64 = 1_790_000_000;
/// One day, in seconds.
pub const DAY: u64 = 86_400;
/// The audience of the vectors' requests.
pub const AUDIENCE: &str = "https://kino.example/verifier";

/// The request-bound nonce of the vectors: 16 bytes, `(17 i) xor 0xa5`.
pub fn nonce() -> Vec<u8> {
    (0u8..16).map(|i| i.wrapping_mul(17) ^ 0xa5).collect()
}

/// A fixed test key, derived from its name so that anyone can recreate it.
#[derive(Clone)]
pub struct Key {
    /// Its name (hashed into the scalar).
    pub name: &'static str,
    /// The private scalar, `SHA-256("mlegit test key " || name)`.
    pub scalar: [u8; 32],
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// The key named `name`: `scalar = SHA-256("mlegit test key " || name)`.
    pub fn named(name: &'static str) -> Self {
        let scalar: [u8; 32] = Sha256::digest(format!("mlegit test key {name}").as_bytes()).into();
        Self { name, scalar }
    }

    /// The signer.
    ///
    /// # Panics
    /// Never for the named keys: a SHA-256 output is below the P-256 group order with
    /// overwhelming probability, and each of the five is checked by the tests.
    #[allow(clippy::expect_used)]
    pub fn signer(&self) -> P256Signer {
        P256Signer::from_scalar(&self.scalar).expect("a hash below the group order")
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.signer().public_key()
    }

    /// The key id of spec §3.8.
    pub fn kid(&self) -> Vec<u8> {
        self.public_key().key_id()
    }

    /// Signs `message` (a Sig_structure); low S.
    ///
    /// # Panics
    /// Never: the in-memory signer does not fail.
    #[allow(clippy::expect_used)]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signer().sign(message).expect("in-memory signer")
    }
}

/// The issuer key in most vectors.
pub fn issuer_a() -> Key {
    Key::named("issuer A")
}
/// The issuer key that replaces A in the rotation vectors.
pub fn issuer_b() -> Key {
    Key::named("issuer B")
}
/// An issuer key no trust list holds.
pub fn issuer_unknown() -> Key {
    Key::named("issuer unknown")
}
/// The holder's device key.
pub fn device() -> Key {
    Key::named("device")
}
/// Another phone's device key.
pub fn other_device() -> Key {
    Key::named("other device")
}

/// The authority key that signs verifier certificates in most vectors.
pub fn authority_a() -> Key {
    Key::named("authority A")
}
/// The authority key that replaces A in the rotation vectors.
pub fn authority_b() -> Key {
    Key::named("authority B")
}
/// An authority key no authority list holds.
pub fn authority_unknown() -> Key {
    Key::named("authority unknown")
}
/// The cinema's verifier key.
pub fn verifier_kino() -> Key {
    Key::named("verifier kino")
}
/// Another verifier's key.
pub fn verifier_other() -> Key {
    Key::named("verifier other")
}

/// The verifier's ephemeral response key of the online vectors (spec §18).
pub fn response_key() -> Key {
    Key::named("response key")
}

/// A random number generator that hands out fixed bytes, then zeros: for reproducible HPKE
/// (the ephemeral key is DeriveKeyPair of the first 32 bytes, RFC 9180 §7.1.3). Never a
/// real source of randomness.
#[derive(Debug)]
pub struct FixedBytes {
    bytes: Vec<u8>,
    next: usize,
}

impl FixedBytes {
    /// Hands out `bytes`, then zeros.
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            next: 0,
        }
    }
}

impl rand_core::TryRng for FixedBytes {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.bytes.get(self.next).copied().unwrap_or(0);
            self.next = self.next.saturating_add(1);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for FixedBytes {}

/// A JPEG-shaped portrait of `len` bytes (at least 13): SOI, an APP0 segment, filler,
/// EOI. It carries no image; the schema checks only the size and the start-of-image
/// marker (spec §11.5).
pub fn portrait(len: usize) -> Vec<u8> {
    let mut p = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    let mut i = 0u32;
    while p.len() < len.saturating_sub(2) {
        p.push(((i.wrapping_mul(2_654_435_761) >> 24) & 0x7f) as u8);
        i += 1;
    }
    p.extend_from_slice(&[0xff, 0xd9]);
    p
}

/// The student of the vectors, born 2008-03-14 (every age claim holds at [`NOW`]), with
/// the given portrait.
#[allow(clippy::expect_used)]
pub fn student(portrait: Option<Vec<u8>>) -> StudentClaims {
    let date = |y, m, d| Date::new(y, m, d).expect("a valid calendar date");
    StudentClaims {
        family_name: "Kowalska".into(),
        given_names: "Anna Maria".into(),
        document_number: "SL/2026/000123".into(),
        issue_date: date(2026, 9, 1),
        expiry_date: date(2027, 9, 30),
        birth_date: date(2008, 3, 14),
        pesel: "08231412342".into(),
        address: "ul. Długa 1 m. 2, 00-238 Warszawa".into(),
        school_name: "XIV Liceum Ogólnokształcące im. Stanisława Staszica".into(),
        school_address: "ul. Nowowiejska 37a, 02-010 Warszawa".into(),
        school_id: "RSPO 17541".into(),
        portrait,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_named_key_is_a_valid_scalar_and_distinct() {
        let keys = [
            issuer_a(),
            issuer_b(),
            issuer_unknown(),
            device(),
            other_device(),
            authority_a(),
            authority_b(),
            authority_unknown(),
            verifier_kino(),
            verifier_other(),
            response_key(),
        ];
        for (i, a) in keys.iter().enumerate() {
            assert!(P256Signer::from_scalar(&a.scalar).is_some(), "{}", a.name);
            for b in keys.iter().skip(i + 1) {
                assert_ne!(a.kid(), b.kid());
            }
        }
    }

    #[test]
    fn the_portrait_has_its_length_and_markers() {
        let p = portrait(2048);
        assert_eq!(p.len(), 2048);
        assert!(crate::claims::valid_portrait(&p));
        assert!(p.ends_with(&[0xff, 0xd9]));
    }

    #[test]
    fn the_student_is_valid_at_now() {
        let claims = student(Some(portrait(512))).to_claims(NOW).unwrap();
        assert!(claims.len() >= 15);
    }
}
