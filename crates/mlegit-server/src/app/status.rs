//! Status: the status lists, the trust list and the authority list a verifier or wallet
//! reads, and a school's revocation.

use super::*;

impl App {
    pub(crate) fn trust_list(&self) -> Result<ApiResponse, ApiError> {
        let list = self.transaction(|tx| Ok((trust_list(tx, self.clock.now())?, false)))?;
        Ok(ApiResponse::bytes(200, "application/cbor", list.to_vec()))
    }

    /// `GET /v1/status-lists/{list}`: the list's token, the same bytes for every client
    /// (spec §9.4), signed again first if it is stale; 304 when `If-None-Match` names it.
    pub(crate) fn status_list(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = parse_list_id(param(req, 0)?)?;
        let now = self.clock.now();
        let served = self.transaction(|tx| {
            let issuer = self.issuer(tx)?;
            let served = lists::token(tx, &issuer, id, now)?.ok_or(ApiError::StatusListNotFound)?;
            Ok((served, false))
        })?;
        let cache = Some(Cache {
            etag: served.etag.clone(),
            max_age: served.max_age,
        });
        if req
            .if_none_match
            .as_deref()
            .is_some_and(|h| if_none_match_matches(h, &served.etag))
        {
            return Ok(ApiResponse {
                status: 304,
                content_type: STATUS_LIST_TYPE,
                body: Vec::new(),
                cache,
            });
        }
        Ok(ApiResponse {
            status: 200,
            content_type: STATUS_LIST_TYPE,
            body: served.token,
            cache,
        })
    }

    pub(crate) fn revoke(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let cid = param(req, 0)?;
        let (reason, cid_bytes) = parse_revoke(cid, req)?;
        let now = self.clock.now();
        self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let row: Option<Option<i64>> = tx.query_opt(
                "SELECT revoked_reason FROM credentials WHERE credential_id = ?1 AND school_id = ?2
                 FOR UPDATE",
                args![cid_bytes.as_slice(), school],
                |r| r.get(0),
            )?;
            match row {
                None => return Err(ApiError::CredentialNotFound),
                Some(Some(_)) => return Err(ApiError::AlreadyRevoked),
                Some(None) => {}
            }
            // The whole batch the credential belongs to (spec §19.4): every credential of
            // its activation, each entry flipped in the one update of their list.
            let revoked = tx.execute(
                "UPDATE credentials SET revoked_reason = ?1, revoked_at = ?2
                 WHERE revoked_reason IS NULL AND activation_id =
                       (SELECT activation_id FROM credentials WHERE credential_id = ?3)",
                args![to_i64(reason.code()), to_i64(now), cid_bytes.as_slice()],
            )?;
            lists::flip_revoked(tx, now)?;
            store::audit(
                tx,
                now,
                Some(school),
                "credentials_revoked",
                &format!("{cid} x{revoked}"),
            )?;
            Ok((revoked, false))
        })
        .map(|revoked| {
            ApiResponse::json(
                200,
                &serde_json::json!({
                    "credential_id": cid,
                    "status": "revoked",
                    "reason": reason.as_str(),
                    "credentials_revoked": revoked,
                }),
            )
        })?
    }
}

/// Whether an `If-None-Match` field value names `etag` (RFC 9110 §13.1.2): `*`, or a
/// comma-separated list of entity tags compared weakly (a `W/` prefix on either side is
/// ignored). Anything that is not an entity tag is skipped.
pub(crate) fn if_none_match_matches(header: &str, etag: &str) -> bool {
    let strip = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_owned()
    };
    let etag = strip(etag);
    header.trim() == "*"
        || header
            .split(',')
            .map(strip)
            .any(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && t == etag)
}

/// A list holds at most `mlegit::MAX_KEYS` (64) keys (spec §10.2): past that, the
/// oldest retired keys are left out, never the active key.
pub(crate) const MAX_LISTED_KEYS: i64 = mlegit::MAX_KEYS as i64;

/// How long a retired key stays listed after the last `exp` of the credentials it signed:
/// a day, so that a verifier whose clock runs behind the server's, within any clock skew
/// it allows (spec §12.2), still finds the key of a credential it would accept.
pub(crate) const RETIRED_KEY_MARGIN: u64 = super::DAY;

