//! Every flow end to end over real HTTP, the core's verifier checking what the server issued.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use mlegit::{
    ClaimName, ClaimValue, CredentialInfo, ListStatus, RevocationReason, Signer as _,
    StatusListContext, VerifyContext, Wallet,
};
use mlegit_client::{Client, ClientError, decode_activated};
use serde_json::json;

/// `POST /v1/credentials/{cid}/revoke` with `reason`, as `client` (a school's).
fn revoke(client: &Client, cid: &str, reason: &str) -> mlegit_client::HttpResponse {
    client
        .post_json(
            &format!("/v1/credentials/{cid}/revoke"),
            &json!({ "reason": reason }),
        )
        .unwrap()
}

/// The credential's entry in its status list, fetched whole and verified now.
fn status_of(h: &Harness, info: &CredentialInfo) -> ListStatus {
    list_status(&h.anon(), &h.verifier(), info, h.clock_now())
}

trait Now {
    fn clock_now(&self) -> u64;
}
impl Now for Harness {
    fn clock_now(&self) -> u64 {
        mlegit_server::Clock::now(self.clock.as_ref())
    }
}

fn full_flow_register_activate_present_status_revoke(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("XIV LO");
    let student = register(&school);
    let (_, code, qr, created) = activation(&school, &student);
    assert_eq!(created["expires_at"].as_u64(), Some(T0 + 30 * 86_400));
    assert!(created["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    assert_eq!(code.len(), 14); // 12 digits in groups of four

    let dev = device(0x22);
    let activated = connector()
        .activate_from_qr(&qr, &code, &[&dev])
        .unwrap()
        .remove(0);
    assert!(activated.disclosures.len() >= 15);
    let info = CredentialInfo::decode_unverified(&activated.credential).unwrap();
    assert_eq!(info.device_key, dev.public_key());
    assert_eq!(
        info.iat,
        T0 - T0 % 86_400,
        "iat: the UTC midnight before (spec §5.6 rule 8)"
    );
    // The list is named by an https URI even though this test server answers on http.
    assert!(
        info.status.uri.starts_with("https://"),
        "{}",
        info.status.uri
    );
    assert_eq!(list_number(&info.status.uri), 1);

    // The holder presents; the core's verifier checks the server's credential.
    let wallet = Wallet::new(
        activated.credential.clone(),
        activated.disclosures.clone(),
        dev,
    )
    .unwrap();
    let presentation = wallet
        .present(
            &[
                ClaimName::FamilyName,
                ClaimName::AgeOver18,
                ClaimName::Portrait,
            ],
            None,
            T0 + 5,
        )
        .unwrap();
    let verified = h
        .verifier()
        .verify(&presentation, &VerifyContext::offline(T0 + 6))
        .unwrap();
    assert_eq!(
        verified.claim(ClaimName::FamilyName),
        Some(&ClaimValue::Text("Kowalska".into()))
    );
    assert_eq!(
        verified.claim(ClaimName::AgeOver18),
        Some(&ClaimValue::Bool(true))
    );
    let portrait = verified
        .claim(ClaimName::Portrait)
        .unwrap()
        .as_bytes()
        .unwrap();
    assert!(portrait.len() <= 16_384 && portrait.starts_with(&[0xff, 0xd8, 0xff]));

    // Online check, nonce echoed.
    assert_eq!(status_of(&h, &info), ListStatus::Valid);

    // Retention: personal data and photo are gone once issued.
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["data_held"], json!(false));
    assert_eq!(shown["credentials"][0]["status"], json!("valid"));
    let (claims, photo): (Option<String>, Option<Vec<u8>>) = h
        .db()
        .query_row("SELECT claims, photo FROM students", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(claims.is_none() && photo.is_none());

    // Revoke at the holder's request.
    let cid = hex::encode(&info.credential_id);
    let r = revoke(&school, &cid, "holder_request");
    assert_eq!(r.status, 200);
    assert_eq!(status_of(&h, &info), ListStatus::Invalid);
    let again = revoke(&school, &cid, "school_change");
    assert_problem(&again, 409, "already_revoked");
}

fn revocation_reasons_and_expiry(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    for (seed, reason, expected) in [
        (1u8, "paper_id_expired", RevocationReason::PaperIdExpired),
        (2, "school_change", RevocationReason::SchoolChange),
    ] {
        let student = register(&school);
        let (id, code, _, _) = activation(&school, &student);
        let a = http_client(&h.url)
            .activate(&id, &code, &[&device(seed)])
            .unwrap()
            .remove(0);
        let info = CredentialInfo::decode_unverified(&a.credential).unwrap();
        let cid = hex::encode(&info.credential_id);
        let r = revoke(&school, &cid, reason);
        assert_eq!(r.status, 200);
        // The list says invalid, nothing more; the school's own API keeps the reason.
        assert_eq!(status_of(&h, &info), ListStatus::Invalid);
        let shown = school
            .get(&format!("/v1/students/{student}"))
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(shown["credentials"][0]["reason"], json!(expected.as_str()));
    }
    let bad = school
        .post_json(
            "/v1/credentials/00/revoke",
            &json!({"reason": "superseded"}),
        )
        .unwrap();
    assert_problem(&bad, 422, "invalid_reason");

    // A credential past exp: its entry stays 0 (expiry is the credential's own exp, which
    // every verifier checks at P10d), and the list fetched then is signed anew, fresh.
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let a = h
        .anon()
        .activate(&id, &code, &[&device(3)])
        .unwrap()
        .remove(0);
    let info = CredentialInfo::decode_unverified(&a.credential).unwrap();
    // Capped at a year from today's midnight (in whole days), before the paper ID's end.
    assert_eq!(info.exp, T0 - T0 % 86_400 + 365 * 86_400 - 1);
    h.clock.set(info.exp + 1);
    assert_eq!(status_of(&h, &info), ListStatus::Valid);
}

fn registration_rejects_bad_input_with_clear_codes(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let cases: Vec<(&str, serde_json::Value, u16, &str)> = vec![
        ("pesel", json!("08231412343"), 422, "invalid_pesel"),
        ("pesel", json!("0823141234"), 422, "invalid_pesel"),
        (
            "pesel",
            json!("02070803628"),
            422,
            "pesel_birth_date_mismatch",
        ),
        ("birth_date", json!("2008-02-30"), 422, "invalid_date"),
        ("issue_date", json!("01.09.2026"), 422, "invalid_date"),
        (
            "expiry_date",
            json!("2025-01-01"),
            422,
            "document_dates_reversed",
        ),
        ("family_name", json!(""), 422, "invalid_text"),
        ("family_name", json!("Kowal\nska"), 422, "invalid_text"),
        ("address", json!("x".repeat(257)), 422, "invalid_text"),
        ("photo", json!("%%%not base64"), 422, "invalid_base64"),
        (
            "photo",
            json!(STANDARD.encode(b"GIF89a not accepted")),
            422,
            "photo_invalid",
        ),
        (
            "photo",
            json!(STANDARD.encode(&png(200, 200)[..90])),
            422,
            "photo_invalid",
        ),
        (
            "photo",
            json!(STANDARD.encode(vec![0xffu8; 5 * 1024 * 1024 + 1])),
            413,
            "photo_too_large",
        ),
        ("family_name", json!(42), 400, "invalid_json"),
        ("unknown", json!("x"), 400, "invalid_json"),
    ];
    for (field, value, status, code) in cases {
        let mut body = claims();
        body[field] = value;
        let r = school.post_json("/v1/students", &body).unwrap();
        assert_problem(&r, status, code);
        if status == 422 && code != "photo_invalid" {
            assert_eq!(r.json().unwrap()["field"], json!(field), "{code}");
        }
    }
    let mut missing = claims();
    missing.as_object_mut().unwrap().remove("pesel");
    let r = school.post_json("/v1/students", &missing).unwrap();
    assert_problem(&r, 422, "missing_field");
    assert_eq!(r.json().unwrap()["field"], json!("pesel"));

    let r = school
        .request(
            "POST",
            "/v1/students",
            Some("application/json"),
            b"{not json",
            &[],
        )
        .unwrap();
    assert_problem(&r, 400, "invalid_json");
    let r = school
        .request("POST", "/v1/students", Some("text/plain"), b"{}", &[])
        .unwrap();
    assert_problem(&r, 415, "unsupported_media_type");
    let big = vec![b' '; 8 * 1024 * 1024];
    let r = school
        .request("POST", "/v1/students", Some("application/json"), &big, &[])
        .unwrap();
    assert_problem(&r, 413, "body_too_large");
    let r = school
        .request("POST", "/v1/trust-list", None, b"", &[])
        .unwrap();
    assert_problem(&r, 405, "method_not_allowed");
    let r = school.get("/v1/nothing/here").unwrap();
    assert_problem(&r, 404, "not_found");
    let r = h.anon().post_json("/v1/students", &claims()).unwrap();
    assert_problem(&r, 401, "unauthorized");
    let r = http_client(&h.url)
        .with_token("mlsk_forged")
        .post_json("/v1/students", &claims())
        .unwrap();
    assert_problem(&r, 401, "unauthorized");
    // Nothing was stored by any of these.
    let n: i64 = h
        .db()
        .query_row("SELECT COUNT(*) FROM students", |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

fn parent_photo_waits_for_the_school(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let r = school.post_json("/v1/students", &claims()).unwrap();
    assert_eq!(r.status, 201);
    let v = r.json().unwrap();
    let student = v["student_id"].as_str().unwrap().to_owned();
    let upload = v["photo_upload_token"].as_str().unwrap().to_owned();
    assert_eq!(v["photo_state"], json!("none"));
    let act = format!("/v1/students/{student}/activations");
    assert_problem(
        &school.post_json(&act, &json!({})).unwrap(),
        409,
        "photo_not_accepted",
    );

    let parent = h.anon();
    let bad = parent
        .post_json(
            "/v1/photos",
            &json!({"upload_token": "mlup_nope", "photo": photo_b64()}),
        )
        .unwrap();
    assert_problem(&bad, 404, "upload_token_invalid");
    let r = parent
        .post_json(
            "/v1/photos",
            &json!({"upload_token": upload, "photo": photo_b64()}),
        )
        .unwrap();
    assert_eq!(r.status, 202);
    assert_problem(
        &school.post_json(&act, &json!({})).unwrap(),
        409,
        "photo_not_accepted",
    );

    let reject = format!("/v1/students/{student}/photo/reject");
    let r = school
        .post_json(&reject, &json!({"reason": "Face not visible"}))
        .unwrap();
    assert_eq!(r.status, 200);
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["photo_state"], json!("rejected"));
    assert_eq!(shown["photo_rejection_reason"], json!("Face not visible"));
    assert_problem(
        &school
            .post_json(&reject, &json!({"reason": "again"}))
            .unwrap(),
        409,
        "no_pending_photo",
    );

    parent
        .post_json(
            "/v1/photos",
            &json!({"upload_token": upload, "photo": photo_b64()}),
        )
        .unwrap();
    let r = school
        .post_json(&format!("/v1/students/{student}/photo/accept"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 200);
    let (id, code, _, _) = activation(&school, &student);
    h.anon().activate(&id, &code, &[&device(9)]).unwrap();
}

fn five_wrong_codes_lock_the_activation(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let phone = h.anon();
    let dev = device(5);
    let wrong = if code.starts_with('0') {
        "1111-1111-1111"
    } else {
        "0000-0000-0000"
    };
    for left in (1..5).rev() {
        let ch = phone.challenge(&id).unwrap();
        let body = Client::activation_body(&id, wrong, &ch, &[&dev]).unwrap();
        let r = phone
            .post_json(&format!("/v1/activations/{id}/activate"), &body)
            .unwrap();
        assert_problem(&r, 403, "activation_code_invalid");
        assert_eq!(r.json().unwrap()["attempts_left"], json!(left));
    }
    let ch = phone.challenge(&id).unwrap();
    let body = Client::activation_body(&id, wrong, &ch, &[&dev]).unwrap();
    let r = phone
        .post_json(&format!("/v1/activations/{id}/activate"), &body)
        .unwrap();
    assert_problem(&r, 423, "activation_locked");
    // Even the right code no longer works.
    let ch = phone.challenge(&id).unwrap();
    let body = Client::activation_body(&id, &code, &ch, &[&dev]).unwrap();
    let r = phone
        .post_json(&format!("/v1/activations/{id}/activate"), &body)
        .unwrap();
    assert_problem(&r, 423, "activation_locked");
    // A malformed code is refused without counting.
    let (id2, _, _, _) = activation(&school, &student);
    let ch = phone.challenge(&id2).unwrap();
    let body = Client::activation_body(&id2, "12ab", &ch, &[&dev]).unwrap();
    let r = phone
        .post_json(&format!("/v1/activations/{id2}/activate"), &body)
        .unwrap();
    assert_problem(&r, 422, "invalid_code_format");
}

fn bad_proofs_and_challenges_are_refused(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let phone = h.anon();
    let path = format!("/v1/activations/{id}/activate");
    let ch = phone.challenge(&id).unwrap();
    // Signed by another key than the one sent.
    let mut body = Client::activation_body(&id, &code, &ch, &[&device(1)]).unwrap();
    body["device_keys"] =
        json!(Client::activation_body(&id, &code, &ch, &[&device(2)]).unwrap()["device_keys"]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        403,
        "proof_invalid",
    );
    // Proofs of a batch of two, sent for one of its keys only: the digest names both.
    let two = Client::activation_body(&id, &code, &ch, &[&device(1), &device(2)]).unwrap();
    let body = json!({
        "code": code,
        "challenge": two["challenge"],
        "device_keys": [two["device_keys"][0]],
        "proofs": [two["proofs"][0]],
    });
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        403,
        "proof_invalid",
    );
    // The batch's shape: one proof per key, no key twice, at most the server's limit.
    let mut body = two.clone();
    body["proofs"] = json!([two["proofs"][0]]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "invalid_batch_size",
    );
    let mut body = two.clone();
    body["device_keys"] = json!([two["device_keys"][0], two["device_keys"][0]]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "duplicate_device_key",
    );
    let many: Vec<mlegit::P256Signer> = (1..=33).map(device).collect();
    let many: Vec<&dyn mlegit::Signer> = many.iter().map(|d| d as &dyn mlegit::Signer).collect();
    let body = Client::activation_body(&id, &code, &ch, &many).unwrap();
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "invalid_batch_size",
    );
    let mut body = two.clone();
    body["device_keys"] = json!([]);
    body["proofs"] = json!([]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "invalid_batch_size",
    );
    // A challenge for another activation.
    let (other, _, _, _) = activation(&school, &register(&school));
    let ch_other = phone.challenge(&other).unwrap();
    let body = Client::activation_body(&id, &code, &ch_other, &[&device(1)]).unwrap();
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        403,
        "challenge_invalid",
    );
    // An expired challenge.
    let body = Client::activation_body(&id, &code, &ch, &[&device(1)]).unwrap();
    h.clock.advance(301);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        403,
        "challenge_invalid",
    );
    // Garbage fields.
    let mut body =
        Client::activation_body(&id, &code, &phone.challenge(&id).unwrap(), &[&device(1)]).unwrap();
    body["device_keys"] = json!(["AAAA"]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "invalid_device_key",
    );
    body["device_keys"] = json!(["***"]);
    assert_problem(
        &phone.post_json(&path, &body).unwrap(),
        422,
        "invalid_base64",
    );
    let r = phone.post_json(&path, &json!({"code": code})).unwrap();
    assert_problem(&r, 422, "missing_field");
    let r = phone
        .post_json("/v1/activations/ffff/challenge", &json!({}))
        .unwrap();
    assert_problem(&r, 404, "activation_not_found");
    // None of this consumed the activation or counted as a wrong code.
    h.anon().activate(&id, &code, &[&device(1)]).unwrap();
}

