//! # mlegit: a school ID presented from a phone
//!
//! The protocol core of mlegit (spec v2, `spec/mlegit.md`): an issuer signs a credential
//! that binds a student's salted claim digests to the phone's device key; the phone
//! presents only the claims the student picks, signed with the device key and stamped with
//! the time; a verifier checks both signatures, every disclosed claim against the digests,
//! validity and freshness, and the credential's entry in the issuer's signed status list
//! (the IETF Token Status List), which every verifier fetches whole, so that the issuer
//! never learns whose credential is checked.
//!
//! The crate does no I/O: time, randomness, keys and trust anchors come in as arguments.
//! It is `#![no_std]` (with `alloc`) and `#![forbid(unsafe_code)]`.
//!
//! ```
//! use mlegit::{
//!     ClaimName, ClaimValue, Date, Issuer, ListStatus, P256Signer, PresentationRequest,
//!     Signer, StatusBits, StatusListContext, StatusListToken, StatusReference, StudentClaims,
//!     TrustList, Validity, Verifier, VerifyContext, Wallet,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Fixed keys keep the example short; use `P256Signer::generate(&mut rng)` in practice.
//! let issuer_key = P256Signer::from_scalar(&[0x11; 32]).ok_or("bad scalar")?;
//! let device_key = P256Signer::from_scalar(&[0x22; 32]).ok_or("bad scalar")?;
//! let now = 1_790_000_000; // 2026-09-21
//!
//! // Issuer: a school registered the student; the national system signs the credential.
//! let issuer = Issuer::new(issuer_key);
//! let student = StudentClaims {
//!     family_name: "Kowalska".into(),
//!     given_names: "Anna Maria".into(),
//!     document_number: "SL-2026/0042".into(),
//!     issue_date: Date::new(2026, 9, 1).ok_or("date")?,
//!     expiry_date: Date::new(2027, 9, 30).ok_or("date")?,
//!     birth_date: Date::new(2008, 3, 14).ok_or("date")?,
//!     pesel: "08231412342".into(),
//!     address: "ul. Długa 1, 00-001 Warszawa".into(),
//!     school_name: "XIV Liceum Ogólnokształcące".into(),
//!     school_address: "ul. Szkolna 2, 00-002 Warszawa".into(),
//!     school_id: "RSPO 12345".into(),
//!     portrait: None,
//! };
//! let issued = issuer
//!     .credential()
//!     .claims(student)
//!     .device_key(device_key.public_key())
//!     .validity(Validity::starting_at(now - 86_400, 366 * 86_400))
//!     .status(StatusReference { uri: "https://issuer.example/lists/1".into(), index: 4711 })
//!     .issue(&mut rand::rng())?; // a fresh credential id and salt secret
//!
//! // Holder: the phone keeps the credential, every disclosure and its device key.
//! let wallet = Wallet::new(issued.credential.clone(), issued.disclosures.clone(), device_key)?;
//!
//! // Verifier: a cinema asks for the name and age_over_18 with a fresh nonce.
//! let request = PresentationRequest {
//!     nonce: vec![0x55; 16],
//!     audience: "https://cinema.example".into(),
//!     verifier_name: "Kino Muranów".into(),
//!     claims: vec![ClaimName::GivenNames, ClaimName::AgeOver18],
//!     created_at: now,
//!     response_key: None, // Some(key) for an answer over the network (spec §18)
//! };
//! let request = PresentationRequest::from_slice(&request.to_vec())?; // as read from the QR
//! let presentation = wallet.present(&request.claims, Some(&request), now + 5)?;
//!
//! let mut trust = TrustList::new();
//! trust.add(issuer.trusted_key(0, u64::MAX))?;
//! let verifier = Verifier::new(trust);
//! let ctx = VerifyContext::answering(now + 7, &request.nonce, "https://cinema.example");
//! let verified = verifier.verify(&presentation, &ctx)?;
//! assert_eq!(verified.claim(ClaimName::AgeOver18), Some(&ClaimValue::Bool(true)));
//! assert_eq!(verified.claims().len(), 2); // nothing else is revealed
//!
//! // Revocation: the issuer flips the credential's bit and signs the whole list; every
//! // verifier fetches the same token, so the issuer does not learn who is checked.
//! let mut entries = StatusBits::new(1 << 20, 1)?;
//! entries.set(4711, 1)?; // 1: invalid
//! let token = issuer.status_list_token(&StatusListToken {
//!     uri: "https://issuer.example/lists/1",
//!     bits: &entries,
//!     issued_at: now + 8,
//!     expires: now + 8 + 86_400,
//!     ttl: 43_200,
//! })?;
//! let list = verifier.verify_status_list(&token, &StatusListContext::for_presentation(now + 9, &verified))?;
//! assert_eq!(verifier.check_status(&list, verified.status(), now + 9)?, ListStatus::Invalid);
//! # Ok(())
//! # }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core
)]
#![cfg_attr(test, allow(clippy::indexing_slicing, clippy::panic))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod activation;
pub mod authority;
pub mod cache;
pub mod cbor;
pub mod claims;
pub mod cose;
mod credential;
pub mod crypto;
pub mod disclosure;
mod error;
#[cfg(any(test, feature = "test-vectors"))]
pub mod fixtures;
#[doc(hidden)]
pub mod fuzzing;
pub mod issuer;
pub mod online;
mod presentation;
mod request;
mod status;
pub mod status_list;
mod trust;
mod verifier;
pub mod wallet;
pub mod wire;

pub use authority::{Authority, CertificateParts, VerifierCertificate};
pub use cache::IssuerSignatureCache;
pub use claims::{ClaimName, ClaimValue, ClaimsError, Date, StudentClaims};
pub use cose::Algorithm;
pub use credential::{
    CredentialInfo, DIGEST_ALG_SHA256, DOCTYPE, MAX_CREDENTIAL_LIFETIME, PRESENTATION_VERSION,
    StatusReference, VERSION,
};
#[cfg(feature = "aws-lc")]
pub use crypto::aws_lc::AwsLcBackend;
pub use crypto::{P256Backend, P256Signer, PublicKey, SignatureBackend, Signer};
pub use disclosure::Disclosure;
pub use error::{Error, IssueError, PresentError, SignerError};
pub use issuer::{CredentialBuilder, IssuedCredential, Issuer, Validity};
pub use presentation::MAX_DISCLOSURES;
pub use request::{
    CheckedRequest, MAX_REQUEST_LEN, MAX_SIGNED_REQUEST_LEN, PresentationRequest, RequestChecker,
};
pub use status::RevocationReason;
pub use status_list::{ListStatus, StatusBits, StatusList, StatusListToken};
pub use trust::{MAX_KEYS, TrustList, TrustListError, TrustedKey};
pub use verifier::{
    DEFAULT_CLOCK_SKEW, DEFAULT_MAX_AGE, DEFAULT_MAX_INPUT, StatusListContext,
    VerifiedPresentation, Verifier, VerifyContext,
};
pub use wallet::{Batch, BatchError, Pick, Uses, Wallet};
