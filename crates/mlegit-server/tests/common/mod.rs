//! Test harness: a real server on 127.0.0.1 with an ephemeral port and a manual clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mlegit::cbor::Value as Cbor;
use mlegit::{ClaimName, Disclosure};
use mlegit::{CredentialInfo, ListStatus, P256Signer, StatusListContext, TrustList, Verifier};
use mlegit_client::{Client, Connector, HttpResponse};
use mlegit_server::store::{Row, StoreError, Tx};
use mlegit_server::{Admin, Config, Database, FileKeyStore, ManualClock, RunningServer};
use serde_json::{Value, json};

/// The server under test speaks plain HTTP on loopback: allowed explicitly.
pub fn connector() -> Connector {
    Connector::new().allow_plain_http(true)
}

/// A client of `url` (plain HTTP allowed).
pub fn http_client(url: &str) -> Client {
    connector().client(url).unwrap()
}

/// 2026-09-21T14:13:20Z.
pub const T0: u64 = 1_790_000_000;

/// The store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file in the data directory.
    Sqlite,
    /// A database of its own in the PostgreSQL cluster `MLEGIT_TEST_POSTGRES` names.
    Postgres,
}

/// The URL of the PostgreSQL cluster the tests use (`scripts/postgres-cluster.sh start`
/// prints it). Without it, a PostgreSQL test fails under CI and is skipped, saying so,
/// elsewhere.
pub fn postgres_url() -> Option<String> {
    match std::env::var("MLEGIT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "MLEGIT_TEST_POSTGRES is not set: under CI the PostgreSQL tests must run \
             (eval \"$(bash scripts/postgres-cluster.sh start)\")"
        ),
        _ => {
            eprintln!("skipped: MLEGIT_TEST_POSTGRES is not set (scripts/postgres-cluster.sh)");
            None
        }
    }
}

/// Runs each test named on both stores: `store_tests!(a, b)` makes `sqlite::a`,
/// `postgres::a`, ... calling `a(Backend::Sqlite)` and `a(Backend::Postgres)`.
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::common::Backend::Sqlite) } )+
        }
        mod postgres {
            $( #[test] fn $name() {
                if $crate::common::postgres_url().is_some() {
                    super::$name($crate::common::Backend::Postgres)
                }
            } )+
        }
    };
}

/// The database a test on `backend` uses for the data directory `data`: the directory's
/// SQLite file, or a fresh PostgreSQL database (dropped with the returned guard).
pub fn fresh_database(backend: Backend, data: &Path) -> (Database, Option<PgDatabase>) {
    match backend {
        Backend::Sqlite => (
            Database::Sqlite(data.join(mlegit_server::store::DB_FILE)),
            None,
        ),
        Backend::Postgres => {
            let pg = PgDatabase::create();
            (Database::Postgres(pg.url.clone()), Some(pg))
        }
    }
}

/// A database of its own in the test cluster, dropped with it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create() -> Self {
        let admin_url = postgres_url().expect("MLEGIT_TEST_POSTGRES");
        let name = format!("mlegit_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let (base, _) = admin_url.rsplit_once('/').expect("a URL with a database");
        // Over TLS, verified against the test cluster's CA, when the cluster has one
        // (scripts/postgres-cluster.sh): every PostgreSQL test then runs over TLS.
        let url = match std::env::var("MLEGIT_TEST_POSTGRES_CA") {
            Ok(ca) if !ca.is_empty() => format!("{base}/{name}?sslmode=require&sslrootcert={ca}"),
            _ => format!("{base}/{name}"),
        };
        pg_admin(&admin_url, &format!("CREATE DATABASE {name}"));
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        pg_admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one statement outside a transaction (CREATE and DROP DATABASE) on the cluster.
fn pg_admin(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("the PostgreSQL test cluster (MLEGIT_TEST_POSTGRES)");
        let task = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = task.await;
    });
}

pub struct Harness {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    pub url: String,
    pub database: Database,
    /// Dropped after the server (declared after it).
    pub pg: Option<PgDatabase>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn on(backend: Backend) -> Self {
        Self::with_on(backend, |_| {})
    }

