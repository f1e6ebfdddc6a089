//! Regression tests for an outside review of the command: bounded reads of every input
//! (a 1 GiB file, endless standard input, an issuer answering with an endless or a 2 GiB
//! body) measured as the process's peak resident set size; invisible and reordering code
//! points escaped on the screen; `--json` claims in disclosure order; plain HTTP only when
//! asked; `mlegit admin`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;

use common::{MLEGIT, present_age, run, run_fails, run_ok, setup_wallet, workdir};

/// The peak resident set size allowed to a command fed a hostile input.
const MAX_RSS_KIB: u64 = 64 * 1024;

/// What `tests/maxrss.py` reports of one run.
struct Measured {
    code: i64,
    maxrss_kib: u64,
    stdout: String,
    stderr: String,
}

/// Runs `mlegit ARGS` in `dir` under `tests/maxrss.py`, which reports the kernel's peak
/// RSS of the process; `endless_stdin` feeds it zeros until it stops reading.
fn measured(dir: &Path, args: &[&str], endless_stdin: bool) -> Measured {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/maxrss.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script);
    if endless_stdin {
        cmd.arg("--endless-stdin");
    }
    let out = cmd
        .arg("--")
        .arg(MLEGIT)
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .expect("python3 runs tests/maxrss.py");
    assert!(
        out.status.success(),
        "maxrss.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = Measured {
        code: v["code"].as_i64().unwrap(),
        maxrss_kib: v["maxrss_kib"].as_u64().unwrap(),
        stdout: v["stdout"].as_str().unwrap().to_owned(),
        stderr: v["stderr"].as_str().unwrap().to_owned(),
    };
    // The figure goes into the test log (cargo test -- --nocapture shows it).
    eprintln!(
        "mlegit {args:?}: exit {}, peak RSS {} KiB",
        m.code, m.maxrss_kib
    );
    assert!(
        m.maxrss_kib < MAX_RSS_KIB,
        "mlegit {args:?} peaked at {} KiB",
        m.maxrss_kib
    );
    m
}

fn now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

#[test]
fn a_1_gib_presentation_file_is_invalid_input_too_large_in_bounded_memory() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &now());
    // Sparse: 1 GiB long, no disk used.
    let big = std::fs::File::create(d.join("big.cbor")).unwrap();
    big.set_len(1 << 30).unwrap();
    drop(big);
    let m = measured(
        d,
        &["verify", "big.cbor", "--trust-list", "trust.cbor"],
        false,
    );
    assert_eq!(m.code, 1, "{}{}", m.stdout, m.stderr);
    assert!(m.stdout.starts_with("INVALID\n"), "{}", m.stdout);
    assert!(m.stdout.contains("input_too_large"), "{}", m.stdout);
    // Other inputs are held to their caps too, with an error naming the file.
    for (args, what) in [
        (
            vec!["trust", "list", "--trust-list", "big.cbor"],
            "trust list big.cbor",
        ),
        (vec!["inspect", "big.cbor"], "input big.cbor"),
        (
            vec![
                "present",
                "--wallet",
                "big.cbor",
                "--claims",
                "given_names",
                "--out",
                "p",
            ],
            "wallet big.cbor",
        ),
    ] {
        let m = measured(d, &args, false);
        assert_eq!(m.code, 2, "{args:?}: {}", m.stderr);
        assert!(
            m.stderr.contains(what) && m.stderr.contains("input_too_large"),
            "{args:?}: {}",
            m.stderr
        );
    }
}

#[test]
fn endless_standard_input_is_invalid_input_too_large_in_bounded_memory() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &now());
    let m = measured(d, &["verify", "-", "--trust-list", "trust.cbor"], true);
    assert_eq!(m.code, 1, "{}{}", m.stdout, m.stderr);
    assert!(m.stdout.contains("input_too_large"), "{}", m.stdout);
    let m = measured(d, &["inspect", "-"], true);
    assert_eq!(m.code, 2, "{}", m.stderr);
    assert!(m.stderr.contains("input_too_large"), "{}", m.stderr);
}