/// The trust list at `now`: the active key, and each retired key while a credential it
/// signed has not expired, and for [`RETIRED_KEY_MARGIN`] after (spec §10.3); the 63 most
/// recently created of those at most.
pub(crate) fn trust_list(tx: &dyn Tx, now: u64) -> Result<TrustList, StoreError> {
    key_list(
        tx,
        "SELECT kid, public_key, not_before, retired_at FROM (
             SELECT kid, public_key, not_before, retired_at, created_at FROM issuer_keys k
             WHERE retired_at IS NULL
                OR EXISTS (SELECT 1 FROM credentials c WHERE c.kid = k.kid AND c.exp >= ?1)
             ORDER BY retired_at IS NOT NULL, created_at DESC LIMIT ?2) AS listed
         ORDER BY created_at",
        args![
            to_i64(now.saturating_sub(RETIRED_KEY_MARGIN)),
            MAX_LISTED_KEYS
        ],
        "issuer key left out of the trust list",
    )
}

/// The authority list (spec §10.4): the active authority key and the 63 most recently
/// created retired ones, each trusted for the certificates it signed from its creation
/// until its retirement.
pub(crate) fn authority_list(tx: &dyn Tx) -> Result<TrustList, StoreError> {
    key_list(
        tx,
        "SELECT kid, public_key, created_at, retired_at FROM (
             SELECT kid, public_key, created_at, retired_at FROM authority_keys
             ORDER BY retired_at IS NOT NULL, created_at DESC LIMIT ?1) AS listed
         ORDER BY created_at",
        args![MAX_LISTED_KEYS],
        "authority key left out of the authority list",
    )
}

/// The COSE_KeySet of the rows `(kid, SEC1 key, not_before, retired_at)` of `sql`; a
/// retired_at of NULL is a key trusted with no end.
pub(crate) fn key_list(
    tx: &dyn Tx,
    sql: &str,
    params: &[store::Value],
    full: &'static str,
) -> Result<TrustList, StoreError> {
    /// A key as a list reads it.
    struct KeyRow {
        kid: Vec<u8>,
        public: Vec<u8>,
        not_before: i64,
        retired: Option<i64>,
    }
    let rows = tx.query_map(sql, params, |r| {
        Ok(KeyRow {
            kid: r.get(0)?,
            public: r.get(1)?,
            not_before: r.get(2)?,
            retired: r.get(3)?,
        })
    })?;
    let mut list = TrustList::new();
    for KeyRow {
        kid,
        public,
        not_before,
        retired,
    } in rows
    {
        if let Some(key) = PublicKey::from_sec1(&public) {
            let added = list.add(TrustedKey {
                kid,
                key,
                not_before: to_u64(not_before),
                // The active key covers every future iat.
                not_after: retired.map_or(u64::MAX, to_u64),
            });
            if let Err(e) = added {
                // Only a full list (64 keys still in use) gets here.
                tracing::error!(reason = %e, "{full}");
            }
        }
    }
    Ok(list)
}

/// `GET /v1/status-lists/{list}`: a list number, 1 and up, in decimal digits only.
pub(crate) fn parse_list_id(list: &str) -> Result<i64, ApiError> {
    if list.is_empty() || list.len() > 18 || !list.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::StatusListNotFound);
    }
    list.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::StatusListNotFound)
}

/// `POST /v1/credentials/{id}/revoke`: the reason, then the credential id's bytes.
pub(crate) fn parse_revoke(
    cid: &str,
    req: &ApiRequest,
) -> Result<(RevocationReason, Vec<u8>), ApiError> {
    let body: RevokeBody = parse_json(req)?;
    let reason = body.reason.ok_or(ApiError::MissingField("reason"))?;
    let reason = match RevocationReason::from_name(&reason) {
        Some(
            r @ (RevocationReason::HolderRequest
            | RevocationReason::PaperIdExpired
            | RevocationReason::SchoolChange),
        ) => r,
        _ => {
            return Err(ApiError::InvalidField {
                field: "reason",
                code: "invalid_reason",
            });
        }
    };
    let cid_bytes = hex::decode(cid).map_err(|_| ApiError::CredentialNotFound)?;
    Ok((reason, cid_bytes))
}
