//! The synchronous request handlers (the ohttp split: plain functions, a thin async wrapper
//! in `http.rs`). Each handler runs in one transaction of the store (SQLite or
//! PostgreSQL, `store`), through [`App::transaction`].

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

/// A request as the handlers see it: no sockets, no async.
#[derive(Debug, Default)]
pub struct ApiRequest {
    /// Path parameters, in template order.
    pub params: Vec<String>,
    /// The raw query string.
    pub query: String,
    /// The `Authorization: Bearer` token, if any.
    pub bearer: Option<String>,
    /// True if the client prefers `text/html`.
    pub wants_html: bool,
    /// True if the body was sent as `application/json` (or is empty).
    pub json_body: bool,
    /// The body.
    pub body: Vec<u8>,
    /// The `If-None-Match` header, if any.
    pub if_none_match: Option<String>,
    /// The client's address (the relay's rate limits), if known.
    pub client: Option<core::net::IpAddr>,
}

/// HTTP caching of a public response (a status list token).
#[derive(Debug, Clone)]
pub struct Cache {
    /// The entity tag, quoted.
    pub etag: String,
    /// `Cache-Control: public, max-age`.
    pub max_age: u64,
}

/// A response as the handlers produce it.
#[derive(Debug)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Media type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// Caching headers; `None`: `Cache-Control: no-store`.
    pub cache: Option<Cache>,
}

impl ApiResponse {
    pub(crate) fn json<T: Serialize>(status: u16, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|_| ApiError::Internal("json encoding"))?;
        Ok(Self {
            status,
            content_type: "application/json",
            body,
            cache: None,
        })
    }

    pub(crate) fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body,
            cache: None,
        }
    }
}

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
}

impl core::fmt::Debug for App {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// Registration body (spec §11 claims; dates `YYYY-MM-DD`; photo base64 JPEG or PNG).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    family_name: Option<String>,
    given_names: Option<String>,
    document_number: Option<String>,
    issue_date: Option<String>,
    expiry_date: Option<String>,
    birth_date: Option<String>,
    pesel: Option<String>,
    address: Option<String>,
    school_name: Option<String>,
    school_address: Option<String>,
    school_id: Option<String>,
    photo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    upload_token: Option<String>,
    photo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    class_name: Option<String>,
    student_ids: Option<Vec<String>>,
    lang: Option<String>,
}

/// A parsed batch request.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) class_name: String,
    pub(crate) student_ids: Vec<String>,
    /// The printable page's language (`"pl"`, the default, or `"en"`).
    pub(crate) lang: Lang,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    code: Option<String>,
    device_key: Option<String>,
    challenge: Option<String>,
    proof: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    reason: Option<String>,
}

#[derive(Serialize)]
struct NewActivation {
    student_id: String,
    activation_id: String,
    code: String,
    qr_payload: String,
    qr_svg: String,
    expires_at: u64,
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
        if !store::is_initialised(database)? {
            return Err(crate::ServerError::NotInitialised);
        }
        let secret = zeroize::Zeroizing::new(crate::keys::read_secret(data_dir)?);
        let store = store::open(database)?;
        Ok(Self {
            store,
            secret,
            relay: crate::relay::Relay::new(Arc::clone(&clock), Arc::clone(&random)),
            random,
            clock,
            keys,
            public_url: OnceLock::new(),
            issuer: Mutex::new(None),
        })
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

    // --- retention --------------------------------------------------------------------