fn expired_activation_is_refused(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    h.clock.advance(30 * 86_400);
    let err = h.anon().activate(&id, &code, &[&device(4)]).unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 410, ref code } if code == "activation_expired"),
        "{err}"
    );
}

fn a_used_code_cannot_be_reused(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    h.anon().activate(&id, &code, &[&device(4)]).unwrap();
    let err = h.anon().activate(&id, &code, &[&device(4)]).unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 410, ref code } if code == "activation_used"),
        "{err}"
    );
    // Spec §19.3: once used, a batch of 32 is refused before any of its proofs is checked
    // (a replay costs no signature checks): even one whose proofs are all wrong answers
    // activation_used, where an open activation answers proof_invalid.
    let phone = h.anon();
    let ch = phone.challenge(&id).unwrap();
    let many: Vec<mlegit::P256Signer> = (1..=32).map(device).collect();
    let many: Vec<&dyn mlegit::Signer> = many.iter().map(|d| d as &dyn mlegit::Signer).collect();
    let mut body = Client::activation_body(&id, &code, &ch, &many).unwrap();
    body["proofs"][0] = body["proofs"][1].clone();
    let path = format!("/v1/activations/{id}/activate");
    let r = phone.post_json(&path, &body).unwrap();
    assert_problem(&r, 410, "activation_used");
    let (open, open_code, _, _) = activation(&school, &register(&school));
    let ch = phone.challenge(&open).unwrap();
    let mut body = Client::activation_body(&open, &open_code, &ch, &many[..2]).unwrap();
    body["proofs"][0] = body["proofs"][1].clone();
    let r = phone
        .post_json(&format!("/v1/activations/{open}/activate"), &body)
        .unwrap();
    assert_problem(&r, 403, "proof_invalid");
}

