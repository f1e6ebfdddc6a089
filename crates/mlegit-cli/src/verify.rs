//! `mlegit verify`: the verifier's screen, modelled on mWeryfikator (spec §16).
//!
//! VALID or INVALID (green or red on a terminal), the time of presentation to the second in
//! Polish local time, the credential's validity, and the disclosed claims; the portrait goes
//! to a file. `--json` prints the same as one JSON object for scripts.

use core::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::Args;
use mlegit::{ClaimValue, ListStatus, VerifiedPresentation, Verifier, VerifyContext};
use serde_json::{Value as Json, json};

use crate::files::{self, Mode};
use crate::{EXIT_INVALID, EXIT_OK, commands, keys, online, time};

/// Arguments of `mlegit verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The presentation (CBOR bytes); `-` reads standard input.
    presentation: PathBuf,
    /// The trust list (COSE_KeySet) of issuer keys.
    #[arg(long, value_name = "FILE")]
    trust_list: PathBuf,
    /// The request this presentation must answer: its nonce and audience are expected, and
    /// for a signed request its SHA-256 (spec §12.2, P13c).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nonce", "audience"])]
    request: Option<PathBuf>,
    /// The expected nonce (hex), instead of --request.
    #[arg(long, value_name = "HEX")]
    nonce: Option<String>,
    /// The expected audience, instead of --request.
    #[arg(long)]
    audience: Option<String>,
    /// Where to save a disclosed portrait; default: the presentation's name with
    /// `.portrait.jpg`.
    #[arg(long, value_name = "FILE")]
    portrait_out: Option<PathBuf>,
    /// Print one JSON object instead of the screen.
    #[arg(long)]
    json: bool,
    /// The verifier's time instead of the clock (seconds or RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    now: Option<u64>,
    /// Maximum age of a presentation, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = mlegit::DEFAULT_MAX_AGE)]
    max_age: u64,
    /// Clock skew tolerated, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = mlegit::DEFAULT_CLOCK_SKEW)]
    skew: u64,
    /// Also check the credential's entry in its status list (spec §9, §12.4): the token
    /// from a URL, from a FILE (an exported list, offline), or without a value from the
    /// credential's own status URI. Revoked, suspended or an unknown status is INVALID; no
    /// list, or a list that fails its checks (another list, expired, stale), is "could not
    /// check" (exit 2), never VALID. Put it last, or write `--status-list=URL`, so that it
    /// does not take the next argument as its value.
    #[arg(long, value_name = "URL|FILE", num_args = 0..=1, default_missing_value = "")]
    status_list: Option<String>,
    /// Where fetched status lists are kept for their ttl (default:
    /// $XDG_CACHE_HOME/mlegit/status-lists or ~/.cache/mlegit/status-lists).
    #[arg(long, value_name = "DIR", conflicts_with = "no_status_cache")]
    status_cache: Option<PathBuf>,
    /// Fetch the status list every time, keeping nothing.
    #[arg(long)]
    no_status_cache: bool,
    #[command(flatten)]
    net: online::NetArgs,
}

/// Colours for the headline, used only on a terminal and when NO_COLOR is not set.
#[derive(Clone, Copy)]
enum Colour {
    Green,
    Red,
}

fn paint(text: &str, colour: Colour) -> String {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if no_color || !std::io::stdout().is_terminal() {
        return text.to_owned();
    }
    let code = match colour {
        Colour::Green => "1;97;42",
        Colour::Red => "1;97;41",
    };
    format!("\x1b[{code}m {text} \x1b[0m")
}

/// The outcome of a verification, before it is shown.
pub enum Outcome {
    /// Every check passed (and the status list entry, if checked, is valid).
    Valid {
        /// What was disclosed and when.
        presentation: Box<VerifiedPresentation>,
        /// The status list entry, if it was checked.
        status: Option<Box<online::ListCheck>>,
    },
    /// A check failed: the spec's error code, or the list entry, says which.
    Invalid {
        /// The error code (spec §13) or the status in words (`revoked`).
        reason: String,
        /// The presentation, if it passed the offline checks.
        presentation: Option<Box<VerifiedPresentation>>,
        /// The status list entry, if it was checked.
        status: Option<Box<online::ListCheck>>,
    },
}

