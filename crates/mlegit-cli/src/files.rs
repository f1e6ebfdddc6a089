//! Reading and writing the files the command works on: every error names the file.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result};

/// Reads a whole file (`-` is standard input); `what` names it in errors ("trust list").
pub fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {what} from standard input"))?;
        return Ok(bytes);
    }
    fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

/// Reads a UTF-8 text file.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read(path, what)?;
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
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing {what} to standard output"))?;
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
