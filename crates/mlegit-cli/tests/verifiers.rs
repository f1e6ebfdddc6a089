//! Who is asking, on the command line (spec §7.4-§7.6, P13c): `mlegit admin verifier
//! register` makes a verifier certificate, `mlegit request --verifier-key --certificate`
//! signs a request with it, `mlegit present --authorities` shows who asks and refuses
//! claims outside the certificate, and `mlegit verify --request` expects the answer to that
//! exact request. Times are the clock's: the authority signs certificates valid from now.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run_fails, run_ok, setup_wallet, workdir};

/// A data directory with the cinema registered; its key, certificate and the authority list.
fn register_cinema(d: &std::path::Path, claims: &str) {
    run_ok(d, &["admin", "init", "--data-dir", "server"]);
    run_ok(
        d,
        &[
            "keygen",
            "--out",
            "kino.pem",
            "--public-out",
            "kino.pub.pem",
        ],
    );
    let out = run_ok(
        d,
        &[
            "admin",
            "verifier",
            "register",
            "Kino Muranów",
            "--audience",
            "https://kino.example",
            "--claims",
            claims,
            "--key",
            "kino.pub.pem",
            "--days",
            "30",
            "--out",
            "kino.cert",
            "--data-dir",
            "server",
        ],
    );
    assert!(out.contains("signed by authority"), "{out}");
    run_ok(
        d,
        &[
            "admin",
            "authority-list",
            "--out",
            "authorities.cbor",
            "--data-dir",
            "server",
        ],
    );
}

fn signed_request(d: &std::path::Path, claims: &str, out: &str) {
    let printed = run_ok(
        d,
        &[
            "request",
            "--verifier-key",
            "kino.pem",
            "--certificate",
            "kino.cert",
            "--claims",
            claims,
            "--out",
            out,
        ],
    );
    assert!(printed.contains("signed"), "{printed}");
}

#[test]
fn a_signed_request_is_shown_as_verified_and_answered_for_that_request_only() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &common::iat_now());
    register_cinema(d, "given_names,age_over_18,portrait");
    signed_request(d, "given_names,age_over_18", "r1.cbor");
    let size = std::fs::metadata(d.join("r1.cbor")).unwrap().len();
    assert!(
        size <= 600,
        "a signed request of two claims is {size} bytes"
    );

    // The phone needs the authority list for a signed request.
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r1.cbor",
            "--out",
            "p.cbor",
        ],
        2,
    );
    assert!(err.contains("--authorities"), "{err}");
    let out = common::run(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r1.cbor",
            "--authorities",
            "authorities.cbor",
            "--out",
            "p1.cbor",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8(out.stderr).unwrap();
    assert!(
        shown.contains("request from \"Kino Muranów\" (verified by authority "),
        "{shown}"
    );

    // The cinema verifies the answer to its own request: VALID.
    let screen = run_ok(
        d,
        &[
            "verify",
            "p1.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "r1.cbor",
        ],
    );
    assert!(screen.starts_with("VALID\n"), "{screen}");
    // Against another request of the same cinema (same audience, another nonce) it fails:
    // first at the nonce; with that nonce given, still at the request digest.
    signed_request(d, "given_names,age_over_18", "r2.cbor");
    let (screen, _) = run_fails(
        d,
        &[
            "verify",
            "p1.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "r2.cbor",
        ],
        1,
    );
    assert!(screen.contains("nonce_mismatch"), "{screen}");
}

#[test]
fn claims_outside_the_certificate_are_refused_unless_overridden() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &common::iat_now());
    register_cinema(d, "given_names,age_over_18");
    signed_request(d, "given_names,pesel", "greedy.cbor");
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "greedy.cbor",
            "--authorities",
            "authorities.cbor",
            "--out",
            "p.cbor",
        ],
        2,
    );
    assert!(err.contains("claim_not_allowed"), "{err}");
    assert!(!d.join("p.cbor").exists());
    let out = common::run(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "greedy.cbor",
            "--authorities",
            "authorities.cbor",
            "--allow-claims-outside-certificate",
            "--claims",
            "given_names",
            "--out",
            "p.cbor",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let warned = String::from_utf8(out.stderr).unwrap();
    assert!(warned.contains("does not list: pesel"), "{warned}");

    // An unknown authority: a phone that trusts another list refuses the request.
    run_ok(
        d,
        &[
            "keygen",
            "--out",
            "other.pem",
            "--trust-list",
            "other-authorities.cbor",
        ],
    );
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "greedy.cbor",
            "--authorities",
            "other-authorities.cbor",
            "--out",
            "p2.cbor",
        ],
        2,
    );
    assert!(err.contains("unknown_authority"), "{err}");
    // The registry: listed, then revoked.
    let list = run_ok(d, &["admin", "verifier", "list", "--data-dir", "server"]);
    assert!(
        list.contains("Kino Muranów") && list.contains("given_names,age_over_18"),
        "{list}"
    );
    run_ok(
        d,
        &["admin", "verifier", "revoke", "1", "--data-dir", "server"],
    );
    let list = run_ok(d, &["admin", "verifier", "list", "--data-dir", "server"]);
    assert!(list.contains("revoked"), "{list}");
}

#[test]
fn an_unsigned_request_is_shown_as_not_verified() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &common::iat_now());
    run_ok(
        d,
        &[
            "request",
            "--audience",
            "https://kino.example",
            "--verifier-name",
            "Kino Muranów",
            "--claims",
            "given_names",
            "--out",
            "r.cbor",
        ],
    );
    let out = common::run(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r.cbor",
            "--out",
            "p.cbor",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8(out.stderr).unwrap();
    assert!(shown.contains("\"Kino Muranów\" (not verified"), "{shown}");
}
