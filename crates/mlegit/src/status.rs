//! Revocation reasons: what a school records about a revoked credential (spec §9). The
//! status a verifier sees is the status list's (`crate::status_list`).

/// Why a school revoked a credential. Reasons are never published (spec §9): a status
/// list says only valid or invalid; the reason stays with the school, behind its
/// authenticated API. The codes are the reference server's.
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
