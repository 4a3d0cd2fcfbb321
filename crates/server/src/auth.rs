//! Who is asking: passwords (argon2), API tokens and login sessions, and the middleware that
//! puts a [`Principal`] on every `/api` request or answers 401.
//!
//! Tokens and session ids are 32 random bytes shown once; the store keeps their SHA-256 only.
//! Roles decide what a principal may do ([`Permission`]) and its tenants what it may see; the
//! table lives in [`Role::allows`], so a new role is one match arm.

use std::collections::HashMap;
use std::sync::RwLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use ccpulse_model::TenantId;
use ccpulse_store::User;
use jiff::Timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ccpulse_session";

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

/// What a role may do. A read-only token keeps only the permissions that change nothing
/// ([`Permission::refused_to_read_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Figures: KPIs, the catalog, standards, alerts and rules, templates (reading them).
    Figures,
    /// The contacts behind a figure and each contact's card.
    Contacts,
    /// The live floor and its stream.
    Floor,
    /// Reports and the period views (agents, topics, channels).
    Reports,
    /// Downloads of figures and contacts (CSV, XLSX).
    Export,
    /// Save and remove templates.
    Templates,
    /// Change alert rules and report schedules.
    Rules,
    /// Change the tenant's KPI standards.
    Settings,
    /// Post events.
    Ingest,
    /// Manage users and tokens.
    Users,
    /// Read the audit log.
    Audit,
    /// See one contact's customer unmasked, with a reason.
    Unmask,
    /// The platform: every tenant's name and health, no contact data.
    Platform,
}

impl Permission {
    /// Whether a read-only token is refused this: it changes something, or shows a
    /// customer unmasked.
    pub fn refused_to_read_only(self) -> bool {
        matches!(
            self,
            Permission::Unmask
                | Permission::Templates
                | Permission::Rules
                | Permission::Settings
                | Permission::Ingest
                | Permission::Users
        )
    }
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything within its tenants.
    Admin,
    /// All figures and drill-down of its scope, reports, templates, alert rules, unmask.
    Manager,
    /// The floor, figures and drill-down of its queues.
    Supervisor,
    /// Figures, explore, export; customers never shown, not even masked.
    Analyst,
    /// Their own figures and contacts (the user's `agent` scope).
    Agent,
    /// Reads figures, the floor and reports.
    Viewer,
    /// A system that posts events (a telephony platform's connector).
    Ingest,
    /// A platform operator: tenants, users, health; no contact data of any tenant.
    Operator,
}

impl Role {
    /// Every role, in the order of [`Role::NAMES`].
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::Analyst,
        Role::Agent,
        Role::Viewer,
        Role::Ingest,
        Role::Operator,
    ];

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }

    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Supervisor => "supervisor",
            Role::Analyst => "analyst",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
            Role::Ingest => "ingest",
            Role::Operator => "operator",
        }
    }

    /// The role names, for messages.
    pub const NAMES: &'static str =
        "admin, manager, supervisor, analyst, agent, viewer, ingest, operator";

    /// Whether this role may do `p`: the whole table of roles and permissions.
    pub fn allows(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Manager => matches!(
                p,
                P::Figures
                    | P::Contacts
                    | P::Floor
                    | P::Reports
                    | P::Export
                    | P::Templates
                    | P::Rules
                    | P::Unmask
            ),
            Role::Supervisor | Role::Viewer => matches!(
                p,
                P::Figures | P::Contacts | P::Floor | P::Reports | P::Export | P::Templates
            ),
            Role::Analyst => matches!(
                p,
                P::Figures | P::Contacts | P::Reports | P::Export | P::Templates
            ),
            Role::Agent => matches!(p, P::Figures | P::Contacts),
            Role::Ingest => matches!(p, P::Ingest),
            Role::Operator => matches!(p, P::Users | P::Platform),
        }
    }

    /// Whether customers are kept from this role entirely (not even masked).
    pub fn hides_customers(self) -> bool {
        matches!(self, Role::Analyst | Role::Operator | Role::Ingest)
    }

    /// A user's role and scope checked together: the role, when it is one of the eight and
    /// its scope fits it.
    pub fn of_user(user: &User) -> Result<Self, String> {
        let role = Self::parse(&user.role)
            .ok_or_else(|| format!("role `{}`: use one of {}", user.role, Self::NAMES))?;
        role.check_scope(&user.scope)?;
        Ok(role)
    }

    /// What a user of this role needs in its scope: an agent sees only their own contacts.
    pub fn check_scope(self, scope: &ccpulse_store::DataScope) -> Result<(), String> {
        if self == Role::Agent && scope.agent.is_none() {
            return Err("role agent needs the agent it is (--agent ID): an agent sees only their own contacts".into());
        }
        Ok(())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// Tenants it may see; `None` for all.
    pub tenants: Option<Vec<String>>,
    /// Within them, the contacts it may see.
    pub scope: ccpulse_store::DataScope,
    /// Asked with a read-only token: nothing [`Permission::refused_to_read_only`].
    pub read_only: bool,
}

