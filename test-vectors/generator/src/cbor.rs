//! An owned CBOR value that is encoded exactly as built: maps keep the order they are
//! given and `Raw` injects arbitrary bytes, so that vectors can carry every deviation the
//! strict decoder must reject.

/// A CBOR item, encoded as built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V {
    /// Unsigned integer.
    U(u64),
    /// Negative integer `-1 - n`.
    N(u64),
    /// Byte string.
    B(Vec<u8>),
    /// Text string.
    T(String),
    /// Array.
    A(Vec<V>),
    /// Map, in the given order.
    M(Vec<(V, V)>),
    /// Boolean.
    Bool(bool),
    /// Bytes copied as they are (one or more items, or garbage).
    Raw(Vec<u8>),
}

/// A signed integer.
pub fn int(value: i64) -> V {
    if value >= 0 {
        V::U(value.unsigned_abs())
    } else {
        V::N((-(value + 1)).unsigned_abs())
    }
}

/// A text string.
pub fn text(value: &str) -> V {
    V::T(value.to_string())
}

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Encodes `value` exactly as built.
pub fn enc(value: &V) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, value);
    out
}

fn write(out: &mut Vec<u8>, value: &V) {
    match value {
        V::U(n) => head(out, 0, *n),
        V::N(n) => head(out, 1, *n),
        V::B(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        V::T(t) => {
            head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        V::A(items) => {
            head(out, 4, items.len() as u64);
            for i in items {
                write(out, i);
            }
        }
        V::M(entries) => {
            head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                write(out, k);
                write(out, v);
            }
        }
        V::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        V::Raw(bytes) => out.extend_from_slice(bytes),
    }
}

/// Sets `key` in a map, replacing its value or inserting it in ascending position.
pub fn set(map: &mut Vec<(V, V)>, key: V, value: V) {
    if let Some(entry) = map.iter_mut().find(|(k, _)| *k == key) {
        entry.1 = value;
        return;
    }
    let encoded = enc(&key);
    let at = map
        .iter()
        .position(|(k, _)| enc(k) > encoded)
        .unwrap_or(map.len());
    map.insert(at, (key, value));
}

/// Removes `key` from a map.
pub fn remove(map: &mut Vec<(V, V)>, key: &V) {
    map.retain(|(k, _)| k != key);
}

/// `bytes` (strict CBOR, as this crate's objects are) as an owned value to change and
/// encode again; `null` becomes `Raw([0xf6])`.
pub fn dec(bytes: &[u8]) -> V {
    match mlegit::cbor::decode(bytes) {
        Ok(value) => owned(&value),
        Err(e) => panic!("dec: not strict CBOR: {e}"),
    }
}

fn owned(value: &mlegit::cbor::Value<'_>) -> V {
    use mlegit::cbor::Value;
    match value {
        Value::Unsigned(n) => V::U(*n),
        Value::Negative(n) => V::N(*n),
        Value::Bytes(b) => V::B(b.to_vec()),
        Value::Text(t) => V::T((*t).to_string()),
        Value::Array(items) => V::A(items.iter().map(owned).collect()),
        Value::Map(entries) => V::M(entries.iter().map(|(k, v)| (owned(k), owned(v))).collect()),
        Value::Bool(b) => V::Bool(*b),
        Value::Null => V::Raw(vec![0xf6]),
    }
}
