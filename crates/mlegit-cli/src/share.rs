//! The online presentation (spec §18) from the command line: `mlegit verifier show` is the
//! cinema's or the inspector's screen (a QR code and a six-digit code, then the result),
//! `mlegit wallet share` is the phone that scans the QR or types the code.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use mlegit::online::{Engagement, ResponseKey, SessionBinding};
use mlegit::{ClaimName, Verifier, VerifyContext};
use sha2::{Digest as _, Sha256};

use crate::commands::{self, BuiltRequest, RequestSpec};
use crate::files::{self, Mode};
use crate::verify::{self, ListArgs, Outcome};
use crate::{EXIT_ERROR, EXIT_INVALID, EXIT_OK, keys, online, time};

/// Arguments of `mlegit verifier show`.
#[derive(Args)]
pub struct ShowArgs {
    /// The relay's origin, `https://host[:port]` (the reference server is one).
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The claims to ask for, comma-separated (registry names, spec §11).
    #[arg(long, value_delimiter = ',', required = true, value_parser = crate::parse_claim)]
    claims: Vec<ClaimName>,
    /// The verifier certificate the authority issued (spec §7.4): the request is signed
    /// and the phone shows the certified name as verified. Needs --verifier-key.
    #[arg(long, value_name = "FILE", requires = "verifier_key")]
    certificate: Option<PathBuf>,
    /// The key the certificate certifies (PKCS#8 PEM).
    #[arg(long, value_name = "FILE", requires = "certificate")]
    verifier_key: Option<PathBuf>,
    /// Who asks (an unsigned request: shown as not verified); the certificate's by default.
    #[arg(long)]
    verifier_name: Option<String>,
    /// The verifier's audience; the certificate's by default.
    #[arg(long)]
    audience: Option<String>,
    /// The issuer trust list (COSE_KeySet) the presentation is verified against.
    #[arg(long, value_name = "FILE")]
    trust_list: PathBuf,
    /// Also write the QR code as SVG here.
    #[arg(long, value_name = "FILE")]
    qr_out: Option<PathBuf>,
    /// Where to save a disclosed portrait.
    #[arg(long, value_name = "FILE", default_value = "portrait.jpg")]
    portrait_out: PathBuf,
    /// Give up after this many seconds without an answer (at most the session's 180).
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    wait: u64,
    /// Print the result as one JSON object (the QR, the code and notes still go to stderr).
    #[arg(long)]
    json: bool,
    /// Also check the credential's entry in its status list, as `mlegit verify` does.
    #[arg(long, value_name = "URL|FILE", num_args = 0..=1, default_missing_value = "")]
    status_list: Option<String>,
    /// Maximum age of a presentation, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = mlegit::DEFAULT_MAX_AGE)]
    max_age: u64,
    #[command(flatten)]
    net: online::NetArgs,
}

/// The relay's origin from `--relay`, serialised as spec §18.2 says (RFC 6454): the
/// scheme, the host in lower case, and the port unless it is the scheme's default. Both
/// sides bind the answer to this text, so the phone must name the relay as the verifier
/// does (`localhost` and `127.0.0.1` are two origins).
fn relay_origin(url: &str) -> Result<String> {
    let base = mlegit_client::BaseUrl::parse(url).map_err(|e| anyhow!("--relay: {e}"))?;
    if !base.path.is_empty() {
        bail!("--relay: give the relay's origin, https://host[:port], without a path");
    }
    let (scheme, default_port) = match base.scheme {
        mlegit_client::Scheme::Https => ("https", 443),
        mlegit_client::Scheme::Http => ("http", 80),
    };
    let host = base.host.to_ascii_lowercase();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(if base.port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{}", base.port)
    })
}

