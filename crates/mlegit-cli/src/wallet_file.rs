//! The wallet file: what a phone keeps (spec §5.7), as JSON.
//!
//! ```json
//! { "format": "mlegit-wallet-1",
//!   "device_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
//!   "credential": "8458...", "disclosures": ["5820...", "..."] }
//! ```
//!
//! `device_key` (PKCS#8 PEM) is absent when the credential was issued to a public key only;
//! `present` then needs `--device-key`. Byte strings are lowercase hex, stored unchanged.
//! The file is written atomically with mode 0600: it holds a private key.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use mlegit::{Disclosure, P256Signer, Wallet};
use serde::{Deserialize, Serialize};

use crate::files::{self, Mode};
use crate::keys;

/// The `format` value of version 1 of the wallet file.
pub const FORMAT: &str = "mlegit-wallet-1";

/// The wallet file's content.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The device key, PKCS#8 PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// The credential bytes as issued, hex.
    pub credential: String,
    /// Every disclosure's bytes as issued, hex.
    pub disclosures: Vec<String>,
    /// The server it was activated against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl WalletFile {
    /// A wallet file for a credential as issued.
    pub fn new(
        credential: &[u8],
        disclosures: &[Disclosure],
        device_key: Option<&P256Signer>,
    ) -> Result<Self> {
        Ok(Self {
            format: FORMAT.into(),
            device_key: device_key.map(keys::private_pem).transpose()?,
            credential: hex::encode(credential),
            disclosures: disclosures
                .iter()
                .map(|d| hex::encode(d.as_bytes()))
                .collect(),
            server: None,
        })
    }

    /// Reads and parses a wallet file (not yet checked against the core).
    pub fn read(path: &Path) -> Result<Self> {
        let text = files::read_text(path, "wallet", files::MAX_WALLET_FILE)?;
        let file: WalletFile =
            serde_json::from_str(&text).map_err(|e| anyhow!("wallet {}: {e}", path.display()))?;
        if file.format != FORMAT {
            bail!(
                "wallet {}: field format: {:?} is not {FORMAT:?}",
                path.display(),
                file.format
            );
        }
        Ok(file)
    }

    /// Writes the file atomically, mode 0600.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        files::write_atomic(path, text.as_bytes(), Mode::Private, "wallet")
    }

    /// The core's wallet: decodes every field and runs the holder checks of spec §5.7.
    /// `device_key` replaces the file's own key (or supplies a missing one).
    pub fn open(&self, path: &Path, device_key: Option<P256Signer>) -> Result<Wallet<P256Signer>> {
        let origin = format!("wallet {}", path.display());
        let signer = match (device_key, &self.device_key) {
            (Some(k), _) => k,
            (None, Some(pem)) => {
                keys::parse_private_pem(pem, &format!("{origin}: field device_key"))?
            }
            (None, None) => bail!("{origin} holds no device_key: give one with --device-key"),
        };
        let credential = hex::decode(&self.credential)
            .map_err(|e| anyhow!("{origin}: field credential: not hex ({e})"))?;
        let mut disclosures = Vec::with_capacity(self.disclosures.len());
        for (i, text) in self.disclosures.iter().enumerate() {
            let bytes = hex::decode(text)
                .map_err(|e| anyhow!("{origin}: field disclosures[{i}]: not hex ({e})"))?;
            let d = Disclosure::from_bytes(bytes)
                .map_err(|e| anyhow!("{origin}: field disclosures[{i}]: {e}"))?;
            disclosures.push(d);
        }
        Wallet::new(credential, disclosures, signer).map_err(|e| match e {
            mlegit::Error::InvalidDeviceKey => anyhow!(
                "{origin}: the credential is not bound to this device key (invalid_device_key)"
            ),
            e => anyhow!("{origin}: the credential or its disclosures are invalid ({e})"),
        })
    }
}
