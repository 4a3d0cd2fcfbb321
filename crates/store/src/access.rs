//! Who may use the server: users with a role and an argon2 password hash, API tokens and
//! login sessions (only their hashes are stored, so a copy of the database opens nothing).

use ::duckdb::params;
use jiff::Timestamp;

use crate::sources::ts;
use crate::{DuckDbStore, Result, StoreError};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub name: String,
    pub role: String,
    pub password_hash: String,
    /// Tenants the user may see; `None` for all.
    pub tenants: Option<Vec<String>>,
    /// Within them, the contacts the user may see: `None` for all.
    pub scope: DataScope,
    /// Disabled: signs in no more, their tokens and sessions open nothing, until enabled.
    pub disabled: bool,
}

impl User {
    /// The user as `user list --json` and `GET /api/v1/users` show it (never the password
    /// hash).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "role": self.role, "tenants": self.tenants,
            "queues": self.scope.queues, "regions": self.scope.regions,
            "agent": self.scope.agent, "disabled": self.disabled,
        })
    }
}

/// A change to a user's role, reach or state (`user set`, `PUT /api/v1/users/{name}`): what
/// is absent stays; an empty list, or an empty agent, lifts that limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<String>,
    pub tenants: Option<Vec<String>>,
    pub queues: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub agent: Option<String>,
    pub disabled: Option<bool>,
}

/// Names as a limit: trimmed, empty ones dropped; `None` (no limit) when none is left.
pub fn limit_of<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Option<Vec<String>> {
    let v: Vec<String> = names
        .into_iter()
        .map(|s| s.as_ref().trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then_some(v)
}

impl User {
    /// The user with `c` applied.
    pub fn apply(&mut self, c: UserChange) {
        if let Some(r) = c.role {
            self.role = r;
        }
        if let Some(t) = c.tenants {
            self.tenants = limit_of(t);
        }
        if let Some(q) = c.queues {
            self.scope.queues = limit_of(q);
        }
        if let Some(r) = c.regions {
            self.scope.regions = limit_of(r);
        }
        if let Some(a) = c.agent {
            self.scope.agent = limit_of([a]).and_then(|mut v| v.pop());
        }
        if let Some(d) = c.disabled {
            self.disabled = d;
        }
    }
}

/// The contacts a user may see within their tenants: of these queues, of these provinces, of
/// this agent (each `None`: not limited by it).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct DataScope {
    pub queues: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub agent: Option<String>,
}

impl DataScope {
    /// Whether the scope limits anything.
    pub fn is_limited(&self) -> bool {
        self.queues.is_some() || self.regions.is_some() || self.agent.is_some()
    }
}

