//! The vector files as read: typed structs with `deny_unknown_fields` at every level, so
//! a field the runner does not know (a typo, a new field the spec added, one a hand edit
//! left behind) fails the read instead of being dropped. test-vectors/README.md documents
//! each field; this module is that schema for the Rust runner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One vector file (`presentations.json`, `status-lists.json`, `requests.json` or
/// `responses.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// The file format's version (4).
    pub version: u64,
    /// The command that wrote the file.
    pub generator: String,
    /// The spec revision the vectors follow.
    pub spec: String,
    /// The vectors, in order.
    pub vectors: Vec<Vector>,
}

/// What a vector is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A presentation (spec §12.2).
    Presentation,
    /// A status list token and one lookup in it (spec §12.4).
    StatusList,
    /// A request as the holder checks it (spec §7.3, §7.6), and E1-E2 (spec §18.1).
    Request,
    /// An encrypted response as the verifier opens it (spec §18.3).
    Response,
}

/// One vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// A unique name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Presentation or status list.
    pub kind: Kind,
    /// Everything the objects were made from.
    pub inputs: Inputs,
    /// The objects as made (presentations only).
    #[serde(default)]
    pub outputs: Option<Outputs>,
    /// The trust list, hex (presentation and status list vectors).
    #[serde(default)]
    pub trust_list: Option<String>,
    /// The authority list, hex (request vectors).
    #[serde(default)]
    pub authority_list: Option<String>,
    /// The holder's settings (request vectors).
    #[serde(default)]
    pub holder: Option<HolderSettings>,
    /// The request, hex (request vectors).
    #[serde(default)]
    pub request: Option<String>,
    /// The presentation, hex (presentation vectors).
    #[serde(default)]
    pub presentation: Option<String>,
    /// The status list token, hex (status list vectors).
    #[serde(default)]
    pub token: Option<String>,
    /// The encrypted response, hex (response vectors).
    #[serde(default)]
    pub response: Option<String>,
    /// The verifier's settings and expectations (presentation and status list vectors).
    #[serde(default)]
    pub verifier: Option<VerifierSettings>,
    /// The declared outcome.
    pub expected: Expected,
}

/// The holder's settings of a request vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderSettings {
    /// Its clock.
    pub now: u64,
    /// Clock skew tolerated.
    pub clock_skew: u64,
    /// The key digest of the engagement URI, hex, or null: no E-steps (spec §18.1).
    #[serde(deserialize_with = "present_or_null")]
    pub engagement_key_digest: Option<Option<String>>,
}

/// The certificate a request vector's authority signs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateInput {
    /// Registered name.
    pub name: String,
    /// Registered audience.
    pub audience: String,
    /// Claims it may ask for.
    pub claims: Vec<String>,
    /// `iat`.
    pub iat: u64,
    /// `nbf`.
    pub nbf: u64,
    /// `exp`.
    pub exp: u64,
}

/// The request a request vector makes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// Nonce, hex.
    pub nonce: String,
    /// Audience.
    pub audience: String,
    /// Verifier name.
    pub verifier_name: String,
    /// Claims asked for.
    pub claims: Vec<String>,
    /// `created_at`.
    pub created_at: u64,
    /// The response key's private scalar, hex, or null: no key 8.
    #[serde(deserialize_with = "present_or_null")]
    pub response_key_scalar: Option<Option<String>>,
}

/// An issuer key of a vector (derived from its name).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerKey {
    /// The key's name ("issuer A").
    pub name: String,
    /// Its key id, hex.
    pub kid: String,
    /// The private scalar, hex.
    pub private_scalar: String,
    /// The public point's x, hex.
    pub public_x: String,
    /// The public point's y, hex.
    pub public_y: String,
}

/// A trust-list entry, by key name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustEntry {
    /// The key's name in `issuer_keys`.
    pub key: String,
    /// First `iat` the key may sign.
    pub not_before: u64,
    /// Last `iat` the key may sign.
    pub not_after: u64,
}

/// A status reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The list's URI.
    pub uri: String,
    /// The entry.
    pub idx: u64,
}

