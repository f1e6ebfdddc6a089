//! `mlegit admin`: the reference server's administration from the same binary (schools,
//! their API tokens, the issuer key), on the data directory, also while the server runs.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};

use crate::{EXIT_OK, time};

/// `mlegit admin ...`.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create and initialise a data directory (database, server secret, first issuer
    /// key, first authority key); `mlegit serve` does the same for a directory that does
    /// not exist.
    Init {
        #[command(flatten)]
        data: DataDir,
    },
    /// Schools: create one, or list them.
    #[command(subcommand)]
    School(SchoolCommand),
    /// A school's API tokens: create one (shown once), list them, revoke one.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The issuer key: rotate it, or list every key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Status lists: export every list's signed token as files.
    #[command(subcommand)]
    StatusList(StatusListCommand),
    /// Verifiers (spec §7.4): register one (its certificate), list them, revoke one.
    #[command(subcommand)]
    Verifier(VerifierCommand),
    /// Write the authority list (COSE_KeySet, spec §10.4) that wallets check verifier
    /// certificates against; the server also serves it at `GET /v1/authority-list`.
    AuthorityList {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
}

/// `mlegit admin verifier ...`.
#[derive(Subcommand)]
pub enum VerifierCommand {
    /// Register a verifier and write its certificate: its key, its name (what phones
    /// show), its audience, and the claims it may ask for, for N days.
    Register {
        /// The name phones show (for example "Kino Muranów").
        name: String,
        /// Its identifier, the audience of its requests (for example https://kino.example).
        #[arg(long)]
        audience: String,
        /// The claims it may ask for, comma-separated (never more than it needs).
        #[arg(long, value_delimiter = ',', value_parser = crate::parse_claim, required = true)]
        claims: Vec<mlegit::ClaimName>,
        /// Its public key (SPKI PEM, from `mlegit keygen --public-out`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// How long the certificate is valid, in days (the spec advises at most 90).
        #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=400))]
        days: u64,
        /// Where to write the certificate (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the registered verifiers.
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Make a new authority key the active one; the old one stays in the authority list,
    /// trusted for the certificates it signed until now (spec §10.4).
    RotateAuthority {
        #[command(flatten)]
        data: DataDir,
    },
    /// Mark a verifier revoked: it is not renewed, and listed so; phones accept its
    /// certificate until it expires (spec §14.11).
    Revoke {
        /// The verifier's id (from `list`).
        id: i64,
        #[command(flatten)]
        data: DataDir,
    },
}

/// `mlegit admin status-list ...`.
#[derive(Subcommand)]
pub enum StatusListCommand {
    /// Write every status list token (signed again first where stale, as the server
    /// would before serving it) into DIR as `N.cwt`, `N` the list's number: the same bytes
    /// the server serves at `/v1/status-lists/N`, for a CDN or for offline validators
    /// (`mlegit verify --status-list DIR/N.cwt`). A token lasts a day and is fresh for 12
    /// hours after its signing, and the server signs again only after 6: export at least
    /// every 6 hours.
    Export {
        /// Where to write the files (created if missing).
        dir: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
}

/// The data directory every admin command works on, and its database.
#[derive(Args)]
pub struct DataDir {
    /// The server's data directory (as given to `mlegit serve --data-dir`).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The server's database, if not the data directory's SQLite file:
    /// postgresql://USER@HOST:PORT/DB or sqlite:PATH. Default: $MLEGIT_DATABASE (the
    /// place for a URL with a password: a command line is visible to every user).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

impl DataDir {
    fn database(&self) -> Result<mlegit_server::Database> {
        database(self.database.as_deref(), &self.data_dir)
    }
}

/// The database a `--database` flag (or `MLEGIT_DATABASE`) names for `dir`.
pub fn database(flag: Option<&str>, dir: &Path) -> Result<mlegit_server::Database> {
    let env = std::env::var("MLEGIT_DATABASE")
        .ok()
        .filter(|v| !v.is_empty());
    mlegit_server::Database::from_arg(flag.or(env.as_deref()), dir).map_err(|e| anyhow!("{e}"))
}

/// `mlegit admin school ...`.
#[derive(Subcommand)]
pub enum SchoolCommand {
    /// Create a school; prints its id.
    Create {
        /// The school's name (1 to 256 bytes, no control characters).
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the schools: id and name.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

/// `mlegit admin token ...`.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a school; prints it once (only its hash is stored).
    Create {
        /// The school's id.
        school_id: i64,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the tokens: id, school, created, active or revoked (never the secret).
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Revoke a token by its id: requests with it fail from now on.
    Revoke {
        /// The token's id (from `create` or `list`).
        token_id: i64,
        #[command(flatten)]
        data: DataDir,
    },
}

/// `mlegit admin key ...`.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Make a new issuer key the active one; the old key stays in the trust list until a
    /// day after the credentials it signed have expired. Every status list is signed by
    /// the new key the next time it is served or exported.
    Rotate {
        #[command(flatten)]
        data: DataDir,
    },
    /// List the issuer keys: key id, created, active or retired.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

fn open(data: &DataDir) -> Result<mlegit_server::Admin> {
    let dir = &data.data_dir;
    mlegit_server::Admin::open_in(
        &data.database()?,
        Box::new(mlegit_server::SystemClock),
        Box::new(mlegit_server::FileKeyStore::new(dir)),
    )
    .map_err(|e| anyhow!("data directory {}: {e}", dir.display()))
}

fn fail(dir: &Path) -> impl Fn(mlegit_server::ServerError) -> anyhow::Error + '_ {
    move |e| anyhow!("data directory {}: {e}", dir.display())
}

/// Runs `mlegit admin ...`.
pub fn run(command: &AdminCommand) -> Result<u8> {
    match command {
        AdminCommand::Init { data } => {
            let dir = &data.data_dir;
            let report = mlegit_server::init_in(
                dir,
                &data.database()?,
                &mlegit_server::SystemClock,
                &mlegit_server::FileKeyStore::new(dir),
            )
            .map_err(fail(dir))?;
            outln!(
                "initialised:  {} (issuer key id {})",
                dir.display(),
                report.key_id
            );
        }
        AdminCommand::School(SchoolCommand::Create { name, data }) => {
            let dir = &data.data_dir;
            let school = open(data)?.create_school(name).map_err(fail(dir))?;
            outln!("school:       {} (id {})", school.name, school.id);
        }
        AdminCommand::School(SchoolCommand::List { data }) => {
            let dir = &data.data_dir;
            for s in open(data)?.schools().map_err(fail(dir))? {
                outln!("{:>4}  {}", s.id, crate::display::visible(&s.name));
            }
        }
        AdminCommand::Token(TokenCommand::Create { school_id, data }) => {
            let dir = &data.data_dir;
            let token = open(data)?.create_token(*school_id).map_err(fail(dir))?;
            outln!("token id:     {}", token.id);
            outln!("school token: {} (shown once)", token.token);
        }
        AdminCommand::Token(TokenCommand::List { data }) => {
            let dir = &data.data_dir;
            for t in open(data)?.tokens().map_err(fail(dir))? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", time::show(at)),
                    None => "active".to_owned(),
                };
                outln!(
                    "{:>4}  school {:<4} created {}  {state}",
                    t.id,
                    t.school_id,
                    time::show(t.created_at)
                );
            }
        }
        AdminCommand::Token(TokenCommand::Revoke { token_id, data }) => {
            let dir = &data.data_dir;
            open(data)?.revoke_token(*token_id).map_err(fail(dir))?;
            outln!("token {token_id} revoked");
        }
        AdminCommand::Key(KeyCommand::Rotate { data }) => {
            let dir = &data.data_dir;
            let kid = open(data)?.rotate_key().map_err(fail(dir))?;
            outln!("issuer key id: {kid} (active)");
        }
        AdminCommand::Verifier(VerifierCommand::Register {
            name,
            audience,
            claims,
            key,
            days,
            out,
            data,
        }) => {
            let public = crate::keys::read_public(key, "verifier key")?;
            let registered = open(data)?
                .register_verifier(name, audience, claims, &public, *days)
                .map_err(fail(&data.data_dir))?;
            crate::files::write_atomic(
                out,
                &registered.certificate,
                crate::files::Mode::Public,
                "verifier certificate",
            )?;
            outln!(
                "verifier:     {} (id {})",
                crate::display::visible(name),
                registered.id
            );
            outln!(
                "certificate:  {} ({} bytes), signed by authority {}",
                out.display(),
                registered.certificate.len(),
                registered.authority_kid
            );
        }
        AdminCommand::Verifier(VerifierCommand::List { data }) => {
            for v in open(data)?.verifiers().map_err(fail(&data.data_dir))? {
                let state = match v.revoked_at {
                    Some(at) => format!("revoked {}", time::show(at)),
                    None => format!("until {}", time::show(v.not_after)),
                };
                outln!(
                    "{:>4}  {}  {}  [{}]  {state}",
                    v.id,
                    crate::display::visible(&v.name),
                    crate::display::visible(&v.audience),
                    v.claims
                );
            }
        }
        AdminCommand::Verifier(VerifierCommand::RotateAuthority { data }) => {
            let kid = open(data)?
                .rotate_authority_key()
                .map_err(fail(&data.data_dir))?;
            outln!("authority key id: {kid} (active)");
        }
        AdminCommand::Verifier(VerifierCommand::Revoke { id, data }) => {
            open(data)?
                .revoke_verifier(*id)
                .map_err(fail(&data.data_dir))?;
            outln!("verifier {id} revoked");
        }
        AdminCommand::AuthorityList { out, data } => {
            let list = open(data)?.authority_list().map_err(fail(&data.data_dir))?;
            crate::files::write_atomic(
                out,
                &list.to_vec(),
                crate::files::Mode::Public,
                "authority list",
            )?;
            outln!(
                "authority list: {} ({} keys)",
                out.display(),
                list.keys().len()
            );
        }
        AdminCommand::StatusList(StatusListCommand::Export { dir, data }) => {
            let lists = open(data)?
                .export_status_lists()
                .map_err(fail(&data.data_dir))?;
            std::fs::create_dir_all(dir).map_err(|e| anyhow!("create {}: {e}", dir.display()))?;
            for list in &lists {
                let (n, uri, token) = (list.number, &list.uri, &list.token);
                let path = dir.join(format!("{n}.cwt"));
                crate::files::write_atomic(
                    &path,
                    token,
                    crate::files::Mode::Public,
                    "status list",
                )?;
                outln!("{}  {} bytes  {}", path.display(), token.len(), uri);
            }
            if lists.is_empty() {
                outln!("no status list yet (none is made before the first credential)");
            }
        }
        AdminCommand::Key(KeyCommand::List { data }) => {
            let dir = &data.data_dir;
            for k in open(data)?.keys().map_err(fail(dir))? {
                let state = match k.retired_at {
                    Some(at) => format!("retired {}", time::show(at)),
                    None => "active".to_owned(),
                };
                outln!(
                    "{}  created {}  {state}",
                    k.key_id,
                    time::show(k.created_at)
                );
            }
        }
    }
    Ok(EXIT_OK)
}
