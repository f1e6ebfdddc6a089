//! The OpenAPI document and API.md against the server: every route of the router and
//! nothing else, every error code each route can answer (statuses read from the source),
//! and real responses against the response schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use mlegit_server::routes::{Matched, ROUTES, match_route};
use serde_json::{Value, json};

fn document() -> Value {
    serde_json::from_str(mlegit_server::openapi::DOCUMENT).unwrap()
}

#[test]
fn openapi_document_matches_the_router() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            assert!(op["operationId"].is_string(), "{method} {path}");
            assert!(
                op["responses"].as_object().unwrap().contains_key("500"),
                "{method} {path}"
            );
            // Every template parameter is declared.
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                assert!(declared, "{method} {path}: {name}");
            }
        }
    }
    let routed: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    // And the router really serves each documented path (with sample parameters).
    for (method, path) in &documented {
        let sample = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        assert!(
            matches!(match_route(method, &sample), Matched::Route(r, _) if r.path == path),
            "{method} {path}"
        );
    }
}

#[test]
fn the_document_is_served() {
    let h = common::Harness::new();
    // The document is larger than the client's default JSON cap: ask for it with room.
    let r = h
        .anon()
        .exchange("GET", "/openapi.json", None, &[], &[], 1 << 20)
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, mlegit_server::openapi::DOCUMENT.as_bytes());
}

// --- error codes ------------------------------------------------------------------------

/// Codes every route can answer: a body over the route's cap (GET routes take none), a body
/// that does not arrive in time, a failure inside the server.
const EVERY_ROUTE: &[&str] = &["body_too_large", "body_timeout", "internal_error"];
/// Codes no single route answers: the document and API.md describe them once.
const DOCUMENT_WIDE: &[&str] = &["method_not_allowed", "unavailable"];

/// The codes each route can answer besides [`EVERY_ROUTE`], as API.md lists them (in groups
/// that routes share).
const ROUTE_CODES: &[(&str, &str, &[&[&str]])] = &[
    ("GET", "/healthz", &[]),
    ("GET", "/openapi.json", &[]),
    ("GET", "/v1/trust-list", &[]),
    (
        "GET",
        "/v1/status-lists/{list}",
        &[&["not_found", "status_list_not_found"]],
    ),
    ("GET", "/v1/authority-list", &[]),
    (
        "POST",
        "/v1/students",
        &[&["unauthorized"], JSON, REGISTRATION],
    ),
    (
        "GET",
        "/v1/students/{student_id}",
        &[&["not_found", "unauthorized", "student_not_found"]],
    ),
    (
        "PUT",
        "/v1/students/{student_id}",
        &[
            &["not_found", "unauthorized", "student_not_found"],
            JSON,
            REGISTRATION,
        ],
    ),
    (
        "POST",
        "/v1/students/{student_id}/photo/accept",
        &[&[
            "not_found",
            "unauthorized",
            "student_not_found",
            "no_pending_photo",
        ]],
    ),
    (
        "POST",
        "/v1/students/{student_id}/photo/reject",
        &[
            &[
                "not_found",
                "unauthorized",
                "student_not_found",
                "no_pending_photo",
            ],
            JSON,
            &["invalid_text"],
        ],
    ),
    (
        "POST",
        "/v1/photos",
        &[JSON, &["upload_token_invalid"], PHOTO],
    ),
    (
        "POST",
        "/v1/students/{student_id}/activations",
        &[&["not_found", "unauthorized"], NEEDS_DATA_AND_PHOTO],
    ),
    (
        "POST",
        "/v1/activation-batches",
        &[
            &["unauthorized"],
            JSON,
            &[
                "invalid_text",
                "invalid_batch_size",
                "duplicate_student",
                "invalid_lang",
            ],
            NEEDS_DATA_AND_PHOTO,
        ],
    ),
    (
        "GET",
        "/v1/activations/{activation_id}/qr.svg",
        &[&["not_found", "unauthorized", "activation_not_found"]],
    ),
    (
        "POST",
        "/v1/activations/{activation_id}/challenge",
        &[&["not_found", "activation_not_found"]],
    ),
    (
        "POST",
        "/v1/activations/{activation_id}/activate",
        &[
            &["not_found"],
            JSON,
            &[
                "invalid_base64",
                "invalid_batch_size",
                "invalid_device_key",
                "duplicate_device_key",
                "challenge_invalid",
                "proof_invalid",
                "invalid_code_format",
                "activation_not_found",
                "activation_used",
                "activation_superseded",
                "activation_locked",
                "activation_expired",
                "activation_code_invalid",
                "student_data_missing",
                "photo_not_accepted",
                "paper_id_expired",
                "student_data_invalid",
            ],
        ],
    ),
    (
        "POST",
        "/v1/credentials/{credential_id}/revoke",
        &[
            &["not_found", "unauthorized"],
            JSON,
            &["invalid_reason", "credential_not_found", "already_revoked"],
        ],
    ),
    (
        "POST",
        "/v1/sessions",
        &[&["request_invalid", "too_many_requests", "relay_full"]],
    ),
    (
        "GET",
        "/v1/sessions/{session_id}",
        &[&["not_found", "session_not_found"]],
    ),
    (
        "DELETE",
        "/v1/sessions/{session_id}",
        &[&["not_found", "session_not_found", "session_token_invalid"]],
    ),
    (
        "GET",
        "/v1/codes/{code}",
        &[&["not_found", "too_many_requests", "session_not_found"]],
    ),
    (
        "POST",
        "/v1/sessions/{session_id}/response",
        &[&[
            "not_found",
            "session_not_found",
            "response_invalid",
            "response_already_posted",
            "relay_full",
        ]],
    ),
    (
        "GET",
        "/v1/sessions/{session_id}/response",
        &[&[
            "not_found",
            "invalid_wait",
            "session_not_found",
            "session_token_invalid",
        ]],
    ),
];

