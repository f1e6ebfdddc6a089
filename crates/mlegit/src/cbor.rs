//! Strict deterministic CBOR (spec §2).
//!
//! Every byte string an mlegit verifier reads goes through [`decode`], which accepts exactly
//! one encoding of each value: definite lengths, shortest arguments, map keys strictly
//! ascending by their encoded bytes, no tags, no floats, no simple values other than
//! `false`, `true` and `null`, bounded nesting and no trailing bytes. General-purpose CBOR
//! decoders (ciborium among them) accept all of these deviations, which would let one signed
//! object have many encodings and a verifier be fed inputs the issuer never produced.
//!
//! The decoder makes one left-to-right pass and reports the first violation it meets, so
//! that two implementations of the spec agree on the error code. It borrows byte and text
//! strings from the input; the only allocations are the vectors behind arrays and maps,
//! which grow with the elements actually decoded (each takes at least one input byte).

use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::error::Error;

/// Deepest nesting of arrays and maps accepted: the top-level item is at level 1 (spec §2.3).
pub const MAX_DEPTH: usize = 8;

/// Most elements reserved for an array or map before any is decoded: enough for every
/// object of the spec (the digest set has 32), small enough that nested heads with large
/// counts cannot make the decoder hold far more memory than the input is long.
const INITIAL_CAPACITY: usize = 32;