    /// Deletes personal data held longer than 30 days; returns how many students it touched.
    pub fn run_retention(&self) -> Result<usize, ApiError> {
        self.transaction(|tx| {
            let n = sweep(tx, self.clock.now())?;
            Ok((n, n > 0))
        })
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

    fn trust_list(&self) -> Result<ApiResponse, ApiError> {
        let list = self.transaction(|tx| Ok((trust_list(tx, self.clock.now())?, false)))?;
        Ok(ApiResponse::bytes(200, "application/cbor", list.to_vec()))
    }

    // --- status lists -----------------------------------------------------------------

    /// `GET /v1/status-lists/{list}`: the list's token, the same bytes for every client
    /// (spec §9.4), signed again first if it is stale; 304 when `If-None-Match` names it.
    fn status_list(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = parse_list_id(param(req, 0)?)?;
        let now = self.clock.now();
        let served = self.transaction(|tx| {
            let issuer = self.issuer(tx)?;
            let served = lists::token(tx, &issuer, id, now)?.ok_or(ApiError::StatusListNotFound)?;
            Ok((served, false))
        })?;
        let cache = Some(Cache {
            etag: served.etag.clone(),
            max_age: served.max_age,
        });
        if req
            .if_none_match
            .as_deref()
            .is_some_and(|h| if_none_match_matches(h, &served.etag))
        {
            return Ok(ApiResponse {
                status: 304,
                content_type: STATUS_LIST_TYPE,
                body: Vec::new(),
                cache,
            });
        }
        Ok(ApiResponse {
            status: 200,
            content_type: STATUS_LIST_TYPE,
            body: served.token,
            cache,
        })
    }

    // --- students and photos ----------------------------------------------------------

    fn register(&self, req: &ApiRequest, existing: Option<&str>) -> Result<ApiResponse, ApiError> {
        let (claims, portrait) = parse_registration(req)?;
        let claims_json =
            serde_json::to_string(&claims).map_err(|_| ApiError::Internal("json encoding"))?;
        let upload_token = random_token(self.random.as_ref(), "mlup_");
        let upload_hash = Sha256::digest(upload_token.as_bytes()).to_vec();
        let photo_state = if portrait.is_some() {
            PhotoState::Accepted
        } else {
            PhotoState::None
        };
        let now = self.clock.now();
        let (status, student_id, photo_state) = self.transaction(|tx| {
        let school = self.school(tx, req)?;
        let swept = sweep(tx, now)?;
        let out = match existing {
            None => {
                let public_id = random_id(self.random.as_ref());
                tx.execute(
                    "INSERT INTO students (public_id, school_id, registered_at, claims, photo, photo_state, upload_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    args![public_id.as_str(), school, to_i64(now), claims_json.as_str(), portrait.as_deref(), photo_state, upload_hash.as_slice()],
                )?;
                store::audit(tx, now, Some(school), "student_registered", &public_id)?;
                (201, public_id, photo_state)
            }
            Some(public_id) => {
                // With a photo the resubmission replaces it; without one, the student's
                // photo and its state stay as they are (a photo deleted with the data
                // stays deleted).
                let state: Option<PhotoState> = tx
                    .query_opt(
                        "UPDATE students SET registered_at = ?1, claims = ?2, upload_hash = ?3,
                         data_deleted_at = NULL,
                         photo = COALESCE(?4, photo),
                         photo_reason = CASE WHEN ?4 IS NULL THEN photo_reason ELSE NULL END,
                         photo_state = CASE
                             WHEN ?4 IS NOT NULL THEN ?5
                             WHEN photo IS NULL THEN 'none'
                             ELSE photo_state END
                         WHERE public_id = ?6 AND school_id = ?7
                         RETURNING photo_state",
                        args![
                            to_i64(now),
                            claims_json.as_str(),
                            upload_hash.as_slice(),
                            portrait.as_deref(),
                            photo_state,
                            public_id,
                            school
                        ],
                        |r| r.get(0),
                    )?;
                let state = state.ok_or(ApiError::StudentNotFound)?;
                store::audit(tx, now, Some(school), "student_resubmitted", public_id)?;
                (200, public_id.to_owned(), state)
            }
        };
        Ok((out, swept > 0 || existing.is_some()))
        })?;
        ApiResponse::json(
            status,
            &serde_json::json!({
                "student_id": student_id,
                "photo_state": photo_state.as_str(),
                "photo_upload_token": upload_token,
                "data_deleted_by": now + RETENTION,
            }),
        )
    }

    fn show_student(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let now = self.clock.now();
        type CredentialRow = (Vec<u8>, Option<String>, Option<i64>, i64, i64, Option<i64>);
        let (student, activation, rows) = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let student = find_student(tx, school, public_id)?;
            let activation: Option<(String, i64, ActivationState)> = tx.query_opt(
                "SELECT id, expires_at, state FROM activations WHERE student_id = ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                args![student.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let rows: Vec<CredentialRow> = tx.query_map(
                "SELECT c.credential_id, l.uri, c.list_index, c.iat, c.exp, c.revoked_reason
                 FROM credentials c LEFT JOIN status_lists l ON l.id = c.list_id
                 WHERE c.student_id = ?1 ORDER BY c.status_index",
                args![student.id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )?;
            Ok(((student, activation, rows), swept > 0))
        })?;
        let mut credentials = Vec::new();
        {
            for (cid, list_uri, list_index, iat, exp, reason) in rows {
                let reason = reason.and_then(|c| RevocationReason::from_code(to_u64(c)));
                let status = match reason {
                    Some(_) => "revoked",
                    None if now > to_u64(exp) => "expired",
                    None => "valid",
                };
                credentials.push(serde_json::json!({
                    "credential_id": hex::encode(cid),
                    "status_list": list_uri,
                    "status_idx": list_index,
                    "iat": iat,
                    "exp": exp,
                    "status": status,
                    "reason": reason.map(RevocationReason::as_str),
                }));
            }
        }
        ApiResponse::json(
            200,
            &serde_json::json!({
                "student_id": public_id,
                "registered_at": student.registered_at,
                "data_held": student.claims.is_some(),
                "photo_state": student.photo_state.as_str(),
                "photo_rejection_reason": student.photo_reason,
                "activation": activation.map(|(id, expires_at, state)| {
                    let state = if state == ActivationState::Open && now >= to_u64(expires_at) { "expired" } else { state.as_str() };
                    serde_json::json!({"activation_id": id, "expires_at": expires_at, "state": state})
                }),
                "credentials": credentials,
            }),
        )
    }

