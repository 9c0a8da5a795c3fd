//! The store, written once for both backends: plain methods that run the SQL in
//! `sql/` through the backend's [`Dialect`]. The SQLite store also keeps the session
//! check's cache; on Postgres, shared by several processes, the check's batches keep
//! their own, confirmed with the database at each batch (`coalesce.rs`).

mod accounts;
mod audit;
mod sessions;

#[cfg(feature = "testing")]
pub(in crate::store) use sessions::new_session_args;

use super::cache::{Lookup, SessionCache};
use super::coalesce::Coalescer;
use super::dialect::Value;
use super::dialect::{args, Args, Dialect, Record};
use super::events::{self, Bus, Feed, SessionEvent};
use super::types::{conflict, membership_error, UnkeyedSession};
use super::{
    sql, NewAuditEvent, NewUser, SessionContext, Store, StoreError, StoreResult, TokenHash, BULK_ROWS,
};
use crate::domain::device::describe;
use crate::domain::search::ip_key;
use crate::domain::Role;
use crate::domain::SessionKind;
use crate::model::{Membership, User};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{ConnectOptions, Pool, Transaction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// A connection that no longer works: its socket failed, or the server ended it
/// (SQLSTATE class 08, connection exception, or 57P, operator intervention: a restart).
pub(in crate::store) fn is_broken_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Whether the last attempt to reach the database failed: only so that its return is
/// logged once. It decides nothing.
static UNREACHABLE: AtomicBool = AtomicBool::new(false);

pub struct SqlStore<DB: Dialect> {
    pub(in crate::store) pool: Pool<DB>,
    /// Only where one process owns the database (SQLite); see `cache.rs`.
    cache: Option<SessionCache>,
    /// Tasks that serve the store while it lives (SQLite's checkpoints, Postgres's
    /// batched lookups and event listener).
    maintenance: Vec<tokio::task::AbortHandle>,
    /// Where this process's subscribers hear about sessions (see `events.rs`).
    bus: Bus,
    /// Only on Postgres: the session check's lookups, batched; see `coalesce.rs`.
    coalescer: Option<Coalescer>,
    /// Only where the database has one writer: whose turn it is to write
    /// (`Dialect::ONE_WRITER`). A fair mutex: waiters are served in arrival order.
    writers: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A turn to write, held until the write has committed (see `Dialect::ONE_WRITER`).
pub(in crate::store) type Turn = Option<tokio::sync::OwnedMutexGuard<()>>;

/// Rows that came back as one JSON array (`Dialect::PACKED_LISTS`).
#[derive(sqlx::FromRow)]
struct Packed {
    json: String,
}

impl Packed {
    fn rows<R: serde::de::DeserializeOwned>(self) -> StoreResult<Vec<R>> {
        serde_json::from_str(&self.json).map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))
    }
}

