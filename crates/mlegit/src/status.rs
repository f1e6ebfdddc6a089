//! Status responses: the issuer's signed answer to an online validity check (spec §9).
//!
//! ```text
//! StatusPayload = { 1: version (1), 2: credential_id, 3: status, ?4: reason,
//!                   5: checked_at, ?6: nonce, 7: cache_for }
//! ```

use alloc::vec::Vec;

use crate::cbor::{Encoder, Value};
use crate::error::{Error, IssueError};
use crate::wire::{self as fields, status as f};

/// Longest time a status response may be cached, in seconds.
pub const MAX_CACHE_FOR: u64 = 86_400;

/// Why a credential was revoked (spec §9.1).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// At the holder's request: a lost, stolen or damaged phone.
    HolderRequest,
    /// The paper school ID expired.
    PaperIdExpired,
    /// The student changed school.
    SchoolChange,
    /// The credential was activated on another device.
    Superseded,
}

impl RevocationReason {
    /// Every reason, in registry order.
    pub const ALL: &'static [RevocationReason] = &[
        RevocationReason::HolderRequest,
        RevocationReason::PaperIdExpired,
        RevocationReason::SchoolChange,
        RevocationReason::Superseded,
    ];

    /// The wire value.
    pub fn code(self) -> u64 {
        match self {
            RevocationReason::HolderRequest => 1,
            RevocationReason::PaperIdExpired => 2,
            RevocationReason::SchoolChange => 3,
            RevocationReason::Superseded => 4,
        }
    }

    /// The reason with this wire value.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// The registry name (`holder_request`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::HolderRequest => "holder_request",
            RevocationReason::PaperIdExpired => "paper_id_expired",
            RevocationReason::SchoolChange => "school_change",
            RevocationReason::Superseded => "superseded",
        }
    }

    /// The reason with this registry name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// The status of a credential.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialStatus {
    /// Valid.
    Valid,
    /// Revoked for good.
    Revoked(RevocationReason),
    /// Suspended (may become valid again).
    Suspended,
    /// Past its `exp`.
    Expired,
}

impl CredentialStatus {
    /// The registry name (`valid`, `revoked`, `suspended`, `expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Valid => "valid",
            CredentialStatus::Revoked(_) => "revoked",
            CredentialStatus::Suspended => "suspended",
            CredentialStatus::Expired => "expired",
        }
    }

    fn code(self) -> u64 {
        match self {
            CredentialStatus::Valid => 0,
            CredentialStatus::Revoked(_) => 1,
            CredentialStatus::Suspended => 2,
            CredentialStatus::Expired => 3,
        }
    }
}

/// The content of a status response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusBody {
    /// The credential the response is about.
    pub credential_id: Vec<u8>,
    /// Its status.
    pub status: CredentialStatus,
    /// When the issuer looked (NumericDate seconds).
    pub checked_at: u64,
    /// The verifier's nonce, echoed.
    pub nonce: Option<Vec<u8>>,
    /// How long the response may be relied on after `checked_at`, in seconds.
    pub cache_for: u64,
}

impl StatusBody {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, IssueError> {
        if !(16..=32).contains(&self.credential_id.len()) {
            return Err(IssueError::InvalidCredentialId);
        }
        let nonce_ok = self
            .nonce
            .as_ref()
            .is_none_or(|n| (16..=32).contains(&n.len()));
        if !nonce_ok || self.cache_for > MAX_CACHE_FOR {
            return Err(IssueError::InvalidStatusBody);
        }
        let reason = match self.status {
            CredentialStatus::Revoked(r) => Some(r),
            _ => None,
        };
        let mut e = Encoder::with_capacity(96);
        e.map(5 + usize::from(reason.is_some()) + usize::from(self.nonce.is_some()));
        e.i64(f::VERSION.key).u64(1);
        e.i64(f::CREDENTIAL_ID.key).bytes(&self.credential_id);
        e.i64(f::STATUS.key).u64(self.status.code());
        if let Some(r) = reason {
            e.i64(f::REASON.key).u64(r.code());
        }
        e.i64(f::CHECKED_AT.key).u64(self.checked_at);
        if let Some(n) = &self.nonce {
            e.i64(f::NONCE.key).bytes(n);
        }
        e.i64(f::CACHE_FOR.key).u64(self.cache_for);
        Ok(e.into_bytes())
    }

    /// Decodes a status payload at the field level (spec §9.1); the version is checked
    /// later, after the signature.
    pub(crate) fn decode(root: &Value<'_>) -> Result<(u64, Self), Error> {
        // S3 (spec §12.4): F2-F5 with the table of §9.1.
        let [version, cid, status, reason, checked_at, nonce, cache_for] =
            fields::decode(root, &f::FIELDS)?;
        // Q1 (spec §9.2): (status, reason) one of the four allowed pairs.
        let reason = reason.and_then(Value::as_u64);
        let status = match (fields::uint(status), reason) {
            (0, None) => CredentialStatus::Valid,
            (1, Some(r)) => CredentialStatus::Revoked(
                RevocationReason::from_code(r).ok_or(Error::InvalidField)?,
            ),
            (2, None) => CredentialStatus::Suspended,
            (3, None) => CredentialStatus::Expired,
            _ => return Err(Error::InvalidField),
        };
        let cache_for = fields::uint(cache_for);
        // Q2 (spec §9.2): cache_for at most 86400.
        if cache_for > MAX_CACHE_FOR {
            return Err(Error::InvalidField);
        }
        Ok((
            fields::uint(version),
            Self {
                credential_id: fields::bytes(cid).to_vec(),
                status,
                checked_at: fields::uint(checked_at),
                nonce: nonce.and_then(Value::as_bytes).map(<[u8]>::to_vec),
                cache_for,
            },
        ))
    }
}

/// A status response whose every check passed (spec §12.4). Only
/// [`Verifier::verify_status`](crate::Verifier::verify_status) makes one: its fields are
/// private.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatus {
    body: StatusBody,
    issuer_kid: Vec<u8>,
}

impl VerifiedStatus {
    pub(crate) fn new(body: StatusBody, issuer_kid: Vec<u8>) -> Self {
        Self { body, issuer_kid }
    }

    /// The content: status, reason, checked_at, nonce, cache_for.
    pub fn body(&self) -> &StatusBody {
        &self.body
    }

    /// The credential's status (a shortcut for `body().status`).
    pub fn status(&self) -> CredentialStatus {
        self.body.status
    }

    /// The key id of the issuer key that signed it.
    pub fn issuer_kid(&self) -> &[u8] {
        &self.issuer_kid
    }
}
