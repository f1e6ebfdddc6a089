//! The wallet file: what a phone keeps (spec §5.7, §19.5), as JSON. Version 2 holds a
//! batch of single-use credentials, their usage record, and their device keys encrypted
//! under a password.
//!
//! ```json
//! { "format": "mlegit-wallet-2",
//!   "server": "https://school.example",
//!   "keys": { "kdf": "argon2id", "version": 19, "memory_kib": 19456, "iterations": 2,
//!             "lanes": 1, "salt": "<16 bytes>", "cipher": "aes-256-gcm",
//!             "nonce": "<12 bytes>", "ciphertext": "<32 bytes per credential + 16>" },
//!   "credentials": [ { "credential": "8458...", "disclosures": ["5820...", "..."],
//!                      "uses": 0, "last_used": 0 }, ... ] }
//! ```
//!
//! `keys` holds the private scalars of the credentials' device keys, in order, 32 bytes
//! each, encrypted with AES-256-GCM (additional data: the `format` string) under the key
//! Argon2id (RFC 9106, version 0x13) derives from the password and `salt`. It is absent
//! when a credential was issued to a public key only (`mlegit issue` with an SPKI key);
//! `present` then needs `--device-key`. Byte strings are lowercase hex, the credentials and
//! disclosures stored unchanged. `uses` and `last_used` (the last `presented_at`) are the
//! usage record that picks the next credential. The file is written atomically with mode
//! 0600.
//!
//! The password comes from `MLEGIT_WALLET_PASSWORD` or, on a terminal, a prompt without
//! echo. A wrong password is an error; there is no recovery: the student asks the school
//! for a new activation code. A phone keeps its device keys in its secure hardware instead
//! (non-exportable, usable after user authentication, spec §8.2 rule 5); a file and a
//! password are what a command line can do.

use std::path::Path;

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use anyhow::{Context as _, Result, anyhow, bail};
use mlegit::{Batch, Disclosure, P256Signer, Signer as _, Uses, Wallet};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize as _, Zeroizing};

use crate::files::{self, Mode};

/// The `format` value of version 2 of the wallet file.
pub const FORMAT: &str = "mlegit-wallet-2";

/// The environment variable a password may come from instead of the prompt.
pub const PASSWORD_ENV: &str = "MLEGIT_WALLET_PASSWORD";

/// Argon2id's cost for new files: 19 MiB, 2 passes, 1 lane (the first of OWASP's
/// recommended settings for Argon2id).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;
/// The most a file may ask for (so that a crafted file cannot make `present` take
/// gigabytes or minutes): 256 MiB, 16 passes, 8 lanes.
const MAX_MEMORY_KIB: u32 = 262_144;
const MAX_ITERATIONS: u32 = 16;
const MAX_LANES: u32 = 8;

/// The wallet file's content.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The server it was activated against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The device keys, encrypted; absent for credentials issued to a public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<SealedKeys>,
    /// The credentials of the batch, in the order issued.
    pub credentials: Vec<StoredCredential>,
}

/// The device keys under the password.
#[derive(Serialize, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SealedKeys {
    /// Always `"argon2id"`.
    pub kdf: String,
    /// Argon2's version: always 19 (0x13).
    pub version: u32,
    /// Argon2id's memory in KiB.
    pub memory_kib: u32,
    /// Argon2id's passes.
    pub iterations: u32,
    /// Argon2id's lanes.
    pub lanes: u32,
    /// 16 random bytes, hex.
    pub salt: String,
    /// Always `"aes-256-gcm"`.
    pub cipher: String,
    /// 12 random bytes, hex.
    pub nonce: String,
    /// The scalars, 32 bytes per credential, and the 16-byte tag, hex.
    pub ciphertext: String,
}

/// One credential of the batch and its usage record.
#[derive(Serialize, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StoredCredential {
    /// The credential bytes as issued, hex.
    pub credential: String,
    /// Every disclosure's bytes as issued, hex.
    pub disclosures: Vec<String>,
    /// Presentations made with it.
    #[serde(default)]
    pub uses: u32,
    /// The `presented_at` of the last one (0 if none).
    #[serde(default)]
    pub last_used: u64,
}

