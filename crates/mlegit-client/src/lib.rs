//! # mlegit-client: the wallet's and the verifier's side of the reference server's HTTP API
//!
//! A small blocking client (std threads and sockets, no async runtime) for what a phone or
//! a verifier asks an issuer: a status list token (spec §9), the issuer trust list (spec
//! §10) and the wallet activation (challenge, proof of possession, credential). It needs
//! neither the server nor SQLite.
//!
//! - **HTTPS by default**, through rustls with Mozilla's roots compiled in
//!   ([`Connector::new`]), or only the CA certificates you give ([`Connector::with_ca_pem`]).
//!   Plain `http://` is refused unless allowed explicitly ([`Connector::allow_plain_http`]).
//! - **Bounded reads**: every response is read up to the cap of the object it should hold
//!   plus one byte (a status list token at most [`MAX_STATUS_LIST`] bytes, the verifier's
//!   default for step L1), and a longer one ends in [`ClientError::ResponseTooLarge`], whose
//!   code is the spec's `input_too_large`: an endless chunked body or a huge
//!   `Content-Length` costs at most the cap in memory.
//! - **Timeouts**: one for connecting (per address) and one for the whole exchange, so a
//!   server that drips one byte at a time cannot hold the caller past it.
//!
//! ```no_run
//! use mlegit_client::Connector;
//! # fn run() -> Result<(), mlegit_client::ClientError> {
//! let connector = Connector::new();
//! // The list the credential's status reference names: the whole list, the same bytes for
//! // every verifier, so the issuer does not learn whose credential is checked.
//! let fetched = connector.status_list("https://issuer.example/v1/status-lists/1", None)?;
//! // ... then Verifier::verify_status_list(&token, ...) checks it, and check_status looks
//! // the credential's entry up, for as long as the list is fresh.
//! # let _ = fetched;
//! # Ok(()) }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod relay;
#[cfg(feature = "test-ca")]
pub mod test_ca;
mod url;
mod wire;

use core::fmt;
use core::time::Duration;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mlegit::cbor::{self, Value};
use mlegit::{Disclosure, Signer, TrustList};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

pub use relay::{FetchedRequest, Session};
pub use url::{BaseUrl, Scheme};
pub use wire::{HttpResponse, MAX_HEAD};

