//! Errors: [`ServerError`] for setup and administration, [`ApiError`] for HTTP requests.
//!
//! Every [`ApiError`] maps to one HTTP status and one stable `code` in a single `match`
//! ([`ApiError::parts`]); internals (database errors, I/O errors) are logged by kind only
//! and the peer sees `internal_error`.

use core::fmt;

/// Why setting up, starting or administering the server failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// A file system operation failed.
    Io(&'static str, std::io::Error),
    /// The database failed (its kind and engine code only).
    Database(crate::store::StoreError),
    /// The database was written by a newer version (its `user_version`).
    Schema(usize),
    /// A key or the server secret is unusable.
    Key(&'static str),
    /// The data directory is already initialised.
    AlreadyInitialised,
    /// The data directory is not initialised (run `init`).
    NotInitialised,
    /// No such school.
    UnknownSchool,
    /// No such token.
    UnknownToken,
    /// An argument is invalid.
    Invalid(&'static str),
}

impl ServerError {
    pub(crate) fn io(what: &'static str, e: std::io::Error) -> Self {
        ServerError::Io(what, e)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Io(what, e) => write!(f, "cannot {what}: {e}"),
            ServerError::Database(e) => write!(f, "database error: {e}"),
            ServerError::Schema(v) => {
                write!(f, "database schema version {v} is newer than this server")
            }
            ServerError::Key(what) => write!(f, "key error: {what}"),
            ServerError::AlreadyInitialised => {
                f.write_str("the data directory is already initialised")
            }
            ServerError::NotInitialised => {
                f.write_str("the data directory is not initialised (run `init` first)")
            }
            ServerError::UnknownSchool => f.write_str("no such school"),
            ServerError::UnknownToken => f.write_str("no such token"),
            ServerError::Invalid(what) => write!(f, "invalid argument: {what}"),
        }
    }
}

impl core::error::Error for ServerError {}

impl From<crate::store::StoreError> for ServerError {
    fn from(e: crate::store::StoreError) -> Self {
        ServerError::Database(e)
    }
}

/// Why a request was refused. Each variant has a stable code ([`ApiError::code`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// No route has this path.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// Missing, malformed, unknown or revoked bearer token.
    Unauthorized,
    /// The body is larger than the route allows.
    BodyTooLarge,
    /// The body did not arrive in time.
    BodyTimeout,
    /// A JSON route got another media type.
    UnsupportedMediaType,
    /// The body is not JSON of the expected shape.
    InvalidJson,
    /// A required field is absent.
    MissingField(&'static str),
    /// A field breaks its rule; the code says which rule.
    InvalidField {
        /// The field.
        field: &'static str,
        /// The stable code of the rule.
        code: &'static str,
    },
    /// The photo is over 5 MiB, or over 4096 pixels on a side.
    PhotoTooLarge,
    /// The photo is not a JPEG or PNG image that decodes.
    PhotoInvalid,
    /// No such student at this school.
    StudentNotFound,
    /// No such credential at this school.
    CredentialNotFound,
    /// No such activation (at this school, for school routes).
    ActivationNotFound,
    /// No status list has this number.
    StatusListNotFound,
    /// The upload token is unknown or no longer valid.
    UploadTokenInvalid,
    /// No accepted photo: activation needs one.
    PhotoNotAccepted,
    /// No photo waits for a decision.
    NoPendingPhoto,
    /// The student's data was deleted (issued, or kept 30 days): submit it again.
    StudentDataMissing,
    /// The paper school ID has expired.
    PaperIdExpired,
    /// The activation's validity ended.
    ActivationExpired,
    /// The activation was already used.
    ActivationUsed,
    /// A newer activation replaced this one.
    ActivationSuperseded,
    /// Five wrong codes: the activation is locked.
    ActivationLocked,
    /// Wrong activation code.
    CodeInvalid {
        /// Attempts left before the lock.
        attempts_left: u32,
    },
    /// The challenge is not one this server issued for this activation, or it expired.
    ChallengeInvalid,
    /// The proof of possession does not verify.
    ProofInvalid,
    /// The credential is already revoked.
    AlreadyRevoked,
    /// An error about one element of a batch.
    InBatch(usize, Box<ApiError>),
    /// No live relay session has this id or code (never made, ended, or expired).
    SessionNotFound,
    /// The relay session's receive token is missing or wrong.
    SessionTokenInvalid,
    /// The relay session already has its one response.
    ResponseAlreadyPosted,
    /// What was given the relay as a request is not one (the core's code says why).
    RequestInvalid(&'static str),
    /// What was posted as a response is not an encrypted response (spec §18.3 O1, O2).
    ResponseInvalid(&'static str),
    /// Too many code lookups or sessions from this client address in the window.
    TooManyRequests {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// The relay holds as many sessions or response bytes as it takes.
    RelayFull,
    /// The server is shutting down.
    Unavailable,
    /// Something failed inside the server (logged, never described to the peer).
    Internal(&'static str),
}

/// The parts of a problem response.
pub(crate) struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub title: &'static str,
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.parts().code
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.parts().status
    }

    pub(crate) fn parts(&self) -> Problem {
        let p = |status, code, title| Problem {
            status,
            code,
            title,
        };
        match self {
            ApiError::NotFound => p(404, "not_found", "No such resource"),
            ApiError::MethodNotAllowed => p(405, "method_not_allowed", "Method not allowed"),
            ApiError::Unauthorized => p(
                401,
                "unauthorized",
                "A valid school bearer token is required",
            ),
            ApiError::BodyTooLarge => p(413, "body_too_large", "Request body too large"),
            ApiError::BodyTimeout => p(408, "body_timeout", "Request body not received in time"),
            ApiError::UnsupportedMediaType => {
                p(415, "unsupported_media_type", "Send application/json")
            }
            ApiError::InvalidJson => p(
                400,
                "invalid_json",
                "The body is not JSON of the expected shape",
            ),
            ApiError::MissingField(_) => p(422, "missing_field", "A required field is missing"),
            ApiError::InvalidField { code, .. } => p(422, code, "A field is invalid"),
            ApiError::PhotoTooLarge => p(
                413,
                "photo_too_large",
                "The photo is larger than 5 MiB or 4096 pixels on a side",
            ),
            ApiError::PhotoInvalid => {
                p(422, "photo_invalid", "The photo is not a JPEG or PNG image")
            }
            ApiError::StudentNotFound => p(404, "student_not_found", "No such student"),
            ApiError::CredentialNotFound => p(404, "credential_not_found", "No such credential"),
            ApiError::ActivationNotFound => p(404, "activation_not_found", "No such activation"),
            ApiError::StatusListNotFound => p(404, "status_list_not_found", "No such status list"),
            ApiError::UploadTokenInvalid => {
                p(404, "upload_token_invalid", "The upload token is not valid")
            }
            ApiError::PhotoNotAccepted => p(
                409,
                "photo_not_accepted",
                "The student has no accepted photo",
            ),
            ApiError::NoPendingPhoto => p(409, "no_pending_photo", "No photo waits for a decision"),
            ApiError::StudentDataMissing => p(
                409,
                "student_data_missing",
                "The student's data was deleted; submit it again",
            ),
            ApiError::PaperIdExpired => {
                p(409, "paper_id_expired", "The paper school ID has expired")
            }
            ApiError::ActivationExpired => {
                p(410, "activation_expired", "The activation has expired")
            }
            ApiError::ActivationUsed => {
                p(410, "activation_used", "The activation was already used")
            }
            ApiError::ActivationSuperseded => p(
                410,
                "activation_superseded",
                "A newer activation replaced this one",
            ),
            ApiError::ActivationLocked => p(
                423,
                "activation_locked",
                "Too many wrong codes: the activation is locked",
            ),
            ApiError::CodeInvalid { .. } => {
                p(403, "activation_code_invalid", "Wrong activation code")
            }
            ApiError::ChallengeInvalid => {
                p(403, "challenge_invalid", "Unknown or expired challenge")
            }
            ApiError::ProofInvalid => p(
                403,
                "proof_invalid",
                "The proof of possession does not verify",
            ),
            ApiError::AlreadyRevoked => {
                p(409, "already_revoked", "The credential is already revoked")
            }
            ApiError::InBatch(_, inner) => inner.parts(),
            ApiError::SessionNotFound => p(
                404,
                "session_not_found",
                "No such session: it ended, expired or never was",
            ),
            ApiError::SessionTokenInvalid => p(
                403,
                "session_token_invalid",
                "The session's receive token is missing or wrong",
            ),
            ApiError::ResponseAlreadyPosted => p(
                409,
                "response_already_posted",
                "The session already has its response",
            ),
            ApiError::RequestInvalid(_) => p(
                422,
                "request_invalid",
                "The body is not a presentation request with a response key",
            ),
            ApiError::ResponseInvalid(_) => p(
                422,
                "response_invalid",
                "The body is not an encrypted response",
            ),
            ApiError::TooManyRequests { .. } => p(
                429,
                "too_many_requests",
                "Too many requests from this address: wait and try again",
            ),
            ApiError::RelayFull => p(503, "relay_full", "The relay is full: try again later"),
            ApiError::Unavailable => p(503, "unavailable", "The server is shutting down"),
            ApiError::Internal(_) => p(500, "internal_error", "Internal error"),
        }
    }

    /// Extra members of the problem object (field names and counts, never input values).
    pub(crate) fn extra(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            ApiError::MissingField(field) | ApiError::InvalidField { field, .. } => {
                vec![("field", (*field).into())]
            }
            ApiError::CodeInvalid { attempts_left } => {
                vec![("attempts_left", (*attempts_left).into())]
            }
            ApiError::RequestInvalid(reason) | ApiError::ResponseInvalid(reason) => {
                vec![("reason", (*reason).into())]
            }
            ApiError::TooManyRequests { retry_after } => {
                vec![("retry_after", (*retry_after).into())]
            }
            ApiError::InBatch(index, inner) => {
                let mut v = inner.extra();
                v.push(("index", (*index).into()));
                v
            }
            _ => Vec::new(),
        }
    }
}

/// What [`ApiError::Internal`] says of a transaction that lost a race with another and
/// may succeed if run again ([`crate::store::StoreError::is_retryable`]).
pub(crate) const RETRY: &str = "database conflict";

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_retryable() {
            tracing::debug!(error = %e, "transaction to run again");
            return ApiError::Internal(RETRY);
        }
        // A StoreError holds no value or message: its kind and code are safe to log.
        tracing::error!(error = %e, "database error");
        ApiError::Internal("database")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl core::error::Error for ApiError {}
