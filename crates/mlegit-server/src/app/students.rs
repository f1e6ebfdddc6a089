//! Students and photos: registration (and resubmission), the school's view of a student,
//! the parent's photo upload, and the school's decision on it.

use super::*;

impl App {
    pub(crate) fn register(
        &self,
        req: &ApiRequest,
        existing: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let (claims, portrait) = parse_registration(req)?;
        let claims_json =
            serde_json::to_string(&claims).map_err(|_| ApiError::Internal("json encoding"))?;
        let upload_token = random_token(self.random.as_ref(), "mlup_");
        let upload_hash = Sha256::digest(upload_token.as_bytes()).to_vec();
        let photo_state = if portrait.is_some() {
            PhotoState::Accepted
        } else {
            PhotoState::None
        };
        let now = self.clock.now();
        let (status, student_id, photo_state) = self.transaction(|tx| {
        let school = self.school(tx, req)?;
        let swept = sweep(tx, now)?;
        let out = match existing {
            None => {
                let public_id = random_id(self.random.as_ref());
                tx.execute(
                    "INSERT INTO students (public_id, school_id, registered_at, claims, photo, photo_state, upload_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    args![public_id.as_str(), school, to_i64(now), claims_json.as_str(), portrait.as_deref(), photo_state, upload_hash.as_slice()],
                )?;
                store::audit(tx, now, Some(school), "student_registered", &public_id)?;
                (201, public_id, photo_state)
            }
            Some(public_id) => {
                // With a photo the resubmission replaces it; without one, the student's
                // photo and its state stay as they are (a photo deleted with the data
                // stays deleted).
                let state: Option<PhotoState> = tx
                    .query_opt(
                        "UPDATE students SET registered_at = ?1, claims = ?2, upload_hash = ?3,
                         data_deleted_at = NULL,
                         photo = COALESCE(?4, photo),
                         photo_reason = CASE WHEN ?4 IS NULL THEN photo_reason ELSE NULL END,
                         photo_state = CASE
                             WHEN ?4 IS NOT NULL THEN ?5
                             WHEN photo IS NULL THEN 'none'
                             ELSE photo_state END
                         WHERE public_id = ?6 AND school_id = ?7
                         RETURNING photo_state",
                        args![
                            to_i64(now),
                            claims_json.as_str(),
                            upload_hash.as_slice(),
                            portrait.as_deref(),
                            photo_state,
                            public_id,
                            school
                        ],
                        |r| r.get(0),
                    )?;
                let state = state.ok_or(ApiError::StudentNotFound)?;
                store::audit(tx, now, Some(school), "student_resubmitted", public_id)?;
                (200, public_id.to_owned(), state)
            }
        };
        Ok((out, swept > 0 || existing.is_some()))
        })?;
        ApiResponse::json(
            status,
            &serde_json::json!({
                "student_id": student_id,
                "photo_state": photo_state.as_str(),
                "photo_upload_token": upload_token,
                "data_deleted_by": now + RETENTION,
            }),
        )
    }

