//! The offline subcommands on real files: keygen, trust, issue, request, present, verify,
//! inspect. Times are fixed with --now so that the Warsaw display is checked exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assets, present_age, run, run_fails, run_ok, setup_wallet, workdir};

// 2023-11-13: the credential is issued the day before spec §16's first example.
const IAT: &str = "1699900000";

#[test]
fn keygen_writes_pkcs8_pem_mode_0600_and_a_trust_list_entry() {
    let dir = workdir();
    let d = dir.path();
    let out = run_ok(
        d,
        &[
            "keygen",
            "--out",
            "issuer.pem",
            "--public-out",
            "issuer.pub.pem",
            "--trust-list",
            "trust.cbor",
        ],
    );
    let pem = std::fs::read_to_string(d.join("issuer.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    let public = std::fs::read_to_string(d.join("issuer.pub.pem")).unwrap();
    assert!(
        public.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{public}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("issuer.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let kid = out
        .lines()
        .find_map(|l| l.strip_prefix("key id:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(kid.len(), 16, "8-byte key id in hex: {out}");
    // a key file is never overwritten by accident
    let (_, err) = run_fails(d, &["keygen", "--out", "issuer.pem"], 2);
    assert!(err.contains("issuer.pem already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("issuer.pem")).unwrap(), pem);
    let listed = run_ok(d, &["trust", "list", "--trust-list", "trust.cbor"]);
    assert!(listed.starts_with(&kid), "{listed}");

    // trust add from the public key file gives the same key id; a second add is refused.
    let (_, err) = run_fails(
        d,
        &[
            "trust",
            "add",
            "--trust-list",
            "trust.cbor",
            "--key",
            "issuer.pub.pem",
        ],
        2,
    );
    assert!(err.contains(&kid) && err.contains("trust.cbor"), "{err}");
    let other = run_ok(
        d,
        &[
            "trust",
            "add",
            "--trust-list",
            "other.cbor",
            "--key",
            "issuer.pub.pem",
        ],
    );
    assert!(other.contains(&kid), "{other}");
}

#[test]
fn request_present_verify_shows_valid_and_the_time_in_warsaw() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, IAT);
    let wallet = std::fs::read_to_string(d.join("wallet.json")).unwrap();
    assert!(
        wallet.contains("\"format\": \"mlegit-wallet-2\"")
            && wallet.contains("\"kdf\": \"argon2id\"")
            && !wallet.contains("PRIVATE KEY"),
        "{wallet}"
    );
    run_ok(
        d,
        &[
            "request",
            "--audience",
            "https://kino.example",
            "--verifier-name",
            "Kino Muranów",
            "--claims",
            "given_names,age_over_18,portrait",
            "--out",
            "request.cbor",
            "--now",
            "1699999990",
        ],
    );
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "request.cbor",
            "--out",
            "p.cbor",
            "--now",
            "1700000000",
        ],
    );
    let screen = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "request.cbor",
            "--now",
            "1700000005",
        ],
    );
    assert!(screen.starts_with("VALID\n"), "{screen}");
    // spec §16: 1700000000 is 14-11-2023 23:13:20 in Warsaw (CET, UTC+1)
    assert!(
        screen.contains("presented at     14-11-2023 23:13:20 (Europe/Warsaw)"),
        "{screen}"
    );
    assert!(screen.contains("given_names      Anna Maria"), "{screen}");
    assert!(screen.contains("age_over_18      yes"), "{screen}");
    assert!(
        !screen.contains("family_name"),
        "only what was asked: {screen}"
    );
    assert!(
        !screen.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let saved = std::fs::read(d.join("p.portrait.jpg")).unwrap();
    assert_eq!(saved, std::fs::read(assets().join("portrait.jpg")).unwrap());

    // --json for scripts
    let json = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "request.cbor",
            "--now",
            "1700000005",
            "--json",
            "--portrait-out",
            "face.jpg",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["result"], "valid");
    assert_eq!(v["presented_at"], 1_700_000_000);
    assert_eq!(v["presented_at_local"], "14-11-2023 23:13:20");
    assert_eq!(v["claims"]["given_names"], "Anna Maria");
    assert_eq!(v["claims"]["age_over_18"], true);
    assert_eq!(v["claims"]["portrait"]["file"], "face.jpg");
    assert!(d.join("face.jpg").exists());
}

#[test]
fn summer_time_is_shown_as_cest() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, "1719900000");
    run_ok(d, &present_age("p.cbor", "1720000000"));
    let json = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--now",
            "1720000001",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // spec §16: 1720000000 is 03-07-2024 11:46:40 in Warsaw (CEST, UTC+2)
    assert_eq!(v["presented_at_local"], "03-07-2024 11:46:40");
    assert_eq!(v["nonce"], serde_json::Value::Null);
}

