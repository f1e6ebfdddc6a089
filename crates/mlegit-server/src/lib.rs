//! # mlegit-server: the reference issuer of mlegit
//!
//! A hyper 1 + tokio server that registers students for schools, hands out one-time
//! activation codes, issues credentials bound to a phone's device key (proof of
//! possession), revokes them, and publishes their status in signed status lists that every
//! verifier fetches whole (the IETF Token Status List, spec §9, §16).
//!
//! State lives in an embedded SQLite database in a data directory (WAL,
//! `synchronous=FULL`, one transaction per state change). Handlers are synchronous
//! functions ([`app::App::handle`]); `http.rs` is the thin async wrapper.
//!
//! ```no_run
//! # async fn run() -> Result<(), mlegit_server::ServerError> {
//! use mlegit_server::{Config, admin};
//! let dir = std::path::Path::new("./mlegit-data");
//! admin::init(dir)?;
//! let mut admin = admin::Admin::open(dir)?;
//! let school = admin.create_school("XIV LO")?;
//! let token = admin.create_token(school.id)?; // show token.token once
//! let server = mlegit_server::start(Config::new(dir, "127.0.0.1:0".parse().unwrap())).await?;
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod admin;
pub mod app;
pub mod clock;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod http;
pub mod keys;
pub mod lists;
pub mod openapi;
pub mod page;
pub mod photo;
pub mod random;
pub mod relay;
pub mod routes;
pub mod store;

use core::net::SocketAddr;
use core::time::Duration;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use admin::{
    Admin, ExportedList, InitReport, KeyInfo, NewToken, RegisteredVerifier, School, TokenInfo,
    VerifierInfo, init, init_in, init_with,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, ServerError};
pub use keys::{FileKeyStore, KeyStore, SharedSigner};
/// The payload each device key signs at activation (`mlegit::activation::payload`, spec
/// §19.2; kept here for the callers that used the server's own copy).
pub use mlegit::activation::payload as proof_payload;
pub use store::Database;

/// How to run the server.
#[derive(Clone)]
pub struct Config {
    /// The data directory (created by [`init`]): the server secret, the file key store,
    /// and the SQLite database unless [`Config::database`] names another.
    pub data_dir: PathBuf,
    /// The database; `None` is the SQLite file `mlegit.sqlite3` in the data directory.
    /// Several replicas on one PostgreSQL database share one data directory's secret and
    /// keys (or a [`KeyStore`] and a copy of the secret).
    pub database: Option<Database>,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The base URL put into QR payloads and credentials' status references;
    /// `http://<bound address>` (`https://` with TLS) if not set.
    pub public_url: Option<String>,
    /// The clock (tests inject a [`ManualClock`]).
    pub clock: Arc<dyn Clock>,
    /// Where ids, tokens, codes, challenges, credential ids and salts, status list entries
    /// and relay sessions come from: [`random::SystemRandom`] by default; tests may give a
    /// [`random::SeededRandom`]. Keys come from the key store, the secret from the OS.
    pub random: Arc<dyn random::Random>,
    /// Where issuer keys live; the file store in the data directory if not set.
    pub key_store: Option<Arc<dyn KeyStore>>,
    /// Time allowed for a request's headers.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
    /// Time in-flight requests get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Most simultaneous connections from one client IP address.
    pub max_connections_per_ip: usize,
    /// Serve HTTPS with this certificate and key; plain HTTP if `None`.
    pub tls: Option<TlsFiles>,
    /// How often the retention sweep runs (it also runs inside every student transaction).
    pub retention_interval: Duration,
    /// The relay's rate limits per client address (spec §18.4, §18.7).
    pub relay_limits: relay::Limits,
    /// A directory holding the browser verifier page (crates/mlegit-wasm/www and the
    /// wasm-bindgen output), served at `/verifier/`; not served if `None`.
    pub verifier_page: Option<PathBuf>,
    /// The most credentials one activation issues: the batch of single-use credentials a
    /// phone asks for (spec §19.1), 1 to `mlegit::activation::MAX_BATCH` (64); 32 by
    /// default. A larger request is refused (`invalid_batch_size`).
    pub max_credentials_per_activation: usize,
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults: system clock, file keys, 10 s header and 30 s body timeouts, 30 s grace,
    /// 1024 connections (64 from one address), plain HTTP, hourly retention sweep.
    pub fn new(data_dir: impl AsRef<Path>, listen: SocketAddr) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_path_buf(),
            database: None,
            listen,
            public_url: None,
            clock: Arc::new(SystemClock),
            random: Arc::new(random::SystemRandom),
            key_store: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_ip: 64,
            tls: None,
            retention_interval: Duration::from_secs(3600),
            relay_limits: relay::Limits::default(),
            verifier_page: None,
            max_credentials_per_activation: mlegit::activation::DEFAULT_BATCH,
        }
    }
}