/// Where `evaluate` gets a status list: the source (URL, file, or empty for the
/// credential's own URI), how to reach it, and the cache directory.
pub struct ListArgs<'a> {
    /// URL, file, or "".
    pub source: &'a str,
    /// How to reach a URL.
    pub net: &'a online::NetArgs,
    /// Where fetched lists are kept.
    pub cache: Option<&'a Path>,
}

/// Verifies `bytes` offline and then, if `status` says where, its credential's entry in
/// its status list (spec §12.2, §12.4). An error means "could not check": no list that
/// passes its checks.
pub fn evaluate(
    verifier: &Verifier,
    bytes: &[u8],
    ctx: &VerifyContext<'_>,
    status: Option<&ListArgs<'_>>,
) -> Result<Outcome> {
    let presentation = match verifier.verify(bytes, ctx) {
        Ok(v) => Box::new(v),
        Err(e) => {
            return Ok(Outcome::Invalid {
                reason: e.code().into(),
                presentation: None,
                status: None,
            });
        }
    };
    let Some(list) = status else {
        return Ok(Outcome::Valid {
            presentation,
            status: None,
        });
    };
    let checked = online::check_status_list(
        verifier,
        &presentation,
        list.source,
        list.net,
        ctx.now,
        list.cache,
    )?;
    let status = match checked {
        Ok(c) => Box::new(c),
        // L12: the list verified but has no such entry: an answer, and not a valid one.
        Err(e) => {
            return Ok(Outcome::Invalid {
                reason: e.code().into(),
                presentation: Some(presentation),
                status: None,
            });
        }
    };
    if status.status == ListStatus::Valid {
        Ok(Outcome::Valid {
            presentation,
            status: Some(status),
        })
    } else {
        Ok(Outcome::Invalid {
            reason: online::list_words(status.status),
            presentation: Some(presentation),
            status: Some(status),
        })
    }
}

/// Verifies the presentation file as `args` say; errors are "could not check".
fn check(args: &VerifyArgs) -> Result<(Outcome, u64)> {
    let trust = keys::read_trust_list(&args.trust_list)?;
    // At most the verifier's max input size + 1 bytes: a longer presentation is then
    // INVALID with input_too_large (step P1), whatever its size or an endless stdin.
    let bytes = files::read_at_most(
        &args.presentation,
        "presentation",
        mlegit::DEFAULT_MAX_INPUT,
    )?;
    let request = args
        .request
        .as_deref()
        .map(commands::read_request)
        .transpose()?;
    let digest = request.as_ref().and_then(|(_, d)| *d);
    let request = request.map(|(r, _)| r);
    let nonce = match (&request, &args.nonce) {
        (Some(r), _) => Some(r.nonce.clone()),
        (None, Some(h)) => Some(hex::decode(h).map_err(|e| anyhow!("--nonce: not hex ({e})"))?),
        (None, None) => None,
    };
    let audience = match (&request, &args.audience) {
        (Some(r), _) => Some(r.audience.clone()),
        (None, a) => a.clone(),
    };
    let now = time::now_or(args.now);
    let verifier = Verifier::new(trust)
        .max_presentation_age(args.max_age)
        .clock_skew(args.skew);
    // A signed request of ours: the presentation must answer exactly it (P13c).
    let ctx = VerifyContext::new(now, nonce.as_deref(), audience.as_deref())
        .with_request_digest(digest.as_ref().map(|d| &d[..]));
    let cache = if args.no_status_cache {
        None
    } else {
        args.status_cache.clone().or_else(online::default_cache)
    };
    let list = args.status_list.as_deref().map(|source| ListArgs {
        source,
        net: &args.net,
        cache: cache.as_deref(),
    });
    Ok((evaluate(&verifier, &bytes, &ctx, list.as_ref())?, now))
}