#[test]
fn invalid_presentations_exit_1_with_the_spec_code() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, IAT);
    run_ok(
        d,
        &[
            "request",
            "--audience",
            "a.example",
            "--verifier-name",
            "A",
            "--claims",
            "given_names",
            "--out",
            "r.cbor",
        ],
    );
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r.cbor",
            "--out",
            "p.cbor",
            "--now",
            "1700000000",
        ],
    );
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--now",
            "1700000005",
        ];
        args.extend_from_slice(extra);
        run_fails(d, &args, 1).0
    };
    // answered a request, but the verifier expects none
    let screen = verify(&[]);
    assert!(
        screen.starts_with("INVALID\n") && screen.contains("nonce_mismatch"),
        "{screen}"
    );
    // the right nonce, another audience
    let nonce = hex_nonce(d, "r.cbor");
    let screen = verify(&["--nonce", &nonce, "--audience", "b.example"]);
    assert!(screen.contains("audience_mismatch"), "{screen}");
    // too late: 300 s maximum age
    let screen = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "r.cbor",
            "--now",
            "1700000400",
        ],
        1,
    )
    .0;
    assert!(screen.contains("presentation_too_old"), "{screen}");
    // another issuer's trust list
    run_ok(
        d,
        &["keygen", "--out", "other.pem", "--trust-list", "other.cbor"],
    );
    let json = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "other.cbor",
            "--request",
            "r.cbor",
            "--now",
            "1700000005",
            "--json",
        ],
        1,
    )
    .0;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["result"], "invalid");
    assert_eq!(v["reason"], "unknown_key_id");
    // one flipped bit in the device signature (the last byte of the file)
    let mut bytes = std::fs::read(d.join("p.cbor")).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(d.join("p.cbor"), bytes).unwrap();
    let screen = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--request",
            "r.cbor",
            "--now",
            "1700000005",
        ],
        1,
    )
    .0;
    assert!(screen.contains("device_signature_invalid"), "{screen}");
}

fn hex_nonce(dir: &std::path::Path, request: &str) -> String {
    let diag = run_ok(dir, &["inspect", request]);
    let line = diag.lines().find(|l| l.contains("/ nonce /")).unwrap();
    line.split('\'').nth(1).unwrap().to_owned()
}

#[test]
fn could_not_check_exits_2_with_one_line_naming_the_file() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, IAT);
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--claims",
            "given_names",
            "--out",
            "p.cbor",
            "--now",
            "1700000000",
        ],
    );
    let (_, err) = run_fails(d, &["verify", "p.cbor", "--trust-list", "missing.cbor"], 2);
    assert!(err.contains("trust list missing.cbor"), "{err}");
    let (_, err) = run_fails(d, &["verify", "p.cbor", "--trust-list", "student.json"], 2);
    assert!(err.contains("trust list student.json"), "{err}");
    let (out, err) = run_fails(
        d,
        &[
            "verify",
            "nope.cbor",
            "--trust-list",
            "trust.cbor",
            "--json",
        ],
        2,
    );
    assert!(err.contains("presentation nope.cbor"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "error");
    // bad arguments: clap's message, on one line
    let (_, err) = run_fails(d, &["verify", "p.cbor"], 2);
    assert!(err.contains("--trust-list"), "{err}");
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--claims",
            "shoe_size",
            "--out",
            "x",
        ],
        2,
    );
    assert!(err.contains("shoe_size"), "{err}");
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--nonce",
            "zz",
        ],
        2,
    );
    assert!(err.contains("--nonce"), "{err}");
}

