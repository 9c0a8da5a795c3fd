//! The SQLite implementation: the default, a single file next to the server.

use super::cache::Lookup;
use super::shared::{shared_store, CONTEXT_JOINS, CONTEXT_SELECT, LISTING_COLUMNS, SESSION_COLUMNS};
use super::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::QueryBuilder;
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const BACKEND: &str = "sqlite";
/// SQLite locks the whole database for a write transaction; rows need no lock.
const LOCK_ROW: &str = "";
const NULL_INSTANT: &str = "NULL";

pub struct SqliteStore {
    pool: SqlitePool,
    /// See `cache.rs`: sound because a SQLite database has one server process.
    cache: super::cache::SessionCache,
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
            cache: Default::default(),
        })
    }
}

/// The session-cache hooks the shared SQL calls (see `cache.rs`).
impl SqliteStore {
    fn cached(&self, hash: &TokenHash, lookup: Lookup) -> Option<SessionContext> {
        self.cache.get(hash, lookup)
    }

    fn generation(&self) -> u64 {
        self.cache.generation()
    }

    fn remember(&self, hash: &TokenHash, lookup: Lookup, generation: u64, context: &SessionContext) {
        self.cache.put(hash, lookup, generation, context);
    }

    fn invalidate(&self) {
        self.cache.invalidate();
    }

    fn touched(&self, id: Uuid, at: DateTime<Utc>, ip: &str) {
        self.cache.touched(id, at, ip);
    }
}

shared_store!(SqliteStore, sqlx::Sqlite);