fn a_new_activation_voids_the_previous_one(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id1, code1, _, _) = activation(&school, &student);
    let (id2, code2, _, _) = activation(&school, &student);
    let err = h.anon().activate(&id1, &code1, &[&device(4)]).unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 410, ref code } if code == "activation_superseded"),
        "{err}"
    );
    h.anon().activate(&id2, &code2, &[&device(4)]).unwrap();
}

fn a_second_device_supersedes_the_first(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let first = h
        .anon()
        .activate(&id, &code, &[&device(1)])
        .unwrap()
        .remove(0);
    let first = CredentialInfo::decode_unverified(&first.credential).unwrap();

    // The data was deleted at issuance: a new activation needs it again.
    let act = format!("/v1/students/{student}/activations");
    assert_problem(
        &school.post_json(&act, &json!({})).unwrap(),
        409,
        "student_data_missing",
    );
    h.clock.advance(86_400);
    let r = school
        .send_json(
            "PUT",
            &format!("/v1/students/{student}"),
            &claims_with_photo(),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    let (id2, code2, _, v) = activation(&school, &student);
    assert_eq!(v["expires_at"].as_u64(), Some(T0 + 86_400 + 7 * 86_400)); // a later activation: 7 days
    let second = h
        .anon()
        .activate(&id2, &code2, &[&device(2)])
        .unwrap()
        .remove(0);
    let second = CredentialInfo::decode_unverified(&second.credential).unwrap();
    assert_eq!(second.device_key, device(2).public_key());

    assert_eq!(status_of(&h, &first), ListStatus::Invalid);
    assert_eq!(status_of(&h, &second), ListStatus::Valid);
}

/// The bits of the status list that `info` names, as a verifier reads them now.
fn list_bits(h: &Harness, info: &CredentialInfo) -> Vec<u8> {
    let token = h.anon().status_list(list_number(&info.status.uri)).unwrap();
    h.verifier()
        .verify_status_list(
            &token,
            &StatusListContext::new(h.clock_now(), &info.status.uri),
        )
        .unwrap()
        .entries()
        .as_bytes()
        .to_vec()
}

/// The indices where two lists' bits differ.
fn flipped(before: &[u8], after: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    for (i, (a, b)) in before.iter().zip(after).enumerate() {
        for bit in 0..8 {
            if (a ^ b) >> bit & 1 == 1 {
                out.push(i as u64 * 8 + bit);
            }
        }
    }
    out
}

fn a_batch_is_revoked_and_superseded_as_one(backend: Backend) {
    // Spec §19.4: revoking any credential of a batch revokes all of it in one update of
    // its one list; a new activation supersedes the whole earlier batch the same way.
    let h = Harness::on(backend);
    let school = h.school("LO");
    let bystander = register(&school);
    let (id, code, _, _) = activation(&school, &bystander);
    let others: Vec<CredentialInfo> = h
        .anon()
        .activate(&id, &code, &[&device(9), &device(10)])
        .unwrap()
        .iter()
        .map(|a| CredentialInfo::decode_unverified(&a.credential).unwrap())
        .collect();
    let other = &others[0];

    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let devices: Vec<mlegit::P256Signer> = (1..=5).map(device).collect();
    let signers: Vec<&dyn mlegit::Signer> =
        devices.iter().map(|d| d as &dyn mlegit::Signer).collect();
    let batch: Vec<CredentialInfo> = h
        .anon()
        .activate(&id, &code, &signers)
        .unwrap()
        .iter()
        .map(|a| CredentialInfo::decode_unverified(&a.credential).unwrap())
        .collect();
    assert_eq!(batch.len(), 5);
    let mut entries: Vec<u64> = batch.iter().map(|i| i.status.index).collect();
    entries.sort_unstable();
    for (info, d) in batch.iter().zip(&devices) {
        assert_eq!(
            info.device_key,
            d.public_key(),
            "credential i bound to key i"
        );
        assert_eq!(
            info.status.uri, batch[0].status.uri,
            "one list for the batch"
        );
        assert_eq!(status_of(&h, info), ListStatus::Valid);
    }
    // The school sees the batch's five credentials.
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["credentials"].as_array().map(Vec::len), Some(5));

    let before = list_bits(&h, &batch[0]);
    let cid = hex::encode(&batch[2].credential_id);
    let r = revoke(&school, &cid, "holder_request");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["credentials_revoked"], json!(5));
    let after = list_bits(&h, &batch[0]);
    assert_eq!(
        flipped(&before, &after),
        entries,
        "exactly the batch's entries, at once"
    );
    for info in &batch {
        assert_eq!(status_of(&h, info), ListStatus::Invalid);
    }
    assert_eq!(status_of(&h, other), ListStatus::Valid);
    // Any other credential of the batch is already revoked now.
    let again = school
        .post_json(
            &format!(
                "/v1/credentials/{}/revoke",
                hex::encode(&batch[0].credential_id)
            ),
            &json!({"reason": "holder_request"}),
        )
        .unwrap();
    assert_problem(&again, 409, "already_revoked");

    // The other student's new phone: its batch supersedes the whole earlier one (one
    // device at a time), in one update, and touches nothing else.
    h.clock.advance(86_400);
    school
        .send_json(
            "PUT",
            &format!("/v1/students/{bystander}"),
            &claims_with_photo(),
        )
        .unwrap();
    let (id2, code2, _, _) = activation(&school, &bystander);
    let before = list_bits(&h, other);
    let renewed: Vec<CredentialInfo> = h
        .anon()
        .activate(&id2, &code2, &signers[..3])
        .unwrap()
        .iter()
        .map(|a| CredentialInfo::decode_unverified(&a.credential).unwrap())
        .collect();
    assert_eq!(renewed.len(), 3);
    let after = list_bits(&h, other);
    let mut superseded: Vec<u64> = others.iter().map(|i| i.status.index).collect();
    superseded.sort_unstable();
    assert_eq!(flipped(&before, &after), superseded);
    for info in &others {
        assert_eq!(status_of(&h, info), ListStatus::Invalid);
    }
    for info in &renewed {
        assert_eq!(status_of(&h, info), ListStatus::Valid);
    }
}

