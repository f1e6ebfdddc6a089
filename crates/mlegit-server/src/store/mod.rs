//! The store: one interface ([`Store`], [`Tx`]) and two implementations, SQLite (the
//! embedded default, one file in the data directory) and PostgreSQL (for several server
//! replicas on one database), chosen by a [`Database`].
//!
//! Handlers write their SQL once, in the dialect both accept: `?1`-style placeholders,
//! `RETURNING`, `FOR UPDATE` on the reads that guard a decision. Each implementation maps
//! it to its engine:
//!
//! - SQLite runs every transaction as `BEGIN IMMEDIATE` (one writer at a time, taken at
//!   the start), so it needs no row locks: it drops `FOR UPDATE` from the text.
//! - PostgreSQL runs at READ COMMITTED and takes the row locks `FOR UPDATE` names, so
//!   that two replicas deciding on the same row (one activation code, one credential, one
//!   list's bits) decide one after the other. It rewrites `?N` to `$N`. A transaction
//!   that loses a race (a serialization failure, a deadlock, or a unique key taken by
//!   the other replica first) is run again whole: see [`StoreError::is_retryable`].
//!
//! Values cross the interface as [`Value`]s (integers, text, bytes, NULL), so that a
//! handler reads a row the same way from either engine. No error of this module carries
//! a value or an SQL message (they may quote personal data): only a kind and the
//! engine's code.

use core::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ServerError;

pub mod postgres;
pub mod sqlite;

/// The SQLite database file inside the data directory.
pub const DB_FILE: &str = "mlegit.sqlite3";

/// Which database a server or an administration command uses.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded SQLite file `mlegit.sqlite3` in the data directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its connection URL (`postgresql://user@host:port/db`).
    Postgres(String),
}

impl Database {
    /// The database a `--database` value names: a `postgres://` or `postgresql://` URL,
    /// or `sqlite:PATH` (the file itself); `None` (no flag) is the data directory's file.
    pub fn from_arg(arg: Option<&str>, data_dir: &Path) -> Result<Self, ServerError> {
        match arg {
            None => Ok(Database::Sqlite(data_dir.join(DB_FILE))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres(url.to_owned()))
            }
            Some(url) => match url.strip_prefix("sqlite:") {
                Some(path) if !path.is_empty() => Ok(Database::Sqlite(PathBuf::from(path))),
                _ => Err(ServerError::Invalid(
                    "--database: a postgresql:// URL or sqlite:PATH",
                )),
            },
        }
    }

    /// The engine's name, for logs and the demo.
    pub fn engine(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "SQLite",
            Database::Postgres(_) => "PostgreSQL",
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            // The URL may hold a password.
            Database::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

/// Opens a store, creating its schema or bringing it up to date.
///
/// SQLite: the file is created if missing. PostgreSQL: the database must exist; its tables
/// are created by the first server or `init` that connects (migrations run under an
/// advisory lock, so two replicas starting together apply them once).
pub fn open(db: &Database) -> Result<Arc<dyn Store>, ServerError> {
    match db {
        Database::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open(path)?)),
        Database::Postgres(url) => Ok(Arc::new(postgres::PgStore::open(url)?)),
    }
}

/// The store of an initialised database, opened once; `None` if it is not initialised
/// (for SQLite, a missing file is not created).
pub fn open_initialised(db: &Database) -> Result<Option<Arc<dyn Store>>, ServerError> {
    if let Database::Sqlite(path) = db
        && !path.exists()
    {
        return Ok(None);
    }
    let store = open(db)?;
    let tx = store.begin()?;
    let kid = active_kid(&*tx)?;
    tx.commit()?;
    Ok(kid.map(|_| store))
}

/// A database: hands out transactions.
pub trait Store: Send + Sync {
    /// Begins a transaction. Every read and write of a request runs in one.
    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError>;

    /// Makes personal data deleted by the last commits unrecoverable from the database's
    /// own files where the engine allows it (SQLite: checkpoints and truncates the WAL).
    /// PostgreSQL keeps dead rows until VACUUM and its WAL until recycled: see DESIGN.md.
    fn erase_deleted(&self);

    /// The engine's name.
    fn engine(&self) -> &'static str;
}

/// One transaction. Dropped without [`Tx::commit`], it rolls back.
pub trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; its rows.
    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Commits.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Waits until no other transaction that called this holds it, and holds it until
    /// the end of this one: for initialisation, which two processes may start at once.
    /// SQLite: nothing to do (`BEGIN IMMEDIATE` already excludes other writers).
    fn exclusive(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl dyn Tx + '_ {
    /// [`Tx::exec`].
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.exec(sql, params)
    }

    /// The first row mapped by `f`; [`StoreErrorKind::NoRows`] if there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, params, f)?
            .ok_or(StoreError::new(StoreErrorKind::NoRows))
    }

    /// The first row mapped by `f`, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self.rows(sql, params)?.first() {
            Some(row) => f(row).map(Some),
            None => Ok(None),
        }
    }

    /// Every row mapped by `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql, params)?.iter().map(&mut f).collect()
    }
}

