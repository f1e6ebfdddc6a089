//! The presentation request a verifier shows as a QR code (spec §7).
//!
//! ```text
//! PresentationRequest = { 1: version (1), 2: nonce (16..32 bytes), 3: audience,
//!                         4: verifier_name, 5: [1*16 claim names], 6: created_at }
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::cbor::{self, Encoder, Value};
use crate::claims::ClaimName;
use crate::credential::PRESENTATION_VERSION as VERSION;
use crate::error::Error;
use crate::wire::{self as fields, request as f};

/// Largest encoded request accepted: it has to fit a QR code comfortably.
pub const MAX_REQUEST_LEN: usize = 1024;

/// What a verifier asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentationRequest {
    /// A fresh random nonce, 16 to 32 bytes.
    pub nonce: Vec<u8>,
    /// The verifier's identifier; the presentation is bound to it.
    pub audience: String,
    /// The name the holder's screen shows.
    pub verifier_name: String,
    /// The claims asked for.
    pub claims: Vec<ClaimName>,
    /// When the request was made (NumericDate seconds).
    pub created_at: u64,
}

impl PresentationRequest {
    /// Encodes the request (spec §7).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(64 + self.audience.len() + self.verifier_name.len());
        e.map(6);
        e.i64(f::VERSION.key).u64(VERSION);
        e.i64(f::NONCE.key).bytes(&self.nonce);
        e.i64(f::AUDIENCE.key).text(&self.audience);
        e.i64(f::VERIFIER_NAME.key).text(&self.verifier_name);
        e.i64(f::CLAIMS.key).array(self.claims.len());
        for c in &self.claims {
            e.text(c.as_str());
        }
        e.i64(f::CREATED_AT.key).u64(self.created_at);
        e.into_bytes()
    }

    /// Decodes and checks a request: strict CBOR, the field rules of spec §4, version 1,
    /// 1 to 16 known claim names without duplicates. A request that is not a map is
    /// [`Error::InvalidField`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        // R1 (spec §7.3): at most 1024 bytes.
        if bytes.len() > MAX_REQUEST_LEN {
            return Err(Error::InputTooLarge);
        }
        // R2, F1 (spec §7.3, §4): the request as strict CBOR.
        let root = cbor::decode(bytes)?;
        // R2, F2 (spec §7.3, §4): a request that is not a map is invalid_field.
        if !matches!(root, Value::Map(_)) {
            return Err(Error::InvalidField);
        }
        // R2 (spec §7.3): F3-F5 with the table of §7.1.
        let [version, nonce, audience, name, claims, created_at] =
            fields::decode(&root, &f::FIELDS)?;
        // R3 (spec §7.3): version 1.
        if fields::uint(version) != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        // R4 (spec §7.3): 1 to 16 claims.
        let Some(Value::Array(items)) = claims else {
            return Err(Error::InvalidField);
        };
        if items.is_empty() || items.len() > 16 {
            return Err(Error::InvalidField);
        }
        let mut names = Vec::with_capacity(items.len());
        // R5 (spec §7.3): each a tstr, a registry claim name, not repeated.
        for item in items {
            let name = item.as_text().ok_or(Error::InvalidField)?;
            let name = ClaimName::from_name(name).ok_or(Error::UnknownClaim)?;
            if names.contains(&name) {
                return Err(Error::DuplicateClaim);
            }
            names.push(name);
        }
        Ok(Self {
            nonce: fields::bytes(nonce).to_vec(),
            audience: fields::text(audience).into(),
            verifier_name: fields::text(name).into(),
            claims: names,
            created_at: fields::uint(created_at),
        })
    }
}
