//! The SQLite store: the default, a single file next to the server. One server process
//! owns the file, so it may cache the session check's lookups in memory (`cache.rs`):
//! every write that could make a cached answer wrong passes through this process.

use super::cache::{Lookup, SessionCache};
use super::types::{conflict, like_pattern, membership_error, user_matches, AccountSettingsRow, UserRow};
use super::{sql, Store, BULK_ROWS};
use super::{
    AccountRole, Liveness, NewAuditEvent, NewSession, NewUser, PasswordHash, SessionContext, SessionEnd,
    SessionSelection, StoreError, StoreResult, TokenHash, UserMatches, UserQuery,
};
use crate::domain::throttle::Failures;
use crate::domain::{LoginSessionSettings, Role, SessionKind, SessionView};
use crate::model::{Account, LoginSession, Membership, SessionListing, User, UserListing, UserSort};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

type Tx<'a> = sqlx::Transaction<'a, Sqlite>;

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    cache: SessionCache,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if let Some(dir) = std::path::Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }
        // One writer at a time anyway; a few connections keep the page caches (2 MB each) small.
        // A local file cannot hang up: skip sqlx's ping on every acquire.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            cache: SessionCache::default(),
        })
    }

    /// The session check's lookup, answered from the cache when it can be.
    async fn context<'q>(
        &self,
        hash: &TokenHash,
        lookup: Lookup,
        query: sqlx::query::QueryAs<'q, Sqlite, SessionContext, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> StoreResult<Option<SessionContext>> {
        if let Some(hit) = self.cache.get(hash, lookup) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let found = query.fetch_optional(&self.pool).await?;
        if let Some(context) = &found {
            self.cache.put(hash, lookup, generation, context);
        }
        Ok(found)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn has_accounts(&self) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(sql::HAS_ACCOUNTS)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn create_account_with_owner(
        &self,
        account_name: &str,
        owner: &NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<(Account, User)> {
        let mut tx = self.pool.begin().await?;
        let account: Account = sqlx::query_as(sql::INSERT_ACCOUNT)
            .bind(Uuid::new_v4())
            .bind(account_name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict)?;
        sqlx::query(sql::INSERT_DEFAULT_SETTINGS)
            .bind(account.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let user = insert_user(&mut tx, owner, now).await?;
        insert_membership(&mut tx, account.id, user.id, Role::Owner, now).await?;
        tx.commit().await?;
        Ok((account, user))
    }

    async fn account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        Ok(sqlx::query_as(sql::ACCOUNT_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        Ok(sqlx::query_as(sql::ACCOUNT_BY_NAME)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn create_member(
        &self,
        account_id: Uuid,
        user: &NewUser,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        let created = insert_user(&mut tx, user, now).await?;
        insert_membership(&mut tx, account_id, created.id, role, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn add_membership(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Membership> {
        let mut tx = self.pool.begin().await?;
        let membership = insert_membership(&mut tx, account_id, user_id, role, now).await?;
        tx.commit().await?;
        Ok(membership)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as(sql::USER_BY_EMAIL)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<PasswordHash>> {
        let hash: Option<String> = sqlx::query_scalar(sql::PASSWORD_HASH)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(hash.map(PasswordHash))
    }

    async fn membership(&self, account_id: Uuid, user_id: Uuid) -> StoreResult<Option<Membership>> {
        Ok(sqlx::query_as(sql::MEMBERSHIP)
            .bind(account_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>> {
        Ok(sqlx::query_as(sql::ACCOUNTS_OF_USER)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings> {
        let found = sqlx::query_as(sql::SETTINGS)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        found.ok_or(StoreError::NotFound)
    }

    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        old: &LoginSessionSettings,
        new: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(sql::UPDATE_SETTINGS_SQLITE)
            .bind(account_id)
            .bind(new.inactivity_secs)
            .bind(new.max_duration_secs)
            .bind(new.concurrent_limit)
            .bind(now)
            .bind(by)
            .bind(old.inactivity_secs)
            .bind(old.max_duration_secs)
            .bind(old.concurrent_limit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            let exists: bool = sqlx::query_scalar(sql::ACCOUNT_EXISTS)
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await?;
            return if exists {
                Ok(false)
            } else {
                Err(StoreError::NotFound)
            };
        }
        let event = NewAuditEvent::settings_changed(account_id, old, new, by, now);
        insert_audits(&mut tx, std::slice::from_ref(&event)).await?;
        tx.commit().await?;
        self.cache.invalidate();
        Ok(true)
    }

    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession> {
        let mut tx = self.pool.begin().await?;
        let session: LoginSession = sqlx::query_as(sql::INSERT_SESSION)
            .bind(new.id)
            .bind(&new.token_hash.0[..])
            .bind(new.account_id)
            .bind(new.user_id)
            .bind(new.kind)
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(&new.ip)
            .bind(&new.user_agent)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict)?;
        sqlx::query(sql::MEMBER_ACTIVE_AT)
            .bind(new.account_id)
            .bind(new.user_id)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>, ip: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let touched: Option<(Uuid, Uuid)> = sqlx::query_as(sql::TOUCH_SESSION)
            .bind(id)
            .bind(at)
            .bind(ip)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((account_id, user_id)) = touched else {
            return Ok(());
        };
        sqlx::query(sql::MEMBER_ACTIVE_AT)
            .bind(account_id)
            .bind(user_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.touched(id, at, ip);
        Ok(())
    }

    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>> {
        Ok(sqlx::query_as(sql::SESSION)
            .bind(id)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn sessions_of_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        view: SessionView,
        live: Liveness,
    ) -> StoreResult<Vec<SessionListing>> {
        let query = sqlx::query_as(sql::sessions_of_user(view))
            .bind(account_id)
            .bind(user_id);
        let query = match view {
            SessionView::All => query,
            SessionView::Active | SessionView::Ended => {
                query.bind(live.idle_before).bind(live.created_before)
            }
        };
        Ok(query.fetch_all(&self.pool).await?)
    }

    async fn list_users(
        &self,
        account_id: Uuid,
        query: &UserQuery,
        live: Liveness,
    ) -> StoreResult<UserMatches> {
        let sql = match query.sort {
            UserSort::Name => sql::LIST_USERS_BY_NAME,
            UserSort::LastActive => sql::LIST_USERS_BY_ACTIVITY,
        };
        let rows: Vec<UserRow> = sqlx::query_as(sql)
            .bind(account_id)
            .bind(like_pattern(&query.search))
            .bind(query.limit)
            .bind(query.offset)
            .bind(live.idle_before)
            .bind(live.created_before)
            .fetch_all(&self.pool)
            .await?;
        Ok(user_matches(rows))
    }

    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>> {
        Ok(sqlx::query_as(sql::MEMBER)
            .bind(account_id)
            .bind(user_id)
            .bind(live.idle_before)
            .bind(live.created_before)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn end_sessions(
        &self,
        account_id: Uuid,
        selection: &SessionSelection,
        end: &SessionEnd,
    ) -> StoreResult<Vec<LoginSession>> {
        let mut tx = self.pool.begin().await?;
        let ended: Vec<LoginSession> = match selection {
            SessionSelection::LiveOfUser {
                user_id,
                except,
                live,
            } => {
                sqlx::query_as(sql::END_LIVE_OF_USER)
                    .bind(end.at)
                    .bind(end.by)
                    .bind(end.reason)
                    .bind(account_id)
                    .bind(user_id)
                    .bind(live.idle_before)
                    .bind(live.created_before)
                    .bind(except)
                    .fetch_all(&mut *tx)
                    .await?
            }
            SessionSelection::Ids { ids, user_id } => {
                let mut ended = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(BULK_ROWS) {
                    let mut update = sql::end_by_ids::<Sqlite>(account_id, chunk, *user_id, end);
                    ended.extend(update.build_query_as().fetch_all(&mut *tx).await?);
                }
                ended
            }
        };
        let events: Vec<_> = ended
            .iter()
            .map(|s| NewAuditEvent::session_ended(s, end))
            .collect();
        insert_audits(&mut tx, &events).await?;
        tx.commit().await?;
        if !ended.is_empty() {
            self.cache.invalidate();
        }
        Ok(ended)
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        kind: SessionKind,
    ) -> StoreResult<Option<SessionContext>> {
        let lookup = match kind {
            SessionKind::Browser => Lookup::Browser,
            SessionKind::Cli => Lookup::Refresh,
        };
        let query = sqlx::query_as(sql::CONTEXT_BY_TOKEN_SQLITE)
            .bind(&hash.0[..])
            .bind(kind);
        self.context(hash, lookup, query).await
    }

    async fn session_by_access_token(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionContext>> {
        let query = sqlx::query_as(sql::CONTEXT_BY_ACCESS_TOKEN)
            .bind(&hash.0[..])
            .bind(now);
        let found = self.context(hash, Lookup::Access, query).await?;
        // A cached entry may outlive its token's ten minutes.
        Ok(found.filter(|c| c.token_expires_at.is_some_and(|expiry| expiry > now)))
    }

    async fn session_by_retired_refresh(&self, hash: &TokenHash) -> StoreResult<Option<(Uuid, Uuid)>> {
        Ok(sqlx::query_as(sql::RETIRED_REFRESH)
            .bind(&hash.0[..])
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn add_access_token(
        &self,
        session_id: Uuid,
        hash: &TokenHash,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_ACCESS_TOKEN)
            .bind(&hash.0[..])
            .bind(session_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(conflict)?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        session_id: Uuid,
        old: &TokenHash,
        new: &TokenHash,
        retired_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let swapped = sqlx::query(sql::SWAP_REFRESH)
            .bind(session_id)
            .bind(&old.0[..])
            .bind(&new.0[..])
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if swapped != 1 {
            return Ok(false);
        }
        sqlx::query(sql::RETIRE_REFRESH)
            .bind(&old.0[..])
            .bind(session_id)
            .bind(retired_until)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.invalidate();
        Ok(true)
    }

    async fn sign_in_failures(&self, keys: [&str; 2]) -> StoreResult<Vec<(String, Failures)>> {
        let rows: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(sql::FAILURES)
            .bind(keys[0])
            .bind(keys[1])
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(failures).collect())
    }

    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(sql::RECORD_FAILURE)
            .bind(key)
            .bind(now)
            .bind(window_cut)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query(sql::CLEAR_FAILURES)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>> {
        let rows: Vec<AccountSettingsRow> = sqlx::query_as(sql::ALL_SETTINGS).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>> {
        Ok(sqlx::query_as(sql::UNRECORDED_EXPIRED)
            .bind(account_id)
            .bind(live.idle_before)
            .bind(live.created_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let tokens = sqlx::query(sql::PURGE_TOKENS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let sessions = sqlx::query(sql::PURGE_SESSIONS)
            .bind(ended_before)
            .execute(&self.pool)
            .await?;
        Ok(tokens.rows_affected() + sessions.rows_affected())
    }
}

fn failures((key, count, window_started_at): (String, i64, DateTime<Utc>)) -> (String, Failures) {
    (
        key,
        Failures {
            count,
            window_started_at,
        },
    )
}

async fn insert_user(tx: &mut Tx<'_>, user: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
    sqlx::query_as(sql::INSERT_USER)
        .bind(Uuid::new_v4())
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.password_hash.0)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(conflict)
}

async fn insert_membership(
    tx: &mut Tx<'_>,
    account_id: Uuid,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> StoreResult<Membership> {
    sqlx::query_as(sql::INSERT_MEMBERSHIP)
        .bind(account_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(membership_error)
}

pub(super) async fn insert_audits(tx: &mut Tx<'_>, events: &[NewAuditEvent]) -> StoreResult<()> {
    for chunk in events.chunks(BULK_ROWS) {
        sql::insert_audits::<Sqlite>(chunk)
            .build()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
