//! All SQL lives behind this interface: one trait, a SQLite and a Postgres implementation,
//! chosen by the `DATABASE_URL` scheme. Both run the same test bodies (`app/tests/store.rs`).
//! The SQL text is written once (`sql/`) and so is the code that runs it
//! (`sql_store/`, generic over the backend's `Dialect`); each backend (`sqlite.rs`,
//! `postgres.rs`) holds its connection, its migrations and what differs. The SQLite
//! store also keeps the session check's cache (`cache.rs`); the Postgres store, shared
//! by several processes, has none.

mod audit;
mod cache;
mod coalesce;
mod codec;
mod dialect;
pub mod events;
mod postgres;
mod sql;
mod sql_store;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod types;

pub use audit::{AuditQuery, NewAuditEvent};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use types::*;

use crate::domain::throttle::Attempts;
use crate::domain::{LoginSessionSettings, Role, SessionKind, SessionView};
use crate::model::{Account, LoginSession, Membership, SessionListing, User, UserListing};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// The whole store: every backend implements all of it.
#[async_trait]
pub trait Store: AccountStore + SessionStore + AuditStore {
    /// "sqlite" or "postgres", for logs and test names.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations of this backend.
    async fn migrate(&self) -> StoreResult<()>;

    /// Whether the database answers now (for readiness probes).
    async fn ping(&self) -> StoreResult<()>;

    /// Brings the query planner's statistics up to date with the data (the sweep runs it).
    async fn refresh_statistics(&self) -> StoreResult<()>;

    /// After the sweep's ends and purges: keeps the account-wide search's counts reading
    /// indexes alone (a vacuum on Postgres; nothing to do on SQLite).
    async fn tidy_sessions(&self) -> StoreResult<()>;
}

/// The audit log: append-only; only the retention sweep deletes.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends events that stand alone (a refused sign-in, a reuse); the events of
    /// writes are appended in the write's own transaction.
    async fn record_audit_events(&self, events: &[NewAuditEvent]) -> StoreResult<()>;
    /// One page of the account's events a filter matches, newest first.
    async fn audit_events_page(
        &self,
        account_id: Uuid,
        query: &AuditQuery,
    ) -> StoreResult<Vec<crate::model::AuditRow>>;
    /// Deletes at most `most` of the oldest events before `before`; returns how many.
    async fn purge_audit_events(&self, before: DateTime<Utc>, most: i64) -> StoreResult<u64>;
}