fn another_schools_resources_look_missing(backend: Backend) {
    let h = Harness::on(backend);
    let a = h.school("A");
    let b = h.school("B");
    let student = register(&a);
    let (id, code, _, _) = activation(&a, &student);
    let absent = "0123456789abcdef0123456789abcdef";
    for s in [student.as_str(), absent] {
        assert_problem(
            &b.get(&format!("/v1/students/{s}")).unwrap(),
            404,
            "student_not_found",
        );
        assert_problem(
            &b.post_json(&format!("/v1/students/{s}/activations"), &json!({}))
                .unwrap(),
            404,
            "student_not_found",
        );
        assert_problem(
            &b.post_json(&format!("/v1/students/{s}/photo/accept"), &json!({}))
                .unwrap(),
            404,
            "student_not_found",
        );
        assert_problem(
            &b.send_json("PUT", &format!("/v1/students/{s}"), &claims())
                .unwrap(),
            404,
            "student_not_found",
        );
    }
    assert_problem(
        &b.get(&format!("/v1/activations/{id}/qr.svg")).unwrap(),
        404,
        "activation_not_found",
    );
    assert_eq!(
        a.get(&format!("/v1/activations/{id}/qr.svg"))
            .unwrap()
            .content_type,
        "image/svg+xml"
    );
    let r = b
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "1A", "student_ids": [student]}),
        )
        .unwrap();
    assert_problem(&r, 404, "student_not_found");
    let issued = h
        .anon()
        .activate(&id, &code, &[&device(1)])
        .unwrap()
        .remove(0);
    let cid = hex::encode(
        CredentialInfo::decode_unverified(&issued.credential)
            .unwrap()
            .credential_id,
    );
    for c in [cid.as_str(), absent] {
        let r = revoke(&b, c, "holder_request");
        assert_problem(&r, 404, "credential_not_found");
    }
}

