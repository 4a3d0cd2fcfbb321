//! Tenant names.

use std::fmt;

/// The tenant used when none is named.
pub const DEFAULT_TENANT: &str = "default";
/// The time zone a new tenant gets unless told otherwise (our first users are in China).
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// A tenant name: 1 to 64 characters of letters, digits, `-`, `_` or `.`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// Why a string is not a tenant name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("tenant name `{0}` must be 1 to 64 letters, digits, `-`, `_` or `.`")]
pub struct TenantIdError(pub String);

impl TenantId {
    /// Parses a tenant name.
    pub fn new(name: &str) -> Result<Self, TenantIdError> {
        // Letters, digits, `-`, `_` and `.`, starting with a letter or digit: never `..`,
        // a hidden name or anything a path or a page could take for more than a name.
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(TenantIdError(name.to_owned()))
        }
    }

    /// The tenant named `default`.
    pub fn default_tenant() -> Self {
        Self(DEFAULT_TENANT.to_owned())
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantIdError;
    fn try_from(name: String) -> Result<Self, TenantIdError> {
        Self::new(&name)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

impl PartialEq<str> for TenantId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl std::borrow::Borrow<str> for TenantId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a name people give to a thing that may end up in a file name, a URL or a page (a
/// template, a schedule, an alert rule): 1 to 64 characters, no outer spaces, no path
/// separators or markup characters, no control characters, not starting with a dot (so never
/// `..`). `what` names the thing in the error.
pub fn check_name(what: &str, n: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n.trim() == n
        && n.chars().count() <= 64
        && !n.starts_with('.')
        && !n
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '<' | '>' | '"' | '\'' | '`'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{n}`: 1 to 64 characters, not starting with a dot, without outer spaces, \
             slashes or the characters < > \" ' `"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(TenantId::new("bank-01").is_ok());
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a b").is_err());
        assert!(TenantId::new("x'; drop").is_err());
        for bad in ["..", ".", ".hidden", "../etc", "a/b", "<b>", "-x"] {
            assert!(TenantId::new(bad).is_err(), "{bad}");
        }
        assert!(TenantId::new("bank.cn").is_ok());
        for bad in ["", "..", "../x", "a/b", "<script>", " x", "x\n", "it's"] {
            assert!(check_name("template", bad).is_err(), "{bad:?}");
        }
        for good in ["abandons by queue", "月报-2026", "vip.queue"] {
            assert!(check_name("template", good).is_ok(), "{good}");
        }
        assert_eq!(
            TenantId::new(&"a".repeat(65)).map(|_| ()),
            Err(TenantIdError("a".repeat(65)))
        );
    }
}
