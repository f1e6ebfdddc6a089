//! The offline subcommands: keygen, trust, issue, request, present, inspect.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use mlegit::cbor::Value;
use mlegit::{
    CheckedRequest, ClaimName, IssueError, Issuer, PresentationRequest, RequestChecker,
    Signer as _, StatusReference, TrustedKey,
};
use rand::Rng as _;

use crate::files::{self, Mode};
use crate::wallet_file::WalletFile;
use crate::{EXIT_INVALID, EXIT_OK, claims_file, inspect, keys, time};

pub(crate) fn keygen(args: &crate::KeygenArgs) -> Result<u8> {
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists (use --force to replace the key)",
            args.out.display()
        );
    }
    let signer = keys::generate();
    let public = signer.public_key();
    let kid = public.key_id();
    keys::write_private(&args.out, &signer, "private key")?;
    outln!(
        "private key: {} (PKCS#8 PEM, mode 0600)",
        args.out.display()
    );
    if let Some(path) = &args.public_out {
        files::write_atomic(
            path,
            keys::public_pem(&public)?.as_bytes(),
            Mode::Public,
            "public key",
        )?;
        outln!("public key:  {} (SPKI PEM)", path.display());
    }
    outln!("key id:      {}", hex::encode(&kid));
    if let Some(path) = &args.trust_list {
        let key = TrustedKey {
            kid,
            key: public,
            not_before: args.not_before.unwrap_or(0),
            not_after: args.not_after.unwrap_or(u64::MAX),
        };
        keys::add_to_trust_list(path, key)?;
        outln!(
            "trust list:  {} (key added as an issuer key)",
            path.display()
        );
    }
    Ok(EXIT_OK)
}

pub(crate) fn trust_add(args: &crate::TrustAddArgs) -> Result<u8> {
    let key = keys::read_public(&args.key, "issuer key")?;
    let kid = key.key_id();
    keys::add_to_trust_list(
        &args.trust_list,
        TrustedKey {
            kid: kid.clone(),
            key,
            not_before: args.not_before.unwrap_or(0),
            not_after: args.not_after.unwrap_or(u64::MAX),
        },
    )?;
    outln!("key id:      {}", hex::encode(&kid));
    outln!("trust list:  {} (key added)", args.trust_list.display());
    Ok(EXIT_OK)
}

fn window_end(seconds: u64) -> String {
    if seconds == u64::MAX {
        "no limit".into()
    } else {
        time::show(seconds)
    }
}

pub(crate) fn trust_list(path: &Path) -> Result<u8> {
    let list = keys::read_trust_list(path)?;
    for key in list.keys() {
        outln!(
            "{}  issuance from {} to {}",
            hex::encode(&key.kid),
            time::show(key.not_before),
            window_end(key.not_after)
        );
    }
    Ok(EXIT_OK)
}