fn concurrent_activations_with_one_code_issue_once(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    // Prepare every request first so that they hit the server together.
    let bodies: Vec<_> = (1..=8u8)
        .map(|i| {
            let ch = h.anon().challenge(&id).unwrap();
            Client::activation_body(&id, &code, &ch, &[&device(i)]).unwrap()
        })
        .collect();
    let path = format!("/v1/activations/{id}/activate");
    let results = post_at_once(
        bodies
            .into_iter()
            .map(|body| (h.anon(), path.clone(), body))
            .collect(),
    );
    let ok: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(ok.len(), 1);
    decode_activated(&ok[0].body).unwrap();
    for r in results.iter().filter(|r| r.status != 201) {
        assert_problem(r, 410, "activation_used");
    }
    let n: i64 = h
        .db()
        .query_row("SELECT COUNT(*) FROM credentials", |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

fn unactivated_data_is_deleted_after_30_days(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    h.clock.advance(30 * 86_400 - 1);
    assert_eq!(h.server.as_ref().unwrap().run_retention().unwrap(), 0);
    h.clock.advance(1);
    assert_eq!(h.server.as_ref().unwrap().run_retention().unwrap(), 1);
    let (claims, photo, state): (Option<String>, Option<Vec<u8>>, String) = h
        .db()
        .query_row("SELECT claims, photo, photo_state FROM students", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert!(claims.is_none() && photo.is_none());
    assert_eq!(state, "none");
    let act = format!("/v1/students/{student}/activations");
    assert_problem(
        &school.post_json(&act, &json!({})).unwrap(),
        409,
        "student_data_missing",
    );
    // The audit log records the deletion without personal data.
    let events: Vec<String> = h
        .db()
        .query_map(
            "SELECT event || ' ' || COALESCE(subject, '') FROM audit",
            |r| r.get(0),
        )
        .unwrap();
    assert!(events.iter().any(|e| e.starts_with("data_expired")));
    assert!(
        events
            .iter()
            .all(|e| !e.contains("Kowalska") && !e.contains("08231412342"))
    );
}

fn the_retention_sweep_also_runs_inside_requests(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    h.clock.advance(30 * 86_400 + 1);
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["data_held"], json!(false));
    assert_eq!(shown["activation"]["state"], json!("expired"));
    assert!(h.anon().activate(&id, &code, &[&device(1)]).is_err());
}

fn a_class_batch_gets_activations_and_a_printable_page(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let ids: Vec<String> = (0..3).map(|_| register(&school)).collect();
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B <script>", "student_ids": ids}),
        )
        .unwrap();
    assert_eq!(r.status, 201);
    let v = r.json().unwrap();
    let acts = v["activations"].as_array().unwrap();
    assert_eq!(acts.len(), 3);
    let html = class_page(&school, &json!({"class_name": "2B", "student_ids": ids}));
    assert_eq!(html.matches("class=\"card\"").count(), 3);
    assert_eq!(html.matches("<svg").count(), 3);
    // Polish unless the batch asks for English.
    assert!(html.contains("<html lang=\"pl\">") && html.contains("Kod aktywacji"));
    let html = class_page(
        &school,
        &json!({"class_name": "2B", "student_ids": ids, "lang": "en"}),
    );
    assert!(html.contains("<html lang=\"en\">") && html.contains("Activation code"));
    // The second batch voided the first batch's activations.
    let first = acts[0]["activation_id"].as_str().unwrap();
    let code = acts[0]["code"].as_str().unwrap();
    assert!(h.anon().activate(first, code, &[&device(1)]).is_err());
    // Bad batches.
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B", "student_ids": []}),
        )
        .unwrap();
    assert_problem(&r, 422, "invalid_batch_size");
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B", "student_ids": [ids[0], ids[0]]}),
        )
        .unwrap();
    assert_problem(&r, 422, "duplicate_student");
    assert_eq!(r.json().unwrap()["index"], json!(1));
    let r = school
        .post_json(
            "/v1/activation-batches",
            &json!({"class_name": "2B", "student_ids": ids, "lang": "de"}),
        )
        .unwrap();
    assert_problem(&r, 422, "invalid_lang");
}

