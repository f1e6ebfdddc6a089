//! The relay of the online presentation (spec §18): a whole exchange over HTTPS, what the
//! relay keeps and logs, and every refusal (replay, second response, expiry, wrong or
//! guessed code, another key, a wrong receive token, the rate limits).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use mlegit::online::{self, Engagement, ResponseKey, SessionBinding};
use mlegit::{
    ClaimName, ClaimValue, P256Signer, PresentationRequest, RequestChecker, Signer as _,
    VerifyContext, Wallet,
};
use mlegit_client::test_ca::TestCa;
use mlegit_client::{Client, ClientError, Connector, Session};
use sha2::{Digest, Sha256};

const AUDIENCE: &str = "https://kino.example";

/// Every log line of this test binary's servers, at every level.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .json()
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);
impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn status_of(r: Result<impl std::fmt::Debug, ClientError>) -> (u16, String) {
    match r {
        Err(ClientError::Status { status, code }) => (status, code),
        other => panic!("expected an error status, got {other:?}"),
    }
}

/// A verifier's online request: the given claims, a fresh response key, unsigned.
fn online_request(key: &ResponseKey, nonce: u8, claims: &[ClaimName]) -> PresentationRequest {
    PresentationRequest {
        nonce: vec![nonce; 16],
        audience: AUDIENCE.into(),
        verifier_name: "Kino".into(),
        claims: claims.to_vec(),
        created_at: T0,
        response_key: Some(key.public_key().clone()),
    }
}

fn rng() -> rand::rngs::ThreadRng {
    rand::rng()
}

