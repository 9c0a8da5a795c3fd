//! All SQL lives behind this interface: one trait, a SQLite and a Postgres implementation,
//! chosen by the `DATABASE_URL` scheme. Both run the same test bodies (`app/tests/store.rs`).
//! The SQL they share is written once (`shared.rs`); each backend module holds its
//! connection, migrations and what differs (row locking, typed NULLs, the session cache).

mod cache;
mod postgres;
mod shared;
mod sqlite;
pub mod testing;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::domain::throttle::Failures;
use crate::domain::{EndReason, LoginSessionSettings, Role, SessionKind};
use crate::model::{
    Account, AuditEvent, LoginSession, Membership, SessionListing, User, UserListing, UserSort,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An Argon2 PHC string. Deliberately neither `Serialize` nor a revealing `Debug`.
#[derive(Clone)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// SHA-256 of a credential: the only form in which tokens reach the database.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password_hash: PasswordHash,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: Uuid,
    pub token_hash: TokenHash,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

/// A session with its whole history, as scale seeding (benchmarks) writes it.
#[derive(Debug, Clone)]
pub struct SeedSession {
    pub id: Uuid,
    pub token_hash: TokenHash,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub last_ip: String,
    pub user_agent: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<Uuid>,
    pub end_reason: Option<EndReason>,
}

/// Rows per multi-row INSERT in the bulk paths: 14 columns × 1000 stays well under both
/// backends' limit on bound parameters.
const BULK_ROWS: usize = 1000;

/// How, when and by whom a session ends.
#[derive(Debug, Clone, Copy)]
pub struct SessionEnd {
    pub at: DateTime<Utc>,
    pub by: Option<Uuid>,
    pub reason: EndReason,
}

pub use crate::domain::SessionView;

/// The instants before which a session counts as expired even though no request has
/// recorded its end yet (computed from the account settings by the domain).
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    pub idle_before: DateTime<Utc>,
    pub created_before: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct UserQuery {
    /// Matched case-insensitively against names and emails; empty matches everyone.
    pub search: String,
    pub sort: UserSort,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<UserListing>,
    pub total: i64,
}

/// `%term%` for LIKE, with LIKE's own wildcards in the term escaped.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The row of [`Store::list_users`]: a listing and the window count of all matches.
#[derive(sqlx::FromRow)]
struct UserRow {
    #[sqlx(flatten)]
    listing: UserListing,
    total: i64,
}

fn user_page(rows: Vec<UserRow>) -> UserPage {
    let total = rows.first().map_or(0, |r| r.total);
    UserPage {
        users: rows.into_iter().map(|r| r.listing).collect(),
        total,
    }
}

/// An account a person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRole {
    pub account_id: Uuid,
    pub account_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// What the session check needs, read in one query: the session, the holder's role
/// and names, and the account's current limits. Ended sessions are returned too, so
/// the check can say why a credential stopped working.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionContext {
    pub session_id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub last_ip: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub account_name: String,
    pub inactivity_secs: Option<i64>,
    pub max_duration_secs: Option<i64>,
    pub concurrent_limit: Option<i64>,
    /// For access tokens: when the token itself expires.
    pub token_expires_at: Option<DateTime<Utc>>,
}

impl SessionContext {
    pub fn settings(&self) -> LoginSessionSettings {
        LoginSessionSettings {
            inactivity_secs: self.inactivity_secs,
            max_duration_secs: self.max_duration_secs,
            concurrent_limit: self.concurrent_limit,
        }
    }

    pub fn end_reason(&self) -> Option<EndReason> {
        self.end_reason.as_deref().and_then(|r| r.parse().ok())
    }
}