/// The default portrait file: next to the presentation, `NAME.portrait.jpg`.
fn portrait_path(args: &VerifyArgs) -> PathBuf {
    if let Some(p) = &args.portrait_out {
        return p.clone();
    }
    if args.presentation == Path::new("-") {
        return PathBuf::from("portrait.jpg");
    }
    args.presentation.with_extension("portrait.jpg")
}

fn claim_json(value: &ClaimValue, portrait: Option<&Path>) -> Json {
    match value {
        ClaimValue::Text(t) => json!(t),
        ClaimValue::Date(d) => json!(d.to_string_ymd()),
        ClaimValue::Bool(b) => json!(b),
        ClaimValue::Bytes(b) => json!({
            "bytes": b.len(),
            "file": portrait.map(|p| p.display().to_string()),
        }),
        _ => Json::Null,
    }
}

fn claim_text(value: &ClaimValue, portrait: Option<&Path>) -> String {
    match value {
        ClaimValue::Text(t) => crate::display::visible(t).into_owned(),
        // Dates on the screen the Polish way, as the time is.
        ClaimValue::Date(d) => format!("{:02}-{:02}-{:04}", d.day(), d.month(), d.year()),
        ClaimValue::Bool(true) => "yes".into(),
        ClaimValue::Bool(false) => "no".into(),
        ClaimValue::Bytes(b) => match portrait {
            Some(p) => format!("saved to {} ({} bytes, JPEG)", p.display(), b.len()),
            None => format!("{} bytes", b.len()),
        },
        _ => "(value of an unknown type)".into(),
    }
}

/// Runs `mlegit verify`: 0 VALID, 1 INVALID, 2 could not check.
pub fn run(args: &VerifyArgs) -> Result<u8> {
    let (outcome, now) = match check(args) {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                // Best effort: the error itself, not a failure to print it, is the result.
                use std::io::Write as _;
                let message = format!("{e:#}");
                let _ = writeln!(
                    std::io::stdout(),
                    "{}",
                    json!({"result": "error", "message": message})
                );
            }
            return Err(e);
        }
    };
    // Save the portrait only for a valid presentation.
    let mut portrait_file = None;
    if let Outcome::Valid { presentation, .. } = &outcome {
        let path = portrait_path(args);
        portrait_file = save_portrait(presentation, &path)?;
    }
    let code = match outcome {
        Outcome::Valid { .. } => EXIT_OK,
        Outcome::Invalid { .. } => EXIT_INVALID,
    };
    crate::report(code, || {
        show(args.json, &outcome, now, portrait_file.as_deref())
    })
}

/// Writes the disclosed portrait (if any) to `path`; returns the path if it wrote one.
pub fn save_portrait(v: &VerifiedPresentation, path: &Path) -> Result<Option<PathBuf>> {
    match v.claim(mlegit::ClaimName::Portrait) {
        Some(ClaimValue::Bytes(jpeg)) => {
            files::write_atomic(path, jpeg, Mode::Public, "portrait")?;
            Ok(Some(path.to_path_buf()))
        }
        _ => Ok(None),
    }
}

/// Prints the screen (or the JSON object) for `outcome`.
pub fn show(as_json: bool, outcome: &Outcome, now: u64, portrait: Option<&Path>) -> Result<()> {
    if as_json {
        outln!("{}", to_json(outcome, now, portrait));
    } else {
        out!("{}", screen(outcome, now, portrait));
    }
    Ok(())
}