    fn upload_photo(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        // The token first, the photo after: an anonymous upload is refused on a hash
        // lookup and never reaches the image decoder.
        let (token, photo_b64) = parse_upload_fields(req)?;
        let hash = Sha256::digest(token.as_bytes());
        let holder = |conn: &dyn Tx| -> Result<(i64, i64, String), ApiError> {
            conn.query_opt(
                "SELECT id, school_id, public_id FROM students WHERE upload_hash = ?1 AND claims IS NOT NULL",
                args![hash.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .ok_or(ApiError::UploadTokenInvalid)
        };
        self.transaction(|tx| {
            let swept = sweep(tx, self.clock.now())?;
            holder(tx)?;
            Ok(((), swept > 0))
        })?;
        // Decoded outside the database lock; the token is looked up again below, in case
        // the data was deleted or resubmitted meanwhile.
        let portrait = photo::portrait(&decode_b64(&photo_b64, "photo")?)?;
        let now = self.clock.now();
        self.transaction(|tx| {
            let (id, school, public_id) = holder(tx)?;
            tx.execute(
                "UPDATE students SET photo = ?1, photo_state = 'pending', photo_reason = NULL WHERE id = ?2",
                args![portrait.as_slice(), id],
            )?;
            store::audit(tx, now, Some(school), "photo_submitted", &public_id)?;
            Ok(((), false))
        })?;
        ApiResponse::json(202, &serde_json::json!({"photo_state": "pending"}))
    }

    fn decide_photo(&self, req: &ApiRequest, accept: bool) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let reason = if accept {
            None
        } else {
            Some(parse_reject(req)?)
        };
        let now = self.clock.now();
        self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let student = find_student(tx, school, public_id)?;
            if student.photo_state != PhotoState::Pending {
                return Err(ApiError::NoPendingPhoto);
            }
            if accept {
                tx.execute(
                    "UPDATE students SET photo_state = 'accepted' WHERE id = ?1",
                    args![student.id],
                )?;
            } else {
                tx.execute(
                    "UPDATE students SET photo_state = 'rejected', photo = NULL, photo_reason = ?1 WHERE id = ?2",
                    args![reason.as_deref(), student.id],
                )?;
            }
            let event = if accept {
                "photo_accepted"
            } else {
                "photo_rejected"
            };
            store::audit(tx, now, Some(school), event, public_id)?;
            Ok(((), swept > 0 || !accept))
        })?;
        let state = if accept { "accepted" } else { "rejected" };
        ApiResponse::json(200, &serde_json::json!({"photo_state": state}))
    }

    // --- activations ------------------------------------------------------------------

    /// Creates an activation for one student inside `tx`, voiding the previous one.
    fn new_activation(
        &self,
        tx: &dyn Tx,
        school: i64,
        public_id: &str,
        now: u64,
    ) -> Result<(NewActivation, String), ApiError> {
        let student = find_student(tx, school, public_id)?;
        let claims = student
            .claims
            .as_deref()
            .ok_or(ApiError::StudentDataMissing)?;
        if student.photo_state != PhotoState::Accepted {
            return Err(ApiError::PhotoNotAccepted);
        }
        let claims: StudentClaims =
            serde_json::from_str(claims).map_err(|_| ApiError::Internal("stored claims"))?;
        let validity = if student.credentials_issued == 0 {
            FIRST_ACTIVATION_VALIDITY
        } else {
            LATER_ACTIVATION_VALIDITY
        };
        let activation_id = random_id(self.random.as_ref());
        let code = random_code(self.random.as_ref());
        tx.execute(
            "UPDATE activations SET state = 'void' WHERE student_id = ?1 AND state = 'open'",
            args![student.id],
        )?;
        tx.execute(
            "INSERT INTO activations (id, student_id, code_mac, created_at, expires_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open')",
            args![
                activation_id.as_str(),
                student.id,
                self.code_mac(&activation_id, &code).to_vec(),
                to_i64(now),
                to_i64(now + validity)
            ],
        )?;
        store::audit(tx, now, Some(school), "activation_created", &activation_id)?;
        let qr_payload = format!("{}/v1/activations/{activation_id}", self.public_url());
        let qr_svg = page::qr_svg(&qr_payload).ok_or(ApiError::Internal("qr"))?;
        // Family name first, as on a class register: a name cut short on the card keeps it.
        let name = format!("{} {}", claims.family_name, claims.given_names);
        Ok((
            NewActivation {
                student_id: public_id.to_owned(),
                activation_id,
                code: format_code(&code),
                qr_payload,
                qr_svg,
                expires_at: now + validity,
            },
            name,
        ))
    }

    fn create_activation(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let now = self.clock.now();
        let activation = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let (activation, _) = self.new_activation(tx, school, public_id, now)?;
            Ok((activation, swept > 0))
        })?;
        ApiResponse::json(201, &activation)
    }

    fn create_batch(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let Batch {
            class_name,
            student_ids: ids,
            lang,
        } = parse_batch(req)?;
        let now = self.clock.now();
        let (activations, cards) = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let mut activations = Vec::with_capacity(ids.len());
            let mut cards = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                if ids.get(..i).is_some_and(|before| before.contains(id)) {
                    return Err(ApiError::InBatch(
                        i,
                        Box::new(ApiError::InvalidField {
                            field: "student_ids",
                            code: "duplicate_student",
                        }),
                    ));
                }
                let (a, name) = self
                    .new_activation(tx, school, id, now)
                    .map_err(|e| ApiError::InBatch(i, Box::new(e)))?;
                cards.push(Card {
                    name,
                    student_id: a.student_id.clone(),
                    code: a.code.clone(),
                    qr_payload: a.qr_payload.clone(),
                    expires_at: a.expires_at,
                });
                activations.push(a);
            }
            Ok(((activations, cards), swept > 0))
        })?;
        if req.wants_html {
            return Ok(ApiResponse::bytes(
                201,
                "text/html; charset=utf-8",
                page::class_page(&class_name, &cards, lang).into_bytes(),
            ));
        }
        ApiResponse::json(
            201,
            &serde_json::json!({"class_name": class_name, "activations": activations}),
        )
    }

    fn activation_qr(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let found: Option<i64> = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let found = tx.query_opt(
                "SELECT 1 FROM activations a JOIN students s ON s.id = a.student_id
                 WHERE a.id = ?1 AND s.school_id = ?2",
                args![id, school],
                |r| r.get(0),
            )?;
            Ok((found, false))
        })?;
        found.ok_or(ApiError::ActivationNotFound)?;
        let payload = format!("{}/v1/activations/{id}", self.public_url());
        let svg = page::qr_svg(&payload).ok_or(ApiError::Internal("qr"))?;
        Ok(ApiResponse::bytes(200, "image/svg+xml", svg.into_bytes()))
    }

    fn code_mac(&self, activation_id: &str, digits: &str) -> [u8; 32] {
        mac(
            &self.secret,
            &[
                b"mlegit-activation-code\0",
                activation_id.as_bytes(),
                b"\0",
                digits.as_bytes(),
            ],
        )
    }

    /// `challenge = nonce (16) || expires_at (8, big-endian) || HMAC(secret, id, nonce, expiry)`:
    /// stateless, bound to the activation, valid for [`CHALLENGE_VALIDITY`] seconds.
    fn challenge(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let found: Option<i64> = self.transaction(|tx| {
            let found =
                tx.query_opt("SELECT 1 FROM activations WHERE id = ?1", args![id], |r| {
                    r.get(0)
                })?;
            Ok((found, false))
        })?;
        found.ok_or(ApiError::ActivationNotFound)?;
        let mut nonce = [0u8; 16];
        self.random.fill(&mut nonce);
        let expires_at = self.clock.now() + CHALLENGE_VALIDITY;
        let mut challenge = Vec::with_capacity(56);
        challenge.extend_from_slice(&nonce);
        challenge.extend_from_slice(&expires_at.to_be_bytes());
        challenge.extend_from_slice(&challenge_mac(&self.secret, id, &nonce, expires_at));
        ApiResponse::json(
            200,
            &serde_json::json!({
                "challenge": URL_SAFE_NO_PAD.encode(&challenge),
                "expires_at": expires_at,
            }),
        )
    }

    /// Activation (phone, no account): checks the proof of possession, then the code, then
    /// issues the credential bound to the device key, all in one transaction.
    fn activate(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let now = self.clock.now();
        let (device_key, digits) = parse_activate(id, req, |challenge| {
            check_challenge(&self.secret, id, challenge, now)
        })?;
        let mac = self.code_mac(id, &digits);

        let issued = self.transaction(|tx| {
        let swept = sweep(tx, now)?;
        let row = tx.query_opt(
            "SELECT a.student_id, a.expires_at, a.failures, a.state, a.code_mac, s.school_id,
                    s.claims, s.photo, s.photo_state, s.public_id
             FROM activations a JOIN students s ON s.id = a.student_id WHERE a.id = ?1
             FOR UPDATE",
            args![id],
            |r| {
                Ok(ActivationRow {
                    student: r.get(0)?,
                    expires_at: r.get(1)?,
                    failures: r.get(2)?,
                    state: r.get(3)?,
                    code_mac: r.get(4)?,
                    school: r.get(5)?,
                    claims: r.get(6)?,
                    photo: r.get(7)?,
                    photo_state: r.get(8)?,
                    public_id: r.get(9)?,
                })
            },
        )?;
        let ActivationRow {
            student,
            expires_at,
            failures,
            state,
            code_mac: stored_mac,
            school,
            claims,
            photo,
            photo_state,
            public_id,
        } = row.ok_or(ApiError::ActivationNotFound)?;
        match state {
            ActivationState::Open => {}
            ActivationState::Used => return Err(ApiError::ActivationUsed),
            ActivationState::Void => return Err(ApiError::ActivationSuperseded),
            ActivationState::Locked => return Err(ApiError::ActivationLocked),
        }
        if now >= to_u64(expires_at) {
            return Err(ApiError::ActivationExpired);
        }
        if !bool::from(mac.as_slice().ct_eq(&stored_mac)) {
            let failures = failures.saturating_add(1);
            let locked = failures >= MAX_CODE_FAILURES;
            tx.execute(
                "UPDATE activations SET failures = ?1, state = ?2 WHERE id = ?3",
                args![
                    failures,
                    if locked {
                        ActivationState::Locked
                    } else {
                        ActivationState::Open
                    },
                    id
                ],
            )?;
            let event = if locked {
                "activation_locked"
            } else {
                "activation_wrong_code"
            };
            store::audit(tx, now, Some(school), event, id)?;
            // Counted and committed, then refused.
            let refusal = if locked {
                ApiError::ActivationLocked
            } else {
                ApiError::CodeInvalid {
                    attempts_left: MAX_CODE_FAILURES - failures,
                }
            };
            return Ok((Err(refusal), swept > 0));
        }
        let claims = claims.ok_or(ApiError::StudentDataMissing)?;
        if photo_state != PhotoState::Accepted {
            return Err(ApiError::PhotoNotAccepted);
        }
        // The registration as stored (the core's serde form: eleven members, dates as
        // YYYY-MM-DD), with the accepted photo as its portrait.
        let mut student_claims: StudentClaims =
            serde_json::from_str(&claims).map_err(|_| ApiError::Internal("stored claims"))?;
        student_claims.portrait = photo;
        // The credential lives until the paper ID's expiry date ends, at most a year.
        let paper_end = u64::try_from(student_claims.expiry_date.days_since_epoch())
            .map_err(|_| ApiError::PaperIdExpired)?
            * DAY
            + DAY
            - 1;
        let exp = paper_end.min(now + MAX_CREDENTIAL_VALIDITY);
        if exp <= now {
            return Err(ApiError::PaperIdExpired);
        }
        let (list_uri, list, entry) = lists::allocate(tx, self.public_url(), self.random.as_ref())?;
        let issuer = self.issuer(tx)?;
        let issued = issuer
            .credential()
            .claims(student_claims)
            .device_key(device_key.clone())
            .validity(mlegit::Validity {
                issued_at: now,
                not_before: now,
                expires: exp,
            })
            .status(StatusReference {
                uri: list_uri,
                index: entry,
            })
            .issue(&mut crate::random::AsRng(self.random.as_ref()))
            .map_err(|e| match e {
                mlegit::IssueError::Signer => ApiError::Internal("signer"),
                _ => ApiError::InvalidField {
                    field: "claims",
                    code: "student_data_invalid",
                },
            })?;
        // One device only: every earlier credential of the student is superseded.
        tx.execute(
            "UPDATE credentials SET revoked_reason = ?1, revoked_at = ?2
             WHERE student_id = ?3 AND revoked_reason IS NULL",
            args![
                to_i64(RevocationReason::Superseded.code()),
                to_i64(now),
                student
            ],
        )?;
        lists::flip_revoked(tx, now)?;
        tx.execute(
            "INSERT INTO credentials (credential_id, school_id, student_id, activation_id,
                                      kid, iat, exp, device_thumbprint, list_id, list_index)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            args![
                issued.credential_id.as_slice(),
                school,
                student,
                id,
                issuer.key_id(),
                to_i64(now),
                to_i64(exp),
                Sha256::digest(device_key.to_sec1_uncompressed()).to_vec(),
                list,
                to_i64(entry)
            ],
        )?;
        tx.execute("UPDATE activations SET state = 'used' WHERE id = ?1", args![id])?;
        // Retention: the personal data and photo go once the credential is issued.
        tx.execute(
            "UPDATE students SET claims = NULL, photo = NULL, photo_state = 'none', photo_reason = NULL,
                    upload_hash = NULL, data_deleted_at = ?1, credentials_issued = credentials_issued + 1
             WHERE id = ?2",
            args![to_i64(now), student],
        )?;
        store::audit(
            tx,
            now,
            Some(school),
            "credential_issued",
            &hex::encode(&issued.credential_id),
        )?;
        store::audit(tx, now, Some(school), "data_deleted", &public_id)?;
        lists::count_use(tx, list)?;
        Ok((Ok(issued), true))
        })??;

        let mut e = Encoder::with_capacity(issued.credential.len() + 2048);
        e.map(2).text("credential").bytes(&issued.credential);
        e.text("disclosures").array(issued.disclosures.len());
        for d in &issued.disclosures {
            e.bytes(d.as_bytes());
        }
        Ok(ApiResponse::bytes(201, "application/cbor", e.into_bytes()))
    }

    // --- revocation -------------------------------------------------------------------

    fn revoke(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let cid = param(req, 0)?;
        let (reason, cid_bytes) = parse_revoke(cid, req)?;
        let now = self.clock.now();
        self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let row: Option<Option<i64>> = tx.query_opt(
                "SELECT revoked_reason FROM credentials WHERE credential_id = ?1 AND school_id = ?2
                 FOR UPDATE",
                args![cid_bytes.as_slice(), school],
                |r| r.get(0),
            )?;
            match row {
                None => return Err(ApiError::CredentialNotFound),
                Some(Some(_)) => return Err(ApiError::AlreadyRevoked),
                Some(None) => {}
            }
            tx.execute(
            "UPDATE credentials SET revoked_reason = ?1, revoked_at = ?2 WHERE credential_id = ?3",
            args![to_i64(reason.code()), to_i64(now), cid_bytes.as_slice()],
        )?;
            lists::flip_revoked(tx, now)?;
            store::audit(tx, now, Some(school), "credential_revoked", cid)?;
            Ok(((), false))
        })?;
        ApiResponse::json(
            200,
            &serde_json::json!({"credential_id": cid, "status": "revoked", "reason": reason.as_str()}),
        )
    }
}