/// A password, wiped when dropped.
pub struct Password(Zeroizing<String>);

impl Password {
    /// A password given in code (tests, the demo).
    pub fn new(text: &str) -> Result<Self> {
        if text.is_empty() {
            bail!("the wallet password is empty");
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// From [`PASSWORD_ENV`], else a prompt on the terminal (twice when `confirm`, for a
    /// new file).
    pub fn from_env_or_prompt(wallet: &Path, confirm: bool) -> Result<Self> {
        if let Ok(text) = std::env::var(PASSWORD_ENV) {
            let text = Zeroizing::new(text);
            return Self::new(&text).context(PASSWORD_ENV);
        }
        let prompt = format!("password for wallet {}: ", wallet.display());
        let first = Zeroizing::new(rpassword::prompt_password(&prompt).map_err(|e| {
            anyhow!(
                "wallet {}: no password: set {PASSWORD_ENV} or run on a terminal ({e})",
                wallet.display()
            )
        })?);
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("the same password again: ")
                    .map_err(|e| anyhow!("password prompt: {e}"))?,
            );
            if *again != *first {
                bail!("the two passwords differ");
            }
        }
        Self::new(&first)
    }
}

fn derive(password: &Password, salt: &[u8], cost: (u32, u32, u32)) -> Result<Zeroizing<[u8; 32]>> {
    let (memory_kib, iterations, lanes) = cost;
    let params = argon2::Params::new(memory_kib, iterations, lanes, Some(32))
        .map_err(|e| anyhow!("Argon2id parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.0.as_bytes(), salt, key.as_mut())
        .map_err(|e| anyhow!("Argon2id: {e}"))?;
    Ok(key)
}

impl SealedKeys {
    /// Encrypts `devices`' scalars under `password`, with a fresh salt and nonce.
    fn seal(devices: &[P256Signer], password: &Password) -> Result<Self> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut salt);
        rand::Rng::fill_bytes(&mut rand::rng(), &mut nonce);
        let key = derive(password, &salt, (MEMORY_KIB, ITERATIONS, LANES))?;
        let mut plain = Zeroizing::new(Vec::with_capacity(devices.len() * 32));
        for d in devices {
            let mut scalar = d.signing_key().to_bytes();
            plain.extend_from_slice(scalar.as_slice());
            scalar.as_mut_slice().zeroize();
        }
        let cipher = aes_gcm::Aes256Gcm::new(&(*key).into());
        let ciphertext = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &plain,
                    aad: FORMAT.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("encrypting the device keys failed"))?;
        Ok(Self {
            kdf: "argon2id".into(),
            version: 19,
            memory_kib: MEMORY_KIB,
            iterations: ITERATIONS,
            lanes: LANES,
            salt: hex::encode(salt),
            cipher: "aes-256-gcm".into(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// The `n` device keys, if `password` is the one they were sealed with.
    fn open(&self, password: &Password, n: usize, origin: &str) -> Result<Vec<P256Signer>> {
        if self.kdf != "argon2id" || self.version != 19 || self.cipher != "aes-256-gcm" {
            bail!("{origin}: field keys: only argon2id version 19 with aes-256-gcm is known");
        }
        if self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.lanes > MAX_LANES
        {
            bail!(
                "{origin}: field keys: Argon2id costs above {MAX_MEMORY_KIB} KiB, \
                 {MAX_ITERATIONS} passes or {MAX_LANES} lanes are refused"
            );
        }
        let field = |name: &str, text: &str, len: Option<usize>| -> Result<Vec<u8>> {
            let bytes = hex::decode(text)
                .map_err(|e| anyhow!("{origin}: field keys.{name}: not hex ({e})"))?;
            match len {
                Some(l) if bytes.len() != l => {
                    bail!(
                        "{origin}: field keys.{name}: {} bytes, not {l}",
                        bytes.len()
                    )
                }
                _ => Ok(bytes),
            }
        };
        let salt = field("salt", &self.salt, Some(16))?;
        let nonce = field("nonce", &self.nonce, Some(12))?;
        let ciphertext = field("ciphertext", &self.ciphertext, Some(n * 32 + 16))?;
        let key = derive(
            password,
            &salt,
            (self.memory_kib, self.iterations, self.lanes),
        )
        .with_context(|| format!("{origin}: field keys"))?;
        let cipher = aes_gcm::Aes256Gcm::new(&(*key).into());
        let nonce: [u8; 12] = nonce
            .as_slice()
            .try_into()
            .map_err(|_| anyhow!("{origin}: field keys.nonce"))?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &nonce.into(),
                    Payload {
                        msg: &ciphertext,
                        aad: FORMAT.as_bytes(),
                    },
                )
                .map_err(|_| {
                    anyhow!(
                        "{origin}: wrong password (the device keys do not decrypt). There is \
                         no recovery: ask the school for a new activation code"
                    )
                })?,
        );
        plain
            .chunks(32)
            .enumerate()
            .map(|(i, scalar)| {
                let mut bytes = [0u8; 32];
                bytes.copy_from_slice(scalar);
                let signer = P256Signer::from_scalar(&bytes);
                bytes.zeroize();
                signer.ok_or_else(|| anyhow!("{origin}: device key {i} is not a P-256 scalar"))
            })
            .collect()
    }
}

impl StoredCredential {
    fn new(credential: &[u8], disclosures: &[Disclosure]) -> Self {
        Self {
            credential: hex::encode(credential),
            disclosures: disclosures
                .iter()
                .map(|d| hex::encode(d.as_bytes()))
                .collect(),
            uses: 0,
            last_used: 0,
        }
    }

    fn decode(&self, origin: &str) -> Result<(Vec<u8>, Vec<Disclosure>)> {
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
        Ok((credential, disclosures))
    }
}

impl WalletFile {
    /// A wallet file for a batch as issued, its device keys sealed under `password`
    /// (`devices[i]` for `batch[i]`), or with no keys (`devices` empty: issued to a public
    /// key).
    pub fn new(
        batch: &[(Vec<u8>, Vec<Disclosure>)],
        devices: &[P256Signer],
        password: Option<&Password>,
    ) -> Result<Self> {
        let keys = match (devices.is_empty(), password) {
            (true, _) if batch.len() != 1 => {
                bail!("a wallet without device keys holds one credential (issued to a public key)")
            }
            (true, _) => None,
            (false, Some(p)) => Some(SealedKeys::seal(devices, p)?),
            (false, None) => bail!("a wallet that holds device keys needs a password"),
        };
        if keys.is_some() && devices.len() != batch.len() {
            bail!("not one device key per credential");
        }
        Ok(Self {
            format: FORMAT.into(),
            server: None,
            keys,
            credentials: batch
                .iter()
                .map(|(c, d)| StoredCredential::new(c, d))
                .collect(),
        })
    }

    /// Reads and parses a wallet file (not yet checked against the core).
    pub fn read(path: &Path) -> Result<Self> {
        let text = files::read_text(path, "wallet", files::MAX_WALLET_FILE)?;
        Self::parse(&text, path)
    }

    /// Parses a wallet file's text (`path` names it in errors). The format is looked at
    /// first, so that a file of another version is named as such.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| anyhow!("wallet {}: {e}", path.display()))?;
        let format = value.get("format").and_then(serde_json::Value::as_str);
        if format != Some(FORMAT) {
            bail!(
                "wallet {}: field format: {} is not {FORMAT:?}{}",
                path.display(),
                format.map_or_else(|| "absent or not a string".to_owned(), |f| format!("{f:?}")),
                if format == Some("mlegit-wallet-1") {
                    " (a version 1 wallet holds one credential without a password: \
                     activate again)"
                } else {
                    ""
                }
            );
        }
        let file: WalletFile =
            serde_json::from_value(value).map_err(|e| anyhow!("wallet {}: {e}", path.display()))?;
        if file.credentials.is_empty() || file.credentials.len() > mlegit::activation::MAX_BATCH {
            bail!(
                "wallet {}: field credentials: 1 to {} credentials",
                path.display(),
                mlegit::activation::MAX_BATCH
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

    /// Whether the file holds its device keys (and so needs a password to present).
    pub fn has_keys(&self) -> bool {
        self.keys.is_some()
    }

    /// The public parts of the credentials, checked as on receipt but without keys:
    /// what `mlegit wallet status` shows.
    pub fn infos(&self, path: &Path) -> Result<Vec<mlegit::CredentialInfo>> {
        let origin = format!("wallet {}", path.display());
        self.credentials
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (bytes, _) = c.decode(&format!("{origin}: credential {i}"))?;
                mlegit::CredentialInfo::decode_unverified(&bytes)
                    .map_err(|e| anyhow!("{origin}: credential {i}: {e}"))
            })
            .collect()
    }

    /// The claims the batch holds (those of its first credential; [`WalletFile::open`]
    /// checks that every credential holds the same).
    pub fn claim_names(&self, path: &Path) -> Result<Vec<mlegit::ClaimName>> {
        let first = self
            .credentials
            .first()
            .ok_or_else(|| anyhow!("wallet {}: no credential", path.display()))?;
        let (_, disclosures) = first.decode(&format!("wallet {}: credential 0", path.display()))?;
        Ok(disclosures.iter().map(Disclosure::name).collect())
    }

    /// The usage record.
    pub fn uses(&self) -> Vec<Uses> {
        self.credentials
            .iter()
            .map(|c| Uses {
                count: c.uses,
                last: c.last_used,
            })
            .collect()
    }

    /// Keeps `batch`'s usage record in the file (write it after).
    pub fn record(&mut self, batch: &Batch<P256Signer>) {
        for (c, u) in self.credentials.iter_mut().zip(batch.uses()) {
            c.uses = u.count;
            c.last_used = u.last;
        }
    }

    /// The core's batch: decrypts the device keys with `password` (or takes `device_key`
    /// for a file without keys, one credential only), runs the holder checks of spec §5.7
    /// on each credential and §19.5 on the batch, with the file's usage record.
    pub fn open(
        &self,
        path: &Path,
        password: Option<&Password>,
        device_key: Option<P256Signer>,
    ) -> Result<Batch<P256Signer>> {
        let origin = format!("wallet {}", path.display());
        let n = self.credentials.len();
        let signers = match (&self.keys, device_key) {
            (_, Some(k)) if n == 1 => vec![k],
            (_, Some(_)) => bail!("{origin}: --device-key is for a wallet of one credential"),
            (Some(sealed), None) => {
                let password = password.ok_or_else(|| anyhow!("{origin}: a password is needed"))?;
                sealed.open(password, n, &origin)?
            }
            (None, None) => bail!("{origin} holds no device key: give one with --device-key"),
        };
        let mut wallets = Vec::with_capacity(n);
        for (i, (c, signer)) in self.credentials.iter().zip(signers).enumerate() {
            let here = format!("{origin}: credential {i}");
            let (credential, disclosures) = c.decode(&here)?;
            let public = signer.public_key();
            let wallet = Wallet::new(credential, disclosures, signer).map_err(|e| match e {
                mlegit::Error::InvalidDeviceKey => anyhow!(
                    "{here}: not bound to its device key {} (invalid_device_key)",
                    hex::encode(public.key_id())
                ),
                e => anyhow!("{here}: the credential or its disclosures are invalid ({e})"),
            })?;
            wallets.push(wallet);
        }
        Batch::new(wallets)
            .map_err(|e| anyhow!("{origin}: {e}"))?
            .with_uses(self.uses())
            .map_err(|e| anyhow!("{origin}: {e}"))
    }
}
