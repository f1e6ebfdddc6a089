//! Status lists (spec §9): where each credential's entry is drawn, how a revocation flips
//! it, and when a list's token is signed again.
//!
//! - A list has [`LIST_ENTRIES`] one-bit entries; a new list opens when half of the
//!   current one is used, so every entry hides among at least 2^19 others once its list
//!   has filled.
//! - An entry is drawn uniformly at random among the unused entries of the current list
//!   (from the server's [`Random`](crate::random::Random), by default rand 0.10's
//!   thread-local ChaCha12 CSPRNG seeded from the operating system), never in order:
//!   neither an index nor a list shows when or in which order credentials were issued.
//! - A revocation sets the entry's bit and marks the list's token stale; the token is
//!   signed again when it is next served or exported, so a burst of revocations costs one
//!   signature. A token is also signed again once half its ttl has passed, so that a
//!   served token is always good for at least ttl/2. A rotation of the issuer key makes
//!   every stored token stale: the new key signs each list the next time it is served.

use crate::store::{Tx, args};
use mlegit::{Issuer, StatusBits, StatusListToken};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::keys::ArcSigner;
use crate::store::{to_i64, to_u64};

/// Entries per list: 2^20 (131,072 bytes of bits).
pub const LIST_ENTRIES: u64 = 1 << 20;
/// The ttl of a list token: 12 hours.
pub const LIST_TTL: u64 = 43_200;
/// The lifetime of a list token (`exp - iat`): 24 hours.
pub const LIST_LIFETIME: u64 = 86_400;

/// The URI (`sub`) of list `id` under the server's public URL. Lists are named by an
/// https URI whatever the scheme the server itself answers on (spec §5.4): a server run
/// over plain http for a test names its lists `https://<its address>/...`, and clients
/// fetch them from where they are served.
pub fn list_uri(public_url: &str, id: i64) -> String {
    let rest = public_url
        .strip_prefix("https://")
        .or_else(|| public_url.strip_prefix("http://"))
        .unwrap_or(public_url);
    format!("https://{rest}/v1/status-lists/{id}")
}

/// Status list entries drawn for a new batch of credentials, all in one list.
pub struct Entries {
    /// The list's URI (the credentials' status reference, and the token's `sub`).
    pub uri: String,
    /// The list's row id.
    pub list: i64,
    /// The entries' indices in the list, distinct, one per credential.
    pub indices: Vec<u64>,
}

/// A list with room left (at most half used), as [`allocate`] reads it.
struct OpenList {
    id: i64,
    uri: String,
    entries: i64,
}

/// A revoked credential's entry, as [`flip_revoked`] reads it.
struct Revoked {
    list: i64,
    index: i64,
}

/// Draws `n` free entries of one list for a batch of `n` credentials (so that revoking
/// the batch is one update of one list), each uniformly among the list's free entries;
/// the list has room for them while at most half of it is used. A new list is
/// named under `public_url` (its URI is stored with it, and every token of it carries that
/// `sub`, whatever URL the server is reached at later). Call [`count_use`] for the list
/// once the credential is stored.
///
/// Nothing is locked here, so that replicas issuing at once do not queue on the list's
/// row while they sign: two replicas that draw the same entry, or open the same new list,
/// both try to store it, and the second fails on the unique key and runs again.
pub fn allocate(
    tx: &dyn Tx,
    public_url: &str,
    random: &dyn crate::random::Random,
    n: usize,
) -> Result<Entries, ApiError> {
    let wanted = i64::try_from(n).map_err(|_| ApiError::Internal("batch size"))?;
    let current = tx.query_opt(
        "SELECT id, uri, entries FROM status_lists WHERE (used + ?1) * 2 <= entries
         ORDER BY id DESC LIMIT 1",
        args![wanted],
        |r| {
            Ok(OpenList {
                id: r.get(0)?,
                uri: r.get(1)?,
                entries: r.get(2)?,
            })
        },
    )?;
    let OpenList {
        id: list,
        uri,
        entries,
    } = match current {
        Some(c) => c,
        None => {
            let bytes =
                usize::try_from(LIST_ENTRIES / 8).map_err(|_| ApiError::Internal("size"))?;
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM status_lists",
                args![],
                |r| r.get(0),
            )?;
            let uri = list_uri(public_url, next);
            tx.execute(
                "INSERT INTO status_lists (id, uri, entries, used, bits) VALUES (?1, ?2, ?3, 0, ?4)",
                args![next, uri.as_str(), to_i64(LIST_ENTRIES), vec![0u8; bytes]],
            )?;
            OpenList {
                id: next,
                uri,
                entries: to_i64(LIST_ENTRIES),
            }
        }
    };
    let entries = to_u64(entries);
    let mut indices: Vec<u64> = Vec::with_capacity(n);
    // Even with this batch's entries drawn, at most half the list is used, so each draw is
    // free with probability >= 1/2; 128 draws all hitting used entries has probability
    // 2^-128.
    while indices.len() < n {
        let mut found = None;
        for _ in 0..128 {
            let index = crate::random::below(random, entries);
            if indices.contains(&index) {
                continue;
            }
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM credentials WHERE list_id = ?1 AND list_index = ?2)",
                args![list, to_i64(index)],
                |r| r.get(0),
            )?;
            if !taken {
                found = Some(index);
                break;
            }
        }
        indices.push(found.ok_or(ApiError::Internal("no free status list entry"))?);
    }
    Ok(Entries { uri, list, indices })
}