    pub fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::with_on(Backend::Sqlite, tweak)
    }

    pub fn with_on(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let data = dir.path().join("data");
        let (database, pg) = fresh_database(backend, &data);
        mlegit_server::init_in(&data, &database, clock.as_ref(), &FileKeyStore::new(&data))
            .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config::new(&data, "127.0.0.1:0".parse().unwrap());
        config.clock = clock.clone();
        config.database = Some(database.clone());
        tweak(&mut config);
        let server = rt.block_on(mlegit_server::start(config)).unwrap();
        let url = server.url().to_owned();
        let h = Self {
            rt,
            server: Some(server),
            clock,
            dir,
            url,
            database,
            pg,
        };
        let engine = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        assert_eq!(h.admin().store().engine(), engine);
        h
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn admin(&self) -> Admin {
        let data = self.data_dir();
        Admin::open_in(
            &self.database,
            Box::new(ClockRef(self.clock.clone())),
            Box::new(FileKeyStore::new(&data)),
        )
        .unwrap()
    }

    /// A school and a client holding its token.
    pub fn school(&self, name: &str) -> Client {
        let mut admin = self.admin();
        let school = admin.create_school(name).unwrap();
        let token = admin.create_token(school.id).unwrap();
        http_client(&self.url).with_token(&token.token)
    }

    pub fn anon(&self) -> Client {
        http_client(&self.url)
    }

    pub fn verifier(&self) -> Verifier {
        let list: TrustList = self.anon().trust_list().unwrap();
        Verifier::new(list)
    }

    /// The server's database, read through the store's own interface (either engine).
    pub fn db(&self) -> Db {
        Db(self.admin())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }
}

struct ClockRef(Arc<ManualClock>);
impl mlegit_server::Clock for ClockRef {
    fn now(&self) -> u64 {
        mlegit_server::Clock::now(self.0.as_ref())
    }
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 120])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

pub fn photo_b64() -> String {
    STANDARD.encode(png(300, 400))
}

/// The registration of Anna Kowalska (PESEL 08231412342, born 2008-03-14).
pub fn claims() -> Value {
    json!({
        "family_name": "Kowalska",
        "given_names": "Anna Maria",
        "document_number": "SL-2026/0042",
        "issue_date": "2026-09-01",
        "expiry_date": "2027-09-30",
        "birth_date": "2008-03-14",
        "pesel": "08231412342",
        "address": "ul. Długa 1, 00-001 Warszawa",
        "school_name": "XIV Liceum Ogólnokształcące",
        "school_address": "ul. Szkolna 2, 00-002 Warszawa",
        "school_id": "RSPO 12345",
    })
}

pub fn claims_with_photo() -> Value {
    let mut c = claims();
    c["photo"] = Value::String(photo_b64());
    c
}

/// Registers a student with an accepted photo; returns the student id.
pub fn register(school: &Client) -> String {
    let r = school
        .post_json("/v1/students", &claims_with_photo())
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json().unwrap()["student_id"].as_str().unwrap().to_owned()
}

/// Creates an activation; returns (activation id, code, qr payload, full JSON).
pub fn activation(school: &Client, student: &str) -> (String, String, String, Value) {
    let r = school
        .post_json(&format!("/v1/students/{student}/activations"), &json!({}))
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json().unwrap();
    (
        v["activation_id"].as_str().unwrap().to_owned(),
        v["code"].as_str().unwrap().to_owned(),
        v["qr_payload"].as_str().unwrap().to_owned(),
        v,
    )
}

/// Posts a batch asking for the printable page; returns its HTML (200 cards with their
/// QR codes are larger than the client's default JSON cap).
pub fn class_page(school: &Client, batch: &Value) -> String {
    let page = school
        .exchange(
            "POST",
            "/v1/activation-batches",
            Some("application/json"),
            &serde_json::to_vec(batch).unwrap(),
            &[("Accept", "text/html")],
            16 << 20,
        )
        .unwrap();
    assert_eq!(page.status, 201, "{}", String::from_utf8_lossy(&page.body));
    assert!(page.content_type.starts_with("text/html"));
    String::from_utf8(page.body).unwrap()
}

pub fn device(seed: u8) -> P256Signer {
    P256Signer::from_scalar(&[seed; 32]).unwrap()
}

/// Asserts a problem response with this status and code, and no personal data.
pub fn assert_problem(r: &HttpResponse, status: u16, code: &str) {
    let body = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, status, "{body}");
    assert_eq!(r.content_type, "application/problem+json", "{body}");
    assert_eq!(r.problem_code(), code, "{body}");
    for secret in ["Kowalska", "08231412342", "Długa"] {
        assert!(!body.contains(secret), "personal data in {body}");
    }
}

/// What of a student's personal data can be found in the raw database files.
pub fn traces(data: &std::path::Path, secrets: &[&[u8]]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(mlegit_server::store::DB_FILE) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for (i, secret) in secrets.iter().enumerate() {
            if bytes.windows(secret.len()).any(|w| w == *secret) {
                found.push(format!("secret {i} in {name}"));
            }
        }
    }
    found
}