fn status_lists_and_trust_list_for_any_verifier(backend: Backend) {
    let h = Harness::on(backend);
    let anon = h.anon();
    // No list before the first credential; numbers only.
    assert_problem(
        &anon.get("/v1/status-lists/1").unwrap(),
        404,
        "status_list_not_found",
    );
    for bad in ["0", "-1", "abc", "1e3", "01x", "99999999999999999999"] {
        assert_problem(
            &anon.get(&format!("/v1/status-lists/{bad}")).unwrap(),
            404,
            "status_list_not_found",
        );
    }
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let a = anon.activate(&id, &code, &[&device(1)]).unwrap().remove(0);
    let info = CredentialInfo::decode_unverified(&a.credential).unwrap();
    let path = format!("/v1/status-lists/{}", list_number(&info.status.uri));
    let r = anon.get(&path).unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/statuslist+cwt")
    );
    let etag = r.header("etag").unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=43200"));
    let v = h.verifier();
    let list = v
        .verify_status_list(&r.body, &StatusListContext::new(T0, &info.status.uri))
        .unwrap();
    assert_eq!(list.entries().len(), 1 << 20);
    assert_eq!(
        (list.issued_at(), list.expires(), list.ttl()),
        (T0, T0 + 86_400, 43_200)
    );
    assert_eq!(
        v.check_status(&list, &info.status, T0),
        Ok(ListStatus::Valid)
    );
    // Every client gets the same bytes; an If-None-Match with the tag gets a 304.
    assert_eq!(anon.get(&path).unwrap().body, r.body);
    let again = anon
        .exchange(
            "GET",
            &path,
            None,
            &[],
            &[("If-None-Match", &etag)],
            1 << 20,
        )
        .unwrap();
    assert_eq!((again.status, again.body.len()), (304, 0));
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // RFC 9110 §13.1.2: a weak tag, a list, two lines, `*` match; another tag does not.
    let weak = format!("W/{etag}");
    let list_of_tags = format!("\"other\", {etag}");
    for headers in [
        vec![("If-None-Match", weak.as_str())],
        vec![("If-None-Match", list_of_tags.as_str())],
        vec![
            ("If-None-Match", "\"other\""),
            ("If-None-Match", etag.as_str()),
        ],
        vec![("If-None-Match", "*")],
        vec![("If-None-Match", "\"other\"")],
    ] {
        let r = anon
            .exchange("GET", &path, None, &[], &headers, 1 << 20)
            .unwrap();
        let want = if headers.iter().any(|(_, v)| *v == "\"other\"") && headers.len() == 1 {
            200
        } else {
            304
        };
        assert_eq!(r.status, want, "{headers:?}");
    }
    // Half the ttl later the token is signed again: a new tag, max-age counted from it.
    h.clock.advance(43_200 / 2);
    let later = anon.get(&path).unwrap();
    assert_ne!(later.header("etag"), Some(etag.as_str()));
    assert_eq!(later.header("cache-control"), Some("public, max-age=43200"));
    h.clock.advance(60);
    let cached = anon.get(&path).unwrap();
    assert_eq!(cached.body, later.body);
    assert_eq!(
        cached.header("cache-control"),
        Some("public, max-age=43140")
    );
    assert_eq!(anon.get("/healthz").unwrap().status, 200);
}

