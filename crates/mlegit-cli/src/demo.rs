//! `mlegit demo`: the whole story on a fresh server, printed step by step.
//!
//! Fresh issuer key, a temporary SQLite store, the reference server on a loopback port;
//! then a school registers a student with a photo, the phone activates from the QR code and
//! the one-time code and gets a batch of single-use credentials (spec §19), a verifier asks
//! for three claims with a nonce, checks offline and against the status list, the school
//! revokes the batch (lost phone), the list is signed again with its entries flipped, and a
//! new phone takes over; each presentation uses a credential never shown before.
//! Every step checks what it shows: the demo exits 0 only if the story went as told.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, ensure};
use base64::Engine as _;
use clap::Args;
use mlegit::{
    Batch, ClaimName, CredentialInfo, ListStatus, P256Signer, PresentationRequest, RequestChecker,
    Signer as _, StatusListContext, TrustList, Verifier, VerifyContext, Wallet,
};
use mlegit_client::Connector;

use crate::online::NetArgs;
use rand::Rng as _;
use serde_json::{Value as Json, json};

use crate::files::{self, Mode};
use crate::verify::{self, Outcome};
use crate::wallet_file::{Password, WalletFile};
use crate::{EXIT_OK, keys, online, time};

/// The student's portrait: a 96x128 JPEG drawn for this demo.
const PORTRAIT: &[u8] = include_bytes!("../assets/portrait.jpg");
const SCHOOL: &str = "XIV Liceum Ogólnokształcące im. Stanisława Staszica";
const VERIFIER: &str = "Kino Muranów";
const AUDIENCE: &str = "kino-muranow.example";
const INSPECTOR: &str = "Kontrola biletów ZTM";
const INSPECTOR_AUDIENCE: &str = "kontrola.ztm.example";

/// Arguments of `mlegit demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Keep the demo's files (server data, wallets, requests, presentations, portrait,
    /// trust list) in DIR instead of a temporary directory that is deleted at the end.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

fn step(number: u32, title: &str) -> Result<()> {
    outln!();
    outln!("[{number}] {title}");
    Ok(())
}

fn line(label: &str, value: impl core::fmt::Display) -> Result<()> {
    outln!("    {label:<16} {value}");
    Ok(())
}

/// A PESEL for `birth` (spec §11: century in the month, check digit), serial 0042 + sex.
fn pesel(birth: jiff::civil::Date) -> String {
    let year = i32::from(birth.year());
    let century = match year {
        1800..=1899 => 80,
        1900..=1999 => 0,
        2000..=2099 => 20,
        2100..=2199 => 40,
        _ => 60,
    };
    let digits = format!(
        "{:02}{:02}{:02}0042",
        year.rem_euclid(100),
        i32::from(birth.month()) + century,
        birth.day()
    );
    const WEIGHTS: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = digits
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// The registration body: a student who turned 18 a year ago, so that `age_over_18`
/// holds whenever the demo runs.
fn student() -> Result<Json> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(time::ZONE)?)
        .date();
    let years = |n: i16| jiff::Span::new().years(n);
    let birth = today.checked_sub(years(19))?;
    let expiry = today.checked_add(years(1))?;
    Ok(json!({
        "family_name": "Kowalska",
        "given_names": "Anna Maria",
        "document_number": "SL-0042",
        "issue_date": today.to_string(),
        "expiry_date": expiry.to_string(),
        "birth_date": birth.to_string(),
        "pesel": pesel(birth),
        "address": "ul. Długa 1, 00-001 Warszawa",
        "school_name": SCHOOL,
        "school_address": "ul. Nowowiejska 37a, 02-010 Warszawa",
        "school_id": "RSPO 19012",
        "photo": base64::engine::general_purpose::STANDARD.encode(PORTRAIT),
    }))
}

fn field<'j>(value: &'j Json, name: &str, what: &str) -> Result<&'j str> {
    value
        .get(name)
        .and_then(Json::as_str)
        .ok_or_else(|| anyhow!("{what}: the server's answer has no {name}"))
}

/// The demo's own server runs on loopback over plain HTTP: allowed here, explicitly.
fn loopback() -> Connector {
    Connector::new().allow_plain_http(true)
}