/// Whether an `If-None-Match` field value names `etag` (RFC 9110 §13.1.2): `*`, or a
/// comma-separated list of entity tags compared weakly (a `W/` prefix on either side is
/// ignored). Anything that is not an entity tag is skipped.
pub(crate) fn if_none_match_matches(header: &str, etag: &str) -> bool {
    let strip = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_owned()
    };
    let etag = strip(etag);
    header.trim() == "*"
        || header
            .split(',')
            .map(strip)
            .any(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && t == etag)
}

/// A list holds at most `mlegit::MAX_KEYS` (64) keys (spec §10.2): past that, the
/// oldest retired keys are left out, never the active key.
const MAX_LISTED_KEYS: i64 = mlegit::MAX_KEYS as i64;

/// The trust list at `now`: the active key, and each retired key while a credential it
/// signed has not expired (spec §10.3); the 63 most recently created of those at most.
pub(crate) fn trust_list(tx: &dyn Tx, now: u64) -> Result<TrustList, StoreError> {
    key_list(
        tx,
        "SELECT kid, public_key, not_before, retired_at FROM (
             SELECT kid, public_key, not_before, retired_at, created_at FROM issuer_keys k
             WHERE retired_at IS NULL
                OR EXISTS (SELECT 1 FROM credentials c WHERE c.kid = k.kid AND c.exp >= ?1)
             ORDER BY retired_at IS NOT NULL, created_at DESC LIMIT ?2) AS listed
         ORDER BY created_at",
        args![to_i64(now), MAX_LISTED_KEYS],
        "issuer key left out of the trust list",
    )
}

