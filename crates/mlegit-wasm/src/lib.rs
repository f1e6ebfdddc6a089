//! # mlegit-wasm: the mlegit verifier in a browser or in Node
//!
//! The no_std core (`crates/mlegit`) compiled to `wasm32-unknown-unknown`, with
//! wasm-bindgen glue: verification happens on the verifier's own device, as in
//! mWeryfikator, never on a server. The functions take bytes and one settings
//! object and return a plain JS object, `{ok: true, ...}` or `{ok: false, error:
//! "<code of spec §13>"}`; nothing throws on any input:
//!
//! - [`verify`]: a presentation against a trust list (spec §12.2, P1–P14);
//! - [`check_status_list`]: a status list token and one entry (spec §12.4, L1–L12);
//! - [`check_request`]: a request as a holder checks it (spec §7.3, §7.6, and §18.1's
//!   E1–E2 given a key digest);
//! - [`response_enc`] then [`sealed_with_shared_secret`]: the HPKE open of an online
//!   answer (spec §18.3, O1–O3) whose response key is a non-extractable WebCrypto key,
//!   WebCrypto doing the Diffie-Hellman and the AES-128-GCM (the module holds no private
//!   key and links no KEM or AEAD);
//! - [`make_request`] and [`qr_matrix`]: the online request and its engagement's QR code.
//!
//! The first three leave each signature's P-256 arithmetic to the host, in rounds
//! ([`deferred`]): their last argument is the answers of the rounds before, and a round
//! that needs more returns `{pending: [...]}`. `js/mlegit.js` drives the rounds and the
//! AES-GCM with WebCrypto and is the API a page uses (see the README).
//!
//! Times are seconds since the epoch as JS numbers (integers up to 2^53); bytes are
//! `Uint8Array`s. Build: see the README (the shipped module is built on nightly with
//! `-Zbuild-std`; stable builds it too, larger).
//!
//! On `wasm32` the crate is `no_std`: its panic handler traps without reading the panic's
//! message, so the formatting machinery of `std`'s handler is not linked, and its
//! allocator is talc's rather than `std`'s dlmalloc. No input reaches a panic: every
//! function answers a bad one with an error object.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod deferred;
mod qr;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use deferred::Deferred;
use js_sys::{Array, Object, Reflect, Uint8Array};
use mlegit::online::SessionBinding;
use mlegit::{
    Algorithm, ClaimValue, Error, RequestChecker, StatusListContext, StatusReference, TrustList,
    Verifier, VerifyContext,
};
use wasm_bindgen::prelude::*;

/// A trap, the message unread: the module is `no_std`, so `std`'s panic handler, with the
/// formatting it links, is not in it. A panic is a bug (nothing from outside reaches one);
/// the host sees a `RuntimeError: unreachable`.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// talc on the module's linear memory, grown as needed: smaller and faster than
/// dlmalloc, `std`'s allocator on this target (the module is single-threaded).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The largest time a JS number carries exactly (2^53).
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// Whether `n`, within ±2^53, is a whole number (`f64::fract` is `std`'s, not `core`'s).
fn whole(n: f64) -> bool {
    n == (n as i64) as f64
}

/// A settings object's members, read without throwing.
struct Settings<'a>(&'a JsValue);

impl Settings<'_> {
    fn get(&self, name: &str) -> Option<JsValue> {
        if !self.0.is_object() {
            return None;
        }
        Reflect::get(self.0, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// A whole number in `[0, 2^53]`, or `None` if absent; `Err` if present and not one.
    fn uint(&self, name: &str) -> Result<Option<u64>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if (0.0..=MAX_SAFE).contains(&n) && whole(n) => Ok(Some(n as u64)),
                _ => Err(Error::InvalidField),
            },
        }
    }

    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.is_instance_of::<Uint8Array>() => Ok(Some(Uint8Array::from(v).to_vec())),
            Some(_) => Err(Error::InvalidField),
        }
    }

    fn text(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or(Error::InvalidField),
        }
    }

    fn now(&self) -> Result<u64, Error> {
        self.uint("now")?.ok_or(Error::MissingField)
    }

    /// The verifier the settings describe: `clockSkew`, `maxAge`, `maxInputSize`,
    /// `acceptedAlgs` (COSE ids), `maxTokenSize`, `maxListSize`; defaults as the core's.
    fn verifier<'b>(
        &self,
        trust: &[u8],
        backend: &'b Deferred,
    ) -> Result<Verifier<&'b Deferred>, Error> {
        let size = |n: u64| usize::try_from(n).map_err(|_| Error::InvalidField);
        let mut v = Verifier::with_backend(TrustList::from_slice(trust)?, backend);
        if let Some(s) = self.uint("clockSkew")? {
            v = v.clock_skew(s);
        }
        if let Some(a) = self.uint("maxAge")? {
            v = v.max_presentation_age(a);
        }
        if let Some(n) = self.uint("maxInputSize")? {
            v = v.max_input_size(size(n)?);
        }
        if let Some(n) = self.uint("maxTokenSize")? {
            v = v.max_status_list_token_size(size(n)?);
        }
        if let Some(n) = self.uint("maxListSize")? {
            v = v.max_status_list_size(size(n)?);
        }
        if let Some(list) = self.get("acceptedAlgs") {
            if !Array::is_array(&list) {
                return Err(Error::InvalidField);
            }
            let algs: Vec<Algorithm> = Array::from(&list)
                .iter()
                .filter_map(|a| a.as_f64())
                .filter(|&a| a > -MAX_SAFE && a < MAX_SAFE && whole(a))
                .filter_map(|a| Algorithm::from_cose_id(a as i64))
                .collect();
            v = v.accepted_algorithms(&algs);
        }
        Ok(v)
    }
}

