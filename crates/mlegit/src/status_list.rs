//! The IETF Token Status List, CWT form, as mlegit profiles it (spec §9, §12.4).
//!
//! ```text
//! StatusListToken = COSE_Sign1, typ "application/statuslist+cwt", kid required
//! payload = { 2: sub (https URI), 4: exp, 6: iat,
//!             65533: {"lst": ZLIB(status array), "bits": 1 / 2 / 4 / 8}, 65534: ttl }
//! ```
//!
//! [`StatusBits`] is the status array itself: the issuer sets entries and compresses it;
//! a verifier gets one back from a token that passed steps L1–L11
//! ([`Verifier::verify_status_list`](crate::Verifier::verify_status_list)), wrapped in a
//! [`StatusList`], and looks entries up (L12) without allocating.
//!
//! Inflating is bounded: the output stops at the caller's cap plus one byte
//! (`status_list_too_large`), and the decompressor's state (about 11 KB) and the output
//! are the only allocations, whatever the input (a ZLIB bomb of a few hundred bytes that
//! would inflate to gigabytes costs at most the cap).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

use crate::cbor::Value;
use crate::error::{Error, IssueError};
use crate::wire::{self, status_list as f};

/// Default cap on a status list token's size, in bytes (spec §12.1).
pub const DEFAULT_MAX_TOKEN: usize = 262_144;
/// Default cap on an inflated status array, in bytes: 8,388,608 entries at one bit
/// (spec §12.1).
pub const DEFAULT_MAX_LIST: usize = 1_048_576;
/// The DEFLATE level the issuer compresses with (the highest).
const LEVEL: u8 = 9;

/// The status of one entry of a list (spec §9): only [`ListStatus::Valid`] is valid.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListStatus {
    /// 0: valid.
    Valid,
    /// 1: invalid (revoked for good).
    Invalid,
    /// 2: suspended.
    Suspended,
    /// Any other value (3 and up, lists of 2 bits or more): not valid.
    Unknown(u8),
}

impl ListStatus {
    /// The status of entry value `value`.
    pub fn from_value(value: u8) -> Self {
        match value {
            0 => ListStatus::Valid,
            1 => ListStatus::Invalid,
            2 => ListStatus::Suspended,
            other => ListStatus::Unknown(other),
        }
    }

    /// The entry value.
    pub fn value(self) -> u8 {
        match self {
            ListStatus::Valid => 0,
            ListStatus::Invalid => 1,
            ListStatus::Suspended => 2,
            ListStatus::Unknown(v) => v,
        }
    }

    /// `valid`, `invalid`, `suspended` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            ListStatus::Valid => "valid",
            ListStatus::Invalid => "invalid",
            ListStatus::Suspended => "suspended",
            ListStatus::Unknown(_) => "unknown",
        }
    }
}

