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

use super::dialect::{args, Dialect, Value};
use super::sql_store::new_session_args;
use super::sql_store::SqlStore;
use super::{sql, NewAuditEvent, NewSession, NewUser, SessionSelection, Store, StoreResult, TokenHash};
use super::{types::conflict, BULK_ROWS};
use crate::domain::device::describe;
use crate::domain::search::ip_key;
use crate::domain::Role;
use crate::domain::SessionKind;
use crate::model::{AuditEvent, LoginSession};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// A session with its whole history, as scale seeding (benchmarks) writes it.
#[derive(Debug, Clone)]
pub struct SeedSession {
    pub session: LoginSession,
    pub token_hash: TokenHash,
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
    /// A session as releases before migration 0004 wrote it: without search keys.
    async fn insert_unkeyed_session(&self, new: &NewSession) -> StoreResult<()>;
    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()>;
    /// The account's latest audit events, newest first.
    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// Runs one statement as written, the way an operator's manual fix would.
    async fn execute_raw(&self, statement: &str) -> StoreResult<u64>;
    /// Applies the migrations found in `dir` (e.g. only the older ones, to test an upgrade).
    async fn migrate_from(&self, dir: &std::path::Path) -> StoreResult<()>;
    /// Postgres: how many table rows an index-only count of the account's sessions reads
    /// besides its index (the plan's "Heap Fetches"). `None` on SQLite, whose indexes
    /// need no such reads.
    async fn heap_fetches_counting(&self, account_id: Uuid) -> StoreResult<Option<u64>>;
    /// The database's plan for ending the listed sessions (`EXPLAIN QUERY PLAN` on
    /// SQLite, `EXPLAIN` on Postgres), one line per step, on one connection after
    /// running `statistics` there (to plan as with a large database's statistics).
    /// Only the listed (`Ids`) and the searched (`Matching`) selections.
    async fn plan_of_ending(
        &self,
        statistics: &[&str],
        account_id: Uuid,
        selection: &SessionSelection,
    ) -> StoreResult<Vec<String>>;
    /// Postgres: the generic plan of the coalesced access-token check (`coalesce.rs`),
    /// the one each lookup connection keeps, one line per step. `None` on SQLite, whose
    /// check looks one token up by its key.
    async fn plan_of_access_check(&self) -> StoreResult<Option<Vec<String>>>;
}

/// One line of a query plan: SQLite's `detail` column, Postgres's only one.
struct PlanLine(String);

impl sqlx::FromRow<'_, sqlx::sqlite::SqliteRow> for PlanLine {
    fn from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Self> {
        sqlx::Row::try_get(row, "detail").map(PlanLine)
    }
}

impl sqlx::FromRow<'_, sqlx::postgres::PgRow> for PlanLine {
    fn from_row(row: &sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        sqlx::Row::try_get(row, 0).map(PlanLine)
    }
}

pub type DynTestingStore = Arc<dyn TestingStore>;

/// Opens a store with its testing side.
pub async fn connect(url: &str) -> StoreResult<DynTestingStore> {
    super::open::<dyn TestingStore>(url, |s| Arc::new(s), |p| Arc::new(p)).await
}

const AUDIT_EVENTS: &str = "SELECT id, account_id, actor_user_id, action, target_user_id, session_id, \
     details, occurred_at FROM audit_events WHERE account_id = $1 ORDER BY occurred_at DESC, id LIMIT $2";
const UNKEYED_INSERT: &str = "INSERT INTO login_sessions (id, token_hash, account_id, user_id, kind, \
     created_at, last_active_at, expires_at, ip, last_ip, user_agent) \
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $8, $9)";
const MEMBERS_LAST_ACTIVE: &str = "UPDATE memberships SET last_active_at = (SELECT MAX(s.last_active_at) \
     FROM login_sessions s WHERE s.account_id = memberships.account_id AND s.user_id = memberships.user_id) \
     WHERE account_id = $1";

