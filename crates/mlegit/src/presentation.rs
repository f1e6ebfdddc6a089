//! The presentation (spec §8): its payload fields. The holder's wallet that makes it is
//! in [`crate::wallet`].
//!
//! ```text
//! PresentationPayload = { 1: version (1), 2: credential (bstr, as issued),
//!                         3: [* disclosure bstr], 4: presented_at, ?5: nonce, ?6: audience }
//! ```

use crate::disclosure::DIGEST_SET_SIZE;

/// Most disclosures one presentation may carry: there are no more digests than this.
pub const MAX_DISCLOSURES: usize = DIGEST_SET_SIZE;