/// Counts `n` entries of list `list` as used (after the credentials holding them are
/// stored): the last write of an issuance, so that the list's row is locked only until the
/// commit.
pub fn count_use(tx: &dyn Tx, list: i64, n: usize) -> Result<(), ApiError> {
    let n = i64::try_from(n).map_err(|_| ApiError::Internal("batch size"))?;
    tx.execute(
        "UPDATE status_lists SET used = used + ?1 WHERE id = ?2",
        args![n, list],
    )?;
    Ok(())
}

/// Sets the entries of every credential revoked at `revoked_at` whose entry is still 0:
/// call after the `UPDATE credentials SET revoked_reason ...` of a revocation. Each list's
/// bits are read `FOR UPDATE`: two replicas revoking in one list at once take turns, and
/// neither overwrites the other's bit.
pub fn flip_revoked(tx: &dyn Tx, revoked_at: u64) -> Result<(), ApiError> {
    // By list, in list order (two replicas lock lists in the same order, so they cannot
    // deadlock), so that a batch's entries, which share a list, are set in one update.
    let entries = tx.query_map(
        "SELECT list_id, list_index FROM credentials
         WHERE revoked_at = ?1 AND list_id IS NOT NULL ORDER BY list_id, list_index",
        args![to_i64(revoked_at)],
        |r| {
            Ok(Revoked {
                list: r.get(0)?,
                index: r.get(1)?,
            })
        },
    )?;
    for this in entries.chunk_by(|a, b| a.list == b.list) {
        let Some(list) = this.first().map(|e| e.list) else {
            continue;
        };
        let bytes: Vec<u8> = tx.query_row(
            "SELECT bits FROM status_lists WHERE id = ?1 FOR UPDATE",
            args![list],
            |r| r.get(0),
        )?;
        let mut bits =
            StatusBits::from_bytes(bytes, 1).map_err(|_| ApiError::Internal("stored list"))?;
        let mut changed = false;
        for e in this {
            if bits.get(to_u64(e.index)) != Some(1) {
                bits.set(to_u64(e.index), 1)
                    .map_err(|_| ApiError::Internal("list entry"))?;
                changed = true;
            }
        }
        if changed {
            tx.execute(
                "UPDATE status_lists SET bits = ?1, token = NULL, token_iat = NULL WHERE id = ?2",
                args![bits.into_bytes(), list],
            )?;
        }
    }
    Ok(())
}

/// A list as stored.
struct StoredList {
    uri: String,
    /// Read only to sign again.
    bits: Option<Vec<u8>>,
    token: Option<Vec<u8>>,
    token_iat: Option<i64>,
}

/// A served list token.
pub struct Served {
    /// The token.
    pub token: Vec<u8>,
    /// Its entity tag: the first 16 bytes of its SHA-256, quoted.
    pub etag: String,
    /// Seconds an HTTP cache may keep it: what remains of its ttl.
    pub max_age: u64,
}

/// The token of list `id`, signed again if it is stale (a revocation since, or half its
/// ttl gone); `None` if there is no such list.
pub fn token(
    tx: &dyn Tx,
    issuer: &Issuer<ArcSigner>,
    id: i64,
    now: u64,
) -> Result<Option<Served>, ApiError> {
    // Served from the stored token without reading the list's bits (128 KiB): they are
    // read, under the row's lock, only to sign again.
    const READ: &str = "SELECT uri, NULL, token, token_iat FROM status_lists WHERE id = ?1";
    const LOCK: &str =
        "SELECT uri, bits, token, token_iat FROM status_lists WHERE id = ?1 FOR UPDATE";
    let read = |sql: &str| {
        tx.query_opt(sql, args![id], |r| {
            Ok(StoredList {
                uri: r.get(0)?,
                bits: r.get(1)?,
                token: r.get(2)?,
                token_iat: r.get(3)?,
            })
        })
    };
    let fresh = |list: &StoredList| {
        list.token_iat
            .map(to_u64)
            .filter(|iat| now < iat.saturating_add(LIST_TTL / 2) && *iat <= now)
    };
    let Some(mut list) = read(READ)? else {
        return Ok(None);
    };
    if list.token.is_none() || fresh(&list).is_none() {
        // Stale: lock the row and look again, so that of two replicas serving it at once
        // one signs and the other serves what it signed (one token for every client).
        list = read(LOCK)?.ok_or(ApiError::Internal("list gone"))?;
    }
    let (token, iat) = match (list.token.take(), fresh(&list)) {
        (Some(token), Some(iat)) => (token, iat),
        _ => {
            let bits = list
                .bits
                .take()
                .and_then(|b| StatusBits::from_bytes(b, 1).ok())
                .ok_or(ApiError::Internal("stored list"))?;
            let token = issuer
                .status_list_token(&StatusListToken {
                    uri: &list.uri,
                    bits: &bits,
                    issued_at: now,
                    expires: now + LIST_LIFETIME,
                    ttl: LIST_TTL,
                })
                .map_err(|_| ApiError::Internal("status list signing"))?;
            tx.execute(
                "UPDATE status_lists SET token = ?1, token_iat = ?2 WHERE id = ?3",
                args![token.as_slice(), to_i64(now), id],
            )?;
            (token, now)
        }
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&token)[..16]));
    Ok(Some(Served {
        max_age: (iat + LIST_TTL).saturating_sub(now),
        token,
        etag,
    }))
}

/// The ids of every list.
pub fn ids(tx: &dyn Tx) -> Result<Vec<i64>, ApiError> {
    Ok(
        tx.query_map("SELECT id FROM status_lists ORDER BY id", args![], |r| {
            r.get(0)
        })?,
    )
}
