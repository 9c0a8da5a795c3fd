//! Not part of the product: what tests and the benchmark seeder need besides the
//! [`Store`] (bulk seeding, reading audit events back, writing rows the store's rules
//! would refuse), and fresh, migrated stores for tests: a temporary SQLite file by
//! default, or a new database on the Postgres server named by `TEST_POSTGRES_URL` (the
//! test script starts a throwaway server and sets it). Built only with the `testing`
//! feature.
#![allow(
    clippy::expect_used,
    reason = "test support: a test database that cannot be made should fail the test loudly"
)]

use super::{sql, NewAuditEvent, NewUser, PostgresStore, SqliteStore, Store, StoreResult, TokenHash};
use super::{types::conflict, BULK_ROWS};
use crate::domain::{EndReason, Role, SessionKind};
use crate::model::AuditEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder, Sqlite};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

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

#[async_trait]
pub trait TestingStore: Store {
    /// New identities made members of an account, in multi-row statements inside one
    /// transaction. Returns their ids in order.
    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>>;
    /// Sessions with their history, then each touched member's last activity. One transaction.
    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64>;
    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()>;
    /// The account's latest audit events, newest first.
    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// Runs one statement as written, the way an operator's manual fix would.
    async fn execute_raw(&self, statement: &str) -> StoreResult<u64>;
    /// Applies the migrations found in `dir` (e.g. only the older ones, to test an upgrade).
    async fn migrate_from(&self, dir: &std::path::Path) -> StoreResult<()>;
}

pub type DynTestingStore = Arc<dyn TestingStore>;

/// Opens a store with its testing side.
pub async fn connect(url: &str) -> StoreResult<DynTestingStore> {
    if super::is_postgres(url) {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(super::unsupported_url())
    }
}

const AUDIT_EVENTS: &str = "SELECT id, account_id, actor_user_id, action, target_user_id, session_id, \
     details, occurred_at FROM audit_events WHERE account_id = $1 ORDER BY occurred_at DESC, id LIMIT $2";
const MEMBERS_LAST_ACTIVE: &str = "UPDATE memberships SET last_active_at = (SELECT MAX(s.last_active_at) \
     FROM login_sessions s WHERE s.account_id = memberships.account_id AND s.user_id = memberships.user_id) \
     WHERE account_id = $1";

/// The accounts a batch of seeded sessions touches, once each.
fn accounts_of(sessions: &[SeedSession]) -> Vec<Uuid> {
    let mut accounts: Vec<Uuid> = sessions.iter().map(|s| s.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
}

fn user_rows<'a, DB: sqlx::Database>(
    users: &'a [NewUser],
    ids: &'a [Uuid],
    now: DateTime<Utc>,
) -> QueryBuilder<'a, DB>
where
    DB::Arguments<'a>: Default,
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert =
        QueryBuilder::new("INSERT INTO users (id, email, display_name, password_hash, created_at) ");
    insert.push_values(users.iter().zip(ids), |mut row, (user, id)| {
        row.push_bind(*id)
            .push_bind(user.email.as_str())
            .push_bind(user.display_name.as_str())
            .push_bind(user.password_hash.0.as_str())
            .push_bind(now);
    });
    insert
}

fn membership_rows<'a, DB: sqlx::Database>(
    account_id: Uuid,
    ids: &'a [Uuid],
    role: Role,
    now: DateTime<Utc>,
) -> QueryBuilder<'a, DB>
where
    DB::Arguments<'a>: Default,
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Role: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert = QueryBuilder::new("INSERT INTO memberships (account_id, user_id, role, created_at) ");
    insert.push_values(ids, |mut row, id| {
        row.push_bind(account_id)
            .push_bind(*id)
            .push_bind(role)
            .push_bind(now);
    });
    insert
}

fn session_rows<'a, DB: sqlx::Database>(sessions: &'a [SeedSession]) -> QueryBuilder<'a, DB>
where
    DB::Arguments<'a>: Default,
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a [u8]: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    SessionKind: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    EndReason: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<Uuid>: sqlx::Encode<'a, DB>,
    Option<EndReason>: sqlx::Encode<'a, DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'a, DB>,
{
    let mut insert = QueryBuilder::new(
        "INSERT INTO login_sessions (id, token_hash, account_id, user_id, kind, created_at, last_active_at, \
         expires_at, ip, last_ip, user_agent, ended_at, ended_by, end_reason) ",
    );
    insert.push_values(sessions, |mut row, s| {
        row.push_bind(s.id)
            .push_bind(&s.token_hash.0[..])
            .push_bind(s.account_id)
            .push_bind(s.user_id)
            .push_bind(s.kind)
            .push_bind(s.created_at)
            .push_bind(s.last_active_at)
            .push_bind(s.expires_at)
            .push_bind(s.ip.as_str())
            .push_bind(s.last_ip.as_str())
            .push_bind(s.user_agent.as_str())
            .push_bind(s.ended_at)
            .push_bind(s.ended_by)
            .push_bind(s.end_reason);
    });
    insert
}