/// A status "server" that answers every request with `head` and then `piece` forever.
fn flooding_issuer(head: &'static [u8], piece: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let piece = piece.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut b = [0u8; 1];
                while !seen.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                    seen.push(b[0]);
                }
                if s.write_all(head).is_err() {
                    return;
                }
                let mut sent: u64 = 0;
                while sent < 3 << 30 && s.write_all(&piece).is_ok() {
                    sent += piece.len() as u64;
                }
            });
        }
    });
    addr
}

/// A work directory with a trust list, a wallet issued now and `p.cbor`, an offline
/// presentation of given_names made now.
fn offline_presentation() -> tempfile::TempDir {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &now());
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
        ],
    );
    dir
}

#[test]
fn an_issuer_answering_without_end_is_refused_in_bounded_memory() {
    let dir = offline_presentation();
    let d = dir.path();
    let mut chunk = b"10000\r\n".to_vec();
    chunk.extend(vec![0u8; 0x10000]);
    chunk.extend(b"\r\n");
    let endless_chunked = flooding_issuer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk,
    );
    let two_gib = flooding_issuer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: 2147483648\r\n\r\n",
        vec![0u8; 0x10000],
    );
    let unframed = flooding_issuer(b"HTTP/1.0 200 OK\r\n\r\n", vec![0u8; 0x10000]);
    for addr in [endless_chunked, two_gib, unframed] {
        let url = format!("--status-list=http://{addr}/status");
        let m = measured(
            d,
            &[
                "verify",
                "p.cbor",
                "--trust-list",
                "trust.cbor",
                "--allow-http",
                &url,
            ],
            false,
        );
        assert_eq!(m.code, 2, "{}", m.stderr);
        assert!(
            m.stderr.contains("input_too_large") && m.stderr.contains(&addr.to_string()),
            "{}",
            m.stderr
        );
    }
}

#[test]
fn plain_http_is_used_only_when_asked() {
    let dir = offline_presentation();
    let d = dir.path();
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--status-list=http://127.0.0.1:9/s",
        ],
        2,
    );
    assert!(err.contains("plain http:// refused"), "{err}");
    let (_, err) = run_fails(
        d,
        &[
            "wallet",
            "activate",
            "--qr",
            "http://127.0.0.1:9/v1/activations/abc",
            "--code",
            "1234-5678-9012",
            "--wallet",
            "w.json",
        ],
        2,
    );
    assert!(err.contains("plain http:// refused"), "{err}");
    // https needs no permission: the command connects (to a closed port here, so that
    // the test needs no name lookup) rather than refusing the scheme.
    let (_, err) = run_fails(
        d,
        &[
            "verify",
            "p.cbor",
            "--trust-list",
            "trust.cbor",
            "--status-list=https://127.0.0.1:1/status",
        ],
        2,
    );
    assert!(
        err.contains("status list at https://127.0.0.1:1/status: connection failed"),
        "{err}"
    );
    assert!(!err.contains("plain http"), "{err}");
}

