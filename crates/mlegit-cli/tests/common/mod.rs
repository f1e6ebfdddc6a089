//! Helpers shared by the integration tests: run the built `mlegit` in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built binary.
pub const MLEGIT: &str = env!("CARGO_BIN_EXE_mlegit");

/// The example files shipped with the crate (student.json, portrait.jpg).
pub fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// A temporary working directory holding the example files. The tests issue at fixed
/// times in 2023 and 2024, so the student is born in 2005: 18 by then (age_over_18).
pub fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        assets().join("portrait.jpg"),
        dir.path().join("portrait.jpg"),
    )
    .unwrap();
    let student = std::fs::read_to_string(assets().join("student.json")).unwrap();
    let student = student
        .replace("2008-03-14", BIRTH_DATE)
        .replace("08231412342", PESEL);
    std::fs::write(dir.path().join("student.json"), student).unwrap();
    dir
}

/// The test student's birth date.
pub const BIRTH_DATE: &str = "2005-03-14";
/// The PESEL that matches it (check digit computed as in spec §11).
pub const PESEL: &str = "05231412341";

/// Runs `mlegit ARGS` in `dir`, with a system time zone and zoneinfo that would give a
/// wrong answer if they were used: the Warsaw time must come from the bundled database.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(MLEGIT)
        .args(args)
        .current_dir(dir)
        .env("TZ", "America/New_York")
        .env("TZDIR", "/nonexistent")
        // Status lists are cached under the test's own directory, never the user's.
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("MLEGIT_WALLET_PASSWORD", PASSWORD)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

/// The wallet files' password in the tests (given as `MLEGIT_WALLET_PASSWORD`).
pub const PASSWORD: &str = "correct horse battery staple";

/// Runs and asserts the exit code; returns stdout.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "mlegit {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs, expects exit `code`, and checks that stderr is exactly one line; returns it.
pub fn run_fails(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = run(dir, args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "mlegit {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    if code == 2 {
        assert_eq!(
            stderr.lines().count(),
            1,
            "one-line error expected: {stderr:?}"
        );
        assert!(stderr.starts_with("mlegit: error: "), "{stderr:?}");
    }
    (stdout, stderr)
}

/// Issuer key + trust list + device key + wallet, issued at `iat` for a year.
pub fn setup_wallet(dir: &Path, iat: &str) {
    run_ok(
        dir,
        &[
            "keygen",
            "--out",
            "issuer.pem",
            "--trust-list",
            "trust.cbor",
        ],
    );
    run_ok(dir, &["keygen", "--out", "device.pem"]);
    run_ok(
        dir,
        &[
            "issue",
            "--issuer-key",
            "issuer.pem",
            "--device-key",
            "device.pem",
            "--claims",
            "student.json",
            "--out",
            "wallet.json",
            "--now",
            iat,
        ],
    );
}

/// `present` of `age_over_18` from [`setup_wallet`]'s `wallet.json` to `out`, at `now`.
pub const fn present_age<'a>(out: &'a str, now: &'a str) -> [&'a str; 9] {
    [
        "present",
        "--wallet",
        "wallet.json",
        "--claims",
        "age_over_18",
        "--out",
        out,
        "--now",
        now,
    ]
}

/// A day before the clock, as seconds: an `iat` for wallets used at the real time.
pub fn iat_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now - 86_400).to_string()
}