/// The authority list (spec §10.4): the active authority key and the 63 most recently
/// created retired ones, each trusted for the certificates it signed from its creation
/// until its retirement.
pub(crate) fn authority_list(tx: &dyn Tx) -> Result<TrustList, StoreError> {
    key_list(
        tx,
        "SELECT kid, public_key, created_at, retired_at FROM (
             SELECT kid, public_key, created_at, retired_at FROM authority_keys
             ORDER BY retired_at IS NOT NULL, created_at DESC LIMIT ?1) AS listed
         ORDER BY created_at",
        args![MAX_LISTED_KEYS],
        "authority key left out of the authority list",
    )
}

/// The COSE_KeySet of the rows `(kid, SEC1 key, not_before, retired_at)` of `sql`; a
/// retired_at of NULL is a key trusted with no end.
fn key_list(
    tx: &dyn Tx,
    sql: &str,
    params: &[store::Value],
    full: &'static str,
) -> Result<TrustList, StoreError> {
    /// A key as a list reads it.
    struct KeyRow {
        kid: Vec<u8>,
        public: Vec<u8>,
        not_before: i64,
        retired: Option<i64>,
    }
    let rows = tx.query_map(sql, params, |r| {
        Ok(KeyRow {
            kid: r.get(0)?,
            public: r.get(1)?,
            not_before: r.get(2)?,
            retired: r.get(3)?,
        })
    })?;
    let mut list = TrustList::new();
    for KeyRow {
        kid,
        public,
        not_before,
        retired,
    } in rows
    {
        if let Some(key) = PublicKey::from_sec1(&public) {
            let added = list.add(TrustedKey {
                kid,
                key,
                not_before: to_u64(not_before),
                // The active key covers every future iat.
                not_after: retired.map_or(u64::MAX, to_u64),
            });
            if let Err(e) = added {
                // Only a full list (64 keys still in use) gets here.
                tracing::error!(reason = %e, "{full}");
            }
        }
    }
    Ok(list)
}

