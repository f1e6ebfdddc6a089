//! Crash safety: the server process is killed with SIGKILL during a burst of activations
//! and restarted; every acknowledged credential is still there and none was issued twice.
//! Also: SIGTERM shuts down gracefully.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use core::time::Duration;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{
    Backend, Db, Deployment, claims, claims_with_photo, device, http_client, list_status, png,
    portrait_piece, traces,
};
use mlegit::{CredentialInfo, ListStatus, Verifier};
use serde_json::json;

fn sigkill_during_activations_loses_no_acknowledged_credential(backend: Backend) {
    let deployment = Deployment::new(backend);
    let (mut child, url) = deployment.spawn(&[]);
    let school = http_client(&url).with_token(&deployment.token);

    // Students and activations first, then the burst.
    let n = 60;
    let mut pending = Vec::new();
    let body = claims_with_photo();
    for _ in 0..n {
        let r = school.post_json("/v1/students", &body).unwrap();
        let student = r.json().unwrap()["student_id"].as_str().unwrap().to_owned();
        let a = school
            .post_json(&format!("/v1/students/{student}/activations"), &json!({}))
            .unwrap()
            .json()
            .unwrap();
        pending.push((
            a["activation_id"].as_str().unwrap().to_owned(),
            a["code"].as_str().unwrap().to_owned(),
        ));
    }
    let queue = Arc::new(Mutex::new(pending.clone()));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4u8)
        .map(|w| {
            let (queue, acknowledged, done, url) = (
                queue.clone(),
                acknowledged.clone(),
                done.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let client = http_client(&url);
                loop {
                    let Some((id, code)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    // Once the server is dead every call fails: record only 201s.
                    if let Ok(a) = client.activate(&id, &code, &[&device(w + 1)]) {
                        let info = CredentialInfo::decode_unverified(&a[0].credential).unwrap();
                        acknowledged.lock().unwrap().push((id, info));
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Kill in the middle of the burst.
    while done.load(Ordering::SeqCst) < n / 3 {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= n / 3 - 4, "{}", acknowledged.len());
    assert!(
        acknowledged.len() < n,
        "the kill came too late to test anything"
    );

    // Restart on the same data directory and database.
    let (mut child, url) = deployment.spawn(&[]);
    let anon = http_client(&url);
    let verifier = Verifier::new(anon.trust_list().unwrap());
    for (id, info) in &acknowledged {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(list_status(&anon, &verifier, info, now), ListStatus::Valid);
        // The activation was used exactly once: trying again is refused.
        let r = anon
            .activate(id, "0000-0000-0000", &[&device(9)])
            .unwrap_err();
        assert!(r.to_string().contains("activation_used"), "{r}");
    }
    // Every activation is either used once or still open; finishing them issues no duplicate.
    for (id, code) in &pending {
        match anon.activate(id, code, &[&device(7)]) {
            Ok(a) => {
                assert!(!acknowledged.iter().any(|(a_id, _)| a_id == id));
                CredentialInfo::decode_unverified(&a[0].credential).unwrap();
            }
            Err(e) => assert!(e.to_string().contains("activation_used"), "{e}"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (total, distinct_students, distinct_activations): (i64, i64, i64) = deployment
        .db()
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT student_id), COUNT(DISTINCT activation_id) FROM credentials",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(total, n as i64);
    assert_eq!(distinct_students, n as i64);
    assert_eq!(distinct_activations, n as i64);
}

fn sigkill_right_after_issuance_leaves_no_personal_data(backend: Backend) {
    use base64::Engine as _;
    let deployment = Deployment::new(backend);
    let data = deployment.data();
    let (mut child, url) = deployment.spawn(&[]);
    let school = http_client(&url).with_token(&deployment.token);
    let mut target = claims();
    target["family_name"] = json!("Nowakowska");
    target["pesel"] = json!("08231412366");
    target["photo"] = json!(base64::engine::general_purpose::STANDARD.encode(png(320, 400)));
    let r = school.post_json("/v1/students", &target).unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let student = r.json().unwrap()["student_id"].as_str().unwrap().to_owned();
    // Other students waiting for activation keep the WAL busy around the issuance.
    for _ in 0..20 {
        let r = school
            .post_json("/v1/students", &claims_with_photo())
            .unwrap();
        assert_eq!(r.status, 201);
    }
    let a = school
        .post_json(&format!("/v1/students/{student}/activations"), &json!({}))
        .unwrap()
        .json()
        .unwrap();
    let (id, code) = (
        a["activation_id"].as_str().unwrap(),
        a["code"].as_str().unwrap(),
    );
    let activated = http_client(&url)
        .activate(id, code, &[&device(4)])
        .unwrap()
        .remove(0);
    child.kill().unwrap(); // SIGKILL right after the answer
    child.wait().unwrap();
    let portrait = portrait_piece(&activated.disclosures);
    let secrets: [&[u8]; 3] = [b"08231412366", "Nowakowska".as_bytes(), &portrait];
    let waiting: [&[u8]; 1] = [b"08231412342"];
    match backend {
        Backend::Sqlite => {
            // The raw files: the database, its WAL and journal.
            let found = traces(&data, &secrets);
            assert!(found.is_empty(), "after SIGKILL: {found:?}");
            // The students still waiting are in the files, as they should be until
            // issuance or the sweep: the search would have found the target's data had
            // it stayed.
            assert!(!traces(&data, &waiting).is_empty());
        }
        Backend::Postgres => {
            // Live rows only: PostgreSQL keeps dead tuples until VACUUM (DESIGN.md).
            let found = row_traces(&deployment.db(), &secrets);
            assert!(found.is_empty(), "after SIGKILL: {found:?}");
            assert!(!row_traces(&deployment.db(), &waiting).is_empty());
        }
    }
}

/// What of `secrets` the live rows hold: every column that can hold personal data.
fn row_traces(db: &Db, secrets: &[&[u8]]) -> Vec<String> {
    let mut rows: Vec<Vec<u8>> = db
        .query_map(
            "SELECT COALESCE(claims, '') FROM students
             UNION ALL SELECT COALESCE(photo_reason, '') FROM students
             UNION ALL SELECT COALESCE(subject, '') || event FROM audit",
            |r| Ok(r.get::<String>(0)?.into_bytes()),
        )
        .unwrap();
    rows.extend(
        db.query_map("SELECT photo FROM students WHERE photo IS NOT NULL", |r| {
            r.get(0)
        })
        .unwrap(),
    );
    let mut found = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        if rows
            .iter()
            .any(|v| v.windows(secret.len()).any(|w| w == *secret))
        {
            found.push(format!("secret {i} in a live row"));
        }
    }
    found
}

fn sigterm_shuts_down_gracefully(backend: Backend) {
    let deployment = Deployment::new(backend);
    let token = deployment.token.clone();
    let (mut child, url) = deployment.spawn(&[]);
    let school = http_client(&url).with_token(&token);
    let r = school
        .post_json("/v1/students", &claims_with_photo())
        .unwrap();
    assert_eq!(r.status, 201);
    let student = r.json().unwrap()["student_id"].as_str().unwrap().to_owned();
    // A request in flight while SIGTERM arrives still completes.
    let in_flight =
        std::thread::spawn(move || school.post_json("/v1/students", &claims_with_photo()));
    std::thread::sleep(Duration::from_millis(5));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    if let Ok(r) = in_flight.join().unwrap() {
        assert!(r.status == 201 || r.status == 503, "{}", r.status);
    }
    // Restart: the data is intact.
    let (mut child, url) = deployment.spawn(&[]);
    let school = http_client(&url).with_token(&token);
    assert_eq!(
        school
            .get(&format!("/v1/students/{student}"))
            .unwrap()
            .status,
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_binary_prints_its_usage_on_help_and_exits_0() {
    for flag in ["--help", "-h"] {
        let out = Command::new(env!("CARGO_BIN_EXE_mlegit-server"))
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}: {:?}", out.status);
        let usage = String::from_utf8(out.stdout).unwrap();
        for command in [
            "serve",
            "school list",
            "token list",
            "key list",
            "--tls-cert",
        ] {
            assert!(usage.contains(command), "{flag}: {usage}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mlegit-server"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

store_tests!(
    sigkill_during_activations_loses_no_acknowledged_credential,
    sigkill_right_after_issuance_leaves_no_personal_data,
    sigterm_shuts_down_gracefully,
);
