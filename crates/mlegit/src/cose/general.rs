//! General COSE_Sign1 verification (RFC 9052 §4.2), for interoperability with other COSE
//! implementations and for third-party conformance tests.
//!
//! The mlegit profile ([`decode_sign1`](super::decode_sign1)) refuses everything the spec does
//! not define: tags, unprotected headers, unknown labels. Messages from elsewhere carry all
//! of these, so this module accepts:
//!
//! - the COSE_Sign1 tag 18 in front of the array, or no tag;
//! - any header labels in both buckets (`kid` in the unprotected header, `ctyp`, ...);
//! - external additional authenticated data, passed in by the caller.
//!
//! It still requires ES256, and by default requires `alg` in the protected header (RFC 9052
//! §3.1: `alg` "MUST be authenticated where the ability to do so exists"). The
//! `Sig_structure` and the signature check are the profile's: [`to_be_signed_with_aad`] is
//! [`to_be_signed`](super::to_be_signed) with the aad filled in, and signatures go through
//! [`crypto::verify_es256`], so high-S signatures are refused here too.
//!
//! "General" is about header contents, not about CBOR encodings: the message is read with
//! the crate's strict deterministic decoder ([`cbor::decode`]), except for the leading tag,
//! which this module reads itself. Every example of the cose-wg suite the tests use is
//! deterministic apart from that tag. A message in another encoding of the same values (for
//! example indefinite lengths) is refused with [`GeneralError::Cbor`].
//!
//! ```text
//! COSE_Sign1_Tagged = #6.18(COSE_Sign1)
//! COSE_Sign1 = [ protected: bstr .cbor header_map / bstr .size 0, unprotected: header_map,
//!                payload: bstr / nil, signature: bstr ]
//! ```

use alloc::vec::Vec;
use core::fmt;

use super::{Algorithm, HEADER_ALG};
use crate::cbor::{self, Encoder, Value};
use crate::crypto::{self, PublicKey, SignatureBackend, SignatureFailure};
use crate::error::Error;

/// The CBOR tag of a COSE_Sign1 (RFC 9052 §2).
pub const TAG_SIGN1: u64 = 18;

/// COSE header label `crit` (RFC 9052 §3.1).
pub const HEADER_CRIT: u64 = 2;

/// Where the `alg` header parameter may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AlgPlacement {
    /// Only in the protected header, where the signature covers it (the default).
    #[default]
    Protected,
    /// In the protected header, or in the unprotected one if the protected header has none.
    ///
    /// RFC 9052 permits an unprotected `alg`, and the cose-wg example `sign-pass-01` uses
    /// one. The verifier accepts ES256 only, whatever the header says, so rewriting an
    /// unprotected `alg` cannot switch algorithms; but such a message has no protected
    /// header at all, and nothing it carries besides the payload is authenticated. Its empty
    /// protected header may be sent as `h''` or `h'a0'`, and one signature verifies both
    /// (see [`Sign1::to_be_signed`]).
    ProtectedOrUnprotected,
}

/// Why a general COSE_Sign1 was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneralError {
    /// The bytes are not deterministic CBOR: the strict decoder's reason.
    Cbor(Error),
    /// A tag other than 18 (COSE_Sign1) in front of the message: its number.
    UnexpectedTag(u64),
    /// Not `[bstr, map, bstr / nil, bstr]`, or a protected header that is not a map.
    Malformed,
    /// The payload is `nil` (detached content), which this module does not verify.
    DetachedPayload,
    /// A label in both the protected and the unprotected header (RFC 9052 §3).
    DuplicateLabel,
    /// A `crit` header: no critical extension is implemented, so none can be honoured.
    CriticalHeader,
    /// No `alg` header parameter.
    AlgMissing,
    /// `alg` is only in the unprotected header and [`AlgPlacement::Protected`] is in force.
    AlgNotProtected,
    /// `alg` is not ES256 (another identifier, or a text name).
    AlgNotAllowed,
    /// The signature was refused: wrong length, high S, or it does not verify.
    Signature(SignatureFailure),
}

impl fmt::Display for GeneralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeneralError::Cbor(e) => write!(f, "not deterministic CBOR: {e}"),
            GeneralError::UnexpectedTag(tag) => write!(f, "unexpected CBOR tag {tag}"),
            GeneralError::Malformed => f.write_str("not a COSE_Sign1"),
            GeneralError::DetachedPayload => f.write_str("detached payload"),
            GeneralError::DuplicateLabel => {
                f.write_str("a header label is both protected and unprotected")
            }
            GeneralError::CriticalHeader => f.write_str("unsupported critical header"),
            GeneralError::AlgMissing => f.write_str("no alg header"),
            GeneralError::AlgNotProtected => f.write_str("alg is not in the protected header"),
            GeneralError::AlgNotAllowed => f.write_str("alg is not ES256"),
            GeneralError::Signature(SignatureFailure::Length) => {
                f.write_str("signature is not 64 bytes")
            }
            GeneralError::Signature(SignatureFailure::HighS) => {
                f.write_str("signature has a high S")
            }
            GeneralError::Signature(SignatureFailure::Invalid) => {
                f.write_str("signature does not verify")
            }
        }
    }
}

