//! `mlegit-server`: run the reference server on a data directory, with the embedded SQLite
//! database in it or a PostgreSQL database (`--database URL`) that several replicas share.
//!
//! ```text
//! mlegit-server serve [--data DIR] [--database URL] [--listen ADDR] [--public-url URL]
//!                     [--tls-cert FILE --tls-key FILE] [--max-connections-per-ip N]
//!                                                                        (inits DIR if new)
//! mlegit-server init [--data DIR] [--database URL]
//! mlegit-server school create NAME | school list [--data DIR] [--database URL]
//! mlegit-server token create SCHOOL_ID | token list | token revoke TOKEN_ID [...]
//! mlegit-server key rotate | key list [...]
//! ```
//!
//! `--database` takes `postgresql://user@host:port/db` or `sqlite:PATH`; without it, the
//! `MLEGIT_DATABASE` environment variable (the place for a URL with a password: a command
//! line is visible to every user of the machine), else `DIR/mlegit.sqlite3`.
//! `--help` prints the usage and exits 0; a wrong command prints it and exits 1.

use core::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use mlegit_server::{Admin, Config, Database, FileKeyStore, ServerError, SystemClock, TlsFiles};

const USAGE: &str = "usage: mlegit-server serve [--data DIR] [--database URL] [--listen ADDR]
                           [--public-url URL] [--tls-cert FILE --tls-key FILE]
                           [--max-connections-per-ip N]
       mlegit-server init [--data DIR] [--database URL]
       mlegit-server school create NAME [--data DIR]
       mlegit-server school list [--data DIR]
       mlegit-server token create SCHOOL_ID [--data DIR]
       mlegit-server token list [--data DIR]
       mlegit-server token revoke TOKEN_ID [--data DIR]
       mlegit-server key rotate [--data DIR]
       mlegit-server key list [--data DIR]
--database postgresql://USER@HOST:PORT/DB or sqlite:PATH (or MLEGIT_DATABASE);
default DIR/mlegit.sqlite3";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mlegit-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut data = PathBuf::from("mlegit-data");
    let mut database_arg = std::env::var("MLEGIT_DATABASE")
        .ok()
        .filter(|v| !v.is_empty());
    let mut listen: SocketAddr = "127.0.0.1:8080".parse().map_err(|_| "bad default")?;
    let mut public_url = None;
    let (mut tls_cert, mut tls_key) = (None::<PathBuf>, None::<PathBuf>);
    let mut per_ip = None;
    let mut words = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => data = it.next().ok_or("--data needs a directory")?.into(),
            "--database" => database_arg = Some(it.next().ok_or("--database needs a URL")?),
            "--listen" => {
                listen = it
                    .next()
                    .ok_or("--listen needs an address")?
                    .parse()
                    .map_err(|_| "--listen: not an address like 127.0.0.1:8080")?;
            }
            "--public-url" => public_url = Some(it.next().ok_or("--public-url needs a URL")?),
            "--tls-cert" => tls_cert = Some(it.next().ok_or("--tls-cert needs a file")?.into()),
            "--tls-key" => tls_key = Some(it.next().ok_or("--tls-key needs a file")?.into()),
            "--max-connections-per-ip" => {
                let n: usize = it
                    .next()
                    .ok_or("--max-connections-per-ip needs a number")?
                    .parse()
                    .map_err(|_| "--max-connections-per-ip: not a number")?;
                if n == 0 {
                    return Err("--max-connections-per-ip must be at least 1".into());
                }
                per_ip = Some(n);
            }
            _ => words.push(arg),
        }
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let database = Database::from_arg(database_arg.as_deref(), &data).map_err(|e| e.to_string())?;
    let init = || mlegit_server::init_in(&data, &database, &SystemClock, &FileKeyStore::new(&data));
    let admin = || {
        Admin::open_in(
            &database,
            Box::new(SystemClock),
            Box::new(FileKeyStore::new(&data)),
        )
        .map_err(|e| e.to_string())
    };
    let id = |s: &str| s.parse::<i64>().map_err(|_| format!("not a number: {s}"));
    match words.as_slice() {
        ["serve"] | [] => {
            mlegit_server::init_logging();
            match init() {
                Ok(r) => eprintln!("initialised {} (issuer key {})", data.display(), r.key_id),
                Err(ServerError::AlreadyInitialised) => {}
                Err(e) => return Err(e.to_string()),
            }
            let mut config = Config::new(&data, listen);
            config.database = Some(database.clone());
            config.public_url = public_url;
            if let Some(n) = per_ip {
                config.max_connections_per_ip = n;
            }
            config.tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
                (None, None) => None,
                _ => return Err("--tls-cert and --tls-key go together".into()),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            runtime.block_on(async {
                let server = mlegit_server::start(config)
                    .await
                    .map_err(|e| e.to_string())?;
                // The bound address first (a replica behind a balancer has a public URL
                // that is not its own), then the URL it names itself by.
                eprintln!("bound to {}", server.local_addr());
                eprintln!("listening on {}", server.url());
                server.run_until_signal().await;
                Ok(())
            })
        }
        ["init"] => {
            let r = init().map_err(|e| e.to_string())?;
            println!("initialised {} (issuer key {})", data.display(), r.key_id);
            Ok(())
        }
        ["school", "create", name] => {
            let school = admin()?.create_school(name).map_err(|e| e.to_string())?;
            println!("{}", school.id);
            Ok(())
        }
        ["token", "create", school] => {
            let token = admin()?
                .create_token(id(school)?)
                .map_err(|e| e.to_string())?;
            eprintln!("token id {} (shown once; store it now)", token.id);
            println!("{}", token.token);
            Ok(())
        }
        ["token", "revoke", token] => admin()?.revoke_token(id(token)?).map_err(|e| e.to_string()),
        ["school", "list"] => {
            for s in admin()?.schools().map_err(|e| e.to_string())? {
                println!("{}\t{}", s.id, s.name);
            }
            Ok(())
        }
        ["token", "list"] => {
            for t in admin()?.tokens().map_err(|e| e.to_string())? {
                let state = t
                    .revoked_at
                    .map_or_else(|| "active".to_owned(), |at| format!("revoked at {at}"));
                println!(
                    "{}\tschool {}\tcreated at {}\t{state}",
                    t.id, t.school_id, t.created_at
                );
            }
            Ok(())
        }
        ["key", "list"] => {
            for k in admin()?.keys().map_err(|e| e.to_string())? {
                let state = k
                    .retired_at
                    .map_or_else(|| "active".to_owned(), |at| format!("retired at {at}"));
                println!("{}\tcreated at {}\t{state}", k.key_id, k.created_at);
            }
            Ok(())
        }
        ["key", "rotate"] => {
            println!("{}", admin()?.rotate_key().map_err(|e| e.to_string())?);
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
