//! The synchronous handlers called directly, without sockets or HTTP: `App::handle` on a
//! route and an `ApiRequest`, on both stores, with a manual clock and seeded randomness.
//! (The HTTP shell is covered by the other suites.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, Deployment, T0, claims_with_photo};
use mlegit::{P256Signer, Signer as _};
use mlegit_server::app::{ApiRequest, ApiResponse, App};
use mlegit_server::random::SeededRandom;
use mlegit_server::routes::RouteId;
use mlegit_server::{Admin, ApiError, FileKeyStore, ManualClock, ServerError};
use serde_json::{Value, json};

/// An `App` on a fresh data directory and database (a `Deployment`: initialised, with a
/// school and its token), on a manual clock and seeded randomness.
struct Direct {
    app: App,
    clock: Arc<ManualClock>,
    deployment: Deployment,
}

impl Direct {
    fn new(backend: Backend) -> Self {
        let deployment = Deployment::new(backend);
        let clock = Arc::new(ManualClock::new(T0));
        let app = App::open(
            &deployment.data(),
            &deployment.database,
            clock.clone(),
            Arc::new(SeededRandom::new(16)),
            Arc::new(FileKeyStore::new(&deployment.data())),
        )
        .unwrap();
        Self {
            app,
            clock,
            deployment,
        }
    }

    fn call(
        &self,
        route: RouteId,
        params: &[&str],
        bearer: bool,
        body: Option<Value>,
    ) -> Result<ApiResponse, ApiError> {
        let req = ApiRequest {
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            bearer: bearer.then(|| self.deployment.token.clone()),
            json_body: true,
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            ..ApiRequest::default()
        };
        self.app.handle(route, &req)
    }
}