/// A piece of the portrait from the middle of the JPEG (its start is a generic header).
pub fn portrait_piece(disclosures: &[Disclosure]) -> Vec<u8> {
    let disclosure = disclosures
        .iter()
        .find(|d| d.name() == ClaimName::Portrait)
        .expect("a portrait disclosure");
    // A disclosure is [salt, name, value] (spec §6.1).
    let Ok(Cbor::Array(parts)) = mlegit::cbor::decode(disclosure.as_bytes()) else {
        panic!("a disclosure is an array");
    };
    let portrait = parts[2].as_bytes().expect("the portrait is a byte string");
    portrait[portrait.len() / 2..portrait.len() / 2 + 48].to_vec()
}

/// The list number of a status reference URI (`https://<host>/v1/status-lists/N`).
pub fn list_number(uri: &str) -> u64 {
    let (prefix, n) = uri.rsplit_once('/').unwrap();
    assert!(prefix.ends_with("/v1/status-lists"), "{uri}");
    n.parse().unwrap()
}

/// The credential's entry in its status list as `anon` serves it: the whole token fetched,
/// verified at `now` as the list the credential names, then looked up.
pub fn list_status(
    anon: &Client,
    verifier: &Verifier,
    info: &CredentialInfo,
    now: u64,
) -> ListStatus {
    let token = anon.status_list(list_number(&info.status.uri)).unwrap();
    let list = verifier
        .verify_status_list(&token, &StatusListContext::new(now, &info.status.uri))
        .unwrap();
    verifier.check_status(&list, &info.status, now).unwrap()
}

/// Reads of the server's database for assertions.
pub struct Db(Admin);

impl Db {
    fn run<T>(&self, f: impl FnOnce(&dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = self.0.store().begin()?;
        let v = f(&*tx)?;
        tx.commit()?;
        Ok(v)
    }

    /// The first row of `sql`, mapped by `f`.
    pub fn query_row<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run(|tx| tx.query_row(sql, &[], f))
    }

    /// Every row of `sql`, mapped by `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        f: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.run(|tx| tx.query_map(sql, &[], f))
    }
}

/// Starts the server binary on `data` and `database` (extra arguments after); returns the
/// child and its URL once it listens.
pub fn spawn_server(data: &Path, database: &Database, extra: &[&str]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlegit-server"));
    command
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"]);
    match database {
        Database::Postgres(url) => {
            command.args(["--database", url]);
        }
        Database::Sqlite(path) => {
            command
                .arg("--database")
                .arg(format!("sqlite:{}", path.display()));
        }
    }
    let mut child = command
        .args(extra)
        .env("RUST_LOG", "warn")
        .env_remove("MLEGIT_DATABASE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining so that the server never blocks on a full pipe.
        // Plain HTTP on the bound address, whatever public URL the server names itself by.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("bound to ") {
                let _ = tx.send(format!("http://{addr}"));
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    (child, url)
}

/// A data directory and a database for server processes: initialised, with a school
/// and its token.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub database: Database,
    pub token: String,
    /// Dropped last.
    pub pg: Option<PgDatabase>,
}

impl Deployment {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (database, pg) = fresh_database(backend, &data);
        let keys = FileKeyStore::new(&data);
        mlegit_server::init_in(&data, &database, &mlegit_server::SystemClock, &keys).unwrap();
        let mut admin = Admin::open_in(
            &database,
            Box::new(mlegit_server::SystemClock),
            Box::new(FileKeyStore::new(&data)),
        )
        .unwrap();
        let school = admin.create_school("LO").unwrap();
        let token = admin.create_token(school.id).unwrap().token;
        Self {
            dir,
            database,
            token,
            pg,
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts one server process on it.
    pub fn spawn(&self, extra: &[&str]) -> (Child, String) {
        spawn_server(&self.data(), &self.database, extra)
    }

    /// Its database, read through the store's interface.
    pub fn db(&self) -> Db {
        Db(Admin::open_in(
            &self.database,
            Box::new(mlegit_server::SystemClock),
            Box::new(FileKeyStore::new(&self.data())),
        )
        .unwrap())
    }
}

/// Posts every `(client, path, body)` at the same moment (a barrier releases the threads
/// together); the responses in the same order.
pub fn post_at_once(posts: Vec<(Client, String, Value)>) -> Vec<HttpResponse> {
    let barrier = Arc::new(std::sync::Barrier::new(posts.len()));
    let handles: Vec<_> = posts
        .into_iter()
        .map(|(client, path, body)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                client.post_json(&path, &body).unwrap()
            })
        })
        .collect();
    handles.into_iter().map(|t| t.join().unwrap()).collect()
}