/// A phone: the batch of single-use credentials it built from the activation (spec §19).
struct Phone {
    batch: std::cell::RefCell<Batch<P256Signer>>,
    /// The first credential's public parts: its entry in the status list, its id (the
    /// school's handle for revoking the batch).
    first: CredentialInfo,
}

/// The wallet files' password in the demo (or `MLEGIT_WALLET_PASSWORD`).
fn demo_password() -> Result<Password> {
    match std::env::var(crate::wallet_file::PASSWORD_ENV) {
        Ok(p) => Password::new(&p),
        Err(_) => Password::new("demo"),
    }
}

/// What an activation gave a phone: its device keys, the checked batch, and the bytes as
/// issued (for the wallet file).
type Activation = (Vec<P256Signer>, Batch<P256Signer>, online::Issued);

/// A batch from an activation: `n` fresh device keys, proofs of possession, and the
/// holder checks of spec §5.7 and §19.5.
fn activate_batch(qr: &str, code: &str, n: usize) -> Result<Activation> {
    let (devices, issued) =
        online::request_batch(&loopback(), qr, code, n).map_err(|e| anyhow!("activation: {e}"))?;
    let wallets = issued
        .iter()
        .zip(&devices)
        .map(|((c, d), key)| {
            Wallet::new(c.clone(), d.clone(), key.clone())
                .map_err(|e| anyhow!("an issued credential fails the holder checks ({e})"))
        })
        .collect::<Result<Vec<_>>>()?;
    let batch = Batch::new(wallets).map_err(|e| anyhow!("the issued batch ({e})"))?;
    Ok((devices, batch, issued))
}

/// The phone's side of activation: a batch of fresh device keys, proofs of possession,
/// the holder checks, and the wallet file under a password.
fn activate(qr: &str, code: &str, wallet_path: &Path) -> Result<Phone> {
    let (devices, batch, issued) = activate_batch(qr, code, mlegit::activation::DEFAULT_BATCH)?;
    WalletFile::new(&issued, &devices, Some(&demo_password()?))?.write(wallet_path)?;
    let wallet = batch
        .credentials()
        .first()
        .ok_or_else(|| anyhow!("an empty batch"))?;
    let info = wallet.info().clone();
    line(
        "batch",
        format!(
            "{} single-use credentials, each with its own device key, credential id, salts, status entry and signature",
            batch.credentials().len()
        ),
    )?;
    line("first credential", hex::encode(&info.credential_id))?;
    line(
        "valid",
        format!(
            "{} to {} (whole days: the same for every credential of the day)",
            time::show(info.nbf),
            time::show(info.exp)
        ),
    )?;
    line(
        "status",
        format!(
            "entry {} of list {} (and {} more, at random)",
            info.status.index,
            info.status.uri,
            batch.credentials().len() - 1
        ),
    )?;
    let names: Vec<&str> = wallet.claims().map(|c| c.as_str()).collect();
    line(
        "claims",
        format!("{} claims, each with its own salted digest:", names.len()),
    )?;
    for chunk in names.chunks(6) {
        line("", chunk.join(", "))?;
    }
    line(
        "wallet file",
        format!(
            "{} (device keys under the password {})",
            wallet_path.display(),
            if std::env::var_os(crate::wallet_file::PASSWORD_ENV).is_some() {
                "in MLEGIT_WALLET_PASSWORD"
            } else {
                "\"demo\""
            }
        ),
    )?;
    Ok(Phone {
        batch: std::cell::RefCell::new(batch),
        first: info,
    })
}

/// Which credential of the batch a presentation used, by its id.
fn used(phone: &Phone, pick: mlegit::Pick) -> String {
    let batch = phone.batch.borrow();
    let id = batch
        .credentials()
        .get(pick.index())
        .map(|w| hex::encode(&w.info().credential_id))
        .unwrap_or_default();
    format!(
        "{id} ({} of {}, {} never shown left)",
        pick.index() + 1,
        batch.credentials().len(),
        batch.unused()
    )
}

/// The cinema: its verifier key and the certificate the authority registered it with.
struct Cinema {
    key: P256Signer,
    certificate: Vec<u8>,
}