pub(crate) fn issue(args: &crate::IssueArgs) -> Result<u8> {
    let issuer = Issuer::new(keys::read_private(&args.issuer_key, "issuer key")?);
    let device_pem = files::read_text(&args.device_key, "device key", files::MAX_KEY_FILE)?;
    let (device_public, device_private) = if device_pem.contains("PRIVATE KEY") {
        let origin = format!("device key {}", args.device_key.display());
        let signer = keys::parse_private_pem(&device_pem, &origin)?;
        (signer.public_key(), Some(signer))
    } else {
        (keys::read_public(&args.device_key, "device key")?, None)
    };
    let student = claims_file::read(&args.claims, args.portrait.as_deref())?;
    let iat = time::now_or(args.now);
    let nbf = args.valid_from.unwrap_or(iat);
    let exp = match args.valid_until {
        Some(t) => t,
        None => args
            .days
            .checked_mul(86_400)
            .and_then(|d| nbf.checked_add(d))
            .context("--days is too large")?,
    };
    if nbf < iat {
        bail!("--valid-from is before the issuance time (spec §5.6: iat <= nbf)");
    }
    let issued = issuer
        .credential()
        .claims(student)
        .device_key(device_public)
        .validity(mlegit::Validity {
            issued_at: iat,
            not_before: nbf,
            expires: exp,
        })
        .status(StatusReference {
            uri: args.status_uri.clone(),
            index: args.status_index,
        })
        .issue(&mut rand::rng())
        .map_err(|e| match e {
            IssueError::InvalidStatusReference => {
                anyhow!("--status-uri: an https:// URI of 1 to 256 bytes without control characters")
            }
            IssueError::InvalidValidityWindow => {
                anyhow!("--valid-from must be before --valid-until (or --days at least 1)")
            }
            IssueError::CredentialLifetimeTooLong => anyhow!(
                "the credential would be valid for more than {} days after issuance (spec §5.6: exp - iat <= {} s); shorten --days or --valid-until",
                mlegit::MAX_CREDENTIAL_LIFETIME / 86_400,
                mlegit::MAX_CREDENTIAL_LIFETIME
            ),
            IssueError::Signer => {
                anyhow!("issuer key {}: signing failed", args.issuer_key.display())
            }
            e => anyhow!("claims file {}: {e}", args.claims.display()),
        })?;
    // Not while another command works on a wallet at that path (it would write its copy
    // back over this one).
    let _lock = if args.out == Path::new("-") {
        None
    } else {
        files::lock(&args.out, "wallet")?
    };
    // A private device key is kept sealed under a password (spec §19.5's wallet file).
    let password = device_private
        .is_some()
        .then(|| crate::wallet_file::Password::from_env_or_prompt(&args.out, true))
        .transpose()?;
    WalletFile::new(
        &[(issued.credential.clone(), issued.disclosures.clone())],
        device_private.as_slice(),
        password.as_ref(),
    )?
    .write(&args.out)?;
    let names: Vec<&str> = issued
        .disclosures
        .iter()
        .map(|d| d.name().as_str())
        .collect();
    outln!("wallet:        {} (mode 0600)", args.out.display());
    outln!("credential id: {}", hex::encode(&issued.credential_id));
    outln!("issuer key id: {}", hex::encode(issuer.key_id()));
    outln!(
        "valid:         {} to {} ({})",
        time::show(nbf),
        time::show(exp),
        time::ZONE
    );
    outln!("claims:        {}", names.join(", "));
    if device_private.is_none() {
        outln!("device key:    public key only: present with --device-key");
    }
    Ok(EXIT_OK)
}

/// What the verifier's own side reads of its certificate, without checking it (holders
/// check it): name, audience, claims (keys 3, 4, 5 of its payload) and the certified key's
/// coordinates (key 2).
struct CertificateFields {
    name: String,
    audience: String,
    claims: Vec<String>,
    key: (Vec<u8>, Vec<u8>),
}

fn certificate_fields(cert: &[u8]) -> Option<CertificateFields> {
    let Value::Array(items) = mlegit::cbor::decode(cert).ok()? else {
        return None;
    };
    let payload = mlegit::cbor::decode(items.get(2)?.as_bytes()?).ok()?;
    let Value::Map(entries) = payload else {
        return None;
    };
    let get = |k: u64| {
        entries
            .iter()
            .find(|(key, _)| key.as_u64() == Some(k))
            .map(|(_, v)| v)
    };
    let text = |k: u64| get(k).and_then(Value::as_text).map(str::to_owned);
    let claims = match get(5)? {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_text().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let key = match get(2)? {
        Value::Map(k) => {
            let coord = |label: i64| {
                k.iter()
                    .find(|(l, _)| l.as_i64() == Some(label))
                    .and_then(|(_, v)| v.as_bytes())
                    .map(<[u8]>::to_vec)
            };
            (coord(-2)?, coord(-3)?)
        }
        _ => return None,
    };
    Some(CertificateFields {
        name: text(3)?,
        audience: text(4)?,
        claims,
        key,
    })
}

/// A request as a verifier makes it, encoded (and signed, with a certificate).
pub(crate) struct BuiltRequest {
    /// The request's fields.
    pub request: PresentationRequest,
    /// Its bytes: the unsigned request, or the signed one.
    pub bytes: Vec<u8>,
    /// Whether it is signed.
    pub signed: bool,
}

/// What a verifier says it is and asks for: from the command line.
pub(crate) struct RequestSpec<'a> {
    pub certificate: Option<&'a Path>,
    pub verifier_key: Option<&'a Path>,
    pub audience: Option<&'a str>,
    pub verifier_name: Option<&'a str>,
    pub claims: &'a [ClaimName],
    pub now: u64,
    /// The response key of an online request (spec §18.1, key 8).
    pub response_key: Option<mlegit::PublicKey>,
}

