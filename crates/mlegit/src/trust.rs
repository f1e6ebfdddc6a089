//! The trust list: issuer keys by key id, each with its own validity (spec §10).
//!
//! ```text
//! TrustList = [+ { 1: 2 (EC2), 2: kid, 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y,
//!                  "not_after": uint, "not_before": uint }]     ; a COSE_KeySet
//! ```

use alloc::vec::Vec;

use crate::cbor::{self, Encoder, Value};
use crate::crypto::PublicKey;
use crate::error::Error;

/// Most keys a trust list may hold.
pub const MAX_KEYS: usize = 64;

/// One trusted issuer key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// Its key id (1 to 32 bytes).
    pub kid: Vec<u8>,
    /// The public key.
    pub key: PublicKey,
    /// First second at which credentials it signed may be issued (`iat`).
    pub not_before: u64,
    /// Last such second.
    pub not_after: u64,
}

impl TrustedKey {
    /// True if `time` lies within `[not_before, not_after]`.
    pub fn valid_at(&self, time: u64) -> bool {
        self.not_before <= time && time <= self.not_after
    }
}

/// The issuer keys a verifier trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustList {
    keys: Vec<TrustedKey>,
}

/// Why [`TrustList::add`] refused a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustListError {
    /// The key id is empty or longer than 32 bytes.
    InvalidKeyId,
    /// `not_before` is after `not_after`.
    InvalidWindow,
    /// The list already holds a key with this id.
    DuplicateKeyId,
    /// The list holds [`MAX_KEYS`] keys already.
    Full,
}

impl core::fmt::Display for TrustListError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TrustListError::InvalidKeyId => "the key id must be 1 to 32 bytes",
            TrustListError::InvalidWindow => "not_before is after not_after",
            TrustListError::DuplicateKeyId => "the trust list already holds this key id",
            TrustListError::Full => "the trust list is full (64 keys at most)",
        })
    }
}

impl core::error::Error for TrustListError {}

impl TrustList {
    /// An empty trust list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key; refuses a duplicate kid, an empty or over-long kid, a window with
    /// `not_before > not_after`, or a list that is full ([`MAX_KEYS`]), saying which.
    pub fn add(&mut self, key: TrustedKey) -> Result<(), TrustListError> {
        // T6, T7 (spec §10.2): kid 1..=32 and not_before <= not_after (T6), a new kid (T7).
        if key.kid.is_empty() || key.kid.len() > 32 {
            return Err(TrustListError::InvalidKeyId);
        }
        if key.not_before > key.not_after {
            return Err(TrustListError::InvalidWindow);
        }
        if self.find(&key.kid).is_some() {
            return Err(TrustListError::DuplicateKeyId);
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(TrustListError::Full);
        }
        self.keys.push(key);
        Ok(())
    }

    /// Removes the key with this id; returns whether one was there.
    pub fn remove(&mut self, kid: &[u8]) -> bool {
        let before = self.keys.len();
        self.keys.retain(|k| k.kid != kid);
        self.keys.len() != before
    }

    /// The key with this id.
    pub fn find(&self, kid: &[u8]) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// All keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Encodes the list as a COSE_KeySet (spec §10).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(self.keys.len() * 128);
        e.array(self.keys.len());
        for k in &self.keys {
            e.map(8);
            e.u64(1).u64(2);
            e.u64(2).bytes(&k.kid);
            e.u64(3).i64(-7);
            e.i64(-1).u64(1);
            e.i64(-2).bytes(k.key.x());
            e.i64(-3).bytes(k.key.y());
            e.text("not_after").u64(k.not_after);
            e.text("not_before").u64(k.not_before);
        }
        e.into_bytes()
    }

    /// Decodes a COSE_KeySet of the form [`TrustList::to_vec`] writes (spec §10).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        // T1, T2 (spec §10.2): strict CBOR, and an array.
        let Value::Array(items) = cbor::decode(bytes)? else {
            return Err(Error::InvalidField);
        };
        // T2 (spec §10.2): 1 to 64 keys.
        if items.is_empty() || items.len() > MAX_KEYS {
            return Err(Error::InvalidField);
        }
        let mut list = TrustList::new();
        for item in &items {
            // T3 (spec §10.2): each element a map.
            let Value::Map(entries) = item else {
                return Err(Error::InvalidField);
            };
            // T4, T5, T6 (spec §10.2): the element's labels and values.
            let key = decode_key(entries)?;
            // T6, T7 (spec §10.2): kid length and window (T6), a kid not seen before (T7).
            if list.add(key).is_err() {
                return Err(Error::InvalidField);
            }
        }
        Ok(list)
    }
}

fn decode_key(entries: &[(Value<'_>, Value<'_>)]) -> Result<TrustedKey, Error> {
    const LABELS: [Value<'static>; 8] = [
        Value::Unsigned(1),
        Value::Unsigned(2),
        Value::Unsigned(3),
        Value::Negative(0),
        Value::Negative(1),
        Value::Negative(2),
        Value::Text("not_after"),
        Value::Text("not_before"),
    ];
    // Keys arrive strictly ascending, so the labels must be exactly these in this order.
    // T4 (spec §10.2): every label one of the eight, before T5.
    for (key, _) in entries {
        if !LABELS.contains(key) {
            return Err(Error::UnknownField);
        }
    }
    // T5 (spec §10.2): all eight labels.
    let [
        (_, kty),
        (_, kid),
        (_, alg),
        (_, crv),
        (_, x),
        (_, y),
        (_, not_after),
        (_, not_before),
    ] = entries
    else {
        return Err(Error::MissingField);
    };
    // T6 (spec §10.2): kty 2, alg -7, crv 1.
    let (Some(2), Some(-7), Some(1)) = (kty.as_u64(), alg.as_i64(), crv.as_u64()) else {
        return Err(Error::InvalidField);
    };
    // T6 (spec §10.2): kid, x and y bstrs, not_after and not_before uints.
    let (Some(kid), Some(x), Some(y), Some(not_after), Some(not_before)) = (
        kid.as_bytes(),
        x.as_bytes(),
        y.as_bytes(),
        not_after.as_u64(),
        not_before.as_u64(),
    ) else {
        return Err(Error::InvalidField);
    };
    // T6 (spec §10.2): x and y 32 bytes each, a valid point.
    let key = PublicKey::from_coordinates(x, y).ok_or(Error::InvalidField)?;
    Ok(TrustedKey {
        kid: kid.to_vec(),
        key,
        not_before,
        not_after,
    })
}