/// Largest status list token read: the verifier's default token cap (spec §12.4, L1).
pub const MAX_STATUS_LIST: usize = mlegit::status_list::DEFAULT_MAX_TOKEN;
/// Largest trust list read: 64 keys (spec §10) fit in far less.
pub const MAX_TRUST_LIST: usize = 64 * 1024;
/// Largest activation response read: a batch of 64 credentials (spec §19.1) and their
/// disclosures, each with a portrait of up to 16 KiB.
pub const MAX_ACTIVATION_RESPONSE: usize = 2 * 1024 * 1024;
/// Largest JSON answer read (challenges, registrations, errors).
pub const MAX_JSON_RESPONSE: usize = 64 * 1024;
/// Largest error body read on any route.
pub const MAX_ERROR_BODY: usize = 16 * 1024;
/// Default connect timeout, per address tried.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of a whole exchange: connect, TLS handshake, request and response.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a client call failed. [`ClientError::code`] gives a stable name for each.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be used (the reason says why).
    InvalidUrl(&'static str),
    /// The URL is `http://` and plain HTTP was not allowed.
    PlainHttpRefused,
    /// The CA certificates given are unusable (none found, or not PEM certificates).
    CaCertificates(&'static str),
    /// The host name did not resolve.
    Resolve(std::io::Error),
    /// No address of the host accepted a connection.
    Connect(std::io::Error),
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// The exchange took longer than the total timeout.
    Timeout,
    /// The TLS handshake or record layer failed (an untrusted certificate, a name that
    /// does not match, ...).
    Tls(rustls::Error),
    /// Sending or receiving failed after connecting.
    Io(std::io::Error),
    /// The response body is longer than the object it should hold may be; reading stopped
    /// at `limit` + 1 bytes (spec S1, §14.10: `input_too_large`).
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The response is not well-formed HTTP/1.1.
    Malformed(&'static str),
    /// The server answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// The problem's stable code (`activation_used`, ...), or empty; only
        /// `[a-z0-9_]`, at most 64 characters, so it is safe to print.
        code: String,
    },
    /// The response is HTTP, but not what the protocol expects.
    Protocol(&'static str),
}

impl ClientError {
    /// A stable name for the kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::InvalidUrl(_) => "invalid_url",
            ClientError::PlainHttpRefused => "plain_http_refused",
            ClientError::CaCertificates(_) => "ca_certificates_invalid",
            ClientError::Resolve(_) => "resolve_failed",
            ClientError::Connect(_) => "connect_failed",
            ClientError::ConnectTimeout => "connect_timeout",
            ClientError::Timeout => "timeout",
            ClientError::Tls(_) => "tls_failed",
            ClientError::Io(_) => "io_failed",
            ClientError::ResponseTooLarge { .. } => "input_too_large",
            ClientError::Malformed(_) => "malformed_response",
            ClientError::Status { .. } => "server_error",
            ClientError::Protocol(_) => "unexpected_response",
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            ClientError::PlainHttpRefused => {
                f.write_str("plain http:// refused (use https://, or allow plain HTTP explicitly)")
            }
            ClientError::CaCertificates(why) => write!(f, "CA certificates: {why}"),
            ClientError::Resolve(e) => write!(f, "host name lookup failed: {e}"),
            ClientError::Connect(e) => write!(f, "connection failed: {e}"),
            ClientError::ConnectTimeout => f.write_str("connection timed out"),
            ClientError::Timeout => f.write_str("the server did not answer in time"),
            ClientError::Tls(e) => write!(f, "TLS failed: {e}"),
            ClientError::Io(e) => write!(f, "connection failed: {e}"),
            ClientError::ResponseTooLarge { limit } => {
                write!(f, "response larger than {limit} bytes (input_too_large)")
            }
            ClientError::Malformed(what) => write!(f, "malformed HTTP response: {what}"),
            ClientError::Status { status, code } if code.is_empty() => {
                write!(f, "server answered {status}")
            }
            ClientError::Status { status, code } => write!(f, "server answered {status} {code}"),
            ClientError::Protocol(what) => write!(f, "unexpected response: {what}"),
        }
    }
}

impl core::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ClientError::Resolve(e) | ClientError::Connect(e) | ClientError::Io(e) => Some(e),
            ClientError::Tls(e) => Some(e),
            _ => None,
        }
    }
}

