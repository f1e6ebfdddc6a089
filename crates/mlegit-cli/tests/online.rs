//! `serve`, `wallet activate`, `verify --status-list` and `admin status-list export` against a
//! real server started by `mlegit serve`, and `mlegit demo` from start to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use common::{MLEGIT, run, run_fails, run_ok, workdir};
use mlegit_client::{Client, Connector};

/// A `mlegit serve` child process, killed when dropped.
struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mlegit serve` on a free loopback port with a new school; reads the URL and the
/// school token from its first lines.
fn serve(dir: &Path) -> Server {
    serve_with(dir, &[])
}

/// [`serve`] with more arguments (`--tls-cert ...`).
fn serve_with(dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(MLEGIT)
        .args([
            "serve",
            "--data-dir",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--school",
            "XIV LO",
        ])
        .args(["--trust-list-out", "trust.cbor"])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut token) = (None, None);
    while url.is_none() {
        let line = lines.next().expect("mlegit serve printed its URL").unwrap();
        if let Some(t) = line.strip_prefix("school token:") {
            token = Some(t.split_whitespace().next().unwrap().to_owned());
        }
        if let Some(u) = line.strip_prefix("listening on:") {
            url = Some(u.trim().to_owned());
        }
    }
    Server {
        child,
        url: url.unwrap(),
        token: token.expect("school token printed"),
    }
}

/// A client of the test server, which speaks plain HTTP on loopback.
fn http_client(url: &str) -> Client {
    Connector::new().allow_plain_http(true).client(url).unwrap()
}

/// The school registers the test student with a photo and creates an activation.
fn register_and_activate(server: &Server, dir: &Path) -> (String, String) {
    register_and_activate_with(&http_client(&server.url), server, dir)
}

/// [`register_and_activate`] through `client` (HTTPS with a private CA, say).
fn register_and_activate_with(client: &Client, server: &Server, dir: &Path) -> (String, String) {
    let school = client.clone().with_token(&server.token);
    let mut student: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("student.json")).unwrap()).unwrap();
    let photo = std::fs::read(dir.join("portrait.jpg")).unwrap();
    let fields = student.as_object_mut().unwrap();
    fields.remove("portrait");
    fields.insert(
        "photo".into(),
        base64::engine::general_purpose::STANDARD
            .encode(photo)
            .into(),
    );
    let r = school
        .post_json("/v1/students", &student)
        .unwrap()
        .success()
        .unwrap();
    let id = r.json().unwrap()["student_id"].as_str().unwrap().to_owned();
    let a = school
        .post_json(
            &format!("/v1/students/{id}/activations"),
            &serde_json::json!({}),
        )
        .unwrap()
        .success()
        .unwrap()
        .json()
        .unwrap();
    (
        a["qr_payload"].as_str().unwrap().to_owned(),
        a["code"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn wallet_activate_then_verify_with_the_online_status() {
    let dir = workdir();
    let d = dir.path();
    let server = serve(d);
    let (qr, code) = register_and_activate(&server, d);

    // a wrong code is refused with the server's reason, on one line
    let (_, err) = run_fails(
        d,
        &[
            "wallet",
            "activate",
            "--allow-http",
            "--qr",
            &qr,
            "--code",
            "0000-0000-0000",
            "--wallet",
            "w.json",
        ],
        2,
    );
    assert!(
        err.contains("activation at") && err.contains("activation_code"),
        "{err}"
    );
    assert!(!d.join("w.json").exists());
    let (_, err) = run_fails(
        d,
        &[
            "wallet",
            "activate",
            "--allow-http",
            "--qr",
            "not a payload",
            "--code",
            &code,
            "--wallet",
            "w.json",
        ],
        2,
    );
    assert!(err.contains("--qr"), "{err}");

    let out = run_ok(
        d,
        &[
            "wallet",
            "activate",
            "--allow-http",
            "--qr",
            &qr,
            "--code",
            &code,
            "--wallet",
            "w.json",
        ],
    );
    assert!(
        out.contains("credentials:   32, 32 never shown (device keys encrypted")
            && out.contains("age_over_18"),
        "{out}"
    );
    // The device keys are sealed under the password: no key in the clear.
    let wallet = std::fs::read_to_string(d.join("w.json")).unwrap();
    assert!(
        wallet.contains("\"kdf\": \"argon2id\"")
            && !wallet.contains("PRIVATE KEY")
            && wallet.contains(&server.url),
        "{wallet}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("w.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // the code is one-time, and an existing wallet is not overwritten
    let (_, err) = run_fails(
        d,
        &[
            "wallet",
            "activate",
            "--allow-http",
            "--qr",
            &qr,
            "--code",
            &code,
            "--wallet",
            "w.json",
        ],
        2,
    );
    assert!(err.contains("already exists"), "{err}");

    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "w.json",
            "--claims",
            "given_names,age_over_18,portrait",
            "--out",
            "p.cbor",
        ],
    );
    // The credential names its list with an https URI; this server answers on plain http
    // on loopback, so the list is fetched from the server's own address.
    let list_url = format!("--status-list={}/v1/status-lists/1", server.url);
    let screen = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            &list_url,
        ],
    );
    assert!(
        screen.starts_with("VALID\n") && screen.contains("status           not revoked, list of "),
        "{screen}"
    );
    assert!(d.join("p.portrait.jpg").exists());
    let json = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            "--json",
            &list_url,
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status_list"]["status"], "valid", "{v}");
    assert!(
        v["status_list"]["source"]
            .as_str()
            .unwrap()
            .ends_with("(cached)"),
        "{v}"
    );
    let list_uri = v["status_list"]["list_uri"].as_str().unwrap().to_owned();
    assert!(list_uri.starts_with("https://127.0.0.1:") && list_uri.ends_with("/v1/status-lists/1"));
    assert_eq!(v["status_uri"], list_uri.as_str());
    let credential_id = v["credential_id"].as_str().unwrap().to_owned();

    // Each presentation takes the next credential of the batch: another credential id,
    // and the wallet counts what is left (no password needed to read that).
    let status = run_ok(d, &["wallet", "status", "--wallet", "w.json"]);
    assert!(
        status.contains("credentials:   32, 31 never shown"),
        "{status}"
    );
    let present = |out: &'static str| {
        [
            "present",
            "--wallet",
            "w.json",
            "--claims",
            "age_over_18",
            "--out",
            out,
        ]
    };
    let out = run_ok(d, &present("p2.cbor"));
    assert!(
        out.contains("credential:   2 of 32 (never shown before), 30 unused"),
        "{out}"
    );
    let json2 = run_ok(
        d,
        &["verify", "p2.cbor", "--trust-list", "trust.cbor", "--json"],
    );
    let v2: serde_json::Value = serde_json::from_str(&json2).unwrap();
    assert_ne!(v2["credential_id"].as_str().unwrap(), credential_id);
    // A wrong password opens nothing, and says there is no recovery.
    let out = std::process::Command::new(MLEGIT)
        .args(present("p3.cbor"))
        .current_dir(d)
        .env("MLEGIT_WALLET_PASSWORD", "wrong")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("wrong password") && err.contains("no recovery"),
        "{err}"
    );
    assert!(!d.join("p3.cbor").exists());

    // the school revokes it
    http_client(&server.url)
        .with_token(&server.token)
        .post_json(
            &format!("/v1/credentials/{credential_id}/revoke"),
            &serde_json::json!({"reason": "holder_request"}),
        )
        .unwrap()
        .success()
        .unwrap();
    // A verifier that kept the list uses it for its ttl: still VALID from the cache (spec
    // §14.3: revocation reaches a verifier within the list's ttl).
    let json = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            "--json",
            &list_url,
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status_list"]["status"], "valid", "{v}");
    // A fresh fetch: the list was signed again with the entry flipped: INVALID (exit 1).
    let (screen, _) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            "--no-status-cache",
            &list_url,
        ],
        1,
    );
    assert!(
        screen.starts_with("INVALID\n") && screen.contains("reason           revoked"),
        "{screen}"
    );
    // The reason is not in the list: only the school sees it.
    assert!(!screen.contains("holder_request"), "{screen}");
    let (json, _) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            "--no-status-cache",
            "--json",
            &list_url,
        ],
        1,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status_list"]["status"], "invalid", "{v}");
    assert_eq!(v["reason"], "revoked", "{v}");
    run_ok(d, &["verify", "p.cbor", "--trust-list", "trust.cbor"]);

    // Exported as files (the server still running), the list is checked offline.
    let export = run_ok(
        d,
        &[
            "admin",
            "status-list",
            "export",
            "lists",
            "--data-dir",
            "server",
        ],
    );
    assert!(
        export.contains("lists/1.cwt") && export.contains(&list_uri),
        "{export}"
    );
    let (screen, _) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--status-list",
            "lists/1.cwt",
        ],
        1,
    );
    assert!(screen.contains("reason           revoked"), "{screen}");
    // A list file of another list's name is refused: could not check (exit 2).
    std::fs::write(d.join("other.cwt"), b"not a token").unwrap();
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--status-list",
            "other.cwt",
        ],
        2,
    );
    assert!(err.contains("status list other.cwt"), "{err}");

    // no answer from the issuer: could not check (exit 2)
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--allow-http",
            "--no-status-cache",
            "--status-list",
            "http://127.0.0.1:1/v1/status-lists/1",
        ],
        2,
    );
    assert!(
        err.contains("status list at http://127.0.0.1:1/v1/status-lists/1"),
        "{err}"
    );
}

#[test]
fn demo_tells_the_whole_story_and_exits_0() {
    let dir = workdir();
    let out = run(dir.path(), &["demo", "--keep", "files"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for needle in [
        "[1] The issuer starts",
        "activation code",
        "VALID",
        "status           not revoked, list of ",
        "INVALID",
        "reason           revoked",
        "(the reason stays with the school)",
        "[13] Online: the cinema shows a six-digit code",
        "sealed with HPKE to the verifier's key",
        "[14] A ticket inspector shows a QR code",
        "\"Kontrola biletów ZTM\" (not verified",
        "to another session: response_undecryptable",
        "The story went as told",
    ] {
        assert!(stdout.contains(needle), "{needle} missing from\n{stdout}");
    }
    // the time of presentation, to the second, in Warsaw time
    let shown = stdout.lines().find(|l| l.contains("presented at")).unwrap();
    let after = shown.split("presented at").nth(1).unwrap().trim_start();
    let pattern = "00-00-0000 00:00:00 (Europe/Warsaw)";
    assert_eq!(after.len(), pattern.len(), "{shown}");
    for (c, p) in after.chars().zip(pattern.chars()) {
        assert!(
            if p == '0' { c.is_ascii_digit() } else { c == p },
            "{shown}"
        );
    }
    let files = dir.path().join("files");
    // the server scales the school's photo to its portrait size: a JPEG all the same
    assert!(
        std::fs::read(files.join("portrait.jpg"))
            .unwrap()
            .starts_with(&[0xff, 0xd8, 0xff])
    );
    assert!(files.join("phone2-wallet.json").exists());
}

#[test]
fn over_https_with_a_private_ca() {
    let dir = workdir();
    let d = dir.path();
    let ca = mlegit_client::test_ca::TestCa::new(&["localhost", "127.0.0.1"]).unwrap();
    std::fs::write(d.join("ca.pem"), &ca.ca_pem).unwrap();
    std::fs::write(d.join("cert.pem"), &ca.cert_pem).unwrap();
    std::fs::write(d.join("key.pem"), &ca.key_pem).unwrap();
    let server = serve_with(d, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let https = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();
    let (qr, code) = register_and_activate_with(&https.client(&server.url).unwrap(), &server, d);
    assert!(qr.starts_with("https://"), "{qr}");

    // Without the CA the phone does not trust the server.
    let (_, err) = run_fails(
        d,
        &[
            "wallet", "activate", "--qr", &qr, "--code", &code, "--wallet", "w.json",
        ],
        2,
    );
    assert!(err.contains("TLS failed"), "{err}");
    run_ok(
        d,
        &[
            "wallet", "activate", "--ca", "ca.pem", "--qr", &qr, "--code", &code, "--wallet",
            "w.json",
        ],
    );
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "w.json",
            "--claims",
            "given_names",
            "--out",
            "p.cbor",
        ],
    );
    // The credential's own status URI is https: --status-list without a value follows
    // it with the CA.
    let screen = run_ok(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--ca",
            "ca.pem",
            "--status-list",
        ],
    );
    assert!(
        screen.starts_with("VALID\n") && screen.contains("status           not revoked, list of "),
        "{screen}"
    );
    // Revoked at the server, the list fetched over HTTPS says so.
    let json = run_ok(
        d,
        &["verify", "p.cbor", "--trust-list", "trust.cbor", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let credential_id = v["credential_id"].as_str().unwrap().to_owned();

    https
        .client(&server.url)
        .unwrap()
        .with_token(&server.token)
        .post_json(
            &format!("/v1/credentials/{credential_id}/revoke"),
            &serde_json::json!({"reason": "holder_request"}),
        )
        .unwrap()
        .success()
        .unwrap();
    let list_url = format!("--status-list={}/v1/status-lists/1", server.url);
    let (screen, _) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--ca",
            "ca.pem",
            "--no-status-cache",
            &list_url,
        ],
        1,
    );
    assert!(screen.contains("reason           revoked"), "{screen}");
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--no-status-cache",
            &list_url,
        ],
        2,
    );
    assert!(err.contains("TLS failed"), "{err}");
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--ca",
            "student.json",
            "--no-status-cache",
            "--status-list",
        ],
        2,
    );
    assert!(err.contains("--ca student.json"), "{err}");
}

/// `mlegit verifier show` as a child process: the engagement URI and the code it printed.
struct Showing {
    child: Child,
    engagement: Option<String>,
    code: String,
}

// The child is moved into the Showing, which `screen_of` waits for.
#[allow(clippy::zombie_processes)]
fn show(dir: &Path, args: &[&str]) -> Showing {
    let mut child = Command::new(MLEGIT)
        .args(["verifier", "show"])
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut engagement = None;
    loop {
        let line = lines
            .next()
            .expect("verifier show printed its code")
            .unwrap();
        if let Some(uri) = line.strip_prefix("engagement: ") {
            engagement = Some(uri.to_owned());
        }
        if let Some(code) = line.strip_prefix("code:") {
            let code: String = code.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(code.len(), 6, "{line}");
            // Keep draining stderr so that the child never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Showing {
                child,
                engagement,
                code,
            };
        }
    }
}

fn screen_of(showing: Showing) -> (Option<i32>, String) {
    let out = showing.child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// Spec §18 end to end over HTTPS, in separate processes: the relay (mlegit serve), the
/// cinema's screen (mlegit verifier show) and the phone (mlegit wallet share), by QR with a
/// signed request and by typed code with an unsigned one.
#[test]
fn an_online_presentation_by_qr_and_by_code_through_the_relay() {
    let dir = workdir();
    let d = dir.path();
    let ca = mlegit_client::test_ca::TestCa::new(&["localhost", "127.0.0.1"]).unwrap();
    std::fs::write(d.join("ca.pem"), &ca.ca_pem).unwrap();
    std::fs::write(d.join("cert.pem"), &ca.cert_pem).unwrap();
    std::fs::write(d.join("key.pem"), &ca.key_pem).unwrap();
    let server = serve_with(d, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
    let https = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();
    let (qr, code) = register_and_activate_with(&https.client(&server.url).unwrap(), &server, d);
    // A batch of one: the second answer below reuses its credential.
    run_ok(
        d,
        &[
            "wallet", "activate", "--ca", "ca.pem", "--qr", &qr, "--code", &code, "--wallet",
            "w.json", "--batch", "1",
        ],
    );
    // The cinema, registered by the authority; the phone's authority list.
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
    run_ok(
        d,
        &[
            "admin",
            "verifier",
            "register",
            "Kino Muranów",
            "--audience",
            "https://kino.example",
            "--claims",
            "given_names,age_over_18,portrait",
            "--key",
            "kino.pub.pem",
            "--out",
            "kino.cert",
            "--data-dir",
            "server",
        ],
    );
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

    // By QR: the phone scans the engagement URI and sees the certified name.
    let showing = show(
        d,
        &[
            "--relay",
            &server.url,
            "--ca",
            "ca.pem",
            "--certificate",
            "kino.cert",
            "--verifier-key",
            "kino.pem",
            "--claims",
            "given_names,age_over_18,portrait",
            "--trust-list",
            "trust.cbor",
            "--portrait-out",
            "seen.jpg",
            "--wait",
            "60",
        ],
    );
    let uri = showing
        .engagement
        .clone()
        .expect("an https relay gives a QR");
    assert!(
        uri.starts_with(&format!("{}/v1/sessions/", server.url)),
        "{uri}"
    );
    let out = run(
        d,
        &[
            "wallet",
            "share",
            &uri,
            "--wallet",
            "w.json",
            "--authorities",
            "authorities.cbor",
            "--ca",
            "ca.pem",
            "--yes",
        ],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("request from \"Kino Muranów\" (verified by authority "),
        "{stderr}"
    );
    assert!(
        stdout.starts_with("shared:       given_names, age_over_18, portrait\n"),
        "{stdout}"
    );
    let (status, screen) = screen_of(showing);
    assert_eq!(status, Some(0), "{screen}");
    assert!(screen.starts_with("VALID\n"), "{screen}");
    assert!(screen.contains("Anna"), "{screen}");
    assert_eq!(
        std::fs::read(d.join("seen.jpg")).unwrap()[..3],
        [0xff, 0xd8, 0xff]
    );

    // By code: the inspector's unsigned request, typed in; shown as not verified.
    let showing = show(
        d,
        &[
            "--relay",
            &server.url,
            "--ca",
            "ca.pem",
            "--verifier-name",
            "Kontrola biletów",
            "--audience",
            "https://bilety.example",
            "--claims",
            "age_over_18",
            "--trust-list",
            "trust.cbor",
            "--wait",
            "60",
        ],
    );
    // A wrong code finds nothing.
    let typed = showing.code.clone();
    let wrong = if typed == "000000" {
        "000001"
    } else {
        "000000"
    };
    let by_code = |code: &str| {
        run(
            d,
            &[
                "wallet",
                "share",
                code,
                "--relay",
                &server.url,
                "--wallet",
                "w.json",
                "--ca",
                "ca.pem",
                "--yes",
            ],
        )
    };
    let out = by_code(wrong);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("session_not_found"), "{err}");
    // Typed as shown, with its space.
    let out = by_code(&format!("{} {}", &typed[..3], &typed[3..]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("\"Kontrola biletów\" (not verified"),
        "{stderr}"
    );
    // The reuse is told once, before the student consents (spec §19.5), not again after.
    assert_eq!(stderr.matches("was shown before").count(), 1, "{stderr}");
    assert!(
        stderr.contains("this answer would use credential 1 again"),
        "{stderr}"
    );
    let (status, screen) = screen_of(showing);
    assert_eq!(status, Some(0), "{screen}");
    assert!(
        screen.starts_with("VALID\n") && screen.contains("age_over_18"),
        "{screen}"
    );
    // The code was spent by the lookup.
    let out = by_code(&typed);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("session_not_found"), "{err}");

    // Nobody answers: exit 2, and with --json one object that says so.
    let showing = show(
        d,
        &[
            "--relay",
            &server.url,
            "--ca",
            "ca.pem",
            "--verifier-name",
            "Kasa",
            "--audience",
            "https://kasa.example",
            "--claims",
            "age_over_18",
            "--trust-list",
            "trust.cbor",
            "--wait",
            "1",
            "--json",
        ],
    );
    let (status, stdout) = screen_of(showing);
    assert_eq!(status, Some(2), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["result"], "error");
    assert_eq!(v["message"], "no answer within 1 s");
}