/// The claims the cinema is registered for, and asks for.
const CINEMA_CLAIMS: [ClaimName; 3] = [
    ClaimName::GivenNames,
    ClaimName::AgeOver18,
    ClaimName::Portrait,
];

/// A verifier's signed request (spec §7.5): fresh nonce, its audience and name, three
/// claims, signed with its key and carrying its certificate. Returns the request, its
/// bytes and their SHA-256 (what the presentation must bind).
fn new_request(
    cinema: &Cinema,
    dir: &Path,
    name: &str,
) -> Result<(PresentationRequest, Vec<u8>, [u8; 32])> {
    new_request_with(cinema, dir, name, None)
}

/// [`new_request`], with the response key of an online request (spec §18.1, key 8).
fn new_request_with(
    cinema: &Cinema,
    dir: &Path,
    name: &str,
    response_key: Option<mlegit::PublicKey>,
) -> Result<(PresentationRequest, Vec<u8>, [u8; 32])> {
    let mut nonce = vec![0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let request = PresentationRequest {
        nonce,
        audience: AUDIENCE.into(),
        verifier_name: VERIFIER.into(),
        claims: CINEMA_CLAIMS.to_vec(),
        created_at: time::now(),
        response_key,
    };
    let bytes = request
        .sign(&cinema.key, &cinema.certificate)
        .map_err(|_| anyhow!("signing the request"))?;
    files::write_atomic(&dir.join(name), &bytes, Mode::Public, "request")?;
    let digest = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&bytes).into()
    };
    Ok((request, bytes, digest))
}

/// The phone reads the request (as from a QR code), checks its certificate against the
/// authority list, shows who asks, and answers with what it asks for.
fn present(
    phone: &Phone,
    authorities: &TrustList,
    request_bytes: &[u8],
    dir: &Path,
    name: &str,
) -> Result<(Vec<u8>, u64)> {
    let now = time::now();
    let checked = RequestChecker::new(authorities.clone())
        .check(request_bytes, now)
        .map_err(|e| anyhow!("the phone refuses the request ({e})"))?;
    let request = checked.request();
    let names: Vec<&str> = request.claims.iter().map(|c| c.as_str()).collect();
    let who = checked.verifier().map_or_else(
        || format!("{:?} (not verified)", request.verifier_name),
        |v| {
            format!(
                "{:?} (verified by authority {})",
                v.name(),
                hex::encode(v.authority_kid())
            )
        },
    );
    line(
        "phone shows",
        format!("{who} asks for {}", names.join(", ")),
    )?;
    let (bytes, pick) = phone
        .batch
        .borrow_mut()
        .answer(&request.claims, &checked, now)
        .map_err(|e| anyhow!("presenting: {e}"))?;
    line("credential", used(phone, pick))?;
    files::write_atomic(&dir.join(name), &bytes, Mode::Public, "presentation")?;
    line(
        "presentation",
        format!("{} bytes, signed by the device key, {}", bytes.len(), name),
    )?;
    Ok((bytes, now))
}

/// Where the demo's server serves the list named `uri`: the server names its lists
/// `https://<its address>/v1/status-lists/N` (spec §5.4: https URIs only) while it answers
/// on plain http on loopback, so the list is fetched from `<server>/v1/status-lists/N`.
fn served_at(server: &str, uri: &str) -> String {
    let path = uri.splitn(4, '/').nth(3).unwrap_or_default();
    format!("{server}/{path}")
}

/// The verifier's check of the answer to its signed request (of SHA-256 `digest`), offline
/// or with the status list fetched from `list` (a URL).
fn check(
    verifier: &Verifier,
    (request, digest): (&PresentationRequest, &[u8; 32]),
    presentation: &[u8],
    list: Option<&str>,
) -> Result<(Outcome, u64)> {
    let now = time::now();
    let ctx = VerifyContext::answering_signed(now, &request.nonce, &request.audience, digest);
    let net = NetArgs::loopback();
    let list = list.map(|source| verify::ListArgs {
        source,
        net: &net,
        cache: None,
    });
    let outcome = verify::evaluate(verifier, presentation, &ctx, list.as_ref())?;
    Ok((outcome, now))
}