#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub account_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub action: &'static str,
    pub target_user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres", for logs and test names.
    fn backend(&self) -> &'static str;

    /// Applies the embedded migrations of this backend.
    async fn migrate(&self) -> StoreResult<()>;

    async fn has_accounts(&self) -> StoreResult<bool>;

    /// Creates an account with default settings and its owner (a new identity), atomically.
    async fn create_account_with_owner(
        &self,
        account_name: &str,
        owner: &NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<(Account, User)>;

    async fn account(&self, id: Uuid) -> StoreResult<Option<Account>>;
    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>>;

    /// Creates a new identity and makes it a member of the account with `role`, atomically.
    async fn create_member(
        &self,
        account_id: Uuid,
        user: &NewUser,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;

    /// Adds an existing identity to an account.
    async fn add_membership(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Membership>;

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<PasswordHash>>;
    async fn membership(&self, account_id: Uuid, user_id: Uuid) -> StoreResult<Option<Membership>>;
    /// The accounts a person belongs to, by account name.
    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>>;

    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings>;
    /// Replaces the account's limits and records who changed what, in one transaction.
    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        settings: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession>;
    /// Records activity: last-active time and address. Callers throttle it (see
    /// `domain::session::needs_touch`) so the session check does not write per request.
    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>, ip: &str) -> StoreResult<()>;
    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>>;
    /// A user's sessions in one account, most recent sign-in first.
    async fn sessions_of_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        view: SessionView,
        live: Liveness,
    ) -> StoreResult<Vec<SessionListing>>;

    /// One page of an account's members with their active-session counts, and the
    /// number of members matching the search. One query.
    async fn list_users(&self, account_id: Uuid, query: &UserQuery, live: Liveness) -> StoreResult<UserPage>;
    /// One member of an account, as the users page lists them.
    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>>;

    /// Ends a session and records an audit event in one transaction. Returns whether this
    /// call ended it: ending an ended session changes nothing and is not an error.
    async fn end_session(&self, account_id: Uuid, id: Uuid, end: &SessionEnd) -> StoreResult<bool>;

    /// The hot path: a browser cookie's or a current refresh token's hash to its session
    /// context. One query over unique and primary-key indexes.
    async fn session_by_token(
        &self,
        hash: &TokenHash,
        kind: SessionKind,
    ) -> StoreResult<Option<SessionContext>>;
    /// The hot path for API calls: an access token that has not expired at `now`.
    async fn session_by_access_token(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionContext>>;
    /// The (account, session) a rotated-away refresh token belonged to, to detect reuse.
    async fn session_by_retired_refresh(&self, hash: &TokenHash) -> StoreResult<Option<(Uuid, Uuid)>>;
    async fn add_access_token(
        &self,
        session_id: Uuid,
        hash: &TokenHash,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Replaces a CLI session's refresh token if `old` is still the current one, keeping
    /// `old` as retired until `retired_until`. Returns false when another rotation won.
    async fn rotate_refresh_token(
        &self,
        session_id: Uuid,
        old: &TokenHash,
        new: &TokenHash,
        retired_until: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Failed sign-ins recorded under each of `keys` (at most two: email and address).
    async fn sign_in_failures(&self, keys: [&str; 2]) -> StoreResult<Vec<(String, Failures)>>;
    /// Counts one failure; a window that started before `window_cut` starts again at `now`.
    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()>;

    /// Every account's id and limits, for the expiry sweep.
    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>>;
    /// Sessions of an account past the cut-offs but not yet recorded as ended.
    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>>;
    /// Deletes sessions that ended before `ended_before` and access tokens expired at `now`.
    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Bulk path for scale seeding: new identities made members of an account, in
    /// multi-row statements inside one transaction. Returns their ids in order.
    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>>;
    /// Bulk path for scale seeding: sessions with their history, then each touched
    /// member's last activity. One transaction.
    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64>;

    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()>;
    /// The account's latest audit events, newest first.
    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a `DATABASE_URL` names: `postgres://` or `postgresql://` for
/// Postgres, `sqlite:` for a SQLite file (created with its folder if missing).
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Database(sqlx::Error::Configuration(
            "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into(),
        )))
    }
}

/// The audit event written when a session ends.
fn session_end_event(account_id: Uuid, session: &LoginSession, end: &SessionEnd) -> NewAuditEvent {
    NewAuditEvent {
        account_id,
        actor_user_id: end.by,
        action: "session.ended",
        target_user_id: Some(session.user_id),
        session_id: Some(session.id),
        details: serde_json::json!({
            "reason": end.reason.as_str(),
            "kind": session.kind.as_str(),
            "ip": session.last_ip,
        }),
        occurred_at: end.at,
    }
}

/// The audit event for a settings change: old and new values side by side.
fn settings_event(
    account_id: Uuid,
    old: &LoginSessionSettings,
    new: &LoginSessionSettings,
    by: Uuid,
    now: DateTime<Utc>,
) -> NewAuditEvent {
    NewAuditEvent {
        account_id,
        actor_user_id: Some(by),
        action: "settings.login_session.updated",
        target_user_id: None,
        session_id: None,
        details: serde_json::json!({ "old": old, "new": new }),
        occurred_at: now,
    }
}

/// Maps a uniqueness violation to a message a person can act on; other errors pass through.
fn conflict(e: sqlx::Error) -> StoreError {
    let sqlx::Error::Database(db) = &e else {
        return StoreError::Database(e);
    };
    if !db.is_unique_violation() {
        return StoreError::Database(e);
    }
    // Postgres names the constraint; SQLite names the table and columns in its message.
    let what = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
    // SQLite reports the one-owner partial index by its single column.
    let message = if what.contains("one_owner") || what.trim_end().ends_with("memberships.account_id") {
        "The account already has an owner"
    } else if what.contains("accounts") {
        "An account with this name already exists"
    } else if what.contains("email") {
        "A user with this email already exists"
    } else if what.contains("memberships") {
        "This user is already a member of the account"
    } else {
        "This already exists"
    };
    StoreError::Conflict(message.to_string())
}