/// A decoded CBOR data item, borrowing strings from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the value is `-1 - n`.
    Negative(u64),
    /// Major type 2.
    Bytes(&'a [u8]),
    /// Major type 3 (valid UTF-8).
    Text(&'a str),
    /// Major type 4.
    Array(Vec<Value<'a>>),
    /// Major type 5, entries in their (strictly ascending) encoded order.
    Map(Vec<(Value<'a>, Value<'a>)>),
    /// `false` / `true`.
    Bool(bool),
    /// `null`.
    Null,
}

impl<'a> Value<'a> {
    /// The value as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Unsigned(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as a signed 64-bit integer, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Unsigned(n) => i64::try_from(*n).ok(),
            Value::Negative(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The value as a byte string, if it is one.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The value as a text string, if it is one.
    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Decodes exactly one data item that fills `input` (spec §2).
pub fn decode(input: &[u8]) -> Result<Value<'_>, Error> {
    let mut decoder = Decoder { input, pos: 0 };
    let value = decoder.item(1)?;
    if decoder.pos != input.len() {
        return Err(Error::CborTrailingBytes);
    }
    Ok(value)
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let n = usize::try_from(n).map_err(|_| Error::CborMalformed)?;
        // D7, D10 (spec §2.3): more bytes asked for than remain.
        if n > self.remaining() {
            return Err(Error::CborMalformed);
        }
        let bytes = self
            .input
            .get(self.pos..self.pos + n)
            .ok_or(Error::CborMalformed)?;
        self.pos += n;
        Ok(bytes)
    }

    fn argument(&mut self, additional: u8) -> Result<u64, Error> {
        let (len, min) = match additional {
            0..=23 => return Ok(u64::from(additional)),
            24 => (1, 24),
            25 => (2, 1 << 8),
            26 => (4, 1 << 16),
            27 => (8, 1 << 32),
            // 28..=31 are filtered out by `item` before it asks for an argument.
            _ => return Err(Error::CborMalformed),
        };
        // D7 (spec §2.3): the 1, 2, 4 or 8 argument bytes remain.
        let bytes = self.take(len)?;
        let value = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        // D8 (spec §2.3): the argument in shortest form.
        if value < min {
            return Err(Error::CborNonShortest);
        }
        Ok(value)
    }

    /// Decodes one item at nesting `level` (spec §2, rules checked in the order listed there).
    fn item(&mut self, level: usize) -> Result<Value<'a>, Error> {
        // D1 (spec §2.3): no byte remains for the initial byte.
        let initial = *self.input.get(self.pos).ok_or(Error::CborMalformed)?;
        self.pos += 1;
        // D2 (spec §2.3): mt and ai from the initial byte; ai 28..=30 is malformed.
        let major = initial >> 5;
        let additional = initial & 0x1f;
        if (28..=30).contains(&additional) {
            return Err(Error::CborMalformed);
        }
        match major {
            // D3 (spec §2.3): major type 6, any tag.
            6 => return Err(Error::CborUnsupportedType),
            // D4 (spec §2.3): major type 7: false, true and null only; break is malformed.
            7 => {
                return match additional {
                    20 => Ok(Value::Bool(false)),
                    21 => Ok(Value::Bool(true)),
                    22 => Ok(Value::Null),
                    31 => Err(Error::CborMalformed),
                    _ => Err(Error::CborUnsupportedType),
                };
            }
            _ => {}
        }
        // D5, D6 (spec §2.3): ai 31: indefinite length for mt 2..=5, malformed for mt 0 and 1.
        if additional == 31 {
            return Err(if (2..=5).contains(&major) {
                Error::CborIndefiniteLength
            } else {
                Error::CborMalformed
            });
        }
        // D7, D8 (spec §2.3): the argument, its bytes present and in shortest form.
        let arg = self.argument(additional)?;
        match major {
            // D9 (spec §2.3): an integer is its argument (mt 1: -1 - argument).
            0 => Ok(Value::Unsigned(arg)),
            1 => Ok(Value::Negative(arg)),
            // D10 (spec §2.3): a byte string no longer than what remains.
            2 => Ok(Value::Bytes(self.take(arg)?)),
            3 => {
                // D10 (spec §2.3): a text string no longer than what remains.
                let bytes = self.take(arg)?;
                // D11 (spec §2.3): text is valid UTF-8.
                core::str::from_utf8(bytes)
                    .map(Value::Text)
                    .map_err(|_| Error::CborMalformed)
            }
            4 => {
                // D12 (spec §2.3): an array at a level above 8.
                if level > MAX_DEPTH {
                    return Err(Error::CborDepthExceeded);
                }
                // Each element takes at least one byte: bound the allocation by the input.
                let count = usize::try_from(arg).map_err(|_| Error::CborMalformed)?;
                // D13 (spec §2.3): an array count bounded by the remaining bytes.
                if count > self.remaining() {
                    return Err(Error::CborMalformed);
                }
                // Reserve little up front: a count only bounds what may follow, and nested
                // heads could otherwise reserve their counts many times over before a single
                // element is read. The vector grows with the elements actually decoded.
                let mut items = Vec::with_capacity(count.min(INITIAL_CAPACITY));
                // D14 (spec §2.3): each element at level + 1.
                for _ in 0..count {
                    items.push(self.item(level + 1)?);
                }
                Ok(Value::Array(items))
            }
            _ => {
                // major == 5: the only one left.
                // D12 (spec §2.3): a map at a level above 8.
                if level > MAX_DEPTH {
                    return Err(Error::CborDepthExceeded);
                }
                let count = usize::try_from(arg).map_err(|_| Error::CborMalformed)?;
                // D13 (spec §2.3): a map count bounded by half the remaining bytes.
                if count > self.remaining() / 2 {
                    return Err(Error::CborMalformed);
                }
                let mut entries = Vec::with_capacity(count.min(INITIAL_CAPACITY));
                let mut previous: Option<&'a [u8]> = None;
                for _ in 0..count {
                    let start = self.pos;
                    // D15 (spec §2.3): the key at level + 1, kept as its encoded bytes.
                    let key = self.item(level + 1)?;
                    let key_bytes = self
                        .input
                        .get(start..self.pos)
                        .ok_or(Error::CborMalformed)?;
                    if let Some(previous) = previous {
                        match key_bytes.cmp(previous) {
                            Ordering::Greater => {}
                            // D15 (spec §2.3): a key equal to the previous key.
                            Ordering::Equal => return Err(Error::CborDuplicateKey),
                            // D16 (spec §2.3): a key smaller than the previous key.
                            Ordering::Less => return Err(Error::CborUnsortedKeys),
                        }
                    }
                    previous = Some(key_bytes);
                    // D17 (spec §2.3): the value at level + 1.
                    let value = self.item(level + 1)?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
        }
    }
}

/// Writes deterministic CBOR (spec §2.4). Callers write map entries in ascending key order;
/// [`encode`] sorts them for arbitrary values.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty encoder with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn head(&mut self, major: u8, arg: u64) -> &mut Self {
        let m = major << 5;
        // The casts below are exact: each arm has checked that `arg` fits.
        if arg < 24 {
            self.buf.push(m | arg as u8);
        } else if arg <= 0xff {
            self.buf.extend_from_slice(&[m | 24, arg as u8]);
        } else if arg <= 0xffff {
            self.buf.push(m | 25);
            self.buf.extend_from_slice(&(arg as u16).to_be_bytes());
        } else if arg <= 0xffff_ffff {
            self.buf.push(m | 26);
            self.buf.extend_from_slice(&(arg as u32).to_be_bytes());
        } else {
            self.buf.push(m | 27);
            self.buf.extend_from_slice(&arg.to_be_bytes());
        }
        self
    }

    /// An unsigned integer.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.head(0, value)
    }

    /// A signed integer.
    pub fn i64(&mut self, value: i64) -> &mut Self {
        if value >= 0 {
            self.head(0, value.unsigned_abs())
        } else {
            // -1 - value, computed without overflow for i64::MIN.
            self.head(1, (-(value + 1)).unsigned_abs())
        }
    }

    /// A byte string.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.head(2, value.len() as u64);
        self.buf.extend_from_slice(value);
        self
    }

    /// A text string.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.head(3, value.len() as u64);
        self.buf.extend_from_slice(value.as_bytes());
        self
    }

    /// The head of an array of `len` items; the items follow.
    pub fn array(&mut self, len: usize) -> &mut Self {
        self.head(4, len as u64)
    }

    /// The head of a map of `len` entries; keys and values follow, keys in ascending order.
    pub fn map(&mut self, len: usize) -> &mut Self {
        self.head(5, len as u64)
    }

    /// A boolean.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.buf.push(if value { 0xf5 } else { 0xf4 });
        self
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        self.buf.push(0xf6);
        self
    }

    /// Bytes that are already one encoded item.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// Any value, with map entries sorted by their encoded keys.
    pub fn value(&mut self, value: &Value<'_>) -> &mut Self {
        match value {
            Value::Unsigned(n) => self.head(0, *n),
            Value::Negative(n) => self.head(1, *n),
            Value::Bytes(b) => self.bytes(b),
            Value::Text(t) => self.text(t),
            Value::Bool(b) => self.bool(*b),
            Value::Null => self.null(),
            Value::Array(items) => {
                self.array(items.len());
                for item in items {
                    self.value(item);
                }
                self
            }
            Value::Map(entries) => {
                let mut encoded: Vec<(Vec<u8>, Vec<u8>)> = entries
                    .iter()
                    .map(|(k, v)| (encode(k), encode(v)))
                    .collect();
                encoded.sort();
                self.map(encoded.len());
                for (k, v) in encoded {
                    self.raw(&k).raw(&v);
                }
                self
            }
        }
    }
}

