//! Activations: the code and QR a school hands out (one student or a class batch), the
//! stateless challenge, and the parsing and checks of an activation request.

use super::*;

impl App {
    /// Creates an activation for one student inside `tx`, voiding the previous one.
    pub(crate) fn new_activation(
        &self,
        tx: &dyn Tx,
        school: i64,
        public_id: &str,
        now: u64,
    ) -> Result<(NewActivation, String), ApiError> {
        let student = find_student(tx, school, public_id)?;
        let claims = student
            .claims
            .as_deref()
            .ok_or(ApiError::StudentDataMissing)?;
        if student.photo_state != PhotoState::Accepted {
            return Err(ApiError::PhotoNotAccepted);
        }
        let claims: StudentClaims =
            serde_json::from_str(claims).map_err(|_| ApiError::Internal("stored claims"))?;
        let validity = if student.credentials_issued == 0 {
            FIRST_ACTIVATION_VALIDITY
        } else {
            LATER_ACTIVATION_VALIDITY
        };
        let activation_id = random_id(self.random.as_ref());
        let code = random_code(self.random.as_ref());
        tx.execute(
            "UPDATE activations SET state = 'void' WHERE student_id = ?1 AND state = 'open'",
            args![student.id],
        )?;
        tx.execute(
            "INSERT INTO activations (id, student_id, code_mac, created_at, expires_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open')",
            args![
                activation_id.as_str(),
                student.id,
                self.code_mac(&activation_id, &code).to_vec(),
                to_i64(now),
                to_i64(now + validity)
            ],
        )?;
        store::audit(tx, now, Some(school), "activation_created", &activation_id)?;
        let qr_payload = format!("{}/v1/activations/{activation_id}", self.public_url());
        let qr_svg = page::qr_svg(&qr_payload).ok_or(ApiError::Internal("qr"))?;
        // Family name first, as on a class register: a name cut short on the card keeps it.
        let name = format!("{} {}", claims.family_name, claims.given_names);
        Ok((
            NewActivation {
                student_id: public_id.to_owned(),
                activation_id,
                code: format_code(&code),
                qr_payload,
                qr_svg,
                expires_at: now + validity,
            },
            name,
        ))
    }

    pub(crate) fn create_activation(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let public_id = param(req, 0)?;
        let now = self.clock.now();
        let activation = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let (activation, _) = self.new_activation(tx, school, public_id, now)?;
            Ok((activation, swept > 0))
        })?;
        ApiResponse::json(201, &activation)
    }

    pub(crate) fn create_batch(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let Batch {
            class_name,
            student_ids: ids,
            lang,
        } = parse_batch(req)?;
        let now = self.clock.now();
        let (activations, cards) = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let swept = sweep(tx, now)?;
            let mut activations = Vec::with_capacity(ids.len());
            let mut cards = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                if ids.get(..i).is_some_and(|before| before.contains(id)) {
                    return Err(ApiError::InBatch(
                        i,
                        Box::new(ApiError::InvalidField {
                            field: "student_ids",
                            code: "duplicate_student",
                        }),
                    ));
                }
                let (a, name) = self
                    .new_activation(tx, school, id, now)
                    .map_err(|e| ApiError::InBatch(i, Box::new(e)))?;
                cards.push(Card {
                    name,
                    student_id: a.student_id.clone(),
                    code: a.code.clone(),
                    qr_payload: a.qr_payload.clone(),
                    expires_at: a.expires_at,
                });
                activations.push(a);
            }
            Ok(((activations, cards), swept > 0))
        })?;
        if req.wants_html {
            return Ok(ApiResponse::bytes(
                201,
                "text/html; charset=utf-8",
                page::class_page(&class_name, &cards, lang).into_bytes(),
            ));
        }
        ApiResponse::json(
            201,
            &serde_json::json!({"class_name": class_name, "activations": activations}),
        )
    }

    pub(crate) fn activation_qr(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let found: Option<i64> = self.transaction(|tx| {
            let school = self.school(tx, req)?;
            let found = tx.query_opt(
                "SELECT 1 FROM activations a JOIN students s ON s.id = a.student_id
                 WHERE a.id = ?1 AND s.school_id = ?2",
                args![id, school],
                |r| r.get(0),
            )?;
            Ok((found, false))
        })?;
        found.ok_or(ApiError::ActivationNotFound)?;
        let payload = format!("{}/v1/activations/{id}", self.public_url());
        let svg = page::qr_svg(&payload).ok_or(ApiError::Internal("qr"))?;
        Ok(ApiResponse::bytes(200, "image/svg+xml", svg.into_bytes()))
    }

    pub(crate) fn code_mac(&self, activation_id: &str, digits: &str) -> [u8; 32] {
        mac(
            &self.secret,
            &[
                b"mlegit-activation-code\0",
                activation_id.as_bytes(),
                b"\0",
                digits.as_bytes(),
            ],
        )
    }

    /// `challenge = nonce (16) || expires_at (8, big-endian) || HMAC(secret, id, nonce, expiry)`:
    /// stateless, bound to the activation, valid for [`CHALLENGE_VALIDITY`] seconds.
    pub(crate) fn challenge(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let id = param(req, 0)?;
        let found: Option<i64> = self.transaction(|tx| {
            let found =
                tx.query_opt("SELECT 1 FROM activations WHERE id = ?1", args![id], |r| {
                    r.get(0)
                })?;
            Ok((found, false))
        })?;
        found.ok_or(ApiError::ActivationNotFound)?;
        let mut nonce = [0u8; 16];
        self.random.fill(&mut nonce);
        let expires_at = self.clock.now() + CHALLENGE_VALIDITY;
        let mut challenge = Vec::with_capacity(56);
        challenge.extend_from_slice(&nonce);
        challenge.extend_from_slice(&expires_at.to_be_bytes());
        challenge.extend_from_slice(&challenge_mac(&self.secret, id, &nonce, expires_at));
        ApiResponse::json(
            200,
            &serde_json::json!({
                "challenge": URL_SAFE_NO_PAD.encode(&challenge),
                "expires_at": expires_at,
            }),
        )
    }
}