/// A value bound to a placeholder or read from a column.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT, INTEGER, SMALLINT or BOOLEAN).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Bytes(Vec<u8>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be personal data: their kind only.
        f.write_str(match self {
            Value::Null => "Null",
            Value::Int(_) => "Int(..)",
            Value::Text(_) => "Text(..)",
            Value::Bytes(_) => "Bytes(..)",
        })
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl<const N: usize> From<&[u8; N]> for Value {
    fn from(v: &[u8; N]) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<&Vec<u8>> for Value {
    fn from(v: &Vec<u8>) -> Self {
        Value::Bytes(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement: `args![a, b]` is `&[Value::from(a), Value::from(b)]`.
#[macro_export]
#[doc(hidden)]
macro_rules! args {
    () => { &[] as &[$crate::store::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::store::Value::from($v)),+] as &[$crate::store::Value] };
}
pub use crate::args;

/// A row of a query.
pub struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `i` as a `T`; a type mismatch is [`StoreErrorKind::Type`].
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, StoreError> {
        let v = self.0.get(i).ok_or(StoreError::new(StoreErrorKind::Type))?;
        T::from_value(v).ok_or(StoreError::new(StoreErrorKind::Type))
    }
}

/// A Rust type a column reads as.
pub trait FromValue: Sized {
    /// `None` if the value is not of this type.
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Defines a state kept in a TEXT column: its variants and their stored names.
macro_rules! stored_state {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The name stored in the database (and shown in the API).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The state a stored name names.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl From<$name> for Value {
            fn from(v: $name) -> Self {
                Value::Text(v.as_str().to_owned())
            }
        }

        impl FromValue for $name {
            fn from_value(v: &Value) -> Option<Self> {
                match v {
                    Value::Text(t) => $name::parse(t),
                    _ => None,
                }
            }
        }
    };
}

stored_state! {
    /// An activation's state (`activations.state`).
    ActivationState {
        /// Its code can still be used.
        Open = "open",
        /// A credential was issued with it.
        Used = "used",
        /// A newer activation of the student replaced it.
        Void = "void",
        /// Five wrong codes locked it.
        Locked = "locked",
    }
}

stored_state! {
    /// A student's photo's state (`students.photo_state`).
    PhotoState {
        /// No photo.
        None = "none",
        /// Uploaded by a parent, waiting for the school.
        Pending = "pending",
        /// Accepted (or given by the school with the registration).
        Accepted = "accepted",
        /// Rejected by the school, with a reason.
        Rejected = "rejected",
    }
}

/// What went wrong in the store, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A query that must return a row returned none.
    NoRows,
    /// A column did not have the type asked for.
    Type,
    /// A unique key was taken (by another transaction, or a duplicate).
    Unique,
    /// The transaction lost a race with another (serialization failure, deadlock) or
    /// the database was busy past its timeout.
    Conflict,
    /// The database could not be reached, or the connection broke.
    Connection,
    /// Anything else (a constraint, a full disk, a bug in a statement).
    Other,
}

/// A store failure: its kind and the engine's code (SQLite's extended result code or
/// PostgreSQL's SQLSTATE), never a value or message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    kind: StoreErrorKind,
    code: Option<String>,
}

impl StoreError {
    pub(crate) fn new(kind: StoreErrorKind) -> Self {
        Self { kind, code: None }
    }

    pub(crate) fn with_code(kind: StoreErrorKind, code: String) -> Self {
        Self {
            kind,
            code: Some(code),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The engine's code, if it gave one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether running the whole transaction again may succeed: it lost a race with
    /// another transaction, which has committed or rolled back since.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, StoreErrorKind::Conflict | StoreErrorKind::Unique)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::NoRows => "no row",
            StoreErrorKind::Type => "a column of an unexpected type",
            StoreErrorKind::Unique => "a unique key taken",
            StoreErrorKind::Conflict => "a conflict with another transaction",
            StoreErrorKind::Connection => "no connection to the database",
            StoreErrorKind::Other => "a database failure",
        };
        match &self.code {
            Some(code) => write!(f, "{what} ({code})"),
            None => f.write_str(what),
        }
    }
}

impl core::error::Error for StoreError {}

/// Appends to the audit log (inside the caller's transaction).
pub fn audit(
    tx: &dyn Tx,
    at: u64,
    school: Option<i64>,
    event: &str,
    subject: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit (at, school_id, event, subject) VALUES (?1, ?2, ?3, ?4)",
        args![to_i64(at), school, event, subject],
    )?;
    Ok(())
}

/// The active issuer key id.
pub fn active_kid(tx: &dyn Tx) -> Result<Option<Vec<u8>>, StoreError> {
    tx.query_opt(
        "SELECT kid FROM issuer_keys WHERE retired_at IS NULL",
        args![],
        |r| r.get(0),
    )
}

/// NumericDate to a database integer (saturating: times past 2^63 do not occur).
pub fn to_i64(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// Database integer to NumericDate (negative values read as 0).
pub fn to_u64(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}