/// Encodes any value deterministically.
pub fn encode(value: &Value<'_>) -> Vec<u8> {
    let mut encoder = Encoder::new();
    encoder.value(value);
    encoder.into_bytes()
}

/// Looks up the value of an unsigned-integer key in a decoded map.
pub(crate) fn map_get<'v, 'a>(
    entries: &'v [(Value<'a>, Value<'a>)],
    key: u64,
) -> Option<&'v Value<'a>> {
    entries
        .iter()
        .find(|(k, _)| k.as_u64() == Some(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloc::vec;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn accepts_deterministic_items() {
        let cases: &[(&str, Value<'_>)] = &[
            ("00", Value::Unsigned(0)),
            ("17", Value::Unsigned(23)),
            ("1818", Value::Unsigned(24)),
            ("190100", Value::Unsigned(256)),
            ("1b0000000100000000", Value::Unsigned(1 << 32)),
            ("20", Value::Negative(0)),
            ("3bffffffffffffffff", Value::Negative(u64::MAX)),
            ("43010203", Value::Bytes(&[1, 2, 3])),
            ("6161", Value::Text("a")),
            ("f4", Value::Bool(false)),
            ("f5", Value::Bool(true)),
            ("f6", Value::Null),
            (
                "820102",
                Value::Array(vec![Value::Unsigned(1), Value::Unsigned(2)]),
            ),
            (
                // {1: 2, -1: 3, "a": 4}: keys ascend by their encoded bytes 01 < 20 < 6161
                "a301022003616104",
                Value::Map(vec![
                    (Value::Unsigned(1), Value::Unsigned(2)),
                    (Value::Negative(0), Value::Unsigned(3)),
                    (Value::Text("a"), Value::Unsigned(4)),
                ]),
            ),
        ];
        for (input, expected) in cases {
            let bytes = hex(input);
            let value = decode(&bytes).unwrap();
            assert_eq!(&value, expected, "{input}");
            assert_eq!(encode(&value), bytes, "re-encoding {input}");
        }
    }

    #[test]
    fn rejects_each_deviation_with_its_code() {
        let cases: &[(&str, Error)] = &[
            ("", Error::CborMalformed),
            ("18", Error::CborMalformed),       // argument missing
            ("1817", Error::CborNonShortest),   // 23 in two bytes
            ("1900ff", Error::CborNonShortest), // 255 in three bytes
            ("1a0000ffff", Error::CborNonShortest),
            ("1b00000000ffffffff", Error::CborNonShortest),
            ("5801ff", Error::CborNonShortest), // length 1 in two bytes
            ("1c", Error::CborMalformed),       // reserved additional info
            ("5f41ff", Error::CborIndefiniteLength),
            ("9fff", Error::CborIndefiniteLength),
            ("bfff", Error::CborIndefiniteLength),
            ("1f", Error::CborMalformed),
            ("ff", Error::CborMalformed),
            ("c100", Error::CborUnsupportedType), // tag 1 (epoch date)
            ("f7", Error::CborUnsupportedType),   // undefined
            ("f820", Error::CborUnsupportedType), // simple(32)
            ("f93c00", Error::CborUnsupportedType), // half float
            ("fb3ff0000000000000", Error::CborUnsupportedType),
            ("a201000100", Error::CborDuplicateKey),
            ("a202000100", Error::CborUnsortedKeys),
            ("a220000101", Error::CborUnsortedKeys), // -1 before 1
            ("0000", Error::CborTrailingBytes),
            ("62ff00", Error::CborMalformed),     // invalid UTF-8
            ("4401", Error::CborMalformed),       // truncated byte string
            ("9a00010000", Error::CborMalformed), // count beyond the input
            ("81818181818181818100", Error::CborDepthExceeded),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(&hex(input)), Err(*expected), "{input}");
        }
    }

    #[test]
    fn nesting_up_to_the_limit_is_accepted() {
        // eight arrays deep, then a scalar at level 9
        let bytes = hex("818181818181818100");
        assert_eq!(decode(&bytes).map(|_| ()), Ok(()));
    }

    #[test]
    fn reports_the_first_violation_in_byte_order() {
        // a non-shortest integer before a duplicate key: the integer is met first
        assert_eq!(decode(&hex("a2011800011800")), Err(Error::CborNonShortest));
        // trailing bytes are only looked at after the item
        assert_eq!(decode(&hex("a201000100ff")), Err(Error::CborDuplicateKey));
    }
}
