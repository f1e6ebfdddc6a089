//! Regression tests for an outside review of the server: authentication before any
//! parsing or photo decoding, exact media types, `Allow` on 405, a resubmission that keeps
//! the photo, owner-only files, personal data gone from the raw database files (main,
//! `-wal`, `-shm`) after issuance and after the 30-day sweep, connection slots per client
//! address, and HTTPS with a private CA.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use mlegit::{ClaimName, Disclosure};
use mlegit_client::test_ca::TestCa;
use mlegit_client::{Client, Connector};
use serde_json::json;

/// Tests that make the server decode a photo take this lock, so that the decode counter
/// read by `photos_are_decoded_only_for_authenticated_requests` moves only for it.
static PHOTO_DECODES: Mutex<()> = Mutex::new(());

fn lock_decodes() -> std::sync::MutexGuard<'static, ()> {
    PHOTO_DECODES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn school_routes_authenticate_before_parsing(backend: Backend) {
    let h = Harness::on(backend);
    let anon = h.anon();
    let mut bad = claims();
    bad["pesel"] = json!("08231412343");
    // A bad PESEL, a body that is not JSON, a wrong media type, a body over the cap: all
    // are 401 without a token, as they would be with any other content.
    assert_problem(
        &anon.post_json("/v1/students", &bad).unwrap(),
        401,
        "unauthorized",
    );
    assert_problem(
        &anon
            .request("POST", "/v1/students", Some("text/plain"), b"{x", &[])
            .unwrap(),
        401,
        "unauthorized",
    );
    assert_problem(
        &anon
            .request(
                "PUT",
                "/v1/students/abc",
                Some("application/json"),
                b"[1,2",
                &[],
            )
            .unwrap(),
        401,
        "unauthorized",
    );
    let over = vec![b' '; 8 * 1024 * 1024];
    assert_problem(
        &anon
            .request("POST", "/v1/students", Some("application/json"), &over, &[])
            .unwrap(),
        401,
        "unauthorized",
    );
    let forged = http_client(&h.url).with_token("mlsk_forged");
    assert_problem(
        &forged.post_json("/v1/students", &bad).unwrap(),
        401,
        "unauthorized",
    );
    // With a token the same body is judged on its content.
    let school = h.school("LO");
    let r = school.post_json("/v1/students", &bad).unwrap();
    assert_problem(&r, 422, "invalid_pesel");
}

fn photos_are_decoded_only_for_authenticated_requests(backend: Backend) {
    let _decodes = lock_decodes();
    let h = Harness::on(backend);
    let before = mlegit_server::photo::decodes_started();
    let with_photo = claims_with_photo();
    let anon = h.anon();
    assert_problem(
        &anon.post_json("/v1/students", &with_photo).unwrap(),
        401,
        "unauthorized",
    );
    assert_problem(
        &anon
            .send_json("PUT", "/v1/students/abc", &with_photo)
            .unwrap(),
        401,
        "unauthorized",
    );
    let upload = json!({"upload_token": "mlup_guessed", "photo": photo_b64()});
    assert_problem(
        &anon.post_json("/v1/photos", &upload).unwrap(),
        404,
        "upload_token_invalid",
    );
    assert_eq!(
        mlegit_server::photo::decodes_started(),
        before,
        "an unauthenticated request reached the photo decoder"
    );
    // The counter does count: an authenticated registration decodes its photo once, and
    // a parent's upload with a real token once more.
    let school = h.school("LO");
    let r = school.post_json("/v1/students", &claims()).unwrap();
    assert_eq!(r.status, 201);
    let token = r.json().unwrap()["photo_upload_token"]
        .as_str()
        .unwrap()
        .to_owned();
    register(&school);
    assert_eq!(mlegit_server::photo::decodes_started(), before + 1);
    let r = anon
        .post_json(
            "/v1/photos",
            &json!({"upload_token": token, "photo": photo_b64()}),
        )
        .unwrap();
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(mlegit_server::photo::decodes_started(), before + 2);
}