/// How to reach servers: the TLS roots, whether plain HTTP is allowed, the timeouts.
/// Cheap to clone; one per program is enough.
#[derive(Clone)]
pub struct Connector {
    tls: Arc<rustls::ClientConfig>,
    allow_http: bool,
    connect_timeout: Duration,
    total_timeout: Duration,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("allow_http", &self.allow_http)
            .field("connect_timeout", &self.connect_timeout)
            .field("total_timeout", &self.total_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Connector {
    fn default() -> Self {
        Self::new()
    }
}

impl Connector {
    /// HTTPS only, trusting Mozilla's root CAs (webpki-roots), default timeouts.
    pub fn new() -> Self {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots)
    }

    /// HTTPS only, trusting only the CA certificates in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks): for an issuer with a private CA.
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|_| ClientError::CaCertificates("not a PEM certificate list"))?;
            roots
                .add(cert)
                .map_err(|_| ClientError::CaCertificates("a certificate is not a usable CA"))?;
        }
        if roots.is_empty() {
            return Err(ClientError::CaCertificates("no certificate found"));
        }
        Ok(Self::with_roots(roots))
    }

    fn with_roots(roots: rustls::RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        #[allow(
            clippy::expect_used,
            reason = "the ring provider implements TLS 1.2 and 1.3, the safe defaults"
        )]
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("safe: ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            tls: Arc::new(config),
            allow_http: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
        }
    }

    /// Allows `http://` URLs: only for a server on loopback, or one behind a TLS
    /// terminating proxy reached over a trusted network. Off by default.
    #[must_use]
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The connect timeout, per address tried (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of a whole exchange (default 30 s).
    #[must_use]
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// A client of the server at `base_url` (`https://host[:port][/prefix]`).
    pub fn client(&self, base_url: &str) -> Result<Client, ClientError> {
        let base = BaseUrl::parse(base_url)?;
        if base.scheme == Scheme::Http && !self.allow_http {
            return Err(ClientError::PlainHttpRefused);
        }
        Ok(Client {
            connector: self.clone(),
            base,
            token: None,
        })
    }

    /// The status list token at `uri` (spec §9): `GET <uri>`, read up to
    /// [`MAX_STATUS_LIST`] bytes. With `etag` (of a token the caller keeps) the request is
    /// conditional, and an unchanged list is [`StatusListFetch::NotModified`]. The caller
    /// verifies the token (`Verifier::verify_status_list`).
    ///
    /// `uri` up to its last `/` after the scheme is the base URL, the rest the request
    /// path, sent as it is, a query included. A `?` in the base URL, or a `#` anywhere, is
    /// refused before any connection: [`ClientError::InvalidUrl`] ("the URL must not have
    /// a query or a fragment", code `invalid_url`).
    pub fn status_list(
        &self,
        uri: &str,
        etag: Option<&str>,
    ) -> Result<StatusListFetch, ClientError> {
        // The URI's last segment is the request path's; the rest is the base.
        let after_scheme = uri.find("://").map_or(0, |i| i + 3);
        let (base, path) = match uri.get(after_scheme..).and_then(|rest| rest.rfind('/')) {
            Some(i) => uri.split_at(after_scheme + i),
            None => (uri, "/"),
        };
        let client = self.client(base)?;
        let headers: Vec<(&str, &str)> = etag.map(|e| ("If-None-Match", e)).into_iter().collect();
        let r = client.exchange("GET", path, None, &[], &headers, MAX_STATUS_LIST)?;
        if r.status == 304 && etag.is_some() {
            return Ok(StatusListFetch::NotModified);
        }
        let r = r.success()?;
        let etag = r.header("etag").map(str::to_owned);
        let max_age = r.header("cache-control").and_then(max_age);
        Ok(StatusListFetch::Token {
            token: r.body,
            etag,
            max_age,
        })
    }

    /// The whole phone side of activation from a QR payload
    /// (`<server>/v1/activations/<id>`) and the one-time code.
    pub fn activate_from_qr(
        &self,
        qr_payload: &str,
        code: &str,
        devices: &[&dyn Signer],
    ) -> Result<Vec<Activated>, ClientError> {
        let (base, id) = split_qr_payload(qr_payload)?;
        self.client(base)?.activate(id, code, devices)
    }

    fn connect(&self, base: &BaseUrl, deadline: Instant) -> Result<wire::Timed, ClientError> {
        let addrs = (base.host.as_str(), base.port)
            .to_socket_addrs()
            .map_err(ClientError::Resolve)?;
        let mut last = None;
        let mut tcp = None;
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ClientError::Timeout);
            }
            match TcpStream::connect_timeout(&addr, self.connect_timeout.min(left)) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = match (tcp, last) {
            (Some(s), _) => s,
            (None, Some(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Err(ClientError::ConnectTimeout);
            }
            (None, Some(e)) => return Err(ClientError::Connect(e)),
            (None, None) => {
                return Err(ClientError::Resolve(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no address",
                )));
            }
        };
        let _ = tcp.set_nodelay(true);
        let stream = match base.scheme {
            Scheme::Http => wire::Stream::Plain(tcp),
            Scheme::Https => {
                let name = ServerName::try_from(base.host.clone())
                    .map_err(|_| ClientError::InvalidUrl("the host is not a valid TLS name"))?;
                let conn = rustls::ClientConnection::new(Arc::clone(&self.tls), name)
                    .map_err(ClientError::Tls)?;
                wire::Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
            }
        };
        Ok(wire::Timed::new(stream, deadline))
    }
}