pub(crate) fn challenge_mac(
    secret: &[u8; 32],
    id: &str,
    nonce: &[u8],
    expires_at: u64,
) -> [u8; 32] {
    mac(
        secret,
        &[
            b"mlegit-challenge\0",
            id.as_bytes(),
            b"\0",
            nonce,
            &expires_at.to_be_bytes(),
        ],
    )
}

/// Checks a challenge made by `App::challenge` with `secret`: its MAC, then its expiry.
pub(crate) fn check_challenge(
    secret: &[u8; 32],
    id: &str,
    challenge: &[u8],
    now: u64,
) -> Result<(), ApiError> {
    let (Some(nonce), Some(expiry), Some(tag)) = (
        challenge.get(..16),
        challenge
            .get(16..24)
            .and_then(|b| <[u8; 8]>::try_from(b).ok()),
        challenge.get(24..),
    ) else {
        return Err(ApiError::ChallengeInvalid);
    };
    let expires_at = u64::from_be_bytes(expiry);
    let expected = challenge_mac(secret, id, nonce, expires_at);
    if !bool::from(expected.as_slice().ct_eq(tag)) || now > expires_at {
        return Err(ApiError::ChallengeInvalid);
    }
    Ok(())
}

/// `POST /v1/activation-batches`: the class name, the student ids (1 to [`MAX_BATCH`]) and
/// the optional language of the printable page.
pub(crate) fn parse_batch(req: &ApiRequest) -> Result<Batch, ApiError> {
    let body: BatchBody = parse_json(req)?;
    let class_name = body
        .class_name
        .ok_or(ApiError::MissingField("class_name"))?;
    if !mlegit::claims::valid_text(&class_name) {
        return Err(ApiError::InvalidField {
            field: "class_name",
            code: "invalid_text",
        });
    }
    let ids = body
        .student_ids
        .ok_or(ApiError::MissingField("student_ids"))?;
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::InvalidField {
            field: "student_ids",
            code: "invalid_batch_size",
        });
    }
    let lang = match body.lang {
        None => Lang::default(),
        Some(tag) => Lang::from_tag(&tag).ok_or(ApiError::InvalidField {
            field: "lang",
            code: "invalid_lang",
        })?,
    };
    Ok(Batch {
        class_name,
        student_ids: ids,
        lang,
    })
}

