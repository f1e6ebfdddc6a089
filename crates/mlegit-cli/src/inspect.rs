//! `mlegit inspect`: any mlegit object as CBOR extended diagnostic notation (RFC 8610
//! appendix G), with field and claim names as `/ comments /` and times in Warsaw time.
//!
//! Embedded CBOR (protected headers, payloads, the credential inside a presentation,
//! disclosures) is decoded and shown between `<< >>`.

use core::fmt::Write as _;

use mlegit::cbor::{self, Value};
use mlegit::cose;
use mlegit::wire::{self, Kind};

use crate::time;

/// What kind of object a value is, so that its fields can be named.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Schema {
    Any,
    Sign1,
    Header,
    Credential,
    Presentation,
    StatusList,
    /// The payload of a signed request (spec §7.5).
    SignedRequest,
    /// The payload of a verifier certificate (spec §7.4).
    Certificate,
    Request,
    Disclosure,
    /// The disclosures array of a presentation: embedded disclosures.
    Disclosures,
    DeviceKey,
    TrustList,
    TrustedKey,
    /// The `{"lst", "bits"}` map of a status list token.
    StatusArray,
}

/// What a top-level object was recognised as.
pub fn kind_name(value: &Value<'_>) -> &'static str {
    match detect(value) {
        Schema::Sign1 => match sign1_typ(value) {
            Some(cose::TYP_CREDENTIAL) => "credential (COSE_Sign1)",
            Some(cose::TYP_PRESENTATION) => "presentation (COSE_Sign1)",
            Some(cose::TYP_STATUS_LIST) => "status list token (COSE_Sign1)",
            Some(cose::TYP_REQUEST) => "signed presentation request (COSE_Sign1)",
            Some(cose::TYP_VERIFIER) => "verifier certificate (COSE_Sign1)",
            Some(cose::TYP_ACTIVATION) => "activation proof (COSE_Sign1)",
            _ => "COSE_Sign1 of unknown typ",
        },
        Schema::Request => "presentation request",
        Schema::Disclosure => "disclosure",
        Schema::TrustList => "trust list (COSE_KeySet)",
        _ => "CBOR item of no known mlegit type",
    }
}

/// Writes `value` as diagnostic notation, naming fields by the object it was recognised as.
pub fn diagnostic(value: &Value<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "/ {} /", kind_name(value));
    write_value(&mut out, value, detect(value), 0);
    out.push('\n');
    out
}

fn detect(value: &Value<'_>) -> Schema {
    match value {
        Value::Array(items) => match items.as_slice() {
            [
                Value::Bytes(_),
                Value::Map(_),
                Value::Bytes(_),
                Value::Bytes(_),
            ] => Schema::Sign1,
            [Value::Bytes(_), Value::Text(_), _] => Schema::Disclosure,
            [Value::Map(_), ..] if items.iter().all(|i| matches!(i, Value::Map(_))) => {
                Schema::TrustList
            }
            _ => Schema::Any,
        },
        Value::Map(entries)
            if cbor_key(entries, 2).is_some_and(|v| v.as_bytes().is_some())
                && cbor_key(entries, 5).is_some_and(|v| matches!(v, Value::Array(_))) =>
        {
            Schema::Request
        }
        _ => Schema::Any,
    }
}

fn cbor_key<'v, 'a>(entries: &'v [(Value<'a>, Value<'a>)], key: u64) -> Option<&'v Value<'a>> {
    entries
        .iter()
        .find(|(k, _)| k.as_u64() == Some(key))
        .map(|(_, v)| v)
}

/// The typ in a COSE_Sign1's protected header.
fn sign1_typ<'a>(value: &Value<'a>) -> Option<&'a str> {
    let Value::Array(items) = value else {
        return None;
    };
    let protected = items.first()?.as_bytes()?;
    match cbor::decode(protected).ok()? {
        Value::Map(entries) => cbor_key(&entries, cose::HEADER_TYP)?.as_text(),
        _ => None,
    }
}