/// The certificate and key of an HTTPS server, as PEM files.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (`-----BEGIN CERTIFICATE-----` blocks).
    pub cert: PathBuf,
    /// The private key: PKCS#8, SEC1 (EC) or PKCS#1 (RSA) PEM.
    pub key: PathBuf,
}

/// Builds the TLS acceptor (rustls, ring provider: TLS 1.3 and 1.2, HTTP/1.1 by ALPN).
fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, ServerError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_pem = std::fs::read(&files.cert)
        .map_err(|e| ServerError::io("read the TLS certificate file", e))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ServerError::Key("the TLS certificate file is not PEM certificates"))?;
    if chain.is_empty() {
        return Err(ServerError::Key(
            "the TLS certificate file holds no certificate",
        ));
    }
    let key_pem =
        std::fs::read(&files.key).map_err(|e| ServerError::io("read the TLS key file", e))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| ServerError::Key("the TLS key file holds no PEM private key"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| ServerError::Key("TLS protocol versions"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|_| {
            ServerError::Key("the TLS key does not match the certificate, or is unsupported")
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A started server.
pub struct RunningServer {
    addr: SocketAddr,
    url: String,
    app: Arc<app::App>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl core::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`public_url`, or `http://<bound address>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sessions alive in the relay now (spec §18.7).
    pub fn relay_sessions(&self) -> usize {
        self.app.relay().live_sessions()
    }

    /// Runs the retention sweep now; returns how many students' data it deleted.
    pub fn run_retention(&self) -> Result<usize, ApiError> {
        self.app.run_retention()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the grace
    /// period) and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Waits for SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

/// Opens the data directory, binds the listener and starts serving in the background.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let keys: Arc<dyn KeyStore> = config
        .key_store
        .clone()
        .unwrap_or_else(|| Arc::new(FileKeyStore::new(&config.data_dir)));
    let database = config
        .database
        .clone()
        .unwrap_or_else(|| Database::Sqlite(config.data_dir.join(store::DB_FILE)));
    let max_credentials = config.max_credentials_per_activation;
    if !(1..=mlegit::activation::MAX_BATCH).contains(&max_credentials) {
        return Err(ServerError::Invalid(
            "max_credentials_per_activation: 1 to 64",
        ));
    }
    let (data_dir, clock, random) = (
        config.data_dir.clone(),
        Arc::clone(&config.clock),
        Arc::clone(&config.random),
    );
    // Opening blocks (SQLite's file, PostgreSQL's connection and migrations): off the
    // async workers.
    let app = tokio::task::spawn_blocking(move || {
        app::App::open(&data_dir, &database, clock, random, keys)
            .map(|app| app.with_max_credentials(max_credentials))
    })
    .await
    .map_err(|_| ServerError::Invalid("opening the store panicked"))??;
    let app = Arc::new(app);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServerError::io("bind the listen address", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::io("read the bound address", e))?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| {
            let scheme = if tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{addr}")
        })
        .trim_end_matches('/')
        .to_owned();
    app.set_public_url(url.clone());
    app.relay().set_limits(config.relay_limits);
    let (tx, rx) = watch::channel(false);
    let limits = http::Limits {
        verifier_page: config.verifier_page.clone().map(Arc::new),
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
        shutdown_grace: config.shutdown_grace,
        max_connections: config.max_connections.max(1),
        max_connections_per_ip: config.max_connections_per_ip.max(1),
    };
    // Retention runs periodically as well as inside each student transaction.
    let sweeper = {
        let app = Arc::clone(&app);
        let mut rx = rx.clone();
        let every = config.retention_interval.max(Duration::from_secs(1));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {
                        let app = Arc::clone(&app);
                        match tokio::task::spawn_blocking(move || app.run_retention()).await {
                            Ok(Ok(n)) if n > 0 => tracing::info!(deleted = n, "retention sweep"),
                            Ok(Err(e)) => tracing::warn!(code = e.code(), "retention sweep failed"),
                            _ => {}
                        }
                    }
                    _ = rx.changed() => break,
                }
            }
        })
    };
    let task = tokio::spawn({
        let app = Arc::clone(&app);
        async move {
            http::accept_loop(listener, app, limits, tls, rx).await;
            let _ = sweeper.await;
        }
    });
    tracing::info!(addr = %addr, "mlegit server listening");
    Ok(RunningServer {
        addr,
        url,
        app,
        shutdown: tx,
        task,
    })
}

/// Starts the server and runs it until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    start(config).await?.run_until_signal().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// Installs a structured (JSON lines) log subscriber on stderr; `RUST_LOG` filters it.
/// Logs carry request ids, routes, statuses and error codes, never personal data.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