impl Principal {
    /// `Ok` when the principal may do `p`, else a 403.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.read_only && p.refused_to_read_only() {
            return Err(ApiError::Forbidden(format!(
                "this token of `{}` only reads ({p:?} refused)",
                self.user
            )));
        }
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "user `{}` may not do this ({p:?})",
                self.user
            )))
        }
    }

    /// `Ok` when the principal may see `tenant`, else a 403.
    pub fn tenant(&self, tenant: &TenantId) -> Result<(), ApiError> {
        match &self.tenants {
            Some(list) if !list.iter().any(|t| t == tenant.as_str()) => Err(ApiError::Forbidden(
                format!("user `{}` may not see tenant `{tenant}`", self.user),
            )),
            _ => Ok(()),
        }
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the stored PHC `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new secret (token or session id): 32 random bytes, hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// SHA-256 of a secret, hex: what the store keeps.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Users, token hashes and session hashes, in memory so a request never waits on the store.
#[derive(Debug, Default)]
pub struct AuthCache {
    inner: RwLock<AuthInner>,
    /// Failed sign-ins of the last minute, by `user:NAME` and `addr:IP`.
    failures: std::sync::Mutex<HashMap<String, Vec<Timestamp>>>,
}

/// The header a change made with a session cookie must carry (see `web/src/common.ts`).
pub const CSRF_HEADER: &str = "x-ccpulse-request";

/// Failed sign-ins allowed per user name and per address within [`LOGIN_WINDOW_SECS`].
pub const LOGIN_FAILURES: usize = 5;
/// The window the failures are counted over.
pub const LOGIN_WINDOW_SECS: i64 = 60;

#[derive(Debug, Default)]
struct AuthInner {
    users: HashMap<String, User>,
    tokens: HashMap<String, ccpulse_store::TokenGrant>,
    sessions: HashMap<String, (String, Timestamp)>,
}

impl AuthCache {
    /// A cache holding what the store holds.
    pub fn new(
        users: Vec<User>,
        tokens: Vec<(String, ccpulse_store::TokenGrant)>,
        sessions: Vec<(String, String, Timestamp)>,
    ) -> Self {
        let inner = AuthInner {
            users: users.into_iter().map(|u| (u.name.clone(), u)).collect(),
            tokens: tokens.into_iter().collect(),
            sessions: sessions.into_iter().map(|(h, u, e)| (h, (u, e))).collect(),
        };
        Self {
            inner: RwLock::new(inner),
            failures: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` while any of `keys` has had [`LOGIN_FAILURES`] failed sign-ins
    /// in the last minute.
    pub fn login_allowed(&self, keys: &[String], now: Timestamp) -> Result<(), u64> {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let window = jiff::SignedDuration::from_secs(LOGIN_WINDOW_SECS);
        let mut wait = 0u64;
        for k in keys {
            if let Some(times) = f.get_mut(k) {
                times.retain(|t| now.duration_since(*t) < window);
                if times.len() >= LOGIN_FAILURES {
                    let oldest = times.iter().min().copied().unwrap_or(now);
                    let left = window - now.duration_since(oldest);
                    #[allow(clippy::cast_sign_loss)]
                    let secs = left.as_secs().max(1) as u64;
                    wait = wait.max(secs);
                }
            }
        }
        f.retain(|_, t| !t.is_empty());
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Counts a failed sign-in against each of `keys`.
    pub fn login_failed(&self, keys: &[String], now: Timestamp) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            f.entry(k.clone()).or_default().push(now);
        }
    }

    fn principal_of(inner: &AuthInner, user: &str) -> Option<Principal> {
        let u = inner.users.get(user).filter(|u| !u.disabled)?;
        Some(Principal {
            user: u.name.clone(),
            role: Role::parse(&u.role)?,
            tenants: u.tenants.clone(),
            scope: u.scope.clone(),
            read_only: false,
        })
    }

    /// Forgets a removed user at once: their tokens and sessions open nothing more.
    pub fn remove_user(&self, name: &str) {
        if let Ok(mut inner) = self.inner.write() {
            inner.users.remove(name);
            inner.tokens.retain(|_, g| g.user != name);
            inner.sessions.retain(|_, (u, _)| u != name);
        }
    }

    /// Forgets a revoked token at once.
    pub fn remove_token(&self, hash: &str) {
        if let Ok(mut inner) = self.inner.write() {
            inner.tokens.remove(hash);
        }
    }

    /// The principal of a bearer token.
    /// The principal of a bearer token still valid at `now` (a read-only token's principal
    /// only reads).
    pub fn by_token(&self, token: &str, now: Timestamp) -> Option<Principal> {
        let inner = self.inner.read().ok()?;
        let grant = inner.tokens.get(&secret_hash(token))?;
        if grant.expires.is_some_and(|e| e <= now) {
            return None;
        }
        let mut p = Self::principal_of(&inner, &grant.user)?;
        p.read_only = grant.read_only;
        Some(p)
    }

    /// The principal of a session id still valid at `now`.
    pub fn by_session(&self, session: &str, now: Timestamp) -> Option<Principal> {
        let inner = self.inner.read().ok()?;
        let (user, expires) = inner.sessions.get(&secret_hash(session))?;
        if *expires <= now {
            return None;
        }
        Self::principal_of(&inner, user)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Option<User> {
        self.inner.read().ok()?.users.get(name).cloned()
    }

    /// Remembers a user (added or changed).
    pub fn put_user(&self, user: User) {
        if let Ok(mut inner) = self.inner.write() {
            inner.users.insert(user.name.clone(), user);
        }
    }

    /// Remembers a token hash.
    pub fn put_token(&self, hash: String, grant: ccpulse_store::TokenGrant) {
        if let Ok(mut inner) = self.inner.write() {
            inner.tokens.insert(hash, grant);
        }
    }

    /// Remembers a session hash.
    pub fn put_session(&self, hash: String, user: String, expires: Timestamp) {
        if let Ok(mut inner) = self.inner.write() {
            inner.sessions.insert(hash, (user, expires));
        }
    }

    /// Forgets a session hash.
    pub fn drop_session(&self, hash: &str) {
        if let Ok(mut inner) = self.inner.write() {
            inner.sessions.remove(hash);
        }
    }
}