/// The accounts a batch of seeded sessions touches, once each.
fn accounts_of(sessions: &[SeedSession]) -> Vec<Uuid> {
    let mut accounts: Vec<Uuid> = sessions.iter().map(|s| s.session.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
}

fn insert_rows<DB: Dialect>(table_and_columns: &str, rows: usize, width: usize) -> String {
    format!(
        "INSERT INTO {table_and_columns} VALUES {}",
        sql::values_rows::<DB>(rows, width)
    )
}

#[async_trait]
impl<DB: Dialect> TestingStore for SqlStore<DB> {
    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<Uuid> = users.iter().map(|_| Uuid::new_v4()).collect();
        let (_turn, mut tx) = self.begin_write().await?;
        for (chunk, chunk_ids) in users.chunks(BULK_ROWS).zip(ids.chunks(BULK_ROWS)) {
            let sql = insert_rows::<DB>(
                "users (id, email, display_name, password_hash, created_at)",
                chunk.len(),
                5,
            );
            let args = chunk
                .iter()
                .zip(chunk_ids)
                .flat_map(|(u, id)| args![*id, &u.email, &u.display_name, &u.password_hash.0, now])
                .collect();
            DB::execute(&mut *tx, &sql, args).await.map_err(conflict)?;
            let sql = insert_rows::<DB>(
                "memberships (account_id, user_id, role, created_at)",
                chunk.len(),
                4,
            );
            let args = chunk_ids
                .iter()
                .flat_map(|id| args![account_id, *id, role, now])
                .collect();
            DB::execute(&mut *tx, &sql, args).await.map_err(conflict)?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64> {
        let (_turn, mut tx) = self.begin_write().await?;
        let mut inserted = 0;
        // Seeds reuse a few user agents: parse each once, not once per row.
        let mut devices = std::collections::HashMap::new();
        for chunk in sessions.chunks(BULK_ROWS) {
            let sql = insert_rows::<DB>(
                "login_sessions (id, token_hash, account_id, user_id, kind, created_at, last_active_at, \
                 expires_at, ip, last_ip, user_agent, ended_at, ended_by, end_reason, ip_key, last_ip_key, \
                 device, device_name, device_kind)",
                chunk.len(),
                19,
            );
            let args = chunk
                .iter()
                .flat_map(|seed| {
                    let s = &seed.session;
                    let device = devices
                        .entry((s.user_agent.clone(), s.kind))
                        .or_insert_with(|| describe(&s.user_agent, s.kind == SessionKind::Cli))
                        .clone();
                    args![
                        s.id,
                        &seed.token_hash,
                        s.account_id,
                        s.user_id,
                        s.kind,
                        s.created_at,
                        s.last_active_at,
                        s.expires_at,
                        &s.ip,
                        &s.last_ip,
                        &s.user_agent,
                        s.ended_at,
                        s.ended_by,
                        s.end_reason,
                        Value::Bytes(ip_key(&s.ip)),
                        Value::Bytes(ip_key(&s.last_ip)),
                        device.label(),
                        device.name,
                        device.kind.as_str(),
                    ]
                })
                .collect();
            inserted += DB::execute(&mut *tx, &sql, args).await.map_err(conflict)?;
        }
        for device in devices.into_values() {
            DB::execute(&mut *tx, sql::ADD_DEVICE_LABEL, args![device.label()]).await?;
        }
        for account_id in accounts_of(sessions) {
            DB::execute(&mut *tx, MEMBERS_LAST_ACTIVE, args![account_id]).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn insert_unkeyed_session(&self, new: &NewSession) -> StoreResult<()> {
        self.run(UNKEYED_INSERT, new_session_args(new)).await?;
        Ok(())
    }

    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let (sql, args) = sql::insert_audits::<DB>(std::slice::from_ref(event));
        self.run(&sql, args).await?;
        Ok(())
    }

    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.all(AUDIT_EVENTS, args![account_id, limit]).await
    }

    async fn execute_raw(&self, statement: &str) -> StoreResult<u64> {
        Ok(DB::execute_raw(&mut *self.pool.acquire().await?, statement).await?)
    }

    async fn migrate_from(&self, dir: &std::path::Path) -> StoreResult<()> {
        DB::migrate_from(&self.pool, dir).await
    }

    async fn heap_fetches_counting(&self, account_id: Uuid) -> StoreResult<Option<u64>> {
        if DB::BACKEND != "postgres" {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        // A test's few rows would be read straight from the table; the search reads indexes.
        DB::execute_raw(&mut conn, "SET enable_seqscan = off; SET enable_bitmapscan = off").await?;
        let plan: Result<Vec<PlanLine>, _> = DB::fetch_all(
            &mut conn,
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) \
             SELECT count(*) FROM login_sessions WHERE account_id = $1",
            args![account_id],
        )
        .await;
        DB::execute_raw(&mut conn, "RESET enable_seqscan; RESET enable_bitmapscan").await?;
        let plan = plan?;
        if !plan.iter().any(|line| line.0.contains("Index Only Scan")) {
            let plan: Vec<&str> = plan.iter().map(|line| line.0.as_str()).collect();
            return Err(conflict(sqlx::Error::Protocol(format!(
                "not an index-only count: {plan:?}"
            ))));
        }
        let fetched = plan
            .iter()
            .filter_map(|line| line.0.trim().strip_prefix("Heap Fetches: "))
            .map(|n| n.parse::<u64>().unwrap_or(u64::MAX))
            .sum();
        Ok(Some(fetched))
    }

    async fn plan_of_ending(
        &self,
        statistics: &[&str],
        account_id: Uuid,
        selection: &SessionSelection,
    ) -> StoreResult<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        for statement in statistics {
            DB::execute_raw(&mut conn, statement).await?;
        }
        let end = super::SessionEnd::system(crate::domain::EndReason::Inactivity, Utc::now());
        let (statement, args) = match selection {
            SessionSelection::Ids { ids, user_id } => sql::end_by_ids::<DB>(account_id, ids, *user_id, &end),
            SessionSelection::Matching { matching, .. } => {
                sql::end_matching::<DB>(account_id, matching, &end, BULK_ROWS)
            }
            _ => {
                return Err(conflict(sqlx::Error::Protocol(
                    "plan_of_ending: only listed or searched sessions".into(),
                )))
            }
        };
        let explain = if DB::BACKEND == "sqlite" {
            "EXPLAIN QUERY PLAN"
        } else {
            "EXPLAIN"
        };
        let plan: Vec<PlanLine> = DB::fetch_all(&mut conn, &format!("{explain} {statement}"), args).await?;
        Ok(plan.into_iter().map(|line| line.0).collect())
    }

    async fn plan_of_access_check(&self) -> StoreResult<Option<Vec<String>>> {
        if DB::BACKEND != "postgres" {
            return Ok(None);
        }
        // The lookup connections' setting (`postgres.rs`); a prepared statement, so that
        // EXPLAIN shows the plan kept for every batch, not one made for a given array.
        let mut conn = self.pool.acquire().await?;
        DB::execute_raw(
            &mut conn,
            &format!(
                "SET plan_cache_mode = force_generic_plan; PREPARE access_check (bytea[]) AS {}",
                sql::CONTEXTS_BY_ACCESS_TOKEN
            ),
        )
        .await?;
        let plan: Result<Vec<PlanLine>, _> =
            DB::fetch_all(&mut conn, "EXPLAIN EXECUTE access_check (NULL)", args![]).await;
        DB::execute_raw(&mut conn, "DEALLOCATE access_check; RESET plan_cache_mode").await?;
        Ok(Some(plan?.into_iter().map(|line| line.0).collect()))
    }
}

/// A test's store. Dropping it deletes the SQLite file (and its WAL and shared-memory
/// files), so test runs do not pile databases up in the temp folder; a Postgres test
/// database goes away with the throwaway server.
pub struct TestStore {
    store: DynTestingStore,
    sqlite_file: Option<PathBuf>,
    url: String,
}

impl TestStore {
    /// The store a second server process would open: on Postgres its own pool on the
    /// same database; on SQLite (one process by design) this same store.
    pub async fn another_process(&self) -> super::DynStore {
        if self.sqlite_file.is_some() {
            return self.store.clone();
        }
        let store: super::DynStore = connect(&self.url).await.expect("open the test store again");
        store
    }

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
            // A test that waits on a lock or a statement fails with the statement named,
            // instead of hanging the suite.
            for setting in ["lock_timeout = '20s'", "statement_timeout = '60s'"] {
                sqlx::query(&format!("ALTER DATABASE {name} SET {setting}"))
                    .execute(&mut admin)
                    .await
                    .expect("bound the test database's waits");
            }
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
    TestStore {
        store,
        sqlite_file,
        url,
    }
}
