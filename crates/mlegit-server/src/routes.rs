//! The route table: the single list the router matches and the OpenAPI test checks.

/// Which handler a route goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteId {
    /// `GET /healthz`
    Healthz,
    /// `GET /openapi.json`
    OpenApi,
    /// `GET /v1/trust-list`
    TrustList,
    /// `GET /v1/status-lists/{list}`
    StatusList,
    /// `GET /v1/authority-list`
    AuthorityList,
    /// `POST /v1/students`
    RegisterStudent,
    /// `GET /v1/students/{student_id}`
    ShowStudent,
    /// `PUT /v1/students/{student_id}`
    ResubmitStudent,
    /// `POST /v1/students/{student_id}/photo/accept`
    AcceptPhoto,
    /// `POST /v1/students/{student_id}/photo/reject`
    RejectPhoto,
    /// `POST /v1/photos`
    UploadPhoto,
    /// `POST /v1/students/{student_id}/activations`
    CreateActivation,
    /// `POST /v1/activation-batches`
    CreateBatch,
    /// `GET /v1/activations/{activation_id}/qr.svg`
    ActivationQr,
    /// `POST /v1/activations/{activation_id}/challenge`
    Challenge,
    /// `POST /v1/activations/{activation_id}/activate`
    Activate,
    /// `POST /v1/credentials/{credential_id}/revoke`
    Revoke,
    /// `POST /v1/sessions` (relay, spec §18.7)
    CreateSession,
    /// `GET /v1/sessions/{session_id}`
    FetchSession,
    /// `DELETE /v1/sessions/{session_id}`
    EndSession,
    /// `GET /v1/codes/{code}`
    LookupCode,
    /// `POST /v1/sessions/{session_id}/response`
    PostResponse,
    /// `GET /v1/sessions/{session_id}/response`
    ReceiveResponse,
}

impl RouteId {
    /// Whether the relay (memory only, no database) answers it.
    pub fn is_relay(self) -> bool {
        matches!(
            self,
            RouteId::CreateSession
                | RouteId::FetchSession
                | RouteId::EndSession
                | RouteId::LookupCode
                | RouteId::PostResponse
                | RouteId::ReceiveResponse
        )
    }
}

/// One route: method, path template (`{name}` is one segment) and handler.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path template, as in the OpenAPI document.
    pub path: &'static str,
    /// Handler.
    pub id: RouteId,
    /// Largest body accepted, in bytes.
    pub max_body: usize,
    /// Whether a school bearer token is required. It is checked before the body is read,
    /// so an anonymous request costs one token lookup, never parsing or photo decoding.
    pub school_auth: bool,
}

const SMALL: usize = 64 * 1024;
/// Bodies that carry a photo: 5 MB as base64 plus the claims.
const PHOTO: usize = 7 * 1024 * 1024 + SMALL;

/// Every route of the server.
pub const ROUTES: &[Route] = &[
    r("GET", "/healthz", RouteId::Healthz, 0),
    r("GET", "/openapi.json", RouteId::OpenApi, 0),
    r("GET", "/v1/trust-list", RouteId::TrustList, 0),
    r("GET", "/v1/status-lists/{list}", RouteId::StatusList, 0),
    r("GET", "/v1/authority-list", RouteId::AuthorityList, 0),
    s("POST", "/v1/students", RouteId::RegisterStudent, PHOTO),
    s("GET", "/v1/students/{student_id}", RouteId::ShowStudent, 0),
    s(
        "PUT",
        "/v1/students/{student_id}",
        RouteId::ResubmitStudent,
        PHOTO,
    ),
    s(
        "POST",
        "/v1/students/{student_id}/photo/accept",
        RouteId::AcceptPhoto,
        SMALL,
    ),
    s(
        "POST",
        "/v1/students/{student_id}/photo/reject",
        RouteId::RejectPhoto,
        SMALL,
    ),
    r("POST", "/v1/photos", RouteId::UploadPhoto, PHOTO),
    s(
        "POST",
        "/v1/students/{student_id}/activations",
        RouteId::CreateActivation,
        SMALL,
    ),
    s(
        "POST",
        "/v1/activation-batches",
        RouteId::CreateBatch,
        SMALL,
    ),
    s(
        "GET",
        "/v1/activations/{activation_id}/qr.svg",
        RouteId::ActivationQr,
        0,
    ),
    r(
        "POST",
        "/v1/activations/{activation_id}/challenge",
        RouteId::Challenge,
        SMALL,
    ),
    r(
        "POST",
        "/v1/activations/{activation_id}/activate",
        RouteId::Activate,
        SMALL,
    ),
    s(
        "POST",
        "/v1/credentials/{credential_id}/revoke",
        RouteId::Revoke,
        SMALL,
    ),
    r(
        "POST",
        "/v1/sessions",
        RouteId::CreateSession,
        crate::relay::MAX_REQUEST_LEN,
    ),
    r("GET", "/v1/sessions/{session_id}", RouteId::FetchSession, 0),
    r(
        "DELETE",
        "/v1/sessions/{session_id}",
        RouteId::EndSession,
        0,
    ),
    r("GET", "/v1/codes/{code}", RouteId::LookupCode, 0),
    r(
        "POST",
        "/v1/sessions/{session_id}/response",
        RouteId::PostResponse,
        mlegit::online::MAX_RESPONSE_LEN,
    ),
    r(
        "GET",
        "/v1/sessions/{session_id}/response",
        RouteId::ReceiveResponse,
        0,
    ),
];

/// An open route: anyone may call it.
const fn r(method: &'static str, path: &'static str, id: RouteId, max_body: usize) -> Route {
    Route {
        method,
        path,
        id,
        max_body,
        school_auth: false,
    }
}

/// A school route: the bearer token is checked before anything else.
const fn s(method: &'static str, path: &'static str, id: RouteId, max_body: usize) -> Route {
    Route {
        school_auth: true,
        ..r(method, path, id, max_body)
    }
}

/// What matching a request found.
#[derive(Debug)]
pub enum Matched {
    /// A route and its path parameters, in order.
    Route(&'static Route, Vec<String>),
    /// The path exists with other methods.
    WrongMethod,
    /// No such path.
    NotFound,
}

/// Matches a method and path against [`ROUTES`].
pub fn match_route(method: &str, path: &str) -> Matched {
    let mut path_found = false;
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            // HEAD is GET without the body, except on the relay, where a GET spends a code
            // or takes a response: there HEAD would do that and lose what it took.
            let head = method == "HEAD" && route.method == "GET" && !route.id.is_relay();
            if route.method == method || head {
                return Matched::Route(route, params);
            }
            path_found = true;
        }
    }
    if path_found {
        Matched::WrongMethod
    } else {
        Matched::NotFound
    }
}

/// The methods `path` answers to, in route order, `HEAD` after `GET`: the `Allow`
/// header of a 405 answer (RFC 9110 §15.5.6).
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods = Vec::new();
    for route in ROUTES {
        if match_path(route.path, path).is_some() && !methods.contains(&route.method) {
            methods.push(route.method);
            if route.method == "GET" && !route.id.is_relay() {
                methods.push("HEAD");
            }
        }
    }
    methods
}

fn match_path(template: &str, path: &str) -> Option<Vec<String>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if ts.starts_with('{') && ts.ends_with('}') {
                    // Ids are short ASCII: anything else cannot name a resource.
                    if ps.is_empty()
                        || ps.len() > 64
                        || !ps
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    {
                        return None;
                    }
                    params.push(ps.to_owned());
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}