/// The status array a status list vector signs, as inflated: every entry 0 but `set`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListInput {
    /// Bits per entry.
    pub bits: u8,
    /// Entries.
    pub entries: u64,
    /// The entries that are not 0, as `[index, value]`.
    pub set: Vec<(u64, u8)>,
}

/// Inputs of a vector. Status list vectors carry the keys, the trust entries, the list and
/// the token's claims.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Every issuer key the vector uses (presentation and status list vectors).
    #[serde(default)]
    pub issuer_keys: Option<Vec<IssuerKey>>,
    /// The trust list, by key name (presentation and status list vectors).
    #[serde(default)]
    pub trust: Option<Vec<TrustEntry>>,
    /// Every authority key (request vectors).
    #[serde(default)]
    pub authority_keys: Option<Vec<IssuerKey>>,
    /// The signing authority key's name (request vectors).
    #[serde(default)]
    pub authority: Option<String>,
    /// The authority list, by key name (request vectors).
    #[serde(default)]
    pub authority_trust: Option<Vec<TrustEntry>>,
    /// The verifier key certified, hex (request vectors).
    #[serde(default)]
    pub verifier_private_scalar: Option<String>,
    /// The certificate (request vectors).
    #[serde(default)]
    pub certificate: Option<CertificateInput>,
    /// The request (request vectors).
    #[serde(default)]
    pub request: Option<RequestInput>,
    /// The issuing key's name.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The device key bound into the credential, hex.
    #[serde(default)]
    pub device_private_scalar: Option<String>,
    /// The key that signed the presentation, hex (another than the device key in some
    /// negative vectors).
    #[serde(default)]
    pub presenting_private_scalar: Option<String>,
    /// The salt secret (spec §6.3), hex.
    #[serde(default)]
    pub salt_secret: Option<String>,
    /// The credential id, hex.
    #[serde(default)]
    pub credential_id: Option<String>,
    /// The claims issued, by name (values as test-vectors/README.md writes them).
    #[serde(default)]
    pub claims: Option<BTreeMap<String, Json>>,
    /// `iat`.
    #[serde(default)]
    pub iat: Option<u64>,
    /// `nbf`.
    #[serde(default)]
    pub nbf: Option<u64>,
    /// `exp`.
    #[serde(default)]
    pub exp: Option<u64>,
    /// The status reference.
    #[serde(default)]
    pub status: Option<Status>,
    /// `presented_at`.
    #[serde(default)]
    pub presented_at: Option<u64>,
    /// The nonce answered, hex, or null.
    #[serde(default)]
    pub nonce: Option<String>,
    /// The audience answered, or null.
    #[serde(default)]
    pub audience: Option<String>,
    /// The digest of the signed request answered, hex, or null.
    #[serde(default, deserialize_with = "present_or_null")]
    pub request_digest: Option<Option<String>>,
    /// The claims disclosed, in order.
    #[serde(default)]
    pub disclosed: Option<Vec<String>>,
    /// The status array (status list vectors).
    #[serde(default)]
    pub list: Option<ListInput>,
    /// The token's `sub` (status list vectors).
    #[serde(default)]
    pub sub: Option<String>,
    /// The token's `ttl` (status list vectors).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// The response key sealed to, hex (response vectors).
    #[serde(default)]
    pub response_key_scalar: Option<String>,
    /// The HPKE ephemeral key's IKM, hex (response vectors).
    #[serde(default)]
    pub sender_ikm: Option<String>,
    /// The relay origin sealed for (response vectors).
    #[serde(default)]
    pub relay_origin: Option<String>,
    /// The session id sealed for, hex (response vectors).
    #[serde(default)]
    pub session_id: Option<String>,
    /// The sealed plaintext, hex (response vectors).
    #[serde(default)]
    pub plaintext: Option<String>,
}

/// One disclosure as made.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureOut {
    /// Its claim name.
    pub claim: String,
    /// Its bytes, hex.
    pub bytes: String,
    /// Its digest, hex.
    pub digest: String,
}

/// The objects a presentation vector was made of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// The credential, hex.
    pub credential: String,
    /// Every disclosure.
    pub disclosures: Vec<DisclosureOut>,
    /// The digest set, hex each.
    pub digests: Vec<String>,
}