fn no_route_tells_an_anonymous_client_about_one_credential(backend: Backend) {
    // Spec §15.4: what the list shows everyone is all anyone learns without a token. The
    // v1 per-credential route is gone for every index, with or without a nonce.
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let a = h
        .anon()
        .activate(&id, &code, &[&device(1)])
        .unwrap()
        .remove(0);
    let info = CredentialInfo::decode_unverified(&a.credential).unwrap();
    let cid = hex::encode(&info.credential_id);
    let anon = h.anon();
    for path in [
        "/v1/status/1".to_owned(),
        "/v1/status/0".to_owned(),
        format!("/v1/status/{}", info.status.index),
        format!(
            "/v1/status/{}?nonce=AAAAAAAAAAAAAAAAAAAAAA",
            info.status.index
        ),
        format!("/v1/status/{cid}"),
        format!("/v1/credentials/{cid}"),
        format!("/v1/status-lists/1/{}", info.status.index),
    ] {
        let r = anon.get(&path).unwrap();
        assert_problem(&r, 404, "not_found");
    }
    // The school's own API, with its token, still shows the reason.
    revoke(&school, &cid, "school_change");
    let shown = school
        .get(&format!("/v1/students/{student}"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["credentials"][0]["reason"], json!("school_change"));
    // Without it, the student's page is refused.
    assert_problem(
        &anon.get(&format!("/v1/students/{student}")).unwrap(),
        401,
        "unauthorized",
    );
    // The list says only: not valid.
    assert_eq!(status_of(&h, &info), ListStatus::Invalid);
}

fn key_rotation_keeps_the_old_key_published(backend: Backend) {
    let h = Harness::on(backend);
    let school = h.school("LO");
    let student = register(&school);
    let (id, code, _, _) = activation(&school, &student);
    let old = h
        .anon()
        .activate(&id, &code, &[&device(1)])
        .unwrap()
        .remove(0);
    let old_info = CredentialInfo::decode_unverified(&old.credential).unwrap();
    // The kid of the list token served now, as a verifier reads it.
    let served_kid = |h: &Harness| {
        let token = h
            .anon()
            .status_list(common::list_number(&old_info.status.uri))
            .unwrap();
        let ctx = StatusListContext::new(h.clock_now(), &old_info.status.uri);
        hex::encode(
            h.verifier()
                .verify_status_list(&token, &ctx)
                .unwrap()
                .issuer_kid(),
        )
    };
    let old_kid = served_kid(&h);
    assert_eq!(hex::encode(&old_info.issuer_kid), old_kid);
    h.clock.advance(60);
    let new_kid = h.admin().rotate_key().unwrap();
    // The rotation made the stored token stale: the next one served is the new key's,
    // a minute after the old one was signed (well within half its ttl).
    assert_eq!(served_kid(&h), new_kid);
    let list = h.anon().trust_list().unwrap();
    assert_eq!(list.keys().len(), 2);
    // New credentials use the new key; the old one still verifies.
    let other = register(&school);
    let (id2, code2, _, _) = activation(&school, &other);
    let new = h
        .anon()
        .activate(&id2, &code2, &[&device(2)])
        .unwrap()
        .remove(0);
    let new_info = CredentialInfo::decode_unverified(&new.credential).unwrap();
    assert_eq!(hex::encode(&new_info.issuer_kid), new_kid);
    for (cred, disc, dev) in [
        (old.credential, old.disclosures, device(1)),
        (new.credential, new.disclosures, device(2)),
    ] {
        let p = Wallet::new(cred, disc, dev)
            .unwrap()
            .present(&[ClaimName::HolderStatus], None, h.clock_now())
            .unwrap();
        h.verifier()
            .verify(&p, &VerifyContext::offline(h.clock_now()))
            .unwrap();
    }
    assert_eq!(status_of(&h, &old_info), ListStatus::Valid);
    // Once the old key's credentials have expired, and a day more for verifiers whose
    // clocks run behind, it leaves the trust list.
    h.clock.set(old_info.exp + 1);
    assert_eq!(h.anon().trust_list().unwrap().keys().len(), 2);
    h.clock.set(old_info.exp + 86_400);
    assert_eq!(h.anon().trust_list().unwrap().keys().len(), 2);
    h.clock.set(old_info.exp + 86_400 + 1);
    let after = h.anon().trust_list().unwrap();
    assert_eq!(after.keys().len(), 1);
    assert_eq!(hex::encode(&after.keys()[0].kid), new_kid);
    // Issued the same day: the same rounded times (spec §5.6 rule 8), and the new key's
    // window starts at that day's midnight, so the credential it signed after the rotation
    // passed P7 above.
    assert_eq!((new_info.iat, new_info.exp), (old_info.iat, old_info.exp));
}

fn revoked_tokens_stop_working(backend: Backend) {
    let h = Harness::on(backend);
    let mut admin = h.admin();
    let s = admin.create_school("LO").unwrap();
    let t = admin.create_token(s.id).unwrap();
    let client = http_client(&h.url).with_token(&t.token);
    assert_eq!(
        client.post_json("/v1/students", &claims()).unwrap().status,
        201
    );
    admin.revoke_token(t.id).unwrap();
    assert_problem(
        &client.post_json("/v1/students", &claims()).unwrap(),
        401,
        "unauthorized",
    );
    // Tokens are stored only as hashes.
    let stored: Vec<u8> = h
        .db()
        .query_row("SELECT token_hash FROM tokens", |r| r.get(0))
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(t.token.len() >= 43 + 5);
}

fn the_authority_registers_verifiers_and_publishes_its_list(backend: Backend) {
    let h = Harness::on(backend);
    let anon = h.anon();
    let list_of = |anon: &Client| {
        let r = anon.get("/v1/authority-list").unwrap();
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (200, "application/cbor")
        );
        mlegit::TrustList::from_slice(&r.body).unwrap()
    };
    // Made at init: never an empty list.
    assert_eq!(list_of(&anon).keys().len(), 1);
    let kino = device(0x61);
    let claims = [ClaimName::GivenNames, ClaimName::AgeOver18];
    let mut admin = h.admin();
    // Refused arguments make no key.
    assert!(
        admin
            .register_verifier("", "a", &claims, &kino.public_key(), 30)
            .is_err()
    );
    assert!(
        admin
            .register_verifier("Kino", "a", &[], &kino.public_key(), 30)
            .is_err()
    );
    let registered = admin
        .register_verifier(
            "Kino",
            "https://kino.example",
            &claims,
            &kino.public_key(),
            30,
        )
        .unwrap();
    assert_eq!(list_of(&anon).keys().len(), 1);
    let request = mlegit::PresentationRequest {
        nonce: vec![9; 16],
        audience: "https://kino.example".into(),
        verifier_name: "Kino".into(),
        claims: claims.to_vec(),
        created_at: T0,
        response_key: None,
    };
    let signed = request.sign(&kino, &registered.certificate).unwrap();
    let checked = mlegit::RequestChecker::new(list_of(&anon))
        .check(&signed, T0)
        .unwrap();
    assert_eq!(
        hex::encode(checked.verifier().unwrap().authority_kid()),
        registered.authority_kid
    );
    // Rotation: the old key stays listed, its certificates still verify; new ones use the
    // new key.
    h.clock.advance(60);
    let new_kid = admin.rotate_authority_key().unwrap();
    let list = list_of(&anon);
    assert_eq!(list.keys().len(), 2);
    let checker = mlegit::RequestChecker::new(list);
    assert!(checker.check(&signed, h.clock_now()).is_ok());
    let again = admin
        .register_verifier(
            "Kino",
            "https://kino.example",
            &claims,
            &kino.public_key(),
            30,
        )
        .unwrap();
    assert_eq!(again.authority_kid, new_kid);
    // Listed, and revoked.
    admin.revoke_verifier(registered.id).unwrap();
    assert!(admin.revoke_verifier(registered.id).is_err());
    let listed = admin.verifiers().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].revoked_at.is_some() && listed[1].revoked_at.is_none());
}

