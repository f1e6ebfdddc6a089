//! The presentation (spec §8): its payload fields. The holder's wallet that makes it is
//! in [`crate::wallet`].
//!
//! ```text
//! PresentationPayload = { 1: version (1), 2: credential (bstr, as issued),
//!                         3: [* disclosure bstr], 4: presented_at, ?5: nonce, ?6: audience }
//! ```

use crate::disclosure::DIGEST_SET_SIZE;
use crate::fields::{self, Kind, opt, req};

pub(crate) const K_CREDENTIAL: u64 = 2;
pub(crate) const K_DISCLOSURES: u64 = 3;

pub(crate) const FIELDS: [fields::Field; 6] = [
    req(1, Kind::Uint),
    req(K_CREDENTIAL, Kind::Bytes(1, usize::MAX)),
    req(K_DISCLOSURES, Kind::Array),
    req(4, Kind::Uint),
    opt(5, Kind::Bytes(16, 32)),
    opt(6, Kind::CleanText(1, 128)),
];

/// Most disclosures one presentation may carry: there are no more digests than this.
pub const MAX_DISCLOSURES: usize = DIGEST_SET_SIZE;