/// Accounts, people, memberships, the account's limits and the sign-in throttle.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
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
    /// The account's owner.
    async fn owner_of(&self, account_id: Uuid) -> StoreResult<Option<Uuid>>;
    /// The accounts a person belongs to, by account name.
    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>>;
    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings>;
    /// Replaces the account's limits if they still are `old`, and records who changed
    /// what, in one transaction. Returns false, changing nothing, when another change
    /// came first.
    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        old: &LoginSessionSettings,
        new: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
        origin: Option<crate::model::Origin>,
    ) -> StoreResult<bool>;
    /// Changes a member's role between administrator and member (never the owner's,
    /// never to owner) and records it. Returns the role it had.
    async fn set_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Role>;
    /// One page of an account's members with their active-session counts, and the
    /// number of members matching the search. One query.
    async fn list_users(
        &self,
        account_id: Uuid,
        query: &UserQuery,
        live: Liveness,
    ) -> StoreResult<UserMatches>;
    /// The members of an account whose name or email contains `text` (any case), when
    /// there are at most `at_most` of them; `None` when there are more.
    async fn members_matching(
        &self,
        account_id: Uuid,
        text: &str,
        at_most: i64,
    ) -> StoreResult<Option<Vec<Uuid>>>;
    /// One member of an account, as the users page lists them.
    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>>;
    /// Counts one sign-in attempt under each of `keys` and returns the counts including
    /// it, in one transaction, so concurrent attempts take their places in the same order
    /// under every key; a window that started before `window_cut` starts again at `now`.
    async fn count_attempts(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<Vec<Attempts>>;
    /// Gives one counted attempt back (a success from a shared address).
    async fn release_attempt(&self, key: &str) -> StoreResult<()>;
    async fn clear_attempts(&self, key: &str) -> StoreResult<()>;
    /// Remembers a browser that signed in as `user_id`, by its device token's hash.
    async fn add_trusted_device(
        &self,
        hash: &TokenHash,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The person a device token was issued to.
    async fn trusted_device_user(&self, hash: &TokenHash) -> StoreResult<Option<Uuid>>;
    /// Every account's id and limits, for the expiry sweep.
    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>>;
}

/// Login sessions: creating, listing and ending them, their credentials, the session
/// check's lookups and the sweep.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// What happens to sessions from now on, as each write commits (see `events.rs`).
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<events::Feed>;
    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession>;
    /// Records a batch of activity (last-active time and address) in one transaction.
    /// A time no later than the stored one, or for a session that has ended, changes
    /// nothing: of two nodes' activity the later wins, and activity never undoes an end.
    /// Returns how many sessions it moved forward.
    async fn record_activity(&self, batch: &[Activity]) -> StoreResult<usize>;
    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>>;
    /// A user's sessions in one account, most recent sign-in first.
    async fn sessions_of_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        view: SessionView,
        live: Liveness,
    ) -> StoreResult<Vec<SessionListing>>;
    /// Ends the selected sessions that have not ended yet and records an audit event for
    /// each, in one transaction. Returns the sessions this call ended: ending an ended
    /// session changes nothing and is not an error. Only `service::end_sessions` calls it.
    async fn end_sessions(
        &self,
        account_id: Uuid,
        selection: &SessionSelection,
        end: &SessionEnd,
    ) -> StoreResult<Vec<EndedSession>>;
    /// One keyset page of the account's sessions that a search matches, with their holders.
    async fn search_sessions(
        &self,
        account_id: Uuid,
        query: &SessionQuery,
    ) -> StoreResult<Vec<AccountSessionListing>>;
    /// How many of the account's sessions a search matches; with `users`, also of how
    /// many people.
    async fn count_sessions(
        &self,
        account_id: Uuid,
        matching: &SessionMatch,
        users: bool,
    ) -> StoreResult<SessionCount>;
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
    /// Forgets what this process remembers of a credential: its next lookup reads the
    /// database. A Postgres node's remembered answer may hold an older last activity
    /// than another node wrote since; the check reads again before it ends a session as
    /// idle.
    fn forget_remembered(&self, hash: &TokenHash);
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
    /// Sessions of an account past the cut-offs but not yet recorded as ended.
    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>>;
    /// Deletes sessions that ended before `ended_before` and access tokens expired at `now`.
    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64>;
}

pub type DynStore = Arc<dyn Store>;

/// How long a request waits for a database connection before it is answered 503.
static ACQUIRE_TIMEOUT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(5000);

/// Sets how long a request waits for a database connection (an unreachable database is
/// answered 503 after this). Takes effect for stores opened afterwards: set it at start-up.
pub fn set_acquire_timeout(timeout: std::time::Duration) {
    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
    ACQUIRE_TIMEOUT_MS.store(ms, std::sync::atomic::Ordering::Relaxed);
}

fn acquire_timeout() -> std::time::Duration {
    std::time::Duration::from_millis(ACQUIRE_TIMEOUT_MS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Connections each process opens to Postgres at most (SQLite keeps its own four).
static POOL_SIZE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(16);

/// Sets the Postgres pool's size for stores opened afterwards: set it at start-up.
pub fn set_pool_size(connections: u32) {
    POOL_SIZE.store(connections.max(1), std::sync::atomic::Ordering::Relaxed);
}

fn pool_size() -> u32 {
    POOL_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Opens the store a `DATABASE_URL` names: `postgres://` or `postgresql://` for
/// Postgres, `sqlite:` for a SQLite file (created with its folder if missing).
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    open::<dyn Store>(url, |s| Arc::new(s), |p| Arc::new(p)).await
}

/// Opens the backend `url` names and hands it out as the caller's kind of `Arc`.
async fn open<T: ?Sized>(
    url: &str,
    sqlite: fn(SqliteStore) -> Arc<T>,
    postgres: fn(PostgresStore) -> Arc<T>,
) -> StoreResult<Arc<T>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(postgres(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(sqlite(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Database(sqlx::Error::Configuration(
            "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into(),
        )))
    }
}

/// Rows per multi-row statement in the bulk paths: 17 columns × 1000 stays well under
/// both backends' limit on bound parameters.
const BULK_ROWS: usize = 1000;
