//! The synchronous request handlers (the ohttp split: plain functions, a thin async wrapper
//! in `http.rs`). Each handler runs in one transaction of the store (SQLite or
//! PostgreSQL, `store`), through [`App::transaction`].
//!
//! One module a resource: `students` (registration and photos), `activation` (codes,
//! batches, challenges), `issuance` (an activation checked and its credential issued),
//! `status` (status lists, trust and authority lists, revocation), `retention` (the
//! 30-day sweep); the request and response types in `types`. This module holds the
//! `App`, its routing and its one transaction helper.

mod activation;
mod issuance;
mod retention;
mod status;
mod students;
mod types;

pub(crate) use self::activation::*;
pub(crate) use self::retention::*;
pub(crate) use self::status::*;
pub(crate) use self::students::*;
pub use self::types::*;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use mlegit::cbor::Encoder;
use mlegit::{
    ClaimName, ClaimsError, Date, Issuer, P256Backend, PublicKey, RevocationReason,
    StatusReference, StudentClaims, TrustList, TrustedKey,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::keys::{ArcSigner, KeyStore};
use crate::lists;
use crate::page::{self, Card, Lang};
use crate::photo;
use crate::random::Random;
use crate::routes::RouteId;
use crate::store::{
    self, ActivationState, PhotoState, Store, StoreError, Tx, args, to_i64, to_u64,
};

/// Seconds in a day.
pub const DAY: u64 = 86_400;
/// Personal data waiting for activation is deleted this long after registration.
pub const RETENTION: u64 = 30 * DAY;
/// Validity of a student's first activation.
pub const FIRST_ACTIVATION_VALIDITY: u64 = 30 * DAY;
/// Validity of a later activation (a new phone).
pub const LATER_ACTIVATION_VALIDITY: u64 = 7 * DAY;
/// Wrong codes before an activation locks.
pub const MAX_CODE_FAILURES: u32 = 5;
/// Times a transaction is run when it keeps losing races with others ([`App::transaction`]).
pub const TRANSACTION_ATTEMPTS: u32 = 5;
/// Digits of an activation code (10^12 possibilities).
pub const CODE_DIGITS: usize = 12;
/// Validity of an activation challenge.
pub const CHALLENGE_VALIDITY: u64 = 300;
/// Longest credential validity (capped further by the paper ID's expiry date).
pub const MAX_CREDENTIAL_VALIDITY: u64 = 365 * DAY;
/// The media type of a status list token (spec §3.4).
pub const STATUS_LIST_TYPE: &str = "application/statuslist+cwt";
/// Most students in one batch.
pub const MAX_BATCH: usize = 200;

type HmacSha256 = Hmac<Sha256>;

/// The server state shared by every request.
pub struct App {
    store: Arc<dyn Store>,
    random: Arc<dyn Random>,
    secret: zeroize::Zeroizing<[u8; 32]>,
    clock: Arc<dyn Clock>,
    keys: Arc<dyn KeyStore>,
    public_url: OnceLock<String>,
    issuer: Mutex<Option<Arc<Issuer<ArcSigner>>>>,
    relay: crate::relay::Relay,
    /// The most credentials one activation issues (spec §19.1).
    max_credentials: usize,
}

impl core::fmt::Debug for App {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// Opens the data directory.
    pub fn open(
        data_dir: &Path,
        database: &store::Database,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        keys: Arc<dyn KeyStore>,
    ) -> Result<Self, crate::ServerError> {
        let store = store::open_initialised(database)?.ok_or(crate::ServerError::NotInitialised)?;
        let secret = zeroize::Zeroizing::new(crate::keys::read_secret(data_dir)?);
        Ok(Self {
            store,
            secret,
            relay: crate::relay::Relay::new(Arc::clone(&clock), Arc::clone(&random)),
            random,
            clock,
            keys,
            public_url: OnceLock::new(),
            issuer: Mutex::new(None),
            max_credentials: mlegit::activation::DEFAULT_BATCH,
        })
    }

    /// The same, issuing at most `n` credentials per activation (the batch a phone asks
    /// for, spec §19.1), 1 to `mlegit::activation::MAX_BATCH`; 32 unless set.
    pub fn with_max_credentials(mut self, n: usize) -> Self {
        self.max_credentials = n.clamp(1, mlegit::activation::MAX_BATCH);
        self
    }

    /// The relay of the online presentation (spec §18.7).
    pub fn relay(&self) -> &crate::relay::Relay {
        &self.relay
    }

    /// Sets the public base URL (once, after the listener is bound).
    pub fn set_public_url(&self, url: String) {
        let _ = self.public_url.set(url.trim_end_matches('/').to_owned());
    }

    fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map_or("http://localhost", String::as_str)
    }

    /// Runs `body` in one transaction and commits it. `body` returns its value and whether
    /// it deleted or replaced personal data (then [`Store::erase_deleted`] runs after the
    /// commit). An error from `body` rolls the transaction back, except what `body`
    /// returns inside `Ok` (a wrong activation code is counted, committed, then refused).
    ///
    /// A transaction that lost a race with another (PostgreSQL: a deadlock, a
    /// serialization failure, a unique key another replica took first; SQLite: busy past
    /// its timeout) is run again from the start, up to [`TRANSACTION_ATTEMPTS`] times in
    /// all; `body` must therefore do nothing outside the transaction that it cannot do twice.
    pub(crate) fn transaction<T>(
        &self,
        mut body: impl FnMut(&dyn Tx) -> Result<(T, bool), ApiError>,
    ) -> Result<T, ApiError> {
        let mut attempt = 1;
        loop {
            let result = self.store.begin().map_err(ApiError::from).and_then(|tx| {
                let out = body(&*tx)?;
                tx.commit()?;
                Ok(out)
            });
            match result {
                Ok((value, deleted)) => {
                    if deleted {
                        self.store.erase_deleted();
                    }
                    return Ok(value);
                }
                Err(ApiError::Internal(crate::error::RETRY)) if attempt < TRANSACTION_ATTEMPTS => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Routes a matched request to its handler.
    pub fn handle(&self, route: RouteId, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        match route {
            RouteId::Healthz => Ok(ApiResponse::bytes(
                200,
                "application/json",
                br#"{"status":"ok"}"#.to_vec(),
            )),
            RouteId::OpenApi => Ok(ApiResponse::bytes(
                200,
                "application/json",
                crate::openapi::DOCUMENT.as_bytes().to_vec(),
            )),
            RouteId::TrustList => self.trust_list(),
            RouteId::AuthorityList => {
                let list = self.transaction(|tx| {
                    // A data directory from before spec v3 gets its authority key now: the
                    // list is never empty (a holder refuses an empty one, spec §10.2 T2).
                    crate::admin::ensure_authority_key(tx, self.clock.now(), self.keys.as_ref())
                        .map_err(|_| ApiError::Internal("authority key"))?;
                    Ok((authority_list(tx)?, false))
                })?;
                Ok(ApiResponse::bytes(200, "application/cbor", list.to_vec()))
            }
            RouteId::StatusList => self.status_list(req),
            RouteId::RegisterStudent => self.register(req, None),
            RouteId::ResubmitStudent => self.register(req, Some(param(req, 0)?)),
            RouteId::ShowStudent => self.show_student(req),
            RouteId::AcceptPhoto => self.decide_photo(req, true),
            RouteId::RejectPhoto => self.decide_photo(req, false),
            RouteId::UploadPhoto => self.upload_photo(req),
            RouteId::CreateActivation => self.create_activation(req),
            RouteId::CreateBatch => self.create_batch(req),
            RouteId::ActivationQr => self.activation_qr(req),
            RouteId::Challenge => self.challenge(req),
            RouteId::Activate => self.activate(req),
            RouteId::Revoke => self.revoke(req),
            // The HTTP layer sends these to `relay::handle`, without the blocking pool.
            RouteId::CreateSession
            | RouteId::FetchSession
            | RouteId::EndSession
            | RouteId::LookupCode
            | RouteId::PostResponse
            | RouteId::ReceiveResponse => Err(ApiError::Internal("relay route")),
        }
    }

    // --- authentication ---------------------------------------------------------------

    /// The school whose bearer token this is: the HTTP layer's check before it reads a
    /// school route's body. The handler checks again inside its transaction, so a token
    /// revoked in between is refused too.
    pub fn authenticate(&self, token: &str) -> Result<i64, ApiError> {
        self.transaction(|tx| Ok((school_of_token(tx, token)?, false)))
    }

    /// The school whose token this is.
    fn school(&self, conn: &dyn Tx, req: &ApiRequest) -> Result<i64, ApiError> {
        let token = req.bearer.as_deref().ok_or(ApiError::Unauthorized)?;
        school_of_token(conn, token)
    }

    // --- issuer keys ------------------------------------------------------------------

    fn issuer(&self, conn: &dyn Tx) -> Result<Arc<Issuer<ArcSigner>>, ApiError> {
        let kid = store::active_kid(conn)?.ok_or(ApiError::Internal("no active key"))?;
        let mut cached = self
            .issuer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(issuer) = cached.as_ref().filter(|i| i.key_id() == kid) {
            return Ok(Arc::clone(issuer));
        }
        let signer = self
            .keys
            .load(&kid)
            .map_err(|_| ApiError::Internal("key load"))?;
        let issuer = Arc::new(
            Issuer::with_key_id(ArcSigner(signer), kid)
                .map_err(|_| ApiError::Internal("key id"))?,
        );
        *cached = Some(Arc::clone(&issuer));
        Ok(issuer)
    }
}

struct Student {
    id: i64,
    registered_at: i64,
    claims: Option<String>,
    photo_state: PhotoState,
    photo_reason: Option<String>,
    credentials_issued: i64,
}

/// The school of an unrevoked bearer token.
fn school_of_token(conn: &dyn Tx, token: &str) -> Result<i64, ApiError> {
    let hash = Sha256::digest(token.as_bytes());
    conn.query_opt(
        "SELECT school_id FROM tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
        args![hash.as_slice()],
        |r| r.get(0),
    )?
    .ok_or(ApiError::Unauthorized)
}

/// A student of this school; another school's student is "not found", like a missing one.
fn find_student(conn: &dyn Tx, school: i64, public_id: &str) -> Result<Student, ApiError> {
    conn.query_opt(
        "SELECT id, registered_at, claims, photo_state, photo_reason, credentials_issued
         FROM students WHERE public_id = ?1 AND school_id = ?2",
        args![public_id, school],
        |r| {
            Ok(Student {
                id: r.get(0)?,
                registered_at: r.get(1)?,
                claims: r.get(2)?,
                photo_state: r.get(3)?,
                photo_reason: r.get(4)?,
                credentials_issued: r.get(5)?,
            })
        },
    )?
    .ok_or(ApiError::StudentNotFound)
}

fn mac(secret: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_slice())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

// --- request parsing helpers: each resource's module parses its own bodies with these,
// before it touches the database (pure functions, also run by the fuzz targets through
// `crate::fuzzing`)

fn parse_json<T: for<'de> Deserialize<'de>>(req: &ApiRequest) -> Result<T, ApiError> {
    if !req.json_body {
        return Err(ApiError::UnsupportedMediaType);
    }
    // serde's messages quote the input: they are not passed on.
    serde_json::from_slice(&req.body).map_err(|_| ApiError::InvalidJson)
}

fn param(req: &ApiRequest, i: usize) -> Result<&str, ApiError> {
    req.params
        .get(i)
        .map(String::as_str)
        .ok_or(ApiError::NotFound)
}

fn decode_b64(text: &str, field: &'static str) -> Result<Vec<u8>, ApiError> {
    // A 5 MB photo is about 7 MB of base64; anything longer is too large before decoding.
    if text.len() > photo::MAX_PHOTO_BYTES / 3 * 4 + 8 {
        return Err(ApiError::PhotoTooLarge);
    }
    STANDARD
        .decode(text.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
        .map_err(|_| ApiError::InvalidField {
            field,
            code: "invalid_base64",
        })
}

fn decode_b64url(text: &str, field: &'static str) -> Result<Vec<u8>, ApiError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| ApiError::InvalidField {
            field,
            code: "invalid_base64",
        })
}

/// 16 random bytes, hex: student and activation ids.
fn random_id(random: &dyn Random) -> String {
    let mut b = [0u8; 16];
    random.fill(&mut b);
    hex::encode(b)
}

/// A bearer-style secret: `prefix` + 32 random bytes (256 bits), base64url.
pub(crate) fn random_token(random: &dyn Random, prefix: &str) -> String {
    let mut b = [0u8; 32];
    random.fill(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

#[cfg(test)]
mod tests {
    use super::if_none_match_matches as matches;

    #[test]
    fn if_none_match_follows_rfc_9110() {
        let etag = "\"0a1b\"";
        for yes in [
            "\"0a1b\"",
            " \"0a1b\" ",
            "W/\"0a1b\"",
            "\"x\", \"0a1b\"",
            "\"x\",W/\"0a1b\"",
            "*",
        ] {
            assert!(matches(yes, etag), "{yes}");
        }
        for no in [
            "",
            "0a1b",
            "\"0a1\"",
            "\"x\", \"y\"",
            "\"0a1b",
            "**",
            "W/0a1b",
        ] {
            assert!(!matches(no, etag), "{no}");
        }
    }
}