#[test]
fn issue_names_the_file_and_field_at_fault() {
    let dir = workdir();
    let d = dir.path();
    run_ok(d, &["keygen", "--out", "issuer.pem"]);
    run_ok(
        d,
        &[
            "keygen",
            "--out",
            "device.pem",
            "--public-out",
            "device.pub.pem",
        ],
    );
    let student = std::fs::read_to_string(d.join("student.json")).unwrap();
    let issue = |claims: &str| {
        run_fails(
            d,
            &[
                "issue",
                "--issuer-key",
                "issuer.pem",
                "--device-key",
                "device.pem",
                "--claims",
                claims,
                "--out",
                "w.json",
            ],
            2,
        )
        .1
    };
    std::fs::write(
        d.join("typo.json"),
        student.replace("family_name", "famly_name"),
    )
    .unwrap();
    let err = issue("typo.json");
    assert!(
        err.contains("typo.json") && err.contains("famly_name"),
        "{err}"
    );
    std::fs::write(
        d.join("pesel.json"),
        student.replace(common::PESEL, "05231412342"),
    )
    .unwrap();
    let err = issue("pesel.json");
    assert!(err.contains("pesel.json") && err.contains("pesel"), "{err}");
    std::fs::write(
        d.join("date.json"),
        student.replace(common::BIRTH_DATE, "14.03.2005"),
    )
    .unwrap();
    let err = issue("date.json");
    assert!(
        err.contains("date.json") && err.contains("birth_date"),
        "{err}"
    );
    std::fs::write(
        d.join("photo.json"),
        student.replace("portrait.jpg", "student.json"),
    )
    .unwrap();
    let err = issue("photo.json");
    assert!(err.contains("portrait"), "{err}");
    let (_, err) = run_fails(
        d,
        &[
            "issue",
            "--issuer-key",
            "device.pub.pem",
            "--device-key",
            "device.pem",
            "--claims",
            "student.json",
            "--out",
            "w.json",
        ],
        2,
    );
    assert!(err.contains("issuer key device.pub.pem"), "{err}");
    assert!(!d.join("w.json").exists());
}

#[test]
fn a_version_1_wallet_is_named_as_such() {
    // Version 1 held one credential and its key in the clear: refused by its format first,
    // whatever its other members, with what to do.
    let dir = workdir();
    let d = dir.path();
    std::fs::write(
        d.join("old.json"),
        r#"{"format": "mlegit-wallet-1", "device_key": "-", "credential": "00", "disclosures": []}"#,
    )
    .unwrap();
    for args in [
        &["wallet", "status", "--wallet", "old.json"][..],
        &[
            "present", "--wallet", "old.json", "--claims", "pesel", "--out", "p.cbor",
        ][..],
    ] {
        let (_, err) = run_fails(d, args, 2);
        assert!(
            err.contains("\"mlegit-wallet-1\" is not \"mlegit-wallet-2\"")
                && err.contains("activate again"),
            "{err}"
        );
    }
}

#[test]
fn a_wallet_issued_to_a_public_key_needs_the_device_key_to_present() {
    let dir = workdir();
    let d = dir.path();
    run_ok(
        d,
        &[
            "keygen",
            "--out",
            "issuer.pem",
            "--trust-list",
            "trust.cbor",
        ],
    );
    run_ok(
        d,
        &[
            "keygen",
            "--out",
            "device.pem",
            "--public-out",
            "device.pub.pem",
        ],
    );
    run_ok(d, &["keygen", "--out", "stranger.pem"]);
    run_ok(
        d,
        &[
            "issue",
            "--issuer-key",
            "issuer.pem",
            "--device-key",
            "device.pub.pem",
            "--claims",
            "student.json",
            "--out",
            "wallet.json",
            "--now",
            IAT,
        ],
    );
    let wallet = std::fs::read_to_string(d.join("wallet.json")).unwrap();
    assert!(!wallet.contains("device_key"), "{wallet}");
    let present = [
        "present",
        "--wallet",
        "wallet.json",
        "--claims",
        "school_name",
        "--out",
        "p.cbor",
        "--now",
        "1700000000",
    ];
    let (_, err) = run_fails(d, &present, 2);
    assert!(err.contains("--device-key"), "{err}");
    let mut with_key = present.to_vec();
    with_key.extend(["--device-key", "stranger.pem"]);
    let (_, err) = run_fails(d, &with_key, 2);
    assert!(
        err.contains("invalid_device_key") && err.contains("wallet.json"),
        "{err}"
    );
    with_key.pop();
    with_key.push("device.pem");
    run_ok(d, &with_key);
    let screen = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--now",
            "1700000001",
        ],
    );
    assert!(screen.contains("XIV Liceum Ogólnokształcące"), "{screen}");
}