    pub(crate) fn show_student(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let now = self.clock.now();
        let (student, activation, rows) = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let student = find_student(tx, school, public_id)?;
            let activation = tx.query_opt(
                "SELECT id, expires_at, state FROM activations WHERE student_id = ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                args![student.id],
                |r| {
                    Ok(LatestActivation {
                        id: r.get(0)?,
                        expires_at: r.get(1)?,
                        state: r.get(2)?,
                    })
                },
            )?;
            let rows: Vec<CredentialRow> = tx.query_map(
                "SELECT c.credential_id, l.uri, c.list_index, c.iat, c.exp, c.revoked_reason
                 FROM credentials c LEFT JOIN status_lists l ON l.id = c.list_id
                 WHERE c.student_id = ?1 ORDER BY c.status_index",
                args![student.id],
                |r| {
                    Ok(CredentialRow {
                        credential_id: r.get(0)?,
                        list_uri: r.get(1)?,
                        list_index: r.get(2)?,
                        iat: r.get(3)?,
                        exp: r.get(4)?,
                        revoked_reason: r.get(5)?,
                    })
                },
            )?;
            Ok(((student, activation, rows), swept > 0))
        })?;
        let mut credentials = Vec::new();
        {
            for row in rows {
                let CredentialRow {
                    credential_id: cid,
                    list_uri,
                    list_index,
                    iat,
                    exp,
                    revoked_reason,
                } = row;
                let reason = revoked_reason.and_then(|c| RevocationReason::from_code(to_u64(c)));
                let status = match reason {
                    Some(_) => "revoked",
                    None if now > to_u64(exp) => "expired",
                    None => "valid",
                };
                credentials.push(serde_json::json!({
                    "credential_id": hex::encode(cid),
                    "status_list": list_uri,
                    "status_idx": list_index,
                    "iat": iat,
                    "exp": exp,
                    "status": status,
                    "reason": reason.map(RevocationReason::as_str),
                }));
            }
        }
        ApiResponse::json(
            200,
            &serde_json::json!({
                "student_id": public_id,
                "registered_at": student.registered_at,
                "data_held": student.claims.is_some(),
                "photo_state": student.photo_state.as_str(),
                "photo_rejection_reason": student.photo_reason,
                "activation": activation.map(|a| {
                    let state = if a.state == ActivationState::Open && now >= to_u64(a.expires_at) { "expired" } else { a.state.as_str() };
                    serde_json::json!({"activation_id": a.id, "expires_at": a.expires_at, "state": state})
                }),
                "credentials": credentials,
            }),
        )
    }

    pub(crate) fn upload_photo(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        // The token first, the photo after: an anonymous upload is refused on a hash
        // lookup and never reaches the image decoder.
        let (token, photo_b64) = parse_upload_fields(req)?;
        let hash = Sha256::digest(token.as_bytes());
        let holder = |conn: &dyn Tx| -> Result<UploadHolder, ApiError> {
            conn.query_opt(
                "SELECT id, school_id, public_id FROM students WHERE upload_hash = ?1 AND claims IS NOT NULL",
                args![hash.as_slice()],
                |r| {
                    Ok(UploadHolder {
                        student: r.get(0)?,
                        school: r.get(1)?,
                        public_id: r.get(2)?,
                    })
                },
            )?
            .ok_or(ApiError::UploadTokenInvalid)
        };
        self.transaction(|tx| {
            let swept = sweep(tx, self.clock.now())?;
            holder(tx)?;
            Ok(((), swept > 0))
        })?;
        // Decoded outside the database lock; the token is looked up again below, in case
        // the data was deleted or resubmitted meanwhile.
        let portrait = photo::portrait(&decode_b64(&photo_b64, "photo")?)?;
        let now = self.clock.now();
        self.transaction(|tx| {
            let h = holder(tx)?;
            tx.execute(
                "UPDATE students SET photo = ?1, photo_state = 'pending', photo_reason = NULL WHERE id = ?2",
                args![portrait.as_slice(), h.student],
            )?;
            store::audit(tx, now, Some(h.school), "photo_submitted", &h.public_id)?;
            Ok(((), false))
        })?;
        ApiResponse::json(202, &serde_json::json!({"photo_state": "pending"}))
    }

    pub(crate) fn decide_photo(
        &self,
        req: &ApiRequest,
        accept: bool,
    ) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let reason = if accept {
            None
        } else {
            Some(parse_reject(req)?)
        };
        let now = self.clock.now();
        self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let student = find_student(tx, school, public_id)?;
            if student.photo_state != PhotoState::Pending {
                return Err(ApiError::NoPendingPhoto);
            }
            if accept {
                tx.execute(
                    "UPDATE students SET photo_state = 'accepted' WHERE id = ?1",
                    args![student.id],
                )?;
            } else {
                tx.execute(
                    "UPDATE students SET photo_state = 'rejected', photo = NULL, photo_reason = ?1 WHERE id = ?2",
                    args![reason.as_deref(), student.id],
                )?;
            }
            let event = if accept {
                "photo_accepted"
            } else {
                "photo_rejected"
            };
            store::audit(tx, now, Some(school), event, public_id)?;
            Ok(((), swept > 0 || !accept))
        })?;
        let state = if accept { "accepted" } else { "rejected" };
        ApiResponse::json(200, &serde_json::json!({"photo_state": state}))
    }
}

/// `POST /v1/students` and `PUT /v1/students/{id}`: the claims, and the photo (if any)
/// decoded and reduced to a portrait.
pub(crate) fn parse_registration(
    req: &ApiRequest,
) -> Result<(StudentClaims, Option<Vec<u8>>), ApiError> {
    let body: RegisterBody = parse_json(req)?;
    let (claims, photo_b64) = validate_registration(body)?;
    let portrait = photo_b64
        .map(|b| photo::portrait(&decode_b64(&b, "photo")?))
        .transpose()?;
    Ok((claims, portrait))
}

/// `POST /v1/photos`: the upload token and the portrait (decoded: for the fuzzer, which
/// runs the whole parsing without a database).
pub(crate) fn parse_upload(req: &ApiRequest) -> Result<(String, Vec<u8>), ApiError> {
    let (token, photo_b64) = parse_upload_fields(req)?;
    let portrait = photo::portrait(&decode_b64(&photo_b64, "photo")?)?;
    Ok((token, portrait))
}

