//! The request and response types of the handlers, and the JSON bodies they parse.

use super::*;

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

/// Registration body (spec §11 claims; dates `YYYY-MM-DD`; photo base64 JPEG or PNG).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterBody {
    pub(crate) family_name: Option<String>,
    pub(crate) given_names: Option<String>,
    pub(crate) document_number: Option<String>,
    pub(crate) issue_date: Option<String>,
    pub(crate) expiry_date: Option<String>,
    pub(crate) birth_date: Option<String>,
    pub(crate) pesel: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) school_name: Option<String>,
    pub(crate) school_address: Option<String>,
    pub(crate) school_id: Option<String>,
    pub(crate) photo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadBody {
    pub(crate) upload_token: Option<String>,
    pub(crate) photo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectBody {
    pub(crate) reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchBody {
    pub(crate) class_name: Option<String>,
    pub(crate) student_ids: Option<Vec<String>>,
    pub(crate) lang: Option<String>,
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
pub(crate) struct ActivateBody {
    pub(crate) code: Option<String>,
    pub(crate) challenge: Option<String>,
    pub(crate) device_keys: Option<Vec<String>>,
    pub(crate) proofs: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeBody {
    pub(crate) reason: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct NewActivation {
    pub(crate) student_id: String,
    pub(crate) activation_id: String,
    pub(crate) code: String,
    pub(crate) qr_payload: String,
    pub(crate) qr_svg: String,
    pub(crate) expires_at: u64,
}

/// An activation being used, with its student, read under their row locks.
pub(crate) struct ActivationRow {
    pub(crate) student: i64,
    pub(crate) expires_at: i64,
    pub(crate) failures: u32,
    pub(crate) state: ActivationState,
    pub(crate) code_mac: Vec<u8>,
    pub(crate) school: i64,
    pub(crate) claims: Option<String>,
    pub(crate) photo: Option<Vec<u8>>,
    pub(crate) photo_state: PhotoState,
    pub(crate) public_id: String,
}