/// A status array: `len()` entries of `bits()` bits each, entry `i` at bits
/// `[i·bits, (i+1)·bits)` counted from the least significant bit of each byte (spec §9).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusBits {
    bits: u8,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for StatusBits {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusBits")
            .field("bits", &self.bits)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

fn bits_ok(bits: u64) -> Option<u8> {
    match bits {
        1 | 2 | 4 | 8 => u8::try_from(bits).ok(),
        _ => None,
    }
}

impl StatusBits {
    /// An array of `entries` entries, all 0 (valid). `bits` is 1, 2, 4 or 8, and
    /// `entries · bits` a positive multiple of 8.
    pub fn new(entries: usize, bits: u8) -> Result<Self, IssueError> {
        let bits = bits_ok(u64::from(bits)).ok_or(IssueError::InvalidStatusList)?;
        let total = entries
            .checked_mul(usize::from(bits))
            .filter(|t| *t > 0 && t % 8 == 0)
            .ok_or(IssueError::InvalidStatusList)?;
        Ok(Self {
            bits,
            bytes: vec![0; total / 8],
        })
    }

    /// The array held in `bytes` (an issuer's stored array): `8 · len / bits` entries.
    pub fn from_bytes(bytes: Vec<u8>, bits: u8) -> Result<Self, IssueError> {
        let bits = bits_ok(u64::from(bits)).ok_or(IssueError::InvalidStatusList)?;
        if bytes.is_empty() {
            return Err(IssueError::InvalidStatusList);
        }
        Ok(Self { bits, bytes })
    }

    /// The inflated array, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Inflates a list's `lst` (ZLIB) with `bits` bits per entry: spec §12.4 steps M1 and
    /// L11, with the output capped at `max_bytes`. For the issuer's own lists, and for
    /// lists that come without a token (the draft's examples).
    pub fn decompress(bits: u64, lst: &[u8], max_bytes: usize) -> Result<Self, Error> {
        // M1 (spec §9): bits 1, 2, 4 or 8.
        let bits = bits_ok(bits).ok_or(Error::InvalidField)?;
        Ok(Self {
            bits,
            bytes: inflate(lst, max_bytes)?,
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The number of entries: `8 · bytes / bits`.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / usize::from(self.bits)
    }

    /// True if there are no entries (never for an array made by `new` or `decompress`).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The inflated array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Where entry `index` lives: its byte, its shift and the entry mask.
    fn locate(&self, index: u64) -> Option<(usize, u8, u8)> {
        let index = usize::try_from(index).ok().filter(|i| *i < self.len())?;
        let bit = index * usize::from(self.bits);
        let mask = u8::MAX >> (8 - self.bits);
        let shift = u8::try_from(bit % 8).ok()?;
        Some((bit / 8, shift, mask))
    }

    /// The value of entry `index`, or `None` beyond the last entry.
    pub fn get(&self, index: u64) -> Option<u8> {
        let (byte, shift, mask) = self.locate(index)?;
        self.bytes.get(byte).map(|b| (b >> shift) & mask)
    }

    /// Sets entry `index` to `value` (below `2^bits`).
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), IssueError> {
        let (byte, shift, mask) = self.locate(index).ok_or(IssueError::InvalidStatusList)?;
        if value & !mask != 0 {
            return Err(IssueError::InvalidStatusList);
        }
        let b = self
            .bytes
            .get_mut(byte)
            .ok_or(IssueError::InvalidStatusList)?;
        *b = (*b & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// The array compressed as a list's `lst`: ZLIB (RFC 1950) at the highest level.
    pub fn compress(&self) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, LEVEL)
    }
}

/// L11 (spec §12.4): `lst` as one complete ZLIB stream, inflated to at most `max` bytes.
fn inflate(lst: &[u8], max: usize) -> Result<Vec<u8>, Error> {
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let limit = max.saturating_add(1);
    // A first guess of 8x the input, at least 64 bytes, at most the cap + 1 (which may be
    // below 64: `clamp` would panic), doubled as needed.
    let mut out = vec![0u8; lst.len().saturating_mul(8).max(64).min(limit)];
    let mut state = Box::<DecompressorOxide>::default();
    let (mut read, mut written) = (0usize, 0usize);
    loop {
        let rest = lst.get(read..).unwrap_or_default();
        let (status, consumed, produced) = decompress(&mut state, rest, &mut out, written, flags);
        read = read.saturating_add(consumed);
        written = written.saturating_add(produced);
        // Past the cap is too large, whatever the stream holds further on (a bad block or
        // checksum after the cap is never reached: inflating stops at max + 1 bytes).
        if written > max {
            return Err(Error::StatusListTooLarge);
        }
        match status {
            TINFLStatus::Done => {
                // Bytes after the stream's end, or a stream of nothing.
                if read != lst.len() || written == 0 {
                    return Err(Error::StatusListMalformed);
                }
                // Held for the list's life: no spare capacity from the doubling.
                out.truncate(written);
                out.shrink_to_fit();
                return Ok(out);
            }
            TINFLStatus::HasMoreOutput => {
                // More than max + 1 bytes to come: too large (and no endless loop).
                if out.len() >= limit {
                    return Err(Error::StatusListTooLarge);
                }
                let grown = out.len().saturating_mul(2).min(limit);
                out.resize(grown, 0);
            }
            // Truncated input, a bad header or block, a checksum mismatch.
            _ => return Err(Error::StatusListMalformed),
        }
    }
}

/// The payload of a status list token, decoded at the field level (L3).
pub(crate) struct TokenPayload<'a> {
    pub sub: &'a str,
    pub exp: u64,
    pub iat: u64,
    pub bits: u64,
    pub lst: &'a [u8],
    pub ttl: u64,
}

/// L3 (spec §12.4): F2–F5 with the table of §9, then M1 and M2.
pub(crate) fn decode_payload<'a>(root: &'a Value<'a>) -> Result<TokenPayload<'a>, Error> {
    let [sub, exp, iat, list, ttl] = wire::decode(root, &f::FIELDS)?;
    // The status_list rule (F4) matched `{"lst": bstr, "bits": uint}` exactly.
    let (lst, bits) = match list {
        Some(Value::Map(entries)) => match entries.as_slice() {
            [(_, Value::Bytes(lst)), (_, Value::Unsigned(bits))] => (*lst, *bits),
            _ => return Err(Error::InvalidField),
        },
        _ => return Err(Error::InvalidField),
    };
    let payload = TokenPayload {
        sub: wire::text(sub),
        exp: wire::uint(exp),
        iat: wire::uint(iat),
        bits,
        lst,
        ttl: wire::uint(ttl),
    };
    // M1 (spec §9): bits 1, 2, 4 or 8.
    if bits_ok(bits).is_none() {
        return Err(Error::InvalidField);
    }
    // M2 (spec §9): iat before exp.
    if payload.iat >= payload.exp {
        return Err(Error::InvalidField);
    }
    Ok(payload)
}

/// What an issuer signs as a status list token (spec §9).
#[derive(Clone, Copy, Debug)]
pub struct StatusListToken<'a> {
    /// The list's URI, `sub`: the `uri` of every credential's status reference into it.
    pub uri: &'a str,
    /// The array.
    pub bits: &'a StatusBits,
    /// When it is signed (`iat`).
    pub issued_at: u64,
    /// When it expires (`exp`), after `issued_at`.
    pub expires: u64,
    /// How long a verifier may rely on it after `issued_at` (`ttl`), in seconds.
    pub ttl: u64,
}

