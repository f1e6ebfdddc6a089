//! The subcommands that talk to the reference server: `serve`, `wallet activate`, and the
//! status list check of `verify --status-list` (spec §9, §12.4).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use mlegit::{ListStatus, StatusList, StatusListContext, VerifiedPresentation, Verifier};
use mlegit_client::{Connector, StatusListFetch};
use sha2::{Digest as _, Sha256};

use crate::files::{self, Mode};
use crate::wallet_file::WalletFile;
use crate::{EXIT_OK, keys, time};

/// Arguments of `mlegit serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The server's data directory (server secret, issuer keys, and the SQLite store
    /// unless --database names another); created and initialised with a fresh issuer
    /// key if it does not exist.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The database: postgresql://USER@HOST:PORT/DB (replicas share one, and one data
    /// directory's secret and keys) or sqlite:PATH. Default: $MLEGIT_DATABASE, else the
    /// data directory's mlegit.sqlite3.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Where to listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The base URL put into QR payloads and status references (default: http://ADDR,
    /// or https://ADDR with --tls-cert).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Create a school and print its API token (shown once).
    #[arg(long, value_name = "NAME")]
    school: Option<String>,
    /// Write the issuer trust list (COSE_KeySet) here for verifiers.
    #[arg(long, value_name = "FILE")]
    trust_list_out: Option<PathBuf>,
    /// Serve the browser verifier page from DIR at /verifier/: index.html, verifier.js,
    /// verifier.css (crates/mlegit-wasm/www), mlegit_wasm.js, mlegit_wasm_bg.wasm
    /// (wasm-bindgen --target web) and mlegit.js (crates/mlegit-wasm/js).
    #[arg(long, value_name = "DIR")]
    verifier_page: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM: PKCS#8, SEC1 or PKCS#1); needs --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most simultaneous connections from one client IP address (behind a reverse proxy
    /// every connection comes from the proxy's address: raise it there).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_ip: u32,
    /// The most credentials one activation issues: the batch a phone may ask for (spec
    /// §19.1), 1 to 64.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=64))]
    max_credentials: u64,
}

/// How the command reaches a server: HTTPS with the built-in roots unless told otherwise.
#[derive(Args, Clone, Debug, Default)]
pub struct NetArgs {
    /// For HTTPS, trust only the CA certificates in this PEM file (an issuer with a
    /// private CA) instead of the built-in Mozilla roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Allow plain http:// URLs: for a server on loopback, or behind a TLS terminating
    /// proxy on a trusted network. Without it, http:// is refused.
    #[arg(long)]
    allow_http: bool,
}

/// Most bytes read from a CA file.
const MAX_CA_FILE: usize = 1024 * 1024;

impl NetArgs {
    /// Plain HTTP allowed, built-in roots: for the demo's own server on loopback.
    pub fn loopback() -> Self {
        Self {
            ca: None,
            allow_http: true,
        }
    }

    /// The connector these options describe.
    pub fn connector(&self) -> Result<Connector> {
        let connector = match &self.ca {
            None => Connector::new(),
            Some(path) => {
                let pem = files::read(path, "CA file", MAX_CA_FILE)?;
                Connector::with_ca_pem(&pem).map_err(|e| anyhow!("--ca {}: {e}", path.display()))?
            }
        };
        Ok(connector.allow_plain_http(self.allow_http))
    }
}

/// The tokio runtime the server runs on (two workers: this machine class has two cores).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Initialises `dir` and `database` unless they already hold a server; returns the new
/// issuer key id.
fn ensure_initialised(dir: &Path, database: &mlegit_server::Database) -> Result<Option<String>> {
    let keys = mlegit_server::FileKeyStore::new(dir);
    match mlegit_server::init_in(dir, database, &mlegit_server::SystemClock, &keys) {
        Ok(report) => Ok(Some(report.key_id)),
        Err(mlegit_server::ServerError::AlreadyInitialised) => Ok(None),
        Err(e) => Err(anyhow!("data directory {}: {e}", dir.display())),
    }
}

