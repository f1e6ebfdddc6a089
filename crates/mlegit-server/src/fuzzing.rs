//! Entry points for the fuzz targets in `fuzz/` (hidden; not a stable API).
//!
//! Each runs exactly the parsing and validation a handler runs on a request body (or
//! query string) before it opens a transaction: no database, no network, and a fixed
//! time and server secret instead of the clock and the data directory's secret.

use crate::app::{self, ApiRequest};

/// The time the activation challenge is checked at (the test vectors' NOW).
pub const NOW: u64 = 1_790_000_000;
/// The server secret the activation challenge is checked with.
pub const SECRET: [u8; 32] = [7; 32];
/// The activation id of the activate routes (a path parameter).
pub const ACTIVATION_ID: &str = "0123456789abcdef0123456789abcdef";
/// The credential id of the revoke route (a path parameter).
pub const CREDENTIAL_ID: &str = "00112233445566778899aabbccddeeff";

/// The routes [`body`] dispatches to (`route % ROUTES`).
pub const ROUTES: u8 = 8;

/// Runs the parser of route `route % ROUTES` on `bytes`:
///
/// 0. `GET /v1/status-lists/{list}`: `bytes` is the list number (UTF-8);
/// 1. `POST /v1/students` and `PUT /v1/students/{id}` (claims and base64 photo);
/// 2. `POST /v1/photos` (upload token and base64 photo);
/// 3. `POST /v1/students/{id}/photo/reject`;
/// 4. `POST /v1/activation-batches`;
/// 5. `POST /v1/activations/{id}/activate`, the challenge checked against [`SECRET`] at
///    [`NOW`] (a fuzzer rarely gets past its MAC, hence route 6);
/// 6. the same with the challenge check passed, so that the device key, the COSE proof
///    of possession and the code are reached;
/// 7. `POST /v1/credentials/{id}/revoke`.
///
/// `POST .../photo/accept` and `POST .../challenge` ignore their bodies.
pub fn body(route: u8, bytes: &[u8]) {
    let req = ApiRequest {
        json_body: true,
        body: bytes.to_vec(),
        ..ApiRequest::default()
    };
    match route % ROUTES {
        0 => {
            if let Ok(text) = core::str::from_utf8(bytes) {
                let _ = app::parse_list_id(text);
            }
        }
        1 => {
            let _ = app::parse_registration(&req);
        }
        2 => {
            let _ = app::parse_upload(&req);
        }
        3 => {
            let _ = app::parse_reject(&req);
        }
        4 => {
            let _ = app::parse_batch(&req);
        }
        5 => {
            let _ = app::parse_activate(ACTIVATION_ID, &req, mlegit::activation::MAX_BATCH, |c| {
                app::check_challenge(&SECRET, ACTIVATION_ID, c, NOW)
            });
        }
        6 => {
            let _ = app::parse_activate(ACTIVATION_ID, &req, mlegit::activation::MAX_BATCH, |_| {
                Ok(())
            });
        }
        _ => {
            let _ = app::parse_revoke(CREDENTIAL_ID, &req);
        }
    }
}

/// True for the routes whose body carries a photo (1 and 2): decoding an image may hold far
/// more heap than the input's length (it is bounded by the photo limits instead), so the
/// fuzz target checks the heap bound on the other routes only.
pub fn carries_photo(route: u8) -> bool {
    matches!(route % ROUTES, 1 | 2)
}

/// The photo pipeline on arbitrary bytes: format sniffing, JPEG/PNG decoding under the
/// server's limits, reduction to a 150x200 JPEG portrait under the core's cap.
pub fn photo(bytes: &[u8]) {
    let _ = crate::photo::portrait(bytes);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The hand-written seeds of `fuzz/corpus/server_bodies` for routes 5 and 6 are valid
    /// batches of one (spec §19) for [`ACTIVATION_ID`], their challenge made with [`SECRET`]
    /// and good at [`NOW`]: the fuzzer starts past the MAC, the proofs and the code's format.
    #[test]
    fn the_activation_seeds_reach_the_code_check() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/corpus/server_bodies"
        );
        for name in ["activate", "activate-nomac"] {
            let bytes = std::fs::read(format!("{dir}/{name}")).expect("seed");
            let (route, body) = bytes.split_first().expect("a route byte");
            assert!(matches!(route % ROUTES, 5 | 6), "{name}");
            let req = ApiRequest {
                json_body: true,
                body: body.to_vec(),
                ..ApiRequest::default()
            };
            let (keys, digits) = app::parse_activate(ACTIVATION_ID, &req, 64, |c| {
                app::check_challenge(&SECRET, ACTIVATION_ID, c, NOW)
            })
            .expect(name);
            assert_eq!((keys.len(), digits.as_str()), (1, "123456789012"), "{name}");
        }
    }
}