fn json_of(r: &ApiResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn registration_and_activation_by_direct_calls(backend: Backend) {
    let d = Direct::new(backend);
    // Without the school's token nothing is read or stored.
    assert!(matches!(
        d.call(
            RouteId::RegisterStudent,
            &[],
            false,
            Some(claims_with_photo())
        ),
        Err(ApiError::Unauthorized)
    ));
    let r = d
        .call(
            RouteId::RegisterStudent,
            &[],
            true,
            Some(claims_with_photo()),
        )
        .unwrap();
    assert_eq!(r.status, 201);
    let student = json_of(&r)["student_id"].as_str().unwrap().to_owned();
    assert_eq!(json_of(&r)["photo_state"], json!("accepted"));

    let r = d
        .call(
            RouteId::CreateActivation,
            &[&student],
            true,
            Some(json!({})),
        )
        .unwrap();
    assert_eq!(r.status, 201);
    let a = json_of(&r);
    let (id, code) = (
        a["activation_id"].as_str().unwrap().to_owned(),
        a["code"].as_str().unwrap().to_owned(),
    );
    assert_eq!(a["expires_at"], json!(T0 + 30 * 86_400));

    // The phone's side: a challenge, the proof made with the core, the code.
    let challenge = json_of(&d.call(RouteId::Challenge, &[&id], false, None).unwrap());
    let challenge = URL_SAFE_NO_PAD
        .decode(challenge["challenge"].as_str().unwrap())
        .unwrap();
    // A batch of three (spec §19): three device keys, one proof by each over all three.
    let devices: Vec<P256Signer> = (0x33..0x36u8)
        .map(|b| P256Signer::from_scalar(&[b; 32]).unwrap())
        .collect();
    let (keys, proofs) = mlegit::activation::sign_all(&id, &challenge, &devices).unwrap();
    let body = |code: &str| {
        json!({
            "code": code,
            "challenge": URL_SAFE_NO_PAD.encode(&challenge),
            "device_keys": keys
                .iter()
                .map(|k| URL_SAFE_NO_PAD.encode(k.to_sec1_uncompressed()))
                .collect::<Vec<_>>(),
            "proofs": proofs.iter().map(|p| URL_SAFE_NO_PAD.encode(p)).collect::<Vec<_>>(),
        })
    };
    let wrong = if code.starts_with('0') {
        "1111-1111-1111"
    } else {
        "0000-0000-0000"
    };
    // A wrong code is counted (and committed) before it is refused.
    assert!(matches!(
        d.call(RouteId::Activate, &[&id], false, Some(body(wrong))),
        Err(ApiError::CodeInvalid { attempts_left: 4 })
    ));
    let r = d
        .call(RouteId::Activate, &[&id], false, Some(body(&code)))
        .unwrap();
    assert_eq!((r.status, r.content_type), (201, "application/cbor"));
    // Credential i is bound to key i; each has its own id and status entry, the same
    // claims, the same (rounded) times, and one status list.
    let batch = mlegit_client::decode_activated(&r.body).unwrap();
    assert_eq!(batch.len(), 3);
    let wallets: Vec<mlegit::Wallet<P256Signer>> = batch
        .iter()
        .zip(&devices)
        .map(|(a, d)| {
            mlegit::Wallet::new(a.credential.clone(), a.disclosures.clone(), d.clone()).unwrap()
        })
        .collect();
    let batch = mlegit::Batch::new(wallets).unwrap();
    let infos: Vec<&mlegit::CredentialInfo> =
        batch.credentials().iter().map(|w| w.info()).collect();
    for i in &infos {
        assert_eq!(
            (i.iat, i.nbf, i.exp),
            (infos[0].iat, infos[0].nbf, infos[0].exp)
        );
        assert_eq!(i.iat % 86_400, 0, "iat at a UTC midnight");
        assert_eq!(i.exp % 86_400, 86_399, "exp at the end of a UTC day");
        assert_eq!(i.status.uri, infos[0].status.uri);
    }
    let mut entries: Vec<u64> = infos.iter().map(|i| i.status.index).collect();
    entries.dedup();
    assert_eq!(entries.len(), 3);
    assert!(matches!(
        d.call(RouteId::Activate, &[&id], false, Some(body(&code))),
        Err(ApiError::ActivationUsed)
    ));

    // The student's data went with the issuance.
    let shown = json_of(
        &d.call(RouteId::ShowStudent, &[&student], true, None)
            .unwrap(),
    );
    assert_eq!(shown["data_held"], json!(false));
    assert_eq!(shown["activation"]["state"], json!("used"));
    assert_eq!(shown["credentials"][0]["status"], json!("valid"));
    assert_eq!(shown["credentials"].as_array().map(Vec::len), Some(3));
}

fn the_challenge_expires_with_the_clock(backend: Backend) {
    let d = Direct::new(backend);
    let student = json_of(
        &d.call(
            RouteId::RegisterStudent,
            &[],
            true,
            Some(claims_with_photo()),
        )
        .unwrap(),
    )["student_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = json_of(
        &d.call(
            RouteId::CreateActivation,
            &[&student],
            true,
            Some(json!({})),
        )
        .unwrap(),
    );
    let id = a["activation_id"].as_str().unwrap().to_owned();
    let challenge = json_of(&d.call(RouteId::Challenge, &[&id], false, None).unwrap());
    let expires_at = challenge["expires_at"].as_u64().unwrap();
    let challenge = URL_SAFE_NO_PAD
        .decode(challenge["challenge"].as_str().unwrap())
        .unwrap();
    let device = P256Signer::from_scalar(&[0x34; 32]).unwrap();
    let proof = mlegit::activation::sign(&id, &challenge, &[device.public_key()], &device).unwrap();
    // Good until its expiry second, refused after it.
    d.clock.advance(expires_at - T0 + 1);
    let r = d.call(
        RouteId::Activate,
        &[&id],
        false,
        Some(json!({
            "code": a["code"],
            "device_keys": [URL_SAFE_NO_PAD.encode(device.public_key().to_sec1_uncompressed())],
            "challenge": URL_SAFE_NO_PAD.encode(&challenge),
            "proofs": [URL_SAFE_NO_PAD.encode(&proof)],
        })),
    );
    assert!(matches!(r, Err(ApiError::ChallengeInvalid)), "{r:?}");
}

/// `init` on an initialised database is refused and changes nothing; a server secret left by
/// an `init` that failed before its commit is kept, so that `init` can simply be run again.
fn init_is_refused_twice_and_can_be_rerun(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (database, _pg) = common::fresh_database(backend, &data);
    let keys = FileKeyStore::new(&data);
    // What a failed first run leaves: the directory and the secret, no key in the database.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("server.secret"), [9u8; 32]).unwrap();
    mlegit_server::init_in(&data, &database, &mlegit_server::SystemClock, &keys).unwrap();
    assert_eq!(
        std::fs::read(data.join("server.secret")).unwrap(),
        [9u8; 32]
    );
    let issuer_keys = || {
        Admin::open_in(
            &database,
            Box::new(mlegit_server::SystemClock),
            Box::new(FileKeyStore::new(&data)),
        )
        .unwrap()
        .keys()
        .unwrap()
    };
    let keys_before = issuer_keys();
    let again = mlegit_server::init_in(&data, &database, &mlegit_server::SystemClock, &keys);
    assert!(
        matches!(again, Err(ServerError::AlreadyInitialised)),
        "{again:?}"
    );
    let keys_after = issuer_keys();
    assert_eq!(keys_before, keys_after);
    assert_eq!(keys_after.len(), 1);
    // A secret of the wrong size is an error, not silently replaced.
    let other = dir.path().join("other");
    let (database, _pg2) = common::fresh_database(backend, &other);
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("server.secret"), [9u8; 31]).unwrap();
    let bad = mlegit_server::init_in(
        &other,
        &database,
        &mlegit_server::SystemClock,
        &FileKeyStore::new(&other),
    );
    assert!(matches!(bad, Err(ServerError::Key(_))), "{bad:?}");
}

/// The admin draws school tokens from the randomness it is given: the same seed on two
/// deployments gives the same token, another seed another one.
fn admin_tokens_come_from_the_given_randomness(backend: Backend) {
    let token = |seed: u64| {
        let d = Deployment::new(backend);
        let mut admin = Admin::open_in(
            &d.database,
            Box::new(mlegit_server::SystemClock),
            Box::new(FileKeyStore::new(&d.data())),
        )
        .unwrap()
        .with_random(Box::new(SeededRandom::new(seed)));
        let school = admin.create_school("Liceum").unwrap();
        admin.create_token(school.id).unwrap().token
    };
    let (a, b, c) = (token(5), token(5), token(6));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.starts_with("mlsk_"), "{a}");
}

store_tests!(
    registration_and_activation_by_direct_calls,
    the_challenge_expires_with_the_clock,
    init_is_refused_twice_and_can_be_rerun,
    admin_tokens_come_from_the_given_randomness,
);
