//! The relay of the online presentation (spec §18.7): a verifier leaves a request for a
//! few minutes under a random session id and a six-digit code, a phone fetches it and
//! leaves one encrypted response (spec §18.3), the verifier takes the response away.
//!
//! Everything lives in memory and nowhere else: no table, no file, no log line names a
//! session, a code or a client (the HTTP layer logs route templates, statuses and
//! latencies). What the relay holds is what it could read anyway: the request (which the
//! phone shows, and which carries no personal data of the student) and the response's
//! ciphertext. A session ends when its response is delivered, when the verifier ends it,
//! or [`SESSION_LIFETIME`] seconds after it was made; its bytes are dropped then.
//!
//! Code lookups and session creations are rate-limited per client address (an IPv6
//! address by its /64), so that guessing six-digit codes finds nothing live in practice
//! (spec §18.4).

use core::net::IpAddr;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use crate::app::{ApiRequest, ApiResponse};
use crate::clock::Clock;
use crate::error::ApiError;
use crate::routes::RouteId;

/// Seconds a session lives.
pub const SESSION_LIFETIME: u64 = 180;
/// Most live sessions.
pub const MAX_SESSIONS: usize = 4096;
/// Most bytes of responses held at once (64 MiB).
pub const MAX_HELD_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Largest request a session takes: a signed request's cap (spec §7.6 A1).
pub const MAX_REQUEST_LEN: usize = mlegit::MAX_SIGNED_REQUEST_LEN;
/// Code lookups one client address may make per window.
pub const CODE_LOOKUPS_PER_WINDOW: u32 = 10;
/// Sessions one client address may make per window.
pub const SESSIONS_PER_WINDOW: u32 = 30;
/// The rate-limit window, in seconds.
pub const WINDOW: u64 = 60;
/// Most client addresses the rate limiter tracks at once; past that, new addresses are
/// refused until a window ends (it fails closed).
pub const MAX_TRACKED_ADDRESSES: usize = 65_536;
/// Longest wait of a receive (long poll), in seconds.
pub const MAX_WAIT: u64 = 25;

/// The relay's rate limits, per client address and [`WINDOW`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Code lookups, hits and misses ([`CODE_LOOKUPS_PER_WINDOW`] by default).
    pub code_lookups: u32,
    /// Sessions made ([`SESSIONS_PER_WINDOW`] by default).
    pub sessions: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            code_lookups: CODE_LOOKUPS_PER_WINDOW,
            sessions: SESSIONS_PER_WINDOW,
        }
    }
}

/// One live session.
struct Session {
    request: Vec<u8>,
    /// The code, until a holder looks it up (single use).
    code: Option<u32>,
    /// SHA-256 of the receive token's text: the token itself is not kept.
    token_digest: [u8; 32],
    expires_at: u64,
    response: Option<Vec<u8>>,
    answered: bool,
    notify: Arc<Notify>,
}

/// A client address's use of one limited operation in the current window.
#[derive(Clone, Copy)]
struct Window {
    started: u64,
    used: u32,
}

/// One rate limit's counters.
#[derive(Default)]
struct Limiter {
    windows: HashMap<IpAddr, Window>,
    swept_at: u64,
}

#[derive(Default)]
struct State {
    limits: Limits,
    sessions: HashMap<[u8; 16], Session>,
    codes: HashMap<u32, [u8; 16]>,
    held_bytes: usize,
    lookups: Limiter,
    creations: Limiter,
}

/// The relay's state.
pub struct Relay {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn crate::random::Random>,
}

impl core::fmt::Debug for Relay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Relay").finish_non_exhaustive()
    }
}

/// What `POST /v1/sessions` answers.
#[derive(Serialize)]
pub struct Created {
    /// The session id, base64url without padding (22 characters).
    pub session_id: String,
    /// The six-digit code.
    pub code: String,
    /// The bearer token that receives the response and ends the session, base64url.
    pub receive_token: String,
    /// When the session ends at the latest (Unix seconds).
    pub expires_at: u64,
}

