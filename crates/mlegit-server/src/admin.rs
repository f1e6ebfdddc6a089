//! Administration without HTTP: initialise a data directory, create schools and tokens,
//! revoke tokens, rotate the issuer key. The `mlegit` command calls these.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::ServerError;
use crate::clock::{Clock, SystemClock};
use crate::keys::{self, FileKeyStore, KeyStore};
use crate::random::{Random, SystemRandom};
use std::sync::Arc;

use crate::store::{self, Database, Store, Tx, args, to_i64};

/// What [`init`] created.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// The issuer key id, hex.
    pub key_id: String,
}

/// A token as created: the secret is shown once and never stored.
#[derive(Clone)]
pub struct NewToken {
    /// The token's id (for revocation).
    pub id: i64,
    /// The school it acts for.
    pub school_id: i64,
    /// The bearer token: 256 random bits, base64url, prefixed `mlsk_`.
    pub token: String,
}

impl core::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("school_id", &self.school_id)
            .finish_non_exhaustive()
    }
}

/// A school.
#[derive(Debug, Clone)]
pub struct School {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

/// A token as listed: never the secret, which is not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token's id.
    pub id: i64,
    /// The school it acts for.
    pub school_id: i64,
    /// When it was created (seconds since 1970).
    pub created_at: u64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<u64>,
}

/// An issuer key as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key id, hex.
    pub key_id: String,
    /// When it was created.
    pub created_at: u64,
    /// When it was retired (a newer key took over issuance); `None` for the active key.
    pub retired_at: Option<u64>,
}

/// A status list's token as exported.
#[derive(Debug)]
pub struct ExportedList {
    /// The list's number (the last segment of its URI).
    pub number: i64,
    /// The list's URI, its tokens' `sub`.
    pub uri: String,
    /// The signed token (spec §9), fresh.
    pub token: Vec<u8>,
}

/// Creates the data directory (mode 0700), the database, the server secret, the first
/// issuer key and the first authority key (`keys/<kid>.pem`, mode 0600).
pub fn init(data_dir: &Path) -> Result<InitReport, ServerError> {
    init_with(data_dir, &SystemClock, &FileKeyStore::new(data_dir))
}

/// [`init`] with a clock and a key store of the caller's choice.
pub fn init_with(
    data_dir: &Path,
    clock: &dyn Clock,
    keys: &dyn KeyStore,
) -> Result<InitReport, ServerError> {
    init_in(
        data_dir,
        &Database::Sqlite(data_dir.join(store::DB_FILE)),
        clock,
        keys,
    )
}

/// [`init_with`] on the database of the caller's choice: the data directory still holds
/// the server secret and (with the file key store) the keys, which every replica on one
/// PostgreSQL database must share.
pub fn init_in(
    data_dir: &Path,
    database: &Database,
    clock: &dyn Clock,
    keys: &dyn KeyStore,
) -> Result<InitReport, ServerError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|e| ServerError::io("create data directory", e))?;
    // One connection (pool) for the whole of it; the exclusive lock makes a second `init`
    // on the same database wait, then find the first key.
    let store = store::open(database)?;
    let tx = store.begin()?;
    tx.exclusive()?;
    if store::active_kid(&*tx)?.is_some() {
        return Err(ServerError::AlreadyInitialised);
    }
    // Kept if an earlier `init` wrote it and then failed before its commit: nothing is
    // keyed to it until the database holds a key.
    keys::ensure_secret(data_dir)?;
    let kid = add_key(&*tx, clock.now(), keys, 0)?;
    ensure_authority_key(&*tx, clock.now(), keys)?;
    tx.commit()?;
    keys::sync_dir(data_dir)?;
    Ok(InitReport {
        key_id: hex::encode(kid),
    })
}

/// The active authority key's id, made first if there is none (a data directory from before
/// spec version 3), so that the authority list is never empty.
pub(crate) fn ensure_authority_key(
    conn: &dyn Tx,
    now: u64,
    keys: &dyn KeyStore,
) -> Result<Vec<u8>, ServerError> {
    let active: Option<Vec<u8>> = conn.query_opt(
        "SELECT kid FROM authority_keys WHERE retired_at IS NULL",
        args![],
        |r| r.get(0),
    )?;
    match active {
        Some(kid) => Ok(kid),
        None => add_authority_key(conn, now, keys),
    }
}

/// Generates an authority key, retires the active one (if any), records the new one.
fn add_authority_key(conn: &dyn Tx, now: u64, keys: &dyn KeyStore) -> Result<Vec<u8>, ServerError> {
    let signer = keys.generate()?;
    let public = signer.public_key();
    let kid = public.key_id();
    conn.execute(
        "UPDATE authority_keys SET retired_at = ?1 WHERE retired_at IS NULL",
        args![to_i64(now)],
    )?;
    conn.execute(
        "INSERT INTO authority_keys (kid, public_key, created_at) VALUES (?1, ?2, ?3)",
        args![
            kid.as_slice(),
            public.to_sec1_uncompressed().to_vec(),
            to_i64(now)
        ],
    )?;
    store::audit(conn, now, None, "authority_key_created", &hex::encode(&kid))?;
    Ok(kid)
}

