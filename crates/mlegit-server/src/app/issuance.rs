//! Issuance: an activation request checked against its code, then a batch of credentials
//! issued (spec §19), one bound to each device key, all in one transaction.

use super::*;

impl App {
    /// Activation (phone, no account): checks the proofs of possession, then the code,
    /// then issues one credential per device key (a batch, spec §19), all in one
    /// transaction.
    pub(crate) fn activate(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let now = self.clock.now();
        let request = parse_activate_body(req, self.max_credentials, |challenge| {
            check_challenge(&self.secret, id, challenge, now)
        })?;
        // Before any signature is checked: an activation that cannot issue any more (used,
        // superseded, locked, expired or unknown) is refused on one read, so that a batch
        // replayed or made up for it costs no 64 signature checks (spec §19.3). Read again
        // under its row lock below.
        self.transaction(|tx| {
            let row = tx.query_opt(
                "SELECT state, expires_at FROM activations WHERE id = ?1",
                args![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (state, expires_at): (ActivationState, i64) =
                row.ok_or(ApiError::ActivationNotFound)?;
            open_activation(state, expires_at, now)?;
            Ok(((), false))
        })?;
        let (device_keys, digits) = request.check(id)?;
        let mac = self.code_mac(id, &digits);

        let issued = self.transaction(|tx| {
        let swept = sweep(tx, now)?;
        let row = tx.query_opt(
            "SELECT a.student_id, a.expires_at, a.failures, a.state, a.code_mac, s.school_id,
                    s.claims, s.photo, s.photo_state, s.public_id
             FROM activations a JOIN students s ON s.id = a.student_id WHERE a.id = ?1
             FOR UPDATE",
            args![id],
            |r| {
                Ok(ActivationRow {
                    student: r.get(0)?,
                    expires_at: r.get(1)?,
                    failures: r.get(2)?,
                    state: r.get(3)?,
                    code_mac: r.get(4)?,
                    school: r.get(5)?,
                    claims: r.get(6)?,
                    photo: r.get(7)?,
                    photo_state: r.get(8)?,
                    public_id: r.get(9)?,
                })
            },
        )?;
        let ActivationRow {
            student,
            expires_at,
            failures,
            state,
            code_mac: stored_mac,
            school,
            claims,
            photo,
            photo_state,
            public_id,
        } = row.ok_or(ApiError::ActivationNotFound)?;
        open_activation(state, expires_at, now)?;
        if !bool::from(mac.as_slice().ct_eq(&stored_mac)) {
            let failures = failures.saturating_add(1);
            let locked = failures >= MAX_CODE_FAILURES;
            tx.execute(
                "UPDATE activations SET failures = ?1, state = ?2 WHERE id = ?3",
                args![
                    failures,
                    if locked {
                        ActivationState::Locked
                    } else {
                        ActivationState::Open
                    },
                    id
                ],
            )?;
            let event = if locked {
                "activation_locked"
            } else {
                "activation_wrong_code"
            };
            store::audit(tx, now, Some(school), event, id)?;
            // Counted and committed, then refused.
            let refusal = if locked {
                ApiError::ActivationLocked
            } else {
                ApiError::CodeInvalid {
                    attempts_left: MAX_CODE_FAILURES - failures,
                }
            };
            return Ok((Err(refusal), swept > 0));
        }
        let claims = claims.ok_or(ApiError::StudentDataMissing)?;
        if photo_state != PhotoState::Accepted {
            return Err(ApiError::PhotoNotAccepted);
        }
        // The registration as stored (the core's serde form: eleven members, dates as
        // YYYY-MM-DD), with the accepted photo as its portrait.
        let mut student_claims: StudentClaims =
            serde_json::from_str(&claims).map_err(|_| ApiError::Internal("stored claims"))?;
        student_claims.portrait = photo;
        // The credentials live until the paper ID's expiry date ends, at most a year, in
        // whole UTC days from today's midnight (spec §5.6 rule 8): every credential of the
        // batch, and of every student issued today with that expiry date, has the same
        // iat, nbf and exp.
        let paper_end = u64::try_from(student_claims.expiry_date.days_since_epoch())
            .map_err(|_| ApiError::PaperIdExpired)?
            * DAY
            + DAY
            - 1;
        let today = now - now % DAY;
        let validity = mlegit::Validity::rounded(
            now,
            paper_end.min(today + MAX_CREDENTIAL_VALIDITY - 1),
        )
        .ok_or(ApiError::PaperIdExpired)?;
        let exp = validity.expires;
        let lists::Entries {
            uri: list_uri,
            list,
            indices: entries,
        } = lists::allocate(tx, self.public_url(), self.random.as_ref(), device_keys.len())?;
        let issuer = self.issuer(tx)?;
        // One credential per key: its own credential id, salt secret, decoys, status
        // entry and signature.
        let mut batch = Vec::with_capacity(device_keys.len());
        for (device_key, entry) in device_keys.iter().zip(&entries) {
            let issued = issuer
                .credential()
                .claims(student_claims.clone())
                .device_key(device_key.clone())
                .validity(validity)
                .status(StatusReference {
                    uri: list_uri.clone(),
                    index: *entry,
                })
                .issue(&mut crate::random::AsRng(self.random.as_ref()))
                .map_err(|e| match e {
                    mlegit::IssueError::Signer => ApiError::Internal("signer"),
                    _ => ApiError::InvalidField {
                        field: "claims",
                        code: "student_data_invalid",
                    },
                })?;
            batch.push(issued);
        }
        // One device only: every earlier credential of the student is superseded.
        tx.execute(
            "UPDATE credentials SET revoked_reason = ?1, revoked_at = ?2
             WHERE student_id = ?3 AND revoked_reason IS NULL",
            args![
                to_i64(RevocationReason::Superseded.code()),
                to_i64(now),
                student
            ],
        )?;
        lists::flip_revoked(tx, now)?;
        for (position, ((issued, device_key), entry)) in
            batch.iter().zip(&device_keys).zip(&entries).enumerate()
        {
            tx.execute(
                "INSERT INTO credentials (credential_id, school_id, student_id, activation_id,
                                          batch_index, kid, iat, exp, device_thumbprint,
                                          list_id, list_index)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                args![
                    issued.credential_id.as_slice(),
                    school,
                    student,
                    id,
                    to_i64(position as u64),
                    issuer.key_id(),
                    to_i64(validity.issued_at),
                    to_i64(exp),
                    Sha256::digest(device_key.to_sec1_uncompressed()).to_vec(),
                    list,
                    to_i64(*entry)
                ],
            )?;
        }
        tx.execute("UPDATE activations SET state = 'used' WHERE id = ?1", args![id])?;
        // Retention: the personal data and photo go once the credential is issued.
        tx.execute(
            "UPDATE students SET claims = NULL, photo = NULL, photo_state = 'none', photo_reason = NULL,
                    upload_hash = NULL, data_deleted_at = ?1, credentials_issued = credentials_issued + 1
             WHERE id = ?2",
            args![to_i64(now), student],
        )?;
        // One audit line for the batch, naming its first credential (the school's handle
        // for revoking the batch) and how many there are.
        let first = batch.first().ok_or(ApiError::Internal("empty batch"))?;
        store::audit(
            tx,
            now,
            Some(school),
            "credentials_issued",
            &format!("{} x{}", hex::encode(&first.credential_id), batch.len()),
        )?;
        store::audit(tx, now, Some(school), "data_deleted", &public_id)?;
        lists::count_use(tx, list, entries.len())?;
        Ok((Ok(batch), true))
        })??;

        let size: usize = issued
            .iter()
            .map(|c| {
                c.credential.len()
                    + c.disclosures
                        .iter()
                        .map(|d| d.as_bytes().len() + 3)
                        .sum::<usize>()
                    + 32
            })
            .sum();
        let mut e = Encoder::with_capacity(size + 16);
        e.map(1).text("credentials").array(issued.len());
        for c in &issued {
            e.map(2).text("credential").bytes(&c.credential);
            e.text("disclosures").array(c.disclosures.len());
            for d in &c.disclosures {
                e.bytes(d.as_bytes());
            }
        }
        Ok(ApiResponse::bytes(201, "application/cbor", e.into_bytes()))
    }
}

/// Whether an activation in `state`, valid until `expires_at`, can still issue at `now`.
fn open_activation(state: ActivationState, expires_at: i64, now: u64) -> Result<(), ApiError> {
    match state {
        ActivationState::Open => {}
        ActivationState::Used => return Err(ApiError::ActivationUsed),
        ActivationState::Void => return Err(ApiError::ActivationSuperseded),
        ActivationState::Locked => return Err(ApiError::ActivationLocked),
    }
    if now >= to_u64(expires_at) {
        return Err(ApiError::ActivationExpired);
    }
    Ok(())
}