/// Retention (spec §15.3): deletes personal data and photos registered 30 days ago or more.
fn sweep(tx: &dyn Tx, now: u64) -> Result<usize, StoreError> {
    let cutoff = to_i64(now.saturating_sub(RETENTION));
    let rows: Vec<(i64, String)> = tx.query_map(
        "UPDATE students SET claims = NULL, photo = NULL, photo_state = 'none', photo_reason = NULL,
                upload_hash = NULL, data_deleted_at = ?1
         WHERE claims IS NOT NULL AND registered_at <= ?2 RETURNING school_id, public_id",
        args![to_i64(now), cutoff],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (school, public_id) in &rows {
        store::audit(tx, now, Some(*school), "data_expired", public_id)?;
    }
    Ok(rows.len())
}

/// An activation being used, with its student, read under their row locks.
struct ActivationRow {
    student: i64,
    expires_at: i64,
    failures: u32,
    state: ActivationState,
    code_mac: Vec<u8>,
    school: i64,
    claims: Option<String>,
    photo: Option<Vec<u8>>,
    photo_state: PhotoState,
    public_id: String,
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

fn challenge_mac(secret: &[u8; 32], id: &str, nonce: &[u8], expires_at: u64) -> [u8; 32] {
    mac(
        secret,
        &[
            b"mlegit-challenge\0",
            id.as_bytes(),
            b"\0",
            nonce,
            &expires_at.to_be_bytes(),
        ],
    )
}

/// Checks a challenge made by `App::challenge` with `secret`: its MAC, then its expiry.
pub(crate) fn check_challenge(
    secret: &[u8; 32],
    id: &str,
    challenge: &[u8],
    now: u64,
) -> Result<(), ApiError> {
    let (Some(nonce), Some(expiry), Some(tag)) = (
        challenge.get(..16),
        challenge
            .get(16..24)
            .and_then(|b| <[u8; 8]>::try_from(b).ok()),
        challenge.get(24..),
    ) else {
        return Err(ApiError::ChallengeInvalid);
    };
    let expires_at = u64::from_be_bytes(expiry);
    let expected = challenge_mac(secret, id, nonce, expires_at);
    if !bool::from(expected.as_slice().ct_eq(tag)) || now > expires_at {
        return Err(ApiError::ChallengeInvalid);
    }
    Ok(())
}

// --- request parsing: everything a handler checks before it touches the database ------
// (pure functions, also run by the fuzz targets through `crate::fuzzing`)

/// `GET /v1/status-lists/{list}`: a list number, 1 and up, in decimal digits only.
pub(crate) fn parse_list_id(list: &str) -> Result<i64, ApiError> {
    if list.is_empty() || list.len() > 18 || !list.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::StatusListNotFound);
    }
    list.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::StatusListNotFound)
}