/// A JSON body: its media type, its shape, its required members.
const JSON: &[&str] = &["unsupported_media_type", "invalid_json", "missing_field"];
/// The photo member.
const PHOTO: &[&str] = &["invalid_base64", "photo_too_large", "photo_invalid"];
/// The members of a registration.
const REGISTRATION: &[&str] = &[
    "invalid_date",
    "document_dates_reversed",
    "invalid_pesel",
    "pesel_birth_date_mismatch",
    "invalid_text",
    "invalid_base64",
    "photo_too_large",
    "photo_invalid",
];
/// A new activation for a student of this school.
const NEEDS_DATA_AND_PHOTO: &[&str] = &[
    "student_not_found",
    "student_data_missing",
    "photo_not_accepted",
];

/// Every code the server can send and its HTTP status, read from the source: the
/// `p(status, "code", ..)` arms of `ApiError::parts`, and the `InvalidField` codes (422).
fn source_codes() -> BTreeMap<String, u16> {
    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }
    fn code_at(s: &str) -> Option<&str> {
        let end = s.find('"')?;
        let code = &s[..end];
        (!code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
        .then_some(code)
    }
    let mut codes = BTreeMap::new();
    let errors = squeeze(include_str!("../src/error.rs"));
    for (i, _) in errors.match_indices("p(") {
        let rest = &errors[i + 2..];
        let Some(status) = rest.get(..3).and_then(|s| s.parse::<u16>().ok()) else {
            continue;
        };
        if let Some(code) = rest
            .get(3..)
            .and_then(|r| r.strip_prefix(",\""))
            .and_then(code_at)
        {
            codes.insert(code.to_owned(), status);
        }
    }
    for file in [
        include_str!("../src/app/mod.rs"),
        include_str!("../src/app/activation.rs"),
        include_str!("../src/app/issuance.rs"),
        include_str!("../src/app/retention.rs"),
        include_str!("../src/app/status.rs"),
        include_str!("../src/app/students.rs"),
        include_str!("../src/app/types.rs"),
        include_str!("../src/http.rs"),
        include_str!("../src/relay.rs"),
    ] {
        let file = squeeze(file);
        for (i, m) in file.match_indices("code:\"") {
            if let Some(code) = code_at(&file[i + m.len()..]) {
                codes.insert(code.to_owned(), 422);
            }
        }
    }
    // A reshaped source must fail here, not check nothing.
    assert!(
        codes.len() >= 40,
        "only {} codes found in the source",
        codes.len()
    );
    codes
}

