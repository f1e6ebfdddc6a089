//! The relay routes of the online presentation (spec §18.7), for both sides: the verifier
//! makes a session and receives the response, the holder fetches the request (by the
//! engagement URI's session id, or by the six-digit code) and posts its response.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mlegit::online::{Engagement, MAX_RESPONSE_LEN};

use crate::{Client, ClientError, Connector};

/// What the relay answers a verifier that made a session.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id.
    pub session_id: [u8; 16],
    /// The six-digit code, as the student types it.
    pub code: String,
    /// The bearer token that receives the response and ends the session.
    pub receive_token: String,
    /// When the relay ends the session at the latest (Unix seconds).
    pub expires_at: u64,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &URL_SAFE_NO_PAD.encode(self.session_id))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A request as a holder fetched it from the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedRequest {
    /// The session id (from the relay: the engagement URI's, or the code's session).
    pub session_id: [u8; 16],
    /// The request's bytes, exactly as the verifier gave them: check them with
    /// `RequestChecker::check`, then E1–E2 (spec §18.1); their SHA-256 is the binding's
    /// request digest (spec §18.2).
    pub request: Vec<u8>,
    /// When the session ends at the latest (Unix seconds).
    pub expires_at: u64,
}

/// The largest JSON answer of a fetch: a 2048-byte request in base64url and the rest.
const MAX_FETCH_RESPONSE: usize = 8 * 1024;

fn sid_text(sid: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(sid)
}

fn field<'a>(v: &'a serde_json::Value, name: &str) -> Result<&'a str, ClientError> {
    v.get(name)
        .and_then(|x| x.as_str())
        .ok_or(ClientError::Protocol("a relay answer lacks a field"))
}

fn sid_of(text: &str) -> Result<[u8; 16], ClientError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .ok_or(ClientError::Protocol(
            "a relay answer's session id is not 16 bytes",
        ))
}

fn fetched(body: &serde_json::Value) -> Result<FetchedRequest, ClientError> {
    let request = URL_SAFE_NO_PAD
        .decode(field(body, "request")?)
        .map_err(|_| ClientError::Protocol("a relay answer's request is not base64url"))?;
    Ok(FetchedRequest {
        session_id: sid_of(field(body, "session_id")?)?,
        request,
        expires_at: body
            .get("expires_at")
            .and_then(serde_json::Value::as_u64)
            .ok_or(ClientError::Protocol("a relay answer lacks expires_at"))?,
    })
}

impl Client {
    /// Verifier: `POST /v1/sessions` with the request's bytes (signed or unsigned, with
    /// a response key): a session for a few minutes, its code and its receive token.
    pub fn create_session(&self, request: &[u8]) -> Result<Session, ClientError> {
        let r = self
            .request(
                "POST",
                "/v1/sessions",
                Some("application/cbor"),
                request,
                &[],
            )?
            .success()?;
        let v = r.json()?;
        let code = field(&v, "code")?;
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ClientError::Protocol(
                "a relay answer's code is not six digits",
            ));
        }
        Ok(Session {
            session_id: sid_of(field(&v, "session_id")?)?,
            code: code.to_owned(),
            receive_token: field(&v, "receive_token")?.to_owned(),
            expires_at: v
                .get("expires_at")
                .and_then(serde_json::Value::as_u64)
                .ok_or(ClientError::Protocol("a relay answer lacks expires_at"))?,
        })
    }

    /// Holder: `GET /v1/sessions/{session_id}`, the request of a session.
    pub fn fetch_session(&self, session_id: &[u8; 16]) -> Result<FetchedRequest, ClientError> {
        let path = format!("/v1/sessions/{}", sid_text(session_id));
        let r = self
            .exchange("GET", &path, None, &[], &[], MAX_FETCH_RESPONSE)?
            .success()?;
        let f = fetched(&r.json()?)?;
        if f.session_id != *session_id {
            return Err(ClientError::Protocol(
                "the relay answered for another session",
            ));
        }
        Ok(f)
    }

    /// Holder: `GET /v1/codes/{code}`, the session a typed six-digit code names. The code
    /// is spent by the lookup.
    pub fn lookup_code(&self, code: &str) -> Result<FetchedRequest, ClientError> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ClientError::InvalidUrl("a session code is six digits"));
        }
        let r = self
            .exchange(
                "GET",
                &format!("/v1/codes/{code}"),
                None,
                &[],
                &[],
                MAX_FETCH_RESPONSE,
            )?
            .success()?;
        fetched(&r.json()?)
    }

    /// Holder: `POST /v1/sessions/{session_id}/response`, the encrypted response
    /// (`mlegit::online::seal`).
    pub fn post_response(&self, session_id: &[u8; 16], response: &[u8]) -> Result<(), ClientError> {
        let path = format!("/v1/sessions/{}/response", sid_text(session_id));
        self.request(
            "POST",
            &path,
            Some("application/cose; cose-type=\"cose-encrypt0\""),
            response,
            &[],
        )?
        .success()?;
        Ok(())
    }

    /// Verifier: `GET /v1/sessions/{session_id}/response?wait=N`: the encrypted response,
    /// or `None` if none came within `wait` seconds (at most 25; the relay cuts longer
    /// waits). Delivering it ends the session.
    pub fn receive_response(
        &self,
        session: &Session,
        wait: u64,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        let path = format!(
            "/v1/sessions/{}/response?wait={}",
            sid_text(&session.session_id),
            wait.min(25)
        );
        let auth = format!("Bearer {}", session.receive_token);
        let r = self
            .exchange(
                "GET",
                &path,
                None,
                &[],
                &[("Authorization", &auth)],
                MAX_RESPONSE_LEN,
            )?
            .success()?;
        Ok((r.status == 200).then_some(r.body))
    }

    /// Verifier: `DELETE /v1/sessions/{session_id}`: ends the session at once.
    pub fn end_session(&self, session: &Session) -> Result<(), ClientError> {
        let path = format!("/v1/sessions/{}", sid_text(&session.session_id));
        let auth = format!("Bearer {}", session.receive_token);
        self.request("DELETE", &path, None, &[], &[("Authorization", &auth)])?
            .success()?;
        Ok(())
    }
}

impl Connector {
    /// Holder: reads an engagement URI (spec §18.1) and fetches its session's request
    /// from the relay it names. Check the request, then `engagement.check(&checked)`.
    pub fn fetch_engagement(
        &self,
        uri: &str,
    ) -> Result<(Engagement, Client, FetchedRequest), ClientError> {
        let engagement =
            Engagement::parse(uri).map_err(|_| ClientError::InvalidUrl("not an engagement URI"))?;
        let client = self.client(&engagement.relay_origin)?;
        let fetched = client.fetch_session(&engagement.session_id)?;
        Ok((engagement, client, fetched))
    }
}
