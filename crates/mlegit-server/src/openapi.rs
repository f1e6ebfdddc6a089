//! The OpenAPI 3.1 document of every route (served at `GET /openapi.json`).

/// The document, JSON.
pub const DOCUMENT: &str = include_str!("openapi.json");