impl StatusListToken<'_> {
    /// The payload, keys in ascending order (2, 4, 6, 65533, 65534).
    pub(crate) fn encode(&self) -> Result<Vec<u8>, IssueError> {
        if !crate::credential::valid_status_uri(self.uri) {
            return Err(IssueError::InvalidStatusReference);
        }
        if self.issued_at >= self.expires {
            return Err(IssueError::InvalidStatusList);
        }
        let lst = self.bits.compress();
        let mut e = crate::cbor::Encoder::with_capacity(64 + self.uri.len() + lst.len());
        e.map(5);
        e.i64(f::SUB.key).text(self.uri);
        e.i64(f::EXP.key).u64(self.expires);
        e.i64(f::IAT.key).u64(self.issued_at);
        e.i64(f::STATUS_LIST.key).map(2);
        e.text(f::LST).bytes(&lst);
        e.text(f::BITS).u64(u64::from(self.bits.bits()));
        e.i64(f::TTL.key).u64(self.ttl);
        Ok(e.into_bytes())
    }
}

/// A status list token whose steps L1–L11 passed: made only by
/// [`Verifier::verify_status_list`](crate::Verifier::verify_status_list). Keep it for its
/// ttl and look credentials up with
/// [`Verifier::check_status`](crate::Verifier::check_status), which re-checks its
/// freshness at each lookup's time.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    uri: String,
    issued_at: u64,
    expires: u64,
    ttl: u64,
    issuer_kid: Vec<u8>,
    bits: StatusBits,
}

