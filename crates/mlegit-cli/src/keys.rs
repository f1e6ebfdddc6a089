//! P-256 keys as PKCS#8 / SPKI PEM files, key ids, and the trust list file.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use mlegit::{P256Signer, PublicKey, Signer as _, TrustList, TrustedKey};
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};

use crate::files::{self, Mode};

/// A fresh P-256 key from the thread-local CSPRNG (ChaCha seeded by the operating system).
pub fn generate() -> P256Signer {
    P256Signer::generate(&mut rand::rng())
}

/// The PKCS#8 PEM text of a private key.
pub fn private_pem(signer: &P256Signer) -> Result<String> {
    let pem = signer
        .signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow!("encoding the private key as PKCS#8: {e}"))?;
    Ok(pem.as_str().to_owned())
}

/// The SPKI PEM text of a public key.
pub fn public_pem(key: &PublicKey) -> Result<String> {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| anyhow!("encoding the public key as SPKI: {e}"))
}

/// Parses PKCS#8 PEM text; `origin` names where it came from.
pub fn parse_private_pem(pem: &str, origin: &str) -> Result<P256Signer> {
    let key = SigningKey::from_pkcs8_pem(pem.trim())
        .map_err(|e| anyhow!("{origin}: not a P-256 PKCS#8 private key in PEM ({e})"))?;
    Ok(P256Signer::from_signing_key(key))
}

/// Reads a private key file (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`).
pub fn read_private(path: &Path, what: &str) -> Result<P256Signer> {
    let pem = files::read_text(path, what, files::MAX_KEY_FILE)?;
    parse_private_pem(&pem, &format!("{what} {}", path.display()))
}

/// Reads a public key: an SPKI PEM public key, or a PKCS#8 private key whose public half is
/// taken.
pub fn read_public(path: &Path, what: &str) -> Result<PublicKey> {
    let pem = files::read_text(path, what, files::MAX_KEY_FILE)?;
    let origin = format!("{what} {}", path.display());
    if pem.contains("PRIVATE KEY") {
        return Ok(parse_private_pem(&pem, &origin)?.public_key());
    }
    let key = VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| {
        anyhow!("{origin}: not a P-256 public key (SPKI PEM) or private key (PKCS#8 PEM) ({e})")
    })?;
    Ok(PublicKey::from_verifying_key(key))
}

/// Writes a private key, readable by its owner only.
pub fn write_private(path: &Path, signer: &P256Signer, what: &str) -> Result<()> {
    files::write_atomic(path, private_pem(signer)?.as_bytes(), Mode::Private, what)
}

/// Reads a trust list file (the COSE_KeySet bytes of spec §10).
pub fn read_trust_list(path: &Path) -> Result<TrustList> {
    let bytes = files::read(path, "trust list", files::MAX_TRUST_LIST)?;
    TrustList::from_slice(&bytes).map_err(|e| {
        anyhow!(
            "trust list {}: not a valid COSE_KeySet ({e})",
            path.display()
        )
    })
}

/// Adds `key` to the trust list at `path`, creating the file if it does not exist.
pub fn add_to_trust_list(path: &Path, key: TrustedKey) -> Result<()> {
    let mut list = if path.exists() {
        read_trust_list(path)?
    } else {
        TrustList::new()
    };
    let kid = hex::encode(&key.kid);
    if list.find(&key.kid).is_some() {
        bail!("trust list {}: already holds key id {kid}", path.display());
    }
    if key.not_before > key.not_after {
        bail!("--not-before is after --not-after");
    }
    if let Err(e) = list.add(key) {
        bail!("trust list {}: {e}", path.display());
    }
    files::write_atomic(path, &list.to_vec(), Mode::Public, "trust list")
        .context("updating the trust list")
}