/// Makes a request with a fresh nonce, checked with the holder's rules, and signed when a
/// certificate and its key are given (refusing what phones would refuse, A10-A11).
pub(crate) fn build_request(spec: &RequestSpec<'_>) -> Result<BuiltRequest> {
    let mut nonce = vec![0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let certificate = spec
        .certificate
        .map(|p| files::read(p, "verifier certificate", MAX_SIGNED_REQUEST_LEN))
        .transpose()?;
    let fields = certificate
        .as_deref()
        .map(|c| {
            certificate_fields(c)
                .ok_or_else(|| anyhow!("--certificate: not a verifier certificate"))
        })
        .transpose()?;
    let (cert_name, cert_audience) = match &fields {
        Some(f) => (Some(f.name.clone()), Some(f.audience.clone())),
        None => (None, None),
    };
    let pick = |given: Option<&str>, cert: Option<String>, what: &str| {
        given
            .map(str::to_owned)
            .or(cert)
            .ok_or_else(|| anyhow!("--{what} is required without --certificate"))
    };
    let request = PresentationRequest {
        nonce,
        audience: pick(spec.audience, cert_audience, "audience")?,
        verifier_name: pick(spec.verifier_name, cert_name, "verifier-name")?,
        claims: spec.claims.to_vec(),
        created_at: spec.now,
        response_key: spec.response_key.clone(),
    };
    // Check what we wrote with the holder's rules (R1–R5), so that a bad argument is
    // reported here and not on the phone.
    PresentationRequest::from_slice(&request.to_vec()).map_err(|e| {
        anyhow!("the request is not valid ({e}): --audience and --verifier-name take 1 to 128 bytes without control characters, --claims 1 to 16 distinct names")
    })?;
    let bytes = match (spec.verifier_key, &certificate) {
        (Some(key), Some(cert)) => {
            let signer = keys::read_private(key, "verifier key")?;
            // What phones would refuse (spec §7.6 A10-A12), refused here first.
            if let Some(f) = &fields {
                let public = signer.public_key();
                if (f.key.0.as_slice(), f.key.1.as_slice()) != (&public.x()[..], &public.y()[..]) {
                    bail!("--verifier-key: not the key --certificate certifies");
                }
                if f.audience != request.audience || f.name != request.verifier_name {
                    bail!(
                        "the certificate is for {:?} as {:?}: --audience and --verifier-name must be those",
                        f.name,
                        f.audience
                    );
                }
                // Phones refuse these (claim_not_allowed) unless the student overrides:
                // said, not refused, so that such a request can be made on purpose.
                for c in request
                    .claims
                    .iter()
                    .filter(|c| !f.claims.iter().any(|n| n == c.as_str()))
                {
                    errln!(
                        "mlegit: warning: --claims: {c} is not among the certificate's claims ({}): phones will refuse the request (claim_not_allowed)",
                        f.claims.join(", ")
                    );
                }
            }
            let signed = request
                .sign(&signer, cert)
                .map_err(|_| anyhow!("signing the request failed"))?;
            if signed.len() > MAX_SIGNED_REQUEST_LEN {
                bail!(
                    "the signed request is {} bytes, over 2048 (spec §7.6 A1)",
                    signed.len()
                );
            }
            signed
        }
        _ => request.to_vec(),
    };
    Ok(BuiltRequest {
        request,
        bytes,
        signed: certificate.is_some(),
    })
}

pub(crate) fn request(args: &crate::RequestArgs) -> Result<u8> {
    let BuiltRequest {
        request,
        bytes,
        signed,
    } = build_request(&RequestSpec {
        certificate: args.certificate.as_deref(),
        verifier_key: args.verifier_key.as_deref(),
        audience: args.audience.as_deref(),
        verifier_name: args.verifier_name.as_deref(),
        claims: &args.claims,
        now: time::now_or(args.now),
        response_key: None,
    })?;
    files::write_atomic(&args.out, &bytes, Mode::Public, "request")?;
    if args.out != Path::new("-") {
        let signed = if signed { ", signed" } else { "" };
        outln!(
            "request:  {} ({} bytes{signed})",
            args.out.display(),
            bytes.len()
        );
        outln!("nonce:    {}", hex::encode(&request.nonce));
        outln!("audience: {}", request.audience);
    }
    Ok(EXIT_OK)
}

/// The largest unsigned request (spec §7, step R1).
const MAX_REQUEST_LEN: usize = 1024;
/// The largest signed request (spec §7.6, step A1).
const MAX_SIGNED_REQUEST_LEN: usize = mlegit::MAX_SIGNED_REQUEST_LEN;

/// A request file as the verifier that made it reads it back: the request, and the
/// SHA-256 of its bytes if it is a signed one (the presentation must bind it, P13c).
pub(crate) fn read_request(path: &Path) -> Result<(PresentationRequest, Option<[u8; 32]>)> {
    // The core refuses a request over its cap (steps R1, A1, input_too_large): reading one
    // byte more than the cap is enough for it to say so.
    let bytes = files::read_at_most(path, "request", MAX_SIGNED_REQUEST_LEN)?;
    let signed = bytes.first().is_some_and(|b| b >> 5 == 4);
    let request = if signed {
        PresentationRequest::from_signed_unverified(&bytes)
    } else if bytes.len() > MAX_REQUEST_LEN {
        Err(mlegit::Error::InputTooLarge)
    } else {
        PresentationRequest::from_slice(&bytes)
    }
    .map_err(|e| anyhow!("request {}: invalid ({e})", path.display()))?;
    let digest = signed.then(|| {
        use sha2::Digest as _;
        sha2::Sha256::digest(&bytes).into()
    });
    Ok((request, digest))
}

/// A request file as the holder reads it: checked with the authority list (spec §7.3,
/// §7.6). A signed request without `--authorities` cannot be checked.
fn check_request(args: &crate::PresentArgs, path: &Path, now: u64) -> Result<CheckedRequest> {
    let bytes = files::read_at_most(path, "request", MAX_SIGNED_REQUEST_LEN)?;
    check_request_bytes(
        &bytes,
        args.authorities.as_deref(),
        args.allow_claims_outside_certificate,
        &format!("request {}", path.display()),
        now,
    )
}

/// Request bytes as the holder checks them, with the authority list at `authorities`.
pub(crate) fn check_request_bytes(
    bytes: &[u8],
    authorities: Option<&Path>,
    allow_outside: bool,
    origin: &str,
    now: u64,
) -> Result<CheckedRequest> {
    let authorities = match authorities {
        Some(p) => keys::read_trust_list(p)?,
        None if bytes.first().is_some_and(|b| b >> 5 == 4) => bail!(
            "{origin} is signed: give the authority list to check its certificate with --authorities FILE"
        ),
        None => mlegit::TrustList::new(),
    };
    let checker = RequestChecker::new(authorities).allow_claims_outside_certificate(allow_outside);
    checker.check(bytes, now).map_err(|e| match e {
        mlegit::Error::ClaimNotAllowed => anyhow!(
            "{origin}: asks for claims its verifier certificate does not list (claim_not_allowed); refused (--allow-claims-outside-certificate to answer anyway)"
        ),
        e => anyhow!("{origin}: refused ({e})"),
    })
}

/// The claims to disclose: without a request those given (in registry order, spec §8.2
/// rule 3); with one, those it asks for (narrowed to `given` if any), less those the
/// wallet does not hold, said on stderr.
pub(crate) fn select_claims(
    wallet: &mlegit::Wallet<mlegit::P256Signer>,
    request: Option<&PresentationRequest>,
    given: &[ClaimName],
    origin: &str,
    wallet_path: &Path,
) -> Result<Vec<ClaimName>> {
    let held: Vec<ClaimName> = wallet.claims().collect();
    match (request, given.is_empty()) {
        (None, true) => bail!("--claims is required without --request"),
        (None, false) => {
            let mut chosen = given.to_vec();
            chosen.sort();
            Ok(chosen)
        }
        (Some(r), _) => {
            if let Some(c) = given.iter().find(|c| !r.claims.contains(c)) {
                bail!("--claims: {c} was not requested by {origin}");
            }
            let wanted: Vec<ClaimName> = r
                .claims
                .iter()
                .copied()
                .filter(|c| given.is_empty() || given.contains(c))
                .collect();
            for c in wanted.iter().filter(|c| !held.contains(c)) {
                errln!("mlegit: note: the wallet holds no {c}; it is left out");
            }
            let chosen: Vec<ClaimName> = wanted.into_iter().filter(|c| held.contains(c)).collect();
            if chosen.is_empty() {
                bail!(
                    "wallet {}: holds none of the claims to disclose",
                    wallet_path.display()
                );
            }
            Ok(chosen)
        }
    }
}

/// Who asks, as the holder shows it (spec §7.3, §7.6): the certified name and the
/// authority, or the unsigned request's name marked as not verified.
pub(crate) fn who_asks(c: &CheckedRequest) -> String {
    match c.verifier() {
        Some(v) => format!(
            "\"{}\" (verified by authority {})",
            crate::display::visible(v.name()),
            hex::encode(v.authority_kid())
        ),
        None => format!(
            "\"{}\" (not verified: an unsigned request, anyone can write this name)",
            crate::display::visible(&c.request().verifier_name)
        ),
    }
}

/// Prints on stderr who asks, for what, and any claim answered outside the certificate.
pub(crate) fn tell_who_asks(c: &CheckedRequest) {
    let r = c.request();
    let names = |c: &[ClaimName]| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    errln!(
        "request from {}, audience \"{}\", asking for {}",
        who_asks(c),
        crate::display::visible(&r.audience),
        names(&r.claims)
    );
    if !c.outside_certificate().is_empty() {
        errln!(
            "mlegit: warning: answering anyway for claims the certificate does not list: {}",
            names(c.outside_certificate())
        );
    }
}

/// The wallet file at `path` and its batch, opened with its own device keys (asking for
/// the password) or with the one at `device_key` (a wallet of one credential issued to a
/// public key), under the wallet's lock ([`files::lock`]): hold the lock until the use is
/// recorded, so that no other command picks the same credential meanwhile.
pub(crate) fn open_wallet(
    path: &Path,
    device_key: Option<&Path>,
) -> Result<(
    Option<files::Lock>,
    WalletFile,
    mlegit::Batch<mlegit::P256Signer>,
)> {
    let device_key = device_key
        .map(|p| keys::read_private(p, "device key"))
        .transpose()?;
    let lock = files::lock(path, "wallet")?;
    let file = WalletFile::read(path)?;
    let password = (device_key.is_none() && file.has_keys())
        .then(|| crate::wallet_file::Password::from_env_or_prompt(path, false))
        .transpose()?;
    let batch = file.open(path, password.as_ref(), device_key)?;
    Ok((lock, file, batch))
}

/// After a presentation with `batch`: keeps its usage record in the file, and tells the
/// student what the next presentation will be like (spec §19.5). A reuse is told here
/// unless `reuse_told` (`wallet share` warns before the student consents).
pub(crate) fn record_use(
    path: &Path,
    mut file: WalletFile,
    batch: &mlegit::Batch<mlegit::P256Signer>,
    pick: mlegit::Pick,
    reuse_told: bool,
) -> Result<()> {
    file.record(batch);
    file.write(path)?;
    let total = batch.credentials().len();
    match pick {
        // Told before the student consented: once is enough.
        mlegit::Pick::Reused(_) if reuse_told => {}
        mlegit::Pick::Reused(i) => errln!(
            "mlegit: warning: every credential of wallet {} was shown before; this \
             presentation used credential {} again and can be linked to the earlier ones \
             made with it. Ask the school for a new activation code for a new batch.",
            path.display(),
            i + 1
        ),
        _ if batch.running_low() => errln!(
            "mlegit: note: {} of {total} credentials left unused in wallet {}: ask the \
             school for a new activation code soon",
            batch.unused(),
            path.display()
        ),
        _ => {}
    }
    Ok(())
}

pub(crate) fn present(args: &crate::PresentArgs) -> Result<u8> {
    let (_lock, file, mut batch) = open_wallet(&args.wallet, args.device_key.as_deref())?;
    let wallet = batch
        .credentials()
        .first()
        .ok_or_else(|| anyhow!("wallet {}: no credential", args.wallet.display()))?;
    let now = time::now_or(args.now);
    let checked = args
        .request
        .as_deref()
        .map(|p| check_request(args, p, now))
        .transpose()?;
    let origin = args
        .request
        .as_deref()
        .unwrap_or(Path::new("-"))
        .display()
        .to_string();
    let selection = select_claims(
        wallet,
        checked.as_ref().map(CheckedRequest::request),
        &args.claims,
        &format!("request {origin}"),
        &args.wallet,
    )?;
    if let Some(c) = &checked {
        tell_who_asks(c);
    }
    let (bytes, pick) = match &checked {
        Some(c) => batch.answer(&selection, c, now),
        None => batch.present(&selection, None, now),
    }
    .map_err(|e| anyhow!("wallet {}: {e}", args.wallet.display()))?;
    // Recorded before the presentation is written: a credential that may have been shown
    // counts as shown, even if writing the presentation fails.
    record_use(&args.wallet, file, &batch, pick, false)?;
    files::write_atomic(&args.out, &bytes, Mode::Public, "presentation")?;
    if args.out == Path::new("-") {
        return Ok(EXIT_OK);
    }
    crate::report(EXIT_OK, || {
        let names: Vec<&str> = selection.iter().map(|c| c.as_str()).collect();
        outln!(
            "presentation: {} ({} bytes)",
            args.out.display(),
            bytes.len()
        );
        outln!("disclosed:    {}", names.join(", "));
        outln!("presented at: {} ({})", time::show(now), time::ZONE);
        outln!(
            "credential:   {} of {} ({}), {} unused",
            pick.index() + 1,
            batch.credentials().len(),
            match pick {
                mlegit::Pick::Fresh(_) => "never shown before",
                mlegit::Pick::Reused(_) => "shown before",
            },
            batch.unused()
        );
        Ok(())
    })
}

/// Hex text (whitespace allowed) to bytes, if the input is hex.
fn from_hex_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = core::str::from_utf8(bytes).ok()?;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    hex::decode(compact).ok()
}