/// (status, code) pairs a route answers according to [`ROUTE_CODES`] and the source.
fn expected_codes(method: &str, path: &str) -> BTreeSet<(u16, String)> {
    let source = source_codes();
    let (_, _, codes) = ROUTE_CODES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .unwrap_or_else(|| panic!("{method} {path} is not in ROUTE_CODES"));
    codes
        .iter()
        .flat_map(|group| group.iter())
        .chain(EVERY_ROUTE)
        .map(|c| {
            let status = source
                .get(*c)
                .unwrap_or_else(|| panic!("{method} {path}: {c} is not a code of the source"));
            (*status, (*c).to_owned())
        })
        .collect()
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
        None => v,
    }
}

/// The `code` enum of each problem response of an operation, by status.
fn documented_codes(doc: &Value, method: &str, path: &str) -> BTreeSet<(u16, String)> {
    let op = &doc["paths"][path][method.to_lowercase()];
    let mut out = BTreeSet::new();
    for (status, response) in op["responses"].as_object().unwrap() {
        let status: u16 = status.parse().unwrap();
        if status < 400 {
            continue;
        }
        let schema = &resolve(doc, response)["content"]["application/problem+json"]["schema"];
        let parts = schema["allOf"].as_array().unwrap_or_else(|| {
            panic!("{method} {path} {status}: schema is not allOf [Problem, codes]")
        });
        assert_eq!(
            resolve(doc, &parts[0]),
            &doc["components"]["schemas"]["Problem"],
            "{method} {path} {status}"
        );
        let codes = parts[1]["properties"]["code"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} {status}: no code enum"));
        assert!(!codes.is_empty(), "{method} {path} {status}");
        for c in codes {
            out.insert((status, c.as_str().unwrap().to_owned()));
        }
    }
    out
}

#[test]
fn each_operation_lists_exactly_the_codes_its_route_answers() {
    let doc = document();
    for route in ROUTES {
        assert_eq!(
            documented_codes(&doc, route.method, route.path),
            expected_codes(route.method, route.path),
            "{} {}: openapi.json problem codes",
            route.method,
            route.path
        );
    }
    assert_eq!(ROUTE_CODES.len(), ROUTES.len());
}

#[test]
fn every_code_of_the_source_is_documented() {
    let listed: BTreeSet<&str> = ROUTE_CODES
        .iter()
        .flat_map(|(_, _, groups)| groups.iter().flat_map(|g| g.iter().copied()))
        .chain(EVERY_ROUTE.iter().copied())
        .chain(DOCUMENT_WIDE.iter().copied())
        .collect();
    let api_md = include_str!("../API.md");
    for code in source_codes().keys() {
        assert!(listed.contains(code.as_str()), "{code}: no route lists it");
        assert!(
            api_md.contains(&format!("`{code}`")),
            "{code}: not in API.md"
        );
    }
    let description = document()["info"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(description.contains("method_not_allowed") && description.contains("Allow"));
}

/// API.md: under each `#### \`METHOD /path\`` heading, a table of `| status | \`code\` | when |`
/// rows with the route's codes (those of [`EVERY_ROUTE`] are listed once, above).
#[test]
fn api_md_lists_each_routes_codes() {
    let source = source_codes();
    let mut tables: BTreeMap<(String, String), BTreeSet<(u16, String)>> = BTreeMap::new();
    let mut current = None;
    for line in include_str!("../API.md").lines() {
        if let Some(h) = line.strip_prefix("#### `") {
            let (method, path) = h.trim_end_matches('`').split_once(' ').unwrap();
            let key = (method.to_owned(), path.to_owned());
            assert!(
                tables.insert(key.clone(), BTreeSet::new()).is_none(),
                "{h} twice"
            );
            current = Some(key);
        } else if line.starts_with('#') {
            current = None;
        } else if let Some(key) = &current {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, status, code, ..] = cells.as_slice()
                && let (Ok(status), Some(code)) = (
                    status.parse::<u16>(),
                    code.strip_prefix('`').and_then(|c| c.strip_suffix('`')),
                )
            {
                assert_eq!(source.get(code), Some(&status), "API.md {key:?}: {code}");
                tables
                    .get_mut(key)
                    .unwrap()
                    .insert((status, code.to_owned()));
            }
        }
    }
    for route in ROUTES {
        let key = (route.method.to_owned(), route.path.to_owned());
        let every: BTreeSet<_> = EVERY_ROUTE
            .iter()
            .map(|c| (source[*c], (*c).to_owned()))
            .collect();
        let expected: BTreeSet<_> = expected_codes(route.method, route.path)
            .difference(&every)
            .cloned()
            .collect();
        let table = tables
            .remove(&key)
            .unwrap_or_else(|| panic!("API.md has no table for {key:?}"));
        assert_eq!(table, expected, "API.md {key:?}");
    }
    assert!(tables.is_empty(), "API.md tables of no route: {tables:?}");
}