/// A result object under construction.
struct Out(Object);

impl Out {
    fn ok() -> Self {
        let o = Self(Object::new());
        o.set("ok", JsValue::TRUE);
        o
    }

    fn set(&self, name: &str, value: JsValue) {
        // Setting a member of a plain object made here cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(name), &value);
    }

    fn time(&self, name: &str, t: u64) {
        self.set(name, JsValue::from_f64(t as f64));
    }

    fn bytes(&self, name: &str, b: &[u8]) {
        self.set(name, Uint8Array::from(b).into());
    }

    fn opt_bytes(&self, name: &str, b: Option<&[u8]>) {
        match b {
            Some(b) => self.bytes(name, b),
            None => self.set(name, JsValue::NULL),
        }
    }

    fn done(self) -> JsValue {
        self.0.into()
    }
}

fn failure(e: Error) -> JsValue {
    let o = Out(Object::new());
    o.set("ok", JsValue::FALSE);
    o.set("error", JsValue::from_str(e.code()));
    o.done()
}

fn answer(r: Result<Out, Error>) -> JsValue {
    match r {
        Ok(o) => o.done(),
        Err(e) => failure(e),
    }
}

/// One round of a check (module [`deferred`]): `check` run with a backend that knows
/// `answers` (malformed answers are `invalid_field`), then [`settle`]d.
fn round(answers: &[u8], check: impl FnOnce(&Deferred) -> Result<Out, Error>) -> JsValue {
    match Deferred::new(answers) {
        Some(backend) => {
            let result = check(&backend);
            settle(backend, result)
        }
        None => failure(Error::InvalidField),
    }
}

/// A round's answer: its result if it asked no signature, else `{pending: [{id, key,
/// message, signature}, ...]}`, the signatures for the host to verify before the next.
fn settle(backend: Deferred, result: Result<Out, Error>) -> JsValue {
    let queries = backend.into_queries();
    if queries.is_empty() {
        return answer(result);
    }
    let pending = Array::new();
    for q in &queries {
        let o = Out(Object::new());
        o.bytes("id", &q.id);
        o.bytes("key", &q.key);
        o.bytes("message", &q.message);
        o.bytes("signature", &q.signature);
        pending.push(&o.done());
    }
    let out = Out(Object::new());
    out.set("pending", pending.into());
    out.done()
}

fn claim(value: &ClaimValue) -> JsValue {
    match value {
        ClaimValue::Text(t) => JsValue::from_str(t),
        ClaimValue::Date(d) => JsValue::from_str(&date_text(*d)),
        ClaimValue::Bytes(b) => Uint8Array::from(&b[..]).into(),
        ClaimValue::Bool(b) => JsValue::from_bool(*b),
        _ => JsValue::UNDEFINED,
    }
}

/// `YYYY-MM-DD` (the core's dates have years of four digits), written without
/// `core::fmt`, which the module then does not link.
fn date_text(d: mlegit::Date) -> String {
    let mut s = String::with_capacity(10);
    for (n, width) in [
        (d.year(), 4),
        (u16::from(d.month()), 2),
        (u16::from(d.day()), 2),
    ] {
        if !s.is_empty() {
            s.push('-');
        }
        for place in [1000, 100, 10, 1].into_iter().skip(4 - width) {
            s.push(char::from(b'0' + (n / place % 10) as u8));
        }
    }
    s
}