/// `POST /v1/students` and `PUT /v1/students/{id}`: the claims, and the photo (if any)
/// decoded and reduced to a portrait.
pub(crate) fn parse_registration(
    req: &ApiRequest,
) -> Result<(StudentClaims, Option<Vec<u8>>), ApiError> {
    let body: RegisterBody = parse_json(req)?;
    let (claims, photo_b64) = validate_registration(body)?;
    let portrait = photo_b64
        .map(|b| photo::portrait(&decode_b64(&b, "photo")?))
        .transpose()?;
    Ok((claims, portrait))
}

/// `POST /v1/photos`: the upload token and the portrait (decoded: for the fuzzer, which
/// runs the whole parsing without a database).
pub(crate) fn parse_upload(req: &ApiRequest) -> Result<(String, Vec<u8>), ApiError> {
    let (token, photo_b64) = parse_upload_fields(req)?;
    let portrait = photo::portrait(&decode_b64(&photo_b64, "photo")?)?;
    Ok((token, portrait))
}

/// `POST /v1/photos`: the upload token and the photo's base64, not yet decoded.
fn parse_upload_fields(req: &ApiRequest) -> Result<(String, String), ApiError> {
    let body: UploadBody = parse_json(req)?;
    let token = body
        .upload_token
        .ok_or(ApiError::MissingField("upload_token"))?;
    let photo_b64 = body.photo.ok_or(ApiError::MissingField("photo"))?;
    Ok((token, photo_b64))
}

/// `POST /v1/students/{id}/photo/reject`: the reason.
pub(crate) fn parse_reject(req: &ApiRequest) -> Result<String, ApiError> {
    let body: RejectBody = parse_json(req)?;
    let reason = body.reason.ok_or(ApiError::MissingField("reason"))?;
    if !mlegit::claims::valid_text(&reason) {
        return Err(ApiError::InvalidField {
            field: "reason",
            code: "invalid_text",
        });
    }
    Ok(reason)
}

/// `POST /v1/activation-batches`: the class name, the student ids (1 to [`MAX_BATCH`]) and
/// the optional language of the printable page.
pub(crate) fn parse_batch(req: &ApiRequest) -> Result<Batch, ApiError> {
    let body: BatchBody = parse_json(req)?;
    let class_name = body
        .class_name
        .ok_or(ApiError::MissingField("class_name"))?;
    if !mlegit::claims::valid_text(&class_name) {
        return Err(ApiError::InvalidField {
            field: "class_name",
            code: "invalid_text",
        });
    }
    let ids = body
        .student_ids
        .ok_or(ApiError::MissingField("student_ids"))?;
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::InvalidField {
            field: "student_ids",
            code: "invalid_batch_size",
        });
    }
    let lang = match body.lang {
        None => Lang::default(),
        Some(tag) => Lang::from_tag(&tag).ok_or(ApiError::InvalidField {
            field: "lang",
            code: "invalid_lang",
        })?,
    };
    Ok(Batch {
        class_name,
        student_ids: ids,
        lang,
    })
}

/// `POST /v1/activations/{id}/activate`: the device key, the challenge (checked by
/// `check_challenge`), the proof of possession, then the code's digits.
pub(crate) fn parse_activate(
    id: &str,
    req: &ApiRequest,
    check_challenge: impl FnOnce(&[u8]) -> Result<(), ApiError>,
) -> Result<(PublicKey, String), ApiError> {
    let body: ActivateBody = parse_json(req)?;
    let code = body.code.ok_or(ApiError::MissingField("code"))?;
    let device_key_b64 = body
        .device_key
        .ok_or(ApiError::MissingField("device_key"))?;
    let challenge_b64 = body.challenge.ok_or(ApiError::MissingField("challenge"))?;
    let proof_b64 = body.proof.ok_or(ApiError::MissingField("proof"))?;

    let device_sec1 = decode_b64url(&device_key_b64, "device_key")?;
    let device_key = (device_sec1.len() == 65)
        .then(|| PublicKey::from_sec1(&device_sec1))
        .flatten()
        .ok_or(ApiError::InvalidField {
            field: "device_key",
            code: "invalid_device_key",
        })?;
    let challenge = decode_b64url(&challenge_b64, "challenge")?;
    check_challenge(&challenge)?;
    let proof = decode_b64url(&proof_b64, "proof")?;
    verify_proof(&proof, id, &challenge, &device_key)?;
    let digits = normalise_code(&code)?;
    Ok((device_key, digits))
}