fn list(text: Option<String>) -> Option<Vec<String>> {
    text.map(|t| {
        t.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn user_of(r: &::duckdb::Row<'_>) -> ::duckdb::Result<User> {
    Ok(User {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        tenants: list(r.get(3)?),
        scope: DataScope {
            queues: list(r.get(4)?),
            regions: list(r.get(5)?),
            agent: r.get(6)?,
        },
        disabled: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
    })
}

/// The columns [`user_of`] reads.
const USER_COLUMNS: &str = "name, role, password_hash, tenants, queues, regions, agent, disabled";

/// A token as `token list` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub user: String,
    pub label: Option<String>,
    pub created_at: String,
    /// UTC, RFC 3339; `None`: until revoked.
    pub expires_at: Option<String>,
    pub read_only: bool,
}

/// What a token grants: its user's rights (only reading, when `read_only`), until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub user: String,
    pub expires: Option<Timestamp>,
    pub read_only: bool,
}

impl DuckDbStore {
    /// Adds a user, or replaces its role, password, tenants, scope and whether it is disabled.
    pub fn put_user(&self, user: &User) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO users
                (name, role, password_hash, tenants, queues, regions, agent, disabled)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                user.name,
                user.role,
                user.password_hash,
                user.tenants.as_ref().map(|t| t.join(",")),
                user.scope.queues.as_ref().map(|t| t.join(",")),
                user.scope.regions.as_ref().map(|t| t.join(",")),
                user.scope.agent,
                user.disabled
            ],
        )?;
        Ok(())
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?"))?;
        let mut rows = stmt.query_map([name], user_of)?;
        Ok(rows.next().transpose()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
        let rows = stmt.query_map([], user_of)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records a token (by its hash) for `user`, valid until revoked, with the user's rights.
    pub fn add_token(&self, token_hash: &str, user: &str, label: Option<&str>) -> Result<()> {
        self.add_token_with(
            token_hash,
            &TokenGrant {
                user: user.to_owned(),
                expires: None,
                read_only: false,
            },
            label,
        )
    }

    /// Records a token (by its hash) with its grant: until when, and whether it only reads.
    pub fn add_token_with(
        &self,
        token_hash: &str,
        grant: &TokenGrant,
        label: Option<&str>,
    ) -> Result<()> {
        if self.user(&grant.user)?.is_none() {
            return Err(StoreError::Invalid(format!("no user `{}`", grant.user)));
        }
        self.conn.execute(
            "INSERT INTO tokens (token_hash, user_name, label, expires_at, read_only)
             VALUES (?, ?, ?, ?, ?)",
            params![
                token_hash,
                grant.user,
                label,
                grant.expires.map(ts),
                grant.read_only
            ],
        )?;
        Ok(())
    }

    /// Every token hash with its grant.
    pub fn tokens(&self) -> Result<Vec<(String, TokenGrant)>> {
        let mut stmt = self.conn.prepare(
            "SELECT token_hash, user_name, epoch_us(expires_at), coalesce(read_only, false)
             FROM tokens",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, user, expires, read_only) = row?;
            let expires = expires
                .map(Timestamp::from_microsecond)
                .transpose()
                .map_err(|e| StoreError::Invalid(format!("token expiry: {e}")))?;
            out.push((
                hash,
                TokenGrant {
                    user,
                    expires,
                    read_only,
                },
            ));
        }
        Ok(out)
    }

    /// Ends every session of a user.
    pub fn end_sessions(&self, name: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE user_name = ?", params![name])?;
        Ok(())
    }

    /// Removes a user with its tokens and sessions; whether there was one.
    pub fn remove_user(&self, name: &str) -> Result<bool> {
        if self.user(name)?.is_none() {
            return Ok(false);
        }
        self.in_transaction(|| {
            for table in ["tokens", "sessions", "users"] {
                let column = if table == "users" {
                    "name"
                } else {
                    "user_name"
                };
                self.conn.execute(
                    &format!("DELETE FROM {table} WHERE {column} = ?"),
                    params![name],
                )?;
            }
            Ok(())
        })?;
        Ok(true)
    }

    /// Every token for people: its id (the first 12 characters of its hash: never the token),
    /// user, label and when it was made, oldest first.
    pub fn token_list(&self) -> Result<Vec<TokenInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT left(token_hash, 12), user_name, label, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'),
                    strftime(expires_at, '%Y-%m-%dT%H:%M:%SZ'), coalesce(read_only, false)
             FROM tokens ORDER BY created_at, token_hash",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                user: r.get(1)?,
                label: r.get(2)?,
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
                read_only: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Revokes the token whose id (see [`Self::token_list`]) is `id`: its full hash, or
    /// `None` when there is no such token.
    pub fn revoke_token(&self, id: &str) -> Result<Option<String>> {
        if id.len() < 8 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(format!(
                "token id `{id}`: the first 12 characters `token list` shows"
            )));
        }
        let hashes: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT token_hash FROM tokens WHERE starts_with(token_hash, ?)")?;
            let rows = stmt.query_map(params![id.to_ascii_lowercase()], |r| r.get(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        match hashes.as_slice() {
            [] => Ok(None),
            [hash] => {
                self.conn
                    .execute("DELETE FROM tokens WHERE token_hash = ?", params![hash])?;
                Ok(Some(hash.clone()))
            }
            _ => Err(StoreError::Invalid(format!(
                "token id `{id}` names {} tokens: give more of it",
                hashes.len()
            ))),
        }
    }

    /// Records a login session (by its hash) until `expires`.
    pub fn add_session(&self, session_hash: &str, user: &str, expires: Timestamp) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)",
            params![session_hash, user, ts(expires)],
        )?;
        Ok(())
    }

    /// Ends a session.
    pub fn delete_session(&self, session_hash: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM sessions WHERE session_hash = ?",
            [session_hash],
        )?;
        Ok(())
    }

    /// Sessions valid at `now`: hash, user, expiry.
    pub fn sessions(&self, now: Timestamp) -> Result<Vec<(String, String, Timestamp)>> {
        self.conn.execute(
            "DELETE FROM sessions WHERE expires_at <= ?",
            params![ts(now)],
        )?;
        let mut stmt = self
            .conn
            .prepare("SELECT session_hash, user_name, epoch_us(expires_at) FROM sessions")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (h, u, e) = r?;
            let e = Timestamp::from_microsecond(e)
                .map_err(|e| StoreError::Invalid(format!("session expiry: {e}")))?;
            out.push((h, u, e));
        }
        Ok(out)
    }
}
