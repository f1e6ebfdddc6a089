//! The OpenAPI document names every route of the router, and nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::BTreeSet;

use mlegit_server::routes::{Matched, ROUTES, match_route};

#[test]
fn openapi_document_matches_the_router() {
    let doc: serde_json::Value = serde_json::from_str(mlegit_server::openapi::DOCUMENT).unwrap();
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
    let r = h.anon().get("/openapi.json").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, mlegit_server::openapi::DOCUMENT.as_bytes());
}
