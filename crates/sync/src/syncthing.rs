//! Telling the local Syncthing to send a new segment at once (POST /rest/db/scan for our
//! subfolder), when the user gave its GUI address and API key: a change then reaches the
//! other laptops in well under a second instead of after the watcher's delay.

use super::{local_get, local_set};
use casebook_core::{Error, Result};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SyncthingApi {
    /// The GUI/REST address, e.g. http://127.0.0.1:8384.
    pub url: String,
    pub api_key: String,
}

/// Saves (or, with None, forgets) the local Syncthing's address and key. They are this
/// laptop's, never shared.
pub fn set_syncthing(conn: &Connection, api: Option<&SyncthingApi>) -> Result<()> {
    match api {
        Some(api) => {
            if !api.url.starts_with("http://") && !api.url.starts_with("https://") {
                return Err(Error::validation("url", "the Syncthing address starts with http:// (e.g. http://127.0.0.1:8384)"));
            }
            local_set(conn, "syncthing", &serde_json::to_string(api)?)
        }
        None => {
            conn.execute("DELETE FROM sync_local WHERE key = 'syncthing'", [])?;
            Ok(())
        }
    }
}

pub(crate) fn configured(conn: &Connection) -> Result<Option<SyncthingApi>> {
    Ok(local_get(conn, "syncthing")?.and_then(|s| serde_json::from_str(&s).ok()))
}

impl SyncthingApi {
    fn agent(&self) -> ureq::Agent {
        ureq::AgentBuilder::new().timeout(Duration::from_secs(3)).build()
    }

    /// Asks Syncthing to rescan `sub` (inside the share at `share_root`'s parent), in the
    /// Syncthing folder whose path is that parent.
    pub fn rescan(&self, share_root: &Path, sub: &Path) -> std::result::Result<(), String> {
        let folder = share_root.parent().ok_or("the share has no folder")?;
        let base = self.url.trim_end_matches('/');
        let folders: serde_json::Value = self
            .agent()
            .get(&format!("{base}/rest/config/folders"))
            .set("X-API-Key", &self.api_key)
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        let same = |p: &str| std::fs::canonicalize(p).ok().as_deref() == std::fs::canonicalize(folder).ok().as_deref();
        let id = folders
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["path"].as_str().is_some_and(same))
            .and_then(|f| f["id"].as_str())
            .ok_or_else(|| format!("no Syncthing folder has the path {}", folder.display()))?;
        let rel = sub.strip_prefix(folder).map_err(|_| "the subfolder is outside the share")?;
        self.agent()
            .post(&format!("{base}/rest/db/scan"))
            .query("folder", id)
            .query("sub", &rel.to_string_lossy())
            .set("X-API-Key", &self.api_key)
            .call()
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}
