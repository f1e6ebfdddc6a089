//! Decoding of payload maps with unsigned integer keys (spec §4).
//!
//! Entries are visited in their encoded order: a key the object does not define is
//! [`Error::UnknownField`], a value of the wrong type or out of bounds is
//! [`Error::InvalidField`]; after the visit, a required key that was absent is
//! [`Error::MissingField`].

use crate::cbor::Value;
use crate::claims;
use crate::error::Error;

/// How a field is checked at decoding time.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Uint,
    Int,
    /// A byte string with a length in this inclusive range.
    Bytes(usize, usize),
    /// A text string with a length (in bytes) in this inclusive range.
    Text(usize, usize),
    /// A text string with a length in range and no excluded code point (spec §11.2).
    CleanText(usize, usize),
    Array,
    Map,
    /// `{1: uri (clean text 1..=256), 2: index (uint)}`, exactly.
    StatusReference,
}

pub(crate) struct Field {
    pub key: u64,
    pub required: bool,
    pub kind: Kind,
}

pub(crate) const fn req(key: u64, kind: Kind) -> Field {
    Field {
        key,
        required: true,
        kind,
    }
}

pub(crate) const fn opt(key: u64, kind: Kind) -> Field {
    Field {
        key,
        required: false,
        kind,
    }
}

fn text_ok(t: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&t.len())
}

// F4 (spec §4): one value against its field rule (CBOR type, size, range).
fn kind_ok(kind: Kind, value: &Value<'_>) -> bool {
    match kind {
        Kind::Uint => value.as_u64().is_some(),
        Kind::Int => matches!(value, Value::Unsigned(_) | Value::Negative(_)),
        Kind::Bytes(min, max) => value
            .as_bytes()
            .is_some_and(|b| (min..=max).contains(&b.len())),
        Kind::Text(min, max) => value.as_text().is_some_and(|t| text_ok(t, min, max)),
        Kind::CleanText(min, max) => value
            .as_text()
            .is_some_and(|t| text_ok(t, min, max) && claims::clean_text(t)),
        Kind::Array => matches!(value, Value::Array(_)),
        Kind::Map => matches!(value, Value::Map(_)),
        Kind::StatusReference => match value {
            Value::Map(entries) => match entries.as_slice() {
                [
                    (Value::Unsigned(1), Value::Text(uri)),
                    (Value::Unsigned(2), Value::Unsigned(_)),
                ] => text_ok(uri, 1, 256) && claims::valid_text(uri),
                _ => false,
            },
            _ => false,
        },
    }
}

/// Decodes the map `value` against `fields`; slot `i` of the result holds the value of
/// `fields[i]`. A `value` that is not a map is [`Error::CoseMalformed`] for signed payloads
/// (spec §4); callers for unsigned objects map it as they document.
pub(crate) fn decode<'v, 'a, const N: usize>(
    value: &'v Value<'a>,
    fields: &[Field; N],
) -> Result<[Option<&'v Value<'a>>; N], Error> {
    // F2 (spec §4): a payload that is not a map is cose_malformed.
    let Value::Map(entries) = value else {
        return Err(Error::CoseMalformed);
    };
    let mut slots: [Option<&'v Value<'a>>; N] = [None; N];
    for (key, value) in entries {
        // F3 (spec §4): the key an unsigned integer of the table.
        let index = key
            .as_u64()
            .and_then(|k| fields.iter().position(|f| f.key == k))
            .ok_or(Error::UnknownField)?;
        let (Some(field), Some(slot)) = (fields.get(index), slots.get_mut(index)) else {
            return Err(Error::UnknownField);
        };
        // F4 (spec §4): the value meets its field rule.
        if !kind_ok(field.kind, value) {
            return Err(Error::InvalidField);
        }
        *slot = Some(value);
    }
    // F5 (spec §4): every required key present.
    for (field, slot) in fields.iter().zip(slots.iter()) {
        if field.required && slot.is_none() {
            return Err(Error::MissingField);
        }
    }
    Ok(slots)
}

/// The value of a required uint field that `decode` has checked.
pub(crate) fn uint(slot: Option<&Value<'_>>) -> u64 {
    slot.and_then(Value::as_u64).unwrap_or_default()
}

/// The value of a required bstr field that `decode` has checked.
pub(crate) fn bytes<'a>(slot: Option<&Value<'a>>) -> &'a [u8] {
    slot.and_then(Value::as_bytes).unwrap_or_default()
}

/// The value of a required tstr field that `decode` has checked.
pub(crate) fn text<'a>(slot: Option<&Value<'a>>) -> &'a str {
    slot.and_then(Value::as_text).unwrap_or_default()
}