fn indented_screen(outcome: &Outcome, now: u64, portrait: Option<&Path>) -> Result<()> {
    // The screen is drawn by the same code as `mlegit verify`.
    outln!("    ┌─ verifier's screen");
    for l in verify::screen(outcome, now, portrait).lines() {
        outln!("    │ {l}");
    }
    outln!("    └─");
    Ok(())
}

/// The entry of `wallet`'s credential in its status list, fetched from the server now
/// (the whole list: the issuer does not learn whose entry is read), checked.
fn status_of(verifier: &Verifier, server: &str, info: &CredentialInfo) -> Result<ListStatus> {
    let url = served_at(server, &info.status.uri);
    let token = match loopback()
        .status_list(&url, None)
        .map_err(|e| anyhow!("status list: {e}"))?
    {
        mlegit_client::StatusListFetch::Token { token, .. } => token,
        mlegit_client::StatusListFetch::NotModified => return Err(anyhow!("status list: 304")),
    };
    let now = time::now();
    let list = verifier
        .verify_status_list(&token, &StatusListContext::new(now, &info.status.uri))
        .map_err(|e| anyhow!("status list invalid ({e})"))?;
    verifier
        .check_status(&list, &info.status, now)
        .map_err(|e| anyhow!("status list lookup ({e})"))
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<u8> {
    let temporary;
    let dir: PathBuf = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            temporary = tempfile::tempdir().context("creating a temporary directory")?;
            temporary.path().to_path_buf()
        }
    };
    let data = dir.join("server");
    outln!("mlegit demo: a school ID on a phone, from registration to revocation");
    outln!("(spec v5; every step below runs for real against a server on this machine)");

    step(
        1,
        "The issuer starts: a fresh issuer key, a SQLite store, the server on a loopback port",
    )?;
    let report =
        mlegit_server::init(&data).map_err(|e| anyhow!("initialising {}: {e}", data.display()))?;
    let mut admin = mlegit_server::Admin::open(&data)?;
    let school = admin.create_school(SCHOOL)?;
    let token = admin.create_token(school.id)?;
    // The authority registers the cinema: its key, its name, what it may ask for.
    let cinema_key = keys::generate();
    let registered = admin
        .register_verifier(
            VERIFIER,
            AUDIENCE,
            &CINEMA_CLAIMS,
            &cinema_key.public_key(),
            30,
        )
        .map_err(|e| anyhow!("registering the cinema: {e}"))?;
    let cinema = Cinema {
        key: cinema_key,
        certificate: registered.certificate,
    };
    drop(admin);
    let rt = online::runtime()?;
    let listen = "127.0.0.1:0".parse().context("loopback address")?;
    let server = rt
        .block_on(mlegit_server::start(mlegit_server::Config::new(
            &data, listen,
        )))
        .map_err(|e| anyhow!("starting the server: {e}"))?;
    let url = server.url().to_owned();
    line("issuer key id", &report.key_id)?;
    line("SQLite store", data.join("mlegit.sqlite3").display())?;
    line("server", &url)?;
    line("school", format!("{SCHOOL} (API token issued)"))?;
    line(
        "verifier",
        format!(
            "{VERIFIER} registered by authority {} for given_names, age_over_18, portrait ({} bytes of certificate)",
            registered.authority_kid,
            cinema.certificate.len()
        ),
    )?;
    let result = story(&dir, &url, &token.token, &cinema);
    rt.block_on(server.shutdown());
    result?;
    outln!();
    outln!("The story went as told: every check above passed.");
    if args.keep.is_some() {
        outln!("Files kept in {}.", dir.display());
    }
    Ok(EXIT_OK)
}