/// Runs `mlegit serve` until SIGTERM or Ctrl-C.
pub fn serve(args: &ServeArgs) -> Result<u8> {
    let dir = &args.data_dir;
    let origin = |e: mlegit_server::ServerError| anyhow!("data directory {}: {e}", dir.display());
    let database = crate::admin::database(args.database.as_deref(), dir)?;
    if let Some(kid) = ensure_initialised(dir, &database)? {
        outln!("initialised:  {} (issuer key id {kid})", dir.display());
    }
    let mut admin = mlegit_server::Admin::open_in(
        &database,
        Box::new(mlegit_server::SystemClock),
        Box::new(mlegit_server::FileKeyStore::new(dir)),
    )
    .map_err(origin)?;
    if let Some(name) = &args.school {
        let school = admin.create_school(name).map_err(origin)?;
        let token = admin.create_token(school.id).map_err(origin)?;
        outln!("school:       {} (id {})", school.name, school.id);
        outln!("school token: {} (shown once)", token.token);
    }
    if let Some(path) = &args.trust_list_out {
        let list = admin.trust_list().map_err(origin)?;
        files::write_atomic(path, &list.to_vec(), Mode::Public, "trust list")?;
        outln!("trust list:   {}", path.display());
    }
    drop(admin);
    let mut config = mlegit_server::Config::new(dir, args.listen);
    config.database = Some(database);
    config.public_url.clone_from(&args.public_url);
    config.verifier_page.clone_from(&args.verifier_page);
    config.max_connections_per_ip =
        usize::try_from(args.max_connections_per_ip).unwrap_or(usize::MAX);
    config.max_credentials_per_activation =
        usize::try_from(args.max_credentials).unwrap_or(mlegit::activation::MAX_BATCH);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(mlegit_server::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    mlegit_server::init_logging();
    let rt = runtime()?;
    rt.block_on(async {
        let server = mlegit_server::start(config)
            .await
            .map_err(|e| anyhow!("starting the server on {}: {e}", args.listen))?;
        outln!("listening on: {}", server.url());
        // Scripts wait for this line: push it out now, not at exit.
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        server.run_until_signal().await;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(EXIT_OK)
}

/// Arguments of `mlegit wallet activate`.
#[derive(Args)]
pub struct ActivateArgs {
    /// The QR payload the school handed out (`<server>/v1/activations/<id>`).
    #[arg(long, value_name = "PAYLOAD")]
    qr: String,
    /// The one-time activation code (`1234-5678-9012`; dashes and spaces are ignored).
    #[arg(long)]
    code: String,
    /// The wallet file to create (JSON, mode 0600; its device keys encrypted under a
    /// password from MLEGIT_WALLET_PASSWORD or a prompt).
    #[arg(long, value_name = "FILE")]
    wallet: PathBuf,
    /// How many single-use credentials to ask for (spec §19.1): one device key each, 1 to
    /// 64; the server may allow fewer.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=64))]
    batch: u64,
    /// Replace an existing wallet file.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    net: NetArgs,
}

/// Runs `mlegit wallet activate`: the phone's side of activation.
pub fn activate(args: &ActivateArgs) -> Result<u8> {
    // No other command on this wallet path until the new batch is written.
    let _lock = crate::files::lock(&args.wallet, "wallet")?;
    if args.wallet.exists() && !args.force {
        bail!(
            "wallet {} already exists (use --force to replace it)",
            args.wallet.display()
        );
    }
    let (server, _) =
        mlegit_client::split_qr_payload(&args.qr).map_err(|e| anyhow!("--qr: {e}"))?;
    // The password first: nothing is activated (and the code spent) without one.
    let password = crate::wallet_file::Password::from_env_or_prompt(&args.wallet, true)?;
    let n = usize::try_from(args.batch).unwrap_or(mlegit::activation::MAX_BATCH);
    let (devices, issued) = request_batch(&args.net.connector()?, &args.qr, &args.code, n)
        .map_err(|e| anyhow!("activation at {server}: {e}"))?;
    let mut file = WalletFile::new(&issued, &devices, Some(&password))?;
    file.server = Some(server.to_owned());
    // Spec §5.7 and §19.5: check the batch before storing it.
    file.open(&args.wallet, Some(&password), None)
        .context("the server's credentials failed the holder checks")?;
    file.write(&args.wallet)?;
    outln!("wallet:        {} (mode 0600)", args.wallet.display());
    show_batch(&args.wallet, &file)?;
    Ok(EXIT_OK)
}

/// Credentials as issued: each credential's bytes and its disclosures.
pub(crate) type Issued = Vec<(Vec<u8>, Vec<mlegit::Disclosure>)>;

/// The phone's request of an activation (spec §19): `n` fresh device keys, one proof by
/// each, and the batch as the server answered it (credential i for key i), not yet checked.
pub(crate) fn request_batch(
    connector: &Connector,
    qr: &str,
    code: &str,
    n: usize,
) -> Result<(Vec<mlegit::P256Signer>, Issued), mlegit_client::ClientError> {
    let devices: Vec<mlegit::P256Signer> = (0..n).map(|_| keys::generate()).collect();
    let signers: Vec<&dyn mlegit::Signer> =
        devices.iter().map(|d| d as &dyn mlegit::Signer).collect();
    let issued = connector
        .activate_from_qr(qr, code, &signers)?
        .into_iter()
        .map(|a| (a.credential, a.disclosures))
        .collect();
    Ok((devices, issued))
}

/// Arguments of `mlegit wallet status`.
#[derive(Args)]
pub struct StatusArgs {
    /// The wallet file.
    #[arg(long, value_name = "FILE")]
    wallet: PathBuf,
}

/// Runs `mlegit wallet status`: how many credentials remain unused, what they hold and
/// until when (no password needed: only public parts are read).
pub fn status(args: &StatusArgs) -> Result<u8> {
    let file = WalletFile::read(&args.wallet)?;
    outln!("wallet:        {}", args.wallet.display());
    show_batch(&args.wallet, &file)?;
    Ok(EXIT_OK)
}

/// The batch of a wallet file, as `wallet activate` and `wallet status` show it.
fn show_batch(path: &Path, file: &WalletFile) -> Result<()> {
    let infos = file.infos(path)?;
    let uses = file.uses();
    let total = infos.len();
    let unused = uses.iter().filter(|u| u.count == 0).count();
    outln!(
        "credentials:   {total}, {unused} never shown ({})",
        if file.has_keys() {
            "device keys encrypted under the wallet's password"
        } else {
            "no device key: present with --device-key"
        }
    );
    if let (Some(nbf), Some(exp)) = (
        infos.iter().map(|i| i.nbf).min(),
        infos.iter().map(|i| i.exp).max(),
    ) {
        let same = infos.iter().all(|i| (i.nbf, i.exp) == (nbf, exp));
        if same {
            outln!(
                "valid:         {} to {} ({})",
                time::show(nbf),
                time::show(exp),
                time::ZONE
            );
        } else {
            outln!(
                "valid:         from {} until {} at the latest ({}; the batch's times differ)",
                time::show(nbf),
                time::show(exp),
                time::ZONE
            );
        }
    }
    let mut lists: Vec<&str> = infos.iter().map(|i| i.status.uri.as_str()).collect();
    lists.sort_unstable();
    lists.dedup();
    outln!("status lists:  {}", lists.join(", "));
    let names = file.claim_names(path)?;
    let names: Vec<&str> = names.iter().map(|c| c.as_str()).collect();
    outln!("claims:        {}", names.join(", "));
    if unused == 0 {
        outln!(
            "note:          every credential was shown before: presentations now reuse the \
             least recently shown one and can be linked; ask the school for a new activation code"
        );
    } else if mlegit::wallet::running_low(&uses) {
        outln!(
            "note:          fewer than a quarter left unused: ask the school for a new \
             activation code soon"
        );
    }
    Ok(())
}

/// A credential's entry in a status list that passed its checks (spec §12.4).
pub struct ListCheck {
    /// The entry's status: only `Valid` is valid.
    pub status: ListStatus,
    /// The list's URI (`sub`, the credential's status `uri`).
    pub uri: String,
    /// When the list was signed.
    pub issued_at: u64,
    /// Where the token came from: a URL, a file, or the cache.
    pub source: String,
}

/// Checks a verified presentation's credential against its status list (spec §12.4):
/// the token from `source` (a file; an http(s) URL; or, empty, the credential's own status
/// `uri`), verified as naming the credential's list and fresh at `now`, then the entry.
/// A fetched token is kept in `cache` (one file per list, written atomically) and used
/// again while it passes its checks, that is for its ttl. An error means "could not
/// check": no list that passes L1-L11; a list that passes but has no such entry (L12) is
/// an answer, `Err` only through the lookup's code.
pub fn check_status_list(
    verifier: &Verifier,
    presentation: &VerifiedPresentation,
    source: &str,
    net: &NetArgs,
    now: u64,
    cache: Option<&Path>,
) -> Result<Result<ListCheck, mlegit::Error>> {
    let uri = presentation.status().uri.as_str();
    let ctx = StatusListContext::new(now, uri);
    let is_url =
        source.is_empty() || source.starts_with("https://") || source.starts_with("http://");
    let (list, from) = if is_url {
        let url = if source.is_empty() { uri } else { source };
        fetch_list(verifier, &ctx, url, net, cache)?
    } else {
        let token = files::read_at_most(
            Path::new(source),
            "status list",
            mlegit::status_list::DEFAULT_MAX_TOKEN,
        )?;
        let list = verifier
            .verify_status_list(&token, &ctx)
            .map_err(|e| anyhow!("status list {source}: {e}"))?;
        (list, source.to_owned())
    };
    Ok(verifier
        .check_status(&list, presentation.status(), now)
        .map(|status| ListCheck {
            status,
            uri: list.uri().to_owned(),
            issued_at: list.issued_at(),
            source: from,
        }))
}

/// The list at `url`: from the cache while it passes its checks, else fetched (and cached).
fn fetch_list(
    verifier: &Verifier,
    ctx: &StatusListContext<'_>,
    url: &str,
    net: &NetArgs,
    cache: Option<&Path>,
) -> Result<(StatusList, String)> {
    let cached = cache.map(|dir| {
        let name = hex::encode(&Sha256::digest(format!("{url}\n{}", ctx.expected_uri))[..16]);
        dir.join(format!("{name}.cwt"))
    });
    if let Some(path) = &cached {
        let kept = files::read_at_most(
            path,
            "cached status list",
            mlegit::status_list::DEFAULT_MAX_TOKEN,
        );
        // A missing, unreadable or no longer valid cached token is fetched again.
        if let Ok(Ok(list)) = kept.map(|t| verifier.verify_status_list(&t, ctx)) {
            return Ok((list, format!("{url} (cached)")));
        }
    }
    let token = match net
        .connector()?
        .status_list(url, None)
        .map_err(|e| anyhow!("status list at {url}: {e}"))?
    {
        StatusListFetch::Token { token, .. } => token,
        StatusListFetch::NotModified => bail!("status list at {url}: 304 to a plain request"),
    };
    let list = verifier
        .verify_status_list(&token, ctx)
        .map_err(|e| anyhow!("status list at {url}: {e}"))?;
    if let Some(path) = &cached {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("create the status list cache {}", dir.display()))?;
        }
        files::write_atomic(path, &token, Mode::Public, "cached status list")?;
    }
    Ok((list, url.to_owned()))
}

/// A list entry's status in words: `not revoked`, `revoked`, `suspended`, `unknown (N)`.
pub fn list_words(status: ListStatus) -> String {
    match status {
        ListStatus::Valid => "not revoked".into(),
        ListStatus::Invalid => "revoked".into(),
        ListStatus::Suspended => "suspended".into(),
        other => format!("unknown ({})", other.value()),
    }
}

/// The default status list cache: `$XDG_CACHE_HOME/mlegit/status-lists`, or
/// `$HOME/.cache/mlegit/status-lists`; none if neither is set.
pub fn default_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("mlegit").join("status-lists"))
}