#[test]
fn present_refuses_claims_that_were_not_requested() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, IAT);
    run_ok(
        d,
        &[
            "request",
            "--audience",
            "a",
            "--verifier-name",
            "A",
            "--claims",
            "age_over_18",
            "--out",
            "r.cbor",
        ],
    );
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r.cbor",
            "--claims",
            "pesel",
            "--out",
            "p.cbor",
        ],
        2,
    );
    assert!(err.contains("pesel") && err.contains("r.cbor"), "{err}");
    let (_, err) = run_fails(
        d,
        &["present", "--wallet", "wallet.json", "--out", "p.cbor"],
        2,
    );
    assert!(err.contains("--claims"), "{err}");
    std::fs::write(d.join("junk.cbor"), [0xa1, 0x01]).unwrap();
    let (_, err) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "junk.cbor",
            "--out",
            "p.cbor",
        ],
        2,
    );
    assert!(
        err.contains("request junk.cbor") && err.contains("cbor_malformed"),
        "{err}"
    );
    assert!(!d.join("p.cbor").exists());
}

#[test]
fn inspect_names_fields_and_claims_of_every_object() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, IAT);
    run_ok(
        d,
        &[
            "request",
            "--audience",
            "a.example",
            "--verifier-name",
            "Kino",
            "--claims",
            "given_names",
            "--out",
            "r.cbor",
            "--now",
            "1700000000",
        ],
    );
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "wallet.json",
            "--request",
            "r.cbor",
            "--out",
            "p.cbor",
            "--now",
            "1700000000",
        ],
    );
    let p = run_ok(d, &["inspect", "p.cbor"]);
    assert!(p.starts_with("/ presentation (COSE_Sign1) /"), "{p}");
    for needle in [
        "/ protected / << {",
        "16 / typ /: \"application/mlegit.presentation+cose\"",
        "2 / credential /: << [",
        "16 / typ /: \"application/mlegit.credential+cose\"",
        "8 / device_key /: {",
        "10 / digest_alg /: -16 / SHA-256 /",
        "/ claim / \"given_names\"",
        "/ value / \"Anna Maria\"",
        "4 / presented_at /: 1700000000 / 14-11-2023 23:13:20 Europe/Warsaw /",
        "6 / audience /: \"a.example\"",
    ] {
        assert!(p.contains(needle), "{needle} missing from\n{p}");
    }
    let r = run_ok(d, &["inspect", "r.cbor"]);
    assert!(
        r.starts_with("/ presentation request /") && r.contains("4 / verifier_name /: \"Kino\""),
        "{r}"
    );
    let t = run_ok(d, &["inspect", "trust.cbor"]);
    assert!(
        t.contains("\"not_after\": 18446744073709551615 / no limit /"),
        "{t}"
    );
    let w = run_ok(d, &["inspect", "wallet.json"]);
    assert!(
        w.starts_with(
            "/ credentials[0], presentations made with it: 1 /\n/ credential (COSE_Sign1) /"
        ),
        "{w}"
    );
    assert!(
        w.contains("/ claim / \"pesel\"")
            && w.contains(
                "/ keys: the device keys, encrypted under the wallet's password (not shown) /"
            ),
        "{w}"
    );
    assert!(!w.contains("PRIVATE KEY-----"), "{w}");
    // hex text is accepted too
    let hex: String = std::fs::read(d.join("r.cbor"))
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(d.join("r.hex"), format!("{hex}\n")).unwrap();
    assert_eq!(run_ok(d, &["inspect", "r.hex"]), r);
    // not strict CBOR: exit 1, with the code
    std::fs::write(d.join("bad.cbor"), [0xa2, 0x02, 0x00, 0x01, 0x00]).unwrap();
    let out = run(d, &["inspect", "bad.cbor"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.cbor") && err.contains("cbor_unsorted_keys"),
        "{err}"
    );
}

/// A wallet of one credential, presented twice: the second presentation reuses it and
/// says so once (spec §19.5).
#[test]
fn a_reused_credential_is_told_once() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, "1700000000");
    let present = |out: &'static str| run(d, &present_age(out, "1700000100"));
    let first = present("p1.cbor");
    assert_eq!(first.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&first.stderr).contains("shown before"));
    let second = present("p2.cbor");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("was shown before").count(), 1, "{stderr}");
    assert!(stderr.contains("used credential 1 again"), "{stderr}");
}
