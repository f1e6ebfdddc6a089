//! The thin async wrapper: hyper 1 over tokio, body caps and timeouts, problem+json,
//! request ids, graceful shutdown. Handlers run on the blocking pool (SQLite, signing).

use core::convert::Infallible;
use core::net::IpAddr;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::app::{ApiRequest, ApiResponse, App};
use crate::error::ApiError;
use crate::routes::{Matched, match_route};

/// Limits of the HTTP layer.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// The directory of the browser verifier page, served at `/verifier/`.
    pub verifier_page: Option<Arc<std::path::PathBuf>>,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

fn request_id() -> String {
    format!(
        "req-{:08x}",
        REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Connection slots: a global cap and a cap per client IP address, so that one address
/// holding idle connections cannot take every slot and starve the others.
struct Slots {
    global: Arc<Semaphore>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max_per_ip: usize,
}

/// A claimed slot, given back when the connection ends.
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
    _global: OwnedSemaphorePermit,
}

impl Slots {
    fn claim(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let global = Arc::clone(&self.global).try_acquire_owned().ok()?;
        let mut per_ip = self
            .per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = per_ip.entry(ip).or_insert(0);
        if *held >= self.max_per_ip {
            return None;
        }
        *held += 1;
        Some(Slot {
            slots: Arc::clone(self),
            ip,
            _global: global,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_ip = self
            .slots
            .per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = per_ip.get_mut(&self.ip) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Accepts connections until `shutdown` fires, then lets in-flight requests finish.
///
/// A connection over the global or the per-address cap is closed at once rather than
/// left waiting: a client learns at once that it must come back, and the slots held by
/// one address never delay another's. A connection must send complete request headers
/// within the header timeout (the first request, and each next one on a kept-alive
/// connection), and complete the TLS handshake within the same time.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Slots {
        global: Arc::new(Semaphore::new(limits.max_connections)),
        per_ip: Mutex::new(HashMap::new()),
        max_per_ip: limits.max_connections_per_ip.max(1),
    });
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error.kind = ?e.kind(), "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Some(slot) = slots.claim(peer.ip()) else {
            tracing::debug!("connection refused: connection limit");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let client = peer.ip();
            let limits_for_service = limits.clone();
            let service = service_fn(move |req| {
                serve_request(Arc::clone(&app), limits_for_service.clone(), client, req)
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Some(limits.header_timeout))
                .max_buf_size(64 * 1024);
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(tls_stream)) => {
                            let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
                            let _ = watcher.watch(conn).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error.kind = ?e.kind(), "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
}

async fn serve_request(
    app: Arc<App>,
    limits: Limits,
    client: IpAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let id = request_id();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    if let (Some(dir), true) = (&limits.verifier_page, path.starts_with("/verifier")) {
        let response = page_file(dir, &method, &path, &id).await;
        tracing::info!(
            request_id = %id,
            method = %method,
            route = "/verifier/",
            status = response.status().as_u16(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        return Ok(response);
    }
    let (route_path, result) = match match_route(&method, &path) {
        Matched::NotFound => ("-", Err(ApiError::NotFound)),
        Matched::WrongMethod => ("-", Err(ApiError::MethodNotAllowed)),
        Matched::Route(route, params) => (
            route.path,
            dispatch(app, limits, route, params, client, req).await,
        ),
    };
    let response = match result {
        Ok(r) => {
            let mut response = build(r.status, r.content_type, r.body, &id);
            if let Some(cache) = r.cache {
                let h = response.headers_mut();
                let control = format!("public, max-age={}", cache.max_age);
                if let (Ok(etag), Ok(control)) = (
                    HeaderValue::from_str(&cache.etag),
                    HeaderValue::from_str(&control),
                ) {
                    h.insert(header::ETAG, etag);
                    h.insert(header::CACHE_CONTROL, control);
                }
            }
            response
        }
        Err(e) => {
            if let ApiError::Internal(what) = &e {
                tracing::error!(request_id = %id, what, "internal error");
            }
            let mut response = problem(&e, &id);
            if let ApiError::TooManyRequests { retry_after } = e {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            if matches!(e, ApiError::MethodNotAllowed) {
                let allow = crate::routes::allowed_methods(&path).join(", ");
                if let Ok(v) = HeaderValue::from_str(&allow) {
                    response.headers_mut().insert(header::ALLOW, v);
                }
            }
            response
        }
    };
    tracing::info!(
        request_id = %id,
        method = %method,
        route = route_path,
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    Ok(response)
}

async fn dispatch(
    app: Arc<App>,
    limits: Limits,
    route: &'static crate::routes::Route,
    params: Vec<String>,
    client: IpAddr,
    req: Request<Incoming>,
) -> Result<ApiResponse, ApiError> {
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    // Every If-None-Match line, joined into one list (RFC 9110 §5.3).
    let if_none_match = {
        let lines: Vec<&str> = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!lines.is_empty()).then(|| lines.join(","))
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let declared_too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > route.max_body as u64);
    // Authenticate first: before the body is read, parsed or any photo decoded.
    if route.school_auth {
        let token = bearer.clone().ok_or(ApiError::Unauthorized)?;
        let authenticator = Arc::clone(&app);
        tokio::task::spawn_blocking(move || authenticator.authenticate(&token))
            .await
            .unwrap_or(Err(ApiError::Internal("authentication panicked")))?;
    }
    if declared_too_large {
        return Err(ApiError::BodyTooLarge);
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = Limited::new(req.into_body(), route.max_body);
    let body = match tokio::time::timeout(limits.body_timeout, body.collect()).await {
        Err(_) => return Err(ApiError::BodyTimeout),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(ApiError::BodyTooLarge);
        }
        Ok(Err(_)) => return Err(ApiError::InvalidJson),
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
    };
    let json_body = body.is_empty() || content_type.as_deref().is_some_and(is_json_media_type);
    let api = ApiRequest {
        params,
        query,
        bearer,
        wants_html,
        json_body,
        body,
        if_none_match,
        client: Some(client),
    };
    if route.id.is_relay() {
        // Memory only and quick, or a wait that must not hold a blocking thread.
        return crate::relay::handle(app.relay(), route.id, &api).await;
    }
    tokio::task::spawn_blocking(move || app.handle(route.id, &api))
        .await
        .unwrap_or(Err(ApiError::Internal("handler panicked")))
}

/// `application/json`, optionally with the one parameter `charset=utf-8` (RFC 8259 §11
/// defines no parameters; UTF-8 is the only encoding): media types are compared whole,
/// so `application/jsonx` or `application/json-patch+json` are not JSON bodies here.
fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        name.trim().eq_ignore_ascii_case("charset") && value.eq_ignore_ascii_case("utf-8")
    })
}

/// The files of the browser verifier page, by name, and their media types: nothing else
/// under `/verifier/` is served, whatever the directory holds.
const PAGE_FILES: &[(&str, &str)] = &[
    ("index.html", "text/html; charset=utf-8"),
    ("verifier.js", "text/javascript; charset=utf-8"),
    ("verifier.css", "text/css; charset=utf-8"),
    ("mlegit_wasm.js", "text/javascript; charset=utf-8"),
    ("mlegit.js", "text/javascript; charset=utf-8"),
    ("mlegit_wasm_bg.wasm", "application/wasm"),
];

/// `GET /verifier/` and its files, from `dir`, with a content security policy that lets
/// the page run its own scripts and WebAssembly and talk to this server only.
async fn page_file(
    dir: &std::path::Path,
    method: &str,
    path: &str,
    id: &str,
) -> Response<Full<Bytes>> {
    if method != "GET" && method != "HEAD" {
        return problem(&ApiError::MethodNotAllowed, id);
    }
    let name = match path {
        "/verifier" | "/verifier/" => "index.html",
        p => p.strip_prefix("/verifier/").unwrap_or(""),
    };
    let Some((name, media)) = PAGE_FILES.iter().find(|(n, _)| *n == name) else {
        return problem(&ApiError::NotFound, id);
    };
    let file = dir.join(name);
    let Ok(Ok(body)) = tokio::task::spawn_blocking(move || std::fs::read(file)).await else {
        return problem(&ApiError::NotFound, id);
    };
    let mut response = build(200, media, body, id);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
             img-src 'self' blob:; style-src 'self'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
    );
    response
}

fn build(
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    id: &str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(id) {
        h.insert("x-request-id", v);
    }
    response
}

/// An RFC 9457 problem: stable `code`, fixed title, the request id; never input values.
fn problem(e: &ApiError, id: &str) -> Response<Full<Bytes>> {
    let parts = e.parts();
    let mut body = serde_json::Map::new();
    body.insert(
        "type".into(),
        format!("urn:mlegit:problem:{}", parts.code).into(),
    );
    body.insert("title".into(), parts.title.into());
    body.insert("status".into(), parts.status.into());
    body.insert("code".into(), parts.code.into());
    body.insert("request_id".into(), id.into());
    for (k, v) in e.extra() {
        body.insert(k.into(), v);
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = build(parts.status, "application/problem+json", bytes, id);
    if matches!(e, ApiError::Unauthorized) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_json_media_type;

    #[test]
    fn json_media_type_is_matched_whole() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "application/jsonx",
            "application/json-patch+json",
            "application/json; charset=latin1",
            "application/json; boundary=x",
            "application/json;",
            "text/json",
            "text/plain",
            "",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }
}
