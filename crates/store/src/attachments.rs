//! Attachments are stored once per content: `attachments/<first two hex>/<sha256>` in the
//! data folder, so the same file attached twice takes the space of one.

use casebook_core::{Error, Problem, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: u64 = 50 * 1024 * 1024;

pub struct StoredFile {
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    /// Relative to the data folder.
    pub stored_path: String,
}

pub fn relative_path(sha256: &str) -> String {
    format!("attachments/{}/{}", &sha256[..2], sha256)
}

/// Copies `source` into the content store of `data_dir` (if its content is not there yet).
pub fn store(data_dir: &Path, source: &Path) -> Result<StoredFile> {
    let filename = source
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::validation("attachments", format!("{} is not a file name", source.display())))?;
    let meta = std::fs::metadata(source).map_err(|e| Error::validation("attachments", format!("cannot read {}: {e}", source.display())))?;
    if !meta.is_file() {
        return Err(Error::validation("attachments", format!("{} is not a file", source.display())));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::invalid("attachments", Problem::AttachmentTooLarge { name: filename.to_string() }));
    }
    let mut content = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(source)?.read_to_end(&mut content)?;
    store_bytes(data_dir, &filename, &content)
}

/// Puts `content` into the content store of `data_dir` (a mail's attachment, its raw .eml).
pub fn store_bytes(data_dir: &Path, filename: &str, content: &[u8]) -> Result<StoredFile> {
    store_bytes_then_sync(data_dir, filename, content, true)
}

/// `store_bytes` without the file's own fsync: for a batch, made durable at once by
/// `sync_store` before the transaction that names the files commits.
pub fn store_bytes_unsynced(data_dir: &Path, filename: &str, content: &[u8]) -> Result<StoredFile> {
    store_bytes_then_sync(data_dir, filename, content, false)
}

/// Flushes the file system that holds `data_dir`'s content store (syncfs: one flush for all
/// the files written since, where an fsync each cost more than the rest of a mail's import).
pub fn sync_store(data_dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let dir = std::fs::File::open(data_dir)?;
    // SAFETY: syncfs only reads the descriptor, which lives until the end of this function.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

fn store_bytes_then_sync(data_dir: &Path, filename: &str, content: &[u8], sync: bool) -> Result<StoredFile> {
    let filename = filename.to_string();
    let sha256 = hex::encode(Sha256::digest(content));
    let rel = relative_path(&sha256);
    let target = data_dir.join(&rel);
    if !target.exists() {
        let dir = target.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir)?;
        // Write beside the target and rename, so a crash never leaves a half file under the hash.
        let tmp = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &target)?;
    }
    Ok(StoredFile { sha256, size: content.len() as i64, filename, stored_path: rel })
}
