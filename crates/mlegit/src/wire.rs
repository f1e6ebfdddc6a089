//! The wire objects' field tables, and decoding of payload maps by them (spec §4).
//!
//! Each map-shaped object of the spec has one table here: for every field its key, its
//! name in the spec and its field rule. The same table drives decoding (steps F2-F5
//! below), encoding (the encoders write each key from its [`Field`] constant, in table
//! order, and a test checks the order), and the names and time notes of `mlegit inspect`.
//! A change to a field is made here once.
//!
//! Entries are visited in their encoded order: a key the object does not define is
//! [`Error::UnknownField`], a value of the wrong type or out of bounds is
//! [`Error::InvalidField`]; after the visit, a required key that was absent is
//! [`Error::MissingField`].
//!
//! The COSE header (spec §3.3), COSE key (§5.3) and trusted key (§10.1) tables name their
//! fields for `inspect`; those objects are decoded by the exact patterns of their sections
//! (steps C7, K2 and T4), which check more than a field rule can say.

use crate::cbor::Value;
use crate::claims;
use crate::error::Error;

/// A field rule: the CBOR type of a value and its bounds (spec §4, F4).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An unsigned integer.
    Uint,
    /// An unsigned integer of seconds since the Unix epoch (spec §1.5).
    Time,
    /// A signed or unsigned integer.
    Int,
    /// A byte string with a length in this inclusive range.
    Bytes(usize, usize),
    /// A text string with a length (in bytes) in this inclusive range.
    Text(usize, usize),
    /// A text string with a length in range and no excluded code point (spec §11.2).
    CleanText(usize, usize),
    /// An array; its items are checked by the object's own steps.
    Array,
    /// A map; its entries are checked by the object's own steps.
    Map,
    /// A COSE_Key map (spec §5.3), checked by step K2.
    CoseKey,
    /// A text string of 1..=256 bytes with no excluded code point (spec §11.2) that starts
    /// with `https://` (spec §5.4, §9).
    HttpsUri,
    /// `{"status_list": {"idx": uint, "uri": https URI}}`, exactly (spec §5.4).
    StatusReference,
    /// `{"lst": bstr (at least one byte), "bits": uint}`, exactly (spec §9.1).
    StatusArray,
    /// A byte string (at least one byte) holding a credential COSE_Sign1 (spec §8.1).
    Credential,
    /// An array of byte strings, each one disclosure (spec §6.1).
    Disclosures,
    /// A byte string holding a verifier certificate (spec §7.5); an empty one fails later,
    /// at A4, as CBOR.
    Certificate,
}

/// One field of a wire object: its key, its name in the spec, whether it must be present,
/// and its rule.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The map key.
    pub key: i64,
    /// The field's name in the spec.
    pub name: &'static str,
    /// Whether a map without this key is [`Error::MissingField`].
    pub required: bool,
    /// The rule its value meets.
    pub kind: Kind,
}

/// A wire object: its name and its field table, in ascending key order.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct Object {
    /// The object's name in the spec.
    pub name: &'static str,
    /// Its fields, in the order the encoder writes them.
    pub fields: &'static [Field],
}