fn payload_schema(typ: Option<&str>) -> Schema {
    match typ {
        Some(cose::TYP_CREDENTIAL) => Schema::Credential,
        Some(cose::TYP_PRESENTATION) => Schema::Presentation,
        Some(cose::TYP_STATUS_LIST) => Schema::StatusList,
        Some(cose::TYP_REQUEST) => Schema::SignedRequest,
        Some(cose::TYP_VERIFIER) => Schema::Certificate,
        _ => Schema::Any,
    }
}

/// The wire table (spec, through `mlegit::wire`) of the maps of kind `schema`.
fn table(schema: Schema) -> Option<wire::Object> {
    Some(match schema {
        Schema::Header => wire::HEADER,
        Schema::Credential => wire::CREDENTIAL,
        Schema::Presentation => wire::PRESENTATION,
        Schema::StatusList => wire::STATUS_LIST,
        Schema::SignedRequest => wire::SIGNED_REQUEST,
        Schema::Certificate => wire::CERTIFICATE,
        Schema::Request => wire::REQUEST,
        Schema::DeviceKey => wire::COSE_KEY,
        Schema::TrustedKey => wire::TRUSTED_KEY,
        _ => return None,
    })
}

/// The field of map key `key` in an object of kind `schema`, from its wire table. Text
/// keys ("not_before", "not_after" in a trust list) name themselves.
fn field(schema: Schema, key: &Value<'_>) -> Option<&'static wire::Field> {
    table(schema)?.field(key.as_i64()?)
}

/// The schema of a field's value: nested objects by their rule.
fn sub_schema(field: Option<&wire::Field>) -> Schema {
    match field.map(|f| f.kind) {
        Some(Kind::CoseKey) => Schema::DeviceKey,
        Some(Kind::Credential | Kind::Certificate) => Schema::Sign1,
        Some(Kind::Disclosures) => Schema::Disclosures,
        Some(Kind::StatusArray) => Schema::StatusArray,
        _ => Schema::Any,
    }
}

/// A comment on a value: algorithm names, status names, Warsaw times.
fn value_note(
    schema: Schema,
    field: Option<&wire::Field>,
    key: &Value<'_>,
    value: &Value<'_>,
) -> Option<String> {
    let int = value.as_i64();
    let name = field.map(|f| f.name);
    let is_time = field.is_some_and(|f| f.kind == Kind::Time)
        || (schema == Schema::TrustedKey
            && key
                .as_text()
                .is_some_and(|k| wire::trusted_key::TIME_LABELS.contains(&k)));
    if is_time {
        return value.as_u64().map(|s| match time::warsaw_time(s) {
            Some(t) => format!("{t} {}", time::ZONE),
            None if s == u64::MAX => "no limit".into(),
            None => "out of the displayable range".into(),
        });
    }
    match (name, int) {
        (Some("alg"), Some(-7)) => Some("ES256".into()),
        (Some("digest_alg"), Some(-16)) => Some("SHA-256".into()),
        (Some("kty"), Some(2)) => Some("EC2".into()),
        (Some("crv"), Some(1)) => Some("P-256".into()),
        (Some("ttl"), Some(s)) => Some(format!("{s} s")),
        _ if schema == Schema::StatusArray && key.as_text() == Some("lst") => {
            value.as_bytes().map(|lst| {
                match mlegit::StatusBits::decompress(8, lst, mlegit::status_list::DEFAULT_MAX_LIST)
                {
                    Ok(bytes) => format!("ZLIB, inflates to {} bytes", bytes.as_bytes().len()),
                    Err(e) => format!("not a status array: {e}"),
                }
            })
        }
        _ => None,
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_text(out: &mut String, text: &str) {
    // Diagnostic notation's escapes for the quote, then the screen rule for the rest:
    // invisible and reordering code points as \u{...} (spec §14.12).
    out.push('"');
    for (i, part) in text.split('"').enumerate() {
        if i > 0 {
            out.push_str("\\\"");
        }
        out.push_str(&crate::display::visible(part));
    }
    out.push('"');
}

/// Writes a byte string; when `embedded` names a schema, tries to show its content as CBOR.
fn write_bytes(out: &mut String, bytes: &[u8], embedded: Option<Schema>, level: usize) {
    if let Some(schema) = embedded {
        match cbor::decode(bytes) {
            Ok(inner) => {
                let schema = if schema == Schema::Sign1 && detect(&inner) != Schema::Sign1 {
                    Schema::Any
                } else {
                    schema
                };
                out.push_str("<< ");
                write_value(out, &inner, schema, level);
                out.push_str(" >>");
                return;
            }
            Err(e) => {
                let _ = write!(out, "h'{}' / not strict CBOR: {e} /", hex::encode(bytes));
                return;
            }
        }
    }
    let _ = write!(out, "h'{}'", hex::encode(bytes));
}

fn write_value(out: &mut String, value: &Value<'_>, schema: Schema, level: usize) {
    match value {
        Value::Unsigned(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Negative(n) => {
            let _ = write!(out, "{}", -1 - i128::from(*n));
        }
        Value::Bytes(b) => write_bytes(out, b, None, level),
        Value::Text(t) => write_text(out, t),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Array(items) => write_array(out, items, schema, value, level),
        Value::Map(entries) => write_map(out, entries, schema, level),
    }
}

fn write_array(
    out: &mut String,
    items: &[Value<'_>],
    schema: Schema,
    whole: &Value<'_>,
    level: usize,
) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push_str("[\n");
    let typ = if schema == Schema::Sign1 {
        sign1_typ(whole)
    } else {
        None
    };
    for (i, item) in items.iter().enumerate() {
        indent(out, level + 1);
        match (schema, i) {
            (Schema::Sign1, 0) => {
                out.push_str("/ protected / ");
                write_embedded(out, item, Schema::Header, level + 1);
            }
            (Schema::Sign1, 1) => {
                out.push_str("/ unprotected / ");
                write_value(out, item, Schema::Any, level + 1);
            }
            (Schema::Sign1, 2) => {
                out.push_str("/ payload / ");
                write_embedded(out, item, payload_schema(typ), level + 1);
            }
            (Schema::Sign1, 3) => {
                out.push_str("/ signature / ");
                write_value(out, item, Schema::Any, level + 1);
            }
            (Schema::Disclosure, 0) if matches!(item, Value::Bytes(_)) => {
                out.push_str("/ salt / ");
                write_value(out, item, Schema::Any, level + 1);
            }
            (Schema::Disclosure, 1) => {
                out.push_str("/ claim / ");
                write_value(out, item, Schema::Any, level + 1);
            }
            (Schema::Disclosure, 2) => {
                out.push_str("/ value / ");
                write_value(out, item, Schema::Any, level + 1);
                if let Value::Bytes(b) = item {
                    let _ = write!(out, " / {} bytes /", b.len());
                }
            }
            // The disclosures array of a presentation: each element is an embedded disclosure.
            (Schema::Disclosures, _) => {
                write_embedded(out, item, Schema::Disclosure, level + 1);
            }
            (Schema::TrustList, _) => write_value(out, item, Schema::TrustedKey, level + 1),
            _ => write_value(out, item, Schema::Any, level + 1),
        }
        if i + 1 < items.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(out, level);
    out.push(']');
}

fn write_embedded(out: &mut String, item: &Value<'_>, schema: Schema, level: usize) {
    match item {
        Value::Bytes(b) => write_bytes(out, b, Some(schema), level),
        other => write_value(out, other, Schema::Any, level),
    }
}

fn write_map(out: &mut String, entries: &[(Value<'_>, Value<'_>)], schema: Schema, level: usize) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, (key, value)) in entries.iter().enumerate() {
        indent(out, level + 1);
        write_value(out, key, Schema::Any, level + 1);
        let field = field(schema, key);
        if let Some(f) = field {
            let _ = write!(out, " / {} /", f.name);
        }
        out.push_str(": ");
        match sub_schema(field) {
            Schema::Sign1 => write_embedded(out, value, Schema::Sign1, level + 1),
            sub => write_value(out, value, sub, level + 1),
        }
        if let Some(note) = value_note(schema, field, key, value) {
            let _ = write!(out, " / {note} /");
        }
        if i + 1 < entries.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(out, level);
    out.push('}');
}