fn story(dir: &Path, url: &str, token: &str, cinema: &Cinema) -> Result<()> {
    let school = loopback().client(url)?.with_token(token);
    // The phone knows the authority list (here fetched from the issuer once).
    let r = loopback()
        .client(url)?
        .get("/v1/authority-list")?
        .success()
        .map_err(|e| anyhow!("authority list: {e}"))?;
    let authorities =
        TrustList::from_slice(&r.body).map_err(|e| anyhow!("authority list ({e})"))?;
    // The verifier downloads the issuer's trust list once, then verifies offline.
    let trust: TrustList = loopback().client(url)?.trust_list()?;
    files::write_atomic(
        &dir.join("trust.cbor"),
        &trust.to_vec(),
        Mode::Public,
        "trust list",
    )?;
    let verifier = Verifier::new(trust);

    step(2, "A school registers a student, with a photo")?;
    let body = student()?;
    let r = school
        .post_json("/v1/students", &body)?
        .success()
        .map_err(|e| anyhow!("registering the student: {e}"))?
        .json()?;
    let student_id = field(&r, "student_id", "registration")?.to_owned();
    line("student", "Anna Maria Kowalska")?;
    line("born", field(&body, "birth_date", "student")?)?;
    line("PESEL", field(&body, "pesel", "student")?)?;
    line(
        "photo",
        format!(
            "{} bytes JPEG, {}",
            PORTRAIT.len(),
            field(&r, "photo_state", "registration")?
        ),
    )?;
    line("student id", &student_id)?;

    step(
        3,
        "The school hands over the QR code and the one-time activation code",
    )?;
    let activation_path = format!("/v1/students/{student_id}/activations");
    let a = school
        .post_json(&activation_path, &json!({}))?
        .success()?
        .json()?;
    let qr = field(&a, "qr_payload", "activation")?.to_owned();
    let code = field(&a, "code", "activation")?.to_owned();
    out!("{}", crate::display::qr_code(&qr)?);
    line("QR payload", &qr)?;
    line("activation code", &code)?;
    if let Some(t) = a.get("expires_at").and_then(Json::as_u64) {
        line("code valid until", time::show(t))?;
    }

    step(
        4,
        "Phone 1 activates: 32 new device keys, proofs of possession, a batch of single-use credentials",
    )?;
    let phone1 = activate(&qr, &code, &dir.join("phone1-wallet.json"))?;

    step(
        5,
        "The cinema sends a signed presentation request with a fresh nonce and its certificate",
    )?;
    let (request, request_bytes, digest) = new_request(cinema, dir, "request1.cbor")?;
    line("verifier", VERIFIER)?;
    line("audience", AUDIENCE)?;
    line("nonce", hex::encode(&request.nonce))?;
    line("asks for", "given_names, age_over_18, portrait")?;
    line(
        "request",
        format!(
            "{} bytes of CBOR, signed (what the verifier's QR code carries)",
            request_bytes.len()
        ),
    )?;

    step(
        6,
        "Phone 1 discloses given_names, age_over_18 and portrait, nothing else",
    )?;
    let (presentation, _) = present(
        &phone1,
        &authorities,
        &request_bytes,
        dir,
        "presentation1.cbor",
    )?;

    step(
        7,
        "The verifier checks offline: VALID, with the time of presentation to the second",
    )?;
    let (outcome, now) = check(&verifier, (&request, &digest), &presentation, None)?;
    let Outcome::Valid {
        presentation: v, ..
    } = &outcome
    else {
        return Err(anyhow!("the verifier did not show VALID"));
    };
    ensure!(v.claims().len() == 3, "three claims disclosed");
    let portrait = verify::save_portrait(v, &dir.join("portrait.jpg"))?;
    ensure!(portrait.is_some(), "the portrait was disclosed");
    indented_screen(&outcome, now, portrait.as_deref())?;

    step(
        8,
        "The status list: the verifier fetches the whole list, the phone's entry is valid",
    )?;
    let list1 = served_at(url, &phone1.first.status.uri);
    line("status list", &list1)?;
    let (outcome, now) = check(&verifier, (&request, &digest), &presentation, Some(&list1))?;
    ensure!(
        matches!(
            outcome,
            Outcome::Valid {
                status: Some(_),
                ..
            }
        ),
        "status list check valid"
    );
    indented_screen(&outcome, now, portrait.as_deref())?;

    step(
        9,
        "The school revokes the phone's batch: the phone was lost",
    )?;
    let credential_id = hex::encode(&phone1.first.credential_id);
    let r = school
        .post_json(
            &format!("/v1/credentials/{credential_id}/revoke"),
            &json!({"reason": "holder_request"}),
        )?
        .success()
        .map_err(|e| anyhow!("revoking: {e}"))?
        .json()?;
    line("credential id", &credential_id)?;
    line("server says", r)?;

    step(
        10,
        "The list is signed again with the batch's 32 entries flipped: the same check now fails",
    )?;
    let status = status_of(&verifier, url, &phone1.first)?;
    ensure!(status == ListStatus::Invalid, "entry revoked");
    line(
        "status list",
        format!(
            "{} (the reason stays with the school)",
            online::list_words(status)
        ),
    )?;
    let (outcome, now) = check(&verifier, (&request, &digest), &presentation, Some(&list1))?;
    ensure!(
        matches!(outcome, Outcome::Invalid { .. }),
        "INVALID after revocation"
    );
    indented_screen(&outcome, now, None)?;
    let (offline, _) = check(&verifier, (&request, &digest), &presentation, None)?;
    let offline = match offline {
        Outcome::Valid { .. } => "still VALID without a list until exp or max age (spec §14.3)",
        Outcome::Invalid { .. } => "INVALID without a list too",
    };
    line("without the list", offline)?;

    step(
        11,
        "A new phone: the school submits the data again and issues a new code",
    )?;
    school
        .send_json("PUT", &format!("/v1/students/{student_id}"), &body)?
        .success()
        .map_err(|e| anyhow!("submitting the data again: {e}"))?;
    let a = school
        .post_json(&activation_path, &json!({}))?
        .success()?
        .json()?;
    let qr2 = field(&a, "qr_payload", "activation")?.to_owned();
    let code2 = field(&a, "code", "activation")?.to_owned();
    line("QR payload", &qr2)?;
    line("activation code", &code2)?;
    let phone2 = activate(&qr2, &code2, &dir.join("phone2-wallet.json"))?;

    step(12, "Phone 2 presents: VALID, status list included")?;
    let (request2, request2_bytes, digest2) = new_request(cinema, dir, "request2.cbor")?;
    line("nonce", hex::encode(&request2.nonce))?;
    let (presentation2, _) = present(
        &phone2,
        &authorities,
        &request2_bytes,
        dir,
        "presentation2.cbor",
    )?;
    let list2 = served_at(url, &phone2.first.status.uri);
    let (outcome, now) = check(
        &verifier,
        (&request2, &digest2),
        &presentation2,
        Some(&list2),
    )?;
    ensure!(
        matches!(
            outcome,
            Outcome::Valid {
                status: Some(_),
                ..
            }
        ),
        "phone 2 VALID with its list"
    );
    indented_screen(&outcome, now, portrait.as_deref())?;

    online_steps(dir, url, cinema, &phone2, &authorities, &verifier)?;

    step(
        15,
        "One device at a time: phone 1 stays revoked; a third phone supersedes phone 2",
    )?;
    let status1 = status_of(&verifier, url, &phone1.first)?;
    ensure!(status1 == ListStatus::Invalid, "phone 1 stays revoked");
    line("phone 1", online::list_words(status1))?;
    school
        .send_json("PUT", &format!("/v1/students/{student_id}"), &body)?
        .success()?;
    let a = school
        .post_json(&activation_path, &json!({}))?
        .success()?
        .json()?;
    let phone3_qr = field(&a, "qr_payload", "activation")?.to_owned();
    let phone3_code = field(&a, "code", "activation")?.to_owned();
    let (_, phone3, _) =
        activate_batch(&phone3_qr, &phone3_code, 8).map_err(|e| anyhow!("phone 3: {e}"))?;
    let phone3 = phone3
        .credentials()
        .first()
        .map(|w| w.info().clone())
        .ok_or_else(|| anyhow!("phone 3: an empty batch"))?;
    line(
        "phone 3",
        format!(
            "activated with a batch of 8, first credential {}",
            hex::encode(&phone3.credential_id)
        ),
    )?;
    let status2 = status_of(&verifier, url, &phone2.first)?;
    ensure!(status2 == ListStatus::Invalid, "phone 2 superseded");
    line("phone 2", online::list_words(status2))?;
    let status3 = status_of(&verifier, url, &phone3)?;
    ensure!(status3 == ListStatus::Valid, "phone 3 valid");
    line("phone 3", online::list_words(status3))?;
    let (outcome, now) = check(
        &verifier,
        (&request2, &digest2),
        &presentation2,
        Some(&list2),
    )?;
    ensure!(
        matches!(outcome, Outcome::Invalid { .. }),
        "phone 2 INVALID with its list"
    );
    indented_screen(&outcome, now, None)?;
    Ok(())
}