/// The verifier's screen for `outcome`, as lines of text.
pub fn screen(outcome: &Outcome, now: u64, portrait: Option<&Path>) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Valid {
            presentation,
            status,
        } => {
            let _ = writeln!(out, "{}", paint("VALID", Colour::Green));
            details(&mut out, presentation, status.as_deref(), portrait);
        }
        Outcome::Invalid {
            reason,
            presentation,
            status,
        } => {
            let _ = writeln!(out, "{}", paint("INVALID", Colour::Red));
            let _ = writeln!(out, "  reason           {reason}");
            if let Some(v) = presentation {
                let _ = writeln!(
                    out,
                    "  presented at     {} ({})",
                    time::show(v.presented_at()),
                    time::ZONE
                );
            }
            if let Some(s) = status {
                status_line(&mut out, s);
            }
            let _ = writeln!(
                out,
                "  checked at       {} ({})",
                time::show(now),
                time::ZONE
            );
        }
    }
    out
}

fn status_line(out: &mut String, s: &online::ListCheck) {
    let _ = writeln!(
        out,
        "  status           {}, list of {}",
        online::list_words(s.status),
        time::show(s.issued_at)
    );
}

fn details(
    out: &mut String,
    v: &VerifiedPresentation,
    status: Option<&online::ListCheck>,
    portrait: Option<&Path>,
) {
    let _ = writeln!(
        out,
        "  presented at     {} ({})",
        time::show(v.presented_at()),
        time::ZONE
    );
    let _ = writeln!(
        out,
        "  credential       valid from {} to {}",
        time::show(v.not_before()),
        time::show(v.expires())
    );
    let _ = writeln!(out, "  issuer key id    {}", hex::encode(v.issuer_kid()));
    if let (Some(nonce), Some(audience)) = (&v.nonce(), &v.audience()) {
        let _ = writeln!(
            out,
            "  answers request  nonce {}, audience {}",
            hex::encode(nonce),
            crate::display::visible(audience)
        );
    } else {
        let _ = writeln!(out, "  answers request  none (offline presentation)");
    }
    match status {
        Some(s) => status_line(out, s),
        None => {
            let _ = writeln!(out, "  status           not checked");
        }
    }
    let _ = writeln!(out, "disclosed claims");
    if v.claims().is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (name, value) in v.claims() {
        let _ = writeln!(
            out,
            "  {:<16} {}",
            name.as_str(),
            claim_text(value, portrait)
        );
    }
}

fn status_json(status: Option<&online::ListCheck>) -> Json {
    match status {
        None => Json::Null,
        Some(s) => json!({
            "status": s.status.as_str(),
            "value": s.status.value(),
            "list_uri": s.uri,
            "list_issued_at": s.issued_at,
            "list_issued_at_local": time::show(s.issued_at),
            "source": s.source,
        }),
    }
}

fn to_json(outcome: &Outcome, now: u64, portrait: Option<&Path>) -> Json {
    match outcome {
        Outcome::Valid {
            presentation: v,
            status,
        } => {
            let claims: serde_json::Map<String, Json> = v
                .claims()
                .iter()
                .map(|(n, value)| (n.as_str().to_owned(), claim_json(value, portrait)))
                .collect();
            json!({
                "result": "valid",
                "checked_at": now,
                "presented_at": v.presented_at(),
                "presented_at_local": time::show(v.presented_at()),
                "time_zone": time::ZONE,
                "not_before": v.not_before(),
                "expires": v.expires(),
                "credential_id": hex::encode(v.credential_id()),
                "issuer_kid": hex::encode(v.issuer_kid()),
                "status_uri": v.status().uri,
                "status_idx": v.status().index,
                "nonce": v.nonce().as_ref().map(hex::encode),
                "audience": v.audience(),
                "claims": claims,
                "status_list": status_json(status.as_deref()),
            })
        }
        Outcome::Invalid {
            reason,
            presentation,
            status,
        } => json!({
            "result": "invalid",
            "checked_at": now,
            "reason": reason,
            "presented_at": presentation.as_ref().map(|v| v.presented_at()),
            "status_list": status_json(status.as_deref()),
        }),
    }
}