// --- response schemas against real responses --------------------------------------------

/// A small JSON Schema check: `$ref`, `allOf`, `oneOf`, `type`, `const`, `enum`,
/// `required`, `properties`, `additionalProperties: false`, `items`, `minimum`.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    let fail = |what: String| Err(format!("{at}: {what}"));
    for s in schema["allOf"].as_array().into_iter().flatten() {
        check(doc, s, value, at)?;
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let matching = one
            .iter()
            .filter(|s| check(doc, s, value, at).is_ok())
            .count();
        if matching != 1 {
            return fail(format!("{value} matches {matching} of oneOf"));
        }
    }
    let type_ok = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("{at}: type {other} not handled"),
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(t)) {
        return fail(format!("{value} is not {types:?}"));
    }
    if schema.get("const").is_some_and(|c| c != value) {
        return fail(format!("{value} is not {}", schema["const"]));
    }
    if schema["enum"]
        .as_array()
        .is_some_and(|e| !e.contains(value))
    {
        return fail(format!("{value} is not in {}", schema["enum"]));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_i64(), value.as_i64())
        && n < min
    {
        return fail(format!("{n} < {min}"));
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap();
            if !object.contains_key(key) {
                return fail(format!("{key} missing from {value}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, v) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => check(doc, s, v, &format!("{at}.{key}"))?,
                None if schema["additionalProperties"] == false => {
                    return fail(format!("{key} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks a response against the schema the document gives for its route and status.
fn conforms(r: &mlegit_client::HttpResponse, method: &str, path: &str) -> Value {
    let doc = document();
    let media = r.content_type.split(';').next().unwrap().trim();
    let response = resolve(
        &doc,
        &doc["paths"][path][method]["responses"][r.status.to_string()],
    );
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path}: no schema for {} {media}",
        r.status
    );
    let value = r.json().unwrap();
    check(
        &doc,
        schema,
        &value,
        &format!("{method} {path} {}", r.status),
    )
    .unwrap();
    if r.status >= 400 {
        let code = (r.status, value["code"].as_str().unwrap().to_owned());
        assert!(
            documented_codes(&doc, method, path).contains(&code),
            "{code:?}"
        );
    }
    value
}

fn real_responses_match_the_schemas(backend: common::Backend) {
    let h = common::Harness::on(backend);
    let school = h.school("XIV LO");
    let anon = h.anon();

    let r = school
        .post_json("/v1/students", &common::claims_with_photo())
        .unwrap();
    let registered = conforms(&r, "post", "/v1/students");
    let student = registered["student_id"].as_str().unwrap().to_owned();
    let show = format!("/v1/students/{student}");
    conforms(
        &school.get(&show).unwrap(),
        "get",
        "/v1/students/{student_id}",
    );

    // A student whose parent sends the photo: upload, accept.
    let r = school.post_json("/v1/students", &common::claims()).unwrap();
    let other = conforms(&r, "post", "/v1/students");
    let r = anon
        .post_json(
            "/v1/photos",
            &json!({"upload_token": other["photo_upload_token"], "photo": common::photo_b64()}),
        )
        .unwrap();
    conforms(&r, "post", "/v1/photos");
    let other_id = other["student_id"].as_str().unwrap();
    let r = school
        .post_json(&format!("/v1/students/{other_id}/photo/accept"), &json!({}))
        .unwrap();
    conforms(&r, "post", "/v1/students/{student_id}/photo/accept");
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B", "student_ids": [other_id]}),
        )
        .unwrap();
    conforms(&r, "post", "/v1/activation-batches");

    let r = school
        .post_json(&format!("/v1/students/{student}/activations"), &json!({}))
        .unwrap();
    let activation = conforms(&r, "post", "/v1/students/{student_id}/activations");
    let id = activation["activation_id"].as_str().unwrap();
    let r = anon
        .post_json(&format!("/v1/activations/{id}/challenge"), &json!({}))
        .unwrap();
    conforms(&r, "post", "/v1/activations/{activation_id}/challenge");
    anon.activate(
        id,
        activation["code"].as_str().unwrap(),
        &[&common::device(7)],
    )
    .unwrap();

    let shown = conforms(
        &school.get(&show).unwrap(),
        "get",
        "/v1/students/{student_id}",
    );
    assert_eq!(shown["activation"]["state"], "used");
    let cid = shown["credentials"][0]["credential_id"].as_str().unwrap();
    let revoke = format!("/v1/credentials/{cid}/revoke");
    let r = school
        .post_json(&revoke, &json!({"reason": "holder_request"}))
        .unwrap();
    conforms(&r, "post", "/v1/credentials/{credential_id}/revoke");
    let shown = conforms(
        &school.get(&show).unwrap(),
        "get",
        "/v1/students/{student_id}",
    );
    assert_eq!(shown["credentials"][0]["reason"], "holder_request");

    // Problems match the Problem schema and their route's code list.
    let r = school
        .post_json(&revoke, &json!({"reason": "holder_request"}))
        .unwrap();
    assert_eq!(
        conforms(&r, "post", "/v1/credentials/{credential_id}/revoke")["code"],
        "already_revoked"
    );
    let r = school
        .get(&format!("/v1/students/{}", "0".repeat(32)))
        .unwrap();
    conforms(&r, "get", "/v1/students/{student_id}");
    let r = anon.post_json("/v1/students", &common::claims()).unwrap();
    conforms(&r, "post", "/v1/students");
    let r = anon.get("/v1/status-lists/999").unwrap();
    conforms(&r, "get", "/v1/status-lists/{list}");
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B", "student_ids": [other_id, "x"]}),
        )
        .unwrap();
    let problem = conforms(&r, "post", "/v1/activation-batches");
    assert_eq!(
        (&problem["code"], &problem["index"]),
        (&json!("student_not_found"), &json!(1))
    );
}

#[test]
fn the_schema_check_refuses_missing_extra_and_mistyped_members() {
    let doc = document();
    let schema = json!({"$ref": "#/components/schemas/Revoked"});
    let good = json!({"credential_id": "00", "status": "revoked", "reason": "school_change", "credentials_revoked": 3});
    check(&doc, &schema, &good, "good").unwrap();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("reason");
    let mut extra = good.clone();
    extra["more"] = json!(1);
    let mut mistyped = good.clone();
    mistyped["credential_id"] = json!(7);
    for bad in [missing, extra, mistyped] {
        assert!(check(&doc, &schema, &bad, "bad").is_err(), "{bad}");
    }
    let null_activation =
        json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/StudentActivation"}]});
    check(&doc, &null_activation, &Value::Null, "null").unwrap();
    assert!(check(&doc, &null_activation, &json!({}), "empty").is_err());
}

store_tests!(real_responses_match_the_schemas);