/// Issues a wallet whose given names hold `given_names`, presents them, verifies.
fn screen_of(d: &Path, given_names: &str) -> (String, String) {
    let student = std::fs::read_to_string(d.join("student.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&student).unwrap();
    v["given_names"] = serde_json::json!(given_names);
    std::fs::write(d.join("odd.json"), v.to_string()).unwrap();
    run_ok(
        d,
        &[
            "issue",
            "--issuer-key",
            "issuer.pem",
            "--device-key",
            "device.pem",
            "--claims",
            "odd.json",
            "--out",
            "odd-wallet.json",
        ],
    );
    run_ok(
        d,
        &[
            "present",
            "--wallet",
            "odd-wallet.json",
            "--claims",
            "given_names,age_over_18",
            "--out",
            "odd.cbor",
        ],
    );
    let screen = run_ok(d, &["verify", "odd.cbor", "--trust-list", "trust.cbor"]);
    let json = run_ok(
        d,
        &["verify", "odd.cbor", "--trust-list", "trust.cbor", "--json"],
    );
    (screen, json)
}

#[test]
fn invisible_code_points_are_shown_as_escapes() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &now());
    let (screen, json) = screen_of(d, "Anna\u{200d}\u{200b}Maria\u{feff}");
    assert!(
        screen.contains("given_names      Anna\\u{200d}\\u{200b}Maria\\u{feff}\n"),
        "{screen}"
    );
    // --json carries the value as it is, for programs.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["claims"]["given_names"],
        "Anna\u{200d}\u{200b}Maria\u{feff}"
    );
    // What the spec excludes never gets a credential: the issuer refuses it.
    for bad in ["Anna\u{202e}airaM", "Anna\u{2028}Maria", "Anna\u{2067}x"] {
        let student = std::fs::read_to_string(d.join("student.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&student).unwrap();
        v["given_names"] = serde_json::json!(bad);
        std::fs::write(d.join("bad.json"), v.to_string()).unwrap();
        let (_, err) = run_fails(
            d,
            &[
                "issue",
                "--issuer-key",
                "issuer.pem",
                "--device-key",
                "device.pem",
                "--claims",
                "bad.json",
                "--out",
                "bad-wallet.json",
            ],
            2,
        );
        assert!(err.contains("given_names"), "{err}");
    }
}

#[test]
fn json_claims_come_in_disclosure_order() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, &now());
    // Registry order: given_names (2) before age_over_18 (16); by name it is the reverse.
    let (_, json) = screen_of(d, "Anna Maria");
    let claims = json.find("\"claims\"").unwrap();
    let given = json[claims..].find("\"given_names\"").unwrap();
    let age = json[claims..].find("\"age_over_18\"").unwrap();
    assert!(given < age, "{json}");
}