/// The data directory's files, each with the SHA-256 of its bytes.
fn storage(h: &Harness) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(h.data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let digest = Sha256::digest(std::fs::read(&p).unwrap());
            (p.display().to_string(), hex::encode(digest))
        })
        .collect();
    files.sort();
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_online_presentation_over_https_reaches_the_verifier_and_nothing_else() {
    let logs = logs();
    let ca = TestCa::new(&["localhost", "127.0.0.1"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &ca.cert_pem).unwrap();
    std::fs::write(&key, &ca.key_pem).unwrap();
    let h = Harness::with(|c| c.tls = Some(mlegit_server::TlsFiles { cert, key }));
    let https = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();

    // A student with a portrait, activated on a phone.
    let mut admin = h.admin();
    let school_id = admin.create_school("LO").unwrap().id;
    let token = admin.create_token(school_id).unwrap().token;
    let school: Client = https.client(&h.url).unwrap().with_token(&token);
    let student = register(&school);
    let (_, code, qr, _) = activation(&school, &student);
    let phone = device(9);
    let activated = https
        .activate_from_qr(&qr, &code, &[&phone])
        .unwrap()
        .remove(0);
    // The portrait as the phone holds it: the last 64 bytes of its disclosure (JPEG data).
    let portrait: Vec<u8> = activated
        .disclosures
        .iter()
        .find(|d| d.name() == ClaimName::Portrait)
        .map(|d| d.as_bytes()[d.as_bytes().len() - 64..].to_vec())
        .expect("a portrait");

    // The cinema, registered by the authority, signs its online request.
    let kino = P256Signer::from_scalar(&[0x61; 32]).unwrap();
    let claims = [
        ClaimName::GivenNames,
        ClaimName::AgeOver18,
        ClaimName::Portrait,
    ];
    let registered = admin
        .register_verifier("Kino", AUDIENCE, &claims, &kino.public_key(), 30)
        .unwrap();
    let response_key = ResponseKey::generate(&mut rng());
    let request = online_request(&response_key, 0x44, &claims)
        .sign(&kino, &registered.certificate)
        .unwrap();
    let request_digest: [u8; 32] = Sha256::digest(&request).into();

    // What the phone and the cinema fetch from the issuer beforehand (these GETs may touch
    // the database; the relay's routes below must not).
    let relay = https.client(&h.url).unwrap();
    let authorities = relay
        .request("GET", "/v1/authority-list", None, &[], &[])
        .unwrap()
        .success()
        .unwrap();
    let authorities = mlegit::TrustList::from_slice(&authorities.body).unwrap();
    let trust = relay.trust_list().unwrap();
    let before = storage(&h);
    let session = relay.create_session(&request).unwrap();
    assert_eq!(session.code.len(), 6);
    let uri = Engagement {
        relay_origin: h.url.clone(),
        session_id: session.session_id,
        key_digest: response_key.key_digest(),
    }
    .to_uri();

    // The phone scans the QR: fetches, checks who asks (A1-A12, then E1-E2), answers.
    let (engagement, phone_relay, fetched) = https.fetch_engagement(&uri).unwrap();
    assert_eq!(fetched.request, request);
    let checker = RequestChecker::new(authorities);
    let checked = checker.check(&fetched.request, T0).unwrap();
    engagement.check(&checked).unwrap();
    assert_eq!(checked.verifier().unwrap().name(), "Kino");
    let wallet = Wallet::new(activated.credential, activated.disclosures, phone).unwrap();
    let presentation = wallet.answer(&claims, &checked, T0 + 3).unwrap();
    let binding = SessionBinding {
        relay_origin: &engagement.relay_origin,
        session_id: &engagement.session_id,
        request_digest: &request_digest,
    };
    let sealed = online::seal(
        checked.request().response_key.as_ref().unwrap(),
        &binding,
        &presentation,
        &mut rng(),
    )
    .unwrap();
    phone_relay
        .post_response(&engagement.session_id, &sealed)
        .unwrap();
    // One response a session.
    assert_eq!(
        status_of(phone_relay.post_response(&engagement.session_id, &sealed)),
        (409, "response_already_posted".into())
    );

    // The cinema receives, opens and verifies.
    let received = relay.receive_response(&session, 5).unwrap().unwrap();
    assert_eq!(received, sealed);
    let opened = response_key.open(&received, &binding).unwrap();
    let verified = mlegit::Verifier::new(trust)
        .verify(
            &opened,
            &VerifyContext::answering_signed(T0 + 5, &[0x44; 16], AUDIENCE, &request_digest),
        )
        .unwrap();
    assert_eq!(
        verified.claim(ClaimName::GivenNames),
        Some(&ClaimValue::Text("Anna Maria".into()))
    );
    // Delivered: the session is gone, and so are its bytes.
    assert_eq!(
        status_of(relay.receive_response(&session, 0)),
        (404, "session_not_found".into())
    );
    assert_eq!(
        status_of(phone_relay.fetch_session(&engagement.session_id)),
        (404, "session_not_found".into())
    );
    assert_eq!(h.server.as_ref().map(|s| s.relay_sessions()), Some(0));

    // What the relay could keep or tell: no claim value, no portrait byte. Its storage is
    // as it was before the session, its logs name no session, code or value, and what it
    // sent the phone and the cinema is the request and the ciphertext.
    assert_eq!(storage(&h), before, "the relay wrote to the data directory");
    let log = logs.lock().unwrap().clone();
    // The logs are there: a line per request, by route template.
    assert!(contains(&log, b"/v1/sessions/{session_id}/response"));
    let sid_text = uri
        .split('/')
        .next_back()
        .unwrap()
        .split('#')
        .next()
        .unwrap();
    for (what, needle) in [
        ("the given names", b"Anna Maria".as_slice()),
        ("the portrait", &portrait[..]),
        ("the session id", sid_text.as_bytes()),
        ("the code", format!("\"{}\"", session.code).as_bytes()),
        ("the receive token", session.receive_token.as_bytes()),
    ] {
        assert!(!contains(&log, needle), "the logs hold {what}");
    }
    for (what, needle) in [
        ("the given names", b"Anna Maria".as_slice()),
        ("the portrait", &portrait[..]),
    ] {
        assert!(!contains(&sealed, needle), "the ciphertext holds {what}");
        assert!(
            !contains(&fetched.request, needle),
            "the request holds {what}"
        );
    }
    assert!(contains(&presentation, &portrait[..]));
}

/// A plain-HTTP relay on the harness's manual clock, and an online request for it.
fn relay_and_request() -> (Harness, Client, ResponseKey, Vec<u8>) {
    let h = Harness::new();
    let relay = h.anon();
    let key = ResponseKey::generate(&mut rng());
    let request = online_request(&key, 0x21, &[ClaimName::AgeOver18]).to_vec();
    (h, relay, key, request)
}

fn sealed_for(key: &ResponseKey, session: &Session, request: &[u8]) -> Vec<u8> {
    let digest: [u8; 32] = Sha256::digest(request).into();
    online::seal(
        key.public_key(),
        &SessionBinding {
            relay_origin: "https://relay.example",
            session_id: &session.session_id,
            request_digest: &digest,
        },
        b"a presentation",
        &mut rng(),
    )
    .unwrap()
}

#[test]
fn the_relay_refuses_what_is_not_a_request_or_a_response() {
    let (_h, relay, key, request) = relay_and_request();
    // No response key: a phone would refuse it at E1.
    let mut offline = PresentationRequest::from_slice(&request).unwrap();
    offline.response_key = None;
    let r = relay
        .request("POST", "/v1/sessions", None, &offline.to_vec(), &[])
        .unwrap();
    assert_eq!(
        (r.status, r.problem_code()),
        (422, "request_invalid".into())
    );
    assert_eq!(r.json().unwrap()["reason"], "missing_field");
    let r = relay
        .request("POST", "/v1/sessions", None, b"\xa0", &[])
        .unwrap();
    assert_eq!(
        (r.status, r.problem_code()),
        (422, "request_invalid".into())
    );
    let too_long = vec![0u8; mlegit::MAX_SIGNED_REQUEST_LEN + 1];
    assert_eq!(
        relay
            .request("POST", "/v1/sessions", None, &too_long, &[])
            .unwrap()
            .status,
        413
    );
    // A response is checked as far as a relay can (O1, O2), not opened.
    let session = relay.create_session(&request).unwrap();
    let r = relay
        .request(
            "POST",
            &format!("/v1/sessions/{}/response", b64(&session.session_id)),
            None,
            b"\x83\x40\xa0\x40",
            &[],
        )
        .unwrap();
    assert_eq!(
        (r.status, r.problem_code()),
        (422, "response_invalid".into())
    );
    assert_eq!(r.json().unwrap()["reason"], "cbor_malformed");
    // Unknown and malformed session ids, wrong receive tokens.
    for sid in ["AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAB", "short"] {
        let r = relay.get(&format!("/v1/sessions/{sid}")).unwrap();
        assert_eq!(
            (r.status, r.problem_code()),
            (404, "session_not_found".into())
        );
    }
    let forged = Session {
        receive_token: "not-the-token".into(),
        ..session.clone()
    };
    assert_eq!(
        status_of(relay.receive_response(&forged, 0)),
        (403, "session_token_invalid".into())
    );
    assert_eq!(
        status_of(relay.end_session(&forged)),
        (403, "session_token_invalid".into())
    );
    // Nothing yet: 204, then the verifier ends it and it is gone.
    assert_eq!(relay.receive_response(&session, 0).unwrap(), None);
    relay.end_session(&session).unwrap();
    assert_eq!(
        status_of(relay.post_response(&session.session_id, &sealed_for(&key, &session, &request))),
        (404, "session_not_found".into())
    );
}

#[test]
fn a_response_replayed_or_sealed_to_another_key_does_not_open() {
    let (_h, relay, key, request) = relay_and_request();
    let first = relay.create_session(&request).unwrap();
    let second = relay.create_session(&request).unwrap();
    let digest: [u8; 32] = Sha256::digest(&request).into();
    let sealed = sealed_for(&key, &first, &request);
    // The relay cannot tell: it takes the copy for the second session.
    relay.post_response(&first.session_id, &sealed).unwrap();
    relay.post_response(&second.session_id, &sealed).unwrap();
    let replayed = relay.receive_response(&second, 0).unwrap().unwrap();
    let binding = SessionBinding {
        relay_origin: "https://relay.example",
        session_id: &second.session_id,
        request_digest: &digest,
    };
    assert_eq!(
        key.open(&replayed, &binding),
        Err(mlegit::Error::ResponseUndecryptable)
    );
    // Sealed to another key (a relay that swapped the key of an unsigned request).
    let third = relay.create_session(&request).unwrap();
    let stranger = ResponseKey::generate(&mut rng());
    relay
        .post_response(&third.session_id, &sealed_for(&stranger, &third, &request))
        .unwrap();
    let got = relay.receive_response(&third, 0).unwrap().unwrap();
    let binding = SessionBinding {
        relay_origin: "https://relay.example",
        session_id: &third.session_id,
        request_digest: &digest,
    };
    assert_eq!(
        key.open(&got, &binding),
        Err(mlegit::Error::ResponseUndecryptable)
    );
}

#[test]
fn sessions_expire_after_three_minutes() {
    let (h, relay, key, request) = relay_and_request();
    let session = relay.create_session(&request).unwrap();
    assert_eq!(
        session.expires_at,
        T0 + mlegit_server::relay::SESSION_LIFETIME
    );
    h.clock.advance(mlegit_server::relay::SESSION_LIFETIME - 1);
    relay.fetch_session(&session.session_id).unwrap();
    h.clock.advance(1);
    assert_eq!(
        status_of(relay.fetch_session(&session.session_id)),
        (404, "session_not_found".into())
    );
    assert_eq!(
        status_of(relay.post_response(&session.session_id, &sealed_for(&key, &session, &request))),
        (404, "session_not_found".into())
    );
    assert_eq!(
        status_of(relay.lookup_code(&session.code)),
        (404, "session_not_found".into())
    );
    assert_eq!(
        status_of(relay.receive_response(&session, 0)),
        (404, "session_not_found".into())
    );
}

#[test]
fn a_code_is_single_use_and_guessing_is_throttled() {
    let (h, relay, _key, request) = relay_and_request();
    let session = relay.create_session(&request).unwrap();
    let found = relay.lookup_code(&session.code).unwrap();
    assert_eq!(
        (found.session_id, found.request.as_slice()),
        (session.session_id, request.as_slice())
    );
    // Spent by the lookup, though the session lives on (by its id).
    assert_eq!(
        status_of(relay.lookup_code(&session.code)),
        (404, "session_not_found".into())
    );
    relay.fetch_session(&session.session_id).unwrap();
    // Guessing: 10 lookups a minute per address, hits and misses alike (2 used above).
    let other = relay.create_session(&request).unwrap();
    let mut misses = 0;
    let mut guess = 0u32;
    loop {
        let code = format!("{guess:06}");
        guess += 1;
        if code == other.code {
            continue;
        }
        let r = relay.get(&format!("/v1/codes/{code}")).unwrap();
        if r.status == 429 {
            assert_eq!(r.problem_code(), "too_many_requests");
            assert_eq!(r.header("retry-after"), Some("60"));
            assert_eq!(r.json().unwrap()["retry_after"], 60);
            break;
        }
        assert_eq!(
            (r.status, r.problem_code()),
            (404, "session_not_found".into())
        );
        misses += 1;
    }
    assert_eq!(misses, mlegit_server::relay::CODE_LOOKUPS_PER_WINDOW - 2);
    // The right code is refused too until the window ends; then it works.
    assert_eq!(status_of(relay.lookup_code(&other.code)).0, 429);
    h.clock.advance(mlegit_server::relay::WINDOW);
    assert_eq!(
        relay.lookup_code(&other.code).unwrap().session_id,
        other.session_id
    );
}

#[test]
fn session_creation_is_limited_per_address() {
    let (_h, relay, _key, request) = relay_and_request();
    for _ in 0..mlegit_server::relay::SESSIONS_PER_WINDOW {
        relay.create_session(&request).unwrap();
    }
    assert_eq!(
        status_of(relay.create_session(&request)),
        (429, "too_many_requests".into())
    );
}

#[test]
fn a_waiting_verifier_gets_the_response_when_it_comes() {
    let (_h, relay, key, request) = relay_and_request();
    let session = relay.create_session(&request).unwrap();
    let sealed = sealed_for(&key, &session, &request);
    let poster = relay.clone();
    let sid = session.session_id;
    let copy = sealed.clone();
    let phone = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        poster.post_response(&sid, &copy).unwrap();
    });
    // One long poll: it returns with the response, not after its 20 s.
    assert_eq!(relay.receive_response(&session, 20).unwrap(), Some(sealed));
    phone.join().unwrap();
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn a_fetch_by_id_or_a_response_retires_the_code_and_head_is_refused() {
    let (h, relay, key, request) = relay_and_request();
    // Engaged by QR (its id): the code no longer names the session.
    let by_id = relay.create_session(&request).unwrap();
    relay.fetch_session(&by_id.session_id).unwrap();
    assert_eq!(
        status_of(relay.lookup_code(&by_id.code)),
        (404, "session_not_found".into())
    );
    // Answered: nor does its code.
    let answered = relay.create_session(&request).unwrap();
    relay
        .post_response(&answered.session_id, &sealed_for(&key, &answered, &request))
        .unwrap();
    assert_eq!(
        status_of(relay.lookup_code(&answered.code)),
        (404, "session_not_found".into())
    );
    // HEAD would spend a code or take a response without giving it: 405 on the relay.
    let live = relay.create_session(&request).unwrap();
    for path in [
        format!("/v1/codes/{}", live.code),
        format!("/v1/sessions/{}", b64(&live.session_id)),
        format!("/v1/sessions/{}/response", b64(&live.session_id)),
    ] {
        assert_eq!(head_status(&h.url, &path), 405, "{path}");
    }
    assert_eq!(
        relay.lookup_code(&live.code).unwrap().session_id,
        live.session_id
    );
    // A malformed unsigned request is refused for its own failure (R4: no claims), not
    // for what reading it as a signed one would say.
    let mut bad = PresentationRequest::from_slice(&request).unwrap();
    bad.claims.clear();
    let r = relay
        .request("POST", "/v1/sessions", None, &bad.to_vec(), &[])
        .unwrap();
    assert_eq!(r.json().unwrap()["reason"], "invalid_field");
}

/// The status line's code of a HEAD request (the client reads a body after any status).
fn head_status(url: &str, path: &str) -> u16 {
    use std::io::Read as _;
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "HEAD {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}
