//! The SQLite store: the default, a single file next to the server. One server process
//! owns the file, so it may cache the session check's lookups in memory (`cache.rs`):
//! every write that could make a cached answer wrong passes through this process.

mod accounts;
mod sessions;

use super::cache::{Lookup, SessionCache};
use super::types::{conflict, like_pattern, membership_error, user_matches, AccountSettingsRow, UserRow};
use super::{sql, AccountStore, SessionStore, Store, BULK_ROWS};
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