impl<DB: Dialect> Drop for SqlStore<DB> {
    fn drop(&mut self) {
        for task in &self.maintenance {
            task.abort();
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    pub(in crate::store) fn new(pool: Pool<DB>, cache: bool) -> Self {
        SqlStore {
            pool,
            cache: cache.then(SessionCache::default),
            maintenance: Vec::new(),
            bus: Bus::default(),
            coalescer: None,
            writers: DB::ONE_WRITER.then(|| Arc::new(tokio::sync::Mutex::new(()))),
        }
    }

    /// Answers the session check's lookups through `coalescer`.
    pub(in crate::store) fn coalesced(mut self, coalescer: Coalescer) -> Self {
        self.coalescer = Some(coalescer);
        self
    }

    /// Runs `task` until the store is dropped.
    pub(in crate::store) fn maintained_by(mut self, task: tokio::task::JoinHandle<()>) -> Self {
        self.maintenance.push(task.abort_handle());
        self
    }

    pub(in crate::store) fn bus(&self) -> Bus {
        self.bus.clone()
    }

    /// Makes `events` known once their write commits: on Postgres by notifications
    /// sent inside its transaction `tx`; on SQLite, call [`Self::announced`] after the commit.
    async fn announce(tx: &mut Tx<DB>, events: &[SessionEvent]) -> StoreResult<()> {
        if let Some(notify) = DB::NOTIFY {
            for payload in events::payloads(events) {
                DB::execute(&mut **tx, notify, args![events::CHANNEL, payload]).await?;
            }
        }
        Ok(())
    }

    /// After the commit, and after dropping any cached lookup the write made wrong:
    /// publishes `events` in this process where no notification does.
    fn announced(&self, events: &[SessionEvent]) {
        if DB::NOTIFY.is_none() {
            for event in events {
                self.bus.send(Feed::Event(*event));
            }
        }
    }

    async fn conn(&self) -> StoreResult<PoolConnection<DB>> {
        match self.pool.acquire().await {
            Ok(conn) => {
                if UNREACHABLE.swap(false, Ordering::Relaxed) {
                    tracing::info!("the database is reachable again");
                }
                Ok(conn)
            }
            Err(e) => {
                let e = StoreError::from(e);
                if matches!(e, StoreError::Unavailable(_)) {
                    UNREACHABLE.store(true, Ordering::Relaxed);
                }
                Err(e)
            }
        }
    }

    /// Runs a read. A pooled connection that broke since it was last used (the database
    /// restarted, a link dropped) is discarded and the read runs once more on a new
    /// connection: reads are safe to repeat; writes are never retried.
    pub(in crate::store) async fn all<R: Record>(&self, sql: &str, args: Args) -> StoreResult<Vec<R>> {
        let mut conn = self.conn().await?;
        match DB::fetch_all(&mut *conn, sql, args.clone()).await {
            Err(e) if is_broken_connection(&e) => {
                conn.close_on_drop();
                drop(conn);
                tracing::warn!(error = %e, "a pooled database connection broke; reading again on a new one");
                let mut fresh = self.pool.connect_options().connect().await?;
                let rows = DB::fetch_all(&mut fresh, sql, args).await?;
                let _ = sqlx::Connection::close(fresh).await;
                Ok(rows)
            }
            read => Ok(read?),
        }
    }

    pub(in crate::store) async fn optional<R: Record>(
        &self,
        sql: &str,
        args: Args,
    ) -> StoreResult<Option<R>> {
        Ok(self.all(sql, args).await?.into_iter().next())
    }

    /// The rows of a statement that packs them into one JSON array in one row
    /// (`Dialect::PACKED_LISTS`).
    pub(in crate::store) async fn packed<R: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: Args,
    ) -> StoreResult<Vec<R>> {
        let packed: Option<Packed> = self.optional(sql, args).await?;
        packed.map_or(Ok(Vec::new()), Packed::rows)
    }

    /// Waits for this process's turn to write, where the database has one writer.
    pub(in crate::store) async fn write_turn(&self) -> Turn {
        match &self.writers {
            Some(writers) => Some(writers.clone().lock_owned().await),
            None => None,
        }
    }

    /// A write transaction, begun in this process's turn to write; keep the turn until
    /// the transaction is over (`let (_turn, mut tx) = …`).
    pub(in crate::store) async fn begin_write(&self) -> StoreResult<(Turn, Tx<DB>)> {
        let turn = self.write_turn().await;
        Ok((turn, self.pool.begin().await?))
    }

    /// One write statement, in its own transaction.
    pub(in crate::store) async fn run(&self, sql: &str, args: Args) -> StoreResult<u64> {
        let _turn = self.write_turn().await;
        Ok(DB::execute(&mut *self.conn().await?, sql, args).await?)
    }

    /// Fills what a migration added to the sessions written before it: `select` finds up
    /// to `$1` rows still missing it, `statements` says what to run for each, a batch per
    /// transaction until none is left. Idempotent, so nodes starting together may all run
    /// it.
    async fn backfill(
        &self,
        select: &str,
        what: &str,
        statements: impl Fn(&UnkeyedSession) -> Vec<(&'static str, Args)>,
    ) -> StoreResult<()> {
        const BATCH: i64 = 1000;
        let mut filled = 0usize;
        loop {
            let rows: Vec<UnkeyedSession> = self.all(select, args![BATCH]).await?;
            if rows.is_empty() {
                break;
            }
            let (_turn, mut tx) = self.begin_write().await?;
            for (sql, args) in rows.iter().flat_map(&statements) {
                DB::execute(&mut *tx, sql, args).await?;
            }
            tx.commit().await?;
            filled += rows.len();
        }
        if filled > 0 {
            tracing::info!(sessions = filled, "filled {what} of existing sessions");
        }
        Ok(())
    }

    /// The search keys of sessions written before migration 0004.
    async fn fill_search_keys(&self) -> StoreResult<()> {
        self.backfill(sql::UNKEYED_SESSIONS, "the search keys", |row| {
            let label = sessions::device_label(&row.user_agent, row.kind);
            let keys = args![
                row.id,
                Value::Bytes(ip_key(&row.ip)),
                Value::Bytes(ip_key(&row.last_ip)),
                &label,
            ];
            vec![
                (sql::ADD_DEVICE_LABEL, args![label]),
                (sql::SET_SESSION_KEYS, keys),
            ]
        })
        .await
    }

    /// The described devices of sessions written before migration 0006.
    async fn fill_devices(&self) -> StoreResult<()> {
        self.backfill(sql::UNDESCRIBED_SESSIONS, "the devices", |row| {
            let device = describe(&row.user_agent, row.kind == SessionKind::Cli);
            vec![(
                sql::SET_SESSION_DEVICE,
                args![row.id, device.name, device.kind.as_str()],
            )]
        })
        .await
    }

    /// Drops every cached lookup; called after each committed write that could make
    /// one wrong (an end, a rotation, a settings change).
    fn invalidate(&self) {
        if let Some(cache) = &self.cache {
            cache.invalidate();
        }
    }

    /// The session check's lookup, answered from the cache when it can be.
    async fn context(
        &self,
        hash: &TokenHash,
        lookup: Lookup,
        sql: &str,
        args: Args,
    ) -> StoreResult<Option<SessionContext>> {
        let Some(cache) = &self.cache else {
            return match &self.coalescer {
                Some(coalescer) => coalescer.find(lookup, hash).await,
                None => self.optional(sql, args).await,
            };
        };
        if let Some(answer) = cache.get(hash, lookup) {
            return Ok(answer);
        }
        let generation = cache.generation();
        let found: Option<SessionContext> = self.optional(sql, args).await?;
        match &found {
            Some(context) => cache.put(hash, lookup, generation, context),
            // A retired refresh token is looked up again as such (reuse detection);
            // only the access and browser lookups remember a credential unknown.
            None if lookup != Lookup::Refresh => cache.put_unknown(hash, lookup, generation),
            None => {}
        }
        Ok(found)
    }
}

#[async_trait]
impl<DB: Dialect> Store for SqlStore<DB> {
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    async fn migrate(&self) -> StoreResult<()> {
        DB::migrate(&self.pool).await?;
        self.fill_search_keys().await?;
        self.fill_devices().await?;
        self.refresh_statistics().await
    }

    async fn refresh_statistics(&self) -> StoreResult<()> {
        let Some((analyze, reload)) = DB::REFRESH_STATISTICS else {
            return Ok(());
        };
        // `ANALYZE sqlite_schema` writes too: the turn covers both.
        let _turn = self.write_turn().await;
        let mut conn = self.conn().await?;
        // Decide from the statistics as stored, not as this connection loaded them when it
        // opened: a connection that missed the last reload would analyse again.
        DB::execute(&mut *conn, reload, args![]).await?;
        DB::execute(&mut *conn, analyze, args![]).await?;
        drop(conn);
        // Every idle connection reads the new statistics (held together, so each is a
        // different one); a busy one keeps its old copy until the pool replaces it.
        let mut idle = Vec::new();
        while let Some(conn) = self.pool.try_acquire() {
            idle.push(conn);
        }
        for conn in &mut idle {
            DB::execute(&mut **conn, reload, args![]).await?;
        }
        Ok(())
    }

    async fn tidy_sessions(&self) -> StoreResult<()> {
        if DB::TIDY_SESSIONS.is_empty() {
            return Ok(());
        }
        // A connection of its own, whose pacing settings no request inherits, and which
        // does not report the paced vacuum as a slow statement every sweep. One statement
        // at a time, outside any transaction, as VACUUM must be.
        let options = self
            .pool
            .connect_options()
            .as_ref()
            .clone()
            .disable_statement_logging();
        let mut conn = tokio::time::timeout(super::acquire_timeout(), options.connect())
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolTimedOut))??;
        let outcome: StoreResult<()> = async {
            for statement in DB::TIDY_SESSIONS {
                DB::execute_raw(&mut conn, statement).await?;
            }
            Ok(())
        }
        .await;
        let _ = sqlx::Connection::close(conn).await;
        outcome
    }