/// Verifies a presentation (spec §12.2), one round (module [`deferred`]): `answers` the
/// answer records of the rounds before. `settings`: `now` (required), `nonce` and
/// `audience` of the request sent (both or neither), `requestDigest` (the SHA-256 of a
/// signed request sent), and the verifier options of the crate docs. On success:
/// `claims` (an object in disclosure order: text, `YYYY-MM-DD` dates, `Uint8Array`
/// portrait, booleans), `presentedAt`, `notBefore`, `expires`, `credentialId`,
/// `issuerKid`, `status: {uri, idx}`, `nonce`, `audience`, `requestDigest`.
#[wasm_bindgen]
pub fn verify(
    presentation: &[u8],
    trust_list: &[u8],
    settings: &JsValue,
    answers: &[u8],
) -> JsValue {
    round(answers, |backend| {
        let s = Settings(settings);
        let verifier = s.verifier(trust_list, backend)?;
        let nonce = s.bytes("nonce")?;
        let audience = s.text("audience")?;
        let digest = s.bytes("requestDigest")?;
        let ctx = VerifyContext::new(s.now()?, nonce.as_deref(), audience.as_deref())
            .with_request_digest(digest.as_deref());
        let p = verifier.verify(presentation, &ctx)?;
        let out = Out::ok();
        let claims = Object::new();
        let order = Array::new();
        for (name, value) in p.claims() {
            let _ = Reflect::set(&claims, &JsValue::from_str(name.as_str()), &claim(value));
            order.push(&JsValue::from_str(name.as_str()));
        }
        out.set("claims", claims.into());
        out.set("claimOrder", order.into());
        out.time("presentedAt", p.presented_at());
        out.time("notBefore", p.not_before());
        out.time("expires", p.expires());
        out.bytes("credentialId", p.credential_id());
        out.bytes("issuerKid", p.issuer_kid());
        let status = Out(Object::new());
        status.set("uri", JsValue::from_str(&p.status().uri));
        status.time("idx", p.status().index);
        out.set("status", status.done());
        out.opt_bytes("nonce", p.nonce());
        out.set(
            "audience",
            p.audience().map_or(JsValue::NULL, JsValue::from_str),
        );
        out.opt_bytes("requestDigest", p.request_digest());
        Ok(out)
    })
}

/// Checks a status list token and looks one entry up (spec §12.4, L1–L12), one round
/// (module [`deferred`]).
/// `settings`: `now`, `uri` (the credential's status uri), `index`, and the verifier
/// options. On success: `status` (`valid`, `invalid`, `suspended` or `unknown`), `value`,
/// `sub`, `iat`, `exp`, `ttl`, `bits`, `entries`, `issuerKid`. Only `valid` is valid.
#[wasm_bindgen(js_name = checkStatusList)]
pub fn check_status_list(
    token: &[u8],
    trust_list: &[u8],
    settings: &JsValue,
    answers: &[u8],
) -> JsValue {
    round(answers, |backend| {
        let s = Settings(settings);
        let verifier = s.verifier(trust_list, backend)?;
        let now = s.now()?;
        let uri = s.text("uri")?.ok_or(Error::MissingField)?;
        let index = s.uint("index")?.ok_or(Error::MissingField)?;
        let list = verifier.verify_status_list(token, &StatusListContext::new(now, &uri))?;
        let status = verifier.check_status(&list, &StatusReference { uri, index }, now)?;
        let out = Out::ok();
        out.set("status", JsValue::from_str(status.as_str()));
        out.set("value", JsValue::from_f64(f64::from(status.value())));
        out.set("sub", JsValue::from_str(list.uri()));
        out.time("iat", list.issued_at());
        out.time("exp", list.expires());
        out.time("ttl", list.ttl());
        out.set("bits", JsValue::from_f64(f64::from(list.entries().bits())));
        out.time("entries", list.entries().len() as u64);
        out.bytes("issuerKid", list.issuer_kid());
        Ok(out)
    })
}