/// Runs `mlegit verifier show`: 0 VALID, 1 INVALID, 2 no answer or could not check.
pub fn show(args: &ShowArgs) -> Result<u8> {
    let origin = relay_origin(&args.relay)?;
    let trust = keys::read_trust_list(&args.trust_list)?;
    let connector = args.net.connector()?;
    let relay = connector
        .client(&origin)
        .map_err(|e| anyhow!("--relay {origin}: {e}"))?;
    // One key per session, in memory only: it goes when this command ends.
    let key = ResponseKey::generate(&mut rand::rng());
    let BuiltRequest {
        request,
        bytes,
        signed,
    } = commands::build_request(&RequestSpec {
        certificate: args.certificate.as_deref(),
        verifier_key: args.verifier_key.as_deref(),
        audience: args.audience.as_deref(),
        verifier_name: args.verifier_name.as_deref(),
        claims: &args.claims,
        now: time::now_or(None),
        response_key: Some(key.public_key().clone()),
    })?;
    let session = relay
        .create_session(&bytes)
        .map_err(|e| anyhow!("relay {origin}: {e}"))?;
    let engagement = Engagement {
        relay_origin: origin.clone(),
        session_id: session.session_id,
        key_digest: key.key_digest(),
    };
    // What the screen shows: the QR (an https relay only, spec §18.1) and the code.
    let mut err = std::io::stderr().lock();
    if origin.starts_with("https://") {
        let uri = engagement.to_uri();
        let _ = write!(err, "{}", crate::display::qr_code(&uri)?);
        let _ = writeln!(err, "engagement: {uri}");
        if let Some(path) = &args.qr_out {
            files::write_atomic(
                path,
                crate::display::qr_svg(&uri)?.as_bytes(),
                Mode::Public,
                "QR code",
            )?;
        }
    } else {
        let _ = writeln!(
            err,
            "mlegit: note: a QR code needs an https relay; the code works over http"
        );
    }
    let _ = writeln!(
        err,
        "code:       {} {}",
        &session.code[..3],
        &session.code[3..]
    );
    let _ = writeln!(
        err,
        "asking for: {} ({}), until {}",
        args.claims
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        if signed { "signed" } else { "unsigned" },
        time::show(session.expires_at)
    );
    let _ = err.flush();
    drop(err);

    // Wait for the phone, 25 s a poll, until the session or --wait ends.
    let wait = args.wait.min(relay_lifetime());
    let deadline = Instant::now() + Duration::from_secs(wait);
    let response = loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        if left == 0 {
            let _ = relay.end_session(&session);
            errln!("mlegit: no answer within {wait} s");
            if args.json {
                // As `verify --json` says "could not check": one object on stdout.
                let message = format!("no answer within {wait} s");
                outln!(
                    "{}",
                    serde_json::json!({"result": "error", "message": message})
                );
            }
            return Ok(EXIT_ERROR);
        }
        match relay.receive_response(&session, left.min(25)) {
            Ok(Some(r)) => break r,
            Ok(None) => continue,
            Err(e) => bail!("relay {origin}: {e}"),
        }
    };
    let now = time::now_or(None);
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let binding = SessionBinding {
        relay_origin: &origin,
        session_id: &session.session_id,
        request_digest: &digest,
    };
    let outcome = match key.open(&response, &binding) {
        Err(e) => Outcome::Invalid {
            reason: e.code().into(),
            presentation: None,
            status: None,
        },
        Ok(presentation) => {
            let verifier = Verifier::new(trust).max_presentation_age(args.max_age);
            let ctx = VerifyContext::new(now, Some(&request.nonce), Some(&request.audience))
                .with_request_digest(signed.then_some(&digest[..]));
            let cache = online::default_cache();
            let list = args.status_list.as_deref().map(|source| ListArgs {
                source,
                net: &args.net,
                cache: cache.as_deref(),
            });
            verify::evaluate(&verifier, &presentation, &ctx, list.as_ref())?
        }
    };
    let mut portrait = None;
    if let Outcome::Valid { presentation, .. } = &outcome {
        portrait = verify::save_portrait(presentation, &args.portrait_out)?;
    }
    verify::show(args.json, &outcome, now, portrait.as_deref())?;
    Ok(match outcome {
        Outcome::Valid { .. } => EXIT_OK,
        Outcome::Invalid { .. } => EXIT_INVALID,
    })
}

fn relay_lifetime() -> u64 {
    mlegit_server::relay::SESSION_LIFETIME
}

/// Arguments of `mlegit wallet share`.
#[derive(Args)]
pub struct ShareArgs {
    /// The engagement URI the verifier's QR code carries, or the six-digit code it shows
    /// (then --relay says where to look it up).
    target: String,
    /// The wallet file.
    #[arg(long, value_name = "FILE")]
    wallet: PathBuf,
    /// With a six-digit code: the relay the verifier uses, `https://host[:port]`.
    #[arg(long, value_name = "URL")]
    relay: Option<String>,
    /// The authority list (COSE_KeySet) that signed requests are checked against.
    #[arg(long, value_name = "FILE")]
    authorities: Option<PathBuf>,
    /// Disclose only these of the claims asked for, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = crate::parse_claim)]
    claims: Vec<ClaimName>,
    /// Share without asking (for scripts): the request is still checked and shown.
    #[arg(long)]
    yes: bool,
    /// Answer a signed request whose certificate does not list every claim it asks for
    /// (spec §7.6 A12 override), this once.
    #[arg(long)]
    allow_claims_outside_certificate: bool,
    /// The device key (PKCS#8 PEM), if the wallet file does not hold it.
    #[arg(long, value_name = "FILE")]
    device_key: Option<PathBuf>,
    #[command(flatten)]
    net: online::NetArgs,
}