fn a_full_authority_list_keeps_the_active_key(backend: Backend) {
    let h = Harness::on(backend);
    let mut admin = h.admin();
    let mut kids = Vec::new();
    for _ in 0..70 {
        h.clock.advance(1);
        kids.push(admin.rotate_authority_key().unwrap());
    }
    // 71 keys made (one at init): the 64 newest are listed, the active one among them,
    // in order of creation; the GET serves the same list.
    let list = admin.authority_list().unwrap();
    let listed: Vec<String> = list.keys().iter().map(|k| hex::encode(&k.kid)).collect();
    assert_eq!(listed, kids[kids.len() - 64..]);
    let active = list.keys().last().unwrap();
    assert_eq!(active.not_after, u64::MAX);
    let served = h.anon().get("/v1/authority-list").unwrap();
    assert_eq!(served.body, list.to_vec());
}

store_tests!(
    no_route_tells_an_anonymous_client_about_one_credential,
    full_flow_register_activate_present_status_revoke,
    revocation_reasons_and_expiry,
    registration_rejects_bad_input_with_clear_codes,
    parent_photo_waits_for_the_school,
    five_wrong_codes_lock_the_activation,
    bad_proofs_and_challenges_are_refused,
    expired_activation_is_refused,
    a_used_code_cannot_be_reused,
    a_new_activation_voids_the_previous_one,
    a_second_device_supersedes_the_first,
    a_batch_is_revoked_and_superseded_as_one,
    another_schools_resources_look_missing,
    concurrent_activations_with_one_code_issue_once,
    unactivated_data_is_deleted_after_30_days,
    the_retention_sweep_also_runs_inside_requests,
    a_class_batch_gets_activations_and_a_printable_page,
    status_lists_and_trust_list_for_any_verifier,
    key_rotation_keeps_the_old_key_published,
    revoked_tokens_stop_working,
    the_authority_registers_verifiers_and_publishes_its_list,
    a_full_authority_list_keeps_the_active_key,
);
