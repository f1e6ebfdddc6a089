//! A small blocking client (std only: `TcpStream`, HTTP/1.1, `Connection: close`) for the
//! phone side of activation and for status checks. The `mlegit` command's
//! `wallet activate` and `demo` use it; tests use it against a real listener.

use core::fmt;
use core::time::Duration;
use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mlegit::cbor::{self, Value};
use mlegit::cose::{self, Algorithm};
use mlegit::{Disclosure, Signer, TrustList};

/// Why a client call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// Connecting, sending or receiving failed.
    Io(std::io::Error),
    /// The URL is not `http://host:port[/...]`.
    Url,
    /// The server answered with an error status; `code` is the problem's stable code.
    Status {
        /// HTTP status.
        status: u16,
        /// The problem code (`activation_code_invalid`, ...), or empty.
        code: String,
    },
    /// The response is not what the protocol expects.
    Protocol(&'static str),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "connection failed: {e}"),
            ClientError::Url => f.write_str("the server URL must be http://host:port"),
            ClientError::Status { status, code } => write!(f, "server answered {status} {code}"),
            ClientError::Protocol(what) => write!(f, "unexpected response: {what}"),
        }
    }
}

impl core::error::Error for ClientError {}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, lower-cased.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|_| ClientError::Protocol("body is not JSON"))
    }

    /// The problem code of an error response, or "".
    pub fn problem_code(&self) -> String {
        self.json()
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
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

/// A credential as received at activation.
#[derive(Debug, Clone)]
pub struct Activated {
    /// The credential (COSE_Sign1).
    pub credential: Vec<u8>,
    /// Every disclosure.
    pub disclosures: Vec<Disclosure>,
}

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    host_port: String,
    token: Option<String>,
    timeout: Duration,
}

impl Client {
    /// A client of `base_url` (`http://host:port`, an optional path is ignored).
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let rest = base_url.strip_prefix("http://").ok_or(ClientError::Url)?;
        let host_port = rest.split('/').next().unwrap_or_default();
        if host_port.is_empty() {
            return Err(ClientError::Url);
        }
        Ok(Self {
            host_port: host_port.to_owned(),
            token: None,
            timeout: Duration::from_secs(30),
        })
    }

    /// Sends a school bearer token with every request.
    #[must_use]
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Sends one request and reads the whole response.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, ClientError> {
        let mut stream = TcpStream::connect(&self.host_port)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host_port,
            body.len()
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
        // A server may answer (413) and close before the whole body is sent: read its
        // answer even when the write fails.
        let written = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body));
        let mut raw = Vec::new();
        let read = stream.read_to_end(&mut raw);
        if raw.is_empty() {
            written?;
            read?;
        }
        parse_response(&raw)
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

    /// The activation request body: the code, the device key and the proof of possession
    /// (a COSE_Sign1 by `device` over `{1: activation_id, 2: challenge}`, typ
    /// `application/mlegit.activation+cose`, no kid).
    pub fn activation_body(
        activation_id: &str,
        code: &str,
        challenge: &[u8],
        device: &dyn Signer,
    ) -> Result<serde_json::Value, ClientError> {
        let protected = cose::protected_header(Algorithm::Es256, None, cose::TYP_ACTIVATION);
        let payload = crate::app::proof_payload(activation_id, challenge);
        let proof = cose::sign1(&protected, &payload, device)
            .map_err(|_| ClientError::Protocol("device signer failed"))?;
        Ok(serde_json::json!({
            "code": code,
            "device_key": URL_SAFE_NO_PAD.encode(device.public_key().to_sec1_uncompressed()),
            "challenge": URL_SAFE_NO_PAD.encode(challenge),
            "proof": URL_SAFE_NO_PAD.encode(proof),
        }))
    }

    /// The whole phone side: challenge, proof, activation; returns the credential.
    pub fn activate(
        &self,
        activation_id: &str,
        code: &str,
        device: &dyn Signer,
    ) -> Result<Activated, ClientError> {
        let challenge = self.challenge(activation_id)?;
        let body = Self::activation_body(activation_id, code, &challenge, device)?;
        let r = self
            .post_json(&format!("/v1/activations/{activation_id}/activate"), &body)?
            .success()?;
        decode_activated(&r.body)
    }

    /// Activates from a QR payload (`<server>/v1/activations/<id>`) and a code.
    pub fn activate_from_qr(
        qr_payload: &str,
        code: &str,
        device: &dyn Signer,
    ) -> Result<Activated, ClientError> {
        let (base, id) = split_qr_payload(qr_payload)?;
        Client::new(base)?.activate(id, code, device)
    }

    /// The signed status response of the credential at `index` (spec §9), with a nonce.
    pub fn status(&self, index: u64, nonce: Option<&[u8]>) -> Result<Vec<u8>, ClientError> {
        let path = match nonce {
            Some(n) => format!("/v1/status/{index}?nonce={}", URL_SAFE_NO_PAD.encode(n)),
            None => format!("/v1/status/{index}"),
        };
        Ok(self.get(&path)?.success()?.body)
    }

    /// The issuer trust list.
    pub fn trust_list(&self) -> Result<TrustList, ClientError> {
        let r = self.get("/v1/trust-list")?.success()?;
        TrustList::from_slice(&r.body).map_err(|_| ClientError::Protocol("trust list"))
    }
}

/// Splits a QR payload `<server>/v1/activations/<id>` into the server URL and the id.
pub fn split_qr_payload(payload: &str) -> Result<(&str, &str), ClientError> {
    let (base, id) = payload
        .rsplit_once("/v1/activations/")
        .ok_or(ClientError::Protocol("not an activation QR payload"))?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ClientError::Protocol("not an activation QR payload"));
    }
    Ok((base, id))
}

/// Decodes the activation response `{"credential": bstr, "disclosures": [* bstr]}`.
pub fn decode_activated(body: &[u8]) -> Result<Activated, ClientError> {
    let bad = ClientError::Protocol("activation response");
    let Ok(Value::Map(entries)) = cbor::decode(body) else {
        return Err(bad);
    };
    let mut credential = None;
    let mut disclosures = Vec::new();
    for (k, v) in &entries {
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

fn parse_response(raw: &[u8]) -> Result<HttpResponse, ClientError> {
    let bad = ClientError::Protocol("malformed HTTP response");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(bad)?;
    let head = core::str::from_utf8(raw.get(..split).unwrap_or_default())
        .map_err(|_| ClientError::Protocol("malformed HTTP response"))?;
    let body = raw.get(split + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or(ClientError::Protocol("malformed status line"))?;
    let mut content_type = String::new();
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-type" => content_type = v.to_ascii_lowercase(),
                "content-length" => length = v.parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let body = if chunked {
        dechunk(body).ok_or(ClientError::Protocol("malformed chunked body"))?
    } else {
        match length {
            Some(n) => body
                .get(..n)
                .ok_or(ClientError::Protocol("truncated body"))?
                .to_vec(),
            None => body.to_vec(),
        }
    };
    Ok(HttpResponse {
        status,
        content_type,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(core::str::from_utf8(raw.get(..end)?).ok()?.trim(), 16).ok()?;
        raw = raw.get(end + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}