/// What a holder fetches: the request and its session.
#[derive(Serialize)]
pub struct Fetched {
    /// The session id, base64url without padding.
    pub session_id: String,
    /// The request's bytes, base64url without padding, exactly as the verifier gave them.
    pub request: String,
    /// When the session ends at the latest (Unix seconds).
    pub expires_at: u64,
}

/// The result of a receive.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// The encrypted response; the session has ended.
    Response(Vec<u8>),
    /// None yet: ask again.
    Nothing,
}

/// The rate-limit key of a client address: IPv4 as it is, IPv6 by its /64 (one host
/// holds a whole /64 as easily as one address).
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        // An IPv4 client of a dual-stack listener (::ffff:a.b.c.d) counts as itself.
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => IpAddr::V4(
            v6.to_ipv4_mapped()
                .unwrap_or(core::net::Ipv4Addr::UNSPECIFIED),
        ),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(core::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// Counts one use by `ip` at `now` against `limit` per [`WINDOW`]; the error says how
/// many seconds until the window ends.
fn charge(limiter: &mut Limiter, ip: IpAddr, now: u64, limit: u32) -> Result<(), ApiError> {
    // Counters of ended windows are dropped once a window: an address is held at most
    // two windows after its last request.
    if now >= limiter.swept_at.saturating_add(WINDOW) {
        limiter
            .windows
            .retain(|_, w| now < w.started.saturating_add(WINDOW));
        limiter.swept_at = now;
    }
    let table = &mut limiter.windows;
    let key = limit_key(ip);
    if !table.contains_key(&key) && table.len() >= MAX_TRACKED_ADDRESSES {
        table.retain(|_, w| now < w.started.saturating_add(WINDOW));
        if table.len() >= MAX_TRACKED_ADDRESSES {
            return Err(ApiError::TooManyRequests {
                retry_after: WINDOW,
            });
        }
    }
    let w = table.entry(key).or_insert(Window {
        started: now,
        used: 0,
    });
    if now >= w.started.saturating_add(WINDOW) {
        *w = Window {
            started: now,
            used: 0,
        };
    }
    if w.used >= limit {
        let retry_after = w.started.saturating_add(WINDOW).saturating_sub(now).max(1);
        return Err(ApiError::TooManyRequests { retry_after });
    }
    w.used += 1;
    Ok(())
}

fn session_id(text: &str) -> Result<[u8; 16], ApiError> {
    // One text form per id: 22 characters, canonical base64url (spec §18.1).
    if text.len() != 22 {
        return Err(ApiError::SessionNotFound);
    }
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .ok_or(ApiError::SessionNotFound)
}

fn code_number(text: &str) -> Result<u32, ApiError> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::SessionNotFound);
    }
    text.parse().map_err(|_| ApiError::SessionNotFound)
}