/// Steps 13 and 14: the online presentation through the server's relay (spec §18).
fn online_steps(
    dir: &Path,
    url: &str,
    cinema: &Cinema,
    phone: &Phone,
    authorities: &TrustList,
    verifier: &Verifier,
) -> Result<()> {
    use mlegit::online::{Engagement, ResponseKey, SessionBinding};
    let relay = loopback().client(url)?;

    step(
        13,
        "Online: the cinema shows a six-digit code, the phone types it and shares, end-to-end encrypted",
    )?;
    let key = ResponseKey::generate(&mut rand::rng());
    let (request, bytes, digest) =
        new_request_with(cinema, dir, "request3.cbor", Some(key.public_key().clone()))?;
    let session = relay
        .create_session(&bytes)
        .map_err(|e| anyhow!("the relay refused the session: {e}"))?;
    line(
        "cinema shows",
        format!(
            "code {} {} (session of {} s, response key {})",
            &session.code[..3],
            &session.code[3..],
            mlegit_server::relay::SESSION_LIFETIME,
            hex::encode(&key.key_digest()[..8])
        ),
    )?;
    let fetched = relay
        .lookup_code(&session.code)
        .map_err(|e| anyhow!("looking the code up: {e}"))?;
    ensure!(
        fetched.request == bytes,
        "the relay gave the request as made"
    );
    let shared = share(phone, authorities, url, &fetched, None)?;
    let received = relay
        .receive_response(&session, 5)?
        .ok_or_else(|| anyhow!("no answer reached the cinema"))?;
    ensure!(
        received == shared,
        "the relay passed the ciphertext on as sealed"
    );
    let binding = SessionBinding {
        relay_origin: url,
        session_id: &session.session_id,
        request_digest: &digest,
    };
    let presentation = key
        .open(&received, &binding)
        .map_err(|e| anyhow!("the cinema cannot open the answer ({e})"))?;
    let (outcome, now) = check(verifier, (&request, &digest), &presentation, None)?;
    ensure!(matches!(outcome, Outcome::Valid { .. }), "VALID online");
    indented_screen(&outcome, now, None)?;
    ensure!(
        relay.fetch_session(&session.session_id).is_err(),
        "the session ended on delivery"
    );
    line(
        "relay",
        "saw the request and ciphertext only; the session ended on delivery, and the key goes with this step",
    )?;

    step(
        14,
        "A ticket inspector shows a QR code; the phone scans it, checks the key it names, and shares",
    )?;
    // The inspector has no certificate: an unsigned request, shown as not verified; the
    // QR's key digest still tells the phone that the key is the one on the screen (E2).
    let key = ResponseKey::generate(&mut rand::rng());
    let mut nonce = vec![0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let request = PresentationRequest {
        nonce,
        audience: INSPECTOR_AUDIENCE.into(),
        verifier_name: INSPECTOR.into(),
        claims: vec![ClaimName::GivenNames, ClaimName::HolderStatus],
        created_at: time::now(),
        response_key: Some(key.public_key().clone()),
    };
    let bytes = request.to_vec();
    files::write_atomic(&dir.join("request4.cbor"), &bytes, Mode::Public, "request")?;
    let digest: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&bytes).into()
    };
    let session = relay.create_session(&bytes)?;
    let engagement = Engagement {
        relay_origin: url.to_owned(),
        session_id: session.session_id,
        key_digest: key.key_digest(),
    };
    let uri = engagement.to_uri();
    out!("{}", crate::display::qr_code(&uri)?);
    line("QR carries", &uri)?;
    line(
        "",
        "(the demo's relay is plain http on loopback: a real QR names an https relay, spec §18.1, so the phone here takes the session id and key digest from it as scanned)",
    )?;
    let fetched = relay.fetch_session(&engagement.session_id)?;
    let shared = share(
        phone,
        authorities,
        url,
        &fetched,
        Some(&engagement.key_digest),
    )?;
    let received = relay
        .receive_response(&session, 5)?
        .ok_or_else(|| anyhow!("no answer reached the inspector"))?;
    ensure!(received == shared, "the relay passed the ciphertext on");
    // A copy replayed to another session does not open there (spec §18.5).
    let other = SessionBinding {
        relay_origin: url,
        session_id: &[0; 16],
        request_digest: &digest,
    };
    ensure!(
        key.open(&received, &other) == Err(mlegit::Error::ResponseUndecryptable),
        "a replay to another session fails"
    );
    let binding = SessionBinding {
        relay_origin: url,
        session_id: &session.session_id,
        request_digest: &digest,
    };
    let presentation = key.open(&received, &binding)?;
    let now = time::now();
    let ctx = VerifyContext::answering(now, &request.nonce, &request.audience);
    let outcome = verify::evaluate(verifier, &presentation, &ctx, None)?;
    ensure!(matches!(outcome, Outcome::Valid { .. }), "VALID by QR");
    indented_screen(&outcome, now, None)?;
    line("replayed", "to another session: response_undecryptable")?;
    Ok(())
}

