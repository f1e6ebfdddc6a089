//! The thin async wrapper: hyper 1 over tokio, body caps and timeouts, problem+json,
//! request ids, graceful shutdown. Handlers run on the blocking pool (SQLite, signing).

use core::convert::Infallible;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::sync::Arc;
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
use tokio::sync::{Semaphore, watch};

use crate::app::{ApiRequest, ApiResponse, App};
use crate::error::ApiError;
use crate::routes::{Matched, match_route};

/// Limits of the HTTP layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_connections: usize,
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

fn request_id() -> String {
    format!(
        "req-{:08x}",
        REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Accepts connections until `shutdown` fires, then lets in-flight requests finish.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error.kind = ?e.kind(), "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        let service = service_fn(move |req| serve_request(Arc::clone(&app), limits, req));
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(Some(limits.header_timeout))
            .max_buf_size(64 * 1024);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
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
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let id = request_id();
    let method = req.method().as_str().to_owned();
    let (route_path, result) = match match_route(&method, req.uri().path()) {
        Matched::NotFound => ("-", Err(ApiError::NotFound)),
        Matched::WrongMethod => ("-", Err(ApiError::MethodNotAllowed)),
        Matched::Route(route, params) => {
            (route.path, dispatch(app, limits, route, params, req).await)
        }
    };
    let response = match result {
        Ok(r) => build(r.status, r.content_type, r.body, &id),
        Err(e) => {
            if let ApiError::Internal(what) = &e {
                tracing::error!(request_id = %id, what, "internal error");
            }
            problem(&e, &id)
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
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let declared_too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > route.max_body as u64);
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
    let json_body = body.is_empty()
        || content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json"));
    let api = ApiRequest {
        params,
        query,
        bearer,
        wants_html,
        json_body,
        body,
    };
    tokio::task::spawn_blocking(move || app.handle(route.id, &api))
        .await
        .unwrap_or(Err(ApiError::Internal("handler panicked")))
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