impl core::error::Error for GeneralError {}

impl From<Error> for GeneralError {
    fn from(e: Error) -> Self {
        GeneralError::Cbor(e)
    }
}

/// A COSE_Sign1 whose structure and headers passed the checks of [`decode`], signature not
/// yet verified. Its payload is only handed out by [`Sign1::verify`].
#[derive(Clone, Debug)]
pub struct Sign1<'a> {
    /// The protected header bytes as received.
    protected: &'a [u8],
    /// True if the protected header is an empty map (`h''` or `h'a0'`).
    protected_is_empty: bool,
    payload: &'a [u8],
    signature: &'a [u8],
}

/// Verifies a COSE_Sign1 (tagged 18 or untagged) signed with ES256 by `key`, with `alg` in
/// the protected header, and returns its payload.
///
/// `external_aad` is the externally supplied data of RFC 9052 §4.3 (empty if none).
pub fn verify<'a>(
    bytes: &'a [u8],
    key: &PublicKey,
    external_aad: &[u8],
    backend: &dyn SignatureBackend,
) -> Result<&'a [u8], GeneralError> {
    verify_with(bytes, key, external_aad, AlgPlacement::Protected, backend)
}

/// [`verify`] with a choice of where `alg` may be.
pub fn verify_with<'a>(
    bytes: &'a [u8],
    key: &PublicKey,
    external_aad: &[u8],
    placement: AlgPlacement,
    backend: &dyn SignatureBackend,
) -> Result<&'a [u8], GeneralError> {
    decode(bytes, placement)?.verify(key, external_aad, backend)
}

/// Decodes a COSE_Sign1 and checks its headers, in this order: tag, structure, protected
/// map, labels in both buckets, `crit`, `alg` presence and placement, `alg` value.
pub fn decode(bytes: &[u8], placement: AlgPlacement) -> Result<Sign1<'_>, GeneralError> {
    let untagged = strip_sign1_tag(bytes)?;
    let Value::Array(items) = cbor::decode(untagged)? else {
        return Err(GeneralError::Malformed);
    };
    let [protected, unprotected, payload, signature] = items.as_slice() else {
        return Err(GeneralError::Malformed);
    };
    let payload = match payload {
        Value::Bytes(payload) => *payload,
        Value::Null => return Err(GeneralError::DetachedPayload),
        _ => return Err(GeneralError::Malformed),
    };
    let (Value::Bytes(protected), Value::Map(unprotected), Value::Bytes(signature)) =
        (protected, unprotected, signature)
    else {
        return Err(GeneralError::Malformed);
    };

    // RFC 9052 §3: an empty protected header is sent as h'' (preferred) or as h'a0'.
    let protected_map = if protected.is_empty() {
        Vec::new()
    } else {
        match cbor::decode(protected)? {
            Value::Map(entries) => entries,
            _ => return Err(GeneralError::Malformed),
        }
    };
    // Each bucket has unique labels (the decoder refuses duplicate keys); RFC 9052 §3 also
    // forbids a label in both.
    if protected_map
        .iter()
        .any(|(label, _)| unprotected.iter().any(|(other, _)| other == label))
    {
        return Err(GeneralError::DuplicateLabel);
    }
    let has_label = |entries: &[(Value<'_>, Value<'_>)], label: u64| {
        entries.iter().any(|(l, _)| l.as_u64() == Some(label))
    };
    if has_label(&protected_map, HEADER_CRIT) || has_label(unprotected, HEADER_CRIT) {
        return Err(GeneralError::CriticalHeader);
    }
    let alg = match (
        cbor::map_get(&protected_map, HEADER_ALG),
        cbor::map_get(unprotected, HEADER_ALG),
    ) {
        (Some(alg), _) => alg,
        (None, Some(alg)) if placement == AlgPlacement::ProtectedOrUnprotected => alg,
        (None, Some(_)) => return Err(GeneralError::AlgNotProtected),
        (None, None) => return Err(GeneralError::AlgMissing),
    };
    // A text `alg` names no registered algorithm mlegit implements.
    match alg.as_i64().and_then(Algorithm::from_cose_id) {
        Some(Algorithm::Es256) => {}
        None => return Err(GeneralError::AlgNotAllowed),
    }
    Ok(Sign1 {
        protected,
        protected_is_empty: protected_map.is_empty(),
        payload,
        signature,
    })
}