/// A credential as received at activation.
#[derive(Clone)]
pub struct Activated {
    /// The credential (COSE_Sign1).
    pub credential: Vec<u8>,
    /// Every disclosure, as issued.
    pub disclosures: Vec<Disclosure>,
}

impl fmt::Debug for Activated {
    // Disclosures hold personal data: only counts and sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Activated")
            .field("credential_len", &self.credential.len())
            .field("disclosures", &self.disclosures.len())
            .finish()
    }
}

/// A client of one server (its base URL), optionally with a school's bearer token.
#[derive(Clone)]
pub struct Client {
    connector: Connector,
    base: BaseUrl,
    token: Option<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of `base_url` with [`Connector::new`]: HTTPS only, Mozilla's roots.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Connector::new().client(base_url)
    }

    /// Sends a school bearer token with every request.
    #[must_use]
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    /// Sends one request (`path` is appended to the base URL's path) and reads the
    /// response, its body up to [`MAX_JSON_RESPONSE`] bytes.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, ClientError> {
        self.exchange(method, path, content_type, body, headers, MAX_JSON_RESPONSE)
    }

    /// [`Client::request`] with a body cap of the caller's choosing.
    pub fn exchange(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        headers: &[(&str, &str)],
        cap: usize,
    ) -> Result<HttpResponse, ClientError> {
        let head = self.head(method, path, content_type, body.len(), headers)?;
        let deadline = Instant::now() + self.connector.total_timeout;
        let mut stream = self.connector.connect(&self.base, deadline)?;
        // A server may answer (413, 401) and close before the whole body is sent: after a
        // plain I/O failure of the write, read its answer, and report the write error
        // only if none came. A TLS failure or the deadline ends the exchange at once.
        match wire::write_request(&mut stream, &head, body).map_err(wire::io_error) {
            Ok(()) => wire::read_response(stream, cap),
            Err(e @ ClientError::Io(_)) => wire::read_response(stream, cap).map_err(|_| e),
            Err(e) => Err(e),
        }
    }

    fn head(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body_len: usize,
        headers: &[(&str, &str)],
    ) -> Result<String, ClientError> {
        let clean = |s: &str| !s.bytes().any(|b| b < b' ' || b == 0x7f);
        if !method.bytes().all(|b| b.is_ascii_uppercase()) || method.is_empty() {
            return Err(ClientError::InvalidUrl("the method must be an HTTP token"));
        }
        if !path.starts_with('/') || path.contains(' ') || !clean(path) {
            return Err(ClientError::InvalidUrl(
                "the request path must start with / and hold no spaces",
            ));
        }
        // A fragment is never sent (RFC 9110 §7.1): it is no part of a request target.
        if path.contains('#') {
            return Err(ClientError::InvalidUrl(
                "the URL must not have a query or a fragment",
            ));
        }
        let extra_ok = headers.iter().all(|(k, v)| clean(k) && clean(v))
            && content_type.is_none_or(clean)
            && self.token.as_deref().is_none_or(clean);
        if !extra_ok {
            return Err(ClientError::InvalidUrl(
                "a header holds a control character",
            ));
        }
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: mlegit-client/{}\r\nConnection: close\r\nContent-Length: {body_len}\r\n",
            self.base.path,
            self.base.authority(),
            env!("CARGO_PKG_VERSION"),
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if let Some(token) = &self.token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        Ok(head)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<HttpResponse, ClientError> {
        self.request("GET", path, None, &[], &[])
    }

    /// `method path` with a JSON body.
    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|_| ClientError::Protocol("json"))?;
        self.request(method, path, Some("application/json"), &bytes, &[])
    }

    /// `POST path` with a JSON body.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, ClientError> {
        self.send_json("POST", path, body)
    }

    /// Fetches a fresh challenge for an activation.
    pub fn challenge(&self, activation_id: &str) -> Result<Vec<u8>, ClientError> {
        let r = self
            .post_json(
                &format!("/v1/activations/{activation_id}/challenge"),
                &serde_json::json!({}),
            )?
            .success()?;
        let v = r.json()?;
        let c = v
            .get("challenge")
            .and_then(|c| c.as_str())
            .ok_or(ClientError::Protocol("no challenge"))?;
        URL_SAFE_NO_PAD
            .decode(c)
            .map_err(|_| ClientError::Protocol("challenge is not base64url"))
    }

    /// The activation request body: the code, the challenge, the batch's device keys and
    /// one proof of possession by each (spec §19.2: a COSE_Sign1 over `{1: activation_id,
    /// 2: challenge, 3: SHA-256 of the keys' array}`, typ
    /// `application/mlegit.activation+cose`, no kid; signature r‖s, low S).
    pub fn activation_body(
        activation_id: &str,
        code: &str,
        challenge: &[u8],
        devices: &[&dyn Signer],
    ) -> Result<serde_json::Value, ClientError> {
        let keys: Vec<mlegit::PublicKey> = devices.iter().map(|d| d.public_key()).collect();
        let proofs = devices
            .iter()
            .map(|d| mlegit::activation::sign(activation_id, challenge, &keys, *d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ClientError::Protocol("device signer failed"))?;
        Ok(serde_json::json!({
            "code": code,
            "challenge": URL_SAFE_NO_PAD.encode(challenge),
            "device_keys": keys
                .iter()
                .map(|k| URL_SAFE_NO_PAD.encode(k.to_sec1_uncompressed()))
                .collect::<Vec<_>>(),
            "proofs": proofs.iter().map(|p| URL_SAFE_NO_PAD.encode(p)).collect::<Vec<_>>(),
        }))
    }

    /// The whole phone side: challenge, proofs, activation; returns one credential per
    /// device key, in the order of `devices` (a batch, spec §19; one device key asks for
    /// one credential).
    pub fn activate(
        &self,
        activation_id: &str,
        code: &str,
        devices: &[&dyn Signer],
    ) -> Result<Vec<Activated>, ClientError> {
        let challenge = self.challenge(activation_id)?;
        let body = Self::activation_body(activation_id, code, &challenge, devices)?;
        let bytes = serde_json::to_vec(&body).map_err(|_| ClientError::Protocol("json"))?;
        let r = self
            .exchange(
                "POST",
                &format!("/v1/activations/{activation_id}/activate"),
                Some("application/json"),
                &bytes,
                &[],
                MAX_ACTIVATION_RESPONSE,
            )?
            .success()?;
        let batch = decode_activated(&r.body)?;
        if batch.len() != devices.len() {
            return Err(ClientError::Protocol(
                "activation response: not one credential per key",
            ));
        }
        Ok(batch)
    }

    /// `GET /v1/status-lists/{list}` of this server (the reference server's list URIs;
    /// other issuers: [`Connector::status_list`] with the credential's `uri`).
    pub fn status_list(&self, list: u64) -> Result<Vec<u8>, ClientError> {
        let r = self
            .exchange(
                "GET",
                &format!("/v1/status-lists/{list}"),
                None,
                &[],
                &[],
                MAX_STATUS_LIST,
            )?
            .success()?;
        Ok(r.body)
    }

    /// The issuer trust list, `GET /v1/trust-list`.
    pub fn trust_list(&self) -> Result<TrustList, ClientError> {
        let r = self
            .exchange("GET", "/v1/trust-list", None, &[], &[], MAX_TRUST_LIST)?
            .success()?;
        TrustList::from_slice(&r.body).map_err(|_| ClientError::Protocol("trust list"))
    }
}