/// Checks a request as a holder does (spec §7.3, §7.6), one round (module [`deferred`]):
/// `settings`: `now`, `clockSkew`,
/// and `engagementKeyDigest` (16 bytes) for a request fetched through a QR engagement,
/// which adds E1–E2 (spec §18.1). On success: `verifierName`, `audience`, `claims`,
/// `nonce`, `createdAt`, `requestDigest` (signed only), `verified` (the certificate's
/// `name`, `audience`, `allowedClaims`, `authorityKid`, `notBefore`, `expires`, or null).
#[wasm_bindgen(js_name = checkRequest)]
pub fn check_request(
    request: &[u8],
    authority_list: &[u8],
    settings: &JsValue,
    answers: &[u8],
) -> JsValue {
    round(answers, |backend| {
        let s = Settings(settings);
        let mut checker =
            RequestChecker::with_backend(TrustList::from_slice(authority_list)?, backend);
        if let Some(skew) = s.uint("clockSkew")? {
            checker = checker.clock_skew(skew);
        }
        let checked = checker.check(request, s.now()?)?;
        if let Some(digest) = s.bytes("engagementKeyDigest")? {
            let digest: [u8; 16] = digest.try_into().map_err(|_| Error::InvalidField)?;
            mlegit::online::check_key(&checked, Some(&digest))?;
        }
        let r = checked.request();
        let names = |c: &[mlegit::ClaimName]| {
            let a = Array::new();
            for n in c {
                a.push(&JsValue::from_str(n.as_str()));
            }
            JsValue::from(a)
        };
        let out = Out::ok();
        out.set("verifierName", JsValue::from_str(&r.verifier_name));
        out.set("audience", JsValue::from_str(&r.audience));
        out.set("claims", names(&r.claims));
        out.bytes("nonce", &r.nonce);
        out.time("createdAt", r.created_at);
        out.opt_bytes("requestDigest", checked.digest().map(|d| &d[..]));
        match &r.response_key {
            Some(k) => {
                let key = Out(Object::new());
                key.bytes("x", k.x());
                key.bytes("y", k.y());
                out.set("responseKey", key.done());
            }
            None => out.set("responseKey", JsValue::NULL),
        }
        match checked.verifier() {
            Some(c) => {
                let v = Out(Object::new());
                v.set("name", JsValue::from_str(c.name()));
                v.set("audience", JsValue::from_str(c.audience()));
                v.set("allowedClaims", names(c.claims()));
                v.bytes("authorityKid", c.authority_kid());
                v.bytes("verifierKeyX", c.verifier_key().x());
                v.bytes("verifierKeyY", c.verifier_key().y());
                v.time("notBefore", c.not_before());
                v.time("expires", c.expires());
                out.set("verified", v.done());
            }
            None => out.set("verified", JsValue::NULL),
        }
        Ok(out)
    })
}

/// O1 and O2 of an online answer (spec §18.3): on success `enc`, the sender's ephemeral
/// public key (65 bytes, SEC1 uncompressed), for a page whose response key is a
/// non-extractable WebCrypto key to import and run ECDH `deriveBits` with, before
/// [`sealed_with_shared_secret`].
#[wasm_bindgen(js_name = responseEnc)]
pub fn response_enc(response: &[u8]) -> JsValue {
    answer(mlegit::online::response_enc(response).map(|enc| {
        let out = Out::ok();
        out.bytes("enc", &enc);
        out
    }))
}

/// O1–O3 of an online answer (spec §18.3) up to the AEAD, with the Diffie-Hellman done
/// by WebCrypto: `shared_secret` is `deriveBits({name: "ECDH", public: enc}, responseKey,
/// 256)`. `settings`: `relayOrigin`, `sessionId` (16 bytes), `requestDigest` (32 bytes),
/// and the response key's public point `responseKeyX`, `responseKeyY` (32 bytes each). On
/// success the AES-128-GCM inputs of the key schedule (`mlegit::online::Sealed`): `key`
/// (16 bytes), `nonce` (12), `aad`, `ciphertext`, which `js/mlegit.js`'s
/// `openWithSharedSecret` opens with WebCrypto's AES-GCM.
#[wasm_bindgen(js_name = sealedWithSharedSecret)]
pub fn sealed_with_shared_secret(
    response: &[u8],
    shared_secret: &[u8],
    settings: &JsValue,
) -> JsValue {
    answer((|| {
        let s = Settings(settings);
        let (origin, sid, digest) = binding_parts(&s)?;
        let fixed = |name: &str| -> Result<Vec<u8>, Error> {
            let b = s.bytes(name)?.ok_or(Error::MissingField)?;
            if b.len() == 32 {
                Ok(b)
            } else {
                Err(Error::InvalidField)
            }
        };
        let mut point = vec![0x04];
        point.extend(fixed("responseKeyX")?);
        point.extend(fixed("responseKeyY")?);
        let recipient = mlegit::PublicKey::from_uncompressed(&point).ok_or(Error::InvalidField)?;
        let dh: [u8; 32] = shared_secret.try_into().map_err(|_| Error::InvalidField)?;
        let binding = SessionBinding {
            relay_origin: &origin,
            session_id: &sid,
            request_digest: &digest,
        };
        let sealed =
            mlegit::online::sealed_with_shared_secret(response, &recipient, &dh, &binding)?;
        let out = Out::ok();
        out.bytes("key", &sealed.key);
        out.bytes("nonce", &sealed.nonce);
        out.bytes("aad", &sealed.aad);
        out.bytes("ciphertext", sealed.ciphertext);
        Ok(out)
    })())
}