/// `POST /v1/activations/{id}/activate`: the device keys (1 to `max_batch`, none twice),
/// the challenge (checked by `check_challenge`), one proof of possession per key (spec
/// §19.3), then the code's digits: [`parse_activate_body`], then [`ActivateRequest::check`]
/// (the handler looks at the activation's state between the two).
pub(crate) fn parse_activate(
    id: &str,
    req: &ApiRequest,
    max_batch: usize,
    check_challenge: impl FnOnce(&[u8]) -> Result<(), ApiError>,
) -> Result<(Vec<PublicKey>, String), ApiError> {
    parse_activate_body(req, max_batch, check_challenge)?.check(id)
}

/// An activation request whose shape, keys and challenge passed, its proofs decoded but
/// not yet checked.
pub(crate) struct ActivateRequest {
    keys: Vec<PublicKey>,
    challenge: Vec<u8>,
    proofs: Vec<Vec<u8>>,
    code: String,
}

impl ActivateRequest {
    /// The proofs (B3 to B5, spec §19.3), then the code's format: the keys and the digits.
    pub(crate) fn check(self, id: &str) -> Result<(Vec<PublicKey>, String), ApiError> {
        verify_proofs(&self.proofs, id, &self.challenge, &self.keys)?;
        let digits = normalise_code(&self.code)?;
        Ok((self.keys, digits))
    }
}

/// The cheap part of [`parse_activate`]: the body's shape, B1, each key and B2, the
/// challenge, and the proofs' base64url; no signature is checked.
pub(crate) fn parse_activate_body(
    req: &ApiRequest,
    max_batch: usize,
    check_challenge: impl FnOnce(&[u8]) -> Result<(), ApiError>,
) -> Result<ActivateRequest, ApiError> {
    let body: ActivateBody = parse_json(req)?;
    let code = body.code.ok_or(ApiError::MissingField("code"))?;
    let challenge_b64 = body.challenge.ok_or(ApiError::MissingField("challenge"))?;
    let keys_b64 = body
        .device_keys
        .ok_or(ApiError::MissingField("device_keys"))?;
    let proofs_b64 = body.proofs.ok_or(ApiError::MissingField("proofs"))?;
    let batch_size = |field| ApiError::InvalidField {
        field,
        code: "invalid_batch_size",
    };
    if keys_b64.is_empty() || keys_b64.len() > max_batch {
        return Err(batch_size("device_keys"));
    }
    if proofs_b64.len() != keys_b64.len() {
        return Err(batch_size("proofs"));
    }
    let mut keys: Vec<PublicKey> = Vec::with_capacity(keys_b64.len());
    for key_b64 in &keys_b64 {
        let sec1 = decode_b64url(key_b64, "device_keys")?;
        let key = (sec1.len() == 65)
            .then(|| PublicKey::from_sec1(&sec1))
            .flatten()
            .ok_or(ApiError::InvalidField {
                field: "device_keys",
                code: "invalid_device_key",
            })?;
        if keys.contains(&key) {
            return Err(ApiError::InvalidField {
                field: "device_keys",
                code: "duplicate_device_key",
            });
        }
        keys.push(key);
    }
    let challenge = decode_b64url(&challenge_b64, "challenge")?;
    check_challenge(&challenge)?;
    let proofs = proofs_b64
        .iter()
        .map(|p| decode_b64url(p, "proofs"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ActivateRequest {
        keys,
        challenge,
        proofs,
        code,
    })
}

/// The proofs of possession (spec §19.3, B1 to B5): one COSE_Sign1 per device key, typ
/// `application/mlegit.activation+cose`, no kid, each over the CBOR map `{1:
/// activation_id, 2: challenge, 3: SHA-256 of the keys' array}`.
pub(crate) fn verify_proofs(
    proofs: &[Vec<u8>],
    activation_id: &str,
    challenge: &[u8],
    keys: &[PublicKey],
) -> Result<(), ApiError> {
    mlegit::activation::verify(proofs, activation_id, challenge, keys, &P256Backend)
        .map_err(|_| ApiError::ProofInvalid)
}

/// Twelve uniformly random digits.
pub(crate) fn random_code(random: &dyn Random) -> String {
    let n = crate::random::below(random, 1_000_000_000_000);
    format!("{n:012}")
}

/// `123456789012` → `1234-5678-9012`.
pub(crate) fn format_code(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Accepts the code with or without dashes and spaces; 12 digits.
pub(crate) fn normalise_code(code: &str) -> Result<String, ApiError> {
    let digits: String = code.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(ApiError::InvalidField {
            field: "code",
            code: "invalid_code_format",
        })
    }
}
