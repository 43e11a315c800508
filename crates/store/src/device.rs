//! This laptop's identity as a writer of one workspace file. It lives beside the database, in
//! `<name>.device.json`, never inside it: a backup, a restore, an export or a copied database
//! file carries the workspace but not the right to write as this device. The file records the
//! database's path and the machine it was made on, so a whole data folder copied to another
//! path or another machine is recognised as a copy and gets an identity of its own (PRODUCT
//! team sync: a cloned writer is never accepted).

use casebook_core::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdentityFile {
    device_id: String,
    /// A readable name for people ("ana-laptop"): the host name when it was made.
    name: String,
    /// The canonical path of the database this identity writes.
    database: PathBuf,
    /// `/etc/machine-id` when it was made.
    machine: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub device_id: String,
    pub name: String,
    /// The identity found beside the database belonged to a copy (another path or machine)
    /// and was replaced by this new one: the id it had.
    pub replaced: Option<String>,
}

/// Where the identity of the database at `db` is kept.
pub fn identity_path(db: &Path) -> PathBuf {
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "casebook".into());
    db.with_file_name(format!("{stem}.device.json"))
}

fn machine_id() -> String {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this-laptop".into())
}

/// The identity this device writes the database at `db` (which exists) as: the one beside it
/// when it was made here for this file, otherwise a new one, saved before it is returned.
pub fn device_identity(db: &Path) -> Result<DeviceIdentity> {
    let database = std::fs::canonicalize(db)?;
    let machine = machine_id();
    let path = identity_path(db);
    let found: Option<IdentityFile> = std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if let Some(f) = &found {
        if f.database == database && f.machine == machine && !f.device_id.is_empty() {
            return Ok(DeviceIdentity { device_id: f.device_id.clone(), name: f.name.clone(), replaced: None });
        }
    }
    let fresh = IdentityFile { device_id: new_device_id(), name: host_name(), database, machine };
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&fresh)?)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(DeviceIdentity { device_id: fresh.device_id, name: fresh.name, replaced: found.map(|f| f.device_id) })
}

/// A short random id (16 hex digits of a v4 UUID): short enough to name folders and read.
fn new_device_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_kept_for_its_file_and_replaced_for_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let db = dir.join("casebook.db");
        std::fs::write(&db, b"x").unwrap();
        let first = device_identity(&db).unwrap();
        assert_eq!(first.replaced, None);
        assert_eq!(device_identity(&db).unwrap(), first);
        // The whole folder copied elsewhere: the identity file comes along, but is not used.
        let copy = dir.join("copy");
        std::fs::create_dir_all(&copy).unwrap();
        std::fs::copy(&db, copy.join("casebook.db")).unwrap();
        std::fs::copy(identity_path(&db), identity_path(&copy.join("casebook.db"))).unwrap();
        let second = device_identity(&copy.join("casebook.db")).unwrap();
        assert_ne!(second.device_id, first.device_id);
        assert_eq!(second.replaced.as_deref(), Some(first.device_id.as_str()));
    }
}