impl Object {
    /// The field with this key, if the object defines one.
    pub fn field(&self, key: i64) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

const fn object(name: &'static str, fields: &'static [Field]) -> Object {
    Object { name, fields }
}

const fn req(key: i64, name: &'static str, kind: Kind) -> Field {
    Field {
        key,
        name,
        required: true,
        kind,
    }
}

const fn opt(key: i64, name: &'static str, kind: Kind) -> Field {
    Field {
        key,
        name,
        required: false,
        kind,
    }
}

/// The credential payload (spec §5.2).
pub mod credential {
    use super::{Field, Kind, req};
    /// `1: version`.
    pub const VERSION: Field = req(1, "version", Kind::Uint);
    /// `2: doctype`.
    pub const DOCTYPE: Field = req(2, "doctype", Kind::Text(0, usize::MAX));
    /// `3: issuer_kid`.
    pub const ISSUER_KID: Field = req(3, "issuer_kid", Kind::Bytes(1, 32));
    /// `4: credential_id`.
    pub const CREDENTIAL_ID: Field = req(4, "credential_id", Kind::Bytes(16, 32));
    /// `5: iat`.
    pub const IAT: Field = req(5, "iat", Kind::Time);
    /// `6: nbf`.
    pub const NBF: Field = req(6, "nbf", Kind::Time);
    /// `7: exp`.
    pub const EXP: Field = req(7, "exp", Kind::Time);
    /// `8: device_key`.
    pub const DEVICE_KEY: Field = req(8, "device_key", Kind::CoseKey);
    /// `9: status`.
    pub const STATUS: Field = req(9, "status", Kind::StatusReference);
    /// `10: digest_alg`.
    pub const DIGEST_ALG: Field = req(10, "digest_alg", Kind::Int);
    /// `11: digests`.
    pub const DIGESTS: Field = req(11, "digests", Kind::Array);
    /// The table.
    pub const FIELDS: [Field; 11] = [
        VERSION,
        DOCTYPE,
        ISSUER_KID,
        CREDENTIAL_ID,
        IAT,
        NBF,
        EXP,
        DEVICE_KEY,
        STATUS,
        DIGEST_ALG,
        DIGESTS,
    ];
}

/// The status reference inside a credential (spec §5.4): the Token Status List's status
/// claim, `{"status_list": {"idx": uint, "uri": tstr}}`. Its labels are text and name
/// themselves.
pub mod status_reference {
    /// The outer label.
    pub const STATUS_LIST: &str = "status_list";
    /// The entry's index in the list.
    pub const IDX: &str = "idx";
    /// The list's URI.
    pub const URI: &str = "uri";
}

/// The presentation payload (spec §8.1).
pub mod presentation {
    use super::{Field, Kind, opt, req};
    /// `1: version`.
    pub const VERSION: Field = req(1, "version", Kind::Uint);
    /// `2: credential`.
    pub const CREDENTIAL: Field = req(2, "credential", Kind::Credential);
    /// `3: disclosures`.
    pub const DISCLOSURES: Field = req(3, "disclosures", Kind::Disclosures);
    /// `4: presented_at`.
    pub const PRESENTED_AT: Field = req(4, "presented_at", Kind::Time);
    /// `5: nonce`.
    pub const NONCE: Field = opt(5, "nonce", Kind::Bytes(16, 32));
    /// `6: audience`.
    pub const AUDIENCE: Field = opt(6, "audience", Kind::CleanText(1, 128));
    /// `7: request_digest`: SHA-256 of the signed request answered (spec §8.1).
    pub const REQUEST_DIGEST: Field = opt(7, "request_digest", Kind::Bytes(32, 32));
    /// The table.
    pub const FIELDS: [Field; 7] = [
        VERSION,
        CREDENTIAL,
        DISCLOSURES,
        PRESENTED_AT,
        NONCE,
        AUDIENCE,
        REQUEST_DIGEST,
    ];
}

/// The status list token's payload, CWT claims (spec §9).
pub mod status_list {
    use super::{Field, Kind, req};
    /// `2: sub`, the list's URI.
    pub const SUB: Field = req(2, "sub", Kind::HttpsUri);
    /// `4: exp`.
    pub const EXP: Field = req(4, "exp", Kind::Time);
    /// `6: iat`.
    pub const IAT: Field = req(6, "iat", Kind::Time);
    /// `65533: status_list`, `{"lst": bstr, "bits": uint}`.
    pub const STATUS_LIST: Field = req(65_533, "status_list", Kind::StatusArray);
    /// `65534: ttl`, in seconds.
    pub const TTL: Field = req(65_534, "ttl", Kind::Uint);
    /// The table.
    pub const FIELDS: [Field; 5] = [SUB, EXP, IAT, STATUS_LIST, TTL];
    /// The compressed array's label inside `status_list`.
    pub const LST: &str = "lst";
    /// The bits-per-entry label inside `status_list`.
    pub const BITS: &str = "bits";
}

/// The presentation request (spec §7.1).
pub mod request {
    use super::{Field, Kind, opt, req};
    /// `1: version`.
    pub const VERSION: Field = req(1, "version", Kind::Uint);
    /// `2: nonce`.
    pub const NONCE: Field = req(2, "nonce", Kind::Bytes(16, 32));
    /// `3: audience`.
    pub const AUDIENCE: Field = req(3, "audience", Kind::CleanText(1, 128));
    /// `4: verifier_name`.
    pub const VERIFIER_NAME: Field = req(4, "verifier_name", Kind::CleanText(1, 128));
    /// `5: claims`.
    pub const CLAIMS: Field = req(5, "claims", Kind::Array);
    /// `6: created_at`.
    pub const CREATED_AT: Field = req(6, "created_at", Kind::Time);
    /// `8: response_key`: the verifier's ephemeral key for an online answer (spec §18).
    pub const RESPONSE_KEY: Field = opt(8, "response_key", Kind::CoseKey);
    /// The table.
    pub const FIELDS: [Field; 7] = [
        VERSION,
        NONCE,
        AUDIENCE,
        VERIFIER_NAME,
        CLAIMS,
        CREATED_AT,
        RESPONSE_KEY,
    ];
}

/// The payload of a signed request (spec §7.5): the request's fields and its certificate.
pub mod signed_request {
    use super::request::{
        AUDIENCE, CLAIMS, CREATED_AT, NONCE, RESPONSE_KEY, VERIFIER_NAME, VERSION,
    };
    use super::{Field, Kind, req};
    /// `7: certificate`: the verifier certificate's bytes.
    pub const CERTIFICATE: Field = req(7, "certificate", Kind::Certificate);
    /// The table.
    pub const FIELDS: [Field; 8] = [
        VERSION,
        NONCE,
        AUDIENCE,
        VERIFIER_NAME,
        CLAIMS,
        CREATED_AT,
        CERTIFICATE,
        RESPONSE_KEY,
    ];
}

/// The payload of a verifier certificate (spec §7.4).
pub mod certificate {
    use super::{Field, Kind, req};
    /// `1: version`.
    pub const VERSION: Field = req(1, "version", Kind::Uint);
    /// `2: verifier_key`.
    pub const VERIFIER_KEY: Field = req(2, "verifier_key", Kind::CoseKey);
    /// `3: name`.
    pub const NAME: Field = req(3, "name", Kind::CleanText(1, 128));
    /// `4: audience`.
    pub const AUDIENCE: Field = req(4, "audience", Kind::CleanText(1, 128));
    /// `5: claims`.
    pub const CLAIMS: Field = req(5, "claims", Kind::Array);
    /// `6: iat`.
    pub const IAT: Field = req(6, "iat", Kind::Time);
    /// `7: nbf`.
    pub const NBF: Field = req(7, "nbf", Kind::Time);
    /// `8: exp`.
    pub const EXP: Field = req(8, "exp", Kind::Time);
    /// The table.
    pub const FIELDS: [Field; 8] = [VERSION, VERIFIER_KEY, NAME, AUDIENCE, CLAIMS, IAT, NBF, EXP];
}

/// The protected header of every COSE_Sign1 (spec §3.3), decoded by step C7.
pub mod header {
    use super::{Field, Kind, opt, req};
    /// `1: alg`.
    pub const ALG: Field = req(1, "alg", Kind::Int);
    /// `4: kid`.
    pub const KID: Field = opt(4, "kid", Kind::Bytes(1, 32));
    /// `16: typ`.
    pub const TYP: Field = req(16, "typ", Kind::Text(1, usize::MAX));
    /// The table.
    pub const FIELDS: [Field; 3] = [ALG, KID, TYP];
}

/// A P-256 COSE_Key (spec §5.3), decoded by step K2.
pub mod cose_key {
    use super::{Field, Kind, req};
    /// `1: kty` (2, EC2).
    pub const KTY: Field = req(1, "kty", Kind::Uint);
    /// `-1: crv` (1, P-256).
    pub const CRV: Field = req(-1, "crv", Kind::Int);
    /// `-2: x`.
    pub const X: Field = req(-2, "x", Kind::Bytes(32, 32));
    /// `-3: y`.
    pub const Y: Field = req(-3, "y", Kind::Bytes(32, 32));
    /// The table.
    pub const FIELDS: [Field; 4] = [KTY, CRV, X, Y];
}

/// A trusted key of the trust list (spec §10.1), decoded by steps T4-T6. Its two text
/// labels, `"not_after"` and `"not_before"`, are times and name themselves.
pub mod trusted_key {
    use super::{Field, Kind, req};
    /// `1: kty` (2, EC2).
    pub const KTY: Field = req(1, "kty", Kind::Uint);
    /// `2: kid`.
    pub const KID: Field = req(2, "kid", Kind::Bytes(1, 32));
    /// `3: alg`.
    pub const ALG: Field = req(3, "alg", Kind::Int);
    /// `-1: crv`.
    pub const CRV: Field = req(-1, "crv", Kind::Int);
    /// `-2: x`.
    pub const X: Field = req(-2, "x", Kind::Bytes(32, 32));
    /// `-3: y`.
    pub const Y: Field = req(-3, "y", Kind::Bytes(32, 32));
    /// The table.
    pub const FIELDS: [Field; 6] = [KTY, KID, ALG, CRV, X, Y];
    /// The text labels, both times.
    pub const TIME_LABELS: [&str; 2] = ["not_after", "not_before"];
}

/// The credential payload object.
pub const CREDENTIAL: Object = object("credential payload", &credential::FIELDS);
/// The presentation payload object.
pub const PRESENTATION: Object = object("presentation payload", &presentation::FIELDS);
/// The status list token's payload object.
pub const STATUS_LIST: Object = object("status list token payload", &status_list::FIELDS);
/// The presentation request object.
pub const REQUEST: Object = object("presentation request", &request::FIELDS);
/// The signed request's payload object.
pub const SIGNED_REQUEST: Object = object("signed request payload", &signed_request::FIELDS);
/// The verifier certificate's payload object.
pub const CERTIFICATE: Object = object("verifier certificate payload", &certificate::FIELDS);
/// The COSE protected header.
pub const HEADER: Object = object("protected header", &header::FIELDS);
/// The COSE_Key of a device key.
pub const COSE_KEY: Object = object("COSE_Key", &cose_key::FIELDS);
/// The trusted key of a trust list.
pub const TRUSTED_KEY: Object = object("trusted key", &trusted_key::FIELDS);

/// A URI of a status reference or list: 1..=256 bytes, no excluded code point (spec
/// §11.2), starting with `https://` (spec §5.4).
pub(crate) fn https_uri(uri: &str) -> bool {
    claims::valid_text(uri) && uri.starts_with("https://")
}

fn text_ok(t: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&t.len())
}