/// `relayOrigin`, `sessionId` and `requestDigest` of a settings object.
fn binding_parts(s: &Settings<'_>) -> Result<(String, [u8; 16], [u8; 32]), Error> {
    let origin = s.text("relayOrigin")?.ok_or(Error::MissingField)?;
    let sid: [u8; 16] = s
        .bytes("sessionId")?
        .ok_or(Error::MissingField)?
        .try_into()
        .map_err(|_| Error::InvalidField)?;
    let digest: [u8; 32] = s
        .bytes("requestDigest")?
        .ok_or(Error::MissingField)?
        .try_into()
        .map_err(|_| Error::InvalidField)?;
    Ok((origin, sid, digest))
}

/// An unsigned online request (spec §7.1 with key 8, §18.1), as the verifier page makes
/// it: `settings`: `nonce` (16 to 32 bytes), `audience`, `verifierName`, `claims` (an array
/// of registry names), `createdAt`, `responseKeyX`, `responseKeyY` (the WebCrypto key's
/// point). It is checked with the holder's rules (R1–R5) before it is given: on success
/// `request`, the bytes to post to the relay.
#[wasm_bindgen(js_name = makeRequest)]
pub fn make_request(settings: &JsValue) -> JsValue {
    answer((|| {
        let s = Settings(settings);
        let list = s.get("claims").ok_or(Error::MissingField)?;
        if !Array::is_array(&list) {
            return Err(Error::InvalidField);
        }
        let claims = Array::from(&list)
            .iter()
            .map(|c| {
                c.as_string()
                    .and_then(|n| mlegit::ClaimName::from_name(&n))
                    .ok_or(Error::UnknownClaim)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut point = vec![0x04];
        for name in ["responseKeyX", "responseKeyY"] {
            let b = s.bytes(name)?.ok_or(Error::MissingField)?;
            if b.len() != 32 {
                return Err(Error::InvalidField);
            }
            point.extend(b);
        }
        let request = mlegit::PresentationRequest {
            nonce: s.bytes("nonce")?.ok_or(Error::MissingField)?,
            audience: s.text("audience")?.ok_or(Error::MissingField)?,
            verifier_name: s.text("verifierName")?.ok_or(Error::MissingField)?,
            claims,
            created_at: s.uint("createdAt")?.ok_or(Error::MissingField)?,
            response_key: Some(
                mlegit::PublicKey::from_uncompressed(&point).ok_or(Error::InvalidField)?,
            ),
        };
        let bytes = request.to_vec();
        mlegit::PresentationRequest::from_slice(&bytes)?;
        let out = Out::ok();
        out.bytes("request", &bytes);
        Ok(out)
    })())
}

/// The QR code of `text` (the engagement URI, spec §18.1) as a module matrix for the page
/// to draw: `{ok, width, modules}`, `modules` one byte per module, row by row, 1 dark and
/// 0 light, without the quiet zone. Byte mode, error correction level M, the smallest of
/// versions 1 to 20 that holds the text (up to 666 bytes; longer is `input_too_large`).
#[wasm_bindgen(js_name = qrMatrix)]
pub fn qr_matrix(text: &str) -> JsValue {
    match qr::encode(text.as_bytes()) {
        Some(code) => {
            let out = Out::ok();
            out.time("width", code.width as u64);
            out.bytes("modules", &code.modules);
            out.done()
        }
        None => failure(Error::InputTooLarge),
    }
}

/// The error codes of spec §13, in registry order (for a page's translations).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Array {
    let a = Array::new();
    for e in Error::ALL {
        a.push(&JsValue::from_str(e.code()));
    }
    a
}

#[cfg(test)]
mod tests {
    use super::date_text;
    use alloc::string::ToString as _;
    use mlegit::Date;

    #[test]
    fn dates_are_written_as_the_core_displays_them() {
        for (y, m, d) in [(1800, 1, 1), (2008, 2, 29), (2026, 12, 2), (2299, 12, 31)] {
            let date = Date::new(y, m, d).unwrap();
            assert_eq!(date_text(date), date.to_string());
        }
        assert_eq!(date_text(Date::new(2001, 9, 4).unwrap()), "2001-09-04");
    }
}