/// `POST /v1/credentials/{id}/revoke`: the reason, then the credential id's bytes.
pub(crate) fn parse_revoke(
    cid: &str,
    req: &ApiRequest,
) -> Result<(RevocationReason, Vec<u8>), ApiError> {
    let body: RevokeBody = parse_json(req)?;
    let reason = body.reason.ok_or(ApiError::MissingField("reason"))?;
    let reason = match RevocationReason::from_name(&reason) {
        Some(
            r @ (RevocationReason::HolderRequest
            | RevocationReason::PaperIdExpired
            | RevocationReason::SchoolChange),
        ) => r,
        _ => {
            return Err(ApiError::InvalidField {
                field: "reason",
                code: "invalid_reason",
            });
        }
    };
    let cid_bytes = hex::decode(cid).map_err(|_| ApiError::CredentialNotFound)?;
    Ok((reason, cid_bytes))
}

/// The proof of possession: a COSE_Sign1 by the device key, typ
/// `application/mlegit.activation+cose`, no kid, over the CBOR map
/// `{1: activation_id (tstr), 2: challenge (bstr)}`.
fn verify_proof(
    proof: &[u8],
    activation_id: &str,
    challenge: &[u8],
    device_key: &PublicKey,
) -> Result<(), ApiError> {
    mlegit::activation::verify(proof, activation_id, challenge, device_key, &P256Backend)
        .map_err(|_| ApiError::ProofInvalid)
}

/// Checks every field of a registration with a precise error code.
fn validate_registration(b: RegisterBody) -> Result<(StudentClaims, Option<String>), ApiError> {
    fn date(v: Option<String>, field: &'static str) -> Result<Date, ApiError> {
        let v = v.ok_or(ApiError::MissingField(field))?;
        Date::parse(&v).ok_or(ApiError::InvalidField {
            field,
            code: "invalid_date",
        })
    }
    // The three dates first (absent or not a date); then the core's rules in their order
    // (StudentClaims::check: the dates' order, the PESEL, the text members). An absent
    // member stands as empty text, which those rules refuse at the member's turn: that
    // refusal is answered as the member missing.
    let issue_date = date(b.issue_date, "issue_date")?;
    let expiry_date = date(b.expiry_date, "expiry_date")?;
    let birth_date = date(b.birth_date, "birth_date")?;
    let mut absent = Vec::new();
    let mut member = |v: Option<String>, name: ClaimName| {
        v.unwrap_or_else(|| {
            absent.push(name);
            String::new()
        })
    };
    let claims = StudentClaims {
        family_name: member(b.family_name, ClaimName::FamilyName),
        given_names: member(b.given_names, ClaimName::GivenNames),
        document_number: member(b.document_number, ClaimName::DocumentNumber),
        issue_date,
        expiry_date,
        birth_date,
        pesel: member(b.pesel, ClaimName::Pesel),
        address: member(b.address, ClaimName::Address),
        school_name: member(b.school_name, ClaimName::SchoolName),
        school_address: member(b.school_address, ClaimName::SchoolAddress),
        school_id: member(b.school_id, ClaimName::SchoolId),
        portrait: None,
    };
    claims.check().map_err(|e| {
        let missing = |name: ClaimName| absent.contains(&name);
        match e {
            ClaimsError::DatesReversed => ApiError::InvalidField {
                field: "expiry_date",
                code: "document_dates_reversed",
            },
            ClaimsError::InvalidPesel if missing(ClaimName::Pesel) => {
                ApiError::MissingField("pesel")
            }
            ClaimsError::InvalidPesel => ApiError::InvalidField {
                field: "pesel",
                code: "invalid_pesel",
            },
            ClaimsError::PeselBirthDateMismatch => ApiError::InvalidField {
                field: "pesel",
                code: "pesel_birth_date_mismatch",
            },
            ClaimsError::InvalidText(name) if missing(name) => {
                ApiError::MissingField(name.as_str())
            }
            ClaimsError::InvalidText(name) => ApiError::InvalidField {
                field: name.as_str(),
                code: "invalid_text",
            },
            _ => ApiError::Internal("registration rule"),
        }
    })?;
    Ok((claims, b.photo))
}

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

/// Twelve uniformly random digits.
fn random_code(random: &dyn Random) -> String {
    let n = crate::random::below(random, 1_000_000_000_000);
    format!("{n:012}")
}

/// `123456789012` → `1234-5678-9012`.
fn format_code(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Accepts the code with or without dashes and spaces; 12 digits.
fn normalise_code(code: &str) -> Result<String, ApiError> {
    let digits: String = code.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(ApiError::InvalidField {
            field: "code",
            code: "invalid_code_format",
        })
    }
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