/// Runs `mlegit wallet share`: 0 shared, 1 declined by the student, 2 refused or could
/// not share (the request failed its checks, the relay or the network failed).
pub fn share(args: &ShareArgs) -> Result<u8> {
    let (_lock, file, mut batch) = commands::open_wallet(&args.wallet, args.device_key.as_deref())?;
    let wallet = batch
        .credentials()
        .first()
        .ok_or_else(|| anyhow!("wallet {}: no credential", args.wallet.display()))?;
    let connector = args.net.connector()?;
    // Asking needs a terminal: known before the code is looked up (and so spent).
    if !args.yes && !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for consent: run it on one, or pass --yes");
    }
    // The code as shown (`553 374`) or typed without the space.
    let digits: String = args.target.chars().filter(|c| !c.is_whitespace()).collect();
    let is_code = digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit());
    // Fetch the request: by the QR's session id, or by the typed code.
    let (origin, key_digest, relay, fetched) = if is_code {
        let Some(url) = &args.relay else {
            bail!("a six-digit code needs --relay URL: the relay the verifier uses");
        };
        let origin = relay_origin(url)?;
        let relay = connector
            .client(&origin)
            .map_err(|e| anyhow!("--relay {origin}: {e}"))?;
        let fetched = relay
            .lookup_code(&digits)
            .map_err(|e| anyhow!("code {digits}: {e}"))?;
        (origin, None, relay, fetched)
    } else {
        if args.relay.is_some() {
            bail!("--relay goes with a six-digit code; an engagement URI names its relay");
        }
        let (engagement, relay, fetched) = connector
            .fetch_engagement(&args.target)
            .map_err(|e| anyhow!("engagement: {e}"))?;
        (
            engagement.relay_origin,
            Some(engagement.key_digest),
            relay,
            fetched,
        )
    };
    let now = time::now_or(None);
    let checked = commands::check_request_bytes(
        &fetched.request,
        args.authorities.as_deref(),
        args.allow_claims_outside_certificate,
        "the request",
        now,
    )?;
    // E1, E2 (spec §18.1): a response key, and the one the QR named.
    mlegit::online::check_key(&checked, key_digest.as_ref()).map_err(|e| match e {
        mlegit::Error::ResponseKeyMismatch => {
            anyhow!("the request: refused ({e}): its response key is not the one the QR code names")
        }
        e => anyhow!("the request: refused ({e}): it has no response key to answer to"),
    })?;
    let selection = commands::select_claims(
        wallet,
        Some(checked.request()),
        &args.claims,
        "the request",
        &args.wallet,
    )?;
    commands::tell_who_asks(&checked);
    let names: Vec<&str> = selection.iter().map(|c| c.as_str()).collect();
    // Spec §19.5: a reuse links, so the student hears it before consenting.
    if let mlegit::Pick::Reused(i) = batch.next() {
        errln!(
            "mlegit: warning: every credential of wallet {} was shown before: this answer \
             would use credential {} again and can be linked to the earlier ones made with \
             it. Ask the school for a new activation code for a new batch.",
            args.wallet.display(),
            i + 1
        );
    }
    if !args.yes && !consent(&commands::who_asks(&checked), &names)? {
        errln!("mlegit: not shared");
        return Ok(EXIT_INVALID);
    }
    let (presentation, pick) = batch
        .answer(&selection, &checked, now)
        .map_err(|e| anyhow!("wallet {}: {e}", args.wallet.display()))?;
    // Recorded before it is sent: a credential that may have reached the verifier counts
    // as shown.
    commands::record_use(&args.wallet, file, &batch, pick, true)?;
    let digest: [u8; 32] = Sha256::digest(&fetched.request).into();
    let binding = SessionBinding {
        relay_origin: &origin,
        session_id: &fetched.session_id,
        request_digest: &digest,
    };
    let response_key = checked
        .request()
        .response_key
        .as_ref()
        .ok_or_else(|| anyhow!("the request has no response key"))?;
    let sealed = mlegit::online::seal(response_key, &binding, &presentation, &mut rand::rng())
        .map_err(|e| anyhow!("encrypting the answer: {e}"))?;
    relay
        .post_response(&fetched.session_id, &sealed)
        .map_err(|e| anyhow!("relay {origin}: {e}"))?;
    crate::report(EXIT_OK, || {
        outln!("shared:       {}", names.join(", "));
        outln!("with:         {}", commands::who_asks(&checked));
        outln!("presented at: {} ({})", time::show(now), time::ZONE);
        Ok(())
    })
}

/// Asks on the terminal; anything but y or yes (or no terminal) is no.
fn consent(who: &str, names: &[&str]) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for consent: run it on one, or pass --yes");
    }
    err!("share {} with {who}? [y/N] ", names.join(", "));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::relay_origin;

    #[test]
    fn a_relay_origin_is_written_one_way() {
        for (given, origin) in [
            ("https://Relay.Example", "https://relay.example"),
            ("https://relay.example:443/", "https://relay.example"),
            ("https://relay.example:8443", "https://relay.example:8443"),
            ("http://127.0.0.1:80", "http://127.0.0.1"),
            ("https://[::1]:9443", "https://[::1]:9443"),
        ] {
            assert_eq!(relay_origin(given).unwrap(), origin, "{given}");
        }
        assert!(relay_origin("https://relay.example/relay").is_err());
    }
}
