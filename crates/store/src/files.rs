//! The configuration files, read in one place and one way ([`read_optional`]: absent is
//! fine, unreadable is an error naming the file): the data directory's `metrics.toml`
//! (metrics a center adds to the catalog) and `standards.toml` (its KPI standards), read and
//! written here; `ccpulse.toml` (the command line's settings, read before the store opens)
//! and `alerts.toml` (the server's rules and webhook) are read through [`read_optional`] and
//! parsed by their owners.

use std::collections::BTreeMap;
use std::path::Path;

use ccpulse_metrics::standards::STANDARDS_FILE;
use ccpulse_metrics::{Band, Catalog, Standards};
use ccpulse_model::TenantId;

use crate::{DuckDbStore, Result, StoreError};

/// The catalog's additions in the data directory.
pub const CATALOG_FILE: &str = "metrics.toml";

/// The text of `name` in `dir`, with its path for errors; `None` when it does not exist.
fn read(dir: &Path, name: &str) -> Result<Option<(String, String)>> {
    read_optional(&dir.join(name))
}

/// The text of the file at `path` with its path (for the errors of whoever parses it); `None`
/// when there is no such file.
pub fn read_optional(path: &Path) -> Result<Option<(String, String)>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::File {
            path: path.display().to_string(),
            error,
        }),
    }
}

/// The catalog: the embedded one plus `metrics.toml` in `dir` (the data directory, whichever
/// database holds the data).
pub fn catalog_in(dir: &Path) -> Result<Catalog> {
    let file = read(dir, CATALOG_FILE)?;
    Ok(Catalog::load(as_pair(file.as_ref()))?)
}

/// The standards `tenant` is scored by, with the overrides of `standards.toml` in `dir`.
pub fn standards_in(dir: &Path, catalog: &Catalog, tenant: &TenantId) -> Result<Standards> {
    let file = read(dir, STANDARDS_FILE)?;
    Ok(Standards::new(catalog, as_pair(file.as_ref()), tenant)?)
}

fn as_pair(file: Option<&(String, String)>) -> Option<(&str, &str)> {
    file.map(|(origin, text)| (origin.as_str(), text.as_str()))
}

impl DuckDbStore {
    /// The catalog: the embedded one plus `metrics.toml` in the data directory.
    pub fn catalog(&self) -> Result<Catalog> {
        catalog_in(self.dir())
    }

    /// The standards `tenant` is scored by: the catalog's bands with its overrides.
    pub fn standards(&self, catalog: &Catalog, tenant: &TenantId) -> Result<Standards> {
        standards_in(self.dir(), catalog, tenant)
    }

    /// Replaces `tenant`'s overrides (other tenants' kept; empty: the catalog's bands again).
    /// Written beside and renamed over, so a reader never sees half a file.
    pub fn save_standards(
        &self,
        catalog: &Catalog,
        tenant: &TenantId,
        overrides: &BTreeMap<String, Vec<Band>>,
    ) -> Result<()> {
        let file = read(self.dir(), STANDARDS_FILE)?;
        let text = Standards::replaced(catalog, as_pair(file.as_ref()), tenant, overrides)?;
        let path = self.dir().join(STANDARDS_FILE);
        let tmp = self.dir().join(format!("{STANDARDS_FILE}.tmp"));
        let io = |source| StoreError::Dir {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}
