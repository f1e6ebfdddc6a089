//! Issuer keys and the server secret on disk.
//!
//! Signing goes through the core's [`Signer`] trait: the server never touches a scalar
//! outside [`FileKeyStore`], so a [`KeyStore`] backed by an HSM can replace it.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlegit::{P256Signer, PublicKey, Signer, SignerError};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use zeroize::Zeroizing;

use crate::ServerError;

/// A signer shared between threads.
pub type SharedSigner = Arc<dyn Signer + Send + Sync>;

/// Adapts a [`SharedSigner`] to the core's [`Signer`] trait (the core implements it for `&S`).
#[derive(Clone)]
pub struct ArcSigner(pub SharedSigner);

impl core::fmt::Debug for ArcSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ArcSigner").finish_non_exhaustive()
    }
}

impl Signer for ArcSigner {
    fn public_key(&self) -> PublicKey {
        self.0.public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        self.0.sign(message)
    }
}

/// Where issuer keys live. The default keeps PKCS#8 PEM files readable by the owner only;
/// an HSM-backed store would return signers that call the HSM.
pub trait KeyStore: Send + Sync {
    /// Creates a new key and returns its signer.
    fn generate(&self) -> Result<SharedSigner, ServerError>;
    /// The signer of the key with this key id.
    fn load(&self, kid: &[u8]) -> Result<SharedSigner, ServerError>;
}

/// Keys as `keys/<kid hex>.pem` (PKCS#8, mode 0600) under the data directory.
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    dir: PathBuf,
}

impl FileKeyStore {
    /// The store under `data_dir/keys`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("keys"),
        }
    }

    fn path(&self, kid: &[u8]) -> PathBuf {
        self.dir.join(format!("{}.pem", hex::encode(kid)))
    }
}

impl KeyStore for FileKeyStore {
    fn generate(&self) -> Result<SharedSigner, ServerError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| ServerError::io("create key directory", e))?;
        let signer = P256Signer::generate(&mut rand::rng());
        let pem = signer
            .signing_key()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| ServerError::Key("cannot encode the new key"))?;
        let kid = signer.public_key().key_id();
        write_private(&self.path(&kid), pem.as_bytes())?;
        sync_dir(&self.dir)?;
        Ok(Arc::new(signer))
    }

    fn load(&self, kid: &[u8]) -> Result<SharedSigner, ServerError> {
        let pem = Zeroizing::new(
            fs::read_to_string(self.path(kid)).map_err(|e| ServerError::io("read key", e))?,
        );
        let key = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|_| ServerError::Key("key file is not a P-256 PKCS#8 key"))?;
        let signer = P256Signer::from_signing_key(key);
        if signer.public_key().key_id() != kid {
            return Err(ServerError::Key("key file does not match its key id"));
        }
        Ok(Arc::new(signer))
    }
}

/// Writes a new file readable by the owner only, and flushes it to disk.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServerError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| ServerError::io("create private file", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| ServerError::io("write private file", e))
}

/// Flushes a directory entry (new files survive a crash only once their directory is synced).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), ServerError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| ServerError::io("sync directory", e))
}

/// The 32-byte server secret that keys the hashes of activation codes and challenges.
pub(crate) const SECRET_FILE: &str = "server.secret";

/// Creates the server secret, or keeps the one there (checked to be 32 bytes).
pub(crate) fn ensure_secret(data_dir: &Path) -> Result<(), ServerError> {
    if data_dir.join(SECRET_FILE).exists() {
        return read_secret(data_dir).map(|_| ());
    }
    let mut secret = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut secret);
    write_private(&data_dir.join(SECRET_FILE), &secret)
}

/// Reads the server secret.
pub(crate) fn read_secret(data_dir: &Path) -> Result<[u8; 32], ServerError> {
    let bytes =
        fs::read(data_dir.join(SECRET_FILE)).map_err(|e| ServerError::io("read secret", e))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| ServerError::Key("server secret is not 32 bytes"))
}