impl HttpResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|_| ClientError::Protocol("body is not JSON"))
    }

    /// The problem code of an error response (`[a-z0-9_]{1,64}`), or "".
    pub fn problem_code(&self) -> String {
        self.json()
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .filter(|c| {
                c.len() <= 64
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
            .unwrap_or_default()
    }

    /// `Ok(self)` on 2xx, else [`ClientError::Status`].
    pub fn success(self) -> Result<Self, ClientError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(ClientError::Status {
                status: self.status,
                code: self.problem_code(),
            })
        }
    }
}

/// What [`Connector::status_list`] got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusListFetch {
    /// The token, with its `ETag` and `Cache-Control: max-age` if the server sent them.
    Token {
        /// The token's bytes, unverified.
        token: Vec<u8>,
        /// The entity tag, for the next conditional request.
        etag: Option<String>,
        /// Seconds the server says it may be cached.
        max_age: Option<u64>,
    },
    /// 304: the token of the `etag` given is still the list's.
    NotModified,
}

/// The `max-age` of a `Cache-Control` value.
fn max_age(value: &str) -> Option<u64> {
    value.split(',').find_map(|d| {
        let (name, v) = d.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("max-age") {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// The payload each device key signs at activation: `{1: activation_id, 2: challenge, 3:
/// keys_digest}` (`mlegit::activation::payload`, spec §19.2).
pub use mlegit::activation::payload as proof_payload;

/// Splits a QR payload `<server>/v1/activations/<id>` into the server URL and the id.
pub fn split_qr_payload(payload: &str) -> Result<(&str, &str), ClientError> {
    let (base, id) = payload
        .rsplit_once("/v1/activations/")
        .ok_or(ClientError::Protocol("not an activation QR payload"))?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ClientError::Protocol("not an activation QR payload"));
    }
    Ok((base, id))
}

/// Decodes the activation response `{"credentials": [1*64 {"credential": bstr,
/// "disclosures": [* bstr]}]}` (spec §19): one credential per device key, in the order the
/// keys were sent. Anything else is [`ClientError::Protocol`].
pub fn decode_activated(body: &[u8]) -> Result<Vec<Activated>, ClientError> {
    let bad = ClientError::Protocol("activation response");
    let Ok(Value::Map(entries)) = cbor::decode(body) else {
        return Err(bad);
    };
    let [(Value::Text("credentials"), Value::Array(items))] = entries.as_slice() else {
        return Err(bad);
    };
    if items.is_empty() || items.len() > mlegit::activation::MAX_BATCH {
        return Err(bad);
    }
    items.iter().map(decode_one).collect()
}

/// One `{"credential": bstr, "disclosures": [* bstr]}` of the activation response.
fn decode_one(item: &Value<'_>) -> Result<Activated, ClientError> {
    let bad = ClientError::Protocol("activation response");
    let Value::Map(entries) = item else {
        return Err(bad);
    };
    let mut credential = None;
    let mut disclosures = Vec::new();
    for (k, v) in entries {
        match (k.as_text(), v) {
            (Some("credential"), Value::Bytes(b)) => credential = Some(b.to_vec()),
            (Some("disclosures"), Value::Array(items)) => {
                for item in items {
                    let bytes = item.as_bytes().ok_or(ClientError::Protocol("disclosure"))?;
                    disclosures.push(
                        Disclosure::from_bytes(bytes.to_vec())
                            .map_err(|_| ClientError::Protocol("disclosure"))?,
                    );
                }
            }
            _ => return Err(bad),
        }
    }
    Ok(Activated {
        credential: credential.ok_or(bad)?,
        disclosures,
    })
}