/// Generates a key, retires the active one (if any) and records the new one as active.
fn add_key(
    tx: &dyn Tx,
    now: u64,
    keys: &dyn KeyStore,
    not_before: u64,
) -> Result<Vec<u8>, ServerError> {
    let signer = keys.generate()?;
    let public = signer.public_key();
    let kid = public.key_id();
    tx.execute(
        "UPDATE issuer_keys SET retired_at = ?1 WHERE retired_at IS NULL",
        args![to_i64(now)],
    )?;
    tx.execute(
        "INSERT INTO issuer_keys (kid, public_key, created_at, not_before) VALUES (?1, ?2, ?3, ?4)",
        args![
            kid.as_slice(),
            public.to_sec1_uncompressed().to_vec(),
            to_i64(now),
            to_i64(not_before)
        ],
    )?;
    // Every stored status list token is stale now: the new key signs each list the next
    // time it is served or exported, so no token under the retired key is served after
    // the rotation (a retired key leaves the trust list a day after its credentials' last
    // exp, at once if it signed none, and its tokens would then fail L4).
    tx.execute(
        "UPDATE status_lists SET token = NULL, token_iat = NULL",
        args![],
    )?;
    store::audit(tx, now, None, "key_created", &hex::encode(&kid))?;
    Ok(kid)
}

/// A verifier the authority registered.
#[derive(Clone, Debug)]
pub struct RegisteredVerifier {
    /// Its id (for `revoke_verifier`).
    pub id: i64,
    /// The authority key that signed its certificate, hex.
    pub authority_kid: String,
    /// The verifier certificate (spec §7.4).
    pub certificate: Vec<u8>,
}

/// A registered verifier, as listed.
#[derive(Clone, Debug)]
pub struct VerifierInfo {
    /// Its id.
    pub id: i64,
    /// Its registered name.
    pub name: String,
    /// Its audience.
    pub audience: String,
    /// The claims it may ask for, comma-separated.
    pub claims: String,
    /// Valid from.
    pub not_before: u64,
    /// Valid until.
    pub not_after: u64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<u64>,
}

/// Administration of an initialised data directory and its database. Works while the
/// server runs (SQLite: WAL allows a second connection; PostgreSQL: any number); the
/// server picks up a rotated key on its next use.
pub struct Admin {
    store: Arc<dyn Store>,
    clock: Box<dyn Clock>,
    keys: Box<dyn KeyStore>,
    random: Box<dyn Random>,
}

impl core::fmt::Debug for Admin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl Admin {
    /// Opens `data_dir` with the system clock and the file key store.
    pub fn open(data_dir: &Path) -> Result<Self, ServerError> {
        Self::open_with(
            data_dir,
            Box::new(SystemClock),
            Box::new(FileKeyStore::new(data_dir)),
        )
    }

    /// Opens `data_dir` with a clock and key store of the caller's choice.
    pub fn open_with(
        data_dir: &Path,
        clock: Box<dyn Clock>,
        keys: Box<dyn KeyStore>,
    ) -> Result<Self, ServerError> {
        Self::open_in(
            &Database::Sqlite(data_dir.join(store::DB_FILE)),
            clock,
            keys,
        )
    }

    /// Opens `database` with a clock and key store of the caller's choice.
    pub fn open_in(
        database: &Database,
        clock: Box<dyn Clock>,
        keys: Box<dyn KeyStore>,
    ) -> Result<Self, ServerError> {
        Ok(Self {
            store: store::open_initialised(database)?.ok_or(ServerError::NotInitialised)?,
            clock,
            keys,
            random: Box::new(SystemRandom),
        })
    }

    /// The same, drawing the secrets of new school tokens from `random` instead of the
    /// operating system (tests give a [`crate::random::SeededRandom`]).
    pub fn with_random(mut self, random: Box<dyn Random>) -> Self {
        self.random = random;
        self
    }

    /// The store it administers (tests read it to check what the server kept).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Creates a school.
    pub fn create_school(&mut self, name: &str) -> Result<School, ServerError> {
        if !mlegit::claims::valid_text(name) {
            return Err(ServerError::Invalid(
                "school name: 1 to 256 bytes, no control characters",
            ));
        }
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let id: i64 = tx.query_row(
            "INSERT INTO schools (name, created_at) VALUES (?1, ?2) RETURNING id",
            args![name, to_i64(now)],
            |r| r.get(0),
        )?;
        store::audit(&*tx, now, Some(id), "school_created", &id.to_string())?;
        tx.commit()?;
        Ok(School {
            id,
            name: name.to_owned(),
        })
    }

