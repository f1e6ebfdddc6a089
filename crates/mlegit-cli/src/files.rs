//! Reading and writing the files the command works on: every error names the file.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result};

/// Most bytes of a trust list file: 64 keys (spec §10) fit in far less.
pub const MAX_TRUST_LIST: usize = 64 * 1024;
/// Most bytes of a PEM key file.
pub const MAX_KEY_FILE: usize = 64 * 1024;
/// Most bytes of a claims file (without the portrait, which is a file of its own).
pub const MAX_CLAIMS_FILE: usize = 64 * 1024;
/// Most bytes of a wallet file: a credential and every disclosure in hex, portrait
/// included, is about 40 KiB, and a batch holds up to 64 (spec §19.1).
pub const MAX_WALLET_FILE: usize = 4 * 1024 * 1024;

/// Reads at most `cap` + 1 bytes of a file (`-` is standard input): never more, whatever
/// the file's size or however long standard input runs. A result longer than `cap`
/// means the input was too large; the caller decides what that means (the verifier's
/// step P1 answers `input_too_large` for it).
pub fn read_at_most(path: &Path, what: &str, cap: usize) -> Result<Vec<u8>> {
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {what} from standard input"))?;
        return Ok(bytes);
    }
    fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .with_context(|| format!("reading {what} {}", path.display()))?;
    Ok(bytes)
}

/// Reads a file of at most `cap` bytes (`-` is standard input); a longer one is an error
/// naming the file, after reading `cap` + 1 bytes of it.
pub fn read(path: &Path, what: &str, cap: usize) -> Result<Vec<u8>> {
    let bytes = read_at_most(path, what, cap)?;
    if bytes.len() > cap {
        let name = if path == Path::new("-") {
            "on standard input".to_owned()
        } else {
            path.display().to_string()
        };
        anyhow::bail!("{what} {name} is larger than {cap} bytes (input_too_large)");
    }
    Ok(bytes)
}

/// Reads a UTF-8 text file of at most `cap` bytes.
pub fn read_text(path: &Path, what: &str, cap: usize) -> Result<String> {
    let bytes = read(path, what, cap)?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{what} {} is not UTF-8 text", path.display()))
}

/// Which permissions a written file gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Readable by everyone (0644 before the umask): public objects.
    Public,
    /// Readable by the owner only (0600): private keys and wallets.
    Private,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced,
/// then renamed over the target. A reader never sees a half-written file, and a crash
/// leaves either the old or the new content. `-` writes to standard output.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode, what: &str) -> Result<()> {
    if path == Path::new("-") {
        // A StdoutClosed: a reader that has gone ends the command quietly (main.rs).
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(crate::StdoutClosed)?;
        return Ok(());
    }
    let context = || format!("writing {what} {}", path.display());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{what} path {} has no file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(if mode == Mode::Private { 0o600 } else { 0o644 });
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(context)
}

/// An exclusive lock on a file, held until dropped: the operating system releases it when
/// the process ends, however it ends, so a crash leaves no stale lock.
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
}

/// Takes the exclusive lock of `path` (a wallet file), on `<path>.lock` beside it: an
/// empty file, made if missing and left in place (the lock, not the file, is what counts;
/// it may be deleted while no command runs). The lock is on a file of its own because
/// [`write_atomic`] replaces `path` by a rename, which a lock on `path` would not survive.
/// `None` (after a warning) where the file system has no locks. Fails at once, naming
/// both files, if another process holds it, and for `-`: two commands on one
/// wallet at a time could both show the same single-use credential, or one could write
/// over the other's record of use.
pub fn lock(path: &Path, what: &str) -> Result<Option<Lock>> {
    if path == Path::new("-") {
        anyhow::bail!("the {what} must be a file here, not `-`: its use is recorded in it");
    }
    let mut name = path
        .file_name()
        .with_context(|| format!("{what} path {} has no file name", path.display()))?
        .to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options
        .open(&lock_path)
        .with_context(|| format!("opening the lock file {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: file })),
        // A file system without locks (some network ones): go on, and say so.
        Err(fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            errln!(
                "mlegit: warning: {} cannot be locked here ({e}): do not run two commands \
                 on {what} {} at once",
                lock_path.display(),
                path.display()
            );
            Ok(None)
        }
        Err(fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{what} {} is in use by another mlegit command (it holds {}); try again when \
             that one has finished",
            path.display(),
            lock_path.display()
        ),
        Err(fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", lock_path.display()))
        }
    }
}