#[test]
fn admin_manages_schools_tokens_and_keys() {
    let dir = workdir();
    let d = dir.path();
    let (_, err) = run_fails(d, &["admin", "school", "list", "--data-dir", "srv"], 2);
    assert!(err.contains("srv"), "{err}");
    let out = run_ok(d, &["admin", "init", "--data-dir", "srv"]);
    assert!(out.contains("issuer key id"), "{out}");
    let out = run_ok(
        d,
        &["admin", "school", "create", "XIV LO", "--data-dir", "srv"],
    );
    assert!(out.contains("XIV LO (id 1)"), "{out}");
    let out = run_ok(d, &["admin", "school", "list", "--data-dir", "srv"]);
    assert_eq!(out, "   1  XIV LO\n");
    let out = run_ok(d, &["admin", "token", "create", "1", "--data-dir", "srv"]);
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("school token: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("mlsk_"), "{out}");
    let list = run_ok(d, &["admin", "token", "list", "--data-dir", "srv"]);
    assert!(
        list.contains("school 1") && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains(&token), "the list shows the secret: {list}");
    run_ok(d, &["admin", "token", "revoke", "1", "--data-dir", "srv"]);
    let list = run_ok(d, &["admin", "token", "list", "--data-dir", "srv"]);
    assert!(list.contains("revoked"), "{list}");
    let (_, err) = run_fails(
        d,
        &["admin", "token", "revoke", "7", "--data-dir", "srv"],
        2,
    );
    assert!(err.contains("no such token"), "{err}");
    let before = run_ok(d, &["admin", "key", "list", "--data-dir", "srv"]);
    assert_eq!(before.lines().count(), 1, "{before}");
    run_ok(d, &["admin", "key", "rotate", "--data-dir", "srv"]);
    let after = run_ok(d, &["admin", "key", "list", "--data-dir", "srv"]);
    assert_eq!(after.lines().count(), 2, "{after}");
    assert!(after.lines().next().unwrap().contains("retired"), "{after}");
    assert!(after.lines().nth(1).unwrap().ends_with("active"), "{after}");
    // A data directory is initialised once.
    let out = run(d, &["admin", "init", "--data-dir", "srv"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A presentation of one claim from `setup_wallet`'s wallet, at a time in its validity.
const PRESENT: [&str; 9] = present_age("p.cbor", "1700000100");

/// Runs `mlegit ARGS` in `dir` with standard output (or, with `stderr`, standard error)
/// a pipe whose reading end is closed before the command starts, so that its first write
/// there fails, every time.
fn into_closed_pipe(dir: &Path, args: &[&str], stderr: bool) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(MLEGIT);
    cmd.args(args)
        .current_dir(dir)
        .env("MLEGIT_WALLET_PASSWORD", common::PASSWORD);
    if stderr {
        cmd.stderr(writer);
    } else {
        cmd.stdout(writer);
    }
    cmd.output().unwrap()
}

/// Standard output whose reader has gone (`mlegit ... | head -0`): the command says
/// nothing more, where it used to panic on the broken pipe. A command whose output is its
/// work exits 2; one whose work was done before its report (`verify`, `present`) exits as
/// that work went.
#[test]
fn a_closed_standard_output_stops_the_command_without_a_panic() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, "1700000000");
    let presented = run(d, &PRESENT);
    assert_eq!(presented.status.code(), Some(0), "{presented:?}");
    let verify = [
        "verify",
        "--trust-list",
        "trust.cbor",
        "--now",
        "1700000110",
        "p.cbor",
    ];
    let to_stdout = present_age("-", "1700000100");
    let commands: [(&[&str], i32); 5] = [
        (&["inspect", "p.cbor"], 2),
        (&["wallet", "status", "--wallet", "wallet.json"], 2),
        (&to_stdout, 2),
        (&verify, 0),
        (&PRESENT, 0),
    ];
    for (args, code) in commands {
        let out = into_closed_pipe(d, args, false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "mlegit {args:?}: {stderr}");
        // The last present reuses the wallet's one credential: that warning, and nothing
        // about standard output.
        assert!(
            stderr.is_empty() || stderr.starts_with("mlegit: warning: every credential"),
            "mlegit {args:?}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(code), "mlegit {args:?}: {stderr}");
    }
    // Its report unread, the presentation was still written.
    assert!(d.join("p.cbor").exists());
    // Standard error gone, with a warning to print (the credential is reused): the
    // presentation is made all the same.
    let out = into_closed_pipe(d, &PRESENT, true);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// A wallet in use by one command is refused by a second, which says so and changes
/// nothing: both could otherwise show the same single-use credential (spec §19.5). The
/// lock is the operating system's, so it is gone with the process that held it.
#[test]
fn a_wallet_in_use_is_refused_by_a_second_command() {
    let dir = workdir();
    let d = dir.path();
    setup_wallet(d, "1700000000");
    let before = std::fs::read(d.join("wallet.json")).unwrap();
    // What another mlegit command holds while it works on the wallet.
    let held = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(d.join("wallet.json.lock"))
        .unwrap();
    held.lock().unwrap();
    let (_, stderr) = run_fails(d, &PRESENT, 2);
    assert!(
        stderr.contains("wallet wallet.json is in use by another mlegit command"),
        "{stderr}"
    );
    assert!(!d.join("p.cbor").exists());
    assert_eq!(std::fs::read(d.join("wallet.json")).unwrap(), before);
    drop(held);
    run_ok(d, &PRESENT);
    assert!(d.join("p.cbor").exists());
    // A wallet that records its uses must be a file.
    let (_, stderr) = run_fails(
        d,
        &[
            "present",
            "--wallet",
            "-",
            "--claims",
            "age_over_18",
            "--out",
            "x.cbor",
        ],
        2,
    );
    assert!(
        stderr.contains("the wallet must be a file here, not `-`"),
        "{stderr}"
    );
}
