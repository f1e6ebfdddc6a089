//! The embedded SQLite database: pragmas, schema migrations and the audit log.
//!
//! WAL with `synchronous=FULL`: a transaction is on disk (the WAL fsynced) before `COMMIT`
//! returns, so a response sent after a commit is never lost on a crash or power failure.

use core::time::Duration;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::ServerError;

/// The database file inside the data directory.
pub const DB_FILE: &str = "mlegit.sqlite3";

/// Migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    "
    CREATE TABLE issuer_keys (
        kid BLOB PRIMARY KEY,
        public_key BLOB NOT NULL,          -- SEC1 uncompressed
        created_at INTEGER NOT NULL,
        not_before INTEGER NOT NULL,
        retired_at INTEGER                 -- NULL: the active key
    );
    CREATE TABLE schools (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        school_id INTEGER NOT NULL REFERENCES schools(id),
        token_hash BLOB NOT NULL UNIQUE,   -- SHA-256 of the token; the token is shown once
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE students (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        school_id INTEGER NOT NULL REFERENCES schools(id),
        registered_at INTEGER NOT NULL,
        claims TEXT,                       -- personal data: NULL once deleted
        photo BLOB,                        -- portrait JPEG: NULL once deleted
        photo_state TEXT NOT NULL,         -- none | pending | accepted | rejected
        photo_reason TEXT,
        upload_hash BLOB,                  -- SHA-256 of the parent's upload token
        data_deleted_at INTEGER,
        credentials_issued INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX students_held ON students(registered_at) WHERE claims IS NOT NULL;
    CREATE UNIQUE INDEX students_upload ON students(upload_hash);
    CREATE TABLE activations (
        id TEXT PRIMARY KEY,
        student_id INTEGER NOT NULL REFERENCES students(id),
        code_mac BLOB NOT NULL,            -- HMAC-SHA256(server secret, id || code)
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL                -- open | used | void | locked
    );
    CREATE INDEX activations_student ON activations(student_id);
    CREATE TABLE credentials (
        status_index INTEGER PRIMARY KEY,
        credential_id BLOB NOT NULL UNIQUE,
        school_id INTEGER NOT NULL REFERENCES schools(id),
        student_id INTEGER NOT NULL REFERENCES students(id),
        activation_id TEXT NOT NULL UNIQUE,
        kid BLOB NOT NULL,
        iat INTEGER NOT NULL,
        exp INTEGER NOT NULL,
        revoked_reason INTEGER,
        revoked_at INTEGER,
        device_thumbprint BLOB NOT NULL    -- SHA-256 of the device key (SEC1 uncompressed)
    );
    CREATE INDEX credentials_student ON credentials(student_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        school_id INTEGER,
        event TEXT NOT NULL,
        subject TEXT                       -- a pseudonymous id, never personal data
    );
    ",
    // 2: status lists (spec version 2). Each credential gets a random entry of a list;
    // the per-credential status route is gone, and status_index is only a row id now.
    "
    CREATE TABLE status_lists (
        id INTEGER PRIMARY KEY,            -- n of https://<host>/v1/status-lists/{n}
        uri TEXT NOT NULL,                 -- the list's sub, in its credentials' status claims
        entries INTEGER NOT NULL,
        used INTEGER NOT NULL,
        bits BLOB NOT NULL,                -- one bit per entry, LSB first: 1 = invalid
        token BLOB,                        -- the signed token; NULL when it must be signed again
        token_iat INTEGER
    );
    ALTER TABLE credentials ADD COLUMN list_id INTEGER REFERENCES status_lists(id);
    ALTER TABLE credentials ADD COLUMN list_index INTEGER;
    CREATE UNIQUE INDEX credentials_list_entry ON credentials(list_id, list_index);
    CREATE INDEX credentials_revoked_at ON credentials(revoked_at);
    ",
    // 3: the authority that registers verifiers (spec version 3): its keys, which sign
    // verifier certificates and which wallets trust as their authority list, and the
    // verifiers it registered. Keys are separate from the issuer keys.
    "
    CREATE TABLE authority_keys (
        kid BLOB PRIMARY KEY,
        public_key BLOB NOT NULL,          -- SEC1 uncompressed
        created_at INTEGER NOT NULL,
        retired_at INTEGER                 -- NULL: the active authority key
    );
    CREATE TABLE verifiers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        audience TEXT NOT NULL,
        claims TEXT NOT NULL,              -- comma-separated claim names
        public_key BLOB NOT NULL,          -- SEC1 uncompressed
        authority_kid BLOB NOT NULL REFERENCES authority_keys(kid),
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        certificate BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    ",
];

/// Opens (creating if needed) the database and brings its schema up to date.
///
/// The database file is created owner-only (0600) before SQLite opens it: SQLite gives
/// the `-wal` and `-shm` files it creates the mode of the database file. Files of an
/// older data directory are narrowed to 0600 here too. A WAL left by a crash is
/// checkpointed and truncated at once (see [`erase_wal`]).
pub fn open(data_dir: &Path) -> Result<Connection, ServerError> {
    let path = data_dir.join(DB_FILE);
    owner_only(&path, true)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        owner_only(Path::new(&name), false)?;
    }
    let mut conn = Connection::open(&path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted personal data is overwritten in the database file, not just unlinked.
    conn.pragma_update(None, "secure_delete", "ON")?;
    migrate(&mut conn)?;
    erase_wal(&conn);
    Ok(conn)
}

/// Makes `path` owner-only (0600), creating it empty first if `create`; a missing file
/// that need not be created is left alone.
fn owner_only(path: &Path, create: bool) -> Result<(), ServerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        if create {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| ServerError::io("create the database file", e))?;
        }
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => Ok(()),
            Err(e) => Err(ServerError::io("make the database files owner-only", e)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, create);
        Ok(())
    }
}

/// Checkpoints the WAL into the database file and truncates it to zero bytes.
///
/// `secure_delete` overwrites deleted rows in the pages it writes, but in WAL mode those
/// pages are written to `-wal` first, and the WAL's older frames (holding the rows as
/// they were) stay in the file until a checkpoint wraps it around, which may take
/// hundreds of writes. After this call the database file holds the zeroed pages and the
/// WAL is empty. Called after every commit that deletes personal data and at open; if a
/// reader (an administration command) blocks it, it is logged and the next one catches
/// up.
pub fn erase_wal(conn: &Connection) {
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    match result {
        Ok(0) => {}
        Ok(_) => tracing::warn!("WAL checkpoint blocked by a reader; retried at the next deletion"),
        Err(e) => tracing::warn!(kind = ?e.sqlite_error_code(), "WAL checkpoint failed"),
    }
}

fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(ServerError::Schema(version));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Appends to the audit log (inside the caller's transaction).
pub fn audit(
    conn: &Connection,
    at: u64,
    school: Option<i64>,
    event: &str,
    subject: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit (at, school_id, event, subject) VALUES (?1, ?2, ?3, ?4)",
        params![to_i64(at), school, event, subject],
    )?;
    Ok(())
}

/// The active issuer key id.
pub fn active_kid(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT kid FROM issuer_keys WHERE retired_at IS NULL",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// NumericDate to SQLite integer (saturating: times past 2^63 do not occur).
pub fn to_i64(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// SQLite integer to NumericDate (negative values read as 0).
pub fn to_u64(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}