// The two implementations differ only in their database type.

#[async_trait]
impl TestingStore for SqliteStore {
    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<Uuid> = users.iter().map(|_| Uuid::new_v4()).collect();
        let mut tx = self.pool.begin().await?;
        for (chunk, chunk_ids) in users.chunks(BULK_ROWS).zip(ids.chunks(BULK_ROWS)) {
            let mut users = user_rows::<Sqlite>(chunk, chunk_ids, now);
            users.build().execute(&mut *tx).await.map_err(conflict)?;
            let mut members = membership_rows::<Sqlite>(account_id, chunk_ids, role, now);
            members.build().execute(&mut *tx).await.map_err(conflict)?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        for chunk in sessions.chunks(BULK_ROWS) {
            let mut insert = session_rows::<Sqlite>(chunk);
            inserted += insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(conflict)?
                .rows_affected();
        }
        for account_id in accounts_of(sessions) {
            sqlx::query(MEMBERS_LAST_ACTIVE)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let mut insert = sql::insert_audits::<Sqlite>(std::slice::from_ref(event));
        insert.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        Ok(sqlx::query_as(AUDIT_EVENTS)
            .bind(account_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn execute_raw(&self, statement: &str) -> StoreResult<u64> {
        Ok(sqlx::raw_sql(statement)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn migrate_from(&self, dir: &std::path::Path) -> StoreResult<()> {
        sqlx::migrate::Migrator::new(dir).await?.run(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl TestingStore for PostgresStore {
    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<Uuid> = users.iter().map(|_| Uuid::new_v4()).collect();
        let mut tx = self.pool.begin().await?;
        for (chunk, chunk_ids) in users.chunks(BULK_ROWS).zip(ids.chunks(BULK_ROWS)) {
            let mut users = user_rows::<Postgres>(chunk, chunk_ids, now);
            users.build().execute(&mut *tx).await.map_err(conflict)?;
            let mut members = membership_rows::<Postgres>(account_id, chunk_ids, role, now);
            members.build().execute(&mut *tx).await.map_err(conflict)?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        for chunk in sessions.chunks(BULK_ROWS) {
            let mut insert = session_rows::<Postgres>(chunk);
            inserted += insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(conflict)?
                .rows_affected();
        }
        for account_id in accounts_of(sessions) {
            sqlx::query(MEMBERS_LAST_ACTIVE)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let mut insert = sql::insert_audits::<Postgres>(std::slice::from_ref(event));
        insert.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        Ok(sqlx::query_as(AUDIT_EVENTS)
            .bind(account_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn execute_raw(&self, statement: &str) -> StoreResult<u64> {
        Ok(sqlx::raw_sql(statement)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn migrate_from(&self, dir: &std::path::Path) -> StoreResult<()> {
        sqlx::migrate::Migrator::new(dir).await?.run(&self.pool).await?;
        Ok(())
    }
}

/// A test's store. Dropping it deletes the SQLite file (and its WAL and shared-memory
/// files), so test runs do not pile databases up in the temp folder; a Postgres test
/// database goes away with the throwaway server.
pub struct TestStore {
    store: DynTestingStore,
    sqlite_file: Option<PathBuf>,
}

impl TestStore {
    /// The store as the product sees it.
    pub fn product(&self) -> super::DynStore {
        self.store.clone()
    }

    pub fn testing(&self) -> DynTestingStore {
        self.store.clone()
    }
}

impl Deref for TestStore {
    type Target = DynTestingStore;
    fn deref(&self) -> &DynTestingStore {
        &self.store
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            // Open connections keep an unlinked file readable until they close.
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

pub fn on_postgres() -> bool {
    std::env::var("TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty())
}

/// A fresh, migrated store.
pub async fn fresh_store() -> TestStore {
    let store = unmigrated_store().await;
    store.migrate().await.expect("migrate the test store");
    store
}

/// A fresh store with no tables yet.
pub async fn unmigrated_store() -> TestStore {
    let name = format!("sc_test_{}", Uuid::new_v4().simple());
    let (url, sqlite_file) = match std::env::var("TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let mut admin = PgConnection::connect(&base)
                .await
                .expect("connect to the test Postgres server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create a test database");
            admin.close().await.ok();
            let (server, _) = base
                .rsplit_once('/')
                .expect("TEST_POSTGRES_URL ends with /DATABASE");
            (format!("{server}/{name}"), None)
        }
        _ => {
            let file = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite:{}", file.display()), Some(file))
        }
    };
    let store = connect(&url).await.expect("open the test store");
    TestStore { store, sqlite_file }
}