pub(crate) fn inspect(path: &Path) -> Result<u8> {
    // The largest object inspect shows is a wallet file.
    let raw = files::read(path, "input", files::MAX_WALLET_FILE)?;
    let origin = path.display();
    // A wallet file: show each object it holds.
    if raw.first() == Some(&b'{') {
        let text = core::str::from_utf8(&raw).map_err(|_| anyhow!("wallet {origin}: not UTF-8"))?;
        let wallet = WalletFile::parse(text, path)?;
        let mut code = EXIT_OK;
        for (n, c) in wallet.credentials.iter().enumerate() {
            let here = format!("wallet {origin}: credentials[{n}]");
            outln!(
                "/ credentials[{n}], presentations made with it: {} /",
                c.uses
            );
            let credential = hex::decode(&c.credential)
                .map_err(|e| anyhow!("{here}: field credential: not hex ({e})"))?;
            code = code.max(inspect_bytes(
                &credential,
                &format!("{here}: field credential"),
            )?);
            for (i, d) in c.disclosures.iter().enumerate() {
                let field = format!("{here}: field disclosures[{i}]");
                let bytes = hex::decode(d).map_err(|e| anyhow!("{field}: not hex ({e})"))?;
                code = code.max(inspect_bytes(&bytes, &field)?);
            }
        }
        if wallet.has_keys() {
            outln!("/ keys: the device keys, encrypted under the wallet's password (not shown) /");
        }
        return Ok(code);
    }
    let bytes = match mlegit::cbor::decode(&raw) {
        Ok(_) => raw,
        Err(e) => match from_hex_text(&raw) {
            Some(decoded) => decoded,
            None => {
                crate::print_error(&anyhow!("{origin}: not strict CBOR ({e})"));
                return Ok(EXIT_INVALID);
            }
        },
    };
    inspect_bytes(&bytes, &origin.to_string())
}

fn inspect_bytes(bytes: &[u8], origin: &str) -> Result<u8> {
    match mlegit::cbor::decode(bytes) {
        Ok(value) => {
            out!("{}", inspect::diagnostic(&value));
            Ok(EXIT_OK)
        }
        Err(e) => {
            crate::print_error(&anyhow!("{origin}: not strict CBOR ({e})"));
            Ok(EXIT_INVALID)
        }
    }
}