// F4 (spec §4): one value against its field rule (CBOR type, size, range).
fn kind_ok(kind: Kind, value: &Value<'_>) -> bool {
    match kind {
        Kind::Uint | Kind::Time => value.as_u64().is_some(),
        Kind::Int => matches!(value, Value::Unsigned(_) | Value::Negative(_)),
        Kind::Bytes(min, max) => value
            .as_bytes()
            .is_some_and(|b| (min..=max).contains(&b.len())),
        Kind::Text(min, max) => value.as_text().is_some_and(|t| text_ok(t, min, max)),
        Kind::CleanText(min, max) => value
            .as_text()
            .is_some_and(|t| text_ok(t, min, max) && claims::clean_text(t)),
        Kind::Array | Kind::Disclosures => matches!(value, Value::Array(_)),
        Kind::Map | Kind::CoseKey => matches!(value, Value::Map(_)),
        Kind::Credential => value.as_bytes().is_some_and(|b| !b.is_empty()),
        Kind::Certificate => value.as_bytes().is_some(),
        Kind::HttpsUri => value.as_text().is_some_and(https_uri),
        Kind::StatusReference => match value {
            Value::Map(outer) => match outer.as_slice() {
                [(Value::Text(status_reference::STATUS_LIST), Value::Map(inner))] => matches!(
                    inner.as_slice(),
                    [
                        (Value::Text(status_reference::IDX), Value::Unsigned(_)),
                        (Value::Text(status_reference::URI), Value::Text(uri)),
                    ] if https_uri(uri)
                ),
                _ => false,
            },
            _ => false,
        },
        Kind::StatusArray => match value {
            Value::Map(entries) => matches!(
                entries.as_slice(),
                [
                    (Value::Text(status_list::LST), Value::Bytes(lst)),
                    (Value::Text(status_list::BITS), Value::Unsigned(_)),
                ] if !lst.is_empty()
            ),
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
            .as_i64()
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