/// The verifier's settings and what it expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierSettings {
    /// Its current time (presentation and status list vectors).
    #[serde(default)]
    pub now: Option<u64>,
    /// Clock skew tolerated (presentation and status list vectors).
    #[serde(default)]
    pub clock_skew: Option<u64>,
    /// Max input size (presentation and response vectors).
    #[serde(default)]
    pub max_input_size: Option<u64>,
    /// Accepted COSE algorithm ids (presentation and status list vectors).
    #[serde(default)]
    pub accepted_algs: Option<Vec<i64>>,
    /// Max presentation age (presentation vectors).
    #[serde(default)]
    pub max_age: Option<u64>,
    /// The nonce expected, hex, or null.
    #[serde(default)]
    pub expected_nonce: Option<String>,
    /// The audience expected, or null (presentation vectors).
    #[serde(default)]
    pub expected_audience: Option<String>,
    /// The signed request's digest expected, hex, or null (presentation vectors).
    #[serde(default)]
    pub expected_request_digest: Option<String>,
    /// The token size cap (status list vectors).
    #[serde(default)]
    pub max_token_size: Option<u64>,
    /// The inflated size cap (status list vectors).
    #[serde(default)]
    pub max_list_size: Option<u64>,
    /// The credential's status uri (status list vectors).
    #[serde(default)]
    pub expected_uri: Option<String>,
    /// The credential's idx (status list vectors).
    #[serde(default)]
    pub index: Option<u64>,
    /// The response key opened with, hex (response vectors).
    #[serde(default)]
    pub response_key_scalar: Option<String>,
    /// The relay origin opened for (response vectors).
    #[serde(default)]
    pub relay_origin: Option<String>,
    /// The session id opened for, hex (response vectors).
    #[serde(default)]
    pub session_id: Option<String>,
    /// The request digest opened for, hex (response vectors).
    #[serde(default)]
    pub request_digest: Option<String>,
}

/// The declared outcome: `result` is "valid" (with the verified fields) or "invalid"
/// (with `error`, the spec's code).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// "valid" or "invalid".
    pub result: String,
    /// The error code of an invalid vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Disclosed claims (valid presentations: a map) or the claims asked (valid
    /// requests: a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Json>,
    /// The verifier name shown (valid requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_name: Option<String>,
    /// The claims the certificate allows, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_claims: Option<Json>,
    /// The authority key id, hex, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub authority_kid: Option<Json>,
    /// The verifier key's x, hex, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub verifier_key_x: Option<Json>,
    /// The verifier key's y, hex, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub verifier_key_y: Option<Json>,
    /// `created_at` (valid requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
    /// `presented_at` (valid presentations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presented_at: Option<u64>,
    /// `nbf` (valid presentations; the certificate's, or null, for valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_before: Option<Json>,
    /// `exp` (valid presentations; the certificate's, or null, for valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<Json>,
    /// The credential id, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// The status reference (presentations) or the entry's status in words (status lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Json>,
    /// The issuer key id, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_kid: Option<String>,
    /// The nonce answered or echoed, hex, or null.
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub nonce: Option<Option<String>>,
    /// The audience, or null (valid presentations).
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Option<String>>,
    /// The signed request's digest, hex, or null (valid presentations).
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub request_digest: Option<Option<String>>,
    /// The entry's value (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u8>,
    /// The token's `sub` (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The token's `iat` (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The token's `exp` (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// The token's `ttl` (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Bits per entry (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u8>,
    /// Entries in the list (valid status list vectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// The response key's x, hex, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_key_x: Option<Json>,
    /// The response key's y, hex, or null (valid requests).
    #[serde(
        default,
        deserialize_with = "present_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_key_y: Option<Json>,
    /// The opened plaintext, hex (valid responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
}

/// A JSON field that may be absent (`None`) or present, null included (`Some(Json::Null)`).
fn present_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

/// A field that may be absent (outer `None`), null (`Some(None)`) or a value.
fn present_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Reads a vector file, refusing any field the schema does not know.
pub fn parse(text: &str) -> Result<VectorFile, serde_json::Error> {
    serde_json::from_str(text)
}
