//! The PostgreSQL store over TLS (libpq's `sslmode` and `sslrootcert` in the URL): with
//! the test cluster's CA the connection is TLS, as PostgreSQL itself reports; without it
//! (Mozilla's roots only) `sslmode=require` refuses to connect; `sslmode=disable` is
//! plain. `scripts/postgres-cluster.sh` gives the cluster its certificate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::{PgDatabase, postgres_url};
use mlegit_server::store::{self, Database};

/// The test cluster's CA file; under CI it must be there.
fn ca() -> Option<String> {
    match std::env::var("MLEGIT_TEST_POSTGRES_CA") {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("MLEGIT_TEST_POSTGRES_CA is not set (scripts/postgres-cluster.sh start)")
        }
        _ => {
            eprintln!("skipped: MLEGIT_TEST_POSTGRES_CA is not set");
            None
        }
    }
}

/// Whether the store's own connection is TLS, as the server reports it.
fn over_tls(url: &str) -> Result<bool, mlegit_server::ServerError> {
    let store = store::open(&Database::Postgres(url.to_owned()))?;
    let tx = store.begin()?;
    let ssl: bool = tx.query_row(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(ssl)
}

#[test]
fn the_store_speaks_tls_to_postgresql_when_the_url_says_so() {
    if postgres_url().is_none() {
        return;
    }
    let Some(ca) = ca() else { return };
    let db = PgDatabase::create();
    let url = db
        .url
        .split_once('?')
        .map_or(db.url.as_str(), |(base, _)| base);
    assert!(over_tls(&format!("{url}?sslmode=require&sslrootcert={ca}")).unwrap());
    assert!(!over_tls(&format!("{url}?sslmode=disable")).unwrap());
    // The certificate is verified: a private CA is not among Mozilla's roots.
    assert!(over_tls(&format!("{url}?sslmode=require")).is_err());
    // A CA file that is not PEM is an error, not a fallback to plain or to other roots.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, b"not a certificate").unwrap();
    assert!(
        over_tls(&format!(
            "{url}?sslmode=require&sslrootcert={}",
            junk.display()
        ))
        .is_err()
    );
}
