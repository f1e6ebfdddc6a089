//! The embedded SQLite store: one file in the data directory, pragmas, schema migrations.
//!
//! WAL with `synchronous=FULL`: a transaction is on disk (the WAL fsynced) before `COMMIT`
//! returns, so a response sent after a commit is never lost on a crash or power failure.
//! One connection behind a mutex, every transaction `BEGIN IMMEDIATE`: one writer at a
//! time in the process, and an administration command in another process waits for the
//! write lock (10 s) rather than interleaving. `FOR UPDATE` in a statement is dropped: the
//! transaction already holds the only write lock.

use core::time::Duration;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use super::{Row, Store, StoreError, StoreErrorKind, Tx, Value};
use crate::ServerError;

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
    // 4: batches of single-use credentials (spec version 5): an activation issues up to
    // 64 credentials, told apart by their position in the batch. SQLite cannot drop the
    // old UNIQUE (activation_id): the table is rebuilt (its indexes go with the old one).
    "
    CREATE TABLE credentials_v5 (
        status_index INTEGER PRIMARY KEY,
        credential_id BLOB NOT NULL UNIQUE,
        school_id INTEGER NOT NULL REFERENCES schools(id),
        student_id INTEGER NOT NULL REFERENCES students(id),
        activation_id TEXT NOT NULL,
        batch_index INTEGER NOT NULL,      -- the credential's position in its batch
        kid BLOB NOT NULL,
        iat INTEGER NOT NULL,
        exp INTEGER NOT NULL,
        revoked_reason INTEGER,
        revoked_at INTEGER,
        device_thumbprint BLOB NOT NULL,   -- SHA-256 of the device key (SEC1 uncompressed)
        list_id INTEGER REFERENCES status_lists(id),
        list_index INTEGER,
        UNIQUE (activation_id, batch_index)
    );
    INSERT INTO credentials_v5 (status_index, credential_id, school_id, student_id,
            activation_id, batch_index, kid, iat, exp, revoked_reason, revoked_at,
            device_thumbprint, list_id, list_index)
        SELECT status_index, credential_id, school_id, student_id, activation_id, 0, kid,
               iat, exp, revoked_reason, revoked_at, device_thumbprint, list_id, list_index
        FROM credentials;
    DROP TABLE credentials;
    ALTER TABLE credentials_v5 RENAME TO credentials;
    CREATE INDEX credentials_student ON credentials(student_id);
    CREATE UNIQUE INDEX credentials_list_entry ON credentials(list_id, list_index);
    CREATE INDEX credentials_revoked_at ON credentials(revoked_at);
    ",
];

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    ///
    /// The file is created owner-only (0600) before SQLite opens it: SQLite gives the
    /// `-wal` and `-shm` files it creates the mode of the database file. Files of an
    /// older data directory are narrowed to 0600 here too. A WAL left by a crash is
    /// checkpointed and truncated at once (see [`erase_wal`]).
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        owner_only(path, true)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = path.to_path_buf().into_os_string();
            name.push(suffix);
            owner_only(Path::new(&name), false)?;
        }
        let mut conn = Connection::open(path).map_err(db_error)?;
        let setup = |conn: &mut Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            // Deleted personal data is overwritten in the database file, not just unlinked.
            conn.pragma_update(None, "secure_delete", "ON")?;
            Ok(())
        };
        setup(&mut conn).map_err(db_error)?;
        migrate(&mut conn)?;
        erase_wal(&conn);
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic inside a transaction rolled it back when it unwound (see `Drop`); the
        // connection is fine.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn db_error(e: rusqlite::Error) -> ServerError {
    ServerError::Database(store_error(&e))
}

impl Store for SqliteStore {
    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let conn = self.lock();
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| store_error(&e))?;
        Ok(Box::new(SqliteTx { conn, open: true }))
    }

    fn erase_deleted(&self) {
        erase_wal(&self.lock());
    }

    fn engine(&self) -> &'static str {
        "SQLite"
    }
}

/// A transaction on the one connection, holding its mutex.
struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

/// The statement as SQLite takes it: without `FOR UPDATE`, which it does not know and
/// does not need (`BEGIN IMMEDIATE` holds the database's one write lock).
fn dialect(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains(" FOR UPDATE") {
        sql.replace(" FOR UPDATE", "").into()
    } else {
        sql.into()
    }
}

impl Tx for SqliteTx<'_> {
    fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&dialect(sql))
            .map_err(|e| store_error(&e))?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| store_error(&e))?;
        Ok(n as u64)
    }

    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&dialect(sql))
            .map_err(|e| store_error(&e))?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| store_error(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| store_error(&e))? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(|e| store_error(&e))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(
                        String::from_utf8(t.to_vec())
                            .map_err(|_| StoreError::new(StoreErrorKind::Type))?,
                    ),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                    ValueRef::Real(_) => return Err(StoreError::new(StoreErrorKind::Type)),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| store_error(&e))?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A failed COMMIT leaves the transaction open too; either way, end it.
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(code = ?e.sqlite_error_code(), "rollback failed");
            }
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

/// A rusqlite error by kind (its message may quote values: not kept).
fn store_error(e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::new(StoreErrorKind::NoRows),
        rusqlite::Error::SqliteFailure(f, _) => {
            let kind = match f.code {
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    StoreErrorKind::Conflict
                }
                rusqlite::ErrorCode::ConstraintViolation
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    StoreErrorKind::Unique
                }
                rusqlite::ErrorCode::CannotOpen => StoreErrorKind::Connection,
                _ => StoreErrorKind::Other,
            };
            StoreError::with_code(kind, format!("SQLite {}", f.extended_code))
        }
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            StoreError::new(StoreErrorKind::Type)
        }
        _ => StoreError::new(StoreErrorKind::Other),
    }
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
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .map_err(db_error)?;
    let version: usize = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_error)?;
    if version > MIGRATIONS.len() {
        return Err(ServerError::Schema(version));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql).map_err(db_error)?;
        tx.pragma_update(None, "user_version", i + 1)
            .map_err(db_error)?;
    }
    tx.commit().map_err(db_error)?;
    Ok(())
}