/// The session id in a request's cookies.
pub fn session_cookie(req: &axum::http::HeaderMap) -> Option<String> {
    req.get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Middleware for `/api`: a bearer token or a session cookie, else 401.
pub async fn require_principal(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let headers = req.headers();
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let principal = match bearer {
        Some(token) => state.auth().by_token(token, state.now()),
        None => {
            let p = session_cookie(headers).and_then(|s| state.auth().by_session(&s, state.now()));
            // A change made with a session cookie must come from our pages: they add a header
            // that a cross-site form cannot, and a cross-site script may not (no CORS).
            let safe = matches!(req.method(), &Method::GET | &Method::HEAD);
            if p.is_some() && !safe && !headers.contains_key(CSRF_HEADER) {
                return Err(ApiError::Forbidden(format!(
                    "a change made with a session cookie needs the `{CSRF_HEADER}` header (the pages send it)"
                )));
            }
            p
        }
    };
    let Some(principal) = principal else {
        return Err(ApiError::Unauthenticated);
    };
    req.extensions_mut().insert(principal);
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_secrets_are_hashed() {
        let h = hash_password("s3cret").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("guess", &h));
        let t = new_secret();
        assert_eq!(t.len(), 64);
        assert_ne!(secret_hash(&t), t);
        assert_eq!(secret_hash(&t), secret_hash(&t));
    }

    #[test]
    fn roles_allow_what_their_table_says() {
        assert!(Role::Admin.allows(Permission::Users));
        assert!(Role::Viewer.allows(Permission::Figures));
        assert!(!Role::Viewer.allows(Permission::Ingest));
        assert!(!Role::Ingest.allows(Permission::Figures));
        assert!(!Role::Supervisor.allows(Permission::Users));
        assert!(Role::Manager.allows(Permission::Unmask));
        assert!(!Role::Analyst.allows(Permission::Unmask));
        assert!(!Role::Operator.allows(Permission::Contacts));
        assert!(!Role::Operator.allows(Permission::Figures));
        assert!(!Role::Agent.allows(Permission::Floor));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
            assert!(Role::NAMES.contains(r.name()));
        }
    }
}
