//! `mlegit`: keys, issuance, presentation, verification and inspection of mlegit school
//! IDs by hand and in scripts (spec v5, `spec/mlegit.md`), offline and through a relay.
//!
//! Exit codes: 0 success (for `verify`: VALID), 1 the object checked is invalid (`verify`:
//! INVALID; `inspect`: not strict CBOR), 2 could not check (I/O, network, bad arguments).
//! Every error is one line on standard error that names the file or field at fault.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use mlegit::ClaimName;

/// `println!` that gives back an error (a [`StdoutClosed`]) instead of panicking when
/// standard output cannot be written, as when its reader has gone (`mlegit ... | head`).
/// Defined before the modules so that they all see it.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::StdoutClosed)?
    }};
}

/// [`outln!`] without the newline.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err($crate::StdoutClosed)?
    }};
}

/// `eprintln!` that never panics: a message to standard error that cannot be written (its
/// reader gone, as in `mlegit ... 2>&1 | head -1`) is dropped, as there is nobody to tell.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// [`errln!`] without the newline (a prompt).
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod admin;
mod claims_file;
mod commands;
mod demo;
mod display;
mod files;
mod inspect;
mod keys;
mod online;
mod share;
mod time;
mod verify;
mod wallet_file;

/// Exit code: success, or VALID.
pub const EXIT_OK: u8 = 0;
/// Exit code: the presentation (or object) is invalid.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: could not check (I/O, network, bad arguments).
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "mlegit",
    version,
    about = "School IDs presented from a phone (mlegit v5): keys, issuance, presentation, verification",
    after_help = "Exit codes: 0 success / VALID, 1 INVALID, 2 could not check (I/O, network, bad arguments)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a P-256 key pair (issuer, device or verifier) as PKCS#8 PEM and print its key id.
    Keygen(KeygenArgs),
    /// Manage a trust list (the COSE_KeySet of issuer keys a verifier trusts).
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Issue a credential offline from a JSON claims file; writes a wallet file.
    Issue(IssueArgs),
    /// Create a presentation request (the verifier's QR code): fresh nonce, audience, claims;
    /// signed with --verifier-key and --certificate.
    Request(RequestArgs),
    /// Present chosen claims from a wallet, optionally answering a request.
    Present(PresentArgs),
    /// Verify a presentation against a trust list and show the verifier's screen.
    Verify(verify::VerifyArgs),
    /// Show any mlegit object as CBOR diagnostic notation, with field and claim names.
    Inspect(InspectArgs),
    /// Run the reference server (issuance, activation, revocation, status lists, and the
    /// relay of the online presentation).
    Serve(online::ServeArgs),
    /// The phone's side: activate against a server and keep a batch of single-use
    /// credentials; see how many are left; share one with a verifier through a relay.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// The verifier's side of the online presentation: show a QR code and a code, wait
    /// for the phone's encrypted answer, verify it.
    #[command(subcommand)]
    Verifier(VerifierCommand),
    /// The whole story on a fresh server: register, activate, present, verify, revoke.
    Demo(demo::DemoArgs),
    /// Administer a server's data directory: schools, API tokens, issuer keys, status lists,
    /// verifiers and the authority list.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Activate from the school's QR payload and code: a batch of new device keys, proofs
    /// of possession, and the single-use credentials stored in a wallet file under a
    /// password.
    Activate(online::ActivateArgs),
    /// How many of the wallet's single-use credentials remain unused, what they hold and
    /// until when (no password needed).
    Status(online::StatusArgs),
    /// Answer a verifier's online request (spec §18): scan its QR (the engagement URI) or
    /// type its six-digit code, see who asks and what, consent, and send the presentation
    /// encrypted to the verifier through the relay.
    Share(share::ShareArgs),
}

#[derive(Subcommand)]
enum VerifierCommand {
    /// Make an online request (signed with --certificate and --verifier-key), show its QR
    /// code and six-digit code, wait for the answer, then show VALID or INVALID with the
    /// time of presentation and the claims; nothing is kept but the portrait file.
    Show(share::ShowArgs),
}