impl<'a> Sign1<'a> {
    /// The `Sig_structure` this signature covers (RFC 9052 §4.4).
    ///
    /// An empty protected header enters it as `h''` even if the message carries `h'a0'`:
    /// RFC 9052 §3 calls the zero-length byte string "the version used in the serialization
    /// structures for cryptographic computation", and the cose-wg example `sign-pass-01` is
    /// signed that way. Any other protected header enters it exactly as received.
    pub fn to_be_signed(&self, external_aad: &[u8]) -> Vec<u8> {
        let protected = if self.protected_is_empty {
            &[][..]
        } else {
            self.protected
        };
        to_be_signed_with_aad(protected, external_aad, self.payload)
    }

    /// Checks the signature by `key` over [`to_be_signed`](Self::to_be_signed) with
    /// [`crypto::verify_es256`], and returns the payload.
    pub fn verify(
        &self,
        key: &PublicKey,
        external_aad: &[u8],
        backend: &dyn SignatureBackend,
    ) -> Result<&'a [u8], GeneralError> {
        crypto::verify_es256(
            backend,
            key,
            &self.to_be_signed(external_aad),
            self.signature,
        )
        .map_err(GeneralError::Signature)?;
        Ok(self.payload)
    }
}

/// `Sig_structure = ["Signature1", protected, external_aad, payload]` (RFC 9052 §4.4).
///
/// With an empty `external_aad` this is [`to_be_signed`](super::to_be_signed) of the profile.
pub fn to_be_signed_with_aad(protected: &[u8], external_aad: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(protected.len() + external_aad.len() + payload.len() + 24);
    e.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(external_aad)
        .bytes(payload);
    e.into_bytes()
}

/// Returns `bytes` without a leading tag 18; any other tag is refused with its number.
///
/// The strict decoder refuses all tags, so the tag head is read here, with the same rules:
/// shortest-form argument, no reserved or indefinite additional information.
fn strip_sign1_tag(bytes: &[u8]) -> Result<&[u8], GeneralError> {
    let Some((&initial, rest)) = bytes.split_first() else {
        return Err(Error::CborMalformed.into());
    };
    if initial >> 5 != 6 {
        return Ok(bytes);
    }
    let (len, min) = match initial & 0x1f {
        small @ 0..=23 => return check_tag(u64::from(small), rest),
        24 => (1, 24),
        25 => (2, 1 << 8),
        26 => (4, 1 << 16),
        27 => (8, 1 << 32),
        _ => return Err(Error::CborMalformed.into()),
    };
    let (Some(argument), Some(rest)) = (rest.get(..len), rest.get(len..)) else {
        return Err(Error::CborMalformed.into());
    };
    let tag = argument
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if tag < min {
        return Err(Error::CborNonShortest.into());
    }
    check_tag(tag, rest)
}

