//! Two server processes on one PostgreSQL database and one data directory (the shared
//! secret and keys), as replicas behind a load balancer: what one decides, the other
//! sees, and no race between them issues twice or loses a count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::process::Child;

use common::{Backend, Deployment, assert_problem, claims_with_photo, device, http_client};
use common::{list_status, post_at_once, postgres_url};
use mlegit::{CredentialInfo, ListStatus, Verifier};
use mlegit_client::{Client, HttpResponse, decode_activated};
use serde_json::json;

/// Both replicas name lists and QR codes under one public URL, as behind one balancer.
const PUBLIC_URL: &str = "http://replicas.invalid";

struct Replicas {
    deployment: Deployment,
    children: Vec<Child>,
    urls: Vec<String>,
}

impl Replicas {
    /// Two replicas; `None` (the test skipped, saying so) without a PostgreSQL cluster
    /// outside CI.
    fn start() -> Option<Self> {
        postgres_url()?;
        let deployment = Deployment::new(Backend::Postgres);
        let (mut children, mut urls) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            let (child, url) = deployment.spawn(&["--public-url", PUBLIC_URL]);
            children.push(child);
            urls.push(url);
        }
        Some(Self {
            deployment,
            children,
            urls,
        })
    }

    fn school(&self, i: usize) -> Client {
        http_client(&self.urls[i % 2]).with_token(&self.deployment.token)
    }

    fn anon(&self, i: usize) -> Client {
        http_client(&self.urls[i % 2])
    }

    fn count(&self, sql: &str) -> i64 {
        self.deployment.db().query_row(sql, |r| r.get(0)).unwrap()
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A student registered with replica `at`, and an activation for it made by the other.
fn student_with_code(r: &Replicas, at: usize) -> (String, String) {
    let resp = r
        .school(at)
        .post_json("/v1/students", &claims_with_photo())
        .unwrap();
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let student = resp.json().unwrap()["student_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = r
        .school(at + 1)
        .post_json(&format!("/v1/students/{student}/activations"), &json!({}))
        .unwrap();
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let a = a.json().unwrap();
    (
        a["activation_id"].as_str().unwrap().to_owned(),
        a["code"].as_str().unwrap().to_owned(),
    )
}

/// `n` activations of `id` with `code` at once, each with its own device and a challenge
/// from one replica, posted to the other.
fn activate_at_once(r: &Replicas, id: &str, code: &str, n: u8) -> Vec<HttpResponse> {
    let path = format!("/v1/activations/{id}/activate");
    let posts = (0..n)
        .map(|i| {
            let at = usize::from(i);
            let ch = r.anon(at).challenge(id).unwrap();
            let body = Client::activation_body(id, code, &ch, &[&device(i + 1)]).unwrap();
            (r.anon(at + 1), path.clone(), body)
        })
        .collect();
    post_at_once(posts)
}

#[test]
fn twenty_concurrent_activations_of_one_code_over_two_replicas_issue_once() {
    let Some(r) = Replicas::start() else { return };
    let (id, code) = student_with_code(&r, 0);
    // Each request's challenge comes from one replica and is answered at the other: the
    // replicas share the secret that signs challenges.
    let results = activate_at_once(&r, &id, &code, 20);
    let ok: Vec<_> = results.iter().filter(|x| x.status == 201).collect();
    assert_eq!(
        ok.len(),
        1,
        "{:?}",
        results.iter().map(|x| x.status).collect::<Vec<_>>()
    );
    decode_activated(&ok[0].body).unwrap();
    for x in results.iter().filter(|x| x.status != 201) {
        assert_problem(x, 410, "activation_used");
    }
    assert_eq!(r.count("SELECT COUNT(*) FROM credentials"), 1);
    assert_eq!(
        r.count("SELECT COUNT(*) FROM activations WHERE state = 'used'"),
        1
    );
}

#[test]
fn a_revocation_on_one_replica_is_in_the_list_the_other_serves() {
    let Some(r) = Replicas::start() else { return };
    let (id, code) = student_with_code(&r, 0);
    let activated = r
        .anon(0)
        .activate(&id, &code, &[&device(3)])
        .unwrap()
        .remove(0);
    let info = CredentialInfo::decode_unverified(&activated.credential).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let verifier = Verifier::new(r.anon(1).trust_list().unwrap());
    // Replica 1 serves (and so signs and stores) the list first.
    assert_eq!(
        list_status(&r.anon(1), &verifier, &info, now),
        ListStatus::Valid
    );
    let before = r.anon(1).status_list(1).unwrap();
    // Revoked through replica 0.
    let cid = hex::encode(&info.credential_id);
    let revoked = r
        .school(0)
        .post_json(
            &format!("/v1/credentials/{cid}/revoke"),
            &json!({"reason": "holder_request"}),
        )
        .unwrap();
    assert_eq!(
        revoked.status,
        200,
        "{}",
        String::from_utf8_lossy(&revoked.body)
    );
    // Replica 1 signs the list again and shows the entry invalid; both serve one token.
    assert_eq!(
        list_status(&r.anon(1), &verifier, &info, now),
        ListStatus::Invalid
    );
    let (one, other) = (
        r.anon(1).status_list(1).unwrap(),
        r.anon(0).status_list(1).unwrap(),
    );
    assert_ne!(one, before);
    assert_eq!(one, other);
    // Revoking again through the other replica is refused: the row said so.
    let again = r
        .school(1)
        .post_json(
            &format!("/v1/credentials/{cid}/revoke"),
            &json!({"reason": "holder_request"}),
        )
        .unwrap();
    assert_problem(&again, 409, "already_revoked");
}

#[test]
fn wrong_codes_are_counted_across_replicas_and_lock_after_five() {
    let Some(r) = Replicas::start() else { return };
    let (id, code) = student_with_code(&r, 1);
    let wrong = if code.starts_with('0') {
        "1111-1111-1111"
    } else {
        "0000-0000-0000"
    };
    // The challenge from one replica, the answer at the other.
    let attempt = |at: usize| {
        let ch = r.anon(at).challenge(&id).unwrap();
        let body = Client::activation_body(&id, wrong, &ch, &[&device(5)]).unwrap();
        r.anon(at + 1)
            .post_json(&format!("/v1/activations/{id}/activate"), &body)
            .unwrap()
    };
    // Alternating replicas, one at a time: every attempt counts once.
    for (i, left) in [4u64, 3, 2].into_iter().enumerate() {
        let resp = attempt(i);
        assert_problem(&resp, 403, "activation_code_invalid");
        assert_eq!(resp.json().unwrap()["attempts_left"], json!(left));
        assert_eq!(r.count("SELECT failures FROM activations"), i as i64 + 1);
    }
    // Eight more at once over both replicas: two are counted (the fourth, and the fifth
    // which locks), the rest find it locked; none is lost and none counted twice.
    let results = activate_at_once(&r, &id, wrong, 8);
    let codes: Vec<String> = results.iter().map(|x| x.problem_code()).collect();
    let invalid = codes
        .iter()
        .filter(|c| *c == "activation_code_invalid")
        .count();
    let locked = codes.iter().filter(|c| *c == "activation_locked").count();
    assert_eq!((invalid, locked), (1, 7), "{codes:?}");
    let last_chance = results
        .iter()
        .find(|x| x.problem_code() == "activation_code_invalid")
        .unwrap();
    assert_eq!(last_chance.json().unwrap()["attempts_left"], json!(1));
    assert_eq!(r.count("SELECT failures FROM activations"), 5);
    assert_eq!(
        r.count("SELECT COUNT(*) FROM activations WHERE state = 'locked'"),
        1
    );
    // Locked on both replicas, the right code too.
    for i in 0..2 {
        let ch = r.anon(i).challenge(&id).unwrap();
        let body = Client::activation_body(&id, &code, &ch, &[&device(7)]).unwrap();
        let resp = r
            .anon(i)
            .post_json(&format!("/v1/activations/{id}/activate"), &body)
            .unwrap();
        assert_problem(&resp, 423, "activation_locked");
    }
    assert_eq!(r.count("SELECT COUNT(*) FROM credentials"), 0);
}