    /// A read like any other: a pooled connection that broke since its last use (the
    /// session check no longer goes through this pool on Postgres, so nothing else may
    /// have found out yet) is replaced rather than reported as the database being down.
    async fn ping(&self) -> StoreResult<()> {
        self.all::<(i64,)>("SELECT CAST(1 AS BIGINT)", args![])
            .await
            .map(|_| ())
    }
}

type Tx<DB> = Transaction<'static, DB>;

async fn insert_user<DB: Dialect>(tx: &mut Tx<DB>, user: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
    let args = args![
        Uuid::new_v4(),
        &user.email,
        &user.display_name,
        &user.password_hash.0,
        now
    ];
    let inserted = DB::fetch_all(&mut **tx, sql::INSERT_USER, args).await;
    inserted
        .map_err(conflict)?
        .pop()
        .ok_or(sqlx::Error::RowNotFound.into())
}

async fn insert_membership<DB: Dialect>(
    tx: &mut Tx<DB>,
    account_id: Uuid,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> StoreResult<Membership> {
    let args = args![account_id, user_id, role, now];
    let inserted = DB::fetch_all(&mut **tx, sql::INSERT_MEMBERSHIP, args).await;
    let membership: Membership = inserted
        .map_err(membership_error)?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)?;
    insert_audits(
        tx,
        &[NewAuditEvent::membership_added(account_id, user_id, role, now)],
    )
    .await?;
    Ok(membership)
}

async fn insert_audits<DB: Dialect>(tx: &mut Tx<DB>, events: &[NewAuditEvent]) -> StoreResult<()> {
    for chunk in events.chunks(BULK_ROWS) {
        let (sql, args) = sql::insert_audits::<DB>(chunk);
        DB::execute(&mut **tx, &sql, args).await?;
    }
    Ok(())
}