fn check_tag(tag: u64, rest: &[u8]) -> Result<&[u8], GeneralError> {
    if tag == TAG_SIGN1 {
        Ok(rest)
    } else {
        Err(GeneralError::UnexpectedTag(tag))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::crypto::{P256Backend, P256Signer, Signer};
    use alloc::vec;
    use proptest::prelude::*;

    fn signer() -> P256Signer {
        P256Signer::from_scalar(&[9u8; 32]).unwrap()
    }

    /// `18([protected, {4: h'3131'}, payload, signature])` signed by [`signer`].
    fn message(tagged: bool, protected: &[u8], aad: &[u8], payload: &[u8]) -> Vec<u8> {
        let signature = signer()
            .sign(&to_be_signed_with_aad(protected, aad, payload))
            .unwrap();
        let mut e = Encoder::new();
        if tagged {
            e.raw(&[0xd2]);
        }
        e.array(4).bytes(protected).map(1).u64(4).bytes(b"11");
        e.bytes(payload).bytes(&signature);
        e.into_bytes()
    }

    const ES256: &[u8] = &[0xa1, 0x01, 0x26]; // {1: -7}

    #[test]
    fn sig_structure_without_aad_is_the_profiles() {
        for (protected, payload) in [(ES256, &b"m"[..]), (&[][..], &[][..]), (ES256, &[7; 300])] {
            assert_eq!(
                to_be_signed_with_aad(protected, &[], payload),
                super::super::to_be_signed(protected, payload)
            );
        }
    }

    #[test]
    fn tagged_untagged_and_aad_verify() {
        let key = signer().public_key();
        for tagged in [true, false] {
            let m = message(tagged, ES256, b"aad", b"payload");
            assert_eq!(verify(&m, &key, b"aad", &P256Backend), Ok(&b"payload"[..]));
            assert_eq!(
                verify(&m, &key, b"", &P256Backend),
                Err(GeneralError::Signature(SignatureFailure::Invalid))
            );
        }
    }

    #[test]
    fn header_rules() {
        let key = signer().public_key();
        let check = |m: &[u8]| verify(m, &key, &[], &P256Backend).map(<[u8]>::to_vec);
        // {1: -35} (ES384)
        let m = message(true, &[0xa1, 0x01, 0x38, 0x22], &[], b"p");
        assert_eq!(check(&m), Err(GeneralError::AlgNotAllowed));
        // {} as h'': no alg anywhere
        assert_eq!(
            check(&message(true, &[], &[], b"p")),
            Err(GeneralError::AlgMissing)
        );
        // {1: -7, 4: h'3131'} duplicates the unprotected kid
        let m = message(true, &[0xa2, 0x01, 0x26, 0x04, 0x42, 0x31, 0x31], &[], b"p");
        assert_eq!(check(&m), Err(GeneralError::DuplicateLabel));
        // {1: -7, 2: [1]}
        let m = message(true, &[0xa2, 0x01, 0x26, 0x02, 0x81, 0x01], &[], b"p");
        assert_eq!(check(&m), Err(GeneralError::CriticalHeader));
        // {1: -7, 3: 0} (content type): an unknown-to-the-profile label is fine here
        let m = message(true, &[0xa2, 0x01, 0x26, 0x03, 0x00], &[], b"p");
        assert_eq!(check(&m), Ok(b"p".to_vec()));
    }

    #[test]
    fn structure_and_tag_errors() {
        let key = signer().public_key();
        let good = message(false, ES256, &[], b"p");
        let check = |m: &[u8]| verify(m, &key, &[], &P256Backend).map(<[u8]>::to_vec);
        let cases: &[(Vec<u8>, GeneralError)] = &[
            (vec![], GeneralError::Cbor(Error::CborMalformed)),
            (vec![0xd2], GeneralError::Cbor(Error::CborMalformed)),
            (vec![0xd8], GeneralError::Cbor(Error::CborMalformed)),
            (vec![0xdc, 0x00], GeneralError::Cbor(Error::CborMalformed)),
            (
                vec![0xd8, 0x12, 0x80],
                GeneralError::Cbor(Error::CborNonShortest),
            ),
            (vec![0xd1, 0x80], GeneralError::UnexpectedTag(17)),
            (
                vec![0xd9, 0x03, 0xe6, 0x80],
                GeneralError::UnexpectedTag(998),
            ),
            (
                vec![0xd2, 0xd2, 0x80],
                GeneralError::Cbor(Error::CborUnsupportedType),
            ),
            (vec![0x80], GeneralError::Malformed),
            (vec![0x84, 0x40, 0xa0, 0x40, 0x40], GeneralError::AlgMissing),
            (
                vec![0x84, 0x40, 0xa0, 0xf6, 0x40],
                GeneralError::DetachedPayload,
            ),
            (
                vec![0x84, 0x41, 0x80, 0xa0, 0x40, 0x40],
                GeneralError::Malformed,
            ),
            (
                vec![0x84, 0x41, 0xff, 0xa0, 0x40, 0x40],
                GeneralError::Cbor(Error::CborMalformed),
            ),
            (
                vec![0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0x40, 0x40],
                GeneralError::Signature(SignatureFailure::Length),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(check(input), Err(*expected), "{input:02x?}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(check(&trailing), Err(Error::CborTrailingBytes.into()));
        assert_eq!(check(&good), Ok(b"p".to_vec()));
    }

    #[test]
    fn unprotected_alg_only_with_the_option() {
        let key = signer().public_key();
        // empty protected header as h'a0', alg in the unprotected header, signed over h''
        let signature = signer()
            .sign(&to_be_signed_with_aad(&[], &[], b"p"))
            .unwrap();
        let mut e = Encoder::new();
        e.raw(&[0xd2]).array(4).bytes(&[0xa0]).map(1).u64(1).i64(-7);
        e.bytes(b"p").bytes(&signature);
        let m = e.into_bytes();
        assert_eq!(
            verify(&m, &key, &[], &P256Backend),
            Err(GeneralError::AlgNotProtected)
        );
        let placement = AlgPlacement::ProtectedOrUnprotected;
        assert_eq!(
            verify_with(&m, &key, &[], placement, &P256Backend),
            Ok(&b"p"[..])
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let key = signer().public_key();
            for placement in [AlgPlacement::Protected, AlgPlacement::ProtectedOrUnprotected] {
                let _ = verify_with(&bytes, &key, &[], placement, &P256Backend);
            }
        }

        #[test]
        fn a_changed_byte_is_never_accepted_with_another_payload(index in 0usize..200, value in any::<u8>()) {
            let key = signer().public_key();
            let mut m = message(true, ES256, &[], b"payload");
            let index = index % m.len();
            m[index] = value;
            if let Ok(payload) = verify(&m, &key, &[], &P256Backend) {
                prop_assert_eq!(payload, &b"payload"[..]);
            }
        }
    }
}