    /// Every school.
    pub fn schools(&self) -> Result<Vec<School>, ServerError> {
        self.read(|tx| {
            tx.query_map("SELECT id, name FROM schools ORDER BY id", args![], |r| {
                Ok(School {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
        })
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, ServerError> {
        self.read(|tx| {
            tx.query_map(
                "SELECT id, school_id, created_at, revoked_at FROM tokens ORDER BY id",
                args![],
                |r| {
                    Ok(TokenInfo {
                        id: r.get(0)?,
                        school_id: r.get(1)?,
                        created_at: store::to_u64(r.get(2)?),
                        revoked_at: r.get::<Option<i64>>(3)?.map(store::to_u64),
                    })
                },
            )
        })
    }

    /// Every issuer key, oldest first.
    pub fn keys(&self) -> Result<Vec<KeyInfo>, ServerError> {
        self.read(|tx| {
            tx.query_map(
                "SELECT kid, created_at, retired_at FROM issuer_keys ORDER BY created_at, rowid",
                args![],
                |r| {
                    Ok(KeyInfo {
                        key_id: hex::encode(r.get::<Vec<u8>>(0)?),
                        created_at: store::to_u64(r.get(1)?),
                        retired_at: r.get::<Option<i64>>(2)?.map(store::to_u64),
                    })
                },
            )
        })
    }

    /// Creates a bearer token for a school. Only its SHA-256 is stored.
    pub fn create_token(&mut self, school_id: i64) -> Result<NewToken, ServerError> {
        let now = self.clock.now();
        let token = crate::app::random_token(self.random.as_ref(), "mlsk_");
        let hash = Sha256::digest(token.as_bytes()).to_vec();
        let tx = self.store.begin()?;
        let exists: Option<i64> = tx.query_opt(
            "SELECT id FROM schools WHERE id = ?1",
            args![school_id],
            |r| r.get(0),
        )?;
        exists.ok_or(ServerError::UnknownSchool)?;
        let id: i64 = tx.query_row(
            "INSERT INTO tokens (school_id, token_hash, created_at) VALUES (?1, ?2, ?3)
             RETURNING id",
            args![school_id, hash, to_i64(now)],
            |r| r.get(0),
        )?;
        store::audit(&*tx, now, Some(school_id), "token_created", &id.to_string())?;
        tx.commit()?;
        Ok(NewToken {
            id,
            school_id,
            token,
        })
    }

    /// Revokes a token: requests with it fail from now on.
    pub fn revoke_token(&mut self, token_id: i64) -> Result<(), ServerError> {
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let n = tx.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            args![to_i64(now), token_id],
        )?;
        if n == 0 {
            return Err(ServerError::UnknownToken);
        }
        store::audit(&*tx, now, None, "token_revoked", &token_id.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Rotates the issuer key: a new active key, trusted from today's UTC midnight (the
    /// `iat` of every credential issued today, spec §5.6 rule 8); the old one stays in the
    /// trust list with `not_after` = now until a day after the credentials it signed have
    /// expired (spec §10.3).
    /// Every stored status list token is made stale: the new key signs each list the next
    /// time it is served or exported ([`crate::lists::token`]). Returns the new key id, hex.
    pub fn rotate_key(&mut self) -> Result<String, ServerError> {
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let kid = add_key(&*tx, now, self.keys.as_ref(), now - now % crate::app::DAY)?;
        tx.commit()?;
        Ok(hex::encode(kid))
    }

    /// Every status list's token, signed again first where stale (as the server would
    /// before serving it), for `mlegit admin status-list export`, which writes them as
    /// files for a CDN or offline validators.
    pub fn export_status_lists(&mut self) -> Result<Vec<ExportedList>, ServerError> {
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let kid = store::active_kid(&*tx)?.ok_or(ServerError::NotInitialised)?;
        let signer = self.keys.load(&kid)?;
        let issuer = mlegit::Issuer::with_key_id(crate::keys::ArcSigner(signer), kid)
            .map_err(|_| ServerError::Key("the active key id"))?;
        let mut out = Vec::new();
        // The list functions answer in the API's errors: a database error, a stored
        // list that does not decode, or a failed signature.
        let fail = |_: crate::ApiError| ServerError::Invalid("a status list (stored or signing)");
        for id in crate::lists::ids(&*tx).map_err(fail)? {
            let uri: String = tx.query_row(
                "SELECT uri FROM status_lists WHERE id = ?1",
                args![id],
                |r| r.get(0),
            )?;
            if let Some(served) = crate::lists::token(&*tx, &issuer, id, now).map_err(fail)? {
                out.push(ExportedList {
                    number: id,
                    uri,
                    token: served.token,
                });
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Registers a verifier (spec §7.4): signs a certificate for `key` as `name` and
    /// `audience`, allowed to ask for `claims`, valid from now for `days` days, with the
    /// active authority key (made here if there is none: a data directory from before spec
    /// version 3). Returns its id and the certificate.
    pub fn register_verifier(
        &mut self,
        name: &str,
        audience: &str,
        claims: &[mlegit::ClaimName],
        key: &mlegit::PublicKey,
        days: u64,
    ) -> Result<RegisteredVerifier, ServerError> {
        let now = self.clock.now();
        let expires = now.saturating_add(days.saturating_mul(86_400));
        let parts = mlegit::CertificateParts {
            verifier_key: key,
            name,
            audience,
            claims,
            issued_at: now,
            not_before: now,
            expires,
        };
        // Refused arguments make no key.
        parts.check().map_err(|_| {
            ServerError::Invalid("verifier: name and audience 1 to 128 bytes of clean text, 1 to 16 distinct claims, at least 1 day")
        })?;
        let tx = self.store.begin()?;
        let kid = ensure_authority_key(&*tx, now, self.keys.as_ref())?;
        let signer = self.keys.load(&kid)?;
        let authority = mlegit::Authority::new(crate::keys::ArcSigner(signer));
        let certificate = authority
            .certificate(&parts)
            .map_err(|_| ServerError::Key("the authority key"))?;
        let names: Vec<&str> = claims.iter().map(|c| c.as_str()).collect();
        let id: i64 = tx.query_row(
            "INSERT INTO verifiers (name, audience, claims, public_key, authority_kid, not_before,
                                    not_after, certificate, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6) RETURNING id",
            args![
                name,
                audience,
                names.join(","),
                key.to_sec1_uncompressed().to_vec(),
                authority.key_id(),
                to_i64(now),
                to_i64(expires),
                certificate.as_slice()
            ],
            |r| r.get(0),
        )?;
        store::audit(&*tx, now, None, "verifier_registered", &id.to_string())?;
        tx.commit()?;
        Ok(RegisteredVerifier {
            id,
            authority_kid: hex::encode(authority.key_id()),
            certificate,
        })
    }

    /// Every registered verifier, oldest first.
    pub fn verifiers(&self) -> Result<Vec<VerifierInfo>, ServerError> {
        self.read(|tx| {
            tx.query_map(
                "SELECT id, name, audience, claims, not_before, not_after, revoked_at FROM verifiers
                 ORDER BY id",
                args![],
                |r| {
                    Ok(VerifierInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        audience: r.get(2)?,
                        claims: r.get(3)?,
                        not_before: store::to_u64(r.get(4)?),
                        not_after: store::to_u64(r.get(5)?),
                        revoked_at: r.get::<Option<i64>>(6)?.map(store::to_u64),
                    })
                },
            )
        })
    }

    /// Marks a verifier revoked: the authority lists it so and does not renew it. Wallets
    /// do not learn of it before its certificate expires (spec §14.11).
    pub fn revoke_verifier(&mut self, id: i64) -> Result<(), ServerError> {
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let n = tx.execute(
            "UPDATE verifiers SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            args![to_i64(now), id],
        )?;
        if n == 0 {
            return Err(ServerError::Invalid("no such verifier, or already revoked"));
        }
        store::audit(&*tx, now, None, "verifier_revoked", &id.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Rotates the authority key (spec §10.4): a new active key signs certificates from now;
    /// the old one stays in the authority list with `not_after` = now, so that the
    /// certificates it signed verify until they expire. Returns the new key id, hex.
    pub fn rotate_authority_key(&mut self) -> Result<String, ServerError> {
        let now = self.clock.now();
        let tx = self.store.begin()?;
        let kid = add_authority_key(&*tx, now, self.keys.as_ref())?;
        tx.commit()?;
        Ok(hex::encode(kid))
    }

    /// The authority list wallets trust (spec §10.4), as served at
    /// `GET /v1/authority-list`. It makes no key: on a data directory from before spec
    /// version 3 that has none it is empty, where the GET makes one first.
    pub fn authority_list(&self) -> Result<mlegit::TrustList, ServerError> {
        self.read(|tx| crate::app::authority_list(tx))
    }

    /// The trust list as served at `GET /v1/trust-list`.
    pub fn trust_list(&self) -> Result<mlegit::TrustList, ServerError> {
        let now = self.clock.now();
        self.read(|tx| crate::app::trust_list(tx, now))
    }

    /// Runs `f` in a transaction of its own and commits.
    fn read<T>(
        &self,
        f: impl FnOnce(&dyn Tx) -> Result<T, store::StoreError>,
    ) -> Result<T, ServerError> {
        let tx = self.store.begin()?;
        let value = f(&*tx)?;
        tx.commit()?;
        Ok(value)
    }
}