/// `POST /v1/photos`: the upload token and the photo's base64, not yet decoded.
pub(crate) fn parse_upload_fields(req: &ApiRequest) -> Result<(String, String), ApiError> {
    let body: UploadBody = parse_json(req)?;
    let token = body
        .upload_token
        .ok_or(ApiError::MissingField("upload_token"))?;
    let photo_b64 = body.photo.ok_or(ApiError::MissingField("photo"))?;
    Ok((token, photo_b64))
}

/// `POST /v1/students/{id}/photo/reject`: the reason.
pub(crate) fn parse_reject(req: &ApiRequest) -> Result<String, ApiError> {
    let body: RejectBody = parse_json(req)?;
    let reason = body.reason.ok_or(ApiError::MissingField("reason"))?;
    if !mlegit::claims::valid_text(&reason) {
        return Err(ApiError::InvalidField {
            field: "reason",
            code: "invalid_text",
        });
    }
    Ok(reason)
}

/// Checks every field of a registration with a precise error code.
pub(crate) fn validate_registration(
    b: RegisterBody,
) -> Result<(StudentClaims, Option<String>), ApiError> {
    fn date(v: Option<String>, field: &'static str) -> Result<Date, ApiError> {
        let v = v.ok_or(ApiError::MissingField(field))?;
        Date::parse(&v).ok_or(ApiError::InvalidField {
            field,
            code: "invalid_date",
        })
    }
    // The three dates first (absent or not a date); then the core's rules in their order
    // (StudentClaims::check: the dates' order, the PESEL, the text members). An absent
    // member stands as empty text, which those rules refuse at the member's turn: that
    // refusal is answered as the member missing.
    let issue_date = date(b.issue_date, "issue_date")?;
    let expiry_date = date(b.expiry_date, "expiry_date")?;
    let birth_date = date(b.birth_date, "birth_date")?;
    let mut absent = Vec::new();
    let mut member = |v: Option<String>, name: ClaimName| {
        v.unwrap_or_else(|| {
            absent.push(name);
            String::new()
        })
    };
    let claims = StudentClaims {
        family_name: member(b.family_name, ClaimName::FamilyName),
        given_names: member(b.given_names, ClaimName::GivenNames),
        document_number: member(b.document_number, ClaimName::DocumentNumber),
        issue_date,
        expiry_date,
        birth_date,
        pesel: member(b.pesel, ClaimName::Pesel),
        address: member(b.address, ClaimName::Address),
        school_name: member(b.school_name, ClaimName::SchoolName),
        school_address: member(b.school_address, ClaimName::SchoolAddress),
        school_id: member(b.school_id, ClaimName::SchoolId),
        portrait: None,
    };
    claims.check().map_err(|e| {
        let missing = |name: ClaimName| absent.contains(&name);
        match e {
            ClaimsError::DatesReversed => ApiError::InvalidField {
                field: "expiry_date",
                code: "document_dates_reversed",
            },
            ClaimsError::InvalidPesel if missing(ClaimName::Pesel) => {
                ApiError::MissingField("pesel")
            }
            ClaimsError::InvalidPesel => ApiError::InvalidField {
                field: "pesel",
                code: "invalid_pesel",
            },
            ClaimsError::PeselBirthDateMismatch => ApiError::InvalidField {
                field: "pesel",
                code: "pesel_birth_date_mismatch",
            },
            ClaimsError::InvalidText(name) if missing(name) => {
                ApiError::MissingField(name.as_str())
            }
            ClaimsError::InvalidText(name) => ApiError::InvalidField {
                field: name.as_str(),
                code: "invalid_text",
            },
            _ => ApiError::Internal("registration rule"),
        }
    })?;
    Ok((claims, b.photo))
}

/// A student's latest activation, as `GET /v1/students/{id}` shows it.
struct LatestActivation {
    id: String,
    expires_at: i64,
    state: ActivationState,
}

/// One of a student's credentials, as `GET /v1/students/{id}` lists it.
struct CredentialRow {
    credential_id: Vec<u8>,
    /// The status list's URI and the entry (absent for credentials without one).
    list_uri: Option<String>,
    list_index: Option<i64>,
    iat: i64,
    exp: i64,
    /// The revocation reason's code, if revoked.
    revoked_reason: Option<i64>,
}

/// The student a photo-upload token belongs to.
struct UploadHolder {
    student: i64,
    school: i64,
    public_id: String,
}