#[test]
fn json_media_types_are_matched_whole() {
    let h = Harness::new();
    let school = h.school("LO");
    let body = serde_json::to_vec(&claims()).unwrap();
    for wrong in [
        "application/jsonx",
        "application/json-seq",
        "application/json; charset=latin1",
        "text/json",
    ] {
        let r = school
            .request("POST", "/v1/students", Some(wrong), &body, &[])
            .unwrap();
        assert_problem(&r, 415, "unsupported_media_type");
    }
    let r = school
        .request(
            "POST",
            "/v1/students",
            Some("application/json; charset=UTF-8"),
            &body,
            &[],
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn method_not_allowed_names_the_allowed_methods() {
    let h = Harness::new();
    let anon = h.anon();
    let r = anon
        .request("POST", "/v1/trust-list", None, b"", &[])
        .unwrap();
    assert_problem(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = anon
        .request("DELETE", "/v1/students/abc", None, b"", &[])
        .unwrap();
    assert_problem(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT"));
    let r = anon.get("/v1/activations/abc/activate").unwrap();
    assert_eq!(r.header("allow"), Some("POST"));
    let r = anon.get("/v1/nothing").unwrap();
    assert_problem(&r, 404, "not_found");
    assert_eq!(r.header("allow"), None);
}

fn a_resubmission_without_photo_keeps_the_photo(backend: Backend) {
    let _decodes = lock_decodes();
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let r = school
        .send_json("PUT", &format!("/v1/students/{student}"), &claims())
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json().unwrap()["photo_state"], "accepted");
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["photo_state"], "accepted");
    // ... so the student can still be activated, with the portrait.
    let (_, code, qr, _) = activation(&school, &student);
    let activated = connector()
        .activate_from_qr(&qr, &code, &[&device(3)])
        .unwrap()
        .remove(0);
    let names: Vec<ClaimName> = activated.disclosures.iter().map(Disclosure::name).collect();
    assert!(names.contains(&ClaimName::Portrait), "{names:?}");
}

#[test]
fn a_photo_over_the_pixel_limit_is_too_large_not_invalid() {
    let _decodes = lock_decodes();
    let h = Harness::new();
    let school = h.school("LO");
    let mut body = claims();
    body["photo"] = json!(STANDARD.encode(png(4097, 16)));
    let r = school.post_json("/v1/students", &body).unwrap();
    assert_problem(&r, 413, "photo_too_large");
    assert!(String::from_utf8_lossy(&r.body).contains("4096 pixels"));
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn database_files_are_owner_only() {
    let h = Harness::new();
    let school = h.school("LO");
    school.post_json("/v1/students", &claims()).unwrap();
    let data = h.data_dir();
    assert_eq!(mode(&data), 0o700);
    let db = data.join(mlegit_server::store::DB_FILE);
    for suffix in ["", "-wal", "-shm"] {
        let path = Path::new(&format!("{}{suffix}", db.display())).to_path_buf();
        assert!(path.exists(), "{}", path.display());
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn personal_data_leaves_the_raw_files_at_issuance_and_at_the_sweep() {
    let _decodes = lock_decodes();
    let h = Harness::new();
    let school = h.school("LO");
    let data = h.data_dir();
    let pesel: &[u8] = b"08231412342";
    let name = "Kowalska".as_bytes();
    let address = "ul. Długa 1".as_bytes();

    // Issuance: the data is in the files while it waits, and gone once issued.
    let student = register(&school);
    assert!(
        !traces(&data, &[pesel, name, address]).is_empty(),
        "the search finds nothing even before issuance"
    );
    let (_, code, qr, _) = activation(&school, &student);
    let activated = connector()
        .activate_from_qr(&qr, &code, &[&device(1)])
        .unwrap()
        .remove(0);
    let portrait = portrait_piece(&activated.disclosures);
    let found = traces(&data, &[pesel, name, address, &portrait]);
    assert!(found.is_empty(), "after issuance: {found:?}");

    // The 30-day sweep: a student never activated.
    let mut other = claims();
    other["family_name"] = json!("Wiśniewska");
    other["pesel"] = json!("08231412359");
    other["photo"] = json!(photo_b64());
    let r = school.post_json("/v1/students", &other).unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let other_name = "Wiśniewska".as_bytes();
    let other_pesel: &[u8] = b"08231412359";
    assert!(!traces(&data, &[other_name, other_pesel]).is_empty());
    h.clock.advance(31 * 24 * 3600);
    assert_eq!(h.server.as_ref().unwrap().run_retention().unwrap(), 1);
    let found = traces(&data, &[other_name, other_pesel, address]);
    assert!(found.is_empty(), "after the sweep: {found:?}");
}

#[test]
fn idle_connections_from_one_address_cannot_starve_another() {
    let h = Harness::with(|c| {
        c.max_connections = 128;
        c.max_connections_per_ip = 16;
    });
    let addr = h.server.as_ref().unwrap().local_addr();
    // 200 idle connections from 127.0.0.2, more than the whole server allows.
    let idle = h.rt.block_on(async {
        let mut held = Vec::new();
        for _ in 0..200 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            if let Ok(stream) = socket.connect(addr).await {
                held.push(stream);
            }
        }
        // Let the server accept (and refuse) them all before the check below.
        tokio::time::sleep(Duration::from_millis(300)).await;
        held
    });
    assert_eq!(idle.len(), 200);
    // 127.0.0.1 is still served, well within the idle connections' header timeout.
    let client = Connector::new()
        .allow_plain_http(true)
        .total_timeout(Duration::from_secs(5))
        .client(&h.url)
        .unwrap();
    for _ in 0..20 {
        let r = client.get("/healthz").unwrap();
        assert_eq!(r.status, 200);
    }
    drop(idle);
}

#[test]
fn the_server_speaks_https_with_its_certificate() {
    let _decodes = lock_decodes();
    let ca = TestCa::new(&["localhost", "127.0.0.1"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &ca.cert_pem).unwrap();
    std::fs::write(&key, &ca.key_pem).unwrap();
    let h = Harness::with(|c| {
        c.tls = Some(mlegit_server::TlsFiles { cert, key });
    });
    assert!(h.url.starts_with("https://127.0.0.1:"), "{}", h.url);
    let https = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();

    // The whole phone side over HTTPS: the QR payload carries the https URL.
    let mut admin = h.admin();
    let school_id = admin.create_school("LO").unwrap().id;
    let token = admin.create_token(school_id).unwrap().token;
    let school: Client = https.client(&h.url).unwrap().with_token(&token);
    let student = register(&school);
    let (_, code, qr, _) = activation(&school, &student);
    assert!(qr.starts_with("https://"), "{qr}");
    let activated = https
        .activate_from_qr(&qr, &code, &[&device(9)])
        .unwrap()
        .remove(0);
    let info = mlegit::CredentialInfo::decode_unverified(&activated.credential).unwrap();
    // Over HTTPS the list is fetched at the credential's own status URI.
    assert!(
        info.status
            .uri
            .starts_with(&format!("{}/v1/status-lists/", h.url))
    );
    let token = match https.status_list(&info.status.uri, None).unwrap() {
        mlegit_client::StatusListFetch::Token { token, .. } => token,
        other => panic!("{other:?}"),
    };
    let trust = https.client(&h.url).unwrap().trust_list().unwrap();
    let verifier = mlegit::Verifier::new(trust);
    let list = verifier
        .verify_status_list(
            &token,
            &mlegit::StatusListContext::new(T0, &info.status.uri),
        )
        .unwrap();
    assert_eq!(
        verifier.check_status(&list, &info.status, T0),
        Ok(mlegit::ListStatus::Valid)
    );

    // Plain HTTP to the TLS port gets no HTTP answer; an untrusting client refuses.
    let plain_url = h.url.replacen("https://", "http://", 1);
    assert!(
        Connector::new()
            .allow_plain_http(true)
            .total_timeout(Duration::from_secs(5))
            .client(&plain_url)
            .unwrap()
            .get("/healthz")
            .is_err()
    );
    let err = Connector::new()
        .client(&h.url)
        .unwrap()
        .get("/healthz")
        .unwrap_err();
    assert!(matches!(err, mlegit_client::ClientError::Tls(_)), "{err:?}");
}

#[test]
fn the_verifier_page_serves_its_six_files_and_nothing_else() {
    let page = tempfile::tempdir().unwrap();
    std::fs::write(page.path().join("index.html"), "<!doctype html><p>page").unwrap();
    std::fs::write(page.path().join("mlegit_wasm_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(page.path().join("mlegit.js"), "export {};").unwrap();
    std::fs::write(page.path().join("secret.txt"), "not served").unwrap();
    let dir = page.path().to_path_buf();
    let h = Harness::with(move |c| c.verifier_page = Some(dir));
    let anon = h.anon();
    for path in ["/verifier", "/verifier/", "/verifier/index.html"] {
        let r = anon.get(path).unwrap();
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (200, "text/html; charset=utf-8"),
            "{path}"
        );
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("connect-src 'self'") && csp.contains("'wasm-unsafe-eval'"));
    }
    let r = anon.get("/verifier/mlegit_wasm_bg.wasm").unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/wasm")
    );
    let r = anon.get("/verifier/mlegit.js").unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "text/javascript; charset=utf-8")
    );
    // Named but absent, not on the list, or outside the directory: 404.
    for path in [
        "/verifier/verifier.js",
        "/verifier/secret.txt",
        "/verifier/../server.secret",
        "/verifier/%2e%2e/server.secret",
    ] {
        assert_eq!(anon.get(path).unwrap().status, 404, "{path}");
    }
    // Without a page directory there is no page.
    assert_eq!(Harness::new().anon().get("/verifier/").unwrap().status, 404);
}

store_tests!(
    school_routes_authenticate_before_parsing,
    photos_are_decoded_only_for_authenticated_requests,
    a_resubmission_without_photo_keeps_the_photo,
);

#[test]
fn randomness_is_injected_like_the_clock() {
    // Two servers on the same seed hand out the same student id, activation id and code;
    // the default (the OS-seeded CSPRNG) does not.
    // Registrations decode photos: not while another test counts the decodes.
    let _decodes = lock_decodes();
    let seeded = || {
        Harness::with(|c| {
            c.random = std::sync::Arc::new(mlegit_server::random::SeededRandom::new(42))
        })
    };
    let run = |h: &Harness| {
        let school = h.school("LO");
        let student = register(&school);
        let (id, code, _, _) = activation(&school, &student);
        (student, id, code)
    };
    let (a, b) = (seeded(), seeded());
    assert_eq!(run(&a), run(&b));
    let (c, d) = (Harness::new(), Harness::new());
    let (x, y) = (run(&c), run(&d));
    assert_ne!(x.0, y.0);
    assert_ne!(x.1, y.1);
}