#[derive(Args)]
struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the public key (SPKI PEM) here.
    #[arg(long, value_name = "FILE")]
    public_out: Option<PathBuf>,
    /// Add the key to this trust list as an issuer key (the file is created if missing).
    #[arg(long, value_name = "FILE")]
    trust_list: Option<PathBuf>,
    /// With --trust-list: first issuance time the key is trusted for (seconds or RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = time::parse_time, requires = "trust_list")]
    not_before: Option<u64>,
    /// With --trust-list: last issuance time the key is trusted for (seconds or RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = time::parse_time, requires = "trust_list")]
    not_after: Option<u64>,
    /// Replace an existing key file.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
enum TrustCommand {
    /// Add an issuer's public key to a trust list (created if missing).
    Add(TrustAddArgs),
    /// List the keys of a trust list.
    List {
        /// The trust list file.
        #[arg(long, value_name = "FILE")]
        trust_list: PathBuf,
    },
}

#[derive(Args)]
struct TrustAddArgs {
    /// The trust list file.
    #[arg(long, value_name = "FILE")]
    trust_list: PathBuf,
    /// The issuer key: SPKI public key PEM, or a PKCS#8 private key PEM.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// First issuance time the key is trusted for (seconds or RFC 3339); default 0.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    not_before: Option<u64>,
    /// Last issuance time the key is trusted for; default: no limit.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    not_after: Option<u64>,
}

#[derive(Args)]
struct IssueArgs {
    /// The issuer's private key (PKCS#8 PEM).
    #[arg(long, value_name = "FILE")]
    issuer_key: PathBuf,
    /// The holder's device key: a public key (SPKI PEM), or a private key (PKCS#8 PEM),
    /// which is then stored in the wallet file.
    #[arg(long, value_name = "FILE")]
    device_key: PathBuf,
    /// The student's claims (JSON; see the README).
    #[arg(long, value_name = "FILE")]
    claims: PathBuf,
    /// A JPEG portrait (at most 16 KiB); overrides the claims file's "portrait".
    #[arg(long, value_name = "FILE")]
    portrait: Option<PathBuf>,
    /// Where to write the wallet file (JSON, mode 0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The URI of the status list that holds the credential's status (an `https://` URI
    /// of at most 256 bytes: the list token's `sub`, spec §5.4).
    #[arg(
        long,
        value_name = "URI",
        default_value = "https://issuer.example/status"
    )]
    status_uri: String,
    /// The credential's entry (`idx`) in that status list.
    #[arg(long, value_name = "N", default_value_t = 0)]
    status_index: u64,
    /// Not valid before (seconds or RFC 3339); default: the issuance time.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    valid_from: Option<u64>,
    /// Not valid after (seconds or RFC 3339); default: --days after --valid-from.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time, conflicts_with = "days")]
    valid_until: Option<u64>,
    /// Validity in days from --valid-from.
    #[arg(long, value_name = "N", default_value_t = 365)]
    days: u64,
    /// The issuance time (iat) instead of the clock (seconds or RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    now: Option<u64>,
}

#[derive(Args)]
struct RequestArgs {
    /// The verifier's identifier the presentation is bound to (for example a host name);
    /// with --certificate, default: the certificate's.
    #[arg(long, required_unless_present = "certificate")]
    audience: Option<String>,
    /// The name the student's phone shows; with --certificate, default: the certificate's
    /// (without one it is not authenticated: spec §14.11).
    #[arg(long, required_unless_present = "certificate")]
    verifier_name: Option<String>,
    /// Sign the request with this verifier key (PKCS#8 PEM): spec §7.5; needs
    /// --certificate.
    #[arg(long, value_name = "FILE", requires = "certificate")]
    verifier_key: Option<PathBuf>,
    /// The verifier certificate (spec §7.4) the signed request carries; needs
    /// --verifier-key.
    #[arg(long, value_name = "FILE", requires = "verifier_key")]
    certificate: Option<PathBuf>,
    /// The claims asked for, comma-separated (for example given_names,age_over_18).
    #[arg(long, value_delimiter = ',', value_parser = parse_claim, required = true)]
    claims: Vec<ClaimName>,
    /// Where to write the request (CBOR).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The creation time instead of the clock.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    now: Option<u64>,
}