impl core::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusList")
            .field("uri", &self.uri)
            .field("issued_at", &self.issued_at)
            .field("expires", &self.expires)
            .field("ttl", &self.ttl)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl StatusList {
    pub(crate) fn new(p: &TokenPayload<'_>, issuer_kid: &[u8], bits: StatusBits) -> Self {
        Self {
            uri: p.sub.into(),
            issued_at: p.iat,
            expires: p.exp,
            ttl: p.ttl,
            issuer_kid: issuer_kid.to_vec(),
            bits,
        }
    }

    /// The list's URI (`sub`).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// When it was signed (`iat`).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// When it expires (`exp`).
    pub fn expires(&self) -> u64 {
        self.expires
    }

    /// Its time to live after `iat`, in seconds (`ttl`).
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// The key id of the issuer key that signed it.
    pub fn issuer_kid(&self) -> &[u8] {
        &self.issuer_kid
    }

    /// The status array.
    pub fn entries(&self) -> &StatusBits {
        &self.bits
    }

    /// L12 (spec §12.4): the status of entry `index`; beyond the last entry,
    /// `status_index_out_of_range`. No freshness check: see
    /// [`Verifier::check_status`](crate::Verifier::check_status).
    pub fn get(&self, index: u64) -> Result<ListStatus, Error> {
        self.bits
            .get(index)
            .map(ListStatus::from_value)
            .ok_or(Error::StatusIndexOutOfRange)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn set_and_get_pack_from_the_least_significant_bit() {
        for bits in [1u8, 2, 4, 8] {
            let mut s = StatusBits::new(64, bits).unwrap();
            let top = u8::MAX >> (8 - bits);
            s.set(0, 1).unwrap();
            s.set(3, top).unwrap();
            s.set(63, top).unwrap();
            assert_eq!(s.get(0), Some(1));
            assert_eq!(s.get(1), Some(0));
            assert_eq!(s.get(3), Some(top));
            assert_eq!(s.get(63), Some(top));
            assert_eq!(s.get(64), None);
            assert_eq!(s.as_bytes()[0] & 1, 1, "entry 0 in bit 0 of byte 0");
            s.set(3, 0).unwrap();
            assert_eq!(s.get(3), Some(0));
            assert_eq!(s.set(64, 0), Err(IssueError::InvalidStatusList));
            if bits < 8 {
                assert_eq!(s.set(1, top + 1), Err(IssueError::InvalidStatusList));
            }
        }
        assert!(StatusBits::new(7, 1).is_err());
        assert!(StatusBits::new(0, 1).is_err());
        assert!(StatusBits::new(8, 3).is_err());
    }

    #[test]
    fn compress_and_decompress_round_trip() {
        let mut s = StatusBits::new(1 << 16, 1).unwrap();
        for i in [0u64, 7, 8, 4711, 65_535] {
            s.set(i, 1).unwrap();
        }
        let lst = s.compress();
        let back = StatusBits::decompress(1, &lst, 8192).unwrap();
        assert_eq!(back, s);
        // One byte under the inflated size is too large; exactly it is fine.
        assert_eq!(
            StatusBits::decompress(1, &lst, 8191),
            Err(Error::StatusListTooLarge)
        );
        assert_eq!(
            StatusBits::decompress(3, &lst, 8192),
            Err(Error::InvalidField)
        );
    }

    #[test]
    fn caps_below_the_first_guess_are_kept() {
        // A cap under the 64-byte first guess (a fuzzer found `clamp` panicking here).
        let mut s = StatusBits::new(8 * 48, 1).unwrap();
        s.set(5, 1).unwrap();
        let lst = s.compress();
        for max in [0usize, 1, 47] {
            assert_eq!(
                StatusBits::decompress(1, &lst, max),
                Err(Error::StatusListTooLarge)
            );
        }
        assert_eq!(StatusBits::decompress(1, &lst, 48), Ok(s));
    }

    #[test]
    fn malformed_streams_are_refused() {
        let s = StatusBits::new(1024, 1).unwrap();
        let lst = s.compress();
        let mut trailing = lst.clone();
        trailing.push(0);
        let mut bad_adler = lst.clone();
        let last = bad_adler.len() - 1;
        bad_adler[last] ^= 1;
        let truncated = &lst[..lst.len() - 1];
        let raw_deflate = &lst[2..lst.len() - 4];
        let empty = miniz_oxide::deflate::compress_to_vec_zlib(&[], 9);
        for (what, input) in [
            ("trailing", &trailing[..]),
            ("adler", &bad_adler[..]),
            ("truncated", truncated),
            ("raw deflate", raw_deflate),
            ("empty output", &empty[..]),
            ("nothing", &[][..]),
        ] {
            assert_eq!(
                StatusBits::decompress(1, input, 1 << 20),
                Err(Error::StatusListMalformed),
                "{what}"
            );
        }
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        // 16 MiB of zeros compress to about 16 KB at level 9; the cap of 1 MiB stops it.
        let zeros = vec![0u8; 16 << 20];
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 9);
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        assert_eq!(
            StatusBits::decompress(1, &bomb, DEFAULT_MAX_LIST),
            Err(Error::StatusListTooLarge)
        );
    }
}