/// The phone's side of an online request: check it (and E1–E2), show who asks, answer,
/// seal to the request's response key, post to the relay. Returns the sealed bytes.
fn share(
    phone: &Phone,
    authorities: &TrustList,
    relay_origin: &str,
    fetched: &mlegit_client::FetchedRequest,
    key_digest: Option<&[u8; 16]>,
) -> Result<Vec<u8>> {
    use sha2::Digest as _;
    let now = time::now();
    let checked = RequestChecker::new(authorities.clone())
        .check(&fetched.request, now)
        .map_err(|e| anyhow!("the phone refuses the request ({e})"))?;
    mlegit::online::check_key(&checked, key_digest)
        .map_err(|e| anyhow!("the phone refuses the request ({e})"))?;
    let request = checked.request();
    line(
        "phone shows",
        format!(
            "{} asks for {}",
            crate::commands::who_asks(&checked),
            request
                .claims
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )?;
    let (presentation, pick) = phone
        .batch
        .borrow_mut()
        .answer(&request.claims, &checked, now)
        .map_err(|e| anyhow!("presenting: {e}"))?;
    line("credential", used(phone, pick))?;
    let digest: [u8; 32] = sha2::Sha256::digest(&fetched.request).into();
    let binding = mlegit::online::SessionBinding {
        relay_origin,
        session_id: &fetched.session_id,
        request_digest: &digest,
    };
    let key = request
        .response_key
        .as_ref()
        .ok_or_else(|| anyhow!("no response key"))?;
    let sealed = mlegit::online::seal(key, &binding, &presentation, &mut rand::rng())
        .map_err(|e| anyhow!("sealing: {e}"))?;
    line(
        "phone sends",
        format!(
            "{} bytes sealed with HPKE to the verifier's key ({} bytes of presentation inside)",
            sealed.len(),
            presentation.len()
        ),
    )?;
    loopback()
        .client(relay_origin)?
        .post_response(&fetched.session_id, &sealed)
        .map_err(|e| anyhow!("posting the answer: {e}"))?;
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesel_matches_the_core_rules() {
        for (y, m, d) in [(2007, 11, 22), (1999, 1, 31), (2000, 2, 29), (1890, 5, 1)] {
            let date = jiff::civil::date(y, m, d);
            let p = pesel(date);
            let expected = mlegit::Date::new(y.unsigned_abs(), m.unsigned_abs(), d.unsigned_abs());
            assert_eq!(mlegit::claims::pesel_birth_date(&p), expected, "{p}");
        }
    }

    #[test]
    fn qr_code_is_drawn() {
        let drawing =
            crate::display::qr_code("http://127.0.0.1:1/v1/activations/abc").unwrap_or_default();
        assert!(drawing.lines().count() > 10);
    }
}