#[derive(Args)]
struct PresentArgs {
    /// The wallet file.
    #[arg(long, value_name = "FILE")]
    wallet: PathBuf,
    /// The device key, if the wallet file holds none (PKCS#8 PEM).
    #[arg(long, value_name = "FILE")]
    device_key: Option<PathBuf>,
    /// Claims to disclose, comma-separated. With --request, default: every requested claim
    /// the wallet holds; a claim that was not requested is refused.
    #[arg(long, value_delimiter = ',', value_parser = parse_claim)]
    claims: Vec<ClaimName>,
    /// Answer this presentation request (CBOR): its nonce and audience are signed, and a
    /// signed request itself (its SHA-256).
    #[arg(long, value_name = "FILE")]
    request: Option<PathBuf>,
    /// The authority list (COSE_KeySet) that signed requests' certificates are checked
    /// against (spec §7.6); needed for a signed request.
    #[arg(long, value_name = "FILE")]
    authorities: Option<PathBuf>,
    /// Answer a signed request even where it asks for claims its certificate does not
    /// list (the student's explicit override of spec §7.6 A12); they are named on stderr.
    #[arg(long)]
    allow_claims_outside_certificate: bool,
    /// Where to write the presentation (CBOR).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The presentation time instead of the clock.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    now: Option<u64>,
}

#[derive(Args)]
struct InspectArgs {
    /// A credential, presentation, request, status list token, disclosure or trust list
    /// (CBOR bytes or hex text), or a wallet file (JSON). `-` reads standard input.
    file: PathBuf,
}

/// Parses a claim name of schema v1.
pub fn parse_claim(name: &str) -> Result<ClaimName, String> {
    ClaimName::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = ClaimName::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown claim {name:?} (known: {})", known.join(", "))
    })
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Keygen(args) => commands::keygen(&args),
        Command::Trust(TrustCommand::Add(args)) => commands::trust_add(&args),
        Command::Trust(TrustCommand::List { trust_list }) => commands::trust_list(&trust_list),
        Command::Issue(args) => commands::issue(&args),
        Command::Request(args) => commands::request(&args),
        Command::Present(args) => commands::present(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => commands::inspect(&args.file),
        Command::Serve(args) => online::serve(&args),
        Command::Wallet(WalletCommand::Activate(args)) => online::activate(&args),
        Command::Wallet(WalletCommand::Share(args)) => share::share(&args),
        Command::Wallet(WalletCommand::Status(args)) => online::status(&args),
        Command::Verifier(VerifierCommand::Show(args)) => share::show(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Admin(command) => admin::run(&command),
    }
}

/// Standard output could not be written. When its reader went away (a broken pipe) the
/// command stops quietly with exit code 2; any other failure is reported like every error.
#[derive(Debug)]
pub struct StdoutClosed(pub std::io::Error);

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing to standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether `error` is standard output's reader having gone away.
fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<StdoutClosed>()
            .is_some_and(|c| c.0.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `code`, after `print` (a command's report once its work is done) has run; also when
/// standard output's reader has gone meanwhile, since the work stands and the exit code
/// says how it went (`verify`, `present`, `wallet share`).
pub fn report(code: u8, print: impl FnOnce() -> Result<()>) -> Result<u8> {
    match print() {
        Err(e) if is_closed_stdout(&e) => Ok(code),
        r => r.map(|()| code),
    }
}

/// Prints an error as one line.
pub fn print_error(error: &anyhow::Error) {
    let message = format!("{error:#}").replace(['\n', '\r'], " ");
    errln!("mlegit: error: {message}");
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's first paragraph says what was wrong; usage hints follow it.
            let rendered = e.render().to_string();
            let what: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let what = what.join(" ");
            let what = what.strip_prefix("error: ").unwrap_or(&what);
            errln!("mlegit: error: {what} (see mlegit --help)");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // Nobody reads what is left to print: stop without a word (nobody would read it).
        Err(e) if is_closed_stdout(&e) => ExitCode::from(EXIT_ERROR),
        Err(e) => {
            print_error(&e);
            ExitCode::from(EXIT_ERROR)
        }
    }
}
