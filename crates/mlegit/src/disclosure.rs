//! Disclosures and the digest set (spec §6).
//!
//! ```text
//! Disclosure = bstr .cbor [salt: bstr .size (16..64), claim: tstr, value: any]
//! digest     = SHA-256(the bytes inside the bstr, exactly as transmitted)
//! ```
//!
//! The reference issuer derives salts and decoy digests with HKDF-SHA256 from a random
//! 32-byte secret per credential, so that test vectors are reproducible; any CSPRNG output
//! of the same length serves as well, and verifiers cannot tell the difference.

use alloc::vec::Vec;
use core::fmt;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use crate::cbor::{self, Encoder, Value};
use crate::claims::{self, ClaimName, ClaimValue};
use crate::error::Error;

/// Number of digests in every credential: real ones plus decoys (spec §6.2).
pub const DIGEST_SET_SIZE: usize = 32;
/// Length of the salts the reference issuer derives.
pub const SALT_LEN: usize = 16;
/// Shortest salt a verifier accepts.
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt a verifier accepts.
pub const MAX_SALT_LEN: usize = 64;

const SALT_INFO: &[u8] = b"mlegit v1 salt";
const DECOY_INFO: &[u8] = b"mlegit v1 decoy";

/// A SHA-256 digest.
pub type Digest32 = [u8; 32];

/// One disclosure as the holder keeps and sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Disclosure {
    name: ClaimName,
    bytes: Vec<u8>,
}

impl fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value and salt are personal data and a brute-force aid: neither is shown.
        f.debug_struct("Disclosure")
            .field("claim", &self.name)
            .finish_non_exhaustive()
    }
}

impl Disclosure {
    /// Encodes `[salt, name, value]`.
    pub fn new(salt: &[u8], name: ClaimName, value: &ClaimValue) -> Self {
        let mut e = Encoder::with_capacity(salt.len() + 32);
        e.array(3).bytes(salt).text(name.as_str());
        value.encode(&mut e);
        Self {
            name,
            bytes: e.into_bytes(),
        }
    }

    /// Decodes a disclosure the holder received (spec §6.1); errors are
    /// [`Error::DisclosureMalformed`], [`Error::UnknownClaim`] and [`Error::InvalidClaimValue`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Error> {
        let (name, _) = parse(&bytes)?;
        Ok(Self { name, bytes })
    }

    /// The claim it discloses.
    pub fn name(&self) -> ClaimName {
        self.name
    }

    /// The encoded disclosure (what is hashed and sent).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the encoded disclosure.
    pub fn digest(&self) -> Digest32 {
        digest(&self.bytes)
    }
}

/// SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> Digest32 {
    Sha256::digest(bytes).into()
}

/// Decodes `[salt, claim, value]` (spec §6.1) and validates the claim (spec §11).
///
/// The digest check happens between the structural decoding and the claim checks in
/// the verifier (spec §12.2 step P14, §6.6), so this function is split in two there.
pub(crate) fn parse(bytes: &[u8]) -> Result<(ClaimName, ClaimValue), Error> {
    // X1, X2, X3, X4 (spec §6.6): the disclosure's structure.
    let (name, value) = parse_structure(bytes)?;
    // X7 (spec §6.6): a claim name of the registry.
    let name = ClaimName::from_name(name).ok_or(Error::UnknownClaim)?;
    // X9 (spec §6.6, §11): the value meets its claim's rule.
    let value = claims::validate(name, &value).ok_or(Error::InvalidClaimValue)?;
    Ok((name, value))
}

/// The structural part of decoding a disclosure: strict CBOR, `[bstr 16..64, tstr, any]`.
pub(crate) fn parse_structure(bytes: &[u8]) -> Result<(&str, Value<'_>), Error> {
    // X1, X2 (spec §6.6): strict CBOR, and an array.
    let Ok(Value::Array(items)) = cbor::decode(bytes) else {
        return Err(Error::DisclosureMalformed);
    };
    let mut items = items.into_iter();
    // X2, X3, X4 (spec §6.6): exactly 3 elements, salt a bstr, claim a tstr.
    let (Some(Value::Bytes(salt)), Some(Value::Text(name)), Some(value), None) =
        (items.next(), items.next(), items.next(), items.next())
    else {
        return Err(Error::DisclosureMalformed);
    };
    // X3 (spec §6.6): salt of 16..=64 bytes.
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(Error::DisclosureMalformed);
    }
    Ok((name, value))
}

/// Salts and decoys derived from a per-credential secret (spec §6.3, §6.4).
pub(crate) struct SaltDeriver {
    hkdf: Hkdf<Sha256>,
}

impl SaltDeriver {
    /// `prk = HKDF-Extract(salt = credential_id, ikm = secret)`.
    pub(crate) fn new(credential_id: &[u8], secret: &[u8; 32]) -> Self {
        Self {
            hkdf: Hkdf::<Sha256>::new(Some(credential_id), secret),
        }
    }

    fn expand<const N: usize>(&self, label: &[u8], tail: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        // HKDF-Expand fails only for outputs over 255 * 32 bytes; N is 16 or 32.
        let _ = self.hkdf.expand_multi_info(&[label, tail], &mut out);
        out
    }

    /// `salt(claim) = HKDF-Expand(prk, "mlegit v1 salt" || claim name, 16)`.
    pub(crate) fn salt(&self, name: ClaimName) -> [u8; SALT_LEN] {
        self.expand(SALT_INFO, name.as_str().as_bytes())
    }

    /// `decoy(i) = HKDF-Expand(prk, "mlegit v1 decoy" || byte(i), 32)`.
    pub(crate) fn decoy(&self, index: u8) -> Digest32 {
        self.expand(DECOY_INFO, &[index])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The worked example of spec §6.5, computed there independently of this crate.
    #[test]
    fn matches_the_worked_example_of_the_spec() {
        let cid = unhex("000102030405060708090a0b0c0d0e0f");
        let deriver = SaltDeriver::new(&cid, &[0x42; 32]);
        let salt = deriver.salt(ClaimName::AgeOver18);
        assert_eq!(salt.to_vec(), unhex("c5ce9ab61d5a82a891cb8c661f720bb5"));
        let d = Disclosure::new(&salt, ClaimName::AgeOver18, &ClaimValue::Bool(true));
        assert_eq!(
            d.as_bytes(),
            unhex("8350c5ce9ab61d5a82a891cb8c661f720bb56b6167655f6f7665725f3138f5").as_slice()
        );
        assert_eq!(
            d.digest().to_vec(),
            unhex("c326d54085b98d86a47a480f9c89469f1eb1854ebbbc913f7742de48952ad72f")
        );
        assert_eq!(
            deriver.decoy(0).to_vec(),
            unhex("295c8f6bd46f196d150de4d9c309940939f3d7eb56b51919086bcc278b7a0cdb")
        );
    }
}