impl Relay {
    /// An empty relay on `clock`, drawing session ids, tokens and codes from `random`.
    pub fn new(clock: Arc<dyn Clock>, random: Arc<dyn crate::random::Random>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            clock,
            random,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change below is made whole under the lock; a panic cannot leave it half done.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the rate limits (a load run from one address raises them; the defaults are
    /// what spec §18.4's arithmetic assumes).
    pub fn set_limits(&self, limits: Limits) {
        self.state().limits = limits;
    }

    /// Sessions alive now (for tests and the load run).
    pub fn live_sessions(&self) -> usize {
        let now = self.clock.now();
        let mut state = self.state();
        sweep(&mut state, now);
        state.sessions.len()
    }

    /// `POST /v1/sessions`: keeps `request` (an unsigned or signed presentation request
    /// that carries a response key, spec §7, §18.1) for [`SESSION_LIFETIME`] seconds.
    pub fn create(&self, request: &[u8], client: IpAddr) -> Result<Created, ApiError> {
        if request.len() > MAX_REQUEST_LEN {
            return Err(ApiError::BodyTooLarge);
        }
        // A signed request is a COSE_Sign1 (an array), an unsigned one a map (spec §7).
        let signed = request.first().is_some_and(|b| b >> 5 == 4);
        let decoded = if signed {
            mlegit::PresentationRequest::from_signed_unverified(request)
        } else {
            mlegit::PresentationRequest::from_slice(request)
        }
        .map_err(|e| ApiError::RequestInvalid(e.code()))?;
        if decoded.response_key.is_none() {
            // E1 (spec §18.1): a holder would refuse it; refuse it first.
            return Err(ApiError::RequestInvalid(mlegit::Error::MissingField.code()));
        }
        let now = self.clock.now();
        let mut sid = [0u8; 16];
        self.random.fill(&mut sid);
        let mut token = [0u8; 32];
        self.random.fill(&mut token);
        let token = URL_SAFE_NO_PAD.encode(token);
        let mut state = self.state();
        let limit = state.limits.sessions;
        charge(&mut state.creations, client, now, limit)?;
        sweep(&mut state, now);
        if state.sessions.len() >= MAX_SESSIONS {
            return Err(ApiError::RelayFull);
        }
        // At most MAX_SESSIONS of the 10^6 codes are taken: a draw finds a free one at
        // once but for at most 0.41 % of the time.
        let code = loop {
            let c =
                u32::try_from(crate::random::below(self.random.as_ref(), 1_000_000)).unwrap_or(0);
            if !state.codes.contains_key(&c) {
                break c;
            }
        };
        let expires_at = now.saturating_add(SESSION_LIFETIME);
        state.codes.insert(code, sid);
        state.sessions.insert(
            sid,
            Session {
                request: request.to_vec(),
                code: Some(code),
                token_digest: Sha256::digest(token.as_bytes()).into(),
                expires_at,
                response: None,
                answered: false,
                notify: Arc::new(Notify::new()),
            },
        );
        Ok(Created {
            session_id: URL_SAFE_NO_PAD.encode(sid),
            code: format!("{code:06}"),
            receive_token: token,
            expires_at,
        })
    }

    /// `GET /v1/sessions/{session_id}`: the request of a live session.
    pub fn fetch(&self, session: &str) -> Result<Fetched, ApiError> {
        let sid = session_id(session)?;
        let now = self.clock.now();
        let mut state = self.state();
        sweep(&mut state, now);
        let s = state
            .sessions
            .get_mut(&sid)
            .ok_or(ApiError::SessionNotFound)?;
        // Engaged by its id (the QR): the code has done its work, and left live it would
        // let a guesser answer first.
        let code = s.code.take();
        let fetched = Fetched {
            session_id: URL_SAFE_NO_PAD.encode(sid),
            request: URL_SAFE_NO_PAD.encode(&s.request),
            expires_at: s.expires_at,
        };
        if let Some(code) = code {
            state.codes.remove(&code);
        }
        Ok(fetched)
    }

    /// `GET /v1/codes/{code}`: the session a six-digit code names, once (the code is spent
    /// by the lookup). Rate-limited per client address, the misses with the hits.
    pub fn lookup(&self, code: &str, client: IpAddr) -> Result<Fetched, ApiError> {
        let now = self.clock.now();
        let mut state = self.state();
        let limit = state.limits.code_lookups;
        charge(&mut state.lookups, client, now, limit)?;
        let code = code_number(code)?;
        sweep(&mut state, now);
        let sid = state.codes.remove(&code).ok_or(ApiError::SessionNotFound)?;
        let s = state
            .sessions
            .get_mut(&sid)
            .ok_or(ApiError::SessionNotFound)?;
        s.code = None;
        Ok(Fetched {
            session_id: URL_SAFE_NO_PAD.encode(sid),
            request: URL_SAFE_NO_PAD.encode(&s.request),
            expires_at: s.expires_at,
        })
    }

    /// `POST /v1/sessions/{session_id}/response`: keeps the one encrypted response of a
    /// live session, after checking its envelope (O1, O2 of spec §18.3).
    pub fn respond(&self, session: &str, response: &[u8]) -> Result<(), ApiError> {
        let sid = session_id(session)?;
        mlegit::online::check_envelope(response)
            .map_err(|e| ApiError::ResponseInvalid(e.code()))?;
        let now = self.clock.now();
        let mut state = self.state();
        sweep(&mut state, now);
        let held = state.held_bytes;
        let s = state
            .sessions
            .get_mut(&sid)
            .ok_or(ApiError::SessionNotFound)?;
        if s.answered {
            return Err(ApiError::ResponseAlreadyPosted);
        }
        if held.saturating_add(response.len()) > MAX_HELD_RESPONSE_BYTES {
            return Err(ApiError::RelayFull);
        }
        s.answered = true;
        s.response = Some(response.to_vec());
        let notify = Arc::clone(&s.notify);
        let code = s.code.take();
        if let Some(code) = code {
            state.codes.remove(&code);
        }
        state.held_bytes = held + response.len();
        notify.notify_waiters();
        Ok(())
    }

    /// Checks the receive token of a live session; its notifier.
    fn authorised(&self, sid: &[u8; 16], token: Option<&str>) -> Result<Arc<Notify>, ApiError> {
        let now = self.clock.now();
        let mut state = self.state();
        sweep(&mut state, now);
        let s = state.sessions.get(sid).ok_or(ApiError::SessionNotFound)?;
        let given: [u8; 32] = Sha256::digest(token.unwrap_or("").as_bytes()).into();
        if !bool::from(given.ct_eq(&s.token_digest)) {
            return Err(ApiError::SessionTokenInvalid);
        }
        Ok(Arc::clone(&s.notify))
    }

    /// Takes the response, if there is one: the session ends.
    fn take(&self, sid: &[u8; 16]) -> Received {
        let mut state = self.state();
        let has = state
            .sessions
            .get(sid)
            .is_some_and(|s| s.response.is_some());
        if !has {
            return Received::Nothing;
        }
        match end(&mut state, sid).and_then(|s| s.response) {
            Some(r) => Received::Response(r),
            None => Received::Nothing,
        }
    }

    /// `GET /v1/sessions/{session_id}/response?wait=N` with the receive token: the
    /// response if it has come, else waits up to `wait` seconds ([`MAX_WAIT`] at most,
    /// never past the session's end) for it. Delivering it ends the session.
    pub async fn receive(
        &self,
        session: &str,
        token: Option<&str>,
        wait: u64,
    ) -> Result<Received, ApiError> {
        let sid = session_id(session)?;
        let notify = self.authorised(&sid, token)?;
        // Registered before the check, so that a response posted in between wakes it.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Received::Response(r) = self.take(&sid) {
            return Ok(Received::Response(r));
        }
        let left = {
            let state = self.state();
            let now = self.clock.now();
            state
                .sessions
                .get(&sid)
                .map_or(0, |s| s.expires_at.saturating_sub(now))
        };
        let wait = wait.min(MAX_WAIT).min(left);
        if wait > 0 {
            let _ = tokio::time::timeout(Duration::from_secs(wait), notified).await;
        }
        match self.take(&sid) {
            Received::Response(r) => Ok(Received::Response(r)),
            Received::Nothing => {
                // Gone while waiting: ended by its verifier, or expired.
                let now = self.clock.now();
                let mut state = self.state();
                sweep(&mut state, now);
                if state.sessions.contains_key(&sid) {
                    Ok(Received::Nothing)
                } else {
                    Err(ApiError::SessionNotFound)
                }
            }
        }
    }

    /// `DELETE /v1/sessions/{session_id}` with the receive token: ends the session now.
    pub fn end(&self, session: &str, token: Option<&str>) -> Result<(), ApiError> {
        let sid = session_id(session)?;
        let notify = self.authorised(&sid, token)?;
        end(&mut self.state(), &sid);
        notify.notify_waiters();
        Ok(())
    }
}

/// Removes a session, its code and its held bytes.
fn end(state: &mut State, sid: &[u8; 16]) -> Option<Session> {
    let s = state.sessions.remove(sid)?;
    if let Some(code) = s.code {
        state.codes.remove(&code);
    }
    if let Some(r) = &s.response {
        state.held_bytes = state.held_bytes.saturating_sub(r.len());
    }
    s.notify.notify_waiters();
    Some(s)
}

/// Ends every session whose time is up.
fn sweep(state: &mut State, now: u64) {
    let expired: Vec<[u8; 16]> = state
        .sessions
        .iter()
        .filter(|(_, s)| now >= s.expires_at)
        .map(|(sid, _)| *sid)
        .collect();
    for sid in expired {
        end(state, &sid);
    }
}

/// The media type of an encrypted response (RFC 9052 §2).
pub const RESPONSE_TYPE: &str = "application/cose; cose-type=\"cose-encrypt0\"";

/// Answers a relay route (`RouteId::is_relay`).
pub async fn handle(
    relay: &Relay,
    route: RouteId,
    req: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let client = req
        .client
        .unwrap_or(IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED));
    let param = |i: usize| req.params.get(i).map_or("", String::as_str);
    match route {
        RouteId::CreateSession => ApiResponse::json(201, &relay.create(&req.body, client)?),
        RouteId::FetchSession => ApiResponse::json(200, &relay.fetch(param(0))?),
        RouteId::LookupCode => ApiResponse::json(200, &relay.lookup(param(0), client)?),
        RouteId::PostResponse => {
            relay.respond(param(0), &req.body)?;
            ApiResponse::json(202, &serde_json::json!({"status": "accepted"}))
        }
        RouteId::ReceiveResponse => {
            let wait = wait_seconds(&req.query)?;
            match relay.receive(param(0), req.bearer.as_deref(), wait).await? {
                Received::Response(r) => Ok(ApiResponse::bytes(200, RESPONSE_TYPE, r)),
                Received::Nothing => Ok(ApiResponse::bytes(204, "application/json", Vec::new())),
            }
        }
        RouteId::EndSession => {
            relay.end(param(0), req.bearer.as_deref())?;
            Ok(ApiResponse::bytes(204, "application/json", Vec::new()))
        }
        _ => Err(ApiError::NotFound),
    }
}

/// `wait=N` of the query (0 if absent): 0 to 25 is used as it is, more is cut to 25.
fn wait_seconds(query: &str) -> Result<u64, ApiError> {
    let invalid = ApiError::InvalidField {
        field: "wait",
        code: "invalid_wait",
    };
    let mut wait = 0;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("wait", n))
                if !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) =>
            {
                wait = n.parse().map_err(|_| ApiError::InvalidField {
                    field: "wait",
                    code: "invalid_wait",
                })?;
            }
            _ => return Err(invalid),
        }
    }
    Ok(wait.min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_as_one_client_each() {
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(limit_key(mapped), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_key(a), limit_key(b));
        assert_ne!(limit_key(a), limit_key(other));
    }

    #[test]
    fn ended_windows_are_forgotten() {
        let mut limiter = Limiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            charge(&mut limiter, ip, 1_000, 3).unwrap();
        }
        assert!(matches!(
            charge(&mut limiter, ip, 1_059, 3),
            Err(ApiError::TooManyRequests { retry_after: 1 })
        ));
        charge(&mut limiter, ip, 1_060, 3).unwrap();
        // Another address two windows later: the first one's counter is gone.
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        charge(&mut limiter, other, 1_200, 3).unwrap();
        assert!(!limiter.windows.contains_key(&ip));
    }
}
